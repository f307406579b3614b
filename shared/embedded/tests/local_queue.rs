//! What only the embedded queue can be asked directly: durability across a
//! reopen, the dedupe window's expiry, and group commit under concurrency.

use std::sync::Arc;
use std::time::Duration;
use switchboard_core::ports::{OutgoingMessage, Queue};
use switchboard_embedded::{LocalQueue, QueueConfig};

fn msg(group: &str, dedup: &str) -> OutgoingMessage {
    OutgoingMessage {
        group: group.into(),
        dedup_id: dedup.into(),
        body: dedup.into(),
    }
}

fn open(dir: &std::path::Path, config: QueueConfig) -> LocalQueue {
    let db = LocalQueue::open_database(dir.join("q.redb")).unwrap();
    LocalQueue::open(db, "inbound", config, None).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_sends_are_all_durable_across_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let q = Arc::new(open(dir.path(), QueueConfig::default()));
        let mut tasks = Vec::new();
        for t in 0..40 {
            let q = q.clone();
            tasks.push(tokio::spawn(async move {
                let batch: Vec<_> = (0..5)
                    .map(|i| msg(&format!("g{t}"), &format!("{t}-{i}")))
                    .collect();
                assert!(q.send_batch(&batch).await.unwrap().is_empty());
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(q.len(), 200);
    }
    let q = open(dir.path(), QueueConfig::default());
    assert_eq!(q.len(), 200, "every acknowledged send survives");
    // Order within each group survived too.
    let bodies = q.peek_bodies().await;
    for t in 0..40 {
        let mine: Vec<&String> = bodies
            .iter()
            .filter(|b| b.starts_with(&format!("{t}-")))
            .collect();
        let want: Vec<String> = (0..5).map(|i| format!("{t}-{i}")).collect();
        assert_eq!(mine, want.iter().collect::<Vec<_>>());
    }
    // Dedupe ids survive a reopen as well.
    assert!(q.send_batch(&[msg("g0", "0-0")]).await.unwrap().is_empty());
    assert_eq!(q.len(), 200);
}

#[tokio::test]
async fn dedupe_window_expires() {
    let dir = tempfile::tempdir().unwrap();
    let config = QueueConfig {
        dedupe_window: Duration::from_millis(200),
        ..QueueConfig::default()
    };
    let q = open(dir.path(), config.clone());
    q.send_batch(&[msg("g", "x")]).await.unwrap();
    q.send_batch(&[msg("g", "x")]).await.unwrap();
    assert_eq!(q.len(), 1, "within the window: deduplicated");
    tokio::time::sleep(Duration::from_millis(300)).await;
    q.send_batch(&[msg("g", "y")]).await.unwrap(); // prunes the expired id
    q.send_batch(&[msg("g", "x")]).await.unwrap();
    assert_eq!(q.len(), 3, "after the window the same id is a new message");
    drop(q);
    // The pruned id is gone from disk too: reopening does not resurrect it.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let q = open(dir.path(), config);
    q.send_batch(&[msg("g", "y")]).await.unwrap();
    assert_eq!(q.len(), 4);
}

#[tokio::test]
async fn a_stale_receipt_does_not_delete_a_redelivered_message() {
    let dir = tempfile::tempdir().unwrap();
    let q = open(dir.path(), QueueConfig::default());
    q.send_batch(&[msg("g", "m")]).await.unwrap();
    let first = q
        .receive(1, Duration::from_millis(100))
        .await
        .unwrap()
        .remove(0);
    q.release(&first.receipt, Duration::ZERO).await.unwrap();
    let second = q
        .receive(1, Duration::from_millis(100))
        .await
        .unwrap()
        .remove(0);
    q.delete(&first.receipt).await.unwrap();
    assert_eq!(q.len(), 1, "the old receipt no longer names the message");
    q.delete(&second.receipt).await.unwrap();
    assert_eq!(q.len(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receive_counts_survive_a_restart_so_a_poison_message_reaches_the_dead_letter_queue() {
    let dir = tempfile::tempdir().unwrap();
    let config = QueueConfig {
        visibility_timeout: Duration::from_millis(1),
        max_receives: 3,
        ..QueueConfig::default()
    };
    let reopen = || {
        let db = LocalQueue::open_database(dir.path().join("q.redb")).unwrap();
        let dlq = LocalQueue::open(db.clone(), "dlq", QueueConfig::default(), None).unwrap();
        let q = LocalQueue::open(db, "inbound", config.clone(), Some(dlq.clone())).unwrap();
        (q, dlq)
    };
    {
        let (q, _) = reopen();
        q.send_batch(&[msg("g", "poison")]).await.unwrap();
    }
    // Each run receives the message once and "crashes" (drops the queue
    // without deleting or releasing it).
    for run in 1..=3u32 {
        let (q, dlq) = reopen();
        let got = q.receive(10, Duration::from_millis(200)).await.unwrap();
        assert_eq!(got.len(), 1, "run {run}");
        assert_eq!(got[0].receive_count, run, "the count carries over restarts");
        assert!(dlq.is_empty());
    }
    let (q, dlq) = reopen();
    let got = q.receive(10, Duration::from_millis(200)).await.unwrap();
    assert!(got.is_empty(), "after 3 receives it is not delivered again");
    assert_eq!(dlq.peek_bodies().await, ["poison"]);
    drop((q, dlq));
    let (q, dlq) = reopen();
    assert!(q.is_empty(), "and it stays moved after a restart");
    assert_eq!(dlq.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_sends_to_one_group_are_received_in_sequence_order() {
    let dir = tempfile::tempdir().unwrap();
    let q = Arc::new(open(dir.path(), QueueConfig::default()));
    let receiver = {
        let q = q.clone();
        tokio::spawn(async move {
            let mut seen: Vec<u64> = Vec::new();
            while seen.len() < 400 {
                for m in q.receive(10, Duration::from_millis(500)).await.unwrap() {
                    let seq: u64 = m.message_id.rsplit('-').next().unwrap().parse().unwrap();
                    seen.push(seq);
                    q.delete(&m.receipt).await.unwrap();
                }
            }
            seen
        })
    };
    let mut senders = Vec::new();
    for t in 0..4 {
        let q = q.clone();
        senders.push(tokio::spawn(async move {
            for i in 0..100 {
                q.send_batch(&[msg("one-group", &format!("{t}-{i}"))])
                    .await
                    .unwrap();
            }
        }));
    }
    for s in senders {
        s.await.unwrap();
    }
    let seen = tokio::time::timeout(Duration::from_secs(60), receiver)
        .await
        .expect("every message is received")
        .unwrap();
    let mut sorted = seen.clone();
    sorted.sort_unstable();
    assert_eq!(
        seen, sorted,
        "one group is received in the order its places were taken"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletes_are_written_with_the_next_write_or_a_flush() {
    let dir = tempfile::tempdir().unwrap();
    let wait = Duration::from_millis(50);
    let receipt = |q: LocalQueue| async move { q.receive(1, wait).await.unwrap().remove(0) };
    {
        let q = open(dir.path(), QueueConfig::default());
        q.send_batch(&[msg("a", "1")]).await.unwrap();
        let m = receipt(q.clone()).await;
        q.delete(&m.receipt).await.unwrap();
        assert!(q.is_empty(), "gone from memory at once");
        // A crash now: the delete was never written.
    }
    {
        let q = open(dir.path(), QueueConfig::default());
        let m = receipt(q.clone()).await;
        assert_eq!(m.body, "1", "delivered once more after the crash");
        q.delete(&m.receipt).await.unwrap();
        // The next send's commit writes the delete with it.
        q.send_batch(&[msg("b", "2")]).await.unwrap();
    }
    {
        let q = open(dir.path(), QueueConfig::default());
        assert_eq!(q.peek_bodies().await, ["2"]);
        let m = receipt(q.clone()).await;
        q.delete(&m.receipt).await.unwrap();
        q.flush().await.unwrap();
    }
    let q = open(dir.path(), QueueConfig::default());
    assert!(q.is_empty(), "a flush wrote the last delete");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_receive_writes_the_held_deletes() {
    let dir = tempfile::tempdir().unwrap();
    {
        let q = open(dir.path(), QueueConfig::default());
        q.send_batch(&[msg("a", "1")]).await.unwrap();
        let m = q
            .receive(1, Duration::from_millis(50))
            .await
            .unwrap()
            .remove(0);
        q.delete(&m.receipt).await.unwrap();
        // Nothing left: this receive waits, and writes the delete first.
        assert!(
            q.receive(1, Duration::from_millis(50))
                .await
                .unwrap()
                .is_empty()
        );
    }
    let q = open(dir.path(), QueueConfig::default());
    assert!(q.is_empty());
}

#[tokio::test]
async fn dedupe_ids_kept_by_id_in_a_directory_from_before_are_moved_into_the_log() {
    use redb::{Database, ReadableDatabase, TableDefinition};
    let dir = tempfile::tempdir().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let legacy = TableDefinition::<&str, u64>::new("dedupe:inbound");
    {
        let db = Database::create(dir.path().join("q.redb")).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut t = txn.open_table(legacy).unwrap();
            t.insert("recent", now - 1_000).unwrap();
            t.insert("old", now - 600_000).unwrap();
        }
        txn.commit().unwrap();
    }
    {
        let q = open(dir.path(), QueueConfig::default());
        q.send_batch(&[msg("g", "recent"), msg("g", "old")])
            .await
            .unwrap();
        assert_eq!(
            q.peek_bodies().await,
            ["old"],
            "the recent id still dedupes"
        );
    }
    // Moved, not copied: the table keyed by id is gone, and the log holds
    // the recent id across another reopen.
    {
        let db = Database::open(dir.path().join("q.redb")).unwrap();
        let txn = db.begin_read().unwrap();
        assert!(txn.open_table(legacy).is_err(), "the old table is gone");
    }
    let q = open(dir.path(), QueueConfig::default());
    q.send_batch(&[msg("g", "recent"), msg("g", "new")])
        .await
        .unwrap();
    assert_eq!(q.peek_bodies().await, ["old", "new"]);
}
