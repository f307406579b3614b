//! Managing canned responses (admin API and `switchboard apply`), and
//! the agent's view of them: a conversation's, rendered.

use super::{CannedError, CannedResponse, CannedResponseId, check, locale_fits, render};
use crate::ids::WorkstreamId;
use crate::paging::{self, PageRequest};
use crate::ports::{Conversation, StoreError, WriteMode};
use crate::problem::{Problem, Status};
use crate::routing::RoutingDeps;
use crate::time::Millis;
use crate::visibility::Caller;
use crate::workstreams::Locale;
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct NewCanned {
    pub id: CannedResponseId,
    pub workstream: WorkstreamId,
    pub locale: Locale,
    pub shortcut: String,
    pub title: String,
    pub text: String,
}

/// A merge patch: absent keeps the value; `null` clears nothing, so it is
/// refused.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct CannedPatch {
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub workstream: Option<WorkstreamId>,
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub locale: Option<Locale>,
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub shortcut: Option<String>,
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub text: Option<String>,
}

impl From<CannedError> for Problem {
    fn from(e: CannedError) -> Self {
        let code = match e {
            CannedError::Shortcut(_) => "invalid_shortcut",
            CannedError::Title => "invalid_title",
            CannedError::Text => "invalid_text",
            CannedError::UnknownPlaceholder(_) => "unknown_placeholder",
        };
        Problem::new(
            Status::UNPROCESSABLE_ENTITY,
            code,
            "Invalid canned response",
            e.to_string(),
        )
    }
}

fn conflict(detail: String) -> Problem {
    Problem::new(Status::CONFLICT, "conflict", "Conflict", detail)
}

fn not_found(id: &CannedResponseId) -> Problem {
    Problem::not_found(format!("no canned response {id}"))
}

/// Its own values, its workstream, and a shortcut no other canned response
/// of the workstream and locale has.
async fn check_all(deps: &RoutingDeps, c: &CannedResponse) -> Result<(), Problem> {
    check(&c.shortcut, &c.title, &c.text)?;
    if deps
        .workstreams
        .get_workstream(&c.workstream)
        .await?
        .is_none()
    {
        return Err(Problem::new(
            Status::UNPROCESSABLE_ENTITY,
            "unknown_workstream",
            "Invalid configuration",
            format!(
                "canned response {} names workstream {}, which does not exist",
                c.id, c.workstream
            ),
        ));
    }
    let taken = deps.config.list_canned(Some(&c.workstream)).await?;
    if let Some(other) = taken
        .iter()
        .find(|o| o.id != c.id && o.locale == c.locale && o.shortcut == c.shortcut)
    {
        return Err(conflict(format!(
            "canned response {} already has shortcut /{} in workstream {} ({})",
            other.id,
            c.shortcut,
            c.workstream,
            c.locale.as_str()
        )));
    }
    Ok(())
}

/// The record a new entry describes, at `now`.
pub fn canned_from(n: &NewCanned, now: Millis) -> CannedResponse {
    CannedResponse {
        id: n.id.clone(),
        workstream: n.workstream.clone(),
        locale: n.locale.clone(),
        shortcut: n.shortcut.clone(),
        title: n.title.trim().to_string(),
        text: n.text.clone(),
        updated_at: now,
    }
}

/// The values a file entry holds by itself (a dry run checks these too).
pub fn check_values(n: &NewCanned) -> Result<(), Problem> {
    check(&n.shortcut, &n.title, &n.text).map_err(Problem::from)
}

pub async fn create(deps: &RoutingDeps, input: NewCanned) -> Result<CannedResponse, Problem> {
    let c = canned_from(&input, deps.clock.now());
    check_all(deps, &c).await?;
    deps.config
        .put_canned(&c, WriteMode::Create)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => conflict(format!("canned response {} already exists", c.id)),
            e => e.into(),
        })?;
    Ok(c)
}

pub async fn get(deps: &RoutingDeps, id: &CannedResponseId) -> Result<CannedResponse, Problem> {
    deps.config
        .get_canned(id)
        .await?
        .ok_or_else(|| not_found(id))
}

/// A page of canned responses in id order (a workstream's when given).
pub async fn list(
    deps: &RoutingDeps,
    ws: Option<&WorkstreamId>,
    page: &PageRequest,
) -> Result<(Vec<CannedResponse>, Option<String>), Problem> {
    let items: Vec<CannedResponse> = deps
        .config
        .list_canned(ws)
        .await?
        .into_iter()
        .filter(|c| page.after.as_deref().is_none_or(|a| c.id.as_str() > a))
        .take(page.read())
        .collect();
    Ok(paging::page(items, page, |c| c.id.to_string()))
}

pub async fn update(
    deps: &RoutingDeps,
    id: &CannedResponseId,
    p: CannedPatch,
) -> Result<CannedResponse, Problem> {
    let mut c = get(deps, id).await?;
    if let Some(v) = p.workstream {
        c.workstream = v;
    }
    if let Some(v) = p.locale {
        c.locale = v;
    }
    if let Some(v) = p.shortcut {
        c.shortcut = v;
    }
    if let Some(v) = p.title {
        c.title = v.trim().to_string();
    }
    if let Some(v) = p.text {
        c.text = v;
    }
    c.updated_at = deps.clock.now();
    check_all(deps, &c).await?;
    deps.config.put_canned(&c, WriteMode::Upsert).await?;
    Ok(c)
}

pub async fn delete(deps: &RoutingDeps, id: &CannedResponseId) -> Result<(), Problem> {
    deps.config.delete_canned(id).await.map_err(|e| match e {
        StoreError::NotFound(_) => not_found(id),
        e => e.into(),
    })
}

/// The patch that makes a stored record say what a file entry says.
pub fn patch_from(n: NewCanned) -> CannedPatch {
    CannedPatch {
        workstream: Some(n.workstream),
        locale: Some(n.locale),
        shortcut: Some(n.shortcut),
        title: Some(n.title),
        text: Some(n.text),
    }
}

/// A canned response as an agent gets it for a conversation.
#[derive(Debug, Serialize)]
pub struct Rendered {
    #[serde(flatten)]
    pub canned: CannedResponse,
    pub rendered: String,
}

/// The canned responses of the conversation's workstream in its locale
/// (the customer's language when known, else the workstream's), each
/// rendered with the contact's and the agent's names. None when the
/// conversation has no workstream.
pub async fn for_conversation(
    deps: &RoutingDeps,
    who: &Caller,
    conv: &Conversation,
) -> Result<Vec<Rendered>, Problem> {
    let Some(ws) = crate::send_policy::workstream_of(deps.workstreams.as_ref(), conv).await? else {
        return Ok(Vec::new());
    };
    let locale = conv
        .routing
        .as_ref()
        .and_then(|r| r.language.as_deref())
        .and_then(|l| Locale::parse(l).ok())
        .unwrap_or_else(|| ws.locale.clone());
    let customer = deps
        .conversations
        .get_contact(&conv.contact_id)
        .await?
        .map(|c| c.name)
        .unwrap_or_default();
    let agent = deps
        .config
        .get_agent(&who.agent)
        .await?
        .map(|a| a.agent.name)
        .unwrap_or_else(|| who.agent.to_string());
    Ok(deps
        .config
        .list_canned(Some(&ws.id))
        .await?
        .into_iter()
        .filter(|c| locale_fits(&c.locale, &locale))
        .map(|c| Rendered {
            rendered: render(&c.text, &customer, &agent),
            canned: c,
        })
        .collect())
}
