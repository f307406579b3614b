//! A person's data, on the embedded store and on DynamoDB (moto):
//! - the recording notice (`first_contact`) goes to a new customer once,
//!   in their language, before the "queued" message, and never to a
//!   returning customer;
//! - a subject-access export holds everything the timeline, transcript,
//!   contact, notes and surveys hold for that customer, and nothing of
//!   another's.

use serde_json::json;
use switchboard_tests::agent_rig::*;
use switchboard_tests::*;

/// anna in `general`; the workstream tells new customers they may be
/// recorded (English, and Danish), and says when they are queued.
async fn rig(aws: bool, redeliver: bool) -> AgentRig {
    let mut setup = RigSetup::new(json!({
        "queues": [{"id": "general", "name": "General"}],
        "agents": [{"id": "anna", "name": "Anna", "email": "anna@example.com",
                    "queues": ["general"], "presence": "offline"}],
        "rulesets": [{"id": "danish", "name": "Danish", "workstream": "support", "order": 1,
            "kind": "classification", "rules": [
                {"name": "da", "when": {"locale": "da"}, "set": {"priority": 2}}]}],
        "workstreams": [{"id": "support", "name": "Support", "pages": [PAGE_1], "locale": "en",
            "distribution": {"fallback_queue": "general"},
            "survey": {"question": "How did we do?"},
            "automated_messages": [
                {"trigger": "first_contact", "text": "This conversation may be recorded by Acme; see acme.example/privacy."},
                {"trigger": "first_contact", "locale": "da", "text": "Samtalen kan blive gemt af Acme; se acme.example/privatliv."},
                {"trigger": "queued", "text": "You are in the queue for {QueueName}."}]}]
    }));
    setup.redeliver = redeliver;
    AgentRig::new(aws, setup).await
}

fn texts_to(rig: &AgentRig, psid: &str) -> Vec<String> {
    rig.sent()
        .iter()
        .filter(|m| m["recipient"]["id"] == psid)
        .map(|m| m["message"]["text"].as_str().unwrap_or("").to_string())
        .collect()
}

async fn a_new_customer_hears_the_recording_notice_first_and_once(aws: bool) {
    // Every event goes through the router twice, as Meta's retries may.
    let rig = rig(aws, true).await;
    let psid = "7700000000000701";
    let id = rig
        .psid_says(psid, "m_notice_1", "Hello, where is my order?")
        .await;
    rig.psid_says(psid, "m_notice_2", "It was due on Monday")
        .await;
    rig.drain_sender().await;
    assert_eq!(
        texts_to(&rig, psid),
        vec![
            "This conversation may be recorded by Acme; see acme.example/privacy.".to_string(),
            "You are in the queue for General.".to_string(),
        ]
    );
    let notice = &rig.sent()[0];
    assert_eq!(notice["messaging_type"], "RESPONSE", "{notice}");
    assert!(notice.get("tag").is_none(), "{notice}");

    // The same customer back later: a returning customer hears no notice.
    let (s, v) = rig
        .admin("POST", &format!("/admin/v1/conversations/{id}/close"), None)
        .await;
    assert_eq!(s, 200, "{v}");
    rig.drain_sender().await;
    let before = texts_to(&rig, psid).len();
    let again = rig.psid_says(psid, "m_notice_3", "Me again").await;
    assert_ne!(again, id);
    rig.drain_sender().await;
    let later = texts_to(&rig, psid);
    assert_eq!(
        later.get(before..),
        Some(&["You are in the queue for General.".to_string()][..]),
        "{later:?}"
    );

    // A Danish customer reads it in Danish.
    let dane = "7700000000000702";
    rig.psid_says(
        dane,
        "m_notice_4",
        "Hej, hvor er min pakke henne? Den skulle være kommet i går.",
    )
    .await;
    rig.drain_sender().await;
    assert_eq!(
        texts_to(&rig, dane).first().map(String::as_str),
        Some("Samtalen kan blive gemt af Acme; se acme.example/privatliv.")
    );
}

async fn an_export_holds_everything_about_the_customer_and_nothing_else(aws: bool) {
    let rig = rig(aws, false).await;
    let psid = "7700000000000703";
    let other = "7700000000000704";
    let id = rig
        .psid_says(psid, "m_export_1", "My email is ada@example.com")
        .await;
    rig.psid_says(other, "m_export_2", "Someone else entirely")
        .await;
    rig.drain_sender().await;
    let sup = rig.supervisor_token("anna").await;
    let (s, v) = rig
        .http(
            "POST",
            &format!("/agent/v1/conversations/{id}/notes"),
            &sup,
            Some(json!({"text": "asked for a refund"})),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let (s, v) = rig
        .http(
            "PUT",
            &format!("/agent/v1/conversations/{id}/contact"),
            &sup,
            Some(json!({"name": "Ada Lovelace", "email": "ada@example.com"})),
        )
        .await;
    assert_eq!(s, 200, "{v}");

    let (s, doc) = rig
        .admin(
            "GET",
            &format!("/admin/v1/customers/{PAGE_1}/{psid}/export"),
            None,
        )
        .await;
    assert_eq!(s, 200, "{doc}");
    assert_eq!(doc["psid"], psid);
    assert_eq!(doc["contact"]["name"], "Ada Lovelace", "{doc}");
    assert_eq!(doc["contact"]["email"], "ada@example.com", "{doc}");
    let convs = doc["conversations"].as_array().unwrap();
    assert_eq!(convs.len(), 1, "{doc}");
    let c = &convs[0];
    assert_eq!(c["conversation"]["id"], id.as_str());
    // Meta's raw event, the transcript, what went out, the note.
    assert_eq!(
        c["events"][0]["raw"]["message"]["text"], "My email is ada@example.com",
        "{c}"
    );
    let transcript: Vec<&str> = c["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["text"].as_str())
        .collect();
    assert!(
        transcript.contains(&"My email is ada@example.com"),
        "{transcript:?}"
    );
    assert!(
        c["outbound"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["content"]["text"]
                .as_str()
                .is_some_and(|t| t.contains("may be recorded"))),
        "{c}"
    );
    assert_eq!(c["notes"][0]["text"], "asked for a refund", "{c}");
    assert!(
        !doc.to_string().contains("Someone else entirely"),
        "another customer's data"
    );

    // A customer never seen, and a PSID that is not one.
    let (s, v) = rig
        .admin(
            "GET",
            &format!("/admin/v1/customers/{PAGE_1}/7700000000000799/export"),
            None,
        )
        .await;
    assert_eq!(s, 404, "{v}");
    let (s, v) = rig
        .admin(
            "GET",
            &format!("/admin/v1/customers/{PAGE_1}/not-a-psid/export"),
            None,
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (400, Some("invalid_id")), "{v}");
    // Supervisors may not export.
    let (s, _) = rig
        .http(
            "GET",
            &format!("/admin/v1/customers/{PAGE_1}/{psid}/export"),
            &sup,
            None,
        )
        .await;
    assert_eq!(s, 403);
}

both_stores!(
    a_new_customer_hears_the_recording_notice_first_and_once,
    an_export_holds_everything_about_the_customer_and_nothing_else
);
