//! `switchboard serve`: webhook-verify, webhook-ingest, the router and the
//! admin API in one process, on redb and durable in-process queues.

use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use switchboard_core::channels::{ApplyMode, ChannelDeps, apply_as};
use switchboard_core::config::Config;
use switchboard_core::ingest::{IngestDeps, SecretCache};
use switchboard_core::ports::{Queue, ReceivedMessage};
use switchboard_core::router::{BatchItem, RouterDeps, process_batch};
use switchboard_core::scheduler::SchedulerDeps;
use switchboard_core::sender::{SendItem, SenderDeps, Settle, process_batch as process_send_batch};
use switchboard_core::verify::VerifyDeps;
use switchboard_core::{Clock, Secret, SystemClock};
use switchboard_embedded::{FileSecrets, LocalQueue, QueueConfig, RedbStore};
use switchboard_http::{AdminAuth, AdminDeps, AgentAuth, AgentDeps, Services};

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "SWITCHBOARD_ADDR", default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Where the embedded store, queues and secrets live (kept across restarts).
    #[arg(long, env = "SWITCHBOARD_DATA_DIR", default_value = ".switchboard")]
    data_dir: PathBuf,
    /// Configuration file to apply at start (see README: configuration as code).
    #[arg(long, env = "SWITCHBOARD_CONFIG")]
    config: Option<PathBuf>,
    /// Base URL of Meta's Graph API (point it at a fake in tests).
    #[arg(
        long,
        env = "SWITCHBOARD_GRAPH_URL",
        default_value = "https://graph.facebook.com"
    )]
    graph_url: String,
    /// Base of the generated webhook callback URLs (default: the config
    /// file's public_url, else http://ADDR).
    #[arg(long, env = "SWITCHBOARD_PUBLIC_URL")]
    public_url: Option<String>,
    /// Number of router workers consuming the inbound queue (each works up
    /// to four full batches at once while the queue holds a backlog).
    #[arg(long, env = "SWITCHBOARD_ROUTER_WORKERS", default_value_t = 4)]
    router_workers: usize,
    /// Wrong tokens one address may present per minute before it must wait
    /// (0: no limit, for a test campaign behind a trusted proxy).
    #[arg(
        long,
        env = "SWITCHBOARD_AUTH_FAILURES_PER_MINUTE",
        default_value_t = 20
    )]
    auth_failures_per_minute: u32,
    /// The built web console to serve at `/` (default: the embedded one
    /// with the `embed-console` feature, else `console/dist` when it has
    /// an index.html).
    #[arg(long, env = "SWITCHBOARD_CONSOLE_DIR")]
    console_dir: Option<PathBuf>,
    /// Number of sender workers consuming the outbound queue.
    #[arg(long, env = "SWITCHBOARD_SENDER_WORKERS", default_value_t = 4)]
    sender_workers: usize,
    /// Seconds between runs of routing's timers (offer expiry, reclaim,
    /// auto-close...) and the sweep of waiting work; the rest of the
    /// scheduler (outbound sweep, token health) runs every minute.
    #[arg(long, env = "SWITCHBOARD_TIMERS_EVERY", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=60))]
    timers_every: u64,
}

fn boxed(e: impl std::fmt::Display) -> Box<dyn std::error::Error> {
    e.to_string().into()
}

