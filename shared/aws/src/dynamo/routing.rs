//! The routing ports on the same DynamoDB table (see `docs/dynamodb.md`):
//! agents with their load as numbers the conditions can test, queue
//! membership items beside each queue, rulesets indexed by workstream,
//! waiting items in queue order (with a window-closing index), and the
//! scheduler's timers. `apply` is one `TransactWriteItems`.

use super::conv_items::{
    CONV_SK, agent_conv_pk, conv_pk, conversation_from, customer_pk, gsi3_clause,
};
use super::*;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{ConditionCheck, Delete};
use aws_sdk_dynamodb::types::{ReturnValue, Select};
use std::sync::Arc;
use switchboard_core::Millis;
use switchboard_core::canned::{CannedResponse, CannedResponseId};
use switchboard_core::ids::ConversationId;
use switchboard_core::ports::{AgentCondition, RoutingConfigStore, RoutingOp, RoutingStore};
use switchboard_core::ports::{Conversation, ConversationState, listed};
use switchboard_core::routing::model::AgentId;
use switchboard_core::routing::model::{
    Agent, AgentLoad, AgentState, LoadBand, PresenceSetting, ProfileName, Queue, QueueId, Ruleset,
    RulesetId,
};
use switchboard_core::routing::record::{Routing, Timer, WaitingItem, sortable};
use switchboard_core::sign_in::SignInCode;
use switchboard_core::workstreams::WorkstreamId;

/// The IAM actions the routing ports call.
pub const IAM_ACTIONS_ROUTING: &[&str] = &[
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:TransactWriteItems",
];

fn agent_pk(id: &AgentId) -> String {
    format!("AGENT#{id}")
}
fn queue_pk(id: &QueueId) -> String {
    format!("QUEUE#{id}")
}
fn member_sk(id: &AgentId) -> String {
    format!("MEMBER#{id}")
}
fn ruleset_pk(id: &RulesetId) -> String {
    format!("RULESET#{id}")
}
fn waiting_pk(q: &QueueId) -> String {
    format!("WAIT#{q}")
}
const TIMERS_PK: &str = "TIMERS";

fn agent_item(state: &AgentState) -> StoreResult<Item> {
    let mut item = key(agent_pk(&state.agent.id), "AGENT");
    item.insert("doc".into(), to_doc(&state.agent)?);
    item.insert("version".into(), n(state.version as i64));
    item.insert("pdoc".into(), to_doc(&state.presence)?);
    item.insert("presence".into(), s(state.presence.stored_mode()));
    item.insert("used".into(), n(i64::from(state.load.used)));
    item.insert("active".into(), n(i64::from(state.load.active)));
    item.insert(
        "pused".into(),
        AttributeValue::M(
            state
                .load
                .profiles
                .iter()
                .map(|(k, v)| (k.to_string(), n(i64::from(*v))))
                .collect(),
        ),
    );
    item.insert("GSI2PK".into(), s("AGENTS"));
    item.insert("GSI2SK".into(), s(agent_pk(&state.agent.id)));
    Ok(item)
}

fn agent_from(item: &Item) -> StoreResult<AgentState> {
    let agent: Agent = doc(item)?;
    let presence: PresenceSetting = serde_json::from_str(get_s(item, "pdoc")?)
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let mut profiles = std::collections::BTreeMap::new();
    if let Some(AttributeValue::M(m)) = item.get("pused") {
        for (k, v) in m {
            let name = parse_id(ProfileName::parse(k.as_str()))?;
            let count = v
                .as_n()
                .ok()
                .and_then(|x| x.parse::<u32>().ok())
                .unwrap_or(0);
            profiles.insert(name, count);
        }
    }
    Ok(AgentState {
        agent,
        version: get_n(item, "version")? as u64,
        presence,
        load: AgentLoad {
            used: get_n(item, "used")? as u32,
            profiles,
            active: get_n(item, "active")? as u32,
            last_assigned_at: opt_n(item, "last_assigned_at").map(Millis),
            last_freed_at: opt_n(item, "last_freed_at").map(Millis),
        },
        heartbeat_at: opt_n(item, "heartbeat_at").map(Millis),
    })
}

