//! Conversation Routing (Meta's thread control, MESSENGER.md): the page's
//! settings (does Switchboard own new threads, and where does a closed
//! conversation's thread go), what a conversation keeps of it, and the
//! supervisor's actions ([`supervise`]). The engine's side (a thread passed
//! to Switchboard, taken from it, requested by another app) is in
//! `routing::engine::thread`.

pub mod supervise;

use crate::ids::AppId;
use crate::time::{self, Millis};
use serde::{Deserialize, Serialize};

/// Meta's Page Inbox: the app that gets a thread nobody else was named for.
pub const PAGE_INBOX: &str = "263902037430900";

/// The routing attribute that carries the `metadata` of the app that
/// passed the thread (rules may test it: `{attribute: {name:
/// thread_control_metadata, equals: ...}}`).
pub const METADATA_ATTRIBUTE: &str = "thread_control_metadata";
/// The routing attribute naming the app that passed the thread (or
/// `supervisor` when a supervisor took it).
pub const FROM_ATTRIBUTE: &str = "thread_control_from";

/// Longest `metadata` Meta takes on a handover call.
pub const MAX_METADATA: usize = 1000;

/// Whether Switchboard is the page's primary receiver.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Switchboard owns new threads and keeps them after closing (unless
    /// `hand_back_to` names an app).
    #[default]
    Owner,
    /// Another app (a marketing bot, Meta's inbox) owns new threads;
    /// Switchboard works a thread once it is passed to it (or a supervisor
    /// takes it) and passes it back when the conversation closes.
    Standby,
}

/// A page's Conversation Routing settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConversationRouting {
    #[serde(default)]
    pub mode: Mode,
    /// The app a closed conversation's thread is passed to. Absent: in
    /// `standby` mode Meta's Page Inbox; in `owner` mode Switchboard keeps it
    /// (`null` is refused: leave it out).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::serde_rules::present"
    )]
    pub hand_back_to: Option<AppId>,
}

impl ConversationRouting {
    /// Where a closed conversation's thread goes (`None`: it stays).
    pub fn hand_back_target(&self) -> Option<AppId> {
        match (self.mode, &self.hand_back_to) {
            (_, Some(app)) => Some(app.clone()),
            (Mode::Standby, None) => AppId::parse(PAGE_INBOX).ok(),
            (Mode::Owner, None) => None,
        }
    }

    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

/// What a conversation keeps of thread control.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadControl {
    /// Another app passed the thread to Switchboard (its id when Meta named
    /// it; `supervisor` when a supervisor took it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passed_from: Option<String>,
    /// The passing app's `metadata`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<String>,
    /// The app that has the thread now (`unknown` when Meta named none), when it left Switchboard before the
    /// conversation closed on its own (taken by another app, or passed to
    /// one at its request): nothing more is sent, no survey, no hand-back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gone_to: Option<String>,
    /// Another app asks for the thread; a supervisor passes it or keeps it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested: Option<ThreadRequest>,
    /// The handover events applied, newest last (a redelivery, even of an
    /// older one, changes nothing); the last [`KEPT_EVENT_KEYS`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub event_keys: Vec<String>,
}

/// How many applied handover events a conversation remembers.
pub const KEPT_EVENT_KEYS: usize = 20;

impl ThreadControl {
    /// What routing starts from for a conversation another app passed to
    /// Switchboard: the passing app and its metadata as attributes the
    /// rules may test, and people, never the bot. `None`: nothing was passed.
    pub fn seed(&self, reason: &str) -> Option<crate::bot::Escalation> {
        let from = self.passed_from.as_ref()?;
        let mut e = crate::bot::Escalation::because(reason);
        e.attributes.insert(FROM_ATTRIBUTE.into(), from.clone());
        if let Some(m) = self.metadata.as_deref().filter(|m| !m.trim().is_empty()) {
            e.attributes.insert(
                METADATA_ATTRIBUTE.into(),
                crate::ids::clip(m, 500).into_owned(),
            );
        }
        Some(e)
    }

    /// Whether the handover event `key` was applied already.
    pub fn applied(&self, key: &str) -> bool {
        self.event_keys.iter().any(|k| k == key)
    }

    /// Remember that the handover event `key` was applied.
    pub fn remember(&mut self, key: &str) {
        if !self.applied(key) {
            self.event_keys.push(key.to_string());
        }
        let extra = self.event_keys.len().saturating_sub(KEPT_EVENT_KEYS);
        self.event_keys.drain(..extra);
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadRequest {
    /// The app asking (when Meta named it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<String>,
    #[serde(with = "time::rfc3339")]
    pub at: Millis,
}

/// How an app is named to people: Meta's inbox by name, others by id.
pub fn app_name(app: Option<&str>) -> String {
    match app {
        Some(PAGE_INBOX) => "Meta's Page Inbox".to_string(),
        Some(id) => format!("app {id}"),
        None => "another app".to_string(),
    }
}

/// A handover event in words an agent reads in the transcript.
pub fn describe(h: &crate::event::HandoverInfo) -> String {
    let prev = app_name(h.previous_owner_app_id.as_deref());
    let new = app_name(h.new_owner_app_id.as_deref());
    let mut s = match h.action.as_str() {
        "pass_thread_control" => {
            format!("Conversation Routing: {prev} passed the conversation to Switchboard")
        }
        "take_thread_control" => {
            format!("Conversation Routing: {new} took the conversation from Switchboard")
        }
        "request_thread_control" => {
            format!("Conversation Routing: {new} asks for the conversation")
        }
        "app_roles" => "Conversation Routing: the apps' roles on this page changed".to_string(),
        other => format!("Conversation Routing: {other}"),
    };
    if let Some(m) = h.metadata.as_deref().filter(|m| !m.trim().is_empty()) {
        s += &format!(" (“{}”)", crate::ids::clip(m, 200));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_back_goes_where_the_page_says() {
        let owner = ConversationRouting::default();
        assert_eq!(owner.hand_back_target(), None);
        let standby = ConversationRouting {
            mode: Mode::Standby,
            hand_back_to: None,
        };
        assert_eq!(
            standby.hand_back_target().map(|a| a.to_string()).as_deref(),
            Some(PAGE_INBOX)
        );
        let named = ConversationRouting {
            mode: Mode::Owner,
            hand_back_to: AppId::parse("900000000000099").ok(),
        };
        assert_eq!(
            named.hand_back_target().map(|a| a.to_string()).as_deref(),
            Some("900000000000099")
        );
    }

    #[test]
    fn settings_read_strictly() {
        let ok: ConversationRouting =
            serde_json::from_str(r#"{"mode":"standby","hand_back_to":"900000000000099"}"#).unwrap();
        assert_eq!(ok.mode, Mode::Standby);
        assert!(serde_json::from_str::<ConversationRouting>(r#"{"mode":"primary"}"#).is_err());
        assert!(
            serde_json::from_str::<ConversationRouting>(r#"{"hand_back_to":"inbox"}"#).is_err()
        );
        assert!(serde_json::from_str::<ConversationRouting>(r#"{"owner":true}"#).is_err());
        assert!(
            serde_json::from_str::<ConversationRouting>(r#"{"hand_back_to":null}"#).is_err(),
            "null is refused: leave it out"
        );
    }
}
