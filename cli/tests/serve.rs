//! `switchboard serve` as a user runs it: the real binary on port 0 (it
//! announces the port it bound),
//! a signed customer message from `switchboard simulate`, the conversation
//! read back through the admin API, and the state surviving a restart.

mod common;

use common::{Server, spawn_announced};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_switchboard");
const ADMIN: &str = "serve-test-admin-token-0123456789";
const SECRET: &str = "serve-test-app-secret";

/// Where the webhook callback URLs point (the port is not known before
/// serve starts).
const PUBLIC_URL: &str = "https://switchboard.serve-test.example";

fn config(dir: &std::path::Path, extra: &str) -> std::path::PathBuf {
    let path = dir.join("switchboard.yaml");
    std::fs::write(
        &path,
        format!(
            "public_url: {PUBLIC_URL}\naccounts:\n  - id: acme\n    name: Acme\n    app_id: \"900000000000001\"\n    app_secret: ${{TEST_APP_SECRET}}\n    verify_token: ${{TEST_VERIFY_TOKEN}}\n    pages:\n      - page_id: \"104857600000001\"\n        name: Acme Support\n{extra}"
        ),
    )
    .unwrap();
    path
}

fn start(dir: &std::path::Path) -> Server {
    // Nothing listens on port 9 of loopback: Graph calls would fail fast.
    start_with(dir, "http://127.0.0.1:9")
}

fn start_with(dir: &std::path::Path, graph_url: &str) -> Server {
    start_configured(dir, graph_url, "")
}

fn start_configured(dir: &std::path::Path, graph_url: &str, extra: &str) -> Server {
    spawn_announced(
        Command::new(BIN)
            .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
            .arg(dir.join("data"))
            .arg("--config")
            .arg(config(dir, extra))
            .env("SWITCHBOARD_ADMIN_TOKEN", ADMIN)
            .env("SWITCHBOARD_GRAPH_URL", graph_url)
            .env("TEST_APP_SECRET", SECRET)
            .env("TEST_VERIFY_TOKEN", "serve-test-verify-token-0123456789")
            .env("SWITCHBOARD_LOG", "warn")
            .stderr(Stdio::null()),
        "switchboard listening on ",
    )
}

fn admin_get(port: u16, path: &str) -> serde_json::Value {
    let out = Command::new("curl")
        .args([
            "-sf",
            "-H",
            &format!("Authorization: Bearer {ADMIN}"),
            &format!("http://127.0.0.1:{port}{path}"),
        ])
        .output()
        .expect("curl");
    serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null)
}

fn simulate(port: u16, psid: &str, text: &str) {
    let status = Command::new(BIN)
        .args([
            "simulate",
            "--url",
            &format!("http://127.0.0.1:{port}"),
            "--psid",
            psid,
            "--text",
            text,
        ])
        .env("SWITCHBOARD_APP_SECRET", SECRET)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "simulate failed");
}

