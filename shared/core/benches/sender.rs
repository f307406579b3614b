//! CPU of the sender per message, excluding I/O: the queue message, the
//! outbound record as the store returns it, the window decision, the Send
//! API body, and the record written back as sent. `make bench` runs it.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use switchboard_core::Millis;
use switchboard_core::delivery::OutboxMessage;
use switchboard_core::outbound::{Outbound, Status, send_body, window};

fn sender_cpu(c: &mut Criterion) {
    let record = serde_json::json!({
        "id": "ob_01a2109e4ee67762aecb0d60bc191c98",
        "conversation_id": "cv_01a2109e4ee67762aecb0d60bc191c97",
        "page_id": "104857600000001",
        "psid": "7700000000000001",
        "author": {"kind": "agent", "agent_id": "anna"},
        "content": {"type": "text", "text": "Your parcel left our warehouse this morning; you will have it tomorrow.",
                    "quick_replies": [{"title": "Thanks", "payload": "THANKS"}, {"title": "Talk to someone", "payload": "AGENT"}]},
        "status": "queued",
        "attempts": 0,
        "created_at": "2026-11-25T10:00:00Z"
    })
    .to_string();
    // The record must be one the sender reads.
    let _: Outbound = serde_json::from_str(&record).expect("a valid outbound record");
    let queued = r#"{"outbound_id":"ob_01a2109e4ee67762aecb0d60bc191c98"}"#;
    let last = Millis(1_764_064_800_000);
    let now = Millis(last.0 + 3_600_000);
    let mut group = c.benchmark_group("sender_cpu");
    group.throughput(Throughput::Elements(1));
    group.bench_function("per_message", |b| {
        b.iter(|| {
            let msg: OutboxMessage = serde_json::from_str(black_box(queued)).unwrap();
            let mut m: Outbound = serde_json::from_str(black_box(&record)).unwrap();
            let send_as = window(Some(last), now, &m.author, false).unwrap();
            let body = send_body(&m.psid, &m.content, send_as, msg.outbound_id.as_str());
            let wire = serde_json::to_vec(&body).unwrap();
            m.status = Status::Sent {
                message_id: "m_sent_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into(),
                messaging_type: send_as,
                at: now,
            };
            black_box((wire, serde_json::to_string(&m).unwrap()))
        })
    });
    group.finish();
}

criterion_group!(benches, sender_cpu);
criterion_main!(benches);
