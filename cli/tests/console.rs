//! The web console as `switchboard serve` gives it to a browser: the real
//! binary with `--console-dir` pointing at a built console, its files with
//! their cache headers, the single-page application's fallback, the APIs'
//! paths left to the APIs, and `/config.json`.

mod common;

use common::{Server, spawn_announced};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_switchboard");
const ADMIN: &str = "console-test-admin-token-0123456789";

fn start(data: &std::path::Path, extra: &[&std::ffi::OsStr]) -> Server {
    spawn_announced(
        Command::new(BIN)
            .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
            .arg(data)
            .args(extra)
            .env("SWITCHBOARD_ADMIN_TOKEN", ADMIN)
            .env("SWITCHBOARD_GRAPH_URL", "http://127.0.0.1:9")
            .env("SWITCHBOARD_LOG", "warn")
            .env_remove("SWITCHBOARD_CONSOLE_DIR")
            // Where there is no console/dist unless a test makes one.
            .current_dir(data.parent().unwrap())
            .stderr(Stdio::null()),
        "switchboard listening on ",
    )
}

/// Status, lower-cased headers and body of a request.
fn get(port: u16, method: &str, path: &str) -> (u16, Vec<(String, String)>, String) {
    let out = Command::new("curl")
        .args([
            "-s",
            "-i",
            "-X",
            method,
            &format!("http://127.0.0.1:{port}{path}"),
        ])
        .output()
        .expect("curl");
    let text = String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n");
    let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    (status, headers, body.to_string())
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

const INDEX: &str = "<!doctype html><title>Switchboard</title><div id=app></div>";

#[test]
fn serve_gives_the_console_its_files_fallback_and_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let console = dir.path().join("dist");
    std::fs::create_dir_all(console.join("assets")).unwrap();
    std::fs::write(console.join("index.html"), INDEX).unwrap();
    std::fs::write(console.join("assets/x.js"), "console.log(1)").unwrap();
    std::fs::write(console.join("favicon.svg"), "<svg/>").unwrap();
    let server = start(
        &dir.path().join("data"),
        &["--console-dir".as_ref(), console.as_os_str()],
    );
    let port = server.port;

    let (status, h, body) = get(port, "GET", "/");
    assert_eq!(status, 200);
    assert_eq!(body, INDEX);
    assert_eq!(header(&h, "content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(header(&h, "cache-control"), Some("no-cache"));

    let (status, h, body) = get(port, "GET", "/assets/x.js");
    assert_eq!(status, 200);
    assert_eq!(body, "console.log(1)");
    assert_eq!(
        header(&h, "content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert_eq!(
        header(&h, "cache-control"),
        Some("public, max-age=31536000, immutable")
    );

    let (status, h, _) = get(port, "GET", "/favicon.svg");
    assert_eq!(status, 200);
    assert_eq!(header(&h, "content-type"), Some("image/svg+xml"));

    // The application's own routes answer index.html, to be routed by it.
    for path in ["/inbox/anything", "/sign-in?code=abc", "/supervisor/"] {
        let (status, h, body) = get(port, "GET", path);
        assert_eq!(status, 200, "{path}");
        assert_eq!(body, INDEX, "{path}");
        assert_eq!(header(&h, "cache-control"), Some("no-cache"), "{path}");
    }

    // A missing hashed asset, a path escaping the folder, a POST: no page.
    for (method, path) in [
        ("GET", "/assets/gone-123.js"),
        ("GET", "/%2e%2e/data/secrets.json"),
        ("POST", "/inbox"),
    ] {
        let (status, h, body) = get(port, method, path);
        assert_eq!(status, 404, "{method} {path}: {body}");
        assert_eq!(
            header(&h, "content-type"),
            Some("application/problem+json"),
            "{path}"
        );
    }

    // The APIs keep their paths, and their problems.
    let (status, h, body) = get(port, "GET", "/agent/v1/unknown");
    assert_eq!(status, 401, "the caller is checked first: {body}");
    assert_eq!(header(&h, "content-type"), Some("application/problem+json"));
    let out = Command::new("curl")
        .args([
            "-s",
            "-w",
            "\n%{http_code}",
            "-H",
            &format!("Authorization: Bearer {ADMIN}"),
            &format!("http://127.0.0.1:{port}/admin/v1/unknown"),
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let (body, code) = text.rsplit_once('\n').unwrap();
    assert_eq!(code, "404", "{body}");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(body).unwrap()["status"],
        404
    );
    for path in ["/agent/other", "/healthz/x", "/webhook-nope"] {
        let (status, _, body) = get(port, "GET", path);
        assert!(status == 404 || status == 401, "{path}: {status} {body}");
        assert_ne!(body, INDEX, "{path}");
    }
    let (status, _, body) = get(port, "GET", "/healthz");
    assert_eq!(status, 200, "{body}");

    let (status, h, body) = get(port, "GET", "/config.json");
    assert_eq!(status, 200);
    assert_eq!(header(&h, "content-type"), Some("application/json"));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).unwrap(),
        serde_json::json!({"api_url": "", "ws_url": "", "auth": {"kind": "token"}})
    );
}

#[test]
fn without_a_console_the_root_says_how_to_build_one() {
    let dir = tempfile::tempdir().unwrap();
    // Run where there is no console/dist.
    let server = start(&dir.path().join("data"), &[]);
    let (status, h, body) = get(server.port, "GET", "/");
    assert_eq!(status, 404, "{body}");
    assert_eq!(header(&h, "content-type"), Some("application/problem+json"));
    let p: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(p["code"], "console_not_built");
    assert!(
        p["detail"].as_str().unwrap().contains("make console"),
        "{p}"
    );
    let (status, _, _) = get(server.port, "GET", "/inbox/x");
    assert_eq!(status, 404);
}

#[test]
fn a_console_dir_without_index_html_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path().join("data"))
        .arg("--console-dir")
        .arg(dir.path())
        .env("SWITCHBOARD_ADMIN_TOKEN", ADMIN)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no index.html"), "{err}");
}
