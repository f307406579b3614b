//! Canned responses on the table: one item each under `CANNED#{id}`,
//! listed by workstream on GSI1 (`WSCANNED#{ws}`) and all of them on GSI2
//! (`CANNED`), both in id order (see `docs/dynamodb.md`).

use super::*;
use switchboard_core::canned::{CannedResponse, CannedResponseId};
use switchboard_core::workstreams::WorkstreamId;

const SK: &str = "CANNED";

fn pk(id: &CannedResponseId) -> String {
    format!("CANNED#{id}")
}

/// Every item of a list that can be read (see `ports::listed`).
fn decode_all(items: &[Item]) -> Vec<CannedResponse> {
    items
        .iter()
        .filter_map(|i| switchboard_core::ports::listed("canned response", doc(i)))
        .collect()
}

impl DynamoStore {
    pub(crate) async fn put_canned_item(
        &self,
        c: &CannedResponse,
        mode: WriteMode,
    ) -> StoreResult<()> {
        let mut item = key(pk(&c.id), SK);
        item.insert("doc".into(), to_doc(c)?);
        item.insert("GSI1PK".into(), s(format!("WSCANNED#{}", c.workstream)));
        item.insert("GSI1SK".into(), s(pk(&c.id)));
        item.insert("GSI2PK".into(), s("CANNED"));
        item.insert("GSI2SK".into(), s(pk(&c.id)));
        self.put_item(item, mode, format!("canned response {}", c.id))
            .await
    }

    pub(crate) async fn get_canned_item(
        &self,
        id: &CannedResponseId,
    ) -> StoreResult<Option<CannedResponse>> {
        self.get_decoded(key(pk(id), SK), doc).await
    }

    pub(crate) async fn list_canned_items(
        &self,
        ws: Option<&WorkstreamId>,
    ) -> StoreResult<Vec<CannedResponse>> {
        let (index, pk) = match ws {
            Some(w) => ("GSI1", ("GSI1PK", format!("WSCANNED#{w}"))),
            None => ("GSI2", ("GSI2PK", "CANNED".to_string())),
        };
        let items = self
            .query_pages(Query {
                index: Some(index),
                pk,
                sk: None,
                filter: None,
                forward: true,
                limit: usize::MAX,
            })
            .await?;
        Ok(decode_all(&items))
    }

    pub(crate) async fn delete_canned_item(&self, id: &CannedResponseId) -> StoreResult<()> {
        self.calls.record("dynamodb:DeleteItem");
        let res = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(pk(id), SK)))
            .condition_expression("attribute_exists(PK)")
            .send()
            .await;
        conditional(res, || {
            StoreError::NotFound(format!("canned response {id}"))
        })
        .map(|_| ())
    }
}
