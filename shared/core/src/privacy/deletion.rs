//! Meta's data-deletion request callback: a person removed the app, and
//! Meta asks that their data go.
//!
//! Meta POSTs the form field `signed_request`: base64url(HMAC-SHA256 of the
//! payload part, keyed with the app secret), a dot, base64url(JSON payload
//! with `algorithm`, `user_id` (app-scoped), `issued_at`). [`receive`]
//! checks the signature in constant time and the payload's age, records
//! the request and answers `{url, confirmation_code}`; a bad signature
//! leaves no trace. The code is derived from the request (a keyed hash), so
//! a replay gets the same code and runs nothing twice.
//!
//! [`process_pending`] (the scheduler, and serve at once) maps the person
//! to page-scoped ids with the ID Matching API, keeps those on the
//! account's pages, and erases each ([`super::erasure`]). When Meta cannot
//! map them the request waits for an administrator ([`resolve`]: map to a
//! customer, or refuse with a reason), and an error is logged and counted
//! (`DataDeletionWaiting`). [`status`] is what the public status page shows:
//! the state and, when refused, the reason; nothing else.
//!
//! A request is one stream entry (`deletion:{code}`, cursor
//! [`REQUEST_CURSOR`]), overwritten as it moves on; the stream
//! [`INDEX_STREAM`] lists the requests not settled yet.

use crate::channels::PageDeps;
use crate::ids::{AccountId, PageId, Psid};
use crate::ports::{StoreError, StreamEntry, StreamStore, app_secret_name, stream_cursor};
use crate::problem::{Problem, Status};
use crate::routing::RoutingDeps;
use crate::time::{self, Millis};
use base64::Engine;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// The one entry of a request's stream.
pub const REQUEST_CURSOR: &str = "request";
/// The requests not settled yet.
pub const INDEX_STREAM: &str = "deletions:open";
/// The oldest `issued_at` taken (Meta sends the request at once).
pub const MAX_AGE_MS: i64 = 24 * 3600 * 1000;
/// How far in the future `issued_at` may be (clock skew).
const MAX_SKEW_MS: i64 = 5 * 60 * 1000;
/// The longest `signed_request` taken.
pub const MAX_SIGNED_REQUEST: usize = 8 * 1024;
/// Requests looked at per run.
const PER_RUN: usize = 100;
/// Who an erasure from a request is recorded as.
pub const BY_META: &str = "Meta's data-deletion request";

/// Why a callback is refused (`403` for the signature, `400` otherwise):
/// nothing is recorded.
#[derive(Debug, thiserror::Error)]
pub enum CallbackError {
    #[error("no channel account {0:?}")]
    UnknownAccount(String),
    #[error("the form has no signed_request field")]
    Missing,
    #[error("signed_request is not <signature>.<payload> in base64url")]
    Malformed,
    #[error("the signature does not match the payload and the app secret")]
    Mismatch,
    #[error("the payload is not HMAC-SHA256 JSON with a numeric user_id and issued_at")]
    Payload,
    #[error("the request was issued more than 24 hours ago, or in the future")]
    Stale,
    #[error("the account's app secret is not available")]
    SecretMissing,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<CallbackError> for Problem {
    fn from(e: CallbackError) -> Self {
        let detail = e.to_string();
        match e {
            CallbackError::UnknownAccount(_) => Problem::not_found(detail),
            CallbackError::Mismatch => {
                Problem::new(Status::FORBIDDEN, "bad_signature", "Forbidden", detail)
            }
            CallbackError::Missing
            | CallbackError::Malformed
            | CallbackError::Payload
            | CallbackError::Stale => Problem::bad_request("invalid_signed_request", detail),
            CallbackError::SecretMissing => Problem::unavailable(detail),
            CallbackError::Store(s) => s.into(),
        }
    }
}

/// The signed payload, checked.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SignedPayload {
    pub algorithm: String,
    pub user_id: String,
    pub issued_at: i64,
}

