//! The routing tests' rig: the channel and routing services over one store
//! (embedded or DynamoDB on moto) with the seeded account and a manual clock,
//! and customer messages on page 1 as the inbound queue delivers them.

use crate::{ACCOUNT, PAGE_1, channel_deps, seed_account, store_and_secrets};
use std::sync::Arc;
use switchboard_core::channels::ChannelDeps;
use switchboard_core::event::{EventKind, InboundEvent};
use switchboard_core::ids::{AccountId, ConversationId, PageId, Psid};
use switchboard_core::messenger::Channel;
use switchboard_core::routing::engine::RoutingDeps;
use switchboard_core::{Clock, ManualClock, Millis};

pub struct RoutingRig {
    pub deps: RoutingDeps,
    pub ch: ChannelDeps,
    pub clock: Arc<ManualClock>,
    _guard: Box<dyn std::any::Any + Send + Sync>,
}

/// A typed input from its JSON (the shape the admin API takes).
pub fn from_json<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> T {
    serde_json::from_value(v).expect("valid input")
}

impl RoutingRig {
    /// The seeded account on a fresh store, the clock at `t0`.
    pub async fn new(aws: bool, t0: i64) -> Self {
        let (store, secrets, guard) = store_and_secrets(aws).await;
        let clock = Arc::new(ManualClock::new(Millis(t0)));
        seed_account(store.as_ref(), secrets.as_ref(), clock.as_ref()).await;
        let ch = channel_deps(store, secrets, clock.clone());
        RoutingRig {
            deps: ch.routing_deps(),
            ch,
            clock,
            _guard: guard,
        }
    }

    /// A customer's message on page 1, now, with the message id `mid`.
    pub fn customer_message(&self, psid: &str, text: &str, mid: String) -> InboundEvent {
        let now = self.clock.now();
        let raw = serde_json::value::RawValue::from_string("{}".into()).unwrap();
        let mut ev = InboundEvent::bare(
            &AccountId::parse(ACCOUNT).unwrap(),
            &PageId::parse(PAGE_1).unwrap(),
            Some(Psid::parse(psid).unwrap()),
            Channel::Messaging,
            EventKind::Message,
            now,
            now,
            raw,
        );
        ev.key = format!("message:{mid}");
        ev.mid = Some(mid);
        ev.text = Some(text.to_string());
        ev
    }

    /// `body` (an event's JSON) through the router; the customer's
    /// conversation it landed on.
    pub async fn route(&self, ev: &InboundEvent, body: &str) -> ConversationId {
        switchboard_core::router::process_event(&self.deps, body)
            .await
            .expect("processed");
        self.deps
            .conversations
            .get_customer(&ev.page_id, ev.psid.as_ref().unwrap())
            .await
            .unwrap()
            .unwrap()
            .last_conversation_id
    }
}
