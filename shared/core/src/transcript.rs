//! An agent's view of a conversation: customer messages, the Page
//! inbox's, ours with their status (receipts applied), routing's steps,
//! and internal notes ([`with_notes`]).

use crate::event::{EventKind, InboundEvent};
use crate::outbound::{Author, Content, Outbound, Status};
use crate::ports::Conversation;
use crate::time::Millis;
use serde::Serialize;

/// One line of a transcript.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Entry {
    #[serde(with = "crate::time::rfc3339")]
    pub at: Millis,
    /// customer, agent, automated, survey, bot, page_inbox, system; `note` for
    /// an internal note (never sent to the customer; see [`with_notes`]).
    pub from: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attachments: Option<serde_json::Value>,
    /// For outbound messages: queued, sent, delivered, read, failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outbound_id: Option<crate::ids::OutboundId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<crate::ids::AgentId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// For outbound messages: the quick replies offered (title, payload).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub quick_replies: Vec<crate::outbound::QuickReply>,
}

impl Entry {
    fn new(at: Millis, from: &'static str) -> Self {
        Self {
            at,
            from,
            text: None,
            attachments: None,
            status: None,
            outbound_id: None,
            agent_id: None,
            failure: None,
            note: None,
            quick_replies: Vec::new(),
        }
    }
}

/// The conversation as the agent reads it: customer messages, the Page
/// inbox's, ours with their status (receipts applied), and routing's steps.
/// Our own echoes are not shown a second time.
pub fn transcript(
    conv: &Conversation,
    events: &[InboundEvent],
    outbound: &[Outbound],
    customer_attachments: bool,
) -> Vec<Entry> {
    let ours_mid: std::collections::HashSet<&str> = outbound
        .iter()
        .filter_map(|m| match &m.status {
            Status::Sent { message_id, .. } => Some(message_id.as_str()),
            _ => None,
        })
        .collect();
    let ours_id: std::collections::HashSet<&str> = outbound.iter().map(|m| m.id.as_str()).collect();
    let mut delivered_wm = i64::MIN;
    let mut read_wm = i64::MIN;
    let mut delivered_mids = std::collections::HashSet::new();
    // Messages the customer unsent: shown as unsent, their text withheld.
    let unsent: std::collections::HashSet<&str> = events
        .iter()
        .filter(|e| e.kind == EventKind::Unsend)
        .filter_map(|e| e.mid.as_deref())
        .collect();
    let mut out = Vec::new();
    for e in events {
        match e.kind {
            EventKind::Delivery => {
                delivered_wm = delivered_wm.max(e.watermark.unwrap_or(i64::MIN));
                delivered_mids.extend(e.mids.iter().map(String::as_str));
            }
            EventKind::Read => read_wm = read_wm.max(e.watermark.unwrap_or(i64::MIN)),
            EventKind::Echo => {
                let ours = e.metadata.as_deref().is_some_and(|m| ours_id.contains(m))
                    || e.mid.as_deref().is_some_and(|m| ours_mid.contains(m));
                if !ours {
                    let mut en = Entry::new(e.timestamp, "page_inbox");
                    en.text = e.text.clone();
                    en.note = e
                        .app_id
                        .as_ref()
                        .map(|a| format!("sent by app {a} or the Page inbox"));
                    out.push(en);
                }
            }
            EventKind::Handover => {
                let mut en = Entry::new(e.timestamp, "system");
                en.text = e.handover.as_ref().map(crate::thread_control::describe);
                out.push(en);
            }
            k if k.is_customer_activity() => {
                let mut en = Entry::new(e.timestamp, "customer");
                if e.mid.as_deref().is_some_and(|m| unsent.contains(m)) {
                    en.note = Some("the customer unsent this message".into());
                    out.push(en);
                    continue;
                }
                en.text = e.text.clone().or_else(|| {
                    e.postback
                        .as_ref()
                        .map(|p| p.title.clone().unwrap_or_default())
                });
                en.note = crate::activity::describe(e);
                if e.unsupported {
                    en.note = Some(
                        "Messenger could not show this message here; ask the customer to send it another way"
                            .into(),
                    );
                }
                if e.text_cut {
                    en.note = Some(format!(
                        "the message was longer than {} characters; the rest is in the timeline's raw event",
                        crate::event::MAX_TEXT_CHARS
                    ));
                }
                if !e.attachments.is_empty() {
                    if customer_attachments {
                        en.attachments = serde_json::to_value(&e.attachments).ok();
                        en.note = Some(
                            "attachment links come from Meta and expire; open them soon".into(),
                        );
                    } else {
                        en.note = Some(format!(
                            "the customer sent {} attachment(s); this workstream does not deliver them to agents",
                            e.attachments.len()
                        ));
                    }
                }
                out.push(en);
            }
            _ => {}
        }
    }
    for m in outbound {
        let mut en = Entry::new(
            m.created_at,
            match &m.author {
                _ if matches!(m.content, Content::PassThread { .. }) => "system",
                Author::Agent { .. } => "agent",
                Author::Automated { .. } => "automated",
                Author::Survey => "survey",
                Author::Bot => "bot",
            },
        );
        if let Author::Agent { agent_id } = &m.author {
            en.agent_id = Some(agent_id.clone());
        }
        match &m.content {
            Content::Text {
                text,
                quick_replies,
            } => {
                en.text = Some(text.clone());
                en.quick_replies = quick_replies.clone();
            }
            Content::Attachment { kind, url, .. } => {
                en.attachments = Some(serde_json::json!([{"type": kind, "url": url}]))
            }
            Content::PassThread { target_app_id, .. } => {
                en.text = Some(format!(
                    "Conversation Routing: the conversation is handed back to {}",
                    crate::thread_control::app_name(Some(target_app_id.as_str()))
                ));
            }
        }
        en.outbound_id = Some(m.id.clone());
        en.status = Some(match &m.status {
            Status::Queued => "queued",
            Status::Sent { at, message_id, .. } => {
                if at.0 <= read_wm {
                    "read"
                } else if at.0 <= delivered_wm || delivered_mids.contains(message_id.as_str()) {
                    "delivered"
                } else {
                    "sent"
                }
            }
            Status::Failed {
                code,
                subcode,
                reason,
                ..
            } => {
                en.failure =
                    Some(serde_json::json!({"code": code, "subcode": subcode, "reason": reason}));
                "failed"
            }
        });
        out.push(en);
    }
    if let Some(r) = &conv.routing {
        for d in &r.decisions {
            let mut en = Entry::new(d.at, "system");
            en.text = Some(format!("{}: {}", d.step, d.detail));
            out.push(en);
        }
    }
    out.sort_by_key(|e| e.at);
    out
}

/// The transcript with a conversation's internal notes merged in time
/// order, each `from: "note"` with its author's `agent_id` and its text:
/// never an outbound message (no `outbound_id`, no `status`). A note
/// written in the same millisecond as another entry comes after it.
pub fn with_notes(mut entries: Vec<Entry>, notes: &[crate::notes::Note]) -> Vec<Entry> {
    for n in notes {
        let mut en = Entry::new(n.created_at, "note");
        en.agent_id = Some(n.agent_id.clone());
        en.text = Some(n.text.clone());
        entries.push(en);
    }
    entries.sort_by_key(|e| e.at);
    entries
}
