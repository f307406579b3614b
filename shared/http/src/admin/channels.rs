//! Channel set-up: accounts and their pages, workstreams, configuration as
//! code (apply, export), alerts, and survey answers.

use super::AdminDeps;
use crate::auth::Admin;
use crate::extract::{Id, Id2, Json, QueryPairs};
use crate::problem::{Answer, created, no_content, ok};
use axum::extract::State;
use axum::response::IntoResponse;
use http::{HeaderMap, HeaderValue, header};
use switchboard_core::channels;
use switchboard_core::ids::{AccountId, PageId};
use switchboard_core::problem::Problem;
use switchboard_core::workstreams::WorkstreamId;

type Deps = State<AdminDeps>;

/// Stream reads one survey page may take while filtering by workstream.
const SURVEY_READS: usize = 5;

/// `GET /surveys`: answers oldest first, in stream order; a workstream
/// filters while reading, with a bounded number of stream reads a
/// request: the cursor is the last entry looked at, kept or not.
pub async fn surveys(_: Admin, State(d): Deps, q: QueryPairs) -> Answer {
    let ch = &d.channels;
    let page = q.page()?;
    let ws =
        q.0.into_iter()
            .find(|(k, _)| k == "workstream")
            .map(|(_, v)| WorkstreamId::parse(v))
            .transpose()
            .map_err(Problem::from)?;
    let mut kept = Vec::new();
    let mut after = page.after.clone();
    let mut end = false;
    for _ in 0..SURVEY_READS {
        let entries = ch
            .streams
            .read_entries(
                switchboard_core::delivery::SURVEYS_STREAM,
                after.as_deref(),
                page.read(),
            )
            .await
            .map_err(Problem::from)?;
        let full = entries.len() == page.read();
        let mut filled = false;
        for e in entries {
            if kept.len() == page.limit {
                filled = true;
                break;
            }
            after = Some(e.cursor.clone());
            if ws
                .as_ref()
                .is_none_or(|w| e.data["workstream"] == w.as_str())
            {
                kept.push(e);
            }
        }
        if filled {
            break;
        }
        if !full {
            end = true;
            break;
        }
    }
    let next = if end {
        None
    } else {
        after.as_deref().map(switchboard_core::paging::encode)
    };
    let answers: Vec<serde_json::Value> = kept.into_iter().map(|e| e.data).collect();
    ok(&serde_json::json!({ "answers": answers, "next_cursor": next }))
}

pub async fn alerts(_: Admin, State(d): Deps) -> Answer {
    let ch = &d.channels;
    ok(&serde_json::json!({
        "alerts": channels::alerts(&ch.pages()).await?,
        // What Meta sent that could not be used, and Meta's policy
        // actions, newest first (30 days).
        "set_aside": switchboard_core::aside::recent(ch.streams.as_ref(), ch.clock.now(), 100).await?,
    }))
}

/// The media types a configuration file is read and written as YAML.
fn is_yaml(media_type: &str) -> bool {
    let essence = media_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    matches!(
        essence.as_str(),
        "application/yaml" | "application/x-yaml" | "text/yaml" | "text/x-yaml"
    )
}

/// `POST /apply`: a JSON body, or the configuration file itself as YAML
/// (`Content-Type: application/yaml`).
pub async fn apply(
    _: Admin,
    State(d): Deps,
    q: QueryPairs,
    headers: HeaderMap,
    body: crate::extract::Body,
) -> Answer {
    let dry_run = match q.get("dry_run") {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            return Err(Problem::bad_request("invalid_query", "dry_run is true or false").into());
        }
    };
    let yaml = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(is_yaml);
    let desired = if yaml {
        let text = std::str::from_utf8(&body.0).map_err(|_| {
            Problem::bad_request("invalid_body", "the configuration file is not UTF-8 text")
        })?;
        channels::desired_from_yaml(text)?
    } else {
        body.json()?
    };
    ok(&channels::apply(&d.channels, desired, dry_run).await?)
}

