//! Service levels: the facts routing records as they happen (an
//! assignment and how long it waited, an agent's first answer and how long
//! the customer waited for it, a close with its handle time and whether it
//! was for inactivity, a reclaim, a hand-off, a window that closed
//! unanswered) in one stream in time order,
//! and the report over a period: one range read of that stream, never a
//! scan of the conversations. Survey averages come from the survey stream.

use super::surveys::{self, SurveySummary};
use crate::ids::ConversationId;
use crate::ports::{ConversationState, RoutingOp, StreamEntry, stream_cursor};
use crate::problem::Problem;
use crate::routing::engine::RoutingDeps;
use crate::routing::model::{AgentId, QueueId};
use crate::routing::record::{Routing, sortable};
use crate::time::{self, Millis};
use crate::workstreams::WorkstreamId;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The stream of every conversation's service-level facts.
pub const STREAM: &str = "service-level";
/// Facts read per stream read.
const PAGE: usize = 500;
/// Most facts one report reads (`truncated` beyond: ask for a shorter period).
pub const MAX_FACTS: usize = 200_000;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FactKind {
    /// An agent took it (accepted, or assigned in pick mode); `seconds`:
    /// since it was queued.
    Assigned,
    /// The agent's first answer in the conversation; `seconds`: since the
    /// customer's first message.
    FirstResponse,
    /// Closed; `seconds`: since its last agent took it (handle time, wrap-up
    /// included), when an agent had it.
    Closed,
    /// Closed for inactivity (also counted as closed).
    AutoClosed,
    Reclaimed,
    HandedOff,
    /// The customer's messaging window closed with their last message
    /// unanswered (`at`: the close); `seconds`: since that message.
    Abandoned,
}

/// One fact, as the stream keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fact {
    pub kind: FactKind,
    pub conversation_id: ConversationId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<QueueId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workstream: Option<WorkstreamId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<AgentId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds: Option<u64>,
    #[serde(with = "time::rfc3339")]
    pub at: Millis,
}

impl Fact {
    /// `kind` of `r`'s conversation `id` at `at`, with its queue, workstream
    /// and agent.
    pub fn of(kind: FactKind, id: &ConversationId, r: &Routing, at: Millis) -> Self {
        Self {
            kind,
            conversation_id: id.clone(),
            queue: r.queue.clone(),
            workstream: r.workstream.clone(),
            agent: r.agent.clone(),
            seconds: None,
            at,
        }
    }

    /// With `seconds` from `start` to the fact.
    pub fn since(mut self, start: Option<Millis>) -> Self {
        self.seconds = start.map(|s| (self.at.0.saturating_sub(s.0).max(0) / 1000) as u64);
        self
    }
}

/// Keep `fact` (once: the same fact again changes nothing). Best effort:
/// a failure is logged and counted, never fails the routing write it
/// follows.
pub async fn record(deps: &RoutingDeps, fact: Fact) {
    let unique = format!(
        "{}_{}",
        serde_json::to_value(fact.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        fact.conversation_id
    );
    let entry = StreamEntry {
        cursor: stream_cursor(fact.at, &unique),
        data: serde_json::to_value(&fact).unwrap_or_default(),
        expires_at: None,
    };
    match deps.streams.append_entry(STREAM, &entry).await {
        Ok(true) => match (fact.kind, fact.seconds) {
            // The counts have their metrics where they happen; these two
            // durations are metrics here (EMF in AWS).
            (FactKind::FirstResponse, Some(s)) => {
                crate::metrics::millis("FirstResponseTime", s as f64 * 1000.0)
            }
            (FactKind::Assigned, Some(s)) => {
                crate::metrics::millis("TimeToAssign", s as f64 * 1000.0)
            }
            _ => {}
        },
        Ok(false) => {}
        Err(e) => {
            tracing::error!(conversation_id = %fact.conversation_id, kind = ?fact.kind, error = %e, "service-level fact not kept");
            crate::metrics::count("ServiceLevelFactsLost", 1);
        }
    }
}

/// The facts a successful routing write makes: an assignment, a close.
/// (Reclaims and hand-offs record theirs; the first answer is recorded
/// where it is marked.)
pub async fn after_apply(deps: &RoutingDeps, ops: &[RoutingOp]) {
    let Some(crate::ports::ConversationWrite {
        id,
        state,
        routing: r,
        at,
        rv,
    }) = RoutingOp::conversation_write(ops)
    else {
        return;
    };
    for d in r.decisions.iter().filter(|d| d.rv == rv) {
        let fact = match d.step.as_str() {
            "accepted" | "assigned" if state == ConversationState::Assigned => {
                Fact::of(FactKind::Assigned, id, r, at).since(r.queued_at)
            }
            "closed" | "overflow_ended" if state == ConversationState::Closed => {
                let kind = if r.reason.contains("no activity") {
                    FactKind::AutoClosed
                } else {
                    FactKind::Closed
                };
                let handled = r.agent.as_ref().and(r.assigned_at);
                Fact::of(kind, id, r, at).since(handled)
            }
            _ => continue,
        };
        record(deps, fact).await;
    }
}

/// A distribution of durations in seconds.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Durations {
    pub count: u64,
    pub p50: Option<u64>,
    pub p90: Option<u64>,
    pub average: Option<f64>,
}

