//! webhook-ingest: verify a signed delivery, split it into events, and put
//! every event on the inbound FIFO queue before answering.
//!
//! The answer is `200` only when every event is queued; any failure to
//! queue answers `500` so Meta retries, and the queue's deduplication plus
//! the store's idempotent append make the retry safe. Nothing slow happens
//! here: one cached secret lookup, one HMAC, one parse, batched sends.

use crate::aside::{NoticeKind, SetAside};
use crate::clock::Clock;
use crate::event::{EventKind, InboundEvent, normalize};
use crate::ids::{AccountId, PageId};
use crate::messenger::{Delivery, Entry};
use crate::ports::{
    AccountStore, MAX_BATCH, OutgoingMessage, Queue, SecretError, SecretStore, StoreError,
};
use crate::problem::Problem;
use crate::problem::Status;
use crate::secret::Secret;
use crate::signature::{self, SignatureError};
use crate::time::Millis;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Largest delivery accepted (Meta's are far smaller).
pub const MAX_BODY: usize = 1024 * 1024;
/// Attempts at queueing the entries of a delivery before answering 500.
const SEND_ATTEMPTS: u32 = 3;

#[derive(Clone)]
pub struct IngestDeps {
    pub accounts: Arc<dyn AccountStore>,
    pub secrets: Arc<dyn SecretStore>,
    pub queue: Arc<dyn Queue>,
    pub clock: Arc<dyn Clock>,
    pub cache: Arc<SecretCache>,
    /// Where data-deletion requests are recorded
    /// ([`crate::privacy::deletion`]).
    pub streams: Arc<dyn crate::ports::StreamStore>,
    /// Told when a data-deletion request arrives (serve works it at once;
    /// `None`: the scheduler's next run does).
    pub deletions: Option<Arc<tokio::sync::Notify>>,
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("no channel account {0:?}")]
    UnknownAccount(String),
    #[error("the body is {0} bytes; the limit is {MAX_BODY}")]
    TooLarge(usize),
    #[error(transparent)]
    Signature(#[from] SignatureError),
    #[error("the body is not a Messenger delivery: {0}")]
    BadPayload(String),
    #[error("the account's app secret is not available")]
    SecretMissing,
    #[error("{failed} of {total} events could not be queued: {reason}")]
    Queue {
        failed: usize,
        total: usize,
        reason: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Secrets(#[from] SecretError),
}

impl From<IngestError> for Problem {
    fn from(e: IngestError) -> Self {
        match e {
            IngestError::UnknownAccount(_) => Problem::not_found(e.to_string()),
            IngestError::TooLarge(_) => Problem::new(
                Status::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "Payload too large",
                e.to_string(),
            ),
            IngestError::Signature(_) => Problem::new(
                Status::FORBIDDEN,
                "invalid_signature",
                "Invalid signature",
                e.to_string(),
            ),
            IngestError::BadPayload(_) => Problem::bad_request("invalid_payload", e.to_string()),
            IngestError::SecretMissing | IngestError::Queue { .. } | IngestError::Secrets(_) => {
                Problem::internal(format!("{e}; Meta will retry the delivery"))
            }
            IngestError::Store(s) => {
                let mut p: Problem = s.into();
                if p.status == 404 {
                    p = Problem::internal("the account could not be read");
                }
                p
            }
        }
    }
}

/// What an accepted delivery held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestReport {
    pub events: usize,
}

/// App secrets by account, and which account each page is connected to,
/// kept across invocations of a warm function.
pub struct SecretCache {
    ttl: Duration,
    entries: Mutex<HashMap<AccountId, (Secret, Instant)>>,
    pages: Mutex<HashMap<PageId, (Option<AccountId>, Instant)>>,
}

/// How long a page found connected (or not) is believed.
const PAGE_TTL: Duration = Duration::from_secs(60);
const NO_PAGE_TTL: Duration = Duration::from_secs(5);

impl SecretCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
            pages: Mutex::new(HashMap::new()),
        }
    }

    fn page_account(&self, page: &PageId) -> Option<Option<AccountId>> {
        let map = self.pages.lock().ok()?;
        map.get(page)
            .filter(|(owner, at)| {
                at.elapsed()
                    < if owner.is_some() {
                        PAGE_TTL
                    } else {
                        NO_PAGE_TTL
                    }
            })
            .map(|(owner, _)| owner.clone())
    }

    fn put_page(&self, page: PageId, owner: Option<AccountId>) {
        if let Ok(mut map) = self.pages.lock() {
            if map.len() > 10_000 {
                map.clear();
            }
            map.insert(page, (owner, Instant::now()));
        }
    }

    fn get(&self, id: &AccountId, max_age: Duration) -> Option<Secret> {
        let map = self.entries.lock().ok()?;
        map.get(id)
            .filter(|(_, at)| at.elapsed() < max_age.min(self.ttl))
            .map(|(s, _)| s.clone())
    }

    fn put(&self, id: AccountId, secret: Secret) {
        if let Ok(mut map) = self.entries.lock() {
            map.insert(id, (secret, Instant::now()));
        }
    }
}

