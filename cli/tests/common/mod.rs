//! What the tests of `switchboard serve` share: the child process, killed
//! when dropped, and the port it announced.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A child process killed when dropped, and the port it announced.
pub struct Server {
    pub child: Child,
    pub port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Start `cmd` with its stdout piped and wait (bounded) for the URL it
/// announces after `prefix`: it is printed once the listener is bound, and
/// names the port this child bound.
pub fn spawn_announced(cmd: &mut Command, prefix: &'static str) -> Server {
    let mut child = cmd
        .stdout(Stdio::piped())
        .spawn()
        .expect("start switchboard");
    let url = switchboard_tests::announced_url(&mut child, prefix, Duration::from_secs(30));
    let port = url
        .rsplit(':')
        .next()
        .and_then(|p| p.trim_end_matches('/').parse().ok())
        .unwrap_or_else(|| panic!("no port in {url}"));
    Server { child, port }
}
