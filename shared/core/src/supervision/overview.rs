//! The supervisor's live overview: each queue with how many wait, the
//! longest wait and the soonest messaging window closing among them; each
//! agent with presence, load against capacity and the conversations they
//! are offered, hold or wrap up; the first-response alerts (accepted
//! conversations not answered in the workstream's time); and the window
//! alerts (customers whose messaging window closes within the hour with
//! their last message unanswered). Read from the queue's waiting indexes
//! (queue order, window order) and the per-agent conversation index.

use super::workstream_queues;
use crate::ids::ConversationId;
use crate::ports::{Conversation, ConversationState, StoreResult};
use crate::problem::Problem;
use crate::routing::engine::{ESCALATE_BEFORE_MS, RoutingDeps, escalated};
use crate::routing::model::{AgentId, AgentState, Queue, QueueId};
use crate::routing::record::WaitingItem;
use crate::time::{self, Millis};
use crate::workstreams::WorkstreamId;
use futures::{StreamExt, TryStreamExt};
use serde::Serialize;
use std::collections::BTreeMap;

/// Waiting items counted per queue (more show as this many).
pub const WAITING_COUNTED: usize = 10_000;
/// Priority levels a queue's longest wait looks at (one read each).
const PRIORITY_LEVELS: usize = 50;
/// Conversations listed per agent and state.
pub const CONVERSATIONS_LISTED: usize = 50;
/// Agents whose conversations are read at once.
const AGENTS_AT_ONCE: usize = 8;

#[derive(Debug, Clone, Serialize)]
pub struct QueueLive {
    pub queue_id: QueueId,
    pub name: String,
    /// The workstream that routes to it (the first by id when several do).
    pub workstream: Option<WorkstreamId>,
    /// How many wait (counted up to [`WAITING_COUNTED`]).
    pub waiting: usize,
    /// Since the customer's last message, of the one waiting longest (0: nobody waits).
    pub longest_wait_seconds: u64,
    #[serde(with = "time::rfc3339::option")]
    pub soonest_window_closes_at: Option<Millis>,
}

#[derive(Debug, Clone)]
pub struct AgentLive {
    pub state: AgentState,
    /// Offered, assigned and in wrap-up, in that order, newest first in each.
    pub conversations: Vec<ConversationId>,
}

/// A conversation an agent accepted and has not answered for longer than
/// its workstream's `first_response_alert_seconds`.
#[derive(Debug, Clone, Serialize)]
pub struct FirstResponseAlert {
    pub conversation_id: ConversationId,
    pub agent_id: AgentId,
    /// When the agent took it.
    #[serde(with = "time::rfc3339")]
    pub since: Millis,
    pub waited_seconds: u64,
    /// When it is taken back from them (`None`: the workstream does not reclaim).
    #[serde(with = "time::rfc3339::option")]
    pub reclaimed_at: Option<Millis>,
}

/// A conversation escalated because its customer's messaging window
/// closes within the hour with their last message unanswered.
#[derive(Debug, Clone, Serialize)]
pub struct WindowAlert {
    pub conversation_id: ConversationId,
    /// Waiting (at the top of its queue), offered or held.
    pub state: ConversationState,
    pub queue_id: Option<QueueId>,
    /// The agent offered or holding it.
    pub agent_id: Option<AgentId>,
    /// The customer's last message.
    #[serde(with = "time::rfc3339::option")]
    pub customer_wrote_at: Option<Millis>,
    #[serde(with = "time::rfc3339")]
    pub window_closes_at: Millis,
}

#[derive(Debug, Clone)]
pub struct Overview {
    pub queues: Vec<QueueLive>,
    pub agents: Vec<AgentLive>,
    /// Longest-waiting first.
    pub alerts: Vec<FirstResponseAlert>,
    /// Soonest closing first.
    pub window_alerts: Vec<WindowAlert>,
    pub generated_at: Millis,
}

/// Waiting conversations a queue's window alerts look at: the soonest
/// closing, among them windows already closed (abandoned, still waiting),
/// so more than the escalated; beyond this many, some may not show.
const WINDOW_ALERTS_PER_QUEUE: usize = 200;

/// The overview now.
pub async fn overview(deps: &RoutingDeps) -> Result<Overview, Problem> {
    let now = deps.clock.now();
    let mut configured = deps.config.list_queues().await?;
    configured.sort_by(|a, b| a.priority.cmp(&b.priority).then_with(|| a.id.cmp(&b.id)));
    let routes = workstream_queues(deps, &configured).await?;
    let mut queues = Vec::with_capacity(configured.len());
    let mut window_alerts = Vec::new();
    for q in &configured {
        let workstream = routes
            .iter()
            .find(|(_, set)| set.contains(&q.id))
            .map(|(w, _)| w.clone());
        let live = queue_live(deps, q, workstream, now).await?;
        if live
            .soonest_window_closes_at
            .is_some_and(|c| c.0 - now.0 <= ESCALATE_BEFORE_MS)
        {
            window_alerts.extend(waiting_window_alerts(deps, &q.id, now).await?);
        }
        queues.push(live);
    }
    let timing: Timing = deps
        .workstreams
        .list_workstreams()
        .await?
        .into_iter()
        .filter_map(|w| {
            let d = w.distribution;
            d.first_response_alert_seconds
                .map(|a| (w.id, (a, d.reclaim_after_seconds)))
        })
        .collect();
    let live: Vec<(AgentLive, Alerts)> = futures::stream::iter(deps.config.list_agents().await?)
        .map(|state| agent_live(deps, state, &timing, now))
        .buffered(AGENTS_AT_ONCE)
        .try_collect()
        .await?;
    let mut agents = Vec::with_capacity(live.len());
    let mut alerts = Vec::new();
    for (a, (mut late, mut closing)) in live {
        agents.push(a);
        alerts.append(&mut late);
        window_alerts.append(&mut closing);
    }
    alerts.sort_by_key(|a| (a.since, a.conversation_id.clone()));
    window_alerts.sort_by_key(|a| (a.window_closes_at, a.conversation_id.clone()));
    Ok(Overview {
        queues,
        agents,
        alerts,
        window_alerts,
        generated_at: now,
    })
}

