//! What the router logs for a batch: one summary line and one
//! `EventsStored` metric per batch, not a line per event (CloudWatch bills
//! every byte), and the per-event line only at debug.

use std::sync::Arc;
use switchboard_core::SystemClock;
use switchboard_core::router::process_batch;
use switchboard_tests::log_capture::Capture;
use switchboard_tests::*;

/// The router's batch of `n` messages from customers 1 and 2 (alternating).
fn bodies(tag: &str, n: u64, ts: u64) -> Vec<(String, String, String)> {
    (0..n)
        .map(|i| {
            let psid = format!("770000000000000{}", 1 + i % 2);
            let event = text_message(&psid, &format!("m_{tag}_{i}"), ts + i, "Hello");
            (
                format!("{tag}-{i}"),
                format!("104857600000001:{psid}"),
                serde_json::to_string(&event).expect("an event serialises"),
            )
        })
        .collect()
}

async fn run(deps: &switchboard_core::router::RouterDeps, batch: &[(String, String, String)]) {
    assert!(
        process_batch(deps, &batch_items(batch)).await.is_empty(),
        "nothing failed"
    );
}

#[tokio::test]
async fn a_batch_logs_one_line_and_one_metric() {
    let capture = Capture::default();
    let _logs = tracing::subscriber::set_default(capture.subscriber("info"));
    let embedded = redb_store();
    let deps = routing_deps(embedded.store.clone(), Arc::new(SystemClock));

    // Two customers' first messages, then four more in their conversations.
    run(&deps, &bodies("open", 2, 1_000)).await;
    capture.take();
    run(&deps, &bodies("next", 4, 2_000)).await;
    let logs = capture.take();
    let lines: Vec<&str> = logs.lines().collect();
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.contains("batch processed"))
            .collect::<Vec<_>>(),
        [lines
            .iter()
            .find(|l| l.contains("batch processed") && l.contains("stored=4"))
            .expect("the batch's summary line names what it stored")],
        "{logs}"
    );
    assert!(
        !logs.contains("event stored"),
        "per-event lines at info: {logs}"
    );
    let metrics: Vec<&&str> = lines
        .iter()
        .filter(|l| l.contains("EventsStored"))
        .collect();
    assert_eq!(metrics.len(), 1, "one metric line per batch: {logs}");
    assert!(metrics[0].contains("value=4.0"), "{logs}");

    // A redelivered batch stores nothing: its summary says so, and no
    // metric counts it.
    run(&deps, &bodies("next", 4, 2_000)).await;
    let logs = capture.take();
    assert!(logs.contains("stored=0"), "{logs}");
    assert!(!logs.contains("EventsStored"), "{logs}");
}
