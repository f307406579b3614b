//! The sender against the fake Graph server, on the embedded store and on
//! DynamoDB + Secrets Manager (moto): what reaches Meta (recipient, text,
//! token, RESPONSE or HUMAN_AGENT), the window policy as the clock moves,
//! and each class of Graph error: retried, failed, or failing the page.
//! Plus the outbound store's own rules on both adapters.

use std::sync::Arc;
use std::time::Duration;
use switchboard_core::channels::ChannelDeps;
use switchboard_core::event::{EventKind, InboundEvent};
use switchboard_core::ids::{AccountId, ConversationId, OutboundId, PageId, Psid};
use switchboard_core::messenger::Channel;
use switchboard_core::outbound::{Author, Content, Outbound, SendAs, Status};
use switchboard_core::ports::{AppendOutcome, NewIds, StoreError};
use switchboard_core::sender::{SenderDeps, Sent, send};
use switchboard_core::{Clock, ManualClock, Millis};
use switchboard_tests::fake_graph::{FakeGraph, Scripted};
use switchboard_tests::*;

const T0: i64 = 1_767_603_600_000;
const HOUR: i64 = 3600;
const TOKEN: &str = "EAAB-page-104857600000001";

struct Rig {
    deps: SenderDeps,
    channels: ChannelDeps,
    clock: Arc<ManualClock>,
    fake: FakeGraph,
    conv: ConversationId,
    _guard: Box<dyn std::any::Any + Send + Sync>,
}

impl Rig {
    async fn new(aws: bool, human_agent_tag: bool) -> Self {
        let (store, secrets, guard) = store_and_secrets(aws).await;
        let clock = Arc::new(ManualClock::new(Millis(T0)));
        seed_account(store.as_ref(), secrets.as_ref(), clock.as_ref()).await;
        let page = PageId::parse(PAGE_1).unwrap();
        seed_page_token(store.as_ref(), secrets.as_ref(), TOKEN).await;
        let fake = FakeGraph::start().await;
        let mut ch = channel_deps(store.clone(), secrets, clock.clone());
        ch.graph = Arc::new(
            switchboard_graph::HttpGraph::new(&fake.base, Duration::from_secs(2)).unwrap(),
        );
        switchboard_core::channels::create_workstream(
            &ch,
            serde_json::from_value(serde_json::json!({"id": "support", "name": "Support", "pages": [PAGE_1], "locale": "en",
                "features": {"human_agent_tag": human_agent_tag}}))
            .unwrap(),
        )
        .await
        .unwrap();
        // The customer wrote at T0.
        let raw = serde_json::value::RawValue::from_string("{}".into()).unwrap();
        let mut ev = InboundEvent::bare(
            &AccountId::parse(ACCOUNT).unwrap(),
            &page,
            Some(Psid::parse("7700000000000901").unwrap()),
            Channel::Messaging,
            EventKind::Message,
            Millis(T0),
            Millis(T0),
            raw,
        );
        ev.key = "message:m_sender_1".into();
        let ids = NewIds {
            contact_id: switchboard_core::ids::ContactId::generate(),
            contact_name: "C".into(),
            conversation_id: ConversationId::generate(),
        };
        let conv = match store.append(&ev, &ids, Millis(T0)).await.unwrap() {
            AppendOutcome::Stored {
                conversation_id, ..
            } => conversation_id,
            other => panic!("{other:?}"),
        };
        Rig {
            deps: SenderDeps::of(&ch),
            channels: ch,
            clock,
            fake,
            conv,
            _guard: guard,
        }
    }

    async fn queue(&self, author: Author, text: &str) -> OutboundId {
        let m = Outbound {
            id: OutboundId::generate(),
            conversation_id: self.conv.clone(),
            page_id: PageId::parse(PAGE_1).unwrap(),
            psid: Psid::parse("7700000000000901").unwrap(),
            author,
            content: Content::Text {
                text: text.into(),
                quick_replies: vec![],
            },
            status: Status::Queued,
            attempts: 0,
            claimed_at: None,
            created_at: self.clock.now(),
        };
        self.deps.outbound.put_outbound(&m).await.unwrap();
        m.id
    }

    fn sends(&self) -> Vec<serde_json::Value> {
        self.fake
            .requests()
            .into_iter()
            .filter(|r| r.method == "POST" && r.path.ends_with("/messages"))
            .map(|r| {
                assert_eq!(
                    r.authorization.as_deref(),
                    Some(format!("Bearer {TOKEN}").as_str()),
                    "the page token, in the header"
                );
                serde_json::from_str(&r.body).unwrap()
            })
            .collect()
    }
}

