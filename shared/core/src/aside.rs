//! What Meta sent that Switchboard cannot use, kept aside with the reason.
//!
//! Meta disables an app's webhooks when deliveries keep failing, so a
//! correctly signed delivery is acknowledged whatever its shape. The parts
//! that cannot become customer events (an odd shape, an object other than
//! `page`, an entry for a page the account has not connected, an event
//! nested too deep) travel the inbound queue as a [`SetAside`] item; the
//! router writes it to the [`NOTICES`] stream, counts it, and the admin
//! API's alerts show it. Policy-enforcement events from Meta reach the
//! administrators the same way.

use crate::ids::{AccountId, clip};
use crate::ports::{OutgoingMessage, StoreResult, StreamEntry, StreamStore, stream_cursor};
use crate::time::Millis;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The stream administrators' notices are written to.
pub const NOTICES: &str = "notices";
/// How much of what was set aside is kept (the rest is cut).
pub const KEPT_BYTES: usize = 16 * 1024;
/// Notices are kept 30 days.
const KEPT_FOR_MS: i64 = 30 * 86_400_000;

/// Why something was set aside, or what Meta told the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// A delivery, entry or event of a shape Switchboard cannot use.
    OddShape,
    /// A delivery for another product (`object: "instagram"`, ...).
    OtherObject,
    /// An entry for a page that is not connected to the signing account.
    UnknownPage,
    /// Meta blocked or unblocked the page (`policy_enforcement`).
    PolicyEnforcement,
}

/// One thing kept aside (or one warning from Meta), with its reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetAside {
    pub kind: NoticeKind,
    pub account_id: AccountId,
    /// The entry's page id as Meta sent it, when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_id: Option<String>,
    pub reason: String,
    /// What Meta sent (cut to [`KEPT_BYTES`]), as text.
    pub raw: String,
    pub received_at: Millis,
}

/// The queue body of a set-aside item: `{"set_aside": {...}}` (an inbound
/// event never has that key, see [`QueueBody::parse`]).
#[derive(Serialize, Deserialize)]
struct Wrapped {
    set_aside: SetAside,
}

impl SetAside {
    pub fn new(
        kind: NoticeKind,
        account_id: &AccountId,
        page_id: Option<&str>,
        reason: impl Into<String>,
        raw: &str,
        received_at: Millis,
    ) -> Self {
        Self {
            kind,
            account_id: account_id.clone(),
            page_id: page_id.map(|p| clip(p, 64).into_owned()),
            reason: reason.into(),
            raw: cut_bytes(raw, KEPT_BYTES).to_string(),
            received_at,
        }
    }

    /// Identifies this item across Meta's retries of the same delivery.
    pub fn dedup_id(&self) -> String {
        let mut h = Sha256::new();
        h.update(self.account_id.as_str().as_bytes());
        h.update(b"|");
        h.update(self.reason.as_bytes());
        h.update(b"|");
        h.update(self.raw.as_bytes());
        hex::encode(h.finalize())
    }

    /// Its message on the inbound queue: one group per account, so notices
    /// never hold back a customer's conversation.
    pub fn to_message(&self) -> Result<OutgoingMessage, serde_json::Error> {
        Ok(OutgoingMessage {
            group: format!("{}:aside", self.account_id),
            dedup_id: self.dedup_id(),
            body: serde_json::to_string(&Wrapped {
                set_aside: self.clone(),
            })?,
        })
    }

    /// A queue body that holds a set-aside item (`None` for an event).
    pub fn from_queue_body(body: &str) -> Option<Result<Self, serde_json::Error>> {
        body.trim_start()
            .starts_with("{\"set_aside\"")
            .then(|| serde_json::from_str::<Wrapped>(body).map(|w| w.set_aside))
    }
}

/// `s` cut to at most `max` bytes, on a character boundary.
pub fn cut_bytes(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Keep a notice (idempotent: a retried delivery writes it once). Logged
/// and counted by kind.
pub async fn record(streams: &dyn StreamStore, item: &SetAside) -> StoreResult<bool> {
    let entry = StreamEntry {
        cursor: stream_cursor(item.received_at, &item.dedup_id()),
        data: serde_json::to_value(item).unwrap_or_default(),
        expires_at: Some(item.received_at.plus_millis(KEPT_FOR_MS)),
    };
    let new = streams.append_entry(NOTICES, &entry).await?;
    if new {
        let kind = serde_json::to_value(item.kind).unwrap_or_default();
        tracing::warn!(
            account_id = %item.account_id,
            page_id = item.page_id.as_deref().unwrap_or(""),
            kind = %kind,
            reason = %item.reason,
            "kept aside what Meta sent"
        );
        crate::metrics::count_by("SetAside", kind.as_str().unwrap_or("other"), 1);
    }
    Ok(new)
}

/// The notices of the last 30 days, newest first, at most `limit`.
pub async fn recent(
    streams: &dyn StreamStore,
    now: Millis,
    limit: usize,
) -> StoreResult<Vec<SetAside>> {
    let from = stream_cursor(now.plus_millis(-KEPT_FOR_MS), "");
    let mut out = Vec::new();
    let mut after = Some(from);
    loop {
        let page = streams.read_entries(NOTICES, after.as_deref(), 500).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.cursor.clone());
        let full = page.len() == 500;
        out.extend(
            page.into_iter()
                .filter_map(|e| serde_json::from_value::<SetAside>(e.data).ok()),
        );
        if !full || out.len() > 10 * limit {
            break;
        }
    }
    out.reverse();
    out.truncate(limit);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_aside_item_round_trips_through_the_queue() {
        let acme = AccountId::parse("acme").unwrap();
        let item = SetAside::new(
            NoticeKind::OtherObject,
            &acme,
            None,
            "object \"instagram\"",
            "{}",
            Millis(5),
        );
        let m = item.to_message().unwrap();
        assert_eq!(m.group, "acme:aside");
        let back = SetAside::from_queue_body(&m.body).unwrap().unwrap();
        assert_eq!(back, item);
        assert!(SetAside::from_queue_body(r#"{"account_id":"acme"}"#).is_none());
    }

    #[test]
    fn what_is_kept_is_cut_on_a_character_boundary() {
        let s = "€".repeat(10_000);
        let cut = cut_bytes(&s, KEPT_BYTES);
        assert!(cut.len() <= KEPT_BYTES && cut.len() > KEPT_BYTES - 3);
    }
}
