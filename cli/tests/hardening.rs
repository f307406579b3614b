//! `switchboard serve` facing hostile or careless clients: a short admin
//! token, a world-readable data dir, a client trickling its headers, a
//! client guessing tokens, and agent tokens that expire, are revoked, or
//! outlive their agent.

mod common;

use common::{Server, spawn_announced};
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_switchboard");
const ADMIN: &str = "hardening-admin-token-0123456789";

fn config(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("switchboard.yaml");
    std::fs::write(
        &path,
        "public_url: http://127.0.0.1:1\naccounts:\n  - id: acme\n    name: Acme\n    app_id: \"900000000000001\"\n    app_secret: hardening-app-secret\n    verify_token: hardening-verify-token-0123\n    pages:\n      - page_id: \"104857600000001\"\n        name: Acme Support\nagents:\n  - id: anna\n    name: Anna Jensen\n    email: anna@example.com\n    capacity: 2\n",
    )
    .unwrap();
    path
}

fn command(dir: &std::path::Path, admin: &str) -> Command {
    let mut c = Command::new(BIN);
    c.args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
        .arg(dir.join("data"))
        .arg("--config")
        .arg(config(dir))
        .env("SWITCHBOARD_ADMIN_TOKEN", admin)
        .env("SWITCHBOARD_GRAPH_URL", "http://127.0.0.1:9")
        .env("SWITCHBOARD_LOG", "warn");
    c
}

/// Start serve on port 0 and read the port it announces.
fn start(dir: &std::path::Path) -> Server {
    spawn_announced(
        command(dir, ADMIN).stderr(Stdio::null()),
        "switchboard listening on ",
    )
}

/// (status, body) of a request made with curl.
fn curl(port: u16, method: &str, path: &str, token: &str, body: Option<&str>) -> (u16, String) {
    let mut c = Command::new("curl");
    c.args(["-s", "-o", "-", "-w", "\n%{http_code}", "-X", method])
        .args(["-H", &format!("Authorization: Bearer {token}")])
        .args(["-H", "content-type: application/json"]);
    if let Some(b) = body {
        c.args(["--data", b]);
    }
    let out = c
        .arg(format!("http://127.0.0.1:{port}{path}"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let (body, status) = text.rsplit_once('\n').unwrap_or(("", "0"));
    (status.trim().parse().unwrap_or(0), body.to_string())
}

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

#[test]
fn a_short_admin_token_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let out = command(dir.path(), "only-twenty-characte")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("at least 24"), "{err}");
}

#[test]
fn the_data_dir_and_its_files_are_readable_by_their_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let _s = start(dir.path());
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700);
    for f in ["store.redb", "queues.redb"] {
        assert_eq!(mode(&data.join(f)), 0o600, "{f}");
    }
}

#[test]
fn a_client_trickling_its_headers_is_cut_off() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path());
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let started = Instant::now();
    conn.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    // Never finish the headers: the server must give up, not wait for ever.
    let mut buf = Vec::new();
    let _ = conn.read_to_end(&mut buf);
    assert!(
        started.elapsed() < Duration::from_secs(29),
        "the connection was closed by the server"
    );
    // And the server still answers others.
    assert_eq!(curl(s.port, "GET", "/healthz", "", None).0, 200);
}

#[test]
fn a_client_guessing_tokens_is_made_to_wait_and_others_are_not() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path());
    for i in 0..20 {
        let (status, _) = curl(
            s.port,
            "GET",
            "/admin/v1/accounts",
            &format!("guess-{i}"),
            None,
        );
        assert_eq!(status, 401);
    }
    let (status, body) = curl(s.port, "GET", "/admin/v1/accounts", ADMIN, None);
    assert_eq!(status, 429, "{body}");
    assert_eq!(json(&body)["code"], "too_many_failed_attempts");
    // Webhooks are not behind the budget.
    assert_eq!(curl(s.port, "GET", "/healthz", "", None).0, 200);
}

