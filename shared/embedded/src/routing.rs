//! The routing ports on redb. `apply` loads every record its operations
//! touch, checks every condition in memory, and only then writes: a
//! failed condition writes nothing (group commit shares the transaction).
//!
//! Tables (JSON values unless noted):
//! - `agents` id -> AgentState; `members` "queue|agent" -> "" (queue membership)
//! - `queues` id -> Queue; `rulesets` id -> Ruleset; `rulesets_by_ws` "ws|order|id" -> id
//! - `canned` id -> CannedResponse (a workstream's are picked from all: few)
//! - `sign_in` code hash -> SignInCode (taken by a remove; expired ones are
//!   dropped when a new one is put: few)
//! - `waiting` "queue|key" -> WaitingItem (key: priority, oldest); `urgent` "queue|window" -> key
//! - `timers` key (due, kind, conversation) -> Timer

use crate::store::RedbStore;
use crate::tables::{
    AGENT_CONVS, AGENTS, CANNED, CONVERSATIONS, CUSTOMERS, MEMBERS, QUEUES, RULESETS,
    RULESETS_BY_WS, SIGN_IN, TIMERS, URGENT, WAITING, customer_key, dec, enc, err,
};
use async_trait::async_trait;
use redb::ReadableTable;
use std::collections::HashMap;
use std::sync::Arc;
use switchboard_core::Millis;
use switchboard_core::canned::{CannedResponse, CannedResponseId};
use switchboard_core::ids::ConversationId;
use switchboard_core::ports::{
    Conversation, ConversationState, Customer, RoutingConfigStore, RoutingOp, RoutingStore,
    StoreError, StoreResult, WriteMode, listed,
};
use switchboard_core::routing::model::{
    Agent, AgentId, AgentState, PresenceSetting, Queue, QueueId, Ruleset, RulesetId,
};
use switchboard_core::routing::record::{Routing, Timer, WaitingItem};
use switchboard_core::sign_in::SignInCode;
use switchboard_core::workstreams::WorkstreamId;

fn member_key(q: &QueueId, a: &AgentId) -> String {
    format!("{q}|{a}")
}

fn ruleset_index(r: &Ruleset) -> String {
    format!("{}|{:010}|{}", r.workstream, r.order, r.id)
}

fn waiting_key(q: &QueueId, key: &str) -> String {
    format!("{q}|{key}")
}

/// Every key of a table that starts with `prefix`, with its value.
fn prefixed<T: ReadableTable<&'static str, &'static str>>(
    t: &T,
    prefix: &str,
    limit: usize,
) -> StoreResult<Vec<(String, String)>> {
    let mut out = Vec::new();
    for row in t.range(prefix..).map_err(err)? {
        let (k, v) = row.map_err(err)?;
        if !k.value().starts_with(prefix) || out.len() >= limit {
            break;
        }
        out.push((k.value().to_string(), v.value().to_string()));
    }
    Ok(out)
}

fn get<T: serde::de::DeserializeOwned>(
    t: &impl ReadableTable<&'static str, &'static str>,
    key: &str,
) -> StoreResult<Option<T>> {
    t.get(key).map_err(err)?.map(|g| dec(g.value())).transpose()
}

fn conflict(what: String) -> StoreError {
    StoreError::Conflict(what)
}

/// An agent's record; `NotFound` when there is none.
fn existing_agent(
    agents: &impl ReadableTable<&'static str, &'static str>,
    id: &AgentId,
) -> StoreResult<AgentState> {
    get(agents, id.as_str())?.ok_or_else(|| StoreError::NotFound(format!("agent {id}")))
}

impl RedbStore {
    /// Change one agent's record with `change` in one write; `NotFound`
    /// when there is none.
    async fn update_agent(
        &self,
        id: &AgentId,
        change: impl FnOnce(&mut AgentState) + Send + 'static,
    ) -> StoreResult<AgentState> {
        let id = id.clone();
        self.write(move |txn| {
            let mut agents = txn.open_table(AGENTS).map_err(err)?;
            let mut state = existing_agent(&agents, &id)?;
            change(&mut state);
            agents
                .insert(id.as_str(), enc(&state)?.as_str())
                .map_err(err)?;
            Ok(state)
        })
        .await
    }
}

