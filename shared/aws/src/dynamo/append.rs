//! Appending an event on the table. An event in the customer's open
//! conversation (nearly every event) is one eventually consistent read of
//! the customer (half a read unit; see [`DynamoStore::plan`] for why a
//! lagging read is harmless) and three plain conditional writes of 1
//! write unit each, no transaction, in an
//! order a crash between any two of them cannot spoil (see
//! [`DynamoStore::append_existing`]): the conversation's times move on its
//! small activity item, not on the conversation item and its index copies.
//! Two runs of one event at the same moment cannot happen through the
//! inbound FIFO queue (its group is blocked while a message is in flight,
//! and the router's timeout is shorter than the visibility timeout); if
//! they did, an event half-stored in a conversation that closed meanwhile
//! could land on two timelines. A new customer's first event is ordered
//! writes too, the last of them a transaction (see [`first`]). An event
//! that reopens a conversation, or is attached to the last one, is one
//! transaction per attempt, conditional on what was read.

use super::conv_items::{
    CONV_SK, activity_key, contact_conv_item, conv_pk, conversation_item, customer_from,
    customer_pk, event_sk, marker_pk, with_activity,
};
use super::{DynamoStore, Item, key, n, opt_n, opt_s, s, to_doc, unavailable};
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Delete, Put, TransactWriteItem};
use first::First;
use switchboard_core::Millis;
use switchboard_core::append::{AppendPlan, AppendWrites, Touch, plan_append};
use switchboard_core::event::InboundEvent;
use switchboard_core::ids::ConversationId;
use switchboard_core::ports::{
    AppendOutcome, Conversation, ConversationState, ConversationStore, MARKER_LIFETIME_SECS,
    NewIds, StoreError, StoreResult, appended_customer,
};

mod first;

/// How an append to the open conversation went.
enum Existing {
    Done(AppendOutcome),
    /// It closed before the append touched it: plan again.
    Closed,
}

/// What an event's marker says of the append that wrote it.
enum Claimed {
    /// On the timeline, as the claim says.
    Appended(Claim),
    /// Not on the timeline: the run that claimed it stopped (with the
    /// entry's sort key it was writing).
    Unfinished(ConversationId, String),
    /// The marker names no conversation (it expired meanwhile).
    Unknown,
}

/// An event's claim on the timeline of conversation `on`, under sort key
/// `sk`, made at `claimed_at` (markers written before it was recorded have
/// none), by a run that was opening `on` for a new customer when `opens`.
struct Claim {
    on: ConversationId,
    sk: String,
    claimed_at: Option<Millis>,
    opens: bool,
}

/// What a conversation's touch found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Touched {
    /// Not closed: touched (the customer's message time moved forward, or
    /// the conversation held one as new or newer and `updated_at` alone
    /// moved).
    Open,
    /// Closed: the close's fence refused the touch.
    Closed,
}

/// An event's marker may be written: none yet, or one released by an
/// append whose conversation closed before it was touched.
const MARKER_FREE: &str = "attribute_not_exists(PK) OR attribute_exists(released)";

/// Attempts at an append that races with another writer.
const APPEND_ATTEMPTS: usize = 5;

/// The event's append-once marker, claiming it for `on` at `now`.
fn marker_item(plan: &AppendPlan, on: &ConversationId, now: Millis) -> Item {
    let mut marker = key(marker_pk(&plan.dedup), "EVENT");
    marker.insert("conversation_id".into(), s(on.as_str()));
    marker.insert("expires_at".into(), n(now.0 / 1000 + MARKER_LIFETIME_SECS));
    marker.insert("entry_sk".into(), s(event_sk(plan.at, &plan.dedup)));
    marker.insert("claimed_at".into(), n(now.0));
    marker
}

/// The event's marker, released by an append that will not finish on `on`:
/// the event may be claimed again.
fn released_marker(plan: &AppendPlan, on: &ConversationId, now: Millis) -> Item {
    let mut released = key(marker_pk(&plan.dedup), "EVENT");
    released.insert("conversation_id".into(), s(on.as_str()));
    released.insert("released".into(), AttributeValue::Bool(true));
    released.insert("expires_at".into(), n(now.0 / 1000 + MARKER_LIFETIME_SECS));
    released
}

