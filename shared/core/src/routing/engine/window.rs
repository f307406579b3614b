//! Windows that close unanswered: each routed conversation has a
//! `window_closing` timer an hour before its customer's messaging window
//! (24 hours, or 7 days with the HUMAN_AGENT tag) closes. If their last
//! message is unanswered then, the conversation is escalated: the top of
//! its queue while it waits, a supervisor alert, its agent told. At the
//! close, a window still unanswered is counted as abandoned. A customer
//! who writes again moves the window, and the timer with it.

use super::offers::distribute_conversation;
use super::{Due, Result, RoutingDeps, decision, last_answer_at, load, set_conv, try_apply};
use crate::ids::ConversationId;
use crate::ports::{Conversation, ConversationState, RoutingOp};
use crate::routing::record::{Routing, Timer, TimerKind, WaitingItem};
use crate::supervision::service_level::{self, Fact, FactKind};
use crate::time::Millis;

/// How long before the window closes an unanswered customer is escalated.
pub const ESCALATE_BEFORE_MS: i64 = 3_600_000;
/// The queue priority an escalated conversation waits at (lower goes first).
pub const TOP_PRIORITY: u32 = 0;

/// The timer that watches the window closing at `closes`.
pub(super) fn watch_timer(id: &ConversationId, closes: Millis) -> Timer {
    Timer {
        kind: TimerKind::WindowClosing,
        due: Millis(closes.0 - ESCALATE_BEFORE_MS),
        conversation_id: id.clone(),
    }
}

/// Whether `r` is escalated now: marked, and its window not yet closed.
pub fn escalated(r: &Routing, now: Millis) -> bool {
    r.window_escalated_at.is_some() && r.window_closes_at.is_some_and(|c| c > now)
}

/// The priority `r` waits at in its queue: the top while escalated.
pub(super) fn waiting_priority(r: &Routing, now: Millis) -> u32 {
    if escalated(r, now) {
        TOP_PRIORITY
    } else {
        r.priority
    }
}

/// The record with its window moved to `closes` and any escalation of the
/// earlier window ended, and the ops that re-queue it at its new place
/// when it waits (its priority and window are in the waiting item).
fn moved(
    conv: &Conversation,
    mut r: Routing,
    closes: Millis,
    now: Millis,
) -> (Routing, Vec<RoutingOp>) {
    r.window_closes_at = Some(closes);
    r.window_escalated_at = None;
    let ops = requeued(conv, &mut r, now);
    (r, ops)
}

/// The ops that put a waiting conversation's item again as `r` now
/// describes it (priority, window); none when it does not wait.
fn requeued(conv: &Conversation, r: &mut Routing, now: Millis) -> Vec<RoutingOp> {
    let (ConversationState::Waiting, Some(q), Some(ws)) =
        (conv.state, r.queue.clone(), r.workstream.clone())
    else {
        return Vec::new();
    };
    let Some(old) = r.waiting_key.take() else {
        return Vec::new();
    };
    let mut item = super::waiting_item(conv, r, &q, &ws, now);
    // It keeps its place among its priority (a customer who wrote again
    // is not put behind newer arrivals).
    if let Some(since) = WaitingItem::since_in_key(&old) {
        item.since = since;
    }
    r.waiting_key = Some(item.key());
    vec![
        RoutingOp::DeleteWaiting { queue: q, key: old },
        RoutingOp::PutWaiting(Box::new(item)),
    ]
}

/// The window `conv`'s customer has now: when it closes, from their last
/// message and the workstream's tag; `None` when there is none to watch
/// (not routed to a queue, follow-up work, the customer never wrote).
async fn current_window(deps: &RoutingDeps, conv: &Conversation) -> Result<Option<Millis>> {
    let Some(r) = conv.routing.as_ref() else {
        return Ok(None);
    };
    if r.follow_up.is_some() || r.queue.is_none() || !conv.state.is_open() {
        return Ok(None);
    }
    let (Some(last), Some(w)) = (conv.last_customer_message_at, r.workstream.as_ref()) else {
        return Ok(None);
    };
    let Some(ws) = deps.workstreams.get_workstream(w).await? else {
        return Ok(None);
    };
    Ok(Some(crate::window::closes_at(
        last,
        ws.features.human_agent_tag,
    )))
}

