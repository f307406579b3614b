//! The outbound port on redb: `outbound` id -> Outbound, `outbound_by_conv`
//! "conversation|created|id" -> id, `outbound_mids` Meta's message id -> id,
//! `outbound_queued` "created|id" -> id while a message is queued.

use crate::store::RedbStore;
use crate::tables::{OUTBOUND, OUTBOUND_BY_CONV, OUTBOUND_MIDS, OUTBOUND_QUEUED, dec, enc, err};
use async_trait::async_trait;
use redb::ReadableTable;
use switchboard_core::ids::{ConversationId, OutboundId};
use switchboard_core::outbound::{Outbound, Status};
use switchboard_core::ports::{OutboundStore, StoreError, StoreResult, listed};
use switchboard_core::routing::record::sortable;
use switchboard_core::time::Millis;

fn queued_key(m: &Outbound) -> String {
    format!("{}|{}", sortable(m.created_at), m.id)
}

fn by_conv(m: &Outbound) -> String {
    format!("{}|{}|{}", m.conversation_id, sortable(m.created_at), m.id)
}

fn load(
    t: &impl ReadableTable<&'static str, &'static str>,
    id: &OutboundId,
) -> StoreResult<Outbound> {
    match t.get(id.as_str()).map_err(err)? {
        Some(v) => dec(v.value()),
        None => Err(StoreError::NotFound(format!("outbound message {id}"))),
    }
}

#[async_trait]
impl OutboundStore for RedbStore {
    async fn put_outbound(&self, message: &Outbound) -> StoreResult<()> {
        let m = message.clone();
        self.write(move |txn| {
            let mut all = txn.open_table(OUTBOUND).map_err(err)?;
            if all.get(m.id.as_str()).map_err(err)?.is_some() {
                return Err(StoreError::Conflict(format!("outbound message {}", m.id)));
            }
            let mut idx = txn.open_table(OUTBOUND_BY_CONV).map_err(err)?;
            idx.insert(by_conv(&m).as_str(), m.id.as_str())
                .map_err(err)?;
            if m.status == Status::Queued {
                let mut queued = txn.open_table(OUTBOUND_QUEUED).map_err(err)?;
                queued
                    .insert(queued_key(&m).as_str(), m.id.as_str())
                    .map_err(err)?;
            }
            all.insert(m.id.as_str(), enc(&m)?.as_str()).map_err(err)?;
            Ok(())
        })
        .await
    }

    async fn get_outbound(&self, id: &OutboundId) -> StoreResult<Option<Outbound>> {
        self.get_json(OUTBOUND, id.to_string()).await
    }

    async fn count_attempt(
        &self,
        id: &OutboundId,
        attempts: u32,
        claimed_at: Option<Millis>,
    ) -> StoreResult<()> {
        let id = id.clone();
        self.write(move |txn| {
            let mut all = txn.open_table(OUTBOUND).map_err(err)?;
            let mut m = load(&all, &id)?;
            if m.status != Status::Queued {
                return Err(StoreError::Conflict(format!(
                    "outbound message {id} is not queued"
                )));
            }
            m.attempts = attempts;
            m.claimed_at = claimed_at;
            all.insert(id.as_str(), enc(&m)?.as_str()).map_err(err)?;
            Ok(())
        })
        .await
    }

    async fn finish_outbound(&self, id: &OutboundId, status: &Status) -> StoreResult<()> {
        let (id, status) = (id.clone(), status.clone());
        self.write(move |txn| {
            let mut all = txn.open_table(OUTBOUND).map_err(err)?;
            let mut m = load(&all, &id)?;
            if m.status != Status::Queued {
                return Err(StoreError::Conflict(format!(
                    "outbound message {id} is already finished"
                )));
            }
            if let Status::Sent { message_id, .. } = &status {
                let mut mids = txn.open_table(OUTBOUND_MIDS).map_err(err)?;
                mids.insert(message_id.as_str(), id.as_str()).map_err(err)?;
            }
            let mut queued = txn.open_table(OUTBOUND_QUEUED).map_err(err)?;
            queued.remove(queued_key(&m).as_str()).map_err(err)?;
            m.status = status;
            m.claimed_at = None;
            all.insert(id.as_str(), enc(&m)?.as_str()).map_err(err)?;
            Ok(())
        })
        .await
    }

    async fn replace_outbound_content(&self, message: &Outbound) -> StoreResult<bool> {
        let (id, content) = (message.id.clone(), message.content.clone());
        self.write(move |txn| {
            let mut all = txn.open_table(OUTBOUND).map_err(err)?;
            let mut m = match all.get(id.as_str()).map_err(err)? {
                Some(g) => dec::<Outbound>(g.value())?,
                None => return Ok(false),
            };
            if m.status == Status::Queued {
                return Ok(false);
            }
            m.content = content;
            all.insert(id.as_str(), enc(&m)?.as_str()).map_err(err)?;
            Ok(true)
        })
        .await
    }

    async fn outbound_by_mid(&self, mid: &str) -> StoreResult<Option<Outbound>> {
        let mid = mid.to_string();
        self.read(move |txn| {
            let mids = txn.open_table(OUTBOUND_MIDS).map_err(err)?;
            let Some(id) = mids
                .get(mid.as_str())
                .map_err(err)?
                .map(|v| v.value().to_string())
            else {
                return Ok(None);
            };
            let all = txn.open_table(OUTBOUND).map_err(err)?;
            all.get(id.as_str())
                .map_err(err)?
                .map(|v| dec(v.value()))
                .transpose()
        })
        .await
    }

    async fn queued_outbound(&self, before: Millis, limit: usize) -> StoreResult<Vec<Outbound>> {
        let end = format!("{}|", sortable(before));
        self.read(move |txn| {
            let queued = txn.open_table(OUTBOUND_QUEUED).map_err(err)?;
            let all = txn.open_table(OUTBOUND).map_err(err)?;
            let mut out = Vec::new();
            for row in queued.range(..end.as_str()).map_err(err)? {
                let (_, id) = row.map_err(err)?;
                if let Some(m) = all.get(id.value()).map_err(err)? {
                    out.extend(listed("outbound message", dec::<Outbound>(m.value())));
                }
                if out.len() >= limit {
                    break;
                }
            }
            Ok(out)
        })
        .await
    }

    async fn list_outbound(&self, conversation: &ConversationId) -> StoreResult<Vec<Outbound>> {
        let prefix = format!("{conversation}|");
        self.read(move |txn| {
            let idx = txn.open_table(OUTBOUND_BY_CONV).map_err(err)?;
            let all = txn.open_table(OUTBOUND).map_err(err)?;
            let mut out = Vec::new();
            for row in idx.range(prefix.as_str()..).map_err(err)? {
                let (k, v) = row.map_err(err)?;
                if !k.value().starts_with(&prefix) {
                    break;
                }
                if let Some(m) = all.get(v.value()).map_err(err)? {
                    out.extend(listed("outbound message", dec(m.value())));
                }
            }
            Ok(out)
        })
        .await
    }
}
