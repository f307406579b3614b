//! A person's data and what the law and Meta let them ask of it: the
//! recording notice a new customer reads first ([`notice`]), everything
//! Switchboard holds about one customer as one document ([`export`]), and
//! erasing it ([`erasure`]), also when Meta asks ([`deletion`]) or a
//! workstream's limit is reached ([`retention`]).

pub mod deletion;
pub mod erasure;
pub mod export;
pub mod notice;
pub mod retention;

use crate::ids::{PageId, Psid};
use crate::ports::{Conversation, ConversationFilter};
use crate::problem::Problem;
use crate::routing::RoutingDeps;

/// Conversations read per store call.
const PAGE: usize = 200;

/// Every conversation of customer `psid` on `page`, newest first (what an
/// export shows and an erasure goes through).
pub(crate) async fn customer_conversations(
    deps: &RoutingDeps,
    page: &PageId,
    psid: &Psid,
) -> Result<Vec<Conversation>, Problem> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let batch = deps
            .conversations
            .list_conversations(&ConversationFilter {
                page_id: Some(page.clone()),
                psid: Some(psid.clone()),
                limit: Some(PAGE),
                after: after.clone(),
                ..Default::default()
            })
            .await?;
        let done = batch.len() < PAGE;
        after = batch.last().map(Conversation::list_key);
        out.extend(batch);
        if done {
            return Ok(out);
        }
    }
}
