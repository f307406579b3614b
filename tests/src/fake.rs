//! Fault injection around real adapters: a queue that refuses sends on
//! demand, and a store that fails appends on demand.

use async_trait::async_trait;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use switchboard_core::Millis;
use switchboard_core::event::InboundEvent;
use switchboard_core::ids::{ContactId, ConversationId, PageId, Psid};
use switchboard_core::ports::*;

/// Wraps a queue: the first `fail_calls` sends error out entirely, and the
/// next `fail_entries` sends report their first entry as failed.
pub struct FlakyQueue {
    pub inner: Arc<dyn Queue>,
    pub fail_calls: AtomicUsize,
    pub fail_entries: AtomicUsize,
    pub sends: AtomicUsize,
}

impl FlakyQueue {
    pub fn new(inner: Arc<dyn Queue>, fail_calls: usize, fail_entries: usize) -> Self {
        Self {
            inner,
            fail_calls: AtomicUsize::new(fail_calls),
            fail_entries: AtomicUsize::new(fail_entries),
            sends: AtomicUsize::new(0),
        }
    }
}

fn take(counter: &AtomicUsize) -> bool {
    counter
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
}

#[async_trait]
impl Queue for FlakyQueue {
    async fn send_batch(
        &self,
        messages: &[OutgoingMessage],
    ) -> Result<Vec<SendFailure>, QueueError> {
        self.sends.fetch_add(1, Ordering::SeqCst);
        if take(&self.fail_calls) {
            return Err(QueueError::Unavailable("injected outage".into()));
        }
        if !messages.is_empty() && take(&self.fail_entries) {
            let mut failures = self.inner.send_batch(&messages[1..]).await?;
            for f in &mut failures {
                f.index += 1;
            }
            failures.insert(
                0,
                SendFailure {
                    index: 0,
                    code: "InternalError".into(),
                    message: "injected".into(),
                    sender_fault: false,
                },
            );
            return Ok(failures);
        }
        self.inner.send_batch(messages).await
    }
    async fn receive(
        &self,
        max: usize,
        wait: Duration,
    ) -> Result<Vec<ReceivedMessage>, QueueError> {
        self.inner.receive(max, wait).await
    }
    async fn delete(&self, receipt: &str) -> Result<(), QueueError> {
        self.inner.delete(receipt).await
    }
    async fn release(&self, receipt: &str, delay: Duration) -> Result<(), QueueError> {
        self.inner.release(receipt, delay).await
    }
}

/// Wraps a conversation store: appends of events whose text contains
/// `poison` fail, and the next `fail_appends` appends fail.
pub struct FlakyStore<S: ?Sized> {
    pub inner: Arc<S>,
    pub fail_appends: AtomicUsize,
    pub poison: Option<String>,
}

#[async_trait]
impl<S: ConversationStore + ?Sized> ConversationStore for FlakyStore<S> {
    async fn append(
        &self,
        event: &InboundEvent,
        ids: &NewIds,
        now: Millis,
    ) -> StoreResult<AppendOutcome> {
        if take(&self.fail_appends)
            || self.poison.as_ref().is_some_and(|p| {
                event
                    .text
                    .as_deref()
                    .is_some_and(|t| t.contains(p.as_str()))
            })
        {
            return Err(StoreError::Unavailable("injected store failure".into()));
        }
        self.inner.append(event, ids, now).await
    }
    async fn record_unattributed(&self, event: &InboundEvent) -> StoreResult<()> {
        self.inner.record_unattributed(event).await
    }
    async fn get_conversation(&self, id: &ConversationId) -> StoreResult<Option<Conversation>> {
        self.inner.get_conversation(id).await
    }
    async fn list_conversations(
        &self,
        filter: &ConversationFilter,
    ) -> StoreResult<Vec<Conversation>> {
        self.inner.list_conversations(filter).await
    }
    async fn timeline(&self, id: &ConversationId) -> StoreResult<Vec<InboundEvent>> {
        self.inner.timeline(id).await
    }
    async fn get_customer(&self, page: &PageId, psid: &Psid) -> StoreResult<Option<Customer>> {
        self.inner.get_customer(page, psid).await
    }
    async fn get_contact(&self, id: &ContactId) -> StoreResult<Option<Contact>> {
        self.inner.get_contact(id).await
    }
    async fn close_conversation(
        &self,
        id: &ConversationId,
        at: Millis,
    ) -> StoreResult<Conversation> {
        self.inner.close_conversation(id, at).await
    }
    async fn create_contact(&self, contact: &Contact) -> StoreResult<()> {
        self.inner.create_contact(contact).await
    }
    async fn update_contact(&self, contact: &Contact, expect: u64) -> StoreResult<()> {
        self.inner.update_contact(contact, expect).await
    }
    async fn find_contacts(&self, prefix: &str, limit: usize) -> StoreResult<Vec<Contact>> {
        self.inner.find_contacts(prefix, limit).await
    }
    async fn link_contact(
        &self,
        conversation: &ConversationId,
        contact: &ContactId,
    ) -> StoreResult<Conversation> {
        self.inner.link_contact(conversation, contact).await
    }
    async fn contact_conversations(
        &self,
        contact: &ContactId,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<Conversation>> {
        self.inner
            .contact_conversations(contact, after, limit)
            .await
    }
    async fn replace_event(&self, id: &ConversationId, event: &InboundEvent) -> StoreResult<bool> {
        self.inner.replace_event(id, event).await
    }
    async fn mark_erased(&self, page: &PageId, psid: &Psid, at: Millis) -> StoreResult<()> {
        self.inner.mark_erased(page, psid, at).await
    }
}
