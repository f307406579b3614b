//! Configuration as code, read side: the stored configuration as the file
//! `switchboard apply -f` and `serve --config` read states it
//! (`GET /admin/v1/export`, JSON or YAML), secrets left out; and an
//! uploaded YAML file read as `POST /admin/v1/apply` takes it.

use super::{ChannelDeps, Desired, accounts_with_pages};
use crate::ids::{AccountId, AppId, PageId};
use crate::problem::Problem;
use serde::Serialize;
use serde_yaml_ng::Value;

/// The configuration as a file states it, secrets left out. Every record
/// is written as the admin API takes it (timestamps and live state such as
/// presence left out), in its fields' order, so applying an export changes
/// nothing.
#[derive(Debug, Serialize)]
pub struct Exported {
    pub public_url: String,
    pub accounts: Vec<ExportedAccount>,
    pub queues: Vec<Value>,
    pub workstreams: Vec<Value>,
    pub rulesets: Vec<Value>,
    /// Configuration only (presence and load belong to the agents).
    pub agents: Vec<Value>,
    pub canned_responses: Vec<Value>,
}

#[derive(Debug, Serialize)]
pub struct ExportedAccount {
    pub id: AccountId,
    pub name: String,
    pub app_id: AppId,
    pub pages: Vec<ExportedPage>,
}

#[derive(Debug, Serialize)]
pub struct ExportedPage {
    pub page_id: PageId,
    pub name: String,
    #[serde(skip_serializing_if = "crate::thread_control::ConversationRouting::is_default")]
    pub conversation_routing: crate::thread_control::ConversationRouting,
}

/// An enum variant as JSON and the admin API write it (`{all: [...]}`),
/// not as a YAML tag (`!all [...]`), which the file's readers refuse.
fn untagged(v: Value) -> Value {
    match v {
        Value::Tagged(t) => {
            let serde_yaml_ng::value::TaggedValue { tag, value } = *t;
            let name = tag.to_string();
            let name = name.strip_prefix('!').unwrap_or(&name).to_string();
            let mut m = serde_yaml_ng::Mapping::new();
            m.insert(Value::String(name), untagged(value));
            Value::Mapping(m)
        }
        Value::Sequence(items) => Value::Sequence(items.into_iter().map(untagged).collect()),
        Value::Mapping(m) => Value::Mapping(m.into_iter().map(|(k, v)| (k, untagged(v))).collect()),
        other => other,
    }
}

/// A stored record as the file states it: its fields in order, without
/// the store's timestamps.
fn as_file<T: Serialize>(record: &T) -> Result<Value, Problem> {
    let mut v = serde_yaml_ng::to_value(record)
        .map(untagged)
        .map_err(|e| Problem::internal(format!("a record could not be exported: {e}")))?;
    if let Value::Mapping(m) = &mut v {
        m.remove("created_at");
        m.remove("updated_at");
        // A workstream's bot: its secret stays where it is (like an app
        // secret), so the file applies again and keeps it.
        if let Some(Value::Mapping(bot)) = m.get_mut("bot") {
            bot.remove("secret_ref");
        }
    }
    Ok(v)
}

fn all_as_file<T: Serialize>(records: &[T]) -> Result<Vec<Value>, Problem> {
    records.iter().map(as_file).collect()
}

pub async fn export(deps: &ChannelDeps) -> Result<Exported, Problem> {
    let mut accounts = Vec::new();
    for (a, pages) in accounts_with_pages(deps.accounts.as_ref()).await? {
        let pages = pages
            .into_iter()
            .map(|p| ExportedPage {
                page_id: p.page_id,
                name: p.name,
                conversation_routing: p.conversation_routing,
            })
            .collect();
        accounts.push(ExportedAccount {
            id: a.id,
            name: a.name,
            app_id: a.app_id,
            pages,
        });
    }
    let agents: Vec<_> = deps
        .routing_config
        .list_agents()
        .await?
        .into_iter()
        .map(|a| a.agent)
        .collect();
    Ok(Exported {
        public_url: deps.public_url.clone(),
        accounts,
        queues: all_as_file(&deps.routing_config.list_queues().await?)?,
        workstreams: all_as_file(&deps.workstreams.list_workstreams().await?)?,
        rulesets: all_as_file(&deps.routing_config.list_rulesets(None).await?)?,
        agents: all_as_file(&agents)?,
        canned_responses: all_as_file(&deps.routing_config.list_canned(None).await?)?,
    })
}

