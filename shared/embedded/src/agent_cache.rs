//! Decoded agent records, each kept with the JSON it was decoded from. A
//! routing decision reads every member of its queue, and decoding their
//! JSON was most of a decision's CPU with 200 agents (`make bench`
//! routeload, perf). A record is decoded again whenever its stored JSON
//! differs from the cached one, so whichever transaction read it, the
//! answer is what that transaction saw: the cache is never stale. Records
//! are handed out shared (`Arc`): copying 200 of them per decision was the
//! next largest item (perf, routeload).

use crate::tables::dec;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use switchboard_core::ports::StoreResult;
use switchboard_core::routing::model::AgentState;

#[derive(Default)]
pub(crate) struct AgentCache {
    /// Agent id -> (stored JSON, decoded): one entry per agent. A deleted
    /// agent's is dropped with it (a read of an older snapshot racing the
    /// delete may put it back: one stale entry, never a stale answer).
    decoded: Mutex<HashMap<String, (String, Arc<AgentState>)>>,
}

impl AgentCache {
    /// Agent `id`'s record as stored in `json`.
    pub(crate) fn decode(&self, id: &str, json: &str) -> StoreResult<Arc<AgentState>> {
        if let Some((seen, state)) = self.lock().get(id)
            && seen == json
        {
            return Ok(state.clone());
        }
        // Decoded outside the lock: other readers do not wait on it.
        let state: Arc<AgentState> = Arc::new(dec(json)?);
        self.lock()
            .insert(id.to_string(), (json.to_string(), state.clone()));
        Ok(state)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (String, Arc<AgentState>)>> {
        self.decoded.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Drop agent `id`'s entry (the agent is deleted).
    pub(crate) fn forget(&self, id: &str) {
        self.decoded
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchboard_core::Millis;
    use switchboard_core::routing::model::{Agent, AgentId, AgentLoad, PresenceSetting};

    fn stored(name: &str) -> String {
        let state = AgentState {
            agent: Agent {
                id: AgentId::parse("ana").unwrap(),
                name: name.into(),
                email: "ana@example.com".into(),
                skills: Default::default(),
                capacity: 1,
                profiles: Default::default(),
                queues: vec![],
                created_at: Millis(0),
                updated_at: Millis(0),
            },
            version: 1,
            presence: PresenceSetting::offline(Millis(0)),
            load: AgentLoad::default(),
            heartbeat_at: None,
        };
        serde_json::to_string(&state).unwrap()
    }

    #[test]
    fn a_changed_record_is_decoded_again() {
        let cache = AgentCache::default();
        let (first, second) = (stored("Ana"), stored("Ana B"));
        assert_eq!(cache.decode("ana", &first).unwrap().agent.name, "Ana");
        assert_eq!(cache.decode("ana", &first).unwrap().agent.name, "Ana");
        assert_eq!(cache.decode("ana", &second).unwrap().agent.name, "Ana B");
        assert_eq!(cache.decode("ana", &first).unwrap().agent.name, "Ana");
        assert!(cache.decode("ana", "{not json").is_err());
        cache.forget("ana");
        assert!(cache.decoded.lock().unwrap().is_empty());
    }
}
