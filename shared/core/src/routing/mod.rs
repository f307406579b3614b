//! Unified routing: classification rulesets, queues, agents, work
//! distribution, offers and the scheduler's timed work.
//!
//! - [`model`]: the configuration (agents, presence, queues, rulesets,
//!   distribution settings);
//! - [`record`]: what routing writes (a conversation's routing and its
//!   decisions, waiting items, timers);
//! - [`classify`]: rulesets over what is known about a conversation;
//! - [`decide`]: facts, classification and queue choice for a new
//!   conversation (the router's step, and the preview's);
//! - [`preview`]: "Try a message", read-only;
//! - [`hours`]: operating hours and local time;
//! - [`select`]: who qualifies for a conversation and in which order;
//! - [`engine`]: the flows over the ports (arrival, offers, answers, close,
//!   presence, scheduler);
//! - [`admin`]: validated management of agents, queues and rulesets.

pub mod admin;
pub mod classify;
pub mod decide;
pub mod engine;
pub mod hours;
pub mod model;
pub mod preview;
pub mod record;
pub mod select;

pub use engine::{RoutingDeps, RoutingError};
