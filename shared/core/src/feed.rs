//! Agents' event feeds: what concerns an agent (offers, customer messages
//! in their conversations, transfers, closures, receipts, send failures),
//! appended to a stream per agent and read with a cursor (long poll).
//!
//! Publishing is best effort: the conversation's state is the truth (the
//! agent's conversation list always shows it); the feed tells the agent's
//! screen to look. Every event has an `id` that names its cause, so a
//! client can drop the copy a retried write may add. Reads leave out
//! events past their `expires_at` ([`FEED_TTL_MS`] after they were written).

use crate::clock::Clock;
use crate::ids::ConversationId;
use crate::ports::{StoreResult, StreamEntry, StreamStore, stream_cursor};
use crate::routing::model::AgentId;
use crate::time::{self, Millis};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How long an agent's events are kept.
pub const FEED_TTL_MS: i64 = 7 * 24 * 3600 * 1000;
/// Most events one read returns.
pub const FEED_PAGE: usize = 100;
/// Longest long poll.
pub const MAX_WAIT: Duration = Duration::from_secs(25);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentEvent {
    /// Names the cause (the same cause gives the same id).
    pub id: String,
    /// `offer`, `offer_withdrawn`, `assigned`, `message`, `transferred`,
    /// `closed`, `ended`, `delivered`, `read`, `send_failed`, `sent`.
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

/// Events after `after`, waiting up to `wait` for the first one. `settle`
/// holds back events younger than that, so one written a moment late by a
/// concurrent writer (DynamoDB) is not skipped by a cursor already past it.
pub async fn read(
    streams: &dyn StreamStore,
    clock: &dyn Clock,
    agent: &AgentId,
    after: Option<&str>,
    wait: Duration,
    settle: Duration,
) -> StoreResult<(Vec<AgentEvent>, String)> {
    let started = std::time::Instant::now();
    let wait = wait.min(MAX_WAIT);
    loop {
        let entries = streams
            .read_live_entries(&stream(agent), after, FEED_PAGE, clock.now())
            .await?;
        let horizon = stream_cursor(Millis(clock.now().0 - settle.as_millis() as i64), "");
        let events: Vec<AgentEvent> = entries
            .into_iter()
            .filter(|e| settle.is_zero() || e.cursor < horizon)
            .filter_map(|e| {
                let mut ev: AgentEvent = serde_json::from_value(e.data).ok()?;
                ev.cursor = e.cursor;
                Some(ev)
            })
            .collect();
        if !events.is_empty() || started.elapsed() >= wait {
            let cursor = events
                .last()
                .map(|e| e.cursor.clone())
                .or_else(|| after.map(str::to_string))
                .unwrap_or_else(|| horizon.clone());
            return Ok((events, cursor));
        }
        tokio::time::sleep(Duration::from_millis(200).min(wait.saturating_sub(started.elapsed())))
            .await;
    }
}
