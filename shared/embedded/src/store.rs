//! The store ports on redb. Every write is one ACID transaction, so the
//! conditional rules of the ports (create-if-absent, append-once, close
//! once) hold by construction; redb admits one writer at a time.
//!
//! Tables (JSON values):
//! - `accounts` id -> Account, `pages` page_id -> Page
//! - `customers` "page|psid" -> Customer, `contacts` id -> Contact (and its
//!   search index, `contact_search`)
//! - `contact_convs` "contact|created(20 digits)|conv" -> ContactConv (history)
//! - `conversations` id -> Conversation, and `activity` id -> Activity (the
//!   times its events moved, merged into every read: `activity`)
//! - `timeline` "conv|timestamp(20 digits)|dedup" -> InboundEvent
//! - `markers_by_time` "timestamp(20 digits)|dedup" -> conversation id
//!   (append-once); an event without a time of its own, and a marker moved
//!   from a data directory from before (`markers`, by dedup id alone),
//!   under "~|dedup"; `marker_expiry` "written(20 digits)|marker key" ->
//!   "", which removes each `MARKER_LIFETIME_SECS` after it was written
//! - `unattributed` "page|timestamp|dedup" -> InboundEvent
//! - the conversation indexes of `conv_index` (newest first, by page, by agent)

use crate::blocking;
use crate::commit::Committer;
use crate::tables::{
    ACCOUNTS, ACTIVITY, ALL_TABLES, CONTACT_CONVS, CONTACTS, CONVERSATIONS, CUSTOMERS,
    MARKER_EXPIRY, MARKERS, MARKERS_BY_TIME, PAGE_WORKSTREAM, PAGES, Str, TIMELINE, UNATTRIBUTED,
    WORKSTREAMS, customer_key, dec, enc, err,
};
use async_trait::async_trait;
use redb::{Database, ReadableDatabase, ReadableTable};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::path::Path;
use std::sync::Arc;
use switchboard_core::append::{AppendWrites, plan_append};
use switchboard_core::event::InboundEvent;
use switchboard_core::ids::{AccountId, ContactId, ConversationId, PageId, Psid};
use switchboard_core::ports::{
    Account, AccountStore, AppendOutcome, Contact, Conversation, ConversationFilter,
    ConversationState, ConversationStore, Customer, MARKER_LIFETIME_SECS, NewIds, Page, StoreError,
    StoreResult, WorkstreamStore, WriteMode, appended_customer, listed,
};
use switchboard_core::workstreams::{Workstream, WorkstreamId};
use switchboard_core::{Clock, Millis, SystemClock};

#[derive(Clone)]
pub struct RedbStore {
    committer: Arc<Committer>,
    /// Agent records already decoded (`agent_cache`).
    pub(crate) agents: Arc<crate::agent_cache::AgentCache>,
}

/// A conversation in its contact's history.
#[derive(serde::Serialize, serde::Deserialize)]
struct ContactConv {
    conversation_id: ConversationId,
    page_id: PageId,
    psid: Psid,
}

fn contact_conv_key(contact: &ContactId, conv: &Conversation) -> String {
    format!("{contact}|{:020}|{}", conv.created_at.0.max(0), conv.id)
}

fn put_contact_conv(
    table: &mut redb::Table<'_, &'static str, &'static str>,
    contact: &ContactId,
    conv: &Conversation,
) -> StoreResult<()> {
    let v = ContactConv {
        conversation_id: conv.id.clone(),
        page_id: conv.page_id.clone(),
        psid: conv.psid.clone(),
    };
    table
        .insert(contact_conv_key(contact, conv).as_str(), enc(&v)?.as_str())
        .map_err(err)?;
    Ok(())
}

/// A conversation an append opens: the conversation, its indexes and its
/// row in `contact`'s history.
fn open_conversation(
    txn: &redb::WriteTransaction,
    conversations: &mut redb::Table<'_, &'static str, &'static str>,
    contact: &ContactId,
    conv: &Conversation,
) -> StoreResult<()> {
    conversations
        .insert(conv.id.as_str(), enc(conv)?.as_str())
        .map_err(err)?;
    crate::conv_index::index(txn, None, conv)?;
    let mut history = txn.open_table(CONTACT_CONVS).map_err(err)?;
    put_contact_conv(&mut history, contact, conv)
}

