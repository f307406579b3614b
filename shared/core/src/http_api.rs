//! The HTTP surface as plain functions over `http::Request<Bytes>`: the
//! Lambda functions (through `lambda_http`) and `switchboard serve`
//! (through axum) call exactly these.

use crate::channels::{self, ChannelDeps};
use crate::ids::AccountId;
use crate::ids::{ConversationId, PageId, Psid};
use crate::ingest::{self, IngestDeps};
use crate::ports::{ConversationFilter, ConversationState};
use crate::problem::Problem;
use crate::routing::admin as ra;
use crate::routing::engine::{self, RoutingDeps};
use crate::routing::model::{AgentId, AgentState, QueueId, RulesetId};
use crate::secret::Secret;
use crate::signature::{SIGNATURE_256_HEADER, SIGNATURE_SHA1_HEADER};
use crate::verify::{self, VerifyDeps};
use crate::workstreams::WorkstreamId;
use bytes::Bytes;
use http::{Method, Response, StatusCode, header};
use serde::Serialize;
use tracing::Instrument;

pub type HttpRequest = http::Request<Bytes>;
pub type HttpResponse = http::Response<Bytes>;

pub const WEBHOOK_PREFIX: &str = "/webhooks/facebook/";

fn json<T: Serialize>(status: StatusCode, value: &T) -> HttpResponse {
    match serde_json::to_vec(value) {
        Ok(body) => {
            let mut r = Response::new(Bytes::from(body));
            *r.status_mut() = status;
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static("application/json"),
            );
            r
        }
        Err(e) => Problem::internal(format!("response could not be encoded: {e}")).into_response(),
    }
}

fn text(status: StatusCode, body: String) -> HttpResponse {
    let mut r = Response::new(Bytes::from(body));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

fn method_not_allowed(allowed: &'static str) -> HttpResponse {
    Problem::method_not_allowed(allowed).into_response()
}

/// The `{account_id}` of a webhook path.
pub fn webhook_account(path: &str) -> Option<&str> {
    let rest = path.strip_prefix(WEBHOOK_PREFIX)?.trim_end_matches('/');
    (!rest.is_empty() && !rest.contains('/')).then_some(rest)
}

/// `GET /webhooks/facebook/{account_id}`.
pub async fn webhook_verify(deps: &VerifyDeps, req: &HttpRequest) -> HttpResponse {
    let Some(account) = webhook_account(req.uri().path()) else {
        return Problem::not_found("no such route").into_response();
    };
    match verify::verify_webhook(deps, account, req.uri().query().unwrap_or("")).await {
        Ok(challenge) => text(StatusCode::OK, challenge),
        Err(e) => {
            tracing::warn!(account_id = account, reason = %e, "webhook verification refused");
            Problem::from(e).into_response()
        }
    }
}

/// `POST /webhooks/facebook/{account_id}`.
pub async fn webhook_ingest(deps: &IngestDeps, req: &HttpRequest) -> HttpResponse {
    let Some(account) = webhook_account(req.uri().path()) else {
        return Problem::not_found("no such route").into_response();
    };
    let sig256 = req
        .headers()
        .get(SIGNATURE_256_HEADER)
        .and_then(|v| v.to_str().ok());
    let sha1 = req.headers().contains_key(SIGNATURE_SHA1_HEADER);
    match ingest::ingest(deps, account, sig256, sha1, req.body()).await {
        Ok(report) => json(
            StatusCode::OK,
            &serde_json::json!({ "status": "queued", "events": report.events }),
        ),
        Err(e) => {
            if matches!(
                e,
                ingest::IngestError::Queue { .. }
                    | ingest::IngestError::Store(_)
                    | ingest::IngestError::Secrets(_)
            ) {
                tracing::error!(account_id = account, error = %e, "delivery not queued; answering 500 so Meta retries");
            }
            Problem::from(e).into_response()
        }
    }
}

/// Who is calling, as the platform's authorizer established it (in AWS,
/// the API Gateway JWT authorizer's claims). Only the Lambda glue puts it
/// in a request's extensions; no header can.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub subject: String,
    /// The user name (Cognito's `username`): an agent signs in with their agent id.
    pub username: Option<String>,
    pub groups: Vec<String>,
}

