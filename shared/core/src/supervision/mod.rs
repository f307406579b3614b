//! What supervisors see and do beyond an agent: the live overview of
//! queues and agents ([`overview`]), moving a conversation to another
//! queue or agent ([`assign`]), who a conversation can be transferred to
//! ([`targets`]), the survey results per agent and queue ([`surveys`]) and
//! the service-level report ([`service_level`]).
//! Each is a plain async function over the ports, reading indexes (a
//! queue's waiting items, an agent's conversations, the survey stream's
//! time order), never every conversation.

pub mod assign;
pub mod overview;
pub mod service_level;
pub mod surveys;
pub mod targets;

use crate::ports::StoreResult;
use crate::routing::engine::RoutingDeps;
use crate::routing::model::{Queue, QueueId, RulesetKind};
use crate::workstreams::WorkstreamId;
use std::collections::{BTreeMap, BTreeSet};

/// Which queues each workstream routes to: the queues its route-to-queue
/// rulesets name, its fallback queue, and the queues those overflow to (a
/// queue belongs to no workstream by itself; the configuration ties them).
pub(crate) async fn workstream_queues(
    deps: &RoutingDeps,
    queues: &[Queue],
) -> StoreResult<BTreeMap<WorkstreamId, BTreeSet<QueueId>>> {
    let mut named: BTreeMap<WorkstreamId, BTreeSet<QueueId>> = BTreeMap::new();
    for ws in deps.workstreams.list_workstreams().await? {
        let set = named.entry(ws.id.clone()).or_default();
        if let Some(q) = ws.distribution.fallback_queue {
            set.insert(q);
        }
    }
    for rs in deps.config.list_rulesets(None).await? {
        if let RulesetKind::RouteToQueue { rules } = rs.kind {
            named
                .entry(rs.workstream)
                .or_default()
                .extend(rules.into_iter().map(|r| r.queue));
        }
    }
    let by_id: BTreeMap<&QueueId, &Queue> = queues.iter().map(|q| (&q.id, q)).collect();
    for set in named.values_mut() {
        let mut todo: Vec<QueueId> = set.iter().cloned().collect();
        while let Some(q) = todo.pop() {
            for next in by_id.get(&q).into_iter().flat_map(|q| q.overflow.targets()) {
                if set.insert(next.clone()) {
                    todo.push(next.clone());
                }
            }
        }
        set.retain(|q| by_id.contains_key(q));
    }
    Ok(named)
}
