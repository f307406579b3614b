//! Append-once markers: a redelivery of an event a store from before
//! marked (by dedup id alone) is still a duplicate, and markers are kept
//! for their lifetime from when they were written, then removed.

use redb::{ReadableDatabase, ReadableTable, TableDefinition};
use switchboard_core::Millis;
use switchboard_core::event::InboundEvent;
use switchboard_core::ids::{AccountId, ContactId, ConversationId};
use switchboard_core::ingest::split;
use switchboard_core::ports::{AppendOutcome, ConversationStore, MARKER_LIFETIME_SECS, NewIds};
use switchboard_embedded::RedbStore;

const PAGE: &str = "104857600000001";
const PSID: &str = "7700000000000001";
type Markers = TableDefinition<'static, &'static str, &'static str>;
const LEGACY: Markers = TableDefinition::new("markers");
const BY_TIME: Markers = TableDefinition::new("markers_by_time");

fn event(mid: &str, ts: u64) -> InboundEvent {
    received(mid, &format!(r#""timestamp":{ts},"#), 0)
}

/// Event `mid` as it arrives at `at`, `ts` its timestamp field (or none).
fn received(mid: &str, ts: &str, at: i64) -> InboundEvent {
    let body = format!(
        r#"{{"object":"page","entry":[{{"id":"{PAGE}","messaging":[{{"sender":{{"id":"{PSID}"}},"recipient":{{"id":"{PAGE}"}},{ts}"message":{{"mid":"{mid}","text":"hello"}}}}]}}]}}"#
    );
    split(
        &AccountId::parse("acme").unwrap(),
        body.as_bytes(),
        Millis(at),
    )
    .unwrap()
    .remove(0)
}

async fn append(store: &RedbStore, event: &InboundEvent) -> AppendOutcome {
    append_at(store, event, Millis(event.timestamp.0)).await
}

async fn append_at(store: &RedbStore, event: &InboundEvent, now: Millis) -> AppendOutcome {
    let ids = NewIds {
        contact_id: ContactId::generate(),
        contact_name: "c".into(),
        conversation_id: ConversationId::generate(),
    };
    store.append(event, &ids, now).await.unwrap()
}

fn stored(outcome: AppendOutcome) -> bool {
    matches!(outcome, AppendOutcome::Stored { .. })
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
    drop(store);
    {
        let db = redb::Database::create(&path).unwrap();
        let txn = db.begin_read().unwrap();
        assert!(
            txn.open_table(LEGACY).is_err(),
            "moved, and the table dropped"
        );
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
    // The moved marker's lifetime counts from the open that moved it.
    let later = Millis(
        i64::try_from(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis(),
        )
        .unwrap()
            + MARKER_LIFETIME_SECS * 1000
            + 60_000,
    );
    for mid in ["m3", "m4", "m5"] {
        assert!(stored(append_at(&store, &event(mid, 3_000), later).await));
    }
    assert!(
        stored(append_at(&store, &first, later).await),
        "past its lifetime the moved marker is gone too"
    );
}

#[tokio::test]
async fn a_marker_is_kept_for_its_lifetime_from_when_it_was_written_then_removed() {
    let dir = tempfile::tempdir().unwrap();
    let store = RedbStore::open(dir.path().join("store.redb")).unwrap();
    let lifetime = MARKER_LIFETIME_SECS * 1000;
    let t0: i64 = 1_800_000_000_000;
    let at = |ms: i64| ms as u64;
    // An event from long ago, marked a little after A: its lifetime counts
    // from when it was written, and it holds back no other marker's end.
    let a = event("a", at(t0));
    assert!(stored(append(&store, &a).await));
    let old = event("old", 1_000);
    assert!(stored(append_at(&store, &old, Millis(t0 + 1_000)).await));
    // Just inside A's lifetime, another append removes nothing of it.
    let b = event("b", at(t0 + lifetime - 1_000));
    assert!(stored(append(&store, &b).await));
    assert!(
        !stored(append_at(&store, &a, Millis(t0 + lifetime - 1_000)).await),
        "within its lifetime a redelivery is a duplicate"
    );
    // Past A's lifetime the next append removes A's marker, and only it.
    let c = event("c", at(t0 + lifetime + 500));
    assert!(stored(append(&store, &c).await));
    assert!(
        stored(append_at(&store, &a, Millis(t0 + lifetime + 600)).await),
        "past its lifetime A's marker is gone: a delivery is appended again"
    );
    for (e, name) in [(&old, "the old event marked later"), (&b, "b"), (&c, "c")] {
        assert!(
            !stored(append_at(&store, e, Millis(t0 + lifetime + 700)).await),
            "{name} is still marked"
        );
    }
    // And the old event's marker goes when its own lifetime is out.
    let d = event("d", at(t0 + lifetime + 2_000));
    assert!(stored(append(&store, &d).await));
    assert!(stored(
        append_at(&store, &old, Millis(t0 + lifetime + 2_100)).await
    ));
}

#[tokio::test]
async fn an_event_without_a_time_of_its_own_is_a_duplicate_when_it_arrives_again_later() {
    let dir = tempfile::tempdir().unwrap();
    let store = RedbStore::open(dir.path().join("store.redb")).unwrap();
    let now = Millis(1_800_000_000_000);
    // No timestamp and no entry time: the event's time is its arrival.
    let first = received("untimed", "", 1_800_000_000_000);
    let again = received("untimed", "", 1_800_000_060_000);
    assert_ne!(first.timestamp, again.timestamp);
    assert!(stored(append_at(&store, &first, now).await));
    assert!(
        !stored(append_at(&store, &again, now).await),
        "the redelivery, a minute later, is a duplicate"
    );
    // Meta's time matching the first arrival by chance, not the second's.
    let ts = r#""timestamp":1800000000000,"#;
    let first = received("by-chance", ts, 1_800_000_000_000);
    let again = received("by-chance", ts, 1_800_000_060_000);
    assert_eq!(first.timestamp, again.timestamp);
    assert!(stored(append_at(&store, &first, now).await));
    assert!(!stored(append_at(&store, &again, now).await));
    // And the other way: the redelivery's arrival matching Meta's time.
    let ts = r#""timestamp":1800000120000,"#;
    let first = received("by-chance-again", ts, 1_800_000_000_000);
    let again = received("by-chance-again", ts, 1_800_000_120_000);
    assert!(stored(append_at(&store, &first, now).await));
    assert!(!stored(append_at(&store, &again, now).await));
}
