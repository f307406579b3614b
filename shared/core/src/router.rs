//! router: consume the inbound queue, put every event on its
//! conversation's timeline (creating the contact and conversation when the
//! customer is new), and route a conversation the first time it is stored:
//! classify, queue, offer (see `routing`).

use crate::event::InboundEvent;
use crate::ids::{ContactId, ConversationId};
use crate::ports::{AppendOutcome, Conversation, NewIds, StoreError};
use crate::routing::engine::{self, RoutingDeps, RoutingError};
use futures::FutureExt;
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
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
    /// A post-conversation survey answer, recorded on its conversation.
    SurveyAnswer(ConversationId),
    /// An event naming no customer, kept aside.
    Unattributed,
    /// Something Meta sent that cannot be used, kept as a notice for
    /// administrators (see [`crate::aside`]).
    SetAside,
}

/// One message of a queue batch.
#[derive(Debug, Clone)]
pub struct BatchItem<'a> {
    pub message_id: &'a str,
    pub group: &'a str,
    pub body: &'a str,
}

impl<'a> From<&'a crate::ports::ReceivedMessage> for BatchItem<'a> {
    /// A message as a local queue hands it out.
    fn from(m: &'a crate::ports::ReceivedMessage) -> Self {
        Self {
            message_id: &m.message_id,
            group: &m.group,
            body: &m.body,
        }
    }
}

/// Store one event. Idempotent: processing the same body twice stores it once.
pub async fn process_event(deps: &RouterDeps, body: &str) -> Result<Processed, RouterError> {
    process_counted(deps, body, &AtomicU64::new(0)).await
}