fn agent() -> Author {
    Author::Agent {
        agent_id: switchboard_core::ids::AgentId::parse("anna").unwrap(),
    }
}

async fn a_reply_goes_out_as_a_response_once(aws: bool) {
    let r = Rig::new(aws, false).await;
    let id = r.queue(agent(), "Hello from Anna").await;
    let out = send(&r.deps, &id, 0.0).await.unwrap();
    let Sent::Done(Status::Sent {
        message_id,
        messaging_type,
        ..
    }) = out
    else {
        panic!("{out:?}")
    };
    assert_eq!(messaging_type, SendAs::Response);
    let sends = r.sends();
    assert_eq!(sends.len(), 1);
    assert_eq!(sends[0]["messaging_type"], "RESPONSE");
    assert_eq!(sends[0]["recipient"]["id"], "7700000000000901");
    assert_eq!(sends[0]["message"]["text"], "Hello from Anna");
    assert_eq!(
        sends[0]["message"]["metadata"],
        id.as_str(),
        "the echo can be matched"
    );
    // Redelivered by the queue: nothing goes out twice.
    assert!(matches!(
        send(&r.deps, &id, 0.0).await.unwrap(),
        Sent::Done(Status::Sent { .. })
    ));
    assert_eq!(r.sends().len(), 1);
    let by_mid = r
        .deps
        .outbound
        .outbound_by_mid(&message_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_mid.id, id);
}

