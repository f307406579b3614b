//! The conversation port on the table: conversations, timelines,
//! customers and contacts. Appending an event is in `append`, linking a
//! contact in `link`; a conversation is read with its activity item
//! (`conv_items`).

use super::conv_items::{
    CONV_SK, contact_item, contact_pk, conv_pk, conversation_from, conversation_with_activity,
    customer_from, customer_pk, event_sk, gsi3_clause,
};
use super::{
    DynamoStore, Item, Query, doc, get_s, key, n, opt_s, parse_id, s, to_doc, unavailable,
};
use async_trait::async_trait;
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::AttributeValue;
use switchboard_core::Millis;
use switchboard_core::event::InboundEvent;
use switchboard_core::ids::{ContactId, ConversationId, PageId, Psid};
use switchboard_core::ports::{
    AppendOutcome, Contact, Conversation, ConversationFilter, ConversationState, ConversationStore,
    Customer, NewIds, StoreError, StoreResult, WriteMode, listed,
};

#[async_trait]
impl ConversationStore for DynamoStore {
    async fn append(
        &self,
        event: &InboundEvent,
        ids: &NewIds,
        now: Millis,
    ) -> StoreResult<AppendOutcome> {
        self.append_event(event, ids, now).await
    }

    async fn record_unattributed(&self, event: &InboundEvent) -> StoreResult<()> {
        let mut item = key(
            format!("UNATTRIBUTED#{}", event.page_id),
            &event_sk(event.timestamp, &event.dedup_id()),
        );
        item.insert("doc".into(), to_doc(event)?);
        self.put_item(item, WriteMode::Upsert, "unattributed event".into())
            .await
    }

