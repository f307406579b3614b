//! Workstreams as the admin API takes them: which pages feed one, its
//! locale, features, distribution, automated messages and survey.

use super::{ChannelDeps, clean_name, conflict, require, slug};
use crate::bot::{Bot, BotInput};
use crate::ids::PageId;
use crate::ports::{Page, StoreError, WriteMode};
use crate::privacy::retention::Retention;
use crate::problem::Problem;
use crate::problem::Status;
use crate::routing::admin::check_distribution;
use crate::routing::model::Distribution;
use crate::workstreams::{AutomatedMessage, Features, Locale, Survey, Workstream, WorkstreamId};
use serde::Deserialize;

/// Most pages one workstream may list (one store transaction binds them).
pub const MAX_WORKSTREAM_PAGES: usize = 50;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewWorkstream {
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub id: Option<WorkstreamId>,
    pub name: String,
    #[serde(default)]
    pub pages: Vec<PageId>,
    pub locale: Locale,
    #[serde(default)]
    pub features: Features,
    #[serde(default)]
    pub distribution: Distribution,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub automated_messages: Vec<AutomatedMessage>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::serde_rules::present"
    )]
    pub survey: Option<Survey>,
    /// A bot that answers new conversations first (its secret is required).
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub bot: Option<BotInput>,
    /// How long transcripts and raw payloads are kept after the close.
    #[serde(default)]
    pub retention: Retention,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkstreamPatch {
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub pages: Option<Vec<PageId>>,
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub locale: Option<Locale>,
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub features: Option<Features>,
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub distribution: Option<Distribution>,
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub automated_messages: Option<Vec<AutomatedMessage>>,
    /// `null` removes the survey.
    #[serde(default, deserialize_with = "crate::routing::admin::some")]
    pub survey: Option<Option<Survey>>,
    /// `null` removes the bot (and its secret); without `secret`, the bot's
    /// current secret is kept.
    #[serde(default, deserialize_with = "crate::routing::admin::some")]
    pub bot: Option<Option<BotInput>>,
    /// Replaces the limits (`{}`: keep everything).
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub retention: Option<Retention>,
}

fn invalid_bot(m: String) -> Problem {
    Problem::new(
        Status::UNPROCESSABLE_ENTITY,
        "invalid_bot",
        "Invalid bot",
        m,
    )
}

/// Check a workstream's bot and keep its secret; the stored form. A new
/// bot needs a secret; a changed one keeps its secret when none is given.
async fn set_bot(
    deps: &ChannelDeps,
    ws: &WorkstreamId,
    input: &BotInput,
    had_bot: bool,
) -> Result<Bot, Problem> {
    input.check().map_err(invalid_bot)?;
    let name = crate::bot::secret_name(ws);
    match &input.secret {
        Some(secret) => deps
            .secrets
            .put(&name, secret)
            .await
            .map_err(|e| Problem::unavailable(e.to_string()))?,
        None if had_bot => {}
        None => {
            return Err(invalid_bot(
                "a bot needs a secret (at least 16 characters) to sign what Switchboard posts to it".into(),
            ));
        }
    }
    Ok(input.stored(ws))
}

/// Whether the bot `input` asks for is the one `ws` has, secret included.
pub(super) async fn same_bot(
    deps: &ChannelDeps,
    ws: &Workstream,
    input: Option<&BotInput>,
) -> bool {
    match (&ws.bot, input) {
        (None, None) => true,
        (Some(cur), Some(want)) if *cur == want.stored(&ws.id) => match &want.secret {
            None => true,
            Some(s) => deps
                .secrets
                .get(&cur.secret_ref)
                .await
                .ok()
                .flatten()
                .is_some_and(|have| have.ct_eq(s.expose())),
        },
        _ => false,
    }
}

pub(super) fn check_ws_messages(
    messages: &[AutomatedMessage],
    survey: Option<&Survey>,
) -> Result<(), Problem> {
    crate::workstreams::check_messages(messages, survey).map_err(|m| {
        Problem::new(
            Status::UNPROCESSABLE_ENTITY,
            "invalid_messages",
            "Invalid automated messages or survey",
            m,
        )
    })
}

async fn check_pages(deps: &ChannelDeps, pages: &[PageId]) -> Result<(), Problem> {
    require(
        pages.len() <= MAX_WORKSTREAM_PAGES,
        "too_many_pages",
        "a workstream lists at most 50 pages",
    )?;
    let mut seen = std::collections::HashSet::new();
    for p in pages {
        require(
            seen.insert(p),
            "duplicate_page",
            &format!("page {p} is listed twice"),
        )?;
        if deps
            .accounts
            .get_page(p)
            .await?
            .filter(Page::is_live)
            .is_none()
        {
            return Err(Problem::new(
                Status::UNPROCESSABLE_ENTITY,
                "unknown_page",
                "Unknown page",
                format!("page {p} is not connected to any account; connect it first"),
            ));
        }
    }
    Ok(())
}