/// An agent's alerts: first-response and window.
type Alerts = (Vec<FirstResponseAlert>, Vec<WindowAlert>);

/// The window alert for `conv` if it is escalated now.
fn window_alert(conv: &Conversation, now: Millis) -> Option<WindowAlert> {
    let r = conv.routing.as_ref()?;
    if !conv.state.is_open() || !escalated(r, now) {
        return None;
    }
    Some(WindowAlert {
        conversation_id: conv.id.clone(),
        state: conv.state,
        queue_id: r.queue.clone(),
        agent_id: r
            .agent
            .clone()
            .filter(|_| conv.state != ConversationState::Waiting),
        customer_wrote_at: conv.last_customer_message_at,
        window_closes_at: r.window_closes_at?,
    })
}

/// The escalated conversations waiting in `queue`: among those whose
/// window closes within the hour (the window-order index), the ones
/// escalated.
async fn waiting_window_alerts(
    deps: &RoutingDeps,
    queue: &QueueId,
    now: Millis,
) -> StoreResult<Vec<WindowAlert>> {
    let closing = deps
        .routing
        .urgent(
            queue,
            Millis(now.0 + ESCALATE_BEFORE_MS),
            WINDOW_ALERTS_PER_QUEUE,
        )
        .await?;
    let convs: Vec<Option<Conversation>> = futures::stream::iter(closing)
        .map(|i| async move {
            deps.conversations
                .get_conversation(&i.conversation_id)
                .await
        })
        .buffered(AGENTS_AT_ONCE)
        .try_collect()
        .await?;
    Ok(convs
        .iter()
        .flatten()
        .filter(|c| c.state == ConversationState::Waiting)
        .filter_map(|c| window_alert(c, now))
        .collect())
}

/// Per workstream that alerts: its alert and reclaim times, in seconds.
type Timing = BTreeMap<WorkstreamId, (u64, Option<u64>)>;

/// The alert for `conv` (held by an agent) if its first answer is overdue.
fn first_response_alert(
    conv: &Conversation,
    timing: &Timing,
    now: Millis,
) -> Option<FirstResponseAlert> {
    let r = conv.routing.as_ref()?;
    // Follow-up work cannot be answered until the customer writes.
    if conv.state != ConversationState::Assigned || r.answered_at.is_some() || r.follow_up.is_some()
    {
        return None;
    }
    let (alert, reclaim) = timing.get(r.workstream.as_ref()?)?;
    let since = r.assigned_at?;
    let agent_id = r.agent.clone()?;
    let waited = now.0.saturating_sub(since.0) / 1000;
    (waited >= *alert as i64).then(|| FirstResponseAlert {
        conversation_id: conv.id.clone(),
        agent_id,
        since,
        waited_seconds: waited.max(0) as u64,
        reclaimed_at: reclaim.map(|s| Millis(since.0 + s as i64 * 1000)),
    })
}

async fn queue_live(
    deps: &RoutingDeps,
    q: &Queue,
    workstream: Option<WorkstreamId>,
    now: Millis,
) -> StoreResult<QueueLive> {
    let waiting = deps.routing.count_waiting(&q.id, WAITING_COUNTED).await?;
    let (oldest, soonest) = if waiting == 0 {
        (None, None)
    } else {
        (
            oldest_waiting(deps, &q.id).await?,
            deps.routing
                // Follow-up work's window closed already: not counted.
                .urgent(&q.id, Millis::LATEST, 1)
                .await?
                .first()
                .map(|i| i.window_closes_at),
        )
    };
    Ok(QueueLive {
        queue_id: q.id.clone(),
        name: q.name.clone(),
        workstream,
        waiting,
        longest_wait_seconds: oldest
            .map_or(0, |t| (now.0.saturating_sub(t.0) / 1000).max(0) as u64),
        soonest_window_closes_at: soonest,
    })
}

/// The earliest `since` among a queue's waiting items: the queue order is
/// priority, then oldest, so it is the oldest head of a priority level;
/// one read per level.
async fn oldest_waiting(deps: &RoutingDeps, queue: &QueueId) -> StoreResult<Option<Millis>> {
    let mut oldest: Option<Millis> = None;
    let mut after: Option<String> = None;
    for _ in 0..PRIORITY_LEVELS {
        let head = deps.routing.waiting(queue, after.as_deref(), 1).await?;
        let Some(head) = head.first() else { break };
        oldest = Some(oldest.map_or(head.since, |o| o.min(head.since)));
        after = Some(WaitingItem::after_priority(head.priority));
    }
    Ok(oldest)
}

async fn agent_live(
    deps: &RoutingDeps,
    state: AgentState,
    timing: &Timing,
    now: Millis,
) -> StoreResult<(AgentLive, Alerts)> {
    let mut conversations = Vec::new();
    let mut alerts = Vec::new();
    let mut closing = Vec::new();
    for st in [
        ConversationState::Offered,
        ConversationState::Assigned,
        ConversationState::WrapUp,
    ] {
        for c in deps
            .routing
            .agent_conversations(&state.agent.id, st, None, CONVERSATIONS_LISTED)
            .await?
        {
            alerts.extend(first_response_alert(&c, timing, now));
            closing.extend(window_alert(&c, now));
            conversations.push(c.id);
        }
    }
    Ok((
        AgentLive {
            state,
            conversations,
        },
        (alerts, closing),
    ))
}
