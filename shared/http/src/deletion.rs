//! Meta's data-deletion callback, `POST /webhooks/facebook/{account_id}/data-deletion`,
//! and the public status page it links to, `GET /privacy/deletion/{code}`
//! (English, or Danish by `?lang=da` or `Accept-Language`). Both live
//! beside the webhook, in serve and in the webhook function.

use crate::problem::{ApiProblem, json};
use axum::Router;
use axum::extract::{Path, Query};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use http::{HeaderMap, StatusCode};
use std::collections::HashMap;
use switchboard_core::ingest::IngestDeps;
use switchboard_core::privacy::deletion::{self, DeletionState};
use switchboard_core::problem::Problem;

/// Where the status pages are.
pub const STATUS_PREFIX: &str = "/privacy/deletion/";

/// The routes, over the webhook function's dependencies.
pub fn router(deps: IngestDeps) -> Router {
    let d2 = deps.clone();
    Router::new()
        .route(
            "/webhooks/facebook/{account_id}/data-deletion",
            post(
                move |Path(account): Path<String>,
                      headers: HeaderMap,
                      crate::extract::Body(body): crate::extract::Body| {
                    let deps = deps.clone();
                    async move { callback(&deps, &account, &headers, &body).await }
                },
            ),
        )
        .route(
            "/privacy/deletion/{code}",
            get(
                move |Path(code): Path<String>,
                      Query(q): Query<HashMap<String, String>>,
                      headers: HeaderMap| {
                    let deps = d2.clone();
                    async move { status_page(&deps, &code, &q, &headers).await }
                },
            ),
        )
}

async fn callback(deps: &IngestDeps, account: &str, headers: &HeaderMap, body: &[u8]) -> Response {
    match deletion::receive(deps, account, body, &base_url(headers)).await {
        Ok(receipt) => {
            if receipt.new
                && let Some(n) = &deps.deletions
            {
                n.notify_one();
            }
            json(StatusCode::OK, &receipt).unwrap_or_else(IntoResponse::into_response)
        }
        Err(e) => ApiProblem(Problem::from(e)).into_response(),
    }
}

/// Where this server is reached, as the caller reached it (behind API
/// Gateway or a tunnel: its host, over https).
fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get("x-forwarded-host")
        .or_else(|| headers.get(http::header::HOST))
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        })
        .unwrap_or("localhost");
    let local = host.starts_with("localhost") || host.starts_with("127.0.0.1");
    let proto = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .filter(|p| *p == "http" || *p == "https")
        .unwrap_or(if local { "http" } else { "https" });
    format!("{proto}://{host}")
}

fn danish(q: &HashMap<String, String>, headers: &HeaderMap) -> bool {
    match q.get("lang").map(String::as_str) {
        Some("da") => true,
        Some(_) => false,
        None => headers
            .get(http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|l| l.trim_start().to_ascii_lowercase().starts_with("da")),
    }
}

/// The words of each state, in English and Danish.
fn words(state: Option<DeletionState>, da: bool) -> (&'static str, &'static str) {
    use DeletionState::*;
    match (state, da) {
        (None, false) => (
            "Not found",
            "There is no data-deletion request with this code.",
        ),
        (None, true) => (
            "Ikke fundet",
            "Der er ingen anmodning om sletning med denne kode.",
        ),
        (Some(Received), false) => (
            "Received",
            "Your request has been received and will be carried out shortly.",
        ),
        (Some(Received), true) => (
            "Modtaget",
            "Din anmodning er modtaget og bliver udført om kort tid.",
        ),
        (Some(InProgress | Waiting), false) => ("In progress", "Your data is being deleted."),
        (Some(InProgress | Waiting), true) => ("I gang", "Dine data bliver slettet."),
        (Some(Done), false) => (
            "Done",
            "What you wrote to this company, and what it held about you, has been deleted.",
        ),
        (Some(Done), true) => (
            "Udført",
            "Det, du har skrevet til virksomheden, og det, den havde om dig, er slettet.",
        ),
        (Some(Refused), false) => ("Refused", "Your request could not be carried out:"),
        (Some(Refused), true) => ("Afvist", "Din anmodning kunne ikke udføres:"),
    }
}

async fn status_page(
    deps: &IngestDeps,
    code: &str,
    q: &HashMap<String, String>,
    headers: &HeaderMap,
) -> Response {
    let da = danish(q, headers);
    let request = match deletion::status(deps.streams.as_ref(), code).await {
        Ok(r) => r,
        Err(e) => return ApiProblem(e.into()).into_response(),
    };
    let state = request.as_ref().map(|r| r.state);
    let (title, text) = words(state, da);
    let reason = match &request {
        Some(r) if r.state == DeletionState::Refused => {
            format!(
                "<p id=\"reason\">{}</p>",
                escape(r.reason.as_deref().unwrap_or(""))
            )
        }
        _ => String::new(),
    };
    let (lang, heading, code_label) = if da {
        ("da", "Anmodning om sletning af data", "Bekræftelseskode")
    } else {
        ("en", "Data-deletion request", "Confirmation code")
    };
    let state_name = state.map_or("not_found", |s| match s {
        DeletionState::Received => "received",
        DeletionState::InProgress | DeletionState::Waiting => "in_progress",
        DeletionState::Done => "done",
        DeletionState::Refused => "refused",
    });
    let page = format!(
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{heading}: {title}</title></head><body><main>\
<h1>{heading}</h1><p><strong id=\"state\" data-state=\"{state_name}\">{title}</strong></p>\
<p>{text}</p>{reason}<p>{code_label}: <code>{}</code></p></main></body></html>",
        escape(code)
    );
    let status = if request.is_some() {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    (
        status,
        [(http::header::CACHE_CONTROL, "no-store")],
        Html(page),
    )
        .into_response()
}

fn escape(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '&' => "&amp;".to_string(),
            '"' => "&quot;".to_string(),
            '\'' => "&#39;".to_string(),
            c => c.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_base_url_follows_the_caller_and_refuses_odd_hosts() {
        let mut h = HeaderMap::new();
        h.insert(http::header::HOST, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(base_url(&h), "http://127.0.0.1:8080");
        h.insert(
            http::header::HOST,
            "abc.execute-api.eu-west-1.amazonaws.com".parse().unwrap(),
        );
        assert_eq!(
            base_url(&h),
            "https://abc.execute-api.eu-west-1.amazonaws.com"
        );
        h.insert(http::header::HOST, "evil/path".parse().unwrap());
        assert_eq!(base_url(&h), "http://localhost");
    }

    #[test]
    fn danish_by_query_or_accept_language() {
        let mut h = HeaderMap::new();
        let q = HashMap::from([("lang".to_string(), "da".to_string())]);
        assert!(danish(&q, &h));
        h.insert(
            http::header::ACCEPT_LANGUAGE,
            "da-DK,da;q=0.9".parse().unwrap(),
        );
        assert!(danish(&HashMap::new(), &h));
        assert!(!danish(
            &HashMap::from([("lang".to_string(), "en".to_string())]),
            &h
        ));
    }
}