#[async_trait]
impl RoutingConfigStore for RedbStore {
    async fn put_agent(&self, agent: &Agent, mode: WriteMode) -> StoreResult<AgentState> {
        let agent = agent.clone();
        self.write(move |txn| {
            let mut agents = txn.open_table(AGENTS).map_err(err)?;
            let mut members = txn.open_table(MEMBERS).map_err(err)?;
            let existing: Option<AgentState> = get(&agents, agent.id.as_str())?;
            if mode == WriteMode::Create && existing.is_some() {
                return Err(conflict(format!("agent {}", agent.id)));
            }
            let state = match existing {
                Some(old) => {
                    for q in old
                        .agent
                        .queues
                        .iter()
                        .filter(|q| !agent.queues.contains(q))
                    {
                        members
                            .remove(member_key(q, &agent.id).as_str())
                            .map_err(err)?;
                    }
                    old.reconfigured(&agent)
                }
                None => AgentState::created(agent.clone()),
            };
            for q in &agent.queues {
                members
                    .insert(member_key(q, &agent.id).as_str(), "")
                    .map_err(err)?;
            }
            agents
                .insert(agent.id.as_str(), enc(&state)?.as_str())
                .map_err(err)?;
            Ok(state)
        })
        .await
    }

    async fn get_agent(&self, id: &AgentId) -> StoreResult<Option<AgentState>> {
        let txn = self.read_in_place()?;
        let agents = txn.open_table(AGENTS).map_err(err)?;
        let found = agents.get(id.as_str()).map_err(err)?;
        found
            .map(|g| {
                self.agents
                    .decode(id.as_str(), g.value())
                    .map(Arc::unwrap_or_clone)
            })
            .transpose()
    }

    async fn list_agents(&self) -> StoreResult<Vec<AgentState>> {
        let cache = self.agents.clone();
        self.read(move |txn| {
            let agents = txn.open_table(AGENTS).map_err(err)?;
            let mut out = Vec::new();
            for row in agents.iter().map_err(err)? {
                let (id, json) = row.map_err(err)?;
                out.extend(listed(
                    "routing record",
                    cache
                        .decode(id.value(), json.value())
                        .map(Arc::unwrap_or_clone),
                ));
            }
            Ok(out)
        })
        .await
    }

    async fn delete_agent(&self, id: &AgentId) -> StoreResult<()> {
        let deleted = id.clone();
        let id = id.clone();
        self.write(move |txn| {
            let mut agents = txn.open_table(AGENTS).map_err(err)?;
            let state = existing_agent(&agents, &id)?;
            if state.load.active > 0 || state.load.used > 0 {
                return Err(conflict(format!("agent {id} holds conversations")));
            }
            let mut members = txn.open_table(MEMBERS).map_err(err)?;
            for q in &state.agent.queues {
                members.remove(member_key(q, &id).as_str()).map_err(err)?;
            }
            agents.remove(id.as_str()).map_err(err)?;
            Ok(())
        })
        .await?;
        self.agents.forget(deleted.as_str());
        Ok(())
    }

    async fn heartbeat(&self, id: &AgentId, at: Millis) -> StoreResult<AgentState> {
        self.update_agent(id, move |state| state.heartbeat_at = Some(at))
            .await
    }

    async fn set_presence(
        &self,
        id: &AgentId,
        presence: &PresenceSetting,
    ) -> StoreResult<AgentState> {
        let presence = presence.clone();
        self.update_agent(id, move |state| state.presence = presence)
            .await
    }

    async fn put_queue(&self, queue: &Queue, mode: WriteMode) -> StoreResult<()> {
        let what = format!("queue {}", queue.id);
        self.put_json(QUEUES, queue.id.to_string(), queue, mode, what)
            .await
    }

    async fn get_queue(&self, id: &QueueId) -> StoreResult<Option<Queue>> {
        self.get_json(QUEUES, id.to_string()).await
    }

    async fn list_queues(&self) -> StoreResult<Vec<Queue>> {
        self.all(QUEUES, "routing record").await
    }

