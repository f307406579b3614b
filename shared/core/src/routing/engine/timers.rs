//! Timers: what the scheduler calls. Due timers (offer expiry, wait
//! overflow, auto-close, wrap-up end, affinity end, reclaim, hand-off,
//! a window closing unanswered), the agents whose console stopped, and the
//! sweep that
//! offers waiting work to agents with room.

use super::answers::{close, expire};
use super::arrival::{queue_ops, queued};
use super::offers::{Placement, distribute_agent, distribute_conversation, place};
use super::{
    Due, Result, RoutingDeps, RoutingError, WsCache, decision, last_answer_at, need, release_op,
    set_conv, try_apply, waiting_item,
};
use crate::ports::{Conversation, ConversationState, RoutingOp};
use crate::routing::model::{Mode, OverflowAction};
use crate::routing::record::{Timer, TimerKind};
use crate::routing::select::rank;
use crate::time::Millis;
use std::sync::Arc;

/// When the last message of `conv` was written, on either side: the
/// customer's or an answer ([`last_answer_at`]); its opening when there is
/// none. Automated messages, surveys and routing moves (offers made again,
/// transfers) are not activity: auto-close counts from here.
async fn last_message_at(deps: &RoutingDeps, conv: &Conversation) -> Result<Millis> {
    let answered = last_answer_at(deps, conv).await?;
    Ok([
        Some(conv.created_at),
        conv.last_customer_message_at,
        answered,
    ]
    .into_iter()
    .flatten()
    .max()
    .unwrap_or(conv.created_at))
}

/// Waiting items per queue the scheduler's sweep tries each run.
const SWEEP_DEPTH: usize = 20;

/// What one scheduler run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct TickReport {
    pub timers_due: usize,
    pub offers_expired: usize,
    pub overflowed: usize,
    pub auto_closed: usize,
    pub wrap_ups_ended: usize,
    pub affinity_ended: usize,
    /// Conversations handed to humans because their bot stayed silent.
    pub bots_silent: usize,
    /// Accepted conversations taken back from agents who did not reply.
    pub reclaimed: usize,
    /// Conversations of absent agents handed to someone present.
    pub handed_off: usize,
    /// Conversations of absent agents that go when their customer writes
    /// again (the agent answered last).
    pub hand_offs_pending: usize,
    /// Conversations whose window closes within the hour with the
    /// customer's last message unanswered: escalated.
    pub windows_escalated: usize,
    /// Windows that closed with the customer's last message unanswered.
    pub abandoned: usize,
    /// Agents set offline because their console stopped heartbeating.
    pub consoles_lapsed: usize,
    /// Offers made by the sweep of waiting work.
    pub swept_offers: usize,
    /// Timers another run (or a state change) had already made moot.
    pub stale: usize,
    /// Timers set again for later (an auto-close after recent activity).
    pub rescheduled: usize,
    /// Closed conversations a retention limit erased
    /// ([`crate::privacy::retention`]).
    pub retention_erased: usize,
}

/// Most timers one run handles (the rest wait a minute).
pub const TIMERS_PER_RUN: usize = 500;

