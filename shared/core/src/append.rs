//! The append rule, once: where an inbound event lands (a new customer, the
//! open conversation, a reopened one, or the last one) and what that writes,
//! as plain data. Pure: the stores read the customer link, call
//! [`plan_append`], and execute the plan (redb: in its one write
//! transaction; DynamoDB: an event in the open conversation as three
//! conditional writes a crash between cannot spoil, any other case as a
//! conditional transaction that fails if what it read changed).
//!
//! Duplicates are not planned: every plan writes the event's append-once
//! marker create-if-absent, and a store that finds the marker there already
//! answers `AppendOutcome::Duplicate` and writes nothing.

use crate::Millis;
use crate::event::InboundEvent;
use crate::ids::ConversationId;
use crate::ports::{
    AppendOutcome, Contact, Conversation, Customer, NewIds, StoreResult, appended_customer,
    opens_conversation,
};

/// What one append writes: the marker and the timeline entry always, and
/// the conversation-side writes of its case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendPlan {
    /// The conversation the event lands on.
    pub conversation_id: ConversationId,
    /// The event's append-once marker key (`InboundEvent::dedup_id`),
    /// written create-if-absent and naming `conversation_id`; also the
    /// timeline entry's tie-break.
    pub dedup: String,
    /// Where the event sorts in the conversation's timeline (its timestamp).
    pub at: Millis,
    pub writes: AppendWrites,
}

/// The conversation-side writes of an append, by case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppendWrites {
    /// A (page, PSID) never seen: the contact, its first conversation (with
    /// its row in the contact's history) and the customer link, all
    /// created (none may exist).
    NewCustomer {
        contact: Contact,
        conversation: Conversation,
        customer: Customer,
    },
    /// No conversation open and the event is customer activity: a new
    /// conversation for the customer's contact (with its history row), and
    /// the customer link, still with none open, now naming it open and last.
    Reopen {
        conversation: Conversation,
        customer: Customer,
    },
    /// The customer's open conversation takes the event (it must still be
    /// open).
    Existing {
        conversation_id: ConversationId,
        touch: Touch,
    },
    /// No conversation open and the event is not customer activity
    /// (receipt, echo...): it is attached to the last conversation, which
    /// stays as it is.
    AttachToLast { conversation_id: ConversationId },
}

/// What an event changes on the open conversation it lands on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Touch {
    pub updated_at: Millis,
    /// Customer activity at this time: `last_customer_message_at` moves
    /// forward to it, never back.
    pub customer_message_at: Option<Millis>,
}

/// The times a conversation's events moved since it opened, kept apart from
/// the conversation's record so an event writes a few bytes and not the
/// whole document (DynamoDB: its activity item; redb: its `activity` row).
/// A read merges it into the conversation with [`Activity::merge_into`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Activity {
    #[serde(rename = "u")]
    pub updated_at: Millis,
    #[serde(rename = "l", default, skip_serializing_if = "Option::is_none")]
    pub last_customer_message_at: Option<Millis>,
}

impl Activity {
    /// The activity after `touch`, from what was kept before (`None`: no
    /// event has touched the conversation yet). `None` orders before any
    /// time, so `max` keeps the later message time, or the one there is.
    pub fn touched(before: Option<Activity>, touch: &Touch) -> Activity {
        let last = before.and_then(|a| a.last_customer_message_at);
        Activity {
            updated_at: touch.updated_at,
            last_customer_message_at: last.max(touch.customer_message_at),
        }
    }

    /// The conversation as its record and its activity tell it together:
    /// each time is the later of the two (the record keeps those of its
    /// creation and of routing writes; the activity those of every event
    /// since).
    pub fn merge_into(&self, conv: &mut Conversation) {
        conv.updated_at = conv.updated_at.max(self.updated_at);
        conv.last_customer_message_at = conv
            .last_customer_message_at
            .max(self.last_customer_message_at);
    }
}

impl AppendPlan {
    /// The conversation this append opens, if it opens one.
    pub fn opened(&self) -> Option<&Conversation> {
        match &self.writes {
            AppendWrites::NewCustomer { conversation, .. }
            | AppendWrites::Reopen { conversation, .. } => Some(conversation),
            AppendWrites::Existing { .. } | AppendWrites::AttachToLast { .. } => None,
        }
    }

