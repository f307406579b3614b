//! The ports the domain talks through. Every adapter (DynamoDB, SQS and
//! Secrets Manager; redb and in-process) implements these and passes the one
//! conformance suite in `tests/`.
//!
//! Store traits are split by capability so each function asks only for what
//! it uses, mirroring its IAM policy.

use crate::canned::{CannedResponse, CannedResponseId};
use crate::event::{EventKind, InboundEvent};
use crate::ids::{AccountId, AppId, ContactId, ConversationId, PageId, Psid};
use crate::provisioning::{Provisioning, ProvisioningState, TokenHealth};
use crate::routing::model::{
    Agent, AgentId, AgentState, BasePresence, LoadBand, PresenceSetting, ProfileName,
    Queue as RoutingQueue, QueueId, Ruleset, RulesetId,
};
use crate::routing::record::{Routing, Timer, WaitingItem};
use crate::secret::Secret;
use crate::time::{self, Millis};
use crate::workstreams::{Workstream, WorkstreamId};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;

// ---------------------------------------------------------------- errors

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} already exists")]
    Conflict(String),
    #[error("{0} was not found")]
    NotFound(String),
    #[error("the store is unavailable: {0}")]
    Unavailable(String),
    #[error("stored data could not be read: {0}")]
    Corrupt(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("the queue is unavailable: {0}")]
    Unavailable(String),
    #[error("the queue refused the request: {0}")]
    Rejected(String),
}

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("the secret store is unavailable: {0}")]
    Unavailable(String),
}

// ---------------------------------------------------------------- records

/// A channel account: one Facebook app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub id: AccountId,
    pub name: String,
    pub app_id: AppId,
    /// Name of the app secret in the secrets port (never the secret itself).
    pub app_secret_ref: String,
    /// Lowercase hex SHA-256 of the webhook verify token.
    pub verify_token_sha256: String,
    pub created_at: Millis,
    pub updated_at: Millis,
    /// When Meta's webhook verification (GET) last succeeded.
    #[serde(default)]
    pub webhook_verified_at: Option<Millis>,
}

/// A page bound to an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page {
    pub page_id: PageId,
    pub account_id: AccountId,
    pub name: String,
    /// Name of the page token in the secrets port.
    #[serde(default)]
    pub access_token_ref: Option<String>,
    pub created_at: Millis,
    pub updated_at: Millis,
    #[serde(default)]
    pub provisioning: Provisioning,
    /// What the last token check found.
    #[serde(default)]
    pub token: Option<TokenHealth>,
    /// Conversation Routing: whether Switchboard owns new threads, and
    /// where a closed conversation's thread goes.
    #[serde(
        default,
        skip_serializing_if = "crate::thread_control::ConversationRouting::is_default"
    )]
    pub conversation_routing: crate::thread_control::ConversationRouting,
}

