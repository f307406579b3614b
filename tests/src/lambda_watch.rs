//! `cargo lambda watch` for the Lambda smoke test and the router bench: the
//! emulator started on a free loopback port with the functions'
//! environment, its output (and the functions') in a log file, and the
//! whole process group killed when it is dropped.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// cargo-lambda from .venv (make test installs it there), else from PATH.
pub fn cargo_lambda() -> PathBuf {
    let venv = crate::workspace_root().join(".venv/bin/cargo-lambda");
    if venv.exists() {
        venv
    } else {
        PathBuf::from("cargo-lambda")
    }
}

/// A running `cargo lambda watch`.
pub struct Watch {
    child: Child,
    /// The port its Lambda invoke API listens on (127.0.0.1).
    pub port: u16,
}

impl Watch {
    /// Start the emulator for the workspace's functions with `envs` (and
    /// `args`, for example `--release`), writing everything it and the
    /// functions print to `log`; return once it accepts connections.
    pub fn start(envs: &[(&str, String)], args: &[&str], log: &Path) -> Watch {
        let port = crate::free_port();
        let mut cmd = Command::new(cargo_lambda());
        cmd.args([
            "lambda",
            "watch",
            "--ignore-changes",
            "-A",
            "127.0.0.1",
            "-P",
            &port.to_string(),
        ])
        .args(args);
        for (k, v) in envs {
            cmd.arg("--env-var").arg(format!("{k}={v}"));
        }
        let log = std::fs::File::create(log).expect("the watch log file");
        cmd.current_dir(crate::workspace_root())
            .stdout(log.try_clone().expect("the watch log file"))
            .stderr(log)
            .process_group(0);
        let watch = Watch {
            child: cmd
                .spawn()
                .expect("cargo lambda watch (run make test to install cargo-lambda)"),
            port,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "cargo lambda watch did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        watch
    }

    /// The Lambda Invoke API's URL for `function`.
    pub fn invoke_url(&self, function: &str) -> String {
        format!(
            "http://127.0.0.1:{}/2015-03-31/functions/{function}/invocations",
            self.port
        )
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        // The watcher and the functions it started share a process group.
        // SAFETY: kill only sends a signal to the group this child leads.
        unsafe {
            libc::kill(-(self.child.id() as i32), libc::SIGKILL);
        }
        let _ = self.child.wait();
    }
}

/// The process running the built binary `exe` (for example
/// `target/release/router`), found by its executable in `/proc`.
pub fn process_of(exe: &Path) -> Option<u32> {
    std::fs::read_dir("/proc")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .find(|pid| std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|p| p == exe))
}

/// What the functions use, on this process's moto: the table seeded from
/// a configuration file, the inbound and outbound queues, the secrets, the
/// WebSocket connections table and a fake Management API.
pub struct MotoStack {
    pub store: std::sync::Arc<switchboard_aws::DynamoStore>,
    pub inbound: crate::SqsQueues,
    pub outbound: crate::SqsQueues,
    pub secrets_prefix: String,
    pub connections: switchboard_aws::connections::Connections,
    pub management: crate::fake_ws::FakeManagementApi,
}

impl MotoStack {
    /// Fresh resources (named from `tag`), with `config_yaml` applied as
    /// `switchboard serve` applies its file (accounts and their secrets).
    pub async fn seed(tag: &str, config_yaml: &str) -> MotoStack {
        let cfg = crate::aws_config().await;
        let store = crate::dynamo_store().await;
        let inbound = crate::sqs_queue(switchboard_embedded::QueueConfig::default()).await;
        let outbound = crate::sqs_queue(switchboard_embedded::QueueConfig::default()).await;
        let secrets_prefix = crate::unique(tag);
        let secrets = switchboard_aws::SecretsManager::new(&cfg, secrets_prefix.clone());
        let config = switchboard_core::config::Config::parse(config_yaml, &|_| None)
            .expect("a valid configuration");
        switchboard_core::config::apply_local(
            &config,
            store.as_ref(),
            &secrets,
            &switchboard_core::SystemClock,
        )
        .await
        .expect("the configuration applied on moto");
        MotoStack {
            store,
            inbound,
            outbound,
            secrets_prefix,
            connections: crate::moto_connections().await,
            management: crate::fake_ws::FakeManagementApi::start().await,
        }
    }

    /// The functions' environment: the AWS SDK pointed at this process's
    /// moto, and these resources.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", crate::moto_endpoint().to_string()),
            ("AWS_REGION", "us-east-1".to_string()),
            ("AWS_ACCESS_KEY_ID", "test".to_string()),
            ("AWS_SECRET_ACCESS_KEY", "test".to_string()),
            ("SWITCHBOARD_TABLE", self.store.table().to_string()),
            (
                "SWITCHBOARD_INBOUND_QUEUE_URL",
                self.inbound.queue.url().to_string(),
            ),
            (
                "SWITCHBOARD_OUTBOUND_QUEUE_URL",
                self.outbound.queue.url().to_string(),
            ),
            ("SWITCHBOARD_SECRETS_PREFIX", self.secrets_prefix.clone()),
            (
                "SWITCHBOARD_CONNECTIONS_TABLE",
                self.connections.table().to_string(),
            ),
            ("SWITCHBOARD_WS_MANAGEMENT_URL", self.management.url.clone()),
        ]
    }
}
