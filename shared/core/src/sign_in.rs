//! One-time sign-in links under serve: an administrator asks for a link for
//! an agent (`switchboard agent link anna`), the agent opens it, and the
//! console exchanges its code, once, for an agent token. The code lives 10
//! minutes unless asked otherwise and is stored only as its SHA-256, in the
//! routing configuration store, which hands it out atomically: of two
//! exchanges of one code, one gets a token and the other is refused.

use crate::agent_tokens::{self, TokenInfo};
use crate::channels::ChannelDeps;
use crate::problem::{Problem, Status};
use crate::routing::admin as ra;
use crate::routing::model::AgentId;
use crate::secret::Secret;
use crate::time::{self, Millis};
use serde::{Deserialize, Serialize};

/// How long a link lives unless the administrator asks otherwise.
pub const DEFAULT_TTL_SECS: u64 = 600;
/// The shortest and longest lives a link may be given.
pub const TTL_RANGE: std::ops::RangeInclusive<u64> = 60..=86_400;
/// The longest code an exchange looks up (codes are 43 characters).
const MAX_CODE: usize = 128;

/// A sign-in code as stored: its hash, whom it signs in, and until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInCode {
    /// Hex SHA-256 of the code ([`hash`]).
    pub hash: String,
    pub agent_id: AgentId,
    pub supervisor: bool,
    #[serde(with = "time::rfc3339")]
    pub created_at: Millis,
    #[serde(with = "time::rfc3339")]
    pub expires_at: Millis,
}

/// A new link, shown once.
#[derive(Debug)]
pub struct Link {
    pub code: Secret,
    pub url: String,
    pub expires_at: Millis,
}

/// What an exchange gives: the agent's new token.
#[derive(Debug)]
pub struct SignedIn {
    pub token: Secret,
    pub agent_id: AgentId,
    pub info: TokenInfo,
}

/// The key a code is stored under.
pub fn hash(code: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(code.as_bytes()))
}

fn unavailable(e: impl std::fmt::Display) -> Problem {
    Problem::unavailable(e.to_string())
}

/// The one answer to every code that signs no one in: unknown, used,
/// expired, or its agent gone (which of them is not told).
pub fn invalid() -> Problem {
    Problem::new(
        Status::UNAUTHORIZED,
        "sign_in_link_invalid",
        "Sign-in link not valid",
        "this sign-in link is unknown, was used already or expired; ask an administrator for a new one (switchboard agent link <agent_id>)",
    )
}

/// A link for an existing agent, living `ttl_secs` (default 10 minutes),
/// at `{public_url}/sign-in?code=...`.
pub async fn create(
    deps: &ChannelDeps,
    agent: &AgentId,
    supervisor: bool,
    ttl_secs: Option<u64>,
) -> Result<Link, Problem> {
    ra::get_agent(&deps.routing_deps(), agent).await?;
    let ttl = agent_tokens::lifetime(ttl_secs, DEFAULT_TTL_SECS, &TTL_RANGE)?;
    let now = deps.clock.now();
    let code = Secret::generate(43);
    let stored = SignInCode {
        hash: hash(code.expose()),
        agent_id: agent.clone(),
        supervisor,
        created_at: now,
        expires_at: now.plus_secs(ttl as i64),
    };
    deps.routing_config
        .put_sign_in_code(&stored)
        .await
        .map_err(unavailable)?;
    tracing::info!(agent_id = %agent, supervisor, "sign-in link created");
    let url = format!(
        "{}/sign-in?code={}",
        deps.public_url.trim_end_matches('/'),
        code.expose()
    );
    Ok(Link {
        code,
        url,
        expires_at: stored.expires_at,
    })
}

/// Exchange a code for a token of its agent (12 hours, as the admin API
/// issues them). The code is gone from the first exchange on, whatever it
/// answers.
pub async fn exchange(deps: &ChannelDeps, code: &str) -> Result<SignedIn, Problem> {
    let code = code.trim();
    if code.is_empty() || code.len() > MAX_CODE {
        return Err(invalid());
    }
    let Some(stored) = deps
        .routing_config
        .take_sign_in_code(&hash(code))
        .await
        .map_err(unavailable)?
    else {
        return Err(invalid());
    };
    if stored.expires_at <= deps.clock.now() {
        return Err(invalid());
    }
    // The agent must still be the one the link was made for.
    match ra::get_agent(&deps.routing_deps(), &stored.agent_id).await {
        Ok(a) if a.agent.created_at <= stored.created_at => {}
        Ok(_) => return Err(invalid()),
        Err(p) if p.status == 404 => return Err(invalid()),
        Err(p) => return Err(p),
    }
    let (token, info) =
        agent_tokens::issue(deps, &stored.agent_id, stored.supervisor, None).await?;
    tracing::info!(agent_id = %stored.agent_id, "signed in with a link");
    Ok(SignedIn {
        token,
        agent_id: stored.agent_id,
        info,
    })
}
