//! Meta's Conversation Routing, on the embedded store and on DynamoDB
//! (moto), against the fake Graph API's thread owners:
//! - while another app owns a thread, Meta copies the customer's events to
//!   Switchboard in `standby`: kept on the timeline as context, never
//!   routed, offered, given to a bot or answered from here;
//! - `pass_thread_control` to Switchboard routes the conversation to humans
//!   (not the bot), with the passing app and its metadata as attributes;
//! - `take_thread_control` ends the conversation with a note the agent sees;
//! - closing hands the thread back to the page's configured app, after the
//!   survey;
//! - a supervisor takes a thread, and answers another app's request;
//! - a send into a thread another app owns fails with the reason.

use serde_json::{Value, json};
use switchboard_core::Clock;
use switchboard_tests::agent_rig::*;
use switchboard_tests::fake_bot::FakeBot;
use switchboard_tests::fake_graph::OUR_APP;
use switchboard_tests::*;

const OTHER_APP: &str = "900000000000099";
const BOT_SECRET: &str = "bot-secret-0123456789abcdef";

/// anna in `general`; `vip` takes what the shop's bot passed with the
/// metadata `vip`; the workstream has a survey and (when given) a bot.
async fn rig(aws: bool, bot: Option<&FakeBot>) -> AgentRig {
    let mut ws = json!({"id": "support", "name": "Support", "pages": [PAGE_1], "locale": "en",
        "distribution": {"fallback_queue": "general"},
        "survey": {"question": "How did we do?"},
        "automated_messages": [{"trigger": "attachments_not_supported", "text": "No files here."}],
        "features": {"customer_attachments": false}});
    if let Some(b) = bot {
        ws["bot"] =
            json!({"url": b.url, "secret": BOT_SECRET, "timeout_ms": 2000, "max_failures": 2});
    }
    AgentRig::new(
        aws,
        RigSetup::new(json!({
            "queues": [{"id": "general", "name": "General"}, {"id": "vip", "name": "VIP"}],
            "agents": [{"id": "anna", "name": "Anna", "email": "anna@example.com",
                        "queues": ["general", "vip"], "presence": "available"}],
            "rulesets": [{"id": "handed-over", "name": "Handed over", "workstream": "support", "order": 1,
                "kind": "route_to_queue", "rules": [
                    {"name": "vip", "when": {"attribute": {"name": "thread_control_metadata", "equals": "vip"}}, "queue": "vip"}]}],
            "workstreams": [ws]
        })),
    )
    .await
}

/// One messaging event of `kind` (`pass_thread_control`...) from `psid`.
fn handover(rig: &AgentRig, psid: &str, kind: &str, body: Value) -> Value {
    json!({"sender": {"id": psid}, "recipient": {"id": PAGE_1},
           "timestamp": rig.clock.now().0, kind: body})
}

/// A POST that must succeed (200, or 202 for a message queued).
async fn post(rig: &AgentRig, uri: &str, bearer: &str, body: Option<Value>) -> Value {
    let (s, v) = rig.http("POST", uri, bearer, body).await;
    assert!(s == 200 || s == 202, "POST {uri}: {s} {v}");
    v
}

/// Customer `psid` writes `text`; anna accepts it (and what that sent is
/// out): the conversation and anna's token.
async fn accepted(rig: &AgentRig, psid: &str, mid: &str, text: &str) -> (String, String) {
    let id = rig.psid_says(psid, mid, text).await;
    let anna = rig.token("anna").await;
    post(
        rig,
        &format!("/agent/v1/conversations/{id}/accept"),
        &anna,
        None,
    )
    .await;
    rig.drain_sender().await;
    (id, anna)
}

/// PUT page 1's Conversation Routing settings: the status and the answer.
async fn set_routing(rig: &AgentRig, body: Value) -> (u16, Value) {
    rig.admin(
        "PUT",
        &format!("/admin/v1/accounts/{ACCOUNT}/pages/{PAGE_1}/conversation-routing"),
        Some(body),
    )
    .await
}

