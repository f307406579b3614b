//! What routing is made of: agents and their presence and load, queues with
//! operating hours and overflow, classification and route-to-queue
//! rulesets, a workstream's distribution settings, and the routing record a
//! conversation carries (with the decisions the diagnostics show).

use crate::ids::{PageId, WorkstreamId, string_id};
use crate::time::{self, Millis};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Ids name agents in outbound messages and tokens too, so it lives with the others.
pub use crate::ids::AgentId;
string_id!(
    /// A queue id, e.g. `billing`.
    QueueId, "queue id", slug
);
string_id!(
    /// A ruleset id.
    RulesetId, "ruleset id", slug
);
string_id!(
    /// A skill, e.g. `billing` or `danish`.
    Skill, "skill", slug
);
string_id!(
    /// A capacity profile, e.g. `chat`.
    ProfileName, "capacity profile", slug
);

// ------------------------------------------------------------------ presence

/// The base presence states every custom presence maps onto.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Debug)]
#[serde(rename_all = "snake_case")]
pub enum BasePresence {
    Available,
    Busy,
    BusyDnd,
    Away,
    Offline,
}

impl BasePresence {
    pub const ALL: [BasePresence; 5] = [
        Self::Available,
        Self::Busy,
        Self::BusyDnd,
        Self::Away,
        Self::Offline,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Available => "available",
            Self::Busy => "busy",
            Self::BusyDnd => "busy_dnd",
            Self::Away => "away",
            Self::Offline => "offline",
        }
    }

    /// Set by hand, these stay until changed by hand; the others follow load.
    pub fn is_sticky(self) -> bool {
        matches!(self, Self::BusyDnd | Self::Away | Self::Offline)
    }
}

/// What an agent (or a supervisor) set. `Available` and `Busy` mean "follow
/// my load"; Away, Busy-DND and Offline stay until changed.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug)]
pub struct PresenceSetting {
    pub status: BasePresence,
    /// A custom presence name ("Lunch", "Training") shown instead of the base.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(with = "time::rfc3339")]
    pub set_at: Millis,
}

impl PresenceSetting {
    pub fn offline(at: Millis) -> Self {
        Self {
            status: BasePresence::Offline,
            label: None,
            set_at: at,
        }
    }

    /// The value the store conditions on: the sticky base, or `auto`.
    pub fn stored_mode(&self) -> &'static str {
        if self.status.is_sticky() {
            self.status.as_str()
        } else {
            "auto"
        }
    }
}

// ------------------------------------------------------------------ agents

/// An agent's configuration (what an administrator manages).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug)]
pub struct Agent {
    pub id: AgentId,
    pub name: String,
    pub email: String,
    /// Skill -> proficiency, 1 to 10.
    #[serde(default)]
    pub skills: BTreeMap<Skill, u8>,
    /// Capacity units.
    pub capacity: u32,
    /// Optional per-profile limits (conversations at once).
    #[serde(default)]
    pub profiles: BTreeMap<ProfileName, u32>,
    #[serde(default)]
    pub queues: Vec<QueueId>,
    #[serde(with = "time::rfc3339")]
    pub created_at: Millis,
    #[serde(with = "time::rfc3339")]
    pub updated_at: Millis,
}

/// What an agent holds right now.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug, Default)]
pub struct AgentLoad {
    /// Capacity units in use.
    pub used: u32,
    /// Conversations held per capacity profile.
    #[serde(default)]
    pub profiles: BTreeMap<ProfileName, u32>,
    /// Conversations offered to or held by the agent.
    pub active: u32,
    #[serde(default, with = "time::rfc3339::option")]
    pub last_assigned_at: Option<Millis>,
    /// When the agent last finished (released) a conversation.
    #[serde(default, with = "time::rfc3339::option")]
    pub last_freed_at: Option<Millis>,
}

/// An agent as the store holds it: configuration (versioned), presence and load.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug)]
pub struct AgentState {
    pub agent: Agent,
    /// Bumped by every configuration change; capacity writes condition on it.
    pub version: u64,
    pub presence: PresenceSetting,
    pub load: AgentLoad,
    /// The last heartbeat of their console (`None`: never sent one, as an
    /// API client): see [`crate::routing::engine::heartbeat`].
    #[serde(default, with = "time::rfc3339::option")]
    pub heartbeat_at: Option<Millis>,
}

