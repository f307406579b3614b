//! The bot's part of routing. A new conversation of a workstream with a bot
//! starts in state `bot`: no queue, no agent, no capacity. What the bot's
//! deliveries come to is recorded on it (failures in a row, the last event
//! it took, whether the customer waits for an answer, with a timer that
//! escalates a silent bot). Escalation classifies and routes it to humans
//! as a new arrival would, the rules starting from what the bot asked; the
//! bot ending it closes it. The HTTP side is `crate::bot::flow`.

use super::arrival::route_new;
use super::{Result, RoutingDeps, RoutingError, decision, load, set_conv, try_apply};
use crate::bot::{BotRecord, Escalated, EscalatedBy, Escalation};
use crate::ids::ConversationId;
use crate::ports::{Conversation, ConversationState, RoutingOp};
use crate::routing::model::CapacityNeed;
use crate::routing::record::{Routing, Timer, TimerKind};
use crate::time::Millis;
use crate::workstreams::Workstream;

/// The routing record and write that hand a new conversation to `ws`'s bot.
pub(super) fn to_bot(
    conv: &Conversation,
    mut r: Routing,
    ws: &Workstream,
    now: Millis,
) -> RoutingOp {
    r.workstream = Some(ws.id.clone());
    r.capacity = CapacityNeed {
        units: 0,
        profile: None,
    };
    r.bot = Some(BotRecord::new(now));
    r.reason = "with the workstream's bot".into();
    r.record(decision(
        now,
        "bot",
        format!(
            "workstream {} has a bot: it answers first, and no agent's capacity is used",
            ws.id
        ),
    ));
    set_conv(conv, ConversationState::Bot, r, now)
}

/// What one delivery to the bot came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivered {
    /// The bot took the event (it may have answered in the same breath).
    Taken { key: String, answered: bool },
    /// Deliveries of it failed this many more times (in a row).
    Failed { failures: u32, why: String },
}

/// Record a delivery's outcome on a conversation still with the bot; the
/// record as written, `None` when the conversation left the bot meanwhile.
/// A customer event the bot took without answering starts the wait that
/// [`TimerKind::BotSilent`] bounds (`answer_within_seconds`).
pub async fn bot_delivered(
    deps: &RoutingDeps,
    id: &ConversationId,
    customer_at: Millis,
    answer_within_seconds: u64,
    outcome: &Delivered,
) -> Result<Option<BotRecord>> {
    for _ in 0..5 {
        let conv = load(deps, id).await?;
        let mut r = conv.routing.clone().unwrap_or_default();
        let (ConversationState::Bot, Some(b)) = (conv.state, r.bot.as_mut()) else {
            return Ok(None);
        };
        let now = deps.clock.now();
        let mut ops = Vec::new();
        match outcome {
            Delivered::Taken { key, answered } => {
                b.failures = 0;
                b.delivered = Some(key.clone());
                if *answered {
                    b.unanswered_since = None;
                    b.answered_at = Some(now);
                } else if b.unanswered_since.is_none() {
                    b.unanswered_since = Some(customer_at);
                    ops.push(RoutingOp::PutTimer(Timer {
                        kind: TimerKind::BotSilent,
                        due: Millis(now.0 + answer_within_seconds as i64 * 1000),
                        conversation_id: id.clone(),
                    }));
                }
            }
            Delivered::Failed { failures, why } => {
                b.failures += failures;
                let n = b.failures;
                r.record(decision(
                    now,
                    "bot_failed",
                    format!("{n} failed deliveries in a row: {why}"),
                ));
            }
        }
        let record = r.bot.clone();
        ops.insert(0, set_conv(&conv, ConversationState::Bot, r, now));
        if try_apply(deps, &ops).await? {
            return Ok(record);
        }
    }
    Err(RoutingError::Conflict(format!(
        "conversation {id} kept changing; try again"
    )))
}

/// The bot sent the customer a message (through the bot API): they no
/// longer wait for it.
pub async fn bot_answered(deps: &RoutingDeps, id: &ConversationId) -> Result<()> {
    for _ in 0..5 {
        let conv = load(deps, id).await?;
        let mut r = conv.routing.clone().unwrap_or_default();
        let (ConversationState::Bot, Some(b)) = (conv.state, r.bot.as_mut()) else {
            return Ok(());
        };
        let now = deps.clock.now();
        b.unanswered_since = None;
        b.answered_at = Some(now);
        if try_apply(deps, &[set_conv(&conv, ConversationState::Bot, r, now)]).await? {
            return Ok(());
        }
    }
    Err(RoutingError::Conflict(format!(
        "conversation {id} kept changing; try again"
    )))
}