pub async fn run(args: ServeArgs) -> Result<(), Box<dyn std::error::Error>> {
    no_transparent_huge_pages();
    let admin_token = admin_token()?;
    let console = crate::console::Source::choose(args.console_dir.as_deref()).map_err(boxed)?;
    private_data_dir(&args.data_dir)?;
    // So the other commands find it when they talk to this serve.
    match crate::local_token::record(&args.data_dir, admin_token.expose()) {
        Ok(path) => tracing::info!(path = %path.display(), "admin token recorded (owner-only)"),
        Err(e) => {
            tracing::warn!(error = %e, "the admin token could not be recorded in the data directory; give it to the CLI with SWITCHBOARD_ADMIN_TOKEN")
        }
    }
    let store = Arc::new(RedbStore::open(args.data_dir.join("store.redb")).map_err(boxed)?);
    let queue_db = LocalQueue::open_database(args.data_dir.join("queues.redb")).map_err(boxed)?;
    let dlq = LocalQueue::open(
        queue_db.clone(),
        "inbound-dlq",
        QueueConfig::default(),
        None,
    )
    .map_err(boxed)?;
    let inbound = LocalQueue::open(
        queue_db.clone(),
        "inbound",
        QueueConfig {
            visibility_timeout: INBOUND_VISIBILITY,
            ..QueueConfig::default()
        },
        Some(dlq.clone()),
    )
    .map_err(boxed)?;
    // The sender's queue: more receives than the sender's own attempts, so
    // its backoff decides and the DLQ only catches what crashes it.
    let outbound_dlq = LocalQueue::open(
        queue_db.clone(),
        "outbound-dlq",
        QueueConfig::default(),
        None,
    )
    .map_err(boxed)?;
    let outbox = LocalQueue::open(
        queue_db,
        "outbound",
        QueueConfig {
            // As the template's outbound queue: the sender counts its own
            // attempts; this only catches a message that keeps crashing it.
            max_receives: switchboard_core::outbound::MAX_RECEIVES,
            ..QueueConfig::default()
        },
        Some(outbound_dlq),
    )
    .map_err(boxed)?;
    let secrets = Arc::new(FileSecrets::open(args.data_dir.join("secrets.json")).map_err(boxed)?);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);

    // Bound first: with port 0 the callback URLs name the port it got.
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .map_err(|e| boxed(format!("cannot listen on {}: {e}", args.addr)))?;
    let addr = listener.local_addr().map_err(boxed)?;
    let mut public_url = args.public_url.clone();
    let mut config = None;
    if let Some(path) = &args.config {
        let yaml = std::fs::read_to_string(path)
            .map_err(|e| boxed(format!("cannot read {}: {e}", path.display())))?;
        let parsed = Config::parse(&yaml, &|k| std::env::var(k).ok()).map_err(boxed)?;
        public_url.get_or_insert_with(|| parsed.public_url.clone());
        config = Some(parsed);
    }
    let public_url = public_url.unwrap_or_else(|| format!("http://{addr}"));

    let graph = Arc::new(
        switchboard_graph::HttpGraph::new(&args.graph_url, Duration::from_secs(10))
            .map_err(boxed)?,
    );
    let channels = ChannelDeps {
        accounts: store.clone(),
        conversations: store.clone(),
        workstreams: store.clone(),
        routing_config: store.clone(),
        routing: store.clone(),
        secrets: secrets.clone(),
        graph,
        clock: clock.clone(),
        outbound: store.clone(),
        // Publishing wakes the agent's waiting long polls and sockets at
        // once (their timer stays the fallback).
        streams: Arc::new(switchboard_core::stream_signal::SignalledStreams::new(
            store.clone(),
        )),
        outbox: Some(Arc::new(outbox.clone())),
        bot_client: Some(Arc::new(
            switchboard_graph::bot_client::HttpBotClient::new().map_err(boxed)?,
        )),
        // Meta reaches serve where people do.
        webhook_url: public_url.clone(),
        public_url,
    };
    if let Some(config) = &config {
        // The one apply engine, as at POST /admin/v1/apply, in its start-up mode.
        let desired = config.to_desired().map_err(boxed)?;
        let report = apply_as(&channels, desired, ApplyMode::Start)
            .await
            .map_err(|p| boxed(format!("the configuration was refused: {}", p.detail)))?;
        for change in &report.changes {
            out!("config: {change}");
        }
        for a in &config.accounts {
            out!(
                "account {}: webhook callback URL {}",
                a.id,
                config.callback_url(&a.id)
            );
        }
        for a in &config.accounts {
            if let Some(token) = report.verify_tokens.get(&a.id.to_string()) {
                out!(
                    "account {}: generated verify token (shown once): {token}",
                    a.id
                );
            }
        }
    }
    let scheduler = supervise("scheduler", {
        let deps = SchedulerDeps::of(&channels);
        let every = Duration::from_secs(args.timers_every);
        move || scheduler(deps.clone(), every)
    });
    // Data-deletion requests are worked as they arrive (the scheduler
    // also picks up any left over).
    let deletions = Arc::new(tokio::sync::Notify::new());
    let deletion_worker = supervise("data-deletion", {
        let deps = SchedulerDeps::of(&channels);
        let wake = deletions.clone();
        move || deletions_on_arrival(deps.clone(), wake.clone())
    });
    let router: RouterDeps = channels.routing_deps();
    let services = Services {
        verify: VerifyDeps {
            accounts: store.clone(),
            clock: clock.clone(),
        },
        ingest: IngestDeps {
            accounts: store.clone(),
            secrets: secrets.clone(),
            queue: Arc::new(inbound.clone()),
            clock: clock.clone(),
            cache: Arc::new(SecretCache::default()),
            streams: channels.streams.clone(),
            deletions: Some(deletions.clone()),
        },
        admin: AdminDeps {
            channels: channels.clone(),
            auth: AdminAuth::Bearer(admin_token),
        },
        agent: AgentDeps {
            channels: channels.clone(),
            auth: AgentAuth::Tokens,
            settle: Duration::ZERO,
        },
        bot: switchboard_http::bot::BotDeps {
            channels: channels.clone(),
        },
    };
    let sender = SenderDeps::of(&channels);
    let senders: Vec<_> = (0..args.sender_workers.max(1))
        .map(|_| {
            let (outbox, sender) = (outbox.clone(), sender.clone());
            supervise("sender worker", move || {
                send_loop(outbox.clone(), sender.clone())
            })
        })
        .collect();
    let workers: Vec<_> = (0..args.router_workers.max(1))
        .map(|_| {
            let (inbound, router) = (inbound.clone(), router.clone());
            supervise("router worker", move || {
                consume(inbound.clone(), router.clone())
            })
        })
        .collect();

    tracing::info!(%addr, data_dir = %args.data_dir.display(), graph_url = %args.graph_url, "switchboard serving");
    out!("{}", console.describe());
    out!("switchboard listening on http://{addr}");
    let agents = match router.config.list_agents().await {
        Ok(list) => list.into_iter().map(|a| a.agent.id.to_string()).collect(),
        Err(e) => {
            tracing::warn!(error = %e, "the agents could not be listed for the banner");
            Vec::new()
        }
    };
    out!("{}", banner(&addr, &args.data_dir, &agents));
    let site = crate::console::router(console);
    crate::http_server::serve(
        listener,
        services.router_with_site(Some(site)),
        args.auth_failures_per_minute,
    )
    .await;
    for w in workers.into_iter().chain(senders) {
        w.abort();
    }
    scheduler.abort();
    deletion_worker.abort();
    // Deletes held for the queues' next write (see `LocalQueue`), so a
    // restart does not deliver settled messages again.
    for q in [&inbound, &outbox] {
        if let Err(e) = q.flush().await {
            tracing::warn!(queue = q.name(), error = %e, "settled queue messages not written; a restart delivers them again");
        }
    }
    tracing::info!("switchboard stopped");
    Ok(())
}