/// So that routing ranks owned and shared (`Arc`) agents alike.
impl AsRef<AgentState> for AgentState {
    fn as_ref(&self) -> &AgentState {
        self
    }
}

/// Where an agent whose presence follows their load (`auto`) stands:
/// holding nothing, holding something with units to spare, or holding
/// something with every unit in use. Routing's writes condition on it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum LoadBand {
    /// No units used and no conversation held: Available.
    Idle,
    /// Something held, fewer units used than the capacity: Busy.
    Busy,
    /// Something held, every unit in use: Busy-DND.
    Full,
}

impl LoadBand {
    pub const ALL: [LoadBand; 3] = [Self::Idle, Self::Busy, Self::Full];

    /// The presence others see for an agent in this band.
    pub fn presence(self) -> BasePresence {
        match self {
            Self::Idle => BasePresence::Available,
            Self::Busy => BasePresence::Busy,
            Self::Full => BasePresence::BusyDnd,
        }
    }
}

/// The highest configuration version a new agent starts at: versions stay
/// below 2^53 after any number of edits a person could make, so a JSON
/// number (a browser's `Number`) holds them exactly.
const FIRST_VERSION_MAX: u64 = 1 << 52;

impl AgentState {
    /// A newly created agent: offline since its creation, holding nothing,
    /// at a random first version. An agent deleted and created again under
    /// the same id so starts somewhere else than the old one did, and a
    /// routing write made from a read of the old one fails the new one's
    /// version condition (it would pass if both started at 1).
    pub fn created(agent: Agent) -> Self {
        Self {
            presence: PresenceSetting::offline(agent.created_at),
            agent,
            version: rand::random_range(1..FIRST_VERSION_MAX),
            load: AgentLoad::default(),
            heartbeat_at: None,
        }
    }

    /// This agent with its configuration replaced by `agent` (keeping when
    /// it was created), at the next version; presence and load stay.
    pub fn reconfigured(&self, agent: &Agent) -> Self {
        Self {
            agent: Agent {
                created_at: self.agent.created_at,
                ..agent.clone()
            },
            version: self.version + 1,
            presence: self.presence.clone(),
            load: self.load.clone(),
            heartbeat_at: self.heartbeat_at,
        }
    }

    /// Presence as others see it: sticky states as set, else from load.
    pub fn effective_presence(&self) -> BasePresence {
        if self.presence.status.is_sticky() {
            self.presence.status
        } else {
            self.load_band().presence()
        }
    }

    /// Where the agent's load puts them while their presence follows it.
    pub fn load_band(&self) -> LoadBand {
        if self.load.used == 0 && self.load.active == 0 {
            LoadBand::Idle
        } else if self.load.used >= self.agent.capacity {
            LoadBand::Full
        } else {
            LoadBand::Busy
        }
    }

    pub fn free_units(&self) -> u32 {
        self.agent.capacity.saturating_sub(self.load.used)
    }

    /// Presence as the APIs show it: as set (with its custom label), as
    /// others see it, and the capacity in use.
    pub fn presence_view(&self) -> PresenceView {
        PresenceView {
            agent_id: self.agent.id.clone(),
            status: self.presence.status,
            label: self.presence.label.clone(),
            effective: self.effective_presence(),
            set_at: self.presence.set_at,
            used_capacity: self.load.used,
            capacity: self.agent.capacity,
        }
    }
}

/// See [`AgentState::presence_view`].
#[derive(Clone, PartialEq, Eq, Serialize, Debug)]
pub struct PresenceView {
    pub agent_id: AgentId,
    pub status: BasePresence,
    pub label: Option<String>,
    pub effective: BasePresence,
    #[serde(with = "time::rfc3339")]
    pub set_at: Millis,
    pub used_capacity: u32,
    pub capacity: u32,
}

// ------------------------------------------------------------------ queues

#[derive(Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Debug, Default)]
#[serde(rename_all = "snake_case")]
pub enum AssignmentMethod {
    /// Most free capacity first; ties by longest since last assignment.
    #[default]
    HighestCapacity,
    /// Longest since last assignment first.
    RoundRobin,
    /// Longest since the agent last finished a conversation first.
    LeastActive,
}

