//! The configuration file: `Config::parse` answers for any text (never
//! panics), and what it accepts goes on as `switchboard apply` sends it:
//! `to_desired_json`, serialized, read back as the admin API's `Desired`,
//! and the routing sections checked as the admin API checks them.
#![no_main]

use libfuzzer_sys::fuzz_target;
use switchboard_core::channels::Desired;
use switchboard_core::config::Config;
use switchboard_core::routing::admin::{queue_from, ruleset_from};
use switchboard_core::routing::classify::check_condition;
use switchboard_core::routing::hours::check_hours;
use switchboard_core::routing::model::RulesetKind;
use switchboard_core::workstreams::check_messages;

/// Variables whose name starts with `SET_` (and the example's) are set,
/// every other one is not.
fn env(name: &str) -> Option<String> {
    match name {
        "ACME_APP_SECRET" => Some("local-dev-app-secret".into()),
        "ACME_VERIFY_TOKEN" => Some("local-dev-verify-token-0123456789".into()),
        "ACME_PAGE_TOKEN" => Some("local-dev-page-token".into()),
        "SET_EMPTY" => Some(String::new()),
        "SET_SHORT" => Some("short".into()),
        n if n.starts_with("SET_") => Some(format!("value of {n}, long enough")),
        _ => None,
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(yaml) = std::str::from_utf8(data) else {
        return;
    };
    let config = match Config::parse(yaml, &env) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    assert!(!config.public_url.ends_with('/'));
    for a in &config.accounts {
        let _ = config.callback_url(&a.id);
        if let Some(t) = &a.verify_token {
            assert!(t.expose().len() >= 16, "a short verify token was accepted");
        }
    }
    let _ = config.routing_json();
    let desired = config.to_desired_json();
    let body = serde_json::to_vec(&desired).expect("the desired state serializes");
    // What the admin API's `POST /admin/v1/apply` reads.
    let Ok(d) = serde_json::from_slice::<Desired>(&body) else {
        return;
    };
    for w in d.workstreams.iter().flatten() {
        let _ = check_messages(&w.automated_messages, w.survey.as_ref());
    }
    for q in d.queues.iter().flatten() {
        if let Some(h) = &queue_from(q).hours {
            let _ = check_hours(h);
        }
    }
    for r in d.rulesets.iter().flatten() {
        let r = ruleset_from(r);
        match &r.kind {
            RulesetKind::Classification { rules } => {
                rules.iter().for_each(|x| drop(check_condition(&x.when)))
            }
            RulesetKind::RouteToQueue { rules } => {
                rules.iter().for_each(|x| drop(check_condition(&x.when)))
            }
        }
    }
});
