//! Signed deliveries of every shape: what can be used becomes events, the
//! rest is set aside with its reason, and nothing Meta can send makes an
//! event that cannot be stored, listed and read back.

use proptest::prelude::*;
use switchboard_core::Millis;
use switchboard_core::aside::{NoticeKind, SetAside};
use switchboard_core::event::{EventKind, InboundEvent, MAX_DEPTH, MAX_TEXT_CHARS};
use switchboard_core::ids::AccountId;
use switchboard_core::ingest::{Split, split_delivery};

const NOW: Millis = Millis(1_764_000_000_000);

fn acme() -> AccountId {
    AccountId::parse("acme").unwrap()
}

fn split(body: &str) -> Split {
    split_delivery(&acme(), body.as_bytes(), NOW).unwrap()
}

fn one_event(event: &str) -> Split {
    split(&format!(
        r#"{{"object":"page","entry":[{{"id":"104857600000001","time":1764000000000,"messaging":[{event}]}}]}}"#
    ))
}

fn event(event: &str) -> InboundEvent {
    let s = one_event(event);
    assert!(s.aside.is_empty(), "{:?}", s.aside);
    assert_eq!(s.events.len(), 1);
    s.events.into_iter().next().unwrap()
}

#[test]
fn another_object_from_the_same_app_is_set_aside_not_refused() {
    let s = split(r#"{"object":"instagram","entry":[{"id":"1","time":1,"messaging":[]}]}"#);
    assert!(s.events.is_empty());
    assert_eq!(s.aside.len(), 1);
    assert_eq!(s.aside[0].kind, NoticeKind::OtherObject);
    assert!(
        s.aside[0].reason.contains("instagram"),
        "{}",
        s.aside[0].reason
    );
}

#[test]
fn json_of_any_other_shape_is_set_aside_with_its_reason() {
    for body in [
        "[]",
        "5",
        "null",
        r#"{"object":5}"#,
        r#"{"object":"page","entry":7}"#,
    ] {
        let s = split(body);
        assert!(s.events.is_empty(), "{body}");
        assert_eq!(s.aside.len(), 1, "{body}");
        assert_eq!(s.aside[0].kind, NoticeKind::OddShape, "{body}");
        assert!(!s.aside[0].reason.is_empty());
    }
}

#[test]
fn an_odd_entry_or_event_spoils_nothing_else() {
    let s = split(
        r#"{"object":"page","entry":[
            {"id":{"x":1},"messaging":[]},
            {"id":"12","messaging":"nope"},
            {"id":"12","time":"1764000000000","messaging":[
                7,
                {"sender":{"id":"9"},"recipient":{"id":"12"},"timestamp":"1764000000500","message":{"mid":"m1","text":"hi"}},
                {"sender":{"id":"9"},"recipient":{"id":"12"},"timestamp":1,"message":"not an object"}
            ]}
        ]}"#,
    );
    assert_eq!(s.events.len(), 1, "{:?}", s.aside);
    assert_eq!(
        s.events[0].timestamp,
        Millis(1_764_000_000_500),
        "a timestamp as a string is used"
    );
    assert_eq!(s.aside.len(), 4);
    assert!(s.aside.iter().all(|a| a.kind == NoticeKind::OddShape));
}

#[test]
fn an_entry_time_as_a_string_is_used_when_the_event_has_none() {
    let s = split(
        r#"{"object":"page","entry":[{"id":"12","time":"1764000000000","messaging":[{"sender":{"id":"9"},"message":{"mid":"m1","text":"hi"}}]}]}"#,
    );
    assert_eq!(s.events[0].timestamp, Millis(1_764_000_000_000));
}

#[test]
fn out_of_range_timestamps_fall_back_to_the_entry_time() {
    for ts in [
        "9223372036854775807",
        "-9223372036854775808",
        "-1",
        "4102444800000",
        "1e300",
    ] {
        let ev = event(&format!(
            r#"{{"sender":{{"id":"9"}},"recipient":{{"id":"104857600000001"}},"timestamp":{ts},"message":{{"mid":"m-{ts}","text":"x"}}}}"#
        ));
        assert_eq!(ev.timestamp, Millis(1_764_000_000_000), "{ts}");
    }
}

#[test]
fn an_event_nested_too_deep_is_set_aside_as_text() {
    let deep = format!("{}1{}", "[".repeat(130), "]".repeat(130));
    let s = one_event(&format!(
        r#"{{"sender":{{"id":"9"}},"timestamp":1764000000000,"message":{{"mid":"m1","text":"x","x":{deep}}}}}"#
    ));
    assert!(s.events.is_empty());
    assert_eq!(s.aside.len(), 1);
    assert!(
        s.aside[0].reason.contains(&MAX_DEPTH.to_string()),
        "{}",
        s.aside[0].reason
    );
    // Within the bound it is an ordinary event.
    let shallow = format!("{}1{}", "[".repeat(20), "]".repeat(20));
    event(&format!(
        r#"{{"sender":{{"id":"9"}},"timestamp":1764000000000,"message":{{"mid":"m2","text":"x","x":{shallow}}}}}"#
    ));
}

