//! Pushing an agent's feed to their live connections: the [`AgentPush`]
//! port (in AWS, API Gateway WebSocket connections through the Management
//! API) and [`PushingStreams`], a [`StreamStore`] that pushes each event
//! appended to an agent's feed once the store has it.
//!
//! The store stays the truth: a push is best effort, after the write, and
//! never fails it (a failure is logged and counted). A client that missed a
//! push catches up from its cursor through the feed (`GET /agent/v1/events`).

use crate::feed;
use crate::ports::{StreamEntry, StreamStore};
use crate::routing::model::AgentId;
use crate::stream_hook::{AfterAppend, HookedStreams};
use async_trait::async_trait;
use std::sync::Arc;

/// Why a push did not reach the agent's connections (logged, never returned
/// to the writer).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct PushError(pub String);

/// What one push did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pushed {
    /// Connections the frame was delivered to.
    pub delivered: usize,
    /// Connections found gone (and forgotten).
    pub gone: usize,
}

/// Delivers one frame to every live connection of an agent.
#[async_trait]
pub trait AgentPush: Send + Sync {
    async fn push(&self, agent: &AgentId, frame: &str) -> Result<Pushed, PushError>;
}

/// The frame a socket carries for one feed entry: the same
/// `{"event": AgentEvent, "cursor": string}` as serve's `/agent/v1/stream`.
pub fn frame(entry: &StreamEntry) -> String {
    serde_json::json!({"event": entry.data, "cursor": entry.cursor}).to_string()
}

/// A [`StreamStore`] whose appends to an agent's feed are pushed to the
/// agent's connections. Other streams (survey answers) are only stored.
pub type PushingStreams = HookedStreams<Pusher>;

impl PushingStreams {
    pub fn new(inner: Arc<dyn StreamStore>, push: Arc<dyn AgentPush>) -> Self {
        HookedStreams::with(inner, Pusher(push))
    }
}

/// Pushes each entry of an agent's feed, counting what it did.
pub struct Pusher(Arc<dyn AgentPush>);

#[async_trait]
impl AfterAppend for Pusher {
    async fn appended(&self, stream: &str, entry: &StreamEntry) {
        let Some(agent) = feed::agent_of(stream) else {
            return;
        };
        match self.0.push(&agent, &frame(entry)).await {
            Ok(p) => {
                for (result, n) in [("delivered", p.delivered), ("gone", p.gone)] {
                    if n > 0 {
                        crate::metrics::count_by("Pushes", result, n as u64);
                    }
                }
            }
            Err(e) => {
                crate::metrics::count_by("Pushes", "failed", 1);
                tracing::warn!(agent_id = %agent, error = %e, "agent event stored but not pushed; the client catches up from its cursor");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::stream_hook::memory::MemoryStreams;
    use crate::time::Millis;
    use std::sync::Mutex;

    /// Records the frames pushed; fails when told to.
    #[derive(Default)]
    struct Recorder {
        frames: Mutex<Vec<(String, String)>>,
        fail: bool,
    }

    #[async_trait]
    impl AgentPush for Recorder {
        async fn push(&self, agent: &AgentId, frame: &str) -> Result<Pushed, PushError> {
            if self.fail {
                return Err(PushError("the endpoint is down".into()));
            }
            self.frames
                .lock()
                .unwrap()
                .push((agent.to_string(), frame.to_string()));
            Ok(Pushed {
                delivered: 1,
                gone: 0,
            })
        }
    }

    fn pushing(fail: bool) -> (PushingStreams, Arc<MemoryStreams>, Arc<Recorder>) {
        let memory = Arc::new(MemoryStreams::default());
        let recorder = Arc::new(Recorder {
            fail,
            ..Default::default()
        });
        (
            PushingStreams::new(memory.clone(), recorder.clone()),
            memory,
            recorder,
        )
    }

    #[tokio::test]
    async fn a_published_event_is_pushed_as_the_sockets_frame() {
        let (streams, _, recorder) = pushing(false);
        let clock = ManualClock::new(Millis(1_700_000_000_000));
        let ann = AgentId::parse("ann").unwrap();
        feed::publish(
            &streams,
            &clock,
            &ann,
            "offer",
            "offer:1".into(),
            None,
            serde_json::json!({"queue_id": "general"}),
        )
        .await;
        let frames = recorder.frames.lock().unwrap().clone();
        assert_eq!(frames.len(), 1);
        assert_eq!(frames[0].0, "ann");
        let f: serde_json::Value = serde_json::from_str(&frames[0].1).unwrap();
        assert_eq!(f["event"]["type"], "offer");
        assert_eq!(f["event"]["id"], "offer:1");
        assert_eq!(f["event"]["data"]["queue_id"], "general");
        assert!(!f["cursor"].as_str().unwrap().is_empty());
        assert_eq!(f["cursor"], f["event"]["cursor"]);
    }

    #[tokio::test]
    async fn only_new_entries_of_agent_feeds_are_pushed() {
        let (streams, _, recorder) = pushing(false);
        let entry = StreamEntry {
            cursor: "c1".into(),
            data: serde_json::json!({"type": "message"}),
            expires_at: None,
        };
        assert!(streams.append_entry("agent:ann", &entry).await.unwrap());
        assert!(!streams.append_entry("agent:ann", &entry).await.unwrap());
        assert!(streams.append_entry("survey:ws1", &entry).await.unwrap());
        assert!(streams.append_entry("agent:", &entry).await.unwrap());
        assert_eq!(recorder.frames.lock().unwrap().len(), 1);
    }

    #[tokio::test]
    async fn a_failed_push_never_fails_the_write() {
        let (streams, memory, _) = pushing(true);
        let entry = StreamEntry {
            cursor: "c1".into(),
            data: serde_json::Value::Null,
            expires_at: None,
        };
        assert!(streams.append_entry("agent:ann", &entry).await.unwrap());
        let stored = memory.read_entries("agent:ann", None, 10).await.unwrap();
        assert_eq!(stored.len(), 1, "the event is stored");
        // A failed write is still the writer's error, and nothing is pushed.
        let (streams, _, recorder) = pushing(false);
        assert!(streams.append_entry("broken", &entry).await.is_err());
        assert!(recorder.frames.lock().unwrap().is_empty());
    }
}