/// What an event changes on the conversation it lands on.
fn touch_of(event: &InboundEvent, now: Millis) -> Touch {
    Touch {
        updated_at: now,
        customer_message_at: event.kind.is_customer_activity().then_some(event.timestamp),
    }
}

impl DynamoStore {
    /// Where an append that reopens a conversation or attaches to the last
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
        let marker = marker_item(plan, &plan.conversation_id, now);
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
            AppendWrites::Existing { .. } | AppendWrites::NewCustomer { .. } => {
                // Not one transaction: `append_existing`, `append_first`.
                return Err(unavailable(
                    "an append to the open conversation, or a new customer's, is not one transaction",
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
                    key(conv_pk(conversation_id), CONV_SK),
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
    /// twice), 1 write unit each, in this order:
    /// 1. the event's append-once marker, naming the conversation,
    ///    create-if-absent (or over a released one);
    /// 2. the timeline entry, create-if-absent;
    /// 3. the touch of the conversation's activity item, on condition it
    ///    is not closed (`last_customer_message_at` only moves forward).
    ///
    /// A marker already there is an append an earlier run made, whole or
    /// in part: one without its entry is finished now (steps 2 and 3); one
    /// with it is touched again, since that run may have stopped before
    /// its touch ([`Self::appended_before`]). When the conversation closed
    /// before the touch, the entry is misplaced ([`Self::misplaced`]):
    /// erased if the close was the customer's erasure, else taken off and
    /// the event planned again, where a customer's message goes when
    /// nothing is open. Since the touch comes after the entry, an erasure
    /// (which closes, then sweeps) either sweeps the entry or fences the
    /// touch: no read of the customer after the writes is needed.
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
        let (on, sk) = match self
            .put_item_if(
                marker_item(plan, conversation_id, now),
                Some((MARKER_FREE, vec![])),
                "event".into(),
            )
            .await
        {
            Ok(()) => (conversation_id.clone(), event_sk(plan.at, &plan.dedup)),
            Err(StoreError::Conflict(_)) => match self.claimed(plan).await? {
                Claimed::Appended(claim) => {
                    return self
                        .appended_before(plan, &claim, touch, event, customer_key, now)
                        .await;
                }
                Claimed::Unknown => {
                    return Ok(Existing::Done(AppendOutcome::Duplicate {
                        conversation_id: None,
                    }));
                }
                // A run stopped after claiming it for a conversation that
                // is no longer the open one: it has closed since.
                Claimed::Unfinished(on, sk) if on != *conversation_id => {
                    return self
                        .misplaced(plan, (&on, &sk), event, customer_key, now)
                        .await;
                }
                // A run stopped after claiming it: finish that append.
                Claimed::Unfinished(on, sk) => (on, sk),
            },
            Err(e) => return Err(e),
        };
        if !self
            .put_entry((&on, &sk), event_doc.clone(), "attribute_not_exists(PK)")
            .await?
        {
            // Another run of this event wrote it first.
            return Ok(Existing::Done(AppendOutcome::Duplicate {
                conversation_id: Some(on),
            }));
        }
        match self.touch(&on, touch).await? {
            Touched::Open => Ok(Existing::Done(AppendOutcome::Stored {
                conversation_id: on,
                opened: false,
            })),
            Touched::Closed => {
                self.misplaced(plan, (&on, &sk), event, customer_key, now)
                    .await
            }
        }
    }

    /// An event whose marker and entry on `on` (sort key `sk`, claimed at
    /// `claimed_at`) an earlier run wrote: a duplicate, unless that run
    /// stopped before its touch. The conversation is read to tell: a
    /// customer message it does not know yet (any other event: an
    /// `updated_at` older than the claim) was never touched. Then, open,
    /// the touch is made now (`Stored`: the router finishes what it did
    /// not); closed, a customer message is misplaced ([`Self::misplaced`])
    /// and any other event stays where it is. A touched event is a
    /// duplicate, and nothing is written (but for a new customer's first
    /// event, `opens`: the contact's link to the conversation is written
    /// again, in case that run stopped just before it). An entry on a
    /// conversation that does not exist is misplaced (none is written so
    /// now; an entry and its conversation are written together). No time
    /// from another clock is compared with the claim's, except for events
    /// that are not customer messages (receipts, echoes), which move no
    /// window.
    async fn appended_before(
        &self,
        plan: &AppendPlan,
        claim: &Claim,
        touch: Touch,
        event: &InboundEvent,
        customer_key: &Item,
        now: Millis,
    ) -> StoreResult<Existing> {
        let Claim {
            on,
            sk,
            claimed_at,
            opens,
        } = claim;
        let (sk, claimed_at) = (sk.as_str(), *claimed_at);
        let duplicate = Existing::Done(AppendOutcome::Duplicate {
            conversation_id: Some(on.clone()),
        });
        let Some(conv) = self.get_conversation(on).await? else {
            // Never opened (no conversation item is deleted): the entry
            // moves off it.
            return self
                .misplaced(plan, (on, sk), event, customer_key, now)
                .await;
        };
        if *opens {
            // The run that opened it may have stopped before the contact's
            // link to it (the last of a new customer's writes). Under the
            // customer's contact now: a link to another contact moves the
            // history, not every conversation's `contact_id`.
            let contact = self
                .get_decoded(customer_key.clone(), customer_from)
                .await?
                .map_or_else(|| conv.contact_id.clone(), |c| c.contact_id);
            self.put_contact_link(&contact, &conv).await?;
        }
        let touched = match touch.customer_message_at {
            Some(ts) => conv.last_customer_message_at.is_some_and(|t| t >= ts),
            // A marker from before claims were timed: taken as touched.
            None => claimed_at.is_none_or(|claimed| conv.updated_at >= claimed),
        };
        if touched {
            // Nothing (but the link above) is written for a redelivery.
            return Ok(duplicate);
        }
        let message = touch.customer_message_at.is_some();
        let closed = conv.state == ConversationState::Closed
            || self.touch(on, touch).await? == Touched::Closed;
        match (closed, message) {
            (false, _) => Ok(Existing::Done(AppendOutcome::Stored {
                conversation_id: on.clone(),
                opened: false,
            })),
            (true, true) => {
                self.misplaced(plan, (on, sk), event, customer_key, now)
                    .await
            }
            (true, false) => Ok(duplicate),
        }
    }

    /// The event's entry `sk` on `on`, a conversation that closed before
    /// the append touched it, or one that never opened (a new customer's
    /// transaction refused, or a claim no append finished; then there may
    /// be no entry to take off). A customer erased since (the close was the
    /// erasure's, whose sweep may have run before the entry was written)
    /// has the entry erased, and the event is `Erased`. Otherwise the entry
    /// is taken off and the marker released, in one transaction, and the
    /// caller plans the event again.
    async fn misplaced(
        &self,
        plan: &AppendPlan,
        (on, sk): (&ConversationId, &str),
        event: &InboundEvent,
        customer_key: &Item,
        now: Millis,
    ) -> StoreResult<Existing> {
        let erased_at = self
            .get_decoded(customer_key.clone(), customer_from)
            .await?
            .and_then(|c| c.erased_at);
        if erased_at.is_some_and(|at| at >= plan.at) {
            let erased = switchboard_core::privacy::erasure::erased_event(event)
                .map_err(|p| StoreError::Corrupt(p.detail))?;
            // Only over the entry, if a run wrote one.
            self.put_entry((on, sk), to_doc(&erased)?, "attribute_exists(PK)")
                .await?;
            return Ok(Existing::Done(AppendOutcome::Erased));
        }
        // Both at once: an entry left without its marker would be a second
        // copy once the event lands elsewhere. Refused when the marker no
        // longer names `on`: another run has moved it on already.
        let entry = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key(conv_pk(on), sk)))
            .build()
            .map_err(unavailable)?;
        let released = Put::builder()
            .table_name(&self.table)
            .set_item(Some(released_marker(plan, on, now)))
            .condition_expression("conversation_id = :c")
            .expression_attribute_values(":c", s(on.as_str()))
            .build()
            .map_err(unavailable)?;
        if let Some(codes) = self
            .transact(vec![
                TransactWriteItem::builder().delete(entry).build(),
                TransactWriteItem::builder().put(released).build(),
            ])
            .await?
        {
            // Both are as they were: the caller's next attempt finds the
            // marker and its entry again and comes back here.
            tracing::debug!(?codes, "a misplaced entry's move was refused; retrying");
        }
        Ok(Existing::Closed)
    }