fn wait_for_conversation(port: u16, psid: &str) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let list = admin_get(port, &format!("/admin/v1/conversations?psid={psid}"));
        if let Some(c) = list["conversations"].as_array().and_then(|a| a.first()) {
            return c.clone();
        }
        assert!(Instant::now() < deadline, "no conversation for {psid}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_simulated_customer_message_appears_in_a_conversation_and_survives_restart() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    let port = server.port;

    let health = Command::new("curl")
        .args(["-sf", &format!("http://127.0.0.1:{port}/healthz")])
        .output()
        .unwrap();
    assert!(health.status.success());

    simulate(port, "7700000000000042", "Where is my parcel?");
    let conv = wait_for_conversation(port, "7700000000000042");
    assert_eq!(conv["state"], "waiting");
    let id = conv["id"].as_str().unwrap().to_string();
    let timeline = admin_get(port, &format!("/admin/v1/conversations/{id}/timeline"));
    assert_eq!(timeline["events"][0]["text"], "Where is my parcel?");
    assert_eq!(timeline["events"][0]["kind"], "message");

    // A wrong secret is refused by the server and simulate reports it.
    let refused = Command::new(BIN)
        .args([
            "simulate",
            "--url",
            &format!("http://127.0.0.1:{port}"),
            "--text",
            "x",
        ])
        .env("SWITCHBOARD_APP_SECRET", "wrong")
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(!refused.success());

    drop(server);
    let server = start(dir.path());
    let port = server.port;
    let again = admin_get(port, &format!("/admin/v1/conversations/{id}/timeline"));
    assert_eq!(
        again["events"].as_array().map(Vec::len),
        Some(1),
        "state survives a restart"
    );
    simulate(port, "7700000000000042", "Hello again");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let tl = admin_get(port, &format!("/admin/v1/conversations/{id}/timeline"));
        if tl["events"].as_array().map(Vec::len) == Some(2) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "second message not on the same conversation"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn admin(port: u16, method: &str, path: &str, body: &str) -> serde_json::Value {
    let out = Command::new("curl")
        .args([
            "-s",
            "-X",
            method,
            "-H",
            &format!("Authorization: Bearer {ADMIN}"),
            "-H",
            "content-type: application/json",
        ])
        .args(["-d", body, &format!("http://127.0.0.1:{port}{path}")])
        .output()
        .expect("curl");
    serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null)
}