/// Conversation `id` (with its activity) for a write that rewrites its
/// record; `NotFound` when there is none.
fn written_conversation(
    txn: &redb::WriteTransaction,
    conversations: &redb::Table<'_, &'static str, &'static str>,
    id: &ConversationId,
) -> StoreResult<Conversation> {
    let activity = txn.open_table(ACTIVITY).map_err(err)?;
    crate::activity::conversation(conversations, &activity, id.as_str())?
        .ok_or_else(|| StoreError::NotFound(format!("conversation {id}")))?
}

/// A time as a key part that sorts as the time does: offset so that
/// negative times (never seen, but allowed) still sort.
fn sortable(ts: Millis) -> u128 {
    (i128::from(ts.0) + i128::from(i64::MAX) + 1) as u128
}

fn timeline_key(conv: &ConversationId, ts: Millis, dedup: &str) -> String {
    format!("{conv}|{:020}|{dedup}", sortable(ts))
}

/// An event's append-once marker, where the event's own time is its
/// timestamp: by that time (a redelivery carries the same body, so the
/// same time), then its dedup id. New markers land on the table's last
/// pages, and recent ones stay in the page cache.
fn timed_marker_key(ts: Millis, dedup: &str) -> String {
    format!("{:020}|{dedup}", sortable(ts))
}

/// The marker of an event whose time is its arrival (Meta sent none
/// usable), which a redelivery would not share, and of a marker moved from
/// a store from before (`MARKERS`): by its dedup id alone, after every
/// timed one (`~` sorts after the digits).
fn untimed_marker_key(dedup: &str) -> String {
    format!("~|{dedup}")
}

/// A marker's row in `MARKER_EXPIRY`: when it was written, then its key.
fn expiry_key(written: Millis, marker: &str) -> String {
    format!("{:020}|{marker}", sortable(written))
}

/// Markers removed past their lifetime per append, at most: more than the
/// one each append adds, so only the lifetime's markers are kept.
const EXPIRED_PER_APPEND: usize = 2;

/// Remove the markers written more than [`MARKER_LIFETIME_SECS`] ago,
/// oldest first by when they were written (as DynamoDB's TTL removes its
/// markers), whatever their keys. A row of the expiry index not understood
/// is dropped without its marker: that marker is kept, never removed
/// early.
fn expire_markers(txn: &redb::WriteTransaction, now: Millis) -> StoreResult<()> {
    let mut expiry = txn.open_table(MARKER_EXPIRY).map_err(err)?;
    let mut markers = txn.open_table(MARKERS_BY_TIME).map_err(err)?;
    let lifetime_ms = MARKER_LIFETIME_SECS.saturating_mul(1000);
    let cutoff = sortable(Millis(now.0.saturating_sub(lifetime_ms)));
    for _ in 0..EXPIRED_PER_APPEND {
        let Some(row) = expiry
            .first()
            .map_err(err)?
            .map(|(k, _)| k.value().to_string())
        else {
            return Ok(());
        };
        let parsed = row
            .split_once('|')
            .and_then(|(written, marker)| Some((written.parse::<u128>().ok()?, marker)));
        match parsed {
            Some((written, _)) if written >= cutoff => return Ok(()),
            Some((_, marker)) => {
                markers.remove(marker).map_err(err)?;
            }
            None => {}
        }
        expiry.remove(row.as_str()).map_err(err)?;
    }
    Ok(())
}

/// Markers a store from before kept by dedup id alone (`MARKERS`) move to
/// their untimed keys, where every lookup finds them, and count their
/// lifetime from this open; once, at the first open, then the table is
/// dropped.
fn move_markers_from_before(txn: &redb::WriteTransaction, now: Millis) -> StoreResult<()> {
    {
        let legacy = txn.open_table(MARKERS).map_err(err)?;
        let mut markers = txn.open_table(MARKERS_BY_TIME).map_err(err)?;
        let mut expiry = txn.open_table(MARKER_EXPIRY).map_err(err)?;
        for row in legacy.iter().map_err(err)? {
            let (dedup, conv) = row.map_err(err)?;
            let key = untimed_marker_key(dedup.value());
            markers.insert(key.as_str(), conv.value()).map_err(err)?;
            expiry
                .insert(expiry_key(now, &key).as_str(), "")
                .map_err(err)?;
        }
    }
    txn.delete_table(MARKERS).map_err(err)?;
    Ok(())
}

