//! The store ports on one DynamoDB table. Keys and access patterns are in
//! `docs/dynamodb.md`; every read on a hot path is a `GetItem` or a `Query`,
//! never a `Scan`. Conditional writes and transactions, not read-then-write,
//! enforce the ports' rules.

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, ConditionCheck, Delete, GlobalSecondaryIndex,
    KeySchemaElement, KeyType, Projection, ProjectionType, Put, ScalarAttributeType,
    TimeToLiveSpecification, TransactWriteItem, Update,
};
use std::collections::HashMap;
use switchboard_core::Millis;
use switchboard_core::event::InboundEvent;
use switchboard_core::ids::{AccountId, ContactId, ConversationId, PageId, Psid};
use switchboard_core::ports::{
    Account, AccountStore, AppendOutcome, Contact, Conversation, ConversationFilter,
    ConversationState, ConversationStore, Customer, NewIds, Page, StoreError, StoreResult,
    WorkstreamStore, WriteMode, appended_customer, listed, opens_conversation,
};
use switchboard_core::routing::model::{AgentId, Routing};
use switchboard_core::workstreams::{Workstream, WorkstreamId};

/// The IAM actions this adapter calls, by capability.
pub const IAM_ACTIONS_ACCOUNTS_READ: &[&str] = &["dynamodb:GetItem"];
pub const IAM_ACTIONS_ACCOUNTS_WRITE: &[&str] = &[
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
];
pub const IAM_ACTIONS_ACCOUNTS_LIST: &[&str] = &["dynamodb:Query"];
pub const IAM_ACTIONS_CONVERSATIONS: &[&str] = &[
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:TransactWriteItems",
];

/// How long an event's append-once marker is kept (Meta retries for an hour).
const MARKER_TTL_SECS: i64 = 14 * 24 * 3600;
/// Attempts at an append that races with another writer.
const APPEND_ATTEMPTS: usize = 5;

mod outbound;
mod routing;
mod streams;
pub use routing::IAM_ACTIONS_ROUTING;

pub(crate) type Item = HashMap<String, AttributeValue>;

/// A query of one partition: the index (or the table), the partition key
/// (name, value), an optional sort-key condition (name, `#sk`/`:sk`
/// expression, value), a filter, the direction, and how many items at most.
pub(crate) struct Query<'a> {
    pub index: Option<&'a str>,
    pub pk: (&'a str, String),
    pub sk: Option<(&'a str, &'a str, String)>,
    pub filter: Option<(String, Vec<(&'a str, AttributeValue)>)>,
    pub forward: bool,
    pub limit: usize,
}

pub struct DynamoStore {
    client: Client,
    table: String,
    calls: crate::CallLog,
}

pub(crate) fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

/// The outcome of a conditional write: a failed condition becomes the
/// domain's error (`Conflict`, `NotFound`), anything else `Unavailable`.
pub(crate) fn conditional<O, E, R>(
    result: Result<O, aws_sdk_dynamodb::error::SdkError<E, R>>,
    on_failed: impl FnOnce() -> StoreError,
) -> StoreResult<()>
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    use aws_sdk_dynamodb::error::ProvideErrorMetadata;
    match result {
        Ok(_) => Ok(()),
        Err(e) if e.code() == Some("ConditionalCheckFailedException") => Err(on_failed()),
        Err(e) => Err(unavailable(DisplayErrorContext(e))),
    }
}

pub(crate) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub(crate) fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

pub(crate) fn get_s<'a>(item: &'a Item, k: &str) -> StoreResult<&'a str> {
    item.get(k)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
        .ok_or_else(|| StoreError::Corrupt(format!("attribute {k} is missing")))
}

pub(crate) fn opt_s<'a>(item: &'a Item, k: &str) -> Option<&'a str> {
    item.get(k).and_then(|v| v.as_s().ok()).map(String::as_str)
}

pub(crate) fn opt_n(item: &Item, k: &str) -> Option<i64> {
    item.get(k)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
}

pub(crate) fn get_n(item: &Item, k: &str) -> StoreResult<i64> {
    opt_n(item, k).ok_or_else(|| StoreError::Corrupt(format!("attribute {k} is missing")))
}