#[test]
fn a_text_beyond_metas_limit_is_cut_for_display_and_kept_whole_in_raw() {
    let long = "é".repeat(MAX_TEXT_CHARS * 50);
    let ev = event(&format!(
        r#"{{"sender":{{"id":"9"}},"timestamp":1764000000000,"message":{{"mid":"m1","text":"{long}"}}}}"#
    ));
    assert_eq!(
        ev.text.as_deref().map(|t| t.chars().count()),
        Some(MAX_TEXT_CHARS)
    );
    assert!(ev.text_cut);
    assert!(ev.raw.get().contains(&long));
}

#[test]
fn metas_current_kinds_are_read() {
    let sticker = event(
        r#"{"sender":{"id":"9"},"timestamp":1764000000000,"message":{"mid":"m1","attachments":[{"type":"sticker","payload":{"url":"https://x/s.png","sticker_id":369239263222822}}]}}"#,
    );
    assert_eq!(sticker.kind, EventKind::Message);
    assert_eq!(sticker.attachments[0].kind, "sticker");
    assert_eq!(
        sticker.attachments[0].sticker_id.as_deref(),
        Some("369239263222822")
    );

    let unsent = event(
        r#"{"sender":{"id":"9"},"timestamp":1764000000000,"message":{"mid":"m1","is_deleted":true}}"#,
    );
    assert_eq!(unsent.kind, EventKind::Unsend);
    assert!(
        !unsent.kind.is_customer_activity(),
        "an unsend opens nothing"
    );
    assert_eq!(unsent.mid.as_deref(), Some("m1"));

    let unsupported = event(
        r#"{"sender":{"id":"9"},"timestamp":1764000000000,"message":{"mid":"m2","is_unsupported":true}}"#,
    );
    assert_eq!(unsupported.kind, EventKind::Message);
    assert!(unsupported.unsupported);

    let reply = event(
        r#"{"sender":{"id":"9"},"timestamp":1764000000000,"message":{"mid":"m3","text":"this","reply_to":{"mid":"m0"}}}"#,
    );
    assert_eq!(reply.reply_to_mid.as_deref(), Some("m0"));

    let edit = event(
        r#"{"sender":{"id":"9"},"timestamp":1764000000000,"message_edit":{"mid":"m3","text":"that","num_edit":"2"}}"#,
    );
    assert_eq!(edit.num_edit, Some(2), "num_edit as a string");

    for key in ["policy_enforcement", "policy-enforcement"] {
        let s = one_event(&format!(
            r#"{{"recipient":{{"id":"104857600000001"}},"timestamp":1764000000000,"{key}":{{"action":"block","reason":"spam"}}}}"#
        ));
        assert_eq!(s.events.len(), 1, "{key}");
        assert_eq!(s.events[0].kind, EventKind::PolicyEnforcement);
        assert_eq!(s.aside.len(), 1, "{key}: the administrator is warned");
        assert_eq!(s.aside[0].kind, NoticeKind::PolicyEnforcement);
        assert!(s.aside[0].reason.contains("block") && s.aside[0].reason.contains("spam"));
    }

    for (key, body) in [
        (
            "pass_thread_control",
            r#"{"new_owner_app_id":263902037430900,"previous_owner_app_id":"1","metadata":"m"}"#,
        ),
        (
            "take_thread_control",
            r#"{"previous_owner_app_id":263902037430900}"#,
        ),
        (
            "request_thread_control",
            r#"{"requested_owner_app_id":263902037430900}"#,
        ),
    ] {
        let ev = event(&format!(r#"{{"sender":{{"id":"9"}},"{key}":{body}}}"#));
        assert_eq!(ev.kind, EventKind::Handover, "{key}");
        assert_eq!(ev.handover.as_ref().unwrap().action, key);
    }
    let roles = event(
        r#"{"recipient":{"id":"104857600000001"},"timestamp":1,"app_roles":{"263902037430900":["primary_receiver"]}}"#,
    );
    assert_eq!(roles.handover.unwrap().action, "app_roles");
}

proptest! {
    /// Whatever timestamp and ids a signed delivery carries, each event is
    /// either set aside or stored with a time that can be written and read
    /// back, and its queue message decodes again.
    #[test]
    fn any_timestamp_and_ids_make_events_that_read_back(
        ts in prop_oneof![any::<i64>(), Just(i64::MAX), Just(i64::MIN), 0i64..4_200_000_000_000],
        entry_time in proptest::option::of(any::<i64>()),
        sender in "\\PC{0,40}|[0-9]{1,40}",
        page in "\\PC{0,40}|[0-9]{1,40}",
        mid in "\\PC{0,100}",
    ) {
        let ev = serde_json::json!({
            "sender": {"id": sender}, "recipient": {"id": page}, "timestamp": ts,
            "message": {"mid": mid, "text": "x"}
        });
        let body = serde_json::json!({
            "object": "page",
            "entry": [{"id": page, "time": entry_time, "messaging": [ev]}]
        });
        let s = split_delivery(&acme(), body.to_string().as_bytes(), NOW).unwrap();
        prop_assert_eq!(s.events.len() + s.aside.len(), 1);
        for ev in &s.events {
            prop_assert!(ev.timestamp.is_plausible() || ev.timestamp == NOW);
            let text = serde_json::to_string(ev).unwrap();
            let back: InboundEvent = serde_json::from_str(&text).unwrap();
            prop_assert_eq!(back.timestamp, ev.timestamp);
            prop_assert!(ev.timestamp.to_rfc3339().len() >= 10);
        }
        for a in &s.aside {
            let m = a.to_message().unwrap();
            prop_assert!(SetAside::from_queue_body(&m.body).unwrap().is_ok());
        }
    }
}
