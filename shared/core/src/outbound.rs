//! What goes back to the customer: outbound messages, Meta's messaging
//! window, the Send API body, and what each Graph error means for a send.
//! Pure and synchronous: the agent API (to refuse early, `422`) and the
//! sender (to decide again when it sends, since the clock moved) both call
//! it, so they cannot disagree.

use crate::graph::{DEPRECATED_TAGS, ErrorClass, GraphError};
use crate::ids::{AgentId, ConversationId, OutboundId, PageId, Psid};
use crate::time::{self, Millis};
pub use crate::window::{SendAs, WindowClosed};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Longest text the Send API takes.
pub const MAX_TEXT: usize = 2000;
/// Most quick replies on one message.
pub const MAX_QUICK_REPLIES: usize = 13;
/// Attempts at a send before a transient failure becomes final.
pub const MAX_ATTEMPTS: u32 = 6;
/// Receives of one outbound queue message before it goes to the dead-letter
/// queue (infra/template.yaml's `maxReceiveCount` too). Above
/// [`MAX_ATTEMPTS`]: a message returned untried behind a retried one in its
/// conversation is received again without being attempted.
pub const MAX_RECEIVES: u32 = 20;
/// How long a claimed send waits for its echo before it is sent again.
pub const CLAIM_GRACE_MS: i64 = 60_000;
/// A message still queued this long after its creation (or its last claim)
/// is put on the outbound queue again by the scheduler's sweep.
pub const STALE_AFTER_MS: i64 = 5 * 60_000;
/// A message still queued this long after its creation is failed with a
/// reason by the sweep: nobody answers a customer an hour late unawares.
pub const GIVE_UP_AFTER_MS: i64 = 60 * 60_000;

/// Who wrote it: the window policy differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Author {
    /// A human agent.
    Agent { agent_id: AgentId },
    /// An automated message (`kind`: queued, assigned, out_of_hours...).
    Automated { message: String },
    /// The post-conversation survey.
    Survey,
    /// The workstream's bot (an answer, or through the bot API).
    Bot,
}

impl Author {
    pub fn is_human(&self) -> bool {
        matches!(self, Self::Agent { .. })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuickReply {
    pub title: String,
    pub payload: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttachmentKind {
    Image,
    Audio,
    Video,
    File,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Content {
    Text {
        text: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        quick_replies: Vec<QuickReply>,
    },
    Attachment {
        kind: AttachmentKind,
        url: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        quick_replies: Vec<QuickReply>,
    },
    /// Not a message: Conversation Routing passes the thread to another app
    /// (a closed conversation handed back). It goes through the sender so
    /// it follows the conversation's last messages (the survey) in order.
    PassThread {
        target_app_id: crate::ids::AppId,
        metadata: String,
    },
}

/// Why content cannot be sent as it is (`422` at the agent API).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContentError {
    #[error("the text is empty")]
    Empty,
    #[error("the text has {0} characters; Messenger takes at most 2000")]
    TooLong(usize),
    #[error("attachment URLs must be https: {0:?}")]
    NotHttps(String),
    #[error(
        "at most 13 quick replies, each with a title of 1 to 20 characters and a payload of 1 to 1000"
    )]
    QuickReplies,
}

impl Content {
    pub fn quick_replies(&self) -> &[QuickReply] {
        match self {
            Content::Text { quick_replies, .. } | Content::Attachment { quick_replies, .. } => {
                quick_replies
            }
            Content::PassThread { .. } => &[],
        }
    }

    pub fn check(&self) -> Result<(), ContentError> {
        let qrs = match self {
            Content::Text {
                text,
                quick_replies,
            } => {
                if text.trim().is_empty() {
                    return Err(ContentError::Empty);
                }
                let n = text.chars().count();
                if n > MAX_TEXT {
                    return Err(ContentError::TooLong(n));
                }
                quick_replies
            }
            Content::Attachment {
                url, quick_replies, ..
            } => {
                let ok = url.strip_prefix("https://").is_some_and(|rest| {
                    !rest.is_empty()
                        && !rest.starts_with('/')
                        && !rest.contains(char::is_whitespace)
                });
                if !ok {
                    return Err(ContentError::NotHttps(url.chars().take(200).collect()));
                }
                quick_replies
            }
            Content::PassThread { .. } => return Ok(()),
        };
        let qr_ok = qrs.len() <= MAX_QUICK_REPLIES
            && qrs.iter().all(|q| {
                (1..=20).contains(&q.title.chars().count())
                    && (1..=1000).contains(&q.payload.chars().count())
            });
        if qr_ok {
            Ok(())
        } else {
            Err(ContentError::QuickReplies)
        }
    }
}

/// Where an outbound message is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Status {
    /// Waiting for the sender (or for a retry).
    Queued,
    /// Meta accepted it.
    Sent {
        message_id: String,
        messaging_type: SendAs,
        #[serde(with = "time::rfc3339")]
        at: Millis,
    },
    /// Final failure, with Meta's code and a sentence the agent can act on.
    Failed {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        subcode: Option<i64>,
        reason: String,
        #[serde(with = "time::rfc3339")]
        at: Millis,
    },
}

