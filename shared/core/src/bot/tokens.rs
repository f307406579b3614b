//! Bot tokens: what a workstream's bot presents at the bot API. Issued by
//! an administrator for one workstream (`POST /admin/v1/workstreams/{id}/
//! bot-tokens`), shown once, kept only as a SHA-256 in the secrets port,
//! expiring (30 days unless asked otherwise) and revocable. A token is
//! honoured only while its workstream exists, has a bot, and was created
//! before the token; it acts only on that workstream's conversations.

use crate::channels::ChannelDeps;
use crate::problem::{Problem, Status};
use crate::secret::Secret;
use crate::time::{self, Millis};
use crate::token_index::{Described, Family, Indexed, live};
use crate::workstreams::WorkstreamId;
use serde::{Deserialize, Serialize};

/// How long a bot token lives unless the administrator asks otherwise.
pub const DEFAULT_TTL_SECS: u64 = 30 * 86_400;
/// The shortest and longest lives a bot token may be given.
pub const TTL_RANGE: std::ops::RangeInclusive<u64> = 60..=365 * 86_400;

const BOT_TOKENS: Family = Family {
    grants: "switchboard/bot-tokens",
    index: "switchboard/bot-token-index",
};

/// One of a workstream's bot tokens, as the admin API shows it (never the token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BotTokenInfo {
    pub token_id: String,
    #[serde(with = "time::rfc3339")]
    pub issued_at: Millis,
    #[serde(with = "time::rfc3339")]
    pub expires_at: Millis,
}

impl Described for BotTokenInfo {
    fn token_id(&self) -> &str {
        &self.token_id
    }
    fn expires_at(&self) -> Millis {
        self.expires_at
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Grant {
    workstream: WorkstreamId,
    token_id: String,
    #[serde(with = "time::rfc3339")]
    issued_at: Millis,
    #[serde(with = "time::rfc3339")]
    expires_at: Millis,
}

async fn workstream_with_bot(
    deps: &ChannelDeps,
    ws: &WorkstreamId,
) -> Result<crate::workstreams::Workstream, Problem> {
    let w = crate::channels::get_workstream(deps, ws).await?;
    if w.bot.is_none() {
        return Err(Problem::new(
            Status::CONFLICT,
            "no_bot",
            "The workstream has no bot",
            format!("workstream {ws} has no bot; give it one (bot: {{url, secret}}) first"),
        ));
    }
    Ok(w)
}

/// Issue a token for the bot of `ws`, living `ttl_secs` (default 30 days).
pub async fn issue(
    deps: &ChannelDeps,
    ws: &WorkstreamId,
    ttl_secs: Option<u64>,
) -> Result<(Secret, BotTokenInfo), Problem> {
    workstream_with_bot(deps, ws).await?;
    let ttl = crate::agent_tokens::lifetime(ttl_secs, DEFAULT_TTL_SECS, &TTL_RANGE)?;
    let now = deps.clock.now();
    let token = Secret::new(format!("sbbt_{}", Secret::generate(40).expose()));
    let info = BotTokenInfo {
        token_id: format!("bt_{}", Secret::generate(16).expose().to_ascii_lowercase()),
        issued_at: now,
        expires_at: now.plus_secs(ttl as i64),
    };
    let grant = Grant {
        workstream: ws.clone(),
        token_id: info.token_id.clone(),
        issued_at: now,
        expires_at: info.expires_at,
    };
    BOT_TOKENS
        .add(
            deps.secrets.as_ref(),
            ws.as_str(),
            &token,
            info.clone(),
            &grant,
            now,
        )
        .await?;
    tracing::info!(workstream = %ws, token_id = %info.token_id, "bot token issued");
    Ok((token, info))
}

/// The workstream's bot tokens that have not expired.
pub async fn list(deps: &ChannelDeps, ws: &WorkstreamId) -> Result<Vec<BotTokenInfo>, Problem> {
    crate::channels::get_workstream(deps, ws).await?;
    let index: Vec<Indexed<BotTokenInfo>> = BOT_TOKENS
        .read_index(deps.secrets.as_ref(), ws.as_str())
        .await?;
    Ok(live(index, deps.clock.now())
        .into_iter()
        .map(|t| t.info)
        .collect())
}

/// Revoke one token (`Some(id)`) or all (`None`); how many went.
pub async fn revoke(
    deps: &ChannelDeps,
    ws: &WorkstreamId,
    token_id: Option<&str>,
) -> Result<usize, Problem> {
    let gone = BOT_TOKENS
        .revoke::<BotTokenInfo>(deps.secrets.as_ref(), ws.as_str(), token_id)
        .await?
        .ok_or_else(|| {
            Problem::not_found(format!(
                "workstream {ws} has no bot token {}",
                token_id.unwrap_or_default()
            ))
        })?;
    if gone > 0 {
        tracing::info!(workstream = %ws, revoked = gone, "bot tokens revoked");
    }
    Ok(gone)
}

/// The workstream whose bot `token` speaks for, if it is valid now.
pub async fn verify(deps: &ChannelDeps, token: &str) -> Result<Option<WorkstreamId>, Problem> {
    let Some(grant) = BOT_TOKENS
        .grant::<Grant>(deps.secrets.as_ref(), token)
        .await?
    else {
        return Ok(None);
    };
    if grant.expires_at <= deps.clock.now() {
        return Ok(None);
    }
    match deps.workstreams.get_workstream(&grant.workstream).await? {
        Some(ws) if ws.bot.is_some() && ws.created_at <= grant.issued_at => {
            Ok(Some(grant.workstream))
        }
        _ => Ok(None),
    }
}