#[test]
fn an_administrator_connects_breaks_and_fixes_a_page_against_switchboard_fake_graph() {
    let dir = tempfile::tempdir().unwrap();
    let fake = spawn_announced(
        Command::new(BIN).args(["fake-graph", "--addr", "127.0.0.1:0"]),
        "fake Graph API on ",
    );
    let server = start_with(dir.path(), &format!("http://127.0.0.1:{}", fake.port));
    let port = server.port;

    let acct = admin(
        port,
        "POST",
        "/admin/v1/accounts",
        r#"{"id":"shop","name":"Shop","app_id":"900000000000001","app_secret":"shop-secret-0123"}"#,
    );
    assert_eq!(
        acct["callback_url"],
        format!("{PUBLIC_URL}/webhooks/facebook/shop")
    );
    assert!(acct["verify_token"].as_str().unwrap().len() >= 32);
    let page = admin(
        port,
        "POST",
        "/admin/v1/accounts/shop/pages",
        r#"{"page_id":"104857600000003","name":"Shop Help","access_token":"EAAB-page-104857600000003"}"#,
    );
    assert_eq!(page["provisioning"]["state"], "running", "{page}");

    let pages = || {
        let out = Command::new(BIN)
            .args(["pages", "--url", &format!("http://127.0.0.1:{port}")])
            .env("SWITCHBOARD_ADMIN_TOKEN", ADMIN)
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(
        pages()
            .lines()
            .any(|l| l.contains("104857600000003") && l.contains("running"))
    );

    // Break the token: Meta no longer accepts it.
    let broken = admin(
        port,
        "PUT",
        "/admin/v1/accounts/shop/pages/104857600000003/token",
        r#"{"access_token":"EAAB-page-104857600000003-revoked"}"#,
    );
    assert_eq!(broken["provisioning"]["state"], "error", "{broken}");
    let text = pages();
    assert!(
        text.lines().any(|l| l.contains("104857600000003")
            && l.contains("error")
            && l.contains("re-enter the page token")),
        "{text}"
    );
    assert!(
        text.contains("alert: page_error page 104857600000003"),
        "{text}"
    );

    // Fix it.
    let fixed = admin(
        port,
        "PUT",
        "/admin/v1/accounts/shop/pages/104857600000003/token",
        r#"{"access_token":"EAAB-page-104857600000003"}"#,
    );
    assert_eq!(fixed["provisioning"]["state"], "running", "{fixed}");
    assert!(!pages().contains("alert:"));
    drop(fake);
}

fn cli(port: u16, args: &[&str], envs: &[(&str, &str)]) -> (bool, String) {
    let out = Command::new(BIN)
        .args(args)
        .args(["--url", &format!("http://127.0.0.1:{port}")])
        .env("SWITCHBOARD_ADMIN_TOKEN", ADMIN)
        .envs(envs.iter().copied())
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn apply_twice_changes_nothing_and_export_round_trips() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let fake = rt.block_on(switchboard_tests::fake_graph::FakeGraph::start());
    let dir = tempfile::tempdir().unwrap();
    let server = start_with(dir.path(), &fake.base);
    let port = server.port;
    let file = dir.path().join("switchboard.yaml");
    let yaml = |shop_name: &str| {
        format!(
            "accounts:\n  - id: acme\n    name: Acme\n    app_id: \"900000000000001\"\n    app_secret: ${{TEST_APP_SECRET}}\n    verify_token: ${{TEST_VERIFY_TOKEN}}\n    pages:\n      - page_id: \"104857600000001\"\n        name: Acme Support\n  - id: shop\n    name: {shop_name}\n    app_id: \"900000000000001\"\n    app_secret: ${{SHOP_APP_SECRET}}\n    verify_token: ${{SHOP_VERIFY_TOKEN}}\n    pages:\n      - page_id: \"104857600000003\"\n        name: Shop Help\n        access_token: ${{SHOP_PAGE_TOKEN}}\n"
        )
    };
    let envs = [
        ("TEST_APP_SECRET", SECRET),
        ("TEST_VERIFY_TOKEN", "serve-test-verify-token-0123456789"),
        ("SHOP_APP_SECRET", "shop-app-secret"),
        ("SHOP_VERIFY_TOKEN", "shop-verify-token-0123456789"),
        ("SHOP_PAGE_TOKEN", "EAAB-page-104857600000003"),
    ];
    std::fs::write(&file, yaml("Shop")).unwrap();
    let f = file.to_str().unwrap();
    let (ok, out) = cli(port, &["apply", "-f", f], &envs);
    assert!(ok, "{out}");
    assert!(
        out.contains("did: create account shop")
            && out.contains("did: connect page 104857600000003"),
        "{out}"
    );
    assert!(!out.contains("warning"), "the page reached running: {out}");
    let (ok, out) = cli(port, &["apply", "-f", f], &envs);
    assert!(ok && out.trim() == "no changes", "second apply: {out}");

    std::fs::write(&file, yaml("Shop DK")).unwrap();
    let (_, out) = cli(port, &["apply", "-f", f, "--dry-run"], &envs);
    assert_eq!(out.trim(), "would: rename account shop to \"Shop DK\"");
    let (_, out) = cli(port, &["apply", "-f", f], &envs);
    assert!(out.contains("did: rename account shop"), "{out}");

    // A missing variable is named, and nothing is sent.
    let (ok, out) = cli(port, &["apply", "-f", f], &envs[..4]);
    assert!(!ok && out.contains("SHOP_PAGE_TOKEN"), "{out}");

    let exported = dir.path().join("exported.yaml");
    let (ok, out) = cli(port, &["export", "-o", exported.to_str().unwrap()], &[]);
    assert!(ok, "{out}");
    let text = std::fs::read_to_string(&exported).unwrap();
    assert!(
        text.contains("${SHOP_APP_SECRET}") && text.contains("${PAGE_104857600000003_TOKEN}"),
        "{text}"
    );
    assert!(
        !text.contains("shop-app-secret") && !text.contains("EAAB-page"),
        "no secret in the export"
    );
    let round_trip = [
        ("ACME_APP_SECRET", SECRET),
        ("ACME_VERIFY_TOKEN", "serve-test-verify-token-0123456789"),
        ("SHOP_APP_SECRET", "shop-app-secret"),
        ("SHOP_VERIFY_TOKEN", "shop-verify-token-0123456789"),
        ("PAGE_104857600000003_TOKEN", "EAAB-page-104857600000003"),
    ];
    let (ok, out) = cli(
        port,
        &["apply", "-f", exported.to_str().unwrap()],
        &round_trip,
    );
    assert!(
        ok && out.trim() == "no changes",
        "the export applies as no change: {out}\n{text}"
    );
    drop(rt);
}

/// The routing part of the example configuration, with page 1 only.
fn example_routing() -> String {
    let example = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/switchboard.yaml"
    ))
    .unwrap();
    let routing = &example[example
        .find("queues:")
        .expect("the example declares queues")..];
    routing.replace(
        r#"pages: ["104857600000001", "104857600000002"]"#,
        r#"pages: ["104857600000001"]"#,
    )
}

