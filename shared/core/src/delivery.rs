//! Putting messages on their way to the customer, and what routing changes
//! cause: the outbound record (`queued`) then the outbound queue (group per
//! conversation, so a conversation's messages keep their order); automated
//! messages and the survey; agents' feed events.

use crate::feed;
use crate::ids::{ConversationId, OutboundId};
use crate::outbound::{Author, Content, Outbound, QuickReply, Status, window};
use crate::ports::{Conversation, ConversationState, OutgoingMessage, RoutingOp, StoreError};
use crate::routing::RoutingDeps;
use crate::routing::record::Routing;
use crate::workstreams::{Trigger, Workstream};
use serde::{Deserialize, Serialize};

/// What the outbound queue carries.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OutboxMessage {
    pub outbound_id: OutboundId,
}

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the outbound queue did not take the message: {0}")]
    Queue(String),
}

/// Record a message `queued` and put it on the outbound queue. When the
/// queue refuses it, the record is failed (the agent sees it and may send
/// again) and the error returned.
pub async fn enqueue(
    deps: &RoutingDeps,
    conv: &Conversation,
    author: Author,
    content: Content,
) -> Result<Outbound, DeliveryError> {
    let m = Outbound {
        id: OutboundId::generate(),
        conversation_id: conv.id.clone(),
        page_id: conv.page_id.clone(),
        psid: conv.psid.clone(),
        author,
        content,
        status: Status::Queued,
        attempts: 0,
        claimed_at: None,
        created_at: deps.clock.now(),
    };
    let body = serde_json::to_string(&OutboxMessage {
        outbound_id: m.id.clone(),
    })
    .unwrap_or_default();
    let msg = OutgoingMessage {
        group: conv.id.to_string(),
        dedup_id: m.id.to_string(),
        body,
    };
    let Some(outbox) = &deps.outbox else {
        return Err(DeliveryError::Queue(
            "this deployment has no outbound queue".into(),
        ));
    };
    deps.outbound.put_outbound(&m).await?;
    let refused = match outbox.send_batch(std::slice::from_ref(&msg)).await {
        Ok(f) if f.is_empty() => None,
        Ok(f) => Some(f[0].message.clone()),
        Err(e) => Some(e.to_string()),
    };
    if let Some(why) = refused {
        let failed = Status::Failed {
            code: None,
            subcode: None,
            reason: format!("Not sent: the outbound queue did not take it ({why}); send it again."),
            at: deps.clock.now(),
        };
        let _ = deps.outbound.finish_outbound(&m.id, &failed).await;
        return Err(DeliveryError::Queue(why));
    }
    crate::metrics::count("MessagesQueued", 1);
    Ok(m)
}

/// Send the workstream's automated message for `trigger`, if it has one and
/// the 24-hour window is open (never tagged). Best effort: logged on failure.
pub async fn automated(
    deps: &RoutingDeps,
    conv: &Conversation,
    ws: &Workstream,
    trigger: Trigger,
    vars: &[(&str, &str)],
) {
    let language = conv.routing.as_ref().and_then(|r| r.language.as_deref());
    automated_in(deps, conv, ws, trigger, language, vars).await
}

/// [`automated`] in `language` (the customer's, when routing has not
/// classified the conversation yet).
pub async fn automated_in(
    deps: &RoutingDeps,
    conv: &Conversation,
    ws: &Workstream,
    trigger: Trigger,
    language: Option<&str>,
    vars: &[(&str, &str)],
) {
    let Some(text) = ws.automated(trigger, language, vars) else {
        return;
    };
    let author = Author::Automated {
        message: trigger.as_str().to_string(),
    };
    send_best_effort(
        deps,
        conv,
        author,
        Content::Text {
            text,
            quick_replies: Vec::new(),
        },
    )
    .await;
}

pub(crate) async fn send_best_effort(
    deps: &RoutingDeps,
    conv: &Conversation,
    author: Author,
    content: Content,
) {
    if let Err(closed) = window(
        conv.last_customer_message_at,
        deps.clock.now(),
        &author,
        false,
    ) {
        tracing::info!(conversation_id = %conv.id, reason = %closed.reason, "automated message not sent");
        return;
    }
    if let Err(e) = content.check() {
        tracing::warn!(conversation_id = %conv.id, error = %e, "automated message not sent");
        return;
    }
    if let Err(e) = enqueue(deps, conv, author, content).await {
        tracing::warn!(conversation_id = %conv.id, error = %e, "automated message not queued");
    }
}

