//! `GET /agent/v1/stream`: the agent's feed pushed over a WebSocket (serve).

use super::AgentDeps;
use super::inbox::after_param;
use crate::extract::QueryPairs;
use crate::problem::{Answer, ApiProblem};
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequestParts, Request, State};
use http::{HeaderMap, HeaderValue, header};
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex, MutexGuard};
use std::time::Duration;
use switchboard_core::feed;
use switchboard_core::problem::{Problem, Status};
use switchboard_core::routing::model::AgentId;
use tracing::Instrument;

/// Most sockets one agent holds open at once (per process).
pub const MAX_SOCKETS: usize = 5;
/// How often the server pings an open socket.
pub const PING_EVERY: Duration = Duration::from_secs(25);
/// How long a closing socket may take to finish the closing handshake.
const CLOSE_WAIT: Duration = Duration::from_secs(5);
/// The subprotocol a browser names its token in: `bearer.<token>`.
pub const BEARER_PROTOCOL: &str = "bearer.";

static SOCKETS: LazyLock<Mutex<HashMap<String, usize>>> = LazyLock::new(Default::default);

fn sockets() -> MutexGuard<'static, HashMap<String, usize>> {
    SOCKETS.lock().unwrap_or_else(|p| p.into_inner())
}

/// One open socket of an agent; dropping it frees its place.
struct SocketSlot(String);

impl SocketSlot {
    fn open(agent: &AgentId) -> Option<Self> {
        let mut open = sockets();
        let n = open.entry(agent.to_string()).or_default();
        if *n >= MAX_SOCKETS {
            return None;
        }
        *n += 1;
        Some(Self(agent.to_string()))
    }
}

impl Drop for SocketSlot {
    fn drop(&mut self) {
        let mut open = sockets();
        if let Some(n) = open.get_mut(&self.0) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.0);
            }
        }
    }
}

/// The `bearer.<token>` subprotocol the client offered, if any.
fn offered_bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .find(|p| p.starts_with(BEARER_PROTOCOL))
        .map(str::to_string)
}

/// `GET /stream?after=`: upgrade to a WebSocket that sends the feed after
/// `after` (or from now), then each event as it is published, one JSON
/// text frame `{"event", "cursor"}` per event. The agent authenticates as
/// for every route, or (browsers) with the subprotocol `bearer.<token>`,
/// which is echoed back.
pub async fn stream(State(d): State<AgentDeps>, req: Request) -> Answer {
    let (mut parts, _) = req.into_parts();
    // A browser's token comes as a subprotocol: check it as the header it
    // would have been, with the one agent check of every route.
    let protocol = offered_bearer(&parts.headers);
    let borrowed = match &protocol {
        Some(p) if !parts.headers.contains_key(header::AUTHORIZATION) => {
            let token = p.get(BEARER_PROTOCOL.len()..).unwrap_or_default();
            let value = HeaderValue::from_str(&format!("Bearer {token}"))
                .map_err(|_| crate::auth::unauthenticated("the agent token is not valid"))?;
            parts.headers.insert(header::AUTHORIZATION, value);
            true
        }
        _ => false,
    };
    let who = crate::auth::caller(&d.auth, &d.channels, &parts).await;
    if borrowed {
        parts.headers.remove(header::AUTHORIZATION);
    }
    let who = who?;
    tracing::Span::current().record("agent_id", tracing::field::display(&who.agent));
    let Ok(q) = QueryPairs::from_request_parts(&mut parts, &d).await;
    let after = after_param(&q)?.map(str::to_string);
    let slot = SocketSlot::open(&who.agent).ok_or_else(|| {
        ApiProblem(Problem::new(
            Status::TOO_MANY_REQUESTS,
            "too_many_streams",
            "Too many streams",
            format!(
                "agent {} already has {MAX_SOCKETS} streams open; close one first",
                who.agent
            ),
        ))
    })?;
    let mut ws = WebSocketUpgrade::from_request_parts(&mut parts, &d)
        .await
        .map_err(|rejection| {
            ApiProblem(Problem::new(
                Status(426),
                "websocket_required",
                "WebSocket required",
                format!(
                    "this route upgrades to a WebSocket: {}",
                    rejection.body_text()
                ),
            ))
        })?;
    // A client sends only pongs and a close, and an event is a few hundred
    // bytes written at once: small buffers keep a connected agent cheap
    // (tungstenite's defaults are 128 KiB each way), and a client that
    // stops reading is cut off at 1 MiB instead of growing without bound.
    ws = ws
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .max_write_buffer_size(1024 * 1024)
        .max_message_size(64 * 1024);
    if let Some(p) = protocol.filter(|_| borrowed) {
        ws = ws.protocols([p]);
    }
    // From now, taken before the client hears 101: an event published
    // once it has is after this cursor.
    let cursor = after.unwrap_or_else(|| feed::horizon(d.channels.clock.as_ref(), d.settle));
    let span = tracing::info_span!("agent_stream", agent_id = %who.agent);
    let agent = who.agent;
    Ok(ws
        .on_failed_upgrade(|e| tracing::debug!(error = %e, "agent stream upgrade failed"))
        .on_upgrade(move |socket| run(socket, d, agent, cursor, slot).instrument(span)))
}

/// The socket's life: events as they come, a ping every [`PING_EVERY`],
/// until the client closes or a send fails.
async fn run(
    mut socket: WebSocket,
    d: AgentDeps,
    agent: AgentId,
    mut cursor: String,
    _slot: SocketSlot,
) {
    let r = d.channels.routing_deps();
    let start = tokio::time::Instant::now() + PING_EVERY;
    let mut ping = tokio::time::interval_at(start, PING_EVERY);
    tracing::debug!("agent stream opened");
    loop {
        tokio::select! {
            read = feed::follow(
                r.streams.as_ref(),
                r.clock.as_ref(),
                &agent,
                Some(&cursor),
                feed::MAX_WAIT,
                d.settle,
            ) => match read {
                Ok((events, next)) => {
                    for event in events {
                        let frame = serde_json::json!({"cursor": event.cursor, "event": event});
                        let text = frame.to_string();
                        if let Err(e) = socket.send(Message::text(text)).await {
                            tracing::debug!(error = %e, "agent stream send failed");
                            return;
                        }
                    }
                    cursor = next;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "agent stream could not read the feed; closing");
                    let _ = socket.send(Message::Close(None)).await;
                    return;
                }
            },
            received = socket.recv() => match received {
                Some(Ok(Message::Close(_))) => {
                    // Reading on sends the close reply queued on receipt,
                    // then ends: the closing handshake completes.
                    let drained = async { while let Some(Ok(_)) = socket.recv().await {} };
                    let _ = tokio::time::timeout(CLOSE_WAIT, drained).await;
                    tracing::debug!("agent stream closed by the client");
                    return;
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    tracing::debug!(error = %e, "agent stream broke");
                    return;
                }
                None => return,
            },
            _ = ping.tick() => {
                if socket.send(Message::Ping(Default::default())).await.is_err() {
                    return;
                }
            }
        }
    }
}