/// The scheduler's work: due timers, then a sweep that offers waiting work
/// to agents with room (so no conversation waits on a missed trigger). Safe
/// to run twice at once: every change is conditional.
pub async fn tick(deps: &RoutingDeps) -> Result<TickReport> {
    let mut report = TickReport::default();
    let now = deps.clock.now();
    let timers = deps.routing.due_timers(now, TIMERS_PER_RUN).await?;
    report.timers_due = timers.len();
    for t in timers {
        if matches!(
            t.kind,
            TimerKind::TranscriptRetention | TimerKind::RawPayloadRetention
        ) {
            match crate::privacy::retention::expire(deps, &t).await {
                Ok(erased) => report.retention_erased += usize::from(erased),
                Err(p) => {
                    tracing::warn!(conversation_id = %t.conversation_id, error = %p.detail, "retention erasure not finished; the next run tries again")
                }
            }
            continue;
        }
        let timed = match handle_timer(deps, &t, now).await {
            Ok(timed) => timed,
            Err(RoutingError::NotFound(_)) | Err(RoutingError::Conflict(_)) => Timed::Moot,
            Err(e) => return Err(e),
        };
        if timed == Timed::Later {
            report.rescheduled += 1;
        } else if timed == Timed::Pending {
            report.hand_offs_pending += 1;
        } else if timed == Timed::Escalated {
            report.windows_escalated += 1;
        } else if timed == Timed::Done {
            match t.kind {
                TimerKind::OfferExpiry => report.offers_expired += 1,
                TimerKind::WaitOverflow => report.overflowed += 1,
                TimerKind::AutoClose => report.auto_closed += 1,
                TimerKind::WrapUpEnd => report.wrap_ups_ended += 1,
                TimerKind::AffinityEnd => report.affinity_ended += 1,
                TimerKind::BotSilent => report.bots_silent += 1,
                TimerKind::Reclaim => report.reclaimed += 1,
                TimerKind::HandOff => report.handed_off += 1,
                TimerKind::WindowClosing => report.abandoned += 1,
                TimerKind::TranscriptRetention | TimerKind::RawPayloadRetention => {}
            }
        } else {
            report.stale += 1;
            try_apply(deps, &[RoutingOp::DeleteTimer(t)]).await?;
        }
    }
    report.consoles_lapsed = super::heartbeat::lapsed(deps).await?;
    report.swept_offers = sweep(deps).await?;
    crate::metrics::count("OffersExpired", report.offers_expired as u64);
    crate::metrics::count("ConversationsAutoClosed", report.auto_closed as u64);
    crate::metrics::count("ConversationsReclaimed", report.reclaimed as u64);
    Ok(report)
}

/// What became of a due timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Timed {
    /// It did its work.
    Done,
    /// Not yet (activity since): set again for later.
    Later,
    /// Done for now; the rest waits for the customer.
    Pending,
    /// Escalated; looked at again later.
    Escalated,
    /// It no longer applies (another run, or a state change, saw to it).
    Moot,
}

