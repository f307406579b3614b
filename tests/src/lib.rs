//! Test harness: a moto server per test process, fixtures, signed
//! requests, and fresh adapters of every kind.

use bytes::Bytes;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use switchboard_aws::{DynamoStore, SecretsManager, SqsQueue};
use switchboard_core::Secret;
use switchboard_core::ports::{
    AccountStore, ConversationStore, OutboundStore, RoutingConfigStore, RoutingStore, StreamStore,
    WorkstreamStore,
};
use switchboard_embedded::{FileSecrets, LocalQueue, QueueConfig, RedbStore};

pub mod agent_rig;
pub mod bench;
pub mod fake;
pub mod fake_ws;
pub mod lambda_watch;
pub mod log_capture;
pub mod routing_rig;
/// The fake Graph API (it lives in switchboard-graph, for `switchboard fake-graph` too).
pub use switchboard_graph::fake as fake_graph;
pub mod fake_bot;

/// Every store adapter implements every store port.
pub trait Store:
    AccountStore
    + ConversationStore
    + WorkstreamStore
    + RoutingConfigStore
    + RoutingStore
    + OutboundStore
    + StreamStore
{
}
impl<
    T: AccountStore
        + ConversationStore
        + WorkstreamStore
        + RoutingConfigStore
        + RoutingStore
        + OutboundStore
        + StreamStore,
> Store for T
{
}

/// The routing flows over one store.
pub fn routing_deps(
    store: std::sync::Arc<dyn Store>,
    clock: std::sync::Arc<dyn switchboard_core::Clock>,
) -> switchboard_core::routing::RoutingDeps {
    switchboard_core::routing::RoutingDeps {
        conversations: store.clone(),
        pages: store.clone(),
        workstreams: store.clone(),
        config: store.clone(),
        routing: store.clone(),
        clock,
        outbound: store.clone(),
        streams: store,
        outbox: None,
        profiles: None,
        bots: None,
    }
}

pub const APP_SECRET: &str = "test-app-secret-0123456789";
pub const VERIFY_TOKEN: &str = "test-verify-token-0123456789abcdef";
pub const ACCOUNT: &str = "acme";
pub const PAGE_1: &str = "104857600000001";
pub const PAGE_2: &str = "104857600000002";

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The project's Messenger fixtures (`tests/fixtures/messenger`).
pub fn fixtures_dir() -> PathBuf {
    workspace_root().join("tests/fixtures/messenger")
}

pub fn fixture(name: &str) -> Vec<u8> {
    let p = fixtures_dir().join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("fixture {}: {e}", p.display()))
}

pub fn fixture_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(fixtures_dir())
        .expect("fixtures dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    names
}

/// A signed webhook POST as Meta sends it.
pub fn signed_post(account: &str, body: &[u8], secret: &str) -> http::Request<Bytes> {
    http::Request::builder()
        .method("POST")
        .uri(format!("/webhooks/facebook/{account}"))
        .header("content-type", "application/json")
        .header(
            switchboard_core::signature::SIGNATURE_256_HEADER,
            switchboard_core::signature::sign(secret.as_bytes(), body),
        )
        .body(Bytes::copy_from_slice(body))
        .expect("request")
}

pub fn get(uri: &str, bearer: Option<&str>) -> http::Request<Bytes> {
    let mut b = http::Request::builder().method("GET").uri(uri);
    if let Some(t) = bearer {
        b = b.header("authorization", format!("Bearer {t}"));
    }
    b.body(Bytes::new()).expect("request")
}

pub fn body_json(resp: &http::Response<Bytes>) -> serde_json::Value {
    serde_json::from_slice(resp.body()).unwrap_or(serde_json::Value::Null)
}