/// The store's page cache: the working set of a busy single machine
/// (recent conversations and timelines); colder pages come from the OS's
/// file cache. At 32 MiB a drained backlog of 200,000 events peaked above
/// 200 MB resident; at 16 the pipeline's CPU per event was no higher
/// (`make bench` pipeline).
pub const STORE_CACHE_BYTES: usize = 16 * 1024 * 1024;

impl RedbStore {
    /// Open (or create) the store file (with a page cache of
    /// [`STORE_CACHE_BYTES`]: redb's default, 1 GiB, would let a busy
    /// serve grow to it).
    pub fn open(path: impl AsRef<Path>) -> StoreResult<Self> {
        let db = Database::builder()
            .set_cache_size(STORE_CACHE_BYTES)
            .create(path.as_ref())
            .map_err(err)?;
        let txn = db.begin_write().map_err(err)?;
        for t in ALL_TABLES {
            txn.open_table(t).map_err(err)?;
        }
        crate::conv_index::rebuild(&txn)?;
        crate::contact_search::rebuild(&txn)?;
        move_markers_from_before(&txn, SystemClock.now())?;
        txn.commit().map_err(err)?;
        Ok(Self {
            committer: Arc::new(
                Committer::new(Arc::new(db), "store-writer").map_err(StoreError::Unavailable)?,
            ),
            agents: Arc::default(),
        })
    }

    pub(crate) async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&redb::ReadTransaction) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        let db = self.committer.db().clone();
        blocking(move || {
            let txn = db.begin_read().map_err(err)?;
            f(&txn)
        })
        .await
        .map_err(StoreError::Unavailable)?
    }

    /// A write, group-committed with concurrent writers and durable on
    /// return. Closures check their conditions before writing anything.
    pub(crate) async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&redb::WriteTransaction) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        self.committer
            .write(true, f)
            .await
            .map_err(StoreError::Unavailable)?
    }

    /// A read transaction for a point read, run in place (see `get_json`).
    pub(crate) fn read_in_place(&self) -> StoreResult<redb::ReadTransaction> {
        self.committer.db().begin_read().map_err(err)
    }

    /// One record by key. A point read is a few microseconds on cached
    /// pages, so it runs here rather than on the blocking pool (handing it
    /// to a thread and back cost more CPU than the read, `make bench`).
    pub(crate) async fn get_json<T: DeserializeOwned + Send + 'static>(
        &self,
        table: Str,
        key: String,
    ) -> StoreResult<Option<T>> {
        let txn = self.read_in_place()?;
        let t = txn.open_table(table).map_err(err)?;
        let v = t.get(key.as_str()).map_err(err)?;
        v.map(|g| dec(g.value())).transpose()
    }

    /// Every record of a table, in key order (`what` names an unreadable one).
    pub(crate) async fn all<T: DeserializeOwned + Send + 'static>(
        &self,
        table: Str,
        what: &'static str,
    ) -> StoreResult<Vec<T>> {
        self.read(move |txn| {
            let t = txn.open_table(table).map_err(err)?;
            let mut out = Vec::new();
            for row in t.iter().map_err(err)? {
                out.extend(listed(what, dec(row.map_err(err)?.1.value())));
            }
            Ok(out)
        })
        .await
    }

    /// Remove a record; `NotFound(what)` when there is none.
    pub(crate) async fn delete_json(
        &self,
        table: Str,
        key: String,
        what: String,
    ) -> StoreResult<()> {
        self.write(move |txn| {
            let mut t = txn.open_table(table).map_err(err)?;
            if t.remove(key.as_str()).map_err(err)?.is_none() {
                return Err(StoreError::NotFound(what));
            }
            Ok(())
        })
        .await
    }

    pub(crate) async fn put_json<T: Serialize>(
        &self,
        table: Str,
        key: String,
        value: &T,
        mode: WriteMode,
        what: String,
    ) -> StoreResult<()> {
        let body = enc(value)?;
        self.write(move |txn| {
            let mut t = txn.open_table(table).map_err(err)?;
            if mode == WriteMode::Create && t.get(key.as_str()).map_err(err)?.is_some() {
                return Err(StoreError::Conflict(what));
            }
            t.insert(key.as_str(), body.as_str()).map_err(err)?;
            Ok(())
        })
        .await
    }
}