/// Check `signed_request` against the app secret at `now`.
pub fn verify(signed: &str, secret: &[u8], now: Millis) -> Result<SignedPayload, CallbackError> {
    if signed.len() > MAX_SIGNED_REQUEST {
        return Err(CallbackError::Malformed);
    }
    let (sig, payload) = signed.split_once('.').ok_or(CallbackError::Malformed)?;
    let sig = b64(sig)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).map_err(|_| CallbackError::Mismatch)?;
    mac.update(payload.as_bytes());
    mac.verify_slice(&sig)
        .map_err(|_| CallbackError::Mismatch)?;
    let p: SignedPayload =
        serde_json::from_slice(&b64(payload)?).map_err(|_| CallbackError::Payload)?;
    let digits = !p.user_id.is_empty()
        && p.user_id.len() <= 32
        && p.user_id.bytes().all(|b| b.is_ascii_digit());
    if !p.algorithm.eq_ignore_ascii_case("HMAC-SHA256") || !digits {
        return Err(CallbackError::Payload);
    }
    let issued = p.issued_at.saturating_mul(1000);
    if issued < now.0 - MAX_AGE_MS || issued > now.0 + MAX_SKEW_MS {
        return Err(CallbackError::Stale);
    }
    Ok(p)
}

/// base64url, with or without padding (Meta sends it without).
fn b64(s: &str) -> Result<Vec<u8>, CallbackError> {
    URL_SAFE_NO_PAD
        .decode(s)
        .or_else(|_| URL_SAFE.decode(s))
        .map_err(|_| CallbackError::Malformed)
}

/// Build a `signed_request` as Meta does (for `switchboard simulate` and tests).
pub fn sign(payload: &serde_json::Value, secret: &[u8]) -> String {
    let body = URL_SAFE_NO_PAD.encode(payload.to_string());
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(body.as_bytes());
    let sig = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{sig}.{body}")
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeletionState {
    Received,
    InProgress,
    /// Meta could not map the person; an administrator maps or refuses.
    Waiting,
    Done,
    Refused,
}

impl DeletionState {
    pub fn settled(self) -> bool {
        matches!(self, Self::Done | Self::Refused)
    }
}

/// A customer (page and PSID) a request erases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerRef {
    pub page_id: PageId,
    pub psid: Psid,
}

/// One data-deletion request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletionRequest {
    pub code: String,
    pub account_id: AccountId,
    /// The app-scoped id Meta named (needed until the person is mapped).
    pub user_id: String,
    #[serde(with = "time::rfc3339")]
    pub received_at: Millis,
    pub state: DeletionState,
    /// Why it waits, or why it was refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The customers found (by Meta or an administrator).
    #[serde(default)]
    pub customers: Vec<CustomerRef>,
    /// Customers erased so far.
    #[serde(default)]
    pub erased: usize,
    #[serde(with = "time::rfc3339")]
    pub updated_at: Millis,
}

/// What Meta is answered.
#[derive(Debug, Clone, Serialize)]
pub struct Receipt {
    pub url: String,
    pub confirmation_code: String,
    /// Whether this call recorded it (`false`: a replay).
    #[serde(skip)]
    pub new: bool,
}

fn stream(code: &str) -> String {
    format!("deletion:{code}")
}

/// The confirmation code: a keyed hash of the account, person and issue
/// time (the same request, the same code; unguessable without the secret).
pub fn confirmation_code(secret: &[u8], account: &AccountId, p: &SignedPayload) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return String::new();
    };
    mac.update(format!("deletion:{account}:{}:{}", p.user_id, p.issued_at).as_bytes());
    let hex = hex::encode(mac.finalize().into_bytes());
    hex.chars().take(24).collect()
}

