//! The agent's day through the agent API, on the embedded store with the
//! in-process queue and on DynamoDB + SQS + Secrets Manager (moto), with
//! the fake Graph server recording what reaches Meta: offer in the feed,
//! accept, reply (RESPONSE, recipient, text, token), our echo not shown
//! twice and a Page-inbox echo shown, receipts, bad replies refused,
//! another agent kept out, transfer, close, survey answered and listed.

use switchboard_core::Clock;
use switchboard_core::router::Processed;
use switchboard_tests::agent_rig::*;
use switchboard_tests::fake_graph::Scripted;
use switchboard_tests::*;

const PSID: &str = "7700000000000951";

/// The flow runs days on the test clock, and every event is delivered
/// twice, as redeliveries may.
async fn rig(aws: bool) -> AgentRig {
    AgentRig::new(
        aws,
        RigSetup {
            customer: PSID,
            token_ttl_seconds: 7 * 86_400,
            redeliver: true,
            ..RigSetup::new(serde_json::json!({
            "queues": [{"id": "general", "name": "General"}, {"id": "billing", "name": "Billing"}],
            "agents": [
                {"id": "anna", "name": "Anna", "email": "anna@example.com", "capacity": 2, "queues": ["general"], "presence": "available"},
                {"id": "bo", "name": "Bo", "email": "bo@example.com", "capacity": 2, "queues": ["billing"], "presence": "available"}
            ],
            "workstreams": [{"id": "support", "name": "Support", "pages": [PAGE_1], "locale": "en",
                "distribution": {"fallback_queue": "general"},
                "automated_messages": [
                    {"trigger": "assigned", "text": "{AgentName} is here to help."},
                    {"trigger": "transferred", "text": "Moving you to {QueueName}."}
                ],
                "survey": {"question": "How did we do?", "thanks": "Thank you!"}}]
        }))
        },
    )
    .await
}