impl Page {
    /// A removed page no longer binds its page id to its account.
    pub fn is_live(&self) -> bool {
        self.provisioning.state != ProvisioningState::Deprovisioned
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConversationState {
    /// With the workstream's bot, before any agent (no capacity used).
    Bot,
    /// Received, waiting for classification, a queue or an agent.
    Waiting,
    /// Offered to one agent, who has not answered yet.
    Offered,
    /// An agent holds it.
    Assigned,
    /// The agent ended it and is wrapping up.
    WrapUp,
    Closed,
}

impl ConversationState {
    pub const ALL: [ConversationState; 6] = [
        Self::Bot,
        Self::Waiting,
        Self::Offered,
        Self::Assigned,
        Self::WrapUp,
        Self::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bot => "bot",
            Self::Waiting => "waiting",
            Self::Offered => "offered",
            Self::Assigned => "assigned",
            Self::WrapUp => "wrap_up",
            Self::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    pub fn is_open(self) -> bool {
        self != Self::Closed
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversation {
    pub id: ConversationId,
    pub page_id: PageId,
    pub psid: Psid,
    pub contact_id: ContactId,
    pub state: ConversationState,
    #[serde(with = "time::rfc3339")]
    pub created_at: Millis,
    #[serde(with = "time::rfc3339")]
    pub updated_at: Millis,
    /// The customer's last message (or postback, reaction...): Meta's
    /// messaging window starts here.
    #[serde(default, with = "time::rfc3339::option")]
    pub last_customer_message_at: Option<Millis>,
    #[serde(default, with = "time::rfc3339::option")]
    pub closed_at: Option<Millis>,
    /// Routing's record (absent until the router classified it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routing: Option<Routing>,
    /// Routing version: every routing write conditions on it and bumps it.
    #[serde(default)]
    pub rv: u64,
}

impl Conversation {
    /// A new `waiting` conversation opened by `event` (the router's rule,
    /// shared by every store adapter).
    pub fn opened_by(
        id: ConversationId,
        event: &InboundEvent,
        psid: &Psid,
        contact_id: ContactId,
        now: Millis,
    ) -> Self {
        Self {
            id,
            page_id: event.page_id.clone(),
            psid: psid.clone(),
            contact_id,
            state: ConversationState::Waiting,
            created_at: now,
            updated_at: now,
            last_customer_message_at: event.kind.is_customer_activity().then_some(event.timestamp),
            closed_at: None,
            routing: None,
            rv: 0,
        }
    }
}

impl Conversation {
    /// The agent whose inbox lists this conversation: the one it is offered
    /// to while `offered`, the one holding it while `assigned` or in
    /// `wrap_up`, the one who last held it once `closed`; nobody while
    /// `waiting`. Stores index conversations by it
    /// (`RoutingStore::agent_conversations`).
    pub fn inbox_agent(&self) -> Option<&AgentId> {
        inbox_agent(self.state, self.routing.as_ref()?)
    }

    /// Where the conversation sorts in a newest-first list:
    /// `{created_at:020}#{id}` (what list cursors carry).
    pub fn list_key(&self) -> String {
        format!("{:020}#{}", self.created_at.0.max(0), self.id)
    }
}

/// `Conversation::inbox_agent` of a conversation in `state` with `routing`
/// (what a routing write is about to store).
pub fn inbox_agent(state: ConversationState, routing: &Routing) -> Option<&AgentId> {
    match state {
        ConversationState::Bot | ConversationState::Waiting => None,
        ConversationState::Offered => routing.offer.as_ref().map(|o| &o.agent),
        ConversationState::Assigned | ConversationState::WrapUp | ConversationState::Closed => {
            routing.agent.as_ref()
        }
    }
}

/// The customer of an event given to `append` (which takes only those that name one).
pub fn appended_customer(event: &InboundEvent) -> StoreResult<Psid> {
    event
        .psid
        .clone()
        .ok_or_else(|| StoreError::Corrupt("append needs an event that names a customer".into()))
}

/// What links a (page, PSID) to its contact and conversations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    pub page_id: PageId,
    pub psid: Psid,
    pub contact_id: ContactId,
    pub open_conversation_id: Option<ConversationId>,
    pub last_conversation_id: ConversationId,
    /// The agent who last accepted one of this customer's conversations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_agent: Option<AgentId>,
    /// The customer's data was erased then ([`crate::privacy::erasure`]):
    /// events from before, which Meta may still deliver, are not stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub erased_at: Option<Millis>,
}

/// A person the company knows: one or more (page, PSID) customers link to
/// it. Created for every customer never seen (with a fallback name, then
/// Meta's profile name when it gives one); agents edit, create and link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub id: ContactId,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    pub created_at: Millis,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<Millis>,
    /// Bumped by every edit; an edit names the version it read.
    #[serde(default)]
    pub version: u64,
}

impl Contact {
    pub fn new(id: ContactId, name: String, now: Millis) -> Self {
        Self {
            id,
            name,
            email: None,
            phone: None,
            notes: None,
            created_at: now,
            updated_at: None,
            version: 0,
        }
    }

    /// The fields routing rules may test (`contact: {field, equals}`).
    pub fn fields(&self) -> std::collections::BTreeMap<String, String> {
        let mut m = std::collections::BTreeMap::new();
        m.insert("name".to_string(), self.name.clone());
        for (k, v) in [("email", &self.email), ("phone", &self.phone)] {
            if let Some(v) = v {
                m.insert(k.to_string(), v.clone());
            }
        }
        m
    }
}

// ---------------------------------------------------------------- store ports

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    /// Fail with `Conflict` when the item exists.
    Create,
    /// Create or replace.
    Upsert,
}

/// Channel accounts and pages.
#[async_trait]
pub trait AccountStore: Send + Sync {
    async fn put_account(&self, account: &Account, mode: WriteMode) -> StoreResult<()>;
    async fn get_account(&self, id: &AccountId) -> StoreResult<Option<Account>>;
    /// Every account, by id.
    async fn list_accounts(&self) -> StoreResult<Vec<Account>>;
    /// Remove the account record (its pages are removed first by the caller);
    /// `NotFound` when there is none.
    async fn delete_account(&self, id: &AccountId) -> StoreResult<()>;
    /// Record a successful webhook verification; `NotFound` for an unknown account.
    async fn mark_webhook_verified(&self, id: &AccountId, at: Millis) -> StoreResult<()>;
    /// With `Create`, `Conflict` when a live page (not deprovisioned) has
    /// this page id, under any account: a page belongs to one account.
    async fn put_page(&self, page: &Page, mode: WriteMode) -> StoreResult<()>;
    async fn get_page(&self, id: &PageId) -> StoreResult<Option<Page>>;
    /// An account's pages (removed ones included), by page id.
    async fn list_pages(&self, account: &AccountId) -> StoreResult<Vec<Page>>;
}

/// Messaging workstreams and which page feeds which.
///
/// `put_workstream` binds the workstream's pages and releases the pages it
/// no longer lists, atomically; `Conflict` when (with `Create`) the id
/// exists, or when a listed page feeds another workstream.
#[async_trait]
pub trait WorkstreamStore: Send + Sync {
    async fn put_workstream(&self, ws: &Workstream, mode: WriteMode) -> StoreResult<()>;
    async fn get_workstream(&self, id: &WorkstreamId) -> StoreResult<Option<Workstream>>;
    async fn list_workstreams(&self) -> StoreResult<Vec<Workstream>>;
    /// Remove it and release its pages; `NotFound` when there is none.
    async fn delete_workstream(&self, id: &WorkstreamId) -> StoreResult<()>;
    /// The workstream a page feeds, if any.
    async fn workstream_of_page(&self, page: &PageId) -> StoreResult<Option<WorkstreamId>>;
}

/// The ids a new contact and conversation get if `append` needs them.
#[derive(Debug, Clone)]
pub struct NewIds {
    pub contact_id: ContactId,
    pub contact_name: String,
    pub conversation_id: ConversationId,
}

/// How long a store keeps an event's append-once marker: longer than any
/// redelivery can come (Meta retries a delivery for about an hour; a
/// message in the dead-letter queue, redriven by hand, waits at most 14
/// days, SQS's longest retention). A delivery after it is appended again.
pub const MARKER_LIFETIME_SECS: i64 = 14 * 24 * 3600;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppendOutcome {
    /// Stored on `conversation_id`; `opened` when that conversation is new.
    Stored {
        conversation_id: ConversationId,
        opened: bool,
    },
    /// Seen before (same page and event key): nothing changed.
    Duplicate {
        conversation_id: Option<ConversationId>,
    },
    /// From before the customer's erasure (`Customer::erased_at`): not stored.
    Erased,
}

#[derive(Debug, Clone, Default)]
pub struct ConversationFilter {
    pub page_id: Option<PageId>,
    pub psid: Option<Psid>,
    pub state: Option<ConversationState>,
    pub limit: Option<usize>,
    /// Only conversations listed after this one (a `Conversation::list_key`):
    /// the next page.
    pub after: Option<String>,
}

/// Conversations, their timelines, customers and contacts.
///
/// `append` is the router's one write and must be atomic and idempotent:
/// 1. an event whose (page, key) was stored before changes nothing
///    (`Duplicate`);
/// 2. a (page, PSID) never seen gets a new contact, customer link and a
///    `waiting` conversation, and the event lands there;
/// 3. otherwise the event lands on the customer's open conversation; with
///    none open, customer activity opens a new conversation for the same
///    contact, and any other event (receipt, echo...) is attached to the
///    last conversation without reopening it;
/// 4. customer activity moves `last_customer_message_at` forward, never back.
#[async_trait]
pub trait ConversationStore: Send + Sync {
    async fn append(
        &self,
        event: &InboundEvent,
        ids: &NewIds,
        now: Millis,
    ) -> StoreResult<AppendOutcome>;
    /// Keep an event that names no customer, so nothing is dropped.
    async fn record_unattributed(&self, event: &InboundEvent) -> StoreResult<()>;
    async fn get_conversation(&self, id: &ConversationId) -> StoreResult<Option<Conversation>>;
    async fn list_conversations(
        &self,
        filter: &ConversationFilter,
    ) -> StoreResult<Vec<Conversation>>;
    /// The conversation's events in timestamp order.
    async fn timeline(&self, id: &ConversationId) -> StoreResult<Vec<InboundEvent>>;
    async fn get_customer(&self, page: &PageId, psid: &Psid) -> StoreResult<Option<Customer>>;
    async fn get_contact(&self, id: &ContactId) -> StoreResult<Option<Contact>>;
    /// Close an open conversation (conditional: `Conflict` if already closed).
    async fn close_conversation(
        &self,
        id: &ConversationId,
        at: Millis,
    ) -> StoreResult<Conversation>;
    /// A new contact (`Conflict` when the id exists).
    async fn create_contact(&self, contact: &Contact) -> StoreResult<()>;
    /// Replace a contact's fields if its stored version is `expect`, storing
    /// `contact` (whose version the caller set to `expect + 1`): `NotFound`
    /// without one, `Conflict` when it changed meanwhile.
    async fn update_contact(&self, contact: &Contact, expect: u64) -> StoreResult<()>;
    /// Contacts whose search index keys (`contact_search::index_keys`,
    /// kept by every write of a contact, in the same transaction) start
    /// with `prefix`, in key order, from at most `limit` keys. Never a scan.
    async fn find_contacts(&self, prefix: &str, limit: usize) -> StoreResult<Vec<Contact>>;
    /// Link the conversation's customer (page, PSID) to `contact`,
    /// atomically: the conversation, the customer (so later conversations
    /// from that PSID link by themselves) and that customer's conversations
    /// in the contacts' histories. `NotFound` for an unknown conversation or
    /// contact; linking to the contact it has changes nothing.
    async fn link_contact(
        &self,
        conversation: &ConversationId,
        contact: &ContactId,
    ) -> StoreResult<Conversation>;
    /// The conversations of every customer linked to the contact, on any
    /// page, newest first, after the `Conversation::list_key` `after`.
    async fn contact_conversations(
        &self,
        contact: &ContactId,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<Conversation>>;
    /// Overwrite an event on the conversation's timeline (the one with the
    /// same timestamp and key) with `event`, its erased copy; `false` when
    /// there is none. The append-once marker stays.
    async fn replace_event(&self, id: &ConversationId, event: &InboundEvent) -> StoreResult<bool>;
    /// Set the customer's `erased_at` (`NotFound` without one): appends of
    /// events from before it answer `AppendOutcome::Erased`.
    async fn mark_erased(&self, page: &PageId, psid: &Psid, at: Millis) -> StoreResult<()>;
}

/// Agents, queues and rulesets: what administrators configure for routing.
///
/// `put_agent` keeps the agent's presence and load (a new agent starts
/// offline with nothing held), bumps its configuration `version`, and keeps
/// its queue memberships in step, atomically.
#[async_trait]
pub trait RoutingConfigStore: Send + Sync {
    async fn put_agent(&self, agent: &Agent, mode: WriteMode) -> StoreResult<AgentState>;
    async fn get_agent(&self, id: &AgentId) -> StoreResult<Option<AgentState>>;
    async fn list_agents(&self) -> StoreResult<Vec<AgentState>>;
    /// `NotFound` when absent; `Conflict` while the agent holds or is
    /// offered a conversation.
    async fn delete_agent(&self, id: &AgentId) -> StoreResult<()>;
    /// Note the agent's console heartbeat at `at` (nothing else changes);
    /// `NotFound` for an unknown agent.
    async fn heartbeat(&self, id: &AgentId, at: Millis) -> StoreResult<AgentState>;
    /// `NotFound` for an unknown agent.
    async fn set_presence(
        &self,
        id: &AgentId,
        presence: &PresenceSetting,
    ) -> StoreResult<AgentState>;
    async fn put_queue(&self, queue: &RoutingQueue, mode: WriteMode) -> StoreResult<()>;
    async fn get_queue(&self, id: &QueueId) -> StoreResult<Option<RoutingQueue>>;
    async fn list_queues(&self) -> StoreResult<Vec<RoutingQueue>>;
    async fn delete_queue(&self, id: &QueueId) -> StoreResult<()>;
    async fn put_ruleset(&self, ruleset: &Ruleset, mode: WriteMode) -> StoreResult<()>;
    async fn get_ruleset(&self, id: &RulesetId) -> StoreResult<Option<Ruleset>>;
    /// A workstream's rulesets in run order (`order`, then id); all when `None`.
    async fn list_rulesets(&self, workstream: Option<&WorkstreamId>) -> StoreResult<Vec<Ruleset>>;
    async fn delete_ruleset(&self, id: &RulesetId) -> StoreResult<()>;
    /// `Conflict` on `Create` when the id is taken.
    async fn put_canned(&self, canned: &CannedResponse, mode: WriteMode) -> StoreResult<()>;
    async fn get_canned(&self, id: &CannedResponseId) -> StoreResult<Option<CannedResponse>>;
    /// Canned responses in id order: a workstream's, or all when `None`.
    async fn list_canned(
        &self,
        workstream: Option<&WorkstreamId>,
    ) -> StoreResult<Vec<CannedResponse>>;
    /// `NotFound` when absent.
    async fn delete_canned(&self, id: &CannedResponseId) -> StoreResult<()>;
    /// Keep a sign-in code under its hash until it is taken (or expires).
    async fn put_sign_in_code(&self, code: &crate::sign_in::SignInCode) -> StoreResult<()>;
    /// The code stored under `hash`, removed in the same step: of
    /// concurrent takes of one code, exactly one gets it.
    async fn take_sign_in_code(
        &self,
        hash: &str,
    ) -> StoreResult<Option<crate::sign_in::SignInCode>>;
}

/// One part of an atomic routing write. `RoutingStore::apply` takes a list
/// and writes all of it or nothing, failing with `Conflict` when any
/// condition does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoutingOp {
    /// Replace the conversation's routing record and state. Condition: its
    /// routing version is `expect` (and it is not closed); the version
    /// becomes `expect + 1`. Moving to `Closed` also sets `closed_at` and
    /// frees the customer's open-conversation link.
    Conversation {
        id: ConversationId,
        /// The customer (page, PSID), whose open link a close frees.
        page: PageId,
        psid: Psid,
        expect: u64,
        state: ConversationState,
        routing: Box<Routing>,
        at: Millis,
    },
    /// Hold capacity: `units` more used, one more conversation held (and
    /// one more of the condition's profile), if the agent meets `when`.
    Take {
        when: AgentCondition,
        units: u32,
        at: Millis,
    },
    /// Write nothing, only check that the agent meets the condition: work
    /// that holds no capacity (follow-up work) is given to them as it was
    /// ranked, or not at all.
    Present(AgentCondition),
    /// Give capacity back. Condition: at least that much is held.
    Release {
        agent: AgentId,
        units: u32,
        profile: Option<ProfileName>,
        at: Millis,
    },
    PutWaiting(Box<WaitingItem>),
    DeleteWaiting {
        queue: QueueId,
        key: String,
    },
    PutTimer(Timer),
    DeleteTimer(Timer),
    /// Remember who last held a customer's conversation (for affinity).
    CustomerAgent {
        page: PageId,
        psid: Psid,
        agent: AgentId,
    },
}

/// What an agent must still be when a routing write lands for it to be
/// given the conversation it was ranked for: everything
/// [`crate::routing::select::qualifies`] decided from the agent's state
/// that can change (the conditions of [`RoutingOp::Take`] and
/// [`RoutingOp::Present`]). A read of the agent that lags behind its
/// latest writes can then cost a lost race, never a wrong write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentCondition {
    pub agent: AgentId,
    /// The configuration version it was ranked with (its skills,
    /// capacity, profiles and queues): a fail when gone, or changed.
    pub version: u64,
    /// Its capacity at that version, which tells [`LoadBand::Busy`] from
    /// [`LoadBand::Full`].
    pub capacity: u32,
    /// The most units it may use before: its capacity less what the work needs.
    pub max_used_before: u32,
    /// With a capacity profile: the profile, and the most conversations
    /// of it held before.
    pub profile: Option<(ProfileName, u32)>,
    /// The sticky presences (see [`BasePresence::is_sticky`]) it may be in.
    pub sticky: Vec<BasePresence>,
    /// The load bands it may be in while its presence follows its load.
    pub bands: Vec<LoadBand>,
}

impl AgentCondition {
    /// Whether no agent state at all meets it (no presence is allowed, or
    /// the work needs more than the agent's capacity or profile limit).
    pub fn never(&self) -> bool {
        self.sticky.is_empty() && self.bands.is_empty()
    }

