//! Supervisors through the admin and agent APIs, on the embedded store and
//! on DynamoDB + SQS + Secrets Manager (moto): who may call which admin
//! route (a supervisor's agent token, an agent's, the admin token), the
//! live overview of queues and agents, moving conversations to an agent or
//! a queue (and every refusal), who a conversation can be transferred to,
//! and the survey results per agent and queue over a period.

use switchboard_core::delivery::{SURVEYS_STREAM, SurveyAnswer};
use switchboard_core::ports::{StreamEntry, stream_cursor};
use switchboard_core::{Clock, Millis};
use switchboard_tests::agent_rig::*;
use switchboard_tests::*;

const PSID_A: &str = "7700000000000981";
const PSID_B: &str = "7700000000000982";

type Value = serde_json::Value;

/// Queues general (anna) and billing (bo, sue), general overflowing to
/// billing, so both are the support workstream's; carl supervises and
/// is in no queue.
async fn rig(aws: bool) -> AgentRig {
    AgentRig::new(
        aws,
        RigSetup::new(serde_json::json!({
            "queues": [
                {"id": "general", "name": "General", "priority": 1,
                 "overflow": {"max_waiting": {"items": 100, "action": "transfer", "queue": "billing"}}},
                {"id": "billing", "name": "Billing", "priority": 2},
                {"id": "elsewhere", "name": "Elsewhere", "priority": 3}
            ],
            "agents": [
                {"id": "anna", "name": "Anna", "email": "anna@example.com", "capacity": 2, "queues": ["general"], "presence": "available"},
                {"id": "bo", "name": "Bo", "email": "bo@example.com", "capacity": 2, "queues": ["billing"], "presence": "available"},
                {"id": "carl", "name": "Carl", "email": "carl@example.com", "capacity": 1, "presence": "offline"},
                {"id": "sue", "name": "Sue", "email": "sue@example.com", "capacity": 1, "queues": ["billing"], "presence": "offline"}
            ],
            "workstreams": [{"id": "support", "name": "Support", "pages": [PAGE_1], "locale": "en",
                "distribution": {"fallback_queue": "general"}}]
        })),
    )
    .await
}

fn find<'a>(list: &'a Value, key: &str, id: &str) -> &'a Value {
    list.as_array()
        .and_then(|l| l.iter().find(|x| x[key] == id))
        .unwrap_or_else(|| panic!("no {key} {id} in {list}"))
}

fn ids(list: &Value, key: &str) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|x| x[key].as_str().unwrap().to_string())
        .collect()
}

async fn who_may_call_what(aws: bool) {
    let rig = rig(aws).await;
    let carl = rig.supervisor_token("carl").await;
    let anna = rig.token("anna").await;
    // A supervisor watches and steers...
    for uri in [
        "/admin/v1/overview",
        "/admin/v1/conversations",
        "/admin/v1/queues",
        "/admin/v1/queues/general/waiting",
        "/admin/v1/agents",
        "/admin/v1/agents/anna/presence",
        "/admin/v1/surveys",
        "/admin/v1/surveys/summary",
    ] {
        let (s, v) = rig.http("GET", uri, &carl, None).await;
        assert_eq!(s, 200, "GET {uri}: {v}");
    }
    let (s, v) = rig
        .http(
            "PUT",
            "/admin/v1/agents/anna/presence",
            &carl,
            Some(serde_json::json!({"status": "away", "label": "Lunch"})),
        )
        .await;
    assert_eq!((s, &v["label"]), (200, &Value::from("Lunch")), "{v}");
    // ...and configures nothing.
    for (method, uri, body) in [
        ("GET", "/admin/v1/accounts", None),
        ("GET", "/admin/v1/agents/anna", None),
        ("GET", "/admin/v1/queues/general", None),
        ("GET", "/admin/v1/export", None),
        (
            "POST",
            "/admin/v1/queues",
            Some(serde_json::json!({"id": "x", "name": "X"})),
        ),
        ("POST", "/admin/v1/agents/carl/tokens", None),
        ("DELETE", "/admin/v1/agents/anna", None),
        ("GET", "/admin/v1/no-such-route", None),
    ] {
        let (s, v) = rig.http(method, uri, &carl, body).await;
        assert_eq!(
            (s, &v["code"]),
            (403, &Value::from("forbidden")),
            "{method} {uri}: {v}"
        );
    }
    // An agent's own token is not a supervisor's; a made-up one is nobody's.
    let (s, v) = rig.http("GET", "/admin/v1/overview", &anna, None).await;
    assert_eq!(s, 403, "{v}");
    let (s, _) = rig
        .http("GET", "/admin/v1/overview", "sbat_nobody", None)
        .await;
    assert_eq!(s, 401);
    // The admin token does everything.
    rig.overview(ADMIN).await;
    let (s, _) = rig.http("GET", "/admin/v1/accounts", ADMIN, None).await;
    assert_eq!(s, 200);
    // A revoked supervisor token is refused at once.
    let (s, _) = rig
        .http("DELETE", "/admin/v1/agents/carl/tokens", ADMIN, None)
        .await;
    assert_eq!(s, 200);
    let (s, _) = rig.http("GET", "/admin/v1/overview", &carl, None).await;
    assert_eq!(s, 401);
}

