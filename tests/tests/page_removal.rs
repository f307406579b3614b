//! Removing a page closes its open conversations in every state (waiting,
//! offered, held by an agent), gives the agents their capacity back, and
//! keeps the transcripts; on the embedded store and on DynamoDB (moto).

use switchboard_tests::agent_rig::*;
use switchboard_tests::*;

const PSID_A: &str = "7700000000000991";
const PSID_B: &str = "7700000000000992";
const PSID_C: &str = "7700000000000993";

async fn removing_a_page_closes_conversations_in_every_open_state(aws: bool) {
    let rig = AgentRig::new(
        aws,
        RigSetup::new(serde_json::json!({
            "queues": [{"id": "general", "name": "General", "priority": 1}],
            "agents": [
                {"id": "anna", "name": "Anna", "email": "anna@example.com", "capacity": 2, "queues": ["general"], "presence": "available"}
            ],
            "workstreams": [{"id": "support", "name": "Support", "pages": [PAGE_1], "locale": "en",
                "distribution": {"fallback_queue": "general"}}]
        })),
    )
    .await;
    let anna = rig.token("anna").await;
    let held = rig.psid_says(PSID_A, "m_rm_a", "Hello").await;
    let (status, _) = rig
        .http(
            "POST",
            &format!("/agent/v1/conversations/{held}/accept"),
            &anna,
            None,
        )
        .await;
    assert_eq!(status, 200);
    let offered = rig.psid_says(PSID_B, "m_rm_b", "Hi there").await;
    let waiting = rig.psid_says(PSID_C, "m_rm_c", "Anyone?").await;
    let mut states = Vec::new();
    for id in [&held, &offered, &waiting] {
        states.push(state(&rig, id).await);
    }
    assert_eq!(states, ["assigned", "offered", "waiting"]);

    let (status, removed) = rig
        .admin(
            "DELETE",
            &format!("/admin/v1/accounts/{ACCOUNT}/pages/{PAGE_1}"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{removed}");
    assert!(
        removed["provisioning"]["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("3 open conversation(s) closed"),
        "{removed}"
    );
    for id in [&held, &offered, &waiting] {
        let c = rig.conversation(id).await;
        assert_eq!(c["state"], "closed", "{c}");
        let timeline = rig
            .get_ok(&format!("/admin/v1/conversations/{id}/timeline"), ADMIN)
            .await;
        assert!(
            timeline["events"].as_array().is_some_and(|e| e.len() >= 2),
            "the customer's message and the closing note are kept: {timeline}"
        );
    }
    let overview = rig.overview(ADMIN).await;
    let anna_row = overview["agents"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["agent_id"] == "anna"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(anna_row["load"], 0, "capacity given back: {overview}");
}

async fn state(rig: &AgentRig, id: &str) -> String {
    rig.conversation(id).await["state"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

both_stores!(removing_a_page_closes_conversations_in_every_open_state);
