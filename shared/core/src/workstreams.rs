//! Messaging workstreams, channel settings: which pages feed the
//! workstream (a page feeds at most one), its language, and its user
//! features. The distribution settings arrive with routing; the agent and
//! routing capabilities enforce these.

use crate::ids::PageId;
pub use crate::ids::WorkstreamId;
use crate::routing::model::Distribution;
use crate::time::{self, Millis};
use serde::{Deserialize, Deserializer, Serialize};

/// A language tag such as `en`, `da` or `en-GB` (automated messages are
/// chosen by it).
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Debug)]
#[serde(transparent)]
pub struct Locale(String);

impl Locale {
    pub fn parse(v: &str) -> Result<Self, String> {
        let mut parts = v.split(['-', '_']);
        let lang = parts.next().unwrap_or("");
        let region = parts.next();
        let ok_lang =
            (2..=3).contains(&lang.len()) && lang.bytes().all(|b| b.is_ascii_alphabetic());
        let ok_region =
            region.is_none_or(|r| r.len() == 2 && r.bytes().all(|b| b.is_ascii_alphabetic()));
        if ok_lang && ok_region && parts.next().is_none() {
            Ok(Self(match region {
                Some(r) => format!("{}-{}", lang.to_ascii_lowercase(), r.to_ascii_uppercase()),
                None => lang.to_ascii_lowercase(),
            }))
        } else {
            Err(format!(
                "{v:?} is not a language tag such as en, da or en-GB"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Locale {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

fn yes() -> bool {
    true
}

/// User features of a messaging workstream.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Features {
    /// Customers may send files and images to agents.
    #[serde(default = "yes")]
    pub customer_attachments: bool,
    /// Agents may send files and images.
    #[serde(default = "yes")]
    pub agent_attachments: bool,
    /// Human replies between 24 hours and 7 days after the customer's last
    /// message go out with Meta's HUMAN_AGENT tag (needs Meta's approval).
    #[serde(default)]
    pub human_agent_tag: bool,
}

impl Default for Features {
    fn default() -> Self {
        Self {
            customer_attachments: true,
            agent_attachments: true,
            human_agent_tag: false,
        }
    }
}

/// When an automated message goes to the customer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// The conversation was put in a queue (`{QueueName}`).
    Queued,
    /// An agent took it (`{AgentName}`).
    Assigned,
    /// It moved to another queue or agent (`{QueueName}`, `{AgentName}`).
    Transferred,
    /// It arrived outside the queue's operating hours.
    OutOfHours,
    /// The agent ended it (`{AgentName}`).
    Ended,
    /// Closed after a period without activity.
    ClosedInactive,
    /// The customer sent a file the workstream does not take.
    AttachmentsNotSupported,
    /// The recording notice: once, to a new customer, before anything else.
    FirstContact,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Assigned => "assigned",
            Self::Transferred => "transferred",
            Self::OutOfHours => "out_of_hours",
            Self::Ended => "ended",
            Self::ClosedInactive => "closed_inactive",
            Self::AttachmentsNotSupported => "attachments_not_supported",
            Self::FirstContact => "first_contact",
        }
    }
}

/// The placeholders automated messages may use.
pub const PLACEHOLDERS: [&str; 2] = ["{AgentName}", "{QueueName}"];

/// An automated message: sent through the sender, always `RESPONSE`, only
/// inside the 24-hour window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutomatedMessage {
    pub trigger: Trigger,
    /// The customer's language it is for; without one, for every language
    /// that has no message of its own.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::serde_rules::present"
    )]
    pub locale: Option<Locale>,
    pub text: String,
}

/// The post-conversation survey: quick replies 1 to 5, or a link.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Survey {
    /// The question (up to 640 characters).
    pub question: String,
    /// Send this link (https) instead of the 1-to-5 quick replies.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::serde_rules::present"
    )]
    pub link: Option<String>,
    /// Sent after an answer, when given.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::serde_rules::present"
    )]
    pub thanks: Option<String>,
}

