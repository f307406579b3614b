//! The stream port on the table: `STREAM#{stream}` / `E#{cursor}` holds an
//! entry (`doc`), with `expires_at` for DynamoDB's TTL when the entry has one.

use super::*;
use switchboard_core::ports::{StreamEntry, StreamStore};

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

    async fn read_entries(
        &self,
        stream: &str,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<StreamEntry>> {
        let sk = match after {
            Some(c) => ("SK", "#sk > :sk", format!("E#{c}")),
            None => ("SK", "begins_with(#sk, :sk)", "E#".to_string()),
        };
        let items = self
            .query_pages(Query {
                index: None,
                pk: ("PK", stream_pk(stream)),
                sk: Some(sk),
                filter: None,
                forward: true,
                limit,
            })
            .await?;
        items.iter().map(doc).collect()
    }
}
