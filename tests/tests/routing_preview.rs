//! "Try a message" (`POST /admin/v1/routing/preview`) against the router,
//! on the embedded store and on DynamoDB (moto): the preview's answer for a
//! message is what the router then records for the same message sent
//! through the pipeline (rulesets, skills, priority, attributes, language,
//! queue, the agent offered and every agent's verdict); the preview changes
//! nothing; an unknown page is a 404 problem and a page that feeds no
//! workstream an answer that says so.

use serde_json::{Value, json};
use switchboard_core::channels;
use switchboard_core::ids::AccountId;
use switchboard_core::ports::Conversation;
use switchboard_core::routing::admin as ra;
use switchboard_core::routing::engine;
use switchboard_core::routing::preview::{Outcome, Preview, PreviewRequest, preview};
use switchboard_core::routing::record::AgentVerdict;
use switchboard_core::{Clock, Millis};
use switchboard_tests::routing_rig::{RoutingRig, from_json as from};
use switchboard_tests::*;

/// Monday 2026-01-05 10:00 in Copenhagen.
const T0: i64 = 1_767_603_600_000;

/// The shared routing rig; this file's steps are methods on it.
struct Rig(RoutingRig);

impl std::ops::Deref for Rig {
    type Target = RoutingRig;
    fn deref(&self) -> &RoutingRig {
        &self.0
    }
}

impl Rig {
    async fn new(aws: bool) -> Self {
        Rig(RoutingRig::new(aws, T0).await)
    }

    /// Queues billing and general, workstream support on page 1 (English,
    /// fallback general), Danish invoices to billing with billing >= 5,
    /// anna (billing 7), bo (billing 3) and carl (no billing).
    async fn setup(&self) {
        for q in [
            json!({"id": "billing", "name": "Billing", "priority": 1}),
            json!({"id": "general", "name": "General", "priority": 5}),
        ] {
            ra::create_queue(&self.deps, from(q)).await.expect("queue");
        }
        channels::create_workstream(
            &self.ch,
            from(json!({
                "id": "support", "name": "Support", "pages": [PAGE_1], "locale": "en",
                "distribution": {"fallback_queue": "general"}
            })),
        )
        .await
        .expect("workstream");
        for rs in [
            json!({
                "id": "classify", "workstream": "support", "name": "Classify", "order": 1,
                "kind": "classification",
                "rules": [
                    {"name": "danish invoices",
                     "when": {"all": [{"locale": "da"}, {"text_contains": "faktura"}]},
                     "set": {"skills": {"billing": 5}, "priority": 1, "attributes": {"topic": "billing"}}},
                    {"name": "urgent", "when": {"text_matches": "(?i)urgent|haster"}, "set": {"priority": 2}}
                ]
            }),
            json!({
                "id": "route", "workstream": "support", "name": "Route", "order": 2,
                "kind": "route_to_queue",
                "rules": [{"name": "billing topic", "when": {"attribute": {"name": "topic", "equals": "billing"}}, "queue": "billing"}]
            }),
        ] {
            ra::create_ruleset(&self.deps, from(rs))
                .await
                .expect("ruleset");
        }
        for (a, queues) in [
            (
                json!({"id": "anna", "name": "Anna", "email": "anna@example.com", "skills": {"billing": 7}, "capacity": 2}),
                json!(["billing", "general"]),
            ),
            (
                json!({"id": "bo", "name": "Bo", "email": "bo@example.com", "skills": {"billing": 3}, "capacity": 1}),
                json!(["billing", "general"]),
            ),
            (
                json!({"id": "carl", "name": "Carl", "email": "carl@example.com", "capacity": 1}),
                json!(["general"]),
            ),
        ] {
            let mut a = a;
            a["queues"] = queues;
            let id = a["id"].as_str().unwrap().to_string();
            ra::create_agent(&self.deps, from(a)).await.expect("agent");
            ra::put_presence(
                &self.deps,
                &from(json!(id)),
                from(json!({"status": "available"})),
            )
            .await
            .expect("presence");
        }
    }

    async fn preview(&self, page: &str, text: &str) -> Preview {
        preview(
            &self.ch,
            from::<PreviewRequest>(json!({"page_id": page, "text": text})),
        )
        .await
        .expect("preview")
    }

    /// A customer message through the router, as the inbound queue delivers it.
    async fn message(&self, psid: &str, text: &str) -> Conversation {
        let mid = format!("m-{psid}-{}", self.clock.now().0);
        let ev = self.customer_message(psid, text, mid);
        let body = serde_json::to_string(&ev).unwrap();
        let id = self.route(&ev, &body).await;
        self.deps
            .conversations
            .get_conversation(&id)
            .await
            .unwrap()
            .unwrap()
    }