/// How the routing diagnostics introduce an overflow's own message.
pub const OVERFLOW_MESSAGE: &str = "; message to the customer: ";

/// Send an overflow's own message (automated, inside the 24-hour window only).
pub async fn overflow_message(deps: &RoutingDeps, conv: &Conversation, text: &str) {
    overflow_message_as(deps, conv, "overflow", text).await
}

/// Send a fixed automated text (inside the 24-hour window only).
pub async fn overflow_message_as(deps: &RoutingDeps, conv: &Conversation, kind: &str, text: &str) {
    let author = Author::Automated {
        message: kind.to_string(),
    };
    let content = Content::Text {
        text: text.to_string(),
        quick_replies: Vec::new(),
    };
    send_best_effort(deps, conv, author, content).await;
}

/// The survey's quick-reply payload prefix:
/// `SURVEY:{conversation}:{score}:{token}`. The token is random per survey
/// and kept with the sent message: an answer counts only when its payload
/// is one Switchboard sent (so it cannot be made up), and agents may not
/// send payloads with this prefix at all.
pub const SURVEY_PAYLOAD: &str = "SURVEY:";

/// Send the post-conversation survey (inside the 24-hour window only).
pub async fn survey(deps: &RoutingDeps, conv: &Conversation, ws: &Workstream) {
    if let Some(s) = &ws.survey {
        send_survey(deps, conv, s).await;
    }
}

/// Send `s` to the customer (the workstream's survey, or its bot's).
pub async fn send_survey(deps: &RoutingDeps, conv: &Conversation, s: &crate::workstreams::Survey) {
    let content = match &s.link {
        Some(link) => Content::Text {
            text: format!(
                "{} {}",
                s.question,
                link.replace("{ConversationId}", conv.id.as_str())
            ),
            quick_replies: Vec::new(),
        },
        None => {
            let token = crate::secret::Secret::generate(16);
            Content::Text {
                text: s.question.clone(),
                quick_replies: (1..=5)
                    .map(|n| QuickReply {
                        title: n.to_string(),
                        payload: format!("{SURVEY_PAYLOAD}{}:{n}:{}", conv.id, token.expose()),
                    })
                    .collect(),
            }
        }
    };
    send_best_effort(deps, conv, Author::Survey, content).await;
}

/// Every survey answer, oldest first (the admin API lists them).
pub const SURVEYS_STREAM: &str = "surveys";