/// A unique name for tables and queues.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid_like())
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    format!(
        "{:x}{:x}{}",
        t,
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

// ------------------------------------------------------------------ moto

/// The Python that has moto (the project's virtualenv, else `python3`).
fn moto_python() -> PathBuf {
    if let Ok(p) = std::env::var("MOTO_PYTHON") {
        return PathBuf::from(p);
    }
    let venv = workspace_root().join(".venv/bin/python");
    if venv.exists() {
        venv
    } else {
        PathBuf::from("python3")
    }
}

/// A free loopback port.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// The endpoint of this test process's moto server, started on first use
/// on a free loopback port. It is killed when the test process exits
/// (PR_SET_PDEATHSIG on a thread that lives as long as the process).
pub fn moto_endpoint() -> &'static str {
    static ENDPOINT: OnceLock<String> = OnceLock::new();
    ENDPOINT.get_or_init(|| {
        let port = free_port();
        let bin = moto_python();
        // moto's server, one request at a time (see tests/moto_serialized.py).
        let script = workspace_root().join("tests/moto_serialized.py");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("moto-keeper".into())
            .spawn(move || {
                use std::os::unix::process::CommandExt;
                let mut cmd = std::process::Command::new(&bin);
                cmd.arg(&script)
                    .args(["127.0.0.1", &port.to_string()])
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null());
                // SAFETY: prctl is async-signal-safe; it only sets a flag on the child.
                unsafe {
                    cmd.pre_exec(|| {
                        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                        Ok(())
                    });
                }
                match cmd.spawn() {
                    Ok(child) => {
                        let _ = tx.send(Ok(()));
                        let _keep = child;
                        loop {
                            std::thread::park();
                        }
                    }
                    Err(e) => {
                        let _ = tx.send(Err(format!(
                            "cannot start {} ({e}); run `make test`, which installs moto[server] in .venv",
                            bin.display()
                        )));
                    }
                }
            })
            .expect("moto keeper thread");
        rx.recv().expect("moto keeper").unwrap_or_else(|e| panic!("{e}"));
        let endpoint = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto did not start on port {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        endpoint
    })
}

pub async fn aws_config() -> aws_config::SdkConfig {
    switchboard_aws::local_config(moto_endpoint()).await
}

// ------------------------------------------------------------------ adapters

pub struct Embedded {
    pub dir: tempfile::TempDir,
    pub store: Arc<RedbStore>,
}

pub fn redb_store() -> Embedded {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Arc::new(RedbStore::open(dir.path().join("store.redb")).expect("redb"));
    Embedded { dir, store }
}

/// A fresh table on moto. The suites store routing records deflated with
/// the dictionary, as a deployment does once every function reads them
/// (`SWITCHBOARD_DEFLATE_ROUTING=dictionary`).
pub async fn dynamo_store() -> Arc<DynamoStore> {
    dynamo_store_writing(switchboard_aws::dynamo::RecordForm::Dictionary).await
}

/// A fresh table on moto, writing long routing records in `form`.
pub async fn dynamo_store_writing(form: switchboard_aws::dynamo::RecordForm) -> Arc<DynamoStore> {
    let cfg = aws_config().await;
    let store = DynamoStore::new(&cfg, unique("switchboard")).routing_records(form);
    store.create_table().await.expect("create table on moto");
    Arc::new(store)
}

/// A fresh connections table on moto.
pub async fn moto_connections() -> switchboard_aws::connections::Connections {
    let cfg = aws_config().await;
    let c = switchboard_aws::connections::Connections::new(&cfg, unique("connections"));
    c.create_table()
        .await
        .expect("create the connections table on moto");
    c
}

pub struct LocalQueues {
    pub dir: tempfile::TempDir,
    pub queue: LocalQueue,
    pub dlq: LocalQueue,
}

pub fn local_queue(config: QueueConfig) -> LocalQueues {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = LocalQueue::open_database(dir.path().join("queues.redb")).expect("queue db");
    let dlq =
        LocalQueue::open(db.clone(), "inbound-dlq", QueueConfig::default(), None).expect("dlq");
    let queue = LocalQueue::open(db, "inbound", config, Some(dlq.clone())).expect("queue");
    LocalQueues { dir, queue, dlq }
}

pub struct SqsQueues {
    pub queue: SqsQueue,
    pub dlq: SqsQueue,
}

pub async fn sqs_queue(config: QueueConfig) -> SqsQueues {
    let cfg = aws_config().await;
    let (url, dlq_url) = SqsQueue::create_fifo_with_dlq(
        &cfg,
        &unique("inbound"),
        config.visibility_timeout,
        config.max_receives,
    )
    .await
    .expect("create queues on moto");
    SqsQueues {
        queue: SqsQueue::new(&cfg, url),
        dlq: SqsQueue::new(&cfg, dlq_url),
    }
}

pub async fn moto_secrets() -> Arc<SecretsManager> {
    Arc::new(SecretsManager::new(&aws_config().await, unique("sb")))
}

pub fn file_secrets(dir: &Path) -> Arc<FileSecrets> {
    Arc::new(FileSecrets::open(dir.join("secrets.json")).expect("secrets"))
}

