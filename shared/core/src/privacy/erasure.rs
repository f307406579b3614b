//! Erasing a customer (a page and PSID): everything that identifies the
//! person goes, what the business counts stays.
//!
//! Gone: message texts, attachments, quick-reply and postback payloads and
//! Meta's raw payloads on the timeline; outbound texts; survey free text;
//! internal notes; the agents' feed events about the conversations; the
//! routing attributes and bot and Conversation Routing texts that came from
//! the person's messages; and the contact's name and fields when no other
//! customer who is not erased is linked to it. Kept: the conversations with their times,
//! states and queue, who handled them, survey scores, and Meta's
//! pseudonymous ids (the PSID, message ids) that key them.
//!
//! Every write is an overwrite with the erased copy, so erasure is
//! idempotent: a run that stopped half way is completed by the next. The
//! customer is marked first (`Customer::erased_at`), so an event from
//! before it that Meta delivers late or again is not stored
//! (`AppendOutcome::Erased`), and events' append-once markers stay. An
//! open conversation is closed first, with nothing more sent. The audit
//! record ([`AUDIT_STREAM`]) says who erased what and when, with no
//! personal data: the customer appears as a hash.

use crate::event::InboundEvent;
use crate::ids::{ConversationId, PageId, Psid};
use crate::outbound::{Content, Outbound, Status};
use crate::ports::{Contact, Conversation, StoreError, StreamEntry, stream_cursor};
use crate::problem::{Problem, Status as HttpStatus};
use crate::routing::RoutingDeps;
use crate::routing::model::AgentId;
use crate::routing::record::Routing;
use crate::time::{self, Millis};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;

/// What replaces an erased text.
pub const ERASED: &str = "[erased]";
/// An erased contact's name.
pub const ERASED_NAME: &str = "Erased customer";
/// Meta's raw payload of an erased event.
const ERASED_RAW: &str = r#"{"erased":true}"#;
/// Meta's raw payload of an event whose payload alone went (retention).
const RAW_ONLY_ERASED: &str = r#"{"raw_erased":true}"#;
/// Where erasures are recorded.
pub const AUDIT_STREAM: &str = "audit:erasure";
/// The longest reason, in characters.
pub const MAX_REASON: usize = 500;
/// Conversations read per store call.
const PAGE: usize = 200;
/// Feed entries read per store call.
const FEED_PAGE: usize = 500;

/// What `POST /admin/v1/customers/{page_id}/{psid}/erase` takes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EraseRequest {
    /// Why (kept in the audit record): "subject request by email 2026-11-30".
    pub reason: String,
}

impl EraseRequest {
    /// The reason, trimmed; `422 invalid_reason` when empty or too long.
    pub fn reason(&self) -> Result<String, Problem> {
        let r = self.reason.trim();
        if r.is_empty() || r.chars().count() > MAX_REASON {
            return Err(Problem::new(
                HttpStatus::UNPROCESSABLE_ENTITY,
                "invalid_reason",
                "Invalid reason",
                format!("say why in 1 to {MAX_REASON} characters; the audit record keeps it"),
            ));
        }
        Ok(r.to_string())
    }
}

/// What an erasure did (also the audit record's data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Erasure {
    #[serde(with = "time::rfc3339")]
    pub at: Millis,
    /// Who: "an administrator", "supervisor anna", "Meta's data-deletion request".
    pub by: String,
    pub reason: String,
    pub page_id: PageId,
    /// Hex SHA-256 of `{page_id}:{psid}`: whoever has the PSID can find
    /// its record; the record alone names nobody.
    pub customer_hash: String,
    pub conversations: Vec<ConversationId>,
    /// Records overwritten by this run (a re-run counts only what was left).
    pub events: usize,
    pub outbound: usize,
    pub notes: usize,
    pub survey_answers: usize,
    pub feed_events: usize,
    /// The contact's name and fields were erased (no other customer is
    /// linked to it).
    pub contact_erased: bool,
}

impl Erasure {
    /// A record of an erasure that has overwritten nothing yet.
    fn nothing_yet(
        at: Millis,
        by: String,
        reason: String,
        page_id: PageId,
        customer_hash: String,
    ) -> Self {
        Self {
            at,
            by,
            reason,
            page_id,
            customer_hash,
            conversations: Vec::new(),
            events: 0,
            outbound: 0,
            notes: 0,
            survey_answers: 0,
            feed_events: 0,
            contact_erased: false,
        }
    }
}

