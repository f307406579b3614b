//! Agent API request bodies. `agent_api::handle` needs the whole store and
//! an authenticated, assigned conversation, and its body types (`Reply`,
//! `Transfer`, `Typing`) are private; so this target feeds the body to the
//! public pieces those routes are made of, in the order the routes use
//! them:
//!
//! - `http_api::require_object`, then the body types: a reply as
//!   `agent_api.rs`'s private `Reply` reads it (mirrored here: text or
//!   attachment plus quick replies, giving `outbound::Content`), checked
//!   with `Content::check` and turned into the Send API body; `Content`
//!   itself (as the outbound store keeps it) out and back;
//! - `contacts::NewContact` + `contacts::create`, and `contacts::patch` of
//!   the body as a JSON merge patch (`PATCH /agent/v1/contacts/{id}`);
//! - `routing::admin::PresenceInput` (`PUT /agent/v1/presence`), and the
//!   private `Transfer` / `Typing` bodies (mirrored);
//! - the body as a path: `http_api::path_segments`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde::Deserialize;
use switchboard_core::Millis;
use switchboard_core::contacts::{self, MAX_NAME, NewContact};
use switchboard_core::delivery::SURVEY_PAYLOAD;
use switchboard_core::http_api::{path_segments, require_object};
use switchboard_core::ids::{ContactId, Psid};
use switchboard_core::outbound::{AttachmentKind, Content, QuickReply, SendAs, send_body};
use switchboard_core::ports::Contact;
use switchboard_core::routing::admin::PresenceInput;
use switchboard_core::routing::model::{AgentId, QueueId};

const NOW: Millis = Millis(1_767_601_800_000);

/// `agent_api.rs`'s `Reply` (private there).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Reply {
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    attachment: Option<ReplyAttachment>,
    #[serde(default)]
    quick_replies: Vec<QuickReply>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplyAttachment {
    #[serde(rename = "type")]
    kind: AttachmentKind,
    url: String,
}

/// `agent_api.rs`'s `Transfer` (private there).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Transfer {
    queue_id: Option<QueueId>,
    agent_id: Option<AgentId>,
}

/// `agent_api.rs`'s `Typing` (private there).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Typing {
    #[serde(default = "yes")]
    on: bool,
    #[serde(default)]
    seen: bool,
}

fn yes() -> bool {
    true
}

fn content(c: &Content) {
    let reserved = c
        .quick_replies()
        .iter()
        .any(|q| q.payload.to_ascii_uppercase().starts_with(SURVEY_PAYLOAD));
    let stored = serde_json::to_string(c).expect("content serializes");
    let back: Content = serde_json::from_str(&stored)
        .unwrap_or_else(|e| panic!("stored content does not read back: {e}\n{stored}"));
    assert_eq!(&back, c, "content changed in the store");
    if reserved || c.check().map_err(|e| e.to_string()).is_err() {
        return;
    }
    let psid = Psid::parse("7700000000000001").expect("a valid PSID");
    for send_as in [SendAs::Response, SendAs::HumanAgent] {
        let body = send_body(&psid, c, send_as, "ob_0123456789abcdef");
        let msg = &body["message"];
        match c {
            Content::Text { text, .. } => assert_eq!(msg["text"].as_str(), Some(text.as_str())),
            Content::Attachment { url, .. } => {
                assert_eq!(
                    msg["attachment"]["payload"]["url"].as_str(),
                    Some(url.as_str())
                )
            }
        }
        let n = c.quick_replies().len();
        assert_eq!(
            msg.get("quick_replies")
                .and_then(|q| q.as_array())
                .map_or(0, Vec::len),
            n
        );
        serde_json::to_vec(&body).expect("the Send API body serializes");
    }
}

fn check_contact(c: &Contact) {
    let name = c.name.as_str();
    assert!(!name.trim().is_empty() && name.chars().count() <= MAX_NAME);
    assert_eq!(name, name.trim(), "the name is kept untrimmed");
    for v in [&c.email, &c.phone, &c.notes].into_iter().flatten() {
        assert!(
            !v.is_empty() && v == v.trim(),
            "an optional field is kept untrimmed"
        );
    }
    let _ = contacts::view(c);
}

fuzz_target!(|data: &[u8]| {
    if let Ok(path) = std::str::from_utf8(data) {
        let _ = path_segments(path);
    }
    // What `body()` in agent_api.rs does first.
    let bytes: &[u8] = if data.is_empty() { b"{}" } else { data };
    if require_object(bytes).is_err() {
        return;
    }

    if let Ok(c) = serde_json::from_slice::<Content>(bytes) {
        content(&c);
    }
    if let Ok(r) = serde_json::from_slice::<Reply>(bytes) {
        let c = match (r.text, r.attachment) {
            (Some(text), None) => Some(Content::Text {
                text,
                quick_replies: r.quick_replies,
            }),
            (None, Some(a)) => Some(Content::Attachment {
                kind: a.kind,
                url: a.url,
                quick_replies: r.quick_replies,
            }),
            _ => None,
        };
        if let Some(c) = c {
            content(&c);
        }
    }

    let value = serde_json::from_slice::<serde_json::Value>(bytes).ok();
    if let Ok(new) = serde_json::from_slice::<NewContact>(bytes)
        && let Ok(c) = contacts::create(new, NOW)
    {
        assert_eq!(c.version, 0);
        check_contact(&c);
        // The same fields as a patch of what was created.
        if let Some(v) = &value
            && let Ok(p) = contacts::patch(&c, v, NOW)
        {
            check_contact(&p);
            assert_eq!(p.version, 1);
        }
    }
    if let Some(v) = &value {
        let mut current = Contact::new(
            ContactId::parse("ct_0123456789abcdef").expect("a valid id"),
            "Anna Jensen".into(),
            Millis(1_767_000_000_000),
        );
        current.version = 3;
        current.email = Some("anna@example.com".into());
        if let Ok(p) = contacts::patch(&current, v, NOW) {
            check_contact(&p);
            assert_eq!(p.version, 4);
            assert_eq!(p.id, current.id);
        }
    }

    if let Ok(p) = serde_json::from_slice::<PresenceInput>(bytes) {
        let _ = p.label.map(|l| !l.trim().is_empty() && l.len() <= 60);
    }
    let _ = serde_json::from_slice::<Transfer>(bytes);
    let _ = serde_json::from_slice::<Typing>(bytes);
});