#[async_trait]
impl AccountStore for RedbStore {
    async fn put_account(&self, account: &Account, mode: WriteMode) -> StoreResult<()> {
        let what = format!("account {}", account.id);
        self.put_json(ACCOUNTS, account.id.to_string(), account, mode, what)
            .await
    }

    async fn get_account(&self, id: &AccountId) -> StoreResult<Option<Account>> {
        self.get_json(ACCOUNTS, id.to_string()).await
    }

    async fn mark_webhook_verified(&self, id: &AccountId, at: Millis) -> StoreResult<()> {
        let key = id.to_string();
        self.write(move |txn| {
            let mut t = txn.open_table(ACCOUNTS).map_err(err)?;
            let mut acc: Account = match t.get(key.as_str()).map_err(err)? {
                Some(g) => dec(g.value())?,
                None => return Err(StoreError::NotFound(format!("account {key}"))),
            };
            acc.webhook_verified_at = Some(at);
            t.insert(key.as_str(), enc(&acc)?.as_str()).map_err(err)?;
            Ok(())
        })
        .await
    }

    async fn put_page(&self, page: &Page, mode: WriteMode) -> StoreResult<()> {
        let key = page.page_id.to_string();
        let body = enc(page)?;
        self.write(move |txn| {
            let mut t = txn.open_table(PAGES).map_err(err)?;
            if mode == WriteMode::Create {
                let existing: Option<Page> = t
                    .get(key.as_str())
                    .map_err(err)?
                    .map(|g| dec(g.value()))
                    .transpose()?;
                if let Some(e) = existing.filter(Page::is_live) {
                    return Err(StoreError::Conflict(format!(
                        "page {key} (bound to account {})",
                        e.account_id
                    )));
                }
            }
            t.insert(key.as_str(), body.as_str()).map_err(err)?;
            Ok(())
        })
        .await
    }

    async fn get_page(&self, id: &PageId) -> StoreResult<Option<Page>> {
        self.get_json(PAGES, id.to_string()).await
    }

    async fn list_accounts(&self) -> StoreResult<Vec<Account>> {
        self.all(ACCOUNTS, "account").await
    }

    async fn delete_account(&self, id: &AccountId) -> StoreResult<()> {
        self.delete_json(ACCOUNTS, id.to_string(), format!("account {id}"))
            .await
    }

    async fn list_pages(&self, account: &AccountId) -> StoreResult<Vec<Page>> {
        let account = account.clone();
        self.read(move |txn| {
            let t = txn.open_table(PAGES).map_err(err)?;
            let mut out = Vec::new();
            for row in t.iter().map_err(err)? {
                let Some(page) = listed::<Page>("page", dec(row.map_err(err)?.1.value())) else {
                    continue;
                };
                if page.account_id == account {
                    out.push(page);
                }
            }
            Ok(out)
        })
        .await
    }
}

