//! Routing load run for `make bench`: the `switchboard serve` of the `serve` profile with
//! 200 available agents in one queue, and new customers arriving at a fixed
//! rate as signed deliveries. Reports conversations routed (offered) per
//! second and the delivery -> offer latency, measured on the server's own
//! clock (the event's arrival at ingest to the "offered" decision), and
//! serve's whole-process CPU per routed conversation (`/proc`, the
//! completion polls of the agents' list, five a second, included).
//!
//! `ROUTELOAD_RATE` (per second, default 1,000), `ROUTELOAD_TOTAL` (default
//! 1,000; every agent's capacity holds twice the run) and
//! `ROUTELOAD_WORKERS` (serve's router workers, default 4).

use std::time::{Duration, Instant};
use switchboard_core::Millis;
use switchboard_core::signature;
use switchboard_tests::ReleaseServe;
use switchboard_tests::bench::settled_cpu_seconds;

const SECRET: &str = "routeload-app-secret";
const ADMIN: &str = "routeload-admin-token-0123456789";
const AGENTS: usize = 200;
/// New customers per second (`ROUTELOAD_RATE`).
const RATE: u64 = 1_000;
/// New customers in a run (`ROUTELOAD_TOTAL`); every agent's capacity is
/// raised to hold twice as many if 10 each would not, so the last
/// decisions do not rank a queue of full agents.
const TOTAL: u64 = 1_000;

fn config(capacity: u64) -> String {
    let mut c = format!(
        "accounts:\n  - id: acme\n    name: Acme\n    app_id: \"900000000000001\"\n    app_secret: {SECRET}\n    verify_token: routeload-verify-token-0123456789\n    pages:\n      - page_id: \"104857600000001\"\n        name: Support\n\
queues:\n  - {{ id: general, name: General }}\n\
workstreams:\n  - id: support\n    name: Support\n    locale: en\n    pages: [\"104857600000001\"]\n    distribution: {{ fallback_queue: general, offer_timeout_seconds: 3600 }}\n\
rulesets:\n  - id: classify\n    workstream: support\n    name: Classify\n    kind: classification\n    rules:\n      - {{ name: orders, when: {{ text_matches: \"(?i)order\\\\s*\\\\d+\" }}, set: {{ priority: 2, attributes: {{ topic: orders }} }} }}\n\
agents:\n"
    );
    for i in 0..AGENTS {
        c += &format!(
            "  - {{ id: agent-{i:03}, name: Agent {i}, email: a{i}@example.com, capacity: {capacity}, queues: [general], presence: available }}\n"
        );
    }
    c
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let env = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .filter(|&v| v > 0)
            .unwrap_or(default)
    };
    let (rate, total) = (env("ROUTELOAD_RATE", RATE), env("ROUTELOAD_TOTAL", TOTAL));
    let capacity = (2 * total).div_ceil(AGENTS as u64).max(10);
    let workers = env("ROUTELOAD_WORKERS", 4).to_string();
    let serve = ReleaseServe::start(&config(capacity), ADMIN, &workers);
    let url = format!("{}/webhooks/facebook/acme", serve.base);
    // The server's CPU once set up, so that what the load costs is read.
    let idle = settled_cpu_seconds(serve.pid());
    let client = reqwest::Client::new();
    let start = tokio::time::Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..total {
        tokio::time::sleep_until(start + Duration::from_micros(i * 1_000_000 / rate)).await;
        let (client, url) = (client.clone(), url.clone());
        tasks.spawn(async move {
            let ts = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis();
            let b = format!(
                r#"{{"object":"page","entry":[{{"id":"104857600000001","time":{ts},"messaging":[{{"sender":{{"id":"7720{i:012}"}},"recipient":{{"id":"104857600000001"}},"timestamp":{ts},"message":{{"mid":"m_route_{i}","text":"Hello, where is my order {i}?"}}}}]}}]}}"#
            );
            let sig = signature::sign(SECRET.as_bytes(), b.as_bytes());
            client
                .post(&url)
                .header("x-hub-signature-256", sig)
                .body(b)
                .send()
                .await
                .map(|r| r.status().is_success())
                .unwrap_or(false)
        });
    }
    let mut errors = 0;
    while let Some(r) = tasks.join_next().await {
        if !matches!(r, Ok(true)) {
            errors += 1;
        }
    }
    // Wait until every conversation is offered (or 60 s).
    let admin = |path: String| {
        let client = client.clone();
        let url = format!("{}{path}", serve.base);
        async move {
            client
                .get(url)
                .bearer_auth(ADMIN)
                .send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        }
    };
    let deadline = Instant::now() + Duration::from_secs(60 + total / 100);
    // Done when the agents hold every conversation (an agent's
    // `load.active` counts what is offered to them): one read of 200
    // agents a poll. Listing every offered conversation with its routing
    // record instead took about a fifth of serve's CPU (perf).
    loop {
        let v = admin("/admin/v1/agents".to_string()).await;
        let with_agents: u64 = v["agents"]
            .as_array()
            .map(|a| a.iter().filter_map(|x| x["load"]["active"].as_u64()).sum())
            .unwrap_or(0);
        if with_agents >= total || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Read before the reads below, which are the measurement's own (the
    // waiting polls above are counted).
    let cpu = settled_cpu_seconds(serve.pid())
        .zip(idle)
        .map(|(c, i)| c - i);
    // Every page of the offered conversations, 200 at a time.
    let mut offered = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = "/admin/v1/conversations?state=offered&limit=200".to_string();
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let v = admin(path).await;
        offered.extend(v["conversations"].as_array().cloned().unwrap_or_default());
        match v["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            _ => break,
        }
    }
    let mut lat = Vec::new();
    let (mut first_in, mut last_offer) = (i64::MAX, 0i64);
    for c in &offered {
        let id = c["id"].as_str().unwrap();
        let r = admin(format!("/admin/v1/conversations/{id}/routing")).await;
        let t = admin(format!("/admin/v1/conversations/{id}/timeline")).await;
        let offered_at = r["routing"]["decisions"]
            .as_array()
            .and_then(|d| d.iter().find(|d| d["step"] == "offered"))
            .and_then(|d| Millis::parse_rfc3339(d["at"].as_str()?));
        let received = t["events"][0]["received_at"].as_i64();
        if let (Some(o), Some(rcv)) = (offered_at, received) {
            lat.push((o.0 - rcv) as f64);
            first_in = first_in.min(rcv);
            last_offer = last_offer.max(o.0);
        }
    }
    lat.sort_by(f64::total_cmp);
    let span = (last_offer - first_in) as f64 / 1000.0;
    println!(
        "routing load run: switchboard serve (serve profile, embedded store), {AGENTS} agents, one queue, a classification ruleset"
    );
    println!(
        "  {total} new customers at {rate}/s ({errors} delivery errors): {} offered; {:.0} conversations routed per second over {span:.1} s",
        lat.len(),
        lat.len() as f64 / span.max(0.001)
    );
    println!(
        "  delivery -> offer (server clock, ingest to offer): p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        lat.last().copied().unwrap_or(f64::NAN)
    );
    if (offered.len() as u64) < total {
        println!("  not every conversation was offered in time: no CPU figure");
    } else if let Some(cpu) = cpu {
        println!(
            "  serve's whole-process CPU (user + system, /proc): {cpu:.2} s, {:.0} µs per routed conversation (its delivery included)",
            cpu * 1e6 / lat.len().max(1) as f64
        );
    }
}