fn ws_conflict(e: StoreError) -> Problem {
    match e {
        StoreError::Conflict(m) => conflict(format!(
            "{m}; a page feeds at most one workstream and ids are unique"
        )),
        other => other.into(),
    }
}

pub async fn create_workstream(
    deps: &ChannelDeps,
    input: NewWorkstream,
) -> Result<Workstream, Problem> {
    let name = clean_name(&input.name)?;
    check_pages(deps, &input.pages).await?;
    check_distribution(&deps.routing_deps(), &input.distribution, None).await?;
    check_ws_messages(&input.automated_messages, input.survey.as_ref())?;
    input.retention.check()?;
    let id = match input.id {
        Some(id) => id,
        None => WorkstreamId::parse(slug(&input.name))?,
    };
    let bot = match &input.bot {
        Some(b) => Some(set_bot(deps, &id, b, false).await?),
        None => None,
    };
    let now = deps.clock.now();
    let ws = Workstream {
        id,
        name,
        pages: input.pages,
        locale: input.locale,
        features: input.features,
        distribution: input.distribution,
        automated_messages: input.automated_messages,
        survey: input.survey,
        bot,
        retention: input.retention,
        created_at: now,
        updated_at: now,
    };
    deps.workstreams
        .put_workstream(&ws, WriteMode::Create)
        .await
        .map_err(ws_conflict)?;
    route_stranded(deps, &ws).await;
    Ok(ws)
}

/// Conversations of the workstream's pages that waited with nowhere to go
/// get routed now (a failure is logged: the workstream itself is saved).
async fn route_stranded(deps: &ChannelDeps, ws: &Workstream) {
    for page in &ws.pages {
        match crate::routing::engine::route_unrouted(&deps.routing_deps(), page).await {
            Ok(0) => {}
            Ok(n) => {
                tracing::info!(page_id = %page, routed = n, "routed conversations that were waiting for a workstream")
            }
            Err(e) => {
                tracing::warn!(page_id = %page, error = %e, "waiting conversations could not be routed yet; the scheduler's sweep does not reach them")
            }
        }
    }
}

pub async fn get_workstream(deps: &ChannelDeps, id: &WorkstreamId) -> Result<Workstream, Problem> {
    deps.workstreams
        .get_workstream(id)
        .await?
        .ok_or_else(|| Problem::not_found(format!("no workstream {id}")))
}

pub async fn list_workstreams(deps: &ChannelDeps) -> Result<Vec<Workstream>, Problem> {
    Ok(deps.workstreams.list_workstreams().await?)
}

pub async fn update_workstream(
    deps: &ChannelDeps,
    id: &WorkstreamId,
    patch: WorkstreamPatch,
) -> Result<Workstream, Problem> {
    let mut ws = get_workstream(deps, id).await?;
    if let Some(name) = patch.name {
        ws.name = clean_name(&name)?;
    }
    if let Some(pages) = patch.pages {
        check_pages(deps, &pages).await?;
        ws.pages = pages;
    }
    if let Some(locale) = patch.locale {
        ws.locale = locale;
    }
    if let Some(features) = patch.features {
        ws.features = features;
    }
    if let Some(d) = patch.distribution {
        check_distribution(&deps.routing_deps(), &d, Some(&ws)).await?;
        ws.distribution = d;
    }
    if let Some(m) = patch.automated_messages {
        ws.automated_messages = m;
    }
    if let Some(s) = patch.survey {
        ws.survey = s;
    }
    if let Some(r) = patch.retention {
        r.check()?;
        ws.retention = r;
    }
    check_ws_messages(&ws.automated_messages, ws.survey.as_ref())?;
    match patch.bot {
        Some(Some(b)) => ws.bot = Some(set_bot(deps, id, &b, ws.bot.is_some()).await?),
        Some(None) => {
            if let Some(old) = ws.bot.take()
                && let Err(e) = deps.secrets.delete(&old.secret_ref).await
            {
                tracing::warn!(workstream = %id, error = %e, "the removed bot's secret could not be deleted");
            }
        }
        None => {}
    }
    ws.updated_at = deps.clock.now();
    deps.workstreams
        .put_workstream(&ws, WriteMode::Upsert)
        .await
        .map_err(ws_conflict)?;
    route_stranded(deps, &ws).await;
    Ok(ws)
}

pub async fn delete_workstream(deps: &ChannelDeps, id: &WorkstreamId) -> Result<(), Problem> {
    Ok(deps.workstreams.delete_workstream(id).await?)
}