/// How admin requests prove who they are.
#[derive(Clone)]
pub enum AdminAuth {
    /// `Authorization: Bearer <token>` (serve: `SWITCHBOARD_ADMIN_TOKEN`).
    Bearer(Secret),
    /// A [`Principal`] in this group (AWS: a Cognito group in the JWT).
    Group(String),
}

#[derive(Clone)]
pub struct AdminDeps {
    pub channels: ChannelDeps,
    pub auth: AdminAuth,
}

/// Request bodies are JSON objects (serde would read an array as a struct).
pub fn require_object(body: &[u8]) -> Result<(), Problem> {
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => Ok(()),
        _ => Err(Problem::bad_request(
            "invalid_body",
            "the request body must be a JSON object",
        )),
    }
}

fn parse_body<T: serde::de::DeserializeOwned>(req: &HttpRequest) -> Result<T, Problem> {
    read_body(req.body())
}

/// A request body: a JSON object, read as `T`. A whole number written with
/// a fraction (`2.0`) is the integer JSON Schema says it is. (Fields that
/// `null` does not clear refuse it: see [`crate::serde_rules::present`].)
pub fn read_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Problem> {
    require_object(body)?;
    let invalid = |e: serde_json::Error| {
        Problem::bad_request(
            "invalid_body",
            format!("the request body is not what this route takes: {e}"),
        )
    };
    let mut value: serde_json::Value = serde_json::from_slice(body).map_err(invalid)?;
    whole_numbers_as_integers(&mut value);
    serde_json::from_value(value).map_err(invalid)
}

fn whole_numbers_as_integers(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::Number(n) => {
            if let Some(f) = n.as_f64().filter(|_| n.is_f64())
                && f.fract() == 0.0
                && f.abs() < 9.0e15
            {
                *v = Value::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_numbers_as_integers),
        Value::Object(map) => map.values_mut().for_each(whole_numbers_as_integers),
        _ => {}
    }
}

/// The segments of a route's path, each percent-decoded
/// (`/admin/v1/agents/%61nna` names agent `anna`).
pub fn path_segments(rest: &str) -> Result<Vec<String>, Problem> {
    rest.split('/')
        .map(|seg| {
            percent_encoding::percent_decode_str(seg)
                .decode_utf8()
                .map(|c| c.into_owned())
                .map_err(|_| {
                    Problem::bad_request(
                        "invalid_path",
                        "a path segment is not percent-encoded UTF-8",
                    )
                })
        })
        .collect()
}

fn no_content() -> HttpResponse {
    let mut r = Response::new(Bytes::new());
    *r.status_mut() = StatusCode::NO_CONTENT;
    r
}

/// The group that may also set an agent's presence through the admin API
/// (in AWS; under serve the admin bearer token does everything).
pub const SUPERVISOR_GROUP: &str = "supervisor";

/// Supervisors may set presence; everything else needs the admin group.
fn allowed_groups<'a>(required: &'a str, req: &HttpRequest) -> Vec<&'a str> {
    let path = req.uri().path().trim_end_matches('/');
    let segments: Vec<&str> = path.split('/').collect();
    let presence = matches!(
        segments.as_slice(),
        ["", "admin", "v1", "agents", _, "presence"]
    );
    if presence {
        vec![required, SUPERVISOR_GROUP]
    } else {
        vec![required]
    }
}

fn authorize(auth: &AdminAuth, req: &HttpRequest) -> Result<(), Problem> {
    let unauthenticated = |detail: &str| {
        Problem::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Unauthenticated",
            detail,
        )
    };
    match auth {
        AdminAuth::Group(required) => match req.extensions().get::<Principal>() {
            Some(p)
                if p.groups
                    .iter()
                    .any(|g| allowed_groups(required, req).contains(&g.as_str())) =>
            {
                Ok(())
            }
            Some(p) => Err(Problem::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "Forbidden",
                format!("{} is not in the {required} group", p.subject),
            )),
            None => Err(unauthenticated(
                "sign in: this API needs a token from the stack's user pool",
            )),
        },
        AdminAuth::Bearer(expected) => {
            let presented = req
                .headers()
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "));
            match presented {
                Some(token) if !expected.is_empty() && expected.ct_eq(token.trim()) => Ok(()),
                Some(_) => Err(unauthenticated("the bearer token is not valid")),
                None => Err(unauthenticated("send Authorization: Bearer <admin token>")),
            }
        }
    }
}

