//! `/agent/v1/...`: what an agent does all day. The caller is an agent
//! (their bearer token under serve; the JWT's username and groups in AWS)
//! and sees and acts only on conversations offered or assigned to them; a
//! supervisor may see every conversation.

use crate::channels::ChannelDeps;
use crate::contacts;
use crate::delivery::{self, DeliveryError};
use crate::event::{EventKind, InboundEvent};
use crate::feed;
use crate::http_api::{HttpRequest, HttpResponse, Principal, SUPERVISOR_GROUP};
use crate::ids::{ContactId, ConversationId};
use crate::outbound::{Author, Content, Outbound, Status, window};
use crate::ports::{Conversation, ConversationFilter, ConversationState};
use crate::problem::Problem;
use crate::routing::admin as ra;
use crate::routing::engine::{self, RoutingDeps, TransferTo};
use crate::routing::model::{AgentId, QueueId};
use crate::time::Millis;
use http::{Method, StatusCode, header};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The group agents are in (AWS).
pub const AGENT_GROUP: &str = "agent";

/// How agents prove who they are.
#[derive(Clone)]
pub enum AgentAuth {
    /// Bearer tokens issued by the admin API (serve), looked up by hash in
    /// the secrets port.
    Tokens,
    /// A [`Principal`] whose username is the agent id, in the `agent` or
    /// `supervisor` group (AWS: the JWT authorizer's claims).
    Claims,
}

#[derive(Clone)]
pub struct AgentDeps {
    pub channels: ChannelDeps,
    pub auth: AgentAuth,
    /// How long new feed events are held back (see [`feed::read`]).
    pub settle: Duration,
}

/// Who is calling.
#[derive(Debug, Clone)]
pub struct Caller {
    pub agent: AgentId,
    pub supervisor: bool,
}

fn unauthenticated(detail: &str) -> Problem {
    Problem::new(
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
        "Unauthenticated",
        detail,
    )
}

async fn caller(deps: &AgentDeps, req: &HttpRequest) -> Result<Caller, Problem> {
    match deps.auth {
        AgentAuth::Tokens => {
            let token = req
                .headers()
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim)
                .ok_or_else(|| unauthenticated("send Authorization: Bearer <agent token>"))?;
            let bearer = crate::agent_tokens::verify(&deps.channels, token)
                .await?
                .ok_or_else(|| {
                    unauthenticated(
                        "the agent token is not valid: it expired, was revoked, or its agent was deleted; ask an administrator for a new one",
                    )
                })?;
            Ok(Caller {
                agent: bearer.agent,
                supervisor: bearer.supervisor,
            })
        }
        AgentAuth::Claims => {
            let p = req.extensions().get::<Principal>().ok_or_else(|| {
                unauthenticated("sign in: this API needs a token from the stack's user pool")
            })?;
            let supervisor = p.groups.iter().any(|g| g == SUPERVISOR_GROUP);
            if !supervisor && !p.groups.iter().any(|g| g == AGENT_GROUP) {
                return Err(Problem::new(
                    StatusCode::FORBIDDEN,
                    "forbidden",
                    "Forbidden",
                    format!("{} is not in the agent or supervisor group", p.subject),
                ));
            }
            let name = p.username.clone().unwrap_or_else(|| p.subject.clone());
            let agent = AgentId::parse(name.as_str()).map_err(|_| {
                Problem::new(
                    StatusCode::FORBIDDEN,
                    "not_an_agent",
                    "Not an agent",
                    format!("user {name:?} is not an agent id; sign in as the agent"),
                )
            })?;
            Ok(Caller { agent, supervisor })
        }
    }
}

fn json<T: Serialize>(status: StatusCode, value: &T) -> HttpResponse {
    let body = serde_json::to_vec(value).unwrap_or_default();
    let mut r = http::Response::new(bytes::Bytes::from(body));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    r
}

fn body<T: serde::de::DeserializeOwned>(req: &HttpRequest) -> Result<T, Problem> {
    let bytes: &[u8] = if req.body().is_empty() {
        b"{}"
    } else {
        req.body()
    };
    crate::http_api::read_body(bytes)
}

fn not_allowed(allowed: &'static str) -> Problem {
    Problem::method_not_allowed(allowed)
}

