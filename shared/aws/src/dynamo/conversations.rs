//! The conversation port on the table: appending events, conversations,
//! timelines, customers and contacts. Linking a contact is in `link`.
//!
//! An event in the customer's open conversation (nearly every event) is
//! three plain conditional writes, no transaction, in an order a crash
//! between any two of them cannot spoil (see [`DynamoStore::append_existing`]),
//! then a read of the customer: an erasure that ran between the writes is
//! applied to the entry. Two runs of one event at the same moment cannot
//! happen through the inbound FIFO queue (its group is blocked while a
//! message is in flight, and the router's timeout is shorter than the
//! visibility timeout); if they did, an event half-stored in a
//! conversation that closed meanwhile could land on two timelines. An
//! event that opens a conversation, or is attached to the last one, is one
//! transaction per attempt, conditional on what was read.

use super::conv_items::{
    contact_conv_item, contact_item, contact_pk, conv_pk, conversation_from, conversation_item,
    customer_from, customer_pk, event_sk, gsi3_clause, marker_pk,
};
use super::{
    DynamoStore, Item, Query, doc, get_s, key, n, opt_s, parse_id, s, to_doc, unavailable,
};
use async_trait::async_trait;
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, TransactWriteItem};
use switchboard_core::Millis;
use switchboard_core::append::{AppendPlan, AppendWrites, Touch, plan_append};
use switchboard_core::event::InboundEvent;
use switchboard_core::ids::{ContactId, ConversationId, PageId, Psid};
use switchboard_core::ports::{
    AppendOutcome, Contact, Conversation, ConversationFilter, ConversationState, ConversationStore,
    Customer, NewIds, StoreError, StoreResult, WriteMode, appended_customer, listed,
};

/// How an append to the open conversation went.
enum Existing {
    Done(AppendOutcome),
    /// The conversation holds a newer customer message: touch only its
    /// `updated_at` (try again without `customer_message_at`).
    OlderMessage,
    /// It closed since the customer was read: plan again.
    Closed,
}

/// What an event's marker says of the append that wrote it.
enum Claimed {
    /// On the timeline of the conversation it names.
    Appended(Option<ConversationId>),
    /// Not on the timeline: the run that claimed it stopped.
    /// Not on the timeline: the run that claimed it stopped (with the
    /// entry's sort key it was writing).
    Unfinished(ConversationId, String),
}

/// What a conversation's touch found.
enum Touched {
    Yes,
    OlderMessage,
    Closed,
}

/// An event's marker may be written: none yet, or one released by an
/// append whose conversation closed before it was touched.
const MARKER_FREE: &str = "attribute_not_exists(PK) OR attribute_exists(released)";

/// How long an event's append-once marker is kept (Meta retries for an hour).
const MARKER_TTL_SECS: i64 = 14 * 24 * 3600;
/// Attempts at an append that races with another writer.
const APPEND_ATTEMPTS: usize = 5;

