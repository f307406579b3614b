//! Contacts as agents see and edit them (validated fields, edits by
//! version), and a new contact's name from Meta's User Profile API.

use crate::Millis;
use crate::graph::GraphApi;
use crate::ids::{ContactId, PageId, Psid};
use crate::ports::{Contact, ConversationStore, SecretStore, StoreError, page_token_name};
use crate::problem::Problem;
use crate::problem::Status;
use serde::Deserialize;
use std::sync::Arc;

pub const MAX_NAME: usize = 200;
pub const MAX_EMAIL: usize = 254;
pub const MAX_PHONE: usize = 32;
pub const MAX_NOTES: usize = 2000;

/// How a fallback name begins; the PSID's last four characters follow.
const FALLBACK_PREFIX: &str = "Messenger customer …";

/// A readable name for a contact Switchboard knows nothing about yet:
/// `Messenger customer …1234`, ending with the PSID's last four characters.
pub fn fallback_name(psid: &str) -> String {
    let skip = psid.chars().count().saturating_sub(4);
    let tail: String = psid.chars().skip(skip).collect();
    format!("{FALLBACK_PREFIX}{tail}")
}

/// Whether `name` is a [`fallback_name`]: the search index leaves it out,
/// since every unnamed contact shares its words (and a new customer's
/// contact is then written with no index entries at all).
pub fn is_fallback_name(name: &str) -> bool {
    name.strip_prefix(FALLBACK_PREFIX).is_some_and(|tail| {
        (1..=4).contains(&tail.len()) && tail.bytes().all(|b| b.is_ascii_digit())
    })
}

/// `POST /agent/v1/contacts` (and the create-and-link form of `PUT
/// .../contact`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewContact {
    pub name: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
}

fn invalid(detail: impl Into<String>) -> Problem {
    Problem::new(
        Status::UNPROCESSABLE_ENTITY,
        "invalid_contact",
        "Invalid contact",
        detail,
    )
}

fn check_name(name: &str) -> Result<String, Problem> {
    let n = name.trim();
    if n.is_empty() || n.chars().count() > MAX_NAME {
        return Err(invalid(format!("name is 1 to {MAX_NAME} characters")));
    }
    Ok(n.to_string())
}

/// Empty means none.
fn check_optional(field: &str, v: Option<&str>) -> Result<Option<String>, Problem> {
    let Some(v) = v.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let ok = match field {
        "email" => {
            v.len() <= MAX_EMAIL
                && !v.chars().any(char::is_whitespace)
                && v.split_once('@').is_some_and(|(user, domain)| {
                    !user.is_empty() && domain.contains('.') && !domain.contains('@')
                })
        }
        "phone" => {
            v.len() <= MAX_PHONE
                && v.chars().filter(char::is_ascii_digit).count() >= 3
                && v.chars()
                    .all(|c| c.is_ascii_digit() || " +-().".contains(c))
        }
        _ => v.chars().count() <= MAX_NOTES,
    };
    if !ok {
        return Err(invalid(match field {
            "email" => format!("email {v:?} is not an email address"),
            "phone" => format!(
                "phone {v:?} is not a phone number (digits, spaces, + - ( ) ., up to {MAX_PHONE})"
            ),
            _ => format!("notes are up to {MAX_NOTES} characters"),
        }));
    }
    Ok(Some(v.to_string()))
}

/// A new contact from an agent's input.
pub fn create(input: NewContact, now: Millis) -> Result<Contact, Problem> {
    let mut c = Contact::new(ContactId::generate(), check_name(&input.name)?, now);
    c.email = check_optional("email", input.email.as_deref())?;
    c.phone = check_optional("phone", input.phone.as_deref())?;
    c.notes = check_optional("notes", input.notes.as_deref())?;
    Ok(c)
}

