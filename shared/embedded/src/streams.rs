//! The stream port on redb: `streams` "stream|cursor" -> entry.
//!
//! Retention: an entry whose `expires_at` has passed is not returned by
//! `read_live_entries`, and such a read, finding the stream's oldest entry
//! expired, deletes up to [`SWEEP`] expired entries from the stream's start
//! in one write (DynamoDB's TTL does this on the table). The port learns
//! "now" from the caller: the store has no clock of its own.

use crate::store::RedbStore;
use crate::tables::{STREAMS, dec, enc, err};
use async_trait::async_trait;
use redb::ReadableTable;
use switchboard_core::Millis;
use switchboard_core::ports::{StoreResult, StreamEntry, StreamStore, listed};

/// Most expired entries one sweep deletes.
const SWEEP: usize = 64;

/// The key range of a stream: '|' sorts before every cursor character,
/// '}' after all of them.
fn bounds(stream: &str) -> (String, String) {
    (format!("{stream}|"), format!("{stream}}}"))
}

/// Entries after `after`, skipping those expired at `now` (when given),
/// and whether the stream's oldest entry has expired.
fn scan(
    txn: &redb::ReadTransaction,
    stream: &str,
    after: Option<&str>,
    limit: usize,
    now: Option<Millis>,
) -> StoreResult<(Vec<StreamEntry>, bool)> {
    let t = txn.open_table(STREAMS).map_err(err)?;
    let (first, end) = bounds(stream);
    let start = after.map_or_else(|| first.clone(), |c| format!("{first}{c}"));
    let mut out = Vec::new();
    for row in t.range(start.as_str()..end.as_str()).map_err(err)? {
        if out.len() >= limit {
            break;
        }
        let (k, v) = row.map_err(err)?;
        if after.is_some() && k.value() == start {
            continue;
        }
        let Some(e) = listed::<StreamEntry>("stream entry", dec(v.value())) else {
            continue;
        };
        if now.is_none_or(|now| e.is_live(now)) {
            out.push(e);
        }
    }
    let head_expired = match (
        now,
        t.range(first.as_str()..end.as_str()).map_err(err)?.next(),
    ) {
        (Some(now), Some(row)) => {
            let (_, v) = row.map_err(err)?;
            dec::<StreamEntry>(v.value()).is_ok_and(|e| !e.is_live(now))
        }
        _ => false,
    };
    Ok((out, head_expired))
}

/// Delete up to [`SWEEP`] entries expired at `now` from the start of a
/// stream, reading at most four times as many.
fn sweep(txn: &redb::WriteTransaction, stream: &str, now: Millis) -> StoreResult<usize> {
    let mut t = txn.open_table(STREAMS).map_err(err)?;
    let (first, end) = bounds(stream);
    let mut expired = Vec::new();
    for row in t
        .range(first.as_str()..end.as_str())
        .map_err(err)?
        .take(SWEEP * 4)
    {
        let (k, v) = row.map_err(err)?;
        if dec::<StreamEntry>(v.value()).is_ok_and(|e| !e.is_live(now)) {
            expired.push(k.value().to_string());
            if expired.len() >= SWEEP {
                break;
            }
        }
    }
    for k in &expired {
        t.remove(k.as_str()).map_err(err)?;
    }
    Ok(expired.len())
}

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

    async fn replace_entry(&self, stream: &str, entry: &StreamEntry) -> StoreResult<bool> {
        let key = format!("{stream}|{}", entry.cursor);
        let value = enc(entry)?;
        self.write(move |txn| {
            let mut t = txn.open_table(STREAMS).map_err(err)?;
            if t.get(key.as_str()).map_err(err)?.is_none() {
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
        let (stream, after) = (stream.to_string(), after.map(str::to_string));
        self.read(move |txn| scan(txn, &stream, after.as_deref(), limit, None))
            .await
            .map(|(out, _)| out)
    }

    async fn read_live_entries(
        &self,
        stream: &str,
        after: Option<&str>,
        limit: usize,
        now: Millis,
    ) -> StoreResult<Vec<StreamEntry>> {
        let (name, after) = (stream.to_string(), after.map(str::to_string));
        let (out, head_expired) = self
            .read(move |txn| scan(txn, &name, after.as_deref(), limit, Some(now)))
            .await?;
        if head_expired {
            let name = stream.to_string();
            // The read stands whether or not the sweep succeeds.
            if let Err(e) = self.write(move |txn| sweep(txn, &name, now)).await {
                tracing::warn!(stream, error = %e, "expired stream entries not deleted yet");
            }
        }
        Ok(out)
    }
}
