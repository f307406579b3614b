//! A workstream's bot: an HTTP service of the company's own that answers a
//! new conversation first, before any agent. Its settings on the
//! workstream ([`Bot`]), what Switchboard posts to it and what it may
//! answer ([`wire`]), the port that reaches it ([`BotClient`]), and the
//! flows ([`flow`]): a conversation in state `bot` costs no capacity; each
//! customer event is posted, signed, in order; the bot's messages go out as
//! automated messages (`RESPONSE`, never tagged); it escalates to humans,
//! ends the conversation, or stays silent, and a bot that fails or stays
//! silent too long is escalated from by Switchboard itself.

pub mod api;
pub mod flow;
pub mod tokens;
pub mod wire;

use crate::ids::WorkstreamId;
use crate::secret::Secret;
use crate::time::{self, Millis};
use crate::workstreams::Survey;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The header that carries the delivery's HMAC-SHA256 signature, in Meta's
/// format (`sha256=<hex>`), keyed with the bot's secret.
pub const SIGNATURE_HEADER: &str = "X-Switchboard-Signature-256";
/// The header that names the delivery (the same on every retry of it), so a
/// bot can drop one it has seen.
pub const DELIVERY_HEADER: &str = "X-Switchboard-Delivery";

const DEFAULT_TIMEOUT_MS: u64 = 5_000;
const DEFAULT_MAX_FAILURES: u32 = 3;
const DEFAULT_ANSWER_WITHIN: u64 = 300;
/// The most time the attempts for one customer event may take together
/// (`timeout_ms` times `max_failures`, and the backoff between tries): the
/// router holds the conversation's events meanwhile, and its Lambda
/// invocation has 30 s for the whole batch.
pub const MAX_ATTEMPTS_MS: u64 = 20_000;

fn default_timeout() -> u64 {
    DEFAULT_TIMEOUT_MS
}
fn default_failures() -> u32 {
    DEFAULT_MAX_FAILURES
}
fn default_answer_within() -> u64 {
    DEFAULT_ANSWER_WITHIN
}

/// A workstream's bot as stored: the secret itself is in the secrets port
/// under `secret_ref` (never in the workstream, never in an API answer).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bot {
    /// Where customer events are posted (`https://`, or `http://` on
    /// loopback for a bot on the same machine).
    pub url: String,
    /// The bot secret's name in the secrets port.
    pub secret_ref: String,
    /// How long one delivery may take.
    #[serde(default = "default_timeout")]
    pub timeout_ms: u64,
    /// Failed deliveries in a row after which the conversation goes to humans.
    #[serde(default = "default_failures")]
    pub max_failures: u32,
    /// How long a customer may wait for the bot's answer before the
    /// conversation goes to humans.
    #[serde(default = "default_answer_within")]
    pub answer_within_seconds: u64,
    /// Sent when a conversation reaches the bot, before its first answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub greeting: Option<String>,
    /// Sent when the bot ends a conversation it handled alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub survey: Option<Survey>,
}

/// A bot as the admin API and the configuration file take it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BotInput {
    pub url: String,
    /// The shared secret deliveries are signed with; write-only. Leave it
    /// out when changing a workstream's bot to keep the one it has.
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub secret: Option<Secret>,
    #[serde(default = "default_timeout")]
    pub timeout_ms: u64,
    #[serde(default = "default_failures")]
    pub max_failures: u32,
    #[serde(default = "default_answer_within")]
    pub answer_within_seconds: u64,
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub greeting: Option<String>,
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub survey: Option<Survey>,
}

/// The name the bot secret of `ws` is kept under in the secrets port.
pub fn secret_name(ws: &WorkstreamId) -> String {
    format!("switchboard/workstreams/{ws}/bot-secret")
}