pub(crate) fn parse_id<T>(r: Result<T, switchboard_core::ids::InvalidId>) -> StoreResult<T> {
    r.map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(crate) fn doc<T: serde::de::DeserializeOwned>(item: &Item) -> StoreResult<T> {
    serde_json::from_str(get_s(item, "doc")?).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(crate) fn to_doc<T: serde::Serialize>(v: &T) -> StoreResult<AttributeValue> {
    serde_json::to_string(v)
        .map(s)
        .map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(crate) fn key(pk: String, sk: &str) -> Item {
    HashMap::from([("PK".to_string(), s(pk)), ("SK".to_string(), s(sk))])
}

fn account_pk(id: &AccountId) -> String {
    format!("ACCOUNT#{id}")
}
fn page_pk(id: &PageId) -> String {
    format!("PAGE#{id}")
}
pub(crate) fn customer_pk(page: &PageId, psid: &Psid) -> String {
    format!("CUSTOMER#{page}#{psid}")
}
fn contact_pk(id: &ContactId) -> String {
    format!("CONTACT#{id}")
}
pub(crate) fn conv_pk(id: &ConversationId) -> String {
    format!("CONV#{id}")
}
fn marker_pk(dedup: &str) -> String {
    format!("EVENT#{dedup}")
}
fn event_sk(ts: Millis, dedup: &str) -> String {
    let t = (i128::from(ts.0) + i128::from(i64::MAX) + 1) as u128;
    format!("EV#{t:020}#{dedup}")
}
fn created_sk(created: Millis, id: &ConversationId) -> String {
    format!("{:020}#{id}", created.0.max(0))
}

/// A conversation in its contact's history: `CONTACT#{contact}` /
/// `CONV#{created:020}#{conversation}`.
fn contact_conv_item(contact: &ContactId, c: &Conversation) -> Item {
    let mut item = key(
        contact_pk(contact),
        &format!("CONV#{}", created_sk(c.created_at, &c.id)),
    );
    item.insert("conversation_id".into(), s(c.id.as_str()));
    item.insert("page_id".into(), s(c.page_id.as_str()));
    item.insert("psid".into(), s(c.psid.as_str()));
    item
}

fn contact_item(c: &Contact) -> StoreResult<Item> {
    let mut item = key(contact_pk(&c.id), "CONTACT");
    item.insert("doc".into(), to_doc(c)?);
    item.insert("version".into(), n(c.version as i64));
    Ok(item)
}

fn conversation_item(c: &Conversation) -> Item {
    let mut item = key(conv_pk(&c.id), "CONV");
    item.insert("id".into(), s(c.id.as_str()));
    item.insert("page_id".into(), s(c.page_id.as_str()));
    item.insert("psid".into(), s(c.psid.as_str()));
    item.insert("contact_id".into(), s(c.contact_id.as_str()));
    item.insert("state".into(), s(c.state.as_str()));
    item.insert("created_at".into(), n(c.created_at.0));
    item.insert("updated_at".into(), n(c.updated_at.0));
    if let Some(t) = c.last_customer_message_at {
        item.insert("last_customer_message_at".into(), n(t.0));
    }
    if let Some(t) = c.closed_at {
        item.insert("closed_at".into(), n(t.0));
    }
    item.insert("GSI1PK".into(), s(format!("PAGECONV#{}", c.page_id)));
    item.insert("GSI1SK".into(), s(created_sk(c.created_at, &c.id)));
    item.insert("GSI2PK".into(), s(format!("STATE#{}", c.state.as_str())));
    item.insert("GSI2SK".into(), s(created_sk(c.created_at, &c.id)));
    if let Some(a) = c.inbox_agent() {
        item.insert("GSI3PK".into(), s(agent_conv_pk(a, c.state)));
        item.insert("GSI3SK".into(), s(created_sk(c.created_at, &c.id)));
    }
    item
}

/// GSI3's partition of an agent's conversations in one state (the agent's
/// inbox); its sort key is the conversation's `created_sk`, as on GSI1.
pub(crate) fn agent_conv_pk(agent: &AgentId, state: ConversationState) -> String {
    format!("AGENTCONV#{agent}#{}", state.as_str())
}

/// The update-expression clause that files a conversation under its new
/// inbox agent on GSI3 (`:gsi3`), or out of GSI3 when it has none, with
/// the values it needs.
pub(crate) fn gsi3_clause(
    state: ConversationState,
    routing: Option<&Routing>,
) -> (&'static str, Vec<(&'static str, AttributeValue)>) {
    match routing.and_then(|r| switchboard_core::ports::inbox_agent(state, r)) {
        Some(a) => (
            ", GSI3PK = :gsi3, GSI3SK = GSI1SK",
            vec![(":gsi3", s(agent_conv_pk(a, state)))],
        ),
        None => (" REMOVE GSI3PK, GSI3SK", Vec::new()),
    }
}

pub(crate) fn conversation_from(item: &Item) -> StoreResult<Conversation> {
    Ok(Conversation {
        id: parse_id(ConversationId::parse(get_s(item, "id")?))?,
        page_id: parse_id(PageId::parse(get_s(item, "page_id")?))?,
        psid: parse_id(Psid::parse(get_s(item, "psid")?))?,
        contact_id: parse_id(ContactId::parse(get_s(item, "contact_id")?))?,
        state: ConversationState::parse(get_s(item, "state")?)
            .ok_or_else(|| StoreError::Corrupt("unknown conversation state".into()))?,
        created_at: Millis(get_n(item, "created_at")?),
        updated_at: Millis(get_n(item, "updated_at")?),
        last_customer_message_at: opt_n(item, "last_customer_message_at").map(Millis),
        closed_at: opt_n(item, "closed_at").map(Millis),
        routing: opt_s(item, "rdoc")
            .map(|v| serde_json::from_str(v).map_err(|e| StoreError::Corrupt(e.to_string())))
            .transpose()?,
        rv: opt_n(item, "rv").unwrap_or(0) as u64,
    })
}

fn customer_from(item: &Item) -> StoreResult<Customer> {
    Ok(Customer {
        page_id: parse_id(PageId::parse(get_s(item, "page_id")?))?,
        psid: parse_id(Psid::parse(get_s(item, "psid")?))?,
        contact_id: parse_id(ContactId::parse(get_s(item, "contact_id")?))?,
        open_conversation_id: opt_s(item, "open_conversation_id")
            .map(|v| parse_id(ConversationId::parse(v)))
            .transpose()?,
        last_conversation_id: parse_id(ConversationId::parse(get_s(
            item,
            "last_conversation_id",
        )?))?,
        last_agent: opt_s(item, "last_agent_id")
            .map(|v| parse_id(AgentId::parse(v)))
            .transpose()?,
    })
}

/// What one attempt at an append decided to write.
enum Plan {
    NewCustomer,
    Existing {
        open: ConversationId,
        update_lcm: bool,
    },
    Reopen {
        customer: Customer,
    },
    AttachToLast {
        last: ConversationId,
    },
}

impl DynamoStore {
    pub fn new(config: &aws_config::SdkConfig, table: impl Into<String>) -> Self {
        Self::from_client(Client::new(config), table)
    }

    pub fn from_client(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
            calls: crate::CallLog::default(),
        }
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// DynamoDB API calls made through this adapter (for `make bench`).
    pub fn calls(&self) -> u64 {
        self.calls.total()
    }

    pub(crate) fn count(&self, action: &'static str) {
        self.calls.record(action);
    }

    /// The IAM actions this adapter has called (for the least-privilege test).
    pub fn actions_called(&self) -> std::collections::BTreeSet<&'static str> {
        self.calls.actions()
    }

    /// Create the table with its indexes and TTL (tests and local set-up;
    /// the SAM template declares the same table in AWS).
    pub async fn create_table(&self) -> StoreResult<()> {
        let attr = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(unavailable)
        };
        let ks = |name: &str, kt: KeyType| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(kt)
                .build()
                .map_err(unavailable)
        };
        let gsi = |name: &str| -> StoreResult<GlobalSecondaryIndex> {
            GlobalSecondaryIndex::builder()
                .index_name(name)
                .key_schema(ks(&format!("{name}PK"), KeyType::Hash)?)
                .key_schema(ks(&format!("{name}SK"), KeyType::Range)?)
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .map_err(unavailable)
        };
        self.client
            .create_table()
            .table_name(&self.table)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(attr("PK")?)
            .attribute_definitions(attr("SK")?)
            .attribute_definitions(attr("GSI1PK")?)
            .attribute_definitions(attr("GSI1SK")?)
            .attribute_definitions(attr("GSI2PK")?)
            .attribute_definitions(attr("GSI2SK")?)
            .attribute_definitions(attr("GSI3PK")?)
            .attribute_definitions(attr("GSI3SK")?)
            .key_schema(ks("PK", KeyType::Hash)?)
            .key_schema(ks("SK", KeyType::Range)?)
            .global_secondary_indexes(gsi("GSI1")?)
            .global_secondary_indexes(gsi("GSI2")?)
            .global_secondary_indexes(gsi("GSI3")?)
            .send()
            .await
            .map_err(|e| unavailable(DisplayErrorContext(e)))?;
        self.client
            .update_time_to_live()
            .table_name(&self.table)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name("expires_at")
                    .enabled(true)
                    .build()
                    .map_err(unavailable)?,
            )
            .send()
            .await
            .map_err(|e| unavailable(DisplayErrorContext(e)))?;
        Ok(())
    }

    pub(crate) async fn get_item(&self, key: Item) -> StoreResult<Option<Item>> {
        self.count("dynamodb:GetItem");
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| unavailable(DisplayErrorContext(e)))?;
        Ok(out.item)
    }

    /// Read one item and decode it.
    pub(crate) async fn get_decoded<T>(
        &self,
        key: Item,
        decode: fn(&Item) -> StoreResult<T>,
    ) -> StoreResult<Option<T>> {
        self.get_item(key).await?.as_ref().map(decode).transpose()
    }

    pub(crate) async fn put_item(
        &self,
        item: Item,
        mode: WriteMode,
        what: String,
    ) -> StoreResult<()> {
        self.count("dynamodb:PutItem");
        let mut req = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item));
        if mode == WriteMode::Create {
            req = req.condition_expression("attribute_not_exists(PK)");
        }
        conditional(req.send().await, || StoreError::Conflict(what))
    }

    pub(crate) fn put(
        &self,
        item: Item,
        condition: Option<&str>,
    ) -> StoreResult<TransactWriteItem> {
        let mut p = Put::builder().table_name(&self.table).set_item(Some(item));
        if let Some(c) = condition {
            p = p.condition_expression(c);
        }
        Ok(TransactWriteItem::builder()
            .put(p.build().map_err(unavailable)?)
            .build())
    }

    pub(crate) fn update(
        &self,
        key: Item,
        expr: &str,
        condition: Option<&str>,
        names: &[(&str, &str)],
        values: Vec<(&str, AttributeValue)>,
    ) -> StoreResult<TransactWriteItem> {
        let mut u = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key))
            .update_expression(expr);
        if let Some(c) = condition {
            u = u.condition_expression(c);
        }
        for (k, v) in names {
            u = u.expression_attribute_names(*k, *v);
        }
        for (k, v) in values {
            u = u.expression_attribute_values(k, v);
        }
        Ok(TransactWriteItem::builder()
            .update(u.build().map_err(unavailable)?)
            .build())
    }

    /// Run a transaction; `Ok(None)` on success, `Ok(Some(codes))` with the
    /// per-item cancellation codes when a condition failed or it conflicted
    /// with another transaction.
    pub(crate) async fn transact(
        &self,
        items: Vec<TransactWriteItem>,
    ) -> StoreResult<Option<Vec<String>>> {
        self.count("dynamodb:TransactWriteItems");
        match self.client.transact_write_items().set_transact_items(Some(items)).send().await {
            Ok(_) => Ok(None),
            Err(e) => match e.as_service_error() {
                Some(aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(c)) => {
                    let codes: Vec<String> =
                        c.cancellation_reasons().iter().map(|r| r.code().unwrap_or("None").to_string()).collect();
                    // A failed condition, or another transaction on the same
                    // item at the same moment: the caller re-reads and decides.
                    if codes.iter().any(|c| c == "ConditionalCheckFailed" || c == "TransactionConflict") {
                        Ok(Some(codes))
                    } else {
                        Err(unavailable(format!("transaction cancelled: {codes:?}")))
                    }
                }
                _ => Err(unavailable(DisplayErrorContext(e))),
            },
        }
    }

    /// Query one partition (of the table or an index), descending on an
    /// index (newest first) and ascending on the table, with a filter.
    pub(crate) async fn query_all(
        &self,
        index: Option<&str>,
        pk_name: &str,
        pk: String,
        filter: Option<(String, Vec<(&str, AttributeValue)>)>,
        limit: usize,
    ) -> StoreResult<Vec<Item>> {
        self.query_pages(Query {
            index,
            pk: (pk_name, pk),
            sk: None,
            filter,
            forward: index.is_none(),
            limit,
        })
        .await
    }

    /// Every page of a query, up to `limit` items.
    pub(crate) async fn query_pages(&self, q: Query<'_>) -> StoreResult<Vec<Item>> {
        let mut out = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            self.count("dynamodb:Query");
            let mut expr = "#pk = :pk".to_string();
            let mut req = self
                .client
                .query()
                .table_name(&self.table)
                .set_index_name(q.index.map(str::to_string))
                .expression_attribute_names("#pk", q.pk.0)
                .expression_attribute_values(":pk", s(q.pk.1.clone()))
                .scan_index_forward(q.forward)
                .set_exclusive_start_key(start.take());
            if q.filter.is_none() {
                // Without a filter every item read counts: read no more than asked.
                req = req.limit(q.limit.saturating_sub(out.len()).clamp(1, 1000) as i32);
            }
            if let Some((name, op, value)) = &q.sk {
                expr.push_str(&format!(" AND {op}"));
                req = req
                    .expression_attribute_names("#sk", *name)
                    .expression_attribute_values(":sk", s(value.clone()));
            }
            if let Some((f, values)) = &q.filter {
                req = req.filter_expression(f);
                for (k, v) in values {
                    req = req.expression_attribute_values(*k, v.clone());
                }
            }
            let page = req
                .key_condition_expression(expr)
                .send()
                .await
                .map_err(|e| unavailable(DisplayErrorContext(e)))?;
            out.extend(page.items().iter().cloned());
            match page.last_evaluated_key() {
                Some(k) if out.len() < q.limit => start = Some(k.clone()),
                _ => break,
            }
        }
        out.truncate(q.limit);
        Ok(out)
    }
}

