//! Workstream bots, on the embedded store and on DynamoDB (moto), against
//! a fake bot on loopback that checks signatures and answers as scripted:
//! the bot answers first (state `bot`, no capacity) and the customer gets
//! its message as `RESPONSE`, never tagged; it escalates with skills and
//! attributes the rules and the selection use, and the agent sees its part
//! of the transcript and why; it ends a conversation alone (with its own
//! survey); and a bot that is down or silent never strands the customer.

use switchboard_core::Clock;
use switchboard_tests::agent_rig::*;
use switchboard_tests::fake_bot::FakeBot;
use switchboard_tests::*;

type Value = serde_json::Value;
const BOT_SECRET: &str = "bot-secret-0123456789abcdef";

/// anna (billing 3) and bob (billing 7), in `general`; the `invoices`
/// queue takes what a bot marked `topic: invoice`; the workstream's bot
/// is `bot` with `max_failures`.
async fn rig(aws: bool, bot: &FakeBot, max_failures: u32) -> AgentRig {
    AgentRig::new(
        aws,
        RigSetup::new(serde_json::json!({
            "queues": [{"id": "general", "name": "General"}, {"id": "invoices", "name": "Invoices"}],
            "agents": [
                {"id": "anna", "name": "Anna", "email": "anna@example.com", "capacity": 2,
                 "skills": {"billing": 3}, "queues": ["general", "invoices"], "presence": "available"},
                {"id": "bob", "name": "Bob", "email": "bob@example.com", "capacity": 2,
                 "skills": {"billing": 7}, "queues": ["general", "invoices"], "presence": "available"}
            ],
            "rulesets": [{"id": "by-topic", "name": "By topic", "workstream": "support", "order": 1,
                "kind": "route_to_queue", "rules": [
                    {"name": "invoices", "when": {"attribute": {"name": "topic", "equals": "invoice"}}, "queue": "invoices"}]}],
            "workstreams": [{"id": "support", "name": "Support", "pages": [PAGE_1], "locale": "en",
                "distribution": {"fallback_queue": "general"},
                "bot": {"url": bot.url, "secret": BOT_SECRET, "timeout_ms": 2000,
                        "max_failures": max_failures, "answer_within_seconds": 60,
                        "greeting": "Hi, I am the Acme bot.",
                        "survey": {"question": "Did the bot help?"}}}]
        })),
    )
    .await
}

async fn used_capacity(rig: &AgentRig, agent: &str) -> u64 {
    let t = rig.token(agent).await;
    let p = rig.get_ok("/agent/v1/presence", &t).await;
    p["used_capacity"].as_u64().unwrap_or_else(|| panic!("{p}"))
}

fn texts_sent(rig: &AgentRig) -> Vec<Value> {
    rig.sent()
}

async fn the_bot_answers_first(aws: bool) {
    let bot = FakeBot::start(BOT_SECRET).await;
    bot.script(&[(
        200,
        serde_json::json!({"messages": [{"text": "We open at 9 on weekdays.",
        "quick_replies": [{"title": "Thanks"}]}]}),
    )]);
    let rig = rig(aws, &bot, 3).await;
    let id = rig.customer_says("m_bot_1", "When do you open?").await;

    let conv = rig.conversation(&id).await;
    assert_eq!(conv["state"], "bot", "{conv}");
    assert_eq!(conv["routing"]["capacity"]["units"], 0, "{conv}");
    assert!(conv["routing"]["agent"].is_null(), "{conv}");
    assert_eq!(
        used_capacity(&rig, "anna").await + used_capacity(&rig, "bob").await,
        0
    );
    // The bot got the event, signed with its secret.
    let got = bot.received();
    assert_eq!(got.len(), 1);
    assert!(got[0].signature_ok);
    assert_eq!(got[0].body["event"]["text"], "When do you open?");
    assert_eq!(got[0].body["conversation"]["id"], id.as_str());
    assert_eq!(
        got[0].delivery_id.as_deref(),
        got[0].body["delivery_id"].as_str()
    );
    // The greeting, then the bot's answer: RESPONSE, never tagged.
    rig.drain_sender().await;
    let sent = texts_sent(&rig);
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(sent[0]["message"]["text"], "Hi, I am the Acme bot.");
    assert_eq!(sent[1]["message"]["text"], "We open at 9 on weekdays.");
    assert_eq!(sent[1]["message"]["quick_replies"][0]["title"], "Thanks");
    for s in &sent {
        assert_eq!(s["messaging_type"], "RESPONSE", "{s}");
        assert!(s.get("tag").is_none(), "{s}");
    }
    // A redelivery of the same event is not posted again.
    rig.deliver(serde_json::json!({"sender": {"id": "7700000000000981"}, "recipient": {"id": PAGE_1},
        "timestamp": rig.clock.now().0, "message": {"mid": "m_bot_1", "text": "When do you open?"}}))
        .await;
    assert_eq!(bot.received().len(), 1);
    // The next message goes to the bot too, in order.
    rig.clock.advance_secs(5);
    rig.customer_says("m_bot_2", "Thanks").await;
    let got = bot.received();
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].body["event"]["text"], "Thanks");
}

