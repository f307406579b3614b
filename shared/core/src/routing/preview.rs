//! "Try a message": what routing would do with a sample customer message
//! on a page, now: the workstream, each ruleset and the rule that matched,
//! the skills, priority, attributes and queue, and which of the queue's
//! members qualify (and who would be offered it). It takes the router's own
//! step ([`super::decide::decide`]) and the same ranking, and writes nothing.

use super::decide::{Choice, LocaleSource, Sample, decide, detected_locale};
use super::engine;
use super::model::{AgentId, Mode, QueueId, Skill};
use super::record::{AgentConsidered, Routing, RulesetTrace};
use super::select::{considered, rank};
use crate::channels::ChannelDeps;
use crate::ids::{PageId, Psid, WorkstreamId};
use crate::problem::{Problem, Status};
use crate::time::{self, Millis};
use crate::workstreams::Locale;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Longest sample text (Meta's limit for a message).
const MAX_TEXT: usize = 2000;
/// Longest payload, referral, contact field or value.
const MAX_VALUE: usize = 1000;
/// Most contact fields a sample may set.
const MAX_FIELDS: usize = 50;

#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct SampleReferral {
    /// The referral's `ref` (m.me link, ad, chat plugin).
    #[serde(
        rename = "ref",
        default,
        deserialize_with = "crate::serde_rules::present"
    )]
    pub reference: Option<String>,
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub ad_id: Option<String>,
}

/// A sample customer message (`POST /admin/v1/routing/preview`).
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    pub page_id: PageId,
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub text: Option<String>,
    /// Take this as the conversation's language instead of detecting it.
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub locale: Option<String>,
    /// A quick reply's or postback's payload.
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub payload: Option<String>,
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub referral: Option<SampleReferral>,
    /// An existing customer of the page: their contact's fields, and
    /// whether they are returning, come from the store.
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub psid: Option<Psid>,
    /// Contact fields (added to, or replacing, the stored contact's).
    #[serde(default)]
    pub contact: BTreeMap<String, String>,
    /// Whether the customer wrote before (else: whether `psid` is known).
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub returning: Option<bool>,
    /// When the message arrives (time-of-day rules, operating hours);
    /// default now.
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub at: Option<String>,
}

/// Where the conversation would go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Into `queue`.
    Queued,
    /// Ended by a queue's overflow.
    Ended,
    /// Nowhere: it would wait unrouted (see `explanation`).
    Unrouted,
}

/// The answer: what routing would do with the sample.
#[derive(Debug, Clone, Serialize)]
pub struct Preview {
    pub page_id: PageId,
    /// The workstream the page feeds (`null`: none, so nothing is routed).
    pub workstream: Option<WorkstreamId>,
    #[serde(with = "time::rfc3339")]
    pub at: Millis,
    /// The conversation's language, and where it came from.
    pub locale: Option<String>,
    pub locale_source: Option<LocaleSource>,
    /// What the router would detect from the text (`null`: nothing
    /// reliable; it then takes the workstream's language).
    pub detected_locale: Option<String>,
    pub returning: bool,
    /// Each ruleset in order: the rules tried, and which matched.
    pub rulesets: Vec<RulesetTrace>,
    pub skills: BTreeMap<Skill, u8>,
    pub priority: Option<u32>,
    pub attributes: BTreeMap<String, String>,
    pub outcome: Outcome,
    pub queue: Option<QueueId>,
    /// Why it goes there (or nowhere), as the diagnostics say it.
    pub explanation: String,
    /// The workstream's distribution mode.
    pub mode: Option<Mode>,
    /// A returning customer held for the agent of their last conversation.
    pub affinity_agent: Option<AgentId>,
    /// Who the router would offer it to now (push mode).
    pub offered_to: Option<AgentId>,
    /// The queue's members with their verdicts (chosen, ranked, or why not).
    pub agents: Vec<AgentConsidered>,
    /// Members left out of `agents`, by reason.
    pub more_agents: BTreeMap<String, u32>,
    pub members: u32,
    /// How many members qualify now.
    pub qualified: u32,
}

fn invalid(code: &'static str, detail: impl Into<String>) -> Problem {
    Problem::new(
        Status::UNPROCESSABLE_ENTITY,
        code,
        "Invalid sample message",
        detail,
    )
}

/// When the sample arrives: `at` (RFC 3339, 1970 to 2100), else now.
fn arrival(req: &PreviewRequest, now: Millis) -> Result<Millis, Problem> {
    let Some(at) = &req.at else {
        return Ok(now);
    };
    Millis::parse_rfc3339(at)
        .filter(|m| m.is_plausible())
        .ok_or_else(|| {
            invalid(
                "invalid_at",
                format!("at {at:?} is not an RFC 3339 time from 1970 to 2100"),
            )
        })
}

fn check(req: &PreviewRequest) -> Result<(), Problem> {
    if req
        .text
        .as_ref()
        .is_some_and(|t| t.chars().count() > MAX_TEXT)
    {
        return Err(invalid(
            "invalid_text",
            format!("text holds at most {MAX_TEXT} characters"),
        ));
    }
    if let Some(l) = &req.locale {
        Locale::parse(l).map_err(|e| invalid("invalid_locale", format!("locale {l:?}: {e}")))?;
    }
    let referral = req.referral.clone().unwrap_or_default();
    let long = [&req.payload, &referral.reference, &referral.ad_id]
        .into_iter()
        .flatten()
        .chain(req.contact.iter().flat_map(|(k, v)| [k, v]))
        .any(|v| v.chars().count() > MAX_VALUE);
    if long {
        return Err(invalid(
            "invalid_value",
            format!("payload, referral and contact values hold at most {MAX_VALUE} characters"),
        ));
    }
    if req.contact.len() > MAX_FIELDS {
        return Err(invalid(
            "invalid_value",
            format!("a sample sets at most {MAX_FIELDS} contact fields"),
        ));
    }
    Ok(())
}