#[async_trait]
impl AccountStore for DynamoStore {
    async fn put_account(&self, account: &Account, mode: WriteMode) -> StoreResult<()> {
        let mut item = key(account_pk(&account.id), "ACCOUNT");
        let mut stored = account.clone();
        stored.webhook_verified_at = None;
        item.insert("doc".into(), to_doc(&stored)?);
        if let Some(t) = account.webhook_verified_at {
            item.insert("webhook_verified_at".into(), n(t.0));
        }
        item.insert("GSI2PK".into(), s("ACCOUNTS"));
        item.insert("GSI2SK".into(), s(account_pk(&account.id)));
        self.put_item(item, mode, format!("account {}", account.id))
            .await
    }

    async fn get_account(&self, id: &AccountId) -> StoreResult<Option<Account>> {
        let Some(item) = self.get_item(key(account_pk(id), "ACCOUNT")).await? else {
            return Ok(None);
        };
        let mut a: Account = doc(&item)?;
        a.webhook_verified_at = opt_n(&item, "webhook_verified_at").map(Millis);
        Ok(Some(a))
    }

    async fn mark_webhook_verified(&self, id: &AccountId, at: Millis) -> StoreResult<()> {
        self.count("dynamodb:UpdateItem");
        let r = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(account_pk(id), "ACCOUNT")))
            .update_expression("SET webhook_verified_at = :t")
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_values(":t", n(at.0))
            .send()
            .await;
        conditional(r, || StoreError::NotFound(format!("account {id}")))
    }

    async fn put_page(&self, page: &Page, mode: WriteMode) -> StoreResult<()> {
        let mut item = key(page_pk(&page.page_id), "PAGE");
        item.insert("doc".into(), to_doc(page)?);
        item.insert("live".into(), AttributeValue::Bool(page.is_live()));
        item.insert("GSI1PK".into(), s(account_pk(&page.account_id)));
        item.insert("GSI1SK".into(), s(page_pk(&page.page_id)));
        self.count("dynamodb:PutItem");
        let mut req = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item));
        if mode == WriteMode::Create {
            // A page belongs to one account: only a removed page may be replaced.
            req = req
                .condition_expression("attribute_not_exists(PK) OR live = :false")
                .expression_attribute_values(":false", AttributeValue::Bool(false));
        }
        conditional(req.send().await, || {
            StoreError::Conflict(format!("page {}", page.page_id))
        })
    }

    async fn list_accounts(&self) -> StoreResult<Vec<Account>> {
        let mut out = Vec::new();
        for item in self
            .query_all(Some("GSI2"), "GSI2PK", "ACCOUNTS".into(), None, usize::MAX)
            .await?
        {
            let Some(mut a) = listed::<Account>("account", doc(&item)) else {
                continue;
            };
            a.webhook_verified_at = opt_n(&item, "webhook_verified_at").map(Millis);
            out.push(a);
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    async fn delete_account(&self, id: &AccountId) -> StoreResult<()> {
        self.count("dynamodb:DeleteItem");
        let r = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(account_pk(id), "ACCOUNT")))
            .condition_expression("attribute_exists(PK)")
            .send()
            .await;
        conditional(r, || StoreError::NotFound(format!("account {id}")))
    }

    async fn list_pages(&self, account: &AccountId) -> StoreResult<Vec<Page>> {
        let items = self
            .query_all(
                Some("GSI1"),
                "GSI1PK",
                account_pk(account),
                None,
                usize::MAX,
            )
            .await?;
        let mut out: Vec<Page> = items
            .iter()
            .filter_map(|i| listed("page", doc(i)))
            .collect();
        out.sort_by(|a, b| a.page_id.cmp(&b.page_id));
        Ok(out)
    }

    async fn get_page(&self, id: &PageId) -> StoreResult<Option<Page>> {
        self.get_decoded(key(page_pk(id), "PAGE"), doc).await
    }
}

