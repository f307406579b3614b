//! Configuration as code through the admin API, on both stores (embedded,
//! and DynamoDB on moto): the export is the whole file (accounts and pages,
//! queues, workstreams, rulesets, agents, canned responses) without
//! secrets, in JSON and YAML; it applies as it is and changes nothing
//! (secrets left out keep the stored ones, as `serve --config` does too); an
//! uploaded YAML file is dry-run and applied like the JSON body, and a bad
//! one is refused with where it went wrong, applying nothing.

use bytes::Bytes;
use serde_json::Value;
use switchboard_core::channels::{ApplyMode, apply_as};
use switchboard_core::config::Config;
use switchboard_core::ports::{app_secret_name, page_token_name};
use switchboard_tests::agent_rig::*;
use switchboard_tests::*;

/// The example configuration's routing, as the rig applies it.
async fn rig(aws: bool) -> AgentRig {
    AgentRig::new(
        aws,
        RigSetup::new(serde_json::json!({
            "queues": [
                {"id": "billing", "name": "Billing", "priority": 1,
                 "hours": {"time_zone": "Europe/Copenhagen", "weekly": {"monday": [{"from": "08:00", "to": "16:00"}]}}},
                {"id": "general", "name": "General", "priority": 5, "assignment": "round_robin",
                 "overflow": {"max_waiting": {"items": 10, "action": "transfer", "queue": "billing"}}}
            ],
            "agents": [
                {"id": "anna", "name": "Anna Ærø", "email": "anna@example.com", "skills": {"billing": 7},
                 "capacity": 2, "queues": ["billing", "general"], "presence": "available"}
            ],
            "workstreams": [
                {"id": "support", "name": "Support", "pages": [PAGE_1], "locale": "en",
                 "distribution": {"fallback_queue": "general", "offer_timeout_seconds": 120},
                 "automated_messages": [{"trigger": "queued", "locale": "da", "text": "Du er i kø hos {QueueName}."}],
                 "survey": {"question": "How did we do?", "thanks": "Thanks!"}}
            ],
            "rulesets": [
                {"id": "classify", "workstream": "support", "name": "Classify", "order": 1,
                 "kind": "classification",
                 "rules": [{"name": "danish invoices",
                            "when": {"all": [{"locale": "da"}, {"text_contains": "faktura"}]},
                            "set": {"skills": {"billing": 5}, "priority": 1, "attributes": {"topic": "billing"}}}]},
                {"id": "route", "workstream": "support", "name": "Route", "order": 2,
                 "kind": "route_to_queue",
                 "rules": [{"name": "billing", "when": {"attribute": {"name": "topic", "equals": "billing"}}, "queue": "billing"}]}
            ],
            "canned_responses": [
                {"id": "greeting-en", "workstream": "support", "locale": "en", "shortcut": "hello",
                 "title": "Greeting", "text": "Hi {CustomerName}!"}
            ]
        })),
    )
    .await
}

/// A raw request with the admin token: the status, content type and body.
async fn raw(
    rig: &AgentRig,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String, String) {
    let mut req = http::Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", format!("Bearer {ADMIN}"));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let r = dispatch(
        &rig.services,
        req.body(Bytes::from(body.to_string())).unwrap(),
    )
    .await;
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (
        r.status().as_u16(),
        ct,
        String::from_utf8(r.body().to_vec()).unwrap(),
    )
}

const YAML: (&str, &str) = ("content-type", "application/yaml");

/// Upload `yaml` to `POST /apply` (a dry run or not): the status and answer.
async fn upload(rig: &AgentRig, yaml: &str, dry_run: bool) -> (u16, Value) {
    let uri = format!("/admin/v1/apply?dry_run={dry_run}");
    let (s, _, body) = raw(rig, "POST", &uri, &[YAML], yaml).await;
    (s, serde_json::from_str(&body).unwrap())
}

fn changes(v: &Value) -> Vec<&str> {
    v["changes"]
        .as_array()
        .unwrap_or_else(|| panic!("no changes in {v}"))
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect()
}

