//! Page provisioning against the fake Graph server: the happy path to
//! `running`, and every failing step to `error` (or, when Meta is slow or
//! down, to `provisioning` for a later retry) with a reason to act on.

use std::time::Duration;
use switchboard_core::Millis;
use switchboard_core::Secret;
use switchboard_core::graph::SUBSCRIBED_FIELDS;
use switchboard_core::ids::{AppId, PageId};
use switchboard_core::provisioning::{Outcome, ProvisioningState, Target, provision};
use switchboard_graph::HttpGraph;
use switchboard_tests::fake_graph::{FakeGraph, Scripted};

const PAGE: &str = "104857600000001";
const NOW: Millis = Millis(1_764_000_000_000);

async fn run(fake: &FakeGraph) -> Outcome {
    let graph = HttpGraph::new(&fake.base, Duration::from_millis(500)).unwrap();
    let app_id = AppId::parse("900000000000001").unwrap();
    let page_id = PageId::parse(PAGE).unwrap();
    let (secret, token) = (Secret::new("app-secret"), Secret::new("EAAB-page-token"));
    provision(
        &graph,
        &Target {
            app_id: &app_id,
            app_secret: &secret,
            page_id: &page_id,
            page_token: &token,
        },
        NOW,
    )
    .await
}

fn debug(data: serde_json::Value) -> Scripted {
    let mut base = serde_json::json!({
        "app_id": "900000000000001", "type": "PAGE", "is_valid": true, "expires_at": 0,
        "data_access_expires_at": 1771776000, "scopes": ["pages_messaging", "pages_manage_metadata"],
        "profile_id": PAGE
    });
    for (k, v) in data.as_object().unwrap() {
        base[k] = v.clone();
    }
    Scripted::ok(serde_json::json!({ "data": base }))
}

fn reason(o: &Outcome) -> &str {
    o.provisioning.reason.as_deref().unwrap_or("")
}

#[tokio::test]
async fn a_good_token_ends_running_with_its_health_recorded() {
    let fake = FakeGraph::start().await;
    let o = run(&fake).await;
    assert_eq!(
        o.provisioning.state,
        ProvisioningState::Running,
        "{:?}",
        o.provisioning
    );
    let t = o.token.unwrap();
    assert_eq!(t.expires_at, None, "0 means no expiry by date");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let recorded = t
        .data_access_expires_at
        .expect("data access expiry recorded");
    assert!(
        recorded > now + 79 * 24 * 3600 && recorded <= now + 81 * 24 * 3600,
        "{recorded}"
    );
    let reqs = fake.requests();
    let steps: Vec<(String, String)> = reqs
        .iter()
        .map(|r| (r.method.clone(), r.path.clone()))
        .collect();
    assert_eq!(
        steps,
        [
            ("GET".to_string(), "debug_token".to_string()),
            ("POST".to_string(), format!("{PAGE}/subscribed_apps")),
            ("GET".to_string(), format!("{PAGE}/subscribed_apps")),
        ]
    );
    let fields = reqs[1].query.replace("%2C", ",");
    for f in SUBSCRIBED_FIELDS {
        assert!(fields.contains(f), "{f} subscribed: {fields}");
    }
}

#[tokio::test]
async fn each_bad_token_ends_in_error_with_a_reason() {
    let cases = [
        (debug(serde_json::json!({"is_valid": false})), "not valid"),
        (
            debug(serde_json::json!({"app_id": "900000000000099"})),
            "issued to app 900000000000099",
        ),
        (
            debug(serde_json::json!({"profile_id": "104857600000002"})),
            "belongs to page 104857600000002",
        ),
        (
            debug(serde_json::json!({"type": "USER"})),
            "not a page token",
        ),
        (
            debug(serde_json::json!({"scopes": ["pages_manage_metadata"]})),
            "pages_messaging",
        ),
        (
            Scripted::error(400, 190, Some(463), "Session has expired"),
            "expired",
        ),
    ];
    for (answer, expect) in cases {
        let fake = FakeGraph::start().await;
        fake.script("GET", "debug_token", vec![answer]);
        let o = run(&fake).await;
        assert_eq!(o.provisioning.state, ProvisioningState::Error, "{expect}");
        assert!(
            reason(&o).contains(expect),
            "{expect:?} in {:?}",
            reason(&o)
        );
        assert!(
            fake.requests().iter().all(|r| r.method != "POST"),
            "no subscription with a bad token"
        );
    }
}

