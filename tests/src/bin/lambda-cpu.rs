//! The functions' whole-process CPU under `cargo lambda watch`, for `make
//! bench`, measured as the pipeline bench measures serve: the release
//! builds of the router and webhook-ingest (as `cargo lambda build
//! --release` deploys them) run in the emulator against DynamoDB, SQS and
//! Secrets Manager on moto. The router takes SQS batches of 10 events
//! through the Lambda Invoke API one after another (as the event source
//! mapping sends them): new customers, then existing conversations;
//! webhook-ingest takes signed 1-event deliveries as its function URL
//! passes them (the callback URL the template gives Meta). Each process's
//! CPU (user + system, `/proc/<pid>/stat`) is read before and after, with
//! the bytes of JSON logs it printed
//! (`AWS_LAMBDA_LOG_FORMAT=JSON`, as the template sets it; EMF metric
//! lines included), which is what CloudWatch Logs ingests and bills. moto
//! answers one request at a time and closes every connection, so the wall
//! time is moto's, and each call pays a TCP connect that a warm function
//! in AWS would not (it pays TLS instead); the CPU is the function's own.

use std::time::Instant;
use switchboard_tests::bench::{message_body, rss_kib, settled_cpu_seconds};
use switchboard_tests::lambda_watch::{MotoStack, Watch, process_of};
use switchboard_tests::*;

const PAGE: &str = "104857600000001";
const SECRET: &str = "lambda-bench-app-secret-0123456789";
/// Batches per shape (`LAMBDA_BATCHES`).
const BATCHES: usize = 40;
/// Events per batch: the router's event source mapping's batch size.
const PER_BATCH: usize = 10;

