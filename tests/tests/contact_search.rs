//! Contact search through the agent API (`GET /agent/v1/contacts?q=`), on
//! the embedded store and on DynamoDB + Secrets Manager (moto): by a name
//! word's prefix (every word of the query), an email or a phone number
//! exactly, following edits; an agent finds only contacts they may see (a
//! supervisor, all); bad queries and limits are refused.

use switchboard_tests::agent_rig::*;
use switchboard_tests::*;

type Value = serde_json::Value;

async fn rig(aws: bool) -> AgentRig {
    AgentRig::new(
        aws,
        RigSetup::new(serde_json::json!({
                "queues": [{"id": "general", "name": "General"}, {"id": "billing", "name": "Billing"}],
                "agents": [
                    {"id": "anna", "name": "Anna", "email": "anna@example.com", "capacity": 2, "queues": ["general"], "presence": "available"},
                    {"id": "bo", "name": "Bo", "email": "bo@example.com", "capacity": 2, "queues": ["billing"], "presence": "available"}
                ],
                "workstreams": [{"id": "support", "name": "Support", "pages": [PAGE_1], "locale": "en",
                    "distribution": {"fallback_queue": "general"}}]
            })),
    )
    .await
}

async fn search(rig: &AgentRig, token: &str, query: &str) -> (u16, Value) {
    rig.http("GET", &format!("/agent/v1/contacts?{query}"), token, None)
        .await
}

/// The names found for `q`.
async fn names(rig: &AgentRig, token: &str, q: &str) -> Vec<String> {
    let q: String = q
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let (s, v) = search(rig, token, &format!("q={q}")).await;
    assert_eq!(s, 200, "{v}");
    v["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect()
}

async fn create(rig: &AgentRig, token: &str, body: Value) -> Value {
    let (s, v) = rig
        .http("POST", "/agent/v1/contacts", token, Some(body))
        .await;
    assert_eq!(s, 201, "{v}");
    v
}

async fn agents_find_contacts_by_name_email_and_phone(aws: bool) {
    let rig = rig(aws).await;
    let (anna, bo, sup) = (
        rig.token("anna").await,
        rig.token("bo").await,
        rig.supervisor_token("bo").await,
    );
    let conv = rig.customer_says("m_search_1", "Hello").await;
    let (_, customer) = request_json(
        &rig.services,
        "GET",
        &format!("/agent/v1/conversations/{conv}/contact"),
        &anna,
        None,
    )
    .await;
    let name = customer["name"].as_str().unwrap().to_string();
    let first = name.split(' ').next().unwrap().to_lowercase();

    // The customer's contact: anna's (offered to her), not bo's; a
    // supervisor sees it.
    assert_eq!(names(&rig, &anna, &first).await, vec![name.clone()]);
    assert_eq!(names(&rig, &bo, &first).await, Vec::<String>::new());
    assert_eq!(names(&rig, &sup, &first).await, vec![name.clone()]);

    // A contact linked to nothing yet is anyone's to find.
    let jo = create(
        &rig,
        &anna,
        serde_json::json!({"name": "Jo Orphanides", "email": "Jo@Example.com", "phone": "+45 11 22 33 44"}),
    )
    .await;
    for q in [
        "jo",
        "JO",
        "orph",
        "jo orph",
        "orph jo",
        "jo@example.COM",
        "+45 11 22 33 44",
        "4511223344",
    ] {
        assert_eq!(names(&rig, &bo, q).await, ["Jo Orphanides"], "{q}");
    }
    for q in ["jo zz", "jo@example.co", "11 22 33 44", "phanides"] {
        assert_eq!(names(&rig, &bo, q).await, Vec::<String>::new(), "{q}");
    }
    let (_, v) = search(&rig, &bo, "q=jo").await;
    assert_eq!(v["contacts"][0]["email"], "Jo@Example.com");
    assert_eq!(v["contacts"][0]["id"], jo["id"]);

    // Edits move the index.
    let (s, v) = request_json(
        &rig.services,
        "PATCH",
        &format!("/agent/v1/contacts/{}", jo["id"].as_str().unwrap()),
        &anna,
        Some(serde_json::json!({"name": "Joanna Berg", "email": null})),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(names(&rig, &bo, "orph").await, Vec::<String>::new());
    assert_eq!(
        names(&rig, &bo, "jo@example.com").await,
        Vec::<String>::new()
    );
    assert_eq!(names(&rig, &bo, "joan berg").await, ["Joanna Berg"]);
    assert_eq!(names(&rig, &bo, "4511223344").await, ["Joanna Berg"]);

    // The limit, and the order of the index (by word, then contact id).
    for n in ["Lim One", "Lim Two", "Lim Three"] {
        create(&rig, &anna, serde_json::json!({ "name": n })).await;
    }
    let (s, v) = search(&rig, &bo, "q=lim&limit=2").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["contacts"].as_array().unwrap().len(), 2, "{v}");
    assert_eq!(names(&rig, &bo, "lim").await.len(), 3);
}

async fn bad_searches_are_refused(aws: bool) {
    let rig = rig(aws).await;
    let anna = rig.token("anna").await;
    for (query, code) in [
        ("", "invalid_query"),
        ("q=", "invalid_query"),
        ("q=%20%20", "invalid_query"),
        ("q=--", "invalid_query"),
        ("q=a%20b%40c", "invalid_query"),
        ("q=ann&limit=0", "invalid_limit"),
        ("q=ann&limit=51", "invalid_limit"),
        ("q=ann&limit=x", "invalid_limit"),
    ] {
        let (s, v) = search(&rig, &anna, query).await;
        assert_eq!((s, v["code"].as_str()), (400, Some(code)), "{query}: {v}");
    }
    let long = "x".repeat(201);
    let (s, _) = search(&rig, &anna, &format!("q={long}")).await;
    assert_eq!(s, 400);
    let (s, v) = search(&rig, "not-a-token", "q=ann").await;
    assert_eq!(s, 401, "{v}");
}

both_stores!(
    agents_find_contacts_by_name_email_and_phone,
    bad_searches_are_refused
);
