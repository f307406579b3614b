//! Checking a user pool's JWT where API Gateway cannot: the WebSocket
//! API's `$connect` authorizer (browsers cannot set an Authorization
//! header on a WebSocket, so the token comes in the `token` query string).
//!
//! A token passes when its RS256 signature verifies with a key of the
//! issuer's JWKS (by `kid`), `iss` is the issuer, it has not expired, it
//! is an access token for the console's client (`token_use: access`,
//! `client_id`) or an ID token for it (`token_use: id`, `aud`), and its
//! user is in the `agent` or `supervisor` group. The agent id is the user
//! name (`username`, or `cognito:username` in an ID token).

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use std::time::{Duration, Instant};
use switchboard_core::routing::model::AgentId;
use switchboard_http::auth::{AGENT_GROUP, SUPERVISOR_GROUP};
use tokio::sync::RwLock;

/// What a token must say to pass.
#[derive(Debug, Clone)]
pub struct Expected {
    pub issuer: String,
    pub client_id: String,
    /// The claim listing the user's groups (`cognito:groups`).
    pub groups_claim: String,
}

/// The agent a good token names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub agent: AgentId,
    pub supervisor: bool,
}

/// Why a token was refused (logged; the caller only sees 403).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejected {
    #[error("no token")]
    Missing,
    #[error("not a JWT, or not RS256")]
    Malformed,
    #[error("signed with a key the issuer does not publish")]
    UnknownKey,
    #[error("the signature does not verify")]
    BadSignature,
    #[error("expired")]
    Expired,
    #[error("issued by someone else")]
    WrongIssuer,
    #[error("not an access or ID token")]
    WrongTokenUse,
    #[error("issued to another client")]
    WrongClient,
    #[error("the user is in neither the agent nor the supervisor group")]
    NotAnAgent,
    #[error("the user name is not an agent id")]
    BadAgentId,
    #[error("the issuer's keys could not be fetched: {0}")]
    Keys(String),
}

/// Check `token` against the issuer's `keys`.
pub fn verify(token: &str, keys: &JwkSet, expected: &Expected) -> Result<Verified, Rejected> {
    use jsonwebtoken::errors::ErrorKind;
    if token.is_empty() {
        return Err(Rejected::Missing);
    }
    let header = jsonwebtoken::decode_header(token).map_err(|_| Rejected::Malformed)?;
    if header.alg != Algorithm::RS256 {
        return Err(Rejected::Malformed);
    }
    let kid = header.kid.ok_or(Rejected::UnknownKey)?;
    let jwk = keys.find(&kid).ok_or(Rejected::UnknownKey)?;
    let key = DecodingKey::from_jwk(jwk).map_err(|_| Rejected::UnknownKey)?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[&expected.issuer]);
    validation.set_required_spec_claims(&["exp", "iss"]);
    // The client is checked below: an access token carries it as
    // `client_id`, an ID token as `aud`.
    validation.validate_aud = false;
    let claims = jsonwebtoken::decode::<serde_json::Map<String, serde_json::Value>>(
        token,
        &key,
        &validation,
    )
    .map_err(|e| match e.kind() {
        ErrorKind::InvalidSignature => Rejected::BadSignature,
        ErrorKind::ExpiredSignature => Rejected::Expired,
        ErrorKind::InvalidIssuer => Rejected::WrongIssuer,
        ErrorKind::MissingRequiredClaim(c) if c == "iss" => Rejected::WrongIssuer,
        // No `exp`, a claim of the wrong type, an unreadable payload.
        _ => Rejected::Malformed,
    })?
    .claims;
    let text = |name: &str| claims.get(name).and_then(|v| v.as_str());
    let (client, user) = match text("token_use") {
        Some("access") => (text("client_id"), text("username")),
        Some("id") => (text("aud"), text("cognito:username")),
        _ => return Err(Rejected::WrongTokenUse),
    };
    if client != Some(expected.client_id.as_str()) {
        return Err(Rejected::WrongClient);
    }
    let groups: Vec<&str> = claims
        .get(&expected.groups_claim)
        .and_then(|v| v.as_array())
        .map(|a| a.iter().filter_map(|g| g.as_str()).collect())
        .unwrap_or_default();
    let supervisor = groups.contains(&SUPERVISOR_GROUP);
    if !supervisor && !groups.contains(&AGENT_GROUP) {
        return Err(Rejected::NotAnAgent);
    }
    let agent = AgentId::parse(user.unwrap_or_default()).map_err(|_| Rejected::BadAgentId)?;
    Ok(Verified { agent, supervisor })
}

/// How long fetched keys are trusted before a refresh, and the least time
/// between two fetches for a `kid` not seen before (so garbage tokens
/// cannot make every connect fetch).
const KEYS_FRESH: Duration = Duration::from_secs(3600);
const REFETCH_GAP: Duration = Duration::from_secs(60);

/// The issuer's JWKS, fetched once and kept (refetched after an hour, or
/// for a new `kid` at most once a minute: the pool rotated its keys).
pub struct Jwks {
    url: String,
    http: reqwest::Client,
    cached: RwLock<Option<(JwkSet, Instant)>>,
}

impl Jwks {
    /// Cognito publishes its pool's keys at `{issuer}/.well-known/jwks.json`.
    pub fn for_issuer(issuer: &str) -> Result<Self, Rejected> {
        Self::at(&format!(
            "{}/.well-known/jwks.json",
            issuer.trim_end_matches('/')
        ))
    }

    pub fn at(url: &str) -> Result<Self, Rejected> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(3))
            .build()
            .map_err(|e| Rejected::Keys(e.to_string()))?;
        Ok(Self {
            url: url.to_string(),
            http,
            cached: RwLock::new(None),
        })
    }

    async fn fetch(&self) -> Result<JwkSet, Rejected> {
        let keys = self
            .http
            .get(&self.url)
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| Rejected::Keys(e.to_string()))?
            .json::<JwkSet>()
            .await
            .map_err(|e| Rejected::Keys(e.to_string()))?;
        *self.cached.write().await = Some((keys.clone(), Instant::now()));
        Ok(keys)
    }

    /// The keys to check a token whose header names `kid` with.
    async fn keys_for(&self, kid: Option<&str>) -> Result<JwkSet, Rejected> {
        let cached = self.cached.read().await.clone();
        match cached {
            Some((keys, at)) => {
                let known = kid.is_some_and(|k| keys.find(k).is_some());
                let stale = at.elapsed() > KEYS_FRESH;
                if (!known && at.elapsed() > REFETCH_GAP) || stale {
                    // A failed refresh keeps the old keys.
                    Ok(self.fetch().await.unwrap_or(keys))
                } else {
                    Ok(keys)
                }
            }
            None => self.fetch().await,
        }
    }

    /// Check `token` with the issuer's current keys.
    pub async fn verify(&self, token: &str, expected: &Expected) -> Result<Verified, Rejected> {
        let kid = jsonwebtoken::decode_header(token).ok().and_then(|h| h.kid);
        let keys = self.keys_for(kid.as_deref()).await?;
        verify(token, &keys, expected)
    }
}
