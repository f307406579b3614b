//! CPU of the ingest handler per delivery, excluding I/O: signature check,
//! parse, normalization of every event, and the queue messages.
//! `make bench` runs it; the figures go in README's performance section.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use switchboard_core::Millis;
use switchboard_core::ids::AccountId;
use switchboard_core::ingest::{split, to_messages};
use switchboard_core::signature;

const SECRET: &[u8] = b"bench-app-secret";

fn delivery(events: usize) -> Vec<u8> {
    let msgs: Vec<serde_json::Value> = (0..events)
        .map(|i| {
            serde_json::json!({
                "sender": {"id": format!("77000000000{:05}", i % 7)},
                "recipient": {"id": "104857600000001"},
                "timestamp": 1764000000000u64 + i as u64,
                "message": {"mid": format!("m_bench_{i:06}_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
                            "text": "Hi, my order #1042 has not arrived yet. Can you help me track it?"}
            })
        })
        .collect();
    serde_json::json!({"object": "page", "entry": [{"id": "104857600000001", "time": 1764000000100u64, "messaging": msgs}]})
        .to_string()
        .into_bytes()
}

fn ingest_cpu(c: &mut Criterion) {
    let account = AccountId::parse("acme").unwrap();
    let mut group = c.benchmark_group("ingest_cpu");
    for n in [1usize, 50] {
        let body = delivery(n);
        let sig = signature::sign(SECRET, &body);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_function(format!("{n}_events"), |b| {
            b.iter(|| {
                signature::verify(SECRET, black_box(&body), Some(&sig), false).unwrap();
                let events = split(&account, black_box(&body), Millis(1)).unwrap();
                black_box(to_messages(&events).unwrap())
            })
        });
    }
    group.finish();
}

criterion_group!(benches, ingest_cpu);
criterion_main!(benches);