fn config() -> String {
    format!(
        "accounts:\n  - id: acme\n    name: Acme\n    app_id: \"900000000000001\"\n    app_secret: {SECRET}\n    verify_token: lambda-bench-verify-token-0123456789\n    pages:\n      - page_id: \"{PAGE}\"\n        name: Support\n\
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
    println!(
        "building the router and webhook-ingest (profile {profile}; release is as deployed)..."
    );
    let built =
        std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args([
                "build",
                "-q",
                "--profile",
                &profile,
                "-p",
                "router",
                "-p",
                "webhook-ingest",
            ])
            .current_dir(&root)
            .status()
            .expect("cargo build");
    assert!(built.success(), "the functions did not build");

    // moto: the table with the account, its page and a workstream; the
    // queues and the WebSocket side the router's environment names.
    let stack = MotoStack::seed("lambda-bench", &config()).await;
    let mut envs = stack.env();
    envs.extend([
        // As the template sets it, and no Graph API is reachable.
        ("AWS_LAMBDA_LOG_FORMAT", "JSON".to_string()),
        ("SWITCHBOARD_GRAPH_URL", "http://127.0.0.1:9".to_string()),
    ]);
    let log = root.join("target/lambda-cpu-bench.log");
    let watch = Watch::start(&envs, &["--profile", &profile], &log);
    let http = reqwest::Client::new();
    let call = |function: &'static str, body: serde_json::Value| {
        let req = http.post(watch.invoke_url(function)).json(&body);
        async move {
            let resp = req.send().await.expect("invoke the function");
            let status = resp.status();
            let out: serde_json::Value = resp.json().await.expect("the function's answer");
            assert!(status.is_success(), "{function} answered {status}: {out}");
            out
        }
    };
    let route = |body: serde_json::Value| async {
        let out = call("router", body).await;
        assert_eq!(
            out["batchItemFailures"],
            serde_json::json!([]),
            "a record failed: {out}"
        );
    };
    // A one-message delivery as webhook-ingest's function URL passes it.
    let template: serde_json::Value = serde_json::from_slice(
        &std::fs::read(root.join("events/url-ingest.json")).expect("events/url-ingest.json"),
    )
    .expect("events/url-ingest.json is JSON");
    let ingest = |psid: String, mid: String, ts: u64| {
        let body = message_body(&psid, &mid, "Hello, I need help with order 1042", ts.into());
        let mut event = template.clone();
        event["headers"]["x-hub-signature-256"] =
            switchboard_core::signature::sign(SECRET.as_bytes(), &body).into();
        event["isBase64Encoded"] = false.into();
        event["body"] = String::from_utf8(body).expect("JSON is UTF-8").into();
        async {
            let out = call("webhook-ingest", event).await;
            assert_eq!(out["statusCode"], 200, "{out}");
        }
    };
    let process = |function: &str| {
        // Cargo's dev profile builds into target/debug.
        let dir = if profile == "dev" { "debug" } else { &profile };
        let exe = root.join("target").join(dir).join(function);
        let pid = process_of(&exe).expect("the function's process under cargo lambda watch");
        if std::env::var("LAMBDA_PAUSE").is_ok() {
            // To attach perf: `perf record -g -p {pid}`, then Enter.
            println!("{function} pid {pid}; press Enter to go on");
            let _ = std::io::stdin().read_line(&mut String::new());
        }
        pid
    };

    let base = switchboard_core::Clock::now(&switchboard_core::SystemClock).0 as u64;
    // Warm-up: each process starts (its cold start is not measured).
    let warm: Vec<String> = (0..PER_BATCH).map(|i| format!("79{i:014}")).collect();
    route(batch(&warm, "warm", base)).await;
    let router = process("router");
    ingest(warm[0].clone(), "m_warm_ingest".into(), base).await;
    let ingester = process("webhook-ingest");

    let customers: Vec<String> = (0..PER_BATCH).map(|i| format!("78{i:014}")).collect();
    let mut lines = Vec::new();
    for (shape, existing) in [("new customers", false), ("existing conversations", true)] {
        let run = Sample::start(router, &log);
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
            route(batch(&psids, &tag, ts)).await;
        }
        let (cpu, log_bytes, wall) = run.finish(router, &log);
        let events = (batches * PER_BATCH) as f64;
        lines.push(format!(
            "  router, {shape:<23} {:>7.0} µs CPU per batch of {PER_BATCH} ({:>5.0} per event), {:>4.0} B of JSON logs per event, {wall:.1} s wall ({batches} batches)",
            cpu * 1e6 / batches as f64,
            cpu * 1e6 / events,
            log_bytes / events,
        ));
    }
    let deliveries = batches * PER_BATCH;
    let run = Sample::start(ingester, &log);
    for i in 0..deliveries {
        let psid = customers[i % customers.len()].clone();
        ingest(psid, format!("m_ingest_{i}"), base + 10_000 + i as u64).await;
    }
    let (cpu, log_bytes, wall) = run.finish(ingester, &log);
    lines.push(format!(
        "  webhook-ingest, 1-event deliveries   {:>7.0} µs CPU per delivery, {:>4.0} B of JSON logs per delivery, {wall:.1} s wall ({deliveries} deliveries)",
        cpu * 1e6 / deliveries as f64,
        log_bytes / deliveries as f64,
    ));
    println!(
        "functions under `cargo lambda watch --profile {profile}` on moto (whole process, /proc):"
    );
    for l in lines {
        println!("{l}");
    }
    for (function, pid) in [("router", router), ("webhook-ingest", ingester)] {
        if let Some(kib) = rss_kib(pid) {
            println!(
                "  {function}: resident memory after the run {:.1} MiB",
                kib as f64 / 1024.0
            );
        }
    }
    drop(watch);
}

/// A measured stretch of one function's work: its CPU and the JSON log
/// bytes printed meanwhile.
struct Sample {
    cpu: f64,
    log: usize,
    started: Instant,
}

impl Sample {
    fn start(pid: u32, log: &std::path::Path) -> Sample {
        Sample {
            cpu: settled_cpu_seconds(pid).expect("the function's CPU"),
            log: std::fs::metadata(log).map_or(0, |m| m.len() as usize),
            started: Instant::now(),
        }
    }

    /// CPU seconds, JSON log bytes and wall seconds since the start.
    fn finish(self, pid: u32, log: &std::path::Path) -> (f64, f64, f64) {
        let wall = self.started.elapsed().as_secs_f64();
        let cpu = settled_cpu_seconds(pid).expect("the function's CPU") - self.cpu;
        (cpu, json_log_bytes(log, self.log) as f64, wall)
    }
}
