//! `GET /agent/v1/stream`, the WebSocket push of an agent's feed, on the
//! embedded store wired as serve wires it (appends signalled), over a real
//! listener with a WebSocket client: a bad token is refused with 401
//! before the upgrade; a published event arrives with no poll; a client
//! that reconnects with its last cursor gets exactly what it missed; the
//! subprotocol form authenticates and is echoed; a sixth socket of one
//! agent is refused.

use futures::StreamExt;
use std::sync::Arc;
use std::time::Duration;
use switchboard_core::channels::ChannelDeps;
use switchboard_core::clock::SystemClock;
use switchboard_core::feed;
use switchboard_core::ids::AgentId;
use switchboard_core::stream_signal::SignalledStreams;
use switchboard_tests::*;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};

const ADMIN: &str = "stream-test-admin";

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

struct Rig {
    url: String,
    channels: ChannelDeps,
    agent: AgentId,
    token: String,
    _guard: Box<dyn std::any::Any + Send>,
}

/// One agent, `agent`, with a token, behind a real listener.
async fn rig(agent: &str) -> Rig {
    let e = redb_store();
    let secrets = file_secrets(e.dir.path());
    let mut ch = channel_deps(e.store.clone(), secrets, Arc::new(SystemClock));
    ch.streams = Arc::new(SignalledStreams::new(e.store.clone()));
    let config = serde_json::json!({
        "queues": [{"id": "general", "name": "General"}],
        "agents": [{"id": agent, "name": agent, "email": format!("{agent}@example.com"),
            "capacity": 2, "queues": ["general"], "presence": "available"}],
    });
    let mut report = Default::default();
    switchboard_core::channels::apply_routing(
        &ch,
        serde_json::from_value(config).unwrap(),
        false,
        &mut report,
    )
    .await
    .unwrap();
    let agent = AgentId::parse(agent).unwrap();
    let (token, _) = switchboard_core::agent_tokens::issue(&ch, &agent, false, None)
        .await
        .unwrap();
    let q = local_queue(Default::default());
    let services = services(ch.clone(), Arc::new(q.queue.clone()), ADMIN);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        axum::serve(listener, services.router()).await.unwrap();
    });
    Rig {
        url: format!("ws://{addr}/agent/v1/stream"),
        channels: ch,
        agent,
        token: token.expose().to_string(),
        _guard: Box::new((e, q, AbortOnDrop(server))),
    }
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Rig {
    async fn publish(&self, id: &str) {
        feed::publish(
            self.channels.streams.as_ref(),
            self.channels.clock.as_ref(),
            &self.agent,
            "offer",
            id.to_string(),
            None,
            serde_json::json!({"queue_id": "general"}),
        )
        .await;
    }

    fn request(
        &self,
        query: &str,
        bearer: Option<&str>,
        protocol: Option<&str>,
    ) -> http::Request<()> {
        let mut req = format!("{}{query}", self.url)
            .into_client_request()
            .unwrap();
        if let Some(b) = bearer {
            req.headers_mut()
                .insert("authorization", format!("Bearer {b}").parse().unwrap());
        }
        if let Some(p) = protocol {
            req.headers_mut()
                .insert("sec-websocket-protocol", p.parse().unwrap());
        }
        req
    }

    async fn open(&self, query: &str) -> Ws {
        let (ws, resp) =
            tokio_tungstenite::connect_async(self.request(query, Some(&self.token), None))
                .await
                .unwrap();
        assert_eq!(resp.status(), 101);
        assert!(documented(101));
        ws
    }
}

/// The next event frame (pings and pongs skipped); the timeout only keeps
/// a broken push from hanging the test.
async fn next_frame(ws: &mut Ws) -> serde_json::Value {
    loop {
        let m = tokio::time::timeout(Duration::from_secs(30), ws.next())
            .await
            .expect("a frame")
            .expect("the socket is open")
            .expect("a frame, not an error");
        if let Message::Text(t) = m {
            let v: serde_json::Value = serde_json::from_str(&t).unwrap();
            assert_eq!(v["cursor"], v["event"]["cursor"], "{v}");
            return v;
        }
    }
}

/// Whether docs/agent-api.yaml documents `status` for the operation.
fn documented(status: u16) -> bool {
    let text = std::fs::read_to_string(workspace_root().join("docs/agent-api.yaml")).unwrap();
    let doc: serde_json::Value = serde_yaml_ng::from_str(&text).unwrap();
    let op = &doc["paths"]["/agent/v1/stream"]["get"];
    assert_eq!(op["operationId"], "streamMyEvents");
    !op["responses"][status.to_string()].is_null()
}

