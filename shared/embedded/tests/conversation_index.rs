//! The customer index of conversations: a page-and-PSID list reads it, and
//! a store written before it existed is indexed when it opens.

use switchboard_core::Millis;
use switchboard_core::ids::{AccountId, ContactId, ConversationId, PageId, Psid};
use switchboard_core::ingest::split;
use switchboard_core::ports::{ConversationFilter, ConversationStore, NewIds};
use switchboard_embedded::RedbStore;

const PAGE: &str = "104857600000001";

async fn append(store: &RedbStore, psid: &str, mid: &str, ts: u64) {
    let body = format!(
        r#"{{"object":"page","entry":[{{"id":"{PAGE}","messaging":[{{"sender":{{"id":"{psid}"}},"recipient":{{"id":"{PAGE}"}},"timestamp":{ts},"message":{{"mid":"{mid}","text":"hello"}}}}]}}]}}"#
    );
    let event = split(
        &AccountId::parse("acme").unwrap(),
        body.as_bytes(),
        Millis(0),
    )
    .unwrap()
    .remove(0);
    let ids = NewIds {
        contact_id: ContactId::generate(),
        contact_name: "c".into(),
        conversation_id: ConversationId::generate(),
    };
    store.append(&event, &ids, Millis(ts as i64)).await.unwrap();
}

async fn of_customer(store: &RedbStore, psid: &str) -> Vec<String> {
    let list = store
        .list_conversations(&ConversationFilter {
            page_id: Some(PageId::parse(PAGE).unwrap()),
            psid: Some(Psid::parse(psid).unwrap()),
            ..Default::default()
        })
        .await
        .unwrap();
    list.into_iter().map(|c| c.psid.to_string()).collect()
}

#[tokio::test]
async fn a_store_from_before_the_customer_index_is_indexed_when_it_opens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.redb");
    {
        let store = RedbStore::open(&path).unwrap();
        for (i, psid) in ["7700000000000001", "7700000000000002"].iter().enumerate() {
            append(&store, psid, &format!("m{i}"), 1_000 + i as u64).await;
        }
        assert_eq!(
            of_customer(&store, "7700000000000002").await,
            ["7700000000000002"]
        );
    }
    // As an older version left it: no customer index.
    {
        let db = redb::Database::create(&path).unwrap();
        let txn = db.begin_write().unwrap();
        let table: redb::TableDefinition<&str, &str> = redb::TableDefinition::new("customer_convs");
        assert!(txn.delete_table(table).unwrap(), "the index was there");
        txn.commit().unwrap();
    }
    let store = RedbStore::open(&path).unwrap();
    assert_eq!(
        of_customer(&store, "7700000000000001").await,
        ["7700000000000001"]
    );
    assert_eq!(
        of_customer(&store, "7700000000000002").await,
        ["7700000000000002"]
    );
    assert!(of_customer(&store, "7700000000000003").await.is_empty());
}