/// A callback: check, record once, answer. `status_base` is where the
/// status page is served (`https://host`).
pub async fn receive(
    deps: &crate::ingest::IngestDeps,
    account: &str,
    form: &[u8],
    status_base: &str,
) -> Result<Receipt, CallbackError> {
    let id =
        AccountId::parse(account).map_err(|_| CallbackError::UnknownAccount(account.into()))?;
    if deps.accounts.get_account(&id).await?.is_none() {
        return Err(CallbackError::UnknownAccount(account.into()));
    }
    let signed = form_urlencoded::parse(form)
        .find(|(k, _)| k == "signed_request")
        .map(|(_, v)| v.into_owned())
        .ok_or(CallbackError::Missing)?;
    let secret = deps
        .secrets
        .get(&app_secret_name(&id))
        .await
        .map_err(|_| CallbackError::SecretMissing)?
        .ok_or(CallbackError::SecretMissing)?;
    let now = deps.clock.now();
    let payload = verify(&signed, secret.expose().as_bytes(), now)?;
    let code = confirmation_code(secret.expose().as_bytes(), &id, &payload);
    let request = DeletionRequest {
        code: code.clone(),
        account_id: id,
        user_id: payload.user_id,
        received_at: now,
        state: DeletionState::Received,
        reason: None,
        customers: Vec::new(),
        erased: 0,
        updated_at: now,
    };
    let new = deps
        .streams
        .append_entry(&stream(&code), &entry(REQUEST_CURSOR.into(), &request)?)
        .await?;
    if new {
        let index = serde_json::json!({ "code": code });
        deps.streams
            .append_entry(
                INDEX_STREAM,
                &StreamEntry {
                    cursor: stream_cursor(now, &code),
                    data: index,
                    expires_at: None,
                },
            )
            .await?;
        tracing::info!(account_id = account, "data-deletion request recorded");
        crate::metrics::count("DataDeletionRequests", 1);
    }
    Ok(Receipt {
        url: format!(
            "{}/privacy/deletion/{code}",
            status_base.trim_end_matches('/')
        ),
        confirmation_code: code,
        new,
    })
}

fn entry(cursor: String, r: &DeletionRequest) -> Result<StreamEntry, StoreError> {
    Ok(StreamEntry {
        cursor,
        data: serde_json::to_value(r).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        expires_at: None,
    })
}

/// The request with `code`; `None` for a code never given.
pub async fn status(
    streams: &dyn StreamStore,
    code: &str,
) -> Result<Option<DeletionRequest>, StoreError> {
    let valid = !code.is_empty() && code.len() <= 64 && code.bytes().all(|b| b.is_ascii_hexdigit());
    if !valid {
        return Ok(None);
    }
    let found = streams.read_entries(&stream(code), None, 1).await?;
    Ok(found
        .into_iter()
        .find(|e| e.cursor == REQUEST_CURSOR)
        .and_then(|e| serde_json::from_value(e.data).ok()))
}

async fn save(streams: &dyn StreamStore, r: &DeletionRequest) -> Result<(), StoreError> {
    streams
        .replace_entry(&stream(&r.code), &entry(REQUEST_CURSOR.into(), r)?)
        .await?;
    if r.state.settled() {
        // Off the open list.
        let open = streams.read_entries(INDEX_STREAM, None, 10_000).await?;
        if let Some(mut e) = open
            .into_iter()
            .find(|e| e.data.get("code").and_then(|c| c.as_str()) == Some(r.code.as_str()))
        {
            e.data["settled"] = true.into();
            streams.replace_entry(INDEX_STREAM, &e).await?;
        }
    }
    Ok(())
}

/// The requests, newest first (the administrators' list), at most `limit`.
pub async fn list(
    streams: &dyn StreamStore,
    limit: usize,
) -> Result<Vec<DeletionRequest>, StoreError> {
    let index = streams.read_entries(INDEX_STREAM, None, 10_000).await?;
    let mut out = Vec::new();
    for e in index.iter().rev().take(limit) {
        if let Some(code) = e.data.get("code").and_then(|c| c.as_str())
            && let Some(r) = status(streams, code).await?
        {
            out.push(r);
        }
    }
    Ok(out)
}

