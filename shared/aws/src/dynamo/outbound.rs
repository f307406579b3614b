//! The outbound port on the table: `OUT#{id}` / `OUT` holds the message
//! (status as an attribute the conditions test), GSI1 `CONVOUT#{conv}` /
//! `{created}#{id}` lists a conversation's, and `MID#{message_id}` / `MID`
//! finds one by Meta's message id (written with the Sent status, atomically).
//! While a message is queued, GSI2 `OUTQUEUED` / `{created}#{id}` lists it
//! for the scheduler's sweep (a sparse index: finishing removes the keys).

use super::*;
use async_trait::async_trait;
use switchboard_core::Millis;
use switchboard_core::ids::ConversationId;
use switchboard_core::ids::OutboundId;
use switchboard_core::outbound::{Outbound, Status};
use switchboard_core::ports::OutboundStore;
use switchboard_core::routing::record::sortable;

/// GSI2's partition of queued outbound messages.
const QUEUED_PK: &str = "OUTQUEUED";

fn out_pk(id: &OutboundId) -> String {
    format!("OUT#{id}")
}

fn status_name(s: &Status) -> &'static str {
    match s {
        Status::Queued => "queued",
        Status::Sent { .. } => "sent",
        Status::Failed { .. } => "failed",
    }
}

#[async_trait]
impl OutboundStore for DynamoStore {
    async fn put_outbound(&self, m: &Outbound) -> StoreResult<()> {
        let mut item = key(out_pk(&m.id), "OUT");
        item.insert("doc".into(), to_doc(m)?);
        item.insert("status".into(), s(status_name(&m.status)));
        item.insert("GSI1PK".into(), s(format!("CONVOUT#{}", m.conversation_id)));
        item.insert(
            "GSI1SK".into(),
            s(format!("{}#{}", sortable(m.created_at), m.id)),
        );
        if m.status == Status::Queued {
            item.insert("GSI2PK".into(), s(QUEUED_PK));
            item.insert(
                "GSI2SK".into(),
                s(format!("{}#{}", sortable(m.created_at), m.id)),
            );
        }
        self.put_item(
            item,
            WriteMode::Create,
            format!("outbound message {}", m.id),
        )
        .await
    }

    async fn get_outbound(&self, id: &OutboundId) -> StoreResult<Option<Outbound>> {
        self.get_decoded(key(out_pk(id), "OUT"), doc).await
    }

    async fn count_attempt(
        &self,
        id: &OutboundId,
        attempts: u32,
        claimed_at: Option<Millis>,
    ) -> StoreResult<()> {
        let Some(mut m) = self.get_outbound(id).await? else {
            return Err(StoreError::NotFound(format!("outbound message {id}")));
        };
        m.attempts = attempts;
        m.claimed_at = claimed_at;
        let item = self.update(
            key(out_pk(id), "OUT"),
            "SET doc = :doc",
            Some("#st = :queued"),
            &[("#st", "status")],
            vec![(":doc", to_doc(&m)?), (":queued", s("queued"))],
        )?;
        match self.transact(vec![item]).await? {
            None => Ok(()),
            Some(_) => Err(StoreError::Conflict(format!(
                "outbound message {id} is not queued"
            ))),
        }
    }

    async fn finish_outbound(&self, id: &OutboundId, status: &Status) -> StoreResult<()> {
        let Some(mut m) = self.get_outbound(id).await? else {
            return Err(StoreError::NotFound(format!("outbound message {id}")));
        };
        m.status = status.clone();
        m.claimed_at = None;
        let mut items = vec![self.update(
            key(out_pk(id), "OUT"),
            "SET doc = :doc, #st = :status REMOVE GSI2PK, GSI2SK",
            Some("#st = :queued"),
            &[("#st", "status")],
            vec![
                (":doc", to_doc(&m)?),
                (":status", s(status_name(status))),
                (":queued", s("queued")),
            ],
        )?];
        if let Status::Sent { message_id, .. } = status {
            let mut mid = key(format!("MID#{message_id}"), "MID");
            mid.insert("outbound_id".into(), s(id.as_str()));
            items.push(self.put(mid, None)?);
        }
        match self.transact(items).await? {
            None => Ok(()),
            Some(_) => Err(StoreError::Conflict(format!(
                "outbound message {id} is already finished"
            ))),
        }
    }

    async fn replace_outbound_content(&self, m: &Outbound) -> StoreResult<bool> {
        let Some(mut stored) = self.get_outbound(&m.id).await? else {
            return Ok(false);
        };
        if stored.status == Status::Queued {
            return Ok(false);
        }
        stored.content = m.content.clone();
        // Finished messages change no more: only the content is new.
        let r = self
            .update_item_if(
                key(out_pk(&m.id), "OUT"),
                "SET doc = :doc",
                "attribute_exists(PK) AND #status <> :queued",
                &[("#status", "status")],
                vec![
                    (":doc", to_doc(&stored)?),
                    (":queued", s(status_name(&Status::Queued))),
                ],
                || StoreError::Conflict(String::new()),
            )
            .await;
        match r {
            Ok(()) => Ok(true),
            Err(StoreError::Conflict(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn outbound_by_mid(&self, mid: &str) -> StoreResult<Option<Outbound>> {
        let Some(item) = self.get_item(key(format!("MID#{mid}"), "MID")).await? else {
            return Ok(None);
        };
        let id = parse_id(OutboundId::parse(get_s(&item, "outbound_id")?))?;
        self.get_outbound(&id).await
    }

    async fn queued_outbound(&self, before: Millis, limit: usize) -> StoreResult<Vec<Outbound>> {
        let items = self
            .query_pages(Query {
                index: Some("GSI2"),
                pk: ("GSI2PK", QUEUED_PK.to_string()),
                sk: Some(("GSI2SK", "#sk < :sk", format!("{}#", sortable(before)))),
                filter: None,
                forward: true,
                limit,
            })
            .await?;
        Ok(items
            .iter()
            .filter_map(|i| switchboard_core::ports::listed("outbound message", doc(i)))
            .collect())
    }

    async fn list_outbound(&self, conversation: &ConversationId) -> StoreResult<Vec<Outbound>> {
        let items = self
            .query_pages(Query {
                index: Some("GSI1"),
                pk: ("GSI1PK", format!("CONVOUT#{conversation}")),
                sk: None,
                filter: None,
                forward: true,
                limit: usize::MAX,
            })
            .await?;
        items.iter().map(doc).collect()
    }
}
