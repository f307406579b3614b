//! The operators' conversation search: the store's own filters (page, PSID,
//! state) plus the routing record's queue and agent and a creation-time
//! window, in one function over the ports, so every store answers alike.
//!
//! With an agent, the walk reads that agent's inbox index
//! (`RoutingStore::agent_conversations`, one read per state, merged newest
//! first); otherwise the store's newest-first list. What the source does not
//! filter itself (the queue, which no store indexes; page and PSID on the
//! agent index) is checked while walking. The walk is bounded: one search
//! reads at most [`SCAN_BUDGET`] conversations, and a page that found fewer
//! matches by then comes back short (even empty) with a cursor to go on
//! from where it stopped. The time window is cheap: `to` starts the walk
//! there (a cursor), `from` ends it.

use crate::Millis;
use crate::paging::{self, PageRequest};
use crate::ports::{
    Conversation, ConversationFilter, ConversationState, ConversationStore, RoutingStore,
    StoreError,
};
use crate::routing::model::{AgentId, QueueId};

/// The most conversations one search reads from the store.
pub const SCAN_BUDGET: usize = 500;
/// How many conversations one store read asks for while queue or agent
/// filter (without them, exactly the page).
const BATCH: usize = 100;

/// What the administrator searches for; `None` is any.
#[derive(Debug, Clone, Default)]
pub struct Search {
    /// Page, PSID and state (its `limit` and `after` are this function's).
    pub store: ConversationFilter,
    pub queue: Option<QueueId>,
    /// The agent it is offered to, held by, or (closed) was last held by:
    /// `Conversation::inbox_agent`.
    pub agent: Option<AgentId>,
    /// Created at or after.
    pub from: Option<Millis>,
    /// Created before.
    pub to: Option<Millis>,
}

impl Search {
    fn wants(&self, c: &Conversation) -> bool {
        let routing = c.routing.as_ref();
        let f = &self.store;
        f.page_id.as_ref().is_none_or(|p| *p == c.page_id)
            && f.psid.as_ref().is_none_or(|p| *p == c.psid)
            && f.state.is_none_or(|s| s == c.state)
            && self
                .queue
                .as_ref()
                .is_none_or(|q| routing.and_then(|r| r.queue.as_ref()) == Some(q))
            && self
                .agent
                .as_ref()
                .is_none_or(|a| c.inbox_agent() == Some(a))
            && self.from.is_none_or(|f| c.created_at >= f)
            && self.to.is_none_or(|t| c.created_at < t)
    }

    /// Whether the source lists conversations this search may not want.
    fn post_filters(&self) -> bool {
        self.queue.is_some()
            || (self.agent.is_some() && (self.store.page_id.is_some() || self.store.psid.is_some()))
    }
}

/// The list key just above every conversation created before `to`.
fn start_before(to: Millis) -> String {
    format!("{:020}#", to.0.max(0))
}

/// A page of conversations matching `search`, newest first, and the cursor
/// of the next page (absent at the end). A page may be short, even empty,
/// with a cursor when [`SCAN_BUDGET`] conversations were read first.
pub async fn search(
    conversations: &dyn ConversationStore,
    routing: &dyn RoutingStore,
    search: &Search,
    page: &PageRequest,
) -> Result<(Vec<Conversation>, Option<String>), StoreError> {
    search_within(conversations, routing, search, page, SCAN_BUDGET).await
}

/// Up to `want` conversations after `after`, newest first, from the agent's
/// inbox index when the search names one, else from the store's list.
async fn read(
    conversations: &dyn ConversationStore,
    routing: &dyn RoutingStore,
    search: &Search,
    after: Option<&str>,
    want: usize,
) -> Result<Vec<Conversation>, StoreError> {
    let Some(agent) = &search.agent else {
        return conversations
            .list_conversations(&ConversationFilter {
                limit: Some(want),
                after: after.map(str::to_string),
                ..search.store.clone()
            })
            .await;
    };
    let states: Vec<ConversationState> = match search.store.state {
        Some(st) => vec![st],
        None => ConversationState::ALL.to_vec(),
    };
    let mut out = Vec::new();
    for st in states {
        out.extend(routing.agent_conversations(agent, st, after, want).await?);
    }
    out.sort_by_key(|c| std::cmp::Reverse(c.list_key()));
    out.truncate(want);
    Ok(out)
}

/// [`search`] reading at most `budget` conversations (at least one batch).
pub async fn search_within(
    conversations: &dyn ConversationStore,
    routing: &dyn RoutingStore,
    search: &Search,
    page: &PageRequest,
    budget: usize,
) -> Result<(Vec<Conversation>, Option<String>), StoreError> {
    let budget = budget.max(1);
    let mut after = page.after.clone();
    if let Some(to) = search.to {
        let start = start_before(to);
        if after.as_ref().is_none_or(|a| *a > start) {
            after = Some(start);
        }
    }
    if search.from.zip(search.to).is_some_and(|(f, t)| f >= t) {
        return Ok((Vec::new(), None));
    }
    let mut out: Vec<Conversation> = Vec::new();
    let mut scanned = 0usize;
    loop {
        let want = if search.post_filters() {
            BATCH.min(budget - scanned)
        } else {
            page.read() - out.len()
        };
        let batch = read(conversations, routing, search, after.as_deref(), want).await?;
        let ended = batch.len() < want;
        for c in batch {
            scanned += 1;
            if search.from.is_some_and(|f| c.created_at < f) {
                // Newest first: everything after this is older still.
                return Ok(paging::page(out, page, Conversation::list_key));
            }
            after = Some(c.list_key());
            if search.wants(&c) {
                out.push(c);
                if out.len() >= page.read() {
                    return Ok(paging::page(out, page, Conversation::list_key));
                }
            }
        }
        if ended {
            return Ok(paging::page(out, page, Conversation::list_key));
        }
        if scanned >= budget {
            // Short: go on from the last conversation read.
            return Ok((out, after.as_deref().map(paging::encode)));
        }
    }
}