impl Durations {
    fn of(mut v: Vec<u64>) -> Self {
        if v.is_empty() {
            return Self::default();
        }
        v.sort_unstable();
        // Nearest rank: the smallest value at or above the share asked for.
        let rank = |p: f64| v[((p * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1];
        let sum: u64 = v.iter().sum();
        Self {
            count: v.len() as u64,
            p50: Some(rank(0.5)),
            p90: Some(rank(0.9)),
            average: Some(((sum as f64 / v.len() as f64) * 10.0).round() / 10.0),
        }
    }
}

/// The figures of one queue, one agent, or all.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Figures {
    pub first_response: Durations,
    pub time_to_assign: Durations,
    pub handle_time: Durations,
    pub reclaimed: u64,
    pub handed_off: u64,
    /// Windows that closed with the customer's last message unanswered.
    pub abandoned: u64,
    pub auto_closed: u64,
    pub closed: u64,
    pub survey_responses: u64,
    pub survey_average: Option<f64>,
}

#[derive(Default)]
struct Tally {
    first_response: Vec<u64>,
    time_to_assign: Vec<u64>,
    handle_time: Vec<u64>,
    reclaimed: u64,
    handed_off: u64,
    abandoned: u64,
    auto_closed: u64,
    closed: u64,
}

impl Tally {
    fn add(&mut self, f: &Fact) {
        match f.kind {
            FactKind::Assigned => self.time_to_assign.extend(f.seconds),
            FactKind::FirstResponse => self.first_response.extend(f.seconds),
            FactKind::Closed | FactKind::AutoClosed => {
                self.closed += 1;
                self.auto_closed += u64::from(f.kind == FactKind::AutoClosed);
                self.handle_time.extend(f.seconds);
            }
            FactKind::Reclaimed => self.reclaimed += 1,
            FactKind::HandedOff => self.handed_off += 1,
            FactKind::Abandoned => self.abandoned += 1,
        }
    }

