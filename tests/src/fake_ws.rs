//! Stand-ins for the WebSocket API's neighbours: API Gateway's Management
//! API (moto's never answers 410 Gone, which is what the push must handle):
//! `POST /{stage}/@connections/{id}` records the frame and answers 200, or
//! 410 `GoneException` for a connection marked gone; `DELETE` forgets one.
//! And a user pool's signing key ([`Signer`]) with its JWKS served over
//! HTTP ([`serve_jwks`]), for the `$connect` authorizer.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeyPair;
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
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

/// An RSA key a user pool signs its RS256 tokens with, made fresh.
pub struct Signer {
    kid: String,
    key: KeyPair,
}

impl Signer {
    pub fn new(kid: &str) -> Self {
        Self {
            kid: kid.into(),
            key: KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).expect("an RSA key"),
        }
    }

    /// The public key as the pool's JWKS lists it.
    pub fn jwk(&self) -> serde_json::Value {
        let pk = self.key.public_key();
        serde_json::json!({"kty": "RSA", "alg": "RS256", "use": "sig", "kid": self.kid,
            "n": B64.encode(pk.modulus().big_endian_without_leading_zero()),
            "e": B64.encode(pk.exponent().big_endian_without_leading_zero())})
    }

    pub fn sign_as(&self, kid: &str, claims: &serde_json::Value) -> String {
        let header = serde_json::json!({"alg": "RS256", "kid": kid, "typ": "JWT"});
        let message = format!(
            "{}.{}",
            B64.encode(header.to_string()),
            B64.encode(claims.to_string())
        );
        let mut sig = vec![0; self.key.public_modulus_len()];
        self.key
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                message.as_bytes(),
                &mut sig,
            )
            .expect("signed");
        format!("{message}.{}", B64.encode(sig))
    }

    pub fn sign(&self, claims: &serde_json::Value) -> String {
        self.sign_as(&self.kid, claims)
    }
}

/// `keys` served at `http://127.0.0.1:port/.well-known/jwks.json`, as
/// Cognito serves a pool's; answers that URL.
pub async fn serve_jwks(keys: serde_json::Value) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the JWKS server");
    let url = format!(
        "http://{}/.well-known/jwks.json",
        listener.local_addr().expect("its address")
    );
    let app = axum::Router::new().route(
        "/.well-known/jwks.json",
        axum::routing::get(move || {
            let keys = keys.clone();
            async move { keys.to_string() }
        }),
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    url
}
