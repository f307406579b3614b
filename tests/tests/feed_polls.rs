//! The agent feed's long poll against the store: reads back off while
//! nothing comes (200 ms doubling to 2 s), and an agent holds at most
//! `feed::MAX_POLLS` polls open: one more answers the oldest early.

use async_trait::async_trait;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use switchboard_core::Millis;
use switchboard_core::clock::{Clock, ManualClock};
use switchboard_core::feed;
use switchboard_core::ports::{StoreResult, StreamEntry, StreamStore};
use switchboard_core::routing::model::AgentId;

const T0: i64 = 1_764_000_000_000;

/// A stream store that counts reads and how many run at once.
struct CountingStreams {
    inner: Arc<dyn StreamStore>,
    reads: AtomicUsize,
}

impl CountingStreams {
    fn new(inner: Arc<dyn StreamStore>) -> Arc<Self> {
        Arc::new(Self {
            inner,
            reads: AtomicUsize::new(0),
        })
    }

    fn reads(&self) -> usize {
        self.reads.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl StreamStore for CountingStreams {
    async fn append_entry(&self, stream: &str, entry: &StreamEntry) -> StoreResult<bool> {
        self.inner.append_entry(stream, entry).await
    }

    async fn replace_entry(&self, stream: &str, entry: &StreamEntry) -> StoreResult<bool> {
        self.inner.replace_entry(stream, entry).await
    }

    async fn read_entries(
        &self,
        stream: &str,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<StreamEntry>> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.inner.read_entries(stream, after, limit).await
    }

    async fn read_live_entries(
        &self,
        stream: &str,
        after: Option<&str>,
        limit: usize,
        now: Millis,
    ) -> StoreResult<Vec<StreamEntry>> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.inner
            .read_live_entries(stream, after, limit, now)
            .await
    }
}

fn agent(name: &str) -> AgentId {
    AgentId::parse(name).unwrap()
}

async fn poll(
    streams: Arc<CountingStreams>,
    clock: Arc<ManualClock>,
    agent: AgentId,
    wait: Duration,
) -> (usize, Duration) {
    let started = Instant::now();
    let (events, _) = feed::read(
        streams.as_ref(),
        clock.as_ref() as &dyn Clock,
        &agent,
        None,
        wait,
        Duration::ZERO,
    )
    .await
    .unwrap();
    (events.len(), started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quiet_ten_second_poll_reads_the_store_a_few_times() {
    let e = switchboard_tests::redb_store();
    let streams = CountingStreams::new(e.store.clone());
    let clock = Arc::new(ManualClock::new(Millis(T0)));
    let (events, took) = poll(
        streams.clone(),
        clock,
        agent("quiet-agent"),
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(events, 0);
    assert!(took >= Duration::from_secs(10), "waited {took:?}");
    // At 0, 0.2, 0.6, 1.4, 3, 5, 7, 9 and 10 s: 9 reads, not 50.
    let reads = streams.reads();
    assert!((8..=10).contains(&reads), "{reads} reads in 10 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_ends_a_backed_off_poll() {
    let e = switchboard_tests::redb_store();
    let streams = CountingStreams::new(e.store.clone());
    let clock = Arc::new(ManualClock::new(Millis(T0)));
    let who = agent("busy-agent");
    let waiting = tokio::spawn(poll(
        streams.clone(),
        clock.clone(),
        who.clone(),
        Duration::from_secs(20),
    ));
    tokio::time::sleep(Duration::from_secs(4)).await;
    let data = serde_json::json!({});
    feed::publish(
        streams.as_ref(),
        clock.as_ref(),
        &who,
        "offer",
        "o1".into(),
        None,
        data,
    )
    .await;
    let (events, took) = waiting.await.unwrap();
    assert_eq!(events, 1);
    assert!(
        took < Duration::from_secs(7),
        "seen within one 2 s pause: {took:?}"
    );
}

/// Start the `n`th concurrent poll of `who`, once the earlier ones are open.
async fn open(
    streams: &Arc<CountingStreams>,
    clock: &Arc<ManualClock>,
    who: &AgentId,
    wait: Duration,
    n: usize,
) -> tokio::task::JoinHandle<(usize, Duration)> {
    let task = tokio::spawn(poll(streams.clone(), clock.clone(), who.clone(), wait));
    let deadline = Instant::now() + Duration::from_secs(5);
    while feed::open_polls(who) < n.min(feed::MAX_POLLS) {
        assert!(Instant::now() < deadline, "poll {n} never opened");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    task
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_third_poll_of_an_agent_answers_the_oldest() {
    let e = switchboard_tests::redb_store();
    let streams = CountingStreams::new(e.store.clone());
    let clock = Arc::new(ManualClock::new(Millis(T0)));
    let who = agent("many-tabs-agent");
    let wait = Duration::from_secs(6);
    let first = open(&streams, &clock, &who, wait, 1).await;
    let second = open(&streams, &clock, &who, wait, 2).await;
    assert_eq!(feed::open_polls(&who), 2);
    let third = open(&streams, &clock, &who, wait, 3).await;
    let (events, took) = first.await.unwrap();
    assert_eq!(events, 0);
    assert!(
        took < Duration::from_secs(3),
        "the oldest is answered early: {took:?}"
    );
    assert_eq!(feed::open_polls(&who), 2, "never more than two open");
    for t in [second, third] {
        let (_, took) = t.await.unwrap();
        assert!(took >= wait, "the newer ones wait their time: {took:?}");
    }
    assert_eq!(feed::open_polls(&who), 0);
    // Another agent's polls are not counted against this one's.
    assert_eq!(feed::open_polls(&agent("someone-else")), 0);
}