#[async_trait]
impl ConversationStore for DynamoStore {
    async fn append(
        &self,
        event: &InboundEvent,
        ids: &NewIds,
        now: Millis,
    ) -> StoreResult<AppendOutcome> {
        let psid = appended_customer(event)?;
        let dedup = event.dedup_id();
        let activity = opens_conversation(event.kind);
        let event_doc = to_doc(event)?;
        let mut lcm_allowed = true;
        for _ in 0..APPEND_ATTEMPTS {
            let customer = self
                .get_item(key(customer_pk(&event.page_id, &psid), "CUSTOMER"))
                .await?;
            let customer = customer.as_ref().map(customer_from).transpose()?;
            let plan = match customer {
                None => Plan::NewCustomer,
                Some(c) => match (&c.open_conversation_id, activity) {
                    (Some(open), _) => Plan::Existing {
                        open: open.clone(),
                        update_lcm: activity && lcm_allowed,
                    },
                    (None, true) => Plan::Reopen { customer: c },
                    (None, false) => Plan::AttachToLast {
                        last: c.last_conversation_id.clone(),
                    },
                },
            };
            let conv_id = match &plan {
                Plan::NewCustomer | Plan::Reopen { .. } => ids.conversation_id.clone(),
                Plan::Existing { open, .. } => open.clone(),
                Plan::AttachToLast { last } => last.clone(),
            };

            let mut marker = key(marker_pk(&dedup), "EVENT");
            marker.insert("conversation_id".into(), s(conv_id.as_str()));
            marker.insert("expires_at".into(), n(now.0 / 1000 + MARKER_TTL_SECS));
            let mut timeline = key(conv_pk(&conv_id), &event_sk(event.timestamp, &dedup));
            timeline.insert("doc".into(), event_doc.clone());
            let mut items = vec![
                self.put(marker, Some("attribute_not_exists(PK)"))?,
                self.put(timeline, None)?,
            ];
            let new_conv = |contact: ContactId| {
                Conversation::opened_by(ids.conversation_id.clone(), event, &psid, contact, now)
            };
            match &plan {
                Plan::NewCustomer => {
                    let mut cust = key(customer_pk(&event.page_id, &psid), "CUSTOMER");
                    cust.insert("page_id".into(), s(event.page_id.as_str()));
                    cust.insert("psid".into(), s(psid.as_str()));
                    cust.insert("contact_id".into(), s(ids.contact_id.as_str()));
                    cust.insert("open_conversation_id".into(), s(conv_id.as_str()));
                    cust.insert("last_conversation_id".into(), s(conv_id.as_str()));
                    items.push(self.put(cust, Some("attribute_not_exists(PK)"))?);
                    let contact =
                        Contact::new(ids.contact_id.clone(), ids.contact_name.clone(), now);
                    items
                        .push(self.put(contact_item(&contact)?, Some("attribute_not_exists(PK)"))?);
                    let conv = new_conv(ids.contact_id.clone());
                    items.push(self.put(contact_conv_item(&contact.id, &conv), None)?);
                    items.push(
                        self.put(conversation_item(&conv), Some("attribute_not_exists(PK)"))?,
                    );
                }
                Plan::Existing { open, update_lcm } => {
                    let (expr, cond) = if *update_lcm {
                        (
                            "SET updated_at = :now, last_customer_message_at = :ts",
                            "attribute_exists(PK) AND #state <> :closed AND (attribute_not_exists(last_customer_message_at) OR last_customer_message_at < :ts)",
                        )
                    } else {
                        (
                            "SET updated_at = :now",
                            "attribute_exists(PK) AND #state <> :closed",
                        )
                    };
                    let mut values = vec![(":now", n(now.0)), (":closed", s("closed"))];
                    if *update_lcm {
                        values.push((":ts", n(event.timestamp.0)));
                    }
                    items.push(self.update(
                        key(conv_pk(open), "CONV"),
                        expr,
                        Some(cond),
                        &[("#state", "state")],
                        values,
                    )?);
                }
                Plan::Reopen { customer } => {
                    items.push(self.update(
                        key(customer_pk(&event.page_id, &psid), "CUSTOMER"),
                        "SET open_conversation_id = :c, last_conversation_id = :c",
                        Some("attribute_exists(PK) AND attribute_not_exists(open_conversation_id)"),
                        &[],
                        vec![(":c", s(conv_id.as_str()))],
                    )?);
                    let conv = new_conv(customer.contact_id.clone());
                    items.push(self.put(contact_conv_item(&customer.contact_id, &conv), None)?);
                    items.push(
                        self.put(conversation_item(&conv), Some("attribute_not_exists(PK)"))?,
                    );
                }
                Plan::AttachToLast { last } => {
                    items.push(self.update(
                        key(conv_pk(last), "CONV"),
                        "SET updated_at = :now",
                        Some("attribute_exists(PK)"),
                        &[],
                        vec![(":now", n(now.0))],
                    )?);
                }
            }
            let Some(codes) = self.transact(items).await? else {
                let opened = matches!(plan, Plan::NewCustomer | Plan::Reopen { .. });
                return Ok(AppendOutcome::Stored {
                    conversation_id: conv_id,
                    opened,
                });
            };
            if codes.first().map(String::as_str) == Some("ConditionalCheckFailed") {
                let marker = self.get_item(key(marker_pk(&dedup), "EVENT")).await?;
                let conversation_id = marker
                    .as_ref()
                    .and_then(|m| opt_s(m, "conversation_id"))
                    .and_then(|c| ConversationId::parse(c).ok());
                return Ok(AppendOutcome::Duplicate { conversation_id });
            }
            if let Plan::Existing {
                open,
                update_lcm: true,
            } = &plan
            {
                // Either an older event (keep the newer time) or a conversation
                // closed meanwhile: look, then try again.
                if let Some(item) = self.get_item(key(conv_pk(open), "CONV")).await? {
                    let conv = conversation_from(&item)?;
                    if conv.state.is_open()
                        && conv
                            .last_customer_message_at
                            .is_some_and(|t| t >= event.timestamp)
                    {
                        lcm_allowed = false;
                    }
                }
            }
            tracing::debug!(?codes, "append raced with another writer; retrying");
        }
        Err(StoreError::Unavailable(format!(
            "event {} could not be stored after {APPEND_ATTEMPTS} attempts",
            event.key
        )))
    }