fn delete(
    store: &DynamoStore,
    k: Item,
    condition: Option<(&str, Vec<(&str, AttributeValue)>)>,
) -> StoreResult<TransactWriteItem> {
    let mut d = Delete::builder().table_name(&store.table).set_key(Some(k));
    if let Some((c, values)) = condition {
        d = d.condition_expression(c);
        for (k, v) in values {
            d = d.expression_attribute_values(k, v);
        }
    }
    Ok(TransactWriteItem::builder()
        .delete(d.build().map_err(unavailable)?)
        .build())
}

/// A condition expression, with its values and names.
type Condition = (
    String,
    Vec<(&'static str, AttributeValue)>,
    Vec<(&'static str, String)>,
);

/// An [`AgentCondition`] as a condition expression, with its values and
/// names: the version (missing on an agent that is gone, so it fails), room
/// before the write, the profile's count, and the presence: a sticky one
/// allowed, or `auto` in an allowed [`LoadBand`] (as
/// [`AgentState::load_band`] derives it from `used`, `active` and the
/// capacity the version pins).
fn agent_condition(when: &AgentCondition) -> StoreResult<Condition> {
    const STICKY: [&str; 3] = [":s0", ":s1", ":s2"];
    if when.never() {
        return Err(StoreError::Conflict(format!(
            "agent {} cannot take it: no presence it may be in, or no room for it at all",
            when.agent
        )));
    }
    let Some(sticky_names) = STICKY.get(..when.sticky.len()) else {
        return Err(StoreError::Conflict(format!(
            "{} sticky presences for agent {}; there are {}",
            when.sticky.len(),
            when.agent,
            STICKY.len()
        )));
    };
    let mut values = vec![
        (":v", n(when.version as i64)),
        (":max", n(i64::from(when.max_used_before))),
    ];
    let mut names = Vec::new();
    let mut presence = Vec::new();
    if !sticky_names.is_empty() {
        presence.push(format!("presence IN ({})", sticky_names.join(", ")));
        values.extend(
            sticky_names
                .iter()
                .zip(&when.sticky)
                .map(|(k, p)| (*k, s(p.as_str()))),
        );
    }
    if !when.bands.is_empty() {
        // No part starts with a parenthesis, so none is nested directly in
        // another (DynamoDB refuses `((x))` as redundant). AND binds before OR.
        values.push((":auto", s("auto")));
        let holding = "(used > :zero OR active > :zero)";
        let bands: Vec<String> = when
            .bands
            .iter()
            .map(|b| match b {
                LoadBand::Idle => "used = :zero AND active = :zero".to_string(),
                LoadBand::Busy => format!("used < :cap AND {holding}"),
                LoadBand::Full => format!("used >= :cap AND {holding}"),
            })
            .collect();
        presence.push(match bands.as_slice() {
            [_, _, _] => "presence = :auto".to_string(),
            [one] => format!("presence = :auto AND {one}"),
            more => format!("presence = :auto AND ({})", more.join(" OR ")),
        });
        if when.bands.len() < LoadBand::ALL.len() && when.bands.iter().any(|b| *b != LoadBand::Idle)
        {
            values.push((":cap", n(i64::from(when.capacity))));
        }
    }
    let mut cond = match presence.as_slice() {
        [one] => format!("version = :v AND used <= :max AND {one}"),
        both => format!("version = :v AND used <= :max AND ({})", both.join(" OR ")),
    };
    if cond.contains(":zero") {
        values.push((":zero", n(0)));
    }
    if let Some((p, pmax)) = &when.profile {
        cond.push_str(" AND (attribute_not_exists(pused.#p) OR pused.#p <= :pmax)");
        values.push((":pmax", n(i64::from(*pmax))));
        names.push(("#p", p.to_string()));
    }
    Ok((cond, values, names))
}

/// Every item of a list that can be read (see [`listed`]).
fn decode_all<T>(items: &[Item], f: fn(&Item) -> StoreResult<T>) -> StoreResult<Vec<T>> {
    Ok(items
        .iter()
        .filter_map(|i| switchboard_core::ports::listed(std::any::type_name::<T>(), f(i)))
        .collect())
}

impl DynamoStore {
    /// Update an existing agent's item with `expression` and its `values`:
    /// the agent as it is after; `NotFound` when there is none.
    async fn update_agent<const N: usize>(
        &self,
        id: &AgentId,
        expression: &str,
        values: [(&str, AttributeValue); N],
    ) -> StoreResult<AgentState> {
        self.calls.record("dynamodb:UpdateItem");
        let k = key(agent_pk(id), "AGENT");
        self.writes.record(&k, None, false);
        let mut req = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(k))
            .update_expression(expression)
            .condition_expression("attribute_exists(PK)")
            .return_values(ReturnValue::AllNew);
        for (name, value) in values {
            req = req.expression_attribute_values(name, value);
        }
        match req.send().await {
            Ok(out) => agent_from(
                out.attributes()
                    .ok_or_else(|| StoreError::Corrupt("no attributes returned".into()))?,
            ),
            Err(e) => {
                conditional::<(), _, _>(Err(e), || StoreError::NotFound(format!("agent {id}")))?;
                Err(StoreError::NotFound(format!("agent {id}")))
            }
        }
    }

    /// Query one partition (of the table or an index) in key order, with an
    /// optional sort-key condition, up to `limit` items.
    async fn query_range(
        &self,
        index: Option<&str>,
        pk: (&str, String),
        sk: Option<(&str, &str, String)>,
        limit: usize,
    ) -> StoreResult<Vec<Item>> {
        self.query_pages(Query {
            index,
            pk,
            sk,
            filter: None,
            forward: true,
            limit,
        })
        .await
    }

    /// Read agents by id (see [`DynamoStore::batch_get`]), eventually
    /// consistent: half the read units of a strong read. Whether an agent
    /// may have the work is checked again when routing writes (the
    /// [`AgentCondition`] of [`RoutingOp::Take`] and [`RoutingOp::Present`]),
    /// so a lagging read cannot give work to an agent who may not have it;
    /// it can rank agents by a load a moment old, or miss one who just
    /// made room (the agent's own pull, or the sweep, offers it then).
    async fn agents_by_id(&self, ids: Vec<AgentId>) -> StoreResult<Vec<AgentState>> {
        let keys = ids.iter().map(|a| key(agent_pk(a), "AGENT")).collect();
        let mut out = self
            .batch_get(keys, false)
            .await?
            .iter()
            .map(agent_from)
            .collect::<StoreResult<Vec<_>>>()?;
        out.sort_by(|a, b| a.agent.id.cmp(&b.agent.id));
        Ok(out)
    }

    fn membership(&self, q: &QueueId, a: &AgentId) -> StoreResult<TransactWriteItem> {
        let mut item = key(queue_pk(q), &member_sk(a));
        item.insert("agent_id".into(), s(a.as_str()));
        self.put(item, None)
    }

    fn op_items(&self, op: &RoutingOp) -> StoreResult<Vec<TransactWriteItem>> {
        Ok(match op {
            RoutingOp::Conversation {
                id,
                page,
                psid,
                expect,
                state,
                routing,
                at,
            } => {
                let closed = *state == ConversationState::Closed;
                let mut set =
                    "SET #state = :s, rdoc = :doc, rv = :next, updated_at = :at, GSI2PK = :gsi"
                        .to_string();
                if closed {
                    set.push_str(", closed_at = :at");
                }
                // The inbox index (GSI3) follows the offer or the holder.
                let (gsi3, gsi3_values) = gsi3_clause(*state, Some(routing.as_ref()));
                set.push_str(gsi3);
                let cond = if *expect == 0 {
                    "attribute_exists(PK) AND attribute_not_exists(rv) AND #state <> :closed"
                } else {
                    "rv = :expect AND #state <> :closed"
                };
                let mut values = vec![
                    (":s", s(state.as_str())),
                    (":doc", routing_doc::to_value(routing, self.routing_form)?),
                    (":next", n(*expect as i64 + 1)),
                    (":at", n(at.0)),
                    (":gsi", s(format!("STATE#{}", state.as_str()))),
                    (":closed", s("closed")),
                ];
                if *expect != 0 {
                    values.push((":expect", n(*expect as i64)));
                }
                values.extend(gsi3_values);
                let mut items = vec![self.update(
                    key(conv_pk(id), CONV_SK),
                    &set,
                    Some(cond),
                    &[("#state", "state")],
                    values,
                )?];
                if closed {
                    items.push(self.activity_closed(id)?);
                    items.push(self.update(
                        key(customer_pk(page, psid), "CUSTOMER"),
                        "REMOVE open_conversation_id",
                        Some("open_conversation_id = :id"),
                        &[],
                        vec![(":id", s(id.as_str()))],
                    )?);
                }
                items
            }
            RoutingOp::Take { when, units, at } => {
                let (cond, mut values, names) = agent_condition(when)?;
                let mut set =
                    "SET used = used + :u, active = active + :one, last_assigned_at = :at"
                        .to_string();
                if when.profile.is_some() {
                    set.push_str(", pused.#p = if_not_exists(pused.#p, :zero) + :one");
                    if !values.iter().any(|(k, _)| *k == ":zero") {
                        values.push((":zero", n(0)));
                    }
                }
                values.extend([
                    (":u", n(i64::from(*units))),
                    (":one", n(1)),
                    (":at", n(at.0)),
                ]);
                let names: Vec<(&str, &str)> =
                    names.iter().map(|(k, v)| (*k, v.as_str())).collect();
                vec![self.update(
                    key(agent_pk(&when.agent), "AGENT"),
                    &set,
                    Some(&cond),
                    &names,
                    values,
                )?]
            }
            RoutingOp::Present(when) => {
                let (cond, values, names) = agent_condition(when)?;
                let mut check = ConditionCheck::builder()
                    .table_name(&self.table)
                    .set_key(Some(key(agent_pk(&when.agent), "AGENT")))
                    .condition_expression(cond);
                for (k, v) in values {
                    check = check.expression_attribute_values(k, v);
                }
                for (k, v) in names {
                    check = check.expression_attribute_names(k, v);
                }
                vec![
                    TransactWriteItem::builder()
                        .condition_check(check.build().map_err(unavailable)?)
                        .build(),
                ]
            }
            RoutingOp::Release {
                agent,
                units,
                profile,
                at,
            } => {
                let mut set =
                    "SET used = used - :u, active = active - :one, last_freed_at = :at".to_string();
                let mut names = vec![];
                let pname = profile.as_ref().map(|p| p.to_string()).unwrap_or_default();
                let mut cond = "used >= :u AND active >= :one".to_string();
                if profile.is_some() {
                    set.push_str(", pused.#p = pused.#p - :one");
                    cond.push_str(" AND pused.#p >= :one");
                    names.push(("#p", pname.as_str()));
                }
                vec![self.update(
                    key(agent_pk(agent), "AGENT"),
                    &set,
                    Some(&cond),
                    &names,
                    vec![
                        (":u", n(i64::from(*units))),
                        (":one", n(1)),
                        (":at", n(at.0)),
                    ],
                )?]
            }
            RoutingOp::PutWaiting(item) => {
                let mut it = key(waiting_pk(&item.queue), &item.key());
                it.insert("doc".into(), to_doc(item.as_ref())?);
                it.insert("GSI1PK".into(), s(format!("URGENT#{}", item.queue)));
                it.insert("GSI1SK".into(), s(item.urgency_key()));
                vec![self.put(it, None)?]
            }
            RoutingOp::DeleteWaiting { queue, key: k } => {
                vec![delete(self, key(waiting_pk(queue), k), None)?]
            }
            RoutingOp::PutTimer(t) => {
                let mut it = key(TIMERS_PK.to_string(), &t.key());
                it.insert("doc".into(), to_doc(t)?);
                vec![self.put(it, None)?]
            }
            RoutingOp::DeleteTimer(t) => {
                vec![delete(self, key(TIMERS_PK.to_string(), &t.key()), None)?]
            }
            RoutingOp::CustomerAgent { page, psid, agent } => vec![self.update(
                key(customer_pk(page, psid), "CUSTOMER"),
                "SET last_agent_id = :a",
                Some("attribute_exists(PK)"),
                &[],
                vec![(":a", s(agent.as_str()))],
            )?],
        })
    }
}

#[async_trait]
impl RoutingConfigStore for DynamoStore {
    async fn put_agent(&self, agent: &Agent, mode: WriteMode) -> StoreResult<AgentState> {
        for _ in 0..5 {
            let existing = self.get_agent(&agent.id).await?;
            if mode == WriteMode::Create && existing.is_some() {
                return Err(StoreError::Conflict(format!("agent {}", agent.id)));
            }
            let mut items = Vec::new();
            let state = match &existing {
                None => {
                    let state = AgentState::created(agent.clone());
                    items.push(self.put(agent_item(&state)?, Some("attribute_not_exists(PK)"))?);
                    state
                }
                Some(old) => {
                    let next = old.reconfigured(agent);
                    items.push(self.update(
                        key(agent_pk(&agent.id), "AGENT"),
                        "SET doc = :doc, version = :next",
                        Some("version = :v"),
                        &[],
                        vec![
                            (":doc", to_doc(&next.agent)?),
                            (":next", n(next.version as i64)),
                            (":v", n(old.version as i64)),
                        ],
                    )?);
                    for q in old
                        .agent
                        .queues
                        .iter()
                        .filter(|q| !agent.queues.contains(q))
                    {
                        items.push(delete(self, key(queue_pk(q), &member_sk(&agent.id)), None)?);
                    }
                    next
                }
            };
            let had: Vec<QueueId> = existing.map(|e| e.agent.queues).unwrap_or_default();
            for q in agent.queues.iter().filter(|q| !had.contains(q)) {
                items.push(self.membership(q, &agent.id)?);
            }
            if self.transact(items).await?.is_none() {
                return Ok(state);
            }
            if mode == WriteMode::Create {
                return Err(StoreError::Conflict(format!("agent {}", agent.id)));
            }
        }
        Err(StoreError::Unavailable(format!(
            "agent {} kept changing; try again",
            agent.id
        )))
    }

    async fn get_agent(&self, id: &AgentId) -> StoreResult<Option<AgentState>> {
        self.get_decoded(key(agent_pk(id), "AGENT"), agent_from)
            .await
    }

    async fn list_agents(&self) -> StoreResult<Vec<AgentState>> {
        let items = self
            .query_range(Some("GSI2"), ("GSI2PK", "AGENTS".into()), None, usize::MAX)
            .await?;
        decode_all(&items, agent_from)
    }

    async fn delete_agent(&self, id: &AgentId) -> StoreResult<()> {
        let Some(state) = self.get_agent(id).await? else {
            return Err(StoreError::NotFound(format!("agent {id}")));
        };
        let mut items = vec![delete(
            self,
            key(agent_pk(id), "AGENT"),
            Some(("used = :zero AND active = :zero", vec![(":zero", n(0))])),
        )?];
        for q in &state.agent.queues {
            items.push(delete(self, key(queue_pk(q), &member_sk(id)), None)?);
        }
        match self.transact(items).await? {
            None => Ok(()),
            Some(_) => Err(StoreError::Conflict(format!(
                "agent {id} holds conversations"
            ))),
        }
    }

    async fn heartbeat(&self, id: &AgentId, at: Millis) -> StoreResult<AgentState> {
        self.update_agent(
            id,
            "SET heartbeat_at = :h",
            [(":h", AttributeValue::N(at.0.to_string()))],
        )
        .await
    }

    async fn set_presence(
        &self,
        id: &AgentId,
        presence: &PresenceSetting,
    ) -> StoreResult<AgentState> {
        self.update_agent(
            id,
            "SET pdoc = :p, presence = :m",
            [(":p", to_doc(presence)?), (":m", s(presence.stored_mode()))],
        )
        .await
    }

    async fn put_queue(&self, queue: &Queue, mode: WriteMode) -> StoreResult<()> {
        let mut item = key(queue_pk(&queue.id), "QUEUE");
        item.insert("doc".into(), to_doc(queue)?);
        item.insert("GSI2PK".into(), s("QUEUES"));
        item.insert("GSI2SK".into(), s(queue_pk(&queue.id)));
        self.put_item(item, mode, format!("queue {}", queue.id))
            .await
    }

    async fn get_queue(&self, id: &QueueId) -> StoreResult<Option<Queue>> {
        self.get_decoded(key(queue_pk(id), "QUEUE"), doc).await
    }

    async fn list_queues(&self) -> StoreResult<Vec<Queue>> {
        let items = self
            .query_range(Some("GSI2"), ("GSI2PK", "QUEUES".into()), None, usize::MAX)
            .await?;
        decode_all(&items, doc)
    }

    async fn delete_queue(&self, id: &QueueId) -> StoreResult<()> {
        self.calls.record("dynamodb:DeleteItem");
        let res = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(queue_pk(id), "QUEUE")))
            .condition_expression("attribute_exists(PK)")
            .send()
            .await;
        conditional(res, || StoreError::NotFound(format!("queue {id}"))).map(|_| ())
    }

    async fn put_ruleset(&self, ruleset: &Ruleset, mode: WriteMode) -> StoreResult<()> {
        let mut item = key(ruleset_pk(&ruleset.id), "RULESET");
        item.insert("doc".into(), to_doc(ruleset)?);
        item.insert(
            "GSI1PK".into(),
            s(format!("WSRULES#{}", ruleset.workstream)),
        );
        item.insert(
            "GSI1SK".into(),
            s(format!("{:010}#{}", ruleset.order, ruleset.id)),
        );
        item.insert("GSI2PK".into(), s("RULESETS"));
        item.insert("GSI2SK".into(), s(ruleset_pk(&ruleset.id)));
        self.put_item(item, mode, format!("ruleset {}", ruleset.id))
            .await
    }

    async fn get_ruleset(&self, id: &RulesetId) -> StoreResult<Option<Ruleset>> {
        self.get_decoded(key(ruleset_pk(id), "RULESET"), doc).await
    }

    async fn list_rulesets(&self, ws: Option<&WorkstreamId>) -> StoreResult<Vec<Ruleset>> {
        let items = match ws {
            Some(w) => {
                self.query_range(
                    Some("GSI1"),
                    ("GSI1PK", format!("WSRULES#{w}")),
                    None,
                    usize::MAX,
                )
                .await?
            }
            None => {
                self.query_range(
                    Some("GSI2"),
                    ("GSI2PK", "RULESETS".into()),
                    None,
                    usize::MAX,
                )
                .await?
            }
        };
        decode_all(&items, doc)
    }

    async fn delete_ruleset(&self, id: &RulesetId) -> StoreResult<()> {
        self.calls.record("dynamodb:DeleteItem");
        let res = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(ruleset_pk(id), "RULESET")))
            .condition_expression("attribute_exists(PK)")
            .send()
            .await;
        conditional(res, || StoreError::NotFound(format!("ruleset {id}"))).map(|_| ())
    }

    async fn put_canned(&self, c: &CannedResponse, mode: WriteMode) -> StoreResult<()> {
        self.put_canned_item(c, mode).await
    }

    async fn get_canned(&self, id: &CannedResponseId) -> StoreResult<Option<CannedResponse>> {
        self.get_canned_item(id).await
    }

    async fn list_canned(&self, ws: Option<&WorkstreamId>) -> StoreResult<Vec<CannedResponse>> {
        self.list_canned_items(ws).await
    }

    async fn delete_canned(&self, id: &CannedResponseId) -> StoreResult<()> {
        self.delete_canned_item(id).await
    }

    async fn put_sign_in_code(&self, code: &SignInCode) -> StoreResult<()> {
        self.put_sign_in_item(code).await
    }

    async fn take_sign_in_code(&self, hash: &str) -> StoreResult<Option<SignInCode>> {
        self.take_sign_in_item(hash).await
    }
}