/// What to do next, printed once serve listens: where the console is, where
/// the admin token is kept, how to sign in as an agent, what to try.
fn banner(addr: &SocketAddr, data_dir: &std::path::Path, agents: &[String]) -> String {
    let first = agents.first().map_or("AGENT_ID", String::as_str);
    let who = if agents.is_empty() {
        "none yet (add them in the console's Agents section)".to_string()
    } else {
        agents.join(", ")
    };
    format!(
        "\n  console      http://{addr}/  (administrators: the admin token; agents: a one-time link)\n  admin token  {token}  (owner-only; the CLI finds it for this serve)\n  agents       {who}\n  sign in as   make link AGENT={first}   (or: switchboard agent link {first})\n  try next     make simulate TEXT=\"Hej, min faktura er forkert\"   then: make conversations\n",
        token = data_dir.join("admin-token").display(),
    )
}

/// The admin token: `SWITCHBOARD_ADMIN_TOKEN`, at least 24 characters, or
/// one generated for this run.
fn admin_token() -> Result<Secret, Box<dyn std::error::Error>> {
    match std::env::var("SWITCHBOARD_ADMIN_TOKEN") {
        Ok(t) if !t.is_empty() => {
            if t.chars().count() < MIN_ADMIN_TOKEN {
                return Err(boxed(format!(
                    "SWITCHBOARD_ADMIN_TOKEN is {} characters; use at least {MIN_ADMIN_TOKEN} (for example: openssl rand -hex 24)",
                    t.chars().count()
                )));
            }
            Ok(Secret::new(t))
        }
        _ => {
            let t = Secret::generate(32);
            out!(
                "SWITCHBOARD_ADMIN_TOKEN was not set; this run's admin token is: {}",
                t.expose()
            );
            Ok(t)
        }
    }
}