impl DynamoStore {
    /// Where an append that opens a conversation or attaches to the last
    /// one writes, as one transaction with the conditions that make it fail
    /// if what `plan_append` read has changed.
    fn append_items(
        &self,
        plan: &AppendPlan,
        event_doc: AttributeValue,
        customer_key: &Item,
        now: Millis,
    ) -> StoreResult<Vec<TransactWriteItem>> {
        // The marker first: a failed condition on item 0 is a duplicate.
        let mut marker = key(marker_pk(&plan.dedup), "EVENT");
        marker.insert("conversation_id".into(), s(plan.conversation_id.as_str()));
        marker.insert("expires_at".into(), n(now.0 / 1000 + MARKER_TTL_SECS));
        marker.insert("entry_sk".into(), s(event_sk(plan.at, &plan.dedup)));
        let mut timeline = key(
            conv_pk(&plan.conversation_id),
            &event_sk(plan.at, &plan.dedup),
        );
        timeline.insert("doc".into(), event_doc);
        let mut items = vec![
            self.put(marker, Some(MARKER_FREE))?,
            self.put(timeline, None)?,
        ];
        match &plan.writes {
            AppendWrites::NewCustomer {
                contact,
                conversation,
                customer,
            } => {
                let mut cust = key(customer_pk(&customer.page_id, &customer.psid), "CUSTOMER");
                cust.insert("page_id".into(), s(customer.page_id.as_str()));
                cust.insert("psid".into(), s(customer.psid.as_str()));
                cust.insert("contact_id".into(), s(customer.contact_id.as_str()));
                if let Some(open) = &customer.open_conversation_id {
                    cust.insert("open_conversation_id".into(), s(open.as_str()));
                }
                cust.insert(
                    "last_conversation_id".into(),
                    s(customer.last_conversation_id.as_str()),
                );
                items.push(self.put(cust, Some("attribute_not_exists(PK)"))?);
                items.push(self.put(contact_item(contact)?, Some("attribute_not_exists(PK)"))?);
                items.extend(self.contact_index_writes(None, contact)?);
                items.push(self.put(contact_conv_item(&contact.id, conversation), None)?);
                items.push(self.put(
                    conversation_item(conversation),
                    Some("attribute_not_exists(PK)"),
                )?);
            }
            AppendWrites::Existing { .. } => {
                // Not a transaction: `append_existing`.
                return Err(unavailable(
                    "an append to the open conversation is not written as a transaction",
                ));
            }
            AppendWrites::Reopen {
                conversation,
                customer,
            } => {
                // Not erased since it was read (an erasure marks first).
                items.push(self.update(
                    key(customer_pk(&customer.page_id, &customer.psid), "CUSTOMER"),
                    "SET open_conversation_id = :c, last_conversation_id = :c",
                    Some(
                        "attribute_exists(PK) AND attribute_not_exists(open_conversation_id) AND (attribute_not_exists(erased_at) OR erased_at < :ts)",
                    ),
                    &[],
                    vec![
                        (":c", s(conversation.id.as_str())),
                        (":ts", n(plan.at.0)),
                    ],
                )?);
                items.push(self.put(contact_conv_item(&customer.contact_id, conversation), None)?);
                items.push(self.put(
                    conversation_item(conversation),
                    Some("attribute_not_exists(PK)"),
                )?);
            }
            AppendWrites::AttachToLast { conversation_id } => {
                // The condition checks the conversation is there; the update
                // also sets its `updated_at`, as it always has here.
                items.push(self.update(
                    key(conv_pk(conversation_id), "CONV"),
                    "SET updated_at = :now",
                    Some("attribute_exists(PK)"),
                    &[],
                    vec![(":now", n(now.0))],
                )?);
                // And the customer was not erased since it was read (with no
                // conversation open, an erasure's close cannot stop it).
                let check = ConditionCheck::builder()
                    .table_name(&self.table)
                    .set_key(Some(customer_key.clone()))
                    .condition_expression("attribute_not_exists(erased_at) OR erased_at < :ts")
                    .expression_attribute_values(":ts", n(plan.at.0))
                    .build()
                    .map_err(unavailable)?;
                items.push(TransactWriteItem::builder().condition_check(check).build());
            }
        }
        Ok(items)
    }

