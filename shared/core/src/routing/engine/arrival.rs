//! Arrival: an inbound event reaches routing. Classify the conversation,
//! choose its queue (overflow included), enqueue it (with the timers that
//! start with it), offer it on arrival in push mode, and the automated
//! overflow message.

use super::offers::{distribute_conversation, offer_decision, offer_ops, refresh};
use super::{Result, RoutingDeps, decision, load, need, set_conv, try_apply, waiting_item};
use crate::event::InboundEvent;
use crate::ids::ConversationId;
use crate::ports::{Conversation, ConversationState, RoutingOp};
use crate::routing::classify::any_condition;
use crate::routing::decide::{Choice, Sample, decide};
use crate::routing::model::{CapacityNeed, Condition, Distribution, Mode, Queue, QueueId};
use crate::routing::record::{Routing, Timer, TimerKind, WaitingItem};
use crate::routing::select::rank;
use crate::time::Millis;
use crate::workstreams::Workstream;

/// Priority of a conversation no rule gave one (lower goes first).
pub const DEFAULT_PRIORITY: u32 = 5;

fn window_closes(conv: &Conversation, ws: &Workstream) -> Millis {
    let start = conv.last_customer_message_at.unwrap_or(conv.created_at);
    crate::window::closes_at(start, ws.features.human_agent_tag)
}

/// Route a conversation the router just stored an event on: classify and
/// queue it if nobody has yet, then (push mode) offer it. Safe to call again
/// for the same conversation (after a crash, on a redelivery).
pub async fn on_stored(
    deps: &RoutingDeps,
    conversation_id: &ConversationId,
    event: &InboundEvent,
) -> Result<()> {
    let conv = load(deps, conversation_id).await?;
    if conv.routing.is_some() || !conv.state.is_open() {
        return Ok(());
    }
    route_new(deps, conv, event, None).await
}

/// Route the open conversations of `page` that routing could not place
/// when they arrived (the page fed no workstream, or the workstream had no
/// queue for them): called when a workstream starts feeding the page or its
/// settings change, so nobody stays stranded. Returns how many it routed.
pub async fn route_unrouted(deps: &RoutingDeps, page: &crate::ids::PageId) -> Result<usize> {
    let waiting = deps
        .conversations
        .list_conversations(&crate::ports::ConversationFilter {
            page_id: Some(page.clone()),
            state: Some(ConversationState::Waiting),
            limit: Some(1000),
            ..Default::default()
        })
        .await?;
    let mut routed = 0;
    for conv in waiting {
        if conv.routing.as_ref().is_none_or(|r| r.queue.is_some()) {
            continue;
        }
        // Passed by another app: to people still, with what it said.
        let seed = conv
            .routing
            .as_ref()
            .and_then(|r| r.thread.as_ref())
            .and_then(|t| t.seed("the thread was passed to Switchboard"));
        // The customer's latest message carries the facts the rules read
        // (a thread passed before the customer wrote: the handover).
        let timeline = deps.conversations.timeline(&conv.id).await?;
        let Some(event) = timeline
            .iter()
            .rev()
            .find(|e| e.kind.is_customer_activity())
            .or_else(|| seed.as_ref().and(timeline.last()))
        else {
            continue;
        };
        route_new(deps, conv, event, seed.as_ref()).await?;
        routed += 1;
    }
    Ok(routed)
}