/// The status and problem of a refused handshake (a documented one).
fn refused(e: tungstenite::Error) -> (u16, serde_json::Value) {
    match e {
        tungstenite::Error::Http(resp) => {
            let body = resp
                .body()
                .as_deref()
                .and_then(|b| serde_json::from_slice(b).ok())
                .unwrap_or_default();
            let status = resp.status().as_u16();
            assert!(documented(status), "{status} is not documented");
            (status, body)
        }
        other => panic!("not refused over HTTP: {other}"),
    }
}

#[tokio::test]
async fn a_bad_token_is_refused_before_the_upgrade() {
    let rig = rig("stream-bad-token").await;
    for req in [
        rig.request("", Some("sbat_not-a-token"), None),
        rig.request("", None, Some("bearer.sbat_not-a-token")),
        rig.request("", None, None),
    ] {
        let e = tokio_tungstenite::connect_async(req).await.unwrap_err();
        let (status, body) = refused(e);
        assert_eq!(status, 401);
        if !body.is_null() {
            assert_eq!(body["status"], 401, "{body}");
        }
    }
    // A good token without the WebSocket handshake: a documented problem.
    let resp = reqwest::Client::new()
        .get(rig.url.replace("ws://", "http://"))
        .bearer_auth(&rig.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 426);
    assert!(documented(426));
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["code"], "websocket_required", "{body}");
}

#[tokio::test]
async fn a_published_event_arrives_without_a_poll() {
    let rig = rig("stream-push").await;
    let mut ws = rig.open("").await;
    rig.publish("offer:push-1").await;
    let frame = next_frame(&mut ws).await;
    assert_eq!(frame["event"]["id"], "offer:push-1");
    assert_eq!(frame["event"]["type"], "offer");
    assert_eq!(frame["event"]["data"]["queue_id"], "general");
}

#[tokio::test]
async fn reconnecting_with_the_last_cursor_delivers_what_was_missed_once() {
    let rig = rig("stream-resume").await;
    let mut ws = rig.open("").await;
    rig.publish("e1").await;
    let first = next_frame(&mut ws).await;
    assert_eq!(first["event"]["id"], "e1");
    let last = first["cursor"].as_str().unwrap().to_string();
    ws.close(None).await.unwrap();
    // The server answers the close; the socket then ends.
    while let Some(m) = ws.next().await {
        assert!(matches!(m, Ok(Message::Close(_))), "{m:?}");
    }

    rig.publish("e2").await;
    rig.publish("e3").await;
    let mut ws = rig.open(&format!("?after={last}")).await;
    let got: Vec<_> = [next_frame(&mut ws).await, next_frame(&mut ws).await]
        .iter()
        .map(|f| f["event"]["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(got, ["e2", "e3"]);
    // Then live events, and nothing sent twice before them.
    rig.publish("e4").await;
    assert_eq!(next_frame(&mut ws).await["event"]["id"], "e4");

    let e = tokio_tungstenite::connect_async(rig.request(
        "?after=not%20a%20cursor",
        Some(&rig.token),
        None,
    ))
    .await
    .unwrap_err();
    assert_eq!(refused(e).0, 400);
}

#[tokio::test]
async fn the_subprotocol_form_authenticates_and_is_echoed() {
    let rig = rig("stream-browser").await;
    let protocol = format!("bearer.{}", rig.token);
    let (mut ws, resp) = tokio_tungstenite::connect_async(rig.request("", None, Some(&protocol)))
        .await
        .unwrap();
    assert_eq!(resp.status(), 101);
    assert_eq!(
        resp.headers().get("sec-websocket-protocol").unwrap(),
        protocol.as_str()
    );
    rig.publish("offer:browser").await;
    assert_eq!(next_frame(&mut ws).await["event"]["id"], "offer:browser");
}

#[tokio::test]
async fn an_agent_holds_at_most_five_sockets() {
    let rig = rig("stream-cap").await;
    let mut open = Vec::new();
    for _ in 0..5 {
        open.push(rig.open("").await);
    }
    let e = tokio_tungstenite::connect_async(rig.request("", Some(&rig.token), None))
        .await
        .unwrap_err();
    let (status, body) = refused(e);
    assert_eq!(status, 429);
    if !body.is_null() {
        assert_eq!(
            body["type"]
                .as_str()
                .map(|t| t.ends_with("too_many_streams")),
            Some(true),
            "{body}"
        );
    }
    // The others are unaffected.
    rig.publish("offer:capped").await;
    for ws in &mut open {
        assert_eq!(next_frame(ws).await["event"]["id"], "offer:capped");
    }
}
