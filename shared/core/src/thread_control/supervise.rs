//! What a supervisor does with a thread another app has or asks for: take
//! it (`take_thread_control`, then the conversation goes to humans), pass
//! it to the app that asked (`pass_thread_control`, and the conversation
//! ends here), or keep it (the request is declined). Meta's refusal is the
//! answer, with its reason: nothing changes here then.

use super::app_name;
use crate::channels::{ChannelDeps, report_graph_error};
use crate::ids::{AppId, ConversationId};
use crate::ports::{Conversation, ConversationState};
use crate::problem::{Problem, Status};
use crate::routing::engine::{self, PassedBy};
use crate::secret::Secret;
use serde::Deserialize;

/// `POST /admin/v1/conversations/{id}/thread-control` `{action}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThreadAction {
    pub action: Action,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Take the thread from the app that has it; the conversation goes to humans.
    Take,
    /// Give the thread to the app that asked for it; the conversation ends here.
    Pass,
    /// Keep the thread; the app's request is declined.
    Keep,
}

fn conflict(detail: String) -> Problem {
    Problem::new(Status::CONFLICT, "conflict", "Conflict", detail)
}

/// Meta refused the handover call: its reason, as a `502`.
fn refused(e: &crate::graph::GraphError) -> Problem {
    Problem::new(
        Status::BAD_GATEWAY,
        "graph_error",
        "Meta refused the request",
        e.explain(),
    )
    .with("code", e.code)
    .with("subcode", e.subcode)
}

/// Do `a` on conversation `id` as `by` (who, for the diagnostics).
pub async fn act(
    ch: &ChannelDeps,
    by: &str,
    id: &ConversationId,
    a: ThreadAction,
) -> Result<Conversation, Problem> {
    let deps = ch.routing_deps();
    let conv = deps
        .conversations
        .get_conversation(id)
        .await?
        .ok_or_else(|| Problem::not_found(format!("no conversation {id}")))?;
    if !conv.state.is_open() {
        return Err(conflict(format!("conversation {id} is closed")));
    }
    let thread = conv.routing.as_ref().and_then(|r| r.thread.as_ref());
    match a.action {
        Action::Take => {
            // Only a conversation Switchboard is not working: kept as context
            // while another app had the thread.
            if conv.routing.is_some() || conv.state != ConversationState::Waiting {
                return Err(conflict(format!(
                    "Switchboard already has conversation {id} (it is {})",
                    conv.state.as_str()
                )));
            }
            let token = token(ch, &conv).await?;
            let metadata = format!("switchboard: taken by {by}");
            if let Err(e) = ch
                .graph
                .take_thread_control(&conv.page_id, &token, &conv.psid, &metadata)
                .await
            {
                report_graph_error(&ch.pages(), &conv.page_id, &e).await?;
                return Err(refused(&e));
            }
            tracing::info!(conversation_id = %id, "a supervisor took the thread");
            Ok(engine::passed(&deps, conv, None, PassedBy::Supervisor(by)).await?)
        }
        Action::Pass => {
            let Some(req) = thread.and_then(|t| t.requested.as_ref()) else {
                return Err(conflict(format!("no app asks for conversation {id}")));
            };
            let Some(app) = req.app_id.as_deref().and_then(|a| AppId::parse(a).ok()) else {
                return Err(conflict(format!(
                    "{} asked for conversation {id} without naming itself; keep the conversation",
                    app_name(req.app_id.as_deref())
                )));
            };
            let token = token(ch, &conv).await?;
            let metadata = format!("switchboard: passed by {by} on request");
            if let Err(e) = ch
                .graph
                .pass_thread_control(&conv.page_id, &token, &conv.psid, &app, &metadata)
                .await
            {
                report_graph_error(&ch.pages(), &conv.page_id, &e).await?;
                return Err(refused(&e));
            }
            Ok(engine::request_answered(&deps, id, by, Some(app.as_str())).await?)
        }
        Action::Keep => Ok(engine::request_answered(&deps, id, by, None).await?),
    }
}

async fn token(ch: &ChannelDeps, conv: &Conversation) -> Result<Secret, Problem> {
    crate::channels::page_token(ch, &conv.page_id)
        .await?
        .ok_or_else(|| {
            conflict(format!(
                "page {} has no access token; connect the page again",
                conv.page_id
            ))
        })
}