/// The window-closing timer `t` of `conv` is due.
pub(super) async fn due(
    deps: &RoutingDeps,
    conv: &Conversation,
    t: &Timer,
    now: Millis,
) -> Result<Due> {
    let Some(closes) = current_window(deps, conv).await? else {
        return Ok(Due::Moot);
    };
    let r = conv.routing.clone().unwrap_or_default();
    let escalate_at = Millis(closes.0 - ESCALATE_BEFORE_MS);
    if now < escalate_at {
        // The customer wrote again: the window (and this timer) moved.
        if r.window_closes_at != Some(closes) || r.window_escalated_at.is_some() {
            let (r, mut ops) = moved(conv, r, closes, now);
            ops.insert(0, set_conv(conv, conv.state, r, now));
            if !try_apply(deps, &ops).await? {
                return Ok(Due::Later(now.plus_secs(1)));
            }
        }
        return Ok(Due::Later(escalate_at));
    }
    let last = conv.last_customer_message_at.unwrap_or(conv.created_at);
    let answered = last_answer_at(deps, conv).await?.is_some_and(|a| a >= last);
    if answered {
        // Answered (from the Page inbox too, or while it was escalated):
        // the escalation, if any, ends.
        if r.window_escalated_at.is_some() {
            let (r, mut ops) = moved(conv, r, closes, now);
            ops.insert(0, set_conv(conv, conv.state, r, now));
            if !try_apply(deps, &ops).await? {
                return Ok(Due::Later(now.plus_secs(1)));
            }
        }
        return Ok(if now < closes {
            Due::Later(closes)
        } else {
            Due::Moot
        });
    }
    if now < closes {
        if r.window_escalated_at.is_some() {
            return Ok(Due::Later(closes));
        }
        return Ok(if escalate(deps, conv, r, closes, now).await? {
            Due::Escalated(closes)
        } else {
            Due::Later(now.plus_secs(1))
        });
    }
    if r.window_abandoned_at == Some(closes) {
        // Counted already (by another run, or when the customer wrote).
        return Ok(Due::Moot);
    }
    Ok(if abandoned(deps, conv, r, closes, t, now).await? {
        Due::Done
    } else {
        Due::Later(now.plus_secs(1))
    })
}

/// Escalate `conv`: its window closes at `closes` with the customer's last
/// message unanswered. `false`: it changed meanwhile.
async fn escalate(
    deps: &RoutingDeps,
    conv: &Conversation,
    mut r: Routing,
    closes: Millis,
    now: Millis,
) -> Result<bool> {
    r.window_closes_at = Some(closes);
    r.window_escalated_at = Some(now);
    let ops = requeued(conv, &mut r, now);
    let waits = !ops.is_empty();
    let minutes = (closes.0 - now.0).max(0) / 60_000;
    let place = match (conv.state, &r.agent, &r.queue) {
        (ConversationState::Waiting, _, Some(q)) => format!("top of queue {q}"),
        (ConversationState::Offered, Some(a), _) => format!("offered to {a}"),
        (_, Some(a), _) => format!("{a} holds it"),
        _ => "unqueued".to_string(),
    };
    r.record(decision(
        now,
        "window_closing",
        format!(
            "the customer's last message is unanswered and their messaging window closes at {} (in {minutes} min): escalated ({place}); supervisors alerted",
            closes.to_rfc3339()
        ),
    ));
    let holder = r
        .agent
        .clone()
        .filter(|_| conv.state != ConversationState::Waiting);
    let mut all = vec![set_conv(conv, conv.state, r, now)];
    all.extend(ops);
    if !try_apply(deps, &all).await? {
        return Ok(false);
    }
    tracing::warn!(conversation_id = %conv.id, closes_at = %closes.to_rfc3339(), "messaging window closing unanswered: escalated");
    crate::metrics::count("WindowsEscalated", 1);
    if let Some(agent) = holder {
        crate::feed::publish(
            deps.streams.as_ref(),
            deps.clock.as_ref(),
            &agent,
            "window_closing",
            format!("window_closing:{}:{}", conv.id, closes.0),
            Some(&conv.id),
            serde_json::json!({"window_closes_at": closes.to_rfc3339()}),
        )
        .await;
    }
    if waits {
        distribute_conversation(deps, &conv.id).await?;
    }
    Ok(true)
}

/// The window of `conv` closed at `closes` with the customer's last message
/// unanswered: counted as abandoned (once: the fact is keyed by the close).
/// `false`: it changed meanwhile.
async fn abandoned(
    deps: &RoutingDeps,
    conv: &Conversation,
    mut r: Routing,
    closes: Millis,
    t: &Timer,
    now: Millis,
) -> Result<bool> {
    let fact = mark_abandoned(conv, &mut r, closes, conv.last_customer_message_at, now);
    r.window_closes_at = Some(closes);
    let mut ops = requeued(conv, &mut r, now);
    ops.insert(0, set_conv(conv, conv.state, r, now));
    ops.push(RoutingOp::DeleteTimer(t.clone()));
    if !try_apply(deps, &ops).await? {
        return Ok(false);
    }
    counted_abandoned(deps, fact).await;
    Ok(true)
}

