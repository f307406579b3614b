//! The bot's flows over HTTP: greet a conversation that reaches the bot,
//! post each customer event to it (signed like Meta's webhooks, retried
//! with backoff, in order because the router handles a conversation's
//! events one at a time), and act on what it answers or sends through the
//! bot API: messages (automated, `RESPONSE` only), escalation, end. A bot
//! that fails `max_failures` times in a row, cannot be reached at all, or
//! answers nothing usable never strands the customer: the conversation
//! goes to humans with the reason.

use super::wire::{BotMessage, Delivery, Reply};
use super::{DELIVERY_HEADER, EscalatedBy, Escalation, SIGNATURE_HEADER};
use crate::event::InboundEvent;
use crate::ids::ConversationId;
use crate::outbound::{Author, Outbound};
use crate::ports::{Conversation, ConversationState};
use crate::routing::engine::{self, Delivered, RoutingDeps, RoutingError};
use crate::workstreams::Workstream;
use std::time::Duration;

/// The first retry waits this long; each next one twice as long.
const FIRST_BACKOFF_MS: u64 = 250;
const MAX_BACKOFF_MS: u64 = 4_000;

/// The wait before retry `n` (0-based).
pub fn backoff(n: u32) -> Duration {
    Duration::from_millis(
        FIRST_BACKOFF_MS
            .saturating_mul(1u64 << n.min(16))
            .min(MAX_BACKOFF_MS),
    )
}

/// The longest the tries for one customer event can take: `tries` posts
/// that each time out after `timeout_ms`, and the backoff between them.
pub fn worst_tries_ms(timeout_ms: u64, tries: u32) -> u64 {
    let waits: u64 = (0..tries.saturating_sub(1))
        .map(|n| backoff(n).as_millis() as u64)
        .sum();
    timeout_ms
        .saturating_mul(u64::from(tries))
        .saturating_add(waits)
}

/// Send the bot's greeting to a conversation that has just reached it
/// (best effort, inside the 24-hour window).
pub async fn greet(deps: &RoutingDeps, conv: &Conversation, ws: &Workstream) {
    if let Some(text) = ws.bot.as_ref().and_then(|b| b.greeting.clone()) {
        crate::delivery::send_best_effort(
            deps,
            conv,
            Author::Bot,
            crate::outbound::Content::Text {
                text,
                quick_replies: Vec::new(),
            },
        )
        .await;
    }
}

/// Whether `conv` is with the bot and the bot has not taken `event` yet
/// (what [`on_customer_event`] acts on).
pub fn for_the_bot(conv: &Conversation, event: &InboundEvent) -> bool {
    conv.state == ConversationState::Bot
        && conv
            .routing
            .as_ref()
            .and_then(|r| r.bot.as_ref())
            .is_some_and(|record| record.delivered.as_deref() != Some(&event.key))
}

/// A customer event was stored on conversation `id`: when it is with the
/// bot and the bot has not taken this event yet, post it and act on the
/// answer. Safe to call for any conversation and again.
pub async fn on_customer_event(
    deps: &RoutingDeps,
    id: &ConversationId,
    event: &InboundEvent,
) -> Result<(), RoutingError> {
    match deps.conversations.get_conversation(id).await? {
        Some(conv) => on_customer_event_in(deps, conv, event).await,
        None => Ok(()),
    }
}

