//! The admin token serve records in its data directory (owner-only), and
//! how the other commands find it when they talk to a serve on this machine
//! and were given no token.

use std::path::{Path, PathBuf};

/// The file, inside serve's data directory.
const FILE: &str = "admin-token";

/// Where a command looks: `SWITCHBOARD_DATA_DIR`, else serve's default.
fn default_file() -> PathBuf {
    let dir = std::env::var_os("SWITCHBOARD_DATA_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(".switchboard"));
    dir.join(FILE)
}

/// Record the token serve runs with, readable by its owner only (written
/// beside and renamed, so a reader never sees half of it).
pub fn record(data_dir: &Path, token: &str) -> std::io::Result<PathBuf> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt;
    let path = data_dir.join(FILE);
    let tmp = data_dir.join(format!("{FILE}.tmp"));
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)?;
    f.write_all(token.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, &path)?;
    Ok(path)
}

/// Whether `url` names this machine (the only place a recorded token is
/// sent to).
fn is_local(url: &str) -> bool {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .unwrap_or(url);
    let host = rest.split(['/', '?']).next().unwrap_or("");
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.split(']').next())
        .unwrap_or_else(|| host.rsplit_once(':').map_or(host, |(h, _)| h));
    matches!(host, "127.0.0.1" | "localhost" | "::1")
}

/// The admin token to use against `url`: the one given (`--admin-token` or
/// `SWITCHBOARD_ADMIN_TOKEN`), else, for a serve on this machine, the one it
/// recorded; else an error saying where to get one.
pub fn resolve(given: Option<&str>, url: &str) -> Result<String, String> {
    if let Some(t) = given.filter(|t| !t.is_empty()) {
        return Ok(t.to_string());
    }
    let file = default_file();
    if is_local(url) {
        if let Ok(t) = std::fs::read_to_string(&file) {
            let t = t.trim();
            if !t.is_empty() {
                return Ok(t.to_string());
            }
        }
        return Err(format!(
            "no admin token: pass --admin-token or set SWITCHBOARD_ADMIN_TOKEN (the token serve runs with); a local serve records it in {} (set SWITCHBOARD_DATA_DIR if serve uses another data directory)",
            file.display()
        ));
    }
    Err(format!(
        "no admin token for {url}: pass --admin-token or set SWITCHBOARD_ADMIN_TOKEN (in AWS, the stack's admin token)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_machine_is_local() {
        for u in [
            "http://127.0.0.1:8080",
            "http://localhost:8080/",
            "http://[::1]:8080",
            "https://localhost",
        ] {
            assert!(is_local(u), "{u}");
        }
        for u in [
            "https://switchboard.example.com",
            "http://127.0.0.1.example.com:8080",
            "http://10.0.0.1:8080",
        ] {
            assert!(!is_local(u), "{u}");
        }
    }

    #[test]
    fn a_given_token_wins_and_a_remote_server_never_gets_the_recorded_one() {
        assert_eq!(
            resolve(Some("given"), "https://x.example").as_deref(),
            Ok("given")
        );
        let e = resolve(None, "https://x.example").unwrap_err();
        assert!(e.contains("SWITCHBOARD_ADMIN_TOKEN"), "{e}");
    }

    #[test]
    fn a_recorded_token_is_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = record(dir.path(), "recorded-token").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "recorded-token");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}