fn query_pairs(req: &HttpRequest) -> Vec<(String, String)> {
    form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn conversation_filter(
    req: &HttpRequest,
) -> Result<(ConversationFilter, crate::paging::PageRequest), Problem> {
    let pairs = query_pairs(req);
    let page = crate::paging::PageRequest::from_pairs(
        pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
    )?;
    let mut f = ConversationFilter {
        limit: Some(page.read()),
        after: page.after.clone(),
        ..ConversationFilter::default()
    };
    for (k, v) in pairs {
        match k.as_str() {
            "page_id" => f.page_id = Some(PageId::parse(v)?),
            "psid" => f.psid = Some(Psid::parse(v)?),
            "state" => {
                f.state = Some(ConversationState::parse(&v).ok_or_else(|| {
                    Problem::bad_request(
                        "invalid_state",
                        format!(
                            "state {v:?} is not one of waiting, offered, assigned, wrap_up, closed"
                        ),
                    )
                })?)
            }
            "limit" | "cursor" => {}
            other => {
                return Err(Problem::bad_request(
                    "unknown_parameter",
                    format!(
                        "unknown query parameter {other:?}; use page_id, psid, state, limit or cursor"
                    ),
                ));
            }
        }
    }
    Ok((f, page))
}

/// Stream reads one survey page may take while filtering by workstream.
const SURVEY_READS: usize = 5;

/// `/admin/v1/...` (read access for operators; grows with later issues).
pub async fn admin(deps: &AdminDeps, req: &HttpRequest) -> HttpResponse {
    match admin_inner(deps, req).await {
        Ok(r) => r,
        Err(p) => p.into_response(),
    }
}

async fn admin_inner(deps: &AdminDeps, req: &HttpRequest) -> Result<HttpResponse, Problem> {
    authorize(&deps.auth, req)?;
    let path = req.uri().path().trim_end_matches('/');
    let rest = path
        .strip_prefix("/admin/v1/")
        .ok_or_else(|| Problem::not_found("no such route"))?;
    let decoded = path_segments(rest)?;
    let segments: Vec<&str> = decoded.iter().map(String::as_str).collect();
    let conversations = &deps.channels.conversations;
    let ch = &deps.channels;
    let m = req.method().clone();
    if let ["agents", id, "tokens", rest @ ..] = segments.as_slice() {
        return agent_tokens(deps, req, id, rest).await;
    }
    if let ["surveys"] = segments.as_slice() {
        if m != Method::GET {
            return Ok(method_not_allowed("GET"));
        }
        let pairs = query_pairs(req);
        let page = crate::paging::PageRequest::from_pairs(
            pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        )?;
        let ws = pairs
            .into_iter()
            .find(|(k, _)| k == "workstream")
            .map(|(_, v)| WorkstreamId::parse(v))
            .transpose()?;
        // Oldest first, in stream order; a workstream filters while reading,
        // with a bounded number of stream reads a request: the cursor is
        // the last entry looked at, kept or not.
        let mut kept = Vec::new();
        let mut after = page.after.clone();
        let mut end = false;
        for _ in 0..SURVEY_READS {
            let entries = ch
                .streams
                .read_entries(
                    crate::delivery::SURVEYS_STREAM,
                    after.as_deref(),
                    page.read(),
                )
                .await?;
            let full = entries.len() == page.read();
            let mut filled = false;
            for e in entries {
                if kept.len() == page.limit {
                    filled = true;
                    break;
                }
                after = Some(e.cursor.clone());
                if ws
                    .as_ref()
                    .is_none_or(|w| e.data["workstream"] == w.as_str())
                {
                    kept.push(e);
                }
            }
            if filled {
                break;
            }
            if !full {
                end = true;
                break;
            }
        }
        let next = if end {
            None
        } else {
            after.as_deref().map(crate::paging::encode)
        };
        let answers: Vec<serde_json::Value> = kept.into_iter().map(|e| e.data).collect();
        return Ok(json(
            StatusCode::OK,
            &serde_json::json!({ "answers": answers, "next_cursor": next }),
        ));
    }
    if let Some(r) = routing_admin(&ch.routing_deps(), &segments, &m, req).await {
        // A deleted agent's tokens go with it (serve's tokens; in AWS the
        // user pool's users are removed there).
        if let (Ok(resp), ["agents", id], AdminAuth::Bearer(_)) =
            (&r, segments.as_slice(), &deps.auth)
            && m == Method::DELETE
            && resp.status() == StatusCode::NO_CONTENT
        {
            crate::agent_tokens::revoke(ch, &AgentId::parse(*id)?, None).await?;
        }
        return r;
    }
    match segments.as_slice() {
        ["alerts"] => match m {
            Method::GET => Ok(json(
                StatusCode::OK,
                &serde_json::json!({
                    "alerts": channels::alerts(&ch.pages()).await?,
                    // What Meta sent that could not be used, and Meta's
                    // policy actions, newest first (30 days).
                    "set_aside": crate::aside::recent(ch.streams.as_ref(), ch.clock.now(), 100).await?,
                }),
            )),
            _ => Ok(method_not_allowed("GET")),
        },
        ["apply"] => match m {
            Method::POST => {
                let dry_run = match query_pairs(req)
                    .iter()
                    .find(|(k, _)| k == "dry_run")
                    .map(|(_, v)| v.as_str())
                {
                    None | Some("false") => false,
                    Some("true") => true,
                    Some(_) => {
                        return Err(Problem::bad_request(
                            "invalid_query",
                            "dry_run is true or false",
                        ));
                    }
                };
                Ok(json(
                    StatusCode::OK,
                    &channels::apply(ch, parse_body(req)?, dry_run).await?,
                ))
            }
            _ => Ok(method_not_allowed("POST")),
        },
        ["export"] => match m {
            Method::GET => Ok(json(StatusCode::OK, &channels::export(ch).await?)),
            _ => Ok(method_not_allowed("GET")),
        },
        ["workstreams"] => match m {
            Method::GET => Ok(json(
                StatusCode::OK,
                &serde_json::json!({ "workstreams": channels::list_workstreams(ch).await? }),
            )),
            Method::POST => Ok(json(
                StatusCode::CREATED,
                &channels::create_workstream(ch, parse_body(req)?).await?,
            )),
            _ => Ok(method_not_allowed("GET, POST")),
        },
        ["workstreams", id] => {
            let id = WorkstreamId::parse(*id)?;
            match m {
                Method::GET => Ok(json(
                    StatusCode::OK,
                    &channels::get_workstream(ch, &id).await?,
                )),
                Method::PATCH => Ok(json(
                    StatusCode::OK,
                    &channels::update_workstream(ch, &id, parse_body(req)?).await?,
                )),
                Method::DELETE => {
                    channels::delete_workstream(ch, &id).await?;
                    Ok(no_content())
                }
                _ => Ok(method_not_allowed("GET, PATCH, DELETE")),
            }
        }
        ["accounts"] => match m {
            Method::GET => Ok(json(
                StatusCode::OK,
                &serde_json::json!({ "accounts": channels::list_accounts(ch).await? }),
            )),
            Method::POST => Ok(json(
                StatusCode::CREATED,
                &channels::create_account(ch, parse_body(req)?).await?,
            )),
            _ => Ok(method_not_allowed("GET, POST")),
        },
        ["accounts", id] => {
            let id = AccountId::parse(*id)?;
            match m {
                Method::GET => Ok(json(StatusCode::OK, &channels::get_account(ch, &id).await?)),
                Method::PATCH => Ok(json(
                    StatusCode::OK,
                    &channels::update_account(ch, &id, parse_body(req)?).await?,
                )),
                Method::DELETE => {
                    channels::delete_account(ch, &id).await?;
                    Ok(no_content())
                }
                _ => Ok(method_not_allowed("GET, PATCH, DELETE")),
            }
        }
        ["accounts", id, "pages"] => {
            let id = AccountId::parse(*id)?;
            match m {
                Method::GET => Ok(json(
                    StatusCode::OK,
                    &serde_json::json!({ "pages": channels::list_pages(ch, &id).await? }),
                )),
                Method::POST => Ok(json(
                    StatusCode::CREATED,
                    &channels::add_page(ch, &id, parse_body(req)?).await?,
                )),
                _ => Ok(method_not_allowed("GET, POST")),
            }
        }
        ["accounts", id, "pages", page] => {
            let (id, page) = (AccountId::parse(*id)?, PageId::parse(*page)?);
            match m {
                Method::GET => Ok(json(
                    StatusCode::OK,
                    &channels::get_page(ch, &id, &page).await?,
                )),
                Method::DELETE => Ok(json(
                    StatusCode::OK,
                    &channels::remove_page(ch, &id, &page).await?,
                )),
                _ => Ok(method_not_allowed("GET, DELETE")),
            }
        }
        ["accounts", id, "pages", page, "token"] => {
            let (id, page) = (AccountId::parse(*id)?, PageId::parse(*page)?);
            match m {
                Method::PUT => Ok(json(
                    StatusCode::OK,
                    &channels::rotate_token(ch, &id, &page, parse_body(req)?).await?,
                )),
                _ => Ok(method_not_allowed("PUT")),
            }
        }
        ["conversations"] => {
            if req.method() != Method::GET {
                return Ok(method_not_allowed("GET"));
            }
            let (filter, page) = conversation_filter(req)?;
            let list = conversations.list_conversations(&filter).await?;
            let (list, next) =
                crate::paging::page(list, &page, crate::ports::Conversation::list_key);
            Ok(json(
                StatusCode::OK,
                &serde_json::json!({ "conversations": list, "next_cursor": next }),
            ))
        }
        ["conversations", id] => {
            if req.method() != Method::GET {
                return Ok(method_not_allowed("GET"));
            }
            let id = ConversationId::parse(*id)?;
            let conv = conversations
                .get_conversation(&id)
                .await?
                .ok_or_else(|| Problem::not_found(format!("no conversation {id}")))?;
            Ok(json(StatusCode::OK, &conv))
        }
        ["conversations", id, "timeline"] => {
            if req.method() != Method::GET {
                return Ok(method_not_allowed("GET"));
            }
            let id = ConversationId::parse(*id)?;
            if conversations.get_conversation(&id).await?.is_none() {
                return Err(Problem::not_found(format!("no conversation {id}")));
            }
            let events = conversations.timeline(&id).await?;
            // Typed, not `json!`: the events' raw JSON is written as it is.
            #[derive(Serialize)]
            struct Timeline<'a> {
                conversation_id: &'a ConversationId,
                events: &'a [crate::event::InboundEvent],
            }
            Ok(json(
                StatusCode::OK,
                &Timeline {
                    conversation_id: &id,
                    events: &events,
                },
            ))
        }
        _ => Err(Problem::not_found(format!("no route {path}"))),
    }
}

