//! The workstream port on the table: `WS#{id}` / `WS` (listed on GSI2
//! `WORKSTREAMS`) and each page's binding `PAGEWS#{page}` / `PAGEWS`, which
//! a conditional put keeps to one workstream.

use super::{DynamoStore, doc, key, opt_s, s, to_doc, unavailable};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Delete, Put, TransactWriteItem};
use switchboard_core::ids::PageId;
use switchboard_core::ports::{StoreError, StoreResult, WorkstreamStore, WriteMode, listed};
use switchboard_core::workstreams::{Workstream, WorkstreamId};

fn workstream_pk(id: &WorkstreamId) -> String {
    format!("WS#{id}")
}
fn binding_pk(page: &PageId) -> String {
    format!("PAGEWS#{page}")
}

impl DynamoStore {
    fn delete_binding_if_mine(
        &self,
        page: &PageId,
        ws: &WorkstreamId,
    ) -> StoreResult<TransactWriteItem> {
        let d = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key(binding_pk(page), "PAGEWS")))
            .condition_expression("ws_id = :me")
            .expression_attribute_values(":me", s(ws.as_str()))
            .build()
            .map_err(unavailable)?;
        Ok(TransactWriteItem::builder().delete(d).build())
    }

    async fn binding_owner(&self, page: &PageId) -> StoreResult<Option<String>> {
        Ok(self
            .get_item(key(binding_pk(page), "PAGEWS"))
            .await?
            .and_then(|i| opt_s(&i, "ws_id").map(str::to_string)))
    }
}

#[async_trait]
impl WorkstreamStore for DynamoStore {
    async fn put_workstream(&self, ws: &Workstream, mode: WriteMode) -> StoreResult<()> {
        let existing: Option<Workstream> = self
            .get_item(key(workstream_pk(&ws.id), "WS"))
            .await?
            .as_ref()
            .map(doc)
            .transpose()?;
        if mode == WriteMode::Create && existing.is_some() {
            return Err(StoreError::Conflict(format!("workstream {}", ws.id)));
        }
        let mut item = key(workstream_pk(&ws.id), "WS");
        item.insert("doc".into(), to_doc(ws)?);
        item.insert("GSI2PK".into(), s("WORKSTREAMS"));
        item.insert("GSI2SK".into(), s(workstream_pk(&ws.id)));
        let cond = (mode == WriteMode::Create).then_some("attribute_not_exists(PK)");
        let mut items = vec![self.put(item, cond)?];
        for page in &ws.pages {
            let mut b = key(binding_pk(page), "PAGEWS");
            b.insert("ws_id".into(), s(ws.id.as_str()));
            let p = Put::builder()
                .table_name(&self.table)
                .set_item(Some(b))
                .condition_expression("attribute_not_exists(PK) OR ws_id = :me")
                .expression_attribute_values(":me", s(ws.id.as_str()))
                .build()
                .map_err(unavailable)?;
            items.push(TransactWriteItem::builder().put(p).build());
        }
        for old in existing
            .iter()
            .flat_map(|e| e.pages.iter())
            .filter(|p| !ws.pages.contains(p))
        {
            items.push(self.delete_binding_if_mine(old, &ws.id)?);
        }
        let Some(codes) = self.transact(items).await? else {
            return Ok(());
        };
        if codes.first().map(String::as_str) == Some("ConditionalCheckFailed") {
            return Err(StoreError::Conflict(format!("workstream {}", ws.id)));
        }
        for (i, page) in ws.pages.iter().enumerate() {
            if codes.get(i + 1).map(String::as_str) == Some("ConditionalCheckFailed") {
                let other = self
                    .binding_owner(page)
                    .await?
                    .unwrap_or_else(|| "another workstream".into());
                return Err(StoreError::Conflict(format!(
                    "page {page} feeds workstream {other}"
                )));
            }
        }
        Err(StoreError::Conflict(format!(
            "workstream {} changed meanwhile; try again",
            ws.id
        )))
    }

    async fn get_workstream(&self, id: &WorkstreamId) -> StoreResult<Option<Workstream>> {
        self.get_decoded(key(workstream_pk(id), "WS"), doc).await
    }

    async fn list_workstreams(&self) -> StoreResult<Vec<Workstream>> {
        let items = self
            .query_all(
                Some("GSI2"),
                "GSI2PK",
                "WORKSTREAMS".into(),
                None,
                usize::MAX,
            )
            .await?;
        let mut out: Vec<Workstream> = items
            .iter()
            .filter_map(|i| listed("workstream", doc(i)))
            .collect();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    async fn delete_workstream(&self, id: &WorkstreamId) -> StoreResult<()> {
        let existing = self
            .get_workstream(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("workstream {id}")))?;
        let d = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key(workstream_pk(id), "WS")))
            .condition_expression("attribute_exists(PK)")
            .build()
            .map_err(unavailable)?;
        let mut items = vec![TransactWriteItem::builder().delete(d).build()];
        for page in &existing.pages {
            if self.binding_owner(page).await?.as_deref() == Some(id.as_str()) {
                items.push(self.delete_binding_if_mine(page, id)?);
            }
        }
        match self.transact(items).await? {
            None => Ok(()),
            Some(_) => Err(StoreError::Conflict(format!(
                "workstream {id} changed meanwhile; try again"
            ))),
        }
    }

    async fn workstream_of_page(&self, page: &PageId) -> StoreResult<Option<WorkstreamId>> {
        self.binding_owner(page)
            .await?
            .map(|w| WorkstreamId::parse(w).map_err(|e| StoreError::Corrupt(e.to_string())))
            .transpose()
    }
}
