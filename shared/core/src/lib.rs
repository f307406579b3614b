//! Switchboard's domain crate.
//!
//! Everything here is free of AWS types: the Messenger webhook model, signature
//! checks, the normalized inbound event the queues carry, the ports (store,
//! queue, secrets, clock) and the handlers every Lambda function and
//! `switchboard serve` run. Adapters live in `switchboard-aws` and
//! `switchboard-embedded` and convert at the edge.

pub mod activity;
pub mod agent_tokens;
pub mod agent_work;
pub mod append;
pub mod aside;
pub mod bot;
pub mod canned;
pub mod channels;
pub mod clock;
pub mod config;
pub mod contact_search;
pub mod contacts;
pub mod conversation_search;
pub mod delivery;
pub mod event;
pub mod feed;
pub mod field_error;
pub mod follow_up;
pub mod graph;
pub mod ids;
pub mod ingest;
pub mod messenger;
pub mod metrics;
pub mod notes;
pub mod outbound;
pub mod outbound_sweep;
pub mod paging;
pub mod panics;
pub mod ports;
pub mod privacy;
pub mod problem;
pub mod provisioning;
pub mod push;
pub mod router;
pub mod routing;
pub mod scheduler;
pub mod secret;
pub mod secret_lookup;
pub mod send_policy;
pub mod sender;
pub mod serde_rules;
pub mod sign_in;
pub mod signature;
pub mod stream_hook;
pub mod stream_signal;
pub mod supervision;
pub mod thread_control;
pub mod time;
mod token_index;
pub mod transcript;
pub mod verify;
pub mod visibility;
pub mod window;
pub mod workstreams;

pub use clock::{Clock, ManualClock, SystemClock};
pub use secret::Secret;
pub use time::Millis;
