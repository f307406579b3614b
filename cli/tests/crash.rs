//! Crash safety of `switchboard serve`: the real binary takes signed
//! deliveries from concurrent clients and is killed with SIGKILL at a
//! random moment, three times, then restarted on the same data directory.
//! As Meta does, every delivery that did not get a 200 is sent again, and
//! so is a random sample of acknowledged ones. At the end every
//! acknowledged event is on its customer's conversation exactly once, and
//! each timeline is in timestamp order.
//!
//! The run is random; its seed is printed. Reproduce with
//! `CRASH_SEED=<seed> cargo test -p switchboard-cli --test crash`.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_switchboard");
const ADMIN: &str = "crash-test-admin-token-0123456789";
const SECRET: &str = "crash-test-app-secret";
const PAGES: [&str; 2] = ["104857600000001", "104857600000002"];
const CUSTOMERS_PER_PAGE: u64 = 8;
const ROUNDS: usize = 3;
/// New deliveries available per round: more than the server takes before
/// the kill, so it comes under load (what is left is never sent).
const DELIVERIES_PER_ROUND: usize = 3_000;
const CLIENTS: usize = 8;
/// Share of acknowledged deliveries Meta sends again anyway, in percent.
const RESEND_ACKED_PERCENT: u64 = 10;
/// Sends of one delivery after the last restart before the test gives up.
const FINAL_ATTEMPTS: usize = 5;
const T0: i64 = 1_767_603_600_000;

/// xorshift64*: small, seeded, reproducible.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// One event of a delivery.
#[derive(Clone)]
struct Event {
    page: &'static str,
    psid: String,
    mid: String,
    timestamp: i64,
}

struct Delivery {
    events: Vec<Event>,
    body: Vec<u8>,
    signature: String,
}

fn delivery(events: Vec<Event>) -> Delivery {
    let mut entries: BTreeMap<&str, Vec<serde_json::Value>> = BTreeMap::new();
    for e in &events {
        entries.entry(e.page).or_default().push(serde_json::json!({
            "sender": {"id": e.psid},
            "recipient": {"id": e.page},
            "timestamp": e.timestamp,
            "message": {"mid": e.mid, "text": format!("crash test {}", e.mid)}
        }));
    }
    let body = serde_json::json!({
        "object": "page",
        "entry": entries.into_iter().map(|(page, messaging)| serde_json::json!({
            "id": page, "time": T0, "messaging": messaging
        })).collect::<Vec<_>>()
    })
    .to_string()
    .into_bytes();
    let signature = switchboard_core::signature::sign(SECRET.as_bytes(), &body);
    Delivery {
        events,
        body,
        signature,
    }
}

/// Deliveries of one to three events each. Timestamps are unique and rise
/// with the index, but the sends are concurrent and retried, so events
/// arrive out of timestamp order.
fn deliveries(rng: &mut Rng, n: usize) -> Vec<Delivery> {
    let mut seq = 0i64;
    (0..n)
        .map(|d| {
            let events = (0..1 + rng.below(3))
                .map(|k| {
                    seq += 1;
                    let page = PAGES[rng.below(PAGES.len() as u64) as usize];
                    let psid = format!("77990000000{:05}", rng.below(CUSTOMERS_PER_PAGE));
                    Event {
                        page,
                        psid,
                        mid: format!("m_crash_{d}_{k}"),
                        timestamp: T0 + seq * 7,
                    }
                })
                .collect();
            delivery(events)
        })
        .collect()
}

