//! What an agent does to conversations and contacts, over the ports: the
//! lists they see, a conversation's detail, contacts linked and edited,
//! transfers, closing, replies and sender actions. The caller's rights
//! come from [`crate::visibility`]; errors are the domain's problems.

use crate::contacts;
use crate::delivery::{self, DeliveryError};
use crate::ids::ConversationId;
use crate::outbound::{Author, Content, Outbound, window};
use crate::paging::PageRequest;
use crate::ports::{Contact, Conversation, ConversationFilter, ConversationState};
use crate::problem::Problem;
use crate::problem::Status;
use crate::routing::engine::{self, RoutingDeps, TransferTo};
use crate::routing::model::{AgentId, QueueId};
use crate::send_policy::{ReplyWindow, agent_reply, reply_window, workstream_of};
use crate::transcript::{Entry, transcript, with_notes};
use crate::visibility::{Caller, contact, held, visible, visible_contact};
use serde::Deserialize;

/// The states an agent's list shows unless asked for one.
pub const OPEN_STATES: [ConversationState; 3] = [
    ConversationState::Offered,
    ConversationState::Assigned,
    ConversationState::WrapUp,
];

/// A page of the caller's conversations (a supervisor's: everyone's) in
/// `states`, in order; the cursor names the state it stopped in and the
/// list key in it.
pub async fn list_conversations(
    r: &RoutingDeps,
    who: &Caller,
    states: Vec<ConversationState>,
    page: &PageRequest,
) -> Result<(Vec<Conversation>, Option<String>), Problem> {
    let (first, mut after) = match &page.after {
        Some(c) => {
            let (st, key) = c
                .split_once('|')
                .and_then(|(st, key)| Some((ConversationState::parse(st)?, key)))
                .filter(|(st, _)| states.contains(st))
                .ok_or_else(crate::paging::invalid_cursor)?;
            (
                states.iter().position(|s| *s == st).unwrap_or(0),
                Some(key.to_string()),
            )
        }
        None => (0, None),
    };
    let mut out: Vec<Conversation> = Vec::new();
    for st in states.into_iter().skip(first) {
        let want = page.read() - out.len();
        let list = if who.supervisor {
            r.conversations
                .list_conversations(&ConversationFilter {
                    state: Some(st),
                    limit: Some(want),
                    after: after.take(),
                    ..Default::default()
                })
                .await?
        } else {
            r.routing
                .agent_conversations(&who.agent, st, after.take().as_deref(), want)
                .await?
        };
        out.extend(list);
        if out.len() >= page.read() {
            break;
        }
    }
    Ok(crate::paging::page(out, page, |c| {
        format!("{}|{}", c.state.as_str(), c.list_key())
    }))
}

/// What the agent reads besides the conversation itself.
pub struct Detail {
    pub transcript: Vec<Entry>,
    pub contact: Option<Contact>,
    /// The latest survey answer.
    pub survey: Option<serde_json::Value>,
    /// How a reply would go out now.
    pub reply_window: ReplyWindow,
}

/// How a reply in each of `convs` would go out now (the reply route's rule).
pub async fn reply_windows(
    r: &RoutingDeps,
    convs: &[Conversation],
) -> Result<Vec<ReplyWindow>, Problem> {
    Ok(crate::send_policy::reply_windows(r.workstreams.as_ref(), convs, r.clock.now()).await?)
}

/// Both sides of `conv` as its agent reads them: the customer's messages,
/// ours with their status, routing's steps and the internal notes. The
/// admin timeline shows the same.
pub async fn full_transcript(r: &RoutingDeps, conv: &Conversation) -> Result<Vec<Entry>, Problem> {
    let ws = workstream_of(r.workstreams.as_ref(), conv).await?;
    transcript_in(r, conv, ws.as_ref()).await
}

