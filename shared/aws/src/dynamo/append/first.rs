//! A new customer's first event, as ordered writes rather than one
//! transaction of six items (a transaction bills each item twice): the
//! event's append-once marker, naming the new conversation; one
//! transaction that writes the timeline entry with the customer, the
//! contact and the conversation; then the contact's link to the
//! conversation. 12 write units instead of 14 (`make bench`, store-calls).
//!
//! The words are only ever written with the conversation and the
//! customer, all or nothing, so an erasure always finds them. A run that
//! stops after the marker is finished by the next: the marker names the
//! conversation the stopped run was opening, and the replay opens that one
//! (under the entry key the marker names), so the event lands once and is
//! still routed as a new conversation. One that stops before the link has
//! it written by the replay, which finds the event stored
//! (`appended_before`, with the marker's `opens`), under the customer's
//! contact as it is then. A transaction refused (the customer is there
//! now, which only a run of this event taken out of order, say redriven
//! from the dead-letter queue, can meet; or another transaction on the
//! same items) releases the marker, and the event is planned again.

use super::{Claimed, Existing, MARKER_FREE, marker_item, touch_of};
use crate::dynamo::conv_items::{
    CONV_SK, contact_conv_item, contact_item, conv_pk, conversation_item, customer_pk, event_sk,
};
use crate::dynamo::{DynamoStore, Item, key, s};
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use switchboard_core::Millis;
use switchboard_core::append::{AppendPlan, AppendWrites};
use switchboard_core::event::InboundEvent;
use switchboard_core::ids::{ContactId, ConversationId};
use switchboard_core::ports::{AppendOutcome, Conversation, StoreError, StoreResult};

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
        let mut marker = marker_item(plan, on, now);
        marker.insert("opens".into(), AttributeValue::Bool(true));
        let sk = match self
            .put_item_if(marker, Some((MARKER_FREE, vec![])), "event".into())
            .await
        {
            Ok(()) => event_sk(plan.at, &plan.dedup),
            Err(StoreError::Conflict(_)) => match self.claimed(plan).await? {
                Claimed::Unknown => {
                    return Ok(First::Done(AppendOutcome::Duplicate {
                        conversation_id: None,
                    }));
                }
                // Stored by an earlier run: a redelivery, or a run that
                // stopped before the contact's link (`appended_before`).
                Claimed::Appended(claim) => {
                    let touch = touch_of(event, now);
                    return Ok(self
                        .appended_before(plan, &claim, touch, event, customer_key, now)
                        .await?
                        .into());
                }
                // A run that stopped before its transaction: open the
                // conversation it claimed the event for.
                Claimed::Unfinished(claimed_on, sk) => {
                    if claimed_on != *on {
                        let opened = self
                            .get_item(key(conv_pk(&claimed_on), CONV_SK))
                            .await?
                            .is_some();
                        return Ok(if opened {
                            // Opened since the claim was read (another run
                            // of this event, which FIFO order rules out):
                            // move the claim off it, and plan again.
                            self.misplaced(plan, (&claimed_on, &sk), event, customer_key, now)
                                .await?
                                .into()
                        } else {
                            First::Adopt(claimed_on)
                        });
                    }
                    sk
                }
            },
            Err(e) => return Err(e),
        };
        let mut entry = key(conv_pk(on), &sk);
        entry.insert("doc".into(), event_doc.clone());
        let mut items = vec![self.put(entry, None)?];
        items.extend(self.opening_items(plan)?);
        match self.transact(items).await? {
            None => {
                if let AppendWrites::NewCustomer { conversation, .. } = &plan.writes {
                    self.put_contact_link(&conversation.contact_id, conversation)
                        .await?;
                }
                Ok(First::Done(plan.outcome()))
            }
            // The customer (or one of the new ids) is there now: release
            // the claim and plan again.
            Some(codes) => {
                tracing::debug!(?codes, "a new customer appeared under the append; retrying");
                Ok(self
                    .misplaced(plan, (on, &sk), event, customer_key, now)
                    .await?
                    .into())
            }
        }
    }

    /// `contact`'s link to a conversation (its history entry), written
    /// whether or not it is there (its key is the conversation's).
    pub(super) async fn put_contact_link(
        &self,
        contact: &ContactId,
        conversation: &Conversation,
    ) -> StoreResult<()> {
        self.put_item_if(
            contact_conv_item(contact, conversation),
            None,
            "contact link".into(),
        )
        .await
    }

    /// What opens a new customer's conversation with its first entry, all
    /// or nothing: the customer, the contact (and its search entries), and
    /// the conversation; each on condition it is not there.
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
        items.push(self.put(
            conversation_item(conversation),
            Some("attribute_not_exists(PK)"),
        )?);
        Ok(items)
    }
}