    /// What the event's marker, found there, says of an earlier append.
    async fn claimed(&self, plan: &AppendPlan) -> StoreResult<Claimed> {
        let Some(marker) = self.get_item(key(marker_pk(&plan.dedup), "EVENT")).await? else {
            return Ok(Claimed::Unknown);
        };
        let Some(on) =
            opt_s(&marker, "conversation_id").and_then(|c| ConversationId::parse(c).ok())
        else {
            return Ok(Claimed::Unknown);
        };
        // The entry's key as the run that claimed it wrote it (a redelivery
        // may carry another timestamp).
        let sk = opt_s(&marker, "entry_sk")
            .map_or_else(|| event_sk(plan.at, &plan.dedup), str::to_string);
        let claimed_at = opt_n(&marker, "claimed_at").map(Millis);
        Ok(match self.get_item(key(conv_pk(&on), &sk)).await? {
            Some(_) => Claimed::Appended(Claim {
                on,
                sk,
                claimed_at,
                opens: marker.contains_key("opens"),
            }),
            None => Claimed::Unfinished(on, sk),
        })
    }

    /// The touch of the conversation's activity item (created by the
    /// first), on condition no close has fenced it; the customer's message
    /// time only moves forward: when the item holds a newer one, only
    /// `updated_at` is set.
    async fn touch(&self, conversation_id: &ConversationId, touch: Touch) -> StoreResult<Touched> {
        if let Some(ts) = touch.customer_message_at {
            match self
                .update_item_if(
                    activity_key(conversation_id),
                    "SET updated_at = :now, last_customer_message_at = :ts",
                    "attribute_not_exists(closed) AND (attribute_not_exists(last_customer_message_at) OR last_customer_message_at < :ts)",
                    &[],
                    vec![(":now", n(touch.updated_at.0)), (":ts", n(ts.0))],
                    || StoreError::Conflict("conversation".into()),
                )
                .await
            {
                Ok(()) => return Ok(Touched::Open),
                // Closed, or a newer message: the time alone tells which.
                Err(StoreError::Conflict(_)) => {}
                Err(e) => return Err(e),
            }
        }
        match self
            .update_item_if(
                activity_key(conversation_id),
                "SET updated_at = :now",
                "attribute_not_exists(closed)",
                &[],
                vec![(":now", n(touch.updated_at.0))],
                || StoreError::Conflict("conversation".into()),
            )
            .await
        {
            Ok(()) => Ok(Touched::Open),
            Err(StoreError::Conflict(_)) => Ok(Touched::Closed),
            Err(e) => Err(e),
        }
    }