async fn the_bot_escalates_with_skills_and_attributes(aws: bool) {
    let bot = FakeBot::start(BOT_SECRET).await;
    bot.script(&[(
        200,
        serde_json::json!({
        "messages": [{"text": "Let me get someone from billing."}],
        "escalate": {"reason": "invoice question", "skills": {"billing": 5},
                     "attributes": {"topic": "invoice"}, "priority": 2}}),
    )]);
    let rig = rig(aws, &bot, 3).await;
    let id = rig.customer_says("m_bot_inv", "My invoice is wrong").await;

    let conv = rig.conversation(&id).await;
    // bob (billing 7) is offered it, in the queue the bot's attribute chose.
    assert_eq!(conv["state"], "offered", "{conv}");
    assert_eq!(conv["routing"]["agent"], "bob", "{conv}");
    assert_eq!(conv["routing"]["queue"], "invoices", "{conv}");
    assert_eq!(conv["routing"]["priority"], 2, "{conv}");
    assert_eq!(conv["routing"]["skills"]["billing"], 5, "{conv}");
    assert_eq!(conv["routing"]["bot"]["escalated"]["by"], "bot", "{conv}");
    assert_eq!(
        conv["routing"]["bot"]["escalated"]["reason"],
        "invoice question"
    );
    rig.drain_sender().await;
    // bob sees the bot's part of the conversation and why it came to him.
    let bob = rig.token("bob").await;
    let detail = rig
        .get_ok(&format!("/agent/v1/conversations/{id}"), &bob)
        .await;
    let transcript = detail["transcript"]
        .as_array()
        .unwrap_or_else(|| panic!("{detail}"));
    let from = |who: &str| -> Vec<String> {
        transcript
            .iter()
            .filter(|e| e["from"] == who)
            .filter_map(|e| e["text"].as_str().map(str::to_string))
            .collect()
    };
    assert!(
        from("bot").contains(&"Let me get someone from billing.".to_string()),
        "{detail}"
    );
    assert!(
        from("customer").contains(&"My invoice is wrong".to_string()),
        "{detail}"
    );
    assert!(
        from("system")
            .iter()
            .any(|t| t.contains("escalated") && t.contains("invoice question")),
        "{detail}"
    );
}

async fn a_bot_that_is_down_hands_over_after_max_failures(aws: bool) {
    let bot = FakeBot::start(BOT_SECRET).await;
    bot.script(&[
        (500, serde_json::json!({"error": "down"})),
        (503, Value::Null),
    ]);
    let rig = rig(aws, &bot, 2).await;
    let id = rig.customer_says("m_bot_down", "Hello?").await;
    assert_eq!(bot.received().len(), 2, "tried max_failures times");
    let conv = rig.conversation(&id).await;
    assert_eq!(conv["state"], "offered", "{conv}");
    let esc = &conv["routing"]["bot"]["escalated"];
    assert_eq!(esc["by"], "switchboard", "{conv}");
    let reason = esc["reason"].as_str().unwrap();
    assert!(
        reason.contains("failed 2 times") && reason.contains("503"),
        "{reason}"
    );
    // An event after the escalation goes to the agent, not the bot.
    rig.customer_says("m_bot_down_2", "Anyone?").await;
    assert_eq!(bot.received().len(), 2);
}

async fn a_silent_bot_hands_over_in_time(aws: bool) {
    let bot = FakeBot::start(BOT_SECRET).await;
    let rig = rig(aws, &bot, 3).await;
    // The bot takes the event and says it will act later (empty 200)...
    let id = rig.customer_says("m_bot_quiet", "Is anyone there?").await;
    assert_eq!(rig.conversation(&id).await["state"], "bot");
    // ...and does not: after answer_within_seconds the scheduler hands over.
    rig.clock.advance_secs(30);
    switchboard_core::routing::engine::tick(&rig.router)
        .await
        .unwrap();
    assert_eq!(rig.conversation(&id).await["state"], "bot");
    rig.clock.advance_secs(31);
    let report = switchboard_core::routing::engine::tick(&rig.router)
        .await
        .unwrap();
    assert_eq!(report.bots_silent, 1, "{report:?}");
    let conv = rig.conversation(&id).await;
    assert_eq!(conv["state"], "offered", "{conv}");
    let reason = conv["routing"]["bot"]["escalated"]["reason"]
        .as_str()
        .unwrap();
    assert!(
        reason.contains("did not answer") && reason.contains("60 s"),
        "{reason}"
    );
}

