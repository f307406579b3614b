//! `/admin/v1/...`: channels, workstreams, configuration, conversations,
//! routing (agents, queues, rulesets), agents' tokens and supervision
//! (overview, assignment, survey results), for operators. Every route
//! checks the caller first ([`Admin`]: an administrator, or a supervisor
//! on the routes `auth::supervisor_may` lists).

mod bot_tokens;
mod canned;
mod channels;
mod conversations;
mod privacy;
mod routing;
mod sign_in;
mod supervisor;
mod tokens;

use crate::auth::{Admin, AdminAuth, authorize};
use crate::extract::{Id, Id2, OriginalPath, path_segments};
use crate::problem::{Answer, ApiProblem, methods};
use axum::Router;
use axum::extract::FromRequestParts;
use axum::extract::State;
use http::request::Parts;
use switchboard_core::canned::CannedResponseId;
use switchboard_core::channels::ChannelDeps;
use switchboard_core::ids::{AccountId, ConversationId, PageId, Psid};
use switchboard_core::problem::Problem;
use switchboard_core::routing::model::{AgentId, QueueId, RulesetId};
use switchboard_core::workstreams::WorkstreamId;

pub const PREFIX: &str = "/admin/v1/";

#[derive(Clone)]
pub struct AdminDeps {
    pub channels: ChannelDeps,
    pub auth: AdminAuth,
}

/// An administrator (or a supervisor, on their routes) by the API's auth.
impl FromRequestParts<AdminDeps> for Admin {
    type Rejection = ApiProblem;

    async fn from_request_parts(
        parts: &mut Parts,
        deps: &AdminDeps,
    ) -> Result<Self, Self::Rejection> {
        Ok(Admin(authorize(&deps.auth, &deps.channels, parts).await?))
    }
}

