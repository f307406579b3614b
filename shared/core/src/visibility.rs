//! What an agent may see and act on: conversations offered or assigned to
//! them (a supervisor: every one), and the contacts linked to those.

use crate::ids::{ContactId, ConversationId};
use crate::ports::{Contact, Conversation, ConversationState};
use crate::problem::Problem;
use crate::problem::Status;
use crate::routing::engine::RoutingDeps;
use crate::routing::model::AgentId;

/// Who is calling the agent API.
#[derive(Debug, Clone)]
pub struct Caller {
    pub agent: AgentId,
    pub supervisor: bool,
}

/// Whether the conversation is the caller's: offered or assigned to them
/// (or in their wrap-up).
pub fn is_mine(conv: &Conversation, me: &AgentId) -> bool {
    let Some(r) = &conv.routing else { return false };
    match conv.state {
        ConversationState::Offered => r.offer.as_ref().is_some_and(|o| &o.agent == me),
        ConversationState::Assigned | ConversationState::WrapUp => r.agent.as_ref() == Some(me),
        _ => false,
    }
}

/// A contact by its id (as the path gives it); 404 when there is none.
pub async fn contact(r: &RoutingDeps, id: &str) -> Result<Contact, Problem> {
    let id = ContactId::parse(id)?;
    r.conversations
        .get_contact(&id)
        .await?
        .ok_or_else(|| Problem::not_found(format!("no contact {id}")))
}

/// The conversation if the caller may see it; 404 otherwise (whether it
/// exists is not theirs to know).
pub async fn visible(
    r: &RoutingDeps,
    who: &Caller,
    id: &ConversationId,
) -> Result<Conversation, Problem> {
    match r.conversations.get_conversation(id).await? {
        Some(c) if can_see(&c, who) => Ok(c),
        _ => Err(Problem::not_found(format!(
            "no conversation {id} offered or assigned to you"
        ))),
    }
}

/// Whether the caller may read the conversation: a supervisor any; an
/// agent one offered or assigned to them, or a closed one they had.
pub fn can_see(c: &Conversation, who: &Caller) -> bool {
    who.supervisor
        || is_mine(c, &who.agent)
        || (c.state == ConversationState::Closed
            && c.routing.as_ref().and_then(|r| r.agent.as_ref()) == Some(&who.agent))
}

/// How many of a contact's conversations are looked at to decide whether
/// an agent may see it.
const CONTACT_REACH: usize = 100;

/// The contact if the caller may see it: a supervisor any; an agent one
/// linked to a conversation they can see (or, with `orphans`, one linked
/// to none yet, as a contact they just created). 404 otherwise.
pub async fn visible_contact(
    r: &RoutingDeps,
    who: &Caller,
    id: &str,
    orphans: bool,
) -> Result<Contact, Problem> {
    let c = contact(r, id).await?;
    if who.supervisor {
        return Ok(c);
    }
    let convs = r
        .conversations
        .contact_conversations(&c.id, None, CONTACT_REACH)
        .await?;
    if convs.iter().any(|conv| can_see(conv, who)) || (orphans && convs.is_empty()) {
        return Ok(c);
    }
    Err(Problem::not_found(format!(
        "no contact {id} linked to a conversation of yours"
    )))
}

/// The conversation if the caller holds it (assigned or in wrap-up; a
/// supervisor holds every open one). An offer is not holding: it can be
/// accepted or declined, nothing else.
pub async fn held(
    r: &RoutingDeps,
    who: &Caller,
    id: &ConversationId,
) -> Result<Conversation, Problem> {
    let conv = visible(r, who, id).await?;
    if conv.state == ConversationState::Offered && !who.supervisor {
        return Err(Problem::new(
            Status::CONFLICT,
            "not_assigned",
            "Not assigned to you",
            format!("conversation {id} is only offered to you; accept or decline it"),
        ));
    }
    Ok(conv)
}
