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
//! (`DataDeletionWaiting`, which the template's alarm watches). [`status`] is what the public status page shows:
//! the state and, when refused, the reason; nothing else.
//!
//! A request is one stream entry (`deletion:{code}`, cursor
//! [`REQUEST_CURSOR`]), overwritten as it moves on. The stream
//! [`INDEX_STREAM`] lists every request with its state, by issue time (a
//! cursor the request itself determines, so a replay after a crash finds
//! the same entry); a settled request's entry expires after
//! [`SETTLED_KEPT_MS`], so the list the scheduler reads stays short. Once
//! settled, the request no longer holds the app-scoped id nor the PSIDs.

use crate::channels::PageDeps;
use crate::ids::{AccountId, PageId, Psid};
use crate::ports::{StoreError, StreamEntry, StreamStore, stream_cursor};
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
/// Every request, by issue time, with its state.
pub const INDEX_STREAM: &str = "deletions";
/// How long a settled request stays in [`INDEX_STREAM`] (its status page
/// stays for ever).
pub const SETTLED_KEPT_MS: i64 = 90 * 24 * 3600 * 1000;
/// Index entries read per store call.
const INDEX_PAGE: usize = 200;
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
    /// The app-scoped id Meta named (needed until the person is mapped;
    /// emptied once the request is settled).
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
    /// Its entry in [`INDEX_STREAM`].
    #[serde(default)]
    pub index_cursor: String,
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
    use crate::ingest::IngestError;
    let id =
        AccountId::parse(account).map_err(|_| CallbackError::UnknownAccount(account.into()))?;
    let signed = form_urlencoded::parse(form)
        .find(|(k, _)| k == "signed_request")
        .map(|(_, v)| v.into_owned())
        .ok_or(CallbackError::Missing)?;
    let now = deps.clock.now();
    let checked = crate::ingest::with_app_secret(deps, &id, |secret| {
        let key = secret.expose().as_bytes();
        verify(&signed, key, now).map(|p| {
            let code = confirmation_code(key, &id, &p);
            (p, code)
        })
    })
    .await
    .map_err(|e| match e {
        IngestError::UnknownAccount(a) => CallbackError::UnknownAccount(a),
        IngestError::Store(s) => CallbackError::Store(s),
        _ => CallbackError::SecretMissing,
    })?;
    let (payload, code) = match checked {
        Ok(ok) => ok,
        Err(e) => {
            tracing::warn!(account_id = %id, reason = %e, "refused a data-deletion request");
            return Err(e);
        }
    };
    let index_cursor = stream_cursor(Millis(payload.issued_at.saturating_mul(1000)), &code);
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
        index_cursor: index_cursor.clone(),
    };
    // The index first: after a crash between the two, the replay Meta
    // sends writes the request, and the index already lists it.
    deps.streams
        .append_entry(INDEX_STREAM, &index_entry(&request, now))
        .await?;
    let new = deps
        .streams
        .append_entry(&stream(&code), &entry(REQUEST_CURSOR.into(), &request)?)
        .await?;
    if new {
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

/// A request's index entry: its code and state (settled ones expire).
fn index_entry(r: &DeletionRequest, now: Millis) -> StreamEntry {
    StreamEntry {
        cursor: r.index_cursor.clone(),
        data: serde_json::json!({ "code": r.code, "state": r.state }),
        expires_at: r.state.settled().then_some(Millis(now.0 + SETTLED_KEPT_MS)),
    }
}

/// The index's live entries (code, state), oldest first.
async fn index(
    streams: &dyn StreamStore,
    now: Millis,
) -> Result<Vec<(String, DeletionState)>, StoreError> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let read = streams
            .read_entries(INDEX_STREAM, after.as_deref(), INDEX_PAGE)
            .await?;
        after = read.last().map(|e| e.cursor.clone());
        out.extend(read.iter().filter(|e| e.is_live(now)).filter_map(|e| {
            let code = e.data.get("code")?.as_str()?.to_string();
            let state = serde_json::from_value(e.data.get("state")?.clone()).ok()?;
            Some((code, state))
        }));
        if read.len() < INDEX_PAGE {
            return Ok(out);
        }
    }
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

async fn save(
    streams: &dyn StreamStore,
    r: &mut DeletionRequest,
    now: Millis,
) -> Result<(), StoreError> {
    r.updated_at = now;
    if r.state.settled() {
        // Settled: the person's ids are not needed any more.
        r.user_id.clear();
        r.customers.clear();
    }
    streams
        .replace_entry(&stream(&r.code), &entry(REQUEST_CURSOR.into(), r)?)
        .await?;
    streams
        .replace_entry(INDEX_STREAM, &index_entry(r, now))
        .await?;
    Ok(())
}

/// The requests of the last [`SETTLED_KEPT_MS`] and every open one, newest
/// first (the administrators' list), at most `limit`.
pub async fn list(
    streams: &dyn StreamStore,
    now: Millis,
    limit: usize,
) -> Result<Vec<DeletionRequest>, StoreError> {
    let mut out = Vec::new();
    for (code, _) in index(streams, now).await?.iter().rev().take(limit) {
        if let Some(r) = status(streams, code).await? {
            out.push(r);
        }
    }
    Ok(out)
}