/// `switchboard serve` on loopback; SIGKILLed when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(dir: &std::path::Path) -> Self {
        let config = dir.join("switchboard.yaml");
        let pages: String = PAGES
            .iter()
            .map(|p| format!("      - page_id: \"{p}\"\n        name: Page {p}\n"))
            .collect();
        std::fs::write(
            &config,
            format!(
                "accounts:\n  - id: acme\n    name: Acme\n    app_id: \"900000000000001\"\n    app_secret: {SECRET}\n    verify_token: crash-test-verify-token-0123456789\n    pages:\n{pages}"
            ),
        )
        .unwrap();
        let mut child = Command::new(BIN)
            .args(["serve", "--addr", &listen_addr(), "--data-dir"])
            .arg(dir.join("data"))
            .arg("--config")
            .arg(&config)
            .env("SWITCHBOARD_ADMIN_TOKEN", ADMIN)
            // Nothing listens on port 9 of loopback: Graph calls fail fast.
            .env("SWITCHBOARD_GRAPH_URL", "http://127.0.0.1:9")
            .env("SWITCHBOARD_LOG", "error")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start switchboard serve");
        let base = switchboard_tests::announced_url(
            &mut child,
            "switchboard listening on ",
            Duration::from_secs(30),
        );
        Self { child, base }
    }

    fn kill(mut self) {
        // SIGKILL: no shutdown code runs.
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The address serve is asked to listen on: port 0, so the system picks a
/// free port and serve announces the one it bound.
fn listen_addr() -> String {
    "127.0.0.1:0".into()
}

/// What happened to each delivery: sent at least once, acknowledged (200)
/// at least once.
#[derive(Default)]
struct Outcomes {
    sent: HashSet<usize>,
    acked: HashSet<usize>,
    sends: usize,
    refused: usize,
}

/// Send the deliveries in `todo` from `CLIENTS` concurrent clients until
/// `todo` is empty or `stop` is set; answers what was left unsent.
async fn send_all(
    base: &str,
    all: &Arc<Vec<Delivery>>,
    todo: VecDeque<usize>,
    stop: Arc<AtomicBool>,
    outcomes: &Arc<Mutex<Outcomes>>,
) -> VecDeque<usize> {
    let todo = Arc::new(Mutex::new(todo));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let url = format!("{base}/webhooks/facebook/acme");
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        let (client, url, all, todo, stop, outcomes) = (
            client.clone(),
            url.clone(),
            all.clone(),
            todo.clone(),
            stop.clone(),
            outcomes.clone(),
        );
        clients.push(tokio::spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                let Some(i) = todo.lock().unwrap().pop_front() else {
                    break;
                };
                outcomes.lock().unwrap().sent.insert(i);
                let d = &all[i];
                let r = client
                    .post(&url)
                    .header("content-type", "application/json")
                    .header("x-hub-signature-256", &d.signature)
                    .body(d.body.clone())
                    .send()
                    .await;
                let mut o = outcomes.lock().unwrap();
                o.sends += 1;
                match r {
                    Ok(r) if r.status() == 200 => {
                        o.acked.insert(i);
                    }
                    Ok(r) => {
                        // 500 is how serve asks for a retry; nothing else is expected.
                        assert_eq!(r.status(), 500, "delivery {i}");
                        o.refused += 1;
                    }
                    Err(_) => o.refused += 1,
                }
            }
        }));
    }
    for c in clients {
        c.await.expect("client");
    }
    std::mem::take(&mut *todo.lock().unwrap())
}

/// Meta's retries: every delivery sent so far without a 200, and a
/// sample of acknowledged ones.
fn retries(rng: &mut Rng, o: &Outcomes) -> VecDeque<usize> {
    let mut todo: Vec<usize> = o.sent.iter().copied().collect();
    todo.sort();
    todo.retain(|i| !o.acked.contains(i) || rng.below(100) < RESEND_ACKED_PERCENT);
    for i in (1..todo.len()).rev() {
        todo.swap(i, rng.below(i as u64 + 1) as usize);
    }
    todo.into()
}

async fn admin_get(client: &reqwest::Client, base: &str, path: &str) -> serde_json::Value {
    let r = client
        .get(format!("{base}{path}"))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{path}");
    r.json().await.unwrap()
}