    /// The write that fences a conversation's activity item as it closes
    /// (in the close's transaction): no append's touch lands after it, so
    /// an append that finds it sees the close.
    pub(super) fn activity_closed(&self, id: &ConversationId) -> StoreResult<TransactWriteItem> {
        self.update(
            activity_key(id),
            "SET closed = :t",
            None,
            &[],
            vec![(":t", AttributeValue::Bool(true))],
        )
    }

    /// Conversations read from an index, each with its activity item's
    /// times (eventually consistent reads: a list may lag a moment).
    pub(super) async fn with_activities(
        &self,
        convs: Vec<Conversation>,
    ) -> StoreResult<Vec<Conversation>> {
        if convs.is_empty() {
            return Ok(convs);
        }
        // Each key once: DynamoDB refuses a batch that names one twice.
        let ids: std::collections::BTreeSet<&ConversationId> =
            convs.iter().map(|c| &c.id).collect();
        let keys = ids.into_iter().map(activity_key).collect();
        let activities: std::collections::HashMap<String, Item> = self
            .batch_get(keys, false)
            .await?
            .into_iter()
            .filter_map(|a| opt_s(&a, "PK").map(str::to_string).map(|pk| (pk, a)))
            .collect();
        Ok(convs
            .into_iter()
            .map(|c| {
                let a = activities.get(&conv_pk(&c.id));
                with_activity(c, a)
            })
            .collect())
    }

