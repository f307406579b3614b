//! The queue port on SQS FIFO. SQS itself provides the FIFO rules (group
//! order, five-minute deduplication, visibility, redrive to a DLQ).

use async_trait::async_trait;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::error::DisplayErrorContext;
use aws_sdk_sqs::types::{
    MessageSystemAttributeName, QueueAttributeName, SendMessageBatchRequestEntry,
};
use std::time::Duration;
use switchboard_core::ports::{
    MAX_BATCH, OutgoingMessage, Queue, QueueError, ReceivedMessage, SendFailure,
};

/// The IAM actions a producer calls.
pub const IAM_ACTIONS_SEND: &[&str] = &["sqs:SendMessage"];
/// The IAM actions a consumer calls (the event source mapping needs these too).
pub const IAM_ACTIONS_CONSUME: &[&str] = &[
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:GetQueueAttributes",
];

pub struct SqsQueue {
    client: Client,
    url: String,
    calls: crate::CallLog,
}

fn unavailable(e: impl std::fmt::Display) -> QueueError {
    QueueError::Unavailable(e.to_string())
}

impl SqsQueue {
    pub fn new(config: &aws_config::SdkConfig, url: impl Into<String>) -> Self {
        Self {
            client: Client::new(config),
            url: url.into(),
            calls: crate::CallLog::default(),
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Create a FIFO queue and its dead-letter queue (tests and local set-up;
    /// the SAM template creates them in AWS). Returns the queue URL.
    pub async fn create_fifo_with_dlq(
        config: &aws_config::SdkConfig,
        name: &str,
        visibility_timeout: Duration,
        max_receives: u32,
    ) -> Result<(String, String), QueueError> {
        let client = Client::new(config);
        let dlq = client
            .create_queue()
            .queue_name(format!("{name}-dlq.fifo"))
            .attributes(QueueAttributeName::FifoQueue, "true")
            .send()
            .await
            .map_err(|e| unavailable(DisplayErrorContext(e)))?;
        let dlq_url = dlq.queue_url().unwrap_or_default().to_string();
        let attrs = client
            .get_queue_attributes()
            .queue_url(&dlq_url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .map_err(|e| unavailable(DisplayErrorContext(e)))?;
        let arn = attrs
            .attributes()
            .and_then(|a| a.get(&QueueAttributeName::QueueArn))
            .cloned()
            .unwrap_or_default();
        let redrive =
            format!(r#"{{"deadLetterTargetArn":"{arn}","maxReceiveCount":"{max_receives}"}}"#);
        let q = client
            .create_queue()
            .queue_name(format!("{name}.fifo"))
            .attributes(QueueAttributeName::FifoQueue, "true")
            .attributes(
                QueueAttributeName::VisibilityTimeout,
                visibility_timeout.as_secs().to_string(),
            )
            .attributes(QueueAttributeName::RedrivePolicy, redrive)
            .send()
            .await
            .map_err(|e| unavailable(DisplayErrorContext(e)))?;
        Ok((q.queue_url().unwrap_or_default().to_string(), dlq_url))
    }
}

impl crate::Metered for SqsQueue {
    fn call_log(&self) -> &crate::CallLog {
        &self.calls
    }
}

#[async_trait]
impl Queue for SqsQueue {
    async fn send_batch(
        &self,
        messages: &[OutgoingMessage],
    ) -> Result<Vec<SendFailure>, QueueError> {
        if messages.is_empty() {
            return Ok(Vec::new());
        }
        if messages.len() > MAX_BATCH {
            return Err(QueueError::Rejected(format!(
                "a batch holds at most 10 messages, not {}",
                messages.len()
            )));
        }
        let entries = messages
            .iter()
            .enumerate()
            .map(|(i, m)| {
                SendMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message_body(&m.body)
                    .message_group_id(&m.group)
                    .message_deduplication_id(&m.dedup_id)
                    .build()
                    .map_err(|e| QueueError::Rejected(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.calls.record("sqs:SendMessage");
        let out = self
            .client
            .send_message_batch()
            .queue_url(&self.url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| unavailable(DisplayErrorContext(e)))?;
        Ok(out
            .failed()
            .iter()
            .map(|f| SendFailure {
                index: f.id().parse().unwrap_or(usize::MAX),
                code: f.code().to_string(),
                message: f.message().unwrap_or_default().to_string(),
                sender_fault: f.sender_fault(),
            })
            .collect())
    }

    async fn receive(
        &self,
        max: usize,
        wait: Duration,
    ) -> Result<Vec<ReceivedMessage>, QueueError> {
        self.calls.record("sqs:ReceiveMessage");
        let out = self
            .client
            .receive_message()
            .queue_url(&self.url)
            .max_number_of_messages(max.clamp(1, 10) as i32)
            .wait_time_seconds(wait.as_secs().min(20) as i32)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .map_err(|e| unavailable(DisplayErrorContext(e)))?;
        Ok(out
            .messages()
            .iter()
            .map(|m| {
                let attr =
                    |n: MessageSystemAttributeName| m.attributes().and_then(|a| a.get(&n)).cloned();
                ReceivedMessage {
                    message_id: m.message_id().unwrap_or_default().to_string(),
                    receipt: m.receipt_handle().unwrap_or_default().to_string(),
                    group: attr(MessageSystemAttributeName::MessageGroupId).unwrap_or_default(),
                    body: m.body().unwrap_or_default().to_string(),
                    receive_count: attr(MessageSystemAttributeName::ApproximateReceiveCount)
                        .and_then(|c| c.parse().ok())
                        .unwrap_or(1),
                }
            })
            .collect())
    }

    async fn delete(&self, receipt: &str) -> Result<(), QueueError> {
        self.calls.record("sqs:DeleteMessage");
        self.client
            .delete_message()
            .queue_url(&self.url)
            .receipt_handle(receipt)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| unavailable(DisplayErrorContext(e)))
    }

    async fn release(&self, receipt: &str, delay: Duration) -> Result<(), QueueError> {
        self.calls.record("sqs:ChangeMessageVisibility");
        self.client
            .change_message_visibility()
            .queue_url(&self.url)
            .receipt_handle(receipt)
            .visibility_timeout(delay.as_secs().min(43_200) as i32)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| unavailable(DisplayErrorContext(e)))
    }
}
