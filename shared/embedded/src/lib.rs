//! Embedded adapters for `switchboard serve` and tests: everything on one
//! machine, no AWS. State lives under a data directory and survives restarts.
//!
//! - [`RedbStore`]: the store ports on a redb file (ACID, one writer).
//! - [`LocalQueue`]: durable FIFO queues with SQS FIFO's rules (group order,
//!   group blocked while in flight, five-minute dedupe, visibility timeout,
//!   dead-letter after too many receives).
//! - [`FileSecrets`]: secrets in a file readable by its owner only.

mod activity;
mod agent_cache;
mod commit;
mod contact_search;
mod conv_index;
mod outbound;
mod queue;
mod routing;
mod secrets;
mod store;
mod streams;
mod tables;

pub use queue::{LocalQueue, QueueConfig, QueueDatabase};
pub use secrets::FileSecrets;
pub use store::RedbStore;

/// Run blocking storage work off the async runtime.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, String> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| format!("storage task failed: {e}"))
}
