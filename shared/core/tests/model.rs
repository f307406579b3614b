//! The Messenger model against every fixture in `tests/fixtures/messenger`.

use std::path::PathBuf;
use switchboard_core::Millis;
use switchboard_core::event::{EventKind, InboundEvent};
use switchboard_core::ids::AccountId;
use switchboard_core::ingest::{self, IngestError};
use switchboard_core::messenger::Channel;

/// The project's Messenger fixtures (`tests/fixtures/messenger`).
fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/messenger")
}

fn split(name: &str) -> Vec<InboundEvent> {
    let body = std::fs::read(fixtures_dir().join(name)).unwrap();
    ingest::split(&AccountId::parse("acme").unwrap(), &body, Millis(1)).unwrap()
}

fn kinds(evs: &[InboundEvent]) -> Vec<EventKind> {
    evs.iter().map(|e| e.kind).collect()
}

const P1: &str = "104857600000001";
const C1: &str = "7700000000000001";
const C2: &str = "7700000000000002";
const C3: &str = "7700000000000003";

fn psid(e: &InboundEvent) -> &str {
    e.psid.as_ref().map(|p| p.as_str()).unwrap_or("")
}

#[test]
fn every_fixture_parses_and_keys_are_unique() {
    let mut names = 0;
    for entry in std::fs::read_dir(fixtures_dir()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if !name.ends_with(".json") {
            continue;
        }
        names += 1;
        let evs = split(&name);
        assert!(!evs.is_empty(), "{name} has events");
        let mut keys: Vec<&str> = evs.iter().map(|e| e.key.as_str()).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), evs.len(), "{name}: every event has its own key");
        for e in &evs {
            assert!(e.psid.is_some(), "{name}: customer resolved");
            // The raw JSON is kept exactly and the normalized event survives the queue.
            let back: InboundEvent =
                serde_json::from_str(&serde_json::to_string(e).unwrap()).unwrap();
            assert_eq!(back.raw.get(), e.raw.get());
            assert_eq!(back.key, e.key);
        }
    }
    assert_eq!(names, 11, "all eleven fixtures were read");
}

#[test]
fn text_message() {
    let evs = split("text-message.json");
    assert_eq!(kinds(&evs), [EventKind::Message]);
    let e = &evs[0];
    assert_eq!((e.page_id.as_str(), psid(e)), (P1, C1));
    assert_eq!(
        e.text.as_deref(),
        Some("Hi, my order #1042 has not arrived yet.")
    );
    assert_eq!(e.timestamp, Millis(1764000000000));
    assert!(e.mid.as_deref().unwrap().starts_with("m_AAAA"));
    assert_eq!(e.message_group(), format!("{P1}:{C1}"));
}

#[test]
fn batch_reads_every_entry_and_standby() {
    let evs = split("batch-multi-entry.json");
    assert_eq!(evs.len(), 5);
    let who: Vec<(&str, &str, Channel)> = evs
        .iter()
        .map(|e| (e.page_id.as_str(), psid(e), e.channel))
        .collect();
    assert_eq!(
        who,
        [
            (P1, C1, Channel::Messaging),
            (P1, C2, Channel::Messaging),
            (P1, C1, Channel::Messaging),
            ("104857600000002", C3, Channel::Messaging),
            ("104857600000002", C2, Channel::Standby),
        ]
    );
}