    async fn delete_queue(&self, id: &QueueId) -> StoreResult<()> {
        self.delete_json(QUEUES, id.to_string(), format!("queue {id}"))
            .await
    }

    async fn put_ruleset(&self, ruleset: &Ruleset, mode: WriteMode) -> StoreResult<()> {
        let r = ruleset.clone();
        self.write(move |txn| {
            let mut all = txn.open_table(RULESETS).map_err(err)?;
            let mut index = txn.open_table(RULESETS_BY_WS).map_err(err)?;
            let old: Option<Ruleset> = get(&all, r.id.as_str())?;
            if mode == WriteMode::Create && old.is_some() {
                return Err(conflict(format!("ruleset {}", r.id)));
            }
            if let Some(old) = old {
                index.remove(ruleset_index(&old).as_str()).map_err(err)?;
            }
            index
                .insert(ruleset_index(&r).as_str(), r.id.as_str())
                .map_err(err)?;
            all.insert(r.id.as_str(), enc(&r)?.as_str()).map_err(err)?;
            Ok(())
        })
        .await
    }

    async fn get_ruleset(&self, id: &RulesetId) -> StoreResult<Option<Ruleset>> {
        self.get_json(RULESETS, id.to_string()).await
    }

    async fn list_rulesets(&self, ws: Option<&WorkstreamId>) -> StoreResult<Vec<Ruleset>> {
        // In place, not on the blocking pool: rulesets are configuration, a
        // handful per workstream, and routing reads them for every new
        // conversation (the hand-off to a thread and back cost more than
        // the read; `make bench`, routeload).
        let prefix = ws.map(|w| format!("{w}|")).unwrap_or_default();
        let txn = self.read_in_place()?;
        let all = txn.open_table(RULESETS).map_err(err)?;
        let index = txn.open_table(RULESETS_BY_WS).map_err(err)?;
        let mut out = Vec::new();
        for (_, id) in prefixed(&index, &prefix, usize::MAX)? {
            if let Some(r) = get::<Ruleset>(&all, &id)? {
                out.push(r);
            }
        }
        Ok(out)
    }

    async fn delete_ruleset(&self, id: &RulesetId) -> StoreResult<()> {
        let id = id.clone();
        self.write(move |txn| {
            let mut all = txn.open_table(RULESETS).map_err(err)?;
            let Some(old): Option<Ruleset> = get(&all, id.as_str())? else {
                return Err(StoreError::NotFound(format!("ruleset {id}")));
            };
            let mut index = txn.open_table(RULESETS_BY_WS).map_err(err)?;
            index.remove(ruleset_index(&old).as_str()).map_err(err)?;
            all.remove(id.as_str()).map_err(err)?;
            Ok(())
        })
        .await
    }

    async fn put_canned(&self, c: &CannedResponse, mode: WriteMode) -> StoreResult<()> {
        let c = c.clone();
        self.write(move |txn| {
            let mut all = txn.open_table(CANNED).map_err(err)?;
            if mode == WriteMode::Create && all.get(c.id.as_str()).map_err(err)?.is_some() {
                return Err(conflict(format!("canned response {}", c.id)));
            }
            all.insert(c.id.as_str(), enc(&c)?.as_str()).map_err(err)?;
            Ok(())
        })
        .await
    }

    async fn get_canned(&self, id: &CannedResponseId) -> StoreResult<Option<CannedResponse>> {
        self.get_json(CANNED, id.to_string()).await
    }

    async fn list_canned(&self, ws: Option<&WorkstreamId>) -> StoreResult<Vec<CannedResponse>> {
        let all: Vec<CannedResponse> = self.all(CANNED, "canned response").await?;
        Ok(all
            .into_iter()
            .filter(|c| ws.is_none_or(|w| c.workstream == *w))
            .collect())
    }

    async fn put_sign_in_code(&self, code: &SignInCode) -> StoreResult<()> {
        let code = code.clone();
        self.write(move |txn| {
            let mut all = txn.open_table(SIGN_IN).map_err(err)?;
            let mut expired = Vec::new();
            for row in all.iter().map_err(err)? {
                let (k, v) = row.map_err(err)?;
                match dec::<SignInCode>(v.value()) {
                    Ok(c) if c.expires_at > code.created_at => {}
                    _ => expired.push(k.value().to_string()),
                }
            }
            for k in expired {
                all.remove(k.as_str()).map_err(err)?;
            }
            all.insert(code.hash.as_str(), enc(&code)?.as_str())
                .map_err(err)?;
            Ok(())
        })
        .await
    }