    async fn record_unattributed(&self, event: &InboundEvent) -> StoreResult<()> {
        let mut item = key(
            format!("UNATTRIBUTED#{}", event.page_id),
            &event_sk(event.timestamp, &event.dedup_id()),
        );
        item.insert("doc".into(), to_doc(event)?);
        self.put_item(item, WriteMode::Upsert, "unattributed event".into())
            .await
    }

    async fn get_conversation(&self, id: &ConversationId) -> StoreResult<Option<Conversation>> {
        self.get_decoded(key(conv_pk(id), "CONV"), conversation_from)
            .await
    }

    async fn list_conversations(
        &self,
        filter: &ConversationFilter,
    ) -> StoreResult<Vec<Conversation>> {
        let limit = filter.limit.unwrap_or(100);
        if limit == 0 {
            return Ok(Vec::new());
        }
        let mut conds = Vec::new();
        let mut values: Vec<(&str, AttributeValue)> = Vec::new();
        if let Some(p) = &filter.psid {
            conds.push("psid = :psid");
            values.push((":psid", s(p.as_str())));
        }
        let mut out = Vec::new();
        if let Some(page) = &filter.page_id {
            // One Query on the page's partition of GSI1, newest first, from
            // the cursor; the state (GSI2PK, not a reserved word) filters.
            if let Some(st) = filter.state {
                conds.push("GSI2PK = :gsi2");
                values.push((":gsi2", s(format!("STATE#{}", st.as_str()))));
            }
            let f = (!conds.is_empty()).then(|| (conds.join(" AND "), values));
            let items = self
                .query_pages(Query {
                    index: Some("GSI1"),
                    pk: ("GSI1PK", format!("PAGECONV#{page}")),
                    sk: filter
                        .after
                        .as_ref()
                        .map(|a| ("GSI1SK", "#sk < :sk", a.clone())),
                    filter: f,
                    forward: false,
                    limit,
                })
                .await?;
            for i in &items {
                out.extend(listed("conversation", conversation_from(i)));
            }
        } else {
            // Each state's partition of GSI2 gives its newest `limit` before
            // the cursor; together they hold the newest `limit` overall.
            let states: Vec<ConversationState> = match filter.state {
                Some(st) => vec![st],
                None => ConversationState::ALL.to_vec(),
            };
            let f = (!conds.is_empty()).then(|| (conds.join(" AND "), values.clone()));
            for st in states {
                for i in self
                    .query_pages(Query {
                        index: Some("GSI2"),
                        pk: ("GSI2PK", format!("STATE#{}", st.as_str())),
                        sk: filter
                            .after
                            .as_ref()
                            .map(|a| ("GSI2SK", "#sk < :sk", a.clone())),
                        filter: f.clone(),
                        forward: false,
                        limit,
                    })
                    .await?
                {
                    out.extend(listed("conversation", conversation_from(&i)));
                }
            }
        }
        out.sort_by(|a, b| {
            b.created_at
                .cmp(&a.created_at)
                .then_with(|| b.id.cmp(&a.id))
        });
        out.truncate(limit);
        Ok(out)
    }