/// The answers to one conversation's survey.
pub fn survey_stream(id: &ConversationId) -> String {
    format!("survey:{id}")
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurveyAnswer {
    pub conversation_id: ConversationId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workstream: Option<crate::workstreams::WorkstreamId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<crate::routing::model::AgentId>,
    /// The queue it was routed to (absent in answers stored before this was kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<crate::routing::model::QueueId>,
    pub score: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mid: Option<String>,
    #[serde(with = "crate::time::rfc3339")]
    pub answered_at: crate::time::Millis,
}

/// A survey answer in a quick reply's payload: (conversation, score 1-5).
/// Whether Switchboard sent that payload is the router's to check.
pub fn survey_answer(payload: &str) -> Option<(ConversationId, u8)> {
    let mut parts = payload.strip_prefix(SURVEY_PAYLOAD)?.split(':');
    let conv = ConversationId::parse(parts.next()?).ok()?;
    let score: u8 = parts.next()?.parse().ok().filter(|s| (1..=5).contains(s))?;
    // Then the token, and nothing more.
    (parts.next().is_some() && parts.next().is_none()).then_some((conv, score))
}

/// The steps this write (the one that makes routing version `rv`) added.
fn new_steps(r: &Routing, rv: u64) -> Vec<&str> {
    r.decisions
        .iter()
        .filter(|d| d.rv == rv)
        .map(|d| d.step.as_str())
        .collect()
}

/// What a successful routing write causes outside the store: the agents'
/// feed events and the automated messages and survey. Best effort.
pub async fn after_apply(deps: &RoutingDeps, ops: &[RoutingOp]) {
    let Some(crate::ports::ConversationWrite {
        id,
        state,
        routing: r,
        at,
        rv,
    }) = RoutingOp::conversation_write(ops)
    else {
        return;
    };
    let released: Option<&crate::routing::model::AgentId> = ops.iter().find_map(|op| match op {
        RoutingOp::Release { agent, .. } => Some(agent),
        _ => None,
    });
    let steps = new_steps(r, rv);
    if steps.is_empty() {
        return;
    }
    let publish =
        |agent: &crate::routing::model::AgentId, kind: &'static str, data: serde_json::Value| {
            let agent = agent.clone();
            let id = id.clone();
            async move {
                feed::publish(
                    deps.streams.as_ref(),
                    deps.clock.as_ref(),
                    &agent,
                    kind,
                    format!("{kind}:{id}:{}", at.0),
                    Some(&id),
                    data,
                )
                .await
            }
        };
    // Agents first: they are waiting on it.
    for step in &steps {
        match *step {
            "offered" => {
                if let Some(o) = &r.offer {
                    publish(
                        &o.agent,
                        "offer",
                        serde_json::json!({"expires_at": o.expires_at.to_rfc3339(), "queue_id": r.queue}),
                    )
                    .await;
                }
            }
            "assigned" | "accepted" => {
                if let Some(a) = &r.agent {
                    publish(a, "assigned", serde_json::json!({"queue_id": r.queue})).await;
                }
            }
            "declined" | "offer_expired" | "offer_withdrawn" => {
                if let Some(a) = released {
                    publish(a, "offer_withdrawn", serde_json::json!({"reason": step})).await;
                }
            }
            "transferred" => {
                if let Some(a) = released {
                    publish(
                        a,
                        "transferred",
                        serde_json::json!({"to_queue": r.queue, "to_agent": r.agent}),
                    )
                    .await;
                }
            }
            "closed" | "overflow_ended" => {
                if let Some(a) = &r.agent {
                    publish(a, "closed", serde_json::json!({"reason": r.reason})).await;
                }
            }
            _ => {}
        }
    }
    // Then the customer.
    let mut triggers: Vec<Trigger> = Vec::new();
    let all: Vec<Trigger> = steps
        .iter()
        .filter_map(|s| match *s {
            "queued" if state == ConversationState::Waiting => {
                let times = r.decisions.iter().filter(|d| d.step == "queued").count();
                Some(if times > 1 {
                    Trigger::Transferred
                } else {
                    Trigger::Queued
                })
            }
            "accepted" | "assigned" => Some(Trigger::Assigned),
            "transferred" => Some(Trigger::Transferred),
            "ended" => Some(Trigger::Ended),
            "closed" if r.reason.contains("no activity") => Some(Trigger::ClosedInactive),
            // Unless the queue's overflow has a message of its own (the engine sends it).
            "overflow_ended"
                if r.reason.contains("hours")
                    && !r
                        .decisions
                        .iter()
                        .any(|d| d.rv == rv && d.detail.contains(OVERFLOW_MESSAGE)) =>
            {
                Some(Trigger::OutOfHours)
            }
            _ => None,
        })
        .collect();
    for t in all {
        if !triggers.contains(&t) {
            triggers.push(t);
        }
    }
    // Another app has the thread now, or the customer's data was erased:
    // nothing more goes to the customer.
    if r.thread.as_ref().is_some_and(|t| t.gone_to.is_some()) || r.erased_at.is_some() {
        return;
    }
    automated_messages(deps, id, r, &triggers).await;
    let closed = state == ConversationState::Closed
        && (steps.contains(&"closed") || steps.contains(&"overflow_ended"));
    if closed {
        // The survey (an agent's, or the bot's when it ended the
        // conversation alone), then the thread goes back as the page says:
        // after the automated messages, in that order, on the
        // conversation's outbound group.
        closing_messages(deps, id, r).await;
        if had_thread(r) {
            hand_back(deps, id).await;
        }
    }
}

/// Whether Switchboard worked the conversation (routed it, gave it to the
/// bot, or was passed it): one kept only as context while another app had
/// the thread has nothing to hand back.
fn had_thread(r: &Routing) -> bool {
    r.workstream.is_some()
        || r.bot.is_some()
        || r.thread.as_ref().is_some_and(|t| t.passed_from.is_some())
}

