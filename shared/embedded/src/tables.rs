//! Every redb table of the store, and the JSON codec and shared key format
//! its modules use: a leaf, importing none of them (each module keeps its
//! own tables' layout in its docs).

use redb::TableDefinition;
use serde::Serialize;
use serde::de::DeserializeOwned;
use switchboard_core::ids::{PageId, Psid};
use switchboard_core::ports::{StoreError, StoreResult};

/// A table of string keys and (mostly JSON) string values.
pub(crate) type Str = TableDefinition<'static, &'static str, &'static str>;

// Accounts, conversations and workstreams (`store`).
pub(crate) const ACCOUNTS: Str = TableDefinition::new("accounts");
pub(crate) const PAGES: Str = TableDefinition::new("pages");
pub(crate) const CUSTOMERS: Str = TableDefinition::new("customers");
pub(crate) const CONTACTS: Str = TableDefinition::new("contacts");
pub(crate) const CONTACT_CONVS: Str = TableDefinition::new("contact_convs");
/// The contact search index (`contact_search`): "{term} {contact_id}" -> "".
pub(crate) const CONTACT_SEARCH: Str = TableDefinition::new("contact_search");
pub(crate) const CONVERSATIONS: Str = TableDefinition::new("conversations");
/// The times a conversation's events moved (`activity`).
pub(crate) const ACTIVITY: Str = TableDefinition::new("activity");
pub(crate) const TIMELINE: Str = TableDefinition::new("timeline");
/// Append-once markers by dedup id alone, as data directories made before
/// `MARKERS_BY_TIME` hold them: moved into it at open (`store`).
pub(crate) const MARKERS: Str = TableDefinition::new("markers");
/// Append-once markers, "{time}|{dedup}" -> conversation id (`store`). In
/// the events' time order a commit's new markers land on the table's last
/// pages, and recent ones stay in the page cache; keyed by the dedup id (a
/// hash) each marker was a random page written, and often one read
/// (`make bench`, pipeline).
pub(crate) const MARKERS_BY_TIME: Str = TableDefinition::new("markers_by_time");
/// When each marker was written, "{written}|{marker key}" -> "": its
/// lifetime's end, oldest first (`store`).
pub(crate) const MARKER_EXPIRY: Str = TableDefinition::new("marker_expiry");
pub(crate) const UNATTRIBUTED: Str = TableDefinition::new("unattributed");
pub(crate) const WORKSTREAMS: Str = TableDefinition::new("workstreams");
pub(crate) const PAGE_WORKSTREAM: Str = TableDefinition::new("page_workstream");

// The conversation indexes (`conv_index`).
pub(crate) const CONV_ORDER: Str = TableDefinition::new("conv_order");
pub(crate) const PAGE_CONVS: Str = TableDefinition::new("page_convs");
pub(crate) const AGENT_CONVS: Str = TableDefinition::new("agent_convs");
pub(crate) const CUSTOMER_CONVS: Str = TableDefinition::new("customer_convs");

// Streams (`streams`).
pub(crate) const STREAMS: Str = TableDefinition::new("streams");

// Outbound messages (`outbound`).
pub(crate) const OUTBOUND: Str = TableDefinition::new("outbound");
pub(crate) const OUTBOUND_BY_CONV: Str = TableDefinition::new("outbound_by_conv");
pub(crate) const OUTBOUND_MIDS: Str = TableDefinition::new("outbound_mids");
pub(crate) const OUTBOUND_QUEUED: Str = TableDefinition::new("outbound_queued");

// Routing (`routing`).
pub(crate) const AGENTS: Str = TableDefinition::new("agents");
pub(crate) const MEMBERS: Str = TableDefinition::new("members");
pub(crate) const QUEUES: Str = TableDefinition::new("queues");
pub(crate) const RULESETS: Str = TableDefinition::new("rulesets");
pub(crate) const RULESETS_BY_WS: Str = TableDefinition::new("rulesets_by_ws");
/// Canned responses: id -> CannedResponse.
pub(crate) const CANNED: Str = TableDefinition::new("canned");
/// One-time sign-in codes: hash -> SignInCode.
pub(crate) const SIGN_IN: Str = TableDefinition::new("sign_in");
pub(crate) const WAITING: Str = TableDefinition::new("waiting");
pub(crate) const URGENT: Str = TableDefinition::new("urgent");
pub(crate) const TIMERS: Str = TableDefinition::new("timers");

/// Every table, created when the store opens.
pub(crate) const ALL_TABLES: [Str; 33] = [
    ACTIVITY,
    CUSTOMER_CONVS,
    CONTACT_SEARCH,
    SIGN_IN,
    CONTACT_CONVS,
    CONV_ORDER,
    PAGE_CONVS,
    AGENT_CONVS,
    STREAMS,
    OUTBOUND,
    OUTBOUND_BY_CONV,
    OUTBOUND_MIDS,
    OUTBOUND_QUEUED,
    AGENTS,
    MEMBERS,
    QUEUES,
    RULESETS,
    RULESETS_BY_WS,
    CANNED,
    WAITING,
    URGENT,
    TIMERS,
    ACCOUNTS,
    PAGES,
    CUSTOMERS,
    CONTACTS,
    CONVERSATIONS,
    TIMELINE,
    MARKERS_BY_TIME,
    MARKER_EXPIRY,
    UNATTRIBUTED,
    WORKSTREAMS,
    PAGE_WORKSTREAM,
];

pub(crate) fn err(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

pub(crate) fn enc<T: Serialize>(v: &T) -> StoreResult<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(crate) fn dec<T: DeserializeOwned>(s: &str) -> StoreResult<T> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// A customer's key in `customers`: "page|psid".
pub(crate) fn customer_key(page: &PageId, psid: &Psid) -> String {
    format!("{page}|{psid}")
}
