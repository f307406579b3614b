//! A fake workstream bot on loopback: it records every delivery it gets
//! (body, and whether the signature verified with its secret, as a real
//! bot must check it), and answers as scripted (status and body, in
//! order; an empty `200` once the script runs out). A bad signature gets
//! `401`, as a careful bot would answer.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use switchboard_core::bot::{DELIVERY_HEADER, SIGNATURE_HEADER};

/// One delivery as the fake bot received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub body: serde_json::Value,
    pub signature_ok: bool,
    pub delivery_id: Option<String>,
}

#[derive(Default)]
struct BotState {
    secret: String,
    script: VecDeque<(u16, String)>,
    received: Vec<Received>,
}

pub struct FakeBot {
    /// Where deliveries go (`http://127.0.0.1:port/events`).
    pub url: String,
    state: Arc<Mutex<BotState>>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakeBot {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn handle(
    State(state): State<Arc<Mutex<BotState>>>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, String) {
    let Ok(mut s) = state.lock() else {
        return (StatusCode::INTERNAL_SERVER_ERROR, String::new());
    };
    let sig = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
    let signature_ok =
        switchboard_core::signature::verify(s.secret.as_bytes(), &body, sig, false).is_ok();
    s.received.push(Received {
        body: serde_json::from_slice(&body).unwrap_or_default(),
        signature_ok,
        delivery_id: headers
            .get(DELIVERY_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
    });
    if !signature_ok {
        return (StatusCode::UNAUTHORIZED, "bad signature".into());
    }
    let (status, answer) = s.script.pop_front().unwrap_or((200, String::new()));
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
        answer,
    )
}

impl FakeBot {
    /// Start on a free loopback port, checking signatures with `secret`.
    pub async fn start(secret: &str) -> Self {
        let state = Arc::new(Mutex::new(BotState {
            secret: secret.to_string(),
            ..Default::default()
        }));
        let app = axum::Router::new()
            .route("/events", axum::routing::post(handle))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fake bot on loopback");
        let url = format!(
            "http://{}/events",
            listener.local_addr().expect("its address")
        );
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { url, state, server }
    }

    /// The next answers, in order: (HTTP status, body).
    pub fn script(&self, answers: &[(u16, serde_json::Value)]) {
        let mut s = self.state.lock().expect("fake bot state");
        for (status, body) in answers {
            let text = if body.is_null() {
                String::new()
            } else {
                body.to_string()
            };
            s.script.push_back((*status, text));
        }
    }

    /// Every delivery so far.
    pub fn received(&self) -> Vec<Received> {
        self.state.lock().expect("fake bot state").received.clone()
    }
}
