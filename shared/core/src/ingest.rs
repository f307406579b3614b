//! webhook-ingest: verify a signed delivery, split it into events, and put
//! every event on the inbound FIFO queue before answering.
//!
//! The answer is `200` only when every event is queued; any failure to
//! queue answers `500` so Meta retries, and the queue's deduplication plus
//! the store's idempotent append make the retry safe. Nothing slow happens
//! here: one cached secret lookup, one HMAC, one parse, batched sends.

use crate::clock::Clock;
use crate::event::{InboundEvent, normalize};
use crate::ids::{AccountId, PageId};
use crate::messenger::Delivery;
use crate::ports::{
    AccountStore, MAX_BATCH, OutgoingMessage, Queue, SecretError, SecretStore, StoreError,
};
use crate::problem::Problem;
use crate::secret::Secret;
use crate::signature::{self, SignatureError};
use crate::time::Millis;
use http::StatusCode;
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
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "Payload too large",
                e.to_string(),
            ),
            IngestError::Signature(_) => Problem::new(
                StatusCode::FORBIDDEN,
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

/// App secrets by account, kept across invocations of a warm function.
pub struct SecretCache {
    ttl: Duration,
    entries: Mutex<HashMap<AccountId, (Secret, Instant)>>,
}

impl SecretCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
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

    // A cached secret that fails may be stale (secret rotated): re-read once.
    let checked = match deps.cache.get(&id, Duration::MAX) {
        Some(secret) => {
            match signature::verify(secret.expose().as_bytes(), body, sig256, sha1_present) {
                Ok(()) => Ok(()),
                Err(SignatureError::Mismatch)
                    if deps.cache.get(&id, Duration::from_secs(10)).is_none() =>
                {
                    let fresh = load_secret(deps, &id).await?;
                    signature::verify(fresh.expose().as_bytes(), body, sig256, sha1_present)
                }
                Err(e) => Err(e),
            }
        }
        None => {
            let secret = load_secret(deps, &id).await?;
            signature::verify(secret.expose().as_bytes(), body, sig256, sha1_present)
        }
    };
    if let Err(e) = checked {
        tracing::warn!(account_id = %id, reason = %e, "refused a webhook delivery");
        crate::metrics::count_by("Deliveries", "refused", 1);
        return Err(e.into());
    }

    let events = split(&id, body, deps.clock.now())?;
    let messages = to_messages(&events)?;
    if let Err(e) = enqueue(deps.queue.as_ref(), &messages).await {
        crate::metrics::count_by("Deliveries", "not_queued", 1);
        return Err(e);
    }
    tracing::info!(account_id = %id, events = events.len(), "delivery queued");
    crate::metrics::count_by("Deliveries", "queued", 1);
    crate::metrics::count("EventsQueued", events.len() as u64);
    Ok(IngestReport {
        events: events.len(),
    })
}

/// Parse a delivery and normalize every event of every entry, `messaging`
/// and `standby` alike. Pure: no I/O.
pub fn split(
    account: &AccountId,
    body: &[u8],
    received_at: Millis,
) -> Result<Vec<InboundEvent>, IngestError> {
    let delivery: Delivery<'_> = serde_json::from_slice(body)
        .map_err(|e| IngestError::BadPayload(format!("not valid JSON ({e})")))?;
    if delivery.object != "page" {
        return Err(IngestError::BadPayload(format!(
            "object is {:?}; Switchboard handles \"page\" deliveries",
            delivery.object
        )));
    }
    let mut out = Vec::with_capacity(
        delivery
            .entry
            .iter()
            .map(|e| e.messaging.len() + e.standby.len())
            .sum(),
    );
    for entry in &delivery.entry {
        let page = PageId::parse(entry.id.as_str())
            .map_err(|e| IngestError::BadPayload(format!("entry id: {e}")))?;
        for (channel, raw) in entry.events() {
            out.push(normalize(
                account,
                &page,
                channel,
                raw,
                entry.time,
                received_at,
            ));
        }
    }
    Ok(out)
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