#[test]
fn the_example_routes_danish_invoices_to_billing_and_explains_why() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_configured(dir.path(), "http://127.0.0.1:9", &example_routing());
    let port = server.port;
    let (ok, out) = cli(port, &["agents"], &[]);
    assert!(ok, "{out}");
    assert!(
        out.contains("anna") && out.contains("available") && out.contains("0/2"),
        "{out}"
    );

    simulate(
        port,
        "7100000000000001",
        "Hej, jeg har et spørgsmål om min faktura fra sidste måned",
    );
    let conv = wait_for_conversation(port, "7100000000000001");
    let id = conv["id"].as_str().unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(10);
    let routing = loop {
        let r = admin_get(port, &format!("/admin/v1/conversations/{id}/routing"));
        if r["state"] == "offered" {
            break r;
        }
        assert!(Instant::now() < deadline, "not offered: {r}");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(routing["routing"]["queue"], "billing");
    assert_eq!(routing["routing"]["offer"]["agent"], "anna");
    let (ok, out) = cli(port, &["routing", &id], &[]);
    assert!(ok, "{out}");
    assert!(out.contains("danish invoices (matched)"), "{out}");
    assert!(
        out.contains("agent bo") && out.contains("skills"),
        "bo lacks billing >= 5: {out}"
    );
    assert!(out.contains("offered: offered to anna"), "{out}");

    // An English question goes to General; the supervisor takes carl offline first.
    let (ok, out) = cli(port, &["presence", "carl", "offline"], &[]);
    assert!(ok && out.contains("offline"), "{out}");
    simulate(
        port,
        "7100000000000002",
        "Hi, where is my parcel? It has not arrived.",
    );
    let conv = wait_for_conversation(port, "7100000000000002");
    let id2 = conv["id"].as_str().unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r = admin_get(port, &format!("/admin/v1/conversations/{id2}/routing"));
        if r["state"] == "offered" {
            assert_eq!(r["routing"]["queue"], "general");
            assert_ne!(r["routing"]["offer"]["agent"], "carl");
            break;
        }
        assert!(Instant::now() < deadline, "not offered: {r}");
        std::thread::sleep(Duration::from_millis(100));
    }

    // The routing configuration exports and applies back as no change.
    let exported = dir.path().join("exported.yaml");
    let (ok, out) = cli(port, &["export", "-o", exported.to_str().unwrap()], &[]);
    assert!(ok, "{out}");
    let text = std::fs::read_to_string(&exported).unwrap();
    assert!(
        text.contains("danish invoices") && text.contains("anna@example.com"),
        "{text}"
    );
    let envs = [
        ("ACME_APP_SECRET", SECRET),
        ("ACME_VERIFY_TOKEN", "serve-test-verify-token-0123456789"),
    ];
    let (ok, out) = cli(port, &["apply", "-f", exported.to_str().unwrap()], &envs);
    assert!(ok && out.trim() == "no changes", "{out}\n{text}");
    // A change to a rule is one update.
    std::fs::write(&exported, text.replace("faktura", "regning")).unwrap();
    let (ok, out) = cli(
        port,
        &["apply", "-f", exported.to_str().unwrap(), "--dry-run"],
        &envs,
    );
    assert!(
        ok && out.trim() == "would: update ruleset classify",
        "{out}"
    );
}

