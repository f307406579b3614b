//! Linking a customer to another contact: the conversation, the customer
//! and its history entries move between contacts in transactions of at
//! most 100 items, with a marker that lets the next link finish one that
//! stopped half way.

use super::conv_items::{CONV_SK, contact_pk, conv_pk, customer_pk};
use super::{DynamoStore, Item, Query, get_s, key, parse_id, s, unavailable};
use aws_sdk_dynamodb::types::{ConditionCheck, Delete, TransactWriteItem};
use switchboard_core::ids::{ContactId, ConversationId};
use switchboard_core::ports::{Conversation, ConversationStore, StoreError, StoreResult};

impl DynamoStore {
    /// Link the conversation's customer to `contact`. The conversation,
    /// the customer and the 40 newest history entries move in one
    /// transaction; older entries in further ones. When there are older
    /// ones, that transaction also writes a marker (`CUSTOMER#page#psid` /
    /// `LINK#{old contact}`), deleted once every entry has moved: a link that
    /// stopped half way is finished by the next link of the customer, to the
    /// same contact or another.
    pub(super) async fn link(
        &self,
        conversation: &ConversationId,
        contact: &ContactId,
    ) -> StoreResult<Conversation> {
        /// Most history entries the linking transaction itself moves.
        const FIRST: usize = 40;

        fn marker_sk(from: &ContactId) -> String {
            format!("LINK#{from}")
        }

        /// The contacts an earlier link of this customer left entries under.
        async fn unfinished(
            store: &DynamoStore,
            conv: &Conversation,
        ) -> StoreResult<Vec<ContactId>> {
            let markers = store
                .query_pages(Query {
                    index: None,
                    pk: ("PK", customer_pk(&conv.page_id, &conv.psid)),
                    sk: Some(("SK", "begins_with(#sk, :sk)", "LINK#".to_string())),
                    filter: None,
                    forward: true,
                    limit: usize::MAX,
                })
                .await?;
            markers
                .iter()
                .map(|m| parse_id(ContactId::parse(get_s(m, "from")?)))
                .collect()
        }

        /// This customer's entries in `from`'s history, newest first.
        async fn entries(
            store: &DynamoStore,
            conv: &Conversation,
            from: &ContactId,
        ) -> StoreResult<Vec<Item>> {
            store
                .query_pages(Query {
                    index: None,
                    pk: ("PK", contact_pk(from)),
                    sk: Some(("SK", "begins_with(#sk, :sk)", "CONV#".to_string())),
                    filter: Some((
                        "page_id = :page AND psid = :psid".into(),
                        vec![
                            (":page", s(conv.page_id.as_str())),
                            (":psid", s(conv.psid.as_str())),
                        ],
                    )),
                    forward: false,
                    limit: usize::MAX,
                })
                .await
        }

        /// Move one history entry: put under `to`, delete under `from`.
        fn move_entry(
            store: &DynamoStore,
            old: &Item,
            from: &ContactId,
            to: &ContactId,
        ) -> StoreResult<[TransactWriteItem; 2]> {
            let sk = get_s(old, "SK")?.to_string();
            let mut new = old.clone();
            new.insert("PK".into(), s(contact_pk(to)));
            let delete = Delete::builder()
                .table_name(store.table())
                .set_key(Some(key(contact_pk(from), &sk)))
                .build()
                .map_err(unavailable)?;
            Ok([
                store.put(new, None)?,
                TransactWriteItem::builder().delete(delete).build(),
            ])
        }

        /// Move what is left of this customer's history from `from` to
        /// `to`, 49 entries a transaction, then drop the marker. A failed
        /// transaction leaves the marker for the next link.
        async fn finish(
            store: &DynamoStore,
            conv: &Conversation,
            from: &ContactId,
            to: &ContactId,
        ) -> StoreResult<()> {
            let left = if from == to {
                Vec::new()
            } else {
                entries(store, conv, from).await?
            };
            for chunk in left.chunks(49) {
                let mut batch = Vec::with_capacity(chunk.len() * 2);
                for old in chunk {
                    batch.extend(move_entry(store, old, from, to)?);
                }
                if let Some(codes) = store.transact(batch).await? {
                    tracing::warn!(?codes, contact = %to, "older history entries not moved yet; the next link moves them");
                    return Ok(());
                }
            }
            let marker = Delete::builder()
                .table_name(store.table())
                .set_key(Some(key(
                    customer_pk(&conv.page_id, &conv.psid),
                    &marker_sk(from),
                )))
                .build()
                .map_err(unavailable)?;
            store
                .transact(vec![TransactWriteItem::builder().delete(marker).build()])
                .await
                .map(|_| ())
        }

        let conv = self
            .get_conversation(conversation)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("conversation {conversation}")))?;
        let from = conv.contact_id.clone();
        let unfinished = unfinished(self, &conv).await?;
        if &from == contact {
            if self.get_contact(contact).await?.is_none() {
                return Err(StoreError::NotFound(format!("contact {contact}")));
            }
            // Linked already: finish what an interrupted link left.
            for old in &unfinished {
                finish(self, &conv, old, contact).await?;
            }
            return Ok(conv);
        }
        // This customer's conversations in the old contact's history.
        let moved = entries(self, &conv, &from).await?;
        let check = ConditionCheck::builder()
            .table_name(self.table())
            .set_key(Some(key(contact_pk(contact), "CONTACT")))
            .condition_expression("attribute_exists(PK)")
            .build()
            .map_err(unavailable)?;
        let mut items = vec![
            TransactWriteItem::builder().condition_check(check).build(),
            self.update(
                key(conv_pk(conversation), CONV_SK),
                "SET contact_id = :to",
                Some("contact_id = :from"),
                &[],
                vec![(":to", s(contact.as_str())), (":from", s(from.as_str()))],
            )?,
            self.update(
                key(customer_pk(&conv.page_id, &conv.psid), "CUSTOMER"),
                "SET contact_id = :to",
                Some("contact_id = :from"),
                &[],
                vec![(":to", s(contact.as_str())), (":from", s(from.as_str()))],
            )?,
        ];
        // A transaction holds 100 items: the newest history entries move
        // with the link, older ones after it, the marker saying so meanwhile.
        for old in moved.iter().take(FIRST) {
            items.extend(move_entry(self, old, &from, contact)?);
        }
        let rest = moved.len() > FIRST;
        if rest {
            let mut marker = key(customer_pk(&conv.page_id, &conv.psid), &marker_sk(&from));
            marker.insert("from".into(), s(from.as_str()));
            items.push(self.put(marker, None)?);
        }
        if let Some(codes) = self.transact(items).await? {
            if codes.first().map(String::as_str) == Some("ConditionalCheckFailed") {
                return Err(StoreError::NotFound(format!("contact {contact}")));
            }
            return Err(StoreError::Conflict(format!(
                "conversation {conversation} changed while linking; try again"
            )));
        }
        for old in unfinished.iter().chain(rest.then_some(&from)) {
            finish(self, &conv, old, contact).await?;
        }
        Ok(Conversation {
            contact_id: contact.clone(),
            ..conv
        })
    }
}
