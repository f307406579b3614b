//! The one step the router and the "Try a message" preview share: from a
//! customer's message and what is known about them to the facts the rules
//! read, the classification, and the queue the conversation goes to
//! (operating hours and overflow included). Read-only: it reads queues and
//! waiting counts and writes nothing, so both callers can never disagree.

use super::classify::{Classification, Facts, classify_from, detect_language, locales_in};
use super::engine::{DEFAULT_PRIORITY, RoutingDeps, RoutingError};
use super::hours::is_open;
use super::model::{Outputs, OverflowAction, Queue, QueueId, Ruleset};
use crate::event::InboundEvent;
use crate::ids::PageId;
use crate::time::Millis;
use crate::workstreams::Workstream;
use std::collections::BTreeMap;

type Result<T> = std::result::Result<T, RoutingError>;

/// A customer's message as the rules read it.
#[derive(Debug, Clone, Default)]
pub struct Sample {
    pub page_id: Option<PageId>,
    pub text: Option<String>,
    /// A quick reply's or postback's payload.
    pub payload: Option<String>,
    pub referral_ref: Option<String>,
    pub ad_id: Option<String>,
    /// The conversation's language, taken as given instead of detected
    /// (the preview's choice; the router always detects).
    pub locale: Option<String>,
    /// What classification starts from before any rule (an escalating
    /// bot's skills, attributes and priority; rules may test and add to
    /// them).
    pub seed: Outputs,
}

impl Sample {
    /// What the router reads from an arriving event.
    pub fn of_event(page: &PageId, event: &InboundEvent) -> Self {
        let referral = event.referral.as_ref();
        Self {
            page_id: Some(page.clone()),
            text: event.text.clone(),
            payload: event
                .quick_reply_payload
                .clone()
                .or_else(|| event.postback.as_ref().and_then(|p| p.payload.clone())),
            referral_ref: referral.and_then(|r| r.reference.clone()),
            ad_id: referral.and_then(|r| r.ad_id.clone()),
            locale: None,
            seed: Outputs::default(),
        }
    }
}

/// Where the conversation's language came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LocaleSource {
    /// Given with the sample (preview only).
    Given,
    /// Detected from the text among the languages the configuration uses.
    Detected,
    /// The workstream's language (nothing reliable to detect).
    Workstream,
}

/// The language the router finds for `text` in this workstream, if the
/// detector can choose one.
pub fn detected_locale(
    text: Option<&str>,
    ws: &Workstream,
    rulesets: &[Ruleset],
) -> Option<&'static str> {
    let mut candidates = vec![ws.locale.as_str().to_string()];
    candidates.extend(locales_in(rulesets));
    text.and_then(|t| detect_language(t, &candidates))
}

/// The facts the rules read: the sample, the customer's contact fields and
/// whether they are returning, at `now`.
pub fn facts(
    sample: &Sample,
    ws: &Workstream,
    rulesets: &[Ruleset],
    contact: BTreeMap<String, String>,
    returning: bool,
    now: Millis,
) -> (Facts, LocaleSource) {
    let (locale, source) = match (
        &sample.locale,
        detected_locale(sample.text.as_deref(), ws, rulesets),
    ) {
        (Some(l), _) => (l.clone(), LocaleSource::Given),
        (None, Some(d)) => (d.to_string(), LocaleSource::Detected),
        (None, None) => (ws.locale.as_str().to_string(), LocaleSource::Workstream),
    };
    let f = Facts {
        page_id: sample.page_id.clone(),
        locale,
        text: sample.text.clone(),
        payload: sample.payload.clone(),
        referral_ref: sample.referral_ref.clone(),
        ad_id: sample.ad_id.clone(),
        contact,
        returning,
        now,
    };
    (f, source)
}

/// Where a new conversation goes.
#[derive(Debug, Clone)]
pub enum Choice {
    Queue {
        queue: Box<Queue>,
        why: String,
    },
    End {
        message: Option<String>,
        why: String,
    },
    Nowhere {
        why: String,
    },
}

/// What the rulesets and the queues decided for one message.
#[derive(Debug, Clone)]
pub struct Decided {
    pub facts: Facts,
    pub locale_source: LocaleSource,
    pub classification: Classification,
    /// The classification's priority, or [`DEFAULT_PRIORITY`].
    pub priority: u32,
    pub choice: Choice,
}

