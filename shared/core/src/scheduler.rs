//! The scheduler's one run (EventBridge every minute in AWS, a timer under
//! `serve`): routing's timed work (offer expiry, wait-time overflow,
//! auto-close, end of wrap-up, affinity) and a sweep of waiting work, then
//! the token-health pass. Safe to run twice at once: every change it makes
//! is a conditional write.

use crate::channels::{ChannelDeps, PageDeps, TokenCheckReport, check_tokens};
use crate::problem::Problem;
use crate::routing::RoutingDeps;
use crate::routing::engine::{TickReport, tick};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct ScheduleReport {
    pub routing: TickReport,
    pub token_health: TokenCheckReport,
    /// Outbound messages stuck in `queued`, queued again or failed.
    pub outbound: crate::outbound_sweep::SweepReport,
}

/// What the scheduler takes: routing's stores and queue (its timers and the
/// outbound sweep) and page health (token checks and alerts).
#[derive(Clone)]
pub struct SchedulerDeps {
    pub routing: RoutingDeps,
    pub pages: PageDeps,
}

impl SchedulerDeps {
    /// The scheduler's part of everything (`serve` builds one of each).
    pub fn of(channels: &ChannelDeps) -> Self {
        Self {
            routing: channels.routing_deps(),
            pages: channels.pages(),
        }
    }
}

/// One scheduler run. Routing goes first (customers are waiting); a
/// failure of one part does not stop the other.
pub async fn run_once(deps: &SchedulerDeps) -> Result<ScheduleReport, Problem> {
    let routing = tick(&deps.routing).await;
    let outbound = crate::outbound_sweep::sweep(&deps.routing)
        .await
        .unwrap_or_else(|e| {
            tracing::warn!(error = %e, "outbound sweep failed; the next run tries again");
            Default::default()
        });
    let token_health = check_tokens(&deps.pages).await;
    if let Err(e) = crate::privacy::deletion::process_pending(&deps.routing, &deps.pages).await {
        tracing::warn!(error = %e.detail, "data-deletion requests not worked; the next run tries again");
    }
    // Token health for the alarm on pages in error.
    if let Ok(alerts) = crate::channels::alerts(&deps.pages).await {
        let in_error = alerts
            .iter()
            .filter(|a| a.kind == crate::channels::AlertKind::PageError)
            .count();
        crate::metrics::gauge("PagesInError", in_error as f64);
        crate::metrics::gauge("PageAlerts", alerts.len() as f64);
    }
    match (routing, token_health) {
        (Ok(routing), Ok(token_health)) => Ok(ScheduleReport {
            routing,
            token_health,
            outbound,
        }),
        (Err(e), _) => Err(e.into()),
        (_, Err(p)) => Err(p),
    }
}
