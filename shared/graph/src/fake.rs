//! A fake Graph API, for trying Switchboard offline (`switchboard
//! fake-graph`) and for tests. By default it answers as Meta does
//! (MESSENGER.md): a page token shaped `...-page-<id>` belongs to page
//! `<id>`, and one containing `revoked` is no longer valid. Tests script
//! error bodies, headers and delays per route, and read back every request
//! (in process with [`FakeGraph::requests`], from outside with
//! `GET /_fake/requests`).

mod threads;

pub use threads::{OUR_APP, PAGE_INBOX, SET_OWNER_PATH};

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: String,
    pub authorization: Option<String>,
    pub body: String,
    /// When it arrived (latency measurements in `make bench`).
    pub received: std::time::Instant,
}

#[derive(Debug, Clone)]
pub struct Scripted {
    pub status: u16,
    pub body: serde_json::Value,
    pub headers: Vec<(String, String)>,
    pub delay: Duration,
}

impl Scripted {
    pub fn ok(body: serde_json::Value) -> Self {
        Self {
            status: 200,
            body,
            headers: Vec::new(),
            delay: Duration::ZERO,
        }
    }

    /// An error shaped as Graph sends them.
    pub fn error(status: u16, code: i64, subcode: Option<i64>, message: &str) -> Self {
        let mut error = serde_json::json!({"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AfakeTrace"});
        if let Some(s) = subcode {
            error["error_subcode"] = s.into();
        }
        Self {
            status,
            body: serde_json::json!({ "error": error }),
            headers: Vec::new(),
            delay: Duration::ZERO,
        }
    }

    pub fn with_header(mut self, k: &str, v: &str) -> Self {
        self.headers.push((k.to_string(), v.to_string()));
        self
    }