/// An agent's socket on a real serve: opened with a token the admin API
/// issued, it receives the offer of a simulated customer's message routed
/// to that agent, pushed, with no poll.
#[test]
fn an_agent_socket_receives_the_offer_of_a_simulated_message() {
    use futures::StreamExt;
    use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest};
    let dir = tempfile::tempdir().unwrap();
    let server = start_configured(dir.path(), "http://127.0.0.1:9", &example_routing());
    let port = server.port;
    let issued = admin(port, "POST", "/admin/v1/agents/anna/tokens", "{}");
    let token = issued["token"].as_str().expect("a token").to_string();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut ws = rt.block_on(async {
        let mut req = format!("ws://127.0.0.1:{port}/agent/v1/stream")
            .into_client_request()
            .unwrap();
        req.headers_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
        tokio_tungstenite::connect_async(req).await.unwrap().0
    });
    simulate(
        port,
        "7100000000000009",
        "Hej, jeg har et spørgsmål om min faktura fra sidste måned",
    );
    let conv = wait_for_conversation(port, "7100000000000009");
    let frame = rt.block_on(async {
        loop {
            let m = tokio::time::timeout(Duration::from_secs(30), ws.next())
                .await
                .expect("a frame")
                .expect("open")
                .expect("no error");
            if let Message::Text(t) = m {
                break serde_json::from_str::<serde_json::Value>(&t).unwrap();
            }
        }
    });
    assert_eq!(frame["event"]["type"], "offer", "{frame}");
    assert_eq!(frame["event"]["conversation_id"], conv["id"], "{frame}");
    assert_eq!(frame["cursor"], frame["event"]["cursor"]);
}

#[test]
fn a_reader_that_goes_away_ends_the_cli_quietly_and_a_piped_log_has_no_colours() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = spawn_announced(
        Command::new(BIN)
            .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
            .arg(dir.path().join("data"))
            .arg("--config")
            .arg(config(dir.path(), ""))
            .env("SWITCHBOARD_ADMIN_TOKEN", ADMIN)
            .env("SWITCHBOARD_GRAPH_URL", "http://127.0.0.1:9")
            .env("TEST_APP_SECRET", SECRET)
            .env("TEST_VERIFY_TOKEN", "serve-test-verify-token-0123456789")
            .env_remove("SWITCHBOARD_LOG")
            .stderr(Stdio::piped()),
        "switchboard listening on ",
    );
    let port = server.port;
    simulate(port, "7700000000000777", "Hello from a pipe");
    wait_for_conversation(port, "7700000000000777");

    // `switchboard conversations | head -0`: the reader is gone before the
    // first line is written.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = Command::new(BIN)
        .args([
            "conversations",
            "--url",
            &format!("http://127.0.0.1:{port}"),
        ])
        .env("SWITCHBOARD_ADMIN_TOKEN", ADMIN)
        .stdout(Stdio::from(writer))
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}: {stderr}", out.status);
    assert!(!stderr.contains("panicked"), "{stderr}");

    // The server's log went to a pipe: plain text, and no metric lines at
    // the default level.
    let _ = server.child.kill();
    let mut log = String::new();
    if let Some(mut e) = server.child.stderr.take() {
        use std::io::Read as _;
        e.read_to_string(&mut log).unwrap();
    }
    assert!(log.contains("INFO"), "the log has info lines: {log}");
    assert!(
        !log.contains('\u{1b}'),
        "no ANSI escapes in a piped log: {log}"
    );
    assert!(
        !log.contains("switchboard::metric"),
        "metrics only at debug: {log}"
    );
}