impl Default for SecretCache {
    fn default() -> Self {
        Self::new(Duration::from_secs(300))
    }
}

/// `check` with the account's app secret, cached; when it fails with a
/// cached secret not read in the last 10 s, once more with a fresh read
/// (the secret may have been rotated). The outer error: no such account,
/// or its secret cannot be read.
pub(crate) async fn with_app_secret<T, E>(
    deps: &IngestDeps,
    id: &AccountId,
    check: impl Fn(&Secret) -> Result<T, E>,
) -> Result<Result<T, E>, IngestError> {
    match deps.cache.get(id, Duration::MAX) {
        Some(secret) => match check(&secret) {
            Err(_) if deps.cache.get(id, Duration::from_secs(10)).is_none() => {
                Ok(check(&load_secret(deps, id).await?))
            }
            done => Ok(done),
        },
        None => Ok(check(&load_secret(deps, id).await?)),
    }
}

async fn load_secret(deps: &IngestDeps, id: &AccountId) -> Result<Secret, IngestError> {
    let account = deps
        .accounts
        .get_account(id)
        .await?
        .ok_or_else(|| IngestError::UnknownAccount(id.to_string()))?;
    let secret = deps
        .secrets
        .get(&account.app_secret_ref)
        .await?
        .ok_or(IngestError::SecretMissing)?;
    deps.cache.put(id.clone(), secret.clone());
    Ok(secret)
}

/// The events whose page is connected to `account`; the others are set
/// aside (the administrator forgot to connect the page, or someone holding
/// this app's secret writes into another account's pages).
async fn keep_connected_pages(
    deps: &IngestDeps,
    account: &AccountId,
    events: Vec<InboundEvent>,
    aside: &mut Vec<SetAside>,
) -> Result<Vec<InboundEvent>, IngestError> {
    let mut kept = Vec::with_capacity(events.len());
    for ev in events {
        let owner = match deps.cache.page_account(&ev.page_id) {
            Some(owner) => owner,
            None => {
                let owner = deps
                    .accounts
                    .get_page(&ev.page_id)
                    .await?
                    .filter(|p| p.is_live())
                    .map(|p| p.account_id);
                deps.cache.put_page(ev.page_id.clone(), owner.clone());
                owner
            }
        };
        if owner.as_ref() == Some(account) {
            kept.push(ev);
        } else {
            aside.push(SetAside::new(
                NoticeKind::UnknownPage,
                account,
                Some(ev.page_id.as_str()),
                format!(
                    "page {} is not connected to account {account}: connect it, or check who holds this app's secret",
                    ev.page_id
                ),
                ev.raw.get(),
                ev.received_at,
            ));
        }
    }
    Ok(kept)
}