fn no_secret_in(text: &str) {
    for secret in [APP_SECRET, VERIFY_TOKEN, PAGE_TOKEN] {
        assert!(!text.contains(secret), "a secret in the export: {text}");
    }
}

async fn an_export_applies_as_it_is(aws: bool) {
    let rig = rig(aws).await;
    let (s, ct, yaml) = raw(&rig, "GET", "/admin/v1/export?format=yaml", &[], "").await;
    assert_eq!((s, ct.as_str()), (200, "application/yaml; charset=utf-8"));
    no_secret_in(&yaml);
    // The whole file, each section as apply reads it.
    let file: Value = serde_yaml_ng::from_str(&yaml).unwrap();
    assert_eq!(file["accounts"][0]["id"], ACCOUNT);
    assert_eq!(file["accounts"][0]["pages"][0]["page_id"], PAGE_1);
    assert!(file["accounts"][0].get("app_secret").is_none(), "{file}");
    assert_eq!(
        file["queues"][1]["overflow"]["max_waiting"]["queue"],
        "billing"
    );
    assert_eq!(file["queues"][0]["hours"]["time_zone"], "Europe/Copenhagen");
    assert_eq!(file["workstreams"][0]["survey"]["thanks"], "Thanks!");
    assert_eq!(file["rulesets"][1]["kind"], "route_to_queue");
    assert_eq!(file["agents"][0]["skills"]["billing"], 7);
    assert_eq!(file["canned_responses"][0]["shortcut"], "hello");
    assert!(file["workstreams"][0].get("created_at").is_none(), "{file}");
    // Accept: application/yaml asks for the same.
    let (_, ct, again) = raw(
        &rig,
        "GET",
        "/admin/v1/export",
        &[("accept", "application/yaml")],
        "",
    )
    .await;
    assert_eq!(
        (ct.as_str(), again.as_str()),
        ("application/yaml; charset=utf-8", yaml.as_str())
    );
    let (s, _, _) = raw(&rig, "GET", "/admin/v1/export?format=xml", &[], "").await;
    assert_eq!(s, 400);

    // Uploaded as it is: nothing to do, dry run or not.
    for dry_run in [true, false] {
        let (s, v) = upload(&rig, &yaml, dry_run).await;
        assert_eq!(s, 200, "{v}");
        assert!(changes(&v).is_empty(), "{v}");
    }
    // The JSON export applies as a JSON body the same way.
    let (_, json) = rig.admin("GET", "/admin/v1/export", None).await;
    no_secret_in(&json.to_string());
    let (s, v) = rig.admin("POST", "/admin/v1/apply", Some(json)).await;
    assert_eq!((s, changes(&v)), (200, vec![]), "{v}");
    // And `serve --config` reads the same file: it keeps the stored secrets.
    let desired = Config::parse(&yaml, &|_| None)
        .unwrap()
        .to_desired()
        .unwrap();
    let report = apply_as(&rig.channels, desired, ApplyMode::Start)
        .await
        .unwrap();
    assert!(report.changes.is_empty(), "{:?}", report.changes);
    assert_secrets_kept(&rig).await;

    // An edited file: its diff, applied once; the second apply does nothing.
    let mut file: Value = serde_yaml_ng::from_str(&yaml).unwrap();
    file["queues"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"id": "vip", "name": "VIP", "priority": 0}));
    file["workstreams"][0]["locale"] = "da".into();
    let edited = serde_yaml_ng::to_string(&file).unwrap();
    let (s, dry) = upload(&rig, &edited, true).await;
    assert_eq!(
        (s, changes(&dry)),
        (200, vec!["create queue vip", "update workstream support"]),
        "{dry}"
    );
    let (_, still) = rig.admin("GET", "/admin/v1/queues/vip", None).await;
    assert_eq!(still["code"], "not_found", "a dry run changes nothing");
    let (_, done) = upload(&rig, &edited, false).await;
    assert_eq!(changes(&done), changes(&dry));
    let (_, second) = upload(&rig, &edited, false).await;
    assert!(changes(&second).is_empty(), "{second}");
    let (_, ws) = rig
        .admin("GET", "/admin/v1/workstreams/support", None)
        .await;
    assert_eq!(ws["locale"], "da");
}

