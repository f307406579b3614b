//! Whole-pipeline CPU for `make bench`: a fresh `switchboard serve` (the `serve` profile)
//! per shape takes N pre-signed deliveries (1 event, then 10 events each)
//! at a fixed concurrency, from new customers (each event opens a
//! conversation and is routed) and then from the same 1,000 customers
//! (events in existing conversations); once every event is stored (the
//! last event is on its conversation's timeline, and serve's CPU has settled),
//! serve's whole-process CPU (user + system, `/proc/<pid>/stat`) is read
//! and reported per delivery and per event, with the time to store them
//! all and the peak resident memory; and split by thread name
//! (`/proc/<pid>/task`): the store's and the queues' writer threads apart
//! from the runtime's threads (its async workers and the blocking pool).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use switchboard_core::signature;
use switchboard_tests::bench::{
    ReleaseServe, cpu_seconds_by_thread, now_ms, rss_kib, settled_cpu_seconds,
};

const SECRET: &str = "pipeline-app-secret";
const ADMIN: &str = "pipeline-admin-token-0123456789";
const PAGE: &str = "104857600000001";
const CONCURRENCY: usize = 16;
/// Events per shape (`PIPELINE_EVENTS`).
const EVENTS: usize = 20_000;
/// Events of the backlog shape: sent faster than they are stored, so the
/// inbound queue holds a backlog that drains (`PIPELINE_BACKLOG`).
const BACKLOG: usize = 200_000;

fn config() -> String {
    format!(
        "accounts:\n  - id: acme\n    name: Acme\n    app_id: \"900000000000001\"\n    app_secret: {SECRET}\n    verify_token: pipeline-verify-token-0123456789\n    pages:\n      - page_id: \"{PAGE}\"\n        name: Support\n\
queues:\n  - {{ id: general, name: General }}\n\
workstreams:\n  - id: support\n    name: Support\n    locale: en\n    pages: [\"{PAGE}\"]\n    distribution: {{ fallback_queue: general }}\n"
    )
}

/// Customers of the "existing conversations" runs.
const REPEAT_CUSTOMERS: usize = 1_000;

/// Event `n`'s customer: its own (`customers` = 0), or one of `customers`.
fn psid(n: usize, customers: usize) -> String {
    let c = if customers == 0 { n } else { n % customers };
    format!("77{c:014}")
}

/// One delivery of `per` message events (`first`, `first + 1`...), signed
/// as Meta signs it.
fn delivery(first: usize, per: usize, customers: usize, ts: u128) -> (Vec<u8>, String) {
    let messaging: Vec<serde_json::Value> = (first..first + per)
        .map(|n| {
            serde_json::json!({"sender": {"id": psid(n, customers)}, "recipient": {"id": PAGE},
                "timestamp": ts as u64, "message": {"mid": format!("m_pipe_{n}"), "text": "Hello, I need help with order 1042"}})
        })
        .collect();
    let body = serde_json::json!({"object": "page", "entry": [{"id": PAGE, "time": ts as u64, "messaging": messaging}]})
        .to_string()
        .into_bytes();
    let sig = signature::sign(SECRET.as_bytes(), &body);
    (body, sig)
}

/// Whether event `n` is on its conversation's timeline yet.
async fn stored(client: &reqwest::Client, base: &str, n: usize, customers: usize) -> bool {
    let get = |url: String| async move {
        let r = client.get(url).bearer_auth(ADMIN).send().await.ok()?;
        r.json::<serde_json::Value>().await.ok()
    };
    // By page and PSID, newest first, one answer: the last customer's
    // conversation is the newest, so this read costs serve almost nothing
    // (a PSID filter alone walks every conversation, and would be measured).
    let Some(list) = get(format!(
        "{base}/admin/v1/conversations?page_id={PAGE}&psid={}&limit=1",
        psid(n, customers)
    ))
    .await
    else {
        return false;
    };
    let Some(id) = list["conversations"][0]["id"].as_str() else {
        return false;
    };
    get(format!("{base}/admin/v1/conversations/{id}/timeline"))
        .await
        .is_some_and(|t| t.to_string().contains(&format!("\"m_pipe_{n}\"")))
}