#[test]
fn attachments_stickers_and_fallbacks_are_kept() {
    let evs = split("attachments.json");
    let att: Vec<(&str, Option<&str>)> = evs
        .iter()
        .map(|e| {
            (
                e.attachments[0].kind.as_str(),
                e.attachments[0].url.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        att,
        [
            (
                "image",
                Some("https://cdn.example.invalid/photo.jpg?sig=abc")
            ),
            (
                "file",
                Some("https://cdn.example.invalid/invoice.pdf?sig=def")
            ),
            ("sticker", Some("https://cdn.example.invalid/sticker.png")),
            ("fallback", None),
        ]
    );
    assert_eq!(evs[1].text.as_deref(), Some("Here is the invoice"));
    assert_eq!(
        evs[2].attachments[0].sticker_id.as_deref(),
        Some("369239263222822")
    );
}

#[test]
fn echoes_belong_to_the_recipient_customer() {
    let evs = split("echoes.json");
    assert_eq!(kinds(&evs), [EventKind::Echo, EventKind::Echo]);
    assert!(evs.iter().all(|e| psid(e) == C1 && e.is_echo));
    assert_eq!(evs[0].app_id.as_deref(), Some("900000000000001"));
    assert_eq!(evs[0].metadata.as_deref(), Some("switchboard:out_0001"));
    assert_eq!(evs[1].app_id.as_deref(), Some("900000000000099"));
    assert_eq!(evs[0].message_group(), format!("{P1}:{C1}"));
}

#[test]
fn receipts_keep_watermarks_and_mids() {
    let evs = split("receipts.json");
    assert_eq!(
        kinds(&evs),
        [EventKind::Delivery, EventKind::Delivery, EventKind::Read]
    );
    assert_eq!(evs[0].mids, ["m_echo_0001"]);
    assert_eq!(evs[0].watermark, Some(1764000180000));
    assert!(evs[1].mids.is_empty());
    assert_eq!(evs[2].watermark, Some(1764000180050));
}

#[test]
fn postbacks_and_quick_replies() {
    let evs = split("postback-quick-reply.json");
    assert_eq!(kinds(&evs), [EventKind::Postback, EventKind::Message]);
    let pb = evs[0].postback.as_ref().unwrap();
    assert_eq!(
        (pb.title.as_deref(), pb.payload.as_deref()),
        (Some("Track my order"), Some("TRACK_ORDER"))
    );
    assert_eq!(evs[1].quick_reply_payload.as_deref(), Some("CSAT_5"));
}

#[test]
fn reactions_edits_and_referrals() {
    let evs = split("reaction-edit-referral.json");
    assert_eq!(
        kinds(&evs),
        [EventKind::Reaction, EventKind::Edit, EventKind::Referral]
    );
    let r = evs[0].reaction.as_ref().unwrap();
    assert_eq!(
        (
            r.reaction.as_deref(),
            r.emoji.as_deref(),
            r.action.as_deref()
        ),
        (Some("love"), Some("\u{2764}\u{fe0f}"), Some("react"))
    );
    assert_eq!(evs[0].mid.as_deref(), Some("m_echo_0001"));
    assert_eq!(evs[1].num_edit, Some(1));
    assert_eq!(
        evs[1].text.as_deref(),
        Some("Hi, my order #1042 has still not arrived.")
    );
    // The edit names the original message's mid; it must not collide with it.
    let original = &split("text-message.json")[0];
    assert_eq!(evs[1].mid, original.mid);
    assert_ne!(evs[1].key, original.key);
    let referral = evs[2].referral.as_ref().unwrap();
    assert_eq!(
        (referral.reference.as_deref(), referral.ad_id.as_deref()),
        (Some("winter-sale"), Some("6045246247433"))
    );
    assert_eq!(psid(&evs[2]), C3);
}

#[test]
fn handover_events() {
    let evs = split("handover.json");
    assert_eq!(kinds(&evs), [EventKind::Handover, EventKind::Handover]);
    let h = evs[0].handover.as_ref().unwrap();
    assert_eq!(h.action, "pass_thread_control");
    assert_eq!(h.new_owner_app_id.as_deref(), Some("900000000000001"));
    assert_eq!(
        evs[1].handover.as_ref().unwrap().action,
        "take_thread_control"
    );
}

#[test]
fn unknown_kinds_are_kept_raw() {
    let evs = split("unknown-kind.json");
    assert_eq!(kinds(&evs), [EventKind::Unknown]);
    assert_eq!(evs[0].unknown_kind.as_deref(), Some("hologram"));
    assert!(evs[0].raw.get().contains("\"shape\":\"cube\""));
}

#[test]
fn unicode_escapes_decode() {
    let evs = split("unicode.json");
    assert_eq!(
        evs[0].text.as_deref(),
        Some(
            "Hej! Jeg har bestilt en trøje i størrelse M, men fik ændret adressen – kan I hjælpe? 🙏"
        )
    );
}

#[test]
fn only_a_body_that_is_not_json_is_refused() {
    let acme = AccountId::parse("acme").unwrap();
    assert!(matches!(
        ingest::split(&acme, b"not json", Millis(0)),
        Err(IngestError::BadPayload(_))
    ));
    // Signed JSON of another shape is acknowledged and set aside (Meta
    // disables webhooks that keep failing): see tests/odd_deliveries.rs.
    for body in [
        &br#"{"object":"instagram","entry":[]}"#[..],
        br#"{"entry":[]}"#,
        br#"{"object":"page","entry":[{"id":"abc","messaging":[]}]}"#,
    ] {
        let split = ingest::split_delivery(&acme, body, Millis(0)).unwrap();
        assert!(split.events.is_empty(), "{}", String::from_utf8_lossy(body));
        assert_eq!(split.aside.len(), 1, "{}", String::from_utf8_lossy(body));
    }
    assert_eq!(
        ingest::split(&acme, br#"{"object":"page","entry":[]}"#, Millis(0))
            .unwrap()
            .len(),
        0
    );
}

#[test]
fn events_without_envelope_fields_are_kept() {
    let acme = AccountId::parse("acme").unwrap();
    let body = br#"{"object":"page","entry":[{"id":"1","time":5,"messaging":[{"weird":true},{"sender":{"id":"9"},"message":{"mid":"m1","text":"no timestamp"}}]}]}"#;
    let evs = ingest::split(&acme, body, Millis(77)).unwrap();
    assert_eq!(evs.len(), 2);
    assert_eq!(evs[0].kind, EventKind::Unknown);
    assert!(evs[0].psid.is_none());
    assert_eq!(evs[0].timestamp, Millis(5), "falls back to the entry time");
    assert_eq!(evs[1].kind, EventKind::Message);
    assert_eq!(psid(&evs[1]), "9");
}
