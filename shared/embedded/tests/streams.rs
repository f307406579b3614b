//! Feed retention on redb: expired stream entries are not read, and a read
//! that finds the stream's oldest entry expired deletes expired entries
//! (a bounded number per read) until none is left.

use switchboard_core::Millis;
use switchboard_core::ports::{StreamEntry, StreamStore, stream_cursor};
use switchboard_embedded::RedbStore;

const T0: i64 = 1_764_000_000_000;

fn entry(t: i64, expires: Option<i64>) -> StreamEntry {
    StreamEntry {
        cursor: stream_cursor(Millis(t), "e"),
        data: serde_json::json!({ "t": t }),
        expires_at: expires.map(Millis),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_entries_are_swept_by_live_reads() {
    let dir = tempfile::tempdir().unwrap();
    let s = RedbStore::open(dir.path().join("store.redb")).unwrap();
    let stream = "agent:retention";
    // 150 entries that expire at T0 + 1000, then two that stay.
    for i in 0..150 {
        s.append_entry(stream, &entry(T0 + i, Some(T0 + 1000)))
            .await
            .unwrap();
    }
    s.append_entry(stream, &entry(T0 + 500, Some(T0 + 10_000)))
        .await
        .unwrap();
    s.append_entry(stream, &entry(T0 + 600, None))
        .await
        .unwrap();
    let stored = || async { s.read_entries(stream, None, 10_000).await.unwrap().len() };
    assert_eq!(stored().await, 152);

    // Before they expire nothing is deleted.
    let live = s
        .read_live_entries(stream, None, 1000, Millis(T0 + 999))
        .await;
    assert_eq!(live.unwrap().len(), 152);
    assert_eq!(stored().await, 152);

    // Once expired they are not read, and each read deletes some of them.
    let now = Millis(T0 + 1000);
    let mut reads = 0;
    while stored().await > 2 {
        let live = s.read_live_entries(stream, None, 1000, now).await.unwrap();
        let ts: Vec<i64> = live.iter().map(|e| e.data["t"].as_i64().unwrap()).collect();
        assert_eq!(ts, [T0 + 500, T0 + 600], "only the live entries");
        reads += 1;
        assert!(
            reads <= 3,
            "150 expired entries take at most 3 reads to delete"
        );
    }
    assert!(
        reads >= 2,
        "a read deletes a bounded number ({reads} reads)"
    );
    let later = s.read_live_entries(stream, None, 1000, Millis(T0 + 20_000));
    assert_eq!(
        later.await.unwrap().len(),
        1,
        "the entry without expiry stays"
    );
    assert_eq!(stored().await, 1);
}
