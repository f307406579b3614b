//! `switchboard simulate --age` against a real serve with the example's
//! routing (no HUMAN_AGENT tag): the delivered message carries Meta's
//! timestamp that long ago, a 30-hour-old one is routed as follow-up work
//! and `routing last` and `conversations` say so, a 90-minute-old one is
//! ordinary work, and an age that is not one is refused before anything
//! is sent.

mod common;

use common::{Server, spawn_announced};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const BIN: &str = env!("CARGO_BIN_EXE_switchboard");
const ADMIN: &str = "age-test-admin-token-0123456789";
const SECRET: &str = "age-test-app-secret";
const HOUR: i64 = 3_600_000;

fn start(dir: &std::path::Path) -> Server {
    let example = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/switchboard.yaml"
    ))
    .unwrap();
    let routing = &example[example.find("queues:").expect("the example has queues")..];
    let routing = routing.replace(
        r#"pages: ["104857600000001", "104857600000002"]"#,
        r#"pages: ["104857600000001"]"#,
    );
    let config = dir.join("switchboard.yaml");
    std::fs::write(
        &config,
        format!(
            "public_url: https://switchboard.age-test.example\naccounts:\n  - id: acme\n    name: Acme\n    app_id: \"900000000000001\"\n    app_secret: ${{TEST_APP_SECRET}}\n    verify_token: ${{TEST_VERIFY_TOKEN}}\n    pages:\n      - page_id: \"104857600000001\"\n        name: Acme Support\n{routing}"
        ),
    )
    .unwrap();
    spawn_announced(
        Command::new(BIN)
            .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
            .arg(dir.join("data"))
            .arg("--config")
            .arg(&config)
            .env("SWITCHBOARD_ADMIN_TOKEN", ADMIN)
            .env("SWITCHBOARD_GRAPH_URL", "http://127.0.0.1:9")
            .env("TEST_APP_SECRET", SECRET)
            .env("TEST_VERIFY_TOKEN", "age-test-verify-token-0123456789")
            .env("SWITCHBOARD_LOG", "warn")
            .stderr(Stdio::null()),
        "switchboard listening on ",
    )
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// Run the CLI against the server: success, and stdout with stderr.
fn cli(port: u16, args: &[&str]) -> (bool, String) {
    let out = Command::new(BIN)
        .args(args)
        .args(["--url", &format!("http://127.0.0.1:{port}")])
        .env("SWITCHBOARD_ADMIN_TOKEN", ADMIN)
        .env("SWITCHBOARD_APP_SECRET", SECRET)
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

/// The customer's conversation once routing has placed it (offered or waiting in a queue).
fn routed(port: u16, psid: &str) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let list = admin_get(port, &format!("/admin/v1/conversations?psid={psid}"));
        if let Some(c) = list["conversations"].as_array().and_then(|a| a.first())
            && c["routing"]["queue"].is_string()
        {
            return c.clone();
        }
        assert!(Instant::now() < deadline, "not routed: {list}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn simulate_age_delivers_an_old_message_and_routing_explains_the_closed_window() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    let port = server.port;
    let psid = "7100000000000301";

    let before = now_ms();
    let (ok, out) = cli(
        port,
        &[
            "simulate",
            "--psid",
            psid,
            "--text",
            "Hej, min faktura er forkert",
            "--age",
            "30h",
        ],
    );
    let after = now_ms();
    assert!(ok, "{out}");
    let conv = routed(port, psid);
    let id = conv["id"].as_str().unwrap().to_string();
    // Meta's timestamp is 30 hours before the command ran.
    let timeline = admin_get(port, &format!("/admin/v1/conversations/{id}/timeline"));
    let ts = timeline["events"][0]["timestamp"].as_i64().unwrap();
    assert!(
        (before - 30 * HOUR..=after - 30 * HOUR).contains(&ts),
        "{ts} not 30 h before {before}..{after}"
    );
    assert_eq!(timeline["events"][0]["raw"]["timestamp"], ts, "{timeline}");
    // No HUMAN_AGENT tag in the example: follow-up work, and it says so.
    assert_eq!(
        conv["routing"]["follow_up"]["reason"], "window_closed",
        "{conv}"
    );
    let (ok, out) = cli(port, &["routing", "last"]);
    assert!(ok, "{out}");
    assert!(
        out.contains("follow-up: the messaging window closed at")
            && out.contains("follow_up: follow-up work, costing no capacity")
            && out.contains("HUMAN_AGENT"),
        "{out}"
    );
    let (ok, out) = cli(port, &["conversations"]);
    assert!(ok, "{out}");
    let line = out.lines().find(|l| l.contains(&id)).unwrap_or_default();
    assert!(line.contains("follow-up: window closed"), "{out}");

    // 90 minutes: inside the 24 hours, ordinary work.
    let recent = "7100000000000302";
    let (ok, out) = cli(
        port,
        &[
            "simulate",
            "--psid",
            recent,
            "--text",
            "Hej, min faktura er forkert",
            "--age",
            "90m",
        ],
    );
    assert!(ok, "{out}");
    let conv = routed(port, recent);
    assert!(conv["routing"]["follow_up"].is_null(), "{conv}");
    let (ok, out) = cli(port, &["conversations"]);
    assert!(ok, "{out}");
    let line = out
        .lines()
        .find(|l| l.contains(conv["id"].as_str().unwrap()))
        .unwrap_or_default();
    assert!(!line.contains("follow-up"), "{out}");

    // Not an age: refused with what to give, and nothing reaches serve.
    let bad = "7100000000000303";
    for age in ["30", "30x", "1.5h", "-2h", "thirty"] {
        let (ok, out) = cli(port, &["simulate", "--psid", bad, "--age", age]);
        assert!(!ok, "--age {age} was taken: {out}");
        assert!(out.contains("45s, 90m, 30h or 8d"), "--age {age}: {out}");
    }
    let list = admin_get(port, &format!("/admin/v1/conversations?psid={bad}"));
    assert_eq!(list["conversations"], serde_json::json!([]), "{list}");
}
