//! Meta's messaging window: the 24-hour standard window, the HUMAN_AGENT
//! tag's 7 days, when a conversation's window closes, and whether (and
//! with which messaging type) a message may be sent now. Pure: routing (to
//! order urgent work) and outbound (to send or refuse) both read it.

use crate::time::{self, Millis};
use serde::{Deserialize, Serialize};

const HOUR: i64 = 3_600_000;
/// Meta's standard messaging window.
pub const WINDOW_24H: i64 = 24 * HOUR;
/// The HUMAN_AGENT tag's window.
pub const WINDOW_7D: i64 = 7 * 24 * HOUR;

/// When the window opened at `start` (the customer's last message) closes:
/// 7 days later when the workstream uses the HUMAN_AGENT tag, else 24 hours.
pub fn closes_at(start: Millis, human_agent_tag: bool) -> Millis {
    let len = if human_agent_tag {
        WINDOW_7D
    } else {
        WINDOW_24H
    };
    Millis(start.0 + len)
}

/// How a message may go out now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SendAs {
    /// Inside the 24-hour window.
    Response,
    /// `MESSAGE_TAG` + `HUMAN_AGENT`: a human, 24 hours to 7 days, tag enabled.
    HumanAgent,
}

/// The window is closed for this message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("{reason}")]
pub struct WindowClosed {
    #[serde(with = "time::rfc3339")]
    pub closed_at: Millis,
    pub reason: String,
}

/// Whether, and how, a message may go out now: `RESPONSE` within 24 hours
/// of the customer's last message; from 24 hours to 7 days only a human's
/// message (`human`), only with the workstream's HUMAN_AGENT tag on; never
/// otherwise. Automated messages, surveys and bots are not `human`, so never
/// tagged.
pub fn send_as(
    last_customer_message_at: Option<Millis>,
    now: Millis,
    human: bool,
    human_agent_tag: bool,
) -> Result<SendAs, WindowClosed> {
    let Some(last) = last_customer_message_at else {
        return Err(WindowClosed {
            closed_at: now,
            reason: "the customer has not written: Messenger allows no message yet".into(),
        });
    };
    let standard = Millis(last.0 + WINDOW_24H);
    if now < standard {
        return Ok(SendAs::Response);
    }
    let tagged = Millis(last.0 + WINDOW_7D);
    match (human, human_agent_tag) {
        (true, true) if now < tagged => Ok(SendAs::HumanAgent),
        (true, true) => Err(WindowClosed {
            closed_at: tagged,
            reason: format!(
                "the 7-day human agent window closed at {}; the customer must write first",
                tagged.to_rfc3339()
            ),
        }),
        (true, false) => Err(WindowClosed {
            closed_at: standard,
            reason: format!(
                "the 24-hour messaging window closed at {}; the workstream does not use the HUMAN_AGENT tag",
                standard.to_rfc3339()
            ),
        }),
        (false, _) => Err(WindowClosed {
            closed_at: standard,
            reason: format!(
                "the 24-hour messaging window closed at {}; automated messages are never tagged",
                standard.to_rfc3339()
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbound::{Author, window};

    const H: i64 = 3_600_000;
    fn agent() -> Author {
        Author::Agent {
            agent_id: crate::ids::AgentId::parse("anna").unwrap(),
        }
    }

    #[test]
    fn the_window_as_meta_defines_it() {
        let last = Some(Millis(0));
        assert_eq!(
            window(last, Millis(23 * H), &agent(), false),
            Ok(SendAs::Response)
        );
        // 30 hours: refused with the tag off, tagged with it on.
        let closed = window(last, Millis(30 * H), &agent(), false).unwrap_err();
        assert_eq!(closed.closed_at, Millis(24 * H));
        assert!(closed.reason.contains("HUMAN_AGENT"));
        assert_eq!(
            window(last, Millis(30 * H), &agent(), true),
            Ok(SendAs::HumanAgent)
        );
        // 8 days: refused either way.
        assert_eq!(
            window(last, Millis(8 * 24 * H), &agent(), true)
                .unwrap_err()
                .closed_at,
            Millis(7 * 24 * H)
        );
        // Automated messages and surveys are never tagged.
        let auto = Author::Automated {
            message: "queued".into(),
        };
        assert_eq!(window(last, Millis(H), &auto, true), Ok(SendAs::Response));
        assert!(window(last, Millis(30 * H), &auto, true).is_err());
        assert!(window(last, Millis(30 * H), &Author::Survey, true).is_err());
        assert!(window(None, Millis(0), &agent(), true).is_err());
    }

    #[test]
    fn a_window_closes_after_24_hours_or_7_days_with_the_tag() {
        assert_eq!(closes_at(Millis(H), false), Millis(25 * H));
        assert_eq!(closes_at(Millis(H), true), Millis(H + 7 * 24 * H));
        assert_eq!(
            send_as(Some(Millis(0)), Millis(H), false, false),
            Ok(SendAs::Response)
        );
        assert_eq!(
            send_as(Some(Millis(0)), Millis(30 * H), true, true),
            Ok(SendAs::HumanAgent)
        );
    }
}
