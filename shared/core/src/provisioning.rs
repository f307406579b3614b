//! Page provisioning: what an administrator would otherwise click in Meta's
//! app dashboard, done by Switchboard. Check the page token
//! (`debug_token`: valid, this app's, this page's, with `pages_messaging`),
//! subscribe the page to the app with every field Switchboard reads, and
//! read the subscription back. Each failing step ends in `error` with
//! Meta's code and what to do; a Graph outage leaves the page
//! `provisioning`, to be tried again later, never a hung request.

use crate::graph::{
    ErrorClass, GraphApi, GraphError, REQUIRED_FIELDS, SUBSCRIBED_FIELDS, TokenInfo,
};
use crate::ids::{AppId, PageId};
use crate::secret::Secret;
use crate::time::{self, Millis};
use serde::{Deserialize, Serialize};

/// Permissions the page token needs (MESSENGER.md).
pub const REQUIRED_SCOPES: &[&str] = &["pages_messaging", "pages_manage_metadata"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProvisioningState {
    Draft,
    Provisioning,
    Running,
    Error,
    Deprovisioning,
    Deprovisioned,
}

/// A page's provisioning state as the API and the CLI show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provisioning {
    pub state: ProvisioningState,
    /// What happened and what to do, for a person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Meta's error code and subcode, when Meta refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subcode: Option<i64>,
    #[serde(with = "time::rfc3339")]
    pub updated_at: Millis,
}

impl Default for Provisioning {
    fn default() -> Self {
        Self::new(ProvisioningState::Draft, Millis(0))
    }
}

impl Provisioning {
    pub fn new(state: ProvisioningState, at: Millis) -> Self {
        Self {
            state,
            reason: None,
            code: None,
            subcode: None,
            updated_at: at,
        }
    }

    /// In error because `debug_token` refused the token, with Meta's code
    /// and subcode when it gave them.
    pub fn token_refused(reason: String, info: &TokenInfo, at: Millis) -> Self {
        Self {
            state: ProvisioningState::Error,
            reason: Some(reason),
            code: info.error.as_ref().and_then(|e| e.code),
            subcode: info.error.as_ref().and_then(|e| e.subcode),
            updated_at: at,
        }
    }

    fn failed(
        state: ProvisioningState,
        reason: String,
        e: Option<&GraphError>,
        at: Millis,
    ) -> Self {
        Self {
            state,
            reason: Some(reason),
            code: e.and_then(|e| e.code),
            subcode: e.and_then(|e| e.subcode),
            updated_at: at,
        }
    }
}

/// What provisioning found out about the token, to record on the page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenHealth {
    /// Unix seconds; `None` when the token does not expire by date.
    pub expires_at: Option<i64>,
    pub data_access_expires_at: Option<i64>,
    pub scopes: Vec<String>,
    #[serde(with = "time::rfc3339::option", default)]
    pub checked_at: Option<Millis>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub provisioning: Provisioning,
    pub token: Option<TokenHealth>,
}

/// The app and page being provisioned.
pub struct Target<'a> {
    pub app_id: &'a AppId,
    pub app_secret: &'a Secret,
    pub page_id: &'a PageId,
    pub page_token: &'a Secret,
}

fn graph_failure(step: &str, e: &GraphError, at: Millis) -> Provisioning {
    match e.class() {
        // Meta is slow or down: stay in provisioning; the scheduler retries.
        ErrorClass::Transient => Provisioning::failed(
            ProvisioningState::Provisioning,
            format!("{step}: {} Switchboard will try again.", e.explain()),
            Some(e),
            at,
        ),
        _ => Provisioning::failed(
            ProvisioningState::Error,
            format!("{step}: {}", e.explain()),
            Some(e),
            at,
        ),
    }
}