/// Apply a JSON merge patch of `name`, `email`, `phone`, `notes` (`null`
/// or `""` clears an optional field); `version`, when given, must be the
/// stored one.
pub fn patch(
    current: &Contact,
    patch: &serde_json::Value,
    now: Millis,
) -> Result<Contact, Problem> {
    let Some(fields) = patch.as_object() else {
        return Err(Problem::bad_request(
            "invalid_body",
            "the body is a JSON object of the fields to change",
        ));
    };
    let mut c = current.clone();
    for (k, v) in fields {
        let text = match v {
            serde_json::Value::Null => None,
            serde_json::Value::String(s) => Some(s.as_str()),
            serde_json::Value::Number(n) if k == "version" => {
                if n.as_u64() != Some(current.version) {
                    return Err(Problem::new(
                        Status::CONFLICT,
                        "version_mismatch",
                        "Changed meanwhile",
                        format!(
                            "contact {} is at version {}; read it again and reapply your change",
                            current.id, current.version
                        ),
                    ));
                }
                continue;
            }
            _ => return Err(invalid(format!("{k} is a string"))),
        };
        match k.as_str() {
            "name" => c.name = check_name(text.unwrap_or_default())?,
            "email" => c.email = check_optional("email", text)?,
            "phone" => c.phone = check_optional("phone", text)?,
            "notes" => c.notes = check_optional("notes", text)?,
            other => {
                return Err(invalid(format!(
                    "unknown field {other}: a contact has name, email, phone and notes"
                )));
            }
        }
    }
    c.version = current.version + 1;
    c.updated_at = Some(now);
    Ok(c)
}

/// A contact as the agent API shows it.
pub fn view(c: &Contact) -> serde_json::Value {
    serde_json::json!({
        "id": c.id,
        "name": c.name,
        "email": c.email,
        "phone": c.phone,
        "notes": c.notes,
        "created_at": c.created_at.to_rfc3339(),
        "updated_at": c.updated_at.map(|t| t.to_rfc3339()),
        "version": c.version,
    })
}

/// Where the router finds a new customer's name: the page's token and
/// the Graph API.
#[derive(Clone)]
pub struct Profiles {
    pub graph: Arc<dyn GraphApi>,
    pub secrets: Arc<dyn SecretStore>,
}

/// The name Meta's User Profile API gives for this customer, if any.
/// `None` when the page has no token, Meta answers with an error (no
/// permission, no profile) or an empty profile.
pub async fn profile_name(p: &Profiles, page: &PageId, psid: &Psid) -> Option<String> {
    let token = match p.secrets.get(&page_token_name(page)).await {
        Ok(Some(t)) => t,
        Ok(None) => return None,
        Err(e) => {
            tracing::info!(page_id = %page, error = %e, "no page token for the profile lookup");
            return None;
        }
    };
    match p.graph.user_profile(psid, &token).await {
        Ok(profile) => {
            let name = [profile.first_name, profile.last_name]
                .into_iter()
                .flatten()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            (!name.is_empty()).then(|| name.chars().take(MAX_NAME).collect())
        }
        Err(e) => {
            tracing::info!(page_id = %page, code = ?e.code, subcode = ?e.subcode, "no profile from Meta; the contact keeps its generated name");
            None
        }
    }
}

/// Give a contact the router just created its profile name. Best effort:
/// a contact someone edited meanwhile is left alone, and no failure here
/// fails the message.
pub async fn name_new_contact(
    p: &Profiles,
    store: &dyn ConversationStore,
    contact: &ContactId,
    page: &PageId,
    psid: &Psid,
) {
    // Only a contact this event created exists under the new id.
    let current = match store.get_contact(contact).await {
        Ok(Some(c)) if c.version == 0 => c,
        _ => return,
    };
    let Some(name) = profile_name(p, page, psid).await else {
        return;
    };
    let named = Contact {
        name,
        version: 1,
        ..current
    };
    match store.update_contact(&named, 0).await {
        Ok(()) | Err(StoreError::Conflict(_)) => {}
        Err(e) => {
            tracing::warn!(contact_id = %contact, error = %e, "could not store the profile name")
        }
    }
}
