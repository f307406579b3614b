//! Append-once markers in a store written before they were keyed by time:
//! a redelivery of an event such a store marked is still a duplicate.

use redb::{ReadableTable, TableDefinition};
use switchboard_core::Millis;
use switchboard_core::event::InboundEvent;
use switchboard_core::ids::{AccountId, ContactId, ConversationId};
use switchboard_core::ingest::split;
use switchboard_core::ports::{AppendOutcome, ConversationStore, NewIds};
use switchboard_embedded::RedbStore;

const PAGE: &str = "104857600000001";
const PSID: &str = "7700000000000001";
type Markers = TableDefinition<'static, &'static str, &'static str>;
const LEGACY: Markers = TableDefinition::new("markers");
const BY_TIME: Markers = TableDefinition::new("markers_by_time");

fn event(mid: &str, ts: u64) -> InboundEvent {
    let body = format!(
        r#"{{"object":"page","entry":[{{"id":"{PAGE}","messaging":[{{"sender":{{"id":"{PSID}"}},"recipient":{{"id":"{PAGE}"}},"timestamp":{ts},"message":{{"mid":"{mid}","text":"hello"}}}}]}}]}}"#
    );
    split(
        &AccountId::parse("acme").unwrap(),
        body.as_bytes(),
        Millis(0),
    )
    .unwrap()
    .remove(0)
}

async fn append(store: &RedbStore, event: &InboundEvent) -> AppendOutcome {
    let ids = NewIds {
        contact_id: ContactId::generate(),
        contact_name: "c".into(),
        conversation_id: ConversationId::generate(),
    };
    store
        .append(event, &ids, Millis(event.timestamp.0))
        .await
        .unwrap()
}

#[tokio::test]
async fn a_marker_a_store_from_before_wrote_still_makes_a_redelivery_a_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.redb");
    let first = event("m1", 1_000);
    {
        let store = RedbStore::open(&path).unwrap();
        assert!(matches!(
            append(&store, &first).await,
            AppendOutcome::Stored { .. }
        ));
        assert!(matches!(
            append(&store, &first).await,
            AppendOutcome::Duplicate { .. }
        ));
    }
    // As an older version left it: the marker keyed by the dedup id alone.
    {
        let db = redb::Database::create(&path).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut by_time = txn.open_table(BY_TIME).unwrap();
            let rows: Vec<(String, String)> = by_time
                .iter()
                .unwrap()
                .map(|r| {
                    let (k, v) = r.unwrap();
                    (k.value().to_string(), v.value().to_string())
                })
                .collect();
            assert_eq!(rows.len(), 1);
            let mut legacy = txn.open_table(LEGACY).unwrap();
            for (k, v) in &rows {
                by_time.remove(k.as_str()).unwrap();
                legacy
                    .insert(first.dedup_id().as_str(), v.as_str())
                    .unwrap();
            }
        }
        txn.commit().unwrap();
    }
    let store = RedbStore::open(&path).unwrap();
    let AppendOutcome::Duplicate { conversation_id } = append(&store, &first).await else {
        panic!("the redelivery was appended again");
    };
    assert!(conversation_id.is_some(), "it names its conversation");
    assert_eq!(
        store
            .timeline(&conversation_id.unwrap())
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(matches!(
        append(&store, &event("m2", 2_000)).await,
        AppendOutcome::Stored { .. }
    ));
}