/// Mark on `r` that the window of `conv` closing at `closes` (opened by the
/// customer's message at `wrote`) closed unanswered: counted once, the
/// escalation over, the reason on the record. The fact to record once the
/// write is done ([`counted_abandoned`]).
fn mark_abandoned(
    conv: &Conversation,
    r: &mut Routing,
    closes: Millis,
    wrote: Option<Millis>,
    now: Millis,
) -> Fact {
    let fact = Fact::of(FactKind::Abandoned, &conv.id, r, closes).since(wrote);
    r.window_abandoned_at = Some(closes);
    r.window_escalated_at = None;
    r.record(decision(
        now,
        "abandoned",
        format!(
            "the messaging window closed at {} with the customer's last message unanswered",
            closes.to_rfc3339()
        ),
    ));
    fact
}

/// The window before the customer's message at `last` (of `len`), if it
/// closed before that message with the customer unanswered and was not
/// counted: marked on `r` as abandoned (the scheduler had not come to it
/// yet); the fact to record once written. Reads the timeline and the
/// outbound messages, only when the watched window has closed.
async fn closed_unanswered(
    deps: &RoutingDeps,
    conv: &Conversation,
    r: &mut Routing,
    last: Millis,
    len: i64,
    now: Millis,
) -> Result<Option<Fact>> {
    let previous = deps
        .conversations
        .timeline(&conv.id)
        .await?
        .into_iter()
        .filter(|e| e.kind.is_customer_activity() && e.timestamp < last)
        .map(|e| e.timestamp)
        .max();
    let Some(previous) = previous else {
        return Ok(None);
    };
    let closed = Millis(previous.0 + len);
    if closed > last || r.window_abandoned_at == Some(closed) {
        return Ok(None);
    }
    if last_answer_at(deps, conv)
        .await?
        .is_some_and(|a| a >= previous)
    {
        return Ok(None);
    }
    Ok(Some(mark_abandoned(conv, r, closed, Some(previous), now)))
}

/// An abandonment written: logged, counted and kept as a service-level fact.
async fn counted_abandoned(deps: &RoutingDeps, fact: Fact) {
    tracing::warn!(conversation_id = %fact.conversation_id, "messaging window closed unanswered: abandoned");
    crate::metrics::count("ConversationsAbandoned", 1);
    service_level::record(deps, fact).await;
}

/// The customer wrote in `conv` (as the router stored it): their window
/// moved. A routing write only when the timer cannot see to it: the window
/// it watched has closed (the timer has ended, or is about to: a close it
/// has not counted yet is counted here if it went unanswered), or the
/// conversation is escalated (the escalation ends now, not at the old
/// close). Returns the conversation as it is after.
pub async fn watch_new_window(deps: &RoutingDeps, conv: Conversation) -> Result<Conversation> {
    let now = deps.clock.now();
    let stale = |c: &Conversation| {
        c.routing.as_ref().is_some_and(|r| {
            r.window_closes_at.is_some_and(|w| w <= now) || r.window_escalated_at.is_some()
        })
    };
    if !stale(&conv) {
        return Ok(conv);
    }
    let mut conv = conv;
    for _ in 0..3 {
        let Some(closes) = current_window(deps, &conv).await? else {
            return Ok(conv);
        };
        if closes <= now {
            // An old message delivered late: the window is still closed.
            return Ok(conv);
        }
        let mut r = conv.routing.clone().unwrap_or_default();
        let mut fact = None;
        if let Some(last) = conv
            .last_customer_message_at
            .filter(|_| r.window_closes_at.is_some_and(|w| w <= now))
        {
            fact = closed_unanswered(deps, &conv, &mut r, last, closes.0 - last.0, now).await?;
        }
        let (r, mut ops) = moved(&conv, r, closes, now);
        ops.insert(0, set_conv(&conv, conv.state, r, now));
        ops.push(RoutingOp::PutTimer(watch_timer(&conv.id, closes)));
        if try_apply(deps, &ops).await? {
            if let Some(f) = fact {
                counted_abandoned(deps, f).await;
            }
            return load(deps, &conv.id).await;
        }
        conv = load(deps, &conv.id).await?;
        if !stale(&conv) {
            return Ok(conv);
        }
    }
    tracing::warn!(conversation_id = %conv.id, "conversation kept changing; its new messaging window is not watched");
    Ok(conv)
}
