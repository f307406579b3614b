//! Agents' bearer tokens under serve: issued by the admin API, shown once,
//! kept only as a SHA-256 in the secrets port, with an id, an expiry
//! (12 hours unless asked otherwise), and revocable one by one or all at
//! once. A token is honoured only while its agent exists and was created
//! before the token, so a deleted agent's tokens, or those of an older
//! agent with the same id, never work again.

use crate::channels::ChannelDeps;
use crate::problem::Problem;
use crate::problem::Status;
use crate::routing::admin as ra;
use crate::routing::model::AgentId;
use crate::secret::Secret;
use crate::time::{self, Millis};
use crate::token_index::{Described, Family, Indexed, live};
use serde::{Deserialize, Serialize};

/// How long a token lives unless the administrator asks otherwise.
pub const DEFAULT_TTL_SECS: u64 = 12 * 3600;
/// The shortest and longest lives a token may be given.
pub const TTL_RANGE: std::ops::RangeInclusive<u64> = 60..=30 * 86_400;

/// What a token grants, stored under the token's hash.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Grant {
    agent_id: AgentId,
    #[serde(default)]
    supervisor: bool,
    /// Grants written before tokens had ids and expiries have neither and
    /// are refused.
    #[serde(default)]
    token_id: Option<String>,
    #[serde(default)]
    issued_at: Option<Millis>,
    #[serde(default)]
    expires_at: Option<Millis>,
}

/// One of an agent's tokens, as the admin API shows it (never the token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    pub token_id: String,
    pub supervisor: bool,
    #[serde(with = "time::rfc3339")]
    pub issued_at: Millis,
    #[serde(with = "time::rfc3339")]
    pub expires_at: Millis,
}

/// Who a valid token speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bearer {
    pub agent: AgentId,
    pub supervisor: bool,
}

/// Where agent tokens' grants and indexes are kept.
const AGENT_TOKENS: Family = Family {
    grants: "switchboard/agent-tokens",
    index: "switchboard/agent-token-index",
};

impl Described for TokenInfo {
    fn token_id(&self) -> &str {
        &self.token_id
    }
    fn expires_at(&self) -> Millis {
        self.expires_at
    }
}

/// The lifetime asked for (`ttl_seconds`), or `default`, if it is in
/// `range`; else 422 `invalid_ttl`.
pub(crate) fn lifetime(
    asked: Option<u64>,
    default: u64,
    range: &std::ops::RangeInclusive<u64>,
) -> Result<u64, Problem> {
    let ttl = asked.unwrap_or(default);
    if range.contains(&ttl) {
        return Ok(ttl);
    }
    Err(Problem::new(
        Status::UNPROCESSABLE_ENTITY,
        "invalid_ttl",
        "Invalid lifetime",
        format!(
            "ttl_seconds must be from {} to {}",
            range.start(),
            range.end()
        ),
    ))
}

/// Issue a token for an existing agent, living `ttl_secs` (default 12 h).
pub async fn issue(
    deps: &ChannelDeps,
    agent: &AgentId,
    supervisor: bool,
    ttl_secs: Option<u64>,
) -> Result<(Secret, TokenInfo), Problem> {
    ra::get_agent(&deps.routing_deps(), agent).await?;
    let ttl = lifetime(ttl_secs, DEFAULT_TTL_SECS, &TTL_RANGE)?;
    let now = deps.clock.now();
    let token = Secret::new(format!("sbat_{}", Secret::generate(40).expose()));
    let info = TokenInfo {
        token_id: format!("tk_{}", Secret::generate(16).expose().to_ascii_lowercase()),
        supervisor,
        issued_at: now,
        expires_at: now.plus_secs(ttl as i64),
    };
    let grant = Grant {
        agent_id: agent.clone(),
        supervisor,
        token_id: Some(info.token_id.clone()),
        issued_at: Some(now),
        expires_at: Some(info.expires_at),
    };
    AGENT_TOKENS
        .add(
            deps.secrets.as_ref(),
            agent.as_str(),
            &token,
            info.clone(),
            &grant,
            now,
        )
        .await?;
    Ok((token, info))
}

/// An agent's tokens that have not expired.
pub async fn list(deps: &ChannelDeps, agent: &AgentId) -> Result<Vec<TokenInfo>, Problem> {
    ra::get_agent(&deps.routing_deps(), agent).await?;
    let index: Vec<Indexed<TokenInfo>> = AGENT_TOKENS
        .read_index(deps.secrets.as_ref(), agent.as_str())
        .await?;
    Ok(live(index, deps.clock.now())
        .into_iter()
        .map(|t| t.info)
        .collect())
}

/// Revoke one token (`Some(id)`) or all of them (`None`); how many went.
/// Revoking all works for an agent that no longer exists too.
pub async fn revoke(
    deps: &ChannelDeps,
    agent: &AgentId,
    token_id: Option<&str>,
) -> Result<usize, Problem> {
    let Some(gone) = AGENT_TOKENS
        .revoke::<TokenInfo>(deps.secrets.as_ref(), agent.as_str(), token_id)
        .await?
    else {
        return Err(Problem::not_found(format!(
            "agent {agent} has no token {}",
            token_id.unwrap_or_default()
        )));
    };
    if gone > 0 {
        tracing::info!(agent_id = %agent, revoked = gone, "agent tokens revoked");
    }
    Ok(gone)
}

/// Who `token` speaks for, if it is valid now.
pub async fn verify(deps: &ChannelDeps, token: &str) -> Result<Option<Bearer>, Problem> {
    let Some(grant) = AGENT_TOKENS
        .grant::<Grant>(deps.secrets.as_ref(), token)
        .await?
    else {
        return Ok(None);
    };
    let now = deps.clock.now();
    let (Some(issued_at), Some(expires_at), Some(_)) =
        (grant.issued_at, grant.expires_at, &grant.token_id)
    else {
        return Ok(None);
    };
    if expires_at <= now {
        return Ok(None);
    }
    let agent = match ra::get_agent(&deps.routing_deps(), &grant.agent_id).await {
        Ok(a) => a,
        Err(p) if p.status == 404 => return Ok(None),
        Err(p) => return Err(p),
    };
    if agent.agent.created_at > issued_at {
        return Ok(None);
    }
    Ok(Some(Bearer {
        agent: grant.agent_id,
        supervisor: grant.supervisor,
    }))
}