    async fn timeline(&self, id: &ConversationId) -> StoreResult<Vec<InboundEvent>> {
        let mut out = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            self.count("dynamodb:Query");
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("PK = :pk AND begins_with(SK, :ev)")
                .expression_attribute_values(":pk", s(conv_pk(id)))
                .expression_attribute_values(":ev", s("EV#"))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| unavailable(DisplayErrorContext(e)))?;
            for item in page.items() {
                out.extend(listed("timeline event", doc(item)));
            }
            match page.last_evaluated_key() {
                Some(k) => start = Some(k.clone()),
                None => break,
            }
        }
        Ok(out)
    }

    async fn get_customer(&self, page: &PageId, psid: &Psid) -> StoreResult<Option<Customer>> {
        self.get_decoded(key(customer_pk(page, psid), "CUSTOMER"), customer_from)
            .await
    }

    async fn get_contact(&self, id: &ContactId) -> StoreResult<Option<Contact>> {
        self.get_decoded(key(contact_pk(id), "CONTACT"), doc).await
    }

    async fn close_conversation(
        &self,
        id: &ConversationId,
        at: Millis,
    ) -> StoreResult<Conversation> {
        // The close conditions on the routing version it read, since it
        // files the conversation on GSI3 by the holder that version names;
        // a routing write in between is read again.
        for _ in 0..3 {
            let conv = self
                .get_conversation(id)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("conversation {id}")))?;
            if conv.state == ConversationState::Closed {
                return Err(StoreError::Conflict(format!(
                    "conversation {id} is already closed"
                )));
            }
            let (gsi3, gsi3_values) = gsi3_clause(ConversationState::Closed, conv.routing.as_ref());
            let mut values = vec![
                (":closed", s("closed")),
                (":at", n(at.0)),
                (":gsi", s("STATE#closed")),
                (":rv", n(conv.rv as i64)),
            ];
            values.extend(gsi3_values);
            let rv_cond = if conv.rv == 0 {
                "attribute_not_exists(rv)"
            } else {
                "rv = :rv"
            };
            if conv.rv == 0 {
                values.retain(|(k, _)| *k != ":rv");
            }
            let mut items = vec![self.update(
                key(conv_pk(id), "CONV"),
                &format!(
                    "SET #state = :closed, closed_at = :at, updated_at = :at, GSI2PK = :gsi{gsi3}"
                ),
                Some(&format!(
                    "attribute_exists(PK) AND #state <> :closed AND {rv_cond}"
                )),
                &[("#state", "state")],
                values,
            )?];
            let customer = self.get_customer(&conv.page_id, &conv.psid).await?;
            if customer
                .as_ref()
                .and_then(|c| c.open_conversation_id.as_ref())
                == Some(id)
            {
                items.push(self.update(
                    key(customer_pk(&conv.page_id, &conv.psid), "CUSTOMER"),
                    "REMOVE open_conversation_id",
                    Some("open_conversation_id = :id"),
                    &[],
                    vec![(":id", s(id.as_str()))],
                )?);
            }
            if self.transact(items).await?.is_none() {
                return Ok(Conversation {
                    state: ConversationState::Closed,
                    closed_at: Some(at),
                    updated_at: at,
                    ..conv
                });
            }
        }
        Err(StoreError::Conflict(format!(
            "conversation {id} changed while closing; it may be closed already"
        )))
    }

    async fn create_contact(&self, contact: &Contact) -> StoreResult<()> {
        self.put_item(
            contact_item(contact)?,
            WriteMode::Create,
            format!("contact {}", contact.id),
        )
        .await
    }

    async fn update_contact(&self, contact: &Contact, expect: u64) -> StoreResult<()> {
        // Contacts written before versions existed have no `version`: 0.
        let cond = if expect == 0 {
            "attribute_exists(PK) AND (attribute_not_exists(version) OR version = :v)"
        } else {
            "version = :v"
        };
        let item = self.update(
            key(contact_pk(&contact.id), "CONTACT"),
            "SET doc = :doc, version = :new",
            Some(cond),
            &[],
            vec![
                (":v", n(expect as i64)),
                (":doc", to_doc(contact)?),
                (":new", n(contact.version as i64)),
            ],
        )?;
        if self.transact(vec![item]).await?.is_none() {
            return Ok(());
        }
        match self.get_contact(&contact.id).await? {
            None => Err(StoreError::NotFound(format!("contact {}", contact.id))),
            Some(c) => Err(StoreError::Conflict(format!(
                "contact {} is at version {}, not {expect}",
                contact.id, c.version
            ))),
        }
    }

    /// Link the conversation's customer to `contact`. The conversation,
    /// the customer and the 40 newest history entries move in one
    /// transaction; older entries in further ones. When there are older
    /// ones, that transaction also writes a marker (`CUSTOMER#page#psid` /
    /// `LINK#{old contact}`), deleted once every entry has moved: a link that
    /// stopped half way is finished by the next link of the customer, to the
    /// same contact or another.
    async fn link_contact(
        &self,
        conversation: &ConversationId,
        contact: &ContactId,
    ) -> StoreResult<Conversation> {
        /// Most history entries the linking transaction itself moves.
        const FIRST: usize = 40;

        fn marker_sk(from: &ContactId) -> String {
            format!("LINK#{from}")
        }

        /// The contacts an earlier link of this customer left entries under.
        async fn unfinished(
            store: &DynamoStore,
            conv: &Conversation,
        ) -> StoreResult<Vec<ContactId>> {
            let markers = store
                .query_pages(Query {
                    index: None,
                    pk: ("PK", customer_pk(&conv.page_id, &conv.psid)),
                    sk: Some(("SK", "begins_with(#sk, :sk)", "LINK#".to_string())),
                    filter: None,
                    forward: true,
                    limit: usize::MAX,
                })
                .await?;
            markers
                .iter()
                .map(|m| parse_id(ContactId::parse(get_s(m, "from")?)))
                .collect()
        }

        /// This customer's entries in `from`'s history, newest first.
        async fn entries(
            store: &DynamoStore,
            conv: &Conversation,
            from: &ContactId,
        ) -> StoreResult<Vec<Item>> {
            store
                .query_pages(Query {
                    index: None,
                    pk: ("PK", contact_pk(from)),
                    sk: Some(("SK", "begins_with(#sk, :sk)", "CONV#".to_string())),
                    filter: Some((
                        "page_id = :page AND psid = :psid".into(),
                        vec![
                            (":page", s(conv.page_id.as_str())),
                            (":psid", s(conv.psid.as_str())),
                        ],
                    )),
                    forward: false,
                    limit: usize::MAX,
                })
                .await
        }

        /// Move one history entry: put under `to`, delete under `from`.
        fn move_entry(
            store: &DynamoStore,
            old: &Item,
            from: &ContactId,
            to: &ContactId,
        ) -> StoreResult<[TransactWriteItem; 2]> {
            let sk = get_s(old, "SK")?.to_string();
            let mut new = old.clone();
            new.insert("PK".into(), s(contact_pk(to)));
            let delete = Delete::builder()
                .table_name(store.table())
                .set_key(Some(key(contact_pk(from), &sk)))
                .build()
                .map_err(unavailable)?;
            Ok([
                store.put(new, None)?,
                TransactWriteItem::builder().delete(delete).build(),
            ])
        }

        /// Move what is left of this customer's history from `from` to
        /// `to`, 49 entries a transaction, then drop the marker. A failed
        /// transaction leaves the marker for the next link.
        async fn finish(
            store: &DynamoStore,
            conv: &Conversation,
            from: &ContactId,
            to: &ContactId,
        ) -> StoreResult<()> {
            let left = if from == to {
                Vec::new()
            } else {
                entries(store, conv, from).await?
            };
            for chunk in left.chunks(49) {
                let mut batch = Vec::with_capacity(chunk.len() * 2);
                for old in chunk {
                    batch.extend(move_entry(store, old, from, to)?);
                }
                if let Some(codes) = store.transact(batch).await? {
                    tracing::warn!(?codes, contact = %to, "older history entries not moved yet; the next link moves them");
                    return Ok(());
                }
            }
            let marker = Delete::builder()
                .table_name(store.table())
                .set_key(Some(key(
                    customer_pk(&conv.page_id, &conv.psid),
                    &marker_sk(from),
                )))
                .build()
                .map_err(unavailable)?;
            store
                .transact(vec![TransactWriteItem::builder().delete(marker).build()])
                .await
                .map(|_| ())
        }

        let conv = self
            .get_conversation(conversation)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("conversation {conversation}")))?;
        let from = conv.contact_id.clone();
        let unfinished = unfinished(self, &conv).await?;
        if &from == contact {
            if self.get_contact(contact).await?.is_none() {
                return Err(StoreError::NotFound(format!("contact {contact}")));
            }
            // Linked already: finish what an interrupted link left.
            for old in &unfinished {
                finish(self, &conv, old, contact).await?;
            }
            return Ok(conv);
        }
        // This customer's conversations in the old contact's history.
        let moved = entries(self, &conv, &from).await?;
        let check = ConditionCheck::builder()
            .table_name(self.table())
            .set_key(Some(key(contact_pk(contact), "CONTACT")))
            .condition_expression("attribute_exists(PK)")
            .build()
            .map_err(unavailable)?;
        let mut items = vec![
            TransactWriteItem::builder().condition_check(check).build(),
            self.update(
                key(conv_pk(conversation), "CONV"),
                "SET contact_id = :to",
                Some("contact_id = :from"),
                &[],
                vec![(":to", s(contact.as_str())), (":from", s(from.as_str()))],
            )?,
            self.update(
                key(customer_pk(&conv.page_id, &conv.psid), "CUSTOMER"),
                "SET contact_id = :to",
                Some("contact_id = :from"),
                &[],
                vec![(":to", s(contact.as_str())), (":from", s(from.as_str()))],
            )?,
        ];
        // A transaction holds 100 items: the newest history entries move
        // with the link, older ones after it, the marker saying so meanwhile.
        for old in moved.iter().take(FIRST) {
            items.extend(move_entry(self, old, &from, contact)?);
        }
        let rest = moved.len() > FIRST;
        if rest {
            let mut marker = key(customer_pk(&conv.page_id, &conv.psid), &marker_sk(&from));
            marker.insert("from".into(), s(from.as_str()));
            items.push(self.put(marker, None)?);
        }
        if let Some(codes) = self.transact(items).await? {
            if codes.first().map(String::as_str) == Some("ConditionalCheckFailed") {
                return Err(StoreError::NotFound(format!("contact {contact}")));
            }
            return Err(StoreError::Conflict(format!(
                "conversation {conversation} changed while linking; try again"
            )));
        }
        for old in unfinished.iter().chain(rest.then_some(&from)) {
            finish(self, &conv, old, contact).await?;
        }
        Ok(Conversation {
            contact_id: contact.clone(),
            ..conv
        })
    }

    async fn contact_conversations(
        &self,
        contact: &ContactId,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<Conversation>> {
        // After a cursor: `SK < CONV#{after}`, which also reaches the
        // contact item (`CONTACT` sorts below `CONV#`); it comes last,
        // newest first, and is dropped.
        let sk = match after {
            Some(a) => ("SK", "#sk < :sk", format!("CONV#{a}")),
            None => ("SK", "begins_with(#sk, :sk)", "CONV#".to_string()),
        };
        let links = self
            .query_pages(Query {
                index: None,
                pk: ("PK", contact_pk(contact)),
                sk: Some(sk),
                filter: None,
                forward: false,
                limit,
            })
            .await?;
        let mut out = Vec::new();
        for l in links
            .iter()
            .filter(|l| opt_s(l, "SK").is_some_and(|k| k.starts_with("CONV#")))
        {
            let id = parse_id(ConversationId::parse(get_s(l, "conversation_id")?))?;
            if let Some(c) = self.get_conversation(&id).await? {
                out.push(c);
            }
        }
        Ok(out)
    }
}

