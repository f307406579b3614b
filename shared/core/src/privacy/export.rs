//! A subject-access export: everything Switchboard holds about one customer
//! (a page and PSID) as one JSON document. The customer link and the
//! contact, and each of their conversations on that page with its routing
//! record, its inbound events exactly as Meta sent them, the transcript as
//! agents read it, what went out to them, the internal notes and the
//! survey answers.

use crate::event::InboundEvent;
use crate::ids::{PageId, Psid};
use crate::notes::Note;
use crate::outbound::Outbound;
use crate::ports::{Contact, Conversation, Customer};
use crate::problem::Problem;
use crate::routing::RoutingDeps;
use crate::time::{self, Millis};
use crate::transcript::Entry;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Export {
    pub page_id: PageId,
    pub psid: Psid,
    #[serde(with = "time::rfc3339")]
    pub exported_at: Millis,
    pub customer: Customer,
    pub contact: Option<Contact>,
    pub conversations: Vec<ConversationExport>,
}

#[derive(Debug, Serialize)]
pub struct ConversationExport {
    pub conversation: Conversation,
    pub transcript: Vec<Entry>,
    /// Every inbound event, with `raw`: exactly what Meta sent.
    pub events: Vec<InboundEvent>,
    pub outbound: Vec<Outbound>,
    pub notes: Vec<Note>,
    pub survey_answers: Vec<serde_json::Value>,
}

/// Everything held about customer `psid` of `page`; `404` for a customer
/// Switchboard never saw.
pub async fn export(deps: &RoutingDeps, page: &PageId, psid: &Psid) -> Result<Export, Problem> {
    let customer = deps
        .conversations
        .get_customer(page, psid)
        .await?
        .ok_or_else(|| Problem::not_found(format!("no customer {psid} on page {page}")))?;
    let contact = deps.conversations.get_contact(&customer.contact_id).await?;
    let mut conversations = Vec::new();
    for conv in super::customer_conversations(deps, page, psid).await? {
        conversations.push(one(deps, conv).await?);
    }
    Ok(Export {
        page_id: page.clone(),
        psid: psid.clone(),
        exported_at: deps.clock.now(),
        customer,
        contact,
        conversations,
    })
}

async fn one(deps: &RoutingDeps, conv: Conversation) -> Result<ConversationExport, Problem> {
    let events = deps.conversations.timeline(&conv.id).await?;
    let outbound = deps.outbound.list_outbound(&conv.id).await?;
    let transcript = crate::agent_work::full_transcript(deps, &conv).await?;
    let notes = crate::notes::all(deps, &conv.id).await?;
    let survey_answers = deps
        .streams
        .read_entries(&crate::delivery::survey_stream(&conv.id), None, 100)
        .await?
        .into_iter()
        .map(|e| e.data)
        .collect();
    Ok(ConversationExport {
        conversation: conv,
        transcript,
        events,
        outbound,
        notes,
        survey_answers,
    })
}
