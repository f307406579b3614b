//! The store ports on one DynamoDB table: the `DynamoStore` itself and the
//! helpers every part uses (attribute values, keys, conditional writes,
//! transactions, paged queries). Keys and access patterns are in
//! `docs/dynamodb.md`; every read on a hot path is a `GetItem` or a `Query`,
//! never a `Scan`. Conditional writes and transactions, not read-then-write,
//! enforce the ports' rules.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, Put, TransactWriteItem, Update};
use std::collections::HashMap;
use switchboard_core::ports::{StoreError, StoreResult, WriteMode};

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
    "dynamodb:BatchGetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:Query",
    "dynamodb:TransactWriteItems",
];

mod accounts;
mod append;
mod canned;
pub mod capacity;
mod contact_search;
mod conv_items;
mod conversations;
mod link;
mod outbound;
mod routing;
mod routing_doc;
pub use routing_doc::RecordForm;
mod sign_in;
mod streams;
mod tables;
mod workstreams;
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
    writes: capacity::WriteMeter,
    reads: capacity::ReadMeter,
    /// The form long routing records are written in (`routing_doc`).
    routing_form: RecordForm,
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

impl crate::Metered for DynamoStore {
    fn call_log(&self) -> &crate::CallLog {
        &self.calls
    }
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
            writes: capacity::WriteMeter::default(),
            reads: capacity::ReadMeter::default(),
            routing_form: RecordForm::Json,
        }
    }

    /// Write conversations' long routing records in `form` (deflated:
    /// about 30 % of their JSON, or about 15 % with the dictionary; fewer write
    /// units on every routing write). Every form is always read; choose
    /// one only once every function that reads the table runs code that
    /// reads it (`routing_doc`).
    pub fn routing_records(mut self, form: RecordForm) -> Self {
        self.routing_form = form;
        self
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// The writes this adapter sends, kept once started (`make bench`
    /// sizes them into the write units DynamoDB bills).
    pub fn write_meter(&self) -> &capacity::WriteMeter {
        &self.writes
    }

    /// The single-item reads this adapter sends, counted once started
    /// (`make bench`, store-calls).
    pub fn read_meter(&self) -> &capacity::ReadMeter {
        &self.reads
    }

    /// An item, read strongly consistent (one read unit per 4 KB).
    pub(crate) async fn get_item(&self, key: Item) -> StoreResult<Option<Item>> {
        self.read_item(key, true).await
    }

    /// An item, read strongly consistent or not (an eventually consistent
    /// read bills half a read unit and may miss the last second's writes).
    pub(crate) async fn read_item(&self, key: Item, consistent: bool) -> StoreResult<Option<Item>> {
        self.calls.record("dynamodb:GetItem");
        self.reads.record(consistent);
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .consistent_read(consistent)
            .send()
            .await
            .map_err(|e| unavailable(DisplayErrorContext(e)))?;
        Ok(out.item)
    }

    /// Read items by key, 100 keys per `BatchGetItem`, retrying
    /// unprocessed keys (strongly consistent when `consistent`); in no
    /// particular order, and without the keys that have no item.
    pub(crate) async fn batch_get(
        &self,
        keys: Vec<Item>,
        consistent: bool,
    ) -> StoreResult<Vec<Item>> {
        let mut out = Vec::new();
        for chunk in keys.chunks(100) {
            // Billed as one read of each key (at most 4 KB here).
            for _ in chunk {
                self.reads.record(consistent);
            }
            let mut keys = chunk.to_vec();
            for attempt in 0..8 {
                if keys.is_empty() {
                    break;
                }
                if attempt > 0 {
                    tokio::time::sleep(std::time::Duration::from_millis(20 << attempt)).await;
                }
                self.calls.record("dynamodb:BatchGetItem");
                let ka = KeysAndAttributes::builder()
                    .set_keys(Some(std::mem::take(&mut keys)))
                    .consistent_read(consistent)
                    .build()
                    .map_err(unavailable)?;
                let res = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, ka)
                    .send()
                    .await
                    .map_err(|e| unavailable(DisplayErrorContext(e)))?;
                if let Some(items) = res.responses().and_then(|r| r.get(&self.table)) {
                    out.extend(items.iter().cloned());
                }
                if let Some(left) = res.unprocessed_keys().and_then(|u| u.get(&self.table)) {
                    keys = left.keys().to_vec();
                }
            }
            if !keys.is_empty() {
                return Err(unavailable("DynamoDB kept keys unprocessed; try again"));
            }
        }
        Ok(out)
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
        let create = (mode == WriteMode::Create).then_some(("attribute_not_exists(PK)", vec![]));
        self.put_item_if(item, create, what).await
    }

    /// Put an item, on `condition` (an expression and its values) when
    /// given: `Conflict(what)` when the condition fails.
    pub(crate) async fn put_item_if(
        &self,
        item: Item,
        condition: Option<(&str, Vec<(&str, AttributeValue)>)>,
        what: String,
    ) -> StoreResult<()> {
        self.calls.record("dynamodb:PutItem");
        self.writes.record(&item, Some(&item), false);
        let mut req = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item));
        if let Some((expression, values)) = condition {
            req = req.condition_expression(expression);
            for (name, value) in values {
                req = req.expression_attribute_values(name, value);
            }
        }
        conditional(req.send().await, || StoreError::Conflict(what))
    }

    /// One conditional `UpdateItem` outside a transaction: `on_failed`'s
    /// error when the condition fails.
    pub(crate) async fn update_item_if(
        &self,
        key: Item,
        expr: &str,
        condition: &str,
        names: &[(&str, &str)],
        values: Vec<(&str, AttributeValue)>,
        on_failed: impl FnOnce() -> StoreError,
    ) -> StoreResult<()> {
        self.calls.record("dynamodb:UpdateItem");
        self.writes.record(&key, None, false);
        let mut req = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .update_expression(expr)
            .condition_expression(condition);
        for (k, v) in names {
            req = req.expression_attribute_names(*k, *v);
        }
        for (name, value) in values {
            req = req.expression_attribute_values(name, value);
        }
        conditional(req.send().await, on_failed)
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
        self.calls.record("dynamodb:TransactWriteItems");
        self.writes.record_transaction(&items);
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
            self.calls.record("dynamodb:Query");
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
