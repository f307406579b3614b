//! `/bot/v1/...`: what a workstream's bot may do later, outside its
//! answers to deliveries: read a conversation with its transcript, send a
//! message, escalate to humans, end. The caller is a bot token
//! (`Authorization: Bearer sbbt_...`), which acts only on its workstream's
//! conversations. Documented in `docs/bot-api.yaml`.

use crate::auth::unauthenticated;
use crate::extract::{Id, Json, OriginalPath, path_segments};
use crate::problem::{Answer, ApiProblem, json, methods, ok};
use axum::Router;
use axum::extract::{FromRequestParts, Request, State};
use axum::middleware::Next;
use http::request::Parts;
use http::{StatusCode, header};
use switchboard_core::bot::wire::BotMessage;
use switchboard_core::bot::{Escalation, api};
use switchboard_core::channels::ChannelDeps;
use switchboard_core::ids::ConversationId;
use switchboard_core::problem::Problem;
use switchboard_core::workstreams::WorkstreamId;
use tracing::Instrument;

pub const PREFIX: &str = "/bot/v1/";

#[derive(Clone)]
pub struct BotDeps {
    pub channels: ChannelDeps,
}

/// The workstream whose bot is calling (from its token).
pub struct Bot(pub WorkstreamId);

impl FromRequestParts<BotDeps> for Bot {
    type Rejection = ApiProblem;

    async fn from_request_parts(
        parts: &mut Parts,
        deps: &BotDeps,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(|| unauthenticated("send Authorization: Bearer <bot token>"))?;
        let ws = switchboard_core::bot::tokens::verify(&deps.channels, token)
            .await?
            .ok_or_else(|| {
                unauthenticated(
                    "the bot token is not valid: it expired, was revoked, or its workstream was deleted or has no bot; an administrator issues one with POST /admin/v1/workstreams/{id}/bot-tokens",
                )
            })?;
        tracing::Span::current().record("workstream", tracing::field::display(&ws));
        Ok(Bot(ws))
    }
}

async fn get(Bot(ws): Bot, Id(id): Id<ConversationId>, State(d): State<BotDeps>) -> Answer {
    ok(&api::get(&d.channels.routing_deps(), &ws, &id).await?)
}

async fn send(
    Bot(ws): Bot,
    Id(id): Id<ConversationId>,
    State(d): State<BotDeps>,
    Json(m): Json<BotMessage>,
) -> Answer {
    let sent = api::send(&d.channels.routing_deps(), &ws, &id, m).await?;
    json(StatusCode::ACCEPTED, &sent)
}

async fn escalate(
    Bot(ws): Bot,
    Id(id): Id<ConversationId>,
    State(d): State<BotDeps>,
    Json(e): Json<Escalation>,
) -> Answer {
    ok(&api::escalate(&d.channels.routing_deps(), &ws, &id, e).await?)
}

async fn end(Bot(ws): Bot, Id(id): Id<ConversationId>, State(d): State<BotDeps>) -> Answer {
    ok(&api::end(&d.channels.routing_deps(), &ws, &id).await?)
}

/// The bot API's routes, each request in a `bot_request` span that names
/// the workstream once known.
pub fn router(deps: BotDeps) -> Router {
    type B = (Bot, Id<ConversationId>);
    Router::new()
        .route(
            "/bot/v1/conversations/{conversation_id}",
            methods::<_, B>("GET").get(get),
        )
        .route(
            "/bot/v1/conversations/{conversation_id}/messages",
            methods::<_, B>("POST").post(send),
        )
        .route(
            "/bot/v1/conversations/{conversation_id}/escalate",
            methods::<_, B>("POST").post(escalate),
        )
        .route(
            "/bot/v1/conversations/{conversation_id}/end",
            methods::<_, B>("POST").post(end),
        )
        .fallback(unknown)
        .layer(axum::middleware::from_fn(span))
        .with_state(deps)
}

async fn span(req: Request, next: Next) -> axum::response::Response {
    let span = tracing::info_span!("bot_request", workstream = tracing::field::Empty);
    next.run(req).instrument(span).await
}

/// A path under `/bot/v1/` that is no route: the caller first, then the path.
async fn unknown(State(deps): State<BotDeps>, mut parts: Parts) -> Answer {
    let original = OriginalPath::of(&parts);
    if !original.starts_with(PREFIX) {
        return Err(Problem::not_found(format!("no route {original}")).into());
    }
    Bot::from_request_parts(&mut parts, &deps).await?;
    let path = parts.uri.path().trim_end_matches('/');
    let rest = path
        .strip_prefix(PREFIX)
        .ok_or_else(|| Problem::not_found("no such route"))?;
    path_segments(rest)?;
    Err(Problem::not_found(format!("no route {path}")).into())
}
