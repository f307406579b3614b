//! One-time sign-in codes on the table: one item each under
//! `SIGNIN#{hash}` / `SIGNIN`, with `expires_at` (seconds) for DynamoDB's
//! TTL. Taking one is a single `DeleteItem` returning the old item: of two
//! concurrent takes, only the one that deleted it gets it.

use super::*;
use switchboard_core::sign_in::SignInCode;

const SK: &str = "SIGNIN";

fn pk(hash: &str) -> String {
    format!("SIGNIN#{hash}")
}

impl DynamoStore {
    pub(crate) async fn put_sign_in_item(&self, code: &SignInCode) -> StoreResult<()> {
        let mut item = key(pk(&code.hash), SK);
        item.insert("doc".into(), to_doc(code)?);
        // Whole seconds, rounded up: DynamoDB's TTL drops it some time after.
        item.insert(
            "expires_at".into(),
            n(code.expires_at.0.div_euclid(1000) + 1),
        );
        self.put_item(
            item,
            WriteMode::Upsert,
            format!("sign-in code {}", code.hash),
        )
        .await
    }

    pub(crate) async fn take_sign_in_item(&self, hash: &str) -> StoreResult<Option<SignInCode>> {
        self.calls.record("dynamodb:DeleteItem");
        let old = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(pk(hash), SK)))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| unavailable(DisplayErrorContext(e)))?;
        match old.attributes {
            Some(item) if !item.is_empty() => doc(&item).map(Some),
            _ => Ok(None),
        }
    }
}