/// Handle one delivery. `sig256` is the `X-Hub-Signature-256` header value.
pub async fn ingest(
    deps: &IngestDeps,
    account_id: &str,
    sig256: Option<&str>,
    sha1_present: bool,
    body: &[u8],
) -> Result<IngestReport, IngestError> {
    if body.len() > MAX_BODY {
        return Err(IngestError::TooLarge(body.len()));
    }
    let id = AccountId::parse(account_id)
        .map_err(|_| IngestError::UnknownAccount(account_id.to_string()))?;

    let checked = with_app_secret(deps, &id, |secret| {
        signature::verify(secret.expose().as_bytes(), body, sig256, sha1_present)
    })
    .await?;
    if let Err(e) = checked {
        tracing::warn!(account_id = %id, reason = %e, "refused a webhook delivery");
        crate::metrics::count_by("Deliveries", "refused", 1);
        return Err(e.into());
    }

    let Split { events, mut aside } = split_delivery(&id, body, deps.clock.now())?;
    let events = keep_connected_pages(deps, &id, events, &mut aside).await?;
    let mut messages = to_messages(&events)?;
    for item in &aside {
        messages.push(
            item.to_message()
                .map_err(|e| IngestError::BadPayload(e.to_string()))?,
        );
    }
    if let Err(e) = enqueue(deps.queue.as_ref(), &messages).await {
        crate::metrics::count_by("Deliveries", "not_queued", 1);
        return Err(e);
    }
    tracing::info!(account_id = %id, events = events.len(), set_aside = aside.len(), "delivery queued");
    crate::metrics::count_by("Deliveries", "queued", 1);
    // Under the same `Result` as the delivery's count: one directive in
    // the invocation's metric document, not two (about 100 bytes of logs
    // a delivery).
    crate::metrics::count_by("EventsQueued", "queued", events.len() as u64);
    Ok(IngestReport {
        events: events.len(),
    })
}

/// A delivery whose every entry has Meta's shape (the fast path).
#[derive(serde::Deserialize)]
struct TypedDelivery<'a> {
    object: String,
    #[serde(default, borrow)]
    entry: Vec<Entry<'a>>,
}

/// A delivery read into what can be stored and what is kept aside.
#[derive(Debug, Default)]
pub struct Split {
    pub events: Vec<InboundEvent>,
    pub aside: Vec<SetAside>,
}

/// The events of a delivery (see [`split_delivery`]; what it sets aside is
/// dropped here).
pub fn split(
    account: &AccountId,
    body: &[u8],
    received_at: Millis,
) -> Result<Vec<InboundEvent>, IngestError> {
    split_delivery(account, body, received_at).map(|s| s.events)
}

/// Parse a delivery and normalize every event of every entry, `messaging`
/// and `standby` alike. Pure: no I/O. Only a body that is not JSON is an
/// error: a delivery, entry or event of another shape is set aside with its
/// reason (Meta disables webhooks that keep refusing its deliveries).
pub fn split_delivery(
    account: &AccountId,
    body: &[u8],
    received_at: Millis,
) -> Result<Split, IngestError> {
    let text = std::str::from_utf8(body)
        .map_err(|e| IngestError::BadPayload(format!("not valid JSON ({e})")))?;
    let mut out = Split::default();
    let aside = |kind, page: Option<&str>, reason: String, raw: &str| {
        SetAside::new(kind, account, page, reason, raw, received_at)
    };
    // The usual delivery, read in one pass.
    if let Ok(d) = serde_json::from_str::<TypedDelivery<'_>>(text)
        && d.object == "page"
    {
        let pages: Result<Vec<PageId>, _> = d
            .entry
            .iter()
            .map(|e| PageId::parse(e.id.as_str()))
            .collect();
        if let Ok(pages) = pages {
            out.events.reserve(
                d.entry
                    .iter()
                    .map(|e| e.messaging.len() + e.standby.len())
                    .sum(),
            );
            for (entry, page) in d.entry.iter().zip(&pages) {
                entry_events(account, page, entry, received_at, &mut out);
            }
            return Ok(out);
        }
    }
    // Anything else, entry by entry, so an odd one spoils nothing else.
    let delivery: Delivery<'_> = match serde_json::from_str(text) {
        Ok(d) => d,
        Err(e) => {
            serde_json::from_str::<serde::de::IgnoredAny>(text)
                .map_err(|e| IngestError::BadPayload(format!("not valid JSON ({e})")))?;
            let reason = format!("the delivery does not have Meta's shape: {e}");
            out.aside
                .push(aside(NoticeKind::OddShape, None, reason, text));
            return Ok(out);
        }
    };
    if delivery.object != "page" {
        let reason = format!(
            "object {:?} is not handled; Switchboard reads \"page\" deliveries",
            crate::ids::clip(&delivery.object, 40)
        );
        out.aside
            .push(aside(NoticeKind::OtherObject, None, reason, text));
        return Ok(out);
    }
    for raw_entry in delivery.entry {
        let entry: Entry<'_> = match serde_json::from_str(raw_entry.get()) {
            Ok(e) => e,
            Err(e) => {
                let reason = format!("an entry does not have Meta's shape: {e}");
                out.aside
                    .push(aside(NoticeKind::OddShape, None, reason, raw_entry.get()));
                continue;
            }
        };
        let page = match PageId::parse(entry.id.as_str()) {
            Ok(p) => p,
            Err(e) => {
                let reason = format!("the entry's id is not a page id: {e}");
                out.aside.push(aside(
                    NoticeKind::OddShape,
                    Some(&entry.id),
                    reason,
                    raw_entry.get(),
                ));
                continue;
            }
        };
        entry_events(account, &page, &entry, received_at, &mut out);
    }
    Ok(out)
}

