//! [`HookedStreams`]: a [`StreamStore`] that runs a hook after each append
//! the store accepted (not after a repeat it dropped), and reads through to
//! the store. serve's in-process wake-up (`stream_signal`) and AWS's push to
//! agents' connections (`push`) are two such hooks.

use crate::ports::{StoreResult, StreamEntry, StreamStore, StreamWatch};
use crate::time::Millis;
use async_trait::async_trait;
use std::sync::Arc;

/// What runs after an entry is stored. It cannot fail the write: the store
/// is the truth, and readers catch up from their cursors.
#[async_trait]
pub trait AfterAppend: Send + Sync {
    async fn appended(&self, stream: &str, entry: &StreamEntry);

    /// A watch on `stream` that this hook provides; `None` leaves it to the
    /// store.
    fn watch(&self, _stream: &str) -> Option<StreamWatch> {
        None
    }
}

/// A [`StreamStore`] with an [`AfterAppend`] hook.
pub struct HookedStreams<H> {
    inner: Arc<dyn StreamStore>,
    hook: H,
}

impl<H: AfterAppend> HookedStreams<H> {
    pub fn with(inner: Arc<dyn StreamStore>, hook: H) -> Self {
        Self { inner, hook }
    }

    /// The hook (for its own state).
    pub fn hook(&self) -> &H {
        &self.hook
    }
}

#[async_trait]
impl<H: AfterAppend> StreamStore for HookedStreams<H> {
    async fn append_entry(&self, stream: &str, entry: &StreamEntry) -> StoreResult<bool> {
        let added = self.inner.append_entry(stream, entry).await?;
        if added {
            self.hook.appended(stream, entry).await;
        }
        Ok(added)
    }

    /// Not a new entry: no hook.
    async fn replace_entry(&self, stream: &str, entry: &StreamEntry) -> StoreResult<bool> {
        self.inner.replace_entry(stream, entry).await
    }

    async fn read_entries(
        &self,
        stream: &str,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<StreamEntry>> {
        self.inner.read_entries(stream, after, limit).await
    }

    async fn read_live_entries(
        &self,
        stream: &str,
        after: Option<&str>,
        limit: usize,
        now: Millis,
    ) -> StoreResult<Vec<StreamEntry>> {
        self.inner
            .read_live_entries(stream, after, limit, now)
            .await
    }

    fn watch(&self, stream: &str) -> Option<StreamWatch> {
        self.hook.watch(stream).or_else(|| self.inner.watch(stream))
    }
}

/// Streams in memory for the hooks' tests: in cursor order, a cursor
/// appended twice adds nothing, and a stream named `broken` fails.
#[cfg(test)]
pub(crate) mod memory {
    use crate::ports::{StoreError, StoreResult, StreamEntry, StreamStore};
    use async_trait::async_trait;
    use std::sync::Mutex;

    #[derive(Default)]
    pub(crate) struct MemoryStreams(Mutex<Vec<(String, StreamEntry)>>);

    #[async_trait]
    impl StreamStore for MemoryStreams {
        async fn append_entry(&self, stream: &str, entry: &StreamEntry) -> StoreResult<bool> {
            if stream == "broken" {
                return Err(StoreError::Unavailable("down".into()));
            }
            let mut all = self.0.lock().unwrap_or_else(|p| p.into_inner());
            if all
                .iter()
                .any(|(s, e)| s == stream && e.cursor == entry.cursor)
            {
                return Ok(false);
            }
            all.push((stream.to_string(), entry.clone()));
            all.sort_by(|a, b| a.1.cursor.cmp(&b.1.cursor));
            Ok(true)
        }

        async fn replace_entry(&self, stream: &str, entry: &StreamEntry) -> StoreResult<bool> {
            let mut all = self.0.lock().unwrap_or_else(|p| p.into_inner());
            let found = all
                .iter_mut()
                .find(|(s, e)| s == stream && e.cursor == entry.cursor);
            Ok(found.map(|(_, e)| *e = entry.clone()).is_some())
        }

        async fn read_entries(
            &self,
            stream: &str,
            after: Option<&str>,
            limit: usize,
        ) -> StoreResult<Vec<StreamEntry>> {
            let all = self.0.lock().unwrap_or_else(|p| p.into_inner());
            Ok(all
                .iter()
                .filter(|(s, e)| s == stream && after.is_none_or(|a| e.cursor.as_str() > a))
                .map(|(_, e)| e.clone())
                .take(limit)
                .collect())
        }
    }
}