    pub fn after(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

#[derive(Default)]
struct FakeState {
    scripts: HashMap<(String, String), VecDeque<Scripted>>,
    requests: Vec<Recorded>,
    sent: u64,
    threads: threads::Threads,
    /// The ID Matching API's answers by app-scoped user id, as set by
    /// [`FakeGraph::set_ids`]; a user not set is the same number on every
    /// page that subscribed the app.
    ids: HashMap<String, Vec<(String, String)>>,
}

pub struct FakeGraph {
    pub base: String,
    state: Arc<Mutex<FakeState>>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakeGraph {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FakeGraph {
    /// Start on a free loopback port.
    pub async fn start() -> Self {
        Self::bind("127.0.0.1:0")
            .await
            .expect("bind the fake Graph API on loopback")
    }

    /// Start on `addr`.
    pub async fn bind(addr: &str) -> std::io::Result<Self> {
        let state = Arc::new(Mutex::new(FakeState::default()));
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let base = format!("http://{}", listener.local_addr()?);
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self {
            base,
            state,
            server,
        })
    }

    /// Run until the process is stopped.
    pub async fn wait(mut self) {
        let _ = (&mut self.server).await;
    }

    fn lock(state: &Mutex<FakeState>) -> std::sync::MutexGuard<'_, FakeState> {
        state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Make `app` the owner of a customer's thread on a page, as if it had
    /// taken control (Conversation Routing).
    pub fn set_thread_owner(&self, page: &str, psid: &str, app: &str) {
        Self::lock(&self.state).threads.set_owner(page, psid, app);
    }

    /// What the ID Matching API answers for `user`: (page, PSID) pairs;
    /// empty is Meta's "no mapping".
    pub fn set_ids(&self, user: &str, ids: &[(&str, &str)]) {
        Self::lock(&self.state).ids.insert(
            user.to_string(),
            ids.iter()
                .map(|(p, s)| (p.to_string(), s.to_string()))
                .collect(),
        );
    }

    /// The app that owns a customer's thread on a page.
    pub fn thread_owner(&self, page: &str, psid: &str) -> String {
        Self::lock(&self.state)
            .threads
            .owner(page, psid)
            .to_string()
    }

    /// Answer the next requests to `METHOD path` (path after `/v25.0/`) with these, in order.
    pub fn script(&self, method: &str, path: &str, answers: Vec<Scripted>) {
        let mut st = self.state.lock().expect("fake graph state");
        st.scripts
            .entry((method.to_string(), path.to_string()))
            .or_default()
            .extend(answers);
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state
            .lock()
            .expect("fake graph state")
            .requests
            .clone()
    }
}

/// Where a test outside the process reads back what the fake received
/// (`switchboard fake-graph`): `GET /_fake/requests`, oldest first.
pub const REQUESTS_PATH: &str = "/_fake/requests";
/// `POST {user, ids: [{page_id, psid}]}`: what the ID Matching API answers
/// for `user` (see [`FakeGraph::set_ids`]).
pub const SET_IDS_PATH: &str = "/_fake/ids";

fn recorded_json(state: &Arc<Mutex<FakeState>>) -> Response {
    let list: Vec<serde_json::Value> = state
        .lock()
        .expect("fake graph state")
        .requests
        .iter()
        .map(|r| {
            serde_json::json!({
                "method": r.method,
                "path": r.path,
                "query": r.query,
                "body": serde_json::from_str::<serde_json::Value>(&r.body)
                    .unwrap_or_else(|_| serde_json::Value::String(r.body.clone())),
            })
        })
        .collect();
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        serde_json::json!({ "requests": list }).to_string(),
    )
        .into_response()
}

async fn handle(State(state): State<Arc<Mutex<FakeState>>>, req: Request) -> Response {
    if req.method() == axum::http::Method::GET && req.uri().path() == REQUESTS_PATH {
        return recorded_json(&state);
    }
    let (parts, body) = req.into_parts();
    let body: Bytes = axum::body::to_bytes(body, 10 * 1024 * 1024)
        .await
        .unwrap_or_default();
    if parts.method == axum::http::Method::POST && parts.uri.path() == SET_IDS_PATH {
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        let (Some(user), Some(ids)) = (v["user"].as_str(), v["ids"].as_array()) else {
            return (
                axum::http::StatusCode::BAD_REQUEST,
                "user and ids ([{page_id, psid}]) are required",
            )
                .into_response();
        };
        let pairs: Vec<(String, String)> = ids
            .iter()
            .filter_map(|i| {
                Some((
                    i["page_id"].as_str()?.to_string(),
                    i["psid"].as_str()?.to_string(),
                ))
            })
            .collect();
        FakeGraph::lock(&state).ids.insert(user.to_string(), pairs);
        return axum::http::StatusCode::NO_CONTENT.into_response();
    }
    if parts.method == axum::http::Method::POST && parts.uri.path() == SET_OWNER_PATH {
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        let (Some(page), Some(psid), Some(app)) = (
            v["page_id"].as_str(),
            v["psid"].as_str(),
            v["app_id"].as_str(),
        ) else {
            return (
                axum::http::StatusCode::BAD_REQUEST,
                "page_id, psid and app_id are required",
            )
                .into_response();
        };
        FakeGraph::lock(&state).threads.set_owner(page, psid, app);
        return axum::http::StatusCode::NO_CONTENT.into_response();
    }
    let path = parts.uri.path().trim_start_matches("/v25.0/").to_string();
    let rec = Recorded {
        method: parts.method.to_string(),
        path: path.clone(),
        query: parts.uri.query().unwrap_or("").to_string(),
        authorization: parts
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        body: String::from_utf8_lossy(&body).into_owned(),
        received: std::time::Instant::now(),
    };
    let scripted = {
        let mut st = state.lock().expect("fake graph state");
        st.requests.push(rec.clone());
        st.scripts
            .get_mut(&(rec.method.clone(), path.clone()))
            .and_then(VecDeque::pop_front)
    };
    let answer = match scripted {
        Some(s) => s,
        None => default_answer(&state, &rec),
    };
    if !answer.delay.is_zero() {
        tokio::time::sleep(answer.delay).await;
    }
    // One line per request answered (what `switchboard fake-graph` prints).
    tracing::info!(target: "fake_graph", "{} /{} -> {}", rec.method, path, answer.status);
    let mut resp = (
        axum::http::StatusCode::from_u16(answer.status).unwrap_or(axum::http::StatusCode::OK),
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        serde_json::to_vec(&answer.body).unwrap_or_default(),
    )
        .into_response();
    for (k, v) in answer.headers {
        if let (Ok(k), Ok(v)) = (
            axum::http::HeaderName::try_from(k),
            axum::http::HeaderValue::try_from(v),
        ) {
            resp.headers_mut().insert(k, v);
        }
    }
    resp
}

/// A test token shaped `...-page-<digits>` names its page.
fn token_page(query: &str) -> Option<String> {
    let token = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("input_token="))?;
    let digits: String = token
        .split("-page-")
        .nth(1)?
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    (token.contains("-page-") && !digits.is_empty()).then_some(digits)
}

fn in_80_days() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
        + 80 * 24 * 3600
}

