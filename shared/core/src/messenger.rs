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
/// Unknown keys are ignored here; they survive in the raw JSON. In every
/// struct below marked `#[serde(default)]` each field may be absent (it then
/// reads as empty).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct MessagingEvent {
    pub sender: Option<Party>,
    pub recipient: Option<Party>,
    #[serde(deserialize_with = "lenient_i64")]
    pub timestamp: Option<i64>,
    pub message: Option<Message>,
    pub postback: Option<Postback>,
    pub delivery: Option<DeliveryReceipt>,
    pub read: Option<ReadReceipt>,
    pub reaction: Option<Reaction>,
    pub message_edit: Option<MessageEdit>,
    pub referral: Option<Referral>,
    pub pass_thread_control: Option<Handover>,
    pub take_thread_control: Option<Handover>,
    pub request_thread_control: Option<Handover>,
    pub app_roles: Option<serde_json::Value>,
    pub optin: Option<Optin>,
    #[serde(alias = "policy-enforcement")]
    pub policy_enforcement: Option<PolicyEnforcement>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PolicyEnforcement {
    pub action: Option<String>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Party {
    #[serde(deserialize_with = "string_or_number")]
    pub id: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Message {
    pub mid: Option<String>,
    pub text: Option<String>,
    pub is_echo: bool,
    /// The customer unsent this message.
    pub is_deleted: bool,
    /// Messenger could not show what the customer sent.
    pub is_unsupported: bool,
    #[serde(deserialize_with = "opt_string_or_number")]
    pub app_id: Option<String>,
    pub metadata: Option<String>,
    pub quick_reply: Option<QuickReply>,
    pub reply_to: Option<ReplyTo>,
    pub attachments: Vec<Attachment>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct QuickReply {
    pub payload: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ReplyTo {
    pub mid: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Attachment {
    #[serde(rename = "type")]
    pub kind: String,
    pub payload: Option<AttachmentPayload>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct AttachmentPayload {
    pub url: Option<String>,
    #[serde(deserialize_with = "opt_string_or_number")]
    pub sticker_id: Option<String>,
    pub title: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Postback {
    pub mid: Option<String>,
    pub title: Option<String>,
    pub payload: Option<String>,
    pub referral: Option<Referral>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DeliveryReceipt {
    pub mids: Vec<String>,
    #[serde(deserialize_with = "lenient_i64")]
    pub watermark: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ReadReceipt {
    #[serde(deserialize_with = "lenient_i64")]
    pub watermark: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Reaction {
    pub reaction: Option<String>,
    pub emoji: Option<String>,
    pub action: Option<String>,
    pub mid: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct MessageEdit {
    pub mid: Option<String>,
    pub text: Option<String>,
    /// Sometimes sent as a string.
    #[serde(deserialize_with = "lenient_i64")]
    pub num_edit: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Referral {
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    pub source: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    #[serde(deserialize_with = "opt_string_or_number")]
    pub ad_id: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Handover {
    #[serde(deserialize_with = "opt_string_or_number")]
    pub previous_owner_app_id: Option<String>,
    #[serde(deserialize_with = "opt_string_or_number")]
    pub new_owner_app_id: Option<String>,
    #[serde(deserialize_with = "opt_string_or_number")]
    pub requested_owner_app_id: Option<String>,
    pub metadata: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Optin {
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub payload: Option<String>,
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