/// Check what `debug_token` said about the page token.
pub fn check_token(info: &TokenInfo, t: &Target<'_>) -> Result<(), String> {
    if !info.is_valid {
        let why = info
            .error
            .as_ref()
            .and_then(|e| e.message.as_deref())
            .map(|m| format!(" Meta's reason: {}", m.trim()))
            .unwrap_or_default();
        return Err(format!(
            "Meta says the page token is not valid (expired or revoked); re-enter the page token.{why}"
        ));
    }
    if info
        .app_id
        .as_deref()
        .is_some_and(|a| a != t.app_id.as_str())
    {
        return Err(format!(
            "The page token was issued to app {}, not to this account's app {}; create the token from app {}.",
            info.app_id.as_deref().unwrap_or("?"),
            t.app_id,
            t.app_id
        ));
    }
    if info
        .kind
        .as_deref()
        .is_some_and(|k| !k.eq_ignore_ascii_case("PAGE"))
    {
        return Err(format!(
            "This is a {} token, not a page token; generate a page access token for page {}.",
            info.kind.as_deref().unwrap_or("?"),
            t.page_id
        ));
    }
    if info
        .profile_id
        .as_deref()
        .is_some_and(|p| p != t.page_id.as_str())
    {
        return Err(format!(
            "The token belongs to page {}, not page {}; use a token of page {}.",
            info.profile_id.as_deref().unwrap_or("?"),
            t.page_id,
            t.page_id
        ));
    }
    let missing: Vec<&str> = REQUIRED_SCOPES
        .iter()
        .copied()
        .filter(|s| !info.scopes.iter().any(|have| have == s))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "The page token lacks the permission(s) {}; grant them to the app and create a new page token.",
            missing.join(", ")
        ));
    }
    Ok(())
}

/// Provision a page: check the token, subscribe, read the subscription back.
pub async fn provision(graph: &dyn GraphApi, t: &Target<'_>, now: Millis) -> Outcome {
    let info = match graph
        .debug_token(t.app_id, t.app_secret, t.page_token)
        .await
    {
        Ok(info) => info,
        Err(e) => {
            return Outcome {
                provisioning: graph_failure("Checking the page token", &e, now),
                token: None,
            };
        }
    };
    let token = TokenHealth {
        expires_at: info.expires_at.filter(|&e| e > 0),
        data_access_expires_at: info.data_access_expires_at.filter(|&e| e > 0),
        scopes: info.scopes.clone(),
        checked_at: Some(now),
    };
    if let Err(reason) = check_token(&info, t) {
        return Outcome {
            provisioning: Provisioning::token_refused(reason, &info, now),
            token: Some(token),
        };
    }
    if let Err(e) = graph
        .subscribe_app(t.page_id, t.page_token, SUBSCRIBED_FIELDS)
        .await
    {
        return Outcome {
            provisioning: graph_failure("Subscribing the page to the app", &e, now),
            token: Some(token),
        };
    }
    let apps = match graph.subscribed_apps(t.page_id, t.page_token).await {
        Ok(apps) => apps,
        Err(e) => {
            return Outcome {
                provisioning: graph_failure("Reading the page's subscription back", &e, now),
                token: Some(token),
            };
        }
    };
    let ours = apps.iter().find(|a| a.id == t.app_id.as_str());
    let missing: Vec<&str> = match ours {
        None => {
            return Outcome {
                provisioning: Provisioning::failed(
                    ProvisioningState::Error,
                    format!(
                        "Meta accepted the subscription but page {} does not list app {}; check the app's Messenger settings and try again.",
                        t.page_id, t.app_id
                    ),
                    None,
                    now,
                ),
                token: Some(token),
            };
        }
        Some(app) => SUBSCRIBED_FIELDS
            .iter()
            .copied()
            .filter(|f| !app.subscribed_fields.iter().any(|have| have == f))
            .collect(),
    };
    if missing.iter().any(|f| REQUIRED_FIELDS.contains(f)) {
        return Outcome {
            provisioning: Provisioning::failed(
                ProvisioningState::Error,
                format!(
                    "The page is subscribed without the field(s) {}; enable them in the app's webhook settings.",
                    missing.join(", ")
                ),
                None,
                now,
            ),
            token: Some(token),
        };
    }
    let mut running = Provisioning::new(ProvisioningState::Running, now);
    if !missing.is_empty() {
        // Running, with a warning: what these fields carry does not arrive.
        running.reason = Some(format!(
            "Running, but subscribed without the optional field(s) {}: those events will not arrive; enable them in the app's webhook settings.",
            missing.join(", ")
        ));
    }
    Outcome {
        provisioning: running,
        token: Some(token),
    }
}
