//! Choosing an agent for a conversation, in memory and without I/O: who
//! qualifies (presence, capacity, profile, skills, declines, affinity), and
//! in which order the queue's assignment method ranks them.

use super::model::{
    AgentId, AgentState, AssignmentMethod, BasePresence, CapacityNeed, LoadBand, Skill,
    SkillMatching,
};
use super::record::{AgentConsidered, AgentVerdict, MAX_AGENTS_LISTED};
use crate::ports::{AgentCondition, RoutingOp};
use crate::time::Millis;
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// What a conversation needs from an agent.
#[derive(Debug, Clone)]
pub struct Need<'a> {
    pub skills: &'a BTreeMap<Skill, u8>,
    pub capacity: &'a CapacityNeed,
    pub allowed: &'a [BasePresence],
    pub matching: SkillMatching,
    pub declines: &'a BTreeMap<AgentId, u32>,
    pub max_declines: u32,
    /// Only this agent may take it (affinity still holding).
    pub reserved_for: Option<&'a AgentId>,
}

/// How far an agent's skills are from what is required (0 = meets all).
pub fn skill_gap(agent: &AgentState, need: &BTreeMap<Skill, u8>) -> (u32, Vec<String>) {
    let mut gap = 0u32;
    let mut missing = Vec::new();
    for (skill, min) in need {
        let have = agent.agent.skills.get(skill).copied().unwrap_or(0);
        if have < *min {
            gap += u32::from(min - have);
            missing.push(if have == 0 {
                format!("{skill} (none, needs {min})")
            } else {
                format!("{skill} ({have}, needs {min})")
            });
        }
    }
    (gap, missing)
}

/// Whether the agent may take it now; `Ok(skill gap)` when they may.
pub fn qualifies(agent: &AgentState, need: &Need<'_>) -> Result<u32, AgentVerdict> {
    if let Some(owner) = need.reserved_for
        && *owner != agent.agent.id
    {
        return Err(AgentVerdict::Affinity {
            reserved_for: owner.clone(),
        });
    }
    let times = need.declines.get(&agent.agent.id).copied().unwrap_or(0);
    if need.max_declines > 0 && times >= need.max_declines {
        return Err(AgentVerdict::Declined { times });
    }
    let sticky = agent.presence.status;
    if sticky.is_sticky() && !need.allowed.contains(&sticky) {
        return Err(AgentVerdict::Presence { presence: sticky });
    }
    let free = agent.free_units();
    // As the write checks it: the units used and needed within the
    // capacity (an agent over it, after their capacity was lowered, has no
    // room even for work that needs none).
    if agent.load.used.saturating_add(need.capacity.units) > agent.agent.capacity {
        return Err(AgentVerdict::Capacity {
            free,
            needed: need.capacity.units,
        });
    }
    if let Some(p) = &need.capacity.profile {
        let limit = agent.agent.profiles.get(p).copied().unwrap_or(0);
        let held = agent.load.profiles.get(p).copied().unwrap_or(0);
        if held >= limit {
            return Err(AgentVerdict::Profile { profile: p.clone() });
        }
    }
    let presence = agent.effective_presence();
    if !need.allowed.contains(&presence) {
        return Err(AgentVerdict::Presence { presence });
    }
    let (gap, missing) = skill_gap(agent, need.skills);
    if gap > 0 && need.matching == SkillMatching::Exact {
        return Err(AgentVerdict::Skills { missing });
    }
    Ok(if need.matching == SkillMatching::None {
        0
    } else {
        gap
    })
}

fn earliest(a: Option<Millis>, b: Option<Millis>) -> Ordering {
    // Never (None) sorts first: the agent waited longest.
    a.cmp(&b)
}

/// The method's order between two qualifying agents (smaller first).
pub fn compare(method: AssignmentMethod, a: &AgentState, b: &AgentState) -> Ordering {
    let by_id = || a.agent.id.cmp(&b.agent.id);
    match method {
        AssignmentMethod::HighestCapacity => b
            .free_units()
            .cmp(&a.free_units())
            .then_with(|| earliest(a.load.last_assigned_at, b.load.last_assigned_at))
            .then_with(by_id),
        AssignmentMethod::RoundRobin => {
            earliest(a.load.last_assigned_at, b.load.last_assigned_at).then_with(by_id)
        }
        AssignmentMethod::LeastActive => a
            .load
            .active
            .cmp(&b.load.active)
            .then_with(|| earliest(a.load.last_freed_at, b.load.last_freed_at))
            .then_with(by_id),
    }
}

