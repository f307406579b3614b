//! What routing writes on a conversation and beside it: the routing record
//! (state, queue, offer, holder, version), the decisions the diagnostics
//! show, the waiting-list item and the timers. The configuration these
//! refer to (agents, queues, rulesets, distribution) is in [`super::model`].

use super::model::{AgentId, BasePresence, CapacityNeed, ProfileName, QueueId, RulesetId, Skill};
use crate::follow_up::FollowUp;
use crate::ids::{ConversationId, WorkstreamId};
use crate::time::{self, Millis};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An offer waiting for the agent's answer.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug)]
pub struct Offer {
    pub agent: AgentId,
    #[serde(with = "time::rfc3339")]
    pub offered_at: Millis,
    #[serde(with = "time::rfc3339")]
    pub expires_at: Millis,
}

/// Why one agent was or was not chosen.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum AgentVerdict {
    Chosen,
    Presence {
        presence: BasePresence,
    },
    Capacity {
        free: u32,
        needed: u32,
    },
    Profile {
        profile: ProfileName,
    },
    Skills {
        missing: Vec<String>,
    },
    Declined {
        times: u32,
    },
    /// Reserved for the agent of the customer's last conversation.
    Affinity {
        reserved_for: AgentId,
    },
    /// Another router took the agent's capacity first.
    LostRace,
    /// Eligible, ranked lower.
    Ranked {
        rank: u32,
    },
}

impl AgentVerdict {
    /// The verdict in a sentence, for people.
    pub fn sentence(&self) -> String {
        match self {
            Self::Chosen => "chosen".into(),
            Self::Presence { presence } => format!("presence is {}", presence.as_str()),
            // Work that needs no units is refused only to an agent over
            // their capacity (it was lowered while they held work).
            Self::Capacity { needed: 0, .. } => "over capacity".into(),
            Self::Capacity { free, needed } => {
                format!("{free} capacity units free, needs {needed}")
            }
            Self::Profile { profile } => format!("at the limit of capacity profile {profile}"),
            Self::Skills { missing } => format!("missing skills: {}", missing.join(", ")),
            Self::Declined { times } => format!("declined it {times} times"),
            Self::Affinity { reserved_for } => format!("reserved for {reserved_for}"),
            Self::LostRace => "another router took the capacity first".into(),
            Self::Ranked { rank } => format!("ranked {rank}"),
        }
    }
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug)]
pub struct AgentConsidered {
    pub agent: AgentId,
    #[serde(flatten)]
    pub verdict: AgentVerdict,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug)]
pub struct RuleTrace {
    pub rule: String,
    pub matched: bool,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug)]
pub struct RulesetTrace {
    pub ruleset: RulesetId,
    pub kind: String,
    pub rules: Vec<RuleTrace>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matched: Option<String>,
}

impl RulesetTrace {
    /// Note that the rule `rule` was evaluated, and whether it matched.
    pub(crate) fn tried(&mut self, rule: &str, matched: bool) {
        self.rules.push(RuleTrace {
            rule: rule.to_string(),
            matched,
        });
    }
}

/// One step the router took, as the diagnostics show it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug)]
pub struct Decision {
    #[serde(with = "time::rfc3339")]
    pub at: Millis,
    /// `classified`, `queued`, `offered`, `waiting`, `accepted`, `declined`,
    /// `offer_expired`, `overflow`, `transferred`, `ended`, `closed`...
    pub step: String,
    pub detail: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rulesets: Vec<RulesetTrace>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub agents: Vec<AgentConsidered>,
    /// Agents left out of `agents` (only the first ones are listed), by reason.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub more_agents: BTreeMap<String, u32>,
    /// The routing version the write that recorded it created (what tells
    /// a write's own decisions from earlier ones); [`UNWRITTEN`] until then.
    #[serde(default)]
    pub rv: u64,
}

/// A decision's `rv` before the write that records it.
pub const UNWRITTEN: u64 = u64::MAX;

/// Most decisions a conversation keeps (oldest dropped first).
pub const MAX_DECISIONS: usize = 30;
/// Most agents one decision lists by name.
pub const MAX_AGENTS_LISTED: usize = 25;