#[async_trait]
impl RoutingStore for DynamoStore {
    async fn apply(&self, ops: &[RoutingOp]) -> StoreResult<()> {
        // A put of a waiting item replaces one with the same key: drop the
        // delete (a transaction may touch an item once).
        let puts: Vec<(QueueId, String)> = ops
            .iter()
            .filter_map(|o| match o {
                RoutingOp::PutWaiting(i) => Some((i.queue.clone(), i.key())),
                _ => None,
            })
            .collect();
        let mut items = Vec::new();
        for op in ops {
            if let RoutingOp::DeleteWaiting { queue, key } = op
                && puts.iter().any(|(q, k)| q == queue && k == key)
            {
                continue;
            }
            items.extend(self.op_items(op)?);
        }
        match self.transact(items).await? {
            None => Ok(()),
            Some(codes) => Err(StoreError::Conflict(format!(
                "routing write refused: {codes:?}"
            ))),
        }
    }

    async fn agent_conversations(
        &self,
        agent: &AgentId,
        state: ConversationState,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<Conversation>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let items = self
            .query_pages(Query {
                index: Some("GSI3"),
                pk: ("GSI3PK", agent_conv_pk(agent, state)),
                sk: after.map(|a| ("GSI3SK", "#sk < :sk", a.to_string())),
                filter: None,
                forward: false,
                limit,
            })
            .await?;
        let listed = items
            .iter()
            .filter_map(|i| listed("conversation", conversation_from(i)))
            .collect();
        self.with_activities(listed).await
    }