/// The hash an audit record names a customer by.
pub fn customer_hash(page: &PageId, psid: &Psid) -> String {
    hex::encode(Sha256::digest(format!("{page}:{psid}").as_bytes()))
}

/// Erase customer `psid` of `page` (see the module). `404` for a customer
/// Switchboard never saw.
pub async fn erase(
    deps: &RoutingDeps,
    page: &PageId,
    psid: &Psid,
    by: &str,
    reason: &str,
) -> Result<Erasure, Problem> {
    let customer = deps
        .conversations
        .get_customer(page, psid)
        .await?
        .ok_or_else(|| Problem::not_found(format!("no customer {psid} on page {page}")))?;
    let at = deps.clock.now();
    deps.conversations.mark_erased(page, psid, at).await?;
    // The conversation open now: one opened since the read above (no
    // event from before the mark can open one after it) is closed too, so
    // that an append racing this erasure meets its close.
    let customer = deps
        .conversations
        .get_customer(page, psid)
        .await?
        .unwrap_or(customer);
    if let Some(open) = &customer.open_conversation_id {
        match crate::routing::engine::close_erased(deps, open, at).await {
            Ok(_) => {}
            // Closed already, or changing under the close: only the first
            // may go on (a conversation left open could still be answered).
            Err(crate::routing::engine::RoutingError::Conflict(_)) => {
                let still_open = deps
                    .conversations
                    .get_conversation(open)
                    .await?
                    .is_some_and(|c| c.state.is_open());
                if still_open {
                    return Err(busy(&format!("conversation {open}")));
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    let mut done = Erasure::nothing_yet(
        at,
        by.to_string(),
        reason.to_string(),
        page.clone(),
        customer_hash(page, psid),
    );
    for conv in super::customer_conversations(deps, page, psid).await? {
        erase_conversation(deps, &conv, at, &mut done).await?;
        done.conversations.push(conv.id);
    }
    done.contact_erased = erase_contact(deps, &customer.contact_id, page, psid, at).await?;
    let entry = StreamEntry {
        cursor: stream_cursor(at, &uuid::Uuid::now_v7().simple().to_string()),
        data: serde_json::to_value(&done).map_err(|e| Problem::internal(e.to_string()))?,
        expires_at: None,
    };
    deps.streams.append_entry(AUDIT_STREAM, &entry).await?;
    tracing::info!(
        page_id = %page,
        conversations = done.conversations.len(),
        events = done.events,
        "a customer's data was erased"
    );
    crate::metrics::count("CustomersErased", 1);
    Ok(done)
}

/// The audit records, oldest first, after cursor `after`.
pub async fn audit(
    deps: &RoutingDeps,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<(String, Erasure)>, Problem> {
    let entries = deps
        .streams
        .read_entries(AUDIT_STREAM, after, limit)
        .await?;
    Ok(entries
        .into_iter()
        .filter_map(|e| {
            let erasure =
                serde_json::from_value(e.data).map_err(|x| StoreError::Corrupt(x.to_string()));
            crate::ports::listed("erasure record", erasure).map(|r| (e.cursor, r))
        })
        .collect())
}

/// A retention limit's erasure of one closed conversation's words
/// ([`super::retention`]): as a customer's erasure does it, without the
/// customer mark, the contact or an audit record. Answers how many records
/// were overwritten.
pub async fn erase_transcript(
    deps: &RoutingDeps,
    conv: &Conversation,
    at: Millis,
) -> Result<usize, Problem> {
    let mut done = Erasure::nothing_yet(
        at,
        "retention".into(),
        String::new(),
        conv.page_id.clone(),
        String::new(),
    );
    erase_conversation(deps, conv, at, &mut done).await?;
    Ok(done.events + done.outbound + done.notes + done.survey_answers + done.feed_events)
}

/// Only Meta's raw payloads of a conversation's events (the transcript
/// stays): answers how many were overwritten.
pub async fn erase_raw(deps: &RoutingDeps, conv: &Conversation) -> Result<usize, Problem> {
    let mut n = 0;
    for event in deps.conversations.timeline(&conv.id).await? {
        if is_erased(&event) || event.raw.get() == RAW_ONLY_ERASED {
            continue;
        }
        let mut kept = event.clone();
        kept.raw = serde_json::value::RawValue::from_string(RAW_ONLY_ERASED.to_string())
            .map_err(|x| Problem::internal(x.to_string()))?;
        if deps.conversations.replace_event(&conv.id, &kept).await? {
            n += 1;
        }
    }
    Ok(n)
}

fn erased_raw() -> Result<Box<serde_json::value::RawValue>, Problem> {
    serde_json::value::RawValue::from_string(ERASED_RAW.to_string())
        .map_err(|x| Problem::internal(x.to_string()))
}

async fn erase_conversation(
    deps: &RoutingDeps,
    conv: &Conversation,
    at: Millis,
    done: &mut Erasure,
) -> Result<(), Problem> {
    for event in deps.conversations.timeline(&conv.id).await? {
        if !is_erased(&event)
            && deps
                .conversations
                .replace_event(&conv.id, &erased_event(&event)?)
                .await?
        {
            done.events += 1;
        }
    }
    for m in deps.outbound.list_outbound(&conv.id).await? {
        done.outbound += usize::from(erase_outbound(deps, m, at).await?);
    }
    // Notes and survey answers: every entry's free text.
    let texts = |stream: String| async move {
        erase_entries(deps, &stream, None, |_| true, &["text"]).await
    };
    done.notes += texts(crate::notes::stream(&conv.id)).await?;
    done.survey_answers += texts(crate::delivery::survey_stream(&conv.id)).await?;
    // Each answer is also in the stream of all answers, by the same cursor.
    for answer in deps
        .streams
        .read_entries(&crate::delivery::survey_stream(&conv.id), None, 100)
        .await?
    {
        deps.streams
            .replace_entry(crate::delivery::SURVEYS_STREAM, &answer)
            .await?;
    }
    // The feed events since the conversation began, of everyone it went to.
    let since = stream_cursor(Millis(conv.created_at.0 - 1), "");
    for agent in handlers(conv.routing.as_ref()) {
        done.feed_events += erase_entries(
            deps,
            &crate::feed::stream(&agent),
            Some(&since),
            |d| d.get("conversation_id").and_then(|c| c.as_str()) == Some(conv.id.as_str()),
            &["data"],
        )
        .await?;
    }
    erase_routing(deps, &conv.id, at).await
}

/// A queued message is not sent any more; a finished one loses its content.
async fn erase_outbound(deps: &RoutingDeps, m: Outbound, at: Millis) -> Result<bool, Problem> {
    if m.status == Status::Queued {
        let failed = Status::Failed {
            code: None,
            subcode: None,
            reason: "not sent: the customer's data was erased".into(),
            at,
        };
        match deps.outbound.finish_outbound(&m.id, &failed).await {
            Ok(()) | Err(StoreError::Conflict(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let erased = erased_content(&m.content);
    if erased == m.content {
        return Ok(false);
    }
    Ok(deps
        .outbound
        .replace_outbound_content(&Outbound {
            content: erased,
            ..m
        })
        .await?)
}

/// Overwrite `fields` of the entries of `stream` (after `after`) whose
/// data `matches`; answers how many changed.
async fn erase_entries(
    deps: &RoutingDeps,
    stream: &str,
    after: Option<&str>,
    matches: impl Fn(&serde_json::Value) -> bool,
    fields: &[&str],
) -> Result<usize, Problem> {
    let mut n = 0;
    let mut after = after.map(str::to_string);
    loop {
        let batch = deps
            .streams
            .read_entries(stream, after.as_deref(), FEED_PAGE)
            .await?;
        let last = batch.len() < FEED_PAGE;
        after = batch.last().map(|e| e.cursor.clone());
        for mut entry in batch {
            if !matches(&entry.data) {
                continue;
            }
            let Some(obj) = entry.data.as_object_mut() else {
                continue;
            };
            let mut changed = false;
            for f in fields {
                let erased = serde_json::Value::String(ERASED.into());
                if obj.get(*f).is_some_and(|v| *v != erased && !v.is_null()) {
                    obj.insert((*f).to_string(), erased);
                    changed = true;
                }
            }
            if changed && deps.streams.replace_entry(stream, &entry).await? {
                n += 1;
            }
        }
        if last {
            return Ok(n);
        }
    }
}

/// The agents a conversation went to (offered, held, declined, reserved).
fn handlers(r: Option<&Routing>) -> BTreeSet<AgentId> {
    let Some(r) = r else { return BTreeSet::new() };
    let mut out: BTreeSet<AgentId> = r.declines.keys().cloned().collect();
    out.extend(r.agent.clone());
    out.extend(r.affinity_agent.clone());
    out.extend(r.offer.as_ref().map(|o| o.agent.clone()));
    for d in &r.decisions {
        if matches!(
            d.step.as_str(),
            "offered" | "accepted" | "transferred" | "assigned"
        ) {
            out.extend(d.agents.iter().map(|a| a.agent.clone()));
        }
    }
    out
}

/// Conditional on the routing version; a concurrent routing write makes it
/// read again.
async fn erase_routing(deps: &RoutingDeps, id: &ConversationId, at: Millis) -> Result<(), Problem> {
    for _ in 0..5 {
        let Some(conv) = deps.conversations.get_conversation(id).await? else {
            return Ok(());
        };
        let Some(r) = &conv.routing else {
            return Ok(());
        };
        let erased = erased_routing(r, at);
        if &erased == r {
            return Ok(());
        }
        match deps.routing.replace_routing(id, conv.rv, &erased).await {
            Ok(()) => return Ok(()),
            Err(StoreError::Conflict(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(busy(&format!("conversation {id}")))
}

/// `409 busy`: `what` kept changing under the erasure.
fn busy(what: &str) -> Problem {
    Problem::new(
        HttpStatus::CONFLICT,
        "busy",
        "Conflict",
        format!("{what} kept changing; erase again to finish"),
    )
}

/// The contact goes only when no other customer is linked to it.
async fn erase_contact(
    deps: &RoutingDeps,
    id: &crate::ids::ContactId,
    page: &PageId,
    psid: &Psid,
    at: Millis,
) -> Result<bool, Problem> {
    let mut after: Option<String> = None;
    loop {
        let batch = deps
            .conversations
            .contact_conversations(id, after.as_deref(), PAGE)
            .await?;
        // Another customer still linked who was not erased keeps it.
        for c in batch
            .iter()
            .filter(|c| &c.page_id != page || &c.psid != psid)
        {
            let erased = deps
                .conversations
                .get_customer(&c.page_id, &c.psid)
                .await?
                .is_some_and(|other| other.erased_at.is_some());
            if !erased {
                return Ok(false);
            }
        }
        let last = batch.len() < PAGE;
        after = batch.last().map(Conversation::list_key);
        if last {
            break;
        }
    }
    for _ in 0..5 {
        let Some(contact) = deps.conversations.get_contact(id).await? else {
            return Ok(false);
        };
        let erased = erased_contact(&contact, at);
        if erased.name == contact.name
            && erased.email == contact.email
            && erased.phone == contact.phone
            && erased.notes == contact.notes
        {
            return Ok(true);
        }
        match deps
            .conversations
            .update_contact(&erased, contact.version)
            .await
        {
            Ok(()) => return Ok(true),
            Err(StoreError::Conflict(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(busy(&format!("contact {id}")))
}

/// Whether an event on a timeline was erased already.
pub fn is_erased(event: &InboundEvent) -> bool {
    event.raw.get() == ERASED_RAW
}

/// The erased copy of a timeline event: its kind, time, ids and what
/// routing counted stay; what the person wrote or sent goes.
pub fn erased_event(e: &InboundEvent) -> Result<InboundEvent, Problem> {
    let mut out = e.clone();
    out.text = e.text.as_ref().map(|_| ERASED.to_string());
    out.text_cut = false;
    out.attachments.clear();
    out.quick_reply_payload = None;
    out.metadata = None;
    if let Some(p) = &mut out.postback {
        p.title = p.title.as_ref().map(|_| ERASED.to_string());
        p.payload = None;
    }
    if let Some(r) = &mut out.reaction {
        r.emoji = None;
        r.reaction = None;
    }
    if let Some(r) = &mut out.referral {
        r.reference = None;
        r.ad_id = None;
    }
    if let Some(h) = &mut out.handover {
        h.metadata = None;
    }
    out.raw = erased_raw()?;
    Ok(out)
}

/// An outbound message's content without what was said.
pub fn erased_content(c: &Content) -> Content {
    match c {
        Content::Text { .. } => Content::Text {
            text: ERASED.into(),
            quick_replies: Vec::new(),
        },
        Content::Attachment { kind, .. } => Content::Attachment {
            kind: kind.clone(),
            url: ERASED.into(),
            quick_replies: Vec::new(),
        },
        Content::PassThread { target_app_id, .. } => Content::PassThread {
            target_app_id: target_app_id.clone(),
            metadata: String::new(),
        },
    }
}

/// The routing record without what came from the person's messages: the
/// attributes, the passing app's metadata, and what the bot said of them
/// (also where the reason and decisions quote it).
pub fn erased_routing(r: &Routing, at: Millis) -> Routing {
    let mut out = r.clone();
    out.attributes.clear();
    // What others said of the person (another app's metadata, the bot's
    // reason), wherever routing quoted it.
    let mut said = Vec::new();
    if let Some(t) = &mut out.thread {
        said.extend(t.metadata.take());
        said.extend(t.requested.as_mut().and_then(|q| q.metadata.take()));
    }
    if let Some(e) = out.bot.as_mut().and_then(|b| b.escalated.as_mut()) {
        said.push(std::mem::replace(&mut e.escalation.reason, ERASED.into()));
        e.escalation.attributes.clear();
    }
    for text in said.iter().filter(|t| !t.is_empty() && *t != ERASED) {
        out.reason = out.reason.replace(text.as_str(), ERASED);
        for d in &mut out.decisions {
            d.detail = d.detail.replace(text.as_str(), ERASED);
        }
    }
    out.erased_at.get_or_insert(at);
    out
}

fn erased_contact(c: &Contact, at: Millis) -> Contact {
    Contact {
        name: ERASED_NAME.into(),
        email: None,
        phone: None,
        notes: None,
        updated_at: Some(at),
        version: c.version + 1,
        ..c.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bot::{Escalated, EscalatedBy, Escalation};
    use crate::event::{EventKind, PostbackInfo};
    use crate::ids::AccountId;
    use crate::messenger::Channel;

    fn event() -> InboundEvent {
        let mut e = InboundEvent::bare(
            &AccountId::parse("acme").unwrap(),
            &PageId::parse("100000000000001").unwrap(),
            Some(Psid::parse("2000001").unwrap()),
            Channel::Messaging,
            EventKind::Message,
            Millis(1_764_000_000_000),
            Millis(1_764_000_000_005),
            serde_json::value::RawValue::from_string(
                "{\"message\":{\"text\":\"my card is 4111\"}}".into(),
            )
            .unwrap(),
        );
        e.key = "m-1".into();
        e.text = Some("my card is 4111".into());
        e.quick_reply_payload = Some("ORDER-991".into());
        e.postback = Some(PostbackInfo {
            title: Some("Jane's order".into()),
            payload: Some("ORDER-991".into()),
        });
        e
    }

    #[test]
    fn an_erased_event_keeps_what_is_counted_and_loses_what_was_said() {
        let e = event();
        let x = erased_event(&e).unwrap();
        assert_eq!((x.kind, x.timestamp, &x.key), (e.kind, e.timestamp, &e.key));
        assert_eq!(x.dedup_id(), e.dedup_id());
        let json = serde_json::to_string(&x).unwrap();
        for secret in ["4111", "ORDER-991", "Jane"] {
            assert!(!json.contains(secret), "{secret} in {json}");
        }
        assert!(is_erased(&x) && !is_erased(&e));
        assert_eq!(erased_event(&x).unwrap().raw.get(), x.raw.get());
    }

    #[test]
    fn erased_routing_drops_the_persons_words_wherever_the_bot_put_them() {
        let mut r = Routing::default();
        r.attributes.insert("order".into(), "ORDER-991".into());
        let mut b = crate::bot::BotRecord::new(Millis(1));
        b.escalated = Some(Escalated {
            at: Millis(2),
            by: EscalatedBy::Bot,
            escalation: Escalation::because("Jane wants a refund"),
        });
        r.bot = Some(b);
        r.reason =
            "escalated: the bot handed the conversation to humans: Jane wants a refund".into();
        let x = erased_routing(&r, Millis(9));
        let json = serde_json::to_string(&x).unwrap();
        assert!(
            !json.contains("Jane") && !json.contains("ORDER-991"),
            "{json}"
        );
        assert_eq!(x.erased_at, Some(Millis(9)));
        assert_eq!(
            erased_routing(&x, Millis(10)),
            x,
            "a re-run changes nothing"
        );
    }

    #[test]
    fn the_audit_hash_names_nobody_but_matches_the_customer() {
        let (p, s) = (PageId::parse("1").unwrap(), Psid::parse("2").unwrap());
        let h = customer_hash(&p, &s);
        assert_eq!(h.len(), 64);
        assert_eq!(h, customer_hash(&p, &s));
    }

    #[test]
    fn a_reason_is_required_and_bounded() {
        assert!(
            EraseRequest {
                reason: "  ".into()
            }
            .reason()
            .is_err()
        );
        assert!(
            EraseRequest {
                reason: "x".repeat(MAX_REASON + 1)
            }
            .reason()
            .is_err()
        );
        assert_eq!(
            EraseRequest {
                reason: " asked ".into()
            }
            .reason()
            .unwrap(),
            "asked"
        );
    }
}
