//! Agents' event feeds: what concerns an agent (offers, customer messages
//! in their conversations, transfers, closures, receipts, send failures),
//! appended to a stream per agent and read with a cursor (long poll).
//!
//! Publishing is best effort: the conversation's state is the truth (the
//! agent's conversation list always shows it); the feed tells the agent's
//! screen to look. Every event has an `id` that names its cause, so a
//! client can drop the copy a retried write may add.
//!
//! A long poll reads the store at once, then after 200 ms, doubling to at
//! most 2 s between reads (about 15 reads in 25 s, not 125). An agent holds
//! at most [`MAX_POLLS`] long polls open at once (per process): a further
//! poll answers the agent's oldest one early, as if its wait had ended
//! (no events, its cursor), rather than refusing the new one, so a client
//! that reloads or lost a connection the server still holds is never
//! locked out. Reads leave out entries whose `expires_at` has passed.
//! A store that can tell of appends (`crate::stream_signal`, under serve)
//! wakes a waiting read when an event is published, so the back-off
//! timer is only the fallback for writes by other processes.

use crate::clock::Clock;
use crate::ids::ConversationId;
use crate::ports::{StoreResult, StreamEntry, StreamStore, StreamWatch, stream_cursor};
use crate::routing::model::AgentId;
use crate::time::{self, Millis};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

/// How long an agent's events are kept.
pub const FEED_TTL_MS: i64 = 7 * 24 * 3600 * 1000;
/// Most events one read returns.
pub const FEED_PAGE: usize = 100;
/// Longest long poll.
pub const MAX_WAIT: Duration = Duration::from_secs(25);
/// The first pause between reads of a long poll; it doubles up to [`MAX_PAUSE`].
pub const FIRST_PAUSE: Duration = Duration::from_millis(200);
/// The longest pause between reads of a long poll.
pub const MAX_PAUSE: Duration = Duration::from_secs(2);
/// Most long polls one agent holds open at once; one more answers the oldest.
pub const MAX_POLLS: usize = 2;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentEvent {
    /// Names the cause (the same cause gives the same id).
    pub id: String,
    /// `offer`, `offer_withdrawn`, `assigned`, `message`, `transferred`,
    /// `closed`, `ended`, `reclaimed`, `handed_off`, `window_closing`,
    /// `delivered`, `read`, `send_failed`, `sent`.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation_id: Option<ConversationId>,
    #[serde(with = "time::rfc3339")]
    pub at: Millis,
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub data: serde_json::Value,
    /// Where this event is in the feed (pass it as `after`).
    #[serde(default)]
    pub cursor: String,
}

pub fn stream(agent: &AgentId) -> String {
    format!("agent:{agent}")
}

/// The agent whose feed `stream` is (the inverse of [`stream`]).
pub fn agent_of(stream: &str) -> Option<AgentId> {
    AgentId::parse(stream.strip_prefix("agent:")?).ok()
}

/// Add an event to an agent's feed; a failure is logged, not returned.
pub async fn publish(
    streams: &dyn StreamStore,
    clock: &dyn Clock,
    agent: &AgentId,
    kind: &str,
    id: String,
    conversation: Option<&ConversationId>,
    data: serde_json::Value,
) {
    let at = clock.now();
    let cursor = stream_cursor(at, &uuid::Uuid::now_v7().simple().to_string());
    let event = AgentEvent {
        id,
        kind: kind.to_string(),
        conversation_id: conversation.cloned(),
        at,
        data,
        cursor: cursor.clone(),
    };
    let entry = StreamEntry {
        cursor,
        data: serde_json::to_value(&event).unwrap_or_default(),
        expires_at: Some(Millis(at.0 + FEED_TTL_MS)),
    };
    if let Err(e) = streams.append_entry(&stream(agent), &entry).await {
        tracing::warn!(agent_id = %agent, kind, error = %e, "agent event not published; the conversation list still shows it");
    }
}

/// The cursor of "now": events after it are the ones still to come.
pub fn cursor_now(clock: &dyn Clock) -> String {
    stream_cursor(clock.now(), "")
}

/// The long polls open in this process, per agent, oldest first.
#[derive(Default)]
struct Polls {
    next: u64,
    open: HashMap<String, Vec<(u64, Arc<Notify>)>>,
}

static POLLS: LazyLock<Mutex<Polls>> = LazyLock::new(|| Mutex::new(Polls::default()));

fn polls() -> std::sync::MutexGuard<'static, Polls> {
    POLLS.lock().unwrap_or_else(|p| p.into_inner())
}

/// One open long poll of an agent; closing it (drop) frees its place.
pub struct PollSlot {
    agent: String,
    id: u64,
    /// Told when a newer poll of the same agent takes this one's place.
    evicted: Arc<Notify>,
}

/// Open a long poll for `agent`, answering its oldest ones early when it
/// already holds [`MAX_POLLS`].
pub fn open_poll(agent: &AgentId) -> PollSlot {
    let mut p = polls();
    p.next += 1;
    let id = p.next;
    let evicted = Arc::new(Notify::new());
    let open = p.open.entry(agent.to_string()).or_default();
    while open.len() >= MAX_POLLS {
        let (_, oldest) = open.remove(0);
        oldest.notify_one();
    }
    open.push((id, evicted.clone()));
    PollSlot {
        agent: agent.to_string(),
        id,
        evicted,
    }
}

/// How many long polls `agent` holds open in this process.
pub fn open_polls(agent: &AgentId) -> usize {
    polls().open.get(agent.as_str()).map_or(0, Vec::len)
}