/// Facts → classification → queue: the router's step for a new
/// conversation, and the preview's.
pub async fn decide(
    deps: &RoutingDeps,
    ws: &Workstream,
    rulesets: &[Ruleset],
    sample: &Sample,
    contact: BTreeMap<String, String>,
    returning: bool,
    now: Millis,
) -> Result<Decided> {
    let (facts, locale_source) = facts(sample, ws, rulesets, contact, returning, now);
    let classification = classify_from(&sample.seed, rulesets, &facts);
    let choice = choose_queue(
        deps,
        &classification.candidates,
        ws.distribution.fallback_queue.as_ref(),
        now,
    )
    .await?;
    Ok(Decided {
        priority: classification.priority.unwrap_or(DEFAULT_PRIORITY),
        facts,
        locale_source,
        classification,
        choice,
    })
}

/// Why a queue cannot take a new conversation now, and what it says to do.
async fn overflow_before(
    deps: &RoutingDeps,
    q: &Queue,
    now: Millis,
) -> Result<Option<(String, OverflowAction)>> {
    if let Some(h) = &q.hours
        && !is_open(h, now)
    {
        let action = q
            .overflow
            .out_of_hours
            .clone()
            .unwrap_or(OverflowAction::QueueAnyway);
        return Ok(Some((
            format!("queue {} is outside its operating hours", q.id),
            action,
        )));
    }
    if let Some(m) = &q.overflow.max_waiting {
        let n = deps
            .routing
            .count_waiting(&q.id, m.items as usize + 1)
            .await?;
        if n > m.items as usize {
            return Ok(Some((
                format!("queue {} has more than {} waiting", q.id, m.items),
                m.then.clone(),
            )));
        }
    }
    Ok(None)
}

async fn choose_queue(
    deps: &RoutingDeps,
    candidates: &[(QueueId, String)],
    fallback: Option<&QueueId>,
    now: Millis,
) -> Result<Choice> {
    // The matching queues in rule order; the fallback only when none matched.
    let mut tried: Vec<(QueueId, String)> = candidates.to_vec();
    if tried.is_empty()
        && let Some(f) = fallback
    {
        tried.push((f.clone(), "the workstream's fallback queue".to_string()));
    }
    let mut notes = Vec::new();
    let mut first_overflow: Option<(Queue, OverflowAction)> = None;
    for (qid, why) in &tried {
        let Some(q) = deps.config.get_queue(qid).await? else {
            notes.push(format!("queue {qid} ({why}) does not exist"));
            continue;
        };
        match overflow_before(deps, &q, now).await? {
            None => {
                let mut why = if why.starts_with("the workstream") {
                    format!("no route-to-queue rule matched: {why}")
                } else {
                    format!("rule {why:?} matched")
                };
                if !notes.is_empty() {
                    why = format!("{why} (skipped: {})", notes.join("; "));
                }
                return Ok(Choice::Queue {
                    queue: Box::new(q),
                    why,
                });
            }
            Some((cause, action)) => {
                if let OverflowAction::QueueAnyway = action {
                    return Ok(Choice::Queue {
                        why: format!("{cause}; its overflow says queue anyway"),
                        queue: Box::new(q),
                    });
                }
                notes.push(cause);
                first_overflow.get_or_insert((q, action));
            }
        }
    }
    match first_overflow {
        Some((q, OverflowAction::Transfer { queue })) => match deps.config.get_queue(&queue).await?
        {
            Some(to) => Ok(Choice::Queue {
                why: format!(
                    "{}; overflow transferred it from {} to {}",
                    notes.join("; "),
                    q.id,
                    to.id
                ),
                queue: Box::new(to),
            }),
            None => Ok(Choice::Queue {
                why: format!(
                    "{}; the overflow queue {queue} does not exist, so it waits in {}",
                    notes.join("; "),
                    q.id
                ),
                queue: Box::new(q),
            }),
        },
        Some((_, OverflowAction::End { message })) => Ok(Choice::End {
            message,
            why: notes.join("; "),
        }),
        Some((q, OverflowAction::QueueAnyway)) => Ok(Choice::Queue {
            queue: Box::new(q),
            why: notes.join("; "),
        }),
        None => Ok(Choice::Nowhere {
            why: if notes.is_empty() {
                "no route-to-queue rule matched and the workstream has no fallback queue; set distribution.fallback_queue".to_string()
            } else {
                format!("no usable queue: {}", notes.join("; "))
            },
        }),
    }
}