/// Work through the open requests: map, erase, settle. Returns how many
/// settled. A Graph or store failure leaves a request for the next run.
pub async fn process_pending(routing: &RoutingDeps, pages: &PageDeps) -> Result<usize, Problem> {
    let open = routing
        .streams
        .read_entries(INDEX_STREAM, None, 10_000)
        .await?;
    let mut settled = 0;
    let mut waiting = 0;
    for e in open
        .iter()
        .filter(|e| e.data.get("settled").is_none())
        .take(PER_RUN)
    {
        let Some(code) = e.data.get("code").and_then(|c| c.as_str()) else {
            continue;
        };
        let Some(r) = status(routing.streams.as_ref(), code).await? else {
            continue;
        };
        match process(routing, pages, r).await {
            Ok(r) if r.state.settled() => settled += 1,
            Ok(r) if r.state == DeletionState::Waiting => waiting += 1,
            Ok(_) => {}
            Err(p) => {
                tracing::warn!(error = %p.detail, "data-deletion request not finished; the next run tries again");
            }
        }
    }
    crate::metrics::gauge("DataDeletionWaiting", waiting as f64);
    Ok(settled)
}

async fn process(
    routing: &RoutingDeps,
    pages: &PageDeps,
    mut r: DeletionRequest,
) -> Result<DeletionRequest, Problem> {
    let streams = routing.streams.as_ref();
    if r.state == DeletionState::Received {
        let account = pages
            .accounts
            .get_account(&r.account_id)
            .await?
            .ok_or_else(|| Problem::not_found(format!("account {}", r.account_id)))?;
        let secret = pages
            .secrets
            .get(&app_secret_name(&r.account_id))
            .await
            .map_err(|e| Problem::unavailable(e.to_string()))?
            .ok_or_else(|| Problem::unavailable("the account's app secret is not available"))?;
        let ids = pages
            .graph
            .ids_for_pages(&r.user_id, &account.app_id, &secret)
            .await
            .map_err(|e| Problem::unavailable(format!("ID Matching API: {e}")))?;
        let ours: Vec<PageId> = pages
            .accounts
            .list_pages(&r.account_id)
            .await?
            .into_iter()
            .map(|p| p.page_id)
            .collect();
        r.customers = ids
            .into_iter()
            .filter_map(|m| {
                let page = PageId::parse(&m.page.id).ok()?;
                let psid = Psid::parse(&m.id).ok()?;
                ours.contains(&page).then_some(CustomerRef {
                    page_id: page,
                    psid,
                })
            })
            .collect();
        r.updated_at = routing.clock.now();
        if r.customers.is_empty() {
            r.state = DeletionState::Waiting;
            r.reason = Some("Meta could not match the person to a customer of this company's pages; an administrator will look at it".into());
            tracing::error!(code = %r.code, account_id = %r.account_id, "data-deletion request waits for an administrator: Meta could not map the person");
            save(streams, &r).await?;
            return Ok(r);
        }
        r.state = DeletionState::InProgress;
        save(streams, &r).await?;
    }
    if r.state == DeletionState::InProgress {
        erase_all(routing, &mut r).await?;
    }
    Ok(r)
}

async fn erase_all(routing: &RoutingDeps, r: &mut DeletionRequest) -> Result<(), Problem> {
    let reason = format!("data-deletion request {}", r.code);
    let mut erased = 0;
    for c in &r.customers {
        match super::erasure::erase(routing, &c.page_id, &c.psid, BY_META, &reason).await {
            Ok(_) => erased += 1,
            // Never wrote to the page: nothing held.
            Err(p) if p.status == Status::NOT_FOUND.0 => {}
            Err(p) => return Err(p),
        }
    }
    r.erased = erased;
    r.state = DeletionState::Done;
    r.reason = None;
    r.updated_at = routing.clock.now();
    save(routing.streams.as_ref(), r).await?;
    Ok(())
}

/// What an administrator does with a waiting request.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum Resolution {
    /// Erase these customers (found by other means).
    Map { customers: Vec<CustomerRef> },
    /// Refuse, saying why (shown on the status page).
    Refuse { reason: String },
}