    /// An event in the customer's open conversation, as three conditional
    /// writes instead of a transaction (a transaction bills every item
    /// twice), in this order:
    /// 1. the event's append-once marker, naming the conversation,
    ///    create-if-absent (or over a released one);
    /// 2. the conversation's touch, on condition it is still open
    ///    (`last_customer_message_at` only moves forward);
    /// 3. the timeline entry, create-if-absent (an entry erased since is
    ///    never written back).
    ///
    /// A marker already there whose conversation has the entry is a
    /// duplicate: nothing is written. One without the entry is an append a
    /// run left after step 1 or 2: steps 2 and 3 are done now. When the
    /// conversation closed before its touch, the marker is released (so
    /// the event is not a duplicate) and the caller plans again: the event
    /// goes where a customer's message goes when nothing is open.
    async fn append_existing(
        &self,
        plan: &AppendPlan,
        conversation_id: &ConversationId,
        touch: Touch,
        event: (&InboundEvent, &AttributeValue),
        customer_key: &Item,
        now: Millis,
    ) -> StoreResult<Existing> {
        let (event, event_doc) = event;
        let marker_key = key(marker_pk(&plan.dedup), "EVENT");
        let mut marker = marker_key.clone();
        marker.insert("conversation_id".into(), s(conversation_id.as_str()));
        marker.insert("expires_at".into(), n(now.0 / 1000 + MARKER_TTL_SECS));
        marker.insert("entry_sk".into(), s(event_sk(plan.at, &plan.dedup)));
        let (on, sk) = match self
            .put_item_if(marker, Some((MARKER_FREE, vec![])), "event".into())
            .await
        {
            Ok(()) => (conversation_id.clone(), event_sk(plan.at, &plan.dedup)),
            Err(StoreError::Conflict(_)) => match self.claimed(plan).await? {
                Claimed::Appended(conversation_id) => {
                    return Ok(Existing::Done(AppendOutcome::Duplicate { conversation_id }));
                }
                // A run stopped after claiming it: finish that append.
                Claimed::Unfinished(on, sk) => (on, sk),
            },
            Err(e) => return Err(e),
        };
        match self.touch(&on, touch).await? {
            Touched::Yes => {}
            Touched::OlderMessage => return Ok(Existing::OlderMessage),
            Touched::Closed => {
                self.release(plan, &on, now).await?;
                return Ok(Existing::Closed);
            }
        }
        if !self.put_timeline_once(&on, &sk, event_doc).await? {
            // Another run of this event wrote it first.
            return Ok(Existing::Done(AppendOutcome::Duplicate {
                conversation_id: Some(on),
            }));
        }
        // An erasure that closed the conversation between the touch and
        // this write swept the timeline before the entry was there: erase
        // it now, as the erasure would have.
        let erased_at = self
            .get_item(customer_key.clone())
            .await?
            .as_ref()
            .map(customer_from)
            .transpose()?
            .and_then(|c| c.erased_at);
        if erased_at.is_some_and(|at| at >= plan.at) {
            let erased = switchboard_core::privacy::erasure::erased_event(event)
                .map_err(|p| StoreError::Corrupt(p.detail))?;
            let mut item = key(conv_pk(&on), &sk);
            item.insert("doc".into(), to_doc(&erased)?);
            self.put_item_if(item, None, "timeline entry".into())
                .await?;
            return Ok(Existing::Done(AppendOutcome::Erased));
        }
        Ok(Existing::Done(AppendOutcome::Stored {
            conversation_id: on,
            opened: false,
        }))
    }

    /// What the event's marker, found there, says of an earlier append.
    async fn claimed(&self, plan: &AppendPlan) -> StoreResult<Claimed> {
        let marker = self.get_item(key(marker_pk(&plan.dedup), "EVENT")).await?;
        let Some(on) = marker
            .as_ref()
            .and_then(|m| opt_s(m, "conversation_id"))
            .and_then(|c| ConversationId::parse(c).ok())
        else {
            return Ok(Claimed::Appended(None));
        };
        // The entry's key as the run that claimed it wrote it (a redelivery
        // may carry another timestamp).
        let sk = marker
            .as_ref()
            .and_then(|m| opt_s(m, "entry_sk"))
            .map_or_else(|| event_sk(plan.at, &plan.dedup), str::to_string);
        let entry = key(conv_pk(&on), &sk);
        Ok(match self.get_item(entry).await? {
            Some(_) => Claimed::Appended(Some(on)),
            None => Claimed::Unfinished(on, sk),
        })
    }