/// The outcome of ranking a queue's members for one conversation.
#[derive(Debug, Clone, Default)]
pub struct Ranking {
    /// Indexes into the members slice, best first.
    pub order: Vec<usize>,
    /// Why the others were left out.
    pub skipped: Vec<(usize, AgentVerdict)>,
}

/// Rank the agents that qualify: skill gap first (closest matching), then
/// the assignment method. O(n log k) in the members; no allocation per agent
/// beyond the result.
pub fn rank<M: AsRef<AgentState>>(
    members: &[M],
    need: &Need<'_>,
    method: AssignmentMethod,
) -> Ranking {
    let mut ok: Vec<(u32, usize)> = Vec::new();
    let mut skipped = Vec::new();
    for (i, a) in members.iter().enumerate() {
        match qualifies(a.as_ref(), need) {
            Ok(gap) => ok.push((gap, i)),
            Err(v) => skipped.push((i, v)),
        }
    }
    ok.sort_unstable_by(|(ga, ia), (gb, ib)| {
        ga.cmp(gb)
            .then_with(|| compare(method, members[*ia].as_ref(), members[*ib].as_ref()))
    });
    Ranking {
        order: ok.into_iter().map(|(_, i)| i).collect(),
        skipped,
    }
}

/// The list the diagnostics keep: the chosen agent, the first others by
/// name, and counts for the rest.
pub fn considered<M: AsRef<AgentState>>(
    members: &[M],
    ranking: &Ranking,
    chosen: Option<usize>,
    lost: &[usize],
) -> (Vec<AgentConsidered>, BTreeMap<String, u32>) {
    let mut listed = Vec::new();
    let mut more: BTreeMap<&'static str, u32> = BTreeMap::new();
    let mut push = |i: usize, verdict: AgentVerdict| {
        if listed.len() < MAX_AGENTS_LISTED {
            listed.push(AgentConsidered {
                agent: members[i].as_ref().agent.id.clone(),
                verdict,
            });
        } else {
            let key = match &verdict {
                AgentVerdict::Chosen => "chosen",
                AgentVerdict::Presence { .. } => "presence",
                AgentVerdict::Capacity { .. } => "capacity",
                AgentVerdict::Profile { .. } => "profile",
                AgentVerdict::Skills { .. } => "skills",
                AgentVerdict::Declined { .. } => "declined",
                AgentVerdict::Affinity { .. } => "affinity",
                AgentVerdict::LostRace => "lost_race",
                AgentVerdict::Ranked { .. } => "ranked_lower",
            };
            *more.entry(key).or_default() += 1;
        }
    };
    if let Some(c) = chosen {
        push(c, AgentVerdict::Chosen);
    }
    for &i in lost {
        push(i, AgentVerdict::LostRace);
    }
    let mut rank_no = 0u32;
    for &i in &ranking.order {
        if Some(i) == chosen || lost.contains(&i) {
            continue;
        }
        rank_no += 1;
        push(i, AgentVerdict::Ranked { rank: rank_no });
    }
    for (i, v) in &ranking.skipped {
        push(*i, v.clone());
    }
    let more = more.into_iter().map(|(k, n)| (k.to_string(), n)).collect();
    (listed, more)
}

/// What `agent` must still be when the write lands for it to be given work
/// that `need`s this (see [`AgentCondition`]): the same version, a presence
/// `need` allows, and room for it. Work that needs more than the agent's
/// capacity, or a profile it has no room in at all, gets a condition that
/// never holds (a transfer writes without ranking first).
pub fn agent_condition(agent: &AgentState, need: &Need<'_>) -> AgentCondition {
    let mut sticky = Vec::new();
    for p in need.allowed {
        if p.is_sticky() && !sticky.contains(p) {
            sticky.push(*p);
        }
    }
    let mut bands: Vec<LoadBand> = LoadBand::ALL
        .into_iter()
        .filter(|b| need.allowed.contains(&b.presence()))
        .collect();
    let room = agent.agent.capacity.checked_sub(need.capacity.units);
    let profile = need.capacity.profile.as_ref().map(|p| {
        let limit = agent.agent.profiles.get(p).copied().unwrap_or(0);
        (p.clone(), limit.checked_sub(1))
    });
    if room.is_none() || matches!(profile, Some((_, None))) {
        sticky.clear();
        bands.clear();
    }
    AgentCondition {
        agent: agent.agent.id.clone(),
        version: agent.version,
        capacity: agent.agent.capacity,
        max_used_before: room.unwrap_or(0),
        profile: profile.map(|(p, max)| (p, max.unwrap_or(0))),
        sticky,
        bands,
    }
}

