//! router: consume the inbound queue, put every event on its
//! conversation's timeline (creating the contact and conversation when the
//! customer is new), and route a conversation the first time it is stored:
//! classify, queue, offer (see `routing`).

use crate::event::InboundEvent;
use crate::ids::{ContactId, ConversationId};
use crate::ports::{AppendOutcome, NewIds, StoreError};
use crate::routing::engine::{self, RoutingDeps, RoutingError};
use std::collections::HashSet;
use tracing::Instrument;

/// What the router needs: the conversation store and the routing ports.
pub type RouterDeps = RoutingDeps;

#[derive(Debug, thiserror::Error)]
pub enum RouterError {
    #[error("the queue message is not an inbound event: {0}")]
    Poison(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Routing(#[from] RoutingError),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Processed {
    Appended(AppendOutcome),
    /// An event naming no customer, kept aside.
    Unattributed,
}

/// One message of a queue batch.
#[derive(Debug, Clone)]
pub struct BatchItem<'a> {
    pub message_id: &'a str,
    pub group: &'a str,
    pub body: &'a str,
}

/// A readable name for a contact Switchboard knows nothing about yet.
pub fn fallback_contact_name(psid: &str) -> String {
    let tail = &psid[psid.len().saturating_sub(4)..];
    format!("Messenger customer …{tail}")
}

/// Store one event. Idempotent: processing the same body twice stores it once.
pub async fn process_event(deps: &RouterDeps, body: &str) -> Result<Processed, RouterError> {
    let event: InboundEvent =
        serde_json::from_str(body).map_err(|e| RouterError::Poison(e.to_string()))?;
    let Some(psid) = &event.psid else {
        deps.conversations.record_unattributed(&event).await?;
        tracing::warn!(page_id = %event.page_id, kind = event.kind.as_str(), "kept an event that names no customer");
        return Ok(Processed::Unattributed);
    };
    let ids = NewIds {
        contact_id: ContactId::generate(),
        contact_name: fallback_contact_name(psid.as_str()),
        conversation_id: ConversationId::generate(),
    };
    let outcome = deps
        .conversations
        .append(&event, &ids, deps.clock.now())
        .await?;
    let route = match &outcome {
        AppendOutcome::Stored {
            conversation_id,
            opened,
        } => {
            tracing::info!(
                conversation_id = %conversation_id,
                opened,
                kind = event.kind.as_str(),
                "event stored"
            );
            opened.then_some(conversation_id)
        }
        AppendOutcome::Duplicate { conversation_id } => {
            tracing::info!(kind = event.kind.as_str(), "duplicate event ignored");
            // Stored before, maybe by a run that stopped before routing it.
            conversation_id.as_ref()
        }
    };
    if let Some(id) = route
        && event.kind.is_customer_activity()
    {
        engine::on_stored(deps, id, &event).await?;
        if matches!(outcome, AppendOutcome::Stored { opened: true, .. }) {
            // Arrival at ingest -> classified, queued (and offered when someone could).
            let ms = (deps.clock.now().0 - event.received_at.0).max(0);
            crate::metrics::millis("RoutingLatency", ms as f64);
        }
    }
    crate::metrics::count("EventsStored", 1);
    Ok(Processed::Appended(outcome))
}

/// Process a batch and return the ids of the messages that failed (for
/// `SqsBatchResponse`). Groups run concurrently, each in order; after the
/// first failure in a group the rest of that group is reported failed too,
/// so FIFO order survives the retry.
pub async fn process_batch(deps: &RouterDeps, items: &[BatchItem<'_>]) -> Vec<String> {
    let mut groups: Vec<(&str, Vec<&BatchItem<'_>>)> = Vec::new();
    for item in items {
        match groups.iter_mut().find(|(g, _)| *g == item.group) {
            Some((_, v)) => v.push(item),
            None => groups.push((item.group, vec![item])),
        }
    }
    let runs = groups.into_iter().map(|(group, members)| async move {
        let mut failed = Vec::new();
        let mut broken = false;
        for item in members {
            if broken {
                failed.push(item.message_id.to_string());
                continue;
            }
            let span = tracing::info_span!("queue_message", message_id = item.message_id, group);
            if let Err(e) = process_event(deps, item.body).instrument(span).await {
                tracing::error!(message_id = item.message_id, group, error = %e, "event failed; it will be retried");
                failed.push(item.message_id.to_string());
                broken = true;
            }
        }
        failed
    });
    let failed: Vec<String> = futures::future::join_all(runs)
        .await
        .into_iter()
        .flatten()
        .collect();
    // Keep the caller's order, without duplicates.
    let set: HashSet<&String> = failed.iter().collect();
    items
        .iter()
        .filter(|i| set.contains(&i.message_id.to_string()))
        .map(|i| i.message_id.to_string())
        .collect()
}
