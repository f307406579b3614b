//! The bot API's work (`/bot/v1`): what a workstream's bot may read and do
//! later, outside its answers to deliveries. Every call is scoped to the
//! token's workstream: another workstream's conversation is not found.

use super::flow::{self, Via};
use super::wire::{BotMessage, Reply};
use super::{EscalatedBy, Escalation};
use crate::ids::ConversationId;
use crate::outbound::Outbound;
use crate::ports::Conversation;
use crate::problem::{Problem, Status};
use crate::routing::RoutingDeps;
use crate::transcript::Entry;
use crate::workstreams::WorkstreamId;
use serde::Serialize;

/// A conversation as its bot reads it.
#[derive(Debug, Serialize)]
pub struct BotView {
    pub conversation: Conversation,
    /// Both sides, oldest first, as an agent reads it.
    pub transcript: Vec<Entry>,
}

fn invalid(detail: String) -> Problem {
    Problem::new(
        Status::UNPROCESSABLE_ENTITY,
        "invalid_bot_request",
        "Invalid request",
        detail,
    )
}

/// The conversation `id` if it belongs to `ws`; else not found (whether
/// it exists elsewhere is not the bot's to know).
async fn of_workstream(
    deps: &RoutingDeps,
    ws: &WorkstreamId,
    id: &ConversationId,
) -> Result<Conversation, Problem> {
    deps.conversations
        .get_conversation(id)
        .await?
        .filter(|c| c.routing.as_ref().and_then(|r| r.workstream.as_ref()) == Some(ws))
        .ok_or_else(|| Problem::not_found(format!("no conversation {id} in workstream {ws}")))
}

pub async fn get(
    deps: &RoutingDeps,
    ws: &WorkstreamId,
    id: &ConversationId,
) -> Result<BotView, Problem> {
    let conversation = of_workstream(deps, ws, id).await?;
    let transcript = crate::agent_work::full_transcript(deps, &conversation).await?;
    Ok(BotView {
        conversation,
        transcript,
    })
}

/// Send one message (automated: `RESPONSE` inside the 24-hour window, never tagged).
pub async fn send(
    deps: &RoutingDeps,
    ws: &WorkstreamId,
    id: &ConversationId,
    message: BotMessage,
) -> Result<Outbound, Problem> {
    message.content().map_err(invalid)?;
    of_workstream(deps, ws, id).await?;
    let reply = Reply {
        messages: vec![message],
        ..Reply::default()
    };
    let acted = flow::act(deps, id, &reply, Via::Api).await?;
    acted
        .messages
        .into_iter()
        .next()
        .ok_or_else(|| Problem::internal("the message was not queued".to_string()))
}

/// Hand the conversation to humans.
pub async fn escalate(
    deps: &RoutingDeps,
    ws: &WorkstreamId,
    id: &ConversationId,
    e: Escalation,
) -> Result<Conversation, Problem> {
    e.check().map_err(invalid)?;
    of_workstream(deps, ws, id).await?;
    Ok(crate::routing::engine::escalate(deps, id, e, EscalatedBy::Bot).await?)
}

/// End the conversation (the bot handled it alone; its survey follows).
pub async fn end(
    deps: &RoutingDeps,
    ws: &WorkstreamId,
    id: &ConversationId,
) -> Result<Conversation, Problem> {
    of_workstream(deps, ws, id).await?;
    let reply = Reply {
        end: true,
        ..Reply::default()
    };
    flow::act(deps, id, &reply, Via::Api)
        .await?
        .conversation
        .ok_or_else(|| Problem::internal("the conversation was not ended".to_string()))
}
