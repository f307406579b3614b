//! The web console under serve: its built files (from `--console-dir`, or
//! embedded with the `embed-console` feature) at `/`, with the
//! single-page application's fallback to `index.html`, cache headers
//! (hashed `/assets/*` immutable, the rest `no-cache`), and `/config.json`
//! telling the console the API is on this same origin.

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, Method, StatusCode, header};
use std::path::{Path, PathBuf};
use switchboard_core::problem::{Problem, Status};

/// Where the console's files come from.
#[derive(Clone, Debug)]
pub enum Source {
    /// A folder holding the built console (`index.html`, `assets/`).
    Dir(PathBuf),
    /// The files of `console/dist` embedded in the binary at build time.
    #[cfg(feature = "embed-console")]
    Embedded,
    /// No console: `/` says how to build one.
    Missing,
}

/// The built console embedded at build time (debug builds too:
/// `debug-embed`); an empty set when `console/dist` did not exist then
/// (`allow_missing`). The folder is relative to cli/Cargo.toml.
#[cfg(feature = "embed-console")]
#[derive(rust_embed::Embed)]
#[folder = "../console/dist/"]
#[allow_missing = true]
struct Embedded;

/// The default folder, relative to where serve runs.
pub const DEFAULT_DIR: &str = "console/dist";

impl Source {
    /// The console to serve: `--console-dir` when given (it must hold an
    /// `index.html`), else the embedded files when there are some, else
    /// `console/dist` when it holds an `index.html`, else none.
    pub fn choose(dir: Option<&Path>) -> Result<Self, String> {
        if let Some(dir) = dir {
            if !dir.join("index.html").is_file() {
                return Err(format!(
                    "--console-dir {}: there is no index.html in it; build the console with `make console`",
                    dir.display()
                ));
            }
            return Ok(Self::Dir(dir.to_path_buf()));
        }
        #[cfg(feature = "embed-console")]
        if Embedded::get("index.html").is_some() {
            return Ok(Self::Embedded);
        }
        let default = Path::new(DEFAULT_DIR);
        if default.join("index.html").is_file() {
            return Ok(Self::Dir(default.to_path_buf()));
        }
        Ok(Self::Missing)
    }

    /// What serve prints about it at start.
    pub fn describe(&self) -> String {
        match self {
            Self::Dir(d) => format!("console: serving {}", d.display()),
            #[cfg(feature = "embed-console")]
            Self::Embedded => "console: serving the files embedded in this binary".into(),
            Self::Missing => format!(
                "console: not built ({DEFAULT_DIR} has no index.html); run `make console`, or pass --console-dir"
            ),
        }
    }

    /// A file's bytes, if the console has it.
    async fn read(&self, rel: &str) -> Option<Vec<u8>> {
        match self {
            Self::Dir(d) => {
                let path = d.join(rel);
                // A folder named like a file is not one.
                if !tokio::fs::metadata(&path).await.ok()?.is_file() {
                    return None;
                }
                tokio::fs::read(path).await.ok()
            }
            #[cfg(feature = "embed-console")]
            Self::Embedded => Embedded::get(rel).map(|f| f.data.into_owned()),
            Self::Missing => None,
        }
    }
}

/// What `/config.json` answers under serve: the API and the stream on this
/// origin (empty URLs), signing in with a token.
pub fn config_json() -> serde_json::Value {
    serde_json::json!({"api_url": "", "ws_url": "", "auth": {"kind": "token"}})
}

/// Paths that belong to an API: never answered with the console.
fn api_path(path: &str) -> bool {
    ["/admin/", "/agent/", "/webhook", "/healthz"]
        .iter()
        .any(|p| path.starts_with(p))
}

/// The console as a router, for every path no API routes.
pub fn router(source: Source) -> axum::Router {
    axum::Router::new().fallback(move |req: http::Request<Body>| {
        let source = source.clone();
        async move { answer(&source, req.method(), req.uri().path()).await }
    })
}

fn no_route(path: &str) -> Response {
    switchboard_http::response(Problem::not_found(format!("no route {path}")))
}

async fn answer(source: &Source, method: &Method, path: &str) -> Response {
    if api_path(path) || (method != Method::GET && method != Method::HEAD) {
        return no_route(path);
    }
    if path == "/config.json" {
        let mut r = switchboard_http::problem::ok(&config_json()).into_response();
        r.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        return r;
    }
    if let Source::Missing = source {
        if path == "/" {
            return switchboard_http::response(Problem::new(
                Status::NOT_FOUND,
                "console_not_built",
                "The web console is not built",
                format!(
                    "build it with `make console` (into {DEFAULT_DIR}), or start serve with --console-dir; the APIs are under /admin/v1/ and /agent/v1/"
                ),
            ));
        }
        return no_route(path);
    }
    let Some(rel) = relative(path) else {
        return no_route(path);
    };
    let rel = if rel.is_empty() {
        "index.html".to_string()
    } else {
        rel
    };
    if let Some(bytes) = source.read(&rel).await {
        return file(&rel, bytes);
    }
    // A hashed asset that is not there is a 404, not the application.
    if rel.starts_with("assets/") {
        return no_route(path);
    }
    match source.read("index.html").await {
        Some(bytes) => file("index.html", bytes),
        None => no_route(path),
    }
}

/// The path inside the console's folder: percent-decoded, without `.`,
/// `..`, empty segments, backslashes or NULs (`None`: not a console path).
fn relative(path: &str) -> Option<String> {
    let decoded = percent_encoding::percent_decode_str(path)
        .decode_utf8()
        .ok()?;
    let trimmed = decoded.strip_prefix('/')?;
    if trimmed.is_empty() {
        return Some(String::new());
    }
    let trimmed = trimmed.strip_suffix('/').unwrap_or(trimmed);
    let ok = trimmed
        .split('/')
        .all(|s| !s.is_empty() && s != "." && s != ".." && !s.contains(['\\', '\0']));
    ok.then(|| trimmed.to_string())
}

fn content_type(rel: &str) -> &'static str {
    let ext = Path::new(rel)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    match ext.as_str() {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "gif" => "image/gif",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "txt" => "text/plain; charset=utf-8",
        "wasm" => "application/wasm",
        "mp3" => "audio/mpeg",
        "ogg" => "audio/ogg",
        "wav" => "audio/wav",
        _ => "application/octet-stream",
    }
}

/// Hashed build output never changes under its name; everything else is
/// checked again on each load.
fn cache_control(rel: &str) -> &'static str {
    if rel.starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    }
}

fn file(rel: &str, bytes: Vec<u8>) -> Response {
    let mut r = (StatusCode::OK, bytes).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(rel)),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control(rel)),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_relative_paths_reach_the_folder() {
        assert_eq!(relative("/").as_deref(), Some(""));
        assert_eq!(
            relative("/assets/app-1.js").as_deref(),
            Some("assets/app-1.js")
        );
        assert_eq!(relative("/inbox/c1/").as_deref(), Some("inbox/c1"));
        for bad in [
            "/../etc/passwd",
            "/a/%2e%2e/b",
            "/a//b",
            "/a\\b",
            "/%00",
            "x",
        ] {
            assert_eq!(relative(bad), None, "{bad}");
        }
    }

    #[test]
    fn hashed_assets_are_immutable_and_the_rest_revalidated() {
        assert_eq!(
            cache_control("assets/index-abc.js"),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(cache_control("index.html"), "no-cache");
        assert_eq!(
            content_type("assets/x.JS"),
            "text/javascript; charset=utf-8"
        );
    }
}