/// A span of a day, `09:00`-`17:00` (end exclusive; `24:00` allowed as end).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug)]
pub struct DaySpan {
    pub from: String,
    pub to: String,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct OperatingHours {
    /// IANA time zone, e.g. `Europe/Copenhagen`.
    pub time_zone: String,
    /// `monday` ... `sunday` -> open spans; a day not listed is closed.
    #[serde(default)]
    pub weekly: BTreeMap<String, Vec<DaySpan>>,
    /// Closed all day (`2026-12-25`).
    #[serde(default)]
    pub holidays: Vec<String>,
}

/// What to do with a conversation a queue cannot take (or kept too long).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum OverflowAction {
    /// Move it to another queue.
    Transfer { queue: QueueId },
    /// End the conversation, telling the customer why.
    End {
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            deserialize_with = "crate::serde_rules::present"
        )]
        message: Option<String>,
    },
    /// Queue it here anyway.
    QueueAnyway,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug)]
pub struct MaxWaiting {
    /// More than this many waiting items -> overflow.
    pub items: u32,
    #[serde(flatten)]
    pub then: OverflowAction,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug)]
pub struct MaxWait {
    /// Waiting longer than this -> overflow.
    pub seconds: u64,
    #[serde(flatten)]
    pub then: OverflowAction,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct Overflow {
    /// Before queueing, outside operating hours.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::serde_rules::present"
    )]
    pub out_of_hours: Option<OverflowAction>,
    /// Before queueing, when too many are waiting.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::serde_rules::present"
    )]
    pub max_waiting: Option<MaxWaiting>,
    /// After queueing, when one waited too long.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::serde_rules::present"
    )]
    pub max_wait: Option<MaxWait>,
}

impl Overflow {
    /// The queues the actions transfer to.
    pub fn targets(&self) -> impl Iterator<Item = &QueueId> {
        [
            self.out_of_hours.as_ref(),
            self.max_waiting.as_ref().map(|m| &m.then),
            self.max_wait.as_ref().map(|m| &m.then),
        ]
        .into_iter()
        .flatten()
        .filter_map(|a| match a {
            OverflowAction::Transfer { queue } => Some(queue),
            _ => None,
        })
    }
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug)]
pub struct Queue {
    pub id: QueueId,
    pub name: String,
    /// Lower first.
    pub priority: u32,
    pub assignment: AssignmentMethod,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<OperatingHours>,
    #[serde(default)]
    pub overflow: Overflow,
    #[serde(with = "time::rfc3339")]
    pub created_at: Millis,
    #[serde(with = "time::rfc3339")]
    pub updated_at: Millis,
}

// ------------------------------------------------------------------ rules

/// A condition over the conversation and the customer.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// Always true.
    Always,
    All(Vec<Condition>),
    Any(Vec<Condition>),
    Not(Box<Condition>),
    /// The page the customer wrote to (one of these).
    Page(Vec<PageId>),
    /// The conversation's language (detected from the text, else the
    /// workstream's): `da` matches `da` and `da-DK`.
    Locale(String),
    /// The first message contains this (case-insensitive).
    TextContains(String),
    /// The first message matches this regular expression.
    TextMatches(String),
    /// A quick-reply or postback payload equals this.
    Payload(String),
    /// The referral `ref` (m.me link, ad, chat plugin) equals this.
    Ref(String),
    /// The referral came from this ad.
    AdId(String),
    /// A contact field equals a value: `{contact: {field: name, equals: ...}}`.
    Contact {
        field: String,
        equals: String,
    },
    /// The customer wrote before (an earlier conversation exists).
    ReturningCustomer(bool),
    /// Local time of day in a zone, `from` inclusive, `to` exclusive.
    TimeOfDay {
        from: String,
        to: String,
        time_zone: String,
    },
    /// An attribute set by an earlier ruleset equals this.
    Attribute {
        name: String,
        equals: String,
    },
}

/// What a classification rule sets.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct Outputs {
    /// Required skills with minimum proficiency.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub skills: BTreeMap<Skill, u8>,
    /// Lower first; absent keeps what earlier rules set.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::serde_rules::present"
    )]
    pub priority: Option<u32>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct ClassifyRule {
    pub name: String,
    pub when: Condition,
    #[serde(default)]
    pub set: Outputs,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RouteRule {
    pub name: String,
    pub when: Condition,
    pub queue: QueueId,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RulesetKind {
    Classification { rules: Vec<ClassifyRule> },
    RouteToQueue { rules: Vec<RouteRule> },
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug)]
pub struct Ruleset {
    pub id: RulesetId,
    pub workstream: WorkstreamId,
    pub name: String,
    /// Rulesets of a workstream run in this order (then by id).
    pub order: u32,
    #[serde(flatten)]
    pub kind: RulesetKind,
    #[serde(with = "time::rfc3339")]
    pub created_at: Millis,
    #[serde(with = "time::rfc3339")]
    pub updated_at: Millis,
}

// ------------------------------------------------------------------ workstream distribution

#[derive(Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Debug, Default)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Offer each conversation to one agent.
    #[default]
    Push,
    /// Agents take waiting work from their queues.
    Pick,
}

