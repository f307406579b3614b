//! Indexes over the `conversations` table, kept in the same write
//! transaction as every write that changes what they are keyed by, so the
//! lists read pages in order without scanning every conversation.
//!
//! Tables (values are conversation ids; `list key` is
//! `Conversation::list_key`, `{created_at:020}#{id}`):
//! - `conv_order` "list key": every conversation (newest last)
//! - `page_convs` "page|list key": a page's conversations
//! - `agent_convs` "agent|state|list key": the conversations whose
//!   `Conversation::inbox_agent` is that agent, by state
//! - `customer_convs` "page|psid|list key": one customer's conversations
//!
//! A store written before these tables existed is indexed when it opens
//! (`rebuild`, when an index holds fewer rows than `conversations`).

use crate::tables::{
    ACTIVITY, AGENT_CONVS, CONV_ORDER, CONVERSATIONS, CUSTOMER_CONVS, PAGE_CONVS, Str, dec, err,
};
use redb::{ReadableTable, ReadableTableMetadata, WriteTransaction};
use switchboard_core::ports::{Conversation, StoreResult, listed};

/// The prefix of one customer's rows in `customer_convs`.
pub(crate) fn customer_prefix(page: &str, psid: &str) -> String {
    format!("{page}|{psid}|")
}

fn agent_key(c: &Conversation) -> Option<String> {
    c.inbox_agent()
        .map(|a| format!("{a}|{}|{}", c.state.as_str(), c.list_key()))
}

/// Keep the indexes in step with a conversation written in `txn`: `old` is
/// what was stored before (`None` for a new one).
pub(crate) fn index(
    txn: &WriteTransaction,
    old: Option<&Conversation>,
    new: &Conversation,
) -> StoreResult<()> {
    if old.is_none() {
        let key = new.list_key();
        let mut order = txn.open_table(CONV_ORDER).map_err(err)?;
        order.insert(key.as_str(), new.id.as_str()).map_err(err)?;
        let mut pages = txn.open_table(PAGE_CONVS).map_err(err)?;
        pages
            .insert(format!("{}|{key}", new.page_id).as_str(), new.id.as_str())
            .map_err(err)?;
        let mut customers = txn.open_table(CUSTOMER_CONVS).map_err(err)?;
        let prefix = customer_prefix(new.page_id.as_str(), new.psid.as_str());
        customers
            .insert(format!("{prefix}{key}").as_str(), new.id.as_str())
            .map_err(err)?;
    }
    let (before, after) = (old.and_then(agent_key), agent_key(new));
    if before != after {
        let mut agents = txn.open_table(AGENT_CONVS).map_err(err)?;
        if let Some(k) = before {
            agents.remove(k.as_str()).map_err(err)?;
        }
        if let Some(k) = after {
            agents.insert(k.as_str(), new.id.as_str()).map_err(err)?;
        }
    }
    Ok(())
}

/// Index every stored conversation when the indexes are behind (a store
/// written by an older version).
pub(crate) fn rebuild(txn: &WriteTransaction) -> StoreResult<()> {
    let convs = txn.open_table(CONVERSATIONS).map_err(err)?;
    let indexed =
        |t: Str| -> StoreResult<u64> { txn.open_table(t).map_err(err)?.len().map_err(err) };
    let stored = convs.len().map_err(err)?;
    if indexed(CONV_ORDER)? >= stored && indexed(CUSTOMER_CONVS)? >= stored {
        return Ok(());
    }
    let mut all = Vec::new();
    for row in convs.iter().map_err(err)? {
        let (_, v) = row.map_err(err)?;
        all.extend(listed::<Conversation>("conversation", dec(v.value())));
    }
    drop(convs);
    let mut agents = txn.open_table(AGENT_CONVS).map_err(err)?;
    let mut order = txn.open_table(CONV_ORDER).map_err(err)?;
    let mut pages = txn.open_table(PAGE_CONVS).map_err(err)?;
    let mut customers = txn.open_table(CUSTOMER_CONVS).map_err(err)?;
    for c in &all {
        let key = c.list_key();
        order.insert(key.as_str(), c.id.as_str()).map_err(err)?;
        pages
            .insert(format!("{}|{key}", c.page_id).as_str(), c.id.as_str())
            .map_err(err)?;
        let prefix = customer_prefix(c.page_id.as_str(), c.psid.as_str());
        customers
            .insert(format!("{prefix}{key}").as_str(), c.id.as_str())
            .map_err(err)?;
        if let Some(k) = agent_key(c) {
            agents.insert(k.as_str(), c.id.as_str()).map_err(err)?;
        }
    }
    Ok(())
}

/// Walk an index newest first under `prefix` (strictly before the list key
/// `after`), reading each conversation, keeping those `keep` accepts, until
/// `limit` are kept.
pub(crate) fn newest(
    txn: &redb::ReadTransaction,
    table: Str,
    prefix: &str,
    after: Option<&str>,
    limit: usize,
    keep: impl Fn(&Conversation) -> bool,
) -> StoreResult<Vec<Conversation>> {
    let idx = txn.open_table(table).map_err(err)?;
    let convs = txn.open_table(CONVERSATIONS).map_err(err)?;
    let activity = txn.open_table(ACTIVITY).map_err(err)?;
    let lo = prefix.to_string();
    let hi = match after {
        Some(a) => format!("{prefix}{a}"),
        None => format!("{prefix}~"),
    };
    let mut out = Vec::new();
    if limit == 0 {
        return Ok(out);
    }
    for row in idx.range(lo.as_str()..hi.as_str()).map_err(err)?.rev() {
        let (_, id) = row.map_err(err)?;
        let read = crate::activity::conversation(&convs, &activity, id.value())?;
        if let Some(c) = read.and_then(|r| listed("conversation", r))
            && keep(&c)
        {
            out.push(c);
            if out.len() >= limit {
                break;
            }
        }
    }
    Ok(out)
}
