//! The router function's whole-process CPU under `cargo lambda watch`, for
//! `make bench`, measured as the pipeline bench measures serve: the release
//! build (as `cargo lambda build --release` deploys it) runs in the
//! emulator against DynamoDB, SQS and Secrets Manager on moto, takes SQS
//! batches of 10 events through the Lambda Invoke API one after another
//! (as the event source mapping sends them), and its CPU (user + system,
//! `/proc/<pid>/stat`) is read before and after. Then the bytes of JSON
//! logs the function printed per event (`AWS_LAMBDA_LOG_FORMAT=JSON`, as
//! the template sets it; EMF metric lines included), which is what
//! CloudWatch Logs ingests and bills. moto answers one request at a time,
//! so the wall time is moto's; the CPU is the function's own.

use std::sync::Arc;
use std::time::Instant;
use switchboard_tests::bench::{rss_kib, settled_cpu_seconds};
use switchboard_tests::lambda_watch::{Watch, moto_env, process_of};
use switchboard_tests::*;

const PAGE: &str = "104857600000001";
/// Batches per shape (`LAMBDA_BATCHES`).
const BATCHES: usize = 40;
/// Events per batch: the router's event source mapping's batch size.
const PER_BATCH: usize = 10;

fn config() -> String {
    format!(
        "accounts:\n  - id: acme\n    name: Acme\n    app_id: \"900000000000001\"\n    app_secret: lambda-bench-app-secret-0123456789\n    verify_token: lambda-bench-verify-token-0123456789\n    pages:\n      - page_id: \"{PAGE}\"\n        name: Support\n\
queues:\n  - {{ id: general, name: General }}\n\
workstreams:\n  - id: support\n    name: Support\n    locale: en\n    pages: [\"{PAGE}\"]\n    distribution: {{ fallback_queue: general }}\n"
    )
}

/// An SQS batch as the event source mapping delivers it: one record per
/// customer `psids[i]`, each with message `{tag}_{i}`.
fn batch(psids: &[String], tag: &str, ts: u64) -> serde_json::Value {
    let records: Vec<serde_json::Value> = psids
        .iter()
        .enumerate()
        .map(|(i, psid)| {
            let mut event = text_message(
                psid,
                &format!("m_{tag}_{i}"),
                ts,
                "Hello, I need help with order 1042",
            );
            event.received_at = switchboard_core::Millis(ts as i64);
            serde_json::json!({
                "messageId": format!("{tag}-{i}"),
                "receiptHandle": format!("rh-{tag}-{i}"),
                "body": serde_json::to_string(&event).expect("an event serialises"),
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "MessageGroupId": format!("{PAGE}:{psid}"),
                    "MessageDeduplicationId": format!("{tag}-{i}"),
                    "SentTimestamp": ts.to_string(),
                },
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:switchboard-inbound.fifo",
                "awsRegion": "eu-west-1",
            })
        })
        .collect();
    serde_json::json!({ "Records": records })
}

/// The function's JSON log bytes in `log` from byte `from` on (the
/// emulator's own lines and cargo's are not JSON).
fn json_log_bytes(log: &std::path::Path, from: usize) -> usize {
    let text = std::fs::read(log).unwrap_or_default();
    text.get(from..)
        .unwrap_or_default()
        .split(|b| *b == b'\n')
        .filter(|l| l.starts_with(b"{"))
        .map(|l| l.len() + 1)
        .sum()
}