    /// Whether `a` meets it, and if not, why (for an adapter that holds
    /// the agent in memory; a database adapter expresses the same).
    pub fn holds(&self, a: &AgentState) -> Result<(), String> {
        let id = &self.agent;
        if a.version != self.version {
            return Err(format!("agent {id} changed (version {})", a.version));
        }
        let status = a.presence.status;
        let allowed = if status.is_sticky() {
            self.sticky.contains(&status)
        } else {
            self.bands.contains(&a.load_band())
        };
        if !allowed {
            return Err(format!(
                "agent {id} is {} now",
                a.effective_presence().as_str()
            ));
        }
        if a.load.used > self.max_used_before {
            return Err(format!("agent {id} has no room ({} used)", a.load.used));
        }
        if let Some((p, max)) = &self.profile
            && a.load.profiles.get(p).copied().unwrap_or(0) > *max
        {
            return Err(format!("agent {id} has no room in profile {p}"));
        }
        Ok(())
    }
}

/// The conversation write of one routing write: the conversation, its new
/// state and record, when, and the routing version the write makes.
pub struct ConversationWrite<'a> {
    pub id: &'a ConversationId,
    pub state: ConversationState,
    pub routing: &'a crate::routing::record::Routing,
    pub at: Millis,
    pub rv: u64,
}