#[test]
fn the_cli_finds_the_admin_token_a_local_serve_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    let port = server.port;
    simulate(port, "7700000000000778", "Where is my token?");
    wait_for_conversation(port, "7700000000000778");
    let recorded = dir.path().join("data").join("admin-token");
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&recorded).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "owner-only");
    }
    let run = |url: &str| {
        Command::new(BIN)
            .args(["conversations", "--url", url])
            .env_remove("SWITCHBOARD_ADMIN_TOKEN")
            .env("SWITCHBOARD_DATA_DIR", dir.path().join("data"))
            .output()
            .unwrap()
    };
    let out = run(&format!("http://127.0.0.1:{port}"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("7700000000000778"));

    // `last` stands for the newest conversation, wherever an id is taken.
    let timeline = Command::new(BIN)
        .args([
            "timeline",
            "last",
            "--url",
            &format!("http://127.0.0.1:{port}"),
        ])
        .env_remove("SWITCHBOARD_ADMIN_TOKEN")
        .env("SWITCHBOARD_DATA_DIR", dir.path().join("data"))
        .output()
        .unwrap();
    assert!(
        timeline.status.success(),
        "{}",
        String::from_utf8_lossy(&timeline.stderr)
    );
    assert!(String::from_utf8_lossy(&timeline.stdout).contains("Where is my token?"));

    // Another machine never gets it: a clear error, and a failure status.
    let out = run("https://switchboard.example.invalid");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("SWITCHBOARD_ADMIN_TOKEN"), "{err}");
}

#[test]
fn errors_say_what_to_do_and_the_shell_completes_the_commands() {
    let dir = tempfile::tempdir().unwrap();
    // A typo in the file: the field, the item by its id, and the line.
    let typo = config(
        dir.path(),
        "queues:\n  - id: billing\n    name: Billing\n  - id: general\n    name: General\n    priorty: 5\n",
    );
    let out = Command::new(BIN)
        .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path().join("typo"))
        .arg("--config")
        .arg(&typo)
        .env("SWITCHBOARD_ADMIN_TOKEN", ADMIN)
        .env("TEST_APP_SECRET", SECRET)
        .env("TEST_VERIFY_TOKEN", "serve-test-verify-token-0123456789")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains(
            "queues[1].priorty (queue \"general\") at line 16 column 5: unknown field `priorty`"
        ),
        "{err}"
    );

    // A page id YAML read as a number: quote it.
    let numeric = config(
        dir.path(),
        "workstreams:\n  - id: support\n    name: Support\n    pages: [104857600000001]\n",
    );
    let (ok, said) = {
        let out = Command::new(BIN)
            .args([
                "apply",
                "--dry-run",
                "--url",
                "http://127.0.0.1:9",
                "--file",
            ])
            .arg(&numeric)
            .env("SWITCHBOARD_ADMIN_TOKEN", ADMIN)
            .env("TEST_APP_SECRET", SECRET)
            .env("TEST_VERIFY_TOKEN", "serve-test-verify-token-0123456789")
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    assert!(!ok);
    assert!(
        said.contains("workstreams[0].pages[0] (workstream \"support\")"),
        "{said}"
    );
    assert!(said.contains("write it in quotes"), "{said}");

    // A wrong token: which one is expected, and where it is.
    let server = start(dir.path());
    let (ok, said) = cli(
        server.port,
        &["conversations"],
        &[("SWITCHBOARD_ADMIN_TOKEN", "not-the-admin-token")],
    );
    assert!(!ok);
    assert!(
        said.contains("401") && said.contains("admin token") && said.contains("admin-token"),
        "{said}"
    );
    let out = Command::new(BIN)
        .args([
            "agent",
            "--url",
            &format!("http://127.0.0.1:{}", server.port),
            "inbox",
        ])
        .env("SWITCHBOARD_AGENT_TOKEN", ADMIN)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(said.contains("switchboard agent token AGENT_ID"), "{said}");

    // Completion for bash names the commands; an unknown shell is refused.
    let out = Command::new(BIN)
        .args(["completions", "bash"])
        .output()
        .unwrap();
    let script = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        script.contains("_switchboard") && script.contains("simulate") && script.contains("--tap"),
        "completion script"
    );
    assert!(
        !Command::new(BIN)
            .args(["completions", "tcsh"])
            .output()
            .unwrap()
            .status
            .success()
    );
}