    /// Everything a preview could change: conversations (with their
    /// routing), agents (presence, load, version), every queue's waiting
    /// list, timers, configuration and pages.
    async fn snapshot(&self) -> Value {
        let d = &self.deps;
        let mut waiting = serde_json::Map::new();
        for q in d.config.list_queues().await.unwrap() {
            let items = d.routing.waiting(&q.id, None, 10_000).await.unwrap();
            waiting.insert(q.id.to_string(), json!(items));
        }
        json!({
            "conversations": d.conversations.list_conversations(&Default::default()).await.unwrap(),
            "agents": d.config.list_agents().await.unwrap(),
            "queues": d.config.list_queues().await.unwrap(),
            "rulesets": d.config.list_rulesets(None).await.unwrap(),
            "workstreams": d.workstreams.list_workstreams().await.unwrap(),
            "pages": self.ch.accounts.list_pages(&AccountId::parse(ACCOUNT).unwrap()).await.unwrap(),
            "waiting": waiting,
            "timers": d.routing.due_timers(Millis(i64::MAX), 10_000).await.unwrap(),
        })
    }
}

/// The preview's answer equals what the router recorded for the message.
fn assert_agrees(p: &Preview, conv: &Conversation) {
    let r = conv.routing.as_ref().expect("routed");
    let classified = r
        .decisions
        .iter()
        .find(|d| d.step == "classified")
        .expect("classified");
    assert_eq!(p.workstream, r.workstream, "workstream");
    assert_eq!(p.rulesets, classified.rulesets, "rulesets and rules");
    assert_eq!(p.skills, r.skills, "skills");
    assert_eq!(p.priority, Some(r.priority), "priority");
    assert_eq!(p.attributes, r.attributes, "attributes");
    assert_eq!(p.locale, r.language, "language");
    assert_eq!(p.outcome, Outcome::Queued);
    assert_eq!(p.queue, r.queue, "queue");
    let queued = r.decisions.iter().find(|d| d.step == "queued");
    assert_eq!(
        Some(p.explanation.as_str()),
        queued.map(|d| d.detail.as_str()),
        "why that queue"
    );
    let offered = r.decisions.iter().find(|d| d.step == "offered");
    assert_eq!(
        p.offered_to,
        r.offer.as_ref().map(|o| o.agent.clone()),
        "the agent offered"
    );
    if let Some(o) = offered {
        assert_eq!(p.agents, o.agents, "every agent's verdict");
        assert_eq!(p.more_agents, o.more_agents);
    }
}

async fn the_preview_says_what_the_router_then_does(aws: bool) {
    let r = Rig::new(aws).await;
    r.setup().await;

    // Danish about an invoice: billing, anna (bo lacks the skill).
    let text = "Min faktura er forkert, hvad gør jeg?";
    let p = r.preview(PAGE_1, text).await;
    assert_eq!(p.queue.as_ref().map(|q| q.as_str()), Some("billing"));
    assert_eq!(p.offered_to.as_ref().map(|a| a.as_str()), Some("anna"));
    assert_eq!(p.rulesets[0].matched.as_deref(), Some("danish invoices"));
    assert_eq!((p.members, p.qualified), (2, 1));
    assert_agrees(&p, &r.message("7700000000000001", text).await);

    // English: no rule matches; the fallback queue; anna now has less free
    // capacity than bo and carl.
    let text = "Where is my order? It has not arrived yet.";
    let p = r.preview(PAGE_1, text).await;
    assert_eq!(p.queue.as_ref().map(|q| q.as_str()), Some("general"));
    assert!(p.rulesets.iter().all(|t| t.matched.is_none()), "{p:?}");
    assert_agrees(&p, &r.message("7700000000000002", text).await);

    // A later rule in the ruleset sets priority; a third conversation in
    // general when bo is full: carl, with bo's verdict "capacity".
    r.clock.advance_secs(5);
    let text = "This is urgent, my parcel is lost";
    let p = r.preview(PAGE_1, text).await;
    assert_eq!(p.priority, Some(2));
    assert_agrees(&p, &r.message("7700000000000003", text).await);

    // anna's last unit goes to a second invoice; then nobody qualifies:
    // the preview says who is skipped and why, and the router leaves it
    // waiting in the same queue.
    r.clock.advance_secs(5);
    let text = "Hej, jeg har endnu en faktura, der er forkert";
    let p = r.preview(PAGE_1, text).await;
    assert_agrees(&p, &r.message("7700000000000004", text).await);
    r.clock.advance_secs(5);
    let text = "Og en faktura mere, som også er forkert";
    let p = r.preview(PAGE_1, text).await;
    assert_eq!((p.offered_to.clone(), p.qualified), (None, 0), "{p:?}");
    assert_agrees(&p, &r.message("7700000000000005", text).await);
}