    async fn get_conversation(&self, id: &ConversationId) -> StoreResult<Option<Conversation>> {
        // The conversation and its activity item, in one strongly
        // consistent query (billed as one read of their summed size).
        self.calls.record("dynamodb:Query");
        let page = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk AND begins_with(SK, :conv)")
            .expression_attribute_values(":pk", s(conv_pk(id)))
            .expression_attribute_values(":conv", s(CONV_SK))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| unavailable(DisplayErrorContext(e)))?;
        conversation_with_activity(page.items())
    }

    async fn list_conversations(
        &self,
        filter: &ConversationFilter,
    ) -> StoreResult<Vec<Conversation>> {
        let limit = filter.limit.unwrap_or(100);
        if limit == 0 {
            return Ok(Vec::new());
        }
        let mut conds = Vec::new();
        let mut values: Vec<(&str, AttributeValue)> = Vec::new();
        if let Some(p) = &filter.psid {
            conds.push("psid = :psid");
            values.push((":psid", s(p.as_str())));
        }
        let mut out = Vec::new();
        if let Some(page) = &filter.page_id {
            // One Query on the page's partition of GSI1, newest first, from
            // the cursor; the state (GSI2PK, not a reserved word) filters.
            if let Some(st) = filter.state {
                conds.push("GSI2PK = :gsi2");
                values.push((":gsi2", s(format!("STATE#{}", st.as_str()))));
            }
            let f = (!conds.is_empty()).then(|| (conds.join(" AND "), values));
            let items = self
                .query_pages(Query {
                    index: Some("GSI1"),
                    pk: ("GSI1PK", format!("PAGECONV#{page}")),
                    sk: filter
                        .after
                        .as_ref()
                        .map(|a| ("GSI1SK", "#sk < :sk", a.clone())),
                    filter: f,
                    forward: false,
                    limit,
                })
                .await?;
            for i in &items {
                out.extend(listed("conversation", conversation_from(i)));
            }
        } else {
            // Each state's partition of GSI2 gives its newest `limit` before
            // the cursor; together they hold the newest `limit` overall.
            let states: Vec<ConversationState> = match filter.state {
                Some(st) => vec![st],
                None => ConversationState::ALL.to_vec(),
            };
            let f = (!conds.is_empty()).then(|| (conds.join(" AND "), values.clone()));
            for st in states {
                for i in self
                    .query_pages(Query {
                        index: Some("GSI2"),
                        pk: ("GSI2PK", format!("STATE#{}", st.as_str())),
                        sk: filter
                            .after
                            .as_ref()
                            .map(|a| ("GSI2SK", "#sk < :sk", a.clone())),
                        filter: f.clone(),
                        forward: false,
                        limit,
                    })
                    .await?
                {
                    out.extend(listed("conversation", conversation_from(&i)));
                }
            }
        }
        out.sort_by(|a, b| {
            b.created_at
                .cmp(&a.created_at)
                .then_with(|| b.id.cmp(&a.id))
        });
        // One that moved on between two states' queries is listed once.
        out.dedup_by(|a, b| a.id == b.id);
        out.truncate(limit);
        self.with_activities(out).await
    }

    async fn timeline(&self, id: &ConversationId) -> StoreResult<Vec<InboundEvent>> {
        let mut out = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            self.calls.record("dynamodb:Query");
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("PK = :pk AND begins_with(SK, :ev)")
                .expression_attribute_values(":pk", s(conv_pk(id)))
                .expression_attribute_values(":ev", s("EV#"))
                // An entry written a moment ago is read (erasure sweeps
                // right after closing the conversation).
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| unavailable(DisplayErrorContext(e)))?;
            for item in page.items() {
                out.extend(listed("timeline event", doc(item)));
            }
            match page.last_evaluated_key() {
                Some(k) => start = Some(k.clone()),
                None => break,
            }
        }
        Ok(out)
    }

    async fn get_customer(&self, page: &PageId, psid: &Psid) -> StoreResult<Option<Customer>> {
        self.get_decoded(key(customer_pk(page, psid), "CUSTOMER"), customer_from)
            .await
    }

    async fn get_contact(&self, id: &ContactId) -> StoreResult<Option<Contact>> {
        self.get_decoded(key(contact_pk(id), "CONTACT"), doc).await
    }

    async fn close_conversation(
        &self,
        id: &ConversationId,
        at: Millis,
    ) -> StoreResult<Conversation> {
        // The close conditions on the routing version it read, since it
        // files the conversation on GSI3 by the holder that version names;
        // a routing write in between is read again.
        for _ in 0..3 {
            let conv = self
                .get_conversation(id)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("conversation {id}")))?;
            if conv.state == ConversationState::Closed {
                return Err(StoreError::Conflict(format!(
                    "conversation {id} is already closed"
                )));
            }
            let (gsi3, gsi3_values) = gsi3_clause(ConversationState::Closed, conv.routing.as_ref());
            let mut values = vec![
                (":closed", s("closed")),
                (":at", n(at.0)),
                (":gsi", s("STATE#closed")),
                (":rv", n(conv.rv as i64)),
            ];
            values.extend(gsi3_values);
            let rv_cond = if conv.rv == 0 {
                "attribute_not_exists(rv)"
            } else {
                "rv = :rv"
            };
            if conv.rv == 0 {
                values.retain(|(k, _)| *k != ":rv");
            }
            let mut items = vec![self.update(
                key(conv_pk(id), CONV_SK),
                &format!(
                    "SET #state = :closed, closed_at = :at, updated_at = :at, GSI2PK = :gsi{gsi3}"
                ),
                Some(&format!(
                    "attribute_exists(PK) AND #state <> :closed AND {rv_cond}"
                )),
                &[("#state", "state")],
                values,
            )?];
            items.push(self.activity_closed(id)?);
            let customer = self.get_customer(&conv.page_id, &conv.psid).await?;
            if customer
                .as_ref()
                .and_then(|c| c.open_conversation_id.as_ref())
                == Some(id)
            {
                items.push(self.update(
                    key(customer_pk(&conv.page_id, &conv.psid), "CUSTOMER"),
                    "REMOVE open_conversation_id",
                    Some("open_conversation_id = :id"),
                    &[],
                    vec![(":id", s(id.as_str()))],
                )?);
            }
            if self.transact(items).await?.is_none() {
                return Ok(Conversation {
                    state: ConversationState::Closed,
                    closed_at: Some(at),
                    updated_at: at,
                    ..conv
                });
            }
        }
        Err(StoreError::Conflict(format!(
            "conversation {id} changed while closing; it may be closed already"
        )))
    }

    async fn create_contact(&self, contact: &Contact) -> StoreResult<()> {
        // The contact with its search index, or nothing.
        let mut items = vec![self.put(contact_item(contact)?, Some("attribute_not_exists(PK)"))?];
        items.extend(self.contact_index_writes(None, contact)?);
        match self.transact(items).await? {
            None => Ok(()),
            Some(_) => Err(StoreError::Conflict(format!("contact {}", contact.id))),
        }
    }

    async fn update_contact(&self, contact: &Contact, expect: u64) -> StoreResult<()> {
        // The index keys to change are those of the version read; the
        // update's condition on that version makes them the stored ones.
        let current = match self.get_contact(&contact.id).await? {
            None => return Err(StoreError::NotFound(format!("contact {}", contact.id))),
            Some(c) if c.version != expect => {
                return Err(StoreError::Conflict(format!(
                    "contact {} is at version {}, not {expect}",
                    contact.id, c.version
                )));
            }
            Some(c) => c,
        };
        // Contacts written before versions existed have no `version`: 0.
        let cond = if expect == 0 {
            "attribute_exists(PK) AND (attribute_not_exists(version) OR version = :v)"
        } else {
            "version = :v"
        };
        let item = self.update(
            key(contact_pk(&contact.id), "CONTACT"),
            "SET doc = :doc, version = :new",
            Some(cond),
            &[],
            vec![
                (":v", n(expect as i64)),
                (":doc", to_doc(contact)?),
                (":new", n(contact.version as i64)),
            ],
        )?;
        let mut items = vec![item];
        items.extend(self.contact_index_writes(Some(&current), contact)?);
        if self.transact(items).await?.is_none() {
            return Ok(());
        }
        match self.get_contact(&contact.id).await? {
            None => Err(StoreError::NotFound(format!("contact {}", contact.id))),
            Some(c) => Err(StoreError::Conflict(format!(
                "contact {} is at version {}, not {expect}",
                contact.id, c.version
            ))),
        }
    }

    async fn find_contacts(&self, prefix: &str, limit: usize) -> StoreResult<Vec<Contact>> {
        self.find_indexed_contacts(prefix, limit).await
    }

    /// Link the conversation's customer to `contact`. The conversation,
    /// the customer and the 40 newest history entries move in one
    /// transaction; older entries in further ones. When there are older
    /// ones, that transaction also writes a marker (`CUSTOMER#page#psid` /
    /// `LINK#{old contact}`), deleted once every entry has moved: a link that
    /// stopped half way is finished by the next link of the customer, to the
    /// same contact or another.
    async fn link_contact(
        &self,
        conversation: &ConversationId,
        contact: &ContactId,
    ) -> StoreResult<Conversation> {
        self.link(conversation, contact).await
    }

    async fn contact_conversations(
        &self,
        contact: &ContactId,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<Conversation>> {
        // After a cursor: `SK < CONV#{after}`, which also reaches the
        // contact item (`CONTACT` sorts below `CONV#`); it comes last,
        // newest first, and is dropped.
        let sk = match after {
            Some(a) => ("SK", "#sk < :sk", format!("CONV#{a}")),
            None => ("SK", "begins_with(#sk, :sk)", "CONV#".to_string()),
        };
        let links = self
            .query_pages(Query {
                index: None,
                pk: ("PK", contact_pk(contact)),
                sk: Some(sk),
                filter: None,
                forward: false,
                limit,
            })
            .await?;
        let mut out = Vec::new();
        for l in links
            .iter()
            .filter(|l| opt_s(l, "SK").is_some_and(|k| k.starts_with("CONV#")))
        {
            let id = parse_id(ConversationId::parse(get_s(l, "conversation_id")?))?;
            if let Some(c) = self.get_conversation(&id).await? {
                out.push(c);
            }
        }
        Ok(out)
    }

    async fn replace_event(&self, id: &ConversationId, event: &InboundEvent) -> StoreResult<bool> {
        let mut item = key(conv_pk(id), &event_sk(event.timestamp, &event.dedup_id()));
        item.insert("doc".into(), to_doc(event)?);
        match self
            .put_item_if(
                item,
                Some(("attribute_exists(PK)", vec![])),
                format!("event {} of conversation {id}", event.key),
            )
            .await
        {
            Ok(()) => Ok(true),
            Err(StoreError::Conflict(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn mark_erased(&self, page: &PageId, psid: &Psid, at: Millis) -> StoreResult<()> {
        // Forward only: a re-run never moves it back.
        let r = self
            .update_item_if(
                key(customer_pk(page, psid), "CUSTOMER"),
                "SET erased_at = :at",
                "attribute_exists(PK) AND (attribute_not_exists(erased_at) OR erased_at < :at)",
                &[],
                vec![(":at", n(at.0))],
                || StoreError::Conflict(String::new()),
            )
            .await;
        match r {
            Ok(()) => Ok(()),
            // Absent, or already erased at or after `at`.
            Err(StoreError::Conflict(_)) => match self.get_customer(page, psid).await? {
                Some(_) => Ok(()),
                None => Err(StoreError::NotFound(format!(
                    "customer {psid} of page {page}"
                ))),
            },
            Err(e) => Err(e),
        }
    }
}