async fn transcript_in(
    r: &RoutingDeps,
    conv: &Conversation,
    ws: Option<&crate::workstreams::Workstream>,
) -> Result<Vec<Entry>, Problem> {
    let events = r.conversations.timeline(&conv.id).await?;
    let outbound = r.outbound.list_outbound(&conv.id).await?;
    let attachments_on = ws.is_none_or(|w| w.features.customer_attachments);
    Ok(with_notes(
        transcript(conv, &events, &outbound, attachments_on),
        &crate::notes::for_transcript(r, conv).await?,
    ))
}

pub async fn detail(r: &RoutingDeps, conv: &Conversation) -> Result<Detail, Problem> {
    let ws = workstream_of(r.workstreams.as_ref(), conv).await?;
    let contact = r.conversations.get_contact(&conv.contact_id).await?;
    let surveys = r
        .streams
        .read_entries(&delivery::survey_stream(&conv.id), None, 10)
        .await?
        .into_iter()
        .map(|e| e.data)
        .collect::<Vec<_>>();
    Ok(Detail {
        transcript: transcript_in(r, conv, ws.as_ref()).await?,
        contact,
        survey: surveys.last().cloned(),
        reply_window: reply_window(conv, ws.as_ref(), r.clock.now()),
    })
}

/// The contact of a conversation the caller can see.
pub async fn conversation_contact(
    r: &RoutingDeps,
    who: &Caller,
    id: &ConversationId,
) -> Result<Contact, Problem> {
    let conv = visible(r, who, id).await?;
    r.conversations
        .get_contact(&conv.contact_id)
        .await?
        .ok_or_else(|| Problem::not_found(format!("no contact {}", conv.contact_id)))
}

/// Link a held conversation to an existing contact (`{contact_id}`) or to
/// a new one (its fields); the linked conversation's id and the contact.
pub async fn link_contact(
    r: &RoutingDeps,
    conv: &Conversation,
    who: &Caller,
    input: serde_json::Value,
) -> Result<(ConversationId, Contact), Problem> {
    let (contact_id, created) = match input.get("contact_id") {
        Some(v) => {
            if input.as_object().is_some_and(|o| o.len() > 1) {
                return Err(Problem::bad_request(
                    "invalid_body",
                    "send {contact_id} to link an existing contact, or the new contact's fields (name, email, phone, notes) to create one",
                ));
            }
            let target = visible_contact(r, who, v.as_str().unwrap_or_default(), true).await?;
            (target.id, None)
        }
        None => {
            let new: contacts::NewContact = serde_json::from_value(input)
                .map_err(|e| Problem::bad_request("invalid_body", e.to_string()))?;
            let c = create_contact(r, new).await?;
            (c.id.clone(), Some(c))
        }
    };
    let linked = r.conversations.link_contact(&conv.id, &contact_id).await?;
    // A new contact is the one just written; an existing one is read.
    let contact = match created {
        Some(c) => c,
        None => contact(r, contact_id.as_str()).await?,
    };
    Ok((linked.id, contact))
}

pub async fn create_contact(
    r: &RoutingDeps,
    new: contacts::NewContact,
) -> Result<Contact, Problem> {
    let c = contacts::create(new, r.clock.now())?;
    r.conversations.create_contact(&c).await?;
    Ok(c)
}