/// `/agents/{id}/tokens[/{token_id}]`: issue, list and revoke agents'
/// tokens (under serve; in AWS agents sign in with the user pool).
async fn agent_tokens(
    deps: &AdminDeps,
    req: &HttpRequest,
    id: &str,
    rest: &[&str],
) -> Result<HttpResponse, Problem> {
    use crate::agent_tokens as tokens;
    let id = AgentId::parse(id)?;
    if let AdminAuth::Group(_) = deps.auth {
        return Err(Problem::new(
            StatusCode::CONFLICT,
            "tokens_from_user_pool",
            "Agents sign in with the user pool",
            format!(
                "in AWS, create a user named {id} in the stack's user pool, in the agent group"
            ),
        ));
    }
    let ch = &deps.channels;
    match (rest, req.method().clone()) {
        ([], Method::POST) => {
            #[derive(serde::Deserialize)]
            #[serde(deny_unknown_fields)]
            struct TokenInput {
                #[serde(default)]
                supervisor: bool,
                #[serde(default, deserialize_with = "crate::serde_rules::present")]
                ttl_seconds: Option<u64>,
            }
            let input: TokenInput = if req.body().is_empty() {
                TokenInput {
                    supervisor: false,
                    ttl_seconds: None,
                }
            } else {
                parse_body(req)?
            };
            let (token, info) = tokens::issue(ch, &id, input.supervisor, input.ttl_seconds).await?;
            #[derive(Serialize)]
            struct Issued<'a> {
                agent_id: &'a AgentId,
                token: &'a str,
                #[serde(flatten)]
                info: &'a tokens::TokenInfo,
            }
            Ok(json(
                StatusCode::CREATED,
                &Issued {
                    agent_id: &id,
                    token: token.expose(),
                    info: &info,
                },
            ))
        }
        ([], Method::GET) => Ok(json(
            StatusCode::OK,
            &serde_json::json!({ "agent_id": id, "tokens": tokens::list(ch, &id).await? }),
        )),
        ([], Method::DELETE) => {
            let n = tokens::revoke(ch, &id, None).await?;
            Ok(json(
                StatusCode::OK,
                &serde_json::json!({ "agent_id": id, "revoked": n }),
            ))
        }
        ([], _) => Ok(method_not_allowed("GET, POST, DELETE")),
        ([token_id], Method::DELETE) => {
            tokens::revoke(ch, &id, Some(token_id)).await?;
            Ok(no_content())
        }
        ([_], _) => Ok(method_not_allowed("DELETE")),
        _ => Err(Problem::not_found("no such route")),
    }
}