    async fn take_sign_in_code(&self, hash: &str) -> StoreResult<Option<SignInCode>> {
        let hash = hash.to_string();
        self.write(move |txn| {
            let mut all = txn.open_table(SIGN_IN).map_err(err)?;
            let taken = all.remove(hash.as_str()).map_err(err)?;
            taken.map(|v| dec(v.value())).transpose()
        })
        .await
    }

    async fn delete_canned(&self, id: &CannedResponseId) -> StoreResult<()> {
        let id = id.clone();
        self.write(move |txn| {
            let mut all = txn.open_table(CANNED).map_err(err)?;
            if all.remove(id.as_str()).map_err(err)?.is_none() {
                return Err(StoreError::NotFound(format!("canned response {id}")));
            }
            Ok(())
        })
        .await
    }
}

/// Records `apply` changes, loaded once and written at the end.
#[derive(Default)]
struct Pending {
    convs: HashMap<String, Conversation>,
    agents: HashMap<String, AgentState>,
    customers: HashMap<String, Customer>,
}

fn load_agent<'p>(
    p: &'p mut Pending,
    agents: &impl ReadableTable<&'static str, &'static str>,
    agent: &AgentId,
) -> StoreResult<&'p mut AgentState> {
    let key = agent.to_string();
    if !p.agents.contains_key(&key) {
        let a: AgentState =
            get(agents, &key)?.ok_or_else(|| conflict(format!("agent {agent} is gone")))?;
        p.agents.insert(key.clone(), a);
    }
    Ok(p.agents.get_mut(&key).expect("loaded above"))
}

