//! What the `make bench` load tools share: the `switchboard serve` of the `serve` profile
//! they start on a free loopback port, percentiles, and the server's CPU
//! and memory read from `/proc`.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The `switchboard` binary the load tools run: `target/serve/switchboard`
/// (the `serve` profile, built for speed), or `SWITCHBOARD_BENCH_BIN` (for
/// example the `profiling` build, with symbols for perf). Panics with how
/// to build it when it is missing.
pub fn serve_bin() -> std::path::PathBuf {
    let bin = std::env::var_os("SWITCHBOARD_BENCH_BIN")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| crate::workspace_root().join("target/serve/switchboard"));
    assert!(
        bin.exists(),
        "{} is missing: build it first with cargo build --profile serve -p switchboard-cli",
        bin.display()
    );
    bin
}

/// A `switchboard serve` (the `serve` profile) on a free loopback port with its own data
/// directory, killed when dropped.
pub struct ReleaseServe {
    pub child: Child,
    pub base: String,
    _dir: tempfile::TempDir,
}

impl ReleaseServe {
    /// Start the release binary with `config` (YAML) and `envs`, and wait
    /// until it listens. Panics with what to do when it cannot.
    pub fn start(config: &str, admin_token: &str, envs: &[(&str, String)]) -> ReleaseServe {
        let bin = serve_bin();
        let dir = tempfile::tempdir().expect("a temporary directory");
        let port = crate::free_port();
        let cfg = dir.path().join("sb.yaml");
        std::fs::write(&cfg, config).expect("write the configuration");
        let mut cmd = Command::new(&bin);
        cmd.args(["serve", "--addr", &format!("127.0.0.1:{port}"), "--config"])
            .arg(&cfg)
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .env("SWITCHBOARD_ADMIN_TOKEN", admin_token)
            .env("SWITCHBOARD_LOG", "error")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("serve.log")).expect("a log file"));
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start switchboard serve");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            let exited = matches!(child.try_wait(), Ok(Some(_)));
            if exited || Instant::now() > deadline {
                let log = std::fs::read_to_string(dir.path().join("serve.log")).unwrap_or_default();
                panic!("serve did not start: {log}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        ReleaseServe {
            child,
            base: format!("http://127.0.0.1:{port}"),
            _dir: dir,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for ReleaseServe {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `p` quantile (0..=1) of sorted samples, NaN when there are none.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(at).copied().unwrap_or(f64::NAN)
}

/// Milliseconds since the Unix epoch, as Meta's timestamps are.
pub fn now_ms() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default()
}

/// A signed-ready one-message delivery to page 104857600000001.
pub fn message_body(psid: &str, mid: &str, text: &str, ts: u128) -> Vec<u8> {
    serde_json::json!({"object": "page", "entry": [{"id": "104857600000001", "time": ts as u64,
        "messaging": [{"sender": {"id": psid}, "recipient": {"id": "104857600000001"},
        "timestamp": ts as u64, "message": {"mid": mid, "text": text}}]}]})
    .to_string()
    .into_bytes()
}

/// POST a signed delivery to `url` (as Meta signs it, with `secret`).
pub async fn deliver(
    client: &reqwest::Client,
    url: &str,
    secret: &str,
    body: Vec<u8>,
) -> reqwest::Result<reqwest::Response> {
    client
        .post(url)
        .header(
            "x-hub-signature-256",
            switchboard_core::signature::sign(secret.as_bytes(), &body),
        )
        .body(body)
        .send()
        .await
}

/// A process's resident memory in KiB (`VmRSS` in `/proc/{pid}/status`).
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// User + system clock ticks from a `/proc/.../stat` line.
fn stat_ticks(stat: &str) -> Option<u64> {
    // Fields after the command name (which may hold spaces): state is
    // the first, utime the 12th, stime the 13th.
    let (_, after) = stat.rsplit_once(')')?;
    let f: Vec<&str> = after.split_whitespace().collect();
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

/// Clock ticks per second (`sysconf(_SC_CLK_TCK)`).
fn ticks_per_second() -> Option<f64> {
    // SAFETY: sysconf only reads a configuration value.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    (per_second > 0).then_some(per_second as f64)
}

/// The CPU seconds (user + system) of a process's live threads so far,
/// by thread id, with each thread's name (`/proc/{pid}/task/*/comm` and
/// `stat`): where serve's CPU goes, its storage writers apart from its
/// runtime's threads. Threads that have exited are not listed (their time
/// is in the process's total).
pub fn cpu_seconds_by_thread(pid: u32) -> std::collections::BTreeMap<u32, (String, f64)> {
    let mut out = std::collections::BTreeMap::new();
    let (Ok(tasks), Some(per_second)) = (
        std::fs::read_dir(format!("/proc/{pid}/task")),
        ticks_per_second(),
    ) else {
        return out;
    };
    for task in tasks.flatten() {
        let dir = task.path();
        let (Some(tid), Ok(name), Some(ticks)) = (
            task.file_name()
                .to_str()
                .and_then(|t| t.parse::<u32>().ok()),
            std::fs::read_to_string(dir.join("comm")),
            std::fs::read_to_string(dir.join("stat"))
                .ok()
                .and_then(|s| stat_ticks(&s)),
        ) else {
            continue;
        };
        out.insert(tid, (name.trim().to_string(), ticks as f64 / per_second));
    }
    out
}

/// A process's CPU time so far (user + system, `/proc/{pid}/stat`), read
/// once it has finished what the load left queued: two readings half a
/// second apart that differ by at most one clock tick.
pub fn settled_cpu_seconds(pid: u32) -> Option<f64> {
    let ticks = || stat_ticks(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?);
    let mut last = ticks()?;
    for _ in 0..60 {
        std::thread::sleep(Duration::from_millis(500));
        let now = ticks()?;
        if now.saturating_sub(last) <= 1 {
            break;
        }
        last = now;
    }
    ticks_per_second().map(|per_second| last as f64 / per_second)
}