/// Queue `general` and workstream `support` on page 1, with `general` as
/// its fallback queue and these `features` and `distribution` settings
/// besides.
pub async fn general_workstream(
    ch: &switchboard_core::channels::ChannelDeps,
    features: serde_json::Value,
    mut distribution: serde_json::Value,
) {
    let deps = ch.routing_deps();
    switchboard_core::routing::admin::create_queue(
        &deps,
        serde_json::from_value(serde_json::json!({"id": "general", "name": "General"})).unwrap(),
    )
    .await
    .unwrap();
    distribution["fallback_queue"] = "general".into();
    let ws = serde_json::json!({"id": "support", "name": "Support", "pages": [PAGE_1],
        "locale": "en", "features": features, "distribution": distribution});
    switchboard_core::channels::create_workstream(ch, serde_json::from_value(ws).unwrap())
        .await
        .unwrap();
}

/// Register the test account (and its two pages) in a store + secrets.
pub async fn seed_account(
    store: &dyn AccountStore,
    secrets: &dyn switchboard_core::ports::SecretStore,
    clock: &dyn switchboard_core::Clock,
) {
    let yaml = format!(
        "accounts:\n  - id: {ACCOUNT}\n    name: Acme\n    app_id: \"900000000000001\"\n    app_secret: {APP_SECRET}\n    verify_token: {VERIFY_TOKEN}\n    pages:\n      - page_id: \"{PAGE_1}\"\n        name: Acme Support\n      - page_id: \"{PAGE_2}\"\n        name: Acme Shop\n"
    );
    let cfg = switchboard_core::config::Config::parse(&yaml, &|_| None).expect("config");
    switchboard_core::config::apply_local(&cfg, store, secrets, clock)
        .await
        .expect("apply");
}

/// A router's answer to one request, its body collected, served as serve
/// and the Lambda functions serve it (`switchboard_http::app`).
pub async fn call(router: axum::Router, req: http::Request<Bytes>) -> http::Response<Bytes> {
    use tower::ServiceExt;
    let Ok(resp) = switchboard_http::app(router)
        .oneshot(req.map(axum::body::Body::from))
        .await;
    let (parts, body) = resp.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    http::Response::from_parts(parts, bytes)
}

/// What `switchboard serve` answers to one request (every API's router).
pub async fn dispatch(
    services: &switchboard_http::Services,
    req: http::Request<Bytes>,
) -> http::Response<Bytes> {
    call(services.clone().router(), req).await
}

/// Every HTTP function over one set of channel services (as serve wires
/// them): webhooks onto `inbound`, admin with a bearer token, agents with
/// issued tokens.
pub fn services(
    channels: switchboard_core::channels::ChannelDeps,
    inbound: Arc<dyn switchboard_core::ports::Queue>,
    admin_token: &str,
) -> switchboard_http::Services {
    use switchboard_http::{AdminAuth, AdminDeps, Services};
    Services {
        verify: switchboard_core::verify::VerifyDeps {
            accounts: channels.accounts.clone(),
            clock: channels.clock.clone(),
        },
        ingest: switchboard_core::ingest::IngestDeps {
            accounts: channels.accounts.clone(),
            secrets: channels.secrets.clone(),
            queue: inbound,
            clock: channels.clock.clone(),
            cache: Arc::new(switchboard_core::ingest::SecretCache::default()),
            streams: channels.streams.clone(),
            deletions: None,
        },
        admin: AdminDeps {
            channels: channels.clone(),
            auth: AdminAuth::Bearer(secret(admin_token)),
        },
        agent: switchboard_http::AgentDeps {
            channels: channels.clone(),
            auth: switchboard_http::AgentAuth::Tokens,
            settle: Duration::ZERO,
        },
        bot: switchboard_http::bot::BotDeps { channels },
    }
}

/// Give page 1 an access token (in the secrets port, named on the page).
pub async fn seed_page_token(
    store: &dyn Store,
    secrets: &dyn switchboard_core::ports::SecretStore,
    token: &str,
) {
    let page = switchboard_core::ids::PageId::parse(PAGE_1).expect("page id");
    let name = switchboard_core::ports::page_token_name(&page);
    secrets
        .put(&name, &secret(token))
        .await
        .expect("token stored");
    let mut p = store
        .get_page(&page)
        .await
        .expect("page read")
        .expect("page 1 seeded");
    p.access_token_ref = Some(name);
    store
        .put_page(&p, switchboard_core::ports::WriteMode::Upsert)
        .await
        .expect("page written");
}

pub fn secret(s: &str) -> Secret {
    Secret::new(s)
}

