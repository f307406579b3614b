//! `/agent/v1/...`: what an agent does all day. The caller is an agent
//! (their bearer token under serve; the JWT's username and groups in AWS)
//! and sees and acts only on conversations offered or assigned to them; a
//! supervisor may see every conversation. Every route checks the caller
//! first ([`Agent`]), but `POST /agent/v1/sign-in`, whose code is the
//! credential.

mod canned;
mod contacts;
mod conversations;
mod inbox;
mod notes;
mod replies;
mod sign_in;
#[cfg(feature = "ws")]
mod stream;
mod targets;

use crate::auth::{Agent, AgentAuth};
use crate::extract::{OriginalPath, path_segments};
use crate::problem::{Answer, ApiProblem, methods};
use axum::Router;
use axum::extract::{FromRequestParts, Request, State};
use axum::middleware::Next;
use http::request::Parts;
use std::time::Duration;
use switchboard_core::agent_work;
use switchboard_core::channels::ChannelDeps;
use switchboard_core::ports::Conversation;
use switchboard_core::problem::Problem;
use switchboard_core::routing::RoutingDeps;
use switchboard_core::send_policy::ReplyWindow;
use tracing::Instrument;

pub const PREFIX: &str = "/agent/v1/";

#[derive(Clone)]
pub struct AgentDeps {
    pub channels: ChannelDeps,
    pub auth: AgentAuth,
    /// How long new feed events are held back (see `switchboard_core::feed::read`).
    pub settle: Duration,
}

/// The agent calling, by the API's auth, recorded on the request's span.
impl FromRequestParts<AgentDeps> for Agent {
    type Rejection = ApiProblem;

    async fn from_request_parts(
        parts: &mut Parts,
        deps: &AgentDeps,
    ) -> Result<Self, Self::Rejection> {
        let who = crate::auth::caller(&deps.auth, &deps.channels, parts).await?;
        tracing::Span::current().record("agent_id", tracing::field::display(&who.agent));
        Ok(Agent(who))
    }
}

/// The agent API's routes, each request in an `agent_request` span that
/// names the agent once known.
pub fn router(deps: AgentDeps) -> Router {
    type A = Agent;
    let router = Router::new()
        // No caller: the code is the credential.
        .route(
            "/agent/v1/sign-in",
            methods::<_, ()>("POST").post(sign_in::sign_in),
        )
        .route("/agent/v1/me", methods::<_, A>("GET").get(inbox::me))
        .route(
            "/agent/v1/presence",
            methods::<_, A>("GET, PUT")
                .get(inbox::get_presence)
                .put(inbox::put_presence),
        )
        .route(
            "/agent/v1/heartbeat",
            methods::<_, A>("POST").post(inbox::heartbeat),
        )
        .route(
            "/agent/v1/events",
            methods::<_, A>("GET").get(inbox::events),
        )
        .route(
            "/agent/v1/conversations",
            methods::<_, A>("GET").get(conversations::list),
        )
        .route(
            "/agent/v1/conversations/{conversation_id}",
            methods::<_, A>("GET").get(conversations::detail),
        )
        .route(
            "/agent/v1/conversations/{conversation_id}/contact",
            methods::<_, A>("GET, PUT")
                .get(contacts::of_conversation)
                .put(contacts::link),
        )
        .route(
            "/agent/v1/conversations/{conversation_id}/notes",
            methods::<_, A>("GET, POST")
                .get(notes::list)
                .post(notes::add),
        )
        .route(
            "/agent/v1/conversations/{conversation_id}/transfer-targets",
            methods::<_, A>("GET").get(targets::transfer_targets),
        )
        .route(
            "/agent/v1/conversations/{conversation_id}/{action}",
            methods::<_, A>("POST").post(conversations::action),
        )
        .route(
            "/agent/v1/canned-responses",
            methods::<_, A>("GET").get(canned::list),
        )
        .route(
            "/agent/v1/contacts",
            methods::<_, A>("GET, POST")
                .get(contacts::search)
                .post(contacts::create),
        )
        .route(
            "/agent/v1/contacts/{contact_id}",
            methods::<_, A>("GET, PATCH")
                .get(contacts::get)
                .patch(contacts::patch),
        )
        .route(
            "/agent/v1/contacts/{contact_id}/history",
            methods::<_, A>("GET").get(contacts::history),
        );
    // The WebSocket push of the feed: serve only (see the `ws` feature).
    #[cfg(feature = "ws")]
    let router = router.route(
        "/agent/v1/stream",
        methods::<_, A>("GET").get(stream::stream),
    );
    router
        .fallback(unknown)
        .layer(axum::middleware::from_fn(span))
        .with_state(deps)
}

