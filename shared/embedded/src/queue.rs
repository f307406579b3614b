//! Durable in-process FIFO queues with the rules of SQS FIFO:
//! - order within a message group; a group is blocked while one of its
//!   messages is in flight, other groups proceed;
//! - a message whose deduplication id was sent in the last five minutes is
//!   accepted and dropped;
//! - a received message is invisible until deleted, released, or its
//!   visibility timeout passes, then it is delivered again;
//! - after `max_receives` receives it moves to the dead-letter queue.
//!
//! Sends are committed to redb before they are acknowledged, so a message
//! the ingest handler was told is queued survives a crash. Deletes are
//! written with the next commit (a send's, or when the queue falls idle,
//! or after [`REMOVES_PER_WRITE`] of them), without a commit of their
//! own: after a crash a message may be delivered once more, which the
//! idempotent router absorbs. Receive counts are kept too, so a message
//! that keeps failing (or crashing the process) reaches the dead-letter
//! queue across restarts: a retry, and the first receive after a restart,
//! are committed with fsync. A first receive is not written at all: if
//! the process dies, the restart counts the next receive as the first
//! after a restart, and writes it.
//!
//! A send holds its messages' places from the moment it takes their
//! sequence numbers: until it commits they block their group, so two
//! concurrent sends to one group are received in sequence order.
//!
//! Memory stays bounded under a backlog: a message's body and id live only
//! in redb (read back when it is received); memory holds its group and
//! delivery state, and a 16-byte hash of its deduplication id while the
//! window lasts; the database's page cache is capped.

use crate::commit::Committer;
use async_trait::async_trait;
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use switchboard_core::ports::{OutgoingMessage, Queue, QueueError, ReceivedMessage, SendFailure};
use tokio::sync::Notify;

#[derive(Debug, Clone)]
pub struct QueueConfig {
    pub visibility_timeout: Duration,
    pub max_receives: u32,
    pub dedupe_window: Duration,
}