/// Everything routing knows about a conversation.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug, Default)]
pub struct Routing {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workstream: Option<WorkstreamId>,
    /// The customer's language as classification found it (automated
    /// messages are chosen by it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<QueueId>,
    #[serde(default)]
    pub priority: u32,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub skills: BTreeMap<Skill, u8>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
    #[serde(default)]
    pub capacity: CapacityNeed,
    /// The agent offered or holding it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<AgentId>,
    /// Whether `agent`'s capacity is held for it.
    #[serde(default)]
    pub holds_capacity: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offer: Option<Offer>,
    #[serde(default, with = "time::rfc3339::option")]
    pub queued_at: Option<Millis>,
    /// Where the queue's `max_wait` counts from when not `queued_at`: it
    /// was taken back from an agent and queued again then.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::rfc3339::option"
    )]
    pub overflow_from: Option<Millis>,
    #[serde(default, with = "time::rfc3339::option")]
    pub assigned_at: Option<Millis>,
    /// When the agent holding it first replied since `assigned_at` (none
    /// yet: their customer waits for a first answer; see reclaim).
    #[serde(default, with = "time::rfc3339::option")]
    pub answered_at: Option<Millis>,
    /// When an agent first answered in this conversation (never reset).
    #[serde(default, with = "time::rfc3339::option")]
    pub first_answered_at: Option<Millis>,
    /// Its agent has been absent past the hand-off time, and answered
    /// last: it goes to someone present when the customer writes again.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hand_off_when_customer_writes: bool,
    /// Key of the waiting item while queued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting_key: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub declines: BTreeMap<AgentId, u32>,
    /// Reserved for this agent until `affinity_until`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affinity_agent: Option<AgentId>,
    #[serde(default, with = "time::rfc3339::option")]
    pub affinity_until: Option<Millis>,
    #[serde(default, with = "time::rfc3339::option")]
    pub wrap_up_until: Option<Millis>,
    /// The messaging window closes here (24 hours, or 7 days with the
    /// tag): the window its `window_closing` timer watches, kept up to date
    /// as the customer writes again.
    #[serde(default, with = "time::rfc3339::option")]
    pub window_closes_at: Option<Millis>,
    /// The window closes within the hour with the customer's last message
    /// unanswered: escalated then (top of its queue, a supervisor alert),
    /// until answered or the window moves or closes.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::rfc3339::option"
    )]
    pub window_escalated_at: Option<Millis>,
    /// The close of the last window counted as abandoned (counted once).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::rfc3339::option"
    )]
    pub window_abandoned_at: Option<Millis>,
    /// Its time with the workstream's bot ([`crate::bot`]), when it had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot: Option<crate::bot::BotRecord>,
    /// Follow-up work ([`crate::follow_up`]): the window had closed when
    /// it was routed. It costs no capacity: offered, accepted, ended and
    /// closed without taking or releasing any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_up: Option<FollowUp>,
    /// Conversation Routing ([`crate::thread_control`]): the thread passed
    /// to Switchboard by another app, gone to one, or asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread: Option<crate::thread_control::ThreadControl>,
    /// The customer's data was erased then ([`crate::privacy::erasure`]):
    /// nothing more goes to the customer from this conversation.
    #[serde(default, with = "time::rfc3339::option")]
    pub erased_at: Option<Millis>,
    /// Why it is waiting (or how it ended), in a sentence.
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub decisions: Vec<Decision>,
}

impl Routing {
    /// Whether an agent offered or holding it holds capacity for it
    /// (follow-up work does not).
    pub fn costs_capacity(&self) -> bool {
        self.follow_up.is_none()
    }

    pub fn record(&mut self, d: Decision) {
        self.decisions.push(d);
        if self.decisions.len() > MAX_DECISIONS {
            let extra = self.decisions.len() - MAX_DECISIONS;
            self.decisions.drain(..extra);
        }
    }
}

/// A queued conversation as its queue lists it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug)]
pub struct WaitingItem {
    pub queue: QueueId,
    pub conversation_id: ConversationId,
    pub priority: u32,
    /// Oldest first within a priority.
    #[serde(with = "time::rfc3339")]
    pub since: Millis,
    /// When its window closes; [`Millis::LATEST`] for follow-up work,
    /// whose window closed already: it is never urgent, and the
    /// window-aware index reaches every live window before it.
    #[serde(with = "time::rfc3339")]
    pub window_closes_at: Millis,
    /// Follow-up work (see [`Routing::follow_up`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub follow_up: bool,
    #[serde(with = "time::rfc3339")]
    pub queued_at: Millis,
    #[serde(default)]
    pub skills: BTreeMap<Skill, u8>,
    #[serde(default)]
    pub capacity: CapacityNeed,
    /// Who declined it, how many times (agents at the limit are skipped).
    #[serde(default)]
    pub declines: BTreeMap<AgentId, u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affinity_agent: Option<AgentId>,
    #[serde(default, with = "time::rfc3339::option")]
    pub affinity_until: Option<Millis>,
    pub workstream: WorkstreamId,
}

