//! The Graph API port: what Switchboard asks of Meta (Send API, user
//! profile, token debugging, page subscription) and how Meta's errors are
//! read. The classification follows MESSENGER.md ("Send errors"): transient
//! errors are retried with backoff, token errors stop and need a new token,
//! permanent ones fail the message at once.

use crate::ids::{AppId, PageId, Psid};
use crate::secret::Secret;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The fields a page is subscribed to (MESSENGER.md, "Page tokens and subscription").
pub const SUBSCRIBED_FIELDS: &[&str] = &[
    "messages",
    "messaging_postbacks",
    "message_deliveries",
    "message_reads",
    "message_echoes",
    "message_reactions",
    "message_edits",
    "messaging_referrals",
    "messaging_handovers",
    "standby",
];

/// Of [`SUBSCRIBED_FIELDS`], those without which a page does not work:
/// customers' messages, and the echoes of what the page sends (replies from
/// Meta's own inbox). A page without the others runs, with a warning.
pub const REQUIRED_FIELDS: &[&str] = &["messages", "message_echoes"];

/// Message tags Meta rejects since 27 April 2026 (error 100): never sent.
pub const DEPRECATED_TAGS: &[&str] = &[
    "CONFIRMED_EVENT_UPDATE",
    "POST_PURCHASE_UPDATE",
    "ACCOUNT_UPDATE",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    /// Retry with backoff (rate limits, Meta's outages, timeouts).
    Transient,
    /// The page token is invalid: stop and re-authorise the page.
    Token,
    /// Do not retry this request.
    Permanent,
}

/// An error from the Graph API, or from reaching it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("Graph API error (HTTP {status}, code {code:?}, subcode {subcode:?}): {message}")]
pub struct GraphError {
    /// HTTP status; 0 when Meta could not be reached (timeout, connection).
    pub status: u16,
    pub code: Option<i64>,
    pub subcode: Option<i64>,
    /// Meta's own message (or the transport error).
    pub message: String,
    pub fbtrace_id: Option<String>,
    /// From `X-Business-Use-Case-Usage` `estimated_time_to_regain_access`.
    pub retry_after: Option<Duration>,
}

impl GraphError {
    pub fn unreachable(message: impl Into<String>) -> Self {
        Self {
            status: 0,
            code: None,
            subcode: None,
            message: message.into(),
            fbtrace_id: None,
            retry_after: None,
        }
    }

    pub fn class(&self) -> ErrorClass {
        classify(self.status, self.code, self.subcode)
    }

    /// A sentence an agent or administrator can act on.
    pub fn explain(&self) -> String {
        explain(self.code, self.subcode)
            .map(str::to_string)
            .unwrap_or_else(|| match self.class() {
                ErrorClass::Transient => {
                    "Meta did not accept the request right now; it will be retried.".into()
                }
                ErrorClass::Token => {
                    "The page token is no longer valid; re-enter the page token.".into()
                }
                ErrorClass::Permanent => format!("Meta refused the request: {}", self.message),
            })
    }
}

/// MESSENGER.md's table of Graph error codes.
pub fn classify(status: u16, code: Option<i64>, subcode: Option<i64>) -> ErrorClass {
    match (code, subcode) {
        (Some(190 | 492), _) => ErrorClass::Token,
        (Some(1 | 2 | 4 | 17 | 32 | 341 | 368 | 613), _) => ErrorClass::Transient,
        (Some(2018300), _) | (_, Some(2018300)) => ErrorClass::Permanent,
        (Some(10 | 100 | 230 | 551), _) | (Some(200..=299), _) => ErrorClass::Permanent,
        (Some(_), _) if status >= 500 => ErrorClass::Transient,
        (Some(_), _) => ErrorClass::Permanent,
        (None, _) if status == 0 || status == 429 || status >= 500 => ErrorClass::Transient,
        (None, _) => ErrorClass::Permanent,
    }
}