fn workstream_pk(id: &WorkstreamId) -> String {
    format!("WS#{id}")
}
fn binding_pk(page: &PageId) -> String {
    format!("PAGEWS#{page}")
}

impl DynamoStore {
    fn delete_binding_if_mine(
        &self,
        page: &PageId,
        ws: &WorkstreamId,
    ) -> StoreResult<TransactWriteItem> {
        let d = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key(binding_pk(page), "PAGEWS")))
            .condition_expression("ws_id = :me")
            .expression_attribute_values(":me", s(ws.as_str()))
            .build()
            .map_err(unavailable)?;
        Ok(TransactWriteItem::builder().delete(d).build())
    }

    async fn binding_owner(&self, page: &PageId) -> StoreResult<Option<String>> {
        Ok(self
            .get_item(key(binding_pk(page), "PAGEWS"))
            .await?
            .and_then(|i| opt_s(&i, "ws_id").map(str::to_string)))
    }
}

#[async_trait]
impl WorkstreamStore for DynamoStore {
    async fn put_workstream(&self, ws: &Workstream, mode: WriteMode) -> StoreResult<()> {
        let existing: Option<Workstream> = self
            .get_item(key(workstream_pk(&ws.id), "WS"))
            .await?
            .as_ref()
            .map(doc)
            .transpose()?;
        if mode == WriteMode::Create && existing.is_some() {
            return Err(StoreError::Conflict(format!("workstream {}", ws.id)));
        }
        let mut item = key(workstream_pk(&ws.id), "WS");
        item.insert("doc".into(), to_doc(ws)?);
        item.insert("GSI2PK".into(), s("WORKSTREAMS"));
        item.insert("GSI2SK".into(), s(workstream_pk(&ws.id)));
        let cond = (mode == WriteMode::Create).then_some("attribute_not_exists(PK)");
        let mut items = vec![self.put(item, cond)?];
        for page in &ws.pages {
            let mut b = key(binding_pk(page), "PAGEWS");
            b.insert("ws_id".into(), s(ws.id.as_str()));
            let p = Put::builder()
                .table_name(&self.table)
                .set_item(Some(b))
                .condition_expression("attribute_not_exists(PK) OR ws_id = :me")
                .expression_attribute_values(":me", s(ws.id.as_str()))
                .build()
                .map_err(unavailable)?;
            items.push(TransactWriteItem::builder().put(p).build());
        }
        for old in existing
            .iter()
            .flat_map(|e| e.pages.iter())
            .filter(|p| !ws.pages.contains(p))
        {
            items.push(self.delete_binding_if_mine(old, &ws.id)?);
        }
        let Some(codes) = self.transact(items).await? else {
            return Ok(());
        };
        if codes.first().map(String::as_str) == Some("ConditionalCheckFailed") {
            return Err(StoreError::Conflict(format!("workstream {}", ws.id)));
        }
        for (i, page) in ws.pages.iter().enumerate() {
            if codes.get(i + 1).map(String::as_str) == Some("ConditionalCheckFailed") {
                let other = self
                    .binding_owner(page)
                    .await?
                    .unwrap_or_else(|| "another workstream".into());
                return Err(StoreError::Conflict(format!(
                    "page {page} feeds workstream {other}"
                )));
            }
        }
        Err(StoreError::Conflict(format!(
            "workstream {} changed meanwhile; try again",
            ws.id
        )))
    }

