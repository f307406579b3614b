//! Consoles that stopped: an agent's console sends a heartbeat while it is
//! open; an agent who has sent heartbeats and then sends none for
//! [`LAPSE_SECS`] while available or busy (a closed tab, a lost
//! connection) is set offline as of their last heartbeat, as if they had
//! signed out: their pending offers are withdrawn and their workstreams'
//! hand-off time counts from then. An agent who never sent one (an API
//! client) is never set offline this way.

use super::offers::set_presence;
use super::{Result, RoutingDeps, RoutingError};
use crate::ports::StoreError;
use crate::routing::model::{AgentId, AgentState, BasePresence, PresenceSetting};
use crate::time::Millis;

/// How long without a heartbeat an agent is taken to have gone (the
/// console sends one every 30 s).
pub const LAPSE_SECS: i64 = 120;

/// `agent`'s console is open now.
pub async fn heartbeat(deps: &RoutingDeps, agent: &AgentId) -> Result<AgentState> {
    deps.config
        .heartbeat(agent, deps.clock.now())
        .await
        .map_err(|e| match e {
            StoreError::NotFound(_) => RoutingError::NotFound(format!("no agent {agent}")),
            e => e.into(),
        })
}

/// When `a`'s console went silent, if it has been for [`LAPSE_SECS`]
/// while they are neither away nor offline, and they have not set their
/// presence since (through the API, or a supervisor for them: a console
/// closed long ago does not send them offline).
fn lapsed_since(a: &AgentState, now: Millis) -> Option<Millis> {
    let last = a.heartbeat_at.filter(|h| *h >= a.presence.set_at)?;
    let present = !matches!(
        a.presence.status,
        BasePresence::Away | BasePresence::Offline
    );
    (present && now.0 - last.0 >= LAPSE_SECS * 1000).then_some(last)
}

/// Set offline every agent whose console went silent; how many.
pub(super) async fn lapsed(deps: &RoutingDeps) -> Result<usize> {
    let now = deps.clock.now();
    let mut gone = 0;
    for a in deps.config.list_agents().await? {
        if lapsed_since(&a, now).is_none() {
            continue;
        }
        // Read again just before: a heartbeat may have come meanwhile.
        let Some(fresh) = deps.config.get_agent(&a.agent.id).await? else {
            continue;
        };
        let Some(last) = lapsed_since(&fresh, now) else {
            continue;
        };
        match set_presence(deps, &a.agent.id, PresenceSetting::offline(last)).await {
            Ok(_) => {
                tracing::warn!(agent_id = %a.agent.id, last_heartbeat = %last.to_rfc3339(), "console stopped heartbeating: agent set offline");
                gone += 1;
            }
            // Deleted meanwhile, or a store failure: the others still go,
            // and the next run tries again.
            Err(e) => {
                tracing::warn!(agent_id = %a.agent.id, error = %e, "agent whose console stopped not set offline")
            }
        }
    }
    Ok(gone)
}
