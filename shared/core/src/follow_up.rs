//! Follow-up work: a conversation whose messaging window had already
//! closed when routing placed it (the customer's message reached us late)
//! and that no agent may answer with the HUMAN_AGENT tag. It is routed as
//! usual but marked, and costs no capacity: an agent cannot answer it in
//! Messenger, so it must not take the slot of work they can answer. A
//! supervisor decides what becomes of it (another channel, a note, close).
//! When the customer writes again the window is open and it becomes
//! ordinary work (`routing::engine::window_reopened`). The rule is
//! [`follow_up`]; routing and the APIs only read its answer.
//!
//! Why offered rather than parked for a supervisor: someone must still
//! read what the customer wrote (and may reach them another way, or keep
//! a note for when they write again), an offer costs nothing now, and
//! parking it would need a supervisor-only queue state that every flow
//! (transfer, reassign, overflow, auto-close) would have to know. The mark
//! is on every list a supervisor reads (conversations, the agent's inbox
//! they can open, the diagnostics), and a supervisor can reassign or close
//! it as any other conversation.

use crate::ports::Conversation;
use crate::send_policy;
use crate::time::{self, Millis};
use crate::workstreams::Workstream;
use serde::{Deserialize, Serialize};

/// Why a conversation is follow-up work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FollowUpReason {
    /// The messaging window had closed (24 hours without the HUMAN_AGENT
    /// tag, 7 days with it) before routing placed the conversation.
    WindowClosed,
}

/// The mark routing keeps on a follow-up conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUp {
    pub reason: FollowUpReason,
    /// When the window closed.
    #[serde(with = "time::rfc3339")]
    pub since: Millis,
}

/// Whether `conv`, routed at `now` in `workstream`, is follow-up work: the
/// customer wrote, and an agent's reply would be refused now (outside the
/// 24 hours, and the HUMAN_AGENT tag is off or its 7 days are over). The
/// rule the reply route applies ([`send_policy::agent_reply`]), so routing
/// and the reply cannot disagree. `None`: an agent can answer it.
pub fn follow_up(
    conv: &Conversation,
    workstream: Option<&Workstream>,
    now: Millis,
) -> Option<(FollowUp, String)> {
    // Before the customer writes nothing has closed (and nothing to answer).
    conv.last_customer_message_at?;
    let closed = send_policy::agent_reply(conv, workstream, now).err()?;
    Some((
        FollowUp {
            reason: FollowUpReason::WindowClosed,
            since: closed.closed_at,
        },
        format!(
            "follow-up work, costing no capacity: {}; a supervisor decides what becomes of it",
            closed.reason
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;

    fn conv(last: Option<Millis>) -> Conversation {
        serde_json::from_value(serde_json::json!({
            "id": "cv_follow", "page_id": "104857600000001", "psid": "7700000000000001",
            "contact_id": "ct_follow", "state": "waiting",
            "created_at": "2026-11-30T00:00:00.000Z", "updated_at": "2026-11-30T00:00:00.000Z",
            "last_customer_message_at": last.map(|t| t.to_rfc3339()),
        }))
        .unwrap()
    }

    fn workstream(tag: bool) -> Workstream {
        serde_json::from_value(serde_json::json!({
            "id": "support", "name": "Support", "pages": ["104857600000001"], "locale": "en",
            "features": {"customer_attachments": true, "agent_attachments": true, "human_agent_tag": tag},
            "created_at": "2026-11-30T00:00:00.000Z", "updated_at": "2026-11-30T00:00:00.000Z",
        }))
        .unwrap()
    }

    fn at(hours: i64, tag: bool) -> Option<FollowUp> {
        follow_up(
            &conv(Some(Millis(0))),
            Some(&workstream(tag)),
            Millis(hours * H),
        )
        .map(|f| f.0)
    }

    #[test]
    fn inside_24_hours_it_is_ordinary_work() {
        for tag in [false, true] {
            assert_eq!(at(0, tag), None);
            assert_eq!(at(23, tag), None);
        }
    }

    #[test]
    fn after_24_hours_without_the_tag_it_is_follow_up_since_the_window_closed() {
        let f = at(30, false).unwrap();
        assert_eq!(f.reason, FollowUpReason::WindowClosed);
        assert_eq!(f.since, Millis(24 * H));
        let (_, why) = follow_up(
            &conv(Some(Millis(0))),
            Some(&workstream(false)),
            Millis(30 * H),
        )
        .unwrap();
        assert!(why.contains("HUMAN_AGENT"), "{why}");
        // No workstream (any more): no tag either.
        assert!(follow_up(&conv(Some(Millis(0))), None, Millis(30 * H)).is_some());
    }

    #[test]
    fn with_the_tag_it_is_ordinary_work_for_7_days_then_follow_up() {
        assert_eq!(at(30, true), None);
        assert_eq!(at(167, true), None);
        assert_eq!(at(8 * 24, true).unwrap().since, Millis(7 * 24 * H));
    }

    /// Exactly when the reply route refuses a reply, and only then.
    #[test]
    fn it_is_follow_up_exactly_when_an_agent_reply_is_refused() {
        let c = conv(Some(Millis(0)));
        for tag in [false, true] {
            let ws = workstream(tag);
            for hours in [0, 23, 24, 25, 48, 167, 168, 169, 400] {
                let now = Millis(hours * H);
                assert_eq!(
                    follow_up(&c, Some(&ws), now).is_some(),
                    send_policy::agent_reply(&c, Some(&ws), now).is_err(),
                    "{hours} h, tag {tag}"
                );
            }
        }
    }

    #[test]
    fn before_the_customer_writes_it_is_not_follow_up() {
        assert!(follow_up(&conv(None), Some(&workstream(false)), Millis(100 * H)).is_none());
    }

    #[test]
    fn the_mark_reads_as_the_apis_show_it() {
        assert_eq!(
            serde_json::to_value(at(30, false).unwrap()).unwrap(),
            serde_json::json!({"reason": "window_closed", "since": Millis(24 * H).to_rfc3339()})
        );
    }
}