    async fn get_workstream(&self, id: &WorkstreamId) -> StoreResult<Option<Workstream>> {
        self.get_decoded(key(workstream_pk(id), "WS"), doc).await
    }

    async fn list_workstreams(&self) -> StoreResult<Vec<Workstream>> {
        let items = self
            .query_all(
                Some("GSI2"),
                "GSI2PK",
                "WORKSTREAMS".into(),
                None,
                usize::MAX,
            )
            .await?;
        let mut out: Vec<Workstream> = items
            .iter()
            .filter_map(|i| listed("workstream", doc(i)))
            .collect();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    async fn delete_workstream(&self, id: &WorkstreamId) -> StoreResult<()> {
        let existing = self
            .get_workstream(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("workstream {id}")))?;
        let d = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key(workstream_pk(id), "WS")))
            .condition_expression("attribute_exists(PK)")
            .build()
            .map_err(unavailable)?;
        let mut items = vec![TransactWriteItem::builder().delete(d).build()];
        for page in &existing.pages {
            if self.binding_owner(page).await?.as_deref() == Some(id.as_str()) {
                items.push(self.delete_binding_if_mine(page, id)?);
            }
        }
        match self.transact(items).await? {
            None => Ok(()),
            Some(_) => Err(StoreError::Conflict(format!(
                "workstream {id} changed meanwhile; try again"
            ))),
        }
    }

    async fn workstream_of_page(&self, page: &PageId) -> StoreResult<Option<WorkstreamId>> {
        self.binding_owner(page)
            .await?
            .map(|w| WorkstreamId::parse(w).map_err(|e| StoreError::Corrupt(e.to_string())))
            .transpose()
    }
}
