//! Contact search through the agent API (`GET /agent/v1/contacts?q=`), on
//! the embedded store and on DynamoDB + Secrets Manager (moto): by a name
//! word's prefix (every word of the query), an email or a phone number
//! exactly, following edits; an agent finds only contacts they may see (a
//! supervisor, all); bad queries and limits are refused.

use switchboard_core::Clock;
use switchboard_core::router::process_event;
use switchboard_http::Services;
use switchboard_tests::*;

const T0: i64 = 1_767_603_600_000;
const ADMIN: &str = "contact-search-admin";
const PSID: &str = "7700000000000981";

type Value = serde_json::Value;

struct Rig {
    services: Services,
    world: AgentWorld,
}

impl Rig {
    async fn new(aws: bool) -> Self {
        let world = agent_world(
            aws,
            T0,
            "EAAB-page-104857600000001",
            serde_json::json!({
                "queues": [{"id": "general", "name": "General"}, {"id": "billing", "name": "Billing"}],
                "agents": [
                    {"id": "anna", "name": "Anna", "email": "anna@example.com", "capacity": 2, "queues": ["general"], "presence": "available"},
                    {"id": "bo", "name": "Bo", "email": "bo@example.com", "capacity": 2, "queues": ["billing"], "presence": "available"}
                ],
                "workstreams": [{"id": "support", "name": "Support", "pages": [PAGE_1], "locale": "en",
                    "distribution": {"fallback_queue": "general"}}]
            }),
        )
        .await;
        let services = services(world.channels.clone(), world.outbox.clone(), ADMIN);
        Rig { services, world }
    }

    async fn token(&self, agent: &str, supervisor: bool) -> String {
        let (s, v) = request_json(
            &self.services,
            "POST",
            &format!("/admin/v1/agents/{agent}/tokens"),
            ADMIN,
            Some(serde_json::json!({ "supervisor": supervisor })),
        )
        .await;
        assert_eq!(s, 201, "{v}");
        v["token"].as_str().unwrap().to_string()
    }

    /// A customer writes in: a conversation offered to anna (the only
    /// agent of the fallback queue). Its id.
    async fn customer_writes(&self) -> String {
        let now = self.world.clock.now().0;
        let body = serde_json::json!({"object": "page", "entry": [{"id": PAGE_1, "time": now, "messaging": [
            {"sender": {"id": PSID}, "recipient": {"id": PAGE_1}, "timestamp": now,
             "message": {"mid": "m_search_1", "text": "Hello"}}]}]});
        let router = self.world.channels.routing_deps();
        for ev in switchboard_core::ingest::split(
            &ACCOUNT.parse().unwrap(),
            body.to_string().as_bytes(),
            self.world.clock.now(),
        )
        .unwrap()
        {
            process_event(&router, &serde_json::to_string(&ev).unwrap())
                .await
                .unwrap();
        }
        let (_, list) = request_json(
            &self.services,
            "GET",
            "/admin/v1/conversations",
            ADMIN,
            None,
        )
        .await;
        list["conversations"][0]["id"].as_str().unwrap().to_string()
    }

    async fn search(&self, token: &str, query: &str) -> (u16, Value) {
        request_json(
            &self.services,
            "GET",
            &format!("/agent/v1/contacts?{query}"),
            token,
            None,
        )
        .await
    }

    /// The names found for `q`.
    async fn names(&self, token: &str, q: &str) -> Vec<String> {
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
        let (s, v) = self.search(token, &format!("q={q}")).await;
        assert_eq!(s, 200, "{v}");
        v["contacts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_string())
            .collect()
    }

    async fn create(&self, token: &str, body: Value) -> Value {
        let (s, v) = request_json(
            &self.services,
            "POST",
            "/agent/v1/contacts",
            token,
            Some(body),
        )
        .await;
        assert_eq!(s, 201, "{v}");
        v
    }
}

async fn agents_find_contacts_by_name_email_and_phone(aws: bool) {
    let rig = Rig::new(aws).await;
    let (anna, bo, sup) = (
        rig.token("anna", false).await,
        rig.token("bo", false).await,
        rig.token("bo", true).await,
    );
    let conv = rig.customer_writes().await;
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
    assert_eq!(rig.names(&anna, &first).await, vec![name.clone()]);
    assert_eq!(rig.names(&bo, &first).await, Vec::<String>::new());
    assert_eq!(rig.names(&sup, &first).await, vec![name.clone()]);

    // A contact linked to nothing yet is anyone's to find.
    let jo = rig
        .create(
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
        assert_eq!(rig.names(&bo, q).await, ["Jo Orphanides"], "{q}");
    }
    for q in ["jo zz", "jo@example.co", "11 22 33 44", "phanides"] {
        assert_eq!(rig.names(&bo, q).await, Vec::<String>::new(), "{q}");
    }
    let (_, v) = rig.search(&bo, "q=jo").await;
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
    assert_eq!(rig.names(&bo, "orph").await, Vec::<String>::new());
    assert_eq!(rig.names(&bo, "jo@example.com").await, Vec::<String>::new());
    assert_eq!(rig.names(&bo, "joan berg").await, ["Joanna Berg"]);
    assert_eq!(rig.names(&bo, "4511223344").await, ["Joanna Berg"]);

    // The limit, and the order of the index (by word, then contact id).
    for n in ["Lim One", "Lim Two", "Lim Three"] {
        rig.create(&anna, serde_json::json!({ "name": n })).await;
    }
    let (s, v) = rig.search(&bo, "q=lim&limit=2").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["contacts"].as_array().unwrap().len(), 2, "{v}");
    assert_eq!(rig.names(&bo, "lim").await.len(), 3);
}

async fn bad_searches_are_refused(aws: bool) {
    let rig = Rig::new(aws).await;
    let anna = rig.token("anna", false).await;
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
        let (s, v) = rig.search(&anna, query).await;
        assert_eq!((s, v["code"].as_str()), (400, Some(code)), "{query}: {v}");
    }
    let long = "x".repeat(201);
    let (s, _) = rig.search(&anna, &format!("q={long}")).await;
    assert_eq!(s, 400);
    let (s, v) = rig.search("not-a-token", "q=ann").await;
    assert_eq!(s, 401, "{v}");
}

macro_rules! both_stores {
    ($($case:ident),*) => {
        mod embedded {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case(false).await;
                }
            )*
        }
        mod dynamodb {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case(true).await;
                }
            )*
        }
    };
}

both_stores!(
    agents_find_contacts_by_name_email_and_phone,
    bad_searches_are_refused
);