impl RoutingOp {
    /// The conversation write among `ops`, if there is one.
    pub fn conversation_write(ops: &[RoutingOp]) -> Option<ConversationWrite<'_>> {
        ops.iter().find_map(|op| match op {
            RoutingOp::Conversation {
                id,
                state,
                routing,
                at,
                expect,
                ..
            } => Some(ConversationWrite {
                id,
                state: *state,
                routing: routing.as_ref(),
                at: *at,
                rv: expect + 1,
            }),
            _ => None,
        })
    }
}

/// The routing state: atomic multi-item writes, queue contents in their
/// orders, queue members, and the scheduler's timers. Reads here use
/// indexes only (no scans).
#[async_trait]
pub trait RoutingStore: Send + Sync {
    async fn apply(&self, ops: &[RoutingOp]) -> StoreResult<()>;
    /// Waiting items in queue order (priority, then oldest), after the
    /// item whose `WaitingItem::key` is `after`.
    async fn waiting(
        &self,
        queue: &QueueId,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<WaitingItem>>;
    /// Waiting items whose messaging window closes before `before`, soonest first.
    async fn urgent(
        &self,
        queue: &QueueId,
        before: Millis,
        limit: usize,
    ) -> StoreResult<Vec<WaitingItem>>;
    /// How many are waiting, counting up to `up_to`.
    async fn count_waiting(&self, queue: &QueueId, up_to: usize) -> StoreResult<usize>;
    /// Agents that are members of the queue (whose configuration lists it),
    /// with presence and load. Shared (`Arc`): a routing decision reads
    /// every member, and an adapter that keeps decoded agents hands them out
    /// without copying each. Their state may lag behind the latest writes:
    /// whether a member may have the work is checked again by the write
    /// ([`AgentCondition`]), so a stale member only loses a race; the order
    /// members are ranked in, and a member who just made room being
    /// missed, are not checked (the agent's pull and the sweep make up for
    /// the latter).
    async fn queue_members(&self, queue: &QueueId) -> StoreResult<Vec<Arc<AgentState>>>;
    /// Timers due at or before `now`, earliest first.
    async fn due_timers(&self, now: Millis, limit: usize) -> StoreResult<Vec<Timer>>;
    /// The conversations in `state` whose `Conversation::inbox_agent` is
    /// `agent`, newest first, after the `Conversation::list_key` `after`.
    /// An index kept in the same write as every routing change and close.
    async fn agent_conversations(
        &self,
        agent: &AgentId,
        state: ConversationState,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<Conversation>>;
    /// Overwrite the routing record of a conversation in any state (closed
    /// too) without changing its state or indexes: erasure's write.
    /// Condition: its routing version is `expect`; it becomes `expect + 1`.
    async fn replace_routing(
        &self,
        id: &ConversationId,
        expect: u64,
        routing: &Routing,
    ) -> StoreResult<()>;
}

/// Outbound messages: created `queued`, then finished once.
#[async_trait]
pub trait OutboundStore: Send + Sync {
    /// `Conflict` when the id exists.
    async fn put_outbound(&self, message: &crate::outbound::Outbound) -> StoreResult<()>;
    async fn get_outbound(
        &self,
        id: &crate::ids::OutboundId,
    ) -> StoreResult<Option<crate::outbound::Outbound>>;
    /// Count an attempt on a queued message (`Conflict` when it is not
    /// queued): `claimed_at` is when a send to Meta began (its outcome is
    /// not known yet), or `None` once Meta answered that it did not take it.
    async fn count_attempt(
        &self,
        id: &crate::ids::OutboundId,
        attempts: u32,
        claimed_at: Option<Millis>,
    ) -> StoreResult<()>;
    /// Messages still `queued` that were created before `before`, oldest
    /// first (the scheduler's sweep).
    async fn queued_outbound(
        &self,
        before: Millis,
        limit: usize,
    ) -> StoreResult<Vec<crate::outbound::Outbound>>;
    /// Move a queued message to its outcome, once: `Conflict` when it is not
    /// queued any more (a redelivered send changes nothing). A `Sent`
    /// message becomes findable by Meta's `message_id`.
    async fn finish_outbound(
        &self,
        id: &crate::ids::OutboundId,
        status: &crate::outbound::Status,
    ) -> StoreResult<()>;
    /// The message Meta knows by `message_id` (for echoes and receipts).
    async fn outbound_by_mid(&self, mid: &str) -> StoreResult<Option<crate::outbound::Outbound>>;
    /// A conversation's outbound messages, oldest first.
    async fn list_outbound(
        &self,
        conversation: &ConversationId,
    ) -> StoreResult<Vec<crate::outbound::Outbound>>;
    /// Overwrite a finished message's content with `message`'s (erasure):
    /// its status, indexes and Meta's message id stay. `false` when the id
    /// is unknown or the message is still queued.
    async fn replace_outbound_content(
        &self,
        message: &crate::outbound::Outbound,
    ) -> StoreResult<bool>;
}

/// One entry of an append-only stream (an agent's event feed, survey
/// answers). The cursor orders the stream and identifies the entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamEntry {
    pub cursor: String,
    pub data: serde_json::Value,
    /// When the store may forget it (DynamoDB TTL); kept for ever when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Millis>,
}

impl StreamEntry {
    /// Whether the entry is still kept at `now`: it expires at its
    /// `expires_at`, not after.
    pub fn is_live(&self, now: Millis) -> bool {
        self.expires_at.is_none_or(|t| t > now)
    }
}

/// A cursor that sorts by time: `sortable(at)` then a unique suffix.
pub fn stream_cursor(at: Millis, unique: &str) -> String {
    format!("{}-{unique}", crate::routing::record::sortable(at))
}

/// One record read for a list. A record that cannot be read (written by
/// an older version, or damaged) is skipped, logged and counted: it never
/// breaks the list it is in.
pub fn listed<T>(what: &str, record: StoreResult<T>) -> Option<T> {
    match record {
        Ok(v) => Some(v),
        Err(e) => {
            tracing::error!(record = what, error = %e, "skipped a record that cannot be read");
            crate::metrics::count("UnreadableRecords", 1);
            None
        }
    }
}

/// Append-only streams, read in cursor order.
#[async_trait]
pub trait StreamStore: Send + Sync {
    /// Add an entry; appending the same (stream, cursor) again changes
    /// nothing and answers `false`.
    async fn append_entry(&self, stream: &str, entry: &StreamEntry) -> StoreResult<bool>;
    /// Overwrite the data of an existing entry (same stream and cursor):
    /// erasure's write to an append-only stream. `false` when there is none.
    async fn replace_entry(&self, stream: &str, entry: &StreamEntry) -> StoreResult<bool>;
    /// Entries after `after` (from the start when `None`), oldest first.
    async fn read_entries(
        &self,
        stream: &str,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<StreamEntry>>;
    /// Like `read_entries`, without the entries expired at `now`
    /// (`expires_at` at or before it); the store may delete those as it goes.
    async fn read_live_entries(
        &self,
        stream: &str,
        after: Option<&str>,
        limit: usize,
        now: Millis,
    ) -> StoreResult<Vec<StreamEntry>> {
        let entries = self.read_entries(stream, after, limit).await?;
        Ok(entries.into_iter().filter(|e| e.is_live(now)).collect())
    }
    /// A wake-up for entries appended to `stream` through this store, in
    /// this process, from now on (see the `stream_signal` module); `None`
    /// (the default) when the store gives none and readers only poll.
    fn watch(&self, _stream: &str) -> Option<StreamWatch> {
        None
    }
}

/// Told when an entry is appended to one stream after it was made (see
/// [`StreamStore::watch`]): made before a read, it misses no append that
/// the read did not see.
pub struct StreamWatch(tokio::sync::watch::Receiver<u64>);

impl StreamWatch {
    pub fn new(appends: tokio::sync::watch::Receiver<u64>) -> Self {
        Self(appends)
    }