    async fn waiting(
        &self,
        queue: &QueueId,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<WaitingItem>> {
        let items = self
            .query_range(
                None,
                ("PK", waiting_pk(queue)),
                after.map(|a| ("SK", "#sk > :sk", a.to_string())),
                limit,
            )
            .await?;
        decode_all(&items, doc)
    }

    async fn urgent(
        &self,
        queue: &QueueId,
        before: Millis,
        limit: usize,
    ) -> StoreResult<Vec<WaitingItem>> {
        let items = self
            .query_range(
                Some("GSI1"),
                ("GSI1PK", format!("URGENT#{queue}")),
                Some(("GSI1SK", "#sk < :sk", sortable(before))),
                limit,
            )
            .await?;
        decode_all(&items, doc)
    }

    async fn count_waiting(&self, queue: &QueueId, up_to: usize) -> StoreResult<usize> {
        self.calls.record("dynamodb:Query");
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk")
            .expression_attribute_values(":pk", s(waiting_pk(queue)))
            .select(Select::Count)
            .limit(up_to.clamp(1, 10_000) as i32)
            .send()
            .await
            .map_err(|e| unavailable(DisplayErrorContext(e)))?;
        Ok((out.count().max(0) as usize).min(up_to))
    }

    async fn queue_members(&self, queue: &QueueId) -> StoreResult<Vec<Arc<AgentState>>> {
        let items = self
            .query_range(
                None,
                ("PK", queue_pk(queue)),
                Some(("SK", "begins_with(#sk, :sk)", "MEMBER#".into())),
                usize::MAX,
            )
            .await?;
        let ids = items
            .iter()
            .map(|i| get_s(i, "agent_id").and_then(|a| parse_id(AgentId::parse(a))))
            .collect::<StoreResult<Vec<_>>>()?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut agents = self.agents_by_id(ids).await?;
        // A membership item the query still returned after the agent left
        // the queue (the query is eventually consistent) is not a member.
        agents.retain(|a| a.agent.queues.contains(queue));
        Ok(agents.into_iter().map(Arc::new).collect())
    }

    async fn due_timers(&self, now: Millis, limit: usize) -> StoreResult<Vec<Timer>> {
        let items = self
            .query_range(
                None,
                ("PK", TIMERS_PK.into()),
                Some(("SK", "#sk < :sk", format!("{}$", sortable(now)))),
                limit,
            )
            .await?;
        decode_all(&items, doc)
    }

    async fn replace_routing(
        &self,
        id: &ConversationId,
        expect: u64,
        routing: &Routing,
    ) -> StoreResult<()> {
        let cond = if expect == 0 {
            "attribute_exists(PK) AND attribute_not_exists(rv)"
        } else {
            "rv = :expect"
        };
        let mut values = vec![
            (":doc", routing_doc::to_value(routing, self.routing_form)?),
            (":next", n(expect as i64 + 1)),
        ];
        if expect != 0 {
            values.push((":expect", n(expect as i64)));
        }
        self.update_item_if(
            key(conv_pk(id), CONV_SK),
            "SET rdoc = :doc, rv = :next",
            cond,
            &[],
            values,
            || StoreError::Conflict(format!("conversation {id} changed")),
        )
        .await
    }
}
