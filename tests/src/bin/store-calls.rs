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
    // Average calls for `n` appends of the events `make(i)`.
    async fn per_event(
        store: &switchboard_aws::DynamoStore,
        n: u64,
        make: impl Fn(u64) -> switchboard_core::event::InboundEvent,
    ) -> f64 {
        let before = store.calls();
        for i in 0..n {
            store.append(&make(i), &ids(), Millis(0)).await.unwrap();
        }
        (store.calls() - before) as f64 / n as f64
    }
    let new_conv = per_event(&store, n, |i| {
        event(&format!("77{i:014}"), &format!("m_new_{i}"), 1_000 + i)
    })
    .await;
    let next = |i: u64| event("7700000000000000", &format!("m_next_{i}"), 2_000 + i);
    let existing = per_event(&store, n, next).await;
    let dup = per_event(&store, n, next).await;
    println!("DynamoDB calls per inbound event (counted on the adapter, moto):");
    println!("  text message in an existing conversation: {existing:.2}");
    println!("  message that opens a new conversation:    {new_conv:.2}");
    println!("  redelivered (duplicate) event:            {dup:.2}");
}