#[async_trait]
impl ConversationStore for RedbStore {
    async fn append(
        &self,
        event: &InboundEvent,
        ids: &NewIds,
        now: Millis,
    ) -> StoreResult<AppendOutcome> {
        let psid = appended_customer(event)?;
        let ev = event.clone();
        let ids = ids.clone();
        // Encoded here, not on the writer thread every append waits for.
        let entry = enc(event)?;
        self.write(move |txn| {
            let dedup = ev.dedup_id();
            // Both keys are tried: a redelivery cannot tell which one the
            // first delivery took (its arrival may have matched Meta's time).
            let timed = timed_marker_key(ev.timestamp, &dedup);
            let untimed = untimed_marker_key(&dedup);
            let marker = if ev.timestamp == ev.received_at {
                &untimed
            } else {
                &timed
            };
            let mut markers = txn.open_table(MARKERS_BY_TIME).map_err(err)?;
            let before = match markers.get(timed.as_str()).map_err(err)? {
                Some(conv) => Some(conv.value().to_string()),
                None => markers
                    .get(untimed.as_str())
                    .map_err(err)?
                    .map(|conv| conv.value().to_string()),
            };
            if let Some(conv) = before {
                let conversation_id = ConversationId::parse(&conv).ok();
                return Ok(AppendOutcome::Duplicate { conversation_id });
            }
            let mut customers = txn.open_table(CUSTOMERS).map_err(err)?;
            let mut conversations = txn.open_table(CONVERSATIONS).map_err(err)?;
            let ckey = customer_key(&ev.page_id, &psid);
            let customer: Option<Customer> = customers
                .get(ckey.as_str())
                .map_err(err)?
                .map(|g| dec(g.value()))
                .transpose()?;
            let Some(plan) = plan_append(customer.as_ref(), &ev, &ids, now)? else {
                return Ok(AppendOutcome::Erased);
            };
            match &plan.writes {
                AppendWrites::NewCustomer {
                    contact,
                    conversation,
                    customer,
                } => {
                    let mut contacts = txn.open_table(CONTACTS).map_err(err)?;
                    contacts
                        .insert(contact.id.as_str(), enc(contact)?.as_str())
                        .map_err(err)?;
                    crate::contact_search::index(txn, None, contact)?;
                    open_conversation(txn, &mut conversations, &contact.id, conversation)?;
                    customers
                        .insert(ckey.as_str(), enc(customer)?.as_str())
                        .map_err(err)?;
                }
                AppendWrites::Reopen {
                    conversation,
                    customer,
                } => {
                    open_conversation(txn, &mut conversations, &customer.contact_id, conversation)?;
                    customers
                        .insert(ckey.as_str(), enc(customer)?.as_str())
                        .map_err(err)?;
                }
                AppendWrites::Existing {
                    conversation_id: open,
                    touch,
                } => {
                    // The touch goes on the activity row; the conversation's
                    // record is neither decoded nor rewritten.
                    if conversations.get(open.as_str()).map_err(err)?.is_none() {
                        return Err(StoreError::Corrupt(format!(
                            "conversation {open} is missing"
                        )));
                    }
                    crate::activity::touch(txn, open.as_str(), touch)?;
                }
                AppendWrites::AttachToLast { .. } => {}
            }
            let mut timeline = txn.open_table(TIMELINE).map_err(err)?;
            timeline
                .insert(
                    timeline_key(&plan.conversation_id, plan.at, &plan.dedup).as_str(),
                    entry.as_str(),
                )
                .map_err(err)?;
            markers
                .insert(marker.as_str(), plan.conversation_id.as_str())
                .map_err(err)?;
            drop(markers);
            txn.open_table(MARKER_EXPIRY)
                .map_err(err)?
                .insert(expiry_key(now, marker).as_str(), "")
                .map_err(err)?;
            expire_markers(txn, now)?;
            Ok(plan.outcome())
        })
        .await
    }

    async fn record_unattributed(&self, event: &InboundEvent) -> StoreResult<()> {
        let key = format!(
            "{}|{:020}|{}",
            event.page_id,
            event.timestamp.0.max(0),
            event.dedup_id()
        );
        let body = enc(event)?;
        self.write(move |txn| {
            let mut t = txn.open_table(UNATTRIBUTED).map_err(err)?;
            t.insert(key.as_str(), body.as_str()).map_err(err)?;
            Ok(())
        })
        .await
    }

    async fn get_conversation(&self, id: &ConversationId) -> StoreResult<Option<Conversation>> {
        let txn = self.read_in_place()?;
        let convs = txn.open_table(CONVERSATIONS).map_err(err)?;
        let activity = txn.open_table(ACTIVITY).map_err(err)?;
        crate::activity::conversation(&convs, &activity, id.as_str())?.transpose()
    }