/// A store and secrets of one backend (embedded: redb + file; AWS: DynamoDB
/// + Secrets Manager on moto), with what must live as long as they do.
pub async fn store_and_secrets(
    aws: bool,
) -> (
    Arc<dyn Store>,
    Arc<dyn switchboard_core::ports::SecretStore>,
    Box<dyn std::any::Any + Send + Sync>,
) {
    if aws {
        (dynamo_store().await, moto_secrets().await, Box::new(()))
    } else {
        let e = redb_store();
        let secrets = file_secrets(e.dir.path());
        (e.store.clone(), secrets, Box::new(e))
    }
}

/// Channel and routing services over one store, with a Graph client that
/// points nowhere (routing never calls it).
pub fn channel_deps(
    store: Arc<dyn Store>,
    secrets: Arc<dyn switchboard_core::ports::SecretStore>,
    clock: Arc<dyn switchboard_core::Clock>,
) -> switchboard_core::channels::ChannelDeps {
    switchboard_core::channels::ChannelDeps {
        accounts: store.clone(),
        conversations: store.clone(),
        workstreams: store.clone(),
        routing_config: store.clone(),
        routing: store.clone(),
        outbound: store.clone(),
        streams: store,
        outbox: None,
        secrets,
        graph: Arc::new(
            switchboard_graph::HttpGraph::new(
                "http://127.0.0.1:9",
                std::time::Duration::from_secs(1),
            )
            .expect("graph client"),
        ),
        clock,
        bot_client: Some(Arc::new(
            switchboard_graph::bot_client::HttpBotClient::new().expect("bot client"),
        )),
        public_url: "https://switchboard.example".into(),
        webhook_url: "https://switchboard.example".into(),
    }
}

/// The URL a child process announces on stdout after `prefix` (`switchboard
/// serve`: "switchboard listening on http://127.0.0.1:PORT"; `switchboard
/// fake-graph`: "fake Graph API on http://..."), waiting at most `within`.
/// Its stdout must be piped; the rest of it is drained on a thread so the
/// child never blocks on a full pipe. The announcement comes after the
/// listener is bound, so the URL answers, and it names the port the child
/// bound: nothing else can be listening there.
pub fn announced_url(
    child: &mut std::process::Child,
    prefix: &'static str,
    within: Duration,
) -> String {
    use std::io::BufRead;
    let stdout = child.stdout.take().expect("the child's stdout is piped");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut tx = Some(tx);
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(url) = line.strip_prefix(prefix)
                && let Some(tx) = tx.take()
            {
                let url = url.split_whitespace().next().unwrap_or_default();
                let _ = tx.send(url.to_string());
            }
        }
    });
    let url = rx
        .recv_timeout(within)
        .unwrap_or_else(|_| panic!("no \"{prefix}...\" line within {within:?}"));
    assert!(
        !url.ends_with(":0"),
        "announced {url}, not the port it bound"
    );
    url
}

/// The `switchboard serve` of the `serve` profile on loopback (port 0: the port it bound
/// is read from its announcement), with `config` (YAML) applied at start;
/// killed when dropped. For the load runs.
pub struct ReleaseServe {
    pub base: String,
    child: std::process::Child,
    _dir: tempfile::TempDir,
}

impl ReleaseServe {
    pub fn start(config: &str, admin_token: &str, router_workers: &str) -> Self {
        Self::start_with(config, admin_token, router_workers, &[])
    }

    /// With more `serve` arguments (e.g. `--graph-url`).
    pub fn start_with(
        config: &str,
        admin_token: &str,
        router_workers: &str,
        args: &[&str],
    ) -> Self {
        let bin = crate::bench::serve_bin();
        let dir = tempfile::tempdir().expect("tempdir");
        let cfg = dir.path().join("sb.yaml");
        std::fs::write(&cfg, config).expect("config");
        let mut child = std::process::Command::new(&bin)
            .args(["serve", "--addr", "127.0.0.1:0", "--config"])
            .arg(&cfg)
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .args(args)
            .env("SWITCHBOARD_ADMIN_TOKEN", admin_token)
            .env("SWITCHBOARD_LOG", "error")
            .env("SWITCHBOARD_ROUTER_WORKERS", router_workers)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start serve");
        let base = announced_url(
            &mut child,
            "switchboard listening on ",
            Duration::from_secs(30),
        );
        Self {
            base,
            child,
            _dir: dir,
        }
    }

