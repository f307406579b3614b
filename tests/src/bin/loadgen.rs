//! Load run for `make bench`: starts the `switchboard serve` of the `serve` profile on a
//! free loopback port and sends signed one-event deliveries (bounded in
//! count and time): first open loop at a fixed rate, reporting
//! acknowledgement latency (p50/p99) and the time from acknowledgement to
//! the event on its timeline (probe messages during the load); then closed
//! loop from many clients, reporting peak deliveries per second.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use switchboard_core::signature;
use switchboard_tests::bench::{
    ReleaseServe, deliver, message_body, now_ms, percentile, settled_cpu_seconds,
};

const SECRET: &str = "loadgen-app-secret";
const ADMIN: &str = "loadgen-admin-token-0123456789";
const RATE: u64 = 2_000;
const RATE_SECS: u64 = 10;
const PEAK_DELIVERIES: u64 = 60_000;
const CONCURRENCY: usize = 64;
const MAX_TIME: Duration = Duration::from_secs(60);
const PROBE_PSID: &str = "7799999999000001";

fn body(psid: &str, mid: &str, ts: u128) -> Vec<u8> {
    message_body(psid, mid, "Hello, I need help with order 1042", ts)
}

#[tokio::main]
async fn main() {
    let config = "accounts:\n  - id: acme\n    name: Acme\n    app_id: \"900000000000001\"\n    app_secret: loadgen-app-secret\n    verify_token: loadgen-verify-token-0123456789\n    pages:\n      - page_id: \"104857600000001\"\n        name: Support\n";
    let workers = std::env::var("LOADGEN_ROUTER_WORKERS").unwrap_or_else(|_| "4".into());
    let server = ReleaseServe::start(config, ADMIN, &[("SWITCHBOARD_ROUTER_WORKERS", workers)]);
    let base = server.base.clone();
    let url = format!("{base}/webhooks/facebook/acme");
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CONCURRENCY)
        .build()
        .unwrap();

    // Probe: one conversation whose timeline we watch during the load.
    let probe = |n: u64| body(PROBE_PSID, &format!("m_probe_{n}"), now_ms());
    let first = probe(0);
    deliver(&client, &url, SECRET, first).await.unwrap();
    let conv_id = loop {
        let v: serde_json::Value = client
            .get(format!("{base}/admin/v1/conversations?psid={PROBE_PSID}"))
            .bearer_auth(ADMIN)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if let Some(id) = v["conversations"][0]["id"].as_str() {
            break id.to_string();
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };

    // Phase 1: open loop at a fixed rate, with probes measuring
    // acknowledgement -> timeline while the load runs.
    let fixed = tokio::spawn(open_loop(client.clone(), url.clone()));
    let mut e2e = Vec::new();
    let mut n = 1u64;
    let mut seen = 1usize;
    let probing = Instant::now();
    while probing.elapsed() < Duration::from_secs(RATE_SECS) {
        let b = probe(n);
        n += 1;
        let r = deliver(&client, &url, SECRET, b).await.unwrap();
        assert!(r.status().is_success());
        let acked = Instant::now();
        loop {
            let v: serde_json::Value = client
                .get(format!("{base}/admin/v1/conversations/{conv_id}/timeline"))
                .bearer_auth(ADMIN)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if v["events"].as_array().map_or(0, Vec::len) > seen {
                seen += 1;
                e2e.push(acked.elapsed().as_secs_f64() * 1000.0);
                break;
            }
            if acked.elapsed() > Duration::from_secs(30) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (mut lat, errors, elapsed, slow_by_second) = fixed.await.unwrap();
    let mut delivered = lat.len() + e2e.len();
    lat.sort_by(f64::total_cmp);
    e2e.sort_by(f64::total_cmp);
    println!(
        "load run: switchboard serve (serve profile, embedded store), signed 1-event deliveries over loopback"
    );
    println!(
        "  open loop at {RATE}/s for {RATE_SECS} s: {} acknowledged in {elapsed:.1} s ({errors} errors), {:.0}/s",
        lat.len(),
        lat.len() as f64 / elapsed
    );
    println!(
        "    ack latency from scheduled send: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        lat.last().copied().unwrap_or(f64::NAN)
    );
    println!("    acknowledgements over 20 ms, by second of the run: {slow_by_second:?}");
    println!(
        "    ack -> on the timeline (probes during the load, n={}): p50 {:.1} ms, p99 {:.1} ms",
        e2e.len(),
        percentile(&e2e, 0.5),
        percentile(&e2e, 0.99)
    );

    // Phase 2: closed loop, as fast as the server answers.
    let sent = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for w in 0..CONCURRENCY {
        let (client, url, sent) = (client.clone(), url.clone(), sent.clone());
        workers.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0u64;
            loop {
                let i = sent.fetch_add(1, Ordering::Relaxed);
                if i >= PEAK_DELIVERIES || started.elapsed() > MAX_TIME {
                    break;
                }
                let b = body(
                    &format!("77100{:011}", i % 2000),
                    &format!("m_peak_{w}_{i}"),
                    now_ms(),
                );
                let sig = signature::sign(SECRET.as_bytes(), &b);
                let t = Instant::now();
                match client
                    .post(&url)
                    .header("x-hub-signature-256", sig)
                    .body(b)
                    .send()
                    .await
                {
                    Ok(r) if r.status().is_success() => {
                        lat.push(t.elapsed().as_secs_f64() * 1000.0)
                    }
                    _ => errors += 1,
                }
            }
            (lat, errors)
        }));
    }
    let mut lat = Vec::new();
    let mut errors = 0;
    for w in workers {
        let (l, e) = w.await.unwrap();
        lat.extend(l);
        errors += e;
    }
    let elapsed = started.elapsed().as_secs_f64();
    delivered += lat.len();
    lat.sort_by(f64::total_cmp);
    println!(
        "  closed loop, {CONCURRENCY} clients: {} acknowledged in {elapsed:.1} s ({errors} errors), {:.0}/s",
        lat.len(),
        lat.len() as f64 / elapsed
    );
    println!(
        "    ack latency: p50 {:.2} ms, p99 {:.2} ms",
        percentile(&lat, 0.5),
        percentile(&lat, 0.99)
    );
    match settled_cpu_seconds(server.pid()) {
        Some(cpu) => println!(
            "  serve's whole-process CPU (user + system, /proc, both phases, routing to the timeline included): {cpu:.2} s for {delivered} deliveries, {:.0} µs per delivery",
            cpu * 1e6 / delivered.max(1) as f64
        ),
        None => println!(
            "  serve's CPU: /proc/{}/stat could not be read",
            server.pid()
        ),
    }
}