/// Handle one due timer.
async fn handle_timer(deps: &RoutingDeps, t: &Timer, now: Millis) -> Result<Timed> {
    let Some(conv) = deps
        .conversations
        .get_conversation(&t.conversation_id)
        .await?
    else {
        return Ok(Timed::Moot);
    };
    if !conv.state.is_open() {
        return Ok(Timed::Moot);
    }
    let mut r = conv.routing.clone().unwrap_or_default();
    match t.kind {
        TimerKind::OfferExpiry => {
            let Some(o) = r.offer.clone().filter(|o| o.expires_at <= now) else {
                return Ok(Timed::Moot);
            };
            match expire(deps, &o.agent, &conv).await {
                Ok(()) => Ok(Timed::Done),
                // Another write to the conversation won the race: the offer
                // must still end, so look again on the next run (a newer
                // offer found then has its own timer, and this one goes).
                Err(RoutingError::Conflict(_)) => {
                    let next = Timer {
                        due: now.plus_secs(1),
                        ..t.clone()
                    };
                    try_apply(
                        deps,
                        &[RoutingOp::DeleteTimer(t.clone()), RoutingOp::PutTimer(next)],
                    )
                    .await?;
                    Ok(Timed::Later)
                }
                Err(e) => Err(e),
            }
        }
        TimerKind::AutoClose => {
            let Some(secs) = (match &r.workstream {
                Some(w) => deps
                    .workstreams
                    .get_workstream(w)
                    .await?
                    .and_then(|w| w.distribution.auto_close_after_seconds),
                None => None,
            }) else {
                return Ok(Timed::Moot);
            };
            let last = last_message_at(deps, &conv).await?;
            let mut due = Millis(last.0 + secs as i64 * 1000);
            if conv.state == ConversationState::WrapUp
                && let Some(until) = r.wrap_up_until
            {
                // The agent's wrap-up runs its course first.
                due = due.max(until);
            }
            if due > now {
                // Activity since: look again later.
                let next = Timer { due, ..t.clone() };
                try_apply(
                    deps,
                    &[RoutingOp::DeleteTimer(t.clone()), RoutingOp::PutTimer(next)],
                )
                .await?;
                return Ok(Timed::Later);
            }
            close(deps, &conv.id, &format!("no activity for {secs} s")).await?;
            Ok(Timed::Done)
        }
        TimerKind::WrapUpEnd => {
            if conv.state != ConversationState::WrapUp
                || !r.holds_capacity
                || r.wrap_up_until.is_none_or(|u| u > now)
            {
                return Ok(Timed::Moot);
            }
            let Some(agent) = r.agent.clone() else {
                return Ok(Timed::Moot);
            };
            let release = release_op(&r, &agent, now);
            r.holds_capacity = false;
            r.record(decision(
                now,
                "wrap_up_ended",
                format!("capacity of {agent} released after wrap-up"),
            ));
            let mut ops: Vec<RoutingOp> = release.into_iter().collect();
            ops.push(set_conv(&conv, conv.state, r, now));
            ops.push(RoutingOp::DeleteTimer(t.clone()));
            if try_apply(deps, &ops).await? {
                distribute_agent(deps, &agent).await?;
                return Ok(Timed::Done);
            }
            Ok(Timed::Moot)
        }
        TimerKind::HandOff => {
            let due = super::handoff::due(deps, &conv, t, now).await?;
            timed(deps, t, due).await
        }
        TimerKind::Reclaim => {
            let due = super::reclaim::reclaim(deps, &conv, t, now).await?;
            timed(deps, t, due).await
        }
        TimerKind::WindowClosing => {
            let due = super::window::due(deps, &conv, t, now).await?;
            timed(deps, t, due).await
        }
        TimerKind::BotSilent => match super::bot::silent(deps, &conv, now).await? {
            None => Ok(Timed::Moot),
            Some(None) => Ok(Timed::Done),
            Some(Some(due)) => {
                let next = Timer { due, ..t.clone() };
                try_apply(
                    deps,
                    &[RoutingOp::DeleteTimer(t.clone()), RoutingOp::PutTimer(next)],
                )
                .await?;
                Ok(Timed::Later)
            }
        },
        // Handled by `tick` before this (they apply to closed conversations).
        TimerKind::TranscriptRetention | TimerKind::RawPayloadRetention => Ok(Timed::Moot),
        TimerKind::AffinityEnd => {
            if conv.state != ConversationState::Waiting || r.affinity_until.is_none_or(|u| u > now)
            {
                return Ok(Timed::Moot);
            }
            let (Some(q), Some(ws), Some(old)) =
                (r.queue.clone(), r.workstream.clone(), r.waiting_key.take())
            else {
                return Ok(Timed::Moot);
            };
            let who = r.affinity_agent.take();
            r.affinity_until = None;
            let item = waiting_item(&conv, &r, &q, &ws, now);
            r.waiting_key = Some(item.key());
            r.record(decision(
                now,
                "affinity_ended",
                format!(
                    "{} did not become available in time; any agent may take it",
                    who.map(|a| a.to_string()).unwrap_or_default()
                ),
            ));
            let ops = [
                set_conv(&conv, conv.state, r, now),
                RoutingOp::DeleteWaiting {
                    queue: q.clone(),
                    key: old,
                },
                RoutingOp::PutWaiting(Box::new(item)),
                RoutingOp::DeleteTimer(t.clone()),
            ];
            if try_apply(deps, &ops).await? {
                distribute_conversation(deps, &conv.id).await?;
                return Ok(Timed::Done);
            }
            Ok(Timed::Moot)
        }
        TimerKind::WaitOverflow => {
            if conv.state == ConversationState::Offered
                && let Some(o) = &r.offer
            {
                // It may come back to the queue if the offer lapses: look
                // again just after it would.
                let next = Timer {
                    due: o.expires_at.plus_secs(1).max(now.plus_secs(1)),
                    ..t.clone()
                };
                try_apply(
                    deps,
                    &[RoutingOp::DeleteTimer(t.clone()), RoutingOp::PutTimer(next)],
                )
                .await?;
                return Ok(Timed::Later);
            }
            let Some(qid) = r
                .queue
                .clone()
                .filter(|_| conv.state == ConversationState::Waiting)
            else {
                return Ok(Timed::Moot);
            };
            let Some(queue) = deps.config.get_queue(&qid).await? else {
                return Ok(Timed::Moot);
            };
            let Some(m) = queue.overflow.max_wait.clone() else {
                return Ok(Timed::Moot);
            };
            if r.overflow_from
                .or(r.queued_at)
                .is_none_or(|q| q.0 + m.seconds as i64 * 1000 > now.0)
            {
                return Ok(Timed::Moot);
            }
            let Some(ws) = (match &r.workstream {
                Some(w) => deps.workstreams.get_workstream(w).await?,
                None => None,
            }) else {
                return Ok(Timed::Moot);
            };
            let why = format!("waited in queue {qid} longer than {} s", m.seconds);
            match m.then {
                OverflowAction::QueueAnyway => Ok(Timed::Moot),
                OverflowAction::End { message } => {
                    let detail = match message {
                        Some(m) => format!("{why}; message to the customer: {m}"),
                        None => why,
                    };
                    close(deps, &conv.id, &format!("overflow: {detail}")).await?;
                    Ok(Timed::Done)
                }
                OverflowAction::Transfer { queue: to } => {
                    let Some(target) = deps.config.get_queue(&to).await? else {
                        return Ok(Timed::Moot);
                    };
                    let q = queued(
                        &conv,
                        r,
                        &target,
                        &ws,
                        &format!("overflow: {why}"),
                        now,
                        false,
                    );
                    let mut ops = queue_ops(&conv, q, now);
                    ops.push(RoutingOp::DeleteTimer(t.clone()));
                    if try_apply(deps, &ops).await? {
                        distribute_conversation(deps, &conv.id).await?;
                        return Ok(Timed::Done);
                    }
                    Ok(Timed::Moot)
                }
            }
        }
    }
}