fn query(req: &HttpRequest, key: &str) -> Option<String> {
    form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

/// `?limit=` and `?cursor=` of a list.
fn page_request(req: &HttpRequest) -> Result<crate::paging::PageRequest, Problem> {
    let pairs: Vec<(String, String)> =
        form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
    crate::paging::PageRequest::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
}

/// Whether the conversation is the caller's: offered or assigned to them
/// (or in their wrap-up).
fn is_mine(conv: &Conversation, me: &AgentId) -> bool {
    let Some(r) = &conv.routing else { return false };
    match conv.state {
        ConversationState::Offered => r.offer.as_ref().is_some_and(|o| &o.agent == me),
        ConversationState::Assigned | ConversationState::WrapUp => r.agent.as_ref() == Some(me),
        _ => false,
    }
}

async fn contact(r: &RoutingDeps, id: &str) -> Result<crate::ports::Contact, Problem> {
    let id = ContactId::parse(id)?;
    r.conversations
        .get_contact(&id)
        .await?
        .ok_or_else(|| Problem::not_found(format!("no contact {id}")))
}

/// The conversation if the caller may see it; 404 otherwise (whether it
/// exists is not theirs to know).
async fn visible(
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
fn can_see(c: &Conversation, who: &Caller) -> bool {
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
async fn visible_contact(
    r: &RoutingDeps,
    who: &Caller,
    id: &str,
    orphans: bool,
) -> Result<crate::ports::Contact, Problem> {
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
async fn held(r: &RoutingDeps, who: &Caller, id: &ConversationId) -> Result<Conversation, Problem> {
    let conv = visible(r, who, id).await?;
    if conv.state == ConversationState::Offered && !who.supervisor {
        return Err(Problem::new(
            StatusCode::CONFLICT,
            "not_assigned",
            "Not assigned to you",
            format!("conversation {id} is only offered to you; accept or decline it"),
        ));
    }
    Ok(conv)
}

pub async fn handle(deps: &AgentDeps, req: &HttpRequest) -> HttpResponse {
    use tracing::Instrument;
    let span = tracing::info_span!("agent_request", agent_id = tracing::field::Empty);
    match route(deps, req).instrument(span).await {
        Ok(r) => r,
        Err(p) => p.into_response(),
    }
}

async fn route(deps: &AgentDeps, req: &HttpRequest) -> Result<HttpResponse, Problem> {
    let who = caller(deps, req).await?;
    let path = req.uri().path().trim_end_matches('/');
    let rest = path
        .strip_prefix("/agent/v1/")
        .ok_or_else(|| Problem::not_found("no such route"))?;
    let decoded = crate::http_api::path_segments(rest)?;
    let segments: Vec<&str> = decoded.iter().map(String::as_str).collect();
    let r = deps.channels.routing_deps();
    let m = req.method().clone();
    tracing::Span::current().record("agent_id", tracing::field::display(&who.agent));
    match (segments.as_slice(), m) {
        (["presence"], Method::GET) => Ok(json(
            StatusCode::OK,
            &presence(&ra::get_agent(&r, &who.agent).await?),
        )),
        (["presence"], Method::PUT) => Ok(json(
            StatusCode::OK,
            &presence(&ra::put_presence(&r, &who.agent, body(req)?).await?),
        )),
        (["presence"], _) => Err(not_allowed("GET, PUT")),
        (["events"], Method::GET) => {
            let wait = match query(req, "wait") {
                Some(w) => w.parse::<u64>().ok().filter(|w| *w <= 25).ok_or_else(|| {
                    Problem::bad_request("invalid_wait", "wait is a number of seconds from 0 to 25")
                })?,
                None => 0,
            };
            let after = query(req, "after").filter(|a| !a.is_empty());
            if let Some(a) = &after
                && (a.len() > 100 || !a.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
            {
                return Err(Problem::bad_request(
                    "invalid_cursor",
                    "after is a cursor from an earlier answer",
                ));
            }
            let (events, cursor) = feed::read(
                r.streams.as_ref(),
                r.clock.as_ref(),
                &who.agent,
                after.as_deref(),
                Duration::from_secs(wait),
                deps.settle,
            )
            .await?;
            Ok(json(
                StatusCode::OK,
                &serde_json::json!({"events": events, "cursor": cursor}),
            ))
        }
        (["events"], _) => Err(not_allowed("GET")),
        (["conversations"], Method::GET) => {
            let states = match query(req, "state") {
                Some(s) => vec![ConversationState::parse(&s).ok_or_else(|| {
                    Problem::bad_request(
                        "invalid_state",
                        format!(
                            "state {s:?} is not one of offered, assigned, wrap_up, waiting, closed"
                        ),
                    )
                })?],
                None => vec![
                    ConversationState::Offered,
                    ConversationState::Assigned,
                    ConversationState::WrapUp,
                ],
            };
            let page = page_request(req)?;
            // The cursor names the state it stopped in and the list key in it.
            let (first, mut after) = match &page.after {
                Some(c) => {
                    let (st, key) = c
                        .split_once('|')
                        .and_then(|(st, key)| Some((ConversationState::parse(st)?, key)))
                        .filter(|(st, _)| states.contains(st))
                        .ok_or_else(crate::paging::invalid_cursor)?;
                    (
                        states.iter().position(|s| *s == st).unwrap_or(0),
                        Some(key.to_string()),
                    )
                }
                None => (0, None),
            };
            let mut out: Vec<Conversation> = Vec::new();
            for st in states.into_iter().skip(first) {
                let want = page.read() - out.len();
                let list = if who.supervisor {
                    r.conversations
                        .list_conversations(&ConversationFilter {
                            state: Some(st),
                            limit: Some(want),
                            after: after.take(),
                            ..Default::default()
                        })
                        .await?
                } else {
                    r.routing
                        .agent_conversations(&who.agent, st, after.take().as_deref(), want)
                        .await?
                };
                out.extend(list);
                if out.len() >= page.read() {
                    break;
                }
            }
            let (out, next) = crate::paging::page(out, &page, |c| {
                format!("{}|{}", c.state.as_str(), c.list_key())
            });
            let views: Vec<_> = out.iter().map(summary).collect();
            Ok(json(
                StatusCode::OK,
                &serde_json::json!({"conversations": views, "next_cursor": next}),
            ))
        }
        (["conversations"], _) => Err(not_allowed("GET")),
        (["conversations", id], Method::GET) => {
            let id = ConversationId::parse(*id)?;
            let conv = visible(&r, &who, &id).await?;
            Ok(json(StatusCode::OK, &detail(&r, &conv).await?))
        }
        (["conversations", _], _) => Err(not_allowed("GET")),
        (["conversations", id, "contact"], Method::GET) => {
            let conv = visible(&r, &who, &ConversationId::parse(*id)?).await?;
            let contact = r
                .conversations
                .get_contact(&conv.contact_id)
                .await?
                .ok_or_else(|| Problem::not_found(format!("no contact {}", conv.contact_id)))?;
            Ok(json(StatusCode::OK, &contacts::view(&contact)))
        }
        (["conversations", id, "contact"], Method::PUT) => {
            // Linking changes the customer's record: it takes holding the
            // conversation, not just an offer.
            let conv = held(&r, &who, &ConversationId::parse(*id)?).await?;
            let input: serde_json::Value = body(req)?;
            let (contact_id, created) = match input.get("contact_id") {
                Some(v) => {
                    if input.as_object().is_some_and(|o| o.len() > 1) {
                        return Err(Problem::bad_request(
                            "invalid_body",
                            "send {contact_id} to link an existing contact, or the new contact's fields (name, email, phone, notes) to create one",
                        ));
                    }
                    let target =
                        visible_contact(&r, &who, v.as_str().unwrap_or_default(), true).await?;
                    (target.id, None)
                }
                None => {
                    let new: contacts::NewContact = serde_json::from_value(input)
                        .map_err(|e| Problem::bad_request("invalid_body", e.to_string()))?;
                    let c = contacts::create(new, r.clock.now())?;
                    r.conversations.create_contact(&c).await?;
                    (c.id.clone(), Some(c))
                }
            };
            let linked = r.conversations.link_contact(&conv.id, &contact_id).await?;
            // A new contact is the one just written; an existing one is read.
            let contact = match created {
                Some(c) => c,
                None => contact(&r, contact_id.as_str()).await?,
            };
            Ok(json(
                StatusCode::OK,
                &serde_json::json!({"conversation_id": linked.id, "contact": contacts::view(&contact)}),
            ))
        }
        (["conversations", _, "contact"], _) => Err(not_allowed("GET, PUT")),
        (["contacts"], Method::POST) => {
            let c = contacts::create(crate::http_api::read_body(req.body())?, r.clock.now())?;
            r.conversations.create_contact(&c).await?;
            Ok(json(StatusCode::CREATED, &contacts::view(&c)))
        }
        (["contacts"], _) => Err(not_allowed("POST")),
        (["contacts", id], Method::GET) => {
            let c = visible_contact(&r, &who, id, true).await?;
            Ok(json(StatusCode::OK, &contacts::view(&c)))
        }
        (["contacts", id], Method::PATCH) => {
            // An edit needs a body (an empty one is not "change nothing").
            let change: serde_json::Value = crate::http_api::read_body(req.body())?;
            // Without a version, a concurrent edit of other fields is
            // reapplied on top; with one, it is refused (409).
            visible_contact(&r, &who, id, true).await?;
            for _ in 0..3 {
                let current = contact(&r, id).await?;
                let next = contacts::patch(&current, &change, r.clock.now())?;
                match r.conversations.update_contact(&next, current.version).await {
                    Ok(()) => return Ok(json(StatusCode::OK, &contacts::view(&next))),
                    Err(crate::ports::StoreError::Conflict(_)) => continue,
                    Err(e) => return Err(e.into()),
                }
            }
            Err(Problem::new(
                StatusCode::CONFLICT,
                "contact_busy",
                "Changed meanwhile",
                "the contact kept changing; read it again and retry",
            ))
        }
        (["contacts", _], _) => Err(not_allowed("GET, PATCH")),
        (["contacts", id, "history"], Method::GET) => {
            let c = visible_contact(&r, &who, id, true).await?;
            let page = page_request(req)?;
            let convs = r
                .conversations
                .contact_conversations(&c.id, page.after.as_deref(), page.read())
                .await?;
            let (convs, next) = crate::paging::page(convs, &page, Conversation::list_key);
            let views: Vec<_> = convs.iter().map(summary).collect();
            Ok(json(
                StatusCode::OK,
                &serde_json::json!({"contact_id": c.id, "conversations": views, "next_cursor": next}),
            ))
        }
        (["contacts", _, "history"], _) => Err(not_allowed("GET")),
        (["conversations", id, action], Method::POST) => {
            let id = ConversationId::parse(*id)?;
            conversation_action(deps, &r, &who, &id, action, req).await
        }
        (["conversations", _, _], _) => Err(not_allowed("POST")),
        _ => Err(Problem::not_found(format!("no route {path}"))),
    }
}

async fn conversation_action(
    deps: &AgentDeps,
    r: &RoutingDeps,
    who: &Caller,
    id: &ConversationId,
    action: &str,
    req: &HttpRequest,
) -> Result<HttpResponse, Problem> {
    let me = &who.agent;
    match action {
        "accept" => {
            let c = engine::accept(r, me, id).await?;
            Ok(json(StatusCode::OK, &summary(&c)))
        }
        "decline" => {
            engine::decline(r, me, id, false).await?;
            Ok(json(
                StatusCode::OK,
                &serde_json::json!({"id": id, "declined": true}),
            ))
        }
        "transfer" => {
            #[derive(Deserialize)]
            #[serde(deny_unknown_fields)]
            struct Transfer {
                queue_id: Option<QueueId>,
                agent_id: Option<AgentId>,
            }
            held(r, who, id).await?;
            let t: Transfer = body(req)?;
            let to = match (t.queue_id, t.agent_id) {
                (Some(q), None) => TransferTo::Queue(q),
                (None, Some(a)) => TransferTo::Agent(a),
                _ => {
                    return Err(Problem::bad_request(
                        "invalid_transfer",
                        "give exactly one of queue_id or agent_id",
                    ));
                }
            };
            let c = engine::transfer(r, me, id, to).await?;
            Ok(json(StatusCode::OK, &summary(&c)))
        }
        "end" => {
            held(r, who, id).await?;
            let c = engine::end(r, me, id).await?;
            Ok(json(StatusCode::OK, &summary(&c)))
        }
        "close" => {
            let conv = held(r, who, id).await?;
            if !conv.state.is_open() {
                return Err(closed(id));
            }
            let c = engine::close(r, id, &format!("closed by {me}")).await?;
            Ok(json(StatusCode::OK, &summary(&c)))
        }
        "messages" => reply(r, who, id, req).await,
        "typing" => {
            let conv = held(r, who, id).await?;
            #[derive(Deserialize)]
            #[serde(deny_unknown_fields)]
            struct Typing {
                #[serde(default = "yes")]
                on: bool,
                #[serde(default)]
                seen: bool,
            }
            fn yes() -> bool {
                true
            }
            let t: Typing = body(req)?;
            let action = match (t.seen, t.on) {
                (true, _) => "mark_seen",
                (false, true) => "typing_on",
                (false, false) => "typing_off",
            };
            sender_action(deps, &conv, action).await?;
            Ok(json(
                StatusCode::OK,
                &serde_json::json!({"id": id, "sender_action": action}),
            ))
        }
        _ => Err(Problem::not_found(format!("no action {action:?}"))),
    }
}

fn closed(id: &ConversationId) -> Problem {
    Problem::new(
        StatusCode::CONFLICT,
        "conversation_closed",
        "Conversation closed",
        format!("conversation {id} is closed"),
    )
}

/// What an agent's reply may be.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Reply {
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    attachment: Option<ReplyAttachment>,
    #[serde(default)]
    quick_replies: Vec<crate::outbound::QuickReply>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplyAttachment {
    #[serde(rename = "type")]
    kind: crate::outbound::AttachmentKind,
    url: String,
}

fn unprocessable(code: &'static str, title: &'static str, detail: impl Into<String>) -> Problem {
    Problem::new(StatusCode::UNPROCESSABLE_ENTITY, code, title, detail)
}

async fn reply(
    r: &RoutingDeps,
    who: &Caller,
    id: &ConversationId,
    req: &HttpRequest,
) -> Result<HttpResponse, Problem> {
    let conv = visible(r, who, id).await?;
    if !conv.state.is_open() {
        return Err(closed(id));
    }
    let mine = conv.routing.as_ref().and_then(|r| r.agent.as_ref()) == Some(&who.agent);
    if !mine || conv.state == ConversationState::Offered {
        return Err(Problem::new(
            StatusCode::CONFLICT,
            "not_assigned",
            "Not assigned to you",
            format!("conversation {id} is not assigned to you; accept the offer first"),
        ));
    }
    let input: Reply = body(req)?;
    let content = match (input.text, input.attachment) {
        (Some(text), None) => Content::Text {
            text,
            quick_replies: input.quick_replies,
        },
        (None, Some(a)) => Content::Attachment {
            kind: a.kind,
            url: a.url,
            quick_replies: input.quick_replies,
        },
        _ => {
            return Err(Problem::bad_request(
                "invalid_body",
                "give either text or attachment: {type, url}",
            ));
        }
    };
    if content.quick_replies().iter().any(|q| {
        q.payload
            .to_ascii_uppercase()
            .starts_with(delivery::SURVEY_PAYLOAD)
    }) {
        return Err(unprocessable(
            "reserved_payload",
            "Reserved payload",
            format!(
                "quick-reply payloads starting with {:?} are Switchboard's own",
                delivery::SURVEY_PAYLOAD
            ),
        ));
    }
    content.check().map_err(|e| {
        let code = match e {
            crate::outbound::ContentError::TooLong(_) => "text_too_long",
            crate::outbound::ContentError::NotHttps(_) => "attachment_url_not_https",
            crate::outbound::ContentError::Empty => "empty_message",
            crate::outbound::ContentError::QuickReplies => "invalid_quick_replies",
        };
        unprocessable(code, "Message not sendable", e.to_string())
    })?;
    let ws = match conv.routing.as_ref().and_then(|r| r.workstream.as_ref()) {
        Some(w) => r.workstreams.get_workstream(w).await?,
        None => None,
    };
    let tag = ws.as_ref().is_some_and(|w| w.features.human_agent_tag);
    if matches!(content, Content::Attachment { .. })
        && ws.as_ref().is_some_and(|w| !w.features.agent_attachments)
    {
        return Err(unprocessable(
            "attachments_disabled",
            "Attachments are off",
            "this workstream does not let agents send attachments",
        ));
    }
    let author = Author::Agent {
        agent_id: who.agent.to_string(),
    };
    if let Err(closed) = window(conv.last_customer_message_at, r.clock.now(), &author, tag) {
        return Err(unprocessable(
            "messaging_window_closed",
            "Messaging window closed",
            closed.reason.clone(),
        )
        .with("closed_at", closed.closed_at.to_rfc3339()));
    }
    let m = delivery::enqueue(r, &conv, author, content)
        .await
        .map_err(|e| match e {
            DeliveryError::Store(s) => Problem::from(s),
            DeliveryError::Queue(q) => {
                Problem::unavailable(format!("the message was not queued ({q}); send it again"))
            }
        })?;
    Ok(json(
        StatusCode::ACCEPTED,
        &serde_json::json!({"id": m.id, "status": "queued", "conversation_id": id}),
    ))
}

/// Typing indicators and mark-seen go straight to the Send API (they are
/// not messages and are not queued); a failure is answered 502.
async fn sender_action(deps: &AgentDeps, conv: &Conversation, action: &str) -> Result<(), Problem> {
    let ch = &deps.channels;
    if window(
        conv.last_customer_message_at,
        ch.clock.now(),
        &Author::Survey,
        false,
    )
    .is_err()
    {
        return Err(unprocessable(
            "messaging_window_closed",
            "Messaging window closed",
            "sender actions need the 24-hour window",
        ));
    }
    let token = crate::channels::page_token(ch, &conv.page_id)
        .await?
        .ok_or_else(|| {
            Problem::new(
                StatusCode::CONFLICT,
                "page_token_missing",
                "Page token missing",
                "the page has no access token; connect it again",
            )
        })?;
    let body = serde_json::json!({"recipient": {"id": conv.psid}, "sender_action": action});
    ch.graph
        .send_message(&conv.page_id, &token, &body)
        .await
        .map_err(|e| {
            Problem::new(
                StatusCode::BAD_GATEWAY,
                "graph_error",
                "Meta refused it",
                crate::graph::GraphError::explain(&e),
            )
        })?;
    Ok(())
}

fn presence(a: &crate::routing::model::AgentState) -> serde_json::Value {
    serde_json::json!({
        "agent_id": a.agent.id,
        "status": a.presence.status,
        "label": a.presence.label,
        "effective": a.effective_presence(),
        "used_capacity": a.load.used,
        "capacity": a.agent.capacity,
    })
}

fn summary(c: &Conversation) -> serde_json::Value {
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
    })
}

async fn detail(r: &RoutingDeps, conv: &Conversation) -> Result<serde_json::Value, Problem> {
    let events = r.conversations.timeline(&conv.id).await?;
    let outbound = r.outbound.list_outbound(&conv.id).await?;
    let ws = match conv.routing.as_ref().and_then(|r| r.workstream.as_ref()) {
        Some(w) => r.workstreams.get_workstream(w).await?,
        None => None,
    };
    let contact = r.conversations.get_contact(&conv.contact_id).await?;
    let surveys = r
        .streams
        .read_entries(&delivery::survey_stream(&conv.id), None, 10)
        .await?
        .into_iter()
        .map(|e| e.data)
        .collect::<Vec<_>>();
    let attachments_on = ws.as_ref().is_none_or(|w| w.features.customer_attachments);
    let mut v = summary(conv);
    v["transcript"] = serde_json::to_value(transcript(conv, &events, &outbound, attachments_on))
        .unwrap_or_default();
    v["contact"] = contact.as_ref().map(contacts::view).unwrap_or_default();
    v["survey"] = surveys.last().cloned().unwrap_or_default();
    Ok(v)
}

/// One line of a transcript.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Entry {
    #[serde(with = "crate::time::rfc3339")]
    pub at: Millis,
    /// customer, agent, automated, survey, page_inbox, system.
    pub from: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attachments: Option<serde_json::Value>,
    /// For outbound messages: queued, sent, delivered, read, failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outbound_id: Option<crate::ids::OutboundId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// For outbound messages: the quick replies offered (title, payload).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub quick_replies: Vec<crate::outbound::QuickReply>,
}

impl Entry {
    fn new(at: Millis, from: &'static str) -> Self {
        Self {
            at,
            from,
            text: None,
            attachments: None,
            status: None,
            outbound_id: None,
            agent_id: None,
            failure: None,
            note: None,
            quick_replies: Vec::new(),
        }
    }
}

/// The conversation as the agent reads it: customer messages, the Page
/// inbox's, ours with their status (receipts applied), and routing's steps.
/// Our own echoes are not shown a second time.
pub fn transcript(
    conv: &Conversation,
    events: &[InboundEvent],
    outbound: &[Outbound],
    customer_attachments: bool,
) -> Vec<Entry> {
    let ours_mid: std::collections::HashSet<&str> = outbound
        .iter()
        .filter_map(|m| match &m.status {
            Status::Sent { message_id, .. } => Some(message_id.as_str()),
            _ => None,
        })
        .collect();
    let ours_id: std::collections::HashSet<&str> = outbound.iter().map(|m| m.id.as_str()).collect();
    let mut delivered_wm = i64::MIN;
    let mut read_wm = i64::MIN;
    let mut delivered_mids = std::collections::HashSet::new();
    // Messages the customer unsent: shown as unsent, their text withheld.
    let unsent: std::collections::HashSet<&str> = events
        .iter()
        .filter(|e| e.kind == EventKind::Unsend)
        .filter_map(|e| e.mid.as_deref())
        .collect();
    let mut out = Vec::new();
    for e in events {
        match e.kind {
            EventKind::Delivery => {
                delivered_wm = delivered_wm.max(e.watermark.unwrap_or(i64::MIN));
                delivered_mids.extend(e.mids.iter().map(String::as_str));
            }
            EventKind::Read => read_wm = read_wm.max(e.watermark.unwrap_or(i64::MIN)),
            EventKind::Echo => {
                let ours = e.metadata.as_deref().is_some_and(|m| ours_id.contains(m))
                    || e.mid.as_deref().is_some_and(|m| ours_mid.contains(m));
                if !ours {
                    let mut en = Entry::new(e.timestamp, "page_inbox");
                    en.text = e.text.clone();
                    en.note = e
                        .app_id
                        .as_ref()
                        .map(|a| format!("sent by app {a} or the Page inbox"));
                    out.push(en);
                }
            }
            k if k.is_customer_activity() => {
                let mut en = Entry::new(e.timestamp, "customer");
                if e.mid.as_deref().is_some_and(|m| unsent.contains(m)) {
                    en.note = Some("the customer unsent this message".into());
                    out.push(en);
                    continue;
                }
                en.text = e.text.clone().or_else(|| {
                    e.postback
                        .as_ref()
                        .map(|p| p.title.clone().unwrap_or_default())
                });
                if e.unsupported {
                    en.note = Some(
                        "Messenger could not show this message here; ask the customer to send it another way"
                            .into(),
                    );
                }
                if e.text_cut {
                    en.note = Some(format!(
                        "the message was longer than {} characters; the rest is in the timeline's raw event",
                        crate::event::MAX_TEXT_CHARS
                    ));
                }
                if !e.attachments.is_empty() {
                    if customer_attachments {
                        en.attachments = serde_json::to_value(&e.attachments).ok();
                        en.note = Some(
                            "attachment links come from Meta and expire; open them soon".into(),
                        );
                    } else {
                        en.note = Some(format!(
                            "the customer sent {} attachment(s); this workstream does not deliver them to agents",
                            e.attachments.len()
                        ));
                    }
                }
                out.push(en);
            }
            _ => {}
        }
    }
    for m in outbound {
        let mut en = Entry::new(
            m.created_at,
            match &m.author {
                Author::Agent { .. } => "agent",
                Author::Automated { .. } => "automated",
                Author::Survey => "survey",
            },
        );
        if let Author::Agent { agent_id } = &m.author {
            en.agent_id = Some(agent_id.clone());
        }
        match &m.content {
            Content::Text {
                text,
                quick_replies,
            } => {
                en.text = Some(text.clone());
                en.quick_replies = quick_replies.clone();
            }
            Content::Attachment { kind, url, .. } => {
                en.attachments = Some(serde_json::json!([{"type": kind, "url": url}]))
            }
        }
        en.outbound_id = Some(m.id.clone());
        en.status = Some(match &m.status {
            Status::Queued => "queued",
            Status::Sent { at, message_id, .. } => {
                if at.0 <= read_wm {
                    "read"
                } else if at.0 <= delivered_wm || delivered_mids.contains(message_id.as_str()) {
                    "delivered"
                } else {
                    "sent"
                }
            }
            Status::Failed {
                code,
                subcode,
                reason,
                ..
            } => {
                en.failure =
                    Some(serde_json::json!({"code": code, "subcode": subcode, "reason": reason}));
                "failed"
            }
        });
        out.push(en);
    }
    if let Some(r) = &conv.routing {
        for d in &r.decisions {
            let mut en = Entry::new(d.at, "system");
            en.text = Some(format!("{}: {}", d.step, d.detail));
            out.push(en);
        }
    }
    out.sort_by_key(|e| e.at);
    out
}