/// The admin API's routes.
pub fn router(deps: AdminDeps) -> Router {
    use channels as c;
    use conversations as cv;
    use routing as r;
    type A = Admin;
    Router::new()
        .route("/admin/v1/surveys", methods::<_, A>("GET").get(c::surveys))
        .route(
            "/admin/v1/surveys/summary",
            methods::<_, A>("GET").get(supervisor::survey_summary),
        )
        .route(
            "/admin/v1/reports/service-level",
            methods::<_, A>("GET").get(supervisor::service_level),
        )
        .route(
            "/admin/v1/overview",
            methods::<_, A>("GET").get(supervisor::overview),
        )
        .route("/admin/v1/alerts", methods::<_, A>("GET").get(c::alerts))
        .route("/admin/v1/apply", methods::<_, A>("POST").post(c::apply))
        .route("/admin/v1/export", methods::<_, A>("GET").get(c::export))
        .route(
            "/admin/v1/workstreams",
            methods::<_, A>("GET, POST")
                .get(c::list_workstreams)
                .post(c::create_workstream),
        )
        .route(
            "/admin/v1/workstreams/{workstream_id}",
            methods::<_, (A, Id<WorkstreamId>)>("GET, PATCH, DELETE")
                .get(c::get_workstream)
                .patch(c::update_workstream)
                .delete(c::delete_workstream),
        )
        .route(
            "/admin/v1/workstreams/{workstream_id}/bot-tokens",
            methods::<_, (A, Id<WorkstreamId>)>("GET, POST, DELETE")
                .get(bot_tokens::list)
                .post(bot_tokens::issue)
                .delete(bot_tokens::revoke_all),
        )
        .route(
            "/admin/v1/workstreams/{workstream_id}/bot-tokens/{token_id}",
            methods::<_, (A, Id<WorkstreamId>)>("DELETE").delete(bot_tokens::revoke),
        )
        .route(
            "/admin/v1/accounts",
            methods::<_, A>("GET, POST")
                .get(c::list_accounts)
                .post(c::create_account),
        )
        .route(
            "/admin/v1/accounts/{account_id}",
            methods::<_, (A, Id<AccountId>)>("GET, PATCH, DELETE")
                .get(c::get_account)
                .patch(c::update_account)
                .delete(c::delete_account),
        )
        .route(
            "/admin/v1/accounts/{account_id}/pages",
            methods::<_, (A, Id<AccountId>)>("GET, POST")
                .get(c::list_pages)
                .post(c::add_page),
        )
        .route(
            "/admin/v1/accounts/{account_id}/pages/{page_id}",
            methods::<_, (A, Id2<AccountId, PageId>)>("GET, DELETE")
                .get(c::get_page)
                .delete(c::remove_page),
        )
        .route(
            "/admin/v1/accounts/{account_id}/pages/{page_id}/token",
            methods::<_, (A, Id2<AccountId, PageId>)>("PUT").put(c::rotate_token),
        )
        .route(
            "/admin/v1/accounts/{account_id}/pages/{page_id}/conversation-routing",
            methods::<_, (A, Id2<AccountId, PageId>)>("PUT").put(c::set_conversation_routing),
        )
        .route(
            "/admin/v1/accounts/{account_id}/pages/{page_id}/check",
            methods::<_, (A, Id2<AccountId, PageId>)>("POST").post(c::check_page),
        )
        .route(
            "/admin/v1/conversations",
            methods::<_, A>("GET").get(cv::list),
        )
        .route(
            "/admin/v1/conversations/{conversation_id}",
            methods::<_, A>("GET").get(cv::get),
        )
        .route(
            "/admin/v1/conversations/{conversation_id}/timeline",
            methods::<_, A>("GET").get(cv::timeline),
        )
        .route(
            "/admin/v1/conversations/{conversation_id}/routing",
            methods::<_, (A, Id<ConversationId>)>("GET").get(r::conversation_routing),
        )
        .route(
            "/admin/v1/conversations/{conversation_id}/close",
            methods::<_, (A, Id<ConversationId>)>("POST").post(r::close_conversation),
        )
        .route(
            "/admin/v1/conversations/{conversation_id}/assign",
            methods::<_, (A, Id<ConversationId>)>("POST").post(supervisor::assign),
        )
        .route(
            "/admin/v1/conversations/{conversation_id}/thread-control",
            methods::<_, (A, Id<ConversationId>)>("POST").post(supervisor::thread_control),
        )
        .route(
            "/admin/v1/customers/{page_id}/{psid}/export",
            methods::<_, (A, Id2<PageId, Psid>)>("GET").get(privacy::export),
        )
        .route(
            "/admin/v1/customers/{page_id}/{psid}/erase",
            methods::<_, (A, Id2<PageId, Psid>)>("POST").post(privacy::erase),
        )
        .route(
            "/admin/v1/erasures",
            methods::<_, A>("GET").get(privacy::erasures),
        )
        .route(
            "/admin/v1/deletion-requests",
            methods::<_, A>("GET").get(privacy::deletion_requests),
        )
        .route(
            "/admin/v1/deletion-requests/{code}",
            methods::<_, A>("POST").post(privacy::resolve_deletion),
        )
        .route(
            "/admin/v1/agents",
            methods::<_, A>("GET, POST")
                .get(r::list_agents)
                .post(r::create_agent),
        )
        .route(
            "/admin/v1/agents/{agent_id}",
            methods::<_, (A, Id<AgentId>)>("GET, PATCH, DELETE")
                .get(r::get_agent)
                .patch(r::update_agent)
                .delete(r::delete_agent),
        )
        .route(
            "/admin/v1/agents/{agent_id}/presence",
            methods::<_, (A, Id<AgentId>)>("GET, PUT")
                .get(r::get_presence)
                .put(r::put_presence),
        )
        .route(
            "/admin/v1/agents/{agent_id}/tokens",
            methods::<_, (A, tokens::TokensOf)>("GET, POST, DELETE")
                .get(tokens::list)
                .post(tokens::issue)
                .delete(tokens::revoke_all),
        )
        .route(
            "/admin/v1/agents/{agent_id}/sign-in-links",
            methods::<_, (A, tokens::TokensOf)>("POST").post(sign_in::create),
        )
        .route(
            "/admin/v1/agents/{agent_id}/tokens/{token_id}",
            methods::<_, (A, tokens::TokensOf)>("DELETE").delete(tokens::revoke),
        )
        .route(
            "/admin/v1/queues",
            methods::<_, A>("GET, POST")
                .get(r::list_queues)
                .post(r::create_queue),
        )
        .route(
            "/admin/v1/queues/{queue_id}",
            methods::<_, (A, Id<QueueId>)>("GET, PATCH, DELETE")
                .get(r::get_queue)
                .patch(r::update_queue)
                .delete(r::delete_queue),
        )
        .route(
            "/admin/v1/queues/{queue_id}/waiting",
            methods::<_, (A, Id<QueueId>)>("GET").get(r::waiting),
        )
        .route(
            "/admin/v1/rulesets",
            methods::<_, A>("GET, POST")
                .get(r::list_rulesets)
                .post(r::create_ruleset),
        )
        .route(
            "/admin/v1/rulesets/{ruleset_id}",
            methods::<_, (A, Id<RulesetId>)>("GET, PATCH, DELETE")
                .get(r::get_ruleset)
                .patch(r::update_ruleset)
                .delete(r::delete_ruleset),
        )
        .route(
            "/admin/v1/routing/preview",
            methods::<_, A>("POST").post(r::preview),
        )
        .route(
            "/admin/v1/canned-responses",
            methods::<_, A>("GET, POST")
                .get(canned::list)
                .post(canned::create),
        )
        .route(
            "/admin/v1/canned-responses/{canned_response_id}",
            methods::<_, (A, Id<CannedResponseId>)>("GET, PATCH, DELETE")
                .get(canned::get)
                .patch(canned::update)
                .delete(canned::delete),
        )
        .fallback(unknown)
        .with_state(deps)
}

/// A path under `/admin/v1/` that is no route: the caller is checked
/// first, then the path, as for every route.
async fn unknown(State(deps): State<AdminDeps>, parts: http::request::Parts) -> Answer {
    let original = OriginalPath::of(&parts);
    if !original.starts_with(PREFIX) {
        return Err(Problem::not_found(format!("no route {original}")).into());
    }
    authorize(&deps.auth, &deps.channels, &parts).await?;
    let path = parts.uri.path().trim_end_matches('/');
    let rest = path
        .strip_prefix(PREFIX)
        .ok_or_else(|| Problem::not_found("no such route"))?;
    let decoded = path_segments(rest)?;
    let segments: Vec<&str> = decoded.iter().map(String::as_str).collect();
    match segments.as_slice() {
        ["agents", id, "tokens" | "sign-in-links", ..] => {
            tokens::tokens_of(&deps, id)?;
            Err(Problem::not_found("no such route").into())
        }
        ["agents", ..]
        | ["queues", ..]
        | ["rulesets", ..]
        | ["canned-responses", ..]
        | ["conversations", _, "routing" | "close" | "assign"] => {
            Err(Problem::not_found("not a routing route").into())
        }
        _ => Err(Problem::not_found(format!("no route {path}")).into()),
    }
}
