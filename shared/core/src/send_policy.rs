//! Which workstream speaks for a conversation when a message goes to its
//! customer: the one routing put it in (before routing, its page's). The agent's reply (which checks
//! the attachment feature and the window) and the sender (which decides the
//! window again when it sends) both ask here, so they cannot disagree when a
//! page moves to another workstream in between.

use crate::ports::{Conversation, StoreError, WorkstreamStore};
use crate::workstreams::Workstream;

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