    /// The store's answer once the plan is written.
    pub fn outcome(&self) -> AppendOutcome {
        AppendOutcome::Stored {
            conversation_id: self.conversation_id.clone(),
            opened: self.opened().is_some(),
        }
    }
}

/// Decide where `event` lands given the customer link the store read
/// (`None`: the page and PSID were never seen), with `ids` for whatever is
/// new, at `now`. Fails (`Corrupt`) on an event that names no customer;
/// `None` for an event from before the customer's erasure (Meta delivering
/// it late or again), which is not stored: the store answers
/// `AppendOutcome::Erased`.
pub fn plan_append(
    customer: Option<&Customer>,
    event: &InboundEvent,
    ids: &NewIds,
    now: Millis,
) -> StoreResult<Option<AppendPlan>> {
    let psid = appended_customer(event)?;
    if customer
        .and_then(|c| c.erased_at)
        .is_some_and(|erased| event.timestamp <= erased)
    {
        return Ok(None);
    }
    let activity = event.kind.is_customer_activity();
    let opens = opens_conversation(event);
    let open_new = |contact_id| {
        Conversation::opened_by(ids.conversation_id.clone(), event, &psid, contact_id, now)
    };
    let writes = match customer {
        None => {
            let contact = Contact::new(ids.contact_id.clone(), ids.contact_name.clone(), now);
            let conversation = open_new(contact.id.clone());
            let customer = Customer {
                page_id: event.page_id.clone(),
                psid: psid.clone(),
                contact_id: contact.id.clone(),
                open_conversation_id: Some(conversation.id.clone()),
                last_conversation_id: conversation.id.clone(),
                last_agent: None,
                erased_at: None,
            };
            AppendWrites::NewCustomer {
                contact,
                conversation,
                customer,
            }
        }
        Some(c) => match &c.open_conversation_id {
            Some(open) => AppendWrites::Existing {
                conversation_id: open.clone(),
                touch: Touch {
                    updated_at: now,
                    customer_message_at: activity.then_some(event.timestamp),
                },
            },
            None if opens => {
                let conversation = open_new(c.contact_id.clone());
                let customer = Customer {
                    open_conversation_id: Some(conversation.id.clone()),
                    last_conversation_id: conversation.id.clone(),
                    ..c.clone()
                };
                AppendWrites::Reopen {
                    conversation,
                    customer,
                }
            }
            None => AppendWrites::AttachToLast {
                conversation_id: c.last_conversation_id.clone(),
            },
        },
    };
    let conversation_id = match &writes {
        AppendWrites::NewCustomer { conversation, .. }
        | AppendWrites::Reopen { conversation, .. } => conversation.id.clone(),
        AppendWrites::Existing {
            conversation_id, ..
        }
        | AppendWrites::AttachToLast { conversation_id } => conversation_id.clone(),
    };
    Ok(Some(AppendPlan {
        conversation_id,
        dedup: event.dedup_id(),
        at: event.timestamp,
        writes,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventKind;
    use crate::ids::{AccountId, ContactId, PageId, Psid};
    use crate::messenger::Channel;
    use crate::ports::{ConversationState, StoreError};
    use crate::routing::model::AgentId;

    const NOW: Millis = Millis(1_764_000_100_000);
    const TS: Millis = Millis(1_764_000_000_000);

    fn event(kind: EventKind, psid: Option<&str>) -> InboundEvent {
        let raw = serde_json::value::RawValue::from_string("{}".into()).unwrap();
        let mut e = InboundEvent::bare(
            &AccountId::parse("acme").unwrap(),
            &PageId::parse("100000000000001").unwrap(),
            psid.map(|p| Psid::parse(p).unwrap()),
            Channel::Messaging,
            kind,
            TS,
            Millis(TS.0 + 5),
            raw,
        );
        e.key = "m-1".into();
        e
    }

    fn ids() -> NewIds {
        NewIds {
            contact_id: ContactId::parse("contact-new").unwrap(),
            contact_name: "Customer".into(),
            conversation_id: ConversationId::parse("conv-new").unwrap(),
        }
    }

    fn customer(open: Option<&str>) -> Customer {
        Customer {
            page_id: PageId::parse("100000000000001").unwrap(),
            psid: Psid::parse("2000001").unwrap(),
            contact_id: ContactId::parse("contact-old").unwrap(),
            open_conversation_id: open.map(|o| ConversationId::parse(o).unwrap()),
            last_conversation_id: ConversationId::parse("conv-last").unwrap(),
            last_agent: Some(AgentId::parse("ann").unwrap()),
            erased_at: None,
        }
    }

    fn plan(customer: Option<&Customer>, kind: EventKind) -> AppendPlan {
        plan_append(customer, &event(kind, Some("2000001")), &ids(), NOW)
            .unwrap()
            .unwrap()
    }

    #[test]
    fn a_customer_never_seen_gets_a_contact_a_conversation_and_a_link() {
        let p = plan(None, EventKind::Message);
        assert_eq!(p.conversation_id.as_str(), "conv-new");
        assert_eq!(
            p.dedup,
            event(EventKind::Message, Some("2000001")).dedup_id()
        );
        assert_eq!(p.at, TS);
        assert_eq!(
            p.outcome(),
            AppendOutcome::Stored {
                conversation_id: ConversationId::parse("conv-new").unwrap(),
                opened: true,
            }
        );
        let AppendWrites::NewCustomer {
            contact,
            conversation,
            customer,
        } = &p.writes
        else {
            panic!("expected a new customer, got {:?}", p.writes);
        };
        assert_eq!(
            contact,
            &Contact::new(ids().contact_id, "Customer".into(), NOW)
        );
        assert_eq!(conversation.contact_id, contact.id);
        assert_eq!(conversation.state, ConversationState::Waiting);
        assert_eq!(conversation.created_at, NOW);
        assert_eq!(conversation.last_customer_message_at, Some(TS));
        assert_eq!(customer.contact_id, contact.id);
        assert_eq!(
            customer.open_conversation_id.as_ref(),
            Some(&conversation.id)
        );
        assert_eq!(customer.last_conversation_id, conversation.id);
        assert_eq!(customer.last_agent, None);
        assert_eq!(customer.psid.as_str(), "2000001");
    }

    #[test]
    fn a_first_receipt_still_makes_the_customer_but_no_message_time() {
        let p = plan(None, EventKind::Read);
        let Some(conv) = p.opened() else {
            panic!("expected a new conversation");
        };
        assert_eq!(conv.last_customer_message_at, None);
    }

    #[test]
    fn the_open_conversation_takes_the_event() {
        let c = customer(Some("conv-open"));
        let p = plan(Some(&c), EventKind::Message);
        assert_eq!(p.conversation_id.as_str(), "conv-open");
        assert_eq!(
            p.writes,
            AppendWrites::Existing {
                conversation_id: ConversationId::parse("conv-open").unwrap(),
                touch: Touch {
                    updated_at: NOW,
                    customer_message_at: Some(TS),
                },
            }
        );
        assert!(p.opened().is_none());
        // Not activity: the time of the customer's last message stays.
        let p = plan(Some(&c), EventKind::Delivery);
        let AppendWrites::Existing { touch, .. } = p.writes else {
            panic!("expected the open conversation");
        };
        assert_eq!(touch.customer_message_at, None);
    }

    #[test]
    fn activity_with_none_open_opens_one_for_the_same_contact() {
        let c = customer(None);
        let p = plan(Some(&c), EventKind::Postback);
        assert_eq!(p.conversation_id.as_str(), "conv-new");
        let AppendWrites::Reopen {
            conversation,
            customer,
        } = &p.writes
        else {
            panic!("expected a reopen, got {:?}", p.writes);
        };
        assert_eq!(conversation.contact_id.as_str(), "contact-old");
        assert_eq!(conversation.state, ConversationState::Waiting);
        assert_eq!(
            customer,
            &Customer {
                open_conversation_id: Some(conversation.id.clone()),
                last_conversation_id: conversation.id.clone(),
                ..c.clone()
            }
        );
        assert!(matches!(
            p.outcome(),
            AppendOutcome::Stored { opened: true, .. }
        ));
    }

    #[test]
    fn other_events_with_none_open_attach_to_the_last() {
        let c = customer(None);
        for kind in [EventKind::Echo, EventKind::Read, EventKind::Delivery] {
            let p = plan(Some(&c), kind);
            assert_eq!(
                p.writes,
                AppendWrites::AttachToLast {
                    conversation_id: ConversationId::parse("conv-last").unwrap(),
                }
            );
            assert_eq!(
                p.outcome(),
                AppendOutcome::Stored {
                    conversation_id: ConversationId::parse("conv-last").unwrap(),
                    opened: false,
                }
            );
        }
    }

    #[test]
    fn the_same_event_plans_the_same_marker_so_a_retry_is_a_duplicate() {
        let c = customer(Some("conv-open"));
        let a = plan(Some(&c), EventKind::Message);
        let b = plan(Some(&c), EventKind::Message);
        assert_eq!(a.dedup, b.dedup);
        let other = plan_append(
            Some(&c),
            &InboundEvent {
                key: "m-2".into(),
                ..event(EventKind::Message, Some("2000001"))
            },
            &ids(),
            NOW,
        )
        .unwrap()
        .unwrap();
        assert_ne!(a.dedup, other.dedup);
    }

    #[test]
    fn an_event_from_before_the_customers_erasure_is_not_stored_and_a_later_one_is() {
        let erased = Customer {
            erased_at: Some(TS),
            ..customer(None)
        };
        let old = plan_append(
            Some(&erased),
            &event(EventKind::Message, Some("2000001")),
            &ids(),
            NOW,
        );
        assert!(matches!(old, Ok(None)), "{old:?}");
        let new = InboundEvent {
            timestamp: Millis(TS.0 + 1),
            ..event(EventKind::Message, Some("2000001"))
        };
        let plan = plan_append(Some(&erased), &new, &ids(), NOW)
            .unwrap()
            .unwrap();
        assert!(
            matches!(plan.writes, AppendWrites::Reopen { .. }),
            "{plan:?}"
        );
    }

    #[test]
    fn an_event_naming_no_customer_is_not_appended() {
        let r = plan_append(None, &event(EventKind::Message, None), &ids(), NOW);
        assert!(matches!(r, Err(StoreError::Corrupt(_))), "{r:?}");
    }

    #[test]
    fn a_touch_moves_the_message_time_forward_never_back() {
        let first = Activity::touched(
            None,
            &Touch {
                updated_at: NOW,
                customer_message_at: Some(TS),
            },
        );
        let older = Activity::touched(
            Some(first),
            &Touch {
                updated_at: Millis(NOW.0 + 1),
                customer_message_at: Some(Millis(TS.0 - 1)),
            },
        );
        assert_eq!(older.updated_at, Millis(NOW.0 + 1));
        assert_eq!(older.last_customer_message_at, Some(TS), "never back");
        let receipt = Activity::touched(
            Some(older),
            &Touch {
                updated_at: Millis(NOW.0 + 2),
                customer_message_at: None,
            },
        );
        assert_eq!(receipt.last_customer_message_at, Some(TS), "kept");
        let newer = Activity::touched(
            Some(receipt),
            &Touch {
                updated_at: Millis(NOW.0 + 3),
                customer_message_at: Some(Millis(TS.0 + 1)),
            },
        );
        assert_eq!(newer.last_customer_message_at, Some(Millis(TS.0 + 1)));
    }

    #[test]
    fn a_read_shows_the_later_of_the_record_and_its_activity() {
        let mut conv = Conversation::opened_by(
            ConversationId::parse("conv-open").unwrap(),
            &event(EventKind::Message, Some("2000001")),
            &Psid::parse("2000001").unwrap(),
            ContactId::parse("contact-old").unwrap(),
            TS,
        );
        conv.updated_at = Millis(NOW.0 + 10);
        let activity = Activity {
            updated_at: NOW,
            last_customer_message_at: Some(Millis(TS.0 + 5)),
        };
        activity.merge_into(&mut conv);
        assert_eq!(conv.updated_at, Millis(NOW.0 + 10), "a later routing write");
        assert_eq!(conv.last_customer_message_at, Some(Millis(TS.0 + 5)));
        Activity::default().merge_into(&mut conv);
        assert_eq!(
            (conv.updated_at, conv.last_customer_message_at),
            (Millis(NOW.0 + 10), Some(Millis(TS.0 + 5))),
            "an empty activity (a fence alone) moves nothing"
        );
    }
}