    /// The event's timeline entry `sk` on `conversation_id`, holding
    /// `event_doc`, written on `condition` (on the entry: whether it is
    /// there); `false` when the condition refused it.
    async fn put_entry(
        &self,
        (conversation_id, sk): (&ConversationId, &str),
        event_doc: AttributeValue,
        condition: &str,
    ) -> StoreResult<bool> {
        let mut entry = key(conv_pk(conversation_id), sk);
        entry.insert("doc".into(), event_doc);
        match self
            .put_item_if(entry, Some((condition, vec![])), "timeline entry".into())
            .await
        {
            Ok(()) => Ok(true),
            Err(StoreError::Conflict(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

impl DynamoStore {
    /// The append's plan from the customer's item. On a first attempt the
    /// item is read eventually consistent (half a read unit), and that
    /// read is trusted only when it names an open conversation: a read
    /// that lagged a close or an erasure then meets the close's fence at
    /// the touch, and the event is planned again, as when the conversation
    /// closes under the append. Any other plan (a new customer, a reopen,
    /// an event attached to the last conversation, an erasure) is made
    /// again from a strongly consistent read, since its writes would be
    /// conditioned on what a lagging read saw. One difference remains: an
    /// event from before an erasure, read against the customer as it was
    /// before the erasure's mark, has its marker and entry written before
    /// the fence refuses the touch; [`Self::misplaced`] then overwrites the
    /// entry with its erased copy (a strongly consistent read would have
    /// written nothing; a crash between the two leaves the words until the
    /// queue delivers the event again).
    async fn plan(
        &self,
        customer_key: &Item,
        event: &InboundEvent,
        ids: &NewIds,
        now: Millis,
        first: bool,
    ) -> StoreResult<Option<AppendPlan>> {
        if first {
            let customer = self.read_item(customer_key.clone(), false).await?;
            let customer = customer.as_ref().map(customer_from).transpose()?;
            let plan = plan_append(customer.as_ref(), event, ids, now)?;
            if let Some(
                plan @ AppendPlan {
                    writes: AppendWrites::Existing { .. },
                    ..
                },
            ) = plan
            {
                return Ok(Some(plan));
            }
        }
        let customer = self
            .get_decoded(customer_key.clone(), customer_from)
            .await?;
        plan_append(customer.as_ref(), event, ids, now)
    }

    /// `ConversationStore::append` on the table (see the module).
    pub(super) async fn append_event(
        &self,
        event: &InboundEvent,
        ids: &NewIds,
        now: Millis,
    ) -> StoreResult<AppendOutcome> {
        let psid = appended_customer(event)?;
        let event_doc = to_doc(event)?;
        let customer_key = key(customer_pk(&event.page_id, &psid), "CUSTOMER");
        // A new customer's conversation id, taken over from a stopped run.
        let mut ids = std::borrow::Cow::Borrowed(ids);
        for attempt in 0..APPEND_ATTEMPTS {
            let Some(plan) = self
                .plan(&customer_key, event, &ids, now, attempt == 0)
                .await?
            else {
                return Ok(AppendOutcome::Erased);
            };
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
                    Existing::Closed => {}
                }
                tracing::debug!("the conversation closed under an append; retrying");
                continue;
            }
            if let AppendWrites::NewCustomer { .. } = &plan.writes {
                match self
                    .append_first(&plan, (event, &event_doc), &customer_key, now)
                    .await?
                {
                    First::Done(outcome) => return Ok(outcome),
                    First::Adopt(on) => ids.to_mut().conversation_id = on,
                    First::Again => {}
                }
                continue;
            }
            let items = self.append_items(&plan, event_doc.clone(), &customer_key, now)?;
            let Some(codes) = self.transact(items).await? else {
                return Ok(plan.outcome());
            };
            if codes.first().map(String::as_str) == Some("ConditionalCheckFailed") {
                let touch = touch_of(event, now);
                match self.claimed(&plan).await? {
                    Claimed::Appended(claim) => match self
                        .appended_before(&plan, &claim, touch, event, &customer_key, now)
                        .await?
                    {
                        Existing::Done(outcome) => return Ok(outcome),
                        Existing::Closed => {}
                    },
                    Claimed::Unknown => {
                        return Ok(AppendOutcome::Duplicate {
                            conversation_id: None,
                        });
                    }
                    // Claimed for a conversation that closed before the run
                    // that claimed it finished: take its entry off if it
                    // wrote one, free the marker, and plan again.
                    Claimed::Unfinished(on, sk) => {
                        if let Existing::Done(outcome) = self
                            .misplaced(&plan, (&on, &sk), event, &customer_key, now)
                            .await?
                        {
                            return Ok(outcome);
                        }
                    }
                }
            }
            tracing::debug!(?codes, "append raced with another writer; retrying");
        }
        Err(StoreError::Unavailable(format!(
            "event {} could not be stored after {APPEND_ATTEMPTS} attempts",
            event.key
        )))
    }
}
