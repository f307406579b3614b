//! Follow-up work, on the embedded store and on DynamoDB (moto): a
//! customer message Meta delivers 30 hours late, to a workstream without
//! the HUMAN_AGENT tag, is routed marked follow-up (the admin and agent
//! APIs and the diagnostics say so) and costs its agent no capacity: the
//! agent at capacity 1 is still offered a fresh conversation, and ending
//! the follow-up releases nothing. With the tag on, the same message is
//! ordinary work as before (it takes the capacity), until its 7 days pass.

use switchboard_core::Clock;
use switchboard_tests::agent_rig::*;
use switchboard_tests::*;

type Value = serde_json::Value;

const HOUR: i64 = 3_600_000;

async fn rig(aws: bool, human_agent_tag: bool) -> AgentRig {
    AgentRig::new(
        aws,
        RigSetup::new(serde_json::json!({
            "queues": [{"id": "general", "name": "General"}],
            "agents": [
                {"id": "anna", "name": "Anna", "email": "anna@example.com", "capacity": 1, "queues": ["general"], "presence": "available"}
            ],
            "workstreams": [{"id": "support", "name": "Support", "pages": [PAGE_1], "locale": "en",
                "features": {"human_agent_tag": human_agent_tag},
                "distribution": {"fallback_queue": "general"}}]
        })),
    )
    .await
}

/// Customer `psid` writes a message Meta timestamps `age_ms` ago (the
/// entry arrives now); the conversation as the admin API shows it.
async fn late_message(rig: &AgentRig, psid: &str, mid: &str, age_ms: i64) -> Value {
    let sent = rig.clock.now().0 - age_ms;
    rig.deliver(
        serde_json::json!({"sender": {"id": psid}, "recipient": {"id": PAGE_1},
        "timestamp": sent, "message": {"mid": mid, "text": "Did you get my message?"}}),
    )
    .await;
    let v = rig
        .get_ok(&format!("/admin/v1/conversations?psid={psid}"), ADMIN)
        .await;
    let id = v["conversations"][0]["id"].as_str().unwrap().to_string();
    rig.conversation(&id).await
}

async fn used_capacity(rig: &AgentRig, token: &str) -> u64 {
    let p = rig.get_ok("/agent/v1/presence", token).await;
    p["used_capacity"].as_u64().unwrap_or_else(|| panic!("{p}"))
}