#[async_trait]
impl RoutingStore for RedbStore {
    async fn apply(&self, ops: &[RoutingOp]) -> StoreResult<()> {
        let ops = ops.to_vec();
        self.write(move |txn| {
            let mut convs = txn.open_table(CONVERSATIONS).map_err(err)?;
            let mut agents = txn.open_table(AGENTS).map_err(err)?;
            let mut customers = txn.open_table(CUSTOMERS).map_err(err)?;
            let mut p = Pending::default();
            // 1. Check every condition against the records as they will be.
            for op in &ops {
                match op {
                    RoutingOp::Conversation {
                        id,
                        expect,
                        state,
                        routing,
                        at,
                        ..
                    } => {
                        let key = id.to_string();
                        if !p.convs.contains_key(&key) {
                            let c: Conversation = get(&convs, &key)?.ok_or_else(|| {
                                StoreError::NotFound(format!("conversation {id}"))
                            })?;
                            p.convs.insert(key.clone(), c);
                        }
                        let c = p.convs.get_mut(&key).expect("loaded above");
                        if c.rv != *expect || !c.state.is_open() {
                            return Err(conflict(format!("conversation {id} changed")));
                        }
                        c.rv += 1;
                        c.state = *state;
                        c.routing = Some((**routing).clone());
                        c.updated_at = c.updated_at.max(*at);
                        if *state == ConversationState::Closed {
                            c.closed_at = Some(*at);
                            let ck = customer_key(&c.page_id, &c.psid);
                            if !p.customers.contains_key(&ck)
                                && let Some(cu) = get::<Customer>(&customers, &ck)?
                            {
                                p.customers.insert(ck.clone(), cu);
                            }
                            if let Some(cu) = p.customers.get_mut(&ck)
                                && cu.open_conversation_id.as_ref() == Some(id)
                            {
                                cu.open_conversation_id = None;
                            }
                        }
                    }
                    RoutingOp::Take { when, units, at } => {
                        let a = load_agent(&mut p, &agents, &when.agent)?;
                        when.holds(a).map_err(conflict)?;
                        a.load.used += units;
                        a.load.active += 1;
                        a.load.last_assigned_at = Some(*at);
                        if let Some((name, _)) = &when.profile {
                            *a.load.profiles.entry(name.clone()).or_default() += 1;
                        }
                    }
                    RoutingOp::Present(when) => {
                        // Checked, not written: as this write left it, or as stored.
                        let key = when.agent.to_string();
                        let stored;
                        let a = match p.agents.get(&key) {
                            Some(a) => a,
                            None => {
                                stored = get::<AgentState>(&agents, &key)?.ok_or_else(|| {
                                    conflict(format!("agent {} is gone", when.agent))
                                })?;
                                &stored
                            }
                        };
                        when.holds(a).map_err(conflict)?;
                    }
                    RoutingOp::Release {
                        agent,
                        units,
                        profile,
                        at,
                    } => {
                        let a = load_agent(&mut p, &agents, agent)?;
                        if a.load.used < *units || a.load.active == 0 {
                            return Err(conflict(format!("agent {agent} does not hold that much")));
                        }
                        a.load.used -= units;
                        a.load.active -= 1;
                        a.load.last_freed_at = Some(*at);
                        if let Some(name) = profile
                            && let Some(n) = a.load.profiles.get_mut(name)
                        {
                            *n = n.saturating_sub(1);
                        }
                    }
                    RoutingOp::CustomerAgent { page, psid, agent } => {
                        let ck = customer_key(page, psid);
                        if !p.customers.contains_key(&ck)
                            && let Some(cu) = get::<Customer>(&customers, &ck)?
                        {
                            p.customers.insert(ck.clone(), cu);
                        }
                        if let Some(cu) = p.customers.get_mut(&ck) {
                            cu.last_agent = Some(agent.clone());
                        }
                    }
                    _ => {}
                }
            }
            // 2. Write.
            for (k, c) in &p.convs {
                let before: Option<Conversation> = get(&convs, k)?;
                convs.insert(k.as_str(), enc(c)?.as_str()).map_err(err)?;
                crate::conv_index::index(txn, before.as_ref(), c)?;
            }
            for (k, a) in &p.agents {
                agents.insert(k.as_str(), enc(a)?.as_str()).map_err(err)?;
            }
            for (k, c) in &p.customers {
                customers
                    .insert(k.as_str(), enc(c)?.as_str())
                    .map_err(err)?;
            }
            let mut waiting = txn.open_table(WAITING).map_err(err)?;
            let mut urgent = txn.open_table(URGENT).map_err(err)?;
            let mut timers = txn.open_table(TIMERS).map_err(err)?;
            for op in &ops {
                match op {
                    RoutingOp::PutWaiting(item) => {
                        let key = item.key();
                        waiting
                            .insert(waiting_key(&item.queue, &key).as_str(), enc(item)?.as_str())
                            .map_err(err)?;
                        urgent
                            .insert(
                                waiting_key(&item.queue, &item.urgency_key()).as_str(),
                                key.as_str(),
                            )
                            .map_err(err)?;
                    }
                    RoutingOp::DeleteWaiting { queue, key } => {
                        let old: Option<WaitingItem> = get(&waiting, &waiting_key(queue, key))?;
                        if let Some(item) = old {
                            urgent
                                .remove(waiting_key(queue, &item.urgency_key()).as_str())
                                .map_err(err)?;
                            waiting
                                .remove(waiting_key(queue, key).as_str())
                                .map_err(err)?;
                        }
                    }
                    RoutingOp::PutTimer(t) => {
                        timers
                            .insert(t.key().as_str(), enc(t)?.as_str())
                            .map_err(err)?;
                    }
                    RoutingOp::DeleteTimer(t) => {
                        timers.remove(t.key().as_str()).map_err(err)?;
                    }
                    _ => {}
                }
            }
            Ok(())
        })
        .await
    }