/// `switchboard agent link` prints a link on the public URL; its code is
/// exchanged once for a token; a used or guessed code is a `401` counted
/// toward the address's failed attempts, like a wrong token.
#[test]
fn a_sign_in_link_works_once_and_guessing_codes_is_made_to_wait() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path());
    let out = Command::new(BIN)
        .args(["agent", "--url", &format!("http://127.0.0.1:{}", s.port)])
        .args(["link", "anna"])
        .env("SWITCHBOARD_ADMIN_TOKEN", ADMIN)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let url = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let code = url
        .strip_prefix("http://127.0.0.1:1/sign-in?code=")
        .unwrap_or_else(|| panic!("a link on the public URL: {url}"))
        .to_string();
    let body = serde_json::json!({ "code": code }).to_string();
    let (status, signed) = curl(s.port, "POST", "/agent/v1/sign-in", "", Some(&body));
    assert_eq!(status, 200, "{signed}");
    let signed = json(&signed);
    assert_eq!(signed["agent_id"], "anna");
    assert_eq!(signed["supervisor"], false);
    let token = signed["token"].as_str().unwrap();
    let (status, me) = curl(s.port, "GET", "/agent/v1/presence", token, None);
    assert_eq!(status, 200, "{me}");

    let (status, again) = curl(s.port, "POST", "/agent/v1/sign-in", "", Some(&body));
    assert_eq!(status, 401, "{again}");
    assert_eq!(json(&again)["code"], "sign_in_link_invalid");
    for i in 0..19 {
        let guess = serde_json::json!({ "code": format!("guess-{i}") }).to_string();
        let (status, _) = curl(s.port, "POST", "/agent/v1/sign-in", "", Some(&guess));
        assert_eq!(status, 401);
    }
    let (status, body) = curl(s.port, "POST", "/agent/v1/sign-in", "", Some(&body));
    assert_eq!(status, 429, "{body}");
    assert_eq!(json(&body)["code"], "too_many_failed_attempts");
}