/// The transcript entry of conversation `id` whose text contains `needle`.
async fn transcript_entry(rig: &AgentRig, id: &str, needle: &str) -> Value {
    let timeline = rig
        .get_ok(&format!("/admin/v1/conversations/{id}/timeline"), ADMIN)
        .await;
    timeline["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["text"].as_str().is_some_and(|t| t.contains(needle)))
        .cloned()
        .unwrap_or_else(|| panic!("no {needle:?} in {timeline}"))
}

async fn standby_events_are_kept_not_routed(aws: bool) {
    let rig = rig(aws, None).await;
    let now = rig.clock.now().0;
    let psid = "7700000000000601";
    rig.deliver_body(json!({"object": "page", "entry": [{"id": PAGE_1, "time": now, "standby": [
        {"sender": {"id": psid}, "recipient": {"id": PAGE_1}, "timestamp": now,
         "message": {"mid": "m_standby_1", "text": "I am talking to the shop's bot"}},
        {"sender": {"id": psid}, "recipient": {"id": PAGE_1}, "timestamp": now + 1,
         "message": {"mid": "m_standby_2", "attachments": [{"type": "image", "payload": {"url": "https://scontent.example/x.jpg"}}]}}
    ]}]}))
    .await;
    let list = rig
        .get_ok(&format!("/admin/v1/conversations?psid={psid}"), ADMIN)
        .await;
    let conv = &list["conversations"][0];
    let id = conv["id"]
        .as_str()
        .unwrap_or_else(|| panic!("kept: {list}"));
    // Kept, with both events, and not routed: no queue, no offer.
    assert_eq!(conv["state"], "waiting", "{conv}");
    assert!(conv["routing"].is_null(), "{conv}");
    let timeline = rig
        .get_ok(&format!("/admin/v1/conversations/{id}/timeline"), ADMIN)
        .await;
    let notes: Vec<&str> = timeline["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["note"].as_str())
        .collect();
    assert!(notes.iter().any(|n| n.contains("standby")), "{timeline}");
    // Nothing was said to the customer (not even the attachments message).
    rig.drain_sender().await;
    assert!(rig.sent().is_empty(), "{:?}", rig.sent());
    let anna = rig.token("anna").await;
    let inbox = rig.get_ok("/agent/v1/conversations", &anna).await;
    assert_eq!(
        inbox["conversations"].as_array().map(Vec::len),
        Some(0),
        "{inbox}"
    );
}

async fn a_passed_thread_goes_to_humans_with_its_metadata(aws: bool) {
    let bot = FakeBot::start(BOT_SECRET).await;
    let rig = rig(aws, Some(&bot)).await;
    let psid = "7700000000000602";
    let now = rig.clock.now().0;
    // The shop's bot had the customer; Switchboard saw it in standby.
    rig.deliver_body(
        json!({"object": "page", "entry": [{"id": PAGE_1, "time": now, "standby": [
        {"sender": {"id": psid}, "recipient": {"id": PAGE_1}, "timestamp": now,
         "message": {"mid": "m_pass_1", "text": "I want to talk to a person"}}]}]}),
    )
    .await;
    // It passes the thread, saying why (app ids as numbers, as Meta sends them).
    let pass = handover(
        &rig,
        psid,
        "pass_thread_control",
        json!({"previous_owner_app_id": 900000000000099_u64, "new_owner_app_id": 900000000000001_u64, "metadata": "vip"}),
    );
    rig.deliver(pass.clone()).await;
    rig.deliver(pass.clone()).await; // Meta's redelivery changes nothing,
    // even after a later handover event.
    rig.deliver(handover(
        &rig,
        psid,
        "request_thread_control",
        json!({"requested_owner_app_id": OTHER_APP, "metadata": "back to the shop"}),
    ))
    .await;
    rig.deliver(pass).await;
    let list = rig
        .get_ok(&format!("/admin/v1/conversations?psid={psid}"), ADMIN)
        .await;
    assert_eq!(
        list["conversations"].as_array().map(Vec::len),
        Some(1),
        "{list}"
    );
    let conv = &list["conversations"][0];
    let id = conv["id"].as_str().unwrap();
    // To humans, never the bot: the rules read the metadata.
    assert_eq!(conv["state"], "offered", "{conv}");
    let r = &conv["routing"];
    assert_eq!(r["queue"], "vip", "{conv}");
    assert_eq!(r["attributes"]["thread_control_metadata"], "vip", "{conv}");
    assert_eq!(r["attributes"]["thread_control_from"], OTHER_APP, "{conv}");
    assert_eq!(r["thread"]["passed_from"], OTHER_APP, "{conv}");
    assert_eq!(r["thread"]["requested"]["app_id"], OTHER_APP, "{conv}");
    assert!(r["bot"].is_null(), "{conv}");
    assert!(
        bot.received().is_empty(),
        "the bot got {:?}",
        bot.received()
    );
    let routed = r["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["step"] == "thread_passed")
        .count();
    assert_eq!(routed, 1, "{conv}");
    // The agent reads what happened, in words.
    transcript_entry(
        &rig,
        id,
        "app 900000000000099 passed the conversation to Switchboard",
    )
    .await;
    // A pass with no conversation open opens one.
    let fresh = "7700000000000603";
    rig.deliver(handover(
        &rig,
        fresh,
        "pass_thread_control",
        json!({"new_owner_app_id": OUR_APP, "metadata": "from the page inbox"}),
    ))
    .await;
    let list = rig
        .get_ok(&format!("/admin/v1/conversations?psid={fresh}"), ADMIN)
        .await;
    assert_eq!(
        list["conversations"][0]["routing"]["queue"], "general",
        "{list}"
    );
}

async fn a_taken_thread_ends_the_conversation(aws: bool) {
    let rig = rig(aws, None).await;
    let psid = "7700000000000604";
    let (id, anna) = accepted(&rig, psid, "m_take_1", "Where is my parcel?").await;
    let before = rig.sent().len();
    // Meta's inbox takes the thread: a page admin answers there.
    rig.fake.set_thread_owner(PAGE_1, psid, "263902037430900");
    rig.deliver(handover(
        &rig,
        psid,
        "take_thread_control",
        json!({"previous_owner_app_id": OUR_APP, "new_owner_app_id": "263902037430900", "metadata": "page admin answers"}),
    ))
    .await;
    let conv = rig.conversation(&id).await;
    assert_eq!(conv["state"], "closed", "{conv}");
    let reason = conv["routing"]["reason"].as_str().unwrap();
    assert!(
        reason.contains("Meta's Page Inbox took the conversation"),
        "{reason}"
    );
    // anna hears why, and can no longer answer.
    let feed = rig.feed(&anna).await;
    assert!(
        feed.iter().any(|e| e["type"] == "closed"
            && e["data"]["reason"]
                .as_str()
                .is_some_and(|r| r.contains("took the conversation"))),
        "{feed:?}"
    );
    let (s, v) = rig
        .http(
            "POST",
            &format!("/agent/v1/conversations/{id}/messages"),
            &anna,
            Some(json!({"text": "Still there?"})),
        )
        .await;
    assert_eq!(s, 409, "{v}");
    // Nothing more went to the customer: no survey, no hand-back.
    rig.drain_sender().await;
    assert_eq!(rig.sent().len(), before, "{:?}", rig.sent());
    assert!(
        !rig.fake
            .requests()
            .iter()
            .any(|r| r.path.ends_with("/pass_thread_control")),
        "no hand-back"
    );
}

async fn closing_hands_the_thread_back(aws: bool) {
    let rig = rig(aws, None).await;
    let (s, v) = set_routing(&rig, json!({"mode": "standby", "hand_back_to": OTHER_APP})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["conversation_routing"]["hand_back_to"], OTHER_APP, "{v}");
    let (s, v) = set_routing(&rig, json!({"mode": "primary"})).await;
    assert_eq!(s, 400, "{v}");
    assert!(v["detail"].as_str().unwrap().contains("owner"), "{v}");
    let (s, v) = set_routing(&rig, json!({"mode": "owner", "hand_back_to": OUR_APP})).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (422, Some("invalid_conversation_routing")),
        "{v}"
    );
    let psid = "7700000000000605";
    let (id, anna) = accepted(&rig, psid, "m_back_1", "Can I change my order?").await;
    post(
        &rig,
        &format!("/agent/v1/conversations/{id}/messages"),
        &anna,
        Some(json!({"text": "Done, it is changed."})),
    )
    .await;
    post(
        &rig,
        &format!("/agent/v1/conversations/{id}/close"),
        &anna,
        None,
    )
    .await;
    rig.drain_sender().await;
    // The survey went first, then the thread, to the configured app.
    assert_eq!(rig.fake.thread_owner(PAGE_1, psid), OTHER_APP);
    let calls: Vec<String> = rig
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .map(|r| r.path)
        .collect();
    let survey_at = rig
        .sent()
        .iter()
        .position(|m| m["message"]["text"] == "How did we do?");
    assert!(survey_at.is_some(), "{:?}", rig.sent());
    let pass_at = calls
        .iter()
        .position(|p| p.ends_with("/pass_thread_control"));
    let last_send = calls.iter().rposition(|p| p.ends_with("/messages"));
    assert!(pass_at > last_send, "{calls:?}");
    let pass = rig
        .fake
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("/pass_thread_control"))
        .unwrap();
    let body: Value = serde_json::from_str(&pass.body).unwrap();
    assert_eq!(body["target_app_id"], OTHER_APP, "{body}");
    assert_eq!(body["recipient"]["id"], psid, "{body}");
    let handed = transcript_entry(&rig, &id, "handed back to app 900000000000099").await;
    assert_eq!(handed["status"], "sent", "{handed}");
    // The setting is exported with the page.
    let (s, exported) = rig.admin("GET", "/admin/v1/export?format=json", None).await;
    assert_eq!(s, 200, "{exported}");
    assert!(exported.to_string().contains("hand_back_to"), "{exported}");
}

async fn a_supervisor_takes_and_answers_requests(aws: bool) {
    let rig = rig(aws, None).await;
    let sup = rig.supervisor_token("anna").await;
    let now = rig.clock.now().0;
    // The shop's bot has this customer: Switchboard only sees standby.
    let psid = "7700000000000606";
    rig.fake.set_thread_owner(PAGE_1, psid, OTHER_APP);
    rig.deliver_body(
        json!({"object": "page", "entry": [{"id": PAGE_1, "time": now, "standby": [
        {"sender": {"id": psid}, "recipient": {"id": PAGE_1}, "timestamp": now,
         "message": {"mid": "m_sup_1", "text": "The bot does not understand me"}}]}]}),
    )
    .await;
    let list = rig
        .get_ok(&format!("/admin/v1/conversations?psid={psid}"), ADMIN)
        .await;
    let id = list["conversations"][0]["id"].as_str().unwrap().to_string();
    let control = format!("/admin/v1/conversations/{id}/thread-control");
    // Nobody asked for it: there is nothing to pass or keep.
    let (s, v) = rig
        .http("POST", &control, &sup, Some(json!({"action": "keep"})))
        .await;
    assert_eq!(s, 409, "{v}");
    let (s, v) = rig
        .http("POST", &control, &sup, Some(json!({"action": "grab"})))
        .await;
    assert!(s == 400 || s == 422, "{s} {v}");
    // The supervisor takes it: Switchboard owns the thread, humans get it.
    let v = post(&rig, &control, &sup, Some(json!({"action": "take"}))).await;
    assert_eq!(rig.fake.thread_owner(PAGE_1, psid), OUR_APP);
    assert_eq!(v["state"], "offered", "{v}");
    assert_eq!(
        v["routing"]["attributes"]["thread_control_from"], "supervisor",
        "{v}"
    );
    // Taking it again: Switchboard has it already.
    let (s, v) = rig
        .http("POST", &control, &sup, Some(json!({"action": "take"})))
        .await;
    assert_eq!(s, 409, "{v}");

    // The shop's bot asks for it back; the supervisor keeps it once...
    let ask = |meta: &str| {
        handover(
            &rig,
            psid,
            "request_thread_control",
            json!({"requested_owner_app_id": 900000000000099_u64, "metadata": meta}),
        )
    };
    rig.deliver(ask("order tracking")).await;
    let conv = rig.conversation(&id).await;
    assert_eq!(
        conv["routing"]["thread"]["requested"]["app_id"], OTHER_APP,
        "{conv}"
    );
    let v = post(&rig, &control, &sup, Some(json!({"action": "keep"}))).await;
    assert!(v["routing"]["thread"]["requested"].is_null(), "{v}");
    assert_eq!(v["state"], "offered", "{v}");
    // ...and passes it the second time: the conversation ends here.
    rig.clock.advance_secs(1);
    rig.deliver(ask("order tracking, again")).await;
    let v = post(&rig, &control, &sup, Some(json!({"action": "pass"}))).await;
    assert_eq!(v["state"], "closed", "{v}");
    assert_eq!(rig.fake.thread_owner(PAGE_1, psid), OTHER_APP);
    assert_eq!(v["routing"]["thread"]["gone_to"], OTHER_APP, "{v}");
    // No survey and no hand-back after giving it away.
    rig.drain_sender().await;
    assert!(rig.sent().is_empty(), "{:?}", rig.sent());
    let passes = rig
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/pass_thread_control"))
        .count();
    assert_eq!(passes, 1);
    // A plain agent may not do it.
    let agent = rig.token("anna").await;
    let (s, _) = rig
        .http("POST", &control, &agent, Some(json!({"action": "take"})))
        .await;
    assert_eq!(s, 403);
}

async fn a_send_into_a_thread_another_app_owns_fails_with_the_reason(aws: bool) {
    let rig = rig(aws, None).await;
    let psid = "7700000000000607";
    let (id, anna) = accepted(&rig, psid, "m_owner_1", "Hello?").await;
    // Another app took the thread and Meta's event has not arrived yet.
    rig.fake.set_thread_owner(PAGE_1, psid, OTHER_APP);
    post(
        &rig,
        &format!("/agent/v1/conversations/{id}/messages"),
        &anna,
        Some(json!({"text": "Here is the answer"})),
    )
    .await;
    rig.drain_sender().await;
    let reply = transcript_entry(&rig, &id, "Here is the answer").await;
    // Failed once, for good, with Meta's code and a reason a person reads.
    assert_eq!(reply["status"], "failed", "{reply}");
    assert_eq!(reply["failure"]["subcode"], 2018300, "{reply}");
    let reason = reply["failure"]["reason"].as_str().unwrap();
    assert!(
        reason.contains("Another app has this conversation"),
        "{reason}"
    );
    let tries = rig
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/messages") && r.body.contains("Here is the answer"))
        .count();
    assert_eq!(tries, 1, "not retried");
    let feed = rig.feed(&anna).await;
    assert!(
        feed.iter().any(|e| e["type"] == "send_failed"),
        "the agent is told: {feed:?}"
    );
}

/// Shapes other projects' tests carry (`handover-routing.json`): each is a
/// first-class event with what Meta said, none set aside, and delivered
/// they do what they mean.
async fn real_world_handover_bodies_are_first_class_events(aws: bool) {
    use switchboard_core::event::EventKind;
    use switchboard_core::messenger::Channel;
    let body = fixture("handover-routing.json");
    let split = switchboard_core::ingest::split_delivery(
        &ACCOUNT.parse().unwrap(),
        &body,
        switchboard_core::Millis(1_764_000_600_000),
    )
    .unwrap();
    assert!(split.aside.is_empty(), "{:?}", split.aside);
    let ev = &split.events;
    let kinds: Vec<(EventKind, Channel, Option<&str>)> = ev
        .iter()
        .map(|e| {
            (
                e.kind,
                e.channel,
                e.handover.as_ref().map(|h| h.action.as_str()),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            (
                EventKind::Handover,
                Channel::Messaging,
                Some("pass_thread_control")
            ),
            (
                EventKind::Handover,
                Channel::Messaging,
                Some("request_thread_control")
            ),
            (EventKind::Handover, Channel::Messaging, Some("app_roles")),
            (
                EventKind::Handover,
                Channel::Messaging,
                Some("take_thread_control")
            ),
            (EventKind::Echo, Channel::Standby, None),
            (EventKind::Postback, Channel::Standby, None),
        ]
    );
    let pass = ev[0].handover.as_ref().unwrap();
    assert_eq!(pass.previous_owner_app_id, None, "idle thread");
    assert_eq!(pass.new_owner_app_id.as_deref(), Some(OUR_APP));
    assert_eq!(
        ev[0].timestamp.0, 1_764_000_500_100,
        "no timestamp: the entry's time"
    );
    let ask = ev[1].handover.as_ref().unwrap();
    assert_eq!(
        ask.new_owner_app_id.as_deref(),
        Some(OTHER_APP),
        "numeric app id"
    );
    assert_eq!(ev[4].app_id.as_deref(), Some(OTHER_APP));
    assert_eq!(
        ev[4].psid.as_ref().map(|p| p.as_str()),
        Some("7700000000000003")
    );

    // Delivered: the pass is routed to humans; the rest is context.
    let rig = rig(aws, None).await;
    let json: Value = serde_json::from_slice(&body).unwrap();
    rig.deliver_body(json).await;
    let first = rig
        .get_ok("/admin/v1/conversations?psid=7700000000000001", ADMIN)
        .await;
    let c = &first["conversations"][0];
    assert_eq!(c["state"], "offered", "{first}");
    assert_eq!(
        c["routing"]["attributes"]["thread_control_metadata"],
        "idle thread, customer asked for support"
    );
    assert_eq!(c["routing"]["attributes"]["thread_control_from"], "unknown");
    for psid in ["7700000000000002", "7700000000000003"] {
        let v = rig
            .get_ok(&format!("/admin/v1/conversations?psid={psid}"), ADMIN)
            .await;
        let c = &v["conversations"][0];
        assert_eq!(c["state"], "waiting", "{v}");
        assert!(c["routing"].is_null(), "{v}");
    }
    let v = rig
        .get_ok("/admin/v1/conversations?psid=7700000000000003", ADMIN)
        .await;
    let id = v["conversations"][0]["id"].as_str().unwrap();
    transcript_entry(&rig, id, "another app took the conversation").await;
    rig.drain_sender().await;
    assert!(rig.sent().is_empty(), "{:?}", rig.sent());
}

/// A customer who writes again before the hand-back goes out keeps the
/// thread with Switchboard: the new conversation must be answerable.
async fn a_customer_back_before_the_hand_back_keeps_the_thread(aws: bool) {
    let rig = rig(aws, None).await;
    let (s, v) = set_routing(&rig, json!({"mode": "owner", "hand_back_to": OTHER_APP})).await;
    assert_eq!(s, 200, "{v}");
    let psid = "7700000000000608";
    let (id, anna) = accepted(&rig, psid, "m_again_1", "Is my order on its way?").await;
    post(
        &rig,
        &format!("/agent/v1/conversations/{id}/close"),
        &anna,
        None,
    )
    .await;
    // Before the sender runs, the customer writes again.
    let again = rig.psid_says(psid, "m_again_2", "One more thing").await;
    assert_ne!(again, id);
    rig.drain_sender().await;
    assert_eq!(rig.fake.thread_owner(PAGE_1, psid), OUR_APP);
    assert!(
        !rig.fake
            .requests()
            .iter()
            .any(|r| r.path.ends_with("/pass_thread_control")),
        "not passed"
    );
    let handed = transcript_entry(&rig, &id, "handed back").await;
    assert_eq!(handed["status"], "failed", "{handed}");
    assert!(
        handed["failure"]["reason"]
            .as_str()
            .is_some_and(|r| r.contains(&again)),
        "{handed}"
    );
}

/// A thread passed on a page no workstream feeds waits unrouted; when a
/// workstream with a bot starts feeding the page, it goes to people, not
/// the bot, with what the passing app said.
async fn a_passed_thread_routed_later_still_goes_to_people(aws: bool) {
    let bot = FakeBot::start(BOT_SECRET).await;
    let rig = rig(aws, Some(&bot)).await;
    let psid = "7700000000000609";
    rig.deliver_on(
        PAGE_2,
        json!({"sender": {"id": psid}, "recipient": {"id": PAGE_2}, "timestamp": rig.clock.now().0,
               "pass_thread_control": {"previous_owner_app_id": OTHER_APP, "metadata": "vip"}}),
    )
    .await;
    let list = rig
        .get_ok(&format!("/admin/v1/conversations?psid={psid}"), ADMIN)
        .await;
    let id = list["conversations"][0]["id"].as_str().unwrap().to_string();
    assert!(rig.conversation(&id).await["routing"]["queue"].is_null());
    let (s, v) = rig
        .admin(
            "PATCH",
            "/admin/v1/workstreams/support",
            Some(json!({"pages": [PAGE_1, PAGE_2]})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let conv = rig.conversation(&id).await;
    assert_eq!(conv["state"], "offered", "{conv}");
    assert_eq!(conv["routing"]["queue"], "vip", "{conv}");
    assert_eq!(
        conv["routing"]["attributes"]["thread_control_from"], OTHER_APP,
        "{conv}"
    );
    assert!(
        bot.received().is_empty(),
        "the bot got {:?}",
        bot.received()
    );
}

both_stores!(
    a_passed_thread_routed_later_still_goes_to_people,
    a_customer_back_before_the_hand_back_keeps_the_thread,
    real_world_handover_bodies_are_first_class_events,
    standby_events_are_kept_not_routed,
    a_passed_thread_goes_to_humans_with_its_metadata,
    a_taken_thread_ends_the_conversation,
    closing_hands_the_thread_back,
    a_supervisor_takes_and_answers_requests,
    a_send_into_a_thread_another_app_owns_fails_with_the_reason
);
