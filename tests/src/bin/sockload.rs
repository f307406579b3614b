//! Socket load for `make bench`: the `switchboard serve` of the `serve` profile with 1,000
//! agents, each holding a WebSocket on `/agent/v1/stream`. Reports serve's
//! memory per connected agent, and the time from a webhook's `200` to the
//! offer it causes reaching its agent's socket (one new conversation at a
//! time, so each figure is one delivery's path: queue, routing, offer,
//! publish, push).

use futures::StreamExt;
use std::time::{Duration, Instant};
use switchboard_tests::bench::{
    ReleaseServe, deliver, message_body, now_ms, percentile, rss_kib, settled_cpu_seconds,
};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

const SECRET: &str = "sockload-app-secret";
const ADMIN: &str = "sockload-admin-token-0123456789";
const AGENTS: usize = 1_000;
const PROBES: usize = 300;

fn config() -> String {
    let mut c = format!(
        "accounts:\n  - id: acme\n    name: Acme\n    app_id: \"900000000000001\"\n    app_secret: {SECRET}\n    verify_token: sockload-verify-token-0123456789\n    pages:\n      - page_id: \"104857600000001\"\n        name: Support\n\
queues:\n  - id: general\n    name: General\n\
workstreams:\n  - id: support\n    name: Support\n    locale: en\n    pages: [\"104857600000001\"]\n    distribution:\n      mode: push\n      fallback_queue: general\n      offer_timeout_seconds: 3600\n\
agents:\n"
    );
    for i in 0..AGENTS {
        c.push_str(&format!(
            "  - id: agent-{i:04}\n    name: Agent {i}\n    email: agent-{i:04}@example.com\n    capacity: 1\n    queues: [general]\n    presence: available\n"
        ));
    }
    c
}

#[tokio::main]
async fn main() {
    let server = ReleaseServe::start(&config(), ADMIN, &[]);
    let base = server.base.clone();
    let http = reqwest::Client::new();

    let mut tokens = Vec::with_capacity(AGENTS);
    for i in 0..AGENTS {
        let v: serde_json::Value = http
            .post(format!("{base}/admin/v1/agents/agent-{i:04}/tokens"))
            .bearer_auth(ADMIN)
            .json(&serde_json::json!({}))
            .send()
            .await
            .expect("issue a token")
            .json()
            .await
            .expect("a token answer");
        let token = v["token"].as_str().expect("a token").to_string();
        tokens.push(token);
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = rss_kib(server.pid()).unwrap_or_default();

    // Every offer frame, with when it arrived, from every socket.
    let (tx, mut rx) = mpsc::unbounded_channel::<(String, Instant)>();
    let ws_base = base.replacen("http://", "ws://", 1);
    let connecting = Instant::now();
    for token in &tokens {
        let mut req = format!("{ws_base}/agent/v1/stream")
            .into_client_request()
            .expect("a WebSocket request");
        req.headers_mut().insert(
            "sec-websocket-protocol",
            HeaderValue::from_str(&format!("bearer.{token}")).expect("a header value"),
        );
        let (socket, _) = tokio_tungstenite::connect_async(req)
            .await
            .expect("connect the agent's socket");
        let tx = tx.clone();
        tokio::spawn(async move {
            let (_, mut read) = socket.split();
            while let Some(Ok(frame)) = read.next().await {
                let at = Instant::now();
                if let Ok(text) = frame.into_text()
                    && let Ok(v) = serde_json::from_str::<serde_json::Value>(&text)
                    && v["event"]["type"] == "offer"
                {
                    let conv = v["event"]["conversation_id"].as_str().unwrap_or_default();
                    let _ = tx.send((conv.to_string(), at));
                }
            }
        });
    }
    let connect_secs = connecting.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = rss_kib(server.pid()).unwrap_or_default();

    let url = format!("{base}/webhooks/facebook/acme");
    let mut latencies = Vec::with_capacity(PROBES);
    let mut missed = 0;
    for n in 0..PROBES {
        let b = message_body(
            &format!("7790000{n:09}"),
            &format!("m_sock_{n}"),
            "Where is my parcel?",
            now_ms(),
        );
        let r = deliver(&http, &url, SECRET, b).await.expect("deliver");
        assert!(r.status().is_success(), "webhook answered {}", r.status());
        let acked = Instant::now();
        match tokio::time::timeout(Duration::from_secs(10), rx.recv()).await {
            Ok(Some((_, at))) => latencies.push(at.duration_since(acked).as_secs_f64() * 1000.0),
            _ => missed += 1,
        }
    }
    latencies.sort_by(f64::total_cmp);
    println!(
        "socket load: switchboard serve (serve profile, embedded store), {AGENTS} agents each on /agent/v1/stream"
    );
    println!(
        "  connected {AGENTS} sockets in {connect_secs:.2} s; serve's memory {:.1} MiB before, {:.1} MiB after: {:.1} KiB per connected agent",
        before as f64 / 1024.0,
        after as f64 / 1024.0,
        after.saturating_sub(before) as f64 / AGENTS as f64
    );
    println!(
        "  webhook 200 -> offer on the agent's socket ({} new conversations, one at a time, {missed} missed): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        latencies.len(),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies.last().copied().unwrap_or(f64::NAN)
    );
    if let Some(cpu) = settled_cpu_seconds(server.pid()) {
        println!("  serve's whole-process CPU (user + system, /proc, set-up included): {cpu:.2} s");
    }
}