    /// The server's process id (for its CPU and memory in `/proc`).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for ReleaseServe {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One request to every API (as serve answers it) as `bearer`, with an
/// optional JSON body: the status and the JSON answer (`null` for none).
pub async fn request_json(
    services: &switchboard_http::Services,
    method: &str,
    uri: &str,
    bearer: &str,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let req = http::Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", format!("Bearer {bearer}"))
        .body(body.map(|b| Bytes::from(b.to_string())).unwrap_or_default())
        .unwrap();
    let r = dispatch(services, req).await;
    let v = if r.body().is_empty() {
        serde_json::Value::Null
    } else {
        body_json(&r)
    };
    (r.status().as_u16(), v)
}

/// The test functions named, each as two tests: `embedded::<name>` on the
/// redb store and `dynamodb::<name>` on DynamoDB + SQS (moto). Each is an
/// `async fn <name>(aws: bool)` of the calling file.
#[macro_export]
macro_rules! both_stores {
    ($($case:ident),* $(,)?) => {
        mod embedded {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case(false).await;
                }
            )*
        }
        mod dynamodb {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case(true).await;
                }
            )*
        }
    };
}

/// One test per case and store backend (`redb::<case>`, `dynamodb::<case>`
/// on moto), each case an `async fn(Arc<dyn Store>)` of the calling file.
#[macro_export]
macro_rules! store_suites {
    ($($case:ident),* $(,)?) => {
        mod redb {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    let e = $crate::redb_store();
                    let store: std::sync::Arc<dyn $crate::Store> = e.store.clone();
                    super::$case(store).await;
                }
            )*
        }
        mod dynamodb {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    let store: std::sync::Arc<dyn $crate::Store> = $crate::dynamo_store().await;
                    super::$case(store).await;
                }
            )*
        }
    };
}

/// A PSID no other test of this run uses: `prefix`, then the time and a count.
pub fn unique_psid(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(1);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_micros() as u64
        % 1_000_000_000;
    format!("{prefix}{t:09}{:04}", N.fetch_add(1, Ordering::Relaxed))
}

// ------------------------------------------------------------------ events

/// A customer's text message to the test page, as ingest makes it from
/// Meta's delivery (account `acme`).
pub fn text_message(
    psid: &str,
    mid: &str,
    ts: u64,
    text: &str,
) -> switchboard_core::event::InboundEvent {
    let body =
        serde_json::json!({"object": "page", "entry": [{"id": "104857600000001", "messaging": [{
        "sender": {"id": psid}, "recipient": {"id": "104857600000001"}, "timestamp": ts,
        "message": {"mid": mid, "text": text}}]}]})
        .to_string();
    switchboard_core::ingest::split(
        &switchboard_core::ids::AccountId::parse("acme").expect("a valid account id"),
        body.as_bytes(),
        switchboard_core::Millis(0),
    )
    .expect("a valid delivery")
    .remove(0)
}

/// A router batch over `(message id, group, body)` triples, as a queue
/// delivers them.
pub fn batch_items<A: AsRef<str>, B: AsRef<str>, C: AsRef<str>>(
    messages: &[(A, B, C)],
) -> Vec<switchboard_core::router::BatchItem<'_>> {
    messages
        .iter()
        .map(|(id, group, body)| switchboard_core::router::BatchItem {
            message_id: id.as_ref(),
            group: group.as_ref(),
            body: body.as_ref(),
        })
        .collect()
}

/// Fresh ids for an append that may open a conversation.
pub fn new_ids() -> switchboard_core::ports::NewIds {
    switchboard_core::ports::NewIds {
        contact_id: switchboard_core::ids::ContactId::generate(),
        contact_name: "c".into(),
        conversation_id: switchboard_core::ids::ConversationId::generate(),
    }
}

/// A customer's erasure as `privacy::erasure::erase` runs it on the store,
/// at `at`: mark the customer, close `conv`, sweep its timeline (each
/// event replaced by its erased copy).
pub async fn erase_on_store(
    store: &dyn switchboard_core::ports::ConversationStore,
    event: &switchboard_core::event::InboundEvent,
    conv: &switchboard_core::ids::ConversationId,
    at: switchboard_core::Millis,
) {
    let psid = event.psid.clone().expect("an event with a customer");
    store.mark_erased(&event.page_id, &psid, at).await.unwrap();
    store.close_conversation(conv, at).await.unwrap();
    for ev in store.timeline(conv).await.unwrap() {
        let erased = switchboard_core::privacy::erasure::erased_event(&ev).unwrap();
        store.replace_event(conv, &erased).await.unwrap();
    }
}