/// A message to the customer, from its creation to its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outbound {
    pub id: OutboundId,
    pub conversation_id: ConversationId,
    pub page_id: PageId,
    pub psid: Psid,
    pub author: Author,
    pub content: Content,
    #[serde(flatten)]
    pub status: Status,
    /// Send attempts so far.
    #[serde(default)]
    pub attempts: u32,
    /// A send to Meta began then and has no known outcome yet (the sender
    /// stopped, or Meta timed out): before sending again, the sender waits
    /// [`CLAIM_GRACE_MS`] for the echo that would confirm it.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::rfc3339::option"
    )]
    pub claimed_at: Option<Millis>,
    #[serde(with = "time::rfc3339")]
    pub created_at: Millis,
}

/// Meta's messaging window for one message (the policy is
/// [`crate::window::send_as`]): `RESPONSE` within 24 hours of the
/// customer's last message; from 24 hours to 7 days only a human's message,
/// only with the workstream's HUMAN_AGENT tag on; never otherwise.
/// Automated messages, surveys and bots are never tagged.
pub fn window(
    last_customer_message_at: Option<Millis>,
    now: Millis,
    author: &Author,
    human_agent_tag: bool,
) -> Result<SendAs, WindowClosed> {
    crate::window::send_as(
        last_customer_message_at,
        now,
        author.is_human(),
        human_agent_tag,
    )
}

/// The body of `POST /{page}/pass_thread_control`.
pub fn pass_thread_body(
    psid: &Psid,
    target: &crate::ids::AppId,
    metadata: &str,
) -> serde_json::Value {
    serde_json::json!({"recipient": {"id": psid}, "target_app_id": target, "metadata": metadata})
}

/// The Send API body. `metadata` comes back on the echo, so the echo of our
/// own send is matched to it and not shown twice.
pub fn send_body(
    psid: &Psid,
    content: &Content,
    send_as: SendAs,
    metadata: &str,
) -> serde_json::Value {
    let quick = |qrs: &[QuickReply]| -> Option<serde_json::Value> {
        (!qrs.is_empty()).then(|| {
            qrs.iter()
                .map(|q| serde_json::json!({"content_type": "text", "title": q.title, "payload": q.payload}))
                .collect()
        })
    };
    let mut message = match content {
        Content::Text {
            text,
            quick_replies,
        } => {
            let mut m = serde_json::json!({ "text": text });
            if let Some(q) = quick(quick_replies) {
                m["quick_replies"] = q;
            }
            m
        }
        Content::Attachment {
            kind,
            url,
            quick_replies,
        } => {
            let mut m = serde_json::json!({ "attachment": {"type": kind, "payload": {"url": url, "is_reusable": true}} });
            if let Some(q) = quick(quick_replies) {
                m["quick_replies"] = q;
            }
            m
        }
        Content::PassThread {
            target_app_id,
            metadata,
        } => return pass_thread_body(psid, target_app_id, metadata),
    };
    message["metadata"] = metadata.chars().take(999).collect::<String>().into();
    let mut body = serde_json::json!({ "recipient": {"id": psid}, "message": message });
    match send_as {
        SendAs::Response => body["messaging_type"] = "RESPONSE".into(),
        SendAs::HumanAgent => {
            body["messaging_type"] = "MESSAGE_TAG".into();
            body["tag"] = "HUMAN_AGENT".into();
        }
    }
    debug_assert!(
        body["tag"]
            .as_str()
            .is_none_or(|t| !DEPRECATED_TAGS.contains(&t))
    );
    body
}

/// What a failed send leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Try again after this long (exponential backoff with jitter, or
    /// Meta's time to regain access when it gave one).
    Retry(Duration),
    /// Final: the message failed, with Meta's code and a sentence.
    Fail {
        code: Option<i64>,
        subcode: Option<i64>,
        reason: String,
    },
    /// Final, and the page's token is bad: the page goes to `error` too.
    FailToken {
        code: Option<i64>,
        subcode: Option<i64>,
        reason: String,
    },
}

/// Backoff before attempt `attempt + 1` (attempt counts from 1): 2, 4, 8,
/// 16, 32 s... capped at 5 minutes, with up to 25% jitter (`jitter` in 0..1).
pub fn backoff(attempt: u32, jitter: f64) -> Duration {
    let base = 2f64.powi(attempt.clamp(1, 20) as i32).min(300.0);
    Duration::from_secs_f64(base * (1.0 + 0.25 * jitter.clamp(0.0, 1.0)))
}