async fn a_whole_conversation(aws: bool) {
    let rig = rig(aws).await;
    let anna = rig.token("anna").await;
    let bo = rig.token("bo").await;
    let (s, _) = rig
        .http("GET", "/agent/v1/presence", "not-a-token", None)
        .await;
    assert_eq!(s, 401);

    rig.customer_says("m_agent_1", "Hi, where is my parcel?")
        .await;
    // The offer reaches anna's feed.
    let (s, feed) = rig
        .http("GET", "/agent/v1/events?wait=2", &anna, None)
        .await;
    assert_eq!(s, 200, "{feed}");
    let offer = feed["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "offer")
        .cloned()
        .expect("an offer event");
    let conv = offer["conversation_id"].as_str().unwrap().to_string();
    let cursor = feed["cursor"].as_str().unwrap().to_string();
    let (_, list) = rig
        .http("GET", "/agent/v1/conversations?state=offered", &anna, None)
        .await;
    assert_eq!(list["conversations"][0]["id"], conv.as_str());
    assert!(list["next_cursor"].is_null(), "{list}");
    // Her inbox without a state is her offers, assigned and wrap-up ones,
    // a page at a time; a cursor she did not get is refused.
    let (s, list) = rig
        .http("GET", "/agent/v1/conversations?limit=1", &anna, None)
        .await;
    assert_eq!(s, 200, "{list}");
    assert_eq!(list["conversations"][0]["id"], conv.as_str());
    if let Some(c) = list["next_cursor"].as_str() {
        let (s, rest) = rig
            .http(
                "GET",
                &format!("/agent/v1/conversations?cursor={c}"),
                &anna,
                None,
            )
            .await;
        assert_eq!(s, 200, "{rest}");
        assert!(
            rest["conversations"]
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c["id"] != conv.as_str())
        );
    }
    for bad in ["nope", "b2ZmZXJlZA", "Ym9ndXN8MDAx"] {
        let (s, v) = rig
            .http(
                "GET",
                &format!("/agent/v1/conversations?cursor={bad}"),
                &anna,
                None,
            )
            .await;
        assert_eq!(
            (s, v["code"].as_str()),
            (400, Some("invalid_cursor")),
            "{bad}: {v}"
        );
    }

    // bo sees none of it.
    for (m, path, body) in [
        ("GET", format!("/agent/v1/conversations/{conv}"), None),
        (
            "POST",
            format!("/agent/v1/conversations/{conv}/messages"),
            Some(serde_json::json!({"text": "hi"})),
        ),
        (
            "POST",
            format!("/agent/v1/conversations/{conv}/accept"),
            None,
        ),
    ] {
        let (s, v) = rig.http(m, &path, &bo, body).await;
        assert_eq!(s, 404, "{m} {path}: {v}");
    }
    let (_, list) = rig.http("GET", "/agent/v1/conversations", &bo, None).await;
    assert_eq!(list["conversations"].as_array().unwrap().len(), 0);

    // Replying before accepting is refused; accept; reply.
    let reply = format!("/agent/v1/conversations/{conv}/messages");
    let (s, _) = rig
        .http(
            "POST",
            &reply,
            &anna,
            Some(serde_json::json!({"text": "hello"})),
        )
        .await;
    assert_eq!(s, 409);
    let (s, v) = rig
        .http(
            "POST",
            &format!("/agent/v1/conversations/{conv}/accept"),
            &anna,
            None,
        )
        .await;
    assert_eq!((s, v["state"].as_str()), (200, Some("assigned")), "{v}");
    // Who anna is, with the conversation she holds in her load.
    let (s, me) = rig.http("GET", "/agent/v1/me", &anna, None).await;
    assert_eq!(s, 200, "{me}");
    assert_eq!(
        (&me["agent_id"], &me["name"], &me["supervisor"]),
        (&"anna".into(), &"Anna".into(), &false.into())
    );
    assert_eq!(
        (me["load"].as_u64(), me["capacity"].as_u64()),
        (Some(1), Some(2))
    );
    assert_eq!(me["presence"]["effective"], "busy", "{me}");
    assert_eq!(
        me["queues"],
        serde_json::json!([{"queue_id": "general", "name": "General"}])
    );
    let (s, _) = rig.http("GET", "/agent/v1/me", ADMIN, None).await;
    assert_eq!(s, 401, "the admin token is no agent's");
    let (s, v) = rig
        .http(
            "POST",
            &reply,
            &anna,
            Some(serde_json::json!({"text": "Hello, I am looking into it."})),
        )
        .await;
    assert_eq!(s, 202, "{v}");
    assert_eq!(v["status"], "queued");
    let ob = v["id"].as_str().unwrap().to_string();

    // Bad replies: clear problems, nothing queued.
    let long = "x".repeat(2001);
    for (body, code) in [
        (serde_json::json!({"text": long}), "text_too_long"),
        (
            serde_json::json!({"attachment": {"type": "image", "url": "http://example.com/a.png"}}),
            "attachment_url_not_https",
        ),
        (
            serde_json::json!({"text": "a", "attachment": {"type": "image", "url": "https://example.com/a.png"}}),
            "invalid_body",
        ),
    ] {
        let (s, v) = rig.http("POST", &reply, &anna, Some(body)).await;
        assert!(s == 422 || s == 400, "{v}");
        assert_eq!(v["code"], code, "{v}");
    }

    // The sender delivers the automated "assigned" message and the reply, in order.
    assert_eq!(rig.drain_sender().await, 2);
    let sent = rig.sent();
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(sent[0]["message"]["text"], "Anna is here to help.");
    assert_eq!(sent[1]["message"]["text"], "Hello, I am looking into it.");
    for b in &sent {
        assert_eq!(b["recipient"]["id"], PSID);
        assert_eq!(b["messaging_type"], "RESPONSE");
    }
    assert_eq!(sent[1]["message"]["metadata"], ob.as_str());

    // Meta echoes our send (and a reply typed in the Page inbox), then receipts.
    let (_, detail) = rig
        .http(
            "GET",
            &format!("/agent/v1/conversations/{conv}"),
            &anna,
            None,
        )
        .await;
    let our_mid = detail["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["outbound_id"] == ob.as_str())
        .unwrap()["status"]
        .clone();
    assert_eq!(our_mid, "sent");
    let mid = {
        let m = rig
            .sender
            .outbound
            .get_outbound(&ob.parse().unwrap())
            .await
            .unwrap()
            .unwrap();
        match m.status {
            switchboard_core::outbound::Status::Sent { message_id, .. } => message_id,
            other => panic!("{other:?}"),
        }
    };
    rig.clock.advance_secs(1);
    rig.deliver(serde_json::json!({"sender": {"id": PAGE_1}, "recipient": {"id": PSID}, "timestamp": rig.clock.now().0,
        "message": {"is_echo": true, "app_id": 900000000000001u64, "metadata": ob, "mid": mid, "text": "Hello, I am looking into it."}})).await;
    rig.deliver(serde_json::json!({"sender": {"id": PAGE_1}, "recipient": {"id": PSID}, "timestamp": rig.clock.now().0,
        "message": {"is_echo": true, "app_id": 263902037430900u64, "mid": "m_inbox_1", "text": "Typed in the Page inbox"}})).await;
    rig.clock.advance_secs(1);
    rig.deliver(serde_json::json!({"sender": {"id": PSID}, "recipient": {"id": PAGE_1}, "timestamp": rig.clock.now().0,
        "read": {"watermark": rig.clock.now().0}})).await;
    let (_, detail) = rig
        .http(
            "GET",
            &format!("/agent/v1/conversations/{conv}"),
            &anna,
            None,
        )
        .await;
    let t = detail["transcript"].as_array().unwrap();
    let texts: Vec<&str> = t
        .iter()
        .filter(|e| e["from"] != "system")
        .filter_map(|e| e["text"].as_str())
        .collect();
    assert_eq!(
        texts
            .iter()
            .filter(|x| **x == "Hello, I am looking into it.")
            .count(),
        1,
        "our echo is not shown twice: {texts:?}"
    );
    let inbox: Vec<_> = t.iter().filter(|e| e["from"] == "page_inbox").collect();
    assert_eq!(inbox.len(), 1, "{t:?}");
    let ours = t.iter().find(|e| e["outbound_id"] == ob.as_str()).unwrap();
    assert_eq!(ours["status"], "read", "{ours}");
    assert_eq!(ours["from"], "agent");
    assert!(
        t.iter()
            .any(|e| e["from"] == "customer" && e["text"] == "Hi, where is my parcel?")
    );
    assert!(t.iter().any(|e| e["from"] == "automated"));
    // The feed told anna about the Page inbox message and the read receipt.
    let (_, feed) = rig
        .http(
            "GET",
            &format!("/agent/v1/events?after={cursor}"),
            &anna,
            None,
        )
        .await;
    let kinds: Vec<&str> = feed["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"assigned")
            && kinds.contains(&"page_inbox_message")
            && kinds.contains(&"read"),
        "{kinds:?}"
    );

    // 30 hours on, without the HUMAN_AGENT tag: refused with the time it closed.
    rig.clock.advance_secs(30 * 3600);
    let (s, v) = rig
        .http(
            "POST",
            &reply,
            &anna,
            Some(serde_json::json!({"text": "Still there?"})),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(v["code"], "messaging_window_closed");
    assert!(v["closed_at"].as_str().is_some(), "{v}");

    // The customer writes again; anna transfers to billing; bo is offered it.
    rig.customer_says("m_agent_2", "It is about the invoice")
        .await;
    let (s, v) = rig
        .http(
            "POST",
            &format!("/agent/v1/conversations/{conv}/transfer"),
            &anna,
            Some(serde_json::json!({"queue_id": "billing"})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, _) = rig
        .http(
            "GET",
            &format!("/agent/v1/conversations/{conv}"),
            &anna,
            None,
        )
        .await;
    assert_eq!(s, 404, "anna no longer has it");
    let (_, feed) = rig.http("GET", "/agent/v1/events", &bo, None).await;
    assert!(
        feed["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["type"] == "offer" && e["conversation_id"] == conv.as_str()),
        "{feed}"
    );
    let (s, _) = rig
        .http(
            "POST",
            &format!("/agent/v1/conversations/{conv}/accept"),
            &bo,
            None,
        )
        .await;
    assert_eq!(s, 200);
    let (s, v) = rig
        .http(
            "POST",
            &format!("/agent/v1/conversations/{conv}/close"),
            &bo,
            None,
        )
        .await;
    assert_eq!((s, v["state"].as_str()), (200, Some("closed")), "{v}");
    let (s, v) = rig
        .http(
            "POST",
            &reply,
            &bo,
            Some(serde_json::json!({"text": "late"})),
        )
        .await;
    assert_eq!(s, 409, "{v}");
    assert_eq!(v["code"], "conversation_closed");

    // transferred + assigned automated messages, then the survey with 1-5.
    let drained = rig.drain_sender().await;
    assert_eq!(
        drained,
        3,
        "{:#?}",
        rig.sent()
            .iter()
            .map(|b| b["message"]["text"].clone())
            .collect::<Vec<_>>()
    );
    let sent = rig.sent();
    let survey = sent.last().unwrap();
    assert_eq!(survey["message"]["text"], "How did we do?");
    let qrs = survey["message"]["quick_replies"].as_array().unwrap();
    assert_eq!(qrs.len(), 5);
    assert!(
        sent.iter()
            .any(|b| b["message"]["text"] == "Moving you to Billing."),
        "{sent:?}"
    );
    assert!(sent.iter().all(|b| b["messaging_type"] == "RESPONSE"));

    // The customer answers 4: recorded on the conversation, listed for admins, thanked.
    let payload = qrs[3]["payload"].as_str().unwrap().to_string();
    let processed = rig
        .deliver(serde_json::json!({"sender": {"id": PSID}, "recipient": {"id": PAGE_1}, "timestamp": rig.clock.now().0,
            "message": {"mid": "m_survey_1", "text": "4", "quick_reply": {"payload": payload}}}))
        .await;
    assert!(
        matches!(processed[0], Processed::SurveyAnswer(_)),
        "{processed:?}"
    );
    let (s, v) = rig
        .http("GET", "/admin/v1/surveys?workstream=support", ADMIN, None)
        .await;
    assert_eq!(s, 200);
    let answers = v["answers"].as_array().unwrap();
    assert_eq!(
        answers.len(),
        1,
        "an answer delivered twice is recorded once: {v}"
    );
    assert_eq!(answers[0]["score"], 4);
    assert_eq!(answers[0]["conversation_id"], conv.as_str());
    assert_eq!(answers[0]["agent_id"], "bo");
    assert_eq!(answers[0]["queue"], "billing", "{v}");
    // Summed for supervisors, per agent and per queue.
    let (s, sum) = rig
        .http("GET", "/admin/v1/surveys/summary", ADMIN, None)
        .await;
    assert_eq!(s, 200, "{sum}");
    assert_eq!(
        (&sum["responses"], &sum["agents"], &sum["queues"]),
        (
            &serde_json::json!(1),
            &serde_json::json!([{"agent_id": "bo", "responses": 1, "average": 4.0}]),
            &serde_json::json!([{"queue_id": "billing", "responses": 1, "average": 4.0}])
        ),
        "{sum}"
    );
    let (_, detail) = rig
        .http("GET", &format!("/agent/v1/conversations/{conv}"), &bo, None)
        .await;
    assert_eq!(detail["survey"]["score"], 4, "{detail}");
    // No new conversation was opened by the answer.
    let (_, all) = rig
        .http(
            "GET",
            &format!("/admin/v1/conversations?psid={PSID}"),
            ADMIN,
            None,
        )
        .await;
    assert_eq!(all["conversations"].as_array().unwrap().len(), 1, "{all}");
    assert_eq!(rig.drain_sender().await, 1);
    assert_eq!(rig.sent().last().unwrap()["message"]["text"], "Thank you!");
}

/// Contacts: Meta's profile name on a new contact (a readable fallback
/// when Meta gives none), edits by version, create-and-link and
/// link-to-existing, history, and a linked PSID's next conversation.
async fn contacts_and_history(aws: bool) {
    let rig = rig(aws).await;
    let anna = rig.token("anna").await;
    let bo = rig.token("bo").await;
    const OTHER: &str = "7700000000000952";
    // Meta has no profile for the second customer (no permission).
    rig.fake.script(
        "GET",
        OTHER,
        vec![Scripted::error(
            400,
            100,
            Some(2018247),
            "Insufficient permission to access user profile",
        )],
    );
    rig.customer_says("m_contact_1", "Hello").await;
    rig.deliver(
        serde_json::json!({"sender": {"id": OTHER}, "recipient": {"id": PAGE_1},
        "timestamp": rig.clock.now().0, "message": {"mid": "m_contact_2", "text": "Hi there"}}),
    )
    .await;
    let (_, list) = rig
        .http("GET", "/agent/v1/conversations?state=offered", &anna, None)
        .await;
    let convs = list["conversations"].as_array().unwrap();
    assert_eq!(convs.len(), 2, "{list}");
    let mut first = String::new();
    let mut second = String::new();
    for c in convs {
        let id = c["id"].as_str().unwrap().to_string();
        let (s, contact) = rig
            .http(
                "GET",
                &format!("/agent/v1/conversations/{id}/contact"),
                &anna,
                None,
            )
            .await;
        assert_eq!(s, 200, "{contact}");
        match contact["name"].as_str().unwrap() {
            "Ada Lovelace" => first = id,
            "Messenger customer …0952" => second = id,
            other => panic!("unexpected contact name {other}"),
        }
    }
    assert!(!first.is_empty() && !second.is_empty());
    // Not bo's to see or change.
    let (s, _) = rig
        .http(
            "GET",
            &format!("/agent/v1/conversations/{first}/contact"),
            &bo,
            None,
        )
        .await;
    assert_eq!(s, 404);
    let (s, _) = rig
        .http(
            "PUT",
            &format!("/agent/v1/conversations/{first}/contact"),
            &bo,
            Some(serde_json::json!({"name": "Mallory"})),
        )
        .await;
    assert_eq!(s, 404);

    // Edit: by version, validated.
    let (_, c1) = rig
        .http(
            "GET",
            &format!("/agent/v1/conversations/{first}/contact"),
            &anna,
            None,
        )
        .await;
    let ada = c1["id"].as_str().unwrap().to_string();
    assert_eq!(c1["version"], 1, "named from the profile: {c1}");
    let (s, v) = rig
        .http(
            "PATCH",
            &format!("/agent/v1/contacts/{ada}"),
            &anna,
            Some(serde_json::json!({"email": "ada@example.com", "version": c1["version"]})),
        )
        .await;
    assert_eq!(
        (s, v["version"].as_u64(), v["email"].as_str()),
        (200, Some(2), Some("ada@example.com")),
        "{v}"
    );
    for (body, status, code) in [
        (
            serde_json::json!({"name": "Old", "version": 0}),
            409,
            "version_mismatch",
        ),
        (
            serde_json::json!({"email": "not an email"}),
            422,
            "invalid_contact",
        ),
        (
            serde_json::json!({"phone": "call me"}),
            422,
            "invalid_contact",
        ),
        (serde_json::json!({"name": ""}), 422, "invalid_contact"),
        (
            serde_json::json!({"shoe_size": "42"}),
            422,
            "invalid_contact",
        ),
    ] {
        let (s, v) = rig
            .http(
                "PATCH",
                &format!("/agent/v1/contacts/{ada}"),
                &anna,
                Some(body.clone()),
            )
            .await;
        assert_eq!((s, v["code"].as_str()), (status, Some(code)), "{body}: {v}");
    }
    let (s, _) = rig
        .http("GET", "/agent/v1/contacts/ct_nobody", &anna, None)
        .await;
    assert_eq!(s, 404);

    // The second customer is someone the company knows: create, then link
    // (linking takes holding the conversation, not just its offer).
    let (s, v) = rig
        .http(
            "POST",
            &format!("/agent/v1/conversations/{second}/accept"),
            &anna,
            None,
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, jo) = rig
        .http(
            "POST",
            "/agent/v1/contacts",
            &anna,
            Some(serde_json::json!({"name": "Jo Known", "email": "jo@example.com", "phone": "+45 12 34 56 78"})),
        )
        .await;
    assert_eq!(s, 201, "{jo}");
    let jo = jo["id"].as_str().unwrap().to_string();
    let (s, v) = rig
        .http(
            "PUT",
            &format!("/agent/v1/conversations/{second}/contact"),
            &anna,
            Some(serde_json::json!({"contact_id": "ct_nobody"})),
        )
        .await;
    assert_eq!(s, 404, "{v}");
    let (s, v) = rig
        .http(
            "PUT",
            &format!("/agent/v1/conversations/{second}/contact"),
            &anna,
            Some(serde_json::json!({"contact_id": jo})),
        )
        .await;
    assert_eq!(
        (s, v["contact"]["name"].as_str()),
        (200, Some("Jo Known")),
        "{v}"
    );
    // And the first customer turns out to be Jo too, on another account of theirs.
    let (s, v) = rig
        .http(
            "POST",
            &format!("/agent/v1/conversations/{first}/accept"),
            &anna,
            None,
        )
        .await;
    assert_eq!(s, 200, "{v}");
    rig.http(
        "PUT",
        &format!("/agent/v1/conversations/{first}/contact"),
        &anna,
        Some(serde_json::json!({"contact_id": jo})),
    )
    .await;
    let (s, h) = rig
        .http(
            "GET",
            &format!("/agent/v1/contacts/{jo}/history"),
            &anna,
            None,
        )
        .await;
    assert_eq!(s, 200, "{h}");
    let ids: Vec<&str> = h["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 2, "{h}");
    assert!(ids.contains(&first.as_str()) && ids.contains(&second.as_str()));
    let (s, _) = rig
        .http(
            "GET",
            &format!("/agent/v1/contacts/{jo}/history?limit=0"),
            &anna,
            None,
        )
        .await;
    assert_eq!(s, 400);

    // Create-and-link in one call.
    let (s, v) = rig
        .http(
            "PUT",
            &format!("/agent/v1/conversations/{second}/contact"),
            &anna,
            Some(serde_json::json!({"name": "Sam Other", "notes": "prefers email"})),
        )
        .await;
    assert_eq!(
        (s, v["contact"]["name"].as_str()),
        (200, Some("Sam Other")),
        "{v}"
    );

    // The first customer's next conversation links to Jo by itself.
    for verb in ["accept", "close"] {
        let (s, v) = rig
            .http(
                "POST",
                &format!("/agent/v1/conversations/{first}/{verb}"),
                &anna,
                None,
            )
            .await;
        assert!(s == 200 || s == 202, "{verb}: {s} {v}");
    }
    rig.clock.advance_secs(60);
    rig.customer_says("m_contact_3", "Me again").await;
    let (_, list) = rig
        .http("GET", "/agent/v1/conversations?state=offered", &anna, None)
        .await;
    let newest = list["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] != first.as_str() && c["id"] != second.as_str())
        .cloned()
        .unwrap_or_else(|| panic!("a new conversation: {list}"));
    assert_eq!(newest["contact_id"], jo.as_str());
    let (_, h) = rig
        .http(
            "GET",
            &format!("/agent/v1/contacts/{jo}/history"),
            &anna,
            None,
        )
        .await;
    assert_eq!(
        h["conversations"][0]["id"], newest["id"],
        "newest first: {h}"
    );
}

/// What the hardening issue found an agent could do and must not: act on
/// a conversation only offered to them, read or merge other agents'
/// contacts, forge survey answers; and the customer's unsent message.
async fn agents_are_held_to_what_is_theirs(aws: bool) {
    let rig = rig(aws).await;
    let anna = rig.token("anna").await;
    let bo = rig.token("bo").await;
    rig.customer_says("m_guard_1", "Hello, a question").await;
    let (_, list) = rig
        .http("GET", "/agent/v1/conversations?state=offered", &anna, None)
        .await;
    let conv = list["conversations"][0]["id"].as_str().unwrap().to_string();
    let on = |action: &str| format!("/agent/v1/conversations/{conv}/{action}");

    // Only offered: accept or decline, nothing else.
    for (action, body) in [
        ("close", None),
        ("end", None),
        ("transfer", Some(serde_json::json!({"queue_id": "billing"}))),
        ("typing", Some(serde_json::json!({"on": true}))),
    ] {
        let (s, v) = rig.http("POST", &on(action), &anna, body).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (409, Some("not_assigned")),
            "{action}: {v}"
        );
    }
    let (s, v) = rig
        .http(
            "PUT",
            &on("contact"),
            &anna,
            Some(serde_json::json!({"name": "Jo"})),
        )
        .await;
    assert_eq!(s, 409, "linking takes holding the conversation: {v}");
    let (s, v) = rig.http("POST", &on("accept"), &anna, None).await;
    assert_eq!(s, 200, "{v}");

    // The survey prefix is Switchboard's own.
    for payload in ["SURVEY:{conv}:5", "survey:x:1"] {
        let (s, v) = rig
            .http(
                "POST",
                &on("messages"),
                &anna,
                Some(serde_json::json!({"text": "Rate us", "quick_replies": [{"title": "5", "payload": payload.replace("{conv}", &conv)}]})),
            )
            .await;
        assert_eq!(
            (s, v["code"].as_str()),
            (422, Some("reserved_payload")),
            "{v}"
        );
    }
    // A survey payload on an open conversation, with no survey sent, is a
    // plain message.
    let forged = rig
        .deliver(serde_json::json!({"sender": {"id": PSID}, "recipient": {"id": PAGE_1}, "timestamp": rig.clock.now().0,
            "message": {"mid": "m_guard_forged", "text": "5", "quick_reply": {"payload": format!("SURVEY:{conv}:5")}}}))
        .await;
    assert!(matches!(forged[0], Processed::Appended(_)), "{forged:?}");

    // Contacts: anna sees her customer's; bo, who has nothing to do with
    // it, neither reads, edits nor sees its history.
    let (_, detail) = rig.http("GET", &on("contact"), &anna, None).await;
    let contact = detail["id"].as_str().unwrap().to_string();
    let path = format!("/agent/v1/contacts/{contact}");
    assert_eq!(rig.http("GET", &path, &anna, None).await.0, 200);
    assert_eq!(rig.http("GET", &path, &bo, None).await.0, 404);
    assert_eq!(
        rig.http(
            "PATCH",
            &path,
            &bo,
            Some(serde_json::json!({"notes": "mine now"}))
        )
        .await
        .0,
        404
    );
    assert_eq!(
        rig.http("GET", &format!("{path}/history"), &bo, None)
            .await
            .0,
        404
    );
    // A contact bo creates is his to read.
    let (s, own) = rig
        .http(
            "POST",
            "/agent/v1/contacts",
            &bo,
            Some(serde_json::json!({"name": "Bo's customer"})),
        )
        .await;
    assert_eq!(s, 201, "{own}");
    let own = own["id"].as_str().unwrap();
    assert_eq!(
        rig.http("GET", &format!("/agent/v1/contacts/{own}"), &bo, None)
            .await
            .0,
        200
    );

    // The customer unsends a message: marked in the transcript, text gone,
    // and anna is told.
    rig.customer_says("m_guard_2", "my card number is 1234")
        .await;
    rig.deliver(serde_json::json!({"sender": {"id": PSID}, "recipient": {"id": PAGE_1}, "timestamp": rig.clock.now().0,
        "message": {"mid": "m_guard_2", "is_deleted": true}}))
        .await;
    let (_, detail) = rig
        .http(
            "GET",
            &format!("/agent/v1/conversations/{conv}"),
            &anna,
            None,
        )
        .await;
    let entries = detail["transcript"].as_array().unwrap();
    // The words, not "1234" alone: a random id may hold those digits.
    assert!(!detail.to_string().contains("card number"), "{detail}");
    assert!(
        entries
            .iter()
            .any(|e| e["note"] == "the customer unsent this message"),
        "{entries:?}"
    );
    let (_, feed) = rig.http("GET", "/agent/v1/events", &anna, None).await;
    assert!(
        feed["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["type"] == "message_unsent"),
        "{feed}"
    );

    // Closed, the survey goes out. A made-up payload does not count, even
    // in the right shape; of the payloads Switchboard sent, the first
    // answer counts and a second does not.
    let (s, v) = rig.http("POST", &on("close"), &anna, None).await;
    assert_eq!(s, 200, "{v}");
    rig.drain_sender().await;
    let sent = rig.sent();
    let qrs = sent.last().unwrap()["message"]["quick_replies"].clone();
    let payload = |i: usize| qrs[i]["payload"].as_str().unwrap().to_string();
    assert!(
        payload(4).starts_with(&format!("SURVEY:{conv}:5:")),
        "{qrs}"
    );
    let answers = [
        ("m_guard_s0", format!("SURVEY:{conv}:1:madeuptoken00000")),
        ("m_guard_s1", payload(4)),
        ("m_guard_s2", payload(0)),
    ];
    for (mid, p) in answers {
        rig.deliver(serde_json::json!({"sender": {"id": PSID}, "recipient": {"id": PAGE_1}, "timestamp": rig.clock.now().0,
            "message": {"mid": mid, "text": "answer", "quick_reply": {"payload": p}}}))
            .await;
        rig.clock.advance_secs(1);
    }
    let (_, v) = rig
        .http("GET", "/admin/v1/surveys?workstream=support", ADMIN, None)
        .await;
    let answers = v["answers"].as_array().unwrap();
    assert_eq!(answers.len(), 1, "{v}");
    assert_eq!(answers[0]["score"], 5);
}

/// The conversation's `reply_window`, in the inbox and in its detail (the
/// same in both).
async fn reply_window(rig: &AgentRig, agent: &str, conv: &str) -> serde_json::Value {
    let (s, list) = rig
        .http("GET", "/agent/v1/conversations", agent, None)
        .await;
    assert_eq!(s, 200, "{list}");
    let listed = list["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == conv)
        .unwrap_or_else(|| panic!("{conv} in {list}"))["reply_window"]
        .clone();
    let (s, detail) = rig
        .http(
            "GET",
            &format!("/agent/v1/conversations/{conv}"),
            agent,
            None,
        )
        .await;
    assert_eq!(s, 200, "{detail}");
    assert_eq!(
        listed, detail["reply_window"],
        "the inbox and the detail agree"
    );
    listed
}

/// What a conversation shows about replying is the reply route's answer,
/// as the clock moves: within 24 hours allowed (RESPONSE); 2 days on,
/// closed without the workstream's HUMAN_AGENT tag and human_agent with it
/// (sent tagged); 8 days on, closed either way.
async fn the_reply_window_is_the_reply_routes_answer(aws: bool) {
    let rig = rig(aws).await;
    let anna = rig.token("anna").await;
    rig.customer_says("m_window_1", "Hello?").await;
    let last = rig.clock.now().0;
    let at = |ms: i64| switchboard_core::Millis(last + ms).to_rfc3339();
    const H: i64 = 3_600_000;
    let (_, list) = rig
        .http("GET", "/agent/v1/conversations?state=offered", &anna, None)
        .await;
    let conv = list["conversations"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("an offer in {list}"))
        .to_string();
    let (s, accepted) = rig
        .http(
            "POST",
            &format!("/agent/v1/conversations/{conv}/accept"),
            &anna,
            None,
        )
        .await;
    assert_eq!(s, 200, "{accepted}");
    let reply = format!("/agent/v1/conversations/{conv}/messages");
    let say = |text: &str| Some(serde_json::json!({ "text": text }));

    // 3 hours on: allowed until 24 hours after the customer's message.
    rig.clock.advance_secs(3 * 3600);
    let allowed = serde_json::json!({"reply": "allowed", "closes_at": at(24 * H),
        "human_agent": false, "closed_at": null});
    assert_eq!(accepted["reply_window"]["reply"], "allowed", "{accepted}");
    assert_eq!(reply_window(&rig, &anna, &conv).await, allowed);
    let (s, v) = rig.http("POST", &reply, &anna, say("Let me look")).await;
    assert_eq!(s, 202, "{v}");

    // 2 days on, the workstream without the tag: closed since 24 hours, and
    // the reply route refuses with the same time.
    rig.clock.advance_secs(45 * 3600);
    let closed = serde_json::json!({"reply": "closed", "closes_at": null,
        "human_agent": false, "closed_at": at(24 * H)});
    assert_eq!(reply_window(&rig, &anna, &conv).await, closed);
    let (s, v) = rig.http("POST", &reply, &anna, say("Still there?")).await;
    assert_eq!(
        (s, &v["code"]),
        (422, &serde_json::json!("messaging_window_closed")),
        "{v}"
    );
    assert_eq!(v["closed_at"], closed["closed_at"], "{v}");

    // The same 2 days with the tag on: human_agent until 7 days, sent tagged.
    let (s, v) = rig
        .http(
            "PATCH",
            "/admin/v1/workstreams/support",
            ADMIN,
            Some(serde_json::json!({"features": {"human_agent_tag": true}})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let tagged = serde_json::json!({"reply": "human_agent", "closes_at": at(7 * 24 * H),
        "human_agent": true, "closed_at": null});
    assert_eq!(reply_window(&rig, &anna, &conv).await, tagged);
    let (s, v) = rig.http("POST", &reply, &anna, say("Still there?")).await;
    assert_eq!(s, 202, "{v}");
    rig.drain_sender().await;
    let last_sent = rig.sent().pop().unwrap();
    assert_eq!(last_sent["message"]["text"], "Still there?");
    assert_eq!(last_sent["tag"], "HUMAN_AGENT", "{last_sent}");

    // 8 days on: closed since the 7 days, and refused.
    rig.clock.advance_secs(6 * 24 * 3600);
    let anna = rig.token("anna").await;
    let closed = serde_json::json!({"reply": "closed", "closes_at": null,
        "human_agent": true, "closed_at": at(7 * 24 * H)});
    assert_eq!(reply_window(&rig, &anna, &conv).await, closed);
    let (s, v) = rig.http("POST", &reply, &anna, say("Hello again")).await;
    assert_eq!(
        (s, &v["code"]),
        (422, &serde_json::json!("messaging_window_closed")),
        "{v}"
    );
    assert_eq!(v["closed_at"], closed["closed_at"], "{v}");
}

both_stores!(
    a_whole_conversation,
    contacts_and_history,
    agents_are_held_to_what_is_theirs,
    the_reply_window_is_the_reply_routes_answer
);