/// Agents, queues, rulesets, presence and routing diagnostics; `None`
/// when the path is not one of these.
async fn routing_admin(
    r: &RoutingDeps,
    segments: &[&str],
    m: &Method,
    req: &HttpRequest,
) -> Option<Result<HttpResponse, Problem>> {
    let run = async {
        match segments {
            ["agents"] => match *m {
                Method::GET => Ok(json(
                    StatusCode::OK,
                    &serde_json::json!({ "agents": ra::list_agents(r).await?.iter().map(agent_view).collect::<Vec<_>>() }),
                )),
                Method::POST => Ok(json(
                    StatusCode::CREATED,
                    &agent_view(&ra::create_agent(r, parse_body(req)?).await?),
                )),
                _ => Ok(method_not_allowed("GET, POST")),
            },
            ["agents", id] => {
                let id = AgentId::parse(*id)?;
                match *m {
                    Method::GET => Ok(json(
                        StatusCode::OK,
                        &agent_view(&ra::get_agent(r, &id).await?),
                    )),
                    Method::PATCH => Ok(json(
                        StatusCode::OK,
                        &agent_view(&ra::update_agent(r, &id, parse_body(req)?).await?),
                    )),
                    Method::DELETE => {
                        ra::delete_agent(r, &id).await?;
                        Ok(no_content())
                    }
                    _ => Ok(method_not_allowed("GET, PATCH, DELETE")),
                }
            }
            ["agents", id, "presence"] => {
                let id = AgentId::parse(*id)?;
                match *m {
                    Method::GET => Ok(json(
                        StatusCode::OK,
                        &presence_view(&ra::get_agent(r, &id).await?),
                    )),
                    Method::PUT => Ok(json(
                        StatusCode::OK,
                        &presence_view(&ra::put_presence(r, &id, parse_body(req)?).await?),
                    )),
                    _ => Ok(method_not_allowed("GET, PUT")),
                }
            }
            ["queues"] => match *m {
                Method::GET => Ok(json(
                    StatusCode::OK,
                    &serde_json::json!({ "queues": ra::list_queues(r).await? }),
                )),
                Method::POST => Ok(json(
                    StatusCode::CREATED,
                    &ra::create_queue(r, parse_body(req)?).await?,
                )),
                _ => Ok(method_not_allowed("GET, POST")),
            },
            ["queues", id] => {
                let id = QueueId::parse(*id)?;
                match *m {
                    Method::GET => Ok(json(StatusCode::OK, &ra::get_queue(r, &id).await?)),
                    Method::PATCH => Ok(json(
                        StatusCode::OK,
                        &ra::update_queue(r, &id, parse_body(req)?).await?,
                    )),
                    Method::DELETE => {
                        ra::delete_queue(r, &id).await?;
                        Ok(no_content())
                    }
                    _ => Ok(method_not_allowed("GET, PATCH, DELETE")),
                }
            }
            ["queues", id, "waiting"] => {
                let id = QueueId::parse(*id)?;
                match *m {
                    Method::GET => {
                        let page = crate::paging::PageRequest::from_pairs(
                            query_pairs(req)
                                .iter()
                                .map(|(k, v)| (k.as_str(), v.as_str())),
                        )?;
                        ra::get_queue(r, &id).await?;
                        let items = r
                            .routing
                            .waiting(&id, page.after.as_deref(), page.read())
                            .await?;
                        let (items, next) = crate::paging::page(
                            items,
                            &page,
                            crate::routing::model::WaitingItem::key,
                        );
                        Ok(json(
                            StatusCode::OK,
                            &serde_json::json!({
                                "queue_id": id,
                                "waiting": items,
                                "next_cursor": next,
                            }),
                        ))
                    }
                    _ => Ok(method_not_allowed("GET")),
                }
            }
            ["rulesets"] => match *m {
                Method::GET => {
                    let ws = query_pairs(req)
                        .into_iter()
                        .find(|(k, _)| k == "workstream")
                        .map(|(_, v)| WorkstreamId::parse(v))
                        .transpose()?;
                    Ok(json(
                        StatusCode::OK,
                        &serde_json::json!({ "rulesets": ra::list_rulesets(r, ws.as_ref()).await? }),
                    ))
                }
                Method::POST => Ok(json(
                    StatusCode::CREATED,
                    &ra::create_ruleset(r, parse_body(req)?).await?,
                )),
                _ => Ok(method_not_allowed("GET, POST")),
            },
            ["rulesets", id] => {
                let id = RulesetId::parse(*id)?;
                match *m {
                    Method::GET => Ok(json(StatusCode::OK, &ra::get_ruleset(r, &id).await?)),
                    Method::PATCH => Ok(json(
                        StatusCode::OK,
                        &ra::update_ruleset(r, &id, parse_body(req)?).await?,
                    )),
                    Method::DELETE => {
                        ra::delete_ruleset(r, &id).await?;
                        Ok(no_content())
                    }
                    _ => Ok(method_not_allowed("GET, PATCH, DELETE")),
                }
            }
            ["conversations", id, "routing"] => {
                let id = ConversationId::parse(*id)?;
                match *m {
                    Method::GET => {
                        let c = r
                            .conversations
                            .get_conversation(&id)
                            .await?
                            .ok_or_else(|| Problem::not_found(format!("no conversation {id}")))?;
                        let routing = c.routing.unwrap_or_default();
                        Ok(json(
                            StatusCode::OK,
                            &serde_json::json!({
                                "conversation_id": id,
                                "state": c.state,
                                "explanation": routing.reason,
                                "routing": routing,
                            }),
                        ))
                    }
                    _ => Ok(method_not_allowed("GET")),
                }
            }
            ["conversations", id, "close"] => {
                let id = ConversationId::parse(*id)?;
                match *m {
                    Method::POST => Ok(json(
                        StatusCode::OK,
                        &engine::close(r, &id, "closed by an administrator").await?,
                    )),
                    _ => Ok(method_not_allowed("POST")),
                }
            }
            _ => Err(Problem::not_found("not a routing route")),
        }
    };
    let routed = matches!(
        segments,
        ["agents", ..]
            | ["queues", ..]
            | ["rulesets", ..]
            | ["conversations", _, "routing" | "close"]
    );
    if routed { Some(run.await) } else { None }
}