async fn span(req: Request, next: Next) -> axum::response::Response {
    let span = tracing::info_span!("agent_request", agent_id = tracing::field::Empty);
    next.run(req).instrument(span).await
}

/// A path under `/agent/v1/` that is no route: the caller is checked
/// first, then the path, as for every route.
async fn unknown(State(deps): State<AgentDeps>, mut parts: http::request::Parts) -> Answer {
    let original = OriginalPath::of(&parts);
    if !original.starts_with(PREFIX) {
        return Err(Problem::not_found(format!("no route {original}")).into());
    }
    Agent::from_request_parts(&mut parts, &deps).await?;
    let path = parts.uri.path().trim_end_matches('/');
    let rest = path
        .strip_prefix(PREFIX)
        .ok_or_else(|| Problem::not_found("no such route"))?;
    path_segments(rest)?;
    Err(Problem::not_found(format!("no route {path}")).into())
}

/// Conversations as lists show them, each with how a reply would go out now.
async fn summaries(
    r: &RoutingDeps,
    convs: &[Conversation],
) -> Result<Vec<serde_json::Value>, Problem> {
    let windows = agent_work::reply_windows(r, convs).await?;
    Ok(convs
        .iter()
        .zip(&windows)
        .map(|(c, w)| summary(c, w))
        .collect())
}

/// One conversation as a list shows it.
async fn summary_of(r: &RoutingDeps, conv: &Conversation) -> Result<serde_json::Value, Problem> {
    Ok(summaries(r, std::slice::from_ref(conv))
        .await?
        .pop()
        .unwrap_or_default())
}

/// A conversation in a list, with its reply window.
fn summary(c: &Conversation, reply_window: &ReplyWindow) -> serde_json::Value {
    let r = c.routing.clone().unwrap_or_default();
    serde_json::json!({
        "id": c.id,
        "state": c.state,
        "page_id": c.page_id,
        "contact_id": c.contact_id,
        "queue_id": r.queue,
        "workstream_id": r.workstream,
        "agent_id": r.agent,
        "offer_expires_at": r.offer.as_ref().map(|o| o.expires_at.to_rfc3339()),
        "last_customer_message_at": c.last_customer_message_at.map(|t| t.to_rfc3339()),
        "created_at": c.created_at.to_rfc3339(),
        "closed_at": c.closed_at.map(|t| t.to_rfc3339()),
        "reply_window": reply_window,
        // Follow-up work: the window had closed when it was routed.
        "follow_up": r.follow_up,
        // Why the bot handed it over (it came to people from the bot).
        "escalation": r.bot.and_then(|b| b.escalated).map(|e| serde_json::json!({
            "reason": e.escalation.reason,
            "by": e.by,
            "at": e.at.to_rfc3339(),
        })),
        // Conversation Routing: the app that passed it to Switchboard, or
        // the one that has it now (then nothing more can be sent).
        "thread_control": r.thread.map(|t| serde_json::json!({
            "passed_from": t.passed_from,
            "metadata": t.metadata,
            "gone_to": t.gone_to,
        })),
    })
}