#[tokio::test]
async fn a_revoked_token_gives_metas_reason_code_and_subcode() {
    let fake = FakeGraph::start().await;
    fake.script(
        "GET",
        "debug_token",
        vec![debug(serde_json::json!({"is_valid": false, "error": {
            "code": 190, "subcode": 460,
            "message": "The session has been invalidated because the user changed their password."
        }}))],
    );
    let o = run(&fake).await;
    assert_eq!(o.provisioning.state, ProvisioningState::Error);
    assert!(reason(&o).contains("not valid"), "{}", reason(&o));
    assert!(
        reason(&o).contains("the user changed their password"),
        "{}",
        reason(&o)
    );
    assert_eq!(o.provisioning.code, Some(190));
    assert_eq!(o.provisioning.subcode, Some(460));
}

#[tokio::test]
async fn a_refused_subscription_gives_metas_code() {
    let fake = FakeGraph::start().await;
    fake.script(
        "POST",
        &format!("{PAGE}/subscribed_apps"),
        vec![Scripted::error(
            403,
            200,
            None,
            "Requires pages_manage_metadata permission",
        )],
    );
    let o = run(&fake).await;
    assert_eq!(o.provisioning.state, ProvisioningState::Error);
    assert_eq!(o.provisioning.code, Some(200));
    assert!(
        reason(&o).starts_with("Subscribing the page to the app"),
        "{}",
        reason(&o)
    );
}

#[tokio::test]
async fn a_subscription_missing_a_required_field_is_an_error_and_an_optional_one_a_warning() {
    let fake = FakeGraph::start().await;
    fake.script(
        "GET",
        &format!("{PAGE}/subscribed_apps"),
        vec![Scripted::ok(serde_json::json!({"data": [{"id": "900000000000001", "subscribed_fields": ["messages"]}]}))],
    );
    let o = run(&fake).await;
    assert_eq!(o.provisioning.state, ProvisioningState::Error);
    assert!(reason(&o).contains("message_echoes"), "{}", reason(&o));

    // Only messages and their echoes are required: without the others the
    // page runs, with a warning naming them.
    let fake = FakeGraph::start().await;
    fake.script(
        "GET",
        &format!("{PAGE}/subscribed_apps"),
        vec![Scripted::ok(serde_json::json!({"data": [{"id": "900000000000001", "subscribed_fields":
            ["messages", "messaging_postbacks", "message_deliveries", "message_reads", "message_echoes", "messaging_referrals"]}]}))],
    );
    let o = run(&fake).await;
    assert_eq!(o.provisioning.state, ProvisioningState::Running);
    for field in [
        "message_reactions",
        "message_edits",
        "messaging_handovers",
        "standby",
    ] {
        assert!(reason(&o).contains(field), "{}", reason(&o));
    }
    assert!(reason(&o).starts_with("Running, but"), "{}", reason(&o));

    let fake = FakeGraph::start().await;
    fake.script(
        "GET",
        &format!("{PAGE}/subscribed_apps"),
        vec![Scripted::ok(serde_json::json!({"data": []}))],
    );
    let o = run(&fake).await;
    assert_eq!(o.provisioning.state, ProvisioningState::Error);
    assert!(reason(&o).contains("does not list app"), "{}", reason(&o));
}

#[tokio::test]
async fn a_slow_or_failing_graph_leaves_it_provisioning_for_a_retry() {
    let fake = FakeGraph::start().await;
    fake.script(
        "GET",
        "debug_token",
        vec![Scripted::ok(serde_json::json!({})).after(Duration::from_secs(3))],
    );
    let started = std::time::Instant::now();
    let o = run(&fake).await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "no hung request"
    );
    assert_eq!(o.provisioning.state, ProvisioningState::Provisioning);
    assert!(reason(&o).contains("try again"), "{}", reason(&o));

    let fake = FakeGraph::start().await;
    fake.script(
        "POST",
        &format!("{PAGE}/subscribed_apps"),
        vec![Scripted::error(
            500,
            2,
            None,
            "Service temporarily unavailable",
        )],
    );
    let o = run(&fake).await;
    assert_eq!(o.provisioning.state, ProvisioningState::Provisioning);
    assert_eq!(o.provisioning.code, Some(2));
}