    async fn list_conversations(
        &self,
        filter: &ConversationFilter,
    ) -> StoreResult<Vec<Conversation>> {
        let f = filter.clone();
        self.read(move |txn| {
            // One customer's, or a page's, conversations from their own
            // index; otherwise every conversation, newest first; other
            // filters apply while walking.
            let (table, prefix) = match (&f.page_id, &f.psid) {
                (Some(p), Some(c)) => (
                    crate::tables::CUSTOMER_CONVS,
                    crate::conv_index::customer_prefix(p.as_str(), c.as_str()),
                ),
                (Some(p), None) => (crate::tables::PAGE_CONVS, format!("{p}|")),
                (None, _) => (crate::tables::CONV_ORDER, String::new()),
            };
            crate::conv_index::newest(
                txn,
                table,
                &prefix,
                f.after.as_deref(),
                f.limit.unwrap_or(100),
                |c| {
                    f.psid.as_ref().is_none_or(|p| *p == c.psid)
                        && f.state.is_none_or(|s| s == c.state)
                },
            )
        })
        .await
    }

    async fn timeline(&self, id: &ConversationId) -> StoreResult<Vec<InboundEvent>> {
        let lo = format!("{id}|");
        let hi = format!("{id}|~");
        self.read(move |txn| {
            let t = txn.open_table(TIMELINE).map_err(err)?;
            let mut out = Vec::new();
            for row in t.range(lo.as_str()..hi.as_str()).map_err(err)? {
                let (_, v) = row.map_err(err)?;
                out.extend(listed("timeline event", dec(v.value())));
            }
            Ok(out)
        })
        .await
    }

    async fn get_customer(&self, page: &PageId, psid: &Psid) -> StoreResult<Option<Customer>> {
        self.get_json(CUSTOMERS, customer_key(page, psid)).await
    }

    async fn get_contact(&self, id: &ContactId) -> StoreResult<Option<Contact>> {
        self.get_json(CONTACTS, id.to_string()).await
    }

    async fn close_conversation(
        &self,
        id: &ConversationId,
        at: Millis,
    ) -> StoreResult<Conversation> {
        let id = id.clone();
        self.write(move |txn| {
            let mut conversations = txn.open_table(CONVERSATIONS).map_err(err)?;
            let mut conv = written_conversation(txn, &conversations, &id)?;
            if conv.state == ConversationState::Closed {
                return Err(StoreError::Conflict(format!(
                    "conversation {id} is already closed"
                )));
            }
            let mut customers = txn.open_table(CUSTOMERS).map_err(err)?;
            let ckey = customer_key(&conv.page_id, &conv.psid);
            let customer: Option<Customer> = customers
                .get(ckey.as_str())
                .map_err(err)?
                .map(|g| dec(g.value()))
                .transpose()?;
            let before = conv.clone();
            conv.state = ConversationState::Closed;
            conv.closed_at = Some(at);
            conv.updated_at = at;
            conversations
                .insert(id.as_str(), enc(&conv)?.as_str())
                .map_err(err)?;
            crate::conv_index::index(txn, Some(&before), &conv)?;
            if let Some(mut c) = customer
                && c.open_conversation_id.as_ref() == Some(&id)
            {
                c.open_conversation_id = None;
                customers
                    .insert(ckey.as_str(), enc(&c)?.as_str())
                    .map_err(err)?;
            }
            Ok(conv)
        })
        .await
    }

    async fn create_contact(&self, contact: &Contact) -> StoreResult<()> {
        let contact = contact.clone();
        self.write(move |txn| {
            let mut contacts = txn.open_table(CONTACTS).map_err(err)?;
            if contacts.get(contact.id.as_str()).map_err(err)?.is_some() {
                return Err(StoreError::Conflict(format!("contact {}", contact.id)));
            }
            contacts
                .insert(contact.id.as_str(), enc(&contact)?.as_str())
                .map_err(err)?;
            crate::contact_search::index(txn, None, &contact)?;
            Ok(())
        })
        .await
    }

    async fn update_contact(&self, contact: &Contact, expect: u64) -> StoreResult<()> {
        let contact = contact.clone();
        self.write(move |txn| {
            let mut contacts = txn.open_table(CONTACTS).map_err(err)?;
            let stored: Contact = match contacts.get(contact.id.as_str()).map_err(err)? {
                Some(g) => dec(g.value())?,
                None => return Err(StoreError::NotFound(format!("contact {}", contact.id))),
            };
            if stored.version != expect {
                return Err(StoreError::Conflict(format!(
                    "contact {} is at version {}, not {expect}",
                    contact.id, stored.version
                )));
            }
            contacts
                .insert(contact.id.as_str(), enc(&contact)?.as_str())
                .map_err(err)?;
            crate::contact_search::index(txn, Some(&stored), &contact)?;
            Ok(())
        })
        .await
    }

