//! Messaging workstreams, channel settings: which pages feed the
//! workstream (a page feeds at most one), its language, and its user
//! features. The distribution settings arrive with routing; the agent and
//! routing capabilities enforce these.

use crate::ids::{InvalidId, PageId};
use crate::routing::model::Distribution;
use crate::time::{self, Millis};
use serde::{Deserialize, Deserializer, Serialize};

/// A workstream id: a slug, like an account id.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Debug)]
#[serde(transparent)]
pub struct WorkstreamId(String);

impl WorkstreamId {
    pub fn parse(v: impl Into<String>) -> Result<Self, InvalidId> {
        let v = v.into();
        let ok = !v.is_empty()
            && v.len() <= 64
            && v.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if ok {
            Ok(Self(v))
        } else {
            let mut shown = v;
            shown.truncate(80);
            Err(InvalidId {
                kind: "workstream id",
                value: shown,
                rule: "use 1 to 64 characters from a-z, 0-9, '-' and '_'",
            })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for WorkstreamId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for WorkstreamId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::parse(String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// A language tag such as `en`, `da` or `en-GB` (automated messages are
/// chosen by it).
#[derive(Clone, PartialEq, Eq, Serialize, Debug)]
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
    #[serde(with = "time::rfc3339")]
    pub created_at: Millis,
    #[serde(with = "time::rfc3339")]
    pub updated_at: Millis,
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
