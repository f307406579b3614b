//! Classification: a workstream's rulesets, in order, over what is known
//! about the conversation and its customer. In a classification ruleset the
//! first matching rule wins and its outputs feed later rulesets; the
//! route-to-queue rulesets then name candidate queues in order.
//!
//! Regular expressions (`text_matches`) are compiled once per ruleset
//! version (its id and `updated_at`) and kept in a process-wide cache, not
//! for every message; a new version of a ruleset replaces the old one's.

use super::hours::{local_minutes, parse_hhmm, parse_zone};
use super::model::{Condition, Outputs, QueueId, Ruleset, RulesetKind, Skill};
use super::record::RulesetTrace;
use crate::ids::PageId;
use crate::time::Millis;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, LazyLock, Mutex};

/// What rules can look at.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub page_id: Option<PageId>,
    /// Detected from the text when reliable, else the workstream's.
    pub locale: String,
    pub text: Option<String>,
    pub payload: Option<String>,
    pub referral_ref: Option<String>,
    pub ad_id: Option<String>,
    /// Contact fields (`name`, and whatever else the contact holds).
    pub contact: BTreeMap<String, String>,
    pub returning: bool,
    pub now: Millis,
}

/// What the rulesets decided.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Classification {
    pub skills: BTreeMap<Skill, u8>,
    pub priority: Option<u32>,
    pub attributes: BTreeMap<String, String>,
    /// Queues named by matching route-to-queue rules, in rule order, with the rule.
    pub candidates: Vec<(QueueId, String)>,
    pub traces: Vec<RulesetTrace>,
}

/// Compile a rule's regular expression with the limits rulesets are held to.
fn compile(re: &str) -> Result<regex::Regex, regex::Error> {
    #[cfg(test)]
    tests::COMPILES.with(|n| n.set(n.get() + 1));
    regex::RegexBuilder::new(re).size_limit(1 << 20).build()
}

/// The regular expressions of one ruleset version, compiled (`None`: the
/// pattern does not compile, so it never matches).
#[derive(Default)]
struct Compiled {
    updated_at: Millis,
    regexes: HashMap<String, Option<regex::Regex>>,
}

impl Compiled {
    fn of(rs: &Ruleset) -> Self {
        let mut regexes = HashMap::new();
        each_condition(std::slice::from_ref(rs), &mut |c| {
            if let Condition::TextMatches(re) = c {
                regexes
                    .entry(re.clone())
                    .or_insert_with(|| compile(re).ok());
            }
        });
        Self {
            updated_at: rs.updated_at,
            regexes,
        }
    }

    /// Whether `text` matches `re`. A pattern this version does not hold
    /// (a ruleset changed twice within one millisecond) is compiled here.
    fn is_match(&self, re: &str, text: &str) -> bool {
        match self.regexes.get(re) {
            Some(r) => r.as_ref().is_some_and(|r| r.is_match(text)),
            None => compile(re).is_ok_and(|r| r.is_match(text)),
        }
    }
}

/// Most ruleset versions kept compiled; past it the cache starts afresh.
const MAX_CACHED: usize = 1024;

type CacheKey = (String, String);
static CACHE: LazyLock<Mutex<HashMap<CacheKey, Arc<Compiled>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// The compiled form of this version of a ruleset, from the cache when it
/// holds it.
fn compiled(rs: &Ruleset) -> Arc<Compiled> {
    let key = (rs.workstream.to_string(), rs.id.to_string());
    let mut cache = CACHE.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(c) = cache.get(&key).filter(|c| c.updated_at == rs.updated_at) {
        return c.clone();
    }
    if cache.len() >= MAX_CACHED && !cache.contains_key(&key) {
        cache.clear();
    }
    let c = Arc::new(Compiled::of(rs));
    cache.insert(key, c.clone());
    c
}

/// How many ruleset versions the process holds compiled.
pub fn compiled_rulesets() -> usize {
    CACHE.lock().unwrap_or_else(|p| p.into_inner()).len()
}

