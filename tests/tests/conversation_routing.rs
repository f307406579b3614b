//! Meta's Conversation Routing, on the embedded store and on DynamoDB
//! (moto): while another app owns a thread, Meta copies the customer's
//! events to Switchboard in `standby`. They are kept on the timeline and
//! shown as context, but never routed, offered, given to a bot or answered
//! from here.

use switchboard_core::Clock;
use switchboard_tests::agent_rig::*;
use switchboard_tests::*;

async fn standby_events_are_kept_not_routed(aws: bool) {
    let rig = AgentRig::new(
        aws,
        RigSetup::new(serde_json::json!({
            "queues": [{"id": "general", "name": "General"}],
            "agents": [{"id": "anna", "name": "Anna", "email": "anna@example.com",
                        "queues": ["general"], "presence": "available"}],
            "workstreams": [{"id": "support", "name": "Support", "pages": [PAGE_1], "locale": "en",
                "distribution": {"fallback_queue": "general"},
                "automated_messages": [{"trigger": "attachments_not_supported", "text": "No files here."}],
                "features": {"customer_attachments": false}}]
        })),
    )
    .await;
    let now = rig.clock.now().0;
    let psid = "7700000000000601";
    rig.deliver_body(serde_json::json!({"object": "page", "entry": [{"id": PAGE_1, "time": now, "standby": [
        {"sender": {"id": psid}, "recipient": {"id": PAGE_1}, "timestamp": now,
         "message": {"mid": "m_standby_1", "text": "I am talking to the shop's bot"}},
        {"sender": {"id": psid}, "recipient": {"id": PAGE_1}, "timestamp": now + 1,
         "message": {"mid": "m_standby_2", "attachments": [{"type": "image", "payload": {"url": "https://scontent.example/x.jpg"}}]}}
    ]}]}))
    .await;
    let list = rig
        .get_ok(&format!("/admin/v1/conversations?psid={psid}"), ADMIN)
        .await;
    let conv = &list["conversations"][0];
    let id = conv["id"]
        .as_str()
        .unwrap_or_else(|| panic!("kept: {list}"));
    // Kept, with both events, and not routed: no queue, no offer.
    assert_eq!(conv["state"], "waiting", "{conv}");
    assert!(conv["routing"].is_null(), "{conv}");
    let timeline = rig
        .get_ok(&format!("/admin/v1/conversations/{id}/timeline"), ADMIN)
        .await;
    let notes: Vec<&str> = timeline["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["note"].as_str())
        .collect();
    assert!(notes.iter().any(|n| n.contains("standby")), "{timeline}");
    // Nothing was said to the customer (not even the attachments message).
    rig.drain_sender().await;
    assert!(rig.sent().is_empty(), "{:?}", rig.sent());
    let anna = rig.token("anna").await;
    let inbox = rig.get_ok("/agent/v1/conversations", &anna).await;
    assert_eq!(
        inbox["conversations"].as_array().map(Vec::len),
        Some(0),
        "{inbox}"
    );
}

both_stores!(standby_events_are_kept_not_routed);