async fn the_window_decides_as_the_clock_moves(aws: bool) {
    // 30 hours, tag off: refused.
    let r = Rig::new(aws, false).await;
    r.clock.advance_secs(30 * HOUR);
    let id = r.queue(agent(), "late").await;
    match send(&r.deps, &id, 0.0).await.unwrap() {
        Sent::Done(Status::Failed { reason, .. }) => {
            assert!(reason.contains("24-hour"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    assert!(r.sends().is_empty());
    // 30 hours, tag on: HUMAN_AGENT; an automated message is still refused and never tagged.
    let r = Rig::new(aws, true).await;
    r.clock.advance_secs(30 * HOUR);
    let id = r.queue(agent(), "late but human").await;
    assert!(matches!(
        send(&r.deps, &id, 0.0).await.unwrap(),
        Sent::Done(Status::Sent {
            messaging_type: SendAs::HumanAgent,
            ..
        })
    ));
    let auto = r
        .queue(
            Author::Automated {
                message: "queued".into(),
            },
            "You are in the queue",
        )
        .await;
    assert!(matches!(
        send(&r.deps, &auto, 0.0).await.unwrap(),
        Sent::Done(Status::Failed { .. })
    ));
    let sends = r.sends();
    assert_eq!(sends.len(), 1);
    assert_eq!(
        (
            sends[0]["messaging_type"].as_str(),
            sends[0]["tag"].as_str()
        ),
        (Some("MESSAGE_TAG"), Some("HUMAN_AGENT"))
    );
    // 8 days: refused even with the tag.
    r.clock.advance_secs(7 * 24 * HOUR);
    let id = r.queue(agent(), "too late").await;
    assert!(matches!(
        send(&r.deps, &id, 0.0).await.unwrap(),
        Sent::Done(Status::Failed { .. })
    ));
    assert_eq!(r.sends().len(), 1);
}

async fn errors_retry_fail_or_stop_the_page(aws: bool) {
    let r = Rig::new(aws, false).await;
    let path = format!("{PAGE_1}/messages");
    // 613 twice, then success: exactly one message sent.
    r.fake.script(
        "POST",
        &path,
        vec![
            Scripted::error(
                400,
                613,
                None,
                "Calls to this api have exceeded the rate limit.",
            ),
            Scripted::error(
                400,
                613,
                None,
                "Calls to this api have exceeded the rate limit.",
            ),
        ],
    );
    let id = r.queue(agent(), "retry me").await;
    assert_eq!(
        send(&r.deps, &id, 0.0).await.unwrap(),
        Sent::RetryAfter(Duration::from_secs(2))
    );
    assert_eq!(
        send(&r.deps, &id, 0.0).await.unwrap(),
        Sent::RetryAfter(Duration::from_secs(4))
    );
    assert!(matches!(
        send(&r.deps, &id, 0.0).await.unwrap(),
        Sent::Done(Status::Sent { .. })
    ));
    assert_eq!(
        r.deps
            .outbound
            .get_outbound(&id)
            .await
            .unwrap()
            .unwrap()
            .attempts,
        2
    );
    let delivered = r.fake.requests().iter().filter(|q| q.path == path).count();
    assert_eq!(delivered, 3, "three attempts");
    // 551: failed at once with Meta's code and a sentence, no retry.
    r.fake.script(
        "POST",
        &path,
        vec![Scripted::error(
            400,
            551,
            None,
            "This person isn't available right now.",
        )],
    );
    let id = r.queue(agent(), "unavailable").await;
    match send(&r.deps, &id, 0.0).await.unwrap() {
        Sent::Done(Status::Failed { code, reason, .. }) => {
            assert_eq!(code, Some(551));
            assert!(reason.contains("unavailable"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    // 190: failed, and the page is in error.
    r.fake.script(
        "POST",
        &path,
        vec![Scripted::error(
            400,
            190,
            Some(460),
            "Error validating access token",
        )],
    );
    let id = r.queue(agent(), "token").await;
    assert!(matches!(
        send(&r.deps, &id, 0.0).await.unwrap(),
        Sent::Done(Status::Failed {
            code: Some(190),
            ..
        })
    ));
    let page = r
        .channels
        .accounts
        .get_page(&PageId::parse(PAGE_1).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        page.provisioning.state,
        switchboard_core::provisioning::ProvisioningState::Error
    );
    // A transient error that never ends gives up after the limit: every
    // attempt before it is counted on the message and retried.
    let id = r.queue(agent(), "never").await;
    let max = switchboard_core::outbound::MAX_ATTEMPTS;
    r.fake.script(
        "POST",
        &path,
        vec![Scripted::error(500, 2, None, "Service temporarily unavailable"); max as usize],
    );
    for n in 1..max {
        assert!(
            matches!(send(&r.deps, &id, 0.0).await.unwrap(), Sent::RetryAfter(_)),
            "attempt {n}"
        );
    }
    match send(&r.deps, &id, 0.0).await.unwrap() {
        Sent::Done(Status::Failed { reason, .. }) => {
            assert!(
                reason.contains(&format!("after {max} attempts")),
                "{reason}"
            )
        }
        other => panic!("{other:?}"),
    }
}

async fn outbound_records_finish_once(aws: bool) {
    let r = Rig::new(aws, false).await;
    let s = &r.deps.outbound;
    let first = r.queue(agent(), "one").await;
    r.clock.advance_secs(1);
    let second = r.queue(agent(), "two").await;
    let again = s.get_outbound(&first).await.unwrap().unwrap();
    assert!(matches!(
        s.put_outbound(&again).await,
        Err(StoreError::Conflict(_))
    ));
    let listed: Vec<OutboundId> = s
        .list_outbound(&r.conv)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(listed, vec![first.clone(), second.clone()]);
    s.count_attempt(&first, 3, None).await.unwrap();
    let sent = Status::Sent {
        message_id: "m_x".into(),
        messaging_type: SendAs::Response,
        at: Millis(T0),
    };
    s.finish_outbound(&first, &sent).await.unwrap();
    assert!(matches!(
        s.finish_outbound(&first, &sent).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        s.count_attempt(&first, 4, None).await,
        Err(StoreError::Conflict(_))
    ));
    let got = s.get_outbound(&first).await.unwrap().unwrap();
    assert_eq!((got.status, got.attempts), (sent, 3));
    assert_eq!(s.outbound_by_mid("m_x").await.unwrap().unwrap().id, first);
    assert!(s.outbound_by_mid("m_none").await.unwrap().is_none());
    assert!(matches!(
        s.finish_outbound(&OutboundId::generate(), &Status::Queued)
            .await,
        Err(StoreError::NotFound(_))
    ));
}

/// Meta took the message but its answer never came (a timeout), or the
/// sender stopped before writing it: a retry waits for the echo instead of
/// sending twice, and sends again only when no echo came.
async fn a_send_with_no_outcome_is_not_sent_twice(aws: bool) {
    let r = Rig::new(aws, false).await;
    let path = format!("{PAGE_1}/messages");
    // Meta answers after the client has given up (2 s).
    let mut late = Scripted::ok(
        serde_json::json!({"recipient_id": "7700000000000901", "message_id": "m_late"}),
    );
    late.delay = Duration::from_secs(4);
    r.fake.script("POST", &path, vec![late]);
    let id = r.queue(agent(), "are you there?").await;
    assert!(matches!(
        send(&r.deps, &id, 0.0).await.unwrap(),
        Sent::RetryAfter(_)
    ));
    let claimed = r.deps.outbound.get_outbound(&id).await.unwrap().unwrap();
    assert_eq!(claimed.status, Status::Queued);
    assert_eq!(
        claimed.claimed_at,
        Some(r.clock.now()),
        "the attempt is claimed"
    );
    assert_eq!(r.sends().len(), 1);
    // Redelivered at once: it waits for the echo, nothing goes to Meta.
    r.clock.advance_secs(5);
    match send(&r.deps, &id, 0.0).await.unwrap() {
        Sent::RetryAfter(d) => assert!(
            d <= Duration::from_secs(55) && d >= Duration::from_secs(1),
            "{d:?}"
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(r.sends().len(), 1, "not sent twice inside the grace");
    // The echo arrives (the router marks it sent): the retry finds it done.
    let sent = Status::Sent {
        message_id: "m_late".into(),
        messaging_type: SendAs::Response,
        at: r.clock.now(),
    };
    r.deps.outbound.finish_outbound(&id, &sent).await.unwrap();
    assert!(matches!(
        send(&r.deps, &id, 0.0).await.unwrap(),
        Sent::Done(Status::Sent { .. })
    ));
    assert_eq!(r.sends().len(), 1, "the customer got it once");

    // Another claim whose echo never comes: after the grace it goes again.
    let mut late = Scripted::ok(
        serde_json::json!({"recipient_id": "7700000000000901", "message_id": "m_lost"}),
    );
    late.delay = Duration::from_secs(4);
    r.fake.script("POST", &path, vec![late]);
    let id = r.queue(agent(), "hello?").await;
    assert!(matches!(
        send(&r.deps, &id, 0.0).await.unwrap(),
        Sent::RetryAfter(_)
    ));
    r.clock.advance_secs(61);
    assert!(matches!(
        send(&r.deps, &id, 0.0).await.unwrap(),
        Sent::Done(Status::Sent { .. })
    ));
    assert_eq!(r.sends().len(), 3);
    let done = r.deps.outbound.get_outbound(&id).await.unwrap().unwrap();
    assert_eq!(
        (done.attempts, done.claimed_at),
        (1, None),
        "one failed attempt, no claim left"
    );
}

/// A message whose queue message was lost (a crash between writing the
/// record and queueing it) is queued again by the sweep; one queued for an
/// hour is failed with a reason.
async fn the_sweep_requeues_stuck_messages_and_gives_up_after_an_hour(aws: bool) {
    let mut r = Rig::new(aws, false).await;
    let dir = tempfile::tempdir().unwrap();
    let db = switchboard_embedded::LocalQueue::open_database(dir.path().join("q.redb")).unwrap();
    let outbox = switchboard_embedded::LocalQueue::open(
        db,
        "outbound",
        switchboard_embedded::QueueConfig::default(),
        None,
    )
    .unwrap();
    r.channels.outbox = Some(Arc::new(outbox.clone()));
    let routing = r.channels.routing_deps();
    let stuck = r.queue(agent(), "lost on the way").await;
    let sweep = switchboard_core::outbound_sweep::sweep;
    // Fresh: left alone.
    assert_eq!(sweep(&routing).await.unwrap().requeued, 0);
    r.clock.advance_secs(6 * 60);
    let report = sweep(&routing).await.unwrap();
    assert_eq!((report.requeued, report.failed), (1, 0));
    let bodies = outbox.peek_bodies().await;
    assert_eq!(bodies.len(), 1);
    assert!(bodies[0].contains(stuck.as_str()));
    // Sent in the meantime: no longer swept.
    let sent = Status::Sent {
        message_id: "m_swept".into(),
        messaging_type: SendAs::Response,
        at: r.clock.now(),
    };
    r.deps
        .outbound
        .finish_outbound(&stuck, &sent)
        .await
        .unwrap();
    let never = r.queue(agent(), "never delivered").await;
    r.clock.advance_secs(61 * 60);
    let report = sweep(&routing).await.unwrap();
    assert_eq!((report.requeued, report.failed), (0, 1));
    match r
        .deps
        .outbound
        .get_outbound(&never)
        .await
        .unwrap()
        .unwrap()
        .status
    {
        Status::Failed { reason, .. } => assert!(reason.contains("within an hour"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        sweep(&routing).await.unwrap(),
        Default::default(),
        "nothing left queued"
    );
}

macro_rules! suite {
    ($backend:ident, $aws:expr) => {
        mod $backend {
            suite!(@case $aws; a_reply_goes_out_as_a_response_once, the_window_decides_as_the_clock_moves,
                errors_retry_fail_or_stop_the_page, outbound_records_finish_once,
                a_send_with_no_outcome_is_not_sent_twice,
                the_sweep_requeues_stuck_messages_and_gives_up_after_an_hour);
        }
    };
    (@case $aws:expr; $($case:ident),*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                super::$case($aws).await;
            }
        )*
    };
}

suite!(embedded, false);
suite!(aws, true);