#[derive(Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Debug, Default)]
#[serde(rename_all = "snake_case")]
pub enum SkillMatching {
    /// Every required skill at or above its minimum.
    #[default]
    Exact,
    /// Exact matches first; without one, the agents closest to it.
    Closest,
    /// Skills are ignored.
    None,
}

/// Capacity one conversation takes.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct CapacityNeed {
    #[serde(default = "one")]
    pub units: u32,
    /// Also counts against this profile's limit (agents without the profile
    /// cannot take it).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::serde_rules::present"
    )]
    pub profile: Option<ProfileName>,
}

fn one() -> u32 {
    1
}

impl Default for CapacityNeed {
    fn default() -> Self {
        Self {
            units: 1,
            profile: None,
        }
    }
}

/// Whether an ended conversation keeps its agent's capacity during wrap-up.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug, Default)]
#[serde(rename_all = "snake_case")]
pub enum WrapUp {
    /// Until the agent closes it.
    Always,
    /// Released when the agent ends it.
    #[default]
    Never,
    /// For this long, then released.
    Seconds(u64),
}

fn default_presences() -> Vec<BasePresence> {
    vec![BasePresence::Available, BasePresence::Busy]
}
fn default_offer_timeout() -> u64 {
    120
}
fn default_max_declines() -> u32 {
    1
}
fn default_urgent() -> u64 {
    2 * 3600
}
fn default_affinity_wait() -> u64 {
    60
}
fn yes() -> bool {
    true
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct Affinity {
    /// Offer a returning customer to the agent of their last conversation first.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// How long to wait for that agent before anyone else may take it.
    #[serde(default = "default_affinity_wait")]
    pub wait_seconds: u64,
}

impl Default for Affinity {
    fn default() -> Self {
        Self {
            enabled: false,
            wait_seconds: default_affinity_wait(),
        }
    }
}

/// How a workstream's conversations reach agents.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct Distribution {
    /// Fixed after creation.
    #[serde(default)]
    pub mode: Mode,
    #[serde(default)]
    pub capacity: CapacityNeed,
    #[serde(default = "default_presences")]
    pub allowed_presences: Vec<BasePresence>,
    #[serde(default)]
    pub skill_matching: SkillMatching,
    /// Where conversations go when no route-to-queue rule matches.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::serde_rules::present"
    )]
    pub fallback_queue: Option<QueueId>,
    #[serde(default)]
    pub affinity: Affinity,
    /// An offer not answered in this time counts as a decline.
    #[serde(default = "default_offer_timeout")]
    pub offer_timeout_seconds: u64,
    /// After this many declines an agent is not offered the conversation again.
    #[serde(default = "default_max_declines")]
    pub max_declines: u32,
    /// Close conversations with no activity for this long.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::serde_rules::present"
    )]
    pub auto_close_after_seconds: Option<u64>,
    /// Take back an accepted conversation whose agent has not replied
    /// this long after accepting it: it goes back to its queue, ahead of
    /// newer work, and on to the next agent (off when absent).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::serde_rules::present"
    )]
    pub reclaim_after_seconds: Option<u64>,
    /// Show supervisors an alert for an accepted conversation whose agent
    /// has not replied this long after accepting it; the work stays (off
    /// when absent).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::serde_rules::present"
    )]
    pub first_response_alert_seconds: Option<u64>,
    /// Hand the conversations of an agent who has been away or offline
    /// this long (where `allowed_presences` does not let them work) to
    /// someone present: at once where the customer wrote last, when the
    /// customer writes again where the agent did (off when absent).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::serde_rules::present"
    )]
    pub handoff_after_seconds: Option<u64>,
    #[serde(default)]
    pub wrap_up: WrapUp,
    /// A conversation whose messaging window closes within this goes first.
    #[serde(default = "default_urgent")]
    pub urgent_before_seconds: u64,
}

impl Default for Distribution {
    fn default() -> Self {
        serde_json::from_str("{}").expect("every field has a default")
    }
}
