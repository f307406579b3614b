//! A person's data, on the embedded store and on DynamoDB (moto):
//! - the recording notice (`first_contact`) goes to a new customer once,
//!   in their language, before the "queued" message, and never to a
//!   returning customer;
//! - a subject-access export holds everything the timeline, transcript,
//!   contact, notes and surveys hold for that customer, and nothing of
//!   another's;
//! - erasure (by an administrator, or from Meta's data-deletion callback)
//!   removes the person's words, payloads and name everywhere, keeps the
//!   counts, completes a half-done run, and stores no old event again;
//! - retention: past a workstream's `raw_payload_days` a closed
//!   conversation's raw payloads go, past `transcripts_days` its words;
//!   a younger one keeps them;
//! - the callback refuses a tampered signature without a trace, answers a
//!   replay with the same code, and waits for an administrator when Meta
//!   cannot map the person.

use serde_json::json;
use switchboard_core::Clock;
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
    let id = talkative(&rig, psid, "export").await;
    rig.psid_says(other, "m_export_2", "Someone else entirely")
        .await;
    rig.drain_sender().await;
    let sup = rig.supervisor_token("anna").await;

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
        c["events"][0]["raw"]["message"]["text"], "My card ends 4111, Ada here",
        "{c}"
    );
    let transcript: Vec<&str> = c["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["text"].as_str())
        .collect();
    assert!(
        transcript.contains(&"My card ends 4111, Ada here"),
        "{transcript:?}"
    );
    assert!(
        c["outbound"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["author"]["message"] == "first_contact"),
        "the recording notice that went out: {c}"
    );
    assert_eq!(c["notes"][0]["text"], "Ada wants a refund", "{c}");
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

/// Everything served about the customer, as one string: export,
/// transcript, contact.
async fn all_about(rig: &AgentRig, psid: &str, id: &str) -> String {
    let (s, doc) = rig
        .admin(
            "GET",
            &format!("/admin/v1/customers/{PAGE_1}/{psid}/export"),
            None,
        )
        .await;
    assert_eq!(s, 200, "{doc}");
    let (s, timeline) = rig
        .admin(
            "GET",
            &format!("/admin/v1/conversations/{id}/timeline"),
            None,
        )
        .await;
    assert_eq!(s, 200, "{timeline}");
    format!("{doc}\n{timeline}")
}

/// A conversation with words everywhere: the customer's messages, a note,
/// the contact's name and email, a reply, and a survey comment.
async fn talkative(rig: &AgentRig, psid: &str, tag: &str) -> String {
    let id = rig
        .psid_says(psid, &format!("m_{tag}_1"), "My card ends 4111, Ada here")
        .await;
    let sup = rig.supervisor_token("anna").await;
    let (s, v) = rig
        .http(
            "POST",
            &format!("/agent/v1/conversations/{id}/notes"),
            &sup,
            Some(json!({"text": "Ada wants a refund"})),
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
    rig.drain_sender().await;
    id
}

async fn an_administrator_erases_a_customer_and_only_that_customer(aws: bool) {
    let rig = rig(aws, false).await;
    let psid = "7700000000000711";
    let other = "7700000000000712";
    let id = talkative(&rig, psid, "erase").await;
    rig.psid_says(other, "m_erase_other", "Bob here, card 5555")
        .await;
    rig.drain_sender().await;

    // Half an erasure, as a crash between two writes leaves it: the
    // customer marked, one event overwritten, nothing else.
    let page: switchboard_core::ids::PageId = PAGE_1.parse().unwrap();
    let p: switchboard_core::ids::Psid = psid.parse().unwrap();
    rig.router
        .conversations
        .mark_erased(&page, &p, rig.clock.now())
        .await
        .unwrap();
    let cid: switchboard_core::ids::ConversationId = id.parse().unwrap();
    let first = rig.router.conversations.timeline(&cid).await.unwrap()[0].clone();
    let half = switchboard_core::privacy::erasure::erased_event(&first).unwrap();
    assert!(
        rig.router
            .conversations
            .replace_event(&cid, &half)
            .await
            .unwrap()
    );

    // Refused without a reason; supervisors may erase.
    let uri = format!("/admin/v1/customers/{PAGE_1}/{psid}/erase");
    let (s, v) = rig.admin("POST", &uri, Some(json!({"reason": " "}))).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (422, Some("invalid_reason")),
        "{v}"
    );
    let sup = rig.supervisor_token("anna").await;
    let (s, v) = rig
        .http(
            "POST",
            &uri,
            &sup,
            Some(json!({"reason": "asked by email"})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["by"], "supervisor anna", "{v}");
    assert_eq!(v["contact_erased"], true, "{v}");
    assert_eq!(v["conversations"][0], id.as_str(), "{v}");

    let everything = all_about(&rig, psid, &id).await;
    // Words, not digits alone: a random id may hold "4111".
    for gone in [
        "ends 4111",
        "Ada",
        "ada@example.com",
        "refund",
        "may be recorded",
    ] {
        assert!(
            !everything.contains(gone),
            "{gone:?} is still held: {everything}"
        );
    }
    // The counts stay: the conversation, its state, its queue, its events.
    let conv = rig.conversation(&id).await;
    assert_eq!(conv["state"], "closed", "{conv}");
    assert_eq!(conv["routing"]["queue"], "general", "{conv}");
    assert!(everything.contains("[erased]"), "{everything}");
    // Another customer's data is untouched.
    let bob = rig
        .get_ok(&format!("/admin/v1/conversations?psid={other}"), ADMIN)
        .await;
    let bob_id = bob["conversations"][0]["id"].as_str().unwrap().to_string();
    assert!(
        all_about(&rig, other, &bob_id)
            .await
            .contains("Bob here, card 5555")
    );

    // A retried old delivery is not stored again; a new message is.
    rig.deliver(json!({"sender": {"id": psid}, "recipient": {"id": PAGE_1},
        "timestamp": first.timestamp.0, "message": {"mid": "m_erase_1", "text": "My card ends 4111, Ada here"}}))
        .await;
    rig.deliver(json!({"sender": {"id": psid}, "recipient": {"id": PAGE_1},
        "timestamp": first.timestamp.0 - 1, "message": {"mid": "m_erase_late", "text": "late 4111"}}))
        .await;
    let left = all_about(&rig, psid, &id).await;
    assert!(
        !left.contains("ends 4111") && !left.contains("late 4111"),
        "{left}"
    );
    rig.clock.advance_secs(60);
    let again = rig.psid_says(psid, "m_erase_new", "Hello again").await;
    assert_ne!(again, id);

    // The audit names who, why and what, not the person.
    let (s, audit) = rig.admin("GET", "/admin/v1/erasures", None).await;
    assert_eq!(s, 200, "{audit}");
    let record = &audit["items"][0]["erasure"];
    assert_eq!(record["reason"], "asked by email", "{audit}");
    assert!(!audit.to_string().contains(psid), "{audit}");
    // Again: only what came since (the new message) is left to erase.
    let (s, v) = rig
        .admin("POST", &uri, Some(json!({"reason": "again"})))
        .await;
    assert_eq!((s, v["events"].as_u64()), (200, Some(1)), "{v}");
    assert!(!all_about(&rig, psid, &again).await.contains("Hello again"));
    let (s, _) = rig
        .admin(
            "POST",
            &format!("/admin/v1/customers/{PAGE_1}/7700000000000799/erase"),
            Some(json!({"reason": "x"})),
        )
        .await;
    assert_eq!(s, 404);
}

/// POST Meta's data-deletion callback for `user`, signed with `secret`.
async fn deletion_callback(
    rig: &AgentRig,
    user: &str,
    secret: &str,
    issued: i64,
) -> (u16, serde_json::Value) {
    let signed = switchboard_core::privacy::deletion::sign(
        &json!({"algorithm": "HMAC-SHA256", "user_id": user, "issued_at": issued, "expires": 0}),
        secret.as_bytes(),
    );
    let body: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("signed_request", &signed)
        .finish();
    let req = http::Request::builder()
        .method("POST")
        .uri(format!("/webhooks/facebook/{ACCOUNT}/data-deletion"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("host", "switchboard.example.com")
        .body(bytes::Bytes::from(body))
        .unwrap();
    let resp = call(rig.services.clone().router(), req).await;
    let v = serde_json::from_slice(resp.body()).unwrap_or_default();
    (resp.status().as_u16(), v)
}

async fn status_page(rig: &AgentRig, url: &str, lang: &str) -> (u16, String) {
    let path = url.trim_start_matches("https://switchboard.example.com");
    let req = http::Request::builder()
        .uri(format!("{path}?lang={lang}"))
        .body(bytes::Bytes::new())
        .unwrap();
    let resp = call(rig.services.clone().router(), req).await;
    (
        resp.status().as_u16(),
        String::from_utf8_lossy(resp.body()).into_owned(),
    )
}

async fn metas_data_deletion_request_erases_the_person(aws: bool) {
    let rig = rig(aws, false).await;
    let psid = "7700000000000721";
    let id = talkative(&rig, psid, "meta").await;
    let now_s = rig.clock.now().0 / 1000;
    rig.fake
        .set_ids("5550001", &[(PAGE_1, psid), ("999999999999999", "1")]);

    // A tampered signature: 403, and no trace.
    let (s, v) = deletion_callback(&rig, "5550001", "not-the-app-secret", now_s).await;
    assert_eq!((s, v["code"].as_str()), (403, Some("bad_signature")), "{v}");
    let (_, list) = rig.admin("GET", "/admin/v1/deletion-requests", None).await;
    assert_eq!(list["items"], json!([]), "{list}");

    let (s, receipt) = deletion_callback(&rig, "5550001", APP_SECRET, now_s).await;
    assert_eq!(s, 200, "{receipt}");
    let url = receipt["url"].as_str().unwrap().to_string();
    let code = receipt["confirmation_code"].as_str().unwrap().to_string();
    assert_eq!(
        url,
        format!("https://switchboard.example.com/privacy/deletion/{code}")
    );
    let (s, page) = status_page(&rig, &url, "en").await;
    assert_eq!(s, 200);
    assert!(page.contains(r#"data-state="received""#), "{page}");

    // The scheduler works it.
    switchboard_core::scheduler::run_once(&switchboard_core::scheduler::SchedulerDeps::of(
        &rig.channels,
    ))
    .await
    .unwrap();
    let (_, page) = status_page(&rig, &url, "da").await;
    assert!(
        page.contains(r#"data-state="done""#) && page.contains("Udført"),
        "{page}"
    );
    assert!(!page.contains(psid) && !page.contains("5550001"), "{page}");
    let everything = all_about(&rig, psid, &id).await;
    for gone in ["ends 4111", "Ada", "refund"] {
        assert!(!everything.contains(gone), "{gone:?} is still held");
    }
    let (_, audit) = rig.admin("GET", "/admin/v1/erasures", None).await;
    assert_eq!(audit["items"].as_array().unwrap().len(), 1, "{audit}");
    assert_eq!(
        audit["items"][0]["erasure"]["by"],
        "Meta's data-deletion request"
    );

    // A replay: the same code, nothing runs twice.
    let (s, again) = deletion_callback(&rig, "5550001", APP_SECRET, now_s).await;
    assert_eq!(
        (s, &again["confirmation_code"]),
        (200, &receipt["confirmation_code"])
    );
    switchboard_core::scheduler::run_once(&switchboard_core::scheduler::SchedulerDeps::of(
        &rig.channels,
    ))
    .await
    .unwrap();
    let (_, audit) = rig.admin("GET", "/admin/v1/erasures", None).await;
    assert_eq!(audit["items"].as_array().unwrap().len(), 1, "{audit}");

    // Meta cannot map someone: the request waits; an administrator maps it.
    rig.fake.set_ids("5550002", &[]);
    let other = "7700000000000722";
    let other_id = rig
        .psid_says(other, "m_meta_other", "Carl, phone 5551234")
        .await;
    let (_, waiting) = deletion_callback(&rig, "5550002", APP_SECRET, now_s).await;
    let code2 = waiting["confirmation_code"].as_str().unwrap().to_string();
    switchboard_core::scheduler::run_once(&switchboard_core::scheduler::SchedulerDeps::of(
        &rig.channels,
    ))
    .await
    .unwrap();
    let (_, list) = rig.admin("GET", "/admin/v1/deletion-requests", None).await;
    let w = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == code2.as_str())
        .cloned()
        .unwrap();
    assert_eq!(w["state"], "waiting", "{list}");
    let (_, page) = status_page(&rig, waiting["url"].as_str().unwrap(), "en").await;
    assert!(page.contains("in_progress"), "{page}");
    // A customer Switchboard never saw is refused; the one it knows is erased.
    let (s, v) = rig
        .admin(
            "POST",
            &format!("/admin/v1/deletion-requests/{code2}"),
            Some(json!({"action": "map", "customers": [{"page_id": PAGE_1, "psid": "7700000000000799"}]})),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (422, Some("invalid_resolution")),
        "{v}"
    );
    let (s, v) = rig
        .admin(
            "POST",
            &format!("/admin/v1/deletion-requests/{code2}"),
            Some(json!({"action": "map", "customers": [{"page_id": PAGE_1, "psid": other}]})),
        )
        .await;
    assert_eq!((s, v["state"].as_str()), (200, Some("done")), "{v}");
    assert_eq!(
        v["user_id"], "",
        "a settled request forgets the person's ids: {v}"
    );
    assert!(!all_about(&rig, other, &other_id).await.contains("5551234"));
    let (s, v) = rig
        .admin(
            "POST",
            &format!("/admin/v1/deletion-requests/{code2}"),
            Some(json!({"action": "refuse", "reason": "too late"})),
        )
        .await;
    assert_eq!(s, 409, "{v}");
    // An old request is refused.
    let (s, _) = deletion_callback(&rig, "5550003", APP_SECRET, now_s - 2 * 86_400).await;
    assert_eq!(s, 400);
}

async fn retention_erases_old_transcripts_and_payloads_and_keeps_younger_ones(aws: bool) {
    let rig = AgentRig::new(
        aws,
        RigSetup::new(json!({
            "queues": [{"id": "general", "name": "General"}],
            "agents": [{"id": "anna", "name": "Anna", "email": "anna@example.com",
                        "queues": ["general"], "presence": "offline"}],
            "workstreams": [{"id": "support", "name": "Support", "pages": [PAGE_1], "locale": "en",
                "distribution": {"fallback_queue": "general"},
                "retention": {"transcripts_days": 30, "raw_payload_days": 7}}]
        })),
    )
    .await;
    const DAY: i64 = 86_400;
    let close = |id: String| {
        let rig = &rig;
        async move {
            let (s, v) = rig
                .admin("POST", &format!("/admin/v1/conversations/{id}/close"), None)
                .await;
            assert_eq!(s, 200, "{v}");
        }
    };
    let tick = || async {
        switchboard_core::routing::engine::tick(&rig.router)
            .await
            .unwrap()
    };
    let (old, young) = ("7700000000000731", "7700000000000732");
    let old_id = rig.psid_says(old, "m_ret_1", "Old words 1111").await;
    close(old_id.clone()).await;
    rig.clock.advance_secs(2 * DAY);
    let young_id = rig.psid_says(young, "m_ret_2", "Newer words 2222").await;
    close(young_id.clone()).await;

    // Day 8: the old conversation's raw payloads go, its transcript stays.
    rig.clock.advance_secs(6 * DAY);
    assert_eq!(tick().await.retention_erased, 1);
    let cid: switchboard_core::ids::ConversationId = old_id.parse().unwrap();
    let events = rig.router.conversations.timeline(&cid).await.unwrap();
    assert_eq!(events[0].raw.get(), r#"{"raw_erased":true}"#);
    assert_eq!(events[0].text.as_deref(), Some("Old words 1111"));
    assert!(
        all_about(&rig, young, &young_id)
            .await
            .contains(r#""mid":"m_ret_2""#)
    );

    // Day 31: the old transcript (31 days) goes; the younger one (29)
    // stays, without its raw payload (due on day 9).
    rig.clock.advance_secs(23 * DAY);
    assert_eq!(tick().await.retention_erased, 2);
    assert!(!all_about(&rig, old, &old_id).await.contains("Old words"));
    assert!(
        all_about(&rig, young, &young_id)
            .await
            .contains("Newer words 2222")
    );
    let conv = rig.conversation(&old_id).await;
    assert_eq!(
        (conv["state"].as_str(), conv["routing"]["queue"].as_str()),
        (Some("closed"), Some("general"))
    );
    let yid: switchboard_core::ids::ConversationId = young_id.parse().unwrap();
    let events = rig.router.conversations.timeline(&yid).await.unwrap();
    assert_eq!(events[0].raw.get(), r#"{"raw_erased":true}"#);
    // Half a day on, nothing is due; on day 32 the younger one's turn comes.
    rig.clock.advance_secs(DAY / 2);
    assert_eq!(tick().await.retention_erased, 0);
    assert!(
        all_about(&rig, young, &young_id)
            .await
            .contains("Newer words 2222")
    );
    rig.clock.advance_secs(DAY);
    assert_eq!(tick().await.retention_erased, 1);
    assert!(
        !all_about(&rig, young, &young_id)
            .await
            .contains("Newer words")
    );

    // A limit outside 1 to 3650 days is refused.
    let (s, v) = rig
        .admin(
            "PATCH",
            "/admin/v1/workstreams/support",
            Some(json!({"retention": {"transcripts_days": 0}})),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (422, Some("invalid_retention")),
        "{v}"
    );
}

both_stores!(
    retention_erases_old_transcripts_and_payloads_and_keeps_younger_ones,
    a_new_customer_hears_the_recording_notice_first_and_once,
    an_export_holds_everything_about_the_customer_and_nothing_else,
    an_administrator_erases_a_customer_and_only_that_customer,
    metas_data_deletion_request_erases_the_person
);