/// Route a conversation as a new arrival: to the workstream's bot first
/// when it has one, the bot has not had it yet and nobody asked for humans
/// (`seed`); else classify (the rules starting from `seed`: what an
/// escalating bot asked, or the metadata of the app that passed the
/// thread), queue and offer.
pub(super) async fn route_new(
    deps: &RoutingDeps,
    conv: Conversation,
    event: &InboundEvent,
    seed: Option<&crate::bot::Escalation>,
) -> Result<()> {
    let now = deps.clock.now();
    let mut r = Routing {
        priority: DEFAULT_PRIORITY,
        // A conversation routed again keeps the story so far.
        decisions: conv
            .routing
            .as_ref()
            .map(|r| r.decisions.clone())
            .unwrap_or_default(),
        // And its time with the bot, if it had one.
        bot: conv.routing.as_ref().and_then(|r| r.bot.clone()),
        // And how its thread came to Switchboard.
        thread: conv.routing.as_ref().and_then(|r| r.thread.clone()),
        ..Routing::default()
    };
    let ws = match deps.workstreams.workstream_of_page(&conv.page_id).await? {
        Some(id) => deps.workstreams.get_workstream(&id).await?,
        None => None,
    };
    let Some(ws) = ws else {
        r.reason = format!(
            "page {} feeds no workstream; add it to one so its conversations are routed",
            conv.page_id
        );
        r.record(decision(now, "unrouted", r.reason.clone()));
        try_apply(deps, &[set_conv(&conv, ConversationState::Waiting, r, now)]).await?;
        return Ok(());
    };
    if ws.bot.is_some() && r.bot.is_none() && seed.is_none() {
        if try_apply(deps, &[super::bot::to_bot(&conv, r, &ws, now)]).await? {
            crate::bot::flow::greet(deps, &conv, &ws).await;
            // The bot gets the event now, whoever routed it (the router, or
            // a workstream that starts feeding the page); the router's own
            // call after this finds it taken. Boxed: a failing bot escalates,
            // which routes again.
            Box::pin(crate::bot::flow::on_customer_event(deps, &conv.id, event)).await?;
        }
        return Ok(());
    }
    let dist = ws.distribution.clone();
    let rulesets = deps.config.list_rulesets(Some(&ws.id)).await?;
    // Read the contact and the customer link only when something needs them.
    let returning_rule =
        any_condition(&rulesets, &|c| matches!(c, Condition::ReturningCustomer(_)));
    let contact_rule = any_condition(&rulesets, &|c| matches!(c, Condition::Contact { .. }));
    let contact = if contact_rule || returning_rule {
        deps.conversations.get_contact(&conv.contact_id).await?
    } else {
        None
    };
    let customer = if dist.affinity.enabled || returning_rule {
        deps.conversations
            .get_customer(&conv.page_id, &conv.psid)
            .await?
    } else {
        None
    };
    // Returning: the contact is older than this conversation, or an agent
    // already handled this customer.
    let returning = contact
        .as_ref()
        .is_some_and(|c| c.created_at < conv.created_at)
        || customer.as_ref().is_some_and(|c| c.last_agent.is_some());
    let decided = decide(
        deps,
        &ws,
        &rulesets,
        &Sample {
            seed: seed
                .map(crate::bot::Escalation::outputs)
                .unwrap_or_default(),
            ..Sample::of_event(&conv.page_id, event)
        },
        contact.as_ref().map(|c| c.fields()).unwrap_or_default(),
        returning,
        now,
    )
    .await?;
    let (f, c) = (&decided.facts, &decided.classification);

    r.workstream = Some(ws.id.clone());
    r.language = Some(f.locale.clone());
    r.skills = c.skills.clone();
    r.attributes = c.attributes.clone();
    r.priority = decided.priority;
    r.capacity = dist.capacity.clone();
    r.window_closes_at = Some(window_closes(&conv, &ws));
    let mut d = decision(
        now,
        "classified",
        format!(
            "workstream {}; language {};{} priority {}; skills {}",
            ws.id,
            f.locale,
            match (
                returning,
                contact_rule || returning_rule || dist.affinity.enabled
            ) {
                (true, _) => " returning customer;",
                (false, true) => " new customer;",
                (false, false) => "",
            },
            r.priority,
            if r.skills.is_empty() {
                "none".to_string()
            } else {
                r.skills
                    .iter()
                    .map(|(s, p)| format!("{s}>={p}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        ),
    );
    d.rulesets = c.traces.clone();
    r.record(d);
    if let Some((mark, why)) = crate::follow_up::follow_up(&conv, Some(&ws), now) {
        // Nobody can answer it in Messenger: it takes no agent's capacity.
        r.follow_up = Some(mark);
        r.capacity = CapacityNeed {
            units: 0,
            profile: None,
        };
        r.record(decision(now, "follow_up", why));
    }

    match decided.choice {
        Choice::Nowhere { why } => {
            r.reason = why.clone();
            r.record(decision(now, "unrouted", why));
            try_apply(deps, &[set_conv(&conv, ConversationState::Waiting, r, now)]).await?;
            Ok(())
        }
        Choice::End { message, why } => {
            r.reason = format!("ended by overflow: {why}");
            let mut d = decision(now, "overflow_ended", why);
            if let Some(m) = &message {
                d.detail = format!("{}{}{m}", d.detail, crate::delivery::OVERFLOW_MESSAGE);
            }
            r.record(d);
            if try_apply(deps, &[set_conv(&conv, ConversationState::Closed, r, now)]).await?
                && let Some(m) = message
            {
                crate::delivery::overflow_message(deps, &conv, &m).await;
            }
            Ok(())
        }
        Choice::Queue { queue, why } => {
            if dist.affinity.enabled
                && returning
                && let Some(agent) = customer.and_then(|c| c.last_agent)
                // Where absent agents hand their conversations off, not for
                // an agent away or offline (unless the workstream lets
                // agents in that presence work).
                && (dist.handoff_after_seconds.is_none()
                    || deps.config.get_agent(&agent).await?.is_some_and(|a| {
                        !super::handoff::absent(a.presence.status)
                            || dist.allowed_presences.contains(&a.presence.status)
                    }))
            {
                r.affinity_agent = Some(agent.clone());
                r.affinity_until = Some(Millis(now.0 + dist.affinity.wait_seconds as i64 * 1000));
                r.record(decision(
                    now,
                    "affinity",
                    format!(
                        "returning customer: held for {agent}, who had their last conversation, for {} s",
                        dist.affinity.wait_seconds
                    ),
                ));
            }
            let q = queued(&conv, r, &queue, &ws, &why, now, true);
            let push = dist.mode == Mode::Push;
            if push
                && q.routing.affinity_agent.is_none()
                && offer_on_arrival(deps, &conv, &q, &queue, &dist, now).await?
            {
                return Ok(());
            }
            if try_apply(deps, &queue_ops(&conv, q, now)).await? && push {
                distribute_conversation(deps, &conv.id).await?;
            }
            Ok(())
        }
    }
}

/// A conversation put in a queue: its routing record, the waiting item, the
/// timers that start with it, and the item it leaves (moved between queues).
pub(super) struct Queued {
    routing: Routing,
    item: WaitingItem,
    timers: Vec<Timer>,
    leaves: Option<(QueueId, String)>,
}

/// Put a conversation in a queue (first time, or moved from another queue).
pub(super) fn queued(
    conv: &Conversation,
    mut r: Routing,
    queue: &Queue,
    ws: &Workstream,
    why: &str,
    now: Millis,
    first: bool,
) -> Queued {
    let leaves = match (r.queue.clone(), r.waiting_key.take()) {
        (Some(q), Some(k)) => Some((q, k)),
        _ => None,
    };
    r.queue = Some(queue.id.clone());
    r.queued_at = Some(now);
    r.overflow_from = None;
    let item = waiting_item(conv, &r, &queue.id, &ws.id, now);
    r.waiting_key = Some(item.key());
    r.reason = format!("waiting in queue {}", queue.id);
    r.record(decision(
        now,
        "queued",
        format!("queue {}: {why}", queue.id),
    ));
    let timer = |kind, due| Timer {
        kind,
        due,
        conversation_id: conv.id.clone(),
    };
    let mut timers = Vec::new();
    if let Some(m) = &queue.overflow.max_wait {
        timers.push(timer(
            TimerKind::WaitOverflow,
            Millis(now.0 + m.seconds as i64 * 1000),
        ));
    }
    if first {
        if let Some(secs) = ws.distribution.auto_close_after_seconds {
            timers.push(timer(
                TimerKind::AutoClose,
                Millis(now.0 + secs as i64 * 1000),
            ));
        }
        if let Some(until) = r.affinity_until {
            timers.push(timer(TimerKind::AffinityEnd, until));
        }
        if let Some(closes) = r.window_closes_at.filter(|_| r.follow_up.is_none()) {
            timers.push(super::window::watch_timer(&conv.id, closes));
        }
    }
    Queued {
        routing: r,
        item,
        timers,
        leaves,
    }
}

pub(super) fn queue_ops(conv: &Conversation, q: Queued, now: Millis) -> Vec<RoutingOp> {
    let mut ops = vec![set_conv(conv, ConversationState::Waiting, q.routing, now)];
    if let Some((queue, key)) = q.leaves {
        ops.push(RoutingOp::DeleteWaiting { queue, key });
    }
    ops.extend(q.timers.into_iter().map(RoutingOp::PutTimer));
    ops.push(RoutingOp::PutWaiting(Box::new(q.item)));
    ops
}

/// A new conversation in push mode: offer it in the same write that queues
/// it when a member can take it now (one transaction instead of two, and no
/// waiting item at all); `false` when nobody could.
async fn offer_on_arrival(
    deps: &RoutingDeps,
    conv: &Conversation,
    q: &Queued,
    queue: &Queue,
    dist: &Distribution,
    now: Millis,
) -> Result<bool> {
    let mut members = deps.routing.queue_members(&queue.id).await?;
    let mut r = q.routing.clone();
    r.waiting_key = None;
    let need = need(&r, dist, now);
    let ranking = rank(&members, &need, queue.assignment);
    let mut lost = Vec::new();
    for &i in ranking.order.iter().take(3) {
        let d = offer_decision(&members, &ranking, i, &lost, dist, queue, now);
        let mut ops = offer_ops(conv, &members[i], &need, dist, r.clone(), d, now);
        ops.extend(q.timers.iter().cloned().map(RoutingOp::PutTimer));
        if try_apply(deps, &ops).await? {
            tracing::info!(conversation_id = %conv.id, agent_id = %members[i].agent.id, queue_id = %queue.id, "offered on arrival");
            crate::metrics::count("Offers", 1);
            return Ok(true);
        }
        if load(deps, &conv.id).await?.rv != conv.rv {
            // Someone else routed it meanwhile.
            return Ok(true);
        }
        lost.push(i);
        refresh(deps, &mut members, i).await?;
    }
    Ok(false)
}