/// Work through the requests Switchboard can move on (received, in
/// progress; a waiting one is the administrators'): map, erase, settle.
/// Returns how many settled. A Graph or store failure leaves a request for
/// the next run.
pub async fn process_pending(routing: &RoutingDeps, pages: &PageDeps) -> Result<usize, Problem> {
    let now = routing.clock.now();
    let all = index(routing.streams.as_ref(), now).await?;
    let waiting = all
        .iter()
        .filter(|(_, s)| *s == DeletionState::Waiting)
        .count();
    crate::metrics::gauge("DataDeletionWaiting", waiting as f64);
    let mut settled = 0;
    let workable = all
        .iter()
        .filter(|(_, s)| matches!(s, DeletionState::Received | DeletionState::InProgress))
        .take(PER_RUN);
    for (code, _) in workable {
        let Some(r) = status(routing.streams.as_ref(), code).await? else {
            // Indexed, not recorded yet (a crash between the two): Meta's
            // replay records it.
            continue;
        };
        match process(routing, pages, r).await {
            Ok(r) if r.state.settled() => settled += 1,
            Ok(_) => {}
            Err(p) => {
                tracing::warn!(error = %p.detail, "data-deletion request not finished; the next run tries again");
            }
        }
    }
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
            .get(&account.app_secret_ref)
            .await
            .map_err(|e| Problem::unavailable(e.to_string()))?
            .ok_or_else(|| Problem::unavailable("the account's app secret is not available"))?;
        let ids = pages
            .graph
            .ids_for_pages(&r.user_id, &account.app_id, &secret)
            .await
            .map_err(|e| Problem::unavailable(format!("ID Matching API: {e}")))?;
        let ours = account_pages(pages, &r.account_id).await?;
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
        if r.customers.is_empty() {
            r.state = DeletionState::Waiting;
            r.reason = Some("Meta could not match the person to a customer of this company's pages; an administrator will look at it".into());
            tracing::error!(code = %r.code, account_id = %r.account_id, "data-deletion request waits for an administrator: Meta could not map the person");
            save(streams, &mut r, routing.clock.now()).await?;
            return Ok(r);
        }
        r.state = DeletionState::InProgress;
        save(streams, &mut r, routing.clock.now()).await?;
    }
    if r.state == DeletionState::InProgress {
        erase_all(routing, &mut r).await?;
    }
    Ok(r)
}

async fn account_pages(pages: &PageDeps, account: &AccountId) -> Result<Vec<PageId>, Problem> {
    Ok(pages
        .accounts
        .list_pages(account)
        .await?
        .into_iter()
        .map(|p| p.page_id)
        .collect())
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
    save(routing.streams.as_ref(), r, routing.clock.now()).await?;
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

/// Apply an administrator's resolution to waiting request `code`: `404`
/// unknown, `409` not waiting (Switchboard is working it, or it is
/// settled), `422` for no customers, a customer Switchboard never saw on
/// one of the account's pages, or no reason.
pub async fn resolve(
    routing: &RoutingDeps,
    pages: &PageDeps,
    code: &str,
    what: Resolution,
) -> Result<DeletionRequest, Problem> {
    let mut r = status(routing.streams.as_ref(), code)
        .await?
        .ok_or_else(|| Problem::not_found(format!("no data-deletion request {code}")))?;
    if r.state != DeletionState::Waiting {
        let state = serde_json::to_value(r.state).unwrap_or_default();
        return Err(Problem::new(
            Status::CONFLICT,
            "not_waiting",
            "Conflict",
            format!(
                "the request is {} and waits for nobody",
                state.as_str().unwrap_or("settled")
            ),
        ));
    }
    let invalid = |detail: String| {
        Problem::new(
            Status::UNPROCESSABLE_ENTITY,
            "invalid_resolution",
            "Invalid resolution",
            detail,
        )
    };
    match what {
        Resolution::Refuse { reason } => {
            let reason = reason.trim();
            if reason.is_empty() || reason.chars().count() > super::erasure::MAX_REASON {
                return Err(invalid(format!(
                    "say why in 1 to {} characters; the person reads it on the status page",
                    super::erasure::MAX_REASON
                )));
            }
            r.state = DeletionState::Refused;
            r.reason = Some(reason.to_string());
            save(routing.streams.as_ref(), &mut r, routing.clock.now()).await?;
        }
        Resolution::Map { customers } => {
            if customers.is_empty() {
                return Err(invalid(
                    "name at least one customer (page_id and psid)".into(),
                ));
            }
            let ours = account_pages(pages, &r.account_id).await?;
            for c in &customers {
                let known = ours.contains(&c.page_id)
                    && routing
                        .conversations
                        .get_customer(&c.page_id, &c.psid)
                        .await?
                        .is_some();
                if !known {
                    return Err(invalid(format!(
                        "no customer {} on page {} of account {}",
                        c.psid, c.page_id, r.account_id
                    )));
                }
            }
            r.customers = customers;
            r.state = DeletionState::InProgress;
            r.reason = None;
            save(routing.streams.as_ref(), &mut r, routing.clock.now()).await?;
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
