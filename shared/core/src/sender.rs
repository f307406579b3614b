//! The sender: one outbound message through the Send API, with the page's
//! token, under Meta's window policy (decided again now: the clock moved
//! since the agent wrote), and each Graph error handled as its class says.
//! Idempotent: a message that is not `queued` any more is not sent again.

use crate::channels::{ChannelDeps, report_graph_error};
use crate::ids::OutboundId;
use crate::outbound::{Failure, Status, on_error, send_body, window};
use crate::ports::{OutboundStore, StoreError};
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone)]
pub struct SenderDeps {
    pub channels: ChannelDeps,
    pub outbound: Arc<dyn OutboundStore>,
}

/// What to do with the queue message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    /// Finished (sent, failed, or nothing left to do): delete it.
    Done(Status),
    /// Make it visible again after this long (transient failure).
    RetryAfter(Duration),
}

#[derive(Debug, thiserror::Error)]
pub enum SenderError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Other(String),
}

fn failed(
    code: Option<i64>,
    subcode: Option<i64>,
    reason: impl Into<String>,
    deps: &SenderDeps,
) -> Status {
    Status::Failed {
        code,
        subcode,
        reason: reason.into(),
        at: deps.channels.clock.now(),
    }
}

async fn finish(deps: &SenderDeps, id: &OutboundId, status: Status) -> Result<Sent, SenderError> {
    match deps.outbound.finish_outbound(id, &status).await {
        Ok(()) => Ok(Sent::Done(status)),
        // Finished meanwhile by another delivery of the same message.
        Err(StoreError::Conflict(_)) => Ok(Sent::Done(status)),
        Err(e) => Err(e.into()),
    }
}

/// Send one outbound message; `attempt` counts from 1 (the queue's receive count).
pub async fn send(
    deps: &SenderDeps,
    id: &OutboundId,
    attempt: u32,
    jitter: f64,
) -> Result<Sent, SenderError> {
    let Some(m) = deps.outbound.get_outbound(id).await? else {
        tracing::warn!(outbound_id = %id, "no such outbound message; dropped");
        return Ok(Sent::Done(Status::Queued));
    };
    if m.status != Status::Queued {
        return Ok(Sent::Done(m.status));
    }
    let ch = &deps.channels;
    let Some(conv) = ch
        .conversations
        .get_conversation(&m.conversation_id)
        .await?
    else {
        let s = failed(None, None, "the conversation no longer exists", deps);
        return finish(deps, id, s).await;
    };
    let tag = match ch.workstreams.workstream_of_page(&m.page_id).await? {
        Some(w) => ch
            .workstreams
            .get_workstream(&w)
            .await?
            .is_some_and(|w| w.features.human_agent_tag),
        None => false,
    };
    let send_as = match window(
        conv.last_customer_message_at,
        ch.clock.now(),
        &m.author,
        tag,
    ) {
        Ok(s) => s,
        Err(closed) => {
            crate::metrics::count_by("Sends", "window_closed", 1);
            let s = failed(None, None, format!("Not sent: {}.", closed.reason), deps);
            return finish(deps, id, s).await;
        }
    };
    let token = match ch
        .accounts
        .get_page(&m.page_id)
        .await?
        .and_then(|p| p.access_token_ref)
    {
        Some(name) => ch
            .secrets
            .get(&name)
            .await
            .map_err(|e| SenderError::Other(e.to_string()))?,
        None => None,
    };
    let Some(token) = token else {
        let s = failed(
            None,
            None,
            "The page has no access token; connect the page again.",
            deps,
        );
        return finish(deps, id, s).await;
    };
    let body = send_body(&m.psid, &m.content, send_as, id.as_str());
    match ch.graph.send_message(&m.page_id, &token, &body).await {
        Ok(accepted) => {
            crate::metrics::count_by("Sends", "sent", 1);
            let s = Status::Sent {
                message_id: accepted.message_id,
                messaging_type: send_as,
                at: ch.clock.now(),
            };
            finish(deps, id, s).await
        }
        Err(e) => {
            let code = e
                .code
                .map(|c| format!("failed_{c}"))
                .unwrap_or_else(|| "failed_unreachable".into());
            crate::metrics::count_by("Sends", &code, 1);
            match on_error(&e, attempt, jitter) {
                Failure::Retry(after) => {
                    match deps.outbound.count_attempt(id, attempt).await {
                        Ok(()) | Err(StoreError::Conflict(_)) => {}
                        Err(e) => return Err(e.into()),
                    }
                    tracing::warn!(outbound_id = %id, code = ?e.code, attempt, after_secs = after.as_secs(), "send failed; will retry");
                    Ok(Sent::RetryAfter(after))
                }
                Failure::Fail {
                    code,
                    subcode,
                    reason,
                } => {
                    tracing::warn!(outbound_id = %id, ?code, ?subcode, "send failed for good");
                    finish(deps, id, failed(code, subcode, reason, deps)).await
                }
                Failure::FailToken {
                    code,
                    subcode,
                    reason,
                } => {
                    report_graph_error(ch, &m.page_id, &e)
                        .await
                        .map_err(|p| SenderError::Other(p.detail))?;
                    finish(deps, id, failed(code, subcode, reason, deps)).await
                }
            }
        }
    }
}
