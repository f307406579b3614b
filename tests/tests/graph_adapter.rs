//! The Graph adapter against the fake Graph server: answers parsed, tokens
//! in the Authorization header only, Meta's errors classified as
//! MESSENGER.md says, time-to-regain-access honoured, timeouts transient.

use std::time::Duration;
use switchboard_core::Secret;
use switchboard_core::graph::{ErrorClass, GraphApi, SUBSCRIBED_FIELDS};
use switchboard_core::ids::{AppId, PageId, Psid};
use switchboard_graph::HttpGraph;
use switchboard_tests::fake_graph::{FakeGraph, Scripted};

const PAGE: &str = "104857600000001";
const TOKEN: &str = "EAAB-page-token-secret";

fn page() -> PageId {
    PageId::parse(PAGE).unwrap()
}

fn token() -> Secret {
    Secret::new(TOKEN)
}

async fn setup() -> (FakeGraph, HttpGraph) {
    let fake = FakeGraph::start().await;
    let graph = HttpGraph::new(&fake.base, Duration::from_millis(500)).unwrap();
    (fake, graph)
}

fn text(psid: &str) -> serde_json::Value {
    serde_json::json!({"recipient": {"id": psid}, "messaging_type": "RESPONSE", "message": {"text": "Hello"}})
}

#[tokio::test]
async fn send_returns_metas_message_id_and_keeps_the_token_out_of_the_url() {
    let (fake, graph) = setup().await;
    let ok = graph
        .send_message(&page(), &token(), &text("7700000000000001"))
        .await
        .unwrap();
    assert_eq!(ok.message_id, "m_fake_1");
    assert_eq!(ok.recipient_id.as_deref(), Some("7700000000000001"));
    let r = &fake.requests()[0];
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("POST", "104857600000001/messages")
    );
    assert_eq!(
        r.authorization.as_deref(),
        Some("Bearer EAAB-page-token-secret")
    );
    assert!(!r.query.contains(TOKEN));
    let sent: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(sent["messaging_type"], "RESPONSE");
}