fn steps(conv: &Value) -> Vec<String> {
    conv["routing"]["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["step"].as_str().unwrap().to_string())
        .collect()
}

async fn a_closed_window_is_follow_up_work_at_no_cost(aws: bool) {
    let rig = rig(aws, false).await;
    let anna = rig.token("anna").await;
    let t0 = rig.clock.now().0;

    let late = late_message(&rig, "7700000000000501", "m_fu_late", 30 * HOUR).await;
    let id = late["id"].as_str().unwrap().to_string();
    // Marked: since the 24 hours ended; explained in the diagnostics.
    assert_eq!(
        late["routing"]["follow_up"],
        serde_json::json!({"reason": "window_closed",
            "since": switchboard_core::Millis(t0 - 6 * HOUR).to_rfc3339()}),
        "{late}"
    );
    assert!(steps(&late).contains(&"follow_up".to_string()), "{late}");
    assert_eq!(late["routing"]["capacity"]["units"], 0, "{late}");
    let (_, diag) = rig
        .admin(
            "GET",
            &format!("/admin/v1/conversations/{id}/routing"),
            None,
        )
        .await;
    let why = diag["routing"]["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["step"] == "follow_up")
        .map(|d| d["detail"].as_str().unwrap().to_string())
        .unwrap();
    assert!(
        why.contains("HUMAN_AGENT") && why.contains("no capacity"),
        "{why}"
    );
    // Offered to anna as usual, but she holds no capacity for it.
    assert_eq!(late["state"], "offered", "{late}");
    assert_eq!(late["routing"]["agent"], "anna");
    assert_eq!(late["routing"]["holds_capacity"], false, "{late}");
    assert_eq!(used_capacity(&rig, &anna).await, 0);
    // The agent API marks it too, and the reply window says why.
    let mine = rig
        .get_ok(&format!("/agent/v1/conversations/{id}"), &anna)
        .await;
    assert_eq!(mine["follow_up"]["reason"], "window_closed", "{mine}");
    assert_eq!(mine["reply_window"]["reply"], "closed", "{mine}");
    let (s, v) = rig
        .http(
            "POST",
            &format!("/agent/v1/conversations/{id}/accept"),
            &anna,
            None,
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(used_capacity(&rig, &anna).await, 0);

    // anna (capacity 1) is still offered a fresh conversation, which takes it.
    rig.clock.advance_secs(1);
    let fresh = late_message(&rig, "7700000000000502", "m_fu_fresh", 0).await;
    assert!(fresh["routing"]["follow_up"].is_null(), "{fresh}");
    assert_eq!(fresh["state"], "offered", "{fresh}");
    assert_eq!(fresh["routing"]["agent"], "anna");
    assert_eq!(fresh["routing"]["holds_capacity"], true);
    assert_eq!(used_capacity(&rig, &anna).await, 1);
    let inbox = rig.get_ok("/agent/v1/conversations", &anna).await;
    let marked: Vec<(&str, bool)> = inbox["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["id"].as_str().unwrap(), !c["follow_up"].is_null()))
        .collect();
    assert!(marked.contains(&(id.as_str(), true)), "{inbox}");
    assert!(
        marked.contains(&(fresh["id"].as_str().unwrap(), false)),
        "{inbox}"
    );

    // Ending and closing the follow-up release nothing: the fresh one
    // still holds its unit.
    rig.clock.advance_secs(1);
    for action in ["end", "close"] {
        let (s, v) = rig
            .http(
                "POST",
                &format!("/agent/v1/conversations/{id}/{action}"),
                &anna,
                None,
            )
            .await;
        assert_eq!(s, 200, "{action}: {v}");
        assert_eq!(used_capacity(&rig, &anna).await, 1, "after {action}");
    }
    let fresh_id = fresh["id"].as_str().unwrap();
    let (s, v) = rig
        .http(
            "POST",
            &format!("/agent/v1/conversations/{fresh_id}/decline"),
            &anna,
            None,
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(used_capacity(&rig, &anna).await, 0);
}

async fn with_the_tag_a_late_message_routes_as_before(aws: bool) {
    let rig = rig(aws, true).await;
    let anna = rig.token("anna").await;

    // 30 hours: anna may answer with the HUMAN_AGENT tag, so it is hers,
    // and it takes her one unit.
    let late = late_message(&rig, "7700000000000511", "m_tag_late", 30 * HOUR).await;
    assert!(late["routing"]["follow_up"].is_null(), "{late}");
    assert!(!steps(&late).contains(&"follow_up".to_string()), "{late}");
    assert_eq!(late["state"], "offered", "{late}");
    assert_eq!(late["routing"]["holds_capacity"], true);
    assert_eq!(used_capacity(&rig, &anna).await, 1);
    let mine = rig
        .get_ok(
            &format!("/agent/v1/conversations/{}", late["id"].as_str().unwrap()),
            &anna,
        )
        .await;
    assert!(mine["follow_up"].is_null(), "{mine}");
    assert_eq!(mine["reply_window"]["reply"], "human_agent", "{mine}");

    // So a fresh conversation waits: anna is full.
    rig.clock.advance_secs(1);
    let fresh = late_message(&rig, "7700000000000512", "m_tag_fresh", 0).await;
    assert_eq!(fresh["state"], "waiting", "{fresh}");

    // 8 days: past the tag's 7 days, follow-up work; it waits (anna is
    // full) and is never the queue's soonest closing window.
    rig.clock.advance_secs(1);
    let old = late_message(&rig, "7700000000000513", "m_tag_old", 8 * 24 * HOUR).await;
    assert_eq!(
        old["routing"]["follow_up"]["since"],
        switchboard_core::Millis(rig.clock.now().0 - 24 * HOUR).to_rfc3339(),
        "{old}"
    );
    assert_eq!(old["state"], "waiting", "{old}");
    let overview = rig.overview(ADMIN).await;
    let general = &overview["queues"][0];
    assert_eq!(general["waiting"], 2, "{overview}");
    assert_eq!(
        general["soonest_window_closes_at"], fresh["routing"]["window_closes_at"],
        "{overview}"
    );
    let (_, waiting) = rig
        .admin("GET", "/admin/v1/queues/general/waiting", None)
        .await;
    let flags: Vec<bool> = waiting["waiting"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["follow_up"] == true)
        .collect();
    assert_eq!(flags.iter().filter(|f| **f).count(), 1, "{waiting}");
}

/// The customer of follow-up work writes again: their window is open, the
/// mark goes, and the agent holds its capacity when they have room; when
/// they have none it stays theirs, holding nothing (so releasing nothing).
async fn a_customer_who_writes_again_makes_it_ordinary_work(aws: bool) {
    let rig = rig(aws, false).await;
    let anna = rig.token("anna").await;

    // Room: anna is offered the follow-up at no cost, then it costs one unit.
    let late = late_message(&rig, "7700000000000521", "m_again_1", 30 * HOUR).await;
    let id = late["id"].as_str().unwrap().to_string();
    assert!(late["routing"]["follow_up"].is_object(), "{late}");
    assert_eq!(used_capacity(&rig, &anna).await, 0);
    rig.clock.advance_secs(1);
    let again = late_message(&rig, "7700000000000521", "m_again_2", 0).await;
    assert_eq!(again["id"], late["id"], "{again}");
    assert!(again["routing"]["follow_up"].is_null(), "{again}");
    assert_eq!(again["routing"]["holds_capacity"], true, "{again}");
    assert_eq!(again["routing"]["capacity"]["units"], 1, "{again}");
    assert!(
        steps(&again).contains(&"window_reopened".to_string()),
        "{again}"
    );
    assert_eq!(used_capacity(&rig, &anna).await, 1);
    let mine = rig
        .get_ok(&format!("/agent/v1/conversations/{id}"), &anna)
        .await;
    assert!(mine["follow_up"].is_null(), "{mine}");
    assert_eq!(mine["reply_window"]["reply"], "allowed", "{mine}");
    // Declining it gives the unit back.
    let (s, v) = rig
        .http(
            "POST",
            &format!("/agent/v1/conversations/{id}/decline"),
            &anna,
            None,
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(used_capacity(&rig, &anna).await, 0);

    // No room: a second follow-up goes to anna at no cost, a fresh one
    // fills her; when the follow-up's customer writes again it stays hers
    // holding nothing, and closing it releases nothing.
    rig.clock.advance_secs(1);
    let second = late_message(&rig, "7700000000000522", "m_again_3", 30 * HOUR).await;
    let second_id = second["id"].as_str().unwrap().to_string();
    assert_eq!(second["routing"]["agent"], "anna", "{second}");
    rig.clock.advance_secs(1);
    let fresh = late_message(&rig, "7700000000000523", "m_again_4", 0).await;
    assert_eq!(fresh["routing"]["agent"], "anna", "{fresh}");
    assert_eq!(used_capacity(&rig, &anna).await, 1);
    rig.clock.advance_secs(1);
    let revived = late_message(&rig, "7700000000000522", "m_again_5", 0).await;
    assert_eq!(revived["id"], second_id.as_str());
    assert!(revived["routing"]["follow_up"].is_null(), "{revived}");
    assert_eq!(revived["routing"]["holds_capacity"], false, "{revived}");
    assert_eq!(revived["routing"]["agent"], "anna");
    let why = revived["routing"]["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|d| d["step"] == "window_reopened")
        .map(|d| d["detail"].as_str().unwrap().to_string())
        .unwrap();
    assert!(why.contains("anna has no room"), "{why}");
    assert_eq!(used_capacity(&rig, &anna).await, 1);
    let (s, v) = rig
        .http(
            "POST",
            &format!("/agent/v1/conversations/{second_id}/decline"),
            &anna,
            None,
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(used_capacity(&rig, &anna).await, 1);
}

both_stores!(
    a_closed_window_is_follow_up_work_at_no_cost,
    with_the_tag_a_late_message_routes_as_before,
    a_customer_who_writes_again_makes_it_ordinary_work
);