/// Why a condition cannot be used (checked when a ruleset is saved).
pub fn check_condition(c: &Condition) -> Result<(), String> {
    match c {
        Condition::All(cs) | Condition::Any(cs) => cs.iter().try_for_each(check_condition),
        Condition::Not(c) => check_condition(c),
        Condition::TextMatches(re) => compile(re)
            .map(|_| ())
            .map_err(|e| format!("the regular expression {re:?} does not compile: {e}")),
        Condition::TimeOfDay {
            from,
            to,
            time_zone,
        } => {
            parse_hhmm(from)?;
            parse_hhmm(to)?;
            parse_zone(time_zone).map(|_| ())
        }
        Condition::TextContains(t) if t.is_empty() => {
            Err("text_contains needs some text".to_string())
        }
        _ => Ok(()),
    }
}

fn eval(c: &Condition, f: &Facts, attrs: &BTreeMap<String, String>, rx: &Compiled) -> bool {
    match c {
        Condition::Always => true,
        Condition::All(cs) => cs.iter().all(|c| eval(c, f, attrs, rx)),
        Condition::Any(cs) => cs.iter().any(|c| eval(c, f, attrs, rx)),
        Condition::Not(c) => !eval(c, f, attrs, rx),
        Condition::Page(pages) => f.page_id.as_ref().is_some_and(|p| pages.contains(p)),
        Condition::Locale(l) => {
            let want = l.to_ascii_lowercase();
            let have = f.locale.to_ascii_lowercase();
            have == want || have.split(['-', '_']).next() == Some(want.as_str())
        }
        Condition::TextContains(t) => f
            .text
            .as_deref()
            .is_some_and(|x| x.to_lowercase().contains(&t.to_lowercase())),
        Condition::TextMatches(re) => f.text.as_deref().is_some_and(|x| rx.is_match(re, x)),
        Condition::Payload(p) => f.payload.as_deref() == Some(p.as_str()),
        Condition::Ref(r) => f.referral_ref.as_deref() == Some(r.as_str()),
        Condition::AdId(a) => f.ad_id.as_deref() == Some(a.as_str()),
        Condition::Contact { field, equals } => f
            .contact
            .get(field)
            .is_some_and(|v| v.eq_ignore_ascii_case(equals)),
        Condition::ReturningCustomer(b) => f.returning == *b,
        Condition::TimeOfDay {
            from,
            to,
            time_zone,
        } => match (
            parse_hhmm(from),
            parse_hhmm(to),
            local_minutes(time_zone, f.now),
        ) {
            (Ok(a), Ok(b), Ok((_, m))) => {
                if a <= b {
                    a <= m && m < b
                } else {
                    m >= a || m < b
                }
            }
            _ => false,
        },
        Condition::Attribute { name, equals } => attrs.get(name) == Some(equals),
    }
}

fn merge(into: &mut Classification, o: &Outputs) {
    for (s, p) in &o.skills {
        let v = into.skills.entry(s.clone()).or_insert(*p);
        *v = (*v).max(*p);
    }
    if o.priority.is_some() {
        into.priority = o.priority;
    }
    into.attributes
        .extend(o.attributes.iter().map(|(k, v)| (k.clone(), v.clone())));
}

/// Run the rulesets (already in order) over the facts.
pub fn classify(rulesets: &[Ruleset], facts: &Facts) -> Classification {
    classify_from(&Outputs::default(), rulesets, facts)
}