#[tokio::test]
async fn errors_are_classified_as_messenger_md_says() {
    let (fake, graph) = setup().await;
    fake.script(
        "POST",
        "104857600000001/messages",
        vec![
            Scripted::error(
                400,
                613,
                None,
                "Calls to this api have exceeded the rate limit.",
            )
            .with_header(
                "x-business-use-case-usage",
                r#"{"104857600000001":[{"type":"messenger","estimated_time_to_regain_access":3}]}"#,
            ),
            Scripted::error(
                400,
                190,
                Some(463),
                "Error validating access token: Session has expired",
            ),
            Scripted::error(400, 551, None, "This person isn't available right now."),
            Scripted::error(
                400,
                10,
                Some(2018278),
                "Message sent outside of allowed window.",
            ),
            Scripted::error(500, 2, None, "Service temporarily unavailable"),
            Scripted {
                status: 502,
                body: serde_json::json!("bad gateway"),
                headers: vec![],
                delay: Duration::ZERO,
            },
        ],
    );
    let mut got = Vec::new();
    for _ in 0..6 {
        got.push(
            graph
                .send_message(&page(), &token(), &text("1"))
                .await
                .unwrap_err(),
        );
    }
    assert_eq!(got[0].class(), ErrorClass::Transient);
    assert_eq!(got[0].code, Some(613));
    assert_eq!(got[0].retry_after, Some(Duration::from_secs(180)));
    assert_eq!(got[1].class(), ErrorClass::Token);
    assert_eq!(got[1].subcode, Some(463));
    assert!(got[1].explain().contains("expired"));
    assert_eq!(got[2].class(), ErrorClass::Permanent);
    assert_eq!(got[3].class(), ErrorClass::Permanent);
    assert!(got[3].explain().contains("window"));
    assert_eq!(got[4].class(), ErrorClass::Transient);
    assert_eq!(
        (got[5].status, got[5].class()),
        (502, ErrorClass::Transient)
    );
    assert_eq!(got[1].fbtrace_id.as_deref(), Some("AfakeTrace"));
    // And after the scripted errors, Meta answers again.
    assert!(
        graph
            .send_message(&page(), &token(), &text("1"))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn a_slow_graph_is_a_transient_timeout_not_a_hung_request() {
    let (fake, graph) = setup().await;
    fake.script(
        "POST",
        "104857600000001/messages",
        vec![Scripted::ok(serde_json::json!({"message_id": "late"})).after(Duration::from_secs(3))],
    );
    let started = std::time::Instant::now();
    let e = graph
        .send_message(&page(), &token(), &text("1"))
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "gave up at the timeout"
    );
    assert_eq!((e.status, e.class()), (0, ErrorClass::Transient));
    assert!(e.message.contains("timed out"), "{}", e.message);
    assert!(!e.message.contains(TOKEN));
}

#[tokio::test]
async fn unreachable_graph_is_transient() {
    let port = switchboard_tests::free_port();
    let graph = HttpGraph::new(
        &format!("http://127.0.0.1:{port}"),
        Duration::from_millis(500),
    )
    .unwrap();
    let e = graph
        .user_profile(&Psid::parse("1").unwrap(), &token())
        .await
        .unwrap_err();
    assert_eq!(e.class(), ErrorClass::Transient);
}

#[tokio::test]
async fn profile_token_debugging_and_subscription() {
    let (fake, graph) = setup().await;
    let p = graph
        .user_profile(&Psid::parse("7700000000000001").unwrap(), &token())
        .await
        .unwrap();
    assert_eq!(p.first_name.as_deref(), Some("Ada"));
    fake.script(
        "GET",
        "7700000000000002",
        vec![Scripted::error(400, 100, Some(2018247), "No permission")],
    );
    let e = graph
        .user_profile(&Psid::parse("7700000000000002").unwrap(), &token())
        .await
        .unwrap_err();
    assert_eq!(e.class(), ErrorClass::Permanent);

    let info = graph
        .debug_token(
            &AppId::parse("900000000000001").unwrap(),
            &Secret::new("app-secret"),
            &token(),
        )
        .await
        .unwrap();
    assert!(info.is_valid);
    assert!(info.scopes.iter().any(|s| s == "pages_messaging"));
    let dbg = fake
        .requests()
        .into_iter()
        .find(|r| r.path == "debug_token")
        .unwrap();
    assert_eq!(
        dbg.authorization.as_deref(),
        Some("Bearer 900000000000001|app-secret")
    );

    graph
        .subscribe_app(&page(), &token(), SUBSCRIBED_FIELDS)
        .await
        .unwrap();
    let sub = fake
        .requests()
        .into_iter()
        .find(|r| r.method == "POST" && r.path.ends_with("subscribed_apps"))
        .unwrap();
    assert!(
        sub.query
            .contains("subscribed_fields=messages%2Cmessaging_postbacks"),
        "{}",
        sub.query
    );
    let apps = graph.subscribed_apps(&page(), &token()).await.unwrap();
    assert_eq!(apps[0].subscribed_fields.len(), SUBSCRIBED_FIELDS.len());
    graph.unsubscribe_app(&page(), &token()).await.unwrap();

    fake.script(
        "POST",
        "104857600000001/subscribed_apps",
        vec![Scripted::error(
            403,
            200,
            None,
            "Requires pages_manage_metadata",
        )],
    );
    let e = graph
        .subscribe_app(&page(), &token(), SUBSCRIBED_FIELDS)
        .await
        .unwrap_err();
    assert_eq!(e.class(), ErrorClass::Permanent);
    assert!(e.explain().contains("permission"));
}

/// `debug_token` is the one call that carries a token in its URL
/// (`input_token`, as Meta requires). When it fails in every way Meta or
/// the network can fail it, the token is in neither the error nor the logs.
#[tokio::test]
async fn a_failing_debug_token_call_keeps_the_input_token_out_of_errors_and_logs() {
    // A thread-local default subscriber: the test runs on tokio's
    // current-thread runtime.
    let capture = switchboard_tests::log_capture::Capture::default();
    let _logs = tracing::subscriber::set_default(capture.subscriber("trace"));
    let (fake, graph) = setup().await;
    fake.script(
        "GET",
        "debug_token",
        vec![
            Scripted::error(400, 190, Some(460), "Error validating access token"),
            Scripted::error(500, 2, None, "Service temporarily unavailable"),
            Scripted {
                status: 502,
                body: serde_json::json!("bad gateway"),
                headers: vec![],
                delay: Duration::ZERO,
            },
            // Not the shape debug_token answers with.
            Scripted::ok(serde_json::json!({"unexpected": true})),
            // Slower than the client's 500 ms timeout.
            Scripted::ok(serde_json::json!({})).after(Duration::from_secs(3)),
        ],
    );
    let app = AppId::parse("900000000000001").unwrap();
    let app_secret = Secret::new("app-secret-for-debugging");
    let mut errors = Vec::new();
    for _ in 0..5 {
        errors.push(
            graph
                .debug_token(&app, &app_secret, &token())
                .await
                .unwrap_err(),
        );
    }
    assert_eq!(errors[0].class(), ErrorClass::Token);
    assert_eq!((errors[1].status, errors[1].code), (500, Some(2)));
    assert_eq!(errors[2].status, 502);
    assert!(
        errors[3].message.contains("unexpected answer"),
        "{}",
        errors[3].message
    );
    assert_eq!(
        (errors[4].status, errors[4].class()),
        (0, ErrorClass::Transient)
    );
    assert!(
        errors[4].message.contains("timed out"),
        "{}",
        errors[4].message
    );
    // The token did travel in the URL of each of those calls.
    let sent: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.path == "debug_token")
        .collect();
    assert_eq!(sent.len(), 5);
    assert!(sent.iter().all(|r| r.query.contains(TOKEN)));

    // Unreachable: a loopback port with nothing listening (bound, then released).
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let nowhere = HttpGraph::new(&base, Duration::from_millis(500)).unwrap();
    let e = nowhere
        .debug_token(&app, &app_secret, &token())
        .await
        .unwrap_err();
    assert_eq!((e.status, e.class()), (0, ErrorClass::Transient), "{e}");
    errors.push(e);

    for e in &errors {
        for shown in [
            e.to_string(),
            format!("{e:?}"),
            e.explain(),
            serde_json::to_string(e).unwrap(),
        ] {
            assert!(!shown.contains(TOKEN), "the input token leaked: {shown}");
            assert!(!shown.contains("app-secret-for-debugging"), "{shown}");
        }
    }
    let logs = capture.text();
    assert!(
        logs.contains("Graph API error"),
        "the capture works: {logs}"
    );
    assert!(
        !logs.contains(TOKEN),
        "the input token reached the logs:\n{logs}"
    );
    assert!(!logs.contains("app-secret-for-debugging"), "{logs}");
}

