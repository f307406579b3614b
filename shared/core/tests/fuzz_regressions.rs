//! Inputs from `make fuzz` (fuzz/, cargo-fuzz) kept as plain tests: each
//! feeds what the fuzzer (or its seeds) found to the same function the
//! fuzz target calls, and checks it answers without panicking and
//! sensibly. A crash the fuzzer finds is added here with its input.

use switchboard_core::Millis;
use switchboard_core::aside::{KEPT_BYTES, SetAside};
use switchboard_core::config::Config;
use switchboard_core::event::{InboundEvent, MAX_TEXT_CHARS};
use switchboard_core::ids::AccountId;
use switchboard_core::ingest::{IngestError, Split, split_delivery};
use switchboard_core::routing::classify::{Facts, check_condition, classify};
use switchboard_core::routing::model::{
    ClassifyRule, Condition, Outputs, Ruleset, RulesetId, RulesetKind,
};
use switchboard_core::workstreams::WorkstreamId;

const RECEIVED_AT: Millis = Millis(1_767_600_000_000);

fn split(body: &[u8]) -> Result<Split, IngestError> {
    split_delivery(&AccountId::parse("acme").unwrap(), body, RECEIVED_AT)
}

/// What the delivery target checks of every answer: events and set-aside
/// items survive their queue bodies unchanged.
fn assert_queueable(s: &Split) {
    for ev in &s.events {
        let body = serde_json::to_string(ev).unwrap();
        let back: InboundEvent = serde_json::from_str(&body).unwrap();
        assert_eq!(serde_json::to_string(&back).unwrap(), body);
        assert!(SetAside::from_queue_body(&body).is_none());
    }
    for item in &s.aside {
        assert!(item.raw.len() <= KEPT_BYTES);
        let m = item.to_message().unwrap();
        let back = SetAside::from_queue_body(&m.body).unwrap().unwrap();
        assert_eq!(&back, item);
    }
}

/// The first input the delivery target stopped on (2026-11-30): bytes that
/// are not UTF-8 inside a JSON key. serde_json's `from_slice` skips such a
/// key without complaint, but the body is not JSON text (RFC 8259: UTF-8),
/// and `split_delivery` rightly refuses it; the harness was corrected, and
/// this pins the behaviour.
#[test]
fn a_body_with_bytes_that_are_not_utf8_inside_a_key_is_refused() {
    let mut body =
        br#"{"object":"page","entry":[{"id":"104857600000001","time":1764000000100,"me"#.to_vec();
    body.extend_from_slice(&[0x8a, 0x8c, 0x9e, 0x98]);
    body.extend_from_slice(
        br#"ing":[{"sender":{"id":"7700000000000001"},"recipient":{"id":"104857600000001"},"timestamp":1764000000000,"message":{"mid":"m_1","text":"Hi"}}]}]}"#,
    );
    match split(&body) {
        Err(IngestError::BadPayload(reason)) => {
            assert!(reason.contains("not valid JSON"), "{reason}")
        }
        other => panic!("expected BadPayload, got {other:?}"),
    }
}

/// A delivery seed: texts past Meta's 2,000 characters and an odd entry
/// past what is kept of it (16 KiB), in characters of several bytes.
#[test]
fn long_texts_are_cut_and_a_big_odd_entry_is_kept_cut_on_a_character_boundary() {
    let euros = "€".repeat(7000);
    let body = serde_json::json!({"object": "page", "entry": [
        {"id": "104857600000001", "time": 1764000000100_i64, "messaging": [
            {"sender": {"id": "7700000000000001"}, "recipient": {"id": "104857600000001"},
             "timestamp": 1764000000000_i64, "message": {"mid": "m_long", "text": "🙂".repeat(2500)}},
        ]},
        {"id": "x".repeat(100), "blob": euros},
    ]});
    let s = split(body.to_string().as_bytes()).unwrap();
    assert_eq!(s.events.len(), 1);
    let ev = &s.events[0];
    assert!(ev.text_cut);
    assert_eq!(ev.text.as_deref().unwrap().chars().count(), MAX_TEXT_CHARS);
    assert_eq!(s.aside.len(), 1);
    let raw = &s.aside[0].raw;
    assert!(raw.len() <= KEPT_BYTES && raw.len() > KEPT_BYTES - 4);
    assert_queueable(&s);
}

fn env(name: &str) -> Option<String> {
    name.starts_with("SET_")
        .then(|| format!("value of {name}, long enough"))
}

/// A YAML alias "billion laughs" in a section kept as JSON values: refused
/// (serde_yaml_ng's repetition limit), not expanded into memory.
#[test]
fn a_yaml_alias_bomb_is_refused() {
    let mut yaml = String::from("queues:\n  - &a0 [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n");
    for i in 1..9 {
        let refs = vec![format!("*a{}", i - 1); 9].join(",");
        yaml.push_str(&format!("  - &a{i} [{refs}]\n"));
    }
    let e = Config::parse(&yaml, &env).unwrap_err();
    assert!(e.to_string().contains("YAML"), "{e}");
}

/// Nesting far deeper than anything a configuration needs: refused by the
/// YAML reader's recursion limit, no stack overflow.
#[test]
fn deeply_nested_yaml_is_refused() {
    for yaml in [
        format!("rulesets: {}{}\n", "[".repeat(5000), "]".repeat(5000)),
        format!(
            "rulesets:\n  - {}1{}\n",
            "{a: ".repeat(3000),
            "}".repeat(3000)
        ),
    ] {
        assert!(Config::parse(&yaml, &env).is_err());
    }
}

fn bare(when: Condition) -> Vec<Ruleset> {
    vec![Ruleset {
        id: RulesetId::parse("fuzz").unwrap(),
        workstream: WorkstreamId::parse("support").unwrap(),
        name: "fuzz".into(),
        order: 0,
        kind: RulesetKind::Classification {
            rules: vec![ClassifyRule {
                name: "fuzz".into(),
                when,
                set: Outputs::default(),
            }],
        },
        created_at: Millis(0),
        updated_at: Millis(0),
    }]
}

/// A rules seed: `not` nested 126 deep (just inside serde_json's recursion
/// limit) is read, checked and evaluated without trouble; one level past
/// the limit is refused by the JSON reader.
#[test]
fn conditions_nested_to_the_json_limit_are_read_checked_and_evaluated() {
    let nest = |n: usize| format!("{}\"always\"{}", "{\"not\":".repeat(n), "}".repeat(n));
    let c: Condition = serde_json::from_str(&nest(126)).unwrap();
    check_condition(&c).unwrap();
    let out = classify(&bare(c), &Facts::default());
    // An even number of `not`s around `always`: true.
    assert_eq!(out.traces[0].matched.as_deref(), Some("fuzz"));
    assert!(serde_json::from_str::<Condition>(&nest(200)).is_err());
}

/// A rules seed: a regular expression too big for the 1 MiB limit is
/// refused when a ruleset is saved.
#[test]
fn a_regular_expression_past_the_size_limit_is_refused() {
    let c = Condition::TextMatches(r"\w{1000}\w{1000}".into());
    let e = check_condition(&c).unwrap_err();
    assert!(e.contains("does not compile"), "{e}");
}