/// A flow's [`Due`] as the tick counts it; `Later` sets the timer again
/// for then (a setting raised since it was set, or a write that lost a race).
async fn timed(deps: &RoutingDeps, t: &Timer, due: Due) -> Result<Timed> {
    Ok(match due {
        Due::Done => Timed::Done,
        Due::Pending => Timed::Pending,
        Due::Moot => Timed::Moot,
        Due::Later(at) | Due::Escalated(at) => {
            if at != t.due {
                let next = Timer {
                    due: at,
                    ..t.clone()
                };
                try_apply(
                    deps,
                    &[RoutingOp::DeleteTimer(t.clone()), RoutingOp::PutTimer(next)],
                )
                .await?;
            }
            if matches!(due, Due::Escalated(_)) {
                Timed::Escalated
            } else {
                Timed::Later
            }
        }
    })
}

/// Offer the head of every push queue to members with room.
async fn sweep(deps: &RoutingDeps) -> Result<usize> {
    let mut offered = 0;
    let mut ws = WsCache::new(deps);
    for queue in deps.config.list_queues().await? {
        let items = deps.routing.waiting(&queue.id, None, SWEEP_DEPTH).await?;
        if items.is_empty() {
            continue;
        }
        let mut members = deps.routing.queue_members(&queue.id).await?;
        if !members.iter().any(|m| m.free_units() > 0) {
            continue;
        }
        for item in items {
            let Some(w) = ws.get(&item.workstream).await? else {
                continue;
            };
            if w.distribution.mode == Mode::Pick {
                continue;
            }
            let Some(conv) = deps
                .conversations
                .get_conversation(&item.conversation_id)
                .await?
            else {
                continue;
            };
            let Some(r) = &conv.routing else { continue };
            if conv.state != ConversationState::Waiting
                || r.waiting_key.as_deref() != Some(item.key().as_str())
            {
                continue;
            }
            if rank(
                &members,
                &need(r, &w.distribution, deps.clock.now()),
                queue.assignment,
            )
            .order
            .is_empty()
            {
                continue;
            }
            if let Placement::Offered(id) =
                place(deps, &conv, &w.distribution, &queue, &mut members, false).await?
            {
                offered += 1;
                // The members are reused for the next item: refresh this one.
                if let (Some(fresh), Some(m)) = (
                    deps.config.get_agent(&id).await?,
                    members.iter_mut().find(|m| m.agent.id == id),
                ) {
                    *m = Arc::new(fresh);
                }
            }
        }
    }
    Ok(offered)
}