impl Default for QueueConfig {
    fn default() -> Self {
        Self {
            visibility_timeout: Duration::from_secs(30),
            max_receives: 5,
            dedupe_window: Duration::from_secs(300),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Stored {
    message_id: String,
    group: String,
    body: String,
}

/// What memory holds of a message: its group and delivery state (its
/// body is read from disk when it is received).
#[derive(Debug)]
struct Slot {
    group: Box<str>,
    receive_count: u32,
    invisible_until: Option<Instant>,
    receipt: Option<String>,
    /// Sent but not yet committed: invisible, and it holds back its group.
    pending: bool,
    /// Loaded from disk at open (its count may lag by one receive).
    recovered: bool,
}

impl Slot {
    fn new(group: &str, receive_count: u32, pending: bool, recovered: bool) -> Self {
        Self {
            group: group.into(),
            receive_count,
            invisible_until: None,
            receipt: None,
            pending,
            recovered,
        }
    }
}

/// Changes to a queue's tables, written together.
#[derive(Default)]
struct Writes {
    inserts: Vec<(u64, String)>,
    removes: Vec<u64>,
    /// Receive counts to record.
    receives: Vec<(u64, u32)>,
    /// Deduplication ids sent, under their keys in the dedupe log.
    dedupe: Vec<(u64, String)>,
    /// Log keys of deduplication ids whose window has passed.
    dedupe_expired: Vec<u64>,
    /// Fsync before returning: sends, counted receives, a flush.
    durable: bool,
}

#[derive(Default)]
struct State {
    next_seq: u64,
    messages: BTreeMap<u64, Slot>,
    /// Deleted from memory, still to be removed from disk (by the next write).
    unwritten_removes: Vec<u64>,
    /// Dedupe log keys expired in memory whose write failed: for the next.
    unwritten_expired: Vec<u64>,
    /// The deduplication ids in their window (as [`IdHash`]), and when
    /// each was sent.
    dedupe: HashMap<IdHash, Instant>,
    /// Dedupe ids in the order they were sent, with their keys in the
    /// dedupe log, for cheap expiry.
    dedupe_order: std::collections::VecDeque<(Instant, u64, IdHash)>,
    /// The next key in the dedupe log.
    next_dedupe: u64,
    receipts: u64,
}

struct Inner {
    name: String,
    committer: Arc<Committer>,
    table: String,
    dedupe_log: String,
    receives_table: String,
    config: QueueConfig,
    state: Mutex<State>,
    notify: Notify,
    dead_letter: Option<LocalQueue>,
    /// When this process opened the queue (ms), part of every message id.
    epoch: u64,
}

/// A redb file holding any number of queues, with group commit shared by them.
pub struct QueueDatabase(Arc<Committer>);

/// A durable FIFO queue on a redb file; cheap to clone.
#[derive(Clone)]
pub struct LocalQueue {
    inner: Arc<Inner>,
}

/// Deletes held for the next commit before they get one of their own.
pub const REMOVES_PER_WRITE: usize = 512;

/// The queue database's page cache (redb's default is 1 GiB).
const QUEUE_CACHE_BYTES: usize = 8 * 1024 * 1024;

fn qerr(e: impl std::fmt::Display) -> QueueError {
    QueueError::Unavailable(e.to_string())
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// A queue's dedupe log: key, the order its deduplication ids were sent
/// in; value, (sent at, ms since the epoch; the id). In send order, a
/// send's new ids and the expired ones fall on the log's last and first
/// pages. Keyed by id, as before, each id dirtied a random page of a table
/// larger than the page cache: a page written and often one read per
/// message (`make bench`, pipeline).
type DedupeLog<'a> = TableDefinition<'a, u64, (u64, &'static str)>;

/// Load the deduplication ids still in their window into `state`, and
/// remove the rest from disk. A table keyed by id (data directories made
/// before the log, `dedupe:{name}`) is moved into the log, oldest first.
fn load_dedupe(
    txn: &redb::WriteTransaction,
    name: &str,
    log_name: &str,
    config: &QueueConfig,
    state: &mut State,
) -> Result<(), QueueError> {
    let now = now_ms();
    let window = config.dedupe_window.as_millis() as u64;
    let mut log = txn.open_table(DedupeLog::new(log_name)).map_err(qerr)?;
    let mut stale = Vec::new();
    for row in log.iter().map_err(qerr)? {
        let (k, v) = row.map_err(qerr)?;
        let (key, (sent, id)) = (k.value(), v.value());
        state.next_dedupe = state.next_dedupe.max(key.saturating_add(1));
        let age = now.saturating_sub(sent);
        if age < window {
            remember(state, key, age, id);
        } else {
            stale.push(key);
        }
    }
    for key in stale {
        log.remove(key).map_err(qerr)?;
    }
    let legacy_name = format!("dedupe:{name}");
    let legacy_def = TableDefinition::<&str, u64>::new(&legacy_name);
    let mut moved: Vec<(u64, String)> = Vec::new();
    for row in txn
        .open_table(legacy_def)
        .map_err(qerr)?
        .iter()
        .map_err(qerr)?
    {
        let (k, v) = row.map_err(qerr)?;
        if now.saturating_sub(v.value()) < window {
            moved.push((v.value(), k.value().to_string()));
        }
    }
    txn.delete_table(legacy_def).map_err(qerr)?;
    moved.sort();
    for (sent, id) in moved {
        let key = state.next_dedupe;
        state.next_dedupe = state.next_dedupe.saturating_add(1);
        log.insert(key, (sent, id.as_str())).map_err(qerr)?;
        remember(state, key, now.saturating_sub(sent), &id);
    }
    Ok(())
}

/// What memory holds of a deduplication id: the first 128 bits of its
/// SHA-256, 16 bytes in place of an id of up to 128 characters (64 for
/// the router's) and two pointers to it. A backlog of 200,000 messages
/// held its ids in about 30 MB before (`make bench`, pipeline, backlog).
/// Two ids that share these bits would take one for a duplicate of the
/// other, which is as unlikely as a collision of a 128-bit hash (about
/// 2^-65 among four billion ids in one window).
type IdHash = u128;

fn id_hash(id: &str) -> IdHash {
    let digest = Sha256::digest(id.as_bytes());
    digest
        .first_chunk::<16>()
        .map_or(0, |bytes| u128::from_le_bytes(*bytes))
}

/// Hold a deduplication id sent `age_ms` ago, under its log key.
fn remember(state: &mut State, key: u64, age_ms: u64, id: &str) {
    let at = Instant::now()
        .checked_sub(Duration::from_millis(age_ms))
        .unwrap_or_else(Instant::now);
    let id = id_hash(id);
    state.dedupe.insert(id, at);
    state.dedupe_order.push_back((at, key, id));
}

impl LocalQueue {
    /// Open a database file that holds any number of named queues.
    pub fn open_database(path: impl AsRef<Path>) -> Result<Arc<QueueDatabase>, QueueError> {
        // Messages are written once and read once: a small page cache
        // serves that, and keeps memory flat under a backlog.
        let db = Arc::new(
            Database::builder()
                .set_cache_size(QUEUE_CACHE_BYTES)
                .create(path.as_ref())
                .map_err(qerr)?,
        );
        Ok(Arc::new(QueueDatabase(Arc::new(
            Committer::new(db, "queues-writer").map_err(QueueError::Unavailable)?,
        ))))
    }

    /// Open the queue `name` in `db`, reloading what it held.
    pub fn open(
        qdb: Arc<QueueDatabase>,
        name: &str,
        config: QueueConfig,
        dead_letter: Option<LocalQueue>,
    ) -> Result<Self, QueueError> {
        let table = format!("queue:{name}");
        let dedupe_log = format!("dedupe-log:{name}");
        let receives_table = format!("receives:{name}");
        let mut state = State::default();
        let db = qdb.0.db().clone();
        {
            let txn = db.begin_write().map_err(qerr)?;
            {
                let counts = txn
                    .open_table(TableDefinition::<u64, u32>::new(&receives_table))
                    .map_err(qerr)?;
                let t = txn
                    .open_table(TableDefinition::<u64, &str>::new(&table))
                    .map_err(qerr)?;
                for row in t.iter().map_err(qerr)? {
                    let (k, v) = row.map_err(qerr)?;
                    let stored: Stored = serde_json::from_str(v.value()).map_err(qerr)?;
                    let count = counts
                        .get(k.value())
                        .map_err(qerr)?
                        .map_or(0, |c| c.value());
                    state.next_seq = state.next_seq.max(k.value() + 1);
                    state
                        .messages
                        .insert(k.value(), Slot::new(&stored.group, count, false, true));
                }
                load_dedupe(&txn, name, &dedupe_log, &config, &mut state)?;
            }
            txn.commit().map_err(qerr)?;
            state.dedupe_order.make_contiguous().sort();
        }
        Ok(Self {
            inner: Arc::new(Inner {
                name: name.to_string(),
                committer: qdb.0.clone(),
                table,
                dedupe_log,
                receives_table,
                config,
                state: Mutex::new(state),
                notify: Notify::new(),
                dead_letter,
                epoch: now_ms(),
            }),
        })
    }

    pub fn name(&self) -> &str {
        &self.inner.name
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, State>, QueueError> {
        self.inner
            .state
            .lock()
            .map_err(|_| QueueError::Unavailable("queue lock poisoned".into()))
    }

    /// Messages held (visible or in flight).
    pub fn len(&self) -> usize {
        self.lock().map(|s| s.messages.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Persist one set of changes in one (group-committed) transaction,
    /// with the deletes not yet written.
    async fn persist(&self, w: Writes) -> Result<(), QueueError> {
        let mut w = w;
        let (deferred, mut expired) = {
            let mut st = self.lock()?;
            (
                std::mem::take(&mut st.unwritten_removes),
                std::mem::take(&mut st.unwritten_expired),
            )
        };
        w.removes.extend_from_slice(&deferred);
        expired.extend_from_slice(&w.dedupe_expired);
        w.dedupe_expired.clone_from(&expired);
        let result = self.commit(w).await;
        if result.is_err() {
            // Kept for the next write (in memory they are gone already).
            let mut st = self.lock()?;
            st.unwritten_removes.extend(deferred);
            st.unwritten_expired.extend(expired);
        }
        result
    }

    /// Write the messages a send reserved the slots `seqs` for, durably
    /// (durable before acknowledged), then let their groups go on; on an
    /// error the slots and the deduplication ids are given up.
    async fn commit_sent(
        &self,
        seqs: Vec<u64>,
        new_dedupe: Vec<(u64, String)>,
        writes: Writes,
    ) -> Result<(), QueueError> {
        let committed = self.persist(writes).await;
        {
            let mut st = self.lock()?;
            for seq in &seqs {
                if committed.is_ok() {
                    if let Some(slot) = st.messages.get_mut(seq) {
                        slot.pending = false;
                    }
                } else {
                    st.messages.remove(seq);
                }
            }
            if committed.is_err() {
                for (_, id) in &new_dedupe {
                    st.dedupe.remove(&id_hash(id));
                }
            }
        }
        committed?;
        self.inner.notify.notify_waiters();
        Ok(())
    }

    /// Write the deletes not yet written, durably (when idle, and at
    /// shutdown).
    pub async fn flush(&self) -> Result<(), QueueError> {
        if self.lock()?.unwritten_removes.is_empty() {
            return Ok(());
        }
        self.persist(Writes {
            durable: true,
            ..Writes::default()
        })
        .await
    }

    async fn commit(&self, w: Writes) -> Result<(), QueueError> {
        let Writes {
            inserts,
            removes,
            receives,
            dedupe,
            dedupe_expired,
            durable,
        } = w;
        let table = self.inner.table.clone();
        let dedupe_log = self.inner.dedupe_log.clone();
        let receives_table = self.inner.receives_table.clone();
        self.inner
            .committer
            .write(durable, move |txn| -> Result<(), QueueError> {
                let mut t = txn
                    .open_table(TableDefinition::<u64, &str>::new(&table))
                    .map_err(qerr)?;
                for (k, v) in &inserts {
                    t.insert(*k, v.as_str()).map_err(qerr)?;
                }
                for k in &removes {
                    t.remove(*k).map_err(qerr)?;
                }
                if !removes.is_empty() || !receives.is_empty() {
                    let mut r = txn
                        .open_table(TableDefinition::<u64, u32>::new(&receives_table))
                        .map_err(qerr)?;
                    for (k, n) in &receives {
                        r.insert(*k, *n).map_err(qerr)?;
                    }
                    for k in &removes {
                        r.remove(*k).map_err(qerr)?;
                    }
                }
                if !dedupe.is_empty() || !dedupe_expired.is_empty() {
                    let mut d = txn.open_table(DedupeLog::new(&dedupe_log)).map_err(qerr)?;
                    let now = now_ms();
                    for (key, id) in &dedupe {
                        d.insert(*key, (now, id.as_str())).map_err(qerr)?;
                    }
                    for key in &dedupe_expired {
                        d.remove(*key).map_err(qerr)?;
                    }
                }
                Ok(())
            })
            .await
            .map_err(QueueError::Unavailable)?
    }

    /// The stored messages `seqs`, in that order, from one read of the
    /// table (a message deleted meanwhile is left out). At most a batch of
    /// ten point reads, run here rather than on the blocking pool: cheap on
    /// cached pages; under a deep backlog the bodies may come from disk.
    async fn load(&self, seqs: Vec<u64>) -> Result<Vec<(u64, Stored)>, QueueError> {
        let txn = self.inner.committer.db().begin_read().map_err(qerr)?;
        let t = txn
            .open_table(TableDefinition::<u64, &str>::new(&self.inner.table))
            .map_err(qerr)?;
        let mut out = Vec::with_capacity(seqs.len());
        for seq in seqs {
            if let Some(v) = t.get(seq).map_err(qerr)? {
                out.push((seq, serde_json::from_str(v.value()).map_err(qerr)?));
            }
        }
        Ok(out)
    }

    /// Everything in the queue, oldest first (for inspection and tests).
    pub async fn peek_bodies(&self) -> Vec<String> {
        let seqs: Vec<u64> = match self.lock() {
            Ok(s) => s.messages.keys().copied().collect(),
            Err(_) => return Vec::new(),
        };
        self.load(seqs)
            .await
            .map(|v| v.into_iter().map(|(_, s)| s.body).collect())
            .unwrap_or_default()
    }
}

#[async_trait]
impl Queue for LocalQueue {
    async fn send_batch(
        &self,
        messages: &[OutgoingMessage],
    ) -> Result<Vec<SendFailure>, QueueError> {
        if messages.len() > switchboard_core::ports::MAX_BATCH {
            return Err(QueueError::Rejected(format!(
                "a batch holds at most 10 messages, not {}",
                messages.len()
            )));
        }
        let mut failures = Vec::new();
        let mut accepted: Vec<(u64, Stored)> = Vec::new();
        let mut new_dedupe = Vec::new();
        let mut expired = Vec::new();
        {
            let mut st = self.lock()?;
            let window = self.inner.config.dedupe_window;
            while st
                .dedupe_order
                .front()
                .is_some_and(|(at, ..)| at.elapsed() >= window)
            {
                if let Some((at, key, id)) = st.dedupe_order.pop_front() {
                    // A later send of the id (after a failed commit) keeps it.
                    if st.dedupe.get(&id) == Some(&at) {
                        st.dedupe.remove(&id);
                    }
                    expired.push(key);
                }
            }
            let mut in_batch = HashSet::new();
            for (i, m) in messages.iter().enumerate() {
                if m.group.is_empty()
                    || m.group.len() > 128
                    || m.dedup_id.is_empty()
                    || m.dedup_id.len() > 128
                {
                    failures.push(SendFailure {
                        index: i,
                        code: "InvalidParameterValue".into(),
                        message: "group and deduplication id must be 1 to 128 characters".into(),
                        sender_fault: true,
                    });
                    continue;
                }
                let id = id_hash(&m.dedup_id);
                if st.dedupe.contains_key(&id) || !in_batch.insert(id) {
                    continue; // accepted, deduplicated
                }
                let seq = st.next_seq;
                st.next_seq += 1;
                let stored = Stored {
                    // Unique across restarts: the sequence restarts when the queue empties.
                    message_id: format!("{}-{}-{seq}", self.inner.name, self.inner.epoch),
                    group: m.group.clone(),
                    body: m.body.clone(),
                };
                // Its place in the group is held from now (see the module doc).
                st.messages.insert(seq, Slot::new(&m.group, 0, true, false));
                accepted.push((seq, stored));
                // Held now too, so a concurrent duplicate is dropped.
                let now = Instant::now();
                let key = st.next_dedupe;
                st.next_dedupe = st.next_dedupe.saturating_add(1);
                st.dedupe.insert(id, now);
                st.dedupe_order.push_back((now, key, id));
                new_dedupe.push((key, m.dedup_id.clone()));
            }
        }
        if accepted.is_empty() {
            if !expired.is_empty() {
                self.persist(Writes {
                    dedupe_expired: expired,
                    ..Writes::default()
                })
                .await?;
            }
            return Ok(failures);
        }
        let inserts = accepted
            .iter()
            .map(|(k, s)| serde_json::to_string(s).map(|v| (*k, v)).map_err(qerr))
            .collect::<Result<Vec<_>, _>>()?;
        let seqs: Vec<u64> = accepted.iter().map(|(seq, _)| *seq).collect();
        let writes = Writes {
            inserts,
            dedupe: new_dedupe.clone(),
            dedupe_expired: expired,
            durable: true,
            ..Writes::default()
        };
        // Finished on a task of its own, so that a caller that stops
        // waiting (a request's timeout) cannot leave the slots pending: a
        // pending slot holds its group back until a restart.
        let queue = self.clone();
        tokio::spawn(async move { queue.commit_sent(seqs, new_dedupe, writes).await })
            .await
            .map_err(|e| QueueError::Unavailable(format!("the send did not finish: {e}")))??;
        Ok(failures)
    }

    async fn receive(
        &self,
        max: usize,
        wait: Duration,
    ) -> Result<Vec<ReceivedMessage>, QueueError> {
        let deadline = Instant::now() + wait;
        loop {
            let notified = self.inner.notify.notified();
            // Taken under the lock: (seq, receipt, receive count).
            let mut taken: Vec<(u64, String, u32)> = Vec::new();
            let mut dead: Vec<u64> = Vec::new();
            let mut counts: Vec<(u64, u32)> = Vec::new();
            {
                let mut st = self.lock()?;
                let now = Instant::now();
                let mut blocked: HashSet<Box<str>> = HashSet::new();
                let mut receipts = st.receipts;
                let max_receives = self.inner.config.max_receives;
                let visibility = self.inner.config.visibility_timeout;
                let name = self.inner.name.clone();
                for (seq, slot) in st.messages.iter_mut() {
                    if taken.len() >= max.max(1) {
                        break;
                    }
                    if blocked.contains(&slot.group) {
                        continue;
                    }
                    if slot.pending || slot.invisible_until.is_some_and(|t| t > now) {
                        blocked.insert(slot.group.clone());
                        continue;
                    }
                    if slot.receive_count >= max_receives && self.inner.dead_letter.is_some() {
                        dead.push(*seq);
                        continue;
                    }
                    slot.receive_count += 1;
                    // A retry, or the first receive since a restart, must
                    // not be forgotten by a crash (see the module doc).
                    if slot.receive_count > 1 || slot.recovered {
                        counts.push((*seq, slot.receive_count));
                    }
                    slot.recovered = false;
                    receipts += 1;
                    let receipt = format!("{name}:{seq}:{receipts}");
                    slot.receipt = Some(receipt.clone());
                    slot.invisible_until = Some(now + visibility);
                    taken.push((*seq, receipt, slot.receive_count));
                }
                st.receipts = receipts;
                for seq in &dead {
                    st.messages.remove(seq);
                }
            }
            if !dead.is_empty()
                && let Some(dlq) = &self.inner.dead_letter
            {
                let dead = self.load(dead).await?;
                let moved: Vec<OutgoingMessage> = dead
                    .iter()
                    .map(|(_, s)| OutgoingMessage {
                        group: s.group.clone(),
                        dedup_id: s.message_id.clone(),
                        body: s.body.clone(),
                    })
                    .collect();
                for chunk in moved.chunks(switchboard_core::ports::MAX_BATCH) {
                    dlq.send_batch(chunk).await?;
                }
                self.persist(Writes {
                    removes: dead.iter().map(|(k, _)| *k).collect(),
                    durable: true,
                    ..Writes::default()
                })
                .await?;
                for (_, s) in &dead {
                    tracing::error!(queue = %self.inner.name, message_id = %s.message_id, "message moved to the dead-letter queue after too many receives");
                }
            }
            let mut stored = self
                .load(taken.iter().map(|(seq, ..)| *seq).collect())
                .await?
                .into_iter()
                .peekable();
            let mut out = Vec::with_capacity(taken.len());
            for (seq, receipt, receive_count) in taken {
                // In flight, so nothing deleted it: it is on disk.
                let Some((_, s)) = stored.next_if(|(k, _)| *k == seq) else {
                    continue;
                };
                out.push(ReceivedMessage {
                    message_id: s.message_id,
                    receipt,
                    group: s.group,
                    body: s.body,
                    receive_count,
                });
            }
            if !counts.is_empty() {
                self.persist(Writes {
                    receives: counts,
                    durable: true,
                    ..Writes::default()
                })
                .await?;
            }
            if !out.is_empty() {
                return Ok(out);
            }
            // Idle: the deletes held for the next write are written now.
            self.flush().await?;
            let now = Instant::now();
            if now >= deadline {
                return Ok(out);
            }
            // Wake on a send/release/delete, or poll for visibility timeouts.
            let nap = (deadline - now).min(Duration::from_millis(50));
            let _ = tokio::time::timeout(nap, notified).await;
        }
    }

    async fn delete(&self, receipt: &str) -> Result<(), QueueError> {
        self.delete_batch(&[receipt]).await
    }

    /// Gone from memory at once; on disk with the next write (see the
    /// module doc).
    async fn delete_batch(&self, receipts: &[&str]) -> Result<(), QueueError> {
        let (removed, held) = {
            let mut st = self.lock()?;
            let mut removed = 0;
            for receipt in receipts {
                let Some(k) = receipt_seq(receipt).filter(|k| {
                    st.messages
                        .get(k)
                        .is_some_and(|s| s.receipt.as_deref() == Some(*receipt))
                }) else {
                    continue;
                };
                st.messages.remove(&k);
                st.unwritten_removes.push(k);
                removed += 1;
            }
            (removed, st.unwritten_removes.len())
        };
        if removed > 0 {
            self.inner.notify.notify_waiters();
        }
        if held >= REMOVES_PER_WRITE {
            self.flush().await?;
        }
        Ok(())
    }

    async fn release(&self, receipt: &str, delay: Duration) -> Result<(), QueueError> {
        {
            let mut st = self.lock()?;
            if let Some(slot) = receipt_seq(receipt)
                .and_then(|k| st.messages.get_mut(&k))
                .filter(|s| s.receipt.as_deref() == Some(receipt))
            {
                slot.invisible_until = Some(Instant::now() + delay);
            }
        }
        self.inner.notify.notify_waiters();
        Ok(())
    }
}

/// Receipts are `queue:seq:n`; a stale receipt names the right slot but no
/// longer matches its current receipt.
fn receipt_seq(receipt: &str) -> Option<u64> {
    receipt.rsplit(':').nth(1)?.parse().ok()
}