fn explain(code: Option<i64>, subcode: Option<i64>) -> Option<&'static str> {
    Some(match (code?, subcode) {
        (190, Some(460)) => {
            "The page token stopped working because the password of its user changed; re-enter the page token."
        }
        (190, Some(463)) => "The page token has expired; re-enter the page token.",
        (190, _) => "The page token is invalid or was revoked; re-enter the page token.",
        (492, _) => {
            "The token's user no longer has a role on the page; re-enter a token from a page admin."
        }
        (10, Some(2018278 | 2534022)) => "The messaging window has closed for this customer.",
        (10, Some(2018108)) => "This person cannot receive messages right now.",
        (10, Some(1893063)) => "The page is restricted by Meta.",
        (200, Some(2018028)) => {
            "The app is in development mode or the person has no role on it; make the app live."
        }
        (100, Some(2018001)) => "Meta found no person with this id for the page.",
        (100, Some(2018008)) => "Meta could not fetch the attachment URL.",
        (100, Some(2018109)) => "The attachment is too large for Messenger.",
        (100, _) => "Meta rejected a parameter of the request.",
        (551, _) => "This person is unavailable or has blocked the page.",
        (2018300, _) | (_, Some(2018300)) => {
            "Another app has this conversation now (Conversation Routing): Switchboard cannot send into it until the thread is passed back or a supervisor takes it."
        }
        (4 | 17 | 32 | 613, _) => "Meta's rate limit was reached; the request will be retried.",
        (341, _) => "Meta's application limit was reached; the request will be retried.",
        (368, _) => {
            "Meta blocked the page temporarily for policy reasons; the request will be retried."
        }
        (1 | 2, _) => "Meta's service is temporarily unavailable; the request will be retried.",
        (230, _) => "The person has not opted in to these messages.",
        (10, _) | (200..=299, _) => "The app lacks a permission Meta requires for this.",
        _ => return None,
    })
}

/// Minutes until access is regained, from an `X-Business-Use-Case-Usage`
/// header value (`{"<id>": [{"estimated_time_to_regain_access": N, ...}]}`).
pub fn regain_access_after(header: &str) -> Option<Duration> {
    let v: serde_json::Value = serde_json::from_str(header).ok()?;
    let minutes = v
        .as_object()?
        .values()
        .filter_map(|usages| usages.as_array())
        .flatten()
        .filter_map(|u| u.get("estimated_time_to_regain_access")?.as_u64())
        .max()?;
    (minutes > 0).then(|| Duration::from_secs(minutes * 60))
}

/// The Send API's answer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SendAccepted {
    #[serde(default)]
    pub recipient_id: Option<String>,
    pub message_id: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct UserProfile {
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub profile_pic: Option<String>,
}

/// `GET /debug_token` `data`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct TokenInfo {
    #[serde(default)]
    pub app_id: Option<String>,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub is_valid: bool,
    /// Unix seconds; 0 means it does not expire by date.
    #[serde(default)]
    pub expires_at: Option<i64>,
    #[serde(default)]
    pub data_access_expires_at: Option<i64>,
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub profile_id: Option<String>,
    #[serde(default)]
    pub user_id: Option<String>,
    /// Why Meta no longer accepts the token (e.g. 190/460: the user changed their password).
    #[serde(default)]
    pub error: Option<TokenInfoError>,
}

/// `GET /debug_token` `data.error`: Meta's reason a token is not valid.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct TokenInfoError {
    #[serde(default)]
    pub code: Option<i64>,
    #[serde(default)]
    pub subcode: Option<i64>,
    #[serde(default)]
    pub message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SubscribedApp {
    pub id: String,
    #[serde(default)]
    pub subscribed_fields: Vec<String>,
}