    async fn agent_conversations(
        &self,
        agent: &AgentId,
        state: ConversationState,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<Conversation>> {
        let prefix = format!("{agent}|{}|", state.as_str());
        let after = after.map(str::to_string);
        let agent = agent.clone();
        self.read(move |txn| {
            crate::conv_index::newest(
                txn,
                AGENT_CONVS,
                &prefix,
                after.as_deref(),
                limit,
                // The index is written with the conversation: this only
                // guards against a damaged row.
                |c| c.state == state && c.inbox_agent() == Some(&agent),
            )
        })
        .await
    }

    async fn waiting(
        &self,
        queue: &QueueId,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<WaitingItem>> {
        let prefix = format!("{queue}|");
        let after = after.map(|a| format!("{prefix}{a}"));
        self.read(move |txn| {
            let t = txn.open_table(WAITING).map_err(err)?;
            let rows = match &after {
                None => prefixed(&t, &prefix, limit)?,
                Some(from) => {
                    let mut out = Vec::new();
                    let range = (
                        std::ops::Bound::Excluded(from.as_str()),
                        std::ops::Bound::Unbounded,
                    );
                    for row in t.range::<&str>(range).map_err(err)? {
                        let (k, v) = row.map_err(err)?;
                        if !k.value().starts_with(&prefix) || out.len() >= limit {
                            break;
                        }
                        out.push((k.value().to_string(), v.value().to_string()));
                    }
                    out
                }
            };
            Ok(rows
                .iter()
                .filter_map(|(_, v)| listed("waiting item", dec(v)))
                .collect())
        })
        .await
    }

    async fn urgent(
        &self,
        queue: &QueueId,
        before: Millis,
        limit: usize,
    ) -> StoreResult<Vec<WaitingItem>> {
        let prefix = format!("{queue}|");
        self.read(move |txn| {
            let idx = txn.open_table(URGENT).map_err(err)?;
            let items = txn.open_table(WAITING).map_err(err)?;
            let mut out = Vec::new();
            for (_, key) in prefixed(&idx, &prefix, limit)? {
                if let Some(item) = get::<WaitingItem>(&items, &format!("{prefix}{key}"))?
                    && item.window_closes_at < before
                {
                    out.push(item);
                }
            }
            Ok(out)
        })
        .await
    }

    async fn count_waiting(&self, queue: &QueueId, up_to: usize) -> StoreResult<usize> {
        let prefix = format!("{queue}|");
        self.read(move |txn| {
            let t = txn.open_table(WAITING).map_err(err)?;
            Ok(prefixed(&t, &prefix, up_to)?.len())
        })
        .await
    }

    async fn queue_members(&self, queue: &QueueId) -> StoreResult<Vec<Arc<AgentState>>> {
        let prefix = format!("{queue}|");
        let cache = self.agents.clone();
        self.read(move |txn| {
            let members = txn.open_table(MEMBERS).map_err(err)?;
            let agents = txn.open_table(AGENTS).map_err(err)?;
            let mut out = Vec::new();
            // Walked in place: no copy of each member's key.
            for row in members.range(prefix.as_str()..).map_err(err)? {
                let (k, _) = row.map_err(err)?;
                let Some(id) = k.value().strip_prefix(prefix.as_str()) else {
                    break;
                };
                if let Some(json) = agents.get(id).map_err(err)? {
                    out.push(cache.decode(id, json.value())?);
                }
            }
            Ok(out)
        })
        .await
    }

    async fn due_timers(&self, now: Millis, limit: usize) -> StoreResult<Vec<Timer>> {
        self.read(move |txn| {
            let t = txn.open_table(TIMERS).map_err(err)?;
            let mut out = Vec::new();
            for row in t.iter().map_err(err)? {
                let (_, v) = row.map_err(err)?;
                let timer: Timer = dec(v.value())?;
                if timer.due > now || out.len() >= limit {
                    break;
                }
                out.push(timer);
            }
            Ok(out)
        })
        .await
    }

    async fn replace_routing(
        &self,
        id: &ConversationId,
        expect: u64,
        routing: &Routing,
    ) -> StoreResult<()> {
        let (id, routing) = (id.clone(), routing.clone());
        self.write(move |txn| {
            let mut convs = txn.open_table(CONVERSATIONS).map_err(err)?;
            let mut c: Conversation = get(&convs, id.as_str())?
                .ok_or_else(|| StoreError::NotFound(format!("conversation {id}")))?;
            if c.rv != expect {
                return Err(conflict(format!("conversation {id} changed")));
            }
            c.rv += 1;
            c.routing = Some(routing);
            convs.insert(id.as_str(), enc(&c)?.as_str()).map_err(err)?;
            Ok(())
        })
        .await
    }
}
