//! The bot port over HTTP with reqwest: one POST per delivery, with the
//! delivery's own timeout, and at most [`MAX_ANSWER_BYTES`] of the bot's
//! answer read (a bigger one is an error, not a memory spike).

use async_trait::async_trait;
use std::time::Duration;
use switchboard_core::bot::{BotCallError, BotClient};

/// The most of a bot's answer that is read.
pub const MAX_ANSWER_BYTES: usize = 256 * 1024;

#[derive(Clone)]
pub struct HttpBotClient {
    client: reqwest::Client,
}

impl HttpBotClient {
    pub fn new() -> Result<Self, BotCallError> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("switchboard/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| BotCallError::Unreachable(e.to_string()))?;
        Ok(Self { client })
    }
}

#[async_trait]
impl BotClient for HttpBotClient {
    async fn post(
        &self,
        url: &str,
        headers: &[(&str, String)],
        body: Vec<u8>,
        timeout_ms: u64,
    ) -> Result<Vec<u8>, BotCallError> {
        let mut req = self
            .client
            .post(url)
            .timeout(Duration::from_millis(timeout_ms))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body);
        for (k, v) in headers {
            req = req.header(*k, v.as_str());
        }
        let failed = |e: reqwest::Error| {
            if e.is_timeout() {
                BotCallError::Timeout(timeout_ms)
            } else {
                BotCallError::Unreachable(e.without_url().to_string())
            }
        };
        let mut resp = req.send().await.map_err(failed)?;
        let status = resp.status();
        let mut answer = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(failed)? {
            if answer.len() + chunk.len() > MAX_ANSWER_BYTES {
                return Err(BotCallError::Status {
                    status: status.as_u16(),
                    body: format!("the answer is longer than {MAX_ANSWER_BYTES} bytes"),
                });
            }
            answer.extend_from_slice(&chunk);
        }
        if !status.is_success() {
            let text = String::from_utf8_lossy(&answer);
            return Err(BotCallError::Status {
                status: status.as_u16(),
                body: text.chars().take(200).collect(),
            });
        }
        Ok(answer)
    }
}
