//! The scheduler's sweep of outbound messages stuck in `queued`: one whose
//! queue message was lost (a crash between writing the record and queueing
//! it) or dead-lettered is put on the outbound queue again; one queued for
//! over an hour is failed with a reason. So every outbound message reaches
//! `sent` or `failed` with a reason.

use crate::delivery::OutboxMessage;
use crate::outbound::{GIVE_UP_AFTER_MS, STALE_AFTER_MS, Status};
use crate::ports::{OutgoingMessage, StoreError};
use crate::routing::RoutingDeps;
use serde::Serialize;

/// At most this many messages are looked at in one run.
const BATCH: usize = 200;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    pub requeued: usize,
    pub failed: usize,
}

/// One sweep (safe to run twice at once: the sender ignores a message that
/// is not queued, and failing is a conditional write).
pub async fn sweep(deps: &RoutingDeps) -> Result<SweepReport, StoreError> {
    let now = deps.clock.now();
    let mut report = SweepReport::default();
    let stale = deps
        .outbound
        .queued_outbound(now.plus_millis(-STALE_AFTER_MS), BATCH)
        .await?;
    for m in stale {
        // A send under way (claimed recently) is the sender's to finish.
        if m.claimed_at
            .is_some_and(|c| now.0.saturating_sub(c.0) < STALE_AFTER_MS)
        {
            continue;
        }
        if now.0.saturating_sub(m.created_at.0) >= GIVE_UP_AFTER_MS {
            let failed = Status::Failed {
                code: None,
                subcode: None,
                reason: "Not sent: it could not be delivered to Messenger within an hour; send it again if it still matters.".into(),
                at: now,
            };
            match deps.outbound.finish_outbound(&m.id, &failed).await {
                Ok(()) => report.failed += 1,
                Err(StoreError::Conflict(_)) => {}
                Err(e) => return Err(e),
            }
            tracing::warn!(outbound_id = %m.id, "outbound message queued for an hour; failed");
            continue;
        }
        let Some(outbox) = &deps.outbox else { continue };
        let body = serde_json::to_string(&OutboxMessage {
            outbound_id: m.id.clone(),
        })
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        // A new deduplication id: the first one may still be remembered.
        let msg = OutgoingMessage {
            group: m.conversation_id.to_string(),
            dedup_id: format!("{}:sweep:{}", m.id, now.0 / STALE_AFTER_MS),
            body,
        };
        match outbox.send_batch(std::slice::from_ref(&msg)).await {
            Ok(f) if f.is_empty() => {
                report.requeued += 1;
                tracing::warn!(outbound_id = %m.id, "outbound message stuck in queued; queued again");
            }
            Ok(f) => {
                tracing::error!(outbound_id = %m.id, reason = ?f.first().map(|f| &f.message), "could not queue again")
            }
            Err(e) => tracing::error!(outbound_id = %m.id, error = %e, "could not queue again"),
        }
    }
    if report != SweepReport::default() {
        crate::metrics::count("OutboundRequeued", report.requeued as u64);
        crate::metrics::count("OutboundGivenUp", report.failed as u64);
    }
    Ok(report)
}