    fn figures(self, survey: Option<(u64, f64)>) -> Figures {
        Figures {
            first_response: Durations::of(self.first_response),
            time_to_assign: Durations::of(self.time_to_assign),
            handle_time: Durations::of(self.handle_time),
            reclaimed: self.reclaimed,
            handed_off: self.handed_off,
            abandoned: self.abandoned,
            auto_closed: self.auto_closed,
            closed: self.closed,
            survey_responses: survey.map_or(0, |s| s.0),
            survey_average: survey.filter(|s| s.0 > 0).map(|s| s.1),
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct QueueFigures {
    pub queue_id: QueueId,
    #[serde(flatten)]
    pub figures: Figures,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AgentFigures {
    pub agent_id: AgentId,
    #[serde(flatten)]
    pub figures: Figures,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Report {
    #[serde(with = "time::rfc3339")]
    pub from: Millis,
    #[serde(with = "time::rfc3339")]
    pub to: Millis,
    pub queue: Option<QueueId>,
    pub workstream: Option<WorkstreamId>,
    pub total: Figures,
    pub queues: Vec<QueueFigures>,
    pub agents: Vec<AgentFigures>,
    /// More than [`MAX_FACTS`] in the period; the first ones are counted.
    pub truncated: bool,
}

/// What a report covers: a period (`to` default now, `from` default the
/// start of `to`'s UTC day), and optionally one queue or one workstream.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub from: Option<Millis>,
    pub to: Option<Millis>,
    pub queue: Option<QueueId>,
    pub workstream: Option<WorkstreamId>,
}

/// The service-level report for `scope`: per queue, per agent and in all.
/// `400 invalid_period` unless `from` is before `to`.
pub async fn report(deps: &RoutingDeps, scope: Scope) -> Result<Report, Problem> {
    let to = scope.to.unwrap_or_else(|| deps.clock.now());
    let from = scope
        .from
        .unwrap_or(Millis(to.0 - to.0.rem_euclid(86_400_000)));
    if from >= to {
        return Err(Problem::bad_request(
            "invalid_period",
            format!(
                "from ({}) must be before to ({})",
                from.to_rfc3339(),
                to.to_rfc3339()
            ),
        ));
    }
    let wanted = |q: Option<&QueueId>, w: Option<&WorkstreamId>| {
        scope.queue.as_ref().is_none_or(|s| q == Some(s))
            && scope.workstream.as_ref().is_none_or(|s| w == Some(s))
    };
    let end = sortable(to);
    let mut after = Some(sortable(from));
    let (mut total, mut queues, mut agents) = (
        Tally::default(),
        BTreeMap::<QueueId, Tally>::new(),
        BTreeMap::<AgentId, Tally>::new(),
    );
    let mut read = 0usize;
    let mut truncated = false;
    'pages: loop {
        let entries = deps
            .streams
            .read_entries(STREAM, after.as_deref(), PAGE)
            .await?;
        let full = entries.len() == PAGE;
        for e in entries {
            if e.cursor.as_str() >= end.as_str() {
                break 'pages;
            }
            if read == MAX_FACTS {
                truncated = true;
                break 'pages;
            }
            read += 1;
            after = Some(e.cursor.clone());
            let Some(fact) = crate::ports::listed(
                "service-level fact",
                serde_json::from_value::<Fact>(e.data)
                    .map_err(|e| crate::ports::StoreError::Corrupt(e.to_string())),
            ) else {
                continue;
            };
            if !wanted(fact.queue.as_ref(), fact.workstream.as_ref()) {
                continue;
            }
            total.add(&fact);
            if let Some(q) = &fact.queue {
                queues.entry(q.clone()).or_default().add(&fact);
            }
            if let Some(a) = &fact.agent {
                agents.entry(a.clone()).or_default().add(&fact);
            }
        }
        if !full {
            break;
        }
    }
    let (queue_scores, agent_scores) = survey_scores(deps, &scope, from, to).await?;
    // Answers of routed conversations, in the queues in scope.
    let total_survey = weighted(queue_scores.values());
    Ok(Report {
        from,
        to,
        queue: scope.queue,
        workstream: scope.workstream,
        total: total.figures(Some(total_survey)),
        queues: queues
            .into_iter()
            .map(|(q, t)| {
                let s = queue_scores.get(&q).copied();
                QueueFigures {
                    queue_id: q,
                    figures: t.figures(s),
                }
            })
            .collect(),
        agents: agents
            .into_iter()
            .map(|(a, t)| {
                let s = agent_scores.get(&a).copied();
                AgentFigures {
                    agent_id: a,
                    figures: t.figures(s),
                }
            })
            .collect(),
        truncated,
    })
}

/// The survey's (responses, average) per queue and per agent, of the
/// answers in the period whose conversation is in scope (all answers when
/// the scope has no queue or workstream).
async fn survey_scores(
    deps: &RoutingDeps,
    scope: &Scope,
    from: Millis,
    to: Millis,
) -> Result<(BTreeMap<QueueId, (u64, f64)>, BTreeMap<AgentId, (u64, f64)>), Problem> {
    let in_workstream = match &scope.workstream {
        Some(w) => {
            let queues = deps.config.list_queues().await?;
            Some(
                super::workstream_queues(deps, &queues)
                    .await?
                    .remove(w)
                    .unwrap_or_default(),
            )
        }
        None => None,
    };
    // As the facts are scoped: by the answer's queue, and by its
    // workstream (for answers stored before they named it, by whether
    // their queue is one the workstream routes to).
    let keep = |q: Option<&QueueId>, w: Option<&WorkstreamId>| {
        let queue_ok = match (&scope.queue, q) {
            (None, _) => true,
            (Some(s), Some(q)) => s == q,
            (Some(_), None) => false,
        };
        let workstream_ok = match (&scope.workstream, w, q) {
            (None, _, _) => true,
            (Some(s), Some(w), _) => s == w,
            (Some(_), None, Some(q)) => in_workstream.as_ref().is_some_and(|set| set.contains(q)),
            (Some(_), None, None) => false,
        };
        queue_ok && workstream_ok
    };
    let survey: SurveySummary = surveys::summary_of(deps, Some(from), Some(to), &keep).await?;
    let queues = survey
        .queues
        .iter()
        .map(|s| (s.queue_id.clone(), (s.responses, s.average)))
        .collect();
    let agents = survey
        .agents
        .iter()
        .map(|s| (s.agent_id.clone(), (s.responses, s.average)))
        .collect();
    Ok((queues, agents))
}

/// The average of averages weighted by responses.
fn weighted<'a>(scores: impl Iterator<Item = &'a (u64, f64)>) -> (u64, f64) {
    let (n, sum) = scores.fold((0u64, 0.0), |(n, s), (r, a)| (n + r, s + *r as f64 * a));
    if n == 0 {
        return (0, 0.0);
    }
    (n, ((sum / n as f64) * 100.0).round() / 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_nearest_rank() {
        let d = Durations::of(vec![10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
        assert_eq!(d.count, 10);
        assert_eq!(d.p50, Some(50));
        assert_eq!(d.p90, Some(90));
        assert_eq!(d.average, Some(55.0));
        let one = Durations::of(vec![7]);
        assert_eq!((one.p50, one.p90), (Some(7), Some(7)));
        assert_eq!(Durations::of(Vec::new()), Durations::default());
    }
}
