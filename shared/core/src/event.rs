//! The normalized inbound event: one Messenger event, with the page, the
//! customer, its kind, time and ids pulled out, and the exact JSON Meta sent
//! kept beside them. This is what the inbound queue carries and what the
//! conversation timeline stores.

use crate::ids::{AccountId, PageId, Psid};
use crate::messenger::{Channel, MessagingEvent};
use crate::time::Millis;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Message,
    Echo,
    Postback,
    Delivery,
    Read,
    Reaction,
    Edit,
    Referral,
    Handover,
    Optin,
    /// The customer unsent one of their messages (`message.is_deleted`).
    Unsend,
    /// Meta blocked or unblocked the page (`policy_enforcement`).
    PolicyEnforcement,
    Unknown,
    /// Written by Switchboard itself (e.g. "closed: the page was removed").
    System,
}

impl EventKind {
    pub const ALL: [EventKind; 14] = [
        Self::Message,
        Self::Echo,
        Self::Postback,
        Self::Delivery,
        Self::Read,
        Self::Reaction,
        Self::Edit,
        Self::Referral,
        Self::Handover,
        Self::Optin,
        Self::Unsend,
        Self::PolicyEnforcement,
        Self::Unknown,
        Self::System,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Message => "message",
            Self::Echo => "echo",
            Self::Postback => "postback",
            Self::Delivery => "delivery",
            Self::Read => "read",
            Self::Reaction => "reaction",
            Self::Edit => "edit",
            Self::Referral => "referral",
            Self::Handover => "handover",
            Self::Optin => "optin",
            Self::Unsend => "unsend",
            Self::PolicyEnforcement => "policy_enforcement",
            Self::Unknown => "unknown",
            Self::System => "system",
        }
    }

    /// Something the customer did. These open a conversation and move the
    /// start of Meta's messaging window (MESSENGER.md: "24 h after the
    /// person's last message (or postback, reaction, referral...)").
    pub fn is_customer_activity(self) -> bool {
        matches!(
            self,
            Self::Message
                | Self::Postback
                | Self::Reaction
                | Self::Edit
                | Self::Referral
                | Self::Optin
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentRef {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sticker_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostbackInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReactionInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reaction: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emoji: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferralInfo {
    #[serde(rename = "ref", default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ad_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandoverInfo {
    /// `pass_thread_control`, `take_thread_control`, `request_thread_control` or `app_roles`.
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_owner_app_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_owner_app_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Events nested deeper than this are set aside, not stored: nothing
/// stored may be too deep to read back.
pub const MAX_DEPTH: usize = 32;
/// Meta's limit on a message's text; a longer one is cut for display.
pub const MAX_TEXT_CHARS: usize = 2000;

fn is_false(b: &bool) -> bool {
    !*b
}

/// One inbound Messenger event, normalized.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InboundEvent {
    pub account_id: AccountId,
    pub page_id: PageId,
    /// The customer: the sender, or the recipient when the page sent it (echoes).
    /// `None` only for a malformed event with no usable party; it is still kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub psid: Option<Psid>,
    pub channel: Channel,
    pub kind: EventKind,
    /// Meta's event timestamp (ms); the entry time or arrival time when absent.
    pub timestamp: Millis,
    /// What identifies this event across Meta's retries (see [`event_key`]).
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<AttachmentRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quick_reply_payload: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to_mid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postback: Option<PostbackInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watermark: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mids: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reaction: Option<ReactionInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_edit: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referral: Option<ReferralInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handover: Option<HandoverInfo>,
    /// For echoes: the app that sent the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub is_echo: bool,
    /// Messenger could not show what the customer sent (`is_unsupported`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub unsupported: bool,
    /// The text was longer than Meta's 2,000 characters and is cut here;
    /// `raw` holds all of it.
    #[serde(default, skip_serializing_if = "is_false")]
    pub text_cut: bool,
    /// For `policy_enforcement`: Meta's action (`block`, `unblock`) and reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<PolicyInfo>,
    /// For unknown events: the key that names the kind (e.g. `hologram`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unknown_kind: Option<String>,
    pub received_at: Millis,
    /// The event exactly as Meta sent it.
    pub raw: Box<RawValue>,
}

impl InboundEvent {
    /// SQS FIFO message group: one per (page, customer), so a conversation's
    /// events are processed in order and different conversations in parallel.
    pub fn message_group(&self) -> String {
        match &self.psid {
            Some(p) => format!("{}:{}", self.page_id, p),
            None => format!("{}:unattributed", self.page_id),
        }
    }

    /// Deduplication id for the queue and the store: hex SHA-256 of page and key.
    pub fn dedup_id(&self) -> String {
        dedup_id(&self.page_id, &self.key)
    }
}

pub fn dedup_id(page: &PageId, key: &str) -> String {
    let mut h = Sha256::new();
    h.update(page.as_str().as_bytes());
    h.update(b"|");
    h.update(key.as_bytes());
    hex::encode(h.finalize())
}

/// The identity of an event across Meta's retries: its `mid` where the mid
/// names this event (messages, echoes, postbacks), the edited mid and edit
/// number for edits, otherwise page + sender + timestamp + kind.
pub fn event_key(
    kind: EventKind,
    name: &str,
    mid: Option<&str>,
    edit: Option<i64>,
    page: &str,
    sender: &str,
    ts: i64,
) -> String {
    match (kind, mid) {
        (EventKind::Message | EventKind::Echo | EventKind::Postback, Some(mid)) => {
            format!("{}:{mid}", kind.as_str())
        }
        (EventKind::Edit, Some(mid)) => format!("edit:{mid}:{}", edit.unwrap_or(0)),
        _ => format!("{name}:{page}:{sender}:{ts}"),
    }
}

/// Turn one raw event of an entry into an [`InboundEvent`]. An event of
/// a shape Switchboard cannot use answers `Err` with the reason (the caller
/// sets it aside); one it merely does not know is kept as `unknown`.
///
/// The event's time is Meta's `timestamp` when it is plausible (1970 to
/// 2100, see [`Millis::is_plausible`]), else the entry's time, else the
/// arrival time.
pub fn normalize(
    account_id: &AccountId,
    page_id: &PageId,
    channel: Channel,
    raw: &RawValue,
    entry_time: Option<i64>,
    received_at: Millis,
) -> Result<InboundEvent, String> {
    // Nesting never exceeds the number of brackets: count them first (a
    // vectorised scan) and walk the structure only when it could.
    let brackets = memchr::memchr2_iter(b'[', b'{', raw.get().as_bytes()).count();
    let depth = if brackets > MAX_DEPTH {
        nesting_depth(raw.get())
    } else {
        brackets
    };
    if depth > MAX_DEPTH {
        return Err(format!(
            "the event nests {depth} levels deep; at most {MAX_DEPTH} are kept"
        ));
    }
    let parsed: MessagingEvent = serde_json::from_str(raw.get())
        .map_err(|e| format!("the event does not have Meta's shape: {e}"))?;
    let sender = parsed.sender.as_ref().map(|p| p.id.as_str()).unwrap_or("");
    let recipient = parsed
        .recipient
        .as_ref()
        .map(|p| p.id.as_str())
        .unwrap_or("");
    // The customer is whoever is not the page.
    let customer = if sender == page_id.as_str() {
        recipient
    } else {
        sender
    };
    let psid = Psid::parse(customer).ok();
    let plausible = |t: &i64| Millis(*t).is_plausible();
    let timestamp = Millis(
        parsed
            .timestamp
            .filter(plausible)
            .or(entry_time.filter(plausible))
            .unwrap_or(received_at.0),
    );

    let mut ev = InboundEvent::bare(
        account_id,
        page_id,
        psid,
        channel,
        EventKind::Unknown,
        timestamp,
        received_at,
        raw.to_owned(),
    );

    let handover = |action: &str, h: &crate::messenger::Handover| HandoverInfo {
        action: action.to_string(),
        previous_owner_app_id: h.previous_owner_app_id.clone(),
        new_owner_app_id: h
            .new_owner_app_id
            .clone()
            .or_else(|| h.requested_owner_app_id.clone()),
        metadata: h.metadata.clone(),
    };

    if let Some(m) = parsed.message {
        ev.kind = if m.is_echo {
            EventKind::Echo
        } else if m.is_deleted {
            EventKind::Unsend
        } else {
            EventKind::Message
        };
        ev.is_echo = m.is_echo;
        ev.unsupported = m.is_unsupported;
        ev.mid = m.mid;
        (ev.text, ev.text_cut) = cut_text(m.text);
        ev.app_id = m.app_id;
        ev.metadata = m.metadata;
        ev.quick_reply_payload = m.quick_reply.and_then(|q| q.payload);
        ev.reply_to_mid = m.reply_to.and_then(|r| r.mid);
        ev.attachments = m
            .attachments
            .into_iter()
            .map(|a| {
                let p = a.payload.unwrap_or_default();
                AttachmentRef {
                    kind: a.kind,
                    url: p.url,
                    sticker_id: p.sticker_id,
                    title: p.title,
                }
            })
            .collect();
    } else if let Some(e) = parsed.message_edit {
        ev.kind = EventKind::Edit;
        ev.mid = e.mid;
        (ev.text, ev.text_cut) = cut_text(e.text);
        ev.num_edit = e.num_edit;
    } else if let Some(p) = parsed.postback {
        ev.kind = EventKind::Postback;
        ev.mid = p.mid;
        ev.referral = p.referral.map(referral_info);
        ev.postback = Some(PostbackInfo {
            title: p.title,
            payload: p.payload,
        });
    } else if let Some(d) = parsed.delivery {
        ev.kind = EventKind::Delivery;
        ev.watermark = d.watermark;
        ev.mids = d.mids;
    } else if let Some(r) = parsed.read {
        ev.kind = EventKind::Read;
        ev.watermark = r.watermark;
    } else if let Some(r) = parsed.reaction {
        ev.kind = EventKind::Reaction;
        ev.mid = r.mid;
        ev.reaction = Some(ReactionInfo {
            reaction: r.reaction,
            emoji: r.emoji,
            action: r.action,
        });
    } else if let Some(r) = parsed.referral {
        ev.kind = EventKind::Referral;
        ev.referral = Some(referral_info(r));
    } else if let Some(h) = &parsed.pass_thread_control {
        ev.kind = EventKind::Handover;
        ev.handover = Some(handover("pass_thread_control", h));
    } else if let Some(h) = &parsed.take_thread_control {
        ev.kind = EventKind::Handover;
        ev.handover = Some(handover("take_thread_control", h));
    } else if let Some(h) = &parsed.request_thread_control {
        ev.kind = EventKind::Handover;
        ev.handover = Some(handover("request_thread_control", h));
    } else if parsed.app_roles.is_some() {
        ev.kind = EventKind::Handover;
        ev.handover = Some(HandoverInfo {
            action: "app_roles".into(),
            ..Default::default()
        });
    } else if let Some(p) = parsed.policy_enforcement {
        ev.kind = EventKind::PolicyEnforcement;
        ev.policy = Some(PolicyInfo {
            action: p.action,
            reason: p.reason,
        });
    } else if let Some(o) = parsed.optin {
        ev.kind = EventKind::Optin;
        ev.text = o.payload.clone();
        ev.referral = o.reference.map(|r| ReferralInfo {
            reference: Some(r),
            kind: o.kind,
            ..Default::default()
        });
    } else {
        ev.unknown_kind = unknown_kind_name(raw);
    }

    let name = match (&ev.kind, &ev.handover, &ev.unknown_kind) {
        (EventKind::Handover, Some(h), _) => h.action.clone(),
        (EventKind::Unknown, _, Some(k)) => format!("unknown.{k}"),
        (k, _, _) => k.as_str().to_string(),
    };
    ev.key = event_key(
        ev.kind,
        &name,
        ev.mid.as_deref(),
        ev.num_edit,
        page_id.as_str(),
        sender,
        timestamp.0,
    );
    Ok(ev)
}

/// A text cut to [`MAX_TEXT_CHARS`] characters, and whether it was cut.
fn cut_text(text: Option<String>) -> (Option<String>, bool) {
    match text {
        // No more bytes than the limit: no more characters either.
        Some(t) if t.len() <= MAX_TEXT_CHARS => (Some(t), false),
        Some(t) => match t.char_indices().nth(MAX_TEXT_CHARS) {
            Some((end, _)) => (Some(t[..end].to_string()), true),
            None => (Some(t), false),
        },
        None => (None, false),
    }
}

fn referral_info(r: crate::messenger::Referral) -> ReferralInfo {
    ReferralInfo {
        reference: r.reference,
        source: r.source,
        kind: r.kind,
        ad_id: r.ad_id,
    }
}

fn unknown_kind_name(raw: &RawValue) -> Option<String> {
    let map: serde_json::Map<String, serde_json::Value> = serde_json::from_str(raw.get()).ok()?;
    map.keys()
        .find(|k| !matches!(k.as_str(), "sender" | "recipient" | "timestamp"))
        .cloned()
}

impl InboundEvent {
    /// An event of `kind` with nothing but its envelope filled in.
    #[allow(clippy::too_many_arguments)]
    pub fn bare(
        account_id: &AccountId,
        page_id: &PageId,
        psid: Option<Psid>,
        channel: Channel,
        kind: EventKind,
        timestamp: Millis,
        received_at: Millis,
        raw: Box<RawValue>,
    ) -> Self {
        InboundEvent {
            account_id: account_id.clone(),
            page_id: page_id.clone(),
            psid,
            channel,
            kind,
            timestamp,
            key: String::new(),
            mid: None,
            text: None,
            attachments: Vec::new(),
            quick_reply_payload: None,
            reply_to_mid: None,
            postback: None,
            watermark: None,
            mids: Vec::new(),
            reaction: None,
            num_edit: None,
            referral: None,
            handover: None,
            app_id: None,
            metadata: None,
            is_echo: false,
            unsupported: false,
            text_cut: false,
            policy: None,
            unknown_kind: None,
            received_at,
            raw,
        }
    }

    /// A note Switchboard writes on a conversation's timeline.
    pub fn system_note(
        account_id: &AccountId,
        page_id: &PageId,
        psid: &Psid,
        text: &str,
        at: Millis,
    ) -> Self {
        let raw = serde_json::json!({ "system": text }).to_string();
        let raw = RawValue::from_string(raw).unwrap_or_default();
        let mut ev = Self::bare(
            account_id,
            page_id,
            Some(psid.clone()),
            Channel::Messaging,
            EventKind::System,
            at,
            at,
            raw,
        );
        ev.key = format!("system:{psid}:{}:{text}", at.0);
        ev.text = Some(text.to_string());
        ev
    }
}

/// How deeply `json` nests (arrays and objects), counted without parsing
/// it and without recursion.
pub fn nesting_depth(json: &str) -> usize {
    let (mut depth, mut max, mut in_str, mut escaped) = (0usize, 0usize, false, false);
    for b in json.bytes() {
        if in_str {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_str = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_is_counted_outside_strings() {
        assert_eq!(nesting_depth("1"), 0);
        assert_eq!(nesting_depth(r#"{"a":[1,{"b":"[[[{{"}]}"#), 3);
        assert_eq!(nesting_depth(r#"{"a":"\"[[[["}"#), 1);
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert_eq!(nesting_depth(&deep), 200);
    }
}