/// [`on_customer_event`] for the conversation as the caller has just read it.
pub async fn on_customer_event_in(
    deps: &RoutingDeps,
    conv: Conversation,
    event: &InboundEvent,
) -> Result<(), RoutingError> {
    let id = &conv.id.clone();
    let Some(record) = conv.routing.as_ref().and_then(|r| r.bot.as_ref()) else {
        return Ok(());
    };
    if !for_the_bot(&conv, event) {
        return Ok(());
    }
    let prior_failures = record.failures;
    let ws = match conv.routing.as_ref().and_then(|r| r.workstream.as_ref()) {
        Some(w) => deps.workstreams.get_workstream(w).await?,
        None => None,
    };
    let (Some(ws), Some(bots)) = (ws, &deps.bots) else {
        let why = if deps.bots.is_none() {
            "this deployment reaches no bot"
        } else {
            "the workstream is gone"
        };
        return to_humans(deps, id, why.to_string()).await;
    };
    let Some(bot) = ws.bot.clone() else {
        return to_humans(deps, id, "the workstream no longer has a bot".into()).await;
    };
    let secret = match bots.secrets.get(&bot.secret_ref).await {
        Ok(Some(s)) => s,
        Ok(None) => {
            return to_humans(
                deps,
                id,
                "the bot's secret is missing; set it again on the workstream".into(),
            )
            .await;
        }
        Err(e) => {
            return Err(RoutingError::Store(crate::ports::StoreError::Unavailable(
                e.to_string(),
            )));
        }
    };
    let body = match serde_json::to_vec(&Delivery::of(&conv, ws.id.as_str(), event)) {
        Ok(b) => b,
        Err(e) => return to_humans(deps, id, format!("the event could not be posted: {e}")).await,
    };
    let headers = [
        (
            SIGNATURE_HEADER,
            crate::signature::sign(secret.expose().as_bytes(), &body),
        ),
        (DELIVERY_HEADER, event.key.clone()),
    ];
    let tries = bot.max_failures.saturating_sub(prior_failures).max(1);
    let mut failed = 0;
    let mut why = String::new();
    let mut answer = None;
    for n in 0..tries {
        match bots
            .client
            .post(&bot.url, &headers, body.clone(), bot.timeout_ms)
            .await
        {
            Ok(b) => {
                answer = Some(b);
                break;
            }
            Err(e) => {
                failed += 1;
                why = e.to_string();
                tracing::warn!(conversation_id = %id, attempt = n + 1, error = %why, "bot delivery failed");
                if n + 1 < tries {
                    tokio::time::sleep(backoff(n)).await;
                }
            }
        }
    }
    let within = bot.answer_within_seconds;
    let Some(raw) = answer else {
        let record = engine::bot_delivered(
            deps,
            id,
            event.timestamp,
            within,
            &Delivered::Failed {
                failures: failed,
                why: why.clone(),
            },
        )
        .await?;
        if record.is_some_and(|r| r.failures >= bot.max_failures) {
            let n = prior_failures + failed;
            return to_humans(
                deps,
                id,
                format!("the bot failed {n} times in a row ({why})"),
            )
            .await;
        }
        return Ok(());
    };
    let reply = parse_reply(&raw);
    let answered = reply.as_ref().is_ok_and(|r| !r.messages.is_empty());
    let taken = Delivered::Taken {
        key: event.key.clone(),
        answered,
    };
    if engine::bot_delivered(deps, id, event.timestamp, within, &taken)
        .await?
        .is_none()
    {
        // It left the bot meanwhile (escalated through the bot API).
        return Ok(());
    }
    match reply {
        Ok(reply) => act(deps, id, &reply, Via::Answer).await.map(|_| ()),
        Err(why) => {
            to_humans(
                deps,
                id,
                format!("the bot's answer was not understood: {why}"),
            )
            .await
        }
    }
}

/// The bot's HTTP answer: empty is "I will act later".
pub fn parse_reply(raw: &[u8]) -> Result<Reply, String> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Ok(Reply::default());
    }
    let reply: Reply = serde_json::from_slice(raw).map_err(|e| e.to_string())?;
    reply.check()?;
    Ok(reply)
}