/// A returning customer (by PSID) is previewed as the router treats them:
/// held for the agent of their last conversation (affinity).
async fn returning_customers_are_held_for_their_agent(aws: bool) {
    let r = Rig::new(aws).await;
    ra::create_queue(&r.deps, from(json!({"id": "general", "name": "General"})))
        .await
        .expect("queue");
    channels::create_workstream(
        &r.ch,
        from(json!({"id": "support", "name": "Support", "pages": [PAGE_1], "locale": "en",
            "distribution": {"fallback_queue": "general", "affinity": {"enabled": true, "wait_seconds": 60}}})),
    )
    .await
    .expect("workstream");
    for (id, presence) in [("anna", "available"), ("bo", "offline")] {
        ra::create_agent(
            &r.deps,
            from(json!({"id": id, "name": id, "email": format!("{id}@example.com"), "queues": ["general"]})),
        )
        .await
        .expect("agent");
        ra::put_presence(&r.deps, &from(json!(id)), from(json!({"status": presence})))
            .await
            .expect("presence");
    }
    let psid = "7700000000000031";
    let c1 = r.message(psid, "hello").await;
    engine::accept(&r.deps, &from(json!("anna")), &c1.id)
        .await
        .expect("accept");
    engine::close(&r.deps, &c1.id, "done").await.expect("close");
    ra::put_presence(
        &r.deps,
        &from(json!("bo")),
        from(json!({"status": "available"})),
    )
    .await
    .expect("presence");
    r.clock.advance_secs(3600);

    let sample = json!({"page_id": PAGE_1, "text": "me again", "psid": psid});
    let p = preview(&r.ch, from(sample.clone())).await.expect("preview");
    assert!(p.returning);
    assert_eq!(p.affinity_agent.as_ref().map(|a| a.as_str()), Some("anna"));
    assert_eq!(p.offered_to.as_ref().map(|a| a.as_str()), Some("anna"));
    assert!(
        p.agents.iter().any(|a| a.agent.as_str() == "bo"
            && matches!(a.verdict, AgentVerdict::Affinity { .. })),
        "{p:?}"
    );
    let c2 = r.message(psid, "me again").await;
    assert_ne!(c1.id, c2.id);
    assert_agrees(&p, &c2);
    let held = c2.routing.as_ref().and_then(|x| {
        x.decisions
            .iter()
            .find(|d| d.step == "affinity")
            .map(|d| d.detail.clone())
    });
    assert!(
        held.as_deref().is_some_and(|d| d.contains("held for anna")),
        "{held:?}"
    );
    // Without a PSID the same text is a new customer's: anyone may take it.
    let p = r.preview(PAGE_1, "me again").await;
    assert_eq!((p.returning, p.affinity_agent), (false, None));
}

async fn the_preview_changes_nothing(aws: bool) {
    let r = Rig::new(aws).await;
    r.setup().await;
    r.message("7700000000000001", "Hej, min faktura er forkert")
        .await;
    let before = r.snapshot().await;
    for req in [
        json!({"page_id": PAGE_1, "text": "Min faktura er forkert", "locale": "da"}),
        json!({"page_id": PAGE_1, "text": "hello", "psid": "7700000000000001",
               "contact": {"email": "x@example.com"}, "payload": "BILLING",
               "referral": {"ref": "ad-1", "ad_id": "42"}, "at": "2026-01-05T22:00:00Z"}),
        json!({"page_id": PAGE_2, "text": "hi"}),
    ] {
        preview(&r.ch, from(req)).await.expect("preview");
    }
    assert_eq!(before, r.snapshot().await, "a preview changed the store");
}

async fn pages_unknown_or_without_a_workstream(aws: bool) {
    let r = Rig::new(aws).await;
    r.setup().await;
    let unknown = preview(&r.ch, from(json!({"page_id": "999999999", "text": "hi"})))
        .await
        .expect_err("unknown page");
    assert_eq!((unknown.status, unknown.code), (404, "not_found"));

    let p = r.preview(PAGE_2, "Min faktura er forkert").await;
    assert_eq!(p.workstream, None);
    assert_eq!(p.outcome, Outcome::Unrouted);
    assert!(p.explanation.contains("feeds no workstream"), "{p:?}");

    let bad = preview(
        &r.ch,
        from(json!({"page_id": PAGE_1, "text": "hi", "locale": "not a locale"})),
    )
    .await
    .expect_err("bad locale");
    assert_eq!((bad.status, bad.code), (422, "invalid_locale"));

    for at in ["0433-03-21T00:59:53Z", "2200-01-01T00:00:00Z", "yesterday"] {
        let bad = preview(&r.ch, from(json!({"page_id": PAGE_1, "at": at})))
            .await
            .expect_err("a time out of range");
        assert_eq!((bad.status, bad.code), (422, "invalid_at"), "{at}");
    }
    assert!(
        serde_json::from_value::<PreviewRequest>(json!({"page_id": PAGE_1, "text": null})).is_err(),
        "null is not a text"
    );

    // A locale given wins over detection, and says so.
    let p = preview(
        &r.ch,
        from(json!({"page_id": PAGE_1, "text": "my faktura is wrong", "locale": "da"})),
    )
    .await
    .expect("preview");
    assert_eq!(p.locale.as_deref(), Some("da"));
    assert_eq!(p.queue.as_ref().map(|q| q.as_str()), Some("billing"));
}

both_stores!(
    the_preview_says_what_the_router_then_does,
    returning_customers_are_held_for_their_agent,
    the_preview_changes_nothing,
    pages_unknown_or_without_a_workstream,
);