impl BotInput {
    /// Check the settings (`Err` says which and why).
    pub fn check(&self) -> Result<(), String> {
        let url = self.url.trim();
        let loopback = ["http://127.0.0.1", "http://localhost", "http://[::1]"]
            .iter()
            .any(|p| url.starts_with(p));
        if !(url.starts_with("https://") || loopback) || url.contains(char::is_whitespace) {
            return Err(format!(
                "the bot url must be https (or http on 127.0.0.1 or localhost): {url:?}"
            ));
        }
        if let Some(s) = &self.secret
            && s.expose().len() < 16
        {
            return Err("the bot secret needs at least 16 characters".into());
        }
        if !(100..=20_000).contains(&self.timeout_ms) {
            return Err(format!(
                "the bot's timeout_ms is {}; it must be 100 to 20000",
                self.timeout_ms
            ));
        }
        if !(1..=10).contains(&self.max_failures) {
            return Err(format!(
                "the bot's max_failures is {}; it must be 1 to 10",
                self.max_failures
            ));
        }
        let worst = flow::worst_tries_ms(self.timeout_ms, self.max_failures);
        if worst > MAX_ATTEMPTS_MS {
            return Err(format!(
                "the bot's timeout_ms ({}) times max_failures ({}), with the waits between tries, is {worst} ms; the attempts for one customer event may take at most {MAX_ATTEMPTS_MS} ms (the router holds the conversation meanwhile): lower one of them",
                self.timeout_ms, self.max_failures
            ));
        }
        if !(10..=86_400).contains(&self.answer_within_seconds) {
            return Err(format!(
                "the bot's answer_within_seconds is {}; it must be 10 to 86400",
                self.answer_within_seconds
            ));
        }
        if let Some(g) = &self.greeting
            && (g.trim().is_empty() || g.chars().count() > 2000)
        {
            return Err("the bot's greeting needs 1 to 2000 characters".into());
        }
        crate::workstreams::check_messages(&[], self.survey.as_ref())
            .map_err(|m| format!("the bot's survey: {m}"))
    }

    /// The stored form, the secret kept under `secret_ref`.
    pub fn stored(&self, ws: &WorkstreamId) -> Bot {
        Bot {
            url: self.url.trim().to_string(),
            secret_ref: secret_name(ws),
            timeout_ms: self.timeout_ms,
            max_failures: self.max_failures,
            answer_within_seconds: self.answer_within_seconds,
            greeting: self.greeting.clone(),
            survey: self.survey.clone(),
        }
    }
}

/// What a bot asks when it hands a conversation to humans: the reason the
/// agent reads, and what routing's rules start from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Escalation {
    pub reason: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub skills: BTreeMap<crate::routing::model::Skill, u8>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<u32>,
}

impl Escalation {
    /// One of Switchboard's own (the bot failed or stayed silent).
    pub fn because(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
            ..Self::default()
        }
    }

    /// What classification starts from (see `routing::decide::Sample::seed`).
    pub fn outputs(&self) -> crate::routing::model::Outputs {
        crate::routing::model::Outputs {
            skills: self.skills.clone(),
            priority: self.priority,
            attributes: self.attributes.clone(),
        }
    }

    /// Check what a bot sent (`Err` says why).
    pub fn check(&self) -> Result<(), String> {
        if self.reason.trim().is_empty() || self.reason.chars().count() > 500 {
            return Err("the escalation needs a reason of 1 to 500 characters".into());
        }
        if self.attributes.len() > 20
            || self
                .attributes
                .iter()
                .any(|(k, v)| k.is_empty() || k.len() > 64 || v.len() > 256)
        {
            return Err(
                "at most 20 attributes, names of 1 to 64 characters, values up to 256".into(),
            );
        }
        if self.skills.values().any(|p| *p > 10) {
            return Err("skill proficiencies are 0 to 10".into());
        }
        Ok(())
    }
}

/// Who handed the conversation to humans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EscalatedBy {
    /// The bot asked (in an answer, or through the bot API).
    Bot,
    /// Switchboard did: the bot failed, or did not answer in time.
    Switchboard,
}