/// The conditional capacity write for giving `agent` this conversation.
pub fn take_op(agent: &AgentState, need: &Need<'_>, at: Millis) -> RoutingOp {
    RoutingOp::Take {
        when: agent_condition(agent, need),
        units: need.capacity.units,
        at,
    }
}

/// The condition for giving `agent` work that holds no capacity (follow-up
/// work): everything a take would check, writing nothing.
pub fn present_op(agent: &AgentState, need: &Need<'_>) -> RoutingOp {
    RoutingOp::Present(agent_condition(agent, need))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::model::{Agent, AgentLoad, PresenceSetting, ProfileName};

    pub(crate) fn agent(id: &str, capacity: u32, used: u32, skills: &[(&str, u8)]) -> AgentState {
        AgentState {
            agent: Agent {
                id: AgentId::parse(id).unwrap(),
                name: id.into(),
                email: format!("{id}@example.com"),
                skills: skills
                    .iter()
                    .map(|(s, p)| (Skill::parse(*s).unwrap(), *p))
                    .collect(),
                capacity,
                profiles: BTreeMap::new(),
                queues: vec![],
                created_at: Millis(0),
                updated_at: Millis(0),
            },
            version: 1,
            presence: PresenceSetting {
                status: BasePresence::Available,
                label: None,
                set_at: Millis(0),
            },
            load: AgentLoad {
                used,
                active: used,
                ..AgentLoad::default()
            },
            heartbeat_at: None,
        }
    }

    fn need<'a>(
        skills: &'a BTreeMap<Skill, u8>,
        cap: &'a CapacityNeed,
        declines: &'a BTreeMap<AgentId, u32>,
        matching: SkillMatching,
    ) -> Need<'a> {
        Need {
            skills,
            capacity: cap,
            allowed: &[BasePresence::Available, BasePresence::Busy],
            matching,
            declines,
            max_declines: 1,
            reserved_for: None,
        }
    }

    #[test]
    fn full_agents_and_missing_skills_are_skipped_with_a_reason() {
        let skills: BTreeMap<Skill, u8> = [(Skill::parse("billing").unwrap(), 5)].into();
        let cap = CapacityNeed::default();
        let declines = BTreeMap::new();
        let members = vec![
            agent("full", 3, 3, &[("billing", 9)]),
            agent("novice", 3, 0, &[("billing", 2)]),
            agent("pro", 3, 1, &[("billing", 7)]),
        ];
        let r = rank(
            &members,
            &need(&skills, &cap, &declines, SkillMatching::Exact),
            AssignmentMethod::HighestCapacity,
        );
        assert_eq!(r.order, vec![2]);
        assert!(matches!(
            r.skipped[0].1,
            AgentVerdict::Capacity { free: 0, needed: 1 }
        ));
        assert!(
            matches!(&r.skipped[1].1, AgentVerdict::Skills { missing } if missing[0].contains("needs 5"))
        );

        let r = rank(
            &members,
            &need(&skills, &cap, &declines, SkillMatching::Closest),
            AssignmentMethod::HighestCapacity,
        );
        assert_eq!(r.order, vec![2, 1], "exact matches before the closest");
    }

    #[test]
    fn methods_order_as_documented() {
        let none = BTreeMap::new();
        let cap = CapacityNeed::default();
        let declines = BTreeMap::new();
        let mut a = agent("a", 5, 1, &[]);
        let mut b = agent("b", 5, 3, &[]);
        let c = agent("c", 5, 0, &[]);
        a.load.last_assigned_at = Some(Millis(10));
        b.load.last_assigned_at = Some(Millis(5));
        let members = vec![a, b, c];
        let n = need(&none, &cap, &declines, SkillMatching::Exact);
        assert_eq!(
            rank(&members, &n, AssignmentMethod::HighestCapacity).order,
            vec![2, 0, 1]
        );
        assert_eq!(
            rank(&members, &n, AssignmentMethod::RoundRobin).order,
            vec![2, 1, 0]
        );
        assert_eq!(
            rank(&members, &n, AssignmentMethod::LeastActive).order,
            vec![2, 0, 1]
        );
    }

    #[test]
    fn sticky_presence_declines_and_affinity_exclude() {
        let none = BTreeMap::new();
        let cap = CapacityNeed::default();
        let mut away = agent("away", 3, 0, &[]);
        away.presence.status = BasePresence::Away;
        let declined = agent("declined", 3, 0, &[]);
        let declines: BTreeMap<AgentId, u32> = [(declined.agent.id.clone(), 1)].into();
        let other = agent("other", 3, 0, &[]);
        let mut n = need(&none, &cap, &declines, SkillMatching::None);
        let members = vec![away, declined, other.clone()];
        assert_eq!(
            rank(&members, &n, AssignmentMethod::RoundRobin).order,
            vec![2]
        );
        let owner = AgentId::parse("someone").unwrap();
        n.reserved_for = Some(&owner);
        assert!(
            rank(&members, &n, AssignmentMethod::RoundRobin)
                .order
                .is_empty()
        );
        // A busy agent is refused when only Available is allowed.
        let busy = agent("busy", 3, 1, &[]);
        n.reserved_for = None;
        n.allowed = &[BasePresence::Available];
        assert!(matches!(
            qualifies(&busy, &n),
            Err(AgentVerdict::Presence {
                presence: BasePresence::Busy
            })
        ));
        let only_available = agent_condition(&other, &n);
        assert_eq!(
            (only_available.sticky.clone(), only_available.bands.clone()),
            (vec![], vec![LoadBand::Idle])
        );
        // Work that holds no capacity is conditioned the same way.
        assert_eq!(present_op(&other, &n), RoutingOp::Present(only_available));
    }

    /// The write's condition, made from a read of the agent, holds exactly
    /// when `qualifies` says the agent as they are now may take it, as far
    /// as the agent's changing state goes (presence,
    /// load, capacity, profile; skills, declines and affinity are the
    /// conversation's or pinned by the version): over every allowed set of
    /// presences, every presence, loads, capacities, units and profiles.
    #[test]
    fn the_write_condition_is_what_qualifies_decides() {
        let no_skills = BTreeMap::new();
        let no_declines = BTreeMap::new();
        let chat = ProfileName::parse("chat").unwrap();
        let mut checked = 0;
        for mask in 0..32u32 {
            let allowed: Vec<BasePresence> = BasePresence::ALL
                .into_iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0)
                .map(|(_, p)| p)
                .collect();
            for status in BasePresence::ALL {
                for (capacity, units, used, active) in
                    itertools_product(&[0, 1, 2], &[0, 1, 2], &[0, 1, 2], &[0, 1])
                {
                    for (limit, held) in [(None, 0), (Some(0), 0), (Some(1), 0), (Some(1), 1)] {
                        let mut a = agent("a", capacity, used, &[]);
                        a.load.active = active;
                        a.presence.status = status;
                        let cap = CapacityNeed {
                            units,
                            profile: limit.map(|_| chat.clone()),
                        };
                        if let Some(l) = limit {
                            a.agent.profiles.insert(chat.clone(), l);
                            a.load.profiles.insert(chat.clone(), held);
                        }
                        let mut n = need(&no_skills, &cap, &no_declines, SkillMatching::None);
                        n.allowed = &allowed;
                        // Built from the agent as a stale read saw them
                        // (idle and available, the same configuration),
                        // checked against them as they are now.
                        let mut read = a.clone();
                        read.load = AgentLoad::default();
                        read.presence.status = BasePresence::Available;
                        let condition = agent_condition(&read, &n);
                        assert_eq!(
                            condition.holds(&a).is_ok(),
                            qualifies(&a, &n).is_ok(),
                            "{allowed:?} {status:?} capacity {capacity} units {units} \
                             used {used} active {active} profile {limit:?}/{held}: {:?} {:?}",
                            condition.holds(&a),
                            qualifies(&a, &n)
                        );
                        checked += 1;
                    }
                }
            }
        }
        assert_eq!(checked, 32 * 5 * 54 * 4);
    }

    fn itertools_product(a: &[u32], b: &[u32], c: &[u32], d: &[u32]) -> Vec<(u32, u32, u32, u32)> {
        let mut out = Vec::new();
        for &w in a {
            for &x in b {
                for &y in c {
                    for &z in d {
                        out.push((w, x, y, z));
                    }
                }
            }
        }
        out
    }
}
