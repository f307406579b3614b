//! Internal notes through the agent API, on the embedded store with the
//! in-process queue and on DynamoDB + SQS + Secrets Manager (moto), with
//! the fake Graph server recording what reaches Meta: the holder writes
//! and lists notes, the transcript shows them as notes and Meta receives
//! none of them, a supervisor's note reaches the holder's feed, an agent
//! who cannot see the conversation is kept out, bad text is refused, and
//! a closed conversation still takes a wrap-up note.

use switchboard_tests::agent_rig::*;
use switchboard_tests::*;

const PSID: &str = "7700000000000971";

type Value = serde_json::Value;

async fn rig(aws: bool) -> AgentRig {
    AgentRig::new(
        aws,
        RigSetup {
            customer: PSID,
            ..RigSetup::new(serde_json::json!({
            "queues": [{"id": "general", "name": "General"}, {"id": "billing", "name": "Billing"}],
            "agents": [
                {"id": "anna", "name": "Anna", "email": "anna@example.com", "capacity": 2, "queues": ["general"], "presence": "available"},
                {"id": "bo", "name": "Bo", "email": "bo@example.com", "capacity": 2, "queues": ["billing"], "presence": "available"},
                {"id": "sue", "name": "Sue", "email": "sue@example.com", "capacity": 2, "queues": ["billing"], "presence": "offline"}
            ],
            "workstreams": [{"id": "support", "name": "Support", "pages": [PAGE_1], "locale": "en",
                "distribution": {"fallback_queue": "general"}}]
        }))
        },
    )
    .await
}

fn of_type<'a>(events: &'a [Value], kind: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["type"] == kind).collect()
}

