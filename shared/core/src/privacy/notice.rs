//! The recording notice: the workstream's `first_contact` automated message
//! ("This conversation may be recorded ..."), in the customer's language,
//! sent once to a customer Switchboard has never seen, before anything else
//! is said to them (the bot's greeting, the "queued" message), inside the
//! messaging window as `RESPONSE`.

use crate::event::InboundEvent;
use crate::ids::ConversationId;
use crate::outbound::Author;
use crate::ports::{Conversation, StoreError};
use crate::routing::RoutingDeps;
use crate::workstreams::Trigger;

/// Send the notice for the conversation `event` just opened or continued,
/// if it is the first of a new customer, not routed yet, and its workstream
/// has one. Idempotent: a redelivery finds it queued already.
pub async fn on_first_contact(
    deps: &RoutingDeps,
    id: &ConversationId,
    event: &InboundEvent,
) -> Result<(), StoreError> {
    let Some(conv) = deps.conversations.get_conversation(id).await? else {
        return Ok(());
    };
    // Before routing only: the first thing the customer hears.
    if conv.routing.is_some() || !conv.state.is_open() {
        return Ok(());
    }
    let Some(ws) = (match deps.workstreams.workstream_of_page(&conv.page_id).await? {
        Some(w) => deps.workstreams.get_workstream(&w).await?,
        None => None,
    }) else {
        return Ok(());
    };
    if !ws
        .automated_messages
        .iter()
        .any(|m| m.trigger == Trigger::FirstContact)
        || !is_new_customer(deps, &conv).await?
    {
        return Ok(());
    }
    let sent = deps.outbound.list_outbound(id).await?.iter().any(|m| {
        matches!(&m.author, Author::Automated { message } if message == Trigger::FirstContact.as_str())
    });
    if sent {
        return Ok(());
    }
    let rulesets = deps.config.list_rulesets(Some(&ws.id)).await?;
    let language = crate::routing::decide::detected_locale(event.text.as_deref(), &ws, &rulesets);
    crate::delivery::automated_in(deps, &conv, &ws, Trigger::FirstContact, language, &[]).await;
    crate::metrics::count("RecordingNotices", 1);
    Ok(())
}

/// A customer Switchboard has never seen: this is the only conversation in
/// their contact's history (on any page), and no agent has handled them.
async fn is_new_customer(deps: &RoutingDeps, conv: &Conversation) -> Result<bool, StoreError> {
    let history = deps
        .conversations
        .contact_conversations(&conv.contact_id, None, 2)
        .await?;
    if history.iter().any(|c| c.id != conv.id) {
        return Ok(false);
    }
    Ok(deps
        .conversations
        .get_customer(&conv.page_id, &conv.psid)
        .await?
        .is_none_or(|c| c.last_agent.is_none()))
}