/// Turn transparent huge pages off for this process. mimalloc asks for
/// them where the system leaves it to the program (`madvise`), and each
/// first touch of its arenas then faults in and zeroes 2 MiB: serve's
/// peak resident memory was 83-101 MiB over 20,000 1-event deliveries
/// with them and 52-61 MiB without, at the same CPU (nine alternating
/// runs), and 173 against 116 MiB under a backlog of 200,000 events
/// (`make bench`, pipeline).
fn no_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: PR_SET_THP_DISABLE only sets a flag of this process's
        // memory map; it takes no pointers.
        let done = unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) };
        if done != 0 {
            tracing::debug!(
                error = %std::io::Error::last_os_error(),
                "transparent huge pages stay as the system has them"
            );
        }
    }
}

/// The shortest admin token serve accepts.
const MIN_ADMIN_TOKEN: usize = 24;

/// The data directory holds transcripts, contacts and secrets: it is made
/// readable by its owner only (0700, its files 0600), and so is everything
/// this process creates from now on.
fn private_data_dir(dir: &std::path::Path) -> Result<(), Box<dyn std::error::Error>> {
    use std::os::unix::fs::PermissionsExt;
    // SAFETY: umask only sets this process's file-creation mask.
    unsafe { libc::umask(0o077) };
    std::fs::create_dir_all(dir)
        .map_err(|e| boxed(format!("cannot create data dir {}: {e}", dir.display())))?;
    let private = |path: &std::path::Path, mode: u32| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
            .map_err(|e| boxed(format!("cannot make {} private: {e}", path.display())))
    };
    private(dir, 0o700)?;
    for entry in std::fs::read_dir(dir).map_err(boxed)? {
        let entry = entry.map_err(boxed)?;
        if entry.file_type().map_err(boxed)?.is_file() {
            private(&entry.path(), 0o600)?;
        }
    }
    Ok(())
}