/// What Meta answers when nothing is scripted.
fn default_answer(state: &Arc<Mutex<FakeState>>, rec: &Recorded) -> Scripted {
    if rec
        .authorization
        .as_deref()
        .is_none_or(|a| a.len() <= "Bearer ".len())
    {
        return Scripted::error(
            400,
            190,
            None,
            "An access token is required to request this resource.",
        );
    }
    let segments: Vec<&str> = rec.path.split('/').collect();
    let body: serde_json::Value = serde_json::from_str(&rec.body).unwrap_or_default();
    {
        let mut st = FakeGraph::lock(state);
        if let Some(answer) = st
            .threads
            .answer(&rec.method, segments.as_slice(), &rec.query, &body)
        {
            return answer;
        }
        if let ("POST", [page, "messages"]) = (rec.method.as_str(), segments.as_slice())
            && let Some(refused) = st
                .threads
                .refuse_send(page, body["recipient"]["id"].as_str().unwrap_or(""))
        {
            return refused;
        }
    }
    match (rec.method.as_str(), segments.as_slice()) {
        ("POST", [_page, "messages"]) => {
            let n = {
                let mut st = state.lock().expect("fake graph state");
                st.sent += 1;
                st.sent
            };
            Scripted::ok(
                serde_json::json!({"recipient_id": body["recipient"]["id"], "message_id": format!("m_fake_{n}")}),
            )
        }
        ("GET", ["debug_token"]) if rec.query.contains("revoked") => {
            Scripted::ok(serde_json::json!({"data": {
                "app_id": "900000000000001", "type": "PAGE", "is_valid": false, "scopes": [],
                "profile_id": token_page(&rec.query).unwrap_or_else(|| "104857600000001".into()),
                "error": {"code": 190, "subcode": 460, "message": "The session has been invalidated because the user changed their password."}
            }}))
        }
        ("GET", ["debug_token"]) => Scripted::ok(serde_json::json!({"data": {
            "app_id": "900000000000001", "type": "PAGE", "application": "Acme", "is_valid": true,
            "expires_at": 0, "data_access_expires_at": in_80_days(),
            "scopes": ["pages_messaging", "pages_manage_metadata", "pages_show_list"],
            "profile_id": token_page(&rec.query).unwrap_or_else(|| "104857600000001".into())
        }})),
        ("POST", [_page, "subscribed_apps"]) | ("DELETE", [_page, "subscribed_apps"]) => {
            Scripted::ok(serde_json::json!({"success": true}))
        }
        ("GET", [_page, "subscribed_apps"]) => Scripted::ok(serde_json::json!({"data": [{
            "id": "900000000000001", "name": "Acme", "subscribed_fields": switchboard_core::graph::SUBSCRIBED_FIELDS
        }]})),
        ("GET", [user, "ids_for_pages"]) => {
            let st = FakeGraph::lock(state);
            let ids = st.ids.get(*user).cloned().unwrap_or_else(|| {
                let mut pages: Vec<String> = st
                    .requests
                    .iter()
                    .filter(|r| r.method == "POST" && r.path.ends_with("/subscribed_apps"))
                    .filter_map(|r| r.path.split('/').next().map(str::to_string))
                    .collect();
                pages.sort();
                pages.dedup();
                pages.into_iter().map(|p| (p, user.to_string())).collect()
            });
            drop(st);
            let data: Vec<_> = ids
                .iter()
                .map(|(page, psid)| serde_json::json!({"id": psid, "page": {"id": page, "name": "Fake page"}}))
                .collect();
            Scripted::ok(serde_json::json!({ "data": data }))
        }
        ("GET", [_psid]) => Scripted::ok(
            serde_json::json!({"first_name": "Ada", "last_name": "Lovelace", "profile_pic": "https://cdn.example.invalid/p.jpg", "id": _psid}),
        ),
        _ => Scripted::error(400, 100, None, "Unsupported request"),
    }
}