/// What Switchboard asks of the Graph API. Tokens travel in the
/// `Authorization` header, never in a URL that could be logged.
#[async_trait]
pub trait GraphApi: Send + Sync {
    /// `POST /{page}/messages` with a Send API body.
    async fn send_message(
        &self,
        page: &PageId,
        token: &Secret,
        body: &serde_json::Value,
    ) -> Result<SendAccepted, GraphError>;
    /// `GET /{psid}?fields=first_name,last_name,profile_pic`.
    async fn user_profile(&self, psid: &Psid, token: &Secret) -> Result<UserProfile, GraphError>;
    /// `GET /debug_token?input_token=...` with the app token `APPID|APPSECRET`.
    async fn debug_token(
        &self,
        app_id: &AppId,
        app_secret: &Secret,
        input: &Secret,
    ) -> Result<TokenInfo, GraphError>;
    /// `POST /{page}/subscribed_apps?subscribed_fields=...`.
    async fn subscribe_app(
        &self,
        page: &PageId,
        token: &Secret,
        fields: &[&str],
    ) -> Result<(), GraphError>;
    /// `GET /{page}/subscribed_apps`.
    async fn subscribed_apps(
        &self,
        page: &PageId,
        token: &Secret,
    ) -> Result<Vec<SubscribedApp>, GraphError>;
    /// `DELETE /{page}/subscribed_apps`.
    async fn unsubscribe_app(&self, page: &PageId, token: &Secret) -> Result<(), GraphError>;
    /// `POST /{page}/pass_thread_control {recipient: {id}, target_app_id, metadata}`:
    /// Conversation Routing, the thread goes to `target`.
    async fn pass_thread_control(
        &self,
        page: &PageId,
        token: &Secret,
        psid: &Psid,
        target: &AppId,
        metadata: &str,
    ) -> Result<(), GraphError>;
    /// `GET /{user}/ids_for_pages` with the app's token (the ID Matching
    /// API): the page-scoped ids of an app-scoped user, on the pages Meta
    /// knows them on; empty when it cannot map them.
    async fn ids_for_pages(
        &self,
        user: &str,
        app_id: &AppId,
        app_secret: &Secret,
    ) -> Result<Vec<PageScopedId>, GraphError>;
    /// `POST /{page}/take_thread_control {recipient: {id}, metadata}`: the
    /// thread comes to this app from whichever app has it.
    async fn take_thread_control(
        &self,
        page: &PageId,
        token: &Secret,
        psid: &Psid,
        metadata: &str,
    ) -> Result<(), GraphError>;
}

/// One row of the ID Matching API's answer: `{id, page: {id, name}}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PageScopedId {
    pub id: String,
    pub page: PageRef,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PageRef {
    pub id: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(code: i64, sub: Option<i64>) -> ErrorClass {
        classify(400, Some(code), sub)
    }

    #[test]
    fn messenger_md_error_table() {
        for c in [1, 2, 4, 17, 32, 341, 368, 613] {
            assert_eq!(class(c, None), ErrorClass::Transient, "{c}");
        }
        for (c, s) in [
            (190, Some(460)),
            (190, Some(463)),
            (190, Some(467)),
            (492, None),
        ] {
            assert_eq!(class(c, s), ErrorClass::Token, "{c}/{s:?}");
        }
        for (c, s) in [
            (10, None),
            (200, Some(2018028)),
            (230, None),
            (10, Some(2018278)),
            (10, Some(2534022)),
            (10, Some(2018108)),
            (551, None),
            (100, Some(2018001)),
            (100, Some(2018008)),
            (100, Some(2018109)),
            (10, Some(1893063)),
            (2018300, None),
            (299, None),
        ] {
            assert_eq!(class(c, s), ErrorClass::Permanent, "{c}/{s:?}");
        }
        assert_eq!(classify(503, None, None), ErrorClass::Transient);
        assert_eq!(
            classify(0, None, None),
            ErrorClass::Transient,
            "unreachable"
        );
        assert_eq!(classify(500, Some(99999), None), ErrorClass::Transient);
        assert_eq!(classify(400, None, None), ErrorClass::Permanent);
    }

    #[test]
    fn every_error_has_a_sentence() {
        let e = GraphError {
            status: 400,
            code: Some(190),
            subcode: Some(463),
            message: "x".into(),
            fbtrace_id: None,
            retry_after: None,
        };
        assert!(e.explain().contains("expired"));
        let unknown = GraphError {
            code: Some(12345),
            ..e.clone()
        };
        assert!(unknown.explain().contains("Meta refused"));
        assert!(
            GraphError::unreachable("timeout")
                .explain()
                .contains("retried")
        );
    }

    #[test]
    fn reads_time_to_regain_access() {
        let h = r#"{"104857600000001":[{"type":"messenger","call_count":100,"estimated_time_to_regain_access":7}]}"#;
        assert_eq!(regain_access_after(h), Some(Duration::from_secs(420)));
        assert_eq!(
            regain_access_after(r#"{"1":[{"estimated_time_to_regain_access":0}]}"#),
            None
        );
        assert_eq!(regain_access_after("garbage"), None);
    }
}