/// Edit a contact the caller can see. Without a version, a concurrent
/// edit of other fields is reapplied on top; with one, it is refused (409).
pub async fn patch_contact(
    r: &RoutingDeps,
    who: &Caller,
    id: &str,
    change: &serde_json::Value,
) -> Result<Contact, Problem> {
    visible_contact(r, who, id, true).await?;
    for _ in 0..3 {
        let current = contact(r, id).await?;
        let next = contacts::patch(&current, change, r.clock.now())?;
        match r.conversations.update_contact(&next, current.version).await {
            Ok(()) => return Ok(next),
            Err(crate::ports::StoreError::Conflict(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(Problem::new(
        Status::CONFLICT,
        "contact_busy",
        "Changed meanwhile",
        "the contact kept changing; read it again and retry",
    ))
}

/// A page of the conversations of a contact (one the caller can see:
/// [`visible_contact`]).
pub async fn contact_history(
    r: &RoutingDeps,
    c: &Contact,
    page: &PageRequest,
) -> Result<(Vec<Conversation>, Option<String>), Problem> {
    let convs = r
        .conversations
        .contact_conversations(&c.id, page.after.as_deref(), page.read())
        .await?;
    Ok(crate::paging::page(convs, page, Conversation::list_key))
}

/// Where the holder of a conversation hands it on: exactly one of them.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transfer {
    pub queue_id: Option<QueueId>,
    pub agent_id: Option<AgentId>,
}

pub async fn transfer(
    r: &RoutingDeps,
    who: &Caller,
    id: &ConversationId,
    t: Transfer,
) -> Result<Conversation, Problem> {
    let to = match (t.queue_id, t.agent_id) {
        (Some(q), None) => TransferTo::Queue(q),
        (None, Some(a)) => TransferTo::Agent(a),
        _ => {
            return Err(Problem::bad_request(
                "invalid_transfer",
                "give exactly one of queue_id or agent_id",
            ));
        }
    };
    Ok(engine::transfer(r, &who.agent, id, to).await?)
}

/// Close a conversation the caller holds.
pub async fn close(
    r: &RoutingDeps,
    who: &Caller,
    id: &ConversationId,
) -> Result<Conversation, Problem> {
    let conv = held(r, who, id).await?;
    if !conv.state.is_open() {
        return Err(closed(id));
    }
    Ok(engine::close(r, id, &format!("closed by {}", who.agent)).await?)
}

fn closed(id: &ConversationId) -> Problem {
    Problem::new(
        Status::CONFLICT,
        "conversation_closed",
        "Conversation closed",
        format!("conversation {id} is closed"),
    )
}

/// What an agent's reply may be.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reply {
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub attachment: Option<ReplyAttachment>,
    #[serde(default)]
    pub quick_replies: Vec<crate::outbound::QuickReply>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplyAttachment {
    #[serde(rename = "type")]
    pub kind: crate::outbound::AttachmentKind,
    pub url: String,
}

fn unprocessable(code: &'static str, title: &'static str, detail: impl Into<String>) -> Problem {
    Problem::new(Status::UNPROCESSABLE_ENTITY, code, title, detail)
}

/// The conversation the caller may reply in: open, and assigned to them.
pub async fn reply_target(
    r: &RoutingDeps,
    who: &Caller,
    id: &ConversationId,
) -> Result<Conversation, Problem> {
    let conv = visible(r, who, id).await?;
    if !conv.state.is_open() {
        return Err(closed(id));
    }
    let mine = conv.routing.as_ref().and_then(|r| r.agent.as_ref()) == Some(&who.agent);
    if !mine || conv.state == ConversationState::Offered {
        return Err(Problem::new(
            Status::CONFLICT,
            "not_assigned",
            "Not assigned to you",
            format!("conversation {id} is not assigned to you; accept the offer first"),
        ));
    }
    Ok(conv)
}

/// Queue the agent's reply in a conversation from [`reply_target`], under
/// the workstream's features and Meta's messaging window.
pub async fn reply(
    r: &RoutingDeps,
    who: &Caller,
    conv: &Conversation,
    input: Reply,
) -> Result<Outbound, Problem> {
    let content = match (input.text, input.attachment) {
        (Some(text), None) => Content::Text {
            text,
            quick_replies: input.quick_replies,
        },
        (None, Some(a)) => Content::Attachment {
            kind: a.kind,
            url: a.url,
            quick_replies: input.quick_replies,
        },
        _ => {
            return Err(Problem::bad_request(
                "invalid_body",
                "give either text or attachment: {type, url}",
            ));
        }
    };
    if content.quick_replies().iter().any(|q| {
        q.payload
            .to_ascii_uppercase()
            .starts_with(delivery::SURVEY_PAYLOAD)
    }) {
        return Err(unprocessable(
            "reserved_payload",
            "Reserved payload",
            format!(
                "quick-reply payloads starting with {:?} are Switchboard's own",
                delivery::SURVEY_PAYLOAD
            ),
        ));
    }
    content.check().map_err(|e| {
        let code = match e {
            crate::outbound::ContentError::TooLong(_) => "text_too_long",
            crate::outbound::ContentError::NotHttps(_) => "attachment_url_not_https",
            crate::outbound::ContentError::Empty => "empty_message",
            crate::outbound::ContentError::QuickReplies => "invalid_quick_replies",
        };
        unprocessable(code, "Message not sendable", e.to_string())
    })?;
    let ws = workstream_of(r.workstreams.as_ref(), conv).await?;
    if matches!(content, Content::Attachment { .. })
        && ws.as_ref().is_some_and(|w| !w.features.agent_attachments)
    {
        return Err(unprocessable(
            "attachments_disabled",
            "Attachments are off",
            "this workstream does not let agents send attachments",
        ));
    }
    let author = Author::Agent {
        agent_id: who.agent.clone(),
    };
    if let Err(closed) = agent_reply(conv, ws.as_ref(), r.clock.now()) {
        return Err(unprocessable(
            "messaging_window_closed",
            "Messaging window closed",
            closed.reason.clone(),
        )
        .with("closed_at", closed.closed_at.to_rfc3339()));
    }
    let sent = delivery::enqueue(r, conv, author, content)
        .await
        .map_err(|e| match e {
            DeliveryError::Store(s) => Problem::from(s),
            DeliveryError::Queue(q) => {
                Problem::unavailable(format!("the message was not queued ({q}); send it again"))
            }
        })?;
    if conv.state == ConversationState::Assigned
        && conv
            .routing
            .as_ref()
            .is_some_and(|r| r.answered_at.is_none() || r.window_escalated_at.is_some())
        && let Err(e) = crate::routing::engine::answered(r, &who.agent, &conv.id).await
    {
        // The reclaim timer looks at the outbound messages too.
        tracing::warn!(conversation_id = %conv.id, error = %e, "reply not marked (first reply, or the end of an escalation)");
    }
    Ok(sent)
}

/// A typing indicator or mark-seen, as the typing request asks for it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Typing {
    #[serde(default = "yes")]
    pub on: bool,
    #[serde(default)]
    pub seen: bool,
}

fn yes() -> bool {
    true
}

impl Typing {
    /// The Send API's `sender_action`.
    pub fn action(&self) -> &'static str {
        match (self.seen, self.on) {
            (true, _) => "mark_seen",
            (false, true) => "typing_on",
            (false, false) => "typing_off",
        }
    }
}

/// Typing indicators and mark-seen go straight to the Send API (they are
/// not messages and are not queued); a failure is answered 502.
pub async fn sender_action(
    ch: &crate::channels::ChannelDeps,
    conv: &Conversation,
    action: &str,
) -> Result<(), Problem> {
    if window(
        conv.last_customer_message_at,
        ch.clock.now(),
        &Author::Survey,
        false,
    )
    .is_err()
    {
        return Err(unprocessable(
            "messaging_window_closed",
            "Messaging window closed",
            "sender actions need the 24-hour window",
        ));
    }
    let token = crate::channels::page_token(ch, &conv.page_id)
        .await?
        .ok_or_else(|| {
            Problem::new(
                Status::CONFLICT,
                "page_token_missing",
                "Page token missing",
                "the page has no access token; connect it again",
            )
        })?;
    let body = serde_json::json!({"recipient": {"id": conv.psid}, "sender_action": action});
    ch.graph
        .send_message(&conv.page_id, &token, &body)
        .await
        .map_err(|e| {
            Problem::new(
                Status::BAD_GATEWAY,
                "graph_error",
                "Meta refused it",
                crate::graph::GraphError::explain(&e),
            )
        })?;
    Ok(())
}