const YAML_HEADER: &str = "\
# Switchboard configuration, exported from the admin API.
# Apply it with `switchboard apply -f switchboard.yaml`, the admin console's
# Configuration section, or `switchboard serve --config switchboard.yaml`.
# Secrets are not exported: an account without app_secret and a page without
# access_token keep what is stored. To create them elsewhere, add the secrets
# as ${ENV} placeholders (read from the environment by the CLI).
";

/// The export as a YAML file (`switchboard.yaml`).
pub fn to_yaml(exported: &Exported) -> Result<String, Problem> {
    let body = serde_yaml_ng::to_string(exported)
        .map_err(|e| Problem::internal(format!("the export could not be written as YAML: {e}")))?;
    Ok(format!("{YAML_HEADER}{body}"))
}

/// A configuration file uploaded as YAML, read as `POST /admin/v1/apply`
/// reads its JSON body (the file's schema, with line and column on an
/// error). The server does not read the operator's environment: a secret
/// written as an `${ENV}` placeholder is left out, so the stored one is
/// kept (a new account or page then needs the secret itself).
pub fn desired_from_yaml(yaml: &str) -> Result<Desired, Problem> {
    // An empty file would state no accounts: refused, not read as "remove
    // every account".
    if matches!(serde_yaml_ng::from_str::<Value>(yaml), Ok(Value::Null)) {
        return Err(Problem::bad_request(
            "invalid_body",
            "the configuration file is empty",
        ));
    }
    let invalid = |e: serde_yaml_ng::Error| {
        let mut p = Problem::bad_request(
            "invalid_body",
            format!("the configuration file is not valid: {e}"),
        );
        if let Some(at) = e.location() {
            p.extra.insert("line".into(), at.line().into());
            p.extra.insert("column".into(), at.column().into());
        }
        p
    };
    // Read as the JSON body is (and as the CLI reads the routing
    // sections): `name: null` is no name, not "null"; `{seconds: 60}` is
    // an enum variant.
    let JsonValue(json) = serde_yaml_ng::from_str(yaml).map_err(invalid)?;
    let mut desired: Desired = crate::field_error::from_yaml_value(yaml, &json).map_err(|e| {
        let mut p = Problem::bad_request(
            "invalid_body",
            format!("the configuration file is not valid: {e}"),
        );
        if let Some((line, column)) = e.line {
            p.extra.insert("line".into(), line.into());
            p.extra.insert("column".into(), column.into());
        }
        p
    })?;
    let placeholder = |s: &Option<crate::secret::Secret>| {
        s.as_ref().is_some_and(|s| {
            let v = s.expose().trim();
            v.starts_with("${") && v.ends_with('}')
        })
    };
    for a in desired.accounts.iter_mut().flatten() {
        if placeholder(&a.app_secret) {
            a.app_secret = None;
        }
        if placeholder(&a.verify_token) {
            a.verify_token = None;
        }
        for p in &mut a.pages {
            if placeholder(&p.access_token) {
                p.access_token = None;
            }
        }
    }
    Ok(desired)
}

/// A YAML document as the JSON value it states. A whole number beyond 64
/// bits (which `serde_json::Value` cannot hold as an integer) is read as
/// the float the JSON body's parser would make of it.
struct JsonValue(serde_json::Value);

impl<'de> serde::Deserialize<'de> for JsonValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(JsonVisitor).map(JsonValue)
    }
}

struct JsonVisitor;

impl<'de> serde::de::Visitor<'de> for JsonVisitor {
    type Value = serde_json::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_i128<E>(self, v: i128) -> Result<Self::Value, E> {
        Ok((v as f64).into())
    }
    fn visit_u128<E>(self, v: u128) -> Result<Self::Value, E> {
        Ok((v as f64).into())
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        // NaN and infinities have no JSON form: null, as serde_json writes them.
        Ok(v.into())
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(JsonVisitor)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(JsonValue(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(serde_json::Value::Array(items))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = serde_json::Map::new();
        while let Some((k, JsonValue(v))) = map.next_entry::<String, JsonValue>()? {
            out.insert(k, v);
        }
        Ok(serde_json::Value::Object(out))
    }
}