/// The ID Matching API (data-deletion requests): the app-scoped id's
/// page-scoped ids, with the app's token; Meta's "no mapping" is an empty
/// list; an error is classified like any other.
#[tokio::test]
async fn ids_for_pages_maps_an_app_scoped_user_or_says_nothing() {
    let (fake, graph) = setup().await;
    let app = AppId::parse("900000000000001").unwrap();
    let secret = Secret::new("app-secret");
    fake.set_ids("5550001", &[("104857600000001", "7700000000000001")]);
    let ids = graph.ids_for_pages("5550001", &app, &secret).await.unwrap();
    assert_eq!(ids.len(), 1);
    assert_eq!(
        (ids[0].id.as_str(), ids[0].page.id.as_str()),
        ("7700000000000001", "104857600000001")
    );
    let call = fake
        .requests()
        .into_iter()
        .find(|r| r.path == "5550001/ids_for_pages")
        .unwrap();
    assert_eq!(
        call.authorization.as_deref(),
        Some("Bearer 900000000000001|app-secret")
    );
    fake.set_ids("5550002", &[]);
    assert!(
        graph
            .ids_for_pages("5550002", &app, &secret)
            .await
            .unwrap()
            .is_empty()
    );
    fake.script(
        "GET",
        "5550003/ids_for_pages",
        vec![Scripted::error(
            500,
            2,
            None,
            "Service temporarily unavailable",
        )],
    );
    let e = graph
        .ids_for_pages("5550003", &app, &secret)
        .await
        .unwrap_err();
    assert_eq!(e.class(), ErrorClass::Transient);
}