/// What routing keeps of a conversation's time with the bot.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug)]
pub struct BotRecord {
    #[serde(with = "time::rfc3339")]
    pub since: Millis,
    /// Deliveries that failed in a row.
    #[serde(default)]
    pub failures: u32,
    /// The last customer event the bot took (its key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivered: Option<String>,
    /// The customer wrote at this time and the bot has not answered since.
    #[serde(default, with = "time::rfc3339::option")]
    pub unanswered_since: Option<Millis>,
    /// The last message the bot sent.
    #[serde(default, with = "time::rfc3339::option")]
    pub answered_at: Option<Millis>,
    /// Handed to humans: when, by whom, and what the bot asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalated: Option<Escalated>,
}

impl BotRecord {
    /// A conversation that reached the bot at `since`.
    pub fn new(since: Millis) -> Self {
        Self {
            since,
            failures: 0,
            delivered: None,
            unanswered_since: None,
            answered_at: None,
            escalated: None,
        }
    }
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug)]
pub struct Escalated {
    #[serde(with = "time::rfc3339")]
    pub at: Millis,
    pub by: EscalatedBy,
    #[serde(flatten)]
    pub escalation: Escalation,
}

/// Why a delivery to the bot did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BotCallError {
    #[error("the bot did not answer within {0} ms")]
    Timeout(u64),
    #[error("the bot answered HTTP {status}: {body}")]
    Status { status: u16, body: String },
    #[error("the bot could not be reached: {0}")]
    Unreachable(String),
}

/// The port that posts a delivery to a bot. The adapter sets the headers,
/// the body's content type (`application/json`) and the timeout; the body
/// it returns is the bot's 2xx answer (empty when it sent none).
#[async_trait]
pub trait BotClient: Send + Sync {
    async fn post(
        &self,
        url: &str,
        headers: &[(&str, String)],
        body: Vec<u8>,
        timeout_ms: u64,
    ) -> Result<Vec<u8>, BotCallError>;
}

/// What the bot flows need beyond routing's stores: the client and where
/// the bot secrets are.
#[derive(Clone)]
pub struct Bots {
    pub client: std::sync::Arc<dyn BotClient>,
    pub secrets: std::sync::Arc<dyn crate::ports::SecretStore>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(v: serde_json::Value) -> BotInput {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn settings_have_defaults_and_limits() {
        let b = input(
            serde_json::json!({"url": "https://bot.example.com/hook", "secret": "0123456789abcdef"}),
        );
        assert!(b.check().is_ok());
        assert_eq!(
            (b.timeout_ms, b.max_failures, b.answer_within_seconds),
            (5000, 3, 300)
        );
        // 18 s of timeouts and 0.75 s of waits: within 20 s.
        let near =
            input(serde_json::json!({"url": "https://b", "timeout_ms": 6000, "max_failures": 3}));
        assert!(near.check().is_ok());
        let loopback = input(serde_json::json!({"url": "http://127.0.0.1:8070/events"}));
        assert!(loopback.check().is_ok());
        for bad in [
            serde_json::json!({"url": "http://bot.example.com"}),
            serde_json::json!({"url": "https://b", "secret": "short"}),
            serde_json::json!({"url": "https://b", "timeout_ms": 50}),
            serde_json::json!({"url": "https://b", "max_failures": 0}),
            serde_json::json!({"url": "https://b", "timeout_ms": 10000, "max_failures": 3}),
            // 20 s of timeouts, and 23.75 s of waits between the tries.
            serde_json::json!({"url": "https://b", "timeout_ms": 2000, "max_failures": 10}),
            serde_json::json!({"url": "https://b", "timeout_ms": 6500, "max_failures": 3}),
            serde_json::json!({"url": "https://b", "greeting": " "}),
        ] {
            assert!(input(bad.clone()).check().is_err(), "{bad}");
        }
        assert!(
            serde_json::from_value::<BotInput>(
                serde_json::json!({"url": "https://b", "timeout": 5})
            )
            .is_err()
        );
    }

    #[test]
    fn escalations_are_checked() {
        assert!(Escalation::because("billing question").check().is_ok());
        assert!(Escalation::because(" ").check().is_err());
        let mut e = Escalation::because("x");
        e.skills
            .insert(crate::routing::model::Skill::parse("billing").unwrap(), 11);
        assert!(e.check().is_err());
    }
}