    /// Returns once an entry was appended since this watch was made or
    /// last returned; never when its store is gone (the reader's timer
    /// then decides).
    pub async fn changed(&mut self) {
        if self.0.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// Whether an event opens a conversation when the customer has none open:
/// the customer's own activity, or another app passing the thread to
/// Switchboard (Meta sends `pass_thread_control` only to the new owner).
pub fn opens_conversation(event: &InboundEvent) -> bool {
    event.kind.is_customer_activity()
        || (event.kind == EventKind::Handover
            && event.channel == crate::messenger::Channel::Messaging
            && event
                .handover
                .as_ref()
                .is_some_and(|h| h.action == "pass_thread_control"))
}

// ---------------------------------------------------------------- queue port

/// A message to put on a FIFO queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMessage {
    pub group: String,
    pub dedup_id: String,
    pub body: String,
}

/// An entry of a batch send that the queue did not take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendFailure {
    pub index: usize,
    pub code: String,
    pub message: String,
    /// The request was wrong (retrying the same entry will not help).
    pub sender_fault: bool,
}

/// A message handed to a consumer; invisible to others until deleted,
/// released, or its visibility timeout passes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMessage {
    pub message_id: String,
    pub receipt: String,
    pub group: String,
    pub body: String,
    pub receive_count: u32,
}

/// A FIFO queue: per-group order, a group blocked while one of its messages
/// is in flight, deduplication by id over five minutes, redelivery after a
/// visibility timeout, and a dead-letter queue after too many receives.
#[async_trait]
pub trait Queue: Send + Sync {
    /// Send up to 10 messages; returns the entries that were not taken.
    async fn send_batch(
        &self,
        messages: &[OutgoingMessage],
    ) -> Result<Vec<SendFailure>, QueueError>;
    async fn receive(&self, max: usize, wait: Duration)
    -> Result<Vec<ReceivedMessage>, QueueError>;
    async fn delete(&self, receipt: &str) -> Result<(), QueueError>;
    /// Delete several received messages (a settled batch) at once; the
    /// default deletes them one by one.
    async fn delete_batch(&self, receipts: &[&str]) -> Result<(), QueueError> {
        for r in receipts {
            self.delete(r).await?;
        }
        Ok(())
    }
    /// Make an in-flight message visible again after `delay`.
    async fn release(&self, receipt: &str, delay: Duration) -> Result<(), QueueError>;
}

/// Most entries SQS takes in one `SendMessageBatch`.
pub const MAX_BATCH: usize = 10;

// ---------------------------------------------------------------- secrets port

/// Secret values by name: app secrets and page tokens.
#[async_trait]
pub trait SecretStore: Send + Sync {
    async fn put(&self, name: &str, value: &Secret) -> Result<(), SecretError>;
    async fn get(&self, name: &str) -> Result<Option<Secret>, SecretError>;
    async fn delete(&self, name: &str) -> Result<(), SecretError>;
}

/// The secret name of an account's app secret.
pub fn app_secret_name(account: &AccountId) -> String {
    format!("switchboard/accounts/{account}/app-secret")
}

/// The secret name of a page token.
pub fn page_token_name(page: &PageId) -> String {
    format!("switchboard/pages/{page}/access-token")
}

/// How long a queue consumer waits on an empty queue (long poll).
pub const LONG_POLL: Duration = Duration::from_secs(20);