/// The workstream's automated messages for `triggers`, with the agent's
/// and the queue's names filled in.
async fn automated_messages(
    deps: &RoutingDeps,
    id: &ConversationId,
    r: &Routing,
    triggers: &[Trigger],
) {
    if triggers.is_empty() {
        return;
    }
    let (conv, ws) = match load_with_workstream(deps, id, r).await {
        Some(x) => x,
        None => return,
    };
    let agent_name = match &r.agent {
        Some(a) => match deps.config.get_agent(a).await {
            Ok(Some(s)) => s.agent.name.clone(),
            _ => a.to_string(),
        },
        None => String::new(),
    };
    let queue_name = match &r.queue {
        Some(q) => match deps.config.get_queue(q).await {
            Ok(Some(q)) => q.name,
            _ => q.to_string(),
        },
        None => String::new(),
    };
    let vars = [
        ("{AgentName}", agent_name.as_str()),
        ("{QueueName}", queue_name.as_str()),
    ];
    for t in triggers {
        automated(deps, &conv, &ws, *t, &vars).await;
    }
}

/// The survey of a conversation that just closed: the workstream's when an
/// agent took it, the bot's when the bot handled it alone.
async fn closing_messages(deps: &RoutingDeps, id: &ConversationId, r: &Routing) {
    let Some((conv, ws)) = load_with_workstream(deps, id, r).await else {
        return;
    };
    if r.assigned_at.is_some() {
        survey(deps, &conv, &ws).await;
    } else if r.bot.as_ref().is_some_and(|b| b.escalated.is_none())
        && r.reason == crate::routing::engine::BOT_ENDED_REASON
        && let Some(s) = ws.bot.as_ref().and_then(|b| b.survey.as_ref())
    {
        send_survey(deps, &conv, s).await;
    }
}

/// Conversation Routing: a closed conversation's thread is passed to the
/// app the page names (see [`crate::thread_control::ConversationRouting`]),
/// through the sender so it follows the survey. Best effort: logged.
pub async fn hand_back(deps: &RoutingDeps, id: &ConversationId) {
    let conv = match deps.conversations.get_conversation(id).await {
        Ok(Some(c)) => c,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(conversation_id = %id, error = %e, "the thread was not handed back");
            return;
        }
    };
    let target = match deps.pages.get_page(&conv.page_id).await {
        // A page being removed is unsubscribed already: nothing to pass.
        Ok(p) => p
            .filter(|p| {
                p.is_live()
                    && p.provisioning.state
                        != crate::provisioning::ProvisioningState::Deprovisioning
            })
            .and_then(|p| p.conversation_routing.hand_back_target()),
        Err(e) => {
            tracing::warn!(conversation_id = %id, error = %e, "the thread was not handed back");
            return;
        }
    };
    let Some(target) = target else {
        return;
    };
    let content = Content::PassThread {
        target_app_id: target,
        metadata: format!("switchboard: conversation {id} closed"),
    };
    let author = Author::Automated {
        message: "hand_back".into(),
    };
    match enqueue(deps, &conv, author, content).await {
        Ok(_) => crate::metrics::count("ThreadsHandedBack", 1),
        Err(e) => {
            tracing::warn!(conversation_id = %id, error = %e, "the thread was not handed back")
        }
    }
}

async fn load_with_workstream(
    deps: &RoutingDeps,
    id: &ConversationId,
    r: &Routing,
) -> Option<(Conversation, Workstream)> {
    let ws_id = r.workstream.as_ref()?;
    let conv = deps
        .conversations
        .get_conversation(id)
        .await
        .ok()
        .flatten()?;
    let ws = deps
        .workstreams
        .get_workstream(ws_id)
        .await
        .ok()
        .flatten()?;
    Some((conv, ws))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn survey_payloads() {
        let id = ConversationId::generate();
        assert_eq!(
            survey_answer(&format!("SURVEY:{id}:4:tok")),
            Some((id.clone(), 4))
        );
        assert_eq!(survey_answer(&format!("SURVEY:{id}:4")), None, "no token");
        assert_eq!(survey_answer(&format!("SURVEY:{id}:4:a:b")), None);
        assert_eq!(survey_answer(&format!("SURVEY:{id}:9:tok")), None);
        assert_eq!(survey_answer("SURVEY:x"), None);
        assert_eq!(survey_answer("OTHER:1"), None);
    }
}
