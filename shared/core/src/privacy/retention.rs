//! How long a workstream keeps what customers said: `retention:
//! {transcripts_days, raw_payload_days}`, counted from a conversation's
//! close.
//!
//! When a conversation closes, the same routing write sets a timer for
//! each limit ([`timers_on_close`]); the scheduler's due-timer pass (in AWS
//! and under serve alike, an index read, never a scan) then erases in
//! place as [`super::erasure`] does ([`expire`]): past `transcripts_days`
//! the conversation's words, payloads, outbound contents, notes and survey
//! comments; past `raw_payload_days` only Meta's raw payloads (the
//! transcript stays). Counts, times, states and queues stay, as with any
//! erasure. A conversation closed before the limit was set keeps no timer
//! and is not expired; deleting a page or account never erases anything.

use crate::ids::ConversationId;
use crate::ports::{ConversationState, RoutingOp};
use crate::problem::{Problem, Status};
use crate::routing::RoutingDeps;
use crate::routing::record::{Timer, TimerKind};
use crate::time::Millis;
use serde::{Deserialize, Serialize};

/// The longest limit: ten years.
pub const MAX_DAYS: u32 = 3650;
const DAY_MS: i64 = 24 * 3600 * 1000;

/// A workstream's limits (none: kept until erased).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retention {
    /// Days after the close the transcript is erased (leave it out to keep
    /// it; `null` is refused).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::serde_rules::present"
    )]
    pub transcripts_days: Option<u32>,
    /// Days after the close Meta's raw payloads are erased.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::serde_rules::present"
    )]
    pub raw_payload_days: Option<u32>,
}

impl Retention {
    pub fn is_empty(&self) -> bool {
        self.transcripts_days.is_none() && self.raw_payload_days.is_none()
    }

    /// `422 invalid_retention` for a limit outside 1 to [`MAX_DAYS`].
    pub fn check(&self) -> Result<(), Problem> {
        for (name, days) in [
            ("transcripts_days", self.transcripts_days),
            ("raw_payload_days", self.raw_payload_days),
        ] {
            if days.is_some_and(|d| d == 0 || d > MAX_DAYS) {
                return Err(Problem::new(
                    Status::UNPROCESSABLE_ENTITY,
                    "invalid_retention",
                    "Invalid retention",
                    format!(
                        "retention.{name} is 1 to {MAX_DAYS} days (leave it out to keep for ever)"
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The timers for a conversation closed at `at`. Raw payloads need no
    /// timer of their own when the transcript goes as soon or sooner.
    pub fn timers(&self, id: &ConversationId, at: Millis) -> Vec<Timer> {
        let due = |days: u32| Millis(at.0 + i64::from(days) * DAY_MS);
        let mut out = Vec::new();
        if let Some(t) = self.transcripts_days {
            out.push(Timer {
                kind: TimerKind::TranscriptRetention,
                due: due(t),
                conversation_id: id.clone(),
            });
        }
        if let Some(r) = self.raw_payload_days
            && self.transcripts_days.is_none_or(|t| r < t)
        {
            out.push(Timer {
                kind: TimerKind::RawPayloadRetention,
                due: due(r),
                conversation_id: id.clone(),
            });
        }
        out
    }
}

/// The retention timers a routing write that closes conversations adds,
/// from their workstreams' limits.
pub async fn timers_on_close(
    deps: &RoutingDeps,
    ops: &[RoutingOp],
) -> crate::ports::StoreResult<Vec<RoutingOp>> {
    let mut out = Vec::new();
    for op in ops {
        let RoutingOp::Conversation {
            id,
            state: ConversationState::Closed,
            routing,
            at,
            ..
        } = op
        else {
            continue;
        };
        let Some(ws) = &routing.workstream else {
            continue;
        };
        let Some(ws) = deps.workstreams.get_workstream(ws).await? else {
            continue;
        };
        out.extend(
            ws.retention
                .timers(id, *at)
                .into_iter()
                .map(RoutingOp::PutTimer),
        );
    }
    Ok(out)
}

/// A due retention timer: erase what its limit covers, then drop it. The
/// limit is read again: one removed since (a legal hold) erases nothing,
/// one raised sets the timer later. Answers whether anything was erased.
pub async fn expire(deps: &RoutingDeps, t: &Timer) -> Result<bool, Problem> {
    let now = deps.clock.now();
    let mut later = None;
    let mut erased = 0;
    if let Some(conv) = deps
        .conversations
        .get_conversation(&t.conversation_id)
        .await?
        && !conv.state.is_open()
    {
        let limits = match conv.routing.as_ref().and_then(|r| r.workstream.as_ref()) {
            Some(ws) => deps
                .workstreams
                .get_workstream(ws)
                .await?
                .map(|w| w.retention),
            None => None,
        }
        .unwrap_or_default();
        let closed = conv.closed_at.unwrap_or(conv.updated_at);
        let due = limits
            .timers(&conv.id, closed)
            .into_iter()
            .find(|x| x.kind == t.kind)
            .map(|x| x.due);
        match due {
            Some(due) if due > now => later = Some(Timer { due, ..t.clone() }),
            Some(_) => {
                erased = match t.kind {
                    TimerKind::TranscriptRetention => {
                        super::erasure::erase_transcript(deps, &conv, now).await?
                    }
                    TimerKind::RawPayloadRetention => {
                        super::erasure::erase_raw(deps, &conv).await?
                    }
                    _ => 0,
                }
            }
            // No such limit any more: nothing goes.
            None => {}
        }
    }
    let mut ops = vec![RoutingOp::DeleteTimer(t.clone())];
    ops.extend(later.map(RoutingOp::PutTimer));
    deps.routing.apply(&ops).await?;
    if erased > 0 {
        tracing::info!(conversation_id = %t.conversation_id, kind = t.kind.as_str(), records = erased, "retention limit reached: erased");
        crate::metrics::count("RetentionErased", erased as u64);
    }
    Ok(erased > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_limit_is_a_number_or_left_out_never_null() {
        assert!(serde_json::from_str::<Retention>(r#"{"raw_payload_days":null}"#).is_err());
        assert_eq!(
            serde_json::from_str::<Retention>("{}").unwrap(),
            Retention::default()
        );
    }

    #[test]
    fn limits_are_checked_and_timers_follow_them() {
        assert!(
            Retention {
                transcripts_days: Some(0),
                ..Default::default()
            }
            .check()
            .is_err()
        );
        assert!(
            Retention {
                raw_payload_days: Some(MAX_DAYS + 1),
                ..Default::default()
            }
            .check()
            .is_err()
        );
        let r = Retention {
            transcripts_days: Some(30),
            raw_payload_days: Some(7),
        };
        assert!(r.check().is_ok());
        let id = ConversationId::parse("cv_1").unwrap();
        let t = r.timers(&id, Millis(0));
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].due, Millis(30 * DAY_MS));
        assert_eq!(t[1].due, Millis(7 * DAY_MS));
        let later_raw = Retention {
            transcripts_days: Some(7),
            raw_payload_days: Some(30),
        };
        assert_eq!(
            later_raw.timers(&id, Millis(0)).len(),
            1,
            "the transcript takes the raw payloads with it"
        );
        assert!(Retention::default().timers(&id, Millis(0)).is_empty());
    }
}
