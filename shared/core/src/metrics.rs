//! Business metrics, as `tracing` events on one target: the domain says
//! what happened; the Lambda glue turns these events into CloudWatch
//! Embedded Metric Format lines (`switchboard_aws::emf`), and under
//! `serve` they are ordinary debug logs. No AWS type here.

/// The target every metric event uses.
pub const TARGET: &str = "switchboard::metric";

/// Add `n` to a count.
pub fn count(name: &'static str, n: u64) {
    tracing::info!(target: "switchboard::metric", metric = name, value = n as f64, unit = "Count");
}

/// A count split by a result (e.g. sends by `sent` / `failed_613`).
pub fn count_by(name: &'static str, result: &str, n: u64) {
    tracing::info!(target: "switchboard::metric", metric = name, value = n as f64, unit = "Count", result);
}

/// A duration in milliseconds.
pub fn millis(name: &'static str, ms: f64) {
    tracing::info!(target: "switchboard::metric", metric = name, value = ms, unit = "Milliseconds");
}

/// A level at this moment (e.g. pages in error).
pub fn gauge(name: &'static str, v: f64) {
    tracing::info!(target: "switchboard::metric", metric = name, value = v, unit = "None");
}
