//! An in-process wake-up for stream readers: [`SignalledStreams`] wraps
//! any [`StreamStore`] (a [`HookedStreams`] with the [`Signals`] hook) and
//! tells the watches of a stream (see
//! [`StreamStore::watch`]) when an entry is appended to it through the
//! wrapper, so an agent's long poll or WebSocket wakes when `feed::publish`
//! writes instead of on its back-off timer. The store stays the truth and
//! readers keep their timer: a write by another process (in AWS several
//! Lambda functions publish) is still found by the next timed read.

use crate::ports::{StreamEntry, StreamStore, StreamWatch};
use crate::stream_hook::{AfterAppend, HookedStreams};
use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::watch;

/// A [`StreamStore`] whose appends wake the readers watching the stream.
pub type SignalledStreams = HookedStreams<Signals>;

impl SignalledStreams {
    pub fn new(inner: Arc<dyn StreamStore>) -> Self {
        HookedStreams::with(inner, Signals::default())
    }
}

/// The watches of each stream.
#[derive(Default)]
pub struct Signals {
    /// One sender per watched stream, its value the count of appends.
    /// A stream's sender goes with its last watch (at the next append).
    watched: Mutex<HashMap<String, watch::Sender<u64>>>,
}

impl Signals {
    fn watched(&self) -> MutexGuard<'_, HashMap<String, watch::Sender<u64>>> {
        self.watched.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn signal(&self, stream: &str) {
        let mut watched = self.watched();
        if let Some(tx) = watched.get(stream) {
            if tx.receiver_count() == 0 {
                watched.remove(stream);
            } else {
                tx.send_modify(|n| *n = n.wrapping_add(1));
            }
        }
    }
}

#[async_trait]
impl AfterAppend for Signals {
    async fn appended(&self, stream: &str, _entry: &StreamEntry) {
        self.signal(stream);
    }

    fn watch(&self, stream: &str) -> Option<StreamWatch> {
        let mut watched = self.watched();
        let tx = watched
            .entry(stream.to_string())
            .or_insert_with(|| watch::channel(0).0);
        Some(StreamWatch::new(tx.subscribe()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::feed;
    use crate::ids::AgentId;
    use crate::stream_hook::memory::MemoryStreams;
    use crate::time::Millis;
    use std::time::Duration;

    /// With time paused, a read that waited for its back-off timer would
    /// find the clock moved by at least `FIRST_PAUSE`; woken by the
    /// publish, it answers at the instant it was published.
    async fn published_during_a_wait(streams: Arc<dyn StreamStore>) -> Duration {
        let clock = Arc::new(ManualClock::new(Millis(1_700_000_000_000)));
        let agent = AgentId::parse("ann").unwrap();
        let reader = tokio::spawn({
            let (streams, clock, agent) = (streams.clone(), clock.clone(), agent.clone());
            async move {
                let started = tokio::time::Instant::now();
                let cursor = feed::cursor_now(clock.as_ref());
                let (events, _) = feed::read(
                    streams.as_ref(),
                    clock.as_ref(),
                    &agent,
                    Some(&cursor),
                    Duration::from_secs(25),
                    Duration::ZERO,
                )
                .await
                .unwrap();
                assert_eq!(events.len(), 1);
                started.elapsed()
            }
        });
        // The reader reads (nothing) and waits.
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        clock.advance_secs(1);
        feed::publish(
            streams.as_ref(),
            clock.as_ref(),
            &agent,
            "offer",
            "offer:1".into(),
            None,
            serde_json::Value::Null,
        )
        .await;
        reader.await.unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn a_publish_wakes_a_waiting_read_at_once() {
        let streams = Arc::new(SignalledStreams::new(Arc::new(MemoryStreams::default())));
        assert_eq!(published_during_a_wait(streams).await, Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn without_the_signal_the_read_finds_it_on_its_timer() {
        let streams = Arc::new(MemoryStreams::default());
        assert!(published_during_a_wait(streams).await >= feed::FIRST_PAUSE);
    }

    #[tokio::test]
    async fn a_stream_nobody_watches_keeps_no_sender() {
        let streams = SignalledStreams::new(Arc::new(MemoryStreams::default()));
        let entry = StreamEntry {
            cursor: "c1".into(),
            data: serde_json::Value::Null,
            expires_at: None,
        };
        drop(streams.watch("agent:ann"));
        assert_eq!(streams.hook().watched().len(), 1);
        streams.append_entry("agent:ann", &entry).await.unwrap();
        assert!(streams.hook().watched().is_empty());
    }
}
