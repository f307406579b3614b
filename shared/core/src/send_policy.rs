//! Which workstream speaks for a conversation when a message goes to its
//! customer: the one routing put it in (before routing, its page's). The agent's reply (which checks
//! the attachment feature and the window) and the sender (which decides the
//! window again when it sends) both ask here, so they cannot disagree when a
//! page moves to another workstream in between. Also how an agent's reply
//! would go out now ([`agent_reply`], [`reply_window`]): the reply route's
//! rule, which the agent API shows before the agent writes.

use crate::ids::{PageId, WorkstreamId};
use crate::ports::{Conversation, StoreError, WorkstreamStore};
use crate::time::{self, Millis};
use crate::window::{self, SendAs, WindowClosed};
use crate::workstreams::Workstream;
use serde::Serialize;
use std::collections::HashMap;

/// The conversation's workstream: the one routing put it in, or for a
/// conversation not routed yet, its page's (where routing will put it).
/// `None`: neither exists (any more).
pub async fn workstream_of(
    workstreams: &dyn WorkstreamStore,
    conv: &Conversation,
) -> Result<Option<Workstream>, StoreError> {
    let id = match conv.routing.as_ref().and_then(|r| r.workstream.clone()) {
        Some(w) => w,
        None => match workstreams.workstream_of_page(&conv.page_id).await? {
            Some(w) => w,
            None => return Ok(None),
        },
    };
    workstreams.get_workstream(&id).await
}

/// Whether the conversation's workstream allows the HUMAN_AGENT tag.
pub fn human_agent_tag(workstream: Option<&Workstream>) -> bool {
    workstream.is_some_and(|w| w.features.human_agent_tag)
}

/// Whether, and how, an agent's reply in `conv` goes out at `now` under
/// its workstream `workstream` (from [`workstream_of`]): the reply route
/// refuses exactly when this is an error, and [`reply_window`] shows it.
pub fn agent_reply(
    conv: &Conversation,
    workstream: Option<&Workstream>,
    now: Millis,
) -> Result<SendAs, WindowClosed> {
    // An agent is a human: the HUMAN_AGENT tag may carry their reply.
    window::send_as(
        conv.last_customer_message_at,
        now,
        true,
        human_agent_tag(workstream),
    )
}

/// How a reply would go out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplyKind {
    /// Inside the 24-hour window (`RESPONSE`).
    Allowed,
    /// From 24 hours to 7 days, tagged HUMAN_AGENT.
    HumanAgent,
    /// Refused: the customer must write first.
    Closed,
}

/// A conversation's messaging window as the agent sees it before replying.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReplyWindow {
    pub reply: ReplyKind,
    /// When the current allowance ends (`allowed`: the 24 hours;
    /// `human_agent`: the 7 days); `None` when closed.
    #[serde(with = "time::rfc3339::option")]
    pub closes_at: Option<Millis>,
    /// Whether the workstream allows the HUMAN_AGENT tag.
    pub human_agent: bool,
    /// When it closed (`closed` after the customer wrote); else `None`.
    #[serde(with = "time::rfc3339::option")]
    pub closed_at: Option<Millis>,
}

/// [`agent_reply`] as the agent API shows it.
pub fn reply_window(
    conv: &Conversation,
    workstream: Option<&Workstream>,
    now: Millis,
) -> ReplyWindow {
    let human_agent = human_agent_tag(workstream);
    let open = |reply, tagged| ReplyWindow {
        reply,
        closes_at: conv
            .last_customer_message_at
            .map(|last| window::closes_at(last, tagged)),
        human_agent,
        closed_at: None,
    };
    match agent_reply(conv, workstream, now) {
        Ok(SendAs::Response) => open(ReplyKind::Allowed, false),
        Ok(SendAs::HumanAgent) => open(ReplyKind::HumanAgent, true),
        Err(closed) => ReplyWindow {
            reply: ReplyKind::Closed,
            closes_at: None,
            human_agent,
            // Before the customer wrote, nothing closed.
            closed_at: conv.last_customer_message_at.map(|_| closed.closed_at),
        },
    }
}

/// [`reply_window`] for each of `convs` at `now`, each workstream (and
/// page's workstream) read once.
pub async fn reply_windows(
    workstreams: &dyn WorkstreamStore,
    convs: &[Conversation],
    now: Millis,
) -> Result<Vec<ReplyWindow>, StoreError> {
    // What decides `workstream_of`: the routed workstream, else the page.
    #[derive(PartialEq, Eq, Hash)]
    enum Key {
        Routed(WorkstreamId),
        Page(PageId),
    }
    let mut seen: HashMap<Key, Option<Workstream>> = HashMap::new();
    let mut out = Vec::with_capacity(convs.len());
    for c in convs {
        let key = match c.routing.as_ref().and_then(|r| r.workstream.clone()) {
            Some(w) => Key::Routed(w),
            None => Key::Page(c.page_id.clone()),
        };
        let ws = match seen.get(&key) {
            Some(ws) => ws.clone(),
            None => {
                let ws = workstream_of(workstreams, c).await?;
                seen.insert(key, ws.clone());
                ws
            }
        };
        out.push(reply_window(c, ws.as_ref(), now));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;

    fn conv(last: Option<Millis>) -> Conversation {
        serde_json::from_value(serde_json::json!({
            "id": "cv_window", "page_id": "104857600000001", "psid": "7700000000000001",
            "contact_id": "ct_window", "state": "assigned",
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

    /// What `reply_window` shows is what `agent_reply` (the reply route)
    /// decides, at every point of the window, with and without the tag.
    #[test]
    fn the_reply_window_shows_what_the_reply_route_decides() {
        let c = conv(Some(Millis(0)));
        for tag in [false, true] {
            let ws = workstream(tag);
            for hours in [0, 3, 23, 24, 25, 48, 167, 168, 192] {
                let now = Millis(hours * H);
                let shown = reply_window(&c, Some(&ws), now);
                assert_eq!(shown.human_agent, tag);
                match agent_reply(&c, Some(&ws), now) {
                    Ok(SendAs::Response) => {
                        assert_eq!(shown.reply, ReplyKind::Allowed);
                        assert_eq!(shown.closes_at, Some(Millis(24 * H)));
                    }
                    Ok(SendAs::HumanAgent) => {
                        assert_eq!(shown.reply, ReplyKind::HumanAgent);
                        assert_eq!(shown.closes_at, Some(Millis(7 * 24 * H)));
                    }
                    Err(closed) => {
                        assert_eq!(shown.reply, ReplyKind::Closed);
                        assert_eq!(
                            (shown.closes_at, shown.closed_at),
                            (None, Some(closed.closed_at))
                        );
                    }
                }
            }
        }
        // 2 days: closed since 24 hours without the tag, tagged with it.
        let two_days = Millis(48 * H);
        assert_eq!(
            reply_window(&c, Some(&workstream(false)), two_days).closed_at,
            Some(Millis(24 * H))
        );
        assert_eq!(
            reply_window(&c, Some(&workstream(true)), two_days).reply,
            ReplyKind::HumanAgent
        );
        // No workstream (any more): no tag.
        assert_eq!(reply_window(&c, None, two_days).reply, ReplyKind::Closed);
    }

    #[test]
    fn before_the_customer_writes_nothing_has_closed() {
        let shown = reply_window(&conv(None), Some(&workstream(true)), Millis(H));
        assert_eq!(
            serde_json::to_value(&shown).unwrap(),
            serde_json::json!({"reply": "closed", "closes_at": null, "human_agent": true, "closed_at": null})
        );
    }
}
