//! Store calls per inbound event, counted on the DynamoDB adapter against a
//! moto server this program starts: a text message in an existing
//! conversation, a message that opens a conversation, and a redelivery;
//! then a new conversation routed end to end (classified, queued, offered
//! to one of 20 agents) and the agent accepting it.

use switchboard_aws::Metered;
use switchboard_aws::dynamo::capacity::Reads;
use switchboard_core::Millis;
use switchboard_core::ports::ConversationStore;
use switchboard_tests::dynamo_store;

fn event(psid: &str, mid: &str, ts: u64) -> switchboard_core::event::InboundEvent {
    switchboard_tests::text_message(psid, mid, ts, "hello")
}

#[tokio::main]
async fn main() {
    let store = dynamo_store().await;
    // `STORE_CALLS_N` events of each kind (200): moto takes minutes for 200.
    let n = std::env::var("STORE_CALLS_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(200u64);
    // Average calls for `n` appends of the events `make(i)`, and the
    // single-item reads they sent.
    async fn per_event(
        store: &switchboard_aws::DynamoStore,
        n: u64,
        make: impl Fn(u64) -> switchboard_core::event::InboundEvent,
    ) -> (f64, Reads) {
        store.read_meter().take();
        let before = store.calls();
        for i in 0..n {
            let event = make(i);
            // Named as the router names a customer it does not know yet.
            let mut ids = switchboard_tests::new_ids();
            if let Some(psid) = &event.psid {
                ids.contact_name = switchboard_core::contacts::fallback_name(psid.as_str());
            }
            store.append(&event, &ids, Millis(0)).await.unwrap();
        }
        (
            (store.calls() - before) as f64 / n as f64,
            store.read_meter().take(),
        )
    }
    // The appends that open a conversation for a new customer are billed
    // as well: storing the event, before any routing.
    store.write_meter().start();
    store.read_meter().start();
    let (new_conv, _) = per_event(&store, n, |i| {
        event(&format!("77{i:014}"), &format!("m_new_{i}"), 1_000 + i)
    })
    .await;
    let mut opened = Billed::default();
    let client = aws_sdk_dynamodb::Client::new(&switchboard_tests::aws_config().await);
    opened
        .add(
            &mut Images::new(),
            &client,
            &store,
            store.write_meter().take(),
        )
        .await;
    let next = |i: u64| event("7700000000000000", &format!("m_next_{i}"), 2_000 + i);
    let (existing, reads) = per_event(&store, n, next).await;
    let (dup, _) = per_event(&store, n, next).await;
    println!("DynamoDB calls per inbound event (counted on the adapter, moto):");
    println!("  text message in an existing conversation: {existing:.2}");
    println!("  message that opens a new conversation:    {new_conv:.2}");
    println!("  redelivered (duplicate) event:            {dup:.2}");
    opened.print(
        "message that opens a conversation for a new customer (stored, not yet routed)",
        n,
    );
    units(&store, reads, n).await;

    // Routing records deflated with the dictionary
    // (`SWITCHBOARD_DEFLATE_ROUTING=dictionary`), deflated (`true`), then
    // as JSON (the default).
    use switchboard_aws::dynamo::RecordForm;
    routed(n, RecordForm::Dictionary).await;
    routed(n, RecordForm::Deflated).await;
    routed(n, RecordForm::Json).await;
}

fn parse<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> T {
    serde_json::from_value(v).expect("valid input")
}

/// Calls and write units per newly routed conversation, through the
/// router's entry point, with routing records written in `form`.
async fn routed(n: u64, form: switchboard_aws::dynamo::RecordForm) {
    use serde_json::json;
    use std::sync::Arc;
    use switchboard_core::routing::admin as ra;
    use switchboard_core::routing::engine;
    let store = switchboard_tests::dynamo_store_writing(form).await;
    let secrets = switchboard_tests::moto_secrets().await;
    let clock: Arc<dyn switchboard_core::Clock> = Arc::new(switchboard_core::SystemClock);
    switchboard_tests::seed_account(store.as_ref(), secrets.as_ref(), clock.as_ref()).await;
    let ch = switchboard_tests::channel_deps(store.clone(), secrets, clock);
    let deps = ch.routing_deps();
    ra::create_queue(&deps, parse(json!({"id": "general", "name": "General"})))
        .await
        .unwrap();
    switchboard_core::channels::create_workstream(&ch, parse(json!({"id": "support", "name": "Support",
        "pages": ["104857600000001"], "locale": "en", "distribution": {"fallback_queue": "general"}})))
        .await
        .unwrap();
    ra::create_ruleset(&deps, parse(json!({"id": "classify", "workstream": "support", "name": "Classify",
        "kind": "classification", "rules": [{"name": "invoices", "when": {"text_contains": "invoice"}, "set": {"priority": 1}}]})))
        .await
        .unwrap();
    for i in 0..20 {
        ra::create_agent(
            &deps,
            parse(
                json!({"id": format!("agent-{i:02}"), "name": "A", "email": "a@example.com",
            "capacity": 1000, "queues": ["general"], "presence": "available"}),
            ),
        )
        .await
        .unwrap();
    }
    // Messages of today: the 24-hour window is open (no follow-up work).
    let now = switchboard_tests::bench::now_ms() as u64;
    let mut ids = Vec::new();
    let client = aws_sdk_dynamodb::Client::new(&switchboard_tests::aws_config().await);
    let mut units = Billed::default();
    let mut images = Images::new();
    store.write_meter().start();
    store.read_meter().start();
    let mut reads = Reads::default();
    let queries = store.call_log().count("dynamodb:Query");
    let before = store.calls();
    for i in 0..n {
        let ev = event(&format!("79{i:014}"), &format!("m_routed_{i}"), now + i);
        let body = serde_json::to_string(&ev).unwrap();
        // Not the benchmark's own read of the customer below.
        store.read_meter().take();
        switchboard_core::router::process_event(&deps, &body)
            .await
            .unwrap();
        let r = store.read_meter().take();
        reads.strong += r.strong;
        reads.eventual += r.eventual;
        units
            .add(&mut images, &client, &store, store.write_meter().take())
            .await;
        let c = store
            .get_customer(&ev.page_id, ev.psid.as_ref().unwrap())
            .await
            .unwrap()
            .unwrap();
        ids.push(c.last_conversation_id);
    }
    // The reads above are the benchmark's own (one per conversation).
    let routed = (store.calls() - before - n) as f64 / n as f64;
    let queries = (store.call_log().count("dynamodb:Query") - queries) as f64 / n as f64;
    let mut accepted = Billed::default();
    let before = store.calls();
    for id in &ids {
        let c = store.get_conversation(id).await.unwrap().unwrap();
        let agent = c.routing.unwrap().offer.expect("offered").agent;
        store.write_meter().take();
        engine::accept(&deps, &agent, id).await.unwrap();
        accepted
            .add(&mut images, &client, &store, store.write_meter().take())
            .await;
    }
    let accept = (store.calls() - before - n) as f64 / n as f64;
    // The customer writes again: the router's whole path for a message in
    // a conversation an agent holds (the append, then what it means for
    // the agent: the feed entry, the bot's and the window's checks).
    let mut held = Billed::default();
    let before = store.calls();
    for i in 0..n {
        let ev = event(&format!("79{i:014}"), &format!("m_again_{i}"), now + n + i);
        let body = serde_json::to_string(&ev).unwrap();
        switchboard_core::router::process_event(&deps, &body)
            .await
            .unwrap();
        held.add(&mut images, &client, &store, store.write_meter().take())
            .await;
    }
    let again = (store.calls() - before) as f64 / n as f64;
    use switchboard_aws::dynamo::RecordForm;
    let (named, setting) = match form {
        RecordForm::Dictionary => ("deflated with the dictionary", "dictionary"),
        RecordForm::Deflated => ("deflated", "true"),
        RecordForm::Json => ("as JSON", "false"),
    };
    println!("Routing records {named} (SWITCHBOARD_DEFLATE_ROUTING={setting}):");
    println!("  new conversation routed and offered (20 agents): {routed:.2}");
    // Every item these read is under 4 KB: a strongly consistent read is
    // one read unit, an eventually consistent one half.
    let per = |count: u64| count as f64 / n as f64;
    println!(
        "  its single-item reads (GetItem, BatchGetItem keys): {:.2} strongly and {:.2} eventually consistent, {:.2} RRU; and {queries:.2} queries (each under 4 KB: half a read unit, or one strongly consistent)",
        per(reads.strong),
        per(reads.eventual),
        per(reads.strong) + per(reads.eventual) / 2.0
    );
    units.print("a new conversation routed and offered", n);
    accepted.print("accepted offer", n);
    held.print("message in a conversation the agent holds", n);
    println!("  agent accepts the offer:                         {accept:.2}");
    println!(
        "  the customer writes again (the router's whole path, the agent holds it): {again:.2}"
    );
    // The conversation item (its routing record keeps every decision with
    // the agents each offer considered) is not what an event touches: its
    // small activity item is.
    use switchboard_aws::dynamo::capacity::{read_units, write_units};
    let items = items(&store).await;
    let (size, copies) = largest_conversation(&items);
    // What its size is made of, largest first.
    use switchboard_aws::dynamo::capacity::item_size;
    if let Some(c) = items
        .iter()
        .filter(|i| sk(i) == "CONV")
        .max_by_key(|i| item_size(i))
    {
        let mut parts: Vec<(usize, &String)> = c
            .iter()
            .map(|(k, v)| (item_size(&Item::from([(k.clone(), v.clone())])), k))
            .collect();
        parts.sort_by(|a, b| b.cmp(a));
        let parts: Vec<String> = parts.iter().map(|(n, k)| format!("{k} {n}")).collect();
        println!(
            "  its conversation item's attributes, bytes: {}",
            parts.join(", ")
        );
    }
    let activity = largest(&items, &|k| k == "CONV#ACTIVITY");
    println!(
        "  its conversation item: {size} B ({} write units a copy) in {copies} indexes; its activity item: {activity} B in no index, a touch bills {} WRU; reading the two: {} RRU",
        write_units(size),
        write_units(activity),
        read_units(size + activity)
    );
}

/// Write units billed, by the kind of item written: each write the adapter
/// sent, billed as DynamoDB bills it (`capacity::billed_write`) from the
/// item before and after it. A put's after is its item, an update's the
/// item read back just after; before is the last image this bench saw of
/// the key (none for an item written before the meter started: then the
/// write is taken to leave its index keys as they were). A condition check
/// in a transaction is counted as a transaction's write of its item, in no
/// index.
#[derive(Default)]
struct Billed(std::collections::BTreeMap<String, (u64, u64)>);

/// The last image of each item the bench saw written, by key.
type Images = std::collections::HashMap<String, Option<Item>>;

impl Billed {
    async fn add(
        &mut self,
        images: &mut Images,
        client: &aws_sdk_dynamodb::Client,
        store: &switchboard_aws::DynamoStore,
        writes: Vec<switchboard_aws::dynamo::capacity::Write>,
    ) {
        use switchboard_aws::dynamo::capacity::{billed_write, item_size, write_units};
        for w in writes {
            let after = match w.item {
                Some(item) => Some(item),
                None => {
                    client
                        .get_item()
                        .table_name(store.table())
                        .set_key(Some(w.key.clone()))
                        .consistent_read(true)
                        .send()
                        .await
                        .expect("read a written item back")
                        .item
                }
            };
            let id = format!("{:?}|{:?}", w.key.get("PK"), w.key.get("SK"));
            let before = images.get(&id).cloned().flatten();
            // Unseen before: as if it kept its index keys (and its size).
            let before = before.or_else(|| after.clone());
            let units = if w.condition_check {
                2 * write_units(after.as_ref().map_or(0, item_size))
            } else {
                billed_write(before.as_ref(), after.as_ref(), w.transactional)
            };
            images.insert(id, after);
            let e = self.0.entry(kind(&w.key)).or_default();
            e.0 += 1;
            e.1 += units;
        }
    }

    fn print(&self, what: &str, n: u64) {
        let total: u64 = self.0.values().map(|(_, u)| u).sum();
        println!(
            "  write units billed per {what}: {:.2} (each write sized as DynamoDB bills it; a transaction's table writes twice)",
            total as f64 / n as f64
        );
        for (kind, (writes, units)) in &self.0 {
            println!(
                "    {kind:<28} {:>5.2} writes {:>6.2} WRU",
                *writes as f64 / n as f64,
                *units as f64 / n as f64
            );
        }
    }
}

/// What kind of item a key names: the upper-case words of its partition
/// and sort keys, without the ids (`CONV:CONV#ACTIVITY`, `TIMERS:`).
fn kind(key: &Item) -> String {
    let words = |k: &str| {
        key.get(k)
            .and_then(|v| v.as_s().ok())
            .map(|v| {
                v.split('#')
                    .filter(|w| {
                        !w.is_empty() && w.chars().all(|c| c.is_ascii_uppercase() || c == '_')
                    })
                    .collect::<Vec<_>>()
                    .join("#")
            })
            .unwrap_or_default()
    };
    format!("{}:{}", words("PK"), words("SK"))
}

/// Capacity units per text message in an existing conversation, from the
/// sizes of the items the appends above wrote (read back from the table,
/// sized as DynamoDB bills them: `switchboard_aws::dynamo::capacity`).
type Item = std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>;

/// Every item of the bench's table, as stored.
async fn items(store: &switchboard_aws::DynamoStore) -> Vec<Item> {
    let client = aws_sdk_dynamodb::Client::new(&switchboard_tests::aws_config().await);
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let page = client
            .scan()
            .table_name(store.table())
            .set_exclusive_start_key(start)
            .send()
            .await
            .expect("scan the bench table");
        items.extend(page.items.unwrap_or_default());
        start = page.last_evaluated_key;
        if start.is_none() {
            break;
        }
    }
    items
}

