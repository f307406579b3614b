//! Routing rule conditions: a ruleset (or a list of them, or one bare
//! condition) read from JSON as the admin API reads it, checked as
//! `check_ruleset` checks it (the parts that need no store), stored and
//! read back unchanged, then evaluated by `classify` over several facts,
//! including facts built from the conditions' own values so that the
//! matching branches run too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::collections::{BTreeMap, HashSet};
use switchboard_core::Millis;
use switchboard_core::ids::PageId;
use switchboard_core::routing::admin::{NewRuleset, ruleset_from};
use switchboard_core::routing::classify::{
    Facts, any_condition, check_condition, classify, detect_language, locales_in,
};
use switchboard_core::routing::model::{
    ClassifyRule, Condition, Outputs, Ruleset, RulesetId, RulesetKind,
};
use switchboard_core::workstreams::WorkstreamId;

/// Read straight from the bytes, each shape in turn, as the admin API
/// reads a ruleset (not through serde's buffered `untagged`).
enum Input {
    One(Box<NewRuleset>),
    Many(Vec<NewRuleset>),
    Bare(Condition),
}

fn read(data: &[u8]) -> Option<Input> {
    if let Ok(r) = serde_json::from_slice::<NewRuleset>(data) {
        return Some(Input::One(Box::new(r)));
    }
    if let Ok(rs) = serde_json::from_slice::<Vec<NewRuleset>>(data) {
        return Some(Input::Many(rs));
    }
    serde_json::from_slice::<Condition>(data)
        .ok()
        .map(Input::Bare)
}

fn depth(c: &Condition) -> usize {
    match c {
        Condition::All(cs) | Condition::Any(cs) => 1 + cs.iter().map(depth).max().unwrap_or(0),
        Condition::Not(c) => 1 + depth(c),
        _ => 1,
    }
}

fn conditions(r: &Ruleset) -> Vec<(&String, &Condition)> {
    match &r.kind {
        RulesetKind::Classification { rules } => rules.iter().map(|x| (&x.name, &x.when)).collect(),
        RulesetKind::RouteToQueue { rules } => rules.iter().map(|x| (&x.name, &x.when)).collect(),
    }
}

/// What `check_ruleset` refuses without looking at the store.
fn valid(r: &Ruleset) -> bool {
    let rules = conditions(r);
    if rules.len() > 200 {
        return false;
    }
    let mut names = HashSet::new();
    let mut ok = true;
    for (name, when) in rules {
        ok &= !name.trim().is_empty() && name.len() <= 200 && names.insert(name);
        ok &= depth(when) <= 16;
        // Checked whatever the depth: it must answer for anything JSON holds.
        ok &= check_condition(when).is_ok();
    }
    ok
}

/// Facts that satisfy the leaves of `c` (as far as one set of facts can).
fn gather(c: &Condition, f: &mut Facts) {
    match c {
        Condition::All(cs) | Condition::Any(cs) => cs.iter().for_each(|c| gather(c, f)),
        Condition::Not(c) => gather(c, f),
        Condition::Page(p) => {
            if let Some(p) = p.first() {
                f.page_id = Some(p.clone());
            }
        }
        Condition::Locale(l) => f.locale = l.clone(),
        Condition::TextContains(t) => {
            let text = f.text.get_or_insert_with(String::new);
            text.push_str(t);
            text.push(' ');
        }
        Condition::Payload(p) => f.payload = Some(p.clone()),
        Condition::Ref(r) => f.referral_ref = Some(r.clone()),
        Condition::AdId(a) => f.ad_id = Some(a.clone()),
        Condition::Contact { field, equals } => {
            f.contact.insert(field.clone(), equals.clone());
        }
        Condition::ReturningCustomer(b) => f.returning = *b,
        _ => {}
    }
}

fn facts(rulesets: &[Ruleset]) -> Vec<Facts> {
    let mut own = Facts {
        now: Millis(1_767_601_800_000),
        ..Facts::default()
    };
    for r in rulesets {
        for (_, c) in conditions(r) {
            gather(c, &mut own);
        }
    }
    let sample = Facts {
        page_id: PageId::parse("104857600000001").ok(),
        locale: "da-DK".into(),
        text: Some("Hej, min FAKTURA er forkert. Ordre 12345 ÆØÅ ß ǅ 🙂".into()),
        payload: Some("PRICING".into()),
        referral_ref: Some("summer-sale".into()),
        ad_id: Some("6045246247".into()),
        contact: BTreeMap::from([("name".into(), "Anna".into())]),
        returning: true,
        now: Millis(1_767_598_200_000),
    };
    let mut out = vec![Facts::default(), sample, own];
    for now in [i64::MIN, -1, 253_402_300_800_000, i64::MAX] {
        out.push(Facts {
            now: Millis(now),
            ..out[2].clone()
        });
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let Some(input) = read(data) else {
        return;
    };
    let rulesets: Vec<Ruleset> = match input {
        Input::One(r) => vec![ruleset_from(&r)],
        Input::Many(rs) => rs.iter().map(ruleset_from).collect(),
        Input::Bare(when) => vec![Ruleset {
            id: RulesetId::parse("fuzz").expect("a valid id"),
            workstream: WorkstreamId::parse("support").expect("a valid id"),
            name: "fuzz".into(),
            order: 0,
            kind: RulesetKind::Classification {
                rules: vec![ClassifyRule {
                    name: "fuzz".into(),
                    when,
                    set: Outputs::default(),
                }],
            },
            created_at: Millis(0),
            updated_at: Millis(0),
        }],
    };
    // Only what passes the checks is stored, and so only that is evaluated.
    let checked: Vec<Ruleset> = rulesets.into_iter().filter(valid).collect();
    for r in &checked {
        let stored = serde_json::to_string(r).expect("a ruleset serializes");
        let back: Ruleset = serde_json::from_str(&stored)
            .unwrap_or_else(|e| panic!("a stored ruleset does not read back: {e}\n{stored}"));
        assert_eq!(&back, r, "a ruleset changed in the store");
    }
    for f in facts(&checked) {
        let c = classify(&checked, &f);
        assert_eq!(c.traces.len(), checked.len());
        if let Some(text) = &f.text {
            let mut langs = locales_in(&checked);
            langs.push("en".into());
            let _ = detect_language(text, &langs);
        }
    }
    let _ = any_condition(&checked, &|c| matches!(c, Condition::TimeOfDay { .. }));
});
