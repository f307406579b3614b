//! Conversation Routing in the engine: a thread another app passes to
//! Switchboard goes to humans (never to the bot), with the passing app and
//! its `metadata` kept as attributes the rules may test; a thread another
//! app takes ends the conversation here, saying so; another app's request
//! for the thread waits for a supervisor ([`crate::thread_control::supervise`]).

use super::answers::close_with;
use super::arrival::route_new;
use super::{Result, RoutingDeps, RoutingError, decision, load, set_conv, try_apply};
use crate::bot::Escalation;
use crate::event::{HandoverInfo, InboundEvent};
use crate::ids::ConversationId;
use crate::ports::{Conversation, ConversationState};
use crate::routing::record::Routing;
use crate::thread_control::{ThreadControl, ThreadRequest, app_name};

/// Where the thread came from, for the routing attributes.
pub enum PassedBy<'a> {
    /// Another app passed it (Meta's `pass_thread_control` event).
    App(&'a HandoverInfo),
    /// A supervisor took it from the app that had it.
    Supervisor(&'a str),
}

/// What a handover event Meta delivered in `messaging` means for the
/// conversation it was stored on. Idempotent: a redelivered event changes
/// nothing.
pub async fn on_handover(
    deps: &RoutingDeps,
    id: &ConversationId,
    event: &InboundEvent,
) -> Result<()> {
    let Some(h) = &event.handover else {
        return Ok(());
    };
    let conv = load(deps, id).await?;
    let thread = conv.routing.as_ref().and_then(|r| r.thread.as_ref());
    if thread.is_some_and(|t| t.applied(&event.key)) || !conv.state.is_open() {
        return Ok(());
    }
    // Taken or asked for: only a conversation Switchboard works changes;
    // one kept as context while another app had the thread stays as it is.
    let working = conv.routing.is_some();
    match h.action.as_str() {
        "pass_thread_control" => {
            passed(deps, conv, Some(event), PassedBy::App(h)).await?;
        }
        "take_thread_control" if working => {
            let app = h.new_owner_app_id.clone();
            let why = format!(
                "{} took the conversation (Conversation Routing){}; Switchboard can no longer answer the customer",
                app_name(app.as_deref()),
                said(h.metadata.as_deref())
            );
            let key = event.key.clone();
            close_with(deps, id, &why, |r| {
                let t = r.thread.get_or_insert_with(ThreadControl::default);
                t.gone_to = Some(app.clone().unwrap_or_else(|| "unknown".into()));
                t.requested = None;
                t.remember(&key);
            })
            .await?;
            crate::metrics::count("ThreadsTaken", 1);
        }
        "request_thread_control" if working => requested(deps, conv, event, h).await?,
        _ => {}
    }
    Ok(())
}

/// `metadata` as the diagnostics quote it.
fn said(metadata: Option<&str>) -> String {
    match metadata.map(str::trim).filter(|m| !m.is_empty()) {
        Some(m) => format!(": “{}”", crate::ids::clip(m, 200)),
        None => String::new(),
    }
}

/// The thread is Switchboard's now: a conversation nobody routed yet (new,
/// or kept as context while another app had it) or still with the bot goes
/// to humans, classified from the customer's latest message with the
/// passing app and its metadata as attributes; one already with humans
/// only notes it.
pub async fn passed(
    deps: &RoutingDeps,
    mut conv: Conversation,
    event: Option<&InboundEvent>,
    by: PassedBy<'_>,
) -> Result<Conversation> {
    let id = conv.id.clone();
    let now = deps.clock.now();
    let (from, metadata) = match &by {
        PassedBy::App(h) => (
            h.previous_owner_app_id
                .clone()
                .unwrap_or_else(|| "unknown".into()),
            h.metadata.clone(),
        ),
        PassedBy::Supervisor(who) => ("supervisor".to_string(), Some(format!("taken by {who}"))),
    };
    let detail = match &by {
        PassedBy::App(h) => format!(
            "{} passed the conversation to Switchboard{}",
            app_name(h.previous_owner_app_id.as_deref()),
            said(h.metadata.as_deref())
        ),
        PassedBy::Supervisor(who) => {
            format!("{who} took the conversation from the app that had it")
        }
    };
    let mut r = conv.routing.clone().unwrap_or_default();
    let mut keys = r.thread.take().map(|t| t.event_keys).unwrap_or_default();
    let mut t = ThreadControl {
        passed_from: Some(from.clone()),
        metadata: metadata.clone(),
        ..ThreadControl::default()
    };
    t.event_keys.append(&mut keys);
    if let Some(e) = event {
        t.remember(&e.key);
    }
    r.thread = Some(t);
    r.record(decision(now, "thread_passed", detail.clone()));
    let unrouted = conv.routing.is_none() || conv.state == ConversationState::Bot;
    if !unrouted {
        let state = conv.state;
        if !try_apply(deps, &[set_conv(&conv, state, r, now)]).await? {
            return Err(RoutingError::Conflict(format!(
                "conversation {id} changed meanwhile; try again"
            )));
        }
        return load(deps, &id).await;
    }
    let seed = r
        .thread
        .as_ref()
        .and_then(|t| t.seed(&detail))
        .unwrap_or_else(|| Escalation::because(detail.clone()));
    // The customer's latest message carries the facts the rules read; a
    // thread passed before the customer wrote is routed on the handover.
    let timeline = deps.conversations.timeline(&id).await?;
    let latest = timeline
        .iter()
        .rev()
        .find(|e| e.kind.is_customer_activity())
        .cloned();
    let Some(on) = latest
        .or_else(|| event.cloned())
        .or_else(|| timeline.last().cloned())
    else {
        return Err(RoutingError::Conflict(format!(
            "conversation {id} has nothing to route on"
        )));
    };
    if let Some(b) = r.bot.as_mut() {
        // Passed while the bot had it: people have it now, not the bot.
        b.unanswered_since = None;
        b.escalated = Some(crate::bot::Escalated {
            at: now,
            by: crate::bot::EscalatedBy::Switchboard,
            escalation: Escalation::because(detail),
        });
    } else if conv.routing.is_none() {
        // A new customer hears the recording notice first, here too.
        crate::privacy::notice::on_first_contact(deps, &id, &on).await?;
    }
    let rv = conv.rv;
    conv.routing = Some(r);
    route_new(deps, conv, &on, Some(&seed)).await?;
    let now_conv = load(deps, &id).await?;
    if now_conv.rv == rv {
        return Err(RoutingError::Conflict(format!(
            "conversation {id} changed meanwhile; try again"
        )));
    }
    crate::metrics::count("ThreadsPassed", 1);
    Ok(now_conv)
}

/// Another app asks for the thread: kept for a supervisor to pass or keep.
async fn requested(
    deps: &RoutingDeps,
    conv: Conversation,
    event: &InboundEvent,
    h: &HandoverInfo,
) -> Result<()> {
    let now = deps.clock.now();
    let mut r: Routing = conv.routing.clone().unwrap_or_default();
    let t = r.thread.get_or_insert_with(ThreadControl::default);
    t.requested = Some(ThreadRequest {
        app_id: h.new_owner_app_id.clone(),
        metadata: h.metadata.clone(),
        at: event.timestamp,
    });
    t.remember(&event.key);
    r.record(decision(
        now,
        "thread_requested",
        format!(
            "{} asks for the conversation{}; a supervisor passes it or keeps it",
            app_name(h.new_owner_app_id.as_deref()),
            said(h.metadata.as_deref())
        ),
    ));
    let state = conv.state;
    if !try_apply(deps, &[set_conv(&conv, state, r, now)]).await? {
        return Err(RoutingError::Conflict(format!(
            "conversation {} changed meanwhile; try again",
            conv.id
        )));
    }
    Ok(())
}

/// A supervisor answered another app's request: `passed_to` has the thread
/// now (the conversation ends here), or `None`: Switchboard keeps it.
pub async fn request_answered(
    deps: &RoutingDeps,
    id: &ConversationId,
    by: &str,
    passed_to: Option<&str>,
) -> Result<Conversation> {
    if let Some(app) = passed_to {
        let why = format!(
            "{by} passed the conversation to {} at its request (Conversation Routing)",
            app_name(Some(app))
        );
        return close_with(deps, id, &why, |r| {
            let t = r.thread.get_or_insert_with(ThreadControl::default);
            t.gone_to = Some(app.to_string());
            t.requested = None;
        })
        .await;
    }
    let conv = load(deps, id).await?;
    let now = deps.clock.now();
    let mut r = conv.routing.clone().unwrap_or_default();
    let Some(req) = r.thread.as_mut().and_then(|t| t.requested.take()) else {
        return Err(RoutingError::Conflict(format!(
            "no app asks for conversation {id}"
        )));
    };
    r.record(decision(
        now,
        "thread_kept",
        format!(
            "{by} kept the conversation; {}'s request is declined",
            app_name(req.app_id.as_deref())
        ),
    ));
    let state = conv.state;
    if !try_apply(deps, &[set_conv(&conv, state, r, now)]).await? {
        return Err(RoutingError::Conflict(format!(
            "conversation {id} changed meanwhile; try again"
        )));
    }
    load(deps, id).await
}