fn offset(t: Millis) -> u128 {
    (i128::from(t.0) + i128::from(i64::MAX) + 1) as u128
}

/// A time as a fixed-width string that sorts like the number (for sort keys).
pub fn sortable(t: Millis) -> String {
    format!("{:020}", offset(t))
}

impl WaitingItem {
    /// The queue order: priority, then oldest, then id.
    pub fn key(&self) -> String {
        format!(
            "{:010}#{:020}#{}",
            self.priority,
            offset(self.since),
            self.conversation_id
        )
    }

    /// The `since` a queue-order key (from [`Self::key`]) holds.
    pub fn since_in_key(key: &str) -> Option<Millis> {
        let offset: i128 = key.split('#').nth(1)?.parse().ok()?;
        i64::try_from(offset - i128::from(i64::MAX) - 1)
            .ok()
            .map(Millis)
    }

    /// A key after every item of `priority` and before those of the next
    /// priority: reading `waiting` after it skips to the next level.
    pub fn after_priority(priority: u32) -> String {
        format!("{priority:010}#~")
    }

    /// The order of the window-aware index: soonest closing first.
    pub fn urgency_key(&self) -> String {
        format!(
            "{:020}#{}",
            offset(self.window_closes_at),
            self.conversation_id
        )
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Debug, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum TimerKind {
    OfferExpiry,
    WaitOverflow,
    AutoClose,
    WrapUpEnd,
    AffinityEnd,
    /// The customer still waits for the bot's answer: escalate.
    BotSilent,
    /// The workstream's `retention.transcripts_days` after the close.
    TranscriptRetention,
    /// The workstream's `retention.raw_payload_days` after the close.
    RawPayloadRetention,
    /// The workstream's `reclaim_after_seconds` after an agent took it:
    /// taken back unless they have replied.
    Reclaim,
    /// The workstream's `handoff_after_seconds` after its agent became
    /// away or offline: handed to someone present.
    HandOff,
    /// An hour before the customer's messaging window closes: escalated
    /// if their last message is unanswered; at the close, counted as
    /// abandoned if it still is ([`crate::routing::engine`]'s `window`).
    WindowClosing,
}

impl TimerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OfferExpiry => "offer_expiry",
            Self::WaitOverflow => "wait_overflow",
            Self::AutoClose => "auto_close",
            Self::WrapUpEnd => "wrap_up_end",
            Self::AffinityEnd => "affinity_end",
            Self::BotSilent => "bot_silent",
            Self::TranscriptRetention => "transcript_retention",
            Self::RawPayloadRetention => "raw_payload_retention",
            Self::Reclaim => "reclaim",
            Self::HandOff => "hand_off",
            Self::WindowClosing => "window_closing",
        }
    }
}

/// Work the scheduler does when `due` passes.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug)]
pub struct Timer {
    pub kind: TimerKind,
    #[serde(with = "time::rfc3339")]
    pub due: Millis,
    pub conversation_id: ConversationId,
}

impl Timer {
    pub fn key(&self) -> String {
        format!(
            "{:020}#{}#{}",
            offset(self.due),
            self.kind.as_str(),
            self.conversation_id
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(priority: u32, since: i64) -> WaitingItem {
        WaitingItem {
            queue: QueueId::parse("q").unwrap(),
            conversation_id: ConversationId::parse("cv_1").unwrap(),
            priority,
            since: Millis(since),
            window_closes_at: Millis(0),
            follow_up: false,
            queued_at: Millis(0),
            skills: BTreeMap::new(),
            capacity: CapacityNeed::default(),
            declines: BTreeMap::new(),
            affinity_agent: None,
            affinity_until: None,
            workstream: WorkstreamId::parse("ws").unwrap(),
        }
    }

    #[test]
    fn after_priority_skips_one_level_and_only_it() {
        for p in [0, 1, 9, 10, 4_000_000] {
            let after = WaitingItem::after_priority(p);
            for since in [i64::MIN, -1, 0, 1, i64::MAX] {
                assert!(item(p, since).key() < after, "{p} {since}");
                assert!(item(p + 1, since).key() > after, "{p} {since}");
            }
        }
    }
}
