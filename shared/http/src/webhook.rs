//! `/webhooks/facebook/{account_id}`: Meta's subscription handshake (`GET`)
//! and deliveries (`POST`); with deliveries, the data-deletion callback
//! ([`crate::deletion`]).

use crate::extract::OriginalPath;
use crate::problem::{ApiProblem, json, text};
use axum::Router;
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use http::{HeaderMap, Method, StatusCode, Uri};
use switchboard_core::ingest::{self, IngestDeps};
use switchboard_core::problem::Problem;
use switchboard_core::signature::{SIGNATURE_256_HEADER, SIGNATURE_SHA1_HEADER};
use switchboard_core::verify::{self, VerifyDeps};

pub const WEBHOOK_PREFIX: &str = "/webhooks/facebook/";

/// The `{account_id}` of a webhook path.
pub fn webhook_account(path: &str) -> Option<&str> {
    let rest = path.strip_prefix(WEBHOOK_PREFIX)?.trim_end_matches('/');
    (!rest.is_empty() && !rest.contains('/')).then_some(rest)
}

fn no_such_route() -> Response {
    ApiProblem(Problem::not_found("no such route")).into_response()
}

fn not_allowed() -> Response {
    ApiProblem(Problem::method_not_allowed("GET, POST")).into_response()
}

/// `GET /webhooks/facebook/{account_id}`.
pub async fn verify(deps: &VerifyDeps, uri: &Uri) -> Response {
    let Some(account) = webhook_account(uri.path()) else {
        return no_such_route();
    };
    match verify::verify_webhook(deps, account, uri.query().unwrap_or("")).await {
        Ok(challenge) => text(StatusCode::OK, challenge),
        Err(e) => {
            tracing::warn!(account_id = account, reason = %e, "webhook verification refused");
            ApiProblem(Problem::from(e)).into_response()
        }
    }
}

/// `POST /webhooks/facebook/{account_id}`.
pub async fn ingest(deps: &IngestDeps, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Response {
    let Some(account) = webhook_account(uri.path()) else {
        return no_such_route();
    };
    let sig256 = headers
        .get(SIGNATURE_256_HEADER)
        .and_then(|v| v.to_str().ok());
    let sha1 = headers.contains_key(SIGNATURE_SHA1_HEADER);
    match ingest::ingest(deps, account, sig256, sha1, body).await {
        Ok(report) => json(
            StatusCode::OK,
            &serde_json::json!({ "status": "queued", "events": report.events }),
        )
        .unwrap_or_else(IntoResponse::into_response),
        Err(e) => {
            if matches!(
                e,
                ingest::IngestError::Queue { .. }
                    | ingest::IngestError::Store(_)
                    | ingest::IngestError::Secrets(_)
            ) {
                tracing::error!(account_id = account, error = %e, "delivery not queued; answering 500 so Meta retries");
            }
            ApiProblem(Problem::from(e)).into_response()
        }
    }
}

/// The webhook routes over what this deployment has: both under serve,
/// one in each Lambda function.
pub fn router(verify_deps: Option<VerifyDeps>, ingest_deps: Option<IngestDeps>) -> Router {
    let mut route = MethodRouter::new()
        .head(|| async { not_allowed() })
        .fallback(|| async { not_allowed() });
    if let Some(deps) = verify_deps {
        route = route.get(move |uri: Uri| {
            let deps = deps.clone();
            async move { verify(&deps, &uri).await }
        });
    }
    let mut extra = Router::new();
    if let Some(deps) = ingest_deps {
        extra = crate::deletion::router(deps.clone());
        route = route.post(
            move |uri: Uri,
                  headers: HeaderMap,
                  crate::extract::Body(body): crate::extract::Body| {
                let deps = deps.clone();
                async move { ingest(&deps, &uri, &headers, &body).await }
            },
        );
    }
    Router::new()
        .route("/webhooks/facebook/{account_id}", route)
        .merge(extra)
        .fallback(unknown)
}

/// A path that names no account: under the webhook prefix, `404` for
/// the methods the webhook takes (`405` for others).
async fn unknown(method: Method, parts: http::request::Parts) -> Response {
    let path = OriginalPath::of(&parts);
    if !path.starts_with(WEBHOOK_PREFIX) {
        return ApiProblem(Problem::not_found(format!("no route {path}"))).into_response();
    }
    match method {
        Method::GET | Method::POST => no_such_route(),
        _ => not_allowed(),
    }
}

pub fn verify_router(deps: VerifyDeps) -> Router {
    router(Some(deps), None)
}

/// webhook-ingest's routes: deliveries, the data-deletion callback and its
/// status page, and the handshake, so that the function's own URL (a
/// Lambda function URL) can be the whole webhook.
pub fn ingest_router(deps: IngestDeps) -> Router {
    let verify = VerifyDeps {
        accounts: deps.accounts.clone(),
        clock: deps.clock.clone(),
    };
    router(Some(verify), Some(deps))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_paths() {
        assert_eq!(webhook_account("/webhooks/facebook/acme"), Some("acme"));
        assert_eq!(webhook_account("/webhooks/facebook/acme/"), Some("acme"));
        assert_eq!(webhook_account("/webhooks/facebook/"), None);
        assert_eq!(webhook_account("/webhooks/facebook/a/b"), None);
    }
}