/// Send `RATE` deliveries per second for `RATE_SECS` seconds, each on its
/// own task, and time every acknowledgement from when it was due.
async fn open_loop(client: reqwest::Client, url: String) -> (Vec<f64>, u64, f64, Vec<u32>) {
    let total = RATE * RATE_SECS;
    let start = tokio::time::Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..total {
        let due = start + Duration::from_micros(i * 1_000_000 / RATE);
        tokio::time::sleep_until(due).await;
        let (client, url) = (client.clone(), url.clone());
        tasks.spawn(async move {
            let b = body(&format!("77000{:011}", i % 2000), &format!("m_rate_{i}"), now_ms());
            let sig = signature::sign(SECRET.as_bytes(), &b);
            let ok = matches!(client.post(&url).header("x-hub-signature-256", sig).body(b).send().await, Ok(r) if r.status().is_success());
            (ok, due.elapsed().as_secs_f64() * 1000.0, i)
        });
    }
    let mut lat = Vec::with_capacity(total as usize);
    let mut errors = 0;
    let mut slow_by_second = vec![0u32; RATE_SECS as usize + 1];
    while let Some(r) = tasks.join_next().await {
        match r {
            Ok((true, ms, i)) => {
                if ms > 20.0 {
                    slow_by_second[(i / RATE) as usize] += 1;
                }
                lat.push(ms)
            }
            _ => errors += 1,
        }
    }
    (lat, errors, start.elapsed().as_secs_f64(), slow_by_second)
}
