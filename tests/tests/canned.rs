//! Canned responses on both stores (embedded, and DynamoDB on moto): the
//! admin API's CRUD with its conflicts and 422s, the agent route rendering
//! a conversation's (the contact's name filled in) and keeping out an
//! agent who cannot see it, and a configuration file's `canned_responses:`
//! creating, updating and removing them.

use switchboard_core::channels::{ApplyMode, apply_as};
use switchboard_core::config::Config;
use switchboard_tests::agent_rig::*;
use switchboard_tests::*;

const LIST: &str = "/admin/v1/canned-responses";

type Value = serde_json::Value;

async fn rig(aws: bool) -> AgentRig {
    AgentRig::new(
        aws,
        RigSetup::new(serde_json::json!({
            "queues": [{"id": "general", "name": "General"}],
            "agents": [
                {"id": "anna", "name": "Anna Ærø", "email": "anna@example.com", "capacity": 2, "queues": ["general"], "presence": "available"},
                {"id": "bo", "name": "Bo", "email": "bo@example.com", "capacity": 2, "queues": ["general"], "presence": "offline"}
            ],
            "workstreams": [
                {"id": "support", "name": "Support", "pages": [PAGE_1], "locale": "en",
                 "distribution": {"fallback_queue": "general"}},
                {"id": "sales", "name": "Sales", "pages": [], "locale": "da"}
            ]
        })),
    )
    .await
}

fn canned(id: &str, ws: &str, locale: &str, shortcut: &str, text: &str) -> Option<Value> {
    Some(
        serde_json::json!({"id": id, "workstream": ws, "locale": locale,
        "shortcut": shortcut, "title": "Title", "text": text}),
    )
}