#[test]
fn agent_tokens_expire_are_revoked_and_die_with_their_agent() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path());
    let issue = |body: &str| {
        let (status, b) = curl(
            s.port,
            "POST",
            "/admin/v1/agents/anna/tokens",
            ADMIN,
            Some(body),
        );
        assert_eq!(status, 201, "{b}");
        json(&b)
    };
    let presence = |token: &str| curl(s.port, "GET", "/agent/v1/presence", token, None).0;

    let first = issue("{}");
    let token = first["token"].as_str().unwrap().to_string();
    assert!(first["token_id"].as_str().unwrap().starts_with("tk_"));
    let issued =
        switchboard_core::Millis::parse_rfc3339(first["issued_at"].as_str().unwrap()).unwrap();
    let expires =
        switchboard_core::Millis::parse_rfc3339(first["expires_at"].as_str().unwrap()).unwrap();
    assert_eq!(
        expires.0 - issued.0,
        12 * 3600 * 1000,
        "12 hours by default"
    );
    assert_eq!(presence(&token), 200);
    assert_eq!(
        curl(
            s.port,
            "POST",
            "/admin/v1/agents/anna/tokens",
            ADMIN,
            Some(r#"{"ttl_seconds":5}"#)
        )
        .0,
        422,
        "lifetimes under a minute are refused"
    );

    // Percent-encoded ids name the same agent.
    let (status, listed) = curl(s.port, "GET", "/admin/v1/agents/%61nna/tokens", ADMIN, None);
    assert_eq!(status, 200, "{listed}");
    assert_eq!(json(&listed)["tokens"].as_array().unwrap().len(), 1);
    assert!(!listed.contains(&token), "a token is never shown again");

    // Revoke one; a second time it is gone.
    let one = format!(
        "/admin/v1/agents/anna/tokens/{}",
        first["token_id"].as_str().unwrap()
    );
    assert_eq!(curl(s.port, "DELETE", &one, ADMIN, None).0, 204);
    assert_eq!(presence(&token), 401);
    assert_eq!(curl(s.port, "DELETE", &one, ADMIN, None).0, 404);

    // Revoke all.
    let a = issue("{}")["token"].as_str().unwrap().to_string();
    let b = issue(r#"{"supervisor":true}"#)["token"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, body) = curl(
        s.port,
        "DELETE",
        "/admin/v1/agents/anna/tokens",
        ADMIN,
        None,
    );
    assert_eq!((status, json(&body)["revoked"].as_u64()), (200, Some(2)));
    assert_eq!((presence(&a), presence(&b)), (401, 401));

    // Deleting the agent revokes its tokens; a new anna does not inherit them.
    let c = issue("{}")["token"].as_str().unwrap().to_string();
    assert_eq!(presence(&c), 200);
    assert_eq!(
        curl(s.port, "DELETE", "/admin/v1/agents/anna", ADMIN, None).0,
        204
    );
    let (status, body) = curl(
        s.port,
        "POST",
        "/admin/v1/agents",
        ADMIN,
        Some(r#"{"id":"anna","name":"Anna Again","email":"anna@example.com","capacity":1}"#),
    );
    assert_eq!(status, 201, "{body}");
    assert_eq!(presence(&c), 401, "the old token is dead");
}

/// Sign `body` with the account's app secret and send it with
/// `switchboard simulate`; Meta's delivery must be acknowledged.
fn deliver(dir: &std::path::Path, port: u16, body: &str) {
    let file = dir.join("delivery.json");
    std::fs::write(&file, body).unwrap();
    let out = Command::new(BIN)
        .args(["simulate", "--url", &format!("http://127.0.0.1:{port}")])
        .arg("--fixture")
        .arg(&file)
        .args(["--app-secret", "hardening-app-secret"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "acknowledged: {}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// The audit's poisoned deliveries, signed and sent to the real server: a
/// multi-byte id that once panicked a router worker (byte 80 inside a
/// character), a timestamp of 2^63-1 that broke every conversation list, an
/// event nested 130 levels deep whose timeline could not be read, another
/// product's object, and an entry for a page the account never connected.
/// Each is acknowledged, nothing breaks a list or a timeline, and routing
/// goes on for the next customer.
#[test]
fn poisoned_deliveries_are_acknowledged_and_break_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path());
    let page = "104857600000001";
    let long_id = "é".repeat(39) + "€";
    let deep = format!("{}1{}", "[".repeat(130), "]".repeat(130));
    let bodies = [
        format!(
            r#"{{"object":"page","entry":[{{"id":"{page}","time":1764000000000,"messaging":[{{"sender":{{"id":"{long_id}"}},"recipient":{{"id":"{page}"}},"timestamp":1764000000000,"message":{{"mid":"m_long","text":"x","quick_reply":{{"payload":"SURVEY:{long_id}:5"}}}}}}]}}]}}"#
        ),
        format!(
            r#"{{"object":"page","entry":[{{"id":"{page}","time":1764000000000,"messaging":[{{"sender":{{"id":"7700000000000101"}},"recipient":{{"id":"{page}"}},"timestamp":9223372036854775807,"message":{{"mid":"m_far","text":"from the far future"}}}}]}}]}}"#
        ),
        format!(
            r#"{{"object":"page","entry":[{{"id":"{page}","time":1764000000000,"messaging":[{{"sender":{{"id":"7700000000000102"}},"recipient":{{"id":"{page}"}},"timestamp":1764000000000,"message":{{"mid":"m_deep","text":"deep","x":{deep}}}}}]}}]}}"#
        ),
        r#"{"object":"instagram","entry":[{"id":"1","time":1,"messaging":[]}]}"#.to_string(),
        r#"{"object":"page","entry":[{"id":"999999999","time":1764000000000,"messaging":[{"sender":{"id":"7700000000000103"},"recipient":{"id":"999999999"},"timestamp":1764000000000,"message":{"mid":"m_stranger","text":"hi"}}]}]}"#.to_string(),
    ];
    for body in &bodies {
        deliver(dir.path(), s.port, body);
    }
    // A customer after them is still routed and listed.
    let normal = format!(
        r#"{{"object":"page","entry":[{{"id":"{page}","time":1764000000000,"messaging":[{{"sender":{{"id":"7700000000000104"}},"recipient":{{"id":"{page}"}},"timestamp":1764000000000,"message":{{"mid":"m_normal","text":"hello"}}}}]}}]}}"#
    );
    deliver(dir.path(), s.port, &normal);
    let deadline = Instant::now() + Duration::from_secs(20);
    let (list, notices) = loop {
        let (status, body) = curl(s.port, "GET", "/admin/v1/conversations", ADMIN, None);
        assert_eq!(status, 200, "the list never breaks: {body}");
        let list = json(&body);
        let (_, alerts) = curl(s.port, "GET", "/admin/v1/alerts", ADMIN, None);
        let alerts = json(&alerts);
        let notices = alerts["set_aside"].as_array().cloned().unwrap_or_default();
        let psids: Vec<String> = list["conversations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["psid"].as_str().unwrap_or("").to_string())
            .collect();
        if psids.iter().any(|p| p == "7700000000000104") && notices.len() >= 3 {
            break (list, notices);
        }
        assert!(
            Instant::now() < deadline,
            "not all processed: {list} {alerts}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    for c in list["conversations"].as_array().unwrap() {
        let id = c["id"].as_str().unwrap();
        let (status, body) = curl(
            s.port,
            "GET",
            &format!("/admin/v1/conversations/{id}/timeline"),
            ADMIN,
            None,
        );
        assert_eq!(status, 200, "every timeline reads back: {body}");
    }
    let far = list["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["psid"] == "7700000000000101")
        .expect("the far-future message is stored");
    let (_, timeline) = curl(
        s.port,
        "GET",
        &format!(
            "/admin/v1/conversations/{}/timeline",
            far["id"].as_str().unwrap()
        ),
        ADMIN,
        None,
    );
    assert_eq!(
        json(&timeline)["events"][0]["timestamp"],
        1_764_000_000_000i64,
        "its time fell back to the entry's: {timeline}"
    );
    let kinds: Vec<&str> = notices.iter().filter_map(|n| n["kind"].as_str()).collect();
    for kind in ["odd_shape", "other_object", "unknown_page"] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    // The server is still serving.
    assert_eq!(curl(s.port, "GET", "/healthz", "", None).0, 200);
}