/// Run the rulesets over the facts, starting from `seed` (as if a rule
/// before them all had set it).
pub fn classify_from(seed: &Outputs, rulesets: &[Ruleset], facts: &Facts) -> Classification {
    let mut out = Classification::default();
    merge(&mut out, seed);
    for rs in rulesets {
        let rx = compiled(rs);
        let mut trace = RulesetTrace {
            ruleset: rs.id.clone(),
            kind: match rs.kind {
                RulesetKind::Classification { .. } => "classification".into(),
                RulesetKind::RouteToQueue { .. } => "route_to_queue".into(),
            },
            rules: Vec::new(),
            matched: None,
        };
        match &rs.kind {
            RulesetKind::Classification { rules } => {
                for r in rules {
                    let matched = eval(&r.when, facts, &out.attributes, &rx);
                    trace.tried(&r.name, matched);
                    if matched {
                        merge(&mut out, &r.set);
                        trace.matched = Some(r.name.clone());
                        break;
                    }
                }
            }
            RulesetKind::RouteToQueue { rules } => {
                for r in rules {
                    let matched = eval(&r.when, facts, &out.attributes, &rx);
                    trace.tried(&r.name, matched);
                    if matched {
                        if trace.matched.is_none() {
                            trace.matched = Some(r.name.clone());
                        }
                        out.candidates.push((r.queue.clone(), r.name.clone()));
                    }
                }
            }
        }
        out.traces.push(trace);
    }
    out
}

/// ISO 639-3 (what the detector names) to the two-letter tags workstreams use.
const LANGS: [(&str, &str); 30] = [
    ("eng", "en"),
    ("dan", "da"),
    ("deu", "de"),
    ("fra", "fr"),
    ("spa", "es"),
    ("ita", "it"),
    ("nld", "nl"),
    ("swe", "sv"),
    ("nob", "nb"),
    ("fin", "fi"),
    ("por", "pt"),
    ("pol", "pl"),
    ("rus", "ru"),
    ("ukr", "uk"),
    ("tur", "tr"),
    ("arb", "ar"),
    ("hin", "hi"),
    ("jpn", "ja"),
    ("cmn", "zh"),
    ("kor", "ko"),
    ("ces", "cs"),
    ("ell", "el"),
    ("hun", "hu"),
    ("ron", "ro"),
    ("heb", "he"),
    ("vie", "vi"),
    ("tha", "th"),
    ("ind", "id"),
    ("est", "et"),
    ("lit", "lt"),
];

/// Call `f` on every condition of every rule, nested ones included.
fn each_condition(rulesets: &[Ruleset], f: &mut dyn FnMut(&Condition)) {
    fn walk(c: &Condition, f: &mut dyn FnMut(&Condition)) {
        f(c);
        match c {
            Condition::All(cs) | Condition::Any(cs) => cs.iter().for_each(|c| walk(c, f)),
            Condition::Not(c) => walk(c, f),
            _ => {}
        }
    }
    for rs in rulesets {
        match &rs.kind {
            RulesetKind::Classification { rules } => rules.iter().for_each(|r| walk(&r.when, f)),
            RulesetKind::RouteToQueue { rules } => rules.iter().for_each(|r| walk(&r.when, f)),
        }
    }
}

/// Whether any rule's condition satisfies `pred` somewhere in it.
pub fn any_condition(rulesets: &[Ruleset], pred: &dyn Fn(&Condition) -> bool) -> bool {
    let mut found = false;
    each_condition(rulesets, &mut |c| found |= pred(c));
    found
}

/// The languages a workstream's rules ask about (two-letter tags).
pub fn locales_in(rulesets: &[Ruleset]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    each_condition(rulesets, &mut |c| {
        if let Condition::Locale(l) = c {
            let l = l
                .split(['-', '_'])
                .next()
                .unwrap_or("")
                .to_ascii_lowercase();
            if !out.contains(&l) {
                out.push(l);
            }
        }
    });
    out
}