    async fn find_contacts(&self, prefix: &str, limit: usize) -> StoreResult<Vec<Contact>> {
        self.find_indexed_contacts(prefix, limit).await
    }

    async fn link_contact(
        &self,
        conversation: &ConversationId,
        contact: &ContactId,
    ) -> StoreResult<Conversation> {
        let (id, to) = (conversation.clone(), contact.clone());
        self.write(move |txn| {
            let mut conversations = txn.open_table(CONVERSATIONS).map_err(err)?;
            let mut conv = written_conversation(txn, &conversations, &id)?;
            let contacts = txn.open_table(CONTACTS).map_err(err)?;
            if contacts.get(to.as_str()).map_err(err)?.is_none() {
                return Err(StoreError::NotFound(format!("contact {to}")));
            }
            let from = conv.contact_id.clone();
            if from == to {
                return Ok(conv);
            }
            // This customer's conversations move to the new contact's history.
            let mut history = txn.open_table(CONTACT_CONVS).map_err(err)?;
            let (lo, hi) = (format!("{from}|"), format!("{from}|~"));
            let mut moved: Vec<(String, ContactConv)> = Vec::new();
            for row in history.range(lo.as_str()..hi.as_str()).map_err(err)? {
                let (k, v) = row.map_err(err)?;
                let cc: ContactConv = dec(v.value())?;
                if cc.page_id == conv.page_id && cc.psid == conv.psid {
                    moved.push((k.value().to_string(), cc));
                }
            }
            for (k, cc) in moved {
                history.remove(k.as_str()).map_err(err)?;
                let rest = &k[from.as_str().len()..];
                history
                    .insert(format!("{to}{rest}").as_str(), enc(&cc)?.as_str())
                    .map_err(err)?;
            }
            let mut customers = txn.open_table(CUSTOMERS).map_err(err)?;
            let ckey = customer_key(&conv.page_id, &conv.psid);
            let customer: Option<Customer> = customers
                .get(ckey.as_str())
                .map_err(err)?
                .map(|g| dec(g.value()))
                .transpose()?;
            if let Some(mut c) = customer {
                c.contact_id = to.clone();
                customers
                    .insert(ckey.as_str(), enc(&c)?.as_str())
                    .map_err(err)?;
            }
            conv.contact_id = to;
            conversations
                .insert(id.as_str(), enc(&conv)?.as_str())
                .map_err(err)?;
            Ok(conv)
        })
        .await
    }

