//! The Graph API port over HTTP with reqwest. The base URL is configurable
//! (`--graph-url` / `SWITCHBOARD_GRAPH_URL`) so tests point it at a local
//! fake. Tokens go in the `Authorization` header; every request has a
//! timeout, and a timeout or connection failure is a transient error.

use async_trait::async_trait;
use reqwest::{Method, RequestBuilder};
use serde::de::DeserializeOwned;
use std::time::Duration;
use switchboard_core::Secret;
use switchboard_core::graph::{
    GraphApi, GraphError, PageScopedId, SendAccepted, SubscribedApp, TokenInfo, UserProfile,
    regain_access_after,
};
use switchboard_core::ids::{AppId, PageId, Psid};

pub mod bot_client;
#[cfg(feature = "fake")]
pub mod fake;

pub const DEFAULT_BASE_URL: &str = "https://graph.facebook.com";
pub const API_VERSION: &str = "v25.0";

#[derive(Clone)]
pub struct HttpGraph {
    client: reqwest::Client,
    base: String,
}

impl HttpGraph {
    /// A client for `base` (e.g. `https://graph.facebook.com`), with a
    /// per-request timeout.
    pub fn new(base: &str, timeout: Duration) -> Result<Self, GraphError> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("switchboard/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| GraphError::unreachable(e.to_string()))?;
        Ok(Self {
            client,
            base: format!("{}/{API_VERSION}", base.trim_end_matches('/')),
        })
    }

    fn request(&self, method: Method, path: &str, bearer: &str) -> RequestBuilder {
        self.client
            .request(method, format!("{}/{path}", self.base))
            .bearer_auth(bearer)
    }

    async fn call<T: DeserializeOwned>(&self, req: RequestBuilder) -> Result<T, GraphError> {
        let resp = req.send().await.map_err(|e| {
            let what = if e.is_timeout() {
                "timed out"
            } else {
                "could not be reached"
            };
            GraphError::unreachable(format!("the Graph API {what}: {}", without_url(&e)))
        })?;
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get("x-business-use-case-usage")
            .and_then(|v| v.to_str().ok())
            .and_then(regain_access_after);
        let body = resp
            .bytes()
            .await
            .map_err(|e| GraphError::unreachable(without_url(&e)))?;
        if (200..300).contains(&status) {
            return serde_json::from_slice(&body).map_err(|e| GraphError {
                status,
                code: None,
                subcode: None,
                message: format!("unexpected answer from the Graph API: {e}"),
                fbtrace_id: None,
                retry_after: None,
            });
        }
        let err: Option<ErrorBody> = serde_json::from_slice::<ErrorEnvelope>(&body)
            .ok()
            .map(|e| e.error);
        let e = GraphError {
            status,
            code: err.as_ref().and_then(|e| e.code),
            subcode: err.as_ref().and_then(|e| e.error_subcode),
            message: err
                .as_ref()
                .and_then(|e| e.message.clone())
                .unwrap_or_else(|| format!("HTTP {status} without a Graph error body")),
            fbtrace_id: err.and_then(|e| e.fbtrace_id),
            retry_after,
        };
        tracing::warn!(status, code = ?e.code, subcode = ?e.subcode, class = ?e.class(), fbtrace_id = ?e.fbtrace_id, "Graph API error");
        Err(e)
    }
}

/// reqwest errors print the URL; ours hold no token, but keep them short.
fn without_url(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    if let Some(url) = e.url() {
        s = s.replace(url.as_str(), url.path());
    }
    s
}

#[derive(serde::Deserialize)]
struct ErrorEnvelope {
    error: ErrorBody,
}

#[derive(serde::Deserialize)]
struct ErrorBody {
    message: Option<String>,
    code: Option<i64>,
    error_subcode: Option<i64>,
    fbtrace_id: Option<String>,
}

#[derive(serde::Deserialize)]
struct Success {
    #[serde(default)]
    success: bool,
}

#[derive(serde::Deserialize)]
struct Data<T> {
    data: T,
}