/// The language of a text among the candidates (the workstream's language
/// and those its rules ask about). Short messages fool open-ended
/// detection, so the detector only chooses between languages the
/// configuration cares about; with fewer than two there is nothing to choose.
pub fn detect_language(text: &str, candidates: &[String]) -> Option<&'static str> {
    let langs: Vec<whatlang::Lang> = candidates
        .iter()
        .filter_map(|c| {
            let two = c.split(['-', '_']).next().unwrap_or("");
            LANGS.iter().find(|(_, l2)| *l2 == two)
        })
        .filter_map(|(l3, _)| whatlang::Lang::from_code(*l3))
        .collect();
    if langs.len() < 2 {
        return None;
    }
    let info = whatlang::Detector::with_allowlist(langs).detect(text)?;
    let code = info.lang().code();
    LANGS.iter().find(|(l3, _)| *l3 == code).map(|(_, l2)| *l2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::model::{ClassifyRule, RouteRule, RulesetId};
    use crate::workstreams::WorkstreamId;
    use std::cell::Cell;

    thread_local! {
        /// Regular expressions compiled on this thread (tests run on their own).
        pub(super) static COMPILES: Cell<usize> = const { Cell::new(0) };
    }

    fn rs(id: &str, order: u32, kind: RulesetKind) -> Ruleset {
        Ruleset {
            id: RulesetId::parse(id).unwrap(),
            workstream: WorkstreamId::parse("ws").unwrap(),
            name: id.into(),
            order,
            kind,
            created_at: Millis(0),
            updated_at: Millis(0),
        }
    }

    fn facts(text: &str, locale: &str) -> Facts {
        Facts {
            text: Some(text.into()),
            locale: locale.into(),
            ..Facts::default()
        }
    }

    fn billing() -> Vec<Ruleset> {
        let skill = Skill::parse("billing").unwrap();
        vec![
            rs(
                "classify",
                1,
                RulesetKind::Classification {
                    rules: vec![
                        ClassifyRule {
                            name: "danish invoices".into(),
                            when: Condition::All(vec![
                                Condition::Locale("da".into()),
                                Condition::TextContains("faktura".into()),
                            ]),
                            set: Outputs {
                                skills: [(skill, 5)].into(),
                                priority: Some(1),
                                attributes: [("topic".into(), "billing".into())].into(),
                            },
                        },
                        ClassifyRule {
                            name: "anything".into(),
                            when: Condition::Always,
                            set: Outputs {
                                priority: Some(9),
                                ..Outputs::default()
                            },
                        },
                    ],
                },
            ),
            rs(
                "route",
                2,
                RulesetKind::RouteToQueue {
                    rules: vec![RouteRule {
                        name: "billing topic".into(),
                        when: Condition::Attribute {
                            name: "topic".into(),
                            equals: "billing".into(),
                        },
                        queue: QueueId::parse("billing").unwrap(),
                    }],
                },
            ),
        ]
    }

    #[test]
    fn first_matching_rule_wins_and_feeds_later_rulesets() {
        let c = classify(&billing(), &facts("Hej, min FAKTURA er forkert", "da"));
        assert_eq!(c.priority, Some(1));
        assert_eq!(c.skills.values().copied().collect::<Vec<_>>(), vec![5]);
        assert_eq!(c.candidates.len(), 1);
        assert_eq!(c.traces[0].matched.as_deref(), Some("danish invoices"));
        assert_eq!(c.traces[0].rules.len(), 1, "stops at the first match");

        let c = classify(&billing(), &facts("my invoice is wrong", "en"));
        assert_eq!(c.priority, Some(9));
        assert!(c.skills.is_empty());
        assert!(c.candidates.is_empty());
        assert_eq!(c.traces[0].rules.len(), 2);
    }

    #[test]
    fn conditions_combine() {
        let f = Facts {
            returning: true,
            payload: Some("PRICING".into()),
            ..facts("order 12345 is late", "en-GB")
        };
        let yes = [
            Condition::Locale("en".into()),
            Condition::TextMatches(r"order \d{5}".into()),
            Condition::Not(Box::new(Condition::ReturningCustomer(false))),
            Condition::Any(vec![
                Condition::Payload("X".into()),
                Condition::Payload("PRICING".into()),
            ]),
        ];
        for c in yes {
            assert!(
                eval(&c, &f, &BTreeMap::new(), &Compiled::default()),
                "{c:?}"
            );
        }
        assert!(!eval(
            &Condition::Locale("da".into()),
            &f,
            &BTreeMap::new(),
            &Compiled::default()
        ));
        assert!(!eval(
            &Condition::Ref("x".into()),
            &f,
            &BTreeMap::new(),
            &Compiled::default()
        ));
    }

    #[test]
    fn bad_regex_and_zone_are_refused_on_the_way_in() {
        assert!(check_condition(&Condition::TextMatches("(".into())).is_err());
        let tod = |tz: &str, from: &str| Condition::TimeOfDay {
            from: from.into(),
            to: "17:00".into(),
            time_zone: tz.into(),
        };
        assert!(check_condition(&tod("Mars/Olympus", "09:00")).is_err());
        assert!(check_condition(&tod("Europe/Copenhagen", "9am")).is_err());
        assert!(check_condition(&tod("Europe/Copenhagen", "09:00")).is_ok());
    }

    #[test]
    fn time_of_day_uses_the_zone_and_wraps_midnight() {
        // 2026-01-05 07:30 UTC = 08:30 in Copenhagen (winter, UTC+1).
        let now = Millis(1_767_598_200_000);
        let f = Facts {
            now,
            ..Facts::default()
        };
        let tod = |from: &str, to: &str| Condition::TimeOfDay {
            from: from.into(),
            to: to.into(),
            time_zone: "Europe/Copenhagen".into(),
        };
        assert!(eval(
            &tod("08:00", "09:00"),
            &f,
            &BTreeMap::new(),
            &Compiled::default()
        ));
        assert!(!eval(
            &tod("09:00", "17:00"),
            &f,
            &BTreeMap::new(),
            &Compiled::default()
        ));
        assert!(eval(
            &tod("22:00", "09:00"),
            &f,
            &BTreeMap::new(),
            &Compiled::default()
        ));
    }

    #[test]
    fn detects_the_language_among_the_ones_configured() {
        let both = vec!["da".to_string(), "en".to_string()];
        for (text, want) in [
            (
                "Hej, jeg har et spørgsmål om min faktura fra sidste måned",
                "da",
            ),
            ("Hej, min faktura er forkert", "da"),
            (
                "Hello, I have a question about my last invoice please",
                "en",
            ),
            ("Hi, my order has not arrived yet.", "en"),
        ] {
            assert_eq!(detect_language(text, &both), Some(want), "{text}");
        }
        assert_eq!(detect_language("Hej", &["da".to_string()]), None);
        assert_eq!(locales_in(&billing()), vec!["da".to_string()]);
    }

    #[test]
    fn a_regex_is_compiled_once_per_ruleset_version() {
        let id = format!("regex-cache-{}", uuid::Uuid::now_v7().simple());
        let rule = |re: &str| RouteRule {
            name: "orders".into(),
            when: Condition::TextMatches(re.into()),
            queue: QueueId::parse("orders").unwrap(),
        };
        let mut set = rs(
            &id,
            1,
            RulesetKind::RouteToQueue {
                rules: vec![rule(r"order \d{5}")],
            },
        );
        let before = COMPILES.with(Cell::get);
        for i in 0..500 {
            let c = classify(
                std::slice::from_ref(&set),
                &facts(&format!("order {i:05}"), "en"),
            );
            assert_eq!(c.candidates.len(), 1, "message {i} matches");
        }
        assert_eq!(
            COMPILES.with(Cell::get) - before,
            1,
            "compiled once for 500 messages"
        );
        assert!(compiled_rulesets() >= 1);

        // A new version compiles its own pattern once, and only its own.
        set.updated_at = Millis(1);
        set.kind = RulesetKind::RouteToQueue {
            rules: vec![rule(r"^refund")],
        };
        for _ in 0..100 {
            let c = classify(std::slice::from_ref(&set), &facts("order 12345", "en"));
            assert!(c.candidates.is_empty(), "the old pattern is gone");
        }
        assert_eq!(COMPILES.with(Cell::get) - before, 2);
    }
}