/// `GET /export`: JSON, or the file as YAML (`?format=yaml`, or
/// `Accept: application/yaml`).
pub async fn export(_: Admin, State(d): Deps, q: QueryPairs, headers: HeaderMap) -> Answer {
    let yaml = match q.get("format") {
        Some("yaml") => true,
        Some("json") => false,
        Some(_) => {
            return Err(Problem::bad_request("invalid_query", "format is json or yaml").into());
        }
        None => headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.split(',').any(is_yaml)),
    };
    let exported = channels::export(&d.channels).await?;
    if yaml {
        Ok((
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/yaml; charset=utf-8"),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    HeaderValue::from_static("attachment; filename=\"switchboard.yaml\""),
                ),
            ],
            channels::to_yaml(&exported)?,
        )
            .into_response())
    } else {
        ok(&exported)
    }
}

pub async fn list_workstreams(_: Admin, State(d): Deps) -> Answer {
    ok(&serde_json::json!({ "workstreams": channels::list_workstreams(&d.channels).await? }))
}

pub async fn create_workstream(
    _: Admin,
    State(d): Deps,
    Json(b): Json<channels::NewWorkstream>,
) -> Answer {
    created(&channels::create_workstream(&d.channels, b).await?)
}

pub async fn get_workstream(_: Admin, Id(id): Id<WorkstreamId>, State(d): Deps) -> Answer {
    ok(&channels::get_workstream(&d.channels, &id).await?)
}

pub async fn update_workstream(
    _: Admin,
    Id(id): Id<WorkstreamId>,
    State(d): Deps,
    Json(b): Json<channels::WorkstreamPatch>,
) -> Answer {
    ok(&channels::update_workstream(&d.channels, &id, b).await?)
}

pub async fn delete_workstream(_: Admin, Id(id): Id<WorkstreamId>, State(d): Deps) -> Answer {
    channels::delete_workstream(&d.channels, &id).await?;
    no_content()
}

pub async fn list_accounts(_: Admin, State(d): Deps) -> Answer {
    ok(&serde_json::json!({ "accounts": channels::list_accounts(&d.channels).await? }))
}

pub async fn create_account(
    _: Admin,
    State(d): Deps,
    Json(b): Json<channels::NewAccount>,
) -> Answer {
    created(&channels::create_account(&d.channels, b).await?)
}

pub async fn get_account(_: Admin, Id(id): Id<AccountId>, State(d): Deps) -> Answer {
    ok(&channels::get_account(&d.channels, &id).await?)
}

pub async fn update_account(
    _: Admin,
    Id(id): Id<AccountId>,
    State(d): Deps,
    Json(b): Json<channels::AccountPatch>,
) -> Answer {
    ok(&channels::update_account(&d.channels, &id, b).await?)
}

pub async fn delete_account(_: Admin, Id(id): Id<AccountId>, State(d): Deps) -> Answer {
    channels::delete_account(&d.channels, &id).await?;
    no_content()
}

pub async fn list_pages(_: Admin, Id(id): Id<AccountId>, State(d): Deps) -> Answer {
    ok(&serde_json::json!({ "pages": channels::list_pages(&d.channels, &id).await? }))
}

pub async fn add_page(
    _: Admin,
    Id(id): Id<AccountId>,
    State(d): Deps,
    Json(b): Json<channels::NewPage>,
) -> Answer {
    created(&channels::add_page(&d.channels, &id, b).await?)
}

pub async fn get_page(_: Admin, Id2(id, page): Id2<AccountId, PageId>, State(d): Deps) -> Answer {
    ok(&channels::get_page(&d.channels, &id, &page).await?)
}

pub async fn remove_page(
    _: Admin,
    Id2(id, page): Id2<AccountId, PageId>,
    State(d): Deps,
) -> Answer {
    ok(&channels::remove_page(&d.channels, &id, &page).await?)
}

pub async fn check_page(_: Admin, Id2(id, page): Id2<AccountId, PageId>, State(d): Deps) -> Answer {
    ok(&channels::check_page(&d.channels, &id, &page).await?)
}

pub async fn rotate_token(
    _: Admin,
    Id2(id, page): Id2<AccountId, PageId>,
    State(d): Deps,
    Json(b): Json<channels::NewToken>,
) -> Answer {
    ok(&channels::rotate_token(&d.channels, &id, &page, b).await?)
}

/// `PUT .../pages/{page_id}/conversation-routing` `{mode, hand_back_to?}`.
pub async fn set_conversation_routing(
    _: Admin,
    Id2(id, page): Id2<AccountId, PageId>,
    State(d): Deps,
    Json(b): Json<switchboard_core::thread_control::ConversationRouting>,
) -> Answer {
    ok(&channels::set_conversation_routing(&d.channels, &id, &page, b).await?)
}