/// [`process_event`], adding 1 to `stored` once the event is stored (even
/// if what follows fails: its retry finds it a duplicate).
async fn process_counted(
    deps: &RouterDeps,
    body: &str,
    stored: &AtomicU64,
) -> Result<Processed, RouterError> {
    if let Some(item) = crate::aside::SetAside::from_queue_body(body) {
        let item = item.map_err(|e| RouterError::Poison(e.to_string()))?;
        crate::aside::record(deps.streams.as_ref(), &item).await?;
        return Ok(Processed::SetAside);
    }
    let event: InboundEvent =
        serde_json::from_str(body).map_err(|e| RouterError::Poison(e.to_string()))?;
    let Some(psid) = &event.psid else {
        deps.conversations.record_unattributed(&event).await?;
        tracing::warn!(page_id = %event.page_id, kind = event.kind.as_str(), "kept an event that names no customer");
        return Ok(Processed::Unattributed);
    };
    if let Some((conv, score)) = event
        .quick_reply_payload
        .as_deref()
        .and_then(crate::delivery::survey_answer)
        && record_survey(deps, &conv, score, &event).await?
    {
        return Ok(Processed::SurveyAnswer(conv));
    }
    let ids = NewIds {
        contact_id: ContactId::generate(),
        contact_name: crate::contacts::fallback_name(psid.as_str()),
        conversation_id: ConversationId::generate(),
    };
    let outcome = deps
        .conversations
        .append(&event, &ids, deps.clock.now())
        .await?;
    if matches!(outcome, AppendOutcome::Stored { .. }) {
        stored.fetch_add(1, Ordering::Relaxed);
    }
    // A customer never seen: their contact gets Meta's profile name before
    // routing (rules may test it).
    if let (Some(p), AppendOutcome::Stored { opened: true, .. }) = (&deps.profiles, &outcome) {
        crate::contacts::name_new_contact(
            p,
            deps.conversations.as_ref(),
            &ids.contact_id,
            &event.page_id,
            psid,
        )
        .await;
    }
    let route = match &outcome {
        AppendOutcome::Stored {
            conversation_id,
            opened,
        } => {
            // One line per stored event only when it asks for debug: a
            // new conversation is logged by its routing decision, and the
            // batch by its one summary line (see `process_batch`).
            tracing::debug!(
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
        AppendOutcome::Erased => {
            tracing::info!(
                kind = event.kind.as_str(),
                "event from before the customer's erasure not stored"
            );
            None
        }
    };
    // What the customer did, for us: not an event Meta copied to us in
    // standby while another app owns the thread (kept, shown as context,
    // never routed or answered from here).
    let ours =
        event.kind.is_customer_activity() && event.channel != crate::messenger::Channel::Standby;
    if let Some(id) = route
        && ours
    {
        // A new customer hears the recording notice before anything else.
        crate::privacy::notice::on_first_contact(deps, id, &event).await?;
        engine::on_stored(deps, id, &event).await?;
        if matches!(outcome, AppendOutcome::Stored { opened: true, .. }) {
            // Arrival at ingest -> classified, queued (and offered when someone could).
            let ms = (deps.clock.now().0 - event.received_at.0).max(0);
            crate::metrics::millis("RoutingLatency", ms as f64);
        }
    }
    let stored_on = match &outcome {
        AppendOutcome::Stored {
            conversation_id, ..
        } => Some(conversation_id),
        AppendOutcome::Duplicate { conversation_id } => conversation_id.as_ref(),
        AppendOutcome::Erased => None,
    };
    // The conversation as read after the append, while nothing here has
    // changed it since (so `after_store` need not read it again).
    let mut unchanged = None;
    if let Some(id) = stored_on
        && ours
    {
        match deps.conversations.get_conversation(id).await? {
            // With the workstream's bot: post it (once; a redelivery of an
            // event the bot took is not posted again).
            Some(conv) if crate::bot::flow::for_the_bot(&conv, &event) => {
                crate::bot::flow::on_customer_event_in(deps, conv, &event).await?;
            }
            conv => unchanged = Some(conv),
        }
    }
    if let Some(id) = stored_on
        && event.kind == crate::event::EventKind::Handover
        && event.channel == crate::messenger::Channel::Messaging
    {
        // Conversation Routing: the thread passed to us, taken from us, or
        // asked for.
        engine::on_handover(deps, id, &event).await?;
        unchanged = None;
    }
    if let AppendOutcome::Stored {
        conversation_id, ..
    } = &outcome
    {
        after_store(deps, conversation_id, &event, unchanged).await?;
    }
    Ok(Processed::Appended(outcome))
}

/// A survey answer for one of this customer's closed conversations: kept
/// with the conversation and in the workstream-wide list (idempotent: the
/// entry's cursor comes from the event). `false` when it names another
/// customer's conversation (then it is an ordinary message).
async fn record_survey(
    deps: &RouterDeps,
    id: &ConversationId,
    score: u8,
    event: &InboundEvent,
) -> Result<bool, RouterError> {
    let Some(conv) = deps.conversations.get_conversation(id).await? else {
        return Ok(false);
    };
    if Some(&conv.psid) != event.psid.as_ref() || conv.page_id != event.page_id {
        return Ok(false);
    }
    // Only an answer to a survey that was sent, after the close, counts.
    let payload = event.quick_reply_payload.as_deref().unwrap_or_default();
    if conv.state != crate::ports::ConversationState::Closed
        || !survey_was_sent(deps, id, payload).await?
    {
        tracing::warn!(conversation_id = %id, "a survey payload for a conversation that was sent no survey; kept as a message");
        return Ok(false);
    }
    let workstream = conv.routing.as_ref().and_then(|r| r.workstream.clone());
    let answer = crate::delivery::SurveyAnswer {
        conversation_id: id.clone(),
        workstream: workstream.clone(),
        agent_id: conv.routing.as_ref().and_then(|r| r.agent.clone()),
        queue: conv.routing.as_ref().and_then(|r| r.queue.clone()),
        score,
        text: event.text.clone(),
        mid: event.mid.clone(),
        answered_at: event.timestamp,
    };
    let entry = crate::ports::StreamEntry {
        cursor: crate::ports::stream_cursor(event.timestamp, &event.key.replace(['|', '/'], "_")),
        data: serde_json::to_value(&answer).unwrap_or_default(),
        expires_at: None,
    };
    // One answer per survey: a later tap (or a forged payload) changes nothing.
    if let Some(first) = deps
        .streams
        .read_entries(&crate::delivery::survey_stream(id), None, 1)
        .await?
        .first()
        && first.cursor != entry.cursor
    {
        tracing::info!(conversation_id = %id, "the survey was answered already; this answer is not counted");
        return Ok(true);
    }
    // The conversation's copy first: it decides whether this answer is new.
    let new = deps
        .streams
        .append_entry(&crate::delivery::survey_stream(id), &entry)
        .await?;
    deps.streams
        .append_entry(crate::delivery::SURVEYS_STREAM, &entry)
        .await?;
    if !new {
        return Ok(true);
    }
    tracing::info!(conversation_id = %id, score, "survey answered");
    crate::metrics::count("SurveyAnswers", 1);
    if let Some(ws) = match &workstream {
        Some(w) => deps.workstreams.get_workstream(w).await?,
        None => None,
    } && let Some(thanks) = ws.survey.as_ref().and_then(|s| s.thanks.clone())
    {
        // The answer reopened the 24-hour window.
        let mut c = conv.clone();
        c.last_customer_message_at = Some(event.timestamp);
        crate::delivery::overflow_message_as(deps, &c, "survey_thanks", &thanks).await;
    }
    Ok(true)
}

/// Whether Switchboard sent this conversation's survey with exactly this
/// payload (its random token included; the sender may still be delivering
/// it: queued counts).
async fn survey_was_sent(
    deps: &RouterDeps,
    id: &ConversationId,
    payload: &str,
) -> Result<bool, RouterError> {
    use crate::outbound::{Author, Content, Status};
    Ok(deps.outbound.list_outbound(id).await?.iter().any(|m| {
        m.author == Author::Survey
            && !matches!(m.status, Status::Failed { .. })
            && matches!(&m.content, Content::Text { quick_replies, .. }
                if quick_replies.iter().any(|q| q.payload == payload))
    }))
}

/// What a stored event means for people: the agent's feed (new customer
/// message, receipts, a message sent from the Page inbox), our own echo
/// confirming a send, and the attachments policy. `known`: the
/// conversation as it is now, when the caller has just read it.
async fn after_store(
    deps: &RouterDeps,
    id: &ConversationId,
    event: &InboundEvent,
    known: Option<Option<Conversation>>,
) -> Result<(), RouterError> {
    use crate::event::EventKind;
    if event.kind == EventKind::Echo
        && let Some(ob) = own_send(deps, event).await?
    {
        // Our send: confirm it (it may still be `queued` if the sender
        // stopped between Meta's answer and its write).
        if ob.status == crate::outbound::Status::Queued
            && let Some(mid) = &event.mid
        {
            let sent = crate::outbound::Status::Sent {
                message_id: mid.clone(),
                messaging_type: crate::outbound::SendAs::Response,
                at: event.timestamp,
            };
            match deps.outbound.finish_outbound(&ob.id, &sent).await {
                Ok(()) | Err(StoreError::Conflict(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        return Ok(());
    }
    let kind = match event.kind {
        EventKind::Echo => "page_inbox_message",
        EventKind::Delivery => "delivered",
        EventKind::Read => "read",
        EventKind::Unsend => "message_unsent",
        k if k.is_customer_activity() => "message",
        _ => return Ok(()),
    };
    let conv = match known {
        Some(conv) => conv,
        None => deps.conversations.get_conversation(id).await?,
    };
    let Some(mut conv) = conv else {
        return Ok(());
    };
    if event.kind.is_customer_activity()
        && conv.routing.as_ref().is_some_and(|r| r.follow_up.is_some())
    {
        // Follow-up work whose customer wrote again may be answerable now.
        if let Some(now) = engine::window_reopened(deps, conv.clone()).await? {
            conv = now;
        }
    }
    if event.kind.is_customer_activity() && event.channel != crate::messenger::Channel::Standby {
        // Its agent went away after answering last: someone present takes it.
        conv = engine::customer_wrote(deps, conv).await?;
        // The window its timer watched closed before this message: watch
        // the one this message opens.
        conv = engine::watch_new_window(deps, conv).await?;
    }
    // Borrowed, not cloned: the record carries every routing decision.
    let default = crate::routing::record::Routing::default();
    let r = conv.routing.as_ref().unwrap_or(&default);
    let withheld = kind == "message" && !event.attachments.is_empty() && {
        match &r.workstream {
            Some(w) => deps
                .workstreams
                .get_workstream(w)
                .await?
                .is_some_and(|ws| !ws.features.customer_attachments),
            None => false,
        }
    };
    // Never answered from here while another app owns the thread.
    if withheld
        && event.channel != crate::messenger::Channel::Standby
        && let Some(ws) = match &r.workstream {
            Some(w) => deps.workstreams.get_workstream(w).await?,
            None => None,
        }
    {
        crate::delivery::automated(
            deps,
            &conv,
            &ws,
            crate::workstreams::Trigger::AttachmentsNotSupported,
            &[],
        )
        .await;
    }
    let agent = match (conv.state, &r.offer, &r.agent) {
        (crate::ports::ConversationState::Offered, Some(o), _) => Some(o.agent.clone()),
        (_, _, Some(a)) if conv.state.is_open() => Some(a.clone()),
        _ => None,
    };
    if let Some(agent) = agent {
        let mut data = serde_json::json!({ "event_key": event.key });
        if kind == "message" {
            data["text"] = event.text.clone().into();
            data["attachments_withheld"] = withheld.into();
            if !withheld && !event.attachments.is_empty() {
                data["attachments"] = serde_json::to_value(&event.attachments).unwrap_or_default();
            }
        }
        if kind == "message_unsent" {
            data["mid"] = event.mid.clone().into();
        }
        if let Some(w) = event.watermark {
            data["watermark"] = w.into();
        }
        crate::feed::publish(
            deps.streams.as_ref(),
            deps.clock.as_ref(),
            &agent,
            kind,
            format!("{kind}:{}", event.key),
            Some(id),
            data,
        )
        .await;
    }
    Ok(())
}

/// The outbound message an echo confirms: matched by the `metadata` we sent
/// (the outbound id), else by Meta's message id.
pub async fn own_send(
    deps: &RouterDeps,
    event: &InboundEvent,
) -> Result<Option<crate::outbound::Outbound>, StoreError> {
    if let Some(id) = event
        .metadata
        .as_deref()
        .and_then(|m| crate::ids::OutboundId::parse(m).ok())
        .filter(|id| id.as_str().starts_with("ob_"))
        && let Some(ob) = deps.outbound.get_outbound(&id).await?
    {
        return Ok(Some(ob));
    }
    match &event.mid {
        Some(mid) => deps.outbound.outbound_by_mid(mid).await,
        None => Ok(None),
    }
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
    let stored = AtomicU64::new(0);
    let stored = &stored;
    let runs = groups.into_iter().map(|(group, members)| async move {
        let mut failed = Vec::new();
        let mut broken = false;
        for item in members {
            if broken {
                failed.push(item.message_id.to_string());
                continue;
            }
            let span = tracing::info_span!("queue_message", message_id = item.message_id, group);
            // A panic fails this message only: it is retried, then dead-lettered.
            let run = std::panic::AssertUnwindSafe(
                process_counted(deps, item.body, stored).instrument(span),
            );
            let error = match run.catch_unwind().await {
                Ok(Ok(_)) => None,
                Ok(Err(e)) => Some(e.to_string()),
                Err(panic) => Some(crate::panics::describe(panic.as_ref())),
            };
            if let Some(error) = error {
                tracing::error!(message_id = item.message_id, group, %error, "event failed; it will be retried");
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
    // One line and one metric per batch, not per event (CloudWatch bills
    // every byte of them).
    let stored = stored.load(Ordering::Relaxed);
    if !items.is_empty() {
        tracing::info!(
            messages = items.len(),
            stored,
            failed = failed.len(),
            "batch processed"
        );
    }
    if stored > 0 {
        crate::metrics::count("EventsStored", stored);
    }
    // Keep the caller's order, without duplicates.
    let set: HashSet<&String> = failed.iter().collect();
    items
        .iter()
        .filter(|i| set.contains(&i.message_id.to_string()))
        .map(|i| i.message_id.to_string())
        .collect()
}