/// Hand a conversation that is with the bot to humans: classify it (the
/// rules start from the escalation's skills, attributes and priority) and
/// queue and offer it as a new arrival. `Conflict` when it is not with the
/// bot (escalated already, ended, closed).
pub async fn escalate(
    deps: &RoutingDeps,
    id: &ConversationId,
    e: Escalation,
    by: EscalatedBy,
) -> Result<Conversation> {
    for _ in 0..5 {
        let mut conv = load(deps, id).await?;
        if conv.state != ConversationState::Bot {
            return Err(RoutingError::Conflict(format!(
                "conversation {id} is not with the bot: it is {}",
                conv.state.as_str()
            )));
        }
        // The customer's latest event carries the facts the rules read.
        let timeline = deps.conversations.timeline(id).await?;
        let Some(event) = timeline
            .iter()
            .rev()
            .find(|e| e.kind.is_customer_activity())
        else {
            return Err(RoutingError::Conflict(format!(
                "conversation {id} has no customer message to route"
            )));
        };
        let now = deps.clock.now();
        let mut r = conv.routing.clone().unwrap_or_default();
        let b = r.bot.get_or_insert(BotRecord::new(now));
        b.unanswered_since = None;
        b.escalated = Some(Escalated {
            at: now,
            by,
            escalation: e.clone(),
        });
        r.record(decision(
            now,
            "escalated",
            match by {
                EscalatedBy::Bot => {
                    format!("the bot handed the conversation to humans: {}", e.reason)
                }
                EscalatedBy::Switchboard => {
                    format!("handed to humans without the bot: {}", e.reason)
                }
            },
        ));
        let rv = conv.rv;
        conv.routing = Some(r);
        route_new(deps, conv, event, Some(&e)).await?;
        let now_conv = load(deps, id).await?;
        if now_conv.rv != rv {
            crate::metrics::count("BotEscalations", 1);
            return Ok(now_conv);
        }
        // Someone moved first: look again.
    }
    Err(RoutingError::Conflict(format!(
        "conversation {id} kept changing; try again"
    )))
}

/// Why a conversation the bot ended alone closed.
const BOT_ENDED: &str = "the bot ended the conversation";
/// The routing `reason` of a conversation the bot ended alone (its survey
/// is the bot's).
pub const BOT_ENDED_REASON: &str = "closed: the bot ended the conversation";

/// The bot ends a conversation it handled alone: it is closed (the bot's
/// survey, when it has one, is the flow's to send).
pub async fn bot_end(deps: &RoutingDeps, id: &ConversationId) -> Result<Conversation> {
    let conv = load(deps, id).await?;
    if conv.state != ConversationState::Bot {
        return Err(RoutingError::Conflict(format!(
            "conversation {id} is not with the bot: it is {}",
            conv.state.as_str()
        )));
    }
    super::close(deps, id, BOT_ENDED).await
}

/// The bot-silence timer: a customer still waiting for the bot's answer
/// after `answer_within_seconds` goes to humans. `Ok(None)`: moot (the bot
/// answered, or the conversation left it); `Ok(Some(due))`: not yet.
pub(super) async fn silent(
    deps: &RoutingDeps,
    conv: &Conversation,
    now: Millis,
) -> Result<Option<Option<Millis>>> {
    let Some(b) = conv.routing.as_ref().and_then(|r| r.bot.as_ref()) else {
        return Ok(None);
    };
    let (ConversationState::Bot, Some(since)) = (conv.state, b.unanswered_since) else {
        return Ok(None);
    };
    let ws = match conv.routing.as_ref().and_then(|r| r.workstream.as_ref()) {
        Some(w) => deps.workstreams.get_workstream(w).await?,
        None => None,
    };
    let within = ws
        .as_ref()
        .and_then(|w| w.bot.as_ref())
        .map(|b| b.answer_within_seconds)
        .unwrap_or(0);
    let due = Millis(since.0 + within as i64 * 1000);
    if due > now {
        return Ok(Some(Some(due)));
    }
    let reason = if within == 0 {
        "the workstream no longer has a bot".to_string()
    } else {
        format!("the bot did not answer the customer within {within} s")
    };
    escalate(
        deps,
        &conv.id,
        Escalation::because(reason),
        EscalatedBy::Switchboard,
    )
    .await?;
    Ok(Some(None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bot_s_own_end_is_told_apart_by_its_reason() {
        assert_eq!(BOT_ENDED_REASON, format!("closed: {BOT_ENDED}"));
    }
}
