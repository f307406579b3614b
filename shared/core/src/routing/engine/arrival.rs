//! Arrival: an inbound event reaches routing. Classify the conversation,
//! choose its queue (overflow included), enqueue it (with the timers that
//! start with it), offer it on arrival in push mode, and the automated
//! overflow message.

use super::offers::{distribute_conversation, offer_decision, offer_ops};
use super::{Result, RoutingDeps, decision, load, need, set_conv, try_apply, waiting_item};
use crate::event::InboundEvent;
use crate::ids::ConversationId;
use crate::ports::{Conversation, ConversationState, RoutingOp};
use crate::routing::classify::{Facts, any_condition, classify, detect_language, locales_in};
use crate::routing::hours::is_open;
use crate::routing::model::{Condition, Distribution, Mode, OverflowAction, Queue, QueueId};
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
    route_new(deps, conv, event).await
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
        // The customer's latest message carries the facts the rules read.
        let timeline = deps.conversations.timeline(&conv.id).await?;
        let Some(event) = timeline
            .iter()
            .rev()
            .find(|e| e.kind.is_customer_activity())
        else {
            continue;
        };
        route_new(deps, conv, event).await?;
        routed += 1;
    }
    Ok(routed)
}

fn facts(
    conv: &Conversation,
    event: &InboundEvent,
    ws: &Workstream,
    rulesets: &[crate::routing::model::Ruleset],
    contact: Option<&crate::ports::Contact>,
    returning: bool,
    now: Millis,
) -> Facts {
    let text = event.text.clone();
    let mut candidates = vec![ws.locale.as_str().to_string()];
    candidates.extend(locales_in(rulesets));
    let locale = text
        .as_deref()
        .and_then(|t| detect_language(t, &candidates))
        .map(str::to_string)
        .unwrap_or_else(|| ws.locale.as_str().to_string());
    let referral = event.referral.as_ref();
    Facts {
        page_id: Some(conv.page_id.clone()),
        locale,
        text,
        payload: event
            .quick_reply_payload
            .clone()
            .or_else(|| event.postback.as_ref().and_then(|p| p.payload.clone())),
        referral_ref: referral.and_then(|r| r.reference.clone()),
        ad_id: referral.and_then(|r| r.ad_id.clone()),
        contact: contact.map(|c| c.fields()).unwrap_or_default(),
        returning,
        now,
    }
}

enum Choice {
    Queue {
        queue: Box<Queue>,
        why: String,
    },
    End {
        message: Option<String>,
        why: String,
    },
    Nowhere {
        why: String,
    },
}

/// Why a queue cannot take a new conversation now, and what it says to do.
async fn overflow_before(
    deps: &RoutingDeps,
    q: &Queue,
    now: Millis,
) -> Result<Option<(String, OverflowAction)>> {
    if let Some(h) = &q.hours
        && !is_open(h, now)
    {
        let action = q
            .overflow
            .out_of_hours
            .clone()
            .unwrap_or(OverflowAction::QueueAnyway);
        return Ok(Some((
            format!("queue {} is outside its operating hours", q.id),
            action,
        )));
    }
    if let Some(m) = &q.overflow.max_waiting {
        let n = deps
            .routing
            .count_waiting(&q.id, m.items as usize + 1)
            .await?;
        if n > m.items as usize {
            return Ok(Some((
                format!("queue {} has more than {} waiting", q.id, m.items),
                m.then.clone(),
            )));
        }
    }
    Ok(None)
}

async fn choose_queue(
    deps: &RoutingDeps,
    candidates: &[(QueueId, String)],
    fallback: Option<&QueueId>,
    now: Millis,
) -> Result<Choice> {
    // The matching queues in rule order; the fallback only when none matched.
    let mut tried: Vec<(QueueId, String)> = candidates.to_vec();
    if tried.is_empty()
        && let Some(f) = fallback
    {
        tried.push((f.clone(), "the workstream's fallback queue".to_string()));
    }
    let mut notes = Vec::new();
    let mut first_overflow: Option<(Queue, OverflowAction)> = None;
    for (qid, why) in &tried {
        let Some(q) = deps.config.get_queue(qid).await? else {
            notes.push(format!("queue {qid} ({why}) does not exist"));
            continue;
        };
        match overflow_before(deps, &q, now).await? {
            None => {
                let mut why = if why.starts_with("the workstream") {
                    format!("no route-to-queue rule matched: {why}")
                } else {
                    format!("rule {why:?} matched")
                };
                if !notes.is_empty() {
                    why = format!("{why} (skipped: {})", notes.join("; "));
                }
                return Ok(Choice::Queue {
                    queue: Box::new(q),
                    why,
                });
            }
            Some((cause, action)) => {
                if let OverflowAction::QueueAnyway = action {
                    return Ok(Choice::Queue {
                        why: format!("{cause}; its overflow says queue anyway"),
                        queue: Box::new(q),
                    });
                }
                notes.push(cause);
                first_overflow.get_or_insert((q, action));
            }
        }
    }
    match first_overflow {
        Some((q, OverflowAction::Transfer { queue })) => match deps.config.get_queue(&queue).await?
        {
            Some(to) => Ok(Choice::Queue {
                why: format!(
                    "{}; overflow transferred it from {} to {}",
                    notes.join("; "),
                    q.id,
                    to.id
                ),
                queue: Box::new(to),
            }),
            None => Ok(Choice::Queue {
                why: format!(
                    "{}; the overflow queue {queue} does not exist, so it waits in {}",
                    notes.join("; "),
                    q.id
                ),
                queue: Box::new(q),
            }),
        },
        Some((_, OverflowAction::End { message })) => Ok(Choice::End {
            message,
            why: notes.join("; "),
        }),
        Some((q, OverflowAction::QueueAnyway)) => Ok(Choice::Queue {
            queue: Box::new(q),
            why: notes.join("; "),
        }),
        None => Ok(Choice::Nowhere {
            why: if notes.is_empty() {
                "no route-to-queue rule matched and the workstream has no fallback queue; set distribution.fallback_queue".to_string()
            } else {
                format!("no usable queue: {}", notes.join("; "))
            },
        }),
    }
}

async fn route_new(deps: &RoutingDeps, conv: Conversation, event: &InboundEvent) -> Result<()> {
    let now = deps.clock.now();
    let mut r = Routing {
        priority: DEFAULT_PRIORITY,
        // A conversation routed again keeps the story so far.
        decisions: conv
            .routing
            .as_ref()
            .map(|r| r.decisions.clone())
            .unwrap_or_default(),
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
    let f = facts(
        &conv,
        event,
        &ws,
        &rulesets,
        contact.as_ref(),
        returning,
        now,
    );
    let c = classify(&rulesets, &f);

    r.workstream = Some(ws.id.clone());
    r.language = Some(f.locale.clone());
    r.skills = c.skills.clone();
    r.attributes = c.attributes.clone();
    r.priority = c.priority.unwrap_or(DEFAULT_PRIORITY);
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

    match choose_queue(deps, &c.candidates, dist.fallback_queue.as_ref(), now).await? {
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
        if let Some(a) = deps.config.get_agent(&members[i].agent.id).await? {
            members[i] = a;
        }
    }
    Ok(false)
}
