//! One-time sign-in links through the admin and agent APIs, on the
//! embedded store and on DynamoDB + Secrets Manager (moto): a link on the
//! public URL, its code exchanged once for a working token (a supervisor's
//! when asked), refused when used, expired, guessed, or its agent deleted;
//! racing exchanges of one code give one token.

use switchboard_tests::agent_rig::*;
use switchboard_tests::*;

type Value = serde_json::Value;

async fn rig(aws: bool) -> AgentRig {
    AgentRig::new(
        aws,
        RigSetup::new(serde_json::json!({
                "queues": [{"id": "general", "name": "General"}],
                "agents": [
                    {"id": "anna", "name": "Anna", "email": "anna@example.com", "capacity": 2, "queues": ["general"]},
                    {"id": "bo", "name": "Bo", "email": "bo@example.com", "capacity": 2, "queues": ["general"]}
                ]
            })),
    )
    .await
}

async fn link(rig: &AgentRig, agent: &str, body: Value) -> String {
    let (status, v) = rig
        .admin(
            "POST",
            &format!("/admin/v1/agents/{agent}/sign-in-links"),
            Some(body),
        )
        .await;
    assert_eq!(status, 201, "{v}");
    v["code"].as_str().unwrap().to_string()
}

async fn exchange(rig: &AgentRig, code: &str) -> (u16, Value) {
    rig.http(
        "POST",
        "/agent/v1/sign-in",
        "not-a-token",
        Some(serde_json::json!({ "code": code })),
    )
    .await
}

fn refused((status, v): (u16, Value)) {
    assert_eq!(status, 401, "{v}");
    assert_eq!(v["code"], "sign_in_link_invalid", "{v}");
}

async fn a_link_signs_in_once(aws: bool) {
    let rig = rig(aws).await;
    let (status, link) = rig
        .admin("POST", "/admin/v1/agents/anna/sign-in-links", None)
        .await;
    assert_eq!(status, 201, "{link}");
    let code = link["code"].as_str().unwrap();
    assert!(code.len() >= 40, "{link}");
    assert_eq!(
        link["url"],
        format!("https://switchboard.example/sign-in?code={code}")
    );
    assert_eq!(link["agent_id"], "anna");
    assert_eq!(
        link["expires_at"],
        switchboard_core::Millis(T0 + 600_000).to_rfc3339()
    );

    let (status, signed) = exchange(&rig, code).await;
    assert_eq!(status, 200, "{signed}");
    assert_eq!(signed["agent_id"], "anna");
    assert_eq!(signed["supervisor"], false);
    let token = signed["token"].as_str().unwrap();
    let (status, me) = request_json(&rig.services, "GET", "/agent/v1/presence", token, None).await;
    assert_eq!(status, 200, "{me}");
    // The token is one of anna's, listed and revocable as any other.
    let (_, tokens) = rig.admin("GET", "/admin/v1/agents/anna/tokens", None).await;
    assert_eq!(tokens["tokens"][0]["token_id"], signed["token_id"]);

    refused(exchange(&rig, code).await);
    refused(exchange(&rig, "guessed-code").await);
    refused(exchange(&rig, "").await);
}

async fn a_supervisor_link_gives_a_supervisor_token(aws: bool) {
    let rig = rig(aws).await;
    let code = link(
        &rig,
        "bo",
        serde_json::json!({"supervisor": true, "ttl_seconds": 120}),
    )
    .await;
    let (status, signed) = exchange(&rig, &code).await;
    assert_eq!(status, 200, "{signed}");
    assert_eq!(signed["supervisor"], true);
    let token = signed["token"].as_str().unwrap();
    let (status, me) = request_json(&rig.services, "GET", "/agent/v1/me", token, None).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(
        (&me["agent_id"], &me["supervisor"]),
        (&"bo".into(), &true.into())
    );
    assert_eq!(
        (me["load"].as_u64(), me["capacity"].as_u64()),
        (Some(0), Some(2))
    );
}

async fn expired_links_and_links_of_deleted_agents_are_refused(aws: bool) {
    let rig = rig(aws).await;
    let short = link(&rig, "anna", serde_json::json!({"ttl_seconds": 60})).await;
    let long = link(&rig, "anna", serde_json::json!({})).await;
    let of_bo = link(&rig, "bo", serde_json::json!({})).await;
    rig.clock.advance_secs(61);
    refused(exchange(&rig, &short).await);
    let (status, _) = exchange(&rig, &long).await;
    assert_eq!(status, 200);
    let (status, v) = rig.admin("DELETE", "/admin/v1/agents/bo", None).await;
    assert_eq!(status, 204, "{v}");
    refused(exchange(&rig, &of_bo).await);
}

async fn racing_exchanges_of_one_code_give_one_token(aws: bool) {
    let rig = std::sync::Arc::new(rig(aws).await);
    let code = link(&rig, "anna", serde_json::json!({})).await;
    let races: Vec<_> = (0..6)
        .map(|_| {
            let (rig, code) = (rig.clone(), code.clone());
            tokio::spawn(async move { exchange(&rig, &code).await })
        })
        .collect();
    let mut ok = 0;
    for r in races {
        match r.await.unwrap() {
            (200, _) => ok += 1,
            other => refused(other),
        }
    }
    assert_eq!(ok, 1);
}

async fn bad_requests_are_refused(aws: bool) {
    let rig = rig(aws).await;
    let (status, v) = rig
        .admin("POST", "/admin/v1/agents/nobody/sign-in-links", None)
        .await;
    assert_eq!(status, 404, "{v}");
    for (body, want) in [
        (serde_json::json!({"ttl_seconds": 5}), 422),
        (serde_json::json!({"ttl_seconds": 86_401}), 422),
        (serde_json::json!({"admin": true}), 400),
    ] {
        let (status, v) = rig
            .admin("POST", "/admin/v1/agents/anna/sign-in-links", Some(body))
            .await;
        assert_eq!(status, want, "{v}");
    }
    for body in [
        serde_json::json!({}),
        serde_json::json!({"code": 5}),
        serde_json::json!({"code": "x", "agent_id": "anna"}),
    ] {
        let (status, v) =
            request_json(&rig.services, "POST", "/agent/v1/sign-in", "", Some(body)).await;
        assert_eq!(status, 400, "{v}");
    }
    let (status, v) = request_json(&rig.services, "GET", "/agent/v1/sign-in", "", None).await;
    assert_eq!(status, 405, "{v}");
}

both_stores!(
    a_link_signs_in_once,
    a_supervisor_link_gives_a_supervisor_token,
    expired_links_and_links_of_deleted_agents_are_refused,
    racing_exchanges_of_one_code_give_one_token,
    bad_requests_are_refused
);