/// What routing would do with `req`, now. Reads only.
pub async fn preview(deps: &ChannelDeps, req: PreviewRequest) -> Result<Preview, Problem> {
    check(&req)?;
    let rd = deps.routing_deps();
    let page = deps.accounts.get_page(&req.page_id).await?;
    if !page.is_some_and(|p| p.is_live()) {
        return Err(Problem::not_found(format!("no page {}", req.page_id)));
    }
    let at = arrival(&req, rd.clock.now())?;
    let ws = match rd.workstreams.workstream_of_page(&req.page_id).await? {
        Some(id) => rd.workstreams.get_workstream(&id).await?,
        None => None,
    };
    let mut answer = Preview {
        page_id: req.page_id.clone(),
        workstream: None,
        at,
        locale: None,
        locale_source: None,
        detected_locale: None,
        returning: false,
        rulesets: Vec::new(),
        skills: BTreeMap::new(),
        priority: None,
        attributes: BTreeMap::new(),
        outcome: Outcome::Unrouted,
        queue: None,
        explanation: String::new(),
        mode: None,
        affinity_agent: None,
        offered_to: None,
        agents: Vec::new(),
        more_agents: BTreeMap::new(),
        members: 0,
        qualified: 0,
    };
    let Some(ws) = ws else {
        answer.explanation = format!(
            "page {} feeds no workstream; add it to one so its conversations are routed",
            req.page_id
        );
        return Ok(answer);
    };
    let dist = &ws.distribution;
    let rulesets = rd.config.list_rulesets(Some(&ws.id)).await?;

    // The customer, as the router would find them.
    let customer = match &req.psid {
        Some(psid) => rd.conversations.get_customer(&req.page_id, psid).await?,
        None => None,
    };
    let mut contact = match &customer {
        Some(c) => rd
            .conversations
            .get_contact(&c.contact_id)
            .await?
            .map(|c| c.fields())
            .unwrap_or_default(),
        None => BTreeMap::new(),
    };
    contact.extend(req.contact.clone());
    let returning = req.returning.unwrap_or(customer.is_some());
    let referral = req.referral.clone().unwrap_or_default();
    let sample = Sample {
        page_id: Some(req.page_id.clone()),
        text: req.text.clone(),
        payload: req.payload.clone(),
        referral_ref: referral.reference,
        ad_id: referral.ad_id,
        locale: req.locale.clone(),
        seed: Default::default(),
    };
    let decided = decide(&rd, &ws, &rulesets, &sample, contact, returning, at)
        .await
        .map_err(Problem::from)?;
    let c = &decided.classification;
    answer.workstream = Some(ws.id.clone());
    answer.locale = Some(decided.facts.locale.clone());
    answer.locale_source = Some(decided.locale_source);
    answer.detected_locale =
        detected_locale(req.text.as_deref(), &ws, &rulesets).map(str::to_string);
    answer.returning = returning;
    answer.rulesets = c.traces.clone();
    answer.skills = c.skills.clone();
    answer.priority = Some(decided.priority);
    answer.attributes = c.attributes.clone();
    answer.mode = Some(dist.mode);

    let (queue, why) = match decided.choice {
        Choice::Nowhere { why } => {
            answer.explanation = why;
            return Ok(answer);
        }
        Choice::End { message, why } => {
            answer.outcome = Outcome::Ended;
            answer.explanation = match message {
                Some(m) => format!("{why}; the customer is told: {m}"),
                None => why,
            };
            return Ok(answer);
        }
        Choice::Queue { queue, why } => (queue, why),
    };
    answer.outcome = Outcome::Queued;
    answer.queue = Some(queue.id.clone());
    answer.explanation = format!("queue {}: {why}", queue.id);

    // Who qualifies now, as the router ranks them on arrival.
    let affinity = customer
        .and_then(|c| c.last_agent)
        .filter(|_| dist.affinity.enabled && returning);
    let routing = Routing {
        skills: c.skills.clone(),
        capacity: dist.capacity.clone(),
        affinity_until: affinity
            .as_ref()
            .map(|_| Millis(at.0.saturating_add(dist.affinity.wait_seconds as i64 * 1000))),
        affinity_agent: affinity.clone(),
        ..Routing::default()
    };
    let members = rd.routing.queue_members(&queue.id).await?;
    let need = engine::need(&routing, dist, at);
    let ranking = rank(&members, &need, queue.assignment);
    // Push mode offers it to the first (with affinity holding, only the
    // customer's last agent can be first); pick mode offers nobody.
    let chosen = ranking
        .order
        .first()
        .copied()
        .filter(|_| dist.mode == Mode::Push);
    let (agents, more) = considered(&members, &ranking, chosen, &[]);
    answer.offered_to = chosen
        .and_then(|i| members.get(i))
        .map(|a| a.agent.id.clone());
    answer.affinity_agent = affinity;
    answer.agents = agents;
    answer.more_agents = more;
    answer.members = u32::try_from(members.len()).unwrap_or(u32::MAX);
    answer.qualified = u32::try_from(ranking.order.len()).unwrap_or(u32::MAX);
    Ok(answer)
}
