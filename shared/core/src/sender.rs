//! The sender: one outbound message through the Send API, with the page's
//! token, under Meta's window policy (decided again now: the clock moved
//! since the agent wrote), and each Graph error handled as its class says.
//! Idempotent: a message that is not `queued` any more is not sent again.
//!
//! Exactly once towards the customer: before calling Meta the sender claims
//! the message (`claimed_at`). A message found claimed (the last attempt
//! stopped between Meta's answer and our write, or Meta timed out after
//! perhaps taking it) is not sent again until [`CLAIM_GRACE_MS`] has passed
//! without its echo: the echo (whose `metadata` is the outbound id) marks
//! it sent, see `router::after_store`.

use crate::channels::{ChannelDeps, PageDeps, report_graph_error};
use crate::ids::OutboundId;
use crate::outbound::{
    CLAIM_GRACE_MS, Content, Failure, SendAs, Status, on_error, send_body, window,
};
use crate::ports::{ConversationStore, OutboundStore, StoreError, StreamStore, WorkstreamStore};
use crate::secret_lookup::page_token;
use crate::send_policy::{human_agent_tag, workstream_of};
use futures::FutureExt;
use std::sync::Arc;
use std::time::Duration;

/// What the sender takes, and nothing more: the outbound messages, the
/// conversation and its workstream (for the window), the agents' feed (to
/// tell an author of a failure), and page health (the page token, the Graph
/// API, the clock, and a token error reported on the page).
#[derive(Clone)]
pub struct SenderDeps {
    pub outbound: Arc<dyn OutboundStore>,
    pub conversations: Arc<dyn ConversationStore>,
    pub workstreams: Arc<dyn WorkstreamStore>,
    pub streams: Arc<dyn StreamStore>,
    pub pages: PageDeps,
}

impl SenderDeps {
    /// The sender's part of everything (`serve` builds one of each).
    pub fn of(channels: &ChannelDeps) -> Self {
        Self {
            outbound: channels.outbound.clone(),
            conversations: channels.conversations.clone(),
            workstreams: channels.workstreams.clone(),
            streams: channels.streams.clone(),
            pages: channels.pages(),
        }
    }
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
        at: deps.pages.clock.now(),
    }
}

async fn finish(deps: &SenderDeps, id: &OutboundId, status: Status) -> Result<Sent, SenderError> {
    match deps.outbound.finish_outbound(id, &status).await {
        Ok(()) => {
            tell_author(deps, id, &status).await;
            Ok(Sent::Done(status))
        }
        // Finished meanwhile by another delivery of the same message.
        Err(StoreError::Conflict(_)) => Ok(Sent::Done(status)),
        Err(e) => Err(e.into()),
    }
}

/// The agent who wrote it hears of a failure (with Meta's code and reason).
async fn tell_author(deps: &SenderDeps, id: &OutboundId, status: &Status) {
    let Status::Failed { code, reason, .. } = status else {
        return;
    };
    let Ok(Some(m)) = deps.outbound.get_outbound(id).await else {
        return;
    };
    let crate::outbound::Author::Agent { agent_id } = &m.author else {
        return;
    };
    crate::feed::publish(
        deps.streams.as_ref(),
        deps.pages.clock.as_ref(),
        agent_id,
        "send_failed",
        format!("send_failed:{id}"),
        Some(&m.conversation_id),
        serde_json::json!({"outbound_id": id, "code": code, "reason": reason}),
    )
    .await;
}