#[tokio::main]
async fn main() {
    let batches = std::env::var("LAMBDA_BATCHES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(BATCHES);
    // `LAMBDA_PROFILE=profiling` runs the build with symbols, for perf.
    let profile = std::env::var("LAMBDA_PROFILE").unwrap_or_else(|_| "release".into());
    let root = workspace_root();
    println!("building the router (profile {profile}; release is as deployed)...");
    let built =
        std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["build", "-q", "--profile", &profile, "-p", "router"])
            .current_dir(&root)
            .status()
            .expect("cargo build");
    assert!(built.success(), "the router did not build");

    // moto: the table with the account, its page and a workstream; the
    // queues and the WebSocket side the router's environment names.
    let cfg = aws_config().await;
    let store = dynamo_store().await;
    let inbound = sqs_queue(switchboard_embedded::QueueConfig::default()).await;
    let outbound = sqs_queue(switchboard_embedded::QueueConfig::default()).await;
    let prefix = unique("lambda-bench");
    let secrets = Arc::new(switchboard_aws::SecretsManager::new(&cfg, prefix.clone()));
    let config = switchboard_core::config::Config::parse(&config(), &|_| None)
        .expect("the bench's configuration");
    switchboard_core::config::apply_local(
        &config,
        store.as_ref(),
        secrets.as_ref(),
        &switchboard_core::SystemClock,
    )
    .await
    .expect("seed the configuration");
    let connections = moto_connections().await;
    let management = switchboard_tests::fake_ws::FakeManagementApi::start().await;
    let mut envs = moto_env();
    envs.extend([
        ("SWITCHBOARD_TABLE", store.table().to_string()),
        (
            "SWITCHBOARD_INBOUND_QUEUE_URL",
            inbound.queue.url().to_string(),
        ),
        (
            "SWITCHBOARD_OUTBOUND_QUEUE_URL",
            outbound.queue.url().to_string(),
        ),
        ("SWITCHBOARD_SECRETS_PREFIX", prefix),
        (
            "SWITCHBOARD_CONNECTIONS_TABLE",
            connections.table().to_string(),
        ),
        ("SWITCHBOARD_WS_MANAGEMENT_URL", management.url.clone()),
        // As the template sets it, and no Graph API is reachable.
        ("AWS_LAMBDA_LOG_FORMAT", "JSON".to_string()),
        ("SWITCHBOARD_GRAPH_URL", "http://127.0.0.1:9".to_string()),
    ]);
    let log = root.join("target/lambda-router-bench.log");
    let watch = Watch::start(&envs, &["--profile", &profile], &log);
    let http = reqwest::Client::new();
    let invoke = |body: serde_json::Value| {
        let req = http.post(watch.invoke_url("router")).json(&body);
        async move {
            let resp = req.send().await.expect("invoke the router");
            let status = resp.status();
            let out: serde_json::Value = resp.json().await.expect("the router's answer");
            assert!(status.is_success(), "the router answered {status}: {out}");
            assert_eq!(
                out["batchItemFailures"],
                serde_json::json!([]),
                "a record failed: {out}"
            );
        }
    };

    let base = switchboard_core::Clock::now(&switchboard_core::SystemClock).0 as u64;
    // Warm-up: the process starts (its cold start is not measured).
    let warm: Vec<String> = (0..PER_BATCH).map(|i| format!("79{i:014}")).collect();
    invoke(batch(&warm, "warm", base)).await;
    let exe = root.join("target").join(&profile).join("router");
    let pid = process_of(&exe).expect("the router's process under cargo lambda watch");
    if std::env::var("LAMBDA_PAUSE").is_ok() {
        // To attach perf: `perf record -g -p {pid}`, then Enter.
        println!("router pid {pid}; press Enter to go on");
        let _ = std::io::stdin().read_line(&mut String::new());
    }

    let customers: Vec<String> = (0..PER_BATCH).map(|i| format!("78{i:014}")).collect();
    let mut lines = Vec::new();
    for (shape, existing) in [("new customers", false), ("existing conversations", true)] {
        let cpu0 = settled_cpu_seconds(pid).expect("the router's CPU");
        let log0 = std::fs::metadata(&log).map_or(0, |m| m.len() as usize);
        let started = Instant::now();
        for b in 0..batches {
            let psids: Vec<String> = if existing {
                customers.clone()
            } else {
                // Batch 0 opens the conversations the existing shape uses.
                (0..PER_BATCH)
                    .map(|i| format!("78{:014}", b * PER_BATCH + i))
                    .collect()
            };
            let tag = format!("{}{b}", if existing { "e" } else { "n" });
            // Later messages in the existing conversations.
            let ts = base + 1 + b as u64 + if existing { batches as u64 } else { 0 };
            invoke(batch(&psids, &tag, ts)).await;
        }
        let wall = started.elapsed().as_secs_f64();
        let cpu = settled_cpu_seconds(pid).expect("the router's CPU") - cpu0;
        let events = (batches * PER_BATCH) as f64;
        let log_bytes = json_log_bytes(&log, log0) as f64;
        lines.push(format!(
            "  {shape:<24} {:>7.0} µs CPU per batch of {PER_BATCH} ({:>5.0} per event), {:>5.0} B of JSON logs per event, {:.1} s wall ({batches} batches, moto)",
            cpu * 1e6 / batches as f64,
            cpu * 1e6 / events,
            log_bytes / events,
            wall,
        ));
    }
    println!(
        "router function under `cargo lambda watch --profile {profile}` (whole process, /proc):"
    );
    for l in lines {
        println!("{l}");
    }
    if let Some(kib) = rss_kib(pid) {
        println!(
            "  resident memory after the run: {:.1} MiB",
            kib as f64 / 1024.0
        );
    }
    drop(watch);
}