impl Drop for PollSlot {
    fn drop(&mut self) {
        let mut p = polls();
        if let Some(open) = p.open.get_mut(&self.agent) {
            open.retain(|(id, _)| *id != self.id);
            if open.is_empty() {
                p.open.remove(&self.agent);
            }
        }
    }
}

/// What ended a pause between reads.
enum Wake {
    /// The pause ran out.
    Timer,
    /// An entry was appended to the agent's stream in this process.
    Appended,
    /// A newer poll took this one's place.
    Evicted,
}

/// Sleep for `pause`, or less if `watch` sees an append or `slot` is evicted.
async fn pause(slot: Option<&PollSlot>, watch: Option<&mut StreamWatch>, pause: Duration) -> Wake {
    let evicted = async {
        match slot {
            Some(s) => s.evicted.notified().await,
            None => std::future::pending().await,
        }
    };
    let appended = async {
        match watch {
            Some(w) => w.changed().await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        () = tokio::time::sleep(pause) => Wake::Timer,
        () = evicted => Wake::Evicted,
        () = appended => Wake::Appended,
    }
}

/// The settle horizon at `clock`'s now: a read returns only events before
/// it (all of them when `settle` is zero). A reader that starts with no
/// cursor and wants only what is still to come starts from here.
pub fn horizon(clock: &dyn Clock, settle: Duration) -> String {
    stream_cursor(Millis(clock.now().0 - settle.as_millis() as i64), "")
}

/// One read: the live events after `after` older than the settle horizon,
/// and that horizon.
async fn read_once(
    streams: &dyn StreamStore,
    clock: &dyn Clock,
    agent: &AgentId,
    after: Option<&str>,
    settle: Duration,
) -> StoreResult<(Vec<AgentEvent>, String)> {
    let now = clock.now();
    let entries = streams
        .read_live_entries(&stream(agent), after, FEED_PAGE, now)
        .await?;
    let horizon = stream_cursor(Millis(now.0 - settle.as_millis() as i64), "");
    let events = entries
        .into_iter()
        .filter(|e| settle.is_zero() || e.cursor < horizon)
        .filter_map(|e| {
            let mut ev: AgentEvent = serde_json::from_value(e.data).ok()?;
            ev.cursor = e.cursor;
            Some(ev)
        })
        .collect();
    Ok((events, horizon))
}

/// The answer: the events and the cursor to continue from.
fn answer(
    events: Vec<AgentEvent>,
    after: Option<&str>,
    horizon: String,
) -> (Vec<AgentEvent>, String) {
    let cursor = events
        .last()
        .map(|e| e.cursor.clone())
        .or_else(|| after.map(str::to_string))
        .unwrap_or(horizon);
    (events, cursor)
}

/// Events after `after`, waiting up to `wait` for the first one (reads
/// back off from [`FIRST_PAUSE`] to [`MAX_PAUSE`], and a store with a
/// [`StreamStore::watch`] wakes the wait when an event is published; see
/// [`MAX_POLLS`]). `settle` holds back events younger than that, so one
/// written a moment late by a concurrent writer (DynamoDB) is not skipped
/// by a cursor already past it.
pub async fn read(
    streams: &dyn StreamStore,
    clock: &dyn Clock,
    agent: &AgentId,
    after: Option<&str>,
    wait: Duration,
    settle: Duration,
) -> StoreResult<(Vec<AgentEvent>, String)> {
    let wait = wait.min(MAX_WAIT);
    let slot = (!wait.is_zero()).then(|| open_poll(agent));
    wait_for_events(streams, clock, agent, after, wait, settle, slot.as_ref()).await
}

/// Like [`read`] (the same waiting, the same `settle`), for a reader that
/// is not a long poll and so takes no place among an agent's
/// [`MAX_POLLS`] (a WebSocket, which has its own cap).
pub async fn follow(
    streams: &dyn StreamStore,
    clock: &dyn Clock,
    agent: &AgentId,
    after: Option<&str>,
    wait: Duration,
    settle: Duration,
) -> StoreResult<(Vec<AgentEvent>, String)> {
    wait_for_events(
        streams,
        clock,
        agent,
        after,
        wait.min(MAX_WAIT),
        settle,
        None,
    )
    .await
}

async fn wait_for_events(
    streams: &dyn StreamStore,
    clock: &dyn Clock,
    agent: &AgentId,
    after: Option<&str>,
    wait: Duration,
    settle: Duration,
    slot: Option<&PollSlot>,
) -> StoreResult<(Vec<AgentEvent>, String)> {
    let started = tokio::time::Instant::now();
    // Made before the first read, so no append after that read is missed.
    let mut watch = if wait.is_zero() {
        None
    } else {
        streams.watch(&stream(agent))
    };
    let mut next = FIRST_PAUSE;
    loop {
        let (events, horizon) = read_once(streams, clock, agent, after, settle).await?;
        let left = wait.saturating_sub(started.elapsed());
        if !events.is_empty() || left.is_zero() {
            return Ok(answer(events, after, horizon));
        }
        match pause(slot, watch.as_mut(), next.min(left)).await {
            Wake::Timer => next = (next * 2).min(MAX_PAUSE),
            // What was just published is held back for `settle`: read
            // again once it is past the horizon.
            Wake::Appended if !settle.is_zero() => {
                let settled = (settle + Duration::from_millis(1)).min(left);
                if let Wake::Evicted = pause(slot, None, settled).await {
                    return Ok(answer(Vec::new(), after, horizon));
                }
            }
            Wake::Appended => {}
            Wake::Evicted => return Ok(answer(Vec::new(), after, horizon)),
        }
    }
}
