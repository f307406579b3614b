//! The stream port on the table: `STREAM#{stream}` / `E#{cursor}` holds an
//! entry (`doc`), with `expires_at` for DynamoDB's TTL when the entry has one.
//!
//! TTL deletes lazily (up to days late), so `read_live_entries` also leaves
//! out what has expired: the query filters on `expires_at` (whole seconds,
//! rounded down, so it keeps the current second) and the entry's own
//! `expires_at` (milliseconds) decides the rest.

use super::*;
use async_trait::async_trait;
use switchboard_core::Millis;
use switchboard_core::ports::{StreamEntry, StreamStore};

/// The sort-key condition for entries after `after` (all when `None`).
fn after_sk(after: Option<&str>) -> (&'static str, &'static str, String) {
    match after {
        Some(c) => ("SK", "#sk > :sk", format!("E#{c}")),
        None => ("SK", "begins_with(#sk, :sk)", "E#".to_string()),
    }
}

fn stream_pk(stream: &str) -> String {
    format!("STREAM#{stream}")
}

#[async_trait]
impl StreamStore for DynamoStore {
    async fn append_entry(&self, stream: &str, entry: &StreamEntry) -> StoreResult<bool> {
        let mut item = key(stream_pk(stream), &format!("E#{}", entry.cursor));
        item.insert("doc".into(), to_doc(entry)?);
        if let Some(t) = entry.expires_at {
            item.insert("expires_at".into(), n(t.0 / 1000));
        }
        match self
            .put_item(
                item,
                WriteMode::Create,
                format!("stream entry {}", entry.cursor),
            )
            .await
        {
            Ok(()) => Ok(true),
            // Appended before (a retry): nothing changes.
            Err(StoreError::Conflict(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn replace_entry(&self, stream: &str, entry: &StreamEntry) -> StoreResult<bool> {
        let mut item = key(stream_pk(stream), &format!("E#{}", entry.cursor));
        item.insert("doc".into(), to_doc(entry)?);
        if let Some(t) = entry.expires_at {
            item.insert("expires_at".into(), n(t.0 / 1000));
        }
        match self
            .put_item_if(
                item,
                Some(("attribute_exists(PK)", vec![])),
                format!("stream entry {}", entry.cursor),
            )
            .await
        {
            Ok(()) => Ok(true),
            Err(StoreError::Conflict(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn read_entries(
        &self,
        stream: &str,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<StreamEntry>> {
        self.entries(stream, after, limit, None).await
    }

    async fn read_live_entries(
        &self,
        stream: &str,
        after: Option<&str>,
        limit: usize,
        now: Millis,
    ) -> StoreResult<Vec<StreamEntry>> {
        let mut out: Vec<StreamEntry> = Vec::new();
        let mut cursor = after.map(str::to_string);
        // The query leaves out the entries whose `expires_at` second has
        // passed, so it keeps what expires within the current second; read
        // on past the ones the exact time leaves out.
        while out.len() < limit {
            let want = limit - out.len();
            let filter = (
                "attribute_not_exists(expires_at) OR expires_at >= :now".into(),
                vec![(":now", n(now.0.div_euclid(1000)))],
            );
            let page = self
                .entries(stream, cursor.as_deref(), want, Some(filter))
                .await?;
            let Some(last) = page.last() else { break };
            cursor = Some(last.cursor.clone());
            let full = page.len() >= want;
            out.extend(page.into_iter().filter(|e| e.is_live(now)));
            if !full {
                break;
            }
        }
        Ok(out)
    }
}

impl DynamoStore {
    /// Up to `limit` entries after `after`, oldest first, that pass `filter`.
    async fn entries(
        &self,
        stream: &str,
        after: Option<&str>,
        limit: usize,
        filter: Option<(String, Vec<(&str, AttributeValue)>)>,
    ) -> StoreResult<Vec<StreamEntry>> {
        let items = self
            .query_pages(Query {
                index: None,
                pk: ("PK", stream_pk(stream)),
                sk: Some(after_sk(after)),
                filter,
                forward: true,
                limit,
            })
            .await?;
        items.iter().map(doc).collect()
    }
}
