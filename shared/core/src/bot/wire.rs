//! What travels between Switchboard and a bot: the delivery Switchboard
//! posts for each customer event ([`Delivery`]), and what the bot may
//! answer in its HTTP response or send through the bot API ([`Reply`]).
//! `docs/bot-api.yaml` documents both.

use super::Escalation;
use crate::event::InboundEvent;
use crate::ports::Conversation;
use crate::time::{self, Millis};
use serde::{Deserialize, Serialize};

/// One customer event, as posted to the bot.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Delivery {
    /// The same on every retry of this delivery (also the
    /// `X-Switchboard-Delivery` header).
    pub delivery_id: String,
    pub conversation: DeliveredConversation,
    pub event: DeliveredEvent,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeliveredConversation {
    pub id: String,
    pub workstream: String,
    pub page_id: String,
    pub psid: String,
    pub contact_id: String,
}

/// The customer's event: what they wrote or tapped.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeliveredEvent {
    /// `message`, `postback`, `referral`, `reaction`, ...
    pub kind: String,
    #[serde(with = "time::rfc3339")]
    pub timestamp: Millis,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// A quick reply's or a postback's payload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
    /// A postback's button title (`Get Started`, a menu item).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// An m.me link's, ad's or plugin's `ref`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referral_ref: Option<String>,
    /// Attachment types and links, as Meta sent them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<serde_json::Value>,
}

impl Delivery {
    pub fn of(conv: &Conversation, workstream: &str, event: &InboundEvent) -> Self {
        let postback = event.postback.as_ref();
        Self {
            delivery_id: event.key.clone(),
            conversation: DeliveredConversation {
                id: conv.id.to_string(),
                workstream: workstream.to_string(),
                page_id: conv.page_id.to_string(),
                psid: conv.psid.to_string(),
                contact_id: conv.contact_id.to_string(),
            },
            event: DeliveredEvent {
                kind: event.kind.as_str().to_string(),
                timestamp: event.timestamp,
                mid: event.mid.clone(),
                text: event.text.clone(),
                payload: event
                    .quick_reply_payload
                    .clone()
                    .or_else(|| postback.and_then(|p| p.payload.clone())),
                title: postback.and_then(|p| p.title.clone()),
                referral_ref: event.referral.as_ref().and_then(|r| r.reference.clone()),
                attachments: event
                    .attachments
                    .iter()
                    .filter_map(|a| serde_json::to_value(a).ok())
                    .collect(),
            },
        }
    }
}

/// A bot's quick reply button.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BotQuickReply {
    pub title: String,
    /// What comes back when the customer taps it (defaults to the title).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
}

/// One message the bot sends: a text with optional quick replies, or an
/// attachment by URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BotMessage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quick_replies: Vec<BotQuickReply>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment: Option<BotAttachment>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BotAttachment {
    /// `image`, `audio`, `video` or `file`.
    #[serde(rename = "type")]
    pub kind: crate::outbound::AttachmentKind,
    pub url: String,
}

/// What a bot may answer (in its HTTP response, all optional; an empty
/// `200` means it will act later through the bot API).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reply {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<BotMessage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalate: Option<Escalation>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub end: bool,
}

/// Most messages one answer may send.
pub const MAX_MESSAGES: usize = 5;

impl BotMessage {
    /// The outbound content, or why it cannot be sent (Messenger's limits,
    /// as for an agent's message).
    pub fn content(&self) -> Result<crate::outbound::Content, String> {
        use crate::outbound::{Content, QuickReply};
        let quick_replies = self
            .quick_replies
            .iter()
            .map(|q| QuickReply {
                title: q.title.clone(),
                payload: q.payload.clone().unwrap_or_else(|| q.title.clone()),
            })
            .collect();
        let content = match (&self.text, &self.attachment) {
            (Some(text), None) => Content::Text {
                text: text.clone(),
                quick_replies,
            },
            (None, Some(a)) => Content::Attachment {
                kind: a.kind.clone(),
                url: a.url.clone(),
                quick_replies,
            },
            _ => return Err("a bot message has either a text or an attachment".into()),
        };
        content.check().map_err(|e| e.to_string())?;
        Ok(content)
    }
}

impl Reply {
    /// Check the whole answer before acting on any of it.
    pub fn check(&self) -> Result<Vec<crate::outbound::Content>, String> {
        if self.messages.len() > MAX_MESSAGES {
            return Err(format!("at most {MAX_MESSAGES} messages in one answer"));
        }
        if self.escalate.is_some() && self.end {
            return Err("an answer either escalates or ends, not both".into());
        }
        if let Some(e) = &self.escalate {
            e.check()?;
        }
        self.messages.iter().map(BotMessage::content).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_checked_whole() {
        let r: Reply = serde_json::from_str(
            r#"{"messages":[{"text":"We open at 9","quick_replies":[{"title":"Thanks"}]}]}"#,
        )
        .unwrap();
        let contents = r.check().unwrap();
        assert_eq!(contents.len(), 1);
        let both: Reply =
            serde_json::from_str(r#"{"escalate":{"reason":"x"},"end":true}"#).unwrap();
        assert!(both.check().is_err());
        let long_title: Reply = serde_json::from_str(
            r#"{"messages":[{"text":"t","quick_replies":[{"title":"a title much too long for Meta"}]}]}"#,
        )
        .unwrap();
        assert!(long_title.check().is_err());
        assert!(serde_json::from_str::<Reply>(r#"{"mesages":[]}"#).is_err());
        assert_eq!(
            serde_json::from_str::<Reply>("{}").unwrap(),
            Reply::default()
        );
    }
}