async fn notes_stay_internal(aws: bool) {
    let rig = rig(aws).await;
    let anna = rig.token("anna").await;
    let bo = rig.token("bo").await;
    let sue = rig.supervisor_token("sue").await;

    rig.customer_says("m_notes_1", "My order never came").await;
    let (_, list) = rig
        .http("GET", "/agent/v1/conversations?state=offered", &anna, None)
        .await;
    let conv = list["conversations"][0]["id"].as_str().unwrap().to_string();
    let notes = format!("/agent/v1/conversations/{conv}/notes");
    let note = |text: &str| Some(serde_json::json!({"text": text}));

    // bo can see nothing of it: 404 on both, as for the other routes, and
    // an unknown conversation is 404 too.
    assert_eq!(rig.http("POST", &notes, &bo, note("mine")).await.0, 404);
    assert_eq!(rig.http("GET", &notes, &bo, None).await.0, 404);
    let unknown = "/agent/v1/conversations/cv_unknown/notes";
    assert_eq!(rig.http("POST", unknown, &anna, note("x")).await.0, 404);
    assert_eq!(rig.http("GET", unknown, &sue, None).await.0, 404);

    let (s, v) = rig
        .http(
            "POST",
            &format!("/agent/v1/conversations/{conv}/accept"),
            &anna,
            None,
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (_, feed) = rig.http("GET", "/agent/v1/events", &anna, None).await;
    let after = feed["cursor"].as_str().unwrap().to_string();

    // The holder writes one: 201, the text trimmed.
    rig.clock.advance_secs(1);
    let (s, mine) = rig
        .http(
            "POST",
            &notes,
            &anna,
            note("  Promised a refund by Friday.\n"),
        )
        .await;
    assert_eq!(s, 201, "{mine}");
    assert_eq!(mine["text"], "Promised a refund by Friday.");
    assert_eq!(mine["agent_id"], "anna");
    assert_eq!(mine["conversation_id"], conv.as_str());
    assert!(mine["id"].as_str().unwrap().starts_with("nt_"), "{mine}");
    assert!(mine["created_at"].is_string(), "{mine}");

    // Bad text: the reply endpoint's codes; a body of the wrong shape is 400.
    for (body, status, code) in [
        (note("   \n\t"), 422, "empty_message"),
        (note(""), 422, "empty_message"),
        (note(&"ø".repeat(2001)), 422, "text_too_long"),
        (Some(serde_json::json!({"text": 5})), 400, "invalid_body"),
        (Some(serde_json::json!({"note": "x"})), 400, "invalid_body"),
        (None, 400, "invalid_body"),
    ] {
        let (s, v) = rig.http("POST", &notes, &anna, body.clone()).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (status, Some(code)),
            "{body:?}: {v}"
        );
    }
    // 2000 characters (of two bytes each) is the most, blanks around aside.
    let (s, v) = rig
        .http(
            "POST",
            &notes,
            &anna,
            note(&format!(" {} ", "é".repeat(2000))),
        )
        .await;
    assert_eq!(s, 201, "{v}");

    // A supervisor's note: the holder hears of it; her own notes raised nothing.
    rig.clock.advance_secs(1);
    let (s, theirs) = rig
        .http(
            "POST",
            &notes,
            &sue,
            note("Check the courier's claim first."),
        )
        .await;
    assert_eq!(s, 201, "{theirs}");
    assert_eq!(theirs["agent_id"], "sue");
    let (_, feed) = rig
        .http(
            "GET",
            &format!("/agent/v1/events?after={after}"),
            &anna,
            None,
        )
        .await;
    let events = feed["events"].as_array().unwrap();
    let added = of_type(events, "note_added");
    assert_eq!(added.len(), 1, "{feed}");
    assert_eq!(added[0]["conversation_id"], conv.as_str());
    assert_eq!(added[0]["data"]["note_id"], theirs["id"]);
    assert_eq!(added[0]["data"]["agent_id"], "sue");
    // Other agents are not told.
    assert!(of_type(&rig.feed(&bo).await, "note_added").is_empty());
    assert!(of_type(&rig.feed(&sue).await, "note_added").is_empty());

    // Listed oldest first, a page at a time; the supervisor reads them too.
    let (s, all) = rig.http("GET", &notes, &sue, None).await;
    assert_eq!(s, 200, "{all}");
    let ids: Vec<&Value> = all["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| &n["id"])
        .collect();
    assert_eq!(ids.len(), 3, "{all}");
    assert_eq!((ids[0], ids[2]), (&mine["id"], &theirs["id"]));
    assert!(all["next_cursor"].is_null(), "{all}");
    let (_, first) = rig
        .http("GET", &format!("{notes}?limit=2"), &anna, None)
        .await;
    assert_eq!(first["notes"].as_array().unwrap().len(), 2, "{first}");
    let cursor = first["next_cursor"].as_str().unwrap();
    let (s, rest) = rig
        .http(
            "GET",
            &format!("{notes}?limit=2&cursor={cursor}"),
            &anna,
            None,
        )
        .await;
    assert_eq!(s, 200, "{rest}");
    assert_eq!(rest["notes"].as_array().unwrap().len(), 1, "{rest}");
    assert_eq!(rest["notes"][0]["id"], theirs["id"]);
    assert!(rest["next_cursor"].is_null(), "{rest}");
    let (s, v) = rig
        .http("GET", &format!("{notes}?cursor=%%%"), &anna, None)
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (400, Some("invalid_cursor")),
        "{v}"
    );

    // The transcript shows them as notes, in time order, never as messages.
    let detail = format!("/agent/v1/conversations/{conv}");
    let (_, d) = rig.http("GET", &detail, &anna, None).await;
    let t = d["transcript"].as_array().unwrap();
    let kinds: Vec<&str> = t
        .iter()
        .filter(|e| e["from"] != "system")
        .map(|e| e["from"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["customer", "note", "note", "note"], "{t:?}");
    let shown: Vec<&Value> = t.iter().filter(|e| e["from"] == "note").collect();
    assert_eq!(shown[0]["text"], "Promised a refund by Friday.");
    assert_eq!(shown[0]["agent_id"], "anna");
    assert_eq!(shown[2]["agent_id"], "sue");
    for n in &shown {
        assert!(
            n.get("outbound_id").is_none() && n.get("status").is_none(),
            "{n}"
        );
    }

    // Nothing went to the customer.
    assert_eq!(rig.drain_sender().await, 0);
    assert!(
        rig.send_api_calls().is_empty(),
        "{:?}",
        rig.send_api_calls()
    );

    // Closed, the conversation still takes a wrap-up note (from the agent
    // who had it), and bo is still kept out.
    let (s, v) = rig
        .http(
            "POST",
            &format!("/agent/v1/conversations/{conv}/close"),
            &anna,
            None,
        )
        .await;
    assert_eq!((s, v["state"].as_str()), (200, Some("closed")), "{v}");
    rig.clock.advance_secs(1);
    let (s, v) = rig
        .http("POST", &notes, &anna, note("Wrap-up: refunded."))
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(rig.http("POST", &notes, &bo, note("x")).await.0, 404);
    let (_, all) = rig.http("GET", &notes, &anna, None).await;
    assert_eq!(all["notes"].as_array().unwrap().len(), 4, "{all}");
    assert_eq!(all["notes"][3]["text"], "Wrap-up: refunded.");
    // Nobody holds a closed conversation: the supervisor's note tells no one.
    let (_, feed) = rig.http("GET", "/agent/v1/events", &anna, None).await;
    let before = of_type(feed["events"].as_array().unwrap(), "note_added").len();
    assert_eq!(
        rig.http("POST", &notes, &sue, note("Reviewed.")).await.0,
        201
    );
    assert_eq!(of_type(&rig.feed(&anna).await, "note_added").len(), before);
    assert_eq!(rig.drain_sender().await, 0);
    assert!(
        rig.send_api_calls().is_empty(),
        "{:?}",
        rig.send_api_calls()
    );
}

both_stores!(notes_stay_internal);