/// Run a long-lived task, and start it again (after a second) whenever it
/// panics: one poisoned message or bug never stops routing for good.
/// Aborting the handle stops the task it runs too (serve's shutdown).
fn supervise<F, Fut>(name: &'static str, start: F) -> tokio::task::JoinHandle<()>
where
    F: Fn() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    /// Aborts the task it holds when dropped: with the supervisor's future,
    /// when the supervisor is aborted (a spawned task outlives its handle).
    struct AbortOnDrop(tokio::task::AbortHandle);
    impl Drop for AbortOnDrop {
        fn drop(&mut self) {
            self.0.abort();
        }
    }
    tokio::spawn(async move {
        loop {
            let task = tokio::spawn(start());
            let _stop_with_me = AbortOnDrop(task.abort_handle());
            match task.await {
                Err(e) if e.is_panic() => {
                    let error = switchboard_core::panics::describe(e.into_panic().as_ref());
                    tracing::error!(task = name, %error, "task panicked; restarting it");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                _ => return,
            }
        }
    })
}

/// The scheduler under serve: routing's timers and sweep `every` few
/// seconds (a reclaim or an expired offer moves on within seconds of its
/// time), and the whole run (then the outbound sweep and the token-health
/// pass) every minute, as EventBridge runs it in AWS.
async fn scheduler(deps: SchedulerDeps, every: Duration) {
    const WHOLE_RUN: Duration = Duration::from_secs(60);
    let mut tick = tokio::time::interval(every);
    let mut last_whole: Option<tokio::time::Instant> = None;
    loop {
        tick.tick().await;
        if last_whole.is_none_or(|t| t.elapsed() >= WHOLE_RUN) {
            last_whole = Some(tokio::time::Instant::now());
            match switchboard_core::scheduler::run_once(&deps).await {
                Ok(r) => tracing::debug!(?r, "scheduler run"),
                Err(p) => {
                    tracing::warn!(detail = %p.detail, "scheduler run failed; will try again")
                }
            }
        } else if let Err(e) = switchboard_core::routing::engine::tick(&deps.routing).await {
            tracing::warn!(error = %e, "routing timers not run; will try again");
        }
    }
}

/// Work data-deletion requests when the callback records one.
async fn deletions_on_arrival(deps: SchedulerDeps, wake: Arc<tokio::sync::Notify>) {
    loop {
        wake.notified().await;
        if let Err(p) =
            switchboard_core::privacy::deletion::process_pending(&deps.routing, &deps.pages).await
        {
            tracing::warn!(detail = %p.detail, "data-deletion requests not worked; the scheduler tries again");
        }
    }
}

/// Backoff before a failed message is tried again: 1 s, 2 s, 4 s... up to 60 s.
fn retry_delay(receive_count: u32) -> Duration {
    Duration::from_secs(1u64 << receive_count.saturating_sub(1).min(6)).min(Duration::from_secs(60))
}

/// Messages a router worker takes at once (as SQS's event source mapping
/// hands the router function up to 10).
const BATCH: usize = 10;

/// Batches one router worker works at once. A full batch says the queue
/// holds more: it is worked in the background while the worker takes the
/// next one, so a backlog is routed by more batches at a time, and their
/// writes share the store's group commits (routing a new conversation is
/// a chain of commits, each waiting on the one before). A batch that is
/// not full is worked in place, as before: under a light load the worker
/// does not split what arrives into more, smaller batches.
const BATCHES_IN_FLIGHT: usize = 4;

/// One router worker: the in-process equivalent of the SQS event source mapping.
async fn consume(queue: LocalQueue, deps: RouterDeps) {
    // Dropped with the worker (serve's shutdown aborts it through
    // `supervise`): its batches stop too, and their messages are delivered
    // again after a restart. A batch's panic is caught in `settle`.
    let mut in_flight = tokio::task::JoinSet::new();
    loop {
        while let Some(done) = in_flight.try_join_next() {
            settled(done);
        }
        if in_flight.len() >= BATCHES_IN_FLIGHT
            && let Some(done) = in_flight.join_next().await
        {
            settled(done);
        }
        let batch: Vec<ReceivedMessage> = match queue.receive(BATCH, Duration::from_secs(1)).await {
            Ok(b) => b,
            Err(e) => {
                tracing::error!(error = %e, "inbound queue receive failed");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if batch.len() == BATCH {
            in_flight.spawn(settle(queue.clone(), deps.clone(), batch));
        } else if !batch.is_empty() {
            settle(queue.clone(), deps.clone(), batch).await;
        }
    }
}

/// A batch worked in the background has ended; a panic there (outside the
/// per-message guard of `process_batch`) is logged, and its messages are
/// delivered again once their visibility timeout passes.
fn settled(done: Result<(), tokio::task::JoinError>) {
    if let Err(e) = done
        && e.is_panic()
    {
        let error = switchboard_core::panics::describe(e.into_panic().as_ref());
        tracing::error!(%error, "a router batch panicked; its messages are delivered again");
    }
}

/// The inbound queue's visibility timeout: a message received and not
/// settled within it is delivered again.
const INBOUND_VISIBILITY: Duration = Duration::from_secs(30);

/// The longest a router batch may run: as long as a Lambda function may
/// (15 minutes). Then it is stopped, as Lambda stops a function, and its
/// messages are delivered again after their visibility timeout. Nothing
/// that routing waits on comes near it (the Graph API's and a bot's
/// calls have timeouts of seconds).
const MAX_HOLD: Duration = Duration::from_secs(15 * 60);

/// `run` (one batch's routing) while its messages stay invisible: every
/// third of the visibility timeout each is made invisible for a whole one
/// again (`release` with that delay is SQS's `ChangeMessageVisibility`).
/// A slow batch (a bot's tries and their backoff, a slow Graph call) is
/// therefore not handed to a second worker while it runs. `None` when it
/// panicked outside `process_batch`'s guard of each message (caught), or
/// ran `max_hold` and was stopped: its messages come back after their
/// visibility timeout.
async fn kept_invisible<T>(
    queue: &LocalQueue,
    batch: &[ReceivedMessage],
    (visibility, max_hold): (Duration, Duration),
    run: impl Future<Output = T>,
) -> Option<T> {
    use futures::FutureExt;
    let run = std::panic::AssertUnwindSafe(run).catch_unwind();
    tokio::pin!(run);
    let every = visibility / 3;
    let started = tokio::time::Instant::now();
    let mut ticks = tokio::time::interval_at(started + every, every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let ids = || -> Vec<&str> { batch.iter().map(|m| m.message_id.as_str()).collect() };
    let outcome = loop {
        tokio::select! {
            done = &mut run => break done,
            _ = tokio::time::sleep_until(started + max_hold) => {
                tracing::error!(message_ids = ?ids(), hold_secs = max_hold.as_secs(), "a router batch ran too long and was stopped; its messages are delivered again");
                return None;
            }
            _ = ticks.tick() => {
                for m in batch {
                    if let Err(e) = queue.release(&m.receipt, visibility).await {
                        tracing::warn!(message_id = %m.message_id, error = %e, "could not keep a queue message invisible");
                    }
                }
            }
        }
    };
    match outcome {
        Ok(done) => Some(done),
        Err(panic) => {
            let error = switchboard_core::panics::describe(panic.as_ref());
            tracing::error!(message_ids = ?ids(), %error, "a router batch panicked; its messages are delivered again");
            None
        }
    }
}

/// Route one batch, then settle its messages on the queue: the failed ones
/// released for a retry after a backoff, the rest deleted.
async fn settle(queue: LocalQueue, deps: RouterDeps, batch: Vec<ReceivedMessage>) {
    let items: Vec<BatchItem<'_>> = batch.iter().map(BatchItem::from).collect();
    let routed = kept_invisible(
        &queue,
        &batch,
        (INBOUND_VISIBILITY, MAX_HOLD),
        process_batch(&deps, &items),
    );
    let Some(failed) = routed.await else {
        return;
    };
    let (retry, done): (Vec<&ReceivedMessage>, Vec<&ReceivedMessage>) =
        batch.iter().partition(|m| failed.contains(&m.message_id));
    for m in retry {
        if let Err(e) = queue
            .release(&m.receipt, retry_delay(m.receive_count))
            .await
        {
            tracing::error!(message_id = %m.message_id, error = %e, "could not release a queue message");
        }
    }
    let receipts: Vec<&str> = done.iter().map(|m| m.receipt.as_str()).collect();
    if let Err(e) = queue.delete_batch(&receipts).await {
        // Gone from memory already: only a restart delivers them
        // again, and the router stores an event once.
        tracing::error!(messages = receipts.len(), error = %e, "could not delete settled queue messages");
    }
}

/// One sender worker: the in-process equivalent of the sender function's
/// event source (a conversation's messages stay in order: its group is
/// blocked while one is in flight, retries included).
async fn send_loop(queue: LocalQueue, deps: SenderDeps) {
    loop {
        let batch = match queue.receive(10, Duration::from_secs(1)).await {
            Ok(b) => b,
            Err(e) => {
                tracing::error!(error = %e, "outbound queue receive failed");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        let items: Vec<SendItem<'_>> = batch
            .iter()
            .map(|m| SendItem {
                message_id: &m.message_id,
                group: &m.group,
                body: &m.body,
                receive_count: m.receive_count,
            })
            .collect();
        let settles = process_send_batch(&deps, &items).await;
        for (m, settle) in batch.iter().zip(settles) {
            let settled = match settle {
                Settle::Delete => queue.delete(&m.receipt).await,
                Settle::Retry(after) => queue.release(&m.receipt, after).await,
            };
            if let Err(e) = settled {
                tracing::error!(message_id = %m.message_id, error = %e, "could not settle an outbound message");
            }
        }
    }
}

#[cfg(test)]
mod banner_tests {
    use super::banner;

    #[test]
    fn the_banner_says_where_to_go_and_what_to_try() {
        let addr = "127.0.0.1:8080".parse().unwrap_or_else(|e| panic!("{e}"));
        let b = banner(
            &addr,
            std::path::Path::new(".switchboard"),
            &["anna".into(), "bo".into()],
        );
        assert!(b.contains("http://127.0.0.1:8080/"), "{b}");
        assert!(b.contains(".switchboard/admin-token"), "{b}");
        assert!(b.contains("anna, bo"), "{b}");
        assert!(b.contains("make link AGENT=anna"), "{b}");
        let none = banner(&addr, std::path::Path::new("/tmp/d"), &[]);
        assert!(none.contains("Agents section"), "{none}");
    }
}

#[cfg(test)]
mod supervise_tests {
    use super::supervise;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::Duration;

    #[tokio::test]
    async fn aborting_the_supervisor_stops_the_task_it_runs() {
        let ticks = Arc::new(AtomicU64::new(0));
        let counted = ticks.clone();
        let handle = supervise("ticker", move || {
            let counted = counted.clone();
            async move {
                loop {
                    counted.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(ticks.load(Ordering::SeqCst) > 0, "the task runs");
        handle.abort();
        let _ = handle.await;
        tokio::time::sleep(Duration::from_millis(20)).await;
        let stopped = ticks.load(Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert_eq!(
            ticks.load(Ordering::SeqCst),
            stopped,
            "the task stopped with its supervisor"
        );
    }
}

#[cfg(test)]
mod kept_invisible_tests {
    use super::kept_invisible;
    use std::time::Duration;
    use switchboard_core::ports::{OutgoingMessage, Queue, ReceivedMessage};
    use switchboard_embedded::{LocalQueue, QueueConfig};

    /// A limit no test reaches.
    const HOUR: Duration = Duration::from_secs(3600);

    /// A queue with `visibility`, holding one received message.
    async fn received(
        dir: &tempfile::TempDir,
        visibility: Duration,
    ) -> (LocalQueue, Vec<ReceivedMessage>) {
        let db = LocalQueue::open_database(dir.path().join("queues.redb")).unwrap();
        let config = QueueConfig {
            visibility_timeout: visibility,
            ..QueueConfig::default()
        };
        let queue = LocalQueue::open(db, "inbound", config, None).unwrap();
        let message = OutgoingMessage {
            group: "g".into(),
            dedup_id: "d".into(),
            body: "b".into(),
        };
        queue.send_batch(&[message]).await.unwrap();
        let batch = queue.receive(10, Duration::from_secs(1)).await.unwrap();
        assert_eq!(batch.len(), 1);
        (queue, batch)
    }

    #[tokio::test]
    async fn a_slow_batch_keeps_its_messages_from_other_workers() {
        let dir = tempfile::tempdir().unwrap();
        let visibility = Duration::from_millis(900);
        let (queue, batch) = received(&dir, visibility).await;
        let other = queue.clone();
        // Past two visibility timeouts, another worker asks for work.
        let run = async move {
            tokio::time::sleep(visibility * 2).await;
            other.receive(10, visibility).await.unwrap().len()
        };
        assert_eq!(
            kept_invisible(&queue, &batch, (visibility, HOUR), run).await,
            Some(0),
            "not delivered to a second worker while the first works"
        );
        // Settled or not, it is the queue's again once the batch is over.
        let again = queue.receive(10, visibility * 3).await.unwrap();
        assert_eq!(
            again.len(),
            1,
            "delivered again after its visibility timeout"
        );
    }

    #[tokio::test]
    async fn a_batch_that_panics_is_caught() {
        let dir = tempfile::tempdir().unwrap();
        let (queue, batch) = received(&dir, Duration::from_secs(30)).await;
        let run = async {
            if std::hint::black_box(true) {
                panic!("a bug outside the per-message guard");
            }
            7
        };
        assert_eq!(
            kept_invisible(&queue, &batch, (Duration::from_secs(30), HOUR), run).await,
            None
        );
        assert_eq!(
            kept_invisible(&queue, &batch, (Duration::from_secs(30), HOUR), async { 7 }).await,
            Some(7)
        );
    }

    #[tokio::test]
    async fn a_batch_that_runs_too_long_is_stopped_and_its_message_comes_back() {
        let dir = tempfile::tempdir().unwrap();
        let visibility = Duration::from_millis(600);
        let (queue, batch) = received(&dir, visibility).await;
        let run = async {
            tokio::time::sleep(HOUR).await;
            7
        };
        let limits = (visibility, Duration::from_millis(300));
        assert_eq!(kept_invisible(&queue, &batch, limits, run).await, None);
        let again = queue.receive(10, visibility * 3).await.unwrap();
        assert_eq!(again.len(), 1, "delivered again");
        assert_eq!(again[0].receive_count, 2);
    }
}
