//! A stand-in for API Gateway's Management API (moto's never answers 410
//! Gone, which is what the push must handle): `POST /{stage}/@connections/{id}`
//! records the frame and answers 200, or 410 `GoneException` for a
//! connection marked gone; `DELETE` forgets one.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct Inner {
    gone: BTreeSet<String>,
    posts: Vec<(String, String)>,
}

#[derive(Clone, Default)]
pub struct FakeManagementApi {
    inner: Arc<Mutex<Inner>>,
    /// The stage's management URL (`http://127.0.0.1:port/live`).
    pub url: String,
}

impl FakeManagementApi {
    pub async fn start() -> Self {
        let mut fake = Self::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fake management API");
        fake.url = format!(
            "http://{}/live",
            listener.local_addr().expect("its address")
        );
        let app = axum::Router::new()
            .route(
                "/live/@connections/{id}",
                axum::routing::post(post).delete(delete),
            )
            .with_state(fake.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        fake
    }

    /// From now on, posts to `connection` answer 410 Gone.
    pub fn gone(&self, connection: &str) {
        self.lock().gone.insert(connection.to_string());
    }

    /// Every frame delivered, as (connection id, frame).
    pub fn posts(&self) -> Vec<(String, String)> {
        self.lock().posts.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

async fn post(
    State(fake): State<FakeManagementApi>,
    Path(id): Path<String>,
    body: String,
) -> axum::response::Response {
    let mut inner = fake.lock();
    if inner.gone.contains(&id) {
        return (
            StatusCode::GONE,
            [
                ("x-amzn-errortype", "GoneException"),
                ("content-type", "application/json"),
            ],
            r#"{"message":null}"#,
        )
            .into_response();
    }
    inner.posts.push((id, body));
    StatusCode::OK.into_response()
}

async fn delete(State(fake): State<FakeManagementApi>, Path(id): Path<String>) -> StatusCode {
    fake.lock().gone.insert(id);
    StatusCode::NO_CONTENT
}
