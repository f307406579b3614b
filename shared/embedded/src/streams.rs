//! The stream port on redb: `streams` "stream|cursor" -> entry.

use crate::store::{RedbStore, Str, dec, enc, err};
use async_trait::async_trait;
use redb::{ReadableTable, TableDefinition};
use switchboard_core::ports::{StoreResult, StreamEntry, StreamStore, listed};

pub(crate) const STREAMS: Str = TableDefinition::new("streams");

#[async_trait]
impl StreamStore for RedbStore {
    async fn append_entry(&self, stream: &str, entry: &StreamEntry) -> StoreResult<bool> {
        let key = format!("{stream}|{}", entry.cursor);
        let value = enc(entry)?;
        self.write(move |txn| {
            let mut t = txn.open_table(STREAMS).map_err(err)?;
            if t.get(key.as_str()).map_err(err)?.is_some() {
                return Ok(false);
            }
            t.insert(key.as_str(), value.as_str()).map_err(err)?;
            Ok(true)
        })
        .await
    }

    async fn read_entries(
        &self,
        stream: &str,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<StreamEntry>> {
        // '|' sorts before every cursor character; '}' after all of them.
        let start = match after {
            Some(c) => format!("{stream}|{c}"),
            None => format!("{stream}|"),
        };
        let end = format!("{stream}}}");
        let skip = after.map(|_| start.clone());
        self.read(move |txn| {
            let t = txn.open_table(STREAMS).map_err(err)?;
            let mut out = Vec::new();
            for row in t.range(start.as_str()..end.as_str()).map_err(err)? {
                let (k, v) = row.map_err(err)?;
                if skip.as_deref() == Some(k.value()) {
                    continue;
                }
                out.extend(listed("stream entry", dec(v.value())));
                if out.len() >= limit {
                    break;
                }
            }
            Ok(out)
        })
        .await
    }
}
