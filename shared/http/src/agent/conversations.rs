//! The agent's conversations: the list, one with its transcript, and what
//! they do to one (accept, decline, transfer, end, close, typing; replies
//! are in [`super::replies`]).

use super::{AgentDeps, summaries, summary, summary_of};
use crate::auth::Agent;
use crate::extract::{Body, Params, QueryPairs};
use crate::problem::{Answer, ok};
use axum::extract::State;
use switchboard_core::agent_work::{self, OPEN_STATES};
use switchboard_core::contacts;
use switchboard_core::ids::ConversationId;
use switchboard_core::ports::ConversationState;
use switchboard_core::problem::Problem;
use switchboard_core::routing::engine;
use switchboard_core::visibility::{held, visible};

/// `GET /conversations?state=&limit=&cursor=`: open ones unless a state is asked for.
pub async fn list(Agent(who): Agent, State(d): State<AgentDeps>, q: QueryPairs) -> Answer {
    let states = match q.get("state") {
        Some(s) => vec![ConversationState::parse(s).ok_or_else(|| {
            Problem::bad_request(
                "invalid_state",
                format!("state {s:?} is not one of offered, assigned, wrap_up, waiting, closed"),
            )
        })?],
        None => OPEN_STATES.to_vec(),
    };
    let page = q.page()?;
    let r = d.channels.routing_deps();
    let (out, next) = agent_work::list_conversations(&r, &who, states, &page).await?;
    let views = summaries(&r, &out).await?;
    ok(&serde_json::json!({"conversations": views, "next_cursor": next}))
}

/// The conversation the path names.
pub(super) fn conversation_id(p: &Params) -> Result<ConversationId, Problem> {
    Ok(ConversationId::parse(
        p.0.first().cloned().unwrap_or_default(),
    )?)
}

/// `GET /conversations/{id}`: with its transcript, contact and survey answer.
pub async fn detail(Agent(who): Agent, p: Params, State(d): State<AgentDeps>) -> Answer {
    let id = conversation_id(&p)?;
    let r = d.channels.routing_deps();
    let conv = visible(&r, &who, &id).await?;
    let detail = agent_work::detail(&r, &conv).await?;
    let mut v = summary(&conv, &detail.reply_window);
    v["transcript"] = serde_json::to_value(&detail.transcript).unwrap_or_default();
    v["contact"] = detail
        .contact
        .as_ref()
        .map(contacts::view)
        .unwrap_or_default();
    v["survey"] = detail.survey.unwrap_or_default();
    ok(&v)
}

/// `POST /conversations/{id}/{action}`.
pub async fn action(
    Agent(who): Agent,
    p: Params,
    State(d): State<AgentDeps>,
    body: Body,
) -> Answer {
    let id = conversation_id(&p)?;
    let action = p.0.get(1).map(String::as_str).unwrap_or_default();
    let r = d.channels.routing_deps();
    let me = &who.agent;
    match action {
        "accept" => ok(&summary_of(&r, &engine::accept(&r, me, &id).await?).await?),
        "decline" => {
            engine::decline(&r, me, &id, false).await?;
            ok(&serde_json::json!({"id": id, "declined": true}))
        }
        "transfer" => {
            held(&r, &who, &id).await?;
            let t = body.json()?;
            ok(&summary_of(&r, &agent_work::transfer(&r, &who, &id, t).await?).await?)
        }
        "end" => {
            held(&r, &who, &id).await?;
            ok(&summary_of(&r, &engine::end(&r, me, &id).await?).await?)
        }
        "close" => ok(&summary_of(&r, &agent_work::close(&r, &who, &id).await?).await?),
        "messages" => super::replies::reply(&r, &who, &id, &body).await,
        "typing" => {
            let conv = held(&r, &who, &id).await?;
            let t: agent_work::Typing = body.json_or_empty()?;
            let action = t.action();
            agent_work::sender_action(&d.channels, &conv, action).await?;
            ok(&serde_json::json!({"id": id, "sender_action": action}))
        }
        _ => Err(Problem::not_found(format!("no action {action:?}")).into()),
    }
}