async fn the_bot_ends_alone_with_its_survey(aws: bool) {
    let bot = FakeBot::start(BOT_SECRET).await;
    bot.script(&[(
        200,
        serde_json::json!({"messages": [{"text": "Your order ships today."}], "end": true}),
    )]);
    let rig = rig(aws, &bot, 3).await;
    let t0 = rig.clock.now();
    let id = rig.customer_says("m_bot_order", "Where is my order?").await;
    let conv = rig.conversation(&id).await;
    assert_eq!(conv["state"], "closed", "{conv}");
    assert!(
        conv["routing"]["reason"]
            .as_str()
            .unwrap()
            .contains("bot ended"),
        "{conv}"
    );
    rig.drain_sender().await;
    let sent = texts_sent(&rig);
    let texts: Vec<&str> = sent
        .iter()
        .filter_map(|s| s["message"]["text"].as_str())
        .collect();
    assert_eq!(
        texts,
        [
            "Hi, I am the Acme bot.",
            "Your order ships today.",
            "Did the bot help?"
        ],
        "{sent:?}"
    );
    assert_eq!(rig.clock.now(), t0);
}

async fn bad_bot_settings_are_refused_and_the_secret_never_shown(aws: bool) {
    let bot = FakeBot::start(BOT_SECRET).await;
    let rig = rig(aws, &bot, 3).await;
    let ws = rig.get_ok("/admin/v1/workstreams/support", ADMIN).await;
    assert_eq!(ws["bot"]["url"], bot.url.as_str(), "{ws}");
    assert!(!ws.to_string().contains(BOT_SECRET), "{ws}");
    for (bot, word) in [
        (
            serde_json::json!({"url": "http://bot.example.com/hook", "secret": BOT_SECRET}),
            "https",
        ),
        (
            serde_json::json!({"url": "https://bot.example.com/hook", "secret": "short"}),
            "16",
        ),
        (
            serde_json::json!({"url": "https://bot.example.com/hook", "secret": BOT_SECRET, "max_failures": 0}),
            "max_failures",
        ),
    ] {
        let (s, v) = rig
            .admin(
                "POST",
                "/admin/v1/workstreams",
                Some(serde_json::json!({
                "id": "other", "name": "Other", "locale": "en", "bot": bot})),
            )
            .await;
        assert_eq!(s, 422, "{v}");
        assert_eq!(v["code"], "invalid_bot", "{v}");
        assert!(v["detail"].as_str().unwrap().contains(word), "{v}");
    }
    // A new bot needs a secret; changing one keeps its secret.
    let (s, v) = rig
        .admin("POST", "/admin/v1/workstreams", Some(serde_json::json!({
            "id": "other", "name": "Other", "locale": "en", "bot": {"url": "https://bot.example.com/hook"}})))
        .await;
    assert_eq!(s, 422, "{v}");
    let (s, v) = rig
        .admin(
            "PATCH",
            "/admin/v1/workstreams/support",
            Some(serde_json::json!({
            "bot": {"url": bot.url, "timeout_ms": 1500}})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["bot"]["timeout_ms"], 1500, "{v}");
    bot.script(&[(
        200,
        serde_json::json!({"messages": [{"text": "Still signed."}]}),
    )]);
    rig.customer_says("m_bot_kept", "hello").await;
    assert!(bot.received().iter().all(|r| r.signature_ok));
    // null removes the bot: the next conversation goes to people at once.
    let (s, v) = rig
        .admin(
            "PATCH",
            "/admin/v1/workstreams/support",
            Some(serde_json::json!({"bot": null})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert!(v.get("bot").is_none(), "{v}");
}

async fn a_bot_token_acts_only_on_its_workstream(aws: bool) {
    let bot = FakeBot::start(BOT_SECRET).await;
    let rig = rig(aws, &bot, 3).await;
    // A second workstream, on page 2, with a bot of its own.
    let (s, v) = rig
        .admin(
            "POST",
            "/admin/v1/workstreams",
            Some(serde_json::json!({
            "id": "sales", "name": "Sales", "pages": [PAGE_2], "locale": "en",
            "distribution": {"fallback_queue": "general"},
            "bot": {"url": bot.url, "secret": BOT_SECRET}})),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let mine = rig.customer_says("m_scope_1", "Hello support").await;
    rig.deliver_on(
        PAGE_2,
        serde_json::json!({"sender": {"id": "7700000000000982"}, "recipient": {"id": PAGE_2},
        "timestamp": rig.clock.now().0, "message": {"mid": "m_scope_2", "text": "Hello sales"}}),
    )
    .await;
    let theirs = rig
        .get_ok("/admin/v1/conversations?psid=7700000000000982", ADMIN)
        .await["conversations"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, issued) = rig
        .admin(
            "POST",
            "/admin/v1/workstreams/support/bot-tokens",
            Some(serde_json::json!({"ttl_seconds": 600})),
        )
        .await;
    assert_eq!(s, 201, "{issued}");
    let token = issued["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("sbbt_"), "{issued}");

    // Its own workstream's conversation: read, answered, escalated.
    let v = rig
        .get_ok(&format!("/bot/v1/conversations/{mine}"), &token)
        .await;
    assert_eq!(v["conversation"]["state"], "bot", "{v}");
    assert!(
        v["transcript"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["text"] == "Hello support"),
        "{v}"
    );
    let (s, v) = rig
        .http(
            "POST",
            &format!("/bot/v1/conversations/{mine}/messages"),
            &token,
            Some(serde_json::json!({"text": "An agent will be with you."})),
        )
        .await;
    assert_eq!(s, 202, "{v}");
    // The other workstream's: not found, for every route.
    for (method, path, body) in [
        ("GET", format!("/bot/v1/conversations/{theirs}"), None),
        (
            "POST",
            format!("/bot/v1/conversations/{theirs}/messages"),
            Some(serde_json::json!({"text": "x"})),
        ),
        (
            "POST",
            format!("/bot/v1/conversations/{theirs}/escalate"),
            Some(serde_json::json!({"reason": "x"})),
        ),
        ("POST", format!("/bot/v1/conversations/{theirs}/end"), None),
    ] {
        let (s, v) = rig.http(method, &path, &token, body).await;
        assert_eq!(s, 404, "{method} {path}: {v}");
    }
    assert_eq!(rig.conversation(&theirs).await["state"], "bot");
    // Bad requests are refused with the reason.
    let (s, v) = rig
        .http(
            "POST",
            &format!("/bot/v1/conversations/{mine}/escalate"),
            &token,
            Some(serde_json::json!({"reason": ""})),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (422, Some("invalid_bot_request")),
        "{v}"
    );
    let (s, v) = rig
        .http(
            "POST",
            &format!("/bot/v1/conversations/{mine}/escalate"),
            &token,
            Some(serde_json::json!({"reason": "wants a person"})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["state"], "offered", "{v}");
    // Escalated: the bot may no longer act on it.
    let (s, v) = rig
        .http(
            "POST",
            &format!("/bot/v1/conversations/{mine}/end"),
            &token,
            None,
        )
        .await;
    assert_eq!(s, 409, "{v}");
    // Agent and admin tokens are not bot tokens; a revoked or expired one is refused.
    let anna = rig.token("anna").await;
    for bad in [anna.as_str(), ADMIN, "sbbt_nope"] {
        let (s, v) = rig
            .http("GET", &format!("/bot/v1/conversations/{mine}"), bad, None)
            .await;
        assert_eq!(s, 401, "{v}");
        assert!(v["detail"].as_str().unwrap().contains("bot-tokens"), "{v}");
    }
    rig.clock.advance_secs(601);
    let (s, _) = rig
        .http(
            "GET",
            &format!("/bot/v1/conversations/{mine}"),
            &token,
            None,
        )
        .await;
    assert_eq!(s, 401, "expired");
    let (s, issued) = rig
        .admin("POST", "/admin/v1/workstreams/support/bot-tokens", None)
        .await;
    assert_eq!(s, 201);
    let token = issued["token"].as_str().unwrap().to_string();
    let id = issued["token_id"].as_str().unwrap();
    let (s, _) = rig
        .http(
            "GET",
            &format!("/bot/v1/conversations/{mine}"),
            &token,
            None,
        )
        .await;
    assert_eq!(s, 200);
    let (s, v) = rig
        .admin(
            "DELETE",
            &format!("/admin/v1/workstreams/support/bot-tokens/{id}"),
            None,
        )
        .await;
    assert_eq!(s, 204, "{v}");
    let (s, _) = rig
        .http(
            "GET",
            &format!("/bot/v1/conversations/{mine}"),
            &token,
            None,
        )
        .await;
    assert_eq!(s, 401, "revoked");
}

both_stores!(
    the_bot_answers_first,
    the_bot_escalates_with_skills_and_attributes,
    a_bot_that_is_down_hands_over_after_max_failures,
    a_silent_bot_hands_over_in_time,
    the_bot_ends_alone_with_its_survey,
    bad_bot_settings_are_refused_and_the_secret_never_shown,
    a_bot_token_acts_only_on_its_workstream
);