/// Apply an administrator's resolution to request `code`: `404` unknown,
/// `409` settled already, `422` for no customers or no reason.
pub async fn resolve(
    routing: &RoutingDeps,
    code: &str,
    what: Resolution,
) -> Result<DeletionRequest, Problem> {
    let mut r = status(routing.streams.as_ref(), code)
        .await?
        .ok_or_else(|| Problem::not_found(format!("no data-deletion request {code}")))?;
    if r.state.settled() {
        return Err(Problem::new(
            Status::CONFLICT,
            "settled",
            "Conflict",
            format!("the request is {:?} already", r.state).to_lowercase(),
        ));
    }
    let invalid = |detail: &str| {
        Problem::new(
            Status::UNPROCESSABLE_ENTITY,
            "invalid_resolution",
            "Invalid resolution",
            detail.to_string(),
        )
    };
    r.updated_at = routing.clock.now();
    match what {
        Resolution::Refuse { reason } => {
            let reason = reason.trim();
            if reason.is_empty() || reason.chars().count() > super::erasure::MAX_REASON {
                return Err(invalid(
                    "say why in 1 to 500 characters; the person reads it on the status page",
                ));
            }
            r.state = DeletionState::Refused;
            r.reason = Some(reason.to_string());
            save(routing.streams.as_ref(), &r).await?;
        }
        Resolution::Map { customers } => {
            if customers.is_empty() {
                return Err(invalid("name at least one customer (page_id and psid)"));
            }
            r.customers = customers;
            r.state = DeletionState::InProgress;
            save(routing.streams.as_ref(), &r).await?;
            erase_all(routing, &mut r).await?;
        }
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Millis = Millis(1_764_000_000_000);

    fn payload(issued_s: i64) -> serde_json::Value {
        serde_json::json!({"algorithm": "HMAC-SHA256", "user_id": "1234567890", "issued_at": issued_s, "expires": 0})
    }

    #[test]
    fn a_request_signed_as_meta_signs_is_taken() {
        let s = sign(&payload(NOW.0 / 1000), b"secret");
        assert!(!s.contains('='), "no padding: {s}");
        let p = verify(&s, b"secret", NOW).unwrap();
        assert_eq!(p.user_id, "1234567890");
    }

    #[test]
    fn a_tampered_or_foreign_signature_is_refused() {
        let s = sign(&payload(NOW.0 / 1000), b"secret");
        assert!(matches!(
            verify(&s, b"other", NOW),
            Err(CallbackError::Mismatch)
        ));
        let (sig, _) = s.split_once('.').unwrap();
        let forged = format!(
            "{sig}.{}",
            URL_SAFE_NO_PAD.encode(
                payload(NOW.0 / 1000)
                    .to_string()
                    .replace("1234567890", "99")
            )
        );
        assert!(matches!(
            verify(&forged, b"secret", NOW),
            Err(CallbackError::Mismatch)
        ));
        assert!(matches!(
            verify("nodot", b"secret", NOW),
            Err(CallbackError::Malformed)
        ));
        assert!(matches!(
            verify("!!.??", b"secret", NOW),
            Err(CallbackError::Malformed)
        ));
    }

    #[test]
    fn an_old_or_future_request_is_refused() {
        let old = sign(&payload(NOW.0 / 1000 - 25 * 3600), b"secret");
        assert!(matches!(
            verify(&old, b"secret", NOW),
            Err(CallbackError::Stale)
        ));
        let future = sign(&payload(NOW.0 / 1000 + 3600), b"secret");
        assert!(matches!(
            verify(&future, b"secret", NOW),
            Err(CallbackError::Stale)
        ));
    }

    #[test]
    fn the_code_is_the_same_for_the_same_request_and_differs_otherwise() {
        let a = AccountId::parse("acme").unwrap();
        let p = verify(&sign(&payload(NOW.0 / 1000), b"s"), b"s", NOW).unwrap();
        let c = confirmation_code(b"s", &a, &p);
        assert_eq!(c.len(), 24);
        assert_eq!(c, confirmation_code(b"s", &a, &p));
        let later = SignedPayload {
            issued_at: p.issued_at + 1,
            ..p.clone()
        };
        assert_ne!(c, confirmation_code(b"s", &a, &later));
    }
}
