//! A new customer's first event, as ordered writes rather than one
//! transaction of six items (a transaction bills each item twice): the
//! event's append-once marker, naming the new conversation; its timeline
//! entry; then one transaction that creates the customer, the contact,
//! the contact's link and the conversation together. 12 write units
//! instead of 14 (`make bench`, store-calls).
//!
//! A run that stops between the writes is finished by the next: the
//! marker names the conversation the stopped run was opening, and the
//! replay opens that one (with the entry the marker names), so the event
//! lands once and is still routed as a new conversation. The entry is
//! written before the customer exists, so an erasure, which needs the
//! customer, always finds it. A customer that appeared meanwhile (only a
//! run of this event taken out of order, say redriven from the dead-letter
//! queue, can do that) has the entry taken off and the event planned
//! again, as for a conversation that closed under an append.

use super::{Claimed, Existing, MARKER_FREE, marker_item, touch_of};
use crate::dynamo::conv_items::{
    CONV_SK, contact_conv_item, contact_item, conv_pk, conversation_item, customer_pk, event_sk,
};
use crate::dynamo::{DynamoStore, Item, key, s};
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use switchboard_core::Millis;
use switchboard_core::append::{AppendPlan, AppendWrites};
use switchboard_core::event::InboundEvent;
use switchboard_core::ids::ConversationId;
use switchboard_core::ports::{AppendOutcome, StoreError, StoreResult};

/// How a new customer's first append went.
pub(super) enum First {
    Done(AppendOutcome),
    /// A stopped run claimed the event for conversation `0`, which it was
    /// opening: plan again with that conversation's id.
    Adopt(ConversationId),
    /// Something changed under the append: plan again.
    Again,
}

impl From<Existing> for First {
    fn from(e: Existing) -> Self {
        match e {
            Existing::Done(outcome) => Self::Done(outcome),
            Existing::Closed => Self::Again,
        }
    }
}

impl DynamoStore {
    /// `plan` (a `NewCustomer` plan) as ordered writes: see the module.
    pub(super) async fn append_first(
        &self,
        plan: &AppendPlan,
        (event, event_doc): (&InboundEvent, &AttributeValue),
        customer_key: &Item,
        now: Millis,
    ) -> StoreResult<First> {
        let on = &plan.conversation_id;
        let sk = match self
            .put_item_if(
                marker_item(plan, on, now),
                Some((MARKER_FREE, vec![])),
                "event".into(),
            )
            .await
        {
            Ok(()) => event_sk(plan.at, &plan.dedup),
            Err(StoreError::Conflict(_)) => {
                let (claimed_on, sk, claimed_at, entry_there) = match self.claimed(plan).await? {
                    Claimed::Appended { on, sk, claimed_at } => (on, sk, claimed_at, true),
                    Claimed::Unfinished(on, sk) => (on, sk, None, false),
                    Claimed::Unknown => {
                        return Ok(First::Done(AppendOutcome::Duplicate {
                            conversation_id: None,
                        }));
                    }
                };
                let exists = self
                    .get_item(key(conv_pk(&claimed_on), CONV_SK))
                    .await?
                    .is_some();
                if exists {
                    // Opened by an earlier run: a redelivery of what it stored,
                    // or a claim to move off a conversation that is not ours.
                    let claim = (&claimed_on, sk.as_str());
                    return Ok(if entry_there {
                        let touch = touch_of(event, now);
                        self.appended_before(
                            plan,
                            (&claimed_on, &sk, claimed_at),
                            touch,
                            event,
                            customer_key,
                            now,
                        )
                        .await?
                    } else {
                        self.misplaced(plan, claim, event, customer_key, now)
                            .await?
                    }
                    .into());
                }
                if claimed_on != *on {
                    return Ok(First::Adopt(claimed_on));
                }
                sk
            }
            Err(e) => return Err(e),
        };
        // `false`: a stopped run wrote it already.
        self.put_entry((on, &sk), event_doc.clone(), "attribute_not_exists(PK)")
            .await?;
        match self.transact(self.opening_items(plan)?).await? {
            None => Ok(First::Done(plan.outcome())),
            // The customer (or one of the new ids) is there now: take the
            // entry off the conversation that will not open, and plan again.
            Some(codes) => {
                tracing::debug!(?codes, "a new customer appeared under the append; retrying");
                Ok(self
                    .misplaced(plan, (on, &sk), event, customer_key, now)
                    .await?
                    .into())
            }
        }
    }

    /// What opens a new customer's conversation, all or nothing: the
    /// customer, the contact (and its search entries), the contact's link
    /// to the conversation, and the conversation; each new item on
    /// condition it is not there.
    fn opening_items(&self, plan: &AppendPlan) -> StoreResult<Vec<TransactWriteItem>> {
        let AppendWrites::NewCustomer {
            contact,
            conversation,
            customer,
        } = &plan.writes
        else {
            return Err(StoreError::Unavailable(
                "only a new customer's append opens with these writes".into(),
            ));
        };
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
        let mut items = vec![
            self.put(cust, Some("attribute_not_exists(PK)"))?,
            self.put(contact_item(contact)?, Some("attribute_not_exists(PK)"))?,
        ];
        items.extend(self.contact_index_writes(None, contact)?);
        items.push(self.put(contact_conv_item(&contact.id, conversation), None)?);
        items.push(self.put(
            conversation_item(conversation),
            Some("attribute_not_exists(PK)"),
        )?);
        Ok(items)
    }
}
