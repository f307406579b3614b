//! Load run for `make bench`: agent reply -> Send API request latency under
//! the `switchboard serve` of the `serve` profile, with 100 agents replying at once. A
//! fake Graph API runs in this process and records when each request
//! arrives; 100 customers write, each agent accepts their offer and sends
//! a reply every 250 ms (400 replies/s in all). Reports the agent API's
//! `202` latency and reply-to-Graph latency (p50/p99), and replies
//! delivered per second.

use std::time::{Duration, Instant};
use switchboard_core::signature;
use switchboard_tests::ReleaseServe;
use switchboard_tests::fake_graph::FakeGraph;

const SECRET: &str = "replyload-app-secret";
const ADMIN: &str = "replyload-admin-token-0123456789";
const PAGE: &str = "104857600000001";
const AGENTS: usize = 100;
const REPLIES_EACH: usize = 20;
/// Each agent writes a reply this often (100 agents: 400 replies/s).
const REPLY_EVERY: Duration = Duration::from_millis(250);

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn now_ms() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
}

fn config() -> String {
    let mut y = format!(
        "accounts:\n  - id: acme\n    name: Acme\n    app_id: \"900000000000001\"\n    app_secret: {SECRET}\n    verify_token: replyload-verify-token-0123456789\n    pages:\n      - page_id: \"{PAGE}\"\n        name: Support\n        access_token: EAAB-page-{PAGE}\n"
    );
    y.push_str("queues:\n  - id: general\n    name: General\nagents:\n");
    for i in 0..AGENTS {
        y.push_str(&format!(
            "  - {{ id: agent{i:03}, name: Agent {i}, email: agent{i}@example.com, capacity: 1, queues: [general], presence: available }}\n"
        ));
    }
    y.push_str(&format!(
        "workstreams:\n  - id: support\n    name: Support\n    locale: en\n    pages: [\"{PAGE}\"]\n    distribution:\n      fallback_queue: general\n      offer_timeout_seconds: 600\n"
    ));
    y
}

#[tokio::main]
async fn main() {
    let fake = FakeGraph::start().await;
    let server = ReleaseServe::start_with(&config(), ADMIN, "4", &["--graph-url", &fake.base]);
    let base = server.base.clone();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(AGENTS)
        .build()
        .unwrap();

    // 100 customers write; each agent (capacity 1) is offered one.
    for i in 0..AGENTS {
        let ts = now_ms();
        let body = format!(
            r#"{{"object":"page","entry":[{{"id":"{PAGE}","time":{ts},"messaging":[{{"sender":{{"id":"77990000000{i:05}"}},"recipient":{{"id":"{PAGE}"}},"timestamp":{ts},"message":{{"mid":"m_replyload_{i}","text":"Hello, where is my order?"}}}}]}}]}}"#
        );
        let r = client
            .post(format!("{base}/webhooks/facebook/acme"))
            .header(
                "x-hub-signature-256",
                signature::sign(SECRET.as_bytes(), body.as_bytes()),
            )
            .body(body)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.status());
    }
    let mut agents = Vec::new();
    for i in 0..AGENTS {
        let id = format!("agent{i:03}");
        let v: serde_json::Value = client
            .post(format!("{base}/admin/v1/agents/{id}/tokens"))
            .bearer_auth(ADMIN)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = v["token"].as_str().expect("a token").to_string();
        let deadline = Instant::now() + Duration::from_secs(30);
        let conv = loop {
            let v: serde_json::Value = client
                .get(format!("{base}/agent/v1/conversations?state=offered"))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if let Some(c) = v["conversations"][0]["id"].as_str() {
                break c.to_string();
            }
            assert!(Instant::now() < deadline, "{id} got no offer");
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        let r = client
            .post(format!("{base}/agent/v1/conversations/{conv}/accept"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "accept: {}", r.status());
        agents.push((token, conv));
    }
    let before = fake.requests().len();

    // Every agent replies REPLIES_EACH times, paced; all at once.
    let started = Instant::now();
    let runs = agents.into_iter().enumerate().map(|(a, (token, conv))| {
        let client = client.clone();
        let base = base.clone();
        tokio::spawn(async move {
            let mut sent = Vec::new();
            let mut acks = Vec::new();
            let mut tick = tokio::time::interval(REPLY_EVERY);
            for n in 0..REPLIES_EACH {
                tick.tick().await;
                let text = format!("reply {a}-{n}: your parcel is on its way");
                let t0 = Instant::now();
                let r = client
                    .post(format!("{base}/agent/v1/conversations/{conv}/messages"))
                    .bearer_auth(&token)
                    .json(&serde_json::json!({ "text": text }))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 202);
                acks.push(t0.elapsed().as_secs_f64() * 1000.0);
                sent.push((text, t0));
            }
            (sent, acks)
        })
    });
    let runs: Vec<_> = runs.collect();
    let mut sent = std::collections::HashMap::new();
    let mut acks = Vec::new();
    for r in runs {
        let (s, a) = r.await.unwrap();
        sent.extend(s);
        acks.extend(a);
    }
    let total = AGENTS * REPLIES_EACH;
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut latencies = Vec::new();
    loop {
        let reqs = fake.requests();
        latencies.clear();
        for r in &reqs[before..] {
            let Ok(body) = serde_json::from_str::<serde_json::Value>(&r.body) else {
                continue;
            };
            if let Some(t0) = body["message"]["text"].as_str().and_then(|t| sent.get(t)) {
                latencies.push(r.received.duration_since(*t0).as_secs_f64() * 1000.0);
            }
        }
        if latencies.len() >= total || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    drop(server);
    assert_eq!(latencies.len(), total, "every reply reached the Send API");
    latencies.sort_by(|a, b| a.partial_cmp(b).unwrap());
    acks.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "replyload: {AGENTS} agents x {REPLIES_EACH} replies = {total}; agent API 202 p50 {:.1} ms p99 {:.1} ms; reply -> Send API request p50 {:.1} ms p99 {:.1} ms; {:.0} replies/s delivered",
        percentile(&acks, 0.5),
        percentile(&acks, 0.99),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        total as f64 / elapsed
    );
}