async fn watch_and_steer(aws: bool) {
    let rig = rig(aws).await;
    let carl = rig.supervisor_token("carl").await;
    let bo = rig.token("bo").await;
    let anna = rig.token("anna").await;
    // Anna steps out: customers wait in general.
    let (s, _) = rig
        .http(
            "PUT",
            "/admin/v1/agents/anna/presence",
            &carl,
            Some(serde_json::json!({"status": "away", "label": "Lunch"})),
        )
        .await;
    assert_eq!(s, 200);
    let a = rig.psid_says(PSID_A, "m_sup_a", "Hello?").await;
    rig.clock.advance_secs(90);
    let b = rig.psid_says(PSID_B, "m_sup_b", "Anyone there?").await;
    rig.clock.advance_secs(30);
    for id in [&a, &b] {
        assert_eq!(rig.conversation(id).await["state"], "waiting");
    }

    let o = rig.overview(&carl).await;
    assert_eq!(
        ids(&o["queues"], "queue_id"),
        ["general", "billing", "elsewhere"]
    );
    let general = find(&o["queues"], "queue_id", "general");
    assert_eq!(general["name"], "General");
    assert_eq!(general["workstream"], "support");
    assert_eq!(general["waiting"], 2, "{o}");
    assert_eq!(general["longest_wait_seconds"], 120, "{o}");
    assert_eq!(
        general["soonest_window_closes_at"],
        Millis(T0 + 86_400_000).to_rfc3339(),
        "A's window closes first: {o}"
    );
    let billing = find(&o["queues"], "queue_id", "billing");
    assert_eq!(billing["workstream"], "support", "general overflows to it");
    assert_eq!(
        (&billing["waiting"], &billing["longest_wait_seconds"]),
        (&Value::from(0), &Value::from(0))
    );
    assert!(billing["soonest_window_closes_at"].is_null(), "{o}");
    assert!(
        find(&o["queues"], "queue_id", "elsewhere")["workstream"].is_null(),
        "{o}"
    );
    let anna_live = find(&o["agents"], "agent_id", "anna");
    assert_eq!(anna_live["presence"]["status"], "away");
    assert_eq!(anna_live["presence"]["label"], "Lunch");
    assert_eq!(
        (&anna_live["load"], &anna_live["capacity"]),
        (&Value::from(0), &Value::from(2))
    );
    assert_eq!(anna_live["conversations"], serde_json::json!([]));
    assert!(o["generated_at"].is_string());

    // Where A could go: billing (not general, where it waits), and bo
    // first, the only one who can take it now.
    let targets = format!("/agent/v1/conversations/{a}/transfer-targets");
    let (s, t) = rig.http("GET", &targets, &carl, None).await;
    assert_eq!(s, 200, "{t}");
    assert_eq!(ids(&t["queues"], "queue_id"), ["billing"], "{t}");
    assert_eq!(t["queues"][0]["waiting"], 0);
    assert_eq!(t["agents"][0]["agent_id"], "bo", "{t}");
    assert_eq!(t["agents"][0]["available_now"], true);
    assert!(t["agents"][0]["reason"].is_null());
    let anna_t = find(&t["agents"], "agent_id", "anna");
    assert_eq!(anna_t["available_now"], false);
    assert_eq!(anna_t["reason"], "presence is away");
    assert_eq!(anna_t["presence"]["label"], "Lunch");
    assert_eq!(
        find(&t["agents"], "agent_id", "sue")["reason"],
        "presence is offline"
    );
    // An agent who does not hold it cannot look.
    let (s, _) = rig.http("GET", &targets, &bo, None).await;
    assert_eq!(s, 404);

    // Refusals, each clear.
    let assign_a = format!("/admin/v1/conversations/{a}/assign");
    for (body, status, code) in [
        (serde_json::json!({}), 422, "invalid_assignment"),
        (
            serde_json::json!({"agent_id": "bo", "queue_id": "billing"}),
            422,
            "invalid_assignment",
        ),
        (serde_json::json!({"agent_id": "zed"}), 422, "unknown_agent"),
        (
            serde_json::json!({"queue_id": "nowhere"}),
            422,
            "unknown_queue",
        ),
        (serde_json::json!({"queue_id": "general"}), 409, "conflict"),
        (serde_json::json!({"agent_id": "sue"}), 409, "conflict"),
    ] {
        let (s, v) = rig.http("POST", &assign_a, &carl, Some(body.clone())).await;
        assert_eq!((s, v["code"].as_str()), (status, Some(code)), "{body}: {v}");
    }
    let (s, _) = rig
        .http(
            "POST",
            "/admin/v1/conversations/cv_none/assign",
            &carl,
            Some(serde_json::json!({"agent_id": "bo"})),
        )
        .await;
    assert_eq!(s, 404);
    assert_eq!(
        rig.conversation(&a).await["state"],
        "waiting",
        "refusals change nothing"
    );

    // To bo: offered to him, out of general's list, on his.
    let (s, v) = rig
        .http(
            "POST",
            &assign_a,
            &carl,
            Some(serde_json::json!({"agent_id": "bo"})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        (&v["state"], &v["routing"]["agent"]),
        (&Value::from("offered"), &Value::from("bo"))
    );
    let (s, v) = rig
        .http(
            "POST",
            &assign_a,
            &carl,
            Some(serde_json::json!({"agent_id": "bo"})),
        )
        .await;
    assert_eq!(s, 409, "offered to bo already: {v}");
    let o = rig.overview(&carl).await;
    assert_eq!(find(&o["queues"], "queue_id", "general")["waiting"], 1);
    let bo_live = find(&o["agents"], "agent_id", "bo");
    assert_eq!(
        (&bo_live["load"], &bo_live["conversations"]),
        (&Value::from(1), &serde_json::json!([a]))
    );

    // Bo accepts; now he may list the targets: general is open to it again.
    let (s, v) = rig
        .http(
            "POST",
            &format!("/agent/v1/conversations/{a}/accept"),
            &bo,
            None,
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, t) = rig.http("GET", &targets, &bo, None).await;
    assert_eq!(s, 200, "{t}");
    assert_eq!(ids(&t["queues"], "queue_id"), ["general", "billing"], "{t}");
    assert_eq!(find(&t["queues"], "queue_id", "general")["waiting"], 1);
    assert!(
        t["agents"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["agent_id"] != "bo"),
        "not to himself: {t}"
    );
    let (s, _) = rig.http("GET", &targets, &anna, None).await;
    assert_eq!(s, 404);

    // Carl sends it back to general (anna is still away): bo's capacity
    // comes back and the diagnostics say who moved it.
    let (s, v) = rig
        .http(
            "POST",
            &assign_a,
            &carl,
            Some(serde_json::json!({"queue_id": "general"})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["state"], "waiting");
    assert_eq!(v["routing"]["queue"], "general");
    let (_, routing) = rig
        .http(
            "GET",
            &format!("/admin/v1/conversations/{a}/routing"),
            &carl,
            None,
        )
        .await;
    assert!(
        routing["routing"]["decisions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["step"] == "transferred"
                && d["detail"] == "supervisor carl transferred it to queue general"),
        "{routing}"
    );
    let o = rig.overview(&carl).await;
    assert_eq!(find(&o["queues"], "queue_id", "general")["waiting"], 2);
    let bo_live = find(&o["agents"], "agent_id", "bo");
    assert_eq!(
        (&bo_live["load"], &bo_live["conversations"]),
        (&Value::from(0), &serde_json::json!([]))
    );

    // Anna is back: she is offered the waiting work, and B moves to her
    // directly while she has room; then carl closes B.
    let (s, _) = rig
        .http(
            "PUT",
            "/admin/v1/agents/anna/presence",
            &carl,
            Some(serde_json::json!({"status": "available"})),
        )
        .await;
    assert_eq!(s, 200);
    let o = rig.overview(ADMIN).await;
    let anna_live = find(&o["agents"], "agent_id", "anna");
    assert_eq!(anna_live["load"], 2, "{o}");
    let mut held: Vec<String> = serde_json::from_value(anna_live["conversations"].clone()).unwrap();
    held.sort();
    let mut both = vec![a.clone(), b.clone()];
    both.sort();
    assert_eq!(held, both);
    let (s, v) = rig
        .http(
            "POST",
            &format!("/admin/v1/conversations/{b}/assign"),
            ADMIN,
            Some(serde_json::json!({"agent_id": "bo"})),
        )
        .await;
    assert_eq!(
        (s, &v["routing"]["agent"]),
        (200, &Value::from("bo")),
        "{v}"
    );
    let (s, v) = rig
        .http(
            "POST",
            &format!("/admin/v1/conversations/{b}/close"),
            &carl,
            None,
        )
        .await;
    assert_eq!((s, &v["state"]), (200, &Value::from("closed")), "{v}");
    assert_eq!(v["routing"]["reason"], "closed: closed by supervisor carl");
    let (s, v) = rig
        .http(
            "POST",
            &format!("/admin/v1/conversations/{b}/assign"),
            &carl,
            Some(serde_json::json!({"queue_id": "billing"})),
        )
        .await;
    assert_eq!(s, 409, "closed: {v}");
    let (s, v) = rig
        .http(
            "GET",
            &format!("/agent/v1/conversations/{b}/transfer-targets"),
            &carl,
            None,
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("not_transferable")),
        "{v}"
    );
}

async fn survey_results(aws: bool) {
    let rig = rig(aws).await;
    let carl = rig.supervisor_token("carl").await;
    // A conversation routed to general, for an answer stored before
    // answers named their queue.
    let a = rig.psid_says(PSID_A, "m_sur_a", "Hi").await;
    let hour = 3_600_000;
    let answers = [
        (T0 - 24 * hour, "anna", Some("general"), 1),
        (T0 + hour, "anna", Some("general"), 5),
        (T0 + 2 * hour, "anna", Some("billing"), 4),
        (T0 + 3 * hour, "bo", None, 2),
        (T0 + 5 * 24 * hour, "bo", Some("billing"), 1),
    ];
    for (i, (at, agent, queue, score)) in answers.into_iter().enumerate() {
        let answer = SurveyAnswer {
            conversation_id: a.parse().unwrap(),
            workstream: Some("support".parse().unwrap()),
            agent_id: Some(agent.parse().unwrap()),
            queue: queue.map(|q| q.parse().unwrap()),
            score,
            text: None,
            mid: None,
            answered_at: Millis(at),
        };
        let entry = StreamEntry {
            cursor: stream_cursor(Millis(at), &format!("e{i}")),
            data: serde_json::to_value(&answer).unwrap(),
            expires_at: None,
        };
        assert!(
            rig.channels
                .streams
                .append_entry(SURVEYS_STREAM, &entry)
                .await
                .unwrap()
        );
    }
    let from = Millis(T0).to_rfc3339();
    let to = Millis(T0 + 5 * 24 * hour).to_rfc3339();
    let uri = format!("/admin/v1/surveys/summary?from={from}&to={to}");
    let (s, v) = rig.http("GET", &uri, &carl, None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["responses"], 3, "from is inclusive, to exclusive: {v}");
    assert_eq!(
        v["agents"],
        serde_json::json!([
            {"agent_id": "anna", "responses": 2, "average": 4.5},
            {"agent_id": "bo", "responses": 1, "average": 2.0}
        ])
    );
    assert_eq!(
        v["queues"],
        serde_json::json!([
            {"queue_id": "billing", "responses": 1, "average": 4.0},
            {"queue_id": "general", "responses": 2, "average": 3.5}
        ]),
        "bo's answer counts for the queue its conversation was in"
    );
    assert_eq!(v["truncated"], false);
    assert_eq!(
        (&v["from"], &v["to"]),
        (&Value::from(from.clone()), &Value::from(to.clone()))
    );
    // Without a period: the last 30 days, to date (only the last answer).
    rig.clock.advance_secs(31 * 86_400);
    // (Their tokens expired meanwhile.)
    let (carl, anna) = (rig.supervisor_token("carl").await, rig.token("anna").await);
    let (s, v) = rig
        .http("GET", "/admin/v1/surveys/summary", &carl, None)
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["responses"], 1, "{v}");
    assert_eq!(v["agents"][0]["agent_id"], "bo", "{v}");
    assert_eq!(v["to"], rig.clock.now().to_rfc3339());
    // Bad periods, and an agent who is no supervisor.
    for (q, code) in [
        ("from=yesterday", "invalid_time"),
        ("from=1900-01-01T00:00:00Z", "invalid_time"),
        (&format!("from={to}&to={from}") as &str, "invalid_period"),
        ("since=2026-01-01T00:00:00Z", "unknown_parameter"),
    ] {
        let (s, v) = rig
            .http(
                "GET",
                &format!("/admin/v1/surveys/summary?{q}"),
                &carl,
                None,
            )
            .await;
        assert_eq!((s, v["code"].as_str()), (400, Some(code)), "{q}: {v}");
    }
    let (s, _) = rig.http("GET", &uri, &anna, None).await;
    assert_eq!(s, 403);
}

both_stores!(who_may_call_what, watch_and_steer, survey_results);