fn sk(i: &Item) -> String {
    i.get("SK")
        .and_then(|v| v.as_s().ok())
        .cloned()
        .unwrap_or_default()
}

/// The largest conversation item, and how many indexes it is copied into.
fn largest_conversation(items: &[Item]) -> (usize, u64) {
    use switchboard_aws::dynamo::capacity::item_size;
    items
        .iter()
        .filter(|i| sk(i) == "CONV")
        .max_by_key(|i| item_size(i))
        .map_or((0, 0), |c| {
            let copies = ["GSI1PK", "GSI2PK", "GSI3PK"]
                .iter()
                .filter(|k| c.contains_key(**k))
                .count() as u64;
            (item_size(c), copies)
        })
}

/// The largest item whose sort key `pick` takes, in bytes as billed.
fn largest(items: &[Item], pick: &dyn Fn(&str) -> bool) -> usize {
    use switchboard_aws::dynamo::capacity::item_size;
    items
        .iter()
        .filter(|i| pick(&sk(i)))
        .map(item_size)
        .max()
        .unwrap_or(0)
}

async fn units(store: &switchboard_aws::DynamoStore, reads: Reads, n: u64) {
    use switchboard_aws::dynamo::capacity::{read_units, write_units};
    let items = items(store).await;
    let marker = largest(&items, &|k| k == "EVENT");
    let timeline = largest(&items, &|k| k.starts_with("EV#"));
    let customer = largest(&items, &|k| k == "CUSTOMER");
    let activity = largest(&items, &|k| k == "CONV#ACTIVITY");
    let (conv_size, copies) = largest_conversation(&items);
    let (m, t, a) = (
        write_units(marker),
        write_units(timeline),
        write_units(activity),
    );
    println!(
        "DynamoDB capacity units per text message in an existing conversation (item sizes read back from moto):"
    );
    println!(
        "  items: marker {marker} B, timeline entry {timeline} B (largest), the conversation's activity item {activity} B in no index (its conversation item: {conv_size} B in {copies} indexes, not written), customer {customer} B"
    );
    println!(
        "  writes: marker {m} + entry {t} + activity touch {a} = {} WRU",
        m + t + a
    );
    // An eventually consistent read bills half a strongly consistent one.
    let per = |count: u64| count as f64 / n as f64;
    println!(
        "  reads before the writes: {:.2} strongly and {:.2} eventually consistent of the customer ({customer} B): {:.2} RRU",
        per(reads.strong),
        per(reads.eventual),
        read_units(customer) as f64 * (per(reads.strong) + per(reads.eventual) / 2.0)
    );
}