fn ids(v: &Value) -> Vec<&str> {
    v["canned_responses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect()
}

async fn admin_crud(aws: bool) {
    let rig = rig(aws).await;
    let (s, v) = rig
        .admin(
            "POST",
            LIST,
            canned("greeting", "support", "en", "hello", "Hi {CustomerName}!"),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(
        (v["id"].as_str(), v["locale"].as_str(), v["title"].as_str()),
        (Some("greeting"), Some("en"), Some("Title"))
    );
    assert!(v["updated_at"].is_string(), "{v}");

    // Conflicts: the id again, the shortcut again in the same workstream
    // and locale; the same shortcut in another locale or workstream is fine.
    for (body, what) in [
        (canned("greeting", "support", "da", "x", "x"), "same id"),
        (
            canned("other", "support", "en", "hello", "x"),
            "same shortcut",
        ),
    ] {
        let (s, v) = rig.admin("POST", LIST, body).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (409, Some("conflict")),
            "{what}: {v}"
        );
    }
    for (id, ws, locale) in [
        ("hello-da", "support", "da"),
        ("hello-sales", "sales", "en"),
    ] {
        let (s, v) = rig
            .admin("POST", LIST, canned(id, ws, locale, "hello", "Hej"))
            .await;
        assert_eq!(s, 201, "{v}");
    }

    // Bad values: 422 with the rule's code; a wrong shape is 400.
    for (body, status, code) in [
        (
            canned("a", "nowhere", "en", "a", "x"),
            422,
            "unknown_workstream",
        ),
        (
            canned("a", "support", "en", "a", "Hi {Customer}"),
            422,
            "unknown_placeholder",
        ),
        (
            canned("a", "support", "en", "Bad Shortcut", "x"),
            422,
            "invalid_shortcut",
        ),
        (
            canned("a", "support", "en", &"s".repeat(33), "x"),
            422,
            "invalid_shortcut",
        ),
        (
            canned("a", "support", "en", "a", "   "),
            422,
            "invalid_text",
        ),
        (
            canned("a", "support", "en", "a", &"é".repeat(2001)),
            422,
            "invalid_text",
        ),
        (
            Some(
                serde_json::json!({"id": "a", "workstream": "support", "locale": "english",
            "shortcut": "a", "title": "t", "text": "x"}),
            ),
            400,
            "invalid_body",
        ),
        (
            Some(
                serde_json::json!({"id": "a", "workstream": "support", "locale": "en",
            "shortcut": "a", "title": "t", "text": "x", "extra": 1}),
            ),
            400,
            "invalid_body",
        ),
    ] {
        let (s, v) = rig.admin("POST", LIST, body.clone()).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (status, Some(code)),
            "{body:?}: {v}"
        );
    }
    let (_, v) = rig
        .admin(
            "POST",
            LIST,
            canned("a", "support", "en", "a", "Hi {Customer}"),
        )
        .await;
    assert!(v["detail"].as_str().unwrap().contains("{Customer}"), "{v}");
    // 2000 characters of two bytes each is the most.
    let (s, v) = rig
        .admin(
            "POST",
            LIST,
            canned("long", "support", "en", "long", &"é".repeat(2000)),
        )
        .await;
    assert_eq!(s, 201, "{v}");

    // Lists: id order, a workstream's, a page at a time.
    let (s, v) = rig.admin("GET", LIST, None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(ids(&v), ["greeting", "hello-da", "hello-sales", "long"]);
    let (_, v) = rig
        .admin("GET", &format!("{LIST}?workstream=sales"), None)
        .await;
    assert_eq!(ids(&v), ["hello-sales"]);
    let (_, p1) = rig.admin("GET", &format!("{LIST}?limit=3"), None).await;
    assert_eq!(ids(&p1), ["greeting", "hello-da", "hello-sales"]);
    let cursor = p1["next_cursor"].as_str().unwrap();
    let (_, p2) = rig
        .admin("GET", &format!("{LIST}?limit=3&cursor={cursor}"), None)
        .await;
    assert_eq!(ids(&p2), ["long"]);
    assert!(p2["next_cursor"].is_null(), "{p2}");
    assert_eq!(
        rig.admin("GET", &format!("{LIST}?cursor=%25"), None)
            .await
            .0,
        400
    );

    // Read, merge patch, delete.
    let one = format!("{LIST}/greeting");
    let (s, v) = rig.admin("GET", &one, None).await;
    assert_eq!((s, v["text"].as_str()), (200, Some("Hi {CustomerName}!")));
    rig.clock.advance_secs(5);
    let (s, v) = rig
        .admin(
            "PATCH",
            &one,
            Some(serde_json::json!({"title": "  Greeting  "})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        (
            v["title"].as_str(),
            v["shortcut"].as_str(),
            v["text"].as_str()
        ),
        (Some("Greeting"), Some("hello"), Some("Hi {CustomerName}!"))
    );
    for (body, status, code) in [
        (serde_json::json!({"title": null}), 400, "invalid_body"),
        (serde_json::json!({"id": "x"}), 400, "invalid_body"),
        (serde_json::json!({"locale": "da"}), 409, "conflict"),
        (
            serde_json::json!({"text": "{AgentName} {Nope}"}),
            422,
            "unknown_placeholder",
        ),
        (
            serde_json::json!({"workstream": "nowhere"}),
            422,
            "unknown_workstream",
        ),
    ] {
        let (s, v) = rig.admin("PATCH", &one, Some(body.clone())).await;
        assert_eq!((s, v["code"].as_str()), (status, Some(code)), "{body}: {v}");
    }
    let (s, v) = rig
        .admin("PATCH", &one, Some(serde_json::json!({"shortcut": "hi"})))
        .await;
    assert_eq!((s, v["shortcut"].as_str()), (200, Some("hi")), "{v}");
    assert_eq!(rig.admin("GET", &format!("{LIST}/nope"), None).await.0, 404);
    assert_eq!(
        rig.admin(
            "PATCH",
            &format!("{LIST}/nope"),
            Some(serde_json::json!({}))
        )
        .await
        .0,
        404
    );
    assert_eq!(
        rig.admin("GET", &format!("{LIST}/Bad%20Id"), None).await.0,
        400
    );
    assert_eq!(rig.admin("DELETE", &one, None).await.0, 204);
    assert_eq!(rig.admin("DELETE", &one, None).await.0, 404);
    assert_eq!(rig.admin("GET", &one, None).await.0, 404);
    assert_eq!(rig.http("GET", LIST, "wrong-token", None).await.0, 401);
}

async fn agent_route(aws: bool) {
    let rig = rig(aws).await;
    for (id, ws, locale, shortcut, text) in [
        (
            "greet-en",
            "support",
            "en",
            "hello",
            "Hi {CustomerName}, {AgentName} here.",
        ),
        ("bye-en", "support", "en-GB", "bye", "Bye {CustomerName}!"),
        ("greet-da", "support", "da", "hej", "Hej {CustomerName}"),
        ("sales-en", "sales", "en", "hello", "Sales: {CustomerName}"),
    ] {
        let (s, v) = rig
            .admin("POST", LIST, canned(id, ws, locale, shortcut, text))
            .await;
        assert_eq!(s, 201, "{v}");
    }
    let anna = rig.token("anna").await;
    let bo = rig.token("bo").await;
    rig.customer_says("m_canned_1", "Where is my order?").await;
    let (_, list) = rig
        .http("GET", "/agent/v1/conversations?state=offered", &anna, None)
        .await;
    let conv = list["conversations"][0]["id"].as_str().unwrap().to_string();
    let contact = list["conversations"][0]["contact_id"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, v) = rig
        .http(
            "POST",
            &format!("/agent/v1/conversations/{conv}/accept"),
            &anna,
            None,
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = rig
        .http(
            "PATCH",
            &format!("/agent/v1/contacts/{contact}"),
            &anna,
            Some(serde_json::json!({"name": "Zoë Ørsted"})),
        )
        .await;
    assert_eq!(s, 200, "{v}");

    // The conversation's workstream in its locale (the workstream's, en:
    // en-GB is the same language), rendered with the contact and the agent.
    let uri = format!("/agent/v1/canned-responses?conversation_id={conv}");
    let (s, v) = rig.http("GET", &uri, &anna, None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(ids(&v), ["bye-en", "greet-en"], "{v}");
    let greet = &v["canned_responses"][1];
    assert_eq!(greet["rendered"], "Hi Zoë Ørsted, Anna Ærø here.", "{v}");
    assert_eq!(greet["text"], "Hi {CustomerName}, {AgentName} here.");
    assert_eq!(v["canned_responses"][0]["rendered"], "Bye Zoë Ørsted!");

    // bo cannot see the conversation: 404, as an unknown one is.
    assert_eq!(rig.http("GET", &uri, &bo, None).await.0, 404);
    let unknown = "/agent/v1/canned-responses?conversation_id=cv_unknown";
    assert_eq!(rig.http("GET", unknown, &anna, None).await.0, 404);

    // By workstream: as written, no rendering; neither parameter is 400.
    let (s, v) = rig
        .http(
            "GET",
            "/agent/v1/canned-responses?workstream=support",
            &bo,
            None,
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(ids(&v), ["bye-en", "greet-da", "greet-en"]);
    assert!(v["canned_responses"][0].get("rendered").is_none(), "{v}");
    let (s, v) = rig
        .http("GET", "/agent/v1/canned-responses", &anna, None)
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (400, Some("missing_parameter")),
        "{v}"
    );
    assert_eq!(
        rig.http(
            "GET",
            "/agent/v1/canned-responses?workstream=Bad%20Ws",
            &anna,
            None
        )
        .await
        .0,
        400
    );
    assert_eq!(rig.http("GET", &uri, "wrong-token", None).await.0, 401);
}

const FILE_1: &str = r#"
canned_responses:
  - id: greeting-en
    workstream: support
    locale: en
    shortcut: hello
    title: Greeting
    text: "Hi {CustomerName}, this is {AgentName}."
  - id: bye-en
    workstream: support
    locale: en
    shortcut: bye
    title: Goodbye
    text: "Bye {CustomerName}!"
"#;

const FILE_2: &str = r#"
canned_responses:
  - id: greeting-en
    workstream: support
    locale: en
    shortcut: hello
    title: Greeting
    text: "Hello {CustomerName}, {AgentName} here."
  - id: hej-da
    workstream: sales
    locale: da
    shortcut: bye
    title: Hej
    text: "Hej {CustomerName}"
"#;

async fn applied_from_yaml(aws: bool) {
    let rig = rig(aws).await;
    // Made by hand, not in the file: removed by the first apply.
    let (s, v) = rig
        .admin(
            "POST",
            LIST,
            canned("by-hand", "support", "en", "hand", "x"),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(
        rig.apply_yaml(FILE_1).await,
        [
            "remove canned response by-hand",
            "create canned response greeting-en",
            "create canned response bye-en"
        ]
    );
    assert!(
        rig.apply_yaml(FILE_1).await.is_empty(),
        "a second apply changes nothing"
    );
    let (_, v) = rig.admin("GET", LIST, None).await;
    assert_eq!(ids(&v), ["bye-en", "greeting-en"]);

    assert_eq!(
        rig.apply_yaml(FILE_2).await,
        [
            "remove canned response bye-en",
            "update canned response greeting-en",
            "create canned response hej-da"
        ]
    );
    let (_, v) = rig.admin("GET", &format!("{LIST}/greeting-en"), None).await;
    assert_eq!(v["text"], "Hello {CustomerName}, {AgentName} here.", "{v}");
    let (_, v) = rig.admin("GET", LIST, None).await;
    assert_eq!(ids(&v), ["greeting-en", "hej-da"]);
    assert!(rig.apply_yaml(FILE_2).await.is_empty());

    // Without the section they are not managed: nothing is removed.
    assert!(
        rig.apply_yaml("queues:\n  - { id: general, name: General }\n")
            .await
            .is_empty()
    );
    let (_, v) = rig.admin("GET", LIST, None).await;
    assert_eq!(ids(&v), ["greeting-en", "hej-da"]);
    // An unknown placeholder in the file is refused before anything changes.
    let bad = FILE_2.replace("{AgentName} here", "{Agent} here");
    let desired = Config::parse(&bad, &|_| None)
        .unwrap()
        .to_desired()
        .unwrap();
    let e = apply_as(&rig.channels, desired, ApplyMode::Start)
        .await
        .unwrap_err();
    assert_eq!(e.code, "unknown_placeholder", "{e:?}");
    // The export states them as the file would.
    let (_, v) = rig.admin("GET", "/admin/v1/export", None).await;
    assert_eq!(v["canned_responses"].as_array().unwrap().len(), 2, "{v}");
    // An empty section removes them all.
    assert_eq!(
        rig.apply_yaml("canned_responses: []\n").await,
        [
            "remove canned response greeting-en",
            "remove canned response hej-da"
        ]
    );
}

/// The example configuration's canned responses parse and apply.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_configuration_has_canned_responses() {
    let yaml = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/switchboard.yaml"
    ))
    .unwrap();
    let config = Config::parse(&yaml, &|_| Some("x".repeat(40))).unwrap();
    let items = config.canned_responses.clone().unwrap();
    assert!(
        items.iter().any(|c| c["workstream"] == "support"
            && c["locale"] == "en"
            && c["text"].as_str().unwrap().contains("{CustomerName}")),
        "{items:?}"
    );
    let desired = config.to_desired().unwrap();
    for c in desired.canned_responses.unwrap() {
        switchboard_core::canned::admin::check_values(&c).unwrap();
    }
}

both_stores!(admin_crud, agent_route, applied_from_yaml);