/// Send one outbound message. Attempts are counted on the message itself,
/// not by the queue's receive count: a message returned untried behind a
/// retried one in its conversation has not been attempted.
pub async fn send(deps: &SenderDeps, id: &OutboundId, jitter: f64) -> Result<Sent, SenderError> {
    let Some(m) = deps.outbound.get_outbound(id).await? else {
        tracing::warn!(outbound_id = %id, "no such outbound message; dropped");
        return Ok(Sent::Done(Status::Queued));
    };
    if m.status != Status::Queued {
        return Ok(Sent::Done(m.status));
    }
    let ch = &deps.pages;
    if let Some(claimed) = m.claimed_at {
        let waited = ch.clock.now().0.saturating_sub(claimed.0);
        if waited < CLAIM_GRACE_MS {
            // Meta may have taken it: give its echo time to arrive.
            let left = (CLAIM_GRACE_MS - waited).max(1000) as u64;
            tracing::info!(outbound_id = %id, waited_ms = waited, "an earlier send has no outcome yet; waiting for its echo");
            return Ok(Sent::RetryAfter(Duration::from_millis(left)));
        }
        tracing::warn!(outbound_id = %id, waited_ms = waited, "no echo for an earlier send; sending again");
    }
    let attempt = m.attempts + 1;
    let Some(conv) = deps
        .conversations
        .get_conversation(&m.conversation_id)
        .await?
    else {
        let s = failed(None, None, "the conversation no longer exists", deps);
        return finish(deps, id, s).await;
    };
    let pass = match &m.content {
        Content::PassThread {
            target_app_id,
            metadata,
        } => Some((target_app_id, metadata.as_str())),
        _ => None,
    };
    if pass.is_some()
        && let Some(newer) = deps
            .conversations
            .get_customer(&m.page_id, &m.psid)
            .await?
            .and_then(|c| c.open_conversation_id)
            .filter(|open| *open != m.conversation_id)
    {
        // The customer wrote again meanwhile: the thread stays with the new
        // conversation.
        let s = failed(
            None,
            None,
            format!(
                "Not handed back: the customer is in conversation {newer} now, which Switchboard keeps."
            ),
            deps,
        );
        return finish(deps, id, s).await;
    }
    // A message goes out under the window policy; passing the thread does not.
    let send_as = if pass.is_some() {
        SendAs::Response
    } else {
        // The workstream the reply was checked against: the conversation's.
        let tag = human_agent_tag(
            workstream_of(deps.workstreams.as_ref(), &conv)
                .await?
                .as_ref(),
        );
        match window(
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
        }
    };
    let token = page_token(ch.accounts.as_ref(), ch.secrets.as_ref(), &m.page_id)
        .await
        .map_err(|p| SenderError::Other(p.detail))?;
    let Some(token) = token else {
        let s = failed(
            None,
            None,
            "The page has no access token; connect the page again.",
            deps,
        );
        return finish(deps, id, s).await;
    };
    // The claim: from here until the outcome is written, a retry waits for
    // the echo instead of sending twice.
    let claimed = ch.clock.now();
    match deps
        .outbound
        .count_attempt(id, m.attempts, Some(claimed))
        .await
    {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => {
            // Finished meanwhile (its echo arrived): nothing to send.
            return Ok(Sent::Done(Status::Queued));
        }
        Err(e) => return Err(e.into()),
    }
    let outcome = match pass {
        Some((target, metadata)) => ch
            .graph
            .pass_thread_control(&m.page_id, &token, &m.psid, target, metadata)
            .await
            .map(|()| format!("pass_thread_control:{target}")),
        None => {
            let body = send_body(&m.psid, &m.content, send_as, id.as_str());
            ch.graph
                .send_message(&m.page_id, &token, &body)
                .await
                .map(|accepted| accepted.message_id)
        }
    };
    match outcome {
        Ok(message_id) => {
            crate::metrics::count_by("Sends", if pass.is_some() { "passed" } else { "sent" }, 1);
            let s = Status::Sent {
                message_id,
                messaging_type: send_as,
                at: ch.clock.now(),
            };
            finish(deps, id, s).await
        }
        // An earlier attempt that timed out passed it after all: the other
        // app owns the thread, as wanted.
        Err(e) if pass.is_some() && attempt > 1 && e.subcode == Some(2_018_300) => {
            let s = Status::Sent {
                message_id: format!(
                    "pass_thread_control:{}",
                    pass.map_or("", |(t, _)| t.as_str())
                ),
                messaging_type: SendAs::Response,
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
                    // Meta answered with an error: it did not take the
                    // message, so the claim goes. No answer (a timeout, a
                    // broken connection) keeps it: Meta may have taken it.
                    let claim = e.code.is_none().then_some(claimed);
                    match deps.outbound.count_attempt(id, attempt, claim).await {
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

/// One message of the outbound queue (`OutboxMessage` JSON): parse and send.
/// A body that is not one is dropped with an error log (retrying cannot fix it).
pub async fn handle_message(
    deps: &SenderDeps,
    body: &str,
    receive_count: u32,
) -> Result<Sent, SenderError> {
    let msg: crate::delivery::OutboxMessage = match serde_json::from_str(body) {
        Ok(m) => m,
        Err(e) => {
            tracing::error!(error = %e, "outbound queue message is not an outbound id; dropped");
            return Ok(Sent::Done(Status::Queued));
        }
    };
    let span = tracing::info_span!("send", outbound_id = %msg.outbound_id, receive_count);
    use tracing::Instrument;
    send(deps, &msg.outbound_id, rand::random::<f64>())
        .instrument(span)
        .await
}

/// One message of a received batch.
#[derive(Debug, Clone)]
pub struct SendItem<'a> {
    pub message_id: &'a str,
    pub group: &'a str,
    pub body: &'a str,
    pub receive_count: u32,
}

/// What to do with a received message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settle {
    Delete,
    /// Visible again after this long (and reported failed to SQS).
    Retry(Duration),
}

/// Send a batch: groups (conversations) concurrently, each in order; after
/// a message of a group is to be retried, the rest of that group is
/// returned untried, so a conversation's messages never overtake each other.
pub async fn process_batch(deps: &SenderDeps, items: &[SendItem<'_>]) -> Vec<Settle> {
    let mut groups: Vec<(&str, Vec<usize>)> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match groups.iter_mut().find(|(g, _)| *g == item.group) {
            Some((_, v)) => v.push(i),
            None => groups.push((item.group, vec![i])),
        }
    }
    let runs = groups.into_iter().map(|(_, members)| async move {
        let mut out = Vec::new();
        let mut blocked = false;
        for i in members {
            let item = &items[i];
            if blocked {
                out.push((i, Settle::Retry(Duration::ZERO)));
                continue;
            }
            // A panic fails this message only: it is retried, then dead-lettered.
            let run = std::panic::AssertUnwindSafe(handle_message(
                deps,
                item.body,
                item.receive_count,
            ));
            let settle = match run.catch_unwind().await {
                Ok(Ok(Sent::Done(_))) => Settle::Delete,
                Ok(Ok(Sent::RetryAfter(after))) => Settle::Retry(after),
                Ok(Err(e)) => {
                    tracing::error!(message_id = item.message_id, error = %e, "send failed; it will be retried");
                    Settle::Retry(Duration::from_secs(5))
                }
                Err(panic) => {
                    let error = crate::panics::describe(panic.as_ref());
                    tracing::error!(message_id = item.message_id, %error, "send failed; it will be retried");
                    Settle::Retry(Duration::from_secs(5))
                }
            };
            blocked = settle != Settle::Delete;
            out.push((i, settle));
        }
        out
    });
    let mut settled: Vec<(usize, Settle)> = futures::future::join_all(runs)
        .await
        .into_iter()
        .flatten()
        .collect();
    settled.sort_by_key(|(i, _)| *i);
    settled.into_iter().map(|(_, s)| s).collect()
}