    async fn contact_conversations(
        &self,
        contact: &ContactId,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<Conversation>> {
        // History keys are the list key with `|` for its `#`.
        let lo = format!("{contact}|");
        let hi = match after {
            Some(a) => format!("{contact}|{}", a.replacen('#', "|", 1)),
            None => format!("{contact}|~"),
        };
        self.read(move |txn| {
            let history = txn.open_table(CONTACT_CONVS).map_err(err)?;
            let conversations = txn.open_table(CONVERSATIONS).map_err(err)?;
            let activity = txn.open_table(ACTIVITY).map_err(err)?;
            let mut out = Vec::new();
            for row in history.range(lo.as_str()..hi.as_str()).map_err(err)?.rev() {
                if out.len() >= limit {
                    break;
                }
                let (_, v) = row.map_err(err)?;
                let Some(cc) = listed::<ContactConv>("contact history", dec(v.value())) else {
                    continue;
                };
                let id = cc.conversation_id.as_str();
                if let Some(read) = crate::activity::conversation(&conversations, &activity, id)? {
                    out.extend(listed("conversation", read));
                }
            }
            Ok(out)
        })
        .await
    }

    async fn replace_event(&self, id: &ConversationId, event: &InboundEvent) -> StoreResult<bool> {
        let key = timeline_key(id, event.timestamp, &event.dedup_id());
        let value = enc(event)?;
        self.write(move |txn| {
            let mut timeline = txn.open_table(TIMELINE).map_err(err)?;
            if timeline.get(key.as_str()).map_err(err)?.is_none() {
                return Ok(false);
            }
            timeline.insert(key.as_str(), value.as_str()).map_err(err)?;
            Ok(true)
        })
        .await
    }

    async fn mark_erased(&self, page: &PageId, psid: &Psid, at: Millis) -> StoreResult<()> {
        let ckey = customer_key(page, psid);
        self.write(move |txn| {
            let mut customers = txn.open_table(CUSTOMERS).map_err(err)?;
            let mut customer: Customer = match customers.get(ckey.as_str()).map_err(err)? {
                Some(g) => dec(g.value())?,
                None => return Err(StoreError::NotFound(format!("customer {ckey}"))),
            };
            customer.erased_at = Some(customer.erased_at.map_or(at, |t| t.max(at)));
            customers
                .insert(ckey.as_str(), enc(&customer)?.as_str())
                .map_err(err)?;
            Ok(())
        })
        .await
    }
}

#[async_trait]
impl WorkstreamStore for RedbStore {
    async fn put_workstream(&self, ws: &Workstream, mode: WriteMode) -> StoreResult<()> {
        let ws = ws.clone();
        self.write(move |txn| {
            let mut all = txn.open_table(WORKSTREAMS).map_err(err)?;
            let mut bindings = txn.open_table(PAGE_WORKSTREAM).map_err(err)?;
            let existing: Option<Workstream> = all
                .get(ws.id.as_str())
                .map_err(err)?
                .map(|g| dec(g.value()))
                .transpose()?;
            if mode == WriteMode::Create && existing.is_some() {
                return Err(StoreError::Conflict(format!("workstream {}", ws.id)));
            }
            for page in &ws.pages {
                if let Some(other) = bindings.get(page.as_str()).map_err(err)?
                    && other.value() != ws.id.as_str()
                {
                    return Err(StoreError::Conflict(format!(
                        "page {page} feeds workstream {}",
                        other.value()
                    )));
                }
            }
            for old in existing
                .iter()
                .flat_map(|e| e.pages.iter())
                .filter(|p| !ws.pages.contains(p))
            {
                bindings.remove(old.as_str()).map_err(err)?;
            }
            for page in &ws.pages {
                bindings
                    .insert(page.as_str(), ws.id.as_str())
                    .map_err(err)?;
            }
            all.insert(ws.id.as_str(), enc(&ws)?.as_str())
                .map_err(err)?;
            Ok(())
        })
        .await
    }

    async fn get_workstream(&self, id: &WorkstreamId) -> StoreResult<Option<Workstream>> {
        self.get_json(WORKSTREAMS, id.to_string()).await
    }

    async fn list_workstreams(&self) -> StoreResult<Vec<Workstream>> {
        self.all(WORKSTREAMS, "workstream").await
    }

    async fn delete_workstream(&self, id: &WorkstreamId) -> StoreResult<()> {
        let id = id.clone();
        self.write(move |txn| {
            let mut all = txn.open_table(WORKSTREAMS).map_err(err)?;
            let existing: Workstream = match all.get(id.as_str()).map_err(err)? {
                Some(g) => dec(g.value())?,
                None => return Err(StoreError::NotFound(format!("workstream {id}"))),
            };
            let mut bindings = txn.open_table(PAGE_WORKSTREAM).map_err(err)?;
            for page in &existing.pages {
                let mine = bindings
                    .get(page.as_str())
                    .map_err(err)?
                    .is_some_and(|g| g.value() == id.as_str());
                if mine {
                    bindings.remove(page.as_str()).map_err(err)?;
                }
            }
            all.remove(id.as_str()).map_err(err)?;
            Ok(())
        })
        .await
    }

    async fn workstream_of_page(&self, page: &PageId) -> StoreResult<Option<WorkstreamId>> {
        // A point read, in place (see `get_json`): routing reads it for
        // every new conversation.
        let txn = self.read_in_place()?;
        let t = txn.open_table(PAGE_WORKSTREAM).map_err(err)?;
        let v = t.get(page.as_str()).map_err(err)?;
        v.map(|g| WorkstreamId::parse(g.value()).map_err(|e| StoreError::Corrupt(e.to_string())))
            .transpose()
    }
}