/// The events of one entry, into `out` (odd ones and Meta's policy
/// actions into `out.aside`).
fn entry_events(
    account: &AccountId,
    page: &PageId,
    entry: &Entry<'_>,
    received_at: Millis,
    out: &mut Split,
) {
    let aside = |kind, reason: String, raw: &str| {
        SetAside::new(kind, account, Some(page.as_str()), reason, raw, received_at)
    };
    for (channel, raw) in entry.events() {
        match normalize(account, page, channel, raw, entry.time, received_at) {
            Ok(ev) if ev.kind == EventKind::PolicyEnforcement => {
                let p = ev.policy.clone().unwrap_or_default();
                let reason = format!(
                    "Meta's policy enforcement on the page: {} ({})",
                    p.action.as_deref().unwrap_or("no action given"),
                    p.reason.as_deref().unwrap_or("no reason given")
                );
                out.aside
                    .push(aside(NoticeKind::PolicyEnforcement, reason, raw.get()));
                out.events.push(ev);
            }
            Ok(ev) => out.events.push(ev),
            Err(reason) => out
                .aside
                .push(aside(NoticeKind::OddShape, reason, raw.get())),
        }
    }
}

/// The queue messages for a delivery's events.
pub fn to_messages(events: &[InboundEvent]) -> Result<Vec<OutgoingMessage>, IngestError> {
    events
        .iter()
        .map(|ev| {
            Ok(OutgoingMessage {
                group: ev.message_group(),
                dedup_id: ev.dedup_id(),
                body: serde_json::to_string(ev)
                    .map_err(|e| IngestError::BadPayload(e.to_string()))?,
            })
        })
        .collect()
}

/// Send everything, 10 at a time, retrying the entries a batch reports as
/// failed (and whole batches that error) with a short backoff.
pub async fn enqueue(queue: &dyn Queue, messages: &[OutgoingMessage]) -> Result<(), IngestError> {
    let mut pending: Vec<usize> = (0..messages.len()).collect();
    let mut last_reason = String::new();
    for attempt in 0..SEND_ATTEMPTS {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(20 << attempt)).await;
        }
        let mut still_failed = Vec::new();
        for chunk in pending.chunks(MAX_BATCH) {
            let batch: Vec<OutgoingMessage> = chunk.iter().map(|&i| messages[i].clone()).collect();
            match queue.send_batch(&batch).await {
                Ok(failures) => {
                    for f in failures {
                        last_reason = format!("{}: {}", f.code, f.message);
                        if let Some(&i) = chunk.get(f.index) {
                            still_failed.push(i);
                        }
                    }
                }
                Err(e) => {
                    last_reason = e.to_string();
                    still_failed.extend_from_slice(chunk);
                }
            }
        }
        pending = still_failed;
        if pending.is_empty() {
            return Ok(());
        }
        tracing::warn!(attempt, failed = pending.len(), reason = %last_reason, "retrying queue sends");
    }
    Err(IngestError::Queue {
        failed: pending.len(),
        total: messages.len(),
        reason: last_reason,
    })
}