    /// Release the event's marker (if it still names `on`): the append it
    /// claimed for `on` will not be finished there.
    async fn release(
        &self,
        plan: &AppendPlan,
        on: &ConversationId,
        now: Millis,
    ) -> StoreResult<()> {
        let mut released = key(marker_pk(&plan.dedup), "EVENT");
        released.insert("conversation_id".into(), s(on.as_str()));
        released.insert("released".into(), AttributeValue::Bool(true));
        released.insert("expires_at".into(), n(now.0 / 1000 + MARKER_TTL_SECS));
        match self
            .put_item_if(
                released,
                Some(("conversation_id = :c", vec![(":c", s(on.as_str()))])),
                "event".into(),
            )
            .await
        {
            Ok(()) | Err(StoreError::Conflict(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The conversation's touch, on condition it is open and (for customer
    /// activity) its `last_customer_message_at` is older.
    async fn touch(&self, conversation_id: &ConversationId, touch: Touch) -> StoreResult<Touched> {
        let (expr, cond) = if touch.customer_message_at.is_some() {
            (
                "SET updated_at = :now, last_customer_message_at = :ts",
                "attribute_exists(PK) AND #state <> :closed AND (attribute_not_exists(last_customer_message_at) OR last_customer_message_at < :ts)",
            )
        } else {
            (
                "SET updated_at = :now",
                "attribute_exists(PK) AND #state <> :closed",
            )
        };
        let mut values = vec![(":now", n(touch.updated_at.0)), (":closed", s("closed"))];
        if let Some(ts) = touch.customer_message_at {
            values.push((":ts", n(ts.0)));
        }
        let conv_key = key(conv_pk(conversation_id), "CONV");
        match self
            .update_item_if(
                conv_key.clone(),
                expr,
                cond,
                &[("#state", "state")],
                values,
                || StoreError::Conflict("conversation".into()),
            )
            .await
        {
            Ok(()) => Ok(Touched::Yes),
            Err(StoreError::Conflict(_)) => {
                // An older event (the newer time stays), or closed meanwhile.
                let Some(item) = self.get_item(conv_key).await? else {
                    return Ok(Touched::Closed);
                };
                let conv = conversation_from(&item)?;
                Ok(match touch.customer_message_at {
                    Some(ts)
                        if conv.state.is_open()
                            && conv.last_customer_message_at.is_some_and(|t| t >= ts) =>
                    {
                        Touched::OlderMessage
                    }
                    _ => Touched::Closed,
                })
            }
            Err(e) => Err(e),
        }
    }

    /// The event's timeline entry on `conversation_id`, unless it is there
    /// (`false`).
    async fn put_timeline_once(
        &self,
        conversation_id: &ConversationId,
        sk: &str,
        event_doc: &AttributeValue,
    ) -> StoreResult<bool> {
        let mut timeline = key(conv_pk(conversation_id), sk);
        timeline.insert("doc".into(), event_doc.clone());
        match self
            .put_item_if(
                timeline,
                Some(("attribute_not_exists(PK)", vec![])),
                "timeline entry".into(),
            )
            .await
        {
            Ok(()) => Ok(true),
            Err(StoreError::Conflict(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

#[async_trait]
impl ConversationStore for DynamoStore {
    async fn append(
        &self,
        event: &InboundEvent,
        ids: &NewIds,
        now: Millis,
    ) -> StoreResult<AppendOutcome> {
        let psid = appended_customer(event)?;
        let event_doc = to_doc(event)?;
        // Off once the open conversation holds a newer customer message: then
        // the event only touches `updated_at` (the time moves forward only).
        let mut lcm_allowed = true;
        let customer_key = key(customer_pk(&event.page_id, &psid), "CUSTOMER");
        for _ in 0..APPEND_ATTEMPTS {
            let customer = self.get_item(customer_key.clone()).await?;
            let customer = customer.as_ref().map(customer_from).transpose()?;
            let Some(mut plan) = plan_append(customer.as_ref(), event, ids, now)? else {
                return Ok(AppendOutcome::Erased);
            };
            if let AppendWrites::Existing { touch, .. } = &mut plan.writes
                && !lcm_allowed
            {
                touch.customer_message_at = None;
            }
            if let AppendWrites::Existing {
                conversation_id,
                touch,
            } = &plan.writes
            {
                match self
                    .append_existing(
                        &plan,
                        conversation_id,
                        *touch,
                        (event, &event_doc),
                        &customer_key,
                        now,
                    )
                    .await?
                {
                    Existing::Done(outcome) => return Ok(outcome),
                    Existing::OlderMessage => lcm_allowed = false,
                    Existing::Closed => {}
                }
                tracing::debug!("the conversation changed under an append; retrying");
                continue;
            }
            let items = self.append_items(&plan, event_doc.clone(), &customer_key, now)?;
            let Some(codes) = self.transact(items).await? else {
                return Ok(plan.outcome());
            };
            if codes.first().map(String::as_str) == Some("ConditionalCheckFailed") {
                match self.claimed(&plan).await? {
                    Claimed::Appended(conversation_id) => {
                        return Ok(AppendOutcome::Duplicate { conversation_id });
                    }
                    // Claimed for a conversation that closed before the run
                    // that claimed it finished: free it, and plan again.
                    Claimed::Unfinished(on, _) => self.release(&plan, &on, now).await?,
                }
            }
            tracing::debug!(?codes, "append raced with another writer; retrying");
        }
        Err(StoreError::Unavailable(format!(
            "event {} could not be stored after {APPEND_ATTEMPTS} attempts",
            event.key
        )))
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
        self.get_decoded(key(conv_pk(id), "CONV"), conversation_from)
            .await
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
        out.truncate(limit);
        Ok(out)
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
                key(conv_pk(id), "CONV"),
                &format!(
                    "SET #state = :closed, closed_at = :at, updated_at = :at, GSI2PK = :gsi{gsi3}"
                ),
                Some(&format!(
                    "attribute_exists(PK) AND #state <> :closed AND {rv_cond}"
                )),
                &[("#state", "state")],
                values,
            )?];
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
