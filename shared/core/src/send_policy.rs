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