async fn assert_secrets_kept(rig: &AgentRig) {
    let secrets = rig.channels.secrets.as_ref();
    let app = secrets
        .get(&app_secret_name(&ACCOUNT.parse().unwrap()))
        .await
        .unwrap();
    assert_eq!(app.as_ref().map(|s| s.expose()), Some(APP_SECRET));
    let page = secrets
        .get(&page_token_name(&PAGE_1.parse().unwrap()))
        .await
        .unwrap();
    assert_eq!(page.as_ref().map(|s| s.expose()), Some(PAGE_TOKEN));
}

/// A file naming the rig's account with `pages`, and a queue.
fn file_with(accounts: &str) -> String {
    format!(
        "public_url: http://elsewhere.example\n{accounts}queues:\n  - {{ id: billing, name: Billing, priority: 1 }}\n  - {{ id: general, name: General }}\n  - {{ id: extra, name: Extra }}\n"
    )
}

async fn secrets_left_out_are_kept_and_needed_for_new_ones(aws: bool) {
    let rig = rig(aws).await;
    let acme = format!(
        "accounts:\n  - id: {ACCOUNT}\n    name: Acme\n    app_id: \"900000000000001\"\n    pages:\n      - {{ page_id: \"{PAGE_1}\", name: Acme Support }}\n"
    );
    // A new account without its app secret: refused, naming it, nothing applied.
    let new_account =
        format!("{acme}  - id: globex\n    name: Globex\n    app_id: \"900000000000002\"\n");
    for dry_run in [true, false] {
        let (s, v) = upload(&rig, &file_with(&new_account), dry_run).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (422, Some("missing_app_secret")),
            "{v}"
        );
        assert!(v["detail"].as_str().unwrap().contains("globex"), "{v}");
        assert_eq!(v["field"], "accounts.globex.app_secret");
    }
    // A page not yet connected without its token: likewise.
    let new_page = acme.clone() + "      - { page_id: \"104857600000077\", name: Acme Shop }\n";
    let (s, v) = upload(&rig, &file_with(&new_page), false).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (422, Some("missing_access_token")),
        "{v}"
    );
    assert!(
        v["detail"].as_str().unwrap().contains("104857600000077"),
        "{v}"
    );
    let (s, _) = rig.admin("GET", "/admin/v1/queues/extra", None).await;
    assert_eq!(s, 404, "nothing applied");

    // The stored account and page without secrets: the secrets are kept;
    // an ${ENV} placeholder in an uploaded file is not read (the server has
    // not the operator's environment): kept likewise.
    let placeholders = acme
        .replace(
            "    pages:\n",
            "    app_secret: ${ACME_APP_SECRET}\n    verify_token: ${ACME_VERIFY_TOKEN}\n    pages:\n",
        )
        .replace("Acme Support }", "Acme Support, access_token: \"${ACME_PAGE_TOKEN}\" }");
    for file in [&acme, &placeholders] {
        let (s, v) = upload(&rig, &file_with(file), false).await;
        assert_eq!(s, 200, "{v}");
        assert!(
            changes(&v)
                .iter()
                .all(|c| !c.contains("secret") && !c.contains("token")),
            "{v}"
        );
        assert_secrets_kept(&rig).await;
    }
    // A new secret in the file replaces the stored one, as before.
    let replaced = acme.replace(
        "    pages:\n",
        "    app_secret: a-new-app-secret-0123456789\n    pages:\n",
    );
    let (_, v) = upload(&rig, &file_with(&replaced), false).await;
    assert_eq!(changes(&v), ["replace account acme's app secret"]);

    // The CLI still reads ${ENV} from its environment and sends the secret.
    let config = Config::parse(&file_with(&placeholders), &|k| {
        Some(if k == "ACME_APP_SECRET" {
            APP_SECRET.to_string()
        } else {
            format!("{k}-value-0123456789")
        })
    })
    .unwrap();
    assert_eq!(
        config.to_desired_json()["accounts"][0]["app_secret"],
        APP_SECRET
    );
    assert!(Config::parse(&file_with(&placeholders), &|_| None).is_err());
}

