//! Switchboard's HTTP surface: one axum [`Router`] per API — webhooks
//! ([`webhook`]), operators ([`admin`]), agents ([`agent`]), workstream
//! bots ([`bot`]) — over the
//! domain's functions. The Lambda functions serve one each (through
//! `lambda_http`); `switchboard serve` merges them ([`Services::router`]).
//! Serve a router through [`app`], which trims trailing slashes before
//! routing as the hand-written routing did.

pub mod admin;
pub mod agent;
pub mod auth;
pub mod bot;
pub mod deletion;
pub mod extract;
pub mod problem;
pub mod webhook;

pub use admin::AdminDeps;
pub use agent::AgentDeps;
pub use auth::{AdminAuth, AgentAuth, Principal};
pub use problem::ApiProblem;

use axum::Router;
use axum::extract::Request;
use axum::response::IntoResponse;
use extract::OriginalPath;
use switchboard_core::ingest::IngestDeps;
use switchboard_core::problem::Problem;
use switchboard_core::verify::VerifyDeps;
use tracing::Instrument;

/// Every API's deps, for `switchboard serve`.
#[derive(Clone)]
pub struct Services {
    pub verify: VerifyDeps,
    pub ingest: IngestDeps,
    pub admin: AdminDeps,
    pub agent: AgentDeps,
    pub bot: bot::BotDeps,
}

impl Services {
    /// Every route in one router, each request in a `request` span:
    /// `/healthz`, and by its path's prefix the webhooks', the admin, the
    /// agent or the bot API's router (each answering its own unknown paths, after
    /// checking the caller); a problem `404` for anything else.
    pub fn router(self) -> Router {
        self.router_with_site(None)
    }

    /// [`Services::router`], with `site` answering every path no API
    /// holds (serve's web console) instead of the `404`.
    pub fn router_with_site(self, site: Option<Router>) -> Router {
        let apis = vec![
            (
                deletion::STATUS_PREFIX,
                webhook::router(None, Some(self.ingest.clone())),
            ),
            (
                webhook::WEBHOOK_PREFIX,
                webhook::router(Some(self.verify), Some(self.ingest)),
            ),
            (admin::PREFIX, admin::router(self.admin)),
            (agent::PREFIX, agent::router(self.agent)),
            (bot::PREFIX, bot::router(self.bot)),
        ];
        let by_prefix = by_prefix(apis, site);
        Router::new()
            .route("/healthz", axum::routing::any(healthz))
            .fallback(by_prefix)
            .layer(axum::middleware::from_fn(request_span))
    }
}

/// A handler that passes each request to the first API whose prefix its
/// path starts with, else to `site`, else answers a problem `404`.
pub fn by_prefix(
    apis: Vec<(&'static str, Router)>,
    site: Option<Router>,
) -> impl Fn(
    Request,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = axum::response::Response> + Send>>
+ Clone
+ Send
+ Sync
+ 'static {
    move |req: Request| {
        let path = OriginalPath::of_request(&req);
        let api = apis
            .iter()
            .find(|(prefix, _)| path.starts_with(prefix))
            .map(|(_, r)| r.clone())
            .or_else(|| site.clone());
        Box::pin(async move {
            match api {
                Some(api) => match tower::ServiceExt::oneshot(api, req).await {
                    Ok(resp) => resp,
                    Err(never) => match never {},
                },
                None => ApiProblem(Problem::not_found(format!("no route {path}"))).into_response(),
            }
        })
    }
}

async fn healthz(parts: http::request::Parts) -> axum::response::Response {
    let path = OriginalPath::of(&parts);
    if path != "/healthz" {
        return ApiProblem(Problem::not_found(format!("no route {path}"))).into_response();
    }
    problem::ok(&serde_json::json!({ "status": "ok" })).into_response()
}

/// Anything no API routes.
pub async fn no_route(parts: http::request::Parts) -> ApiProblem {
    let path = OriginalPath::of(&parts);
    ApiProblem(Problem::not_found(format!("no route {path}")))
}

async fn request_span(req: Request, next: axum::middleware::Next) -> axum::response::Response {
    let path = OriginalPath::of_request(&req);
    let span = tracing::info_span!("request", method = %req.method(), path = %path);
    async move {
        let resp = next.run(req).await;
        tracing::debug!(status = resp.status().as_u16(), "response");
        resp
    }
    .instrument(span)
    .await
}

/// The path with its trailing slashes trimmed (`/admin/v1/agents/` routes
/// as `/admin/v1/agents`), the path as it came kept as [`OriginalPath`].
pub fn normalize<B>(mut req: http::Request<B>) -> http::Request<B> {
    let path = req.uri().path();
    let trimmed = path.trim_end_matches('/');
    if trimmed.len() != path.len() && !trimmed.is_empty() {
        let original = path.to_string();
        let rebuilt = match req.uri().query() {
            Some(q) => format!("{trimmed}?{q}"),
            None => trimmed.to_string(),
        };
        if let Ok(pq) = http::uri::PathAndQuery::try_from(rebuilt) {
            let mut parts = req.uri().clone().into_parts();
            parts.path_and_query = Some(pq);
            if let Ok(uri) = http::Uri::from_parts(parts) {
                *req.uri_mut() = uri;
                req.extensions_mut().insert(OriginalPath(original));
            }
        }
    }
    req
}

/// A router as the service every front end serves: trailing slashes
/// trimmed before routing ([`normalize`]), and `Allow` only on a `405`
/// (axum adds it to whatever a route's method fallback answers, such as
/// the `401` or `400` of the checks made before a `405`).
pub type App = tower::util::MapResponse<
    tower::util::MapRequest<Router, fn(Request) -> Request>,
    fn(axum::response::Response) -> axum::response::Response,
>;

pub fn app(router: Router) -> App {
    tower::util::MapResponse::new(
        tower::util::MapRequest::new(router, normalize as fn(Request) -> Request),
        allow_only_on_405 as fn(axum::response::Response) -> axum::response::Response,
    )
}

fn allow_only_on_405(mut resp: axum::response::Response) -> axum::response::Response {
    if resp.status() != http::StatusCode::METHOD_NOT_ALLOWED {
        resp.headers_mut().remove(http::header::ALLOW);
    }
    resp
}

/// A problem as an axum response (for glue that answers on its own).
pub fn response(p: Problem) -> axum::response::Response {
    ApiProblem(p).into_response()
}