async fn run(per: usize, events: usize, customers: usize) {
    let serve = ReleaseServe::start(&config(), ADMIN, &[]);
    let pid = serve.pid();
    let base = serve.base.clone();
    let url = format!("{base}/webhooks/facebook/acme");
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CONCURRENCY)
        .build()
        .unwrap_or_default();
    let deliveries = events / per;
    let ts = now_ms();
    let bodies: Vec<(Vec<u8>, String)> = (0..deliveries)
        .map(|d| delivery(d * per, per, customers, ts))
        .collect();
    let bodies = Arc::new(bodies);
    let Some(idle) = settled_cpu_seconds(pid) else {
        println!("  /proc/{pid}/stat could not be read");
        return;
    };
    let idle_threads = cpu_seconds_by_thread(pid);
    let next = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut peak_kib = 0;
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..CONCURRENCY {
        let (client, url, bodies, next, errors) = (
            client.clone(),
            url.clone(),
            bodies.clone(),
            next.clone(),
            errors.clone(),
        );
        workers.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                let Some((body, sig)) = bodies.get(i) else {
                    break;
                };
                let ok = matches!(
                    client.post(&url).header("x-hub-signature-256", sig).body(body.clone()).send().await,
                    Ok(r) if r.status().is_success()
                );
                if !ok {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
    }
    while workers.join_next().await.is_some() {
        peak_kib = peak_kib.max(rss_kib(pid).unwrap_or(0));
    }
    let acked = started.elapsed();
    // Stored: the last event is on its conversation's timeline.
    let last = deliveries * per - 1;
    let deadline = Instant::now() + Duration::from_secs(600);
    while !stored(&client, &base, last, customers).await && Instant::now() < deadline {
        peak_kib = peak_kib.max(rss_kib(pid).unwrap_or(0));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let all_stored = started.elapsed();
    let Some(cpu) = settled_cpu_seconds(pid) else {
        println!("  /proc/{pid}/stat could not be read");
        return;
    };
    let cpu = cpu - idle;
    let threads = cpu_seconds_by_thread(pid);
    let from = if customers == 0 {
        "each from a new customer".to_string()
    } else {
        format!("from {customers} customers")
    };
    println!(
        "  {per}-event deliveries, {from}: {deliveries} ({} events) at concurrency {CONCURRENCY}, {} refused; acknowledged in {:.1} s, stored in {:.1} s ({:.1} s after the last acknowledgement; {:.0} events/s)",
        deliveries * per,
        errors.load(Ordering::Relaxed),
        acked.as_secs_f64(),
        all_stored.as_secs_f64(),
        (all_stored - acked).as_secs_f64(),
        (deliveries * per) as f64 / all_stored.as_secs_f64()
    );
    println!(
        "    serve's whole-process CPU (user + system, /proc): {cpu:.2} s: {:.0} µs per delivery, {:.0} µs per event; peak RSS {} MiB",
        cpu * 1e6 / deliveries.max(1) as f64,
        cpu * 1e6 / (deliveries * per).max(1) as f64,
        peak_kib / 1024
    );
    println!(
        "      by thread, µs per event: {}",
        by_thread(&idle_threads, &threads, cpu, deliveries * per)
    );
}

/// Each thread name's share of the run's CPU, in µs per event, largest
/// first: each live thread's time since `before` (all of it for a thread
/// started since), summed by name; what no live thread accounts for (the
/// time of threads that have exited) is `exited`.
fn by_thread(
    before: &BTreeMap<u32, (String, f64)>,
    after: &BTreeMap<u32, (String, f64)>,
    cpu: f64,
    events: usize,
) -> String {
    let mut names: BTreeMap<&str, f64> = BTreeMap::new();
    for (tid, (name, s)) in after {
        let earlier = before.get(tid).map_or(0.0, |(_, b)| *b);
        *names.entry(name.as_str()).or_insert(0.0) += (s - earlier).max(0.0);
    }
    let listed: f64 = names.values().sum();
    let mut rows: Vec<(&str, f64)> = names.into_iter().filter(|(_, s)| *s > 0.0).collect();
    if cpu - listed > 0.005 {
        rows.push(("exited", cpu - listed));
    }
    rows.sort_by(|a, b| b.1.total_cmp(&a.1));
    rows.iter()
        .map(|(name, s)| format!("{name} {:.0}", s * 1e6 / events.max(1) as f64))
        .collect::<Vec<_>>()
        .join(", ")
}

#[tokio::main]
async fn main() {
    let events = std::env::var("PIPELINE_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(EVENTS);
    let backlog = std::env::var("PIPELINE_BACKLOG")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(BACKLOG);
    // `PIPELINE_SHAPES`: some of `new-1,new-10,existing-1,existing-10,backlog`.
    let shapes = std::env::var("PIPELINE_SHAPES")
        .unwrap_or_else(|_| "new-1,new-10,existing-1,existing-10,backlog".into());
    println!("pipeline: whole-process CPU of serve per stored event");
    for shape in shapes.split(',') {
        match shape.trim() {
            "new-1" => run(1, events, 0).await,
            "new-10" => run(10, events, 0).await,
            "existing-1" => run(1, events, REPEAT_CUSTOMERS).await,
            "existing-10" => run(10, events, REPEAT_CUSTOMERS).await,
            "backlog" => {
                println!("  a backlog: peak memory while it drains");
                run(10, backlog, REPEAT_CUSTOMERS).await
            }
            other => {
                println!("  {other}: not a shape (new-1, new-10, existing-1, existing-10, backlog)")
            }
        }
    }
}
