//! What agent tokens and bot tokens share: a bearer token is kept only as
//! its SHA-256 (the name of its grant in the secrets port), and each
//! subject (an agent, a workstream) has an index of its live tokens so
//! they can be listed and revoked one by one or all at once. The index is
//! written before the grant, so a grant is never left where revocation
//! cannot find it.

use crate::ports::SecretStore;
use crate::problem::Problem;
use crate::secret::Secret;
use crate::time::Millis;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A token's public description, as an index keeps it.
pub(crate) trait Described {
    fn token_id(&self) -> &str;
    fn expires_at(&self) -> Millis;
}

/// An index entry: the token's description and its grant's secret name.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub(crate) struct Indexed<I> {
    pub info: I,
    pub grant: String,
}

/// One family of tokens: where its grants and indexes live.
pub(crate) struct Family {
    /// Prefix of the grants' names (`switchboard/agent-tokens`).
    pub grants: &'static str,
    /// Prefix of the indexes' names (`switchboard/agent-token-index`).
    pub index: &'static str,
}

fn unavailable(e: impl std::fmt::Display) -> Problem {
    Problem::unavailable(e.to_string())
}

/// The entries that have not expired at `now`.
pub(crate) fn live<I: Described>(index: Vec<Indexed<I>>, now: Millis) -> Vec<Indexed<I>> {
    index
        .into_iter()
        .filter(|t| t.info.expires_at() > now)
        .collect()
}

impl Family {
    pub fn grant_name(&self, token: &str) -> String {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(token.as_bytes());
        format!("{}/{}", self.grants, hex::encode(digest))
    }

    fn index_name(&self, subject: &str) -> String {
        format!("{}/{subject}", self.index)
    }

    /// A subject's index (empty when it has none, or it cannot be read).
    pub async fn read_index<I: DeserializeOwned>(
        &self,
        secrets: &dyn SecretStore,
        subject: &str,
    ) -> Result<Vec<Indexed<I>>, Problem> {
        Ok(secrets
            .get(&self.index_name(subject))
            .await
            .map_err(unavailable)?
            .and_then(|s| serde_json::from_str(s.expose()).ok())
            .unwrap_or_default())
    }

    async fn write_index<I: Serialize>(
        &self,
        secrets: &dyn SecretStore,
        subject: &str,
        index: &[Indexed<I>],
    ) -> Result<(), Problem> {
        if index.is_empty() {
            return secrets
                .delete(&self.index_name(subject))
                .await
                .map_err(unavailable);
        }
        let text = serde_json::to_string(index).map_err(unavailable)?;
        secrets
            .put(&self.index_name(subject), &Secret::new(text))
            .await
            .map_err(unavailable)
    }

    /// Keep a new token: its description in the subject's index (dropping
    /// expired entries), then its grant under the token's hash.
    pub async fn add<I: Described + Serialize + DeserializeOwned, G: Serialize>(
        &self,
        secrets: &dyn SecretStore,
        subject: &str,
        token: &Secret,
        info: I,
        grant: &G,
        now: Millis,
    ) -> Result<(), Problem> {
        let grant_key = self.grant_name(token.expose());
        let value = serde_json::to_string(grant).map_err(unavailable)?;
        let mut index = live(self.read_index(secrets, subject).await?, now);
        index.push(Indexed {
            info,
            grant: grant_key.clone(),
        });
        self.write_index(secrets, subject, &index).await?;
        secrets
            .put(&grant_key, &Secret::new(value))
            .await
            .map_err(unavailable)
    }

    /// The grant `token` was issued with, if it is one of this family's.
    pub async fn grant<G: DeserializeOwned>(
        &self,
        secrets: &dyn SecretStore,
        token: &str,
    ) -> Result<Option<G>, Problem> {
        Ok(secrets
            .get(&self.grant_name(token))
            .await
            .map_err(unavailable)?
            .and_then(|s| serde_json::from_str::<G>(s.expose()).ok()))
    }

    /// Revoke one of a subject's tokens (`Some(id)`) or all (`None`); how
    /// many went, or `None` when the one named is not there.
    pub async fn revoke<I: Described + Serialize + DeserializeOwned>(
        &self,
        secrets: &dyn SecretStore,
        subject: &str,
        token_id: Option<&str>,
    ) -> Result<Option<usize>, Problem> {
        let index: Vec<Indexed<I>> = self.read_index(secrets, subject).await?;
        let (gone, kept): (Vec<_>, Vec<_>) = index
            .into_iter()
            .partition(|t| token_id.is_none_or(|id| t.info.token_id() == id));
        if token_id.is_some() && gone.is_empty() {
            return Ok(None);
        }
        for t in &gone {
            secrets.delete(&t.grant).await.map_err(unavailable)?;
        }
        self.write_index(secrets, subject, &kept).await?;
        Ok(Some(gone.len()))
    }
}
