//! Secrets never reach a log line: every crate's output is captured at
//! DEBUG while accounts and pages are created, tokens rotated, webhooks
//! verified and deliveries ingested (embedded and on moto), and the
//! capture is searched for each secret.

use bytes::Bytes;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use switchboard_core::channels::ChannelDeps;
use switchboard_core::ports::{Queue, SecretStore};
use switchboard_core::{Clock, SystemClock};
use switchboard_tests::fake_graph::FakeGraph;
use switchboard_tests::log_capture::Capture;
use switchboard_tests::*;

fn capture() -> &'static Capture {
    static CAPTURE: OnceLock<Capture> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        let c = Capture::default();
        // `init` also routes the `log` crate's records here.
        tracing_subscriber::util::SubscriberInitExt::init(c.subscriber("debug"));
        c
    })
}

const ADMIN: &str = "admin-token-never-logged-0001";
const APP_SECRET_2: &str = "app-secret-never-logged-0002";
const PAGE_TOKEN: &str = "EAAB-page-104857600000009-never-logged";
const PAGE_TOKEN_2: &str = "EAAB-page-104857600000009-rotated-never-logged";

fn req(method: &str, uri: &str, body: serde_json::Value) -> http::Request<Bytes> {
    http::Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", format!("Bearer {ADMIN}"))
        .body(Bytes::from(body.to_string()))
        .unwrap()
}

async fn exercise(
    store: Arc<dyn Store>,
    secrets: Arc<dyn SecretStore>,
    queue: Arc<dyn Queue>,
) -> String {
    let fake = FakeGraph::start().await;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let graph =
        Arc::new(switchboard_graph::HttpGraph::new(&fake.base, Duration::from_secs(2)).unwrap());
    let channels = ChannelDeps {
        graph,
        public_url: "https://sb.example".into(),
        webhook_url: "https://sb.example".into(),
        ..channel_deps(store.clone(), secrets.clone(), clock.clone())
    };
    let services = switchboard_tests::services(channels, queue, ADMIN);
    let created = dispatch(
        &services,
        req("POST", "/admin/v1/accounts", serde_json::json!({"id": "acme", "name": "Acme", "app_id": "900000000000001", "app_secret": APP_SECRET_2})),
    )
    .await;
    assert_eq!(created.status(), 201);
    let verify_token = body_json(&created)["verify_token"]
        .as_str()
        .unwrap()
        .to_string();
    let page = dispatch(
        &services,
        req("POST", "/admin/v1/accounts/acme/pages", serde_json::json!({"page_id": "104857600000009", "name": "P", "access_token": PAGE_TOKEN})),
    )
    .await;
    assert_eq!(page.status(), 201, "{:?}", body_json(&page));
    let rotated = dispatch(
        &services,
        req(
            "PUT",
            "/admin/v1/accounts/acme/pages/104857600000009/token",
            serde_json::json!({"access_token": PAGE_TOKEN_2}),
        ),
    )
    .await;
    assert_eq!(rotated.status(), 200, "{:?}", body_json(&rotated));
    assert_eq!(
        body_json(&rotated)["provisioning"]["state"],
        "running",
        "the rotated token was used: {:?}",
        body_json(&rotated)
    );
    let empty = dispatch(
        &services,
        req(
            "PUT",
            "/admin/v1/accounts/acme/pages/104857600000009/token",
            serde_json::json!({"access_token": ""}),
        ),
    )
    .await;
    assert_eq!(empty.status(), 422, "{:?}", body_json(&empty));
    assert_eq!(body_json(&empty)["code"], "invalid_access_token");
    let ok = dispatch(&services, get(&format!("/webhooks/facebook/acme?hub.mode=subscribe&hub.verify_token={verify_token}&hub.challenge=1"), None)).await;
    assert_eq!(ok.status(), 200);
    let wrong = dispatch(&services, get("/webhooks/facebook/acme?hub.mode=subscribe&hub.verify_token=wrong-but-logged-as-what&hub.challenge=1", None)).await;
    assert_eq!(wrong.status(), 403, "{:?}", body_json(&wrong));
    let body = fixture("text-message.json");
    assert_eq!(
        dispatch(&services, signed_post("acme", &body, APP_SECRET_2))
            .await
            .status(),
        200
    );
    assert_eq!(
        dispatch(&services, signed_post("acme", &body, "a-wrong-secret"))
            .await
            .status(),
        403
    );
    let unauthorized = dispatch(
        &services,
        get("/admin/v1/accounts", Some("not-the-admin-token")),
    )
    .await;
    assert_eq!(unauthorized.status(), 401, "{:?}", body_json(&unauthorized));
    let removed = dispatch(
        &services,
        req(
            "DELETE",
            "/admin/v1/accounts/acme/pages/104857600000009",
            serde_json::json!({}),
        ),
    )
    .await;
    assert_eq!(removed.status(), 200, "{:?}", body_json(&removed));
    assert_eq!(
        body_json(&removed)["provisioning"]["state"],
        "deprovisioned"
    );
    verify_token
}

fn assert_clean(verify_token: &str) {
    let logs = capture().text();
    assert!(logs.contains("page provisioned"), "the capture works");
    let signature =
        switchboard_core::signature::sign(APP_SECRET_2.as_bytes(), &fixture("text-message.json"));
    for secret in [
        ADMIN,
        APP_SECRET_2,
        PAGE_TOKEN,
        PAGE_TOKEN_2,
        verify_token,
        &signature["sha256=".len()..],
    ] {
        assert!(
            !logs.contains(secret),
            "a secret reached the logs: {secret}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_is_logged_embedded_or_on_aws() {
    capture();
    let e = redb_store();
    let q = local_queue(Default::default());
    let verify = exercise(
        e.store.clone(),
        file_secrets(e.dir.path()),
        Arc::new(q.queue.clone()),
    )
    .await;
    assert_clean(&verify);

    let store = dynamo_store().await;
    let sqs = sqs_queue(Default::default()).await;
    let verify = exercise(store, moto_secrets().await, Arc::new(sqs.queue)).await;
    assert_clean(&verify);
}
