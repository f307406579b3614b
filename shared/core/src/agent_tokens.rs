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

fn grant_name(token: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(token.as_bytes());
    format!("switchboard/agent-tokens/{}", hex::encode(digest))
}

fn index_name(agent: &AgentId) -> String {
    format!("switchboard/agent-token-index/{agent}")
}

fn unavailable(e: impl std::fmt::Display) -> Problem {
    Problem::unavailable(e.to_string())
}

async fn read_index(deps: &ChannelDeps, agent: &AgentId) -> Result<Vec<TokenIndexed>, Problem> {
    Ok(deps
        .secrets
        .get(&index_name(agent))
        .await
        .map_err(unavailable)?
        .and_then(|s| serde_json::from_str(s.expose()).ok())
        .unwrap_or_default())
}

async fn write_index(
    deps: &ChannelDeps,
    agent: &AgentId,
    index: &[TokenIndexed],
) -> Result<(), Problem> {
    if index.is_empty() {
        return deps
            .secrets
            .delete(&index_name(agent))
            .await
            .map_err(unavailable);
    }
    let text = serde_json::to_string(index).map_err(unavailable)?;
    deps.secrets
        .put(&index_name(agent), &Secret::new(text))
        .await
        .map_err(unavailable)
}

/// An index entry: the token's info with its grant's secret name (the
/// token's hash).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct TokenIndexed {
    info: TokenInfo,
    grant: String,
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
    let grant_key = grant_name(token.expose());
    let grant = Grant {
        agent_id: agent.clone(),
        supervisor,
        token_id: Some(info.token_id.clone()),
        issued_at: Some(now),
        expires_at: Some(info.expires_at),
    };
    let value = serde_json::to_string(&grant).map_err(unavailable)?;
    // The index first: a grant is never left where revocation cannot find it.
    let mut index = live(read_index(deps, agent).await?, now);
    index.push(TokenIndexed {
        info: info.clone(),
        grant: grant_key.clone(),
    });
    write_index(deps, agent, &index).await?;
    deps.secrets
        .put(&grant_key, &Secret::new(value))
        .await
        .map_err(unavailable)?;
    Ok((token, info))
}

fn live(index: Vec<TokenIndexed>, now: Millis) -> Vec<TokenIndexed> {
    index
        .into_iter()
        .filter(|t| t.info.expires_at > now)
        .collect()
}

/// An agent's tokens that have not expired.
pub async fn list(deps: &ChannelDeps, agent: &AgentId) -> Result<Vec<TokenInfo>, Problem> {
    ra::get_agent(&deps.routing_deps(), agent).await?;
    Ok(live(read_index(deps, agent).await?, deps.clock.now())
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
    let index = read_index(deps, agent).await?;
    let (gone, kept): (Vec<_>, Vec<_>) = index
        .into_iter()
        .partition(|t| token_id.is_none_or(|id| t.info.token_id == id));
    if let Some(id) = token_id
        && gone.is_empty()
    {
        return Err(Problem::not_found(format!(
            "agent {agent} has no token {id}"
        )));
    }
    for t in &gone {
        deps.secrets.delete(&t.grant).await.map_err(unavailable)?;
    }
    write_index(deps, agent, &kept).await?;
    if !gone.is_empty() {
        tracing::info!(agent_id = %agent, revoked = gone.len(), "agent tokens revoked");
    }
    Ok(gone.len())
}

/// Who `token` speaks for, if it is valid now.
pub async fn verify(deps: &ChannelDeps, token: &str) -> Result<Option<Bearer>, Problem> {
    let Some(grant) = deps
        .secrets
        .get(&grant_name(token))
        .await
        .map_err(unavailable)?
        .and_then(|s| serde_json::from_str::<Grant>(s.expose()).ok())
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
