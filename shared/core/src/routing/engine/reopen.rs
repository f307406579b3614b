//! Follow-up work the customer revives: they write again, their window is
//! open, and an agent can answer after all. The mark goes, and it becomes
//! ordinary work: waiting, it is queued again at its real window (and
//! offered as usual); offered or held, its agent now holds its capacity
//! when they have room (a conditional take, as any offer's); when they do
//! not, it stays theirs without holding any, and the diagnostics say so.

use super::offers::distribute_conversation;
use super::{Result, RoutingDeps, decision, load, set_conv, transfer_need, try_apply};
use crate::ports::{Conversation, ConversationState, RoutingOp};
use crate::routing::select::{qualifies, take_op};

/// Called when a customer's message is stored on `conv` (as just read):
/// if it is follow-up work whose window the message opened again, make it
/// ordinary work. Safe to call for any conversation and again. The
/// conversation as it is after the change; `None` when nothing changed.
pub async fn window_reopened(
    deps: &RoutingDeps,
    mut conv: Conversation,
) -> Result<Option<Conversation>> {
    let id = conv.id.clone();
    for attempt in 0..3 {
        if attempt > 0 {
            conv = load(deps, &id).await?;
        }
        let Some(mut r) = conv.routing.clone() else {
            return Ok(None);
        };
        if r.follow_up.is_none() || !conv.state.is_open() {
            return Ok(None);
        }
        let ws = match &r.workstream {
            Some(w) => deps.workstreams.get_workstream(w).await?,
            None => None,
        };
        let now = deps.clock.now();
        if crate::follow_up::follow_up(&conv, ws.as_ref(), now).is_some() {
            // Still closed (an old message delivered late again).
            return Ok(None);
        }
        let Some(ws) = ws else {
            return Ok(None);
        };
        let last = conv.last_customer_message_at.unwrap_or(now);
        let closes = crate::window::closes_at(last, ws.features.human_agent_tag);
        r.follow_up = None;
        r.capacity = ws.distribution.capacity.clone();
        r.window_closes_at = Some(closes);
        let mut ops = Vec::new();
        let mut detail = format!(
            "the customer wrote again: the window is open until {}; ordinary work now",
            closes.to_rfc3339()
        );
        let mut queued_again = false;
        match (conv.state, r.agent.clone()) {
            (ConversationState::Waiting, _) => {
                if let (Some(q), Some(old)) = (r.queue.clone(), r.waiting_key.take()) {
                    let item = super::waiting_item(&conv, &r, &q, &ws.id, now);
                    r.waiting_key = Some(item.key());
                    ops.push(RoutingOp::DeleteWaiting { queue: q, key: old });
                    ops.push(RoutingOp::PutWaiting(Box::new(item)));
                    queued_again = true;
                }
            }
            (ConversationState::Offered | ConversationState::Assigned, Some(agent)) => {
                match deps.config.get_agent(&agent).await? {
                    Some(a) => {
                        let need = transfer_need(&r, &ws.distribution);
                        if qualifies(&a, &need).is_ok() {
                            ops.push(take_op(&a, &need, now));
                            r.holds_capacity = true;
                            detail.push_str(&format!(", holding {agent}'s capacity"));
                        } else {
                            detail.push_str(&format!(
                                "; {agent} has no room for it now, so it stays theirs without holding capacity"
                            ));
                        }
                    }
                    None => detail.push_str(&format!("; agent {agent} is gone")),
                }
            }
            _ => {}
        }
        r.record(decision(now, "window_reopened", detail));
        ops.insert(0, set_conv(&conv, conv.state, r, now));
        ops.push(RoutingOp::PutTimer(super::window::watch_timer(&id, closes)));
        if try_apply(deps, &ops).await? {
            if queued_again {
                distribute_conversation(deps, &id).await?;
            }
            return Ok(Some(load(deps, &id).await?));
        }
        // Someone moved first (or the agent's load changed): look again.
    }
    tracing::warn!(conversation_id = %id, "follow-up work kept changing; its window reopened but it stays marked");
    Ok(None)
}
