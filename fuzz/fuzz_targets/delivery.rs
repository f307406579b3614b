//! The webhook delivery parser and normalizer: whatever bytes arrive,
//! `split_delivery` answers (never panics); only a body that is not JSON is
//! an error; every event it produces survives the inbound queue (serde_json
//! out and back, unchanged), and every item it sets aside survives its own
//! queue body (`SetAside::to_message` / `SetAside::from_queue_body`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use switchboard_core::Millis;
use switchboard_core::aside::{KEPT_BYTES, SetAside};
use switchboard_core::event::{InboundEvent, MAX_TEXT_CHARS};
use switchboard_core::ids::AccountId;
use switchboard_core::ingest::{split_delivery, to_messages};

/// When the fixtures' deliveries arrive (2026-01-05).
const RECEIVED_AT: Millis = Millis(1_767_600_000_000);

fuzz_target!(|data: &[u8]| {
    let account = AccountId::parse("acme").expect("a valid account id");
    let split = match split_delivery(&account, data, RECEIVED_AT) {
        Ok(s) => s,
        Err(e) => {
            // Only a body that is not JSON (UTF-8 text, RFC 8259) is refused.
            let _ = e.to_string();
            let json = std::str::from_utf8(data)
                .is_ok_and(|t| serde_json::from_str::<serde::de::IgnoredAny>(t).is_ok());
            assert!(!json, "split_delivery refused a JSON body: {e}");
            return;
        }
    };

    for ev in &split.events {
        assert_eq!(ev.account_id, account);
        assert_eq!(ev.received_at, RECEIVED_AT);
        if let Some(t) = &ev.text {
            assert!(t.chars().count() <= MAX_TEXT_CHARS, "text not cut");
        }
        let _ = ev.message_group();
        let _ = ev.dedup_id();

        let body = serde_json::to_string(ev).expect("an event serializes");
        let back: InboundEvent = serde_json::from_str(&body)
            .unwrap_or_else(|e| panic!("an event does not read back: {e}\nbody: {body}"));
        let again = serde_json::to_string(&back).expect("an event serializes");
        assert_eq!(body, again, "an event changed on its way through the queue");
        // An event's queue body is never taken for a set-aside item.
        assert!(SetAside::from_queue_body(&body).is_none());
    }
    let messages = to_messages(&split.events).expect("the events become queue messages");
    assert_eq!(messages.len(), split.events.len());

    for item in &split.aside {
        assert_eq!(item.account_id, account);
        assert!(item.raw.len() <= KEPT_BYTES, "raw not cut");
        let _ = item.dedup_id();
        let m = item.to_message().expect("a set-aside item serializes");
        let back = SetAside::from_queue_body(&m.body)
            .unwrap_or_else(|| panic!("a set-aside body is not recognized: {}", m.body))
            .unwrap_or_else(|e| panic!("a set-aside item does not read back: {e}\n{}", m.body));
        assert_eq!(&back, item, "a set-aside item changed on its way");
    }
});