/// An agent as the admin API shows it: configuration, presence (as set and
/// as others see it) and load.
fn agent_view(a: &AgentState) -> serde_json::Value {
    let mut v = serde_json::to_value(&a.agent).unwrap_or_default();
    v["presence"] = presence_view(a);
    v["load"] = serde_json::to_value(&a.load).unwrap_or_default();
    v["version"] = a.version.into();
    v
}

fn presence_view(a: &AgentState) -> serde_json::Value {
    serde_json::json!({
        "agent_id": a.agent.id,
        "status": a.presence.status,
        "label": a.presence.label,
        "effective": a.effective_presence(),
        "set_at": a.presence.set_at.to_rfc3339(),
        "used_capacity": a.load.used,
        "capacity": a.agent.capacity,
    })
}

/// Every function's routes in one place, for `switchboard serve`.
#[derive(Clone)]
pub struct Services {
    pub verify: VerifyDeps,
    pub ingest: IngestDeps,
    pub admin: AdminDeps,
    pub agent: crate::agent_api::AgentDeps,
}

pub async fn dispatch(services: &Services, req: HttpRequest) -> HttpResponse {
    let span = tracing::info_span!("request", method = %req.method(), path = %req.uri().path());
    async {
        let path = req.uri().path();
        let resp = if path == "/healthz" {
            json(StatusCode::OK, &serde_json::json!({ "status": "ok" }))
        } else if path.starts_with(WEBHOOK_PREFIX) {
            match *req.method() {
                Method::GET => webhook_verify(&services.verify, &req).await,
                Method::POST => webhook_ingest(&services.ingest, &req).await,
                _ => method_not_allowed("GET, POST"),
            }
        } else if path.starts_with("/admin/v1/") {
            admin(&services.admin, &req).await
        } else if path.starts_with("/agent/v1/") {
            crate::agent_api::handle(&services.agent, &req).await
        } else {
            Problem::not_found(format!("no route {path}")).into_response()
        };
        tracing::debug!(status = resp.status().as_u16(), "response");
        resp
    }
    .instrument(span)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn as_member(path: &str, group: &str) -> HttpRequest {
        let mut req = http::Request::builder()
            .method("PUT")
            .uri(path)
            .body(Bytes::new())
            .unwrap();
        req.extensions_mut().insert(Principal {
            subject: "u1".into(),
            username: None,
            groups: vec![group.into()],
        });
        req
    }

    #[test]
    fn supervisors_may_set_presence_and_nothing_else() {
        let auth = AdminAuth::Group("admin".into());
        assert!(
            authorize(
                &auth,
                &as_member("/admin/v1/agents/anna/presence", "supervisor")
            )
            .is_ok()
        );
        assert!(authorize(&auth, &as_member("/admin/v1/agents/anna/presence", "admin")).is_ok());
        let denied =
            authorize(&auth, &as_member("/admin/v1/agents/anna", "supervisor")).unwrap_err();
        assert_eq!(denied.status, 403);
        assert!(authorize(&auth, &as_member("/admin/v1/agents/anna/presence", "agent")).is_err());
    }

    #[test]
    fn bodies_are_objects_and_whole_floats_are_integers() {
        #[derive(serde::Deserialize, Debug)]
        struct Q {
            priority: u32,
            #[serde(default)]
            weights: Vec<u8>,
        }
        let q: Q = read_body(br#"{"priority": 2089.0, "weights": [1.0, 2]}"#).unwrap();
        assert_eq!((q.priority, q.weights), (2089, vec![1, 2]));
        assert!(read_body::<Q>(br#"{"priority": 2.5}"#).is_err());
        for not_object in [&b"[null, null]"[..], b"5", b"  \"x\""] {
            let e = read_body::<serde_json::Value>(not_object).unwrap_err();
            assert_eq!((e.status, e.code), (400, "invalid_body"));
        }
    }

    #[test]
    fn path_segments_are_percent_decoded() {
        assert_eq!(
            path_segments("agents/%61nna/tokens").unwrap(),
            ["agents", "anna", "tokens"]
        );
        assert_eq!(
            path_segments("agents/%FF").unwrap_err().code,
            "invalid_path"
        );
    }

    #[test]
    fn webhook_paths() {
        assert_eq!(webhook_account("/webhooks/facebook/acme"), Some("acme"));
        assert_eq!(webhook_account("/webhooks/facebook/acme/"), Some("acme"));
        assert_eq!(webhook_account("/webhooks/facebook/"), None);
        assert_eq!(webhook_account("/webhooks/facebook/a/b"), None);
    }
}