/// Check a workstream's automated messages and survey (`Err` says why).
pub fn check_messages(
    messages: &[AutomatedMessage],
    survey: Option<&Survey>,
) -> Result<(), String> {
    let mut seen = std::collections::HashSet::new();
    for m in messages {
        let n = m.text.chars().count();
        if m.text.trim().is_empty() || n > 2000 {
            return Err(format!(
                "the {} message needs a text of 1 to 2000 characters",
                m.trigger.as_str()
            ));
        }
        let mut rest = m.text.as_str();
        while let Some(i) = rest.find('{') {
            let tail = &rest[i..];
            let end = tail.find('}').map(|e| e + 1).unwrap_or(tail.len());
            let ph = &tail[..end];
            if !PLACEHOLDERS.contains(&ph) {
                return Err(format!(
                    "the {} message uses {ph:?}; the placeholders are {{AgentName}} and {{QueueName}}",
                    m.trigger.as_str()
                ));
            }
            rest = &tail[end..];
        }
        if !seen.insert((m.trigger, m.locale.clone())) {
            return Err(format!(
                "there are two {} messages for {}",
                m.trigger.as_str(),
                m.locale
                    .as_ref()
                    .map(Locale::as_str)
                    .unwrap_or("every language")
            ));
        }
    }
    if let Some(s) = survey {
        let n = s.question.chars().count();
        if s.question.trim().is_empty() || n > 640 {
            return Err("the survey question needs 1 to 640 characters".into());
        }
        if let Some(l) = &s.link
            && !(l.starts_with("https://") && l.len() > 8 && !l.contains(char::is_whitespace))
        {
            return Err(format!("the survey link must be an https URL: {l:?}"));
        }
        if let Some(t) = &s.thanks
            && (t.trim().is_empty() || t.chars().count() > 2000)
        {
            return Err("the survey's thanks needs 1 to 2000 characters".into());
        }
    }
    Ok(())
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Workstream {
    pub id: WorkstreamId,
    pub name: String,
    /// Pages that feed this workstream; each page feeds at most one.
    pub pages: Vec<PageId>,
    pub locale: Locale,
    pub features: Features,
    /// How conversations reach agents (push or pick, capacity, skills...).
    #[serde(default)]
    pub distribution: Distribution,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub automated_messages: Vec<AutomatedMessage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub survey: Option<Survey>,
    /// The bot that answers new conversations first ([`crate::bot`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot: Option<crate::bot::Bot>,
    /// How long what customers said is kept ([`crate::privacy::retention`]).
    #[serde(
        default,
        skip_serializing_if = "crate::privacy::retention::Retention::is_empty"
    )]
    pub retention: crate::privacy::retention::Retention,
    #[serde(with = "time::rfc3339")]
    pub created_at: Millis,
    #[serde(with = "time::rfc3339")]
    pub updated_at: Millis,
}

impl Workstream {
    /// The automated message for `trigger` in `language` (else the one for
    /// every language), placeholders filled in.
    pub fn automated(
        &self,
        trigger: Trigger,
        language: Option<&str>,
        vars: &[(&str, &str)],
    ) -> Option<String> {
        let lang = |m: &&AutomatedMessage| {
            m.locale.as_ref().is_some_and(|l| {
                language.is_some_and(|want| {
                    l.as_str() == want || l.as_str().split('-').next() == Some(want)
                })
            })
        };
        let of = self
            .automated_messages
            .iter()
            .filter(|m| m.trigger == trigger);
        let m = of
            .clone()
            .find(lang)
            .or_else(|| of.clone().find(|m| m.locale.is_none()))
            .or_else(|| of.clone().find(|m| m.locale.as_ref() == Some(&self.locale)))?;
        let mut text = m.text.clone();
        for (k, v) in vars {
            text = text.replace(k, v);
        }
        Some(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locales() {
        assert_eq!(Locale::parse("da").unwrap().as_str(), "da");
        assert_eq!(Locale::parse("en_gb").unwrap().as_str(), "en-GB");
        for bad in ["", "english", "e", "en-GBR", "en-GB-x", "1a"] {
            assert!(Locale::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn features_default_to_attachments_on_and_the_tag_off() {
        let f: Features = serde_json::from_str("{}").unwrap();
        assert_eq!(f, Features::default());
        assert!(serde_json::from_str::<Features>(r#"{"humanagent": true}"#).is_err());
    }
}
