//! Survey results over a period: how many answered and the average score,
//! per agent and per queue. The survey stream is in answer-time order, so
//! the period is one range read of its answers, not of everything.

use crate::delivery::{SURVEYS_STREAM, SurveyAnswer};
use crate::ids::ConversationId;
use crate::problem::Problem;
use crate::routing::engine::RoutingDeps;
use crate::routing::model::{AgentId, QueueId};
use crate::routing::record::sortable;
use crate::time::{self, Millis};
use crate::workstreams::WorkstreamId;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// Answers read per stream read.
const PAGE: usize = 500;
/// Most answers one summary reads (`truncated` beyond: ask for a shorter period).
pub const MAX_ANSWERS: usize = 50_000;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AgentScore {
    pub agent_id: AgentId,
    pub responses: u64,
    pub average: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct QueueScore {
    pub queue_id: QueueId,
    pub responses: u64,
    pub average: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SurveySummary {
    #[serde(with = "time::rfc3339")]
    pub from: Millis,
    #[serde(with = "time::rfc3339")]
    pub to: Millis,
    pub responses: u64,
    pub agents: Vec<AgentScore>,
    pub queues: Vec<QueueScore>,
    /// More than [`MAX_ANSWERS`] answered in the period; the first ones are counted.
    pub truncated: bool,
}

#[derive(Default)]
struct Tally {
    responses: u64,
    total: u64,
}

impl Tally {
    fn add(&mut self, score: u8) {
        self.responses += 1;
        self.total += u64::from(score);
    }

    fn average(&self) -> f64 {
        if self.responses == 0 {
            return 0.0;
        }
        let avg = self.total as f64 / self.responses as f64;
        (avg * 100.0).round() / 100.0
    }
}

/// How far back a summary reaches when `from` is not given.
pub const DEFAULT_PERIOD_SECS: i64 = 30 * 86_400;

/// The answers given from `from` (inclusive; default 30 days before `to`)
/// to `to` (exclusive; default: every answer to date, `to` shown as now),
/// summed per agent (who held the conversation) and per queue (where it
/// was routed); an answer with neither counts in `responses` only.
/// `400 invalid_period` unless `from` is before `to`.
pub async fn summary(
    deps: &RoutingDeps,
    from: Option<Millis>,
    to: Option<Millis>,
) -> Result<SurveySummary, Problem> {
    summary_of(deps, from, to, &|_, _| true).await
}

/// Which survey answers a summary counts, from the queue and workstream of
/// their conversation (`None`: not routed to one, or an answer stored
/// before it named it).
pub(super) type Keep<'a> = &'a (dyn Fn(Option<&QueueId>, Option<&WorkstreamId>) -> bool + Sync);

/// [`summary`] of the answers `keep` says.
pub(super) async fn summary_of(
    deps: &RoutingDeps,
    from: Option<Millis>,
    to: Option<Millis>,
    keep: Keep<'_>,
) -> Result<SurveySummary, Problem> {
    let until = to.unwrap_or_else(|| deps.clock.now());
    let from = from.unwrap_or(until.plus_secs(-DEFAULT_PERIOD_SECS).max(Millis::EARLIEST));
    if from >= until {
        return Err(Problem::bad_request(
            "invalid_period",
            format!(
                "from ({}) must be before to ({})",
                from.to_rfc3339(),
                until.to_rfc3339()
            ),
        ));
    }
    let end = to.map(sortable);
    let mut after = Some(sortable(from));
    let mut agents: BTreeMap<AgentId, Tally> = BTreeMap::new();
    let mut queues: BTreeMap<QueueId, Tally> = BTreeMap::new();
    let mut queue_of: HashMap<ConversationId, Option<QueueId>> = HashMap::new();
    let mut responses = 0u64;
    let mut read = 0usize;
    let mut truncated = false;
    'pages: loop {
        let entries = deps
            .streams
            .read_entries(SURVEYS_STREAM, after.as_deref(), PAGE)
            .await?;
        let full = entries.len() == PAGE;
        for e in entries {
            if end.as_deref().is_some_and(|end| e.cursor.as_str() >= end) {
                break 'pages;
            }
            if read == MAX_ANSWERS {
                truncated = true;
                break 'pages;
            }
            read += 1;
            after = Some(e.cursor.clone());
            let Some(answer) = crate::ports::listed(
                "survey answer",
                serde_json::from_value::<SurveyAnswer>(e.data)
                    .map_err(|e| crate::ports::StoreError::Corrupt(e.to_string())),
            ) else {
                continue;
            };
            let queue = match answer.queue {
                Some(q) => Some(q),
                // Answers stored before they named their queue.
                None => match queue_of.get(&answer.conversation_id) {
                    Some(q) => q.clone(),
                    None => {
                        let q = deps
                            .conversations
                            .get_conversation(&answer.conversation_id)
                            .await?
                            .and_then(|c| c.routing)
                            .and_then(|r| r.queue);
                        queue_of.insert(answer.conversation_id.clone(), q.clone());
                        q
                    }
                },
            };
            if !keep(queue.as_ref(), answer.workstream.as_ref()) {
                continue;
            }
            responses += 1;
            if let Some(a) = &answer.agent_id {
                agents.entry(a.clone()).or_default().add(answer.score);
            }
            if let Some(q) = queue {
                queues.entry(q).or_default().add(answer.score);
            }
        }
        if !full {
            break;
        }
    }
    Ok(SurveySummary {
        from,
        to: until,
        responses,
        agents: agents
            .into_iter()
            .map(|(agent_id, t)| AgentScore {
                agent_id,
                responses: t.responses,
                average: t.average(),
            })
            .collect(),
        queues: queues
            .into_iter()
            .map(|(queue_id, t)| QueueScore {
                queue_id,
                responses: t.responses,
                average: t.average(),
            })
            .collect(),
        truncated,
    })
}