fn require_success(s: Success) -> Result<(), GraphError> {
    if s.success {
        Ok(())
    } else {
        Err(GraphError {
            status: 200,
            code: None,
            subcode: None,
            message: "the Graph API answered without success: true".into(),
            fbtrace_id: None,
            retry_after: None,
        })
    }
}

#[async_trait]
impl GraphApi for HttpGraph {
    async fn send_message(
        &self,
        page: &PageId,
        token: &Secret,
        body: &serde_json::Value,
    ) -> Result<SendAccepted, GraphError> {
        self.call(
            self.request(Method::POST, &format!("{page}/messages"), token.expose())
                .json(body),
        )
        .await
    }

    async fn user_profile(&self, psid: &Psid, token: &Secret) -> Result<UserProfile, GraphError> {
        self.call(
            self.request(Method::GET, psid.as_str(), token.expose())
                .query(&[("fields", "first_name,last_name,profile_pic")]),
        )
        .await
    }

    async fn ids_for_pages(
        &self,
        user: &str,
        app_id: &AppId,
        app_secret: &Secret,
    ) -> Result<Vec<PageScopedId>, GraphError> {
        let app_token = format!("{app_id}|{}", app_secret.expose());
        let d: Data<Vec<PageScopedId>> = self
            .call(
                self.request(Method::GET, &format!("{user}/ids_for_pages"), &app_token)
                    .query(&[("limit", "100")]),
            )
            .await?;
        Ok(d.data)
    }

    async fn debug_token(
        &self,
        app_id: &AppId,
        app_secret: &Secret,
        input: &Secret,
    ) -> Result<TokenInfo, GraphError> {
        let app_token = format!("{app_id}|{}", app_secret.expose());
        let d: Data<TokenInfo> = self
            .call(
                self.request(Method::GET, "debug_token", &app_token)
                    .query(&[("input_token", input.expose())]),
            )
            .await?;
        Ok(d.data)
    }

    async fn subscribe_app(
        &self,
        page: &PageId,
        token: &Secret,
        fields: &[&str],
    ) -> Result<(), GraphError> {
        let s: Success = self
            .call(
                self.request(
                    Method::POST,
                    &format!("{page}/subscribed_apps"),
                    token.expose(),
                )
                .query(&[("subscribed_fields", fields.join(","))]),
            )
            .await?;
        require_success(s)
    }

    async fn subscribed_apps(
        &self,
        page: &PageId,
        token: &Secret,
    ) -> Result<Vec<SubscribedApp>, GraphError> {
        let d: Data<Vec<SubscribedApp>> = self
            .call(self.request(
                Method::GET,
                &format!("{page}/subscribed_apps"),
                token.expose(),
            ))
            .await?;
        Ok(d.data)
    }

    async fn unsubscribe_app(&self, page: &PageId, token: &Secret) -> Result<(), GraphError> {
        let s: Success = self
            .call(self.request(
                Method::DELETE,
                &format!("{page}/subscribed_apps"),
                token.expose(),
            ))
            .await?;
        require_success(s)
    }

    async fn pass_thread_control(
        &self,
        page: &PageId,
        token: &Secret,
        psid: &Psid,
        target: &AppId,
        metadata: &str,
    ) -> Result<(), GraphError> {
        let body = switchboard_core::outbound::pass_thread_body(psid, target, metadata);
        let s: Success = self
            .call(
                self.request(
                    Method::POST,
                    &format!("{page}/pass_thread_control"),
                    token.expose(),
                )
                .json(&body),
            )
            .await?;
        require_success(s)
    }

    async fn take_thread_control(
        &self,
        page: &PageId,
        token: &Secret,
        psid: &Psid,
        metadata: &str,
    ) -> Result<(), GraphError> {
        let body = serde_json::json!({"recipient": {"id": psid}, "metadata": metadata});
        let s: Success = self
            .call(
                self.request(
                    Method::POST,
                    &format!("{page}/take_thread_control"),
                    token.expose(),
                )
                .json(&body),
            )
            .await?;
        require_success(s)
    }
}
