//! The contact search index on the table: one item per index key
//! (`switchboard_core::contact_search::index_keys`, "{term} {contact_id}")
//! under `CSEARCH#{the key's first three characters}` (the term's kind and
//! first character) / the key, written in the transaction that writes the
//! contact. A search is one `Query` with `begins_with` on the sort key,
//! then a `GetItem` per contact found.

use super::conv_items::contact_pk;
use super::*;
use aws_sdk_dynamodb::types::{Delete, TransactWriteItem};
use switchboard_core::contact_search::{changed_keys, contact_of, index_keys};
use switchboard_core::ports::Contact;

fn pk(key: &str) -> String {
    let head: String = key.chars().take(3).collect();
    format!("CSEARCH#{head}")
}

impl DynamoStore {
    /// The writes that index `new` (replacing `old`'s keys).
    pub(super) fn contact_index_writes(
        &self,
        old: Option<&Contact>,
        new: &Contact,
    ) -> StoreResult<Vec<TransactWriteItem>> {
        let (gone, added) = match old {
            Some(old) => changed_keys(old, new),
            None => (Vec::new(), index_keys(new)),
        };
        let mut out = Vec::new();
        for k in gone {
            let d = Delete::builder()
                .table_name(&self.table)
                .set_key(Some(key(pk(&k), &k)))
                .build()
                .map_err(unavailable)?;
            out.push(TransactWriteItem::builder().delete(d).build());
        }
        for k in added {
            let mut item = key(pk(&k), &k);
            item.insert("contact_id".into(), s(new.id.as_str()));
            out.push(self.put(item, None)?);
        }
        Ok(out)
    }

    pub(super) async fn find_indexed_contacts(
        &self,
        prefix: &str,
        limit: usize,
    ) -> StoreResult<Vec<Contact>> {
        if prefix.chars().count() < 3 {
            return Ok(Vec::new());
        }
        let items = self
            .query_pages(Query {
                index: None,
                pk: ("PK", pk(prefix)),
                sk: Some(("SK", "begins_with(#sk, :sk)", prefix.to_string())),
                filter: None,
                forward: true,
                limit,
            })
            .await?;
        let mut out = Vec::new();
        for item in &items {
            let Some(id) = opt_s(item, "SK").and_then(contact_of) else {
                continue;
            };
            if let Some(c) = self
                .get_decoded(key(contact_pk(&id), "CONTACT"), doc)
                .await?
            {
                out.push(c);
            }
        }
        Ok(out)
    }
}