/// Decide what a Graph error on attempt `attempt` (from 1) means.
pub fn on_error(err: &GraphError, attempt: u32, jitter: f64) -> Failure {
    let (code, subcode, reason) = (err.code, err.subcode, err.explain());
    match err.class() {
        ErrorClass::Token => Failure::FailToken {
            code,
            subcode,
            reason,
        },
        ErrorClass::Permanent => Failure::Fail {
            code,
            subcode,
            reason,
        },
        ErrorClass::Transient if attempt >= MAX_ATTEMPTS => Failure::Fail {
            code,
            subcode,
            reason: format!("{reason} Gave up after {attempt} attempts."),
        },
        ErrorClass::Transient => Failure::Retry(
            err.retry_after
                .unwrap_or_else(|| backoff(attempt, jitter))
                .min(Duration::from_secs(12 * 3600)),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_carry_the_type_tag_and_metadata() {
        let psid = Psid::parse("7700000000000001").unwrap();
        let text = Content::Text {
            text: "Hello".into(),
            quick_replies: vec![QuickReply {
                title: "Yes".into(),
                payload: "Y".into(),
            }],
        };
        let b = send_body(&psid, &text, SendAs::Response, "ob_1");
        assert_eq!(b["messaging_type"], "RESPONSE");
        assert!(b.get("tag").is_none());
        assert_eq!(b["recipient"]["id"], "7700000000000001");
        assert_eq!(b["message"]["text"], "Hello");
        assert_eq!(b["message"]["metadata"], "ob_1");
        assert_eq!(b["message"]["quick_replies"][0]["content_type"], "text");
        let b = send_body(&psid, &text, SendAs::HumanAgent, "ob_1");
        assert_eq!(
            (b["messaging_type"].as_str(), b["tag"].as_str()),
            (Some("MESSAGE_TAG"), Some("HUMAN_AGENT"))
        );
        let att = Content::Attachment {
            kind: AttachmentKind::Image,
            url: "https://example.com/a.png".into(),
            quick_replies: vec![],
        };
        let b = send_body(&psid, &att, SendAs::Response, "ob_2");
        assert_eq!(b["message"]["attachment"]["type"], "image");
        assert_eq!(
            b["message"]["attachment"]["payload"]["url"],
            "https://example.com/a.png"
        );
    }

    #[test]
    fn content_is_checked() {
        let t = |s: &str| Content::Text {
            text: s.into(),
            quick_replies: vec![],
        };
        assert_eq!(t(&"a".repeat(2000)).check(), Ok(()));
        assert_eq!(
            t(&"a".repeat(2001)).check(),
            Err(ContentError::TooLong(2001))
        );
        assert_eq!(t("  ").check(), Err(ContentError::Empty));
        let a = |u: &str| Content::Attachment {
            kind: AttachmentKind::File,
            url: u.into(),
            quick_replies: vec![],
        };
        assert!(a("http://example.com/x").check().is_err());
        assert!(a("https://").check().is_err());
        assert!(a("https://cdn.example.com/x.pdf").check().is_ok());
    }

    #[test]
    fn errors_retry_fail_or_stop_the_page() {
        let err = |code: i64, sub: Option<i64>| GraphError {
            status: 400,
            code: Some(code),
            subcode: sub,
            message: "m".into(),
            fbtrace_id: None,
            retry_after: None,
        };
        assert_eq!(
            on_error(&err(613, None), 1, 0.0),
            Failure::Retry(Duration::from_secs(2))
        );
        assert_eq!(
            on_error(&err(613, None), 3, 1.0),
            Failure::Retry(Duration::from_secs(10))
        );
        assert!(matches!(
            on_error(&err(613, None), MAX_ATTEMPTS, 0.0),
            Failure::Fail { .. }
        ));
        let mut slow = err(4, None);
        slow.retry_after = Some(Duration::from_secs(600));
        assert_eq!(
            on_error(&slow, 1, 0.5),
            Failure::Retry(Duration::from_secs(600)),
            "Meta's time to regain access wins"
        );
        assert!(matches!(
            on_error(&err(190, Some(463)), 1, 0.0),
            Failure::FailToken {
                code: Some(190),
                ..
            }
        ));
        match on_error(&err(551, None), 1, 0.0) {
            Failure::Fail { code, reason, .. } => {
                assert_eq!(code, Some(551));
                assert!(reason.contains("unavailable"));
            }
            other => panic!("{other:?}"),
        }
        assert!(backoff(30, 1.0) <= Duration::from_secs(375));
    }
}
