//! Configuration as code, the file: reading the YAML file of DESIGN.md.
//! Secrets are never required inline: a value `${NAME}` is read from the
//! environment. Applying it is `channels::apply` (one engine for
//! `switchboard serve` at start and `POST /admin/v1/apply`).

use crate::channels::apply::{Stores, write_accounts};
use crate::channels::{ApplyReport, Desired, DesiredAccount, DesiredPage, RoutingSections};
use crate::clock::Clock;
use crate::ids::{AccountId, AppId, PageId};
use crate::ports::{AccountStore, SecretStore};
use crate::problem::Problem;
use crate::secret::Secret;
use serde::Deserialize;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("the configuration is not valid YAML for Switchboard: {0}")]
    Parse(String),
    #[error("{field}: environment variable {var} is not set")]
    MissingEnv { field: String, var: String },
    #[error("{0}")]
    Invalid(String),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    public_url: Option<String>,
    /// Absent: accounts and pages are not managed by this file.
    #[serde(default)]
    accounts: Option<Vec<RawAccount>>,
    /// Checked by the admin API when applied (`switchboard apply`), as are
    /// the routing sections.
    #[serde(default)]
    workstreams: Option<Vec<serde_json::Value>>,
    #[serde(default)]
    queues: Option<Vec<serde_json::Value>>,
    #[serde(default)]
    agents: Option<Vec<serde_json::Value>>,
    #[serde(default)]
    rulesets: Option<Vec<serde_json::Value>>,
    #[serde(default)]
    canned_responses: Option<Vec<serde_json::Value>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAccount {
    id: AccountId,
    name: String,
    app_id: AppId,
    /// Absent: the stored secret is kept (an exported file has none).
    #[serde(default)]
    app_secret: Option<String>,
    #[serde(default)]
    verify_token: Option<String>,
    #[serde(default)]
    pages: Vec<RawPage>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPage {
    page_id: PageId,
    name: String,
    #[serde(default)]
    access_token: Option<String>,
    #[serde(default)]
    conversation_routing: crate::thread_control::ConversationRouting,
}

/// A configuration file with every `${ENV}` resolved.
#[derive(Debug, Clone)]
pub struct Config {
    pub public_url: String,
    /// Whether the file has an `accounts` section (without one, applying
    /// it leaves accounts and pages as they are).
    pub manages_accounts: bool,
    pub accounts: Vec<AccountConfig>,
    pub workstreams: Option<Vec<serde_json::Value>>,
    pub queues: Option<Vec<serde_json::Value>>,
    pub agents: Option<Vec<serde_json::Value>>,
    pub rulesets: Option<Vec<serde_json::Value>>,
    pub canned_responses: Option<Vec<serde_json::Value>>,
}

#[derive(Debug, Clone)]
pub struct AccountConfig {
    pub id: AccountId,
    pub name: String,
    pub app_id: AppId,
    pub app_secret: Option<Secret>,
    pub verify_token: Option<Secret>,
    pub pages: Vec<PageConfig>,
}

#[derive(Debug, Clone)]
pub struct PageConfig {
    pub page_id: PageId,
    pub name: String,
    pub access_token: Option<Secret>,
    pub conversation_routing: crate::thread_control::ConversationRouting,
}

pub const DEFAULT_PUBLIC_URL: &str = "http://127.0.0.1:8080";

fn resolve(
    field: String,
    value: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Secret, ConfigError> {
    let v = value.trim();
    match v.strip_prefix("${").and_then(|r| r.strip_suffix('}')) {
        Some(var) => {
            env(var)
                .filter(|s| !s.is_empty())
                .map(Secret::new)
                .ok_or(ConfigError::MissingEnv {
                    field,
                    var: var.to_string(),
                })
        }
        None => Ok(Secret::new(v)),
    }
}

impl Config {
    pub fn parse(yaml: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let raw: RawFile =
            crate::field_error::from_yaml(yaml).map_err(|e| ConfigError::Parse(e.to_string()))?;
        let mut seen_pages = std::collections::HashSet::new();
        let mut seen_accounts = std::collections::HashSet::new();
        let mut accounts = Vec::new();
        let manages_accounts = raw.accounts.is_some();
        for a in raw.accounts.into_iter().flatten() {
            if !seen_accounts.insert(a.id.clone()) {
                return Err(ConfigError::Invalid(format!(
                    "account {} is declared twice",
                    a.id
                )));
            }
            let app_secret = match &a.app_secret {
                Some(v) => Some(resolve(format!("accounts.{}.app_secret", a.id), v, env)?),
                None => None,
            };
            let verify_token = match &a.verify_token {
                Some(v) => {
                    let t = resolve(format!("accounts.{}.verify_token", a.id), v, env)?;
                    if t.expose().len() < 16 {
                        return Err(ConfigError::Invalid(format!(
                            "accounts.{}.verify_token: use at least 16 characters",
                            a.id
                        )));
                    }
                    Some(t)
                }
                None => None,
            };
            let mut pages = Vec::new();
            for p in a.pages {
                if !seen_pages.insert(p.page_id.clone()) {
                    return Err(ConfigError::Invalid(format!(
                        "page {} is declared twice; a page belongs to one account",
                        p.page_id
                    )));
                }
                let access_token = match &p.access_token {
                    Some(t) => Some(resolve(
                        format!("accounts.{}.pages.{}.access_token", a.id, p.page_id),
                        t,
                        env,
                    )?),
                    None => None,
                };
                pages.push(PageConfig {
                    page_id: p.page_id,
                    name: p.name,
                    access_token,
                    conversation_routing: p.conversation_routing,
                });
            }
            accounts.push(AccountConfig {
                id: a.id,
                name: a.name,
                app_id: a.app_id,
                app_secret,
                verify_token,
                pages,
            });
        }
        let public_url = raw
            .public_url
            .unwrap_or_else(|| DEFAULT_PUBLIC_URL.to_string());
        let public_url = public_url.trim_end_matches('/').to_string();
        let config = Self {
            public_url,
            manages_accounts,
            accounts,
            workstreams: raw.workstreams,
            queues: raw.queues,
            agents: raw.agents,
            rulesets: raw.rulesets,
            canned_responses: raw.canned_responses,
        };
        // The routing sections as the admin API will read them, checked
        // here where the text is, so a slip is told with its line.
        crate::field_error::from_yaml_value::<crate::channels::apply::Desired>(
            yaml,
            &config.to_desired_json(),
        )
        .map_err(|e| ConfigError::Invalid(format!("the configuration file: {e}")))?;
        Ok(config)
    }

    /// The desired state as `POST /admin/v1/apply` takes it (secrets resolved).
    pub fn to_desired_json(&self) -> serde_json::Value {
        let accounts: Vec<serde_json::Value> = self
            .accounts
            .iter()
            .map(|a| {
                let mut v = serde_json::json!({
                    "id": a.id, "name": a.name, "app_id": a.app_id,
                    "pages": a.pages.iter().map(|p| {
                        let mut pv = serde_json::json!({"page_id": p.page_id, "name": p.name});
                        if let Some(t) = &p.access_token {
                            pv["access_token"] = t.expose().into();
                        }
                        pv
                    }).collect::<Vec<_>>(),
                });
                if let Some(t) = &a.app_secret {
                    v["app_secret"] = t.expose().into();
                }
                if let Some(t) = &a.verify_token {
                    v["verify_token"] = t.expose().into();
                }
                v
            })
            .collect();
        let mut out = if self.manages_accounts {
            serde_json::json!({ "accounts": accounts })
        } else {
            serde_json::json!({})
        };
        out.as_object_mut()
            .expect("an object")
            .extend(self.routing_json().as_object().cloned().unwrap_or_default());
        out
    }

    /// The routing sections the file declares (workstreams, queues, agents,
    /// rulesets, canned responses), as the admin API takes them.
    pub fn routing_json(&self) -> serde_json::Value {
        let mut out = serde_json::json!({});
        for (name, v) in [
            ("workstreams", &self.workstreams),
            ("queues", &self.queues),
            ("agents", &self.agents),
            ("rulesets", &self.rulesets),
            ("canned_responses", &self.canned_responses),
        ] {
            if let Some(items) = v {
                out[name] = serde_json::Value::Array(items.clone());
            }
        }
        out
    }

    /// The accounts and their pages as the apply engine takes them.
    pub fn desired_accounts(&self) -> Vec<DesiredAccount> {
        self.accounts
            .iter()
            .map(|a| DesiredAccount {
                id: a.id.clone(),
                name: a.name.clone(),
                app_id: a.app_id.clone(),
                app_secret: a.app_secret.clone(),
                verify_token: a.verify_token.clone(),
                pages: a
                    .pages
                    .iter()
                    .map(|p| DesiredPage {
                        page_id: p.page_id.clone(),
                        name: p.name.clone(),
                        access_token: p.access_token.clone(),
                        conversation_routing: p.conversation_routing.clone(),
                    })
                    .collect(),
            })
            .collect()
    }

    /// The whole file as the apply engine takes it (the schema
    /// `POST /admin/v1/apply` reads); the routing sections are checked
    /// against it here.
    pub fn to_desired(&self) -> Result<Desired, ConfigError> {
        let sections: RoutingSections = crate::field_error::from_value(&self.routing_json())
            .map_err(|e| {
                ConfigError::Invalid(format!("the configuration's routing sections: {e}"))
            })?;
        Ok(Desired {
            public_url: Some(self.public_url.clone()),
            accounts: self.manages_accounts.then(|| self.desired_accounts()),
            workstreams: sections.workstreams,
            queues: sections.queues,
            agents: sections.agents,
            rulesets: sections.rulesets,
            canned_responses: sections.canned_responses,
        })
    }

    pub fn callback_url(&self, account: &AccountId) -> String {
        format!("{}/webhooks/facebook/{account}", self.public_url)
    }
}

/// A file's accounts and pages written straight to the stores, as
/// `switchboard serve` writes them at start: the one apply engine's
/// [`ApplyMode::Start`] step, for stores without the rest of a
/// `ChannelDeps` (seeding a store in tests). The routing sections are not
/// applied here; `serve` applies the whole file with [`channels::apply_as`].
///
/// [`ApplyMode::Start`]: crate::channels::ApplyMode::Start
/// [`channels::apply_as`]: crate::channels::apply_as
pub async fn apply_local(
    config: &Config,
    accounts: &dyn AccountStore,
    secrets: &dyn SecretStore,
    clock: &dyn Clock,
) -> Result<ApplyReport, Problem> {
    let mut report = ApplyReport::default();
    let stores = Stores {
        accounts,
        secrets,
        clock,
    };
    write_accounts(stores, &config.desired_accounts(), &mut report).await?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    const YAML: &str = r#"
public_url: http://127.0.0.1:8080/
accounts:
  - id: acme
    name: Acme Facebook
    app_id: "900000000000001"
    app_secret: ${ACME_APP_SECRET}
    verify_token: ${ACME_VERIFY_TOKEN}
    pages:
      - page_id: "104857600000001"
        name: Acme Support
        access_token: ${ACME_PAGE_TOKEN}
"#;

    fn env(k: &str) -> Option<String> {
        match k {
            "ACME_APP_SECRET" => Some("s3cret".into()),
            "ACME_VERIFY_TOKEN" => Some("a-verify-token-of-some-length".into()),
            "ACME_PAGE_TOKEN" => Some("EAAB-page".into()),
            _ => None,
        }
    }

    #[test]
    fn parses_the_design_example_with_env_secrets() {
        let c = Config::parse(YAML, &env).unwrap();
        assert_eq!(c.public_url, "http://127.0.0.1:8080");
        assert_eq!(
            c.accounts[0].app_secret.as_ref().map(Secret::expose),
            Some("s3cret")
        );
        assert_eq!(
            c.callback_url(&c.accounts[0].id),
            "http://127.0.0.1:8080/webhooks/facebook/acme"
        );
        assert_eq!(
            c.accounts[0].pages[0]
                .access_token
                .as_ref()
                .unwrap()
                .expose(),
            "EAAB-page"
        );
    }

    #[test]
    fn a_missing_env_var_is_named() {
        let e = Config::parse(YAML, &|_| None).unwrap_err();
        assert!(e.to_string().contains("ACME_APP_SECRET"), "{e}");
    }

    #[test]
    fn bad_ids_and_unknown_fields_are_refused() {
        let bad = YAML.replace("\"104857600000001\"", "\"not-a-page\"");
        assert!(Config::parse(&bad, &env).is_err());
        let typo = YAML.replace("app_secret:", "app_secrett:");
        assert!(Config::parse(&typo, &env).is_err());
    }
}