async fn a_bad_file_is_refused_with_where_and_applies_nothing(aws: bool) {
    let rig = rig(aws).await;
    for (file, line) in [
        ("queues:\n  - id: extra\n    name: [unclosed\n", None),
        ("# only a comment\n", None),
        // Read as the JSON body is: null is no name, not "null".
        ("queues:\n  - { id: extra, name: null }\n", None),
        ("public_url: null\n", None),
        (
            "queues:\n  - id: extra\n    name: Extra\n    colour: red\n",
            Some(4),
        ),
        (
            "queues:\n  - { id: extra, name: Extra }\nworkstream: []\n",
            Some(3),
        ),
    ] {
        let (s, v) = upload(&rig, file, true).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (400, Some("invalid_body")),
            "{file}: {v}"
        );
        if let Some(line) = line {
            assert_eq!(v["line"].as_u64(), Some(line), "{file}: {v}");
        }
    }
    // A number beyond 64 bits where a value is ignored (a day span's
    // extra member) reads as the JSON body's parser reads it: no error.
    let (s, v) = upload(
        &rig,
        "queues:\n  - id: extra\n    name: Extra\n    hours:\n      time_zone: Europe/Copenhagen\n      weekly:\n        monday: [{ from: \"08:00\", to: \"16:00\", note: 1012117937684497706450428100608 }]\n",
        true,
    )
    .await;
    assert_eq!(s, 200, "{v}");
    // An enum variant written as JSON writes it reads as the JSON body's.
    let (s, v) = upload(
        &rig,
        &format!("workstreams:\n  - {{ id: support, name: Support, locale: en, pages: [\"{PAGE_1}\"], distribution: {{ fallback_queue: general, wrap_up: {{ seconds: 60 }} }} }}\n"),
        true,
    )
    .await;
    assert_eq!(
        (s, changes(&v)),
        (200, vec!["update workstream support"]),
        "{v}"
    );
    // An unknown reference: the admin API's own 422, in a dry run as in
    // an apply, before anything changes.
    let unknown = [
        "agents:\n  - { id: cy, name: Cy, email: cy@example.com, queues: [nowhere] }\n",
        "queues:\n  - { id: billing, name: Billing }\nagents:\n  - { id: anna, name: Anna, email: anna@example.com, queues: [general] }\n",
        "rulesets:\n  - { id: r, workstream: nowhere, name: R, kind: route_to_queue, rules: [] }\n",
        "canned_responses:\n  - { id: c, workstream: nowhere, locale: en, shortcut: c, title: C, text: C }\n",
    ];
    for file in unknown {
        for dry_run in [true, false] {
            let (s, v) = upload(&rig, file, dry_run).await;
            assert_eq!(s, 422, "{file}: {v}");
            let detail = v["detail"].as_str().unwrap();
            assert!(
                detail.contains("nowhere") || detail.contains("general"),
                "{v}"
            );
        }
    }
    let (s, _) = rig.admin("GET", "/admin/v1/agents/anna", None).await;
    assert_eq!(s, 200, "nothing applied");
    let (s, v) = rig.admin("GET", "/admin/v1/queues", None).await;
    assert_eq!((s, v["queues"].as_array().unwrap().len()), (200, 2), "{v}");
    let (s, _, body) = raw(&rig, "POST", "/admin/v1/apply", &[YAML], "\u{0}\u{ff}").await;
    assert_eq!(s, 400, "{body}");
}

both_stores!(
    an_export_applies_as_it_is,
    secrets_left_out_are_kept_and_needed_for_new_ones,
    a_bad_file_is_refused_with_where_and_applies_nothing
);
