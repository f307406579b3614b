//! The account port on the table: `ACCOUNT#{id}` / `ACCOUNT` (listed on
//! GSI2 `ACCOUNTS`) and `PAGE#{id}` / `PAGE` (listed on GSI1 by account).

use super::{DynamoStore, conditional, doc, key, n, opt_n, s, to_doc};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use switchboard_core::Millis;
use switchboard_core::ids::{AccountId, PageId};
use switchboard_core::ports::{
    Account, AccountStore, Page, StoreError, StoreResult, WriteMode, listed,
};

fn account_pk(id: &AccountId) -> String {
    format!("ACCOUNT#{id}")
}
fn page_pk(id: &PageId) -> String {
    format!("PAGE#{id}")
}

#[async_trait]
impl AccountStore for DynamoStore {
    async fn put_account(&self, account: &Account, mode: WriteMode) -> StoreResult<()> {
        let mut item = key(account_pk(&account.id), "ACCOUNT");
        let mut stored = account.clone();
        stored.webhook_verified_at = None;
        item.insert("doc".into(), to_doc(&stored)?);
        if let Some(t) = account.webhook_verified_at {
            item.insert("webhook_verified_at".into(), n(t.0));
        }
        item.insert("GSI2PK".into(), s("ACCOUNTS"));
        item.insert("GSI2SK".into(), s(account_pk(&account.id)));
        self.put_item(item, mode, format!("account {}", account.id))
            .await
    }

    async fn get_account(&self, id: &AccountId) -> StoreResult<Option<Account>> {
        let Some(item) = self.get_item(key(account_pk(id), "ACCOUNT")).await? else {
            return Ok(None);
        };
        let mut a: Account = doc(&item)?;
        a.webhook_verified_at = opt_n(&item, "webhook_verified_at").map(Millis);
        Ok(Some(a))
    }

    async fn mark_webhook_verified(&self, id: &AccountId, at: Millis) -> StoreResult<()> {
        self.calls.record("dynamodb:UpdateItem");
        let r = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(account_pk(id), "ACCOUNT")))
            .update_expression("SET webhook_verified_at = :t")
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_values(":t", n(at.0))
            .send()
            .await;
        conditional(r, || StoreError::NotFound(format!("account {id}")))
    }

    async fn put_page(&self, page: &Page, mode: WriteMode) -> StoreResult<()> {
        let mut item = key(page_pk(&page.page_id), "PAGE");
        item.insert("doc".into(), to_doc(page)?);
        item.insert("live".into(), AttributeValue::Bool(page.is_live()));
        item.insert("GSI1PK".into(), s(account_pk(&page.account_id)));
        item.insert("GSI1SK".into(), s(page_pk(&page.page_id)));
        // A page belongs to one account: only a removed page may be replaced.
        let create = (mode == WriteMode::Create).then(|| {
            (
                "attribute_not_exists(PK) OR live = :false",
                vec![(":false", AttributeValue::Bool(false))],
            )
        });
        self.put_item_if(item, create, format!("page {}", page.page_id))
            .await
    }

    async fn list_accounts(&self) -> StoreResult<Vec<Account>> {
        let mut out = Vec::new();
        for item in self
            .query_all(Some("GSI2"), "GSI2PK", "ACCOUNTS".into(), None, usize::MAX)
            .await?
        {
            let Some(mut a) = listed::<Account>("account", doc(&item)) else {
                continue;
            };
            a.webhook_verified_at = opt_n(&item, "webhook_verified_at").map(Millis);
            out.push(a);
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    async fn delete_account(&self, id: &AccountId) -> StoreResult<()> {
        self.calls.record("dynamodb:DeleteItem");
        let r = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(account_pk(id), "ACCOUNT")))
            .condition_expression("attribute_exists(PK)")
            .send()
            .await;
        conditional(r, || StoreError::NotFound(format!("account {id}")))
    }

    async fn list_pages(&self, account: &AccountId) -> StoreResult<Vec<Page>> {
        let items = self
            .query_all(
                Some("GSI1"),
                "GSI1PK",
                account_pk(account),
                None,
                usize::MAX,
            )
            .await?;
        let mut out: Vec<Page> = items
            .iter()
            .filter_map(|i| listed("page", doc(i)))
            .collect();
        out.sort_by(|a, b| a.page_id.cmp(&b.page_id));
        Ok(out)
    }

    async fn get_page(&self, id: &PageId) -> StoreResult<Option<Page>> {
        self.get_decoded(key(page_pk(id), "PAGE"), doc).await
    }
}
