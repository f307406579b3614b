//! Store calls per inbound event, counted on the DynamoDB adapter against a
//! moto server this program starts: a text message in an existing
//! conversation, a message that opens a conversation, and a redelivery.

use switchboard_core::Millis;
use switchboard_core::ids::AccountId;
use switchboard_core::ingest::split;
use switchboard_core::ports::{ConversationStore, NewIds};
use switchboard_tests::dynamo_store;

fn event(psid: &str, mid: &str, ts: u64) -> switchboard_core::event::InboundEvent {
    let body = format!(
        r#"{{"object":"page","entry":[{{"id":"104857600000001","messaging":[{{"sender":{{"id":"{psid}"}},"recipient":{{"id":"104857600000001"}},"timestamp":{ts},"message":{{"mid":"{mid}","text":"hello"}}}}]}}]}}"#
    );
    split(
        &AccountId::parse("acme").unwrap(),
        body.as_bytes(),
        Millis(0),
    )
    .unwrap()
    .remove(0)
}

fn ids() -> NewIds {
    NewIds {
        contact_id: switchboard_core::ids::ContactId::generate(),
        contact_name: "c".into(),
        conversation_id: switchboard_core::ids::ConversationId::generate(),
    }
}

#[tokio::main]
async fn main() {
    let store = dynamo_store().await;
    let n = 200u64;
    let before = store.calls();
    for i in 0..n {
        store
            .append(
                &event(&format!("77{:014}", i), &format!("m_new_{i}"), 1_000 + i),
                &ids(),
                Millis(0),
            )
            .await
            .unwrap();
    }
    let new_conv = (store.calls() - before) as f64 / n as f64;
    let before = store.calls();
    for i in 0..n {
        store
            .append(
                &event("7700000000000000", &format!("m_next_{i}"), 2_000 + i),
                &ids(),
                Millis(0),
            )
            .await
            .unwrap();
    }
    let existing = (store.calls() - before) as f64 / n as f64;
    let before = store.calls();
    for i in 0..n {
        store
            .append(
                &event("7700000000000000", &format!("m_next_{i}"), 2_000 + i),
                &ids(),
                Millis(0),
            )
            .await
            .unwrap();
    }
    let dup = (store.calls() - before) as f64 / n as f64;
    println!("DynamoDB calls per inbound event (counted on the adapter, moto):");
    println!("  text message in an existing conversation: {existing:.2}");
    println!("  message that opens a new conversation:    {new_conv:.2}");
    println!("  redelivered (duplicate) event:            {dup:.2}");
}