/// Each customer's conversations and their events (mid, timestamp), as
/// the admin API shows them.
async fn stored(base: &str) -> BTreeMap<(String, String), Vec<(String, Vec<(String, i64)>)>> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let mut out = BTreeMap::new();
    for page in PAGES {
        for c in 0..CUSTOMERS_PER_PAGE {
            let psid = format!("77990000000{c:05}");
            let list = admin_get(
                &client,
                base,
                &format!("/admin/v1/conversations?page_id={page}&psid={psid}"),
            )
            .await;
            let mut convs = Vec::new();
            for conv in list["conversations"].as_array().unwrap() {
                assert_eq!(conv["page_id"], page);
                assert_eq!(conv["psid"], psid.as_str());
                let id = conv["id"].as_str().unwrap().to_string();
                let tl = admin_get(
                    &client,
                    base,
                    &format!("/admin/v1/conversations/{id}/timeline"),
                )
                .await;
                let events = tl["events"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| {
                        assert_eq!(e["page_id"], page);
                        assert_eq!(e["psid"], psid.as_str());
                        (
                            e["mid"].as_str().unwrap().to_string(),
                            e["timestamp"].as_i64().unwrap(),
                        )
                    })
                    .collect();
                convs.push((id, events));
            }
            out.insert((page.to_string(), psid), convs);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_events_survive_sigkill_exactly_once_and_in_order() {
    let seed = std::env::var("CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    eprintln!("crash test seed: {seed} (CRASH_SEED={seed} to reproduce)");
    let started = Instant::now();
    let mut rng = Rng(seed);
    let all = Arc::new(deliveries(&mut rng, ROUNDS * DELIVERIES_PER_ROUND));
    let dir = tempfile::tempdir().unwrap();
    let outcomes = Arc::new(Mutex::new(Outcomes::default()));
    // Deliveries [0, fresh) have been offered to the server.
    let mut fresh = 0;

    for round in 0..ROUNDS {
        let server = Server::start(dir.path());
        let mut todo = retries(&mut rng, &outcomes.lock().unwrap());
        let retried = todo.len();
        todo.extend(fresh..(round + 1) * DELIVERIES_PER_ROUND);
        let stop = Arc::new(AtomicBool::new(false));
        let kill_after = Duration::from_millis(200 + rng.below(1300));
        let load = {
            let (base, all, stop, outcomes) = (
                server.base.clone(),
                all.clone(),
                stop.clone(),
                outcomes.clone(),
            );
            tokio::spawn(async move { send_all(&base, &all, todo, stop, &outcomes).await })
        };
        tokio::time::sleep(kill_after).await;
        let still_sending = !load.is_finished();
        server.kill();
        stop.store(true, Ordering::SeqCst);
        let left = tokio::time::timeout(Duration::from_secs(30), load)
            .await
            .expect("clients stop after the kill")
            .expect("clients");
        // The fresh deliveries never sent wait for the next round.
        fresh = left
            .iter()
            .copied()
            .filter(|i| *i >= fresh)
            .min()
            .unwrap_or((round + 1) * DELIVERIES_PER_ROUND);
        let o = outcomes.lock().unwrap();
        assert!(o.sent.iter().all(|i| *i < fresh), "sent in order");
        eprintln!(
            "round {round}: {retried} retries sent first, SIGKILL after {kill_after:?} ({}), {} of {fresh} deliveries acknowledged so far ({} sends, {} not acknowledged)",
            if still_sending {
                "under load"
            } else {
                "after the load"
            },
            o.acked.len(),
            o.sends,
            o.refused
        );
    }

    // Restart once more; Meta keeps retrying until every delivery is acknowledged.
    let server = Server::start(dir.path());
    let offered = fresh;
    let mut todo = retries(&mut rng, &outcomes.lock().unwrap());
    for attempt in 0..FINAL_ATTEMPTS {
        let left = send_all(
            &server.base,
            &all,
            todo,
            Arc::new(AtomicBool::new(false)),
            &outcomes,
        )
        .await;
        assert!(left.is_empty());
        let acked = outcomes.lock().unwrap().acked.clone();
        todo = (0..offered).filter(|i| !acked.contains(i)).collect();
        if todo.is_empty() {
            break;
        }
        assert!(
            attempt + 1 < FINAL_ATTEMPTS,
            "{} deliveries never acknowledged (seed {seed})",
            todo.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Every event of every acknowledged delivery, by customer.
    let mut want: HashMap<(String, String), Vec<(String, i64)>> = HashMap::new();
    for d in all.iter().take(offered) {
        for e in &d.events {
            want.entry((e.page.to_string(), e.psid.clone()))
                .or_default()
                .push((e.mid.clone(), e.timestamp));
        }
    }
    for v in want.values_mut() {
        v.sort_by_key(|(_, t)| *t);
    }
    let total: usize = want.values().map(Vec::len).sum();

    // The routers catch up (bounded); then each customer is checked.
    let deadline = Instant::now() + Duration::from_secs(30);
    let got = loop {
        let got = stored(&server.base).await;
        let n: usize = got
            .values()
            .flat_map(|convs| convs.iter().map(|(_, evs)| evs.len()))
            .sum();
        if n >= total || Instant::now() > deadline {
            break got;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    for ((page, psid), convs) in &got {
        let want = want.get(&(page.clone(), psid.clone()));
        let Some(want) = want else {
            assert!(
                convs.is_empty(),
                "{page}/{psid} was never written to (seed {seed})"
            );
            continue;
        };
        assert_eq!(
            convs.len(),
            1,
            "{page}/{psid}: one conversation (seed {seed})"
        );
        let (id, events) = &convs[0];
        assert!(
            events.windows(2).all(|w| w[0].1 <= w[1].1),
            "{page}/{psid} conversation {id}: timeline out of timestamp order (seed {seed})"
        );
        let mut seen = HashSet::new();
        for (mid, _) in events {
            assert!(
                seen.insert(mid),
                "{page}/{psid} conversation {id}: {mid} stored twice (seed {seed})"
            );
        }
        let missing: Vec<&String> = want
            .iter()
            .filter(|w| !events.contains(w))
            .map(|(mid, _)| mid)
            .collect();
        let unexpected: Vec<&String> = events
            .iter()
            .filter(|e| !want.contains(e))
            .map(|(mid, _)| mid)
            .collect();
        assert!(
            missing.is_empty() && unexpected.is_empty(),
            "{page}/{psid} conversation {id}: {} acknowledged events missing (first: {:?}), {} unexpected (first: {:?}) (seed {seed})",
            missing.len(),
            &missing[..missing.len().min(5)],
            unexpected.len(),
            &unexpected[..unexpected.len().min(5)]
        );
        assert_eq!(events, want, "{page}/{psid} (seed {seed})");
    }
    assert_eq!(
        got.values().filter(|c| !c.is_empty()).count(),
        want.len(),
        "every customer written to has a conversation (seed {seed})"
    );
    let o = outcomes.lock().unwrap();
    eprintln!(
        "crash test: {total} events in {offered} deliveries, {} sends ({} not acknowledged), {ROUNDS} SIGKILLs, {:.1} s",
        o.sends,
        o.refused,
        started.elapsed().as_secs_f64()
    );
}
