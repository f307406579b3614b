//! Meta's Messenger webhook payloads, typed.
//!
//! A delivery is `{object: "page", entry: [{id, time, messaging: [..], standby: [..]}]}`.
//! Every event of every entry is read, from both `messaging` and `standby`.
//! Each event is kept as the exact JSON Meta sent (`raw`) next to its typed
//! reading, so a kind Switchboard does not know yet is stored, not rejected.

use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

/// The top level of a delivery. Events stay raw until [`Entry::events`].
#[derive(Debug, Deserialize)]
pub struct Delivery<'a> {
    pub object: String,
    /// Read one at a time, so an odd entry does not spoil the others.
    #[serde(default, borrow)]
    pub entry: Vec<&'a RawValue>,
}

#[derive(Debug, Deserialize)]
pub struct Entry<'a> {
    #[serde(deserialize_with = "string_or_number")]
    pub id: String,
    /// Meta's entry time; a number, a numeric string, or anything else
    /// (then ignored).
    #[serde(default, deserialize_with = "lenient_i64")]
    pub time: Option<i64>,
    #[serde(default, borrow)]
    pub messaging: Vec<&'a RawValue>,
    #[serde(default, borrow)]
    pub standby: Vec<&'a RawValue>,
}

/// Where in the entry an event came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// This app owns the thread.
    Messaging,
    /// Another app owns the thread (handover protocol).
    Standby,
}

/// One messaging event: the envelope every kind shares plus the kind's body.
/// Unknown keys are ignored here; they survive in the raw JSON.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct MessagingEvent {
    #[serde(default)]
    pub sender: Option<Party>,
    #[serde(default)]
    pub recipient: Option<Party>,
    #[serde(default, deserialize_with = "lenient_i64")]
    pub timestamp: Option<i64>,
    #[serde(default)]
    pub message: Option<Message>,
    #[serde(default)]
    pub postback: Option<Postback>,
    #[serde(default)]
    pub delivery: Option<DeliveryReceipt>,
    #[serde(default)]
    pub read: Option<ReadReceipt>,
    #[serde(default)]
    pub reaction: Option<Reaction>,
    #[serde(default)]
    pub message_edit: Option<MessageEdit>,
    #[serde(default)]
    pub referral: Option<Referral>,
    #[serde(default)]
    pub pass_thread_control: Option<Handover>,
    #[serde(default)]
    pub take_thread_control: Option<Handover>,
    #[serde(default)]
    pub request_thread_control: Option<Handover>,
    #[serde(default)]
    pub app_roles: Option<serde_json::Value>,
    #[serde(default)]
    pub optin: Option<Optin>,
    #[serde(default, alias = "policy-enforcement")]
    pub policy_enforcement: Option<PolicyEnforcement>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct PolicyEnforcement {
    #[serde(default)]
    pub action: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Party {
    #[serde(deserialize_with = "string_or_number")]
    pub id: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Message {
    #[serde(default)]
    pub mid: Option<String>,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub is_echo: bool,
    /// The customer unsent this message.
    #[serde(default)]
    pub is_deleted: bool,
    /// Messenger could not show what the customer sent.
    #[serde(default)]
    pub is_unsupported: bool,
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub app_id: Option<String>,
    #[serde(default)]
    pub metadata: Option<String>,
    #[serde(default)]
    pub quick_reply: Option<QuickReply>,
    #[serde(default)]
    pub reply_to: Option<ReplyTo>,
    #[serde(default)]
    pub attachments: Vec<Attachment>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct QuickReply {
    #[serde(default)]
    pub payload: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ReplyTo {
    #[serde(default)]
    pub mid: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Attachment {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub payload: Option<AttachmentPayload>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct AttachmentPayload {
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub sticker_id: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Postback {
    #[serde(default)]
    pub mid: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub payload: Option<String>,
    #[serde(default)]
    pub referral: Option<Referral>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct DeliveryReceipt {
    #[serde(default)]
    pub mids: Vec<String>,
    #[serde(default, deserialize_with = "lenient_i64")]
    pub watermark: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ReadReceipt {
    #[serde(default, deserialize_with = "lenient_i64")]
    pub watermark: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Reaction {
    #[serde(default)]
    pub reaction: Option<String>,
    #[serde(default)]
    pub emoji: Option<String>,
    #[serde(default)]
    pub action: Option<String>,
    #[serde(default)]
    pub mid: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct MessageEdit {
    #[serde(default)]
    pub mid: Option<String>,
    #[serde(default)]
    pub text: Option<String>,
    /// Sometimes sent as a string.
    #[serde(default, deserialize_with = "lenient_i64")]
    pub num_edit: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Referral {
    #[serde(rename = "ref", default)]
    pub reference: Option<String>,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub ad_id: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Handover {
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub previous_owner_app_id: Option<String>,
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub new_owner_app_id: Option<String>,
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub requested_owner_app_id: Option<String>,
    #[serde(default)]
    pub metadata: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Optin {
    #[serde(rename = "ref", default)]
    pub reference: Option<String>,
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub payload: Option<String>,
    #[serde(default)]
    pub user_ref: Option<String>,
}

impl<'a> Entry<'a> {
    /// Every event of the entry, `messaging` first then `standby`, each
    /// with its channel and raw JSON.
    pub fn events(&self) -> impl Iterator<Item = (Channel, &'a RawValue)> + '_ {
        self.messaging
            .iter()
            .map(|r| (Channel::Messaging, *r))
            .chain(self.standby.iter().map(|r| (Channel::Standby, *r)))
    }
}

/// Meta sends most ids as strings but some (app ids, sticker ids) as numbers.
fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum SN {
        S(String),
        U(u64),
        I(i64),
    }
    Ok(match SN::deserialize(d)? {
        SN::S(s) => s,
        SN::U(n) => n.to_string(),
        SN::I(n) => n.to_string(),
    })
}

fn opt_string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum SN {
        S(String),
        U(u64),
        I(i64),
        F(f64),
    }
    Ok(match Option::<SN>::deserialize(d)? {
        None => None,
        Some(SN::S(s)) => Some(s),
        Some(SN::U(n)) => Some(n.to_string()),
        Some(SN::I(n)) => Some(n.to_string()),
        Some(SN::F(n)) => Some(n.to_string()),
    })
}

/// A number Meta may send as a JSON number or as a numeric string; any
/// other value reads as absent rather than failing the event.
fn lenient_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    d.deserialize_any(LenientI64)
}

/// Reads a number, a numeric string, or anything else (as `None`) without
/// buffering the value.
struct LenientI64;

impl<'de> serde::de::Visitor<'de> for LenientI64 {
    type Value = Option<i64>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a number or a numeric string")
    }
    fn visit_i64<E>(self, n: i64) -> Result<Self::Value, E> {
        Ok(Some(n))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Self::Value, E> {
        Ok(Some(i64::try_from(n).unwrap_or(i64::MAX)))
    }
    fn visit_f64<E>(self, f: f64) -> Result<Self::Value, E> {
        Ok(f.is_finite().then_some(f as i64))
    }
    fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
        Ok(s.trim().parse().ok())
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
        while a.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
        while a
            .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
            .is_some()
        {}
        Ok(None)
    }
}