/// Switchboard hands the conversation to humans itself, saying why.
async fn to_humans(
    deps: &RoutingDeps,
    id: &ConversationId,
    why: String,
) -> Result<(), RoutingError> {
    tracing::warn!(conversation_id = %id, reason = %why, "escalating from the bot");
    match engine::escalate(deps, id, Escalation::because(why), EscalatedBy::Switchboard).await {
        Ok(_) | Err(RoutingError::Conflict(_)) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Where the bot's actions came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// Its HTTP answer to a delivery: a message that cannot be queued is
    /// logged, not an error.
    Answer,
    /// The bot API: a message that cannot be queued is the caller's error.
    Api,
}

/// What acting on a bot's reply did.
#[derive(Debug, Default)]
pub struct Acted {
    pub messages: Vec<Outbound>,
    pub conversation: Option<Conversation>,
}

/// Act on a (checked) reply for a conversation that is with the bot:
/// send its messages, then escalate or end. `Conflict` when it is not with
/// the bot any more.
pub async fn act(
    deps: &RoutingDeps,
    id: &ConversationId,
    reply: &Reply,
    via: Via,
) -> Result<Acted, RoutingError> {
    let conv = deps
        .conversations
        .get_conversation(id)
        .await?
        .ok_or_else(|| RoutingError::NotFound(format!("no conversation {id}")))?;
    if conv.state != ConversationState::Bot {
        return Err(RoutingError::Conflict(format!(
            "conversation {id} is not with the bot: it is {}",
            conv.state.as_str()
        )));
    }
    let mut acted = Acted::default();
    for m in &reply.messages {
        match send(deps, &conv, m).await {
            Ok(o) => acted.messages.push(o),
            Err(e) if via == Via::Answer => {
                tracing::warn!(conversation_id = %id, error = %e, "the bot's message was not sent")
            }
            Err(e) => return Err(e),
        }
    }
    if !acted.messages.is_empty() && via == Via::Api {
        engine::bot_answered(deps, id).await?;
    }
    if let Some(e) = &reply.escalate {
        acted.conversation = Some(engine::escalate(deps, id, e.clone(), EscalatedBy::Bot).await?);
    } else if reply.end {
        // Closing sends the bot's survey (`delivery::after_apply`).
        acted.conversation = Some(engine::bot_end(deps, id).await?);
    }
    Ok(acted)
}

/// Queue one bot message: automated, inside the 24-hour window only.
async fn send(
    deps: &RoutingDeps,
    conv: &Conversation,
    m: &BotMessage,
) -> Result<Outbound, RoutingError> {
    let content = m.content().map_err(RoutingError::Conflict)?;
    if let Err(closed) = crate::outbound::window(
        conv.last_customer_message_at,
        deps.clock.now(),
        &Author::Bot,
        false,
    ) {
        return Err(RoutingError::Conflict(format!(
            "the bot's message cannot be sent: {}",
            closed.reason
        )));
    }
    crate::delivery::enqueue(deps, conv, Author::Bot, content)
        .await
        .map_err(|e| match e {
            crate::delivery::DeliveryError::Store(s) => RoutingError::Store(s),
            other => RoutingError::Conflict(other.to_string()),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_stops_growing() {
        assert_eq!(backoff(0), Duration::from_millis(250));
        assert_eq!(backoff(1), Duration::from_millis(500));
        assert_eq!(backoff(10), Duration::from_millis(4000));
        assert_eq!(backoff(u32::MAX), Duration::from_millis(4000));
    }

    #[test]
    fn the_worst_case_counts_the_waits_between_tries() {
        assert_eq!(worst_tries_ms(5_000, 1), 5_000);
        // 5 s three times, and 250 + 500 ms between.
        assert_eq!(worst_tries_ms(5_000, 3), 15_750);
        // 2 s ten times, and 250 + 500 + 1,000 + 2,000 + 4,000 x 5 between.
        assert_eq!(worst_tries_ms(2_000, 10), 43_750);
        assert_eq!(worst_tries_ms(1_000, 0), 0);
    }

    #[test]
    fn an_empty_answer_means_later_and_a_bad_one_is_refused() {
        assert_eq!(parse_reply(b"").unwrap(), Reply::default());
        assert_eq!(parse_reply(b" \n").unwrap(), Reply::default());
        assert!(parse_reply(b"not json").is_err());
        assert!(parse_reply(br#"{"end":true,"escalate":{"reason":"x"}}"#).is_err());
        assert!(parse_reply(br#"{"messages":[{"text":"hi"}],"end":true}"#).is_ok());
    }
}
