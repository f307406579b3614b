//! The fake Graph API's Conversation Routing, as MESSENGER.md describes
//! Meta's: a thread starts with our app; passing it to another app makes
//! sends fail with 10/2018300 (permanent, with a sentence that says why),
//! as does passing a thread we do not own; taking it back lets sends
//! through; `thread_owner` and `secondary_receivers` answer; and a test can
//! hand a thread to another app from outside the process.

use std::time::Duration;
use switchboard_core::Secret;
use switchboard_core::graph::{ErrorClass, GraphApi};
use switchboard_core::ids::PageId;
use switchboard_graph::HttpGraph;
use switchboard_tests::fake_graph::{FakeGraph, OUR_APP, PAGE_INBOX, SET_OWNER_PATH};

const PAGE: &str = "104857600000001";
const PSID: &str = "7700000000000001";
const TOKEN: &str = "EAAB-page-token-secret";

fn text() -> serde_json::Value {
    serde_json::json!({"recipient": {"id": PSID}, "messaging_type": "RESPONSE", "message": {"text": "Hello"}})
}

async fn call(
    fake: &FakeGraph,
    method: reqwest::Method,
    path: &str,
    body: serde_json::Value,
) -> (u16, serde_json::Value) {
    let r = reqwest::Client::new()
        .request(method, format!("{}/v25.0/{path}", fake.base))
        .bearer_auth(TOKEN)
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or_default())
}

#[tokio::test]
async fn handover_moves_the_thread_and_sends_follow_its_owner() {
    let fake = FakeGraph::start().await;
    let graph = HttpGraph::new(&fake.base, Duration::from_millis(500)).unwrap();
    let page = PageId::parse(PAGE).unwrap();
    let token = Secret::new(TOKEN);
    let owner = |fake: &FakeGraph| fake.thread_owner(PAGE, PSID);
    assert_eq!(owner(&fake), OUR_APP);
    assert!(graph.send_message(&page, &token, &text()).await.is_ok());

    // Pass it to the Page Inbox (the app id as a number, as real bodies have it).
    let (status, body) = call(
        &fake,
        reqwest::Method::POST,
        &format!("{PAGE}/pass_thread_control"),
        serde_json::json!({"recipient": {"id": PSID}, "target_app_id": 263902037430900_u64, "metadata": "to the inbox"}),
    )
    .await;
    assert_eq!((status, body["success"].as_bool()), (200, Some(true)));
    assert_eq!(owner(&fake), PAGE_INBOX);
    let (_, asked) = call(
        &fake,
        reqwest::Method::GET,
        &format!("{PAGE}/thread_owner?recipient={PSID}"),
        serde_json::Value::Null,
    )
    .await;
    assert_eq!(asked["data"][0]["thread_owner"]["app_id"], PAGE_INBOX);

    // Not the owner: a send and a second pass are refused as Meta refuses them.
    let refused = graph
        .send_message(&page, &token, &text())
        .await
        .unwrap_err();
    assert_eq!((refused.code, refused.subcode), (Some(10), Some(2018300)));
    assert_eq!(refused.class(), ErrorClass::Permanent);
    let (status, body) = call(
        &fake,
        reqwest::Method::POST,
        &format!("{PAGE}/pass_thread_control"),
        serde_json::json!({"recipient": {"id": PSID}, "target_app_id": "123"}),
    )
    .await;
    assert_eq!(
        (status, body["error"]["error_subcode"].as_i64()),
        (400, Some(2018300))
    );

    // Take it back: sends go through again. Another customer was never affected.
    let (status, _) = call(
        &fake,
        reqwest::Method::POST,
        &format!("{PAGE}/take_thread_control"),
        serde_json::json!({"recipient": {"id": PSID}}),
    )
    .await;
    assert_eq!(status, 200);
    assert!(graph.send_message(&page, &token, &text()).await.is_ok());
    let (status, _) = call(
        &fake,
        reqwest::Method::POST,
        &format!("{PAGE}/request_thread_control"),
        serde_json::json!({"recipient": {"id": PSID}}),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = call(
        &fake,
        reqwest::Method::POST,
        &format!("{PAGE}/take_thread_control"),
        serde_json::json!({}),
    )
    .await;
    assert_eq!((status, body["error"]["code"].as_i64()), (400, Some(100)));
    let (_, receivers) = call(
        &fake,
        reqwest::Method::GET,
        &format!("{PAGE}/secondary_receivers?fields=id,name"),
        serde_json::Value::Null,
    )
    .await;
    assert_eq!(receivers["data"][0]["id"], PAGE_INBOX);

    // From outside the process: another app takes the thread.
    let r = reqwest::Client::new()
        .post(format!("{}{SET_OWNER_PATH}", fake.base))
        .json(&serde_json::json!({"page_id": PAGE, "psid": PSID, "app_id": "555000000000001"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);
    assert_eq!(owner(&fake), "555000000000001");
    assert!(graph.send_message(&page, &token, &text()).await.is_err());
}
