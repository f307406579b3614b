//! CloudWatch metrics in Embedded Metric Format: a `tracing` layer that
//! turns the domain's metric events (`switchboard_core::metrics`, target
//! `switchboard::metric`) into EMF JSON lines on stdout, which Lambda's log
//! pipeline turns into metrics. No `PutMetricData` call, no extra
//! permission, nothing on the request path but a write to stdout.

use std::io::Write;
use std::sync::Arc;
use switchboard_core::metrics::TARGET;
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, Layer};

/// Where EMF lines go (stdout in Lambda; a buffer in tests).
pub type Sink = Arc<dyn Fn(&str) + Send + Sync>;

pub struct EmfLayer {
    namespace: String,
    function: String,
    sink: Sink,
}

impl EmfLayer {
    /// Namespace `SWITCHBOARD_METRICS_NAMESPACE` (default `Switchboard`),
    /// dimension `Function` from `AWS_LAMBDA_FUNCTION_NAME`, lines to stdout.
    pub fn from_env() -> Self {
        Self::new(
            std::env::var("SWITCHBOARD_METRICS_NAMESPACE").unwrap_or_else(|_| "Switchboard".into()),
            std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|_| "local".into()),
            Arc::new(|line: &str| {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{line}");
            }),
        )
    }

    pub fn new(namespace: String, function: String, sink: Sink) -> Self {
        Self {
            namespace,
            function,
            sink,
        }
    }
}

#[derive(Default)]
struct Fields {
    metric: Option<String>,
    value: Option<f64>,
    unit: Option<String>,
    result: Option<String>,
}

impl Visit for Fields {
    fn record_f64(&mut self, field: &Field, value: f64) {
        if field.name() == "value" {
            self.value = Some(value);
        }
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        if field.name() == "value" {
            self.value = Some(value as f64);
        }
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        if field.name() == "value" {
            self.value = Some(value as f64);
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "metric" => self.metric = Some(value.to_string()),
            "unit" => self.unit = Some(value.to_string()),
            "result" => self.result = Some(value.to_string()),
            _ => {}
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let v = format!("{value:?}");
        self.record_str(field, v.trim_matches('"'));
    }
}

/// One EMF document: the metric under `Function` (and `Result` when given).
pub fn emf_line(
    namespace: &str,
    function: &str,
    metric: &str,
    unit: &str,
    value: f64,
    result: Option<&str>,
    timestamp_ms: i64,
) -> String {
    let mut dims = vec!["Function"];
    if result.is_some() {
        dims.push("Result");
    }
    let mut doc = serde_json::json!({
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": namespace,
                "Dimensions": [dims],
                "Metrics": [{"Name": metric, "Unit": unit}],
            }],
        },
        "Function": function,
    });
    doc[metric] = value.into();
    if let Some(r) = result {
        doc["Result"] = r.into();
    }
    doc.to_string()
}

impl<S: tracing::Subscriber> Layer<S> for EmfLayer {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        if event.metadata().target() != TARGET {
            return;
        }
        let mut f = Fields::default();
        event.record(&mut f);
        let (Some(metric), Some(value)) = (f.metric, f.value) else {
            return;
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or_default();
        (self.sink)(&emf_line(
            &self.namespace,
            &self.function,
            &metric,
            f.unit.as_deref().unwrap_or("None"),
            value,
            f.result.as_deref(),
            now,
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use tracing_subscriber::layer::SubscriberExt;

    #[test]
    fn metric_events_become_emf_documents() {
        let lines = Arc::new(Mutex::new(Vec::<String>::new()));
        let sink_lines = lines.clone();
        let layer = EmfLayer::new(
            "Switchboard".into(),
            "router".into(),
            Arc::new(move |l: &str| sink_lines.lock().unwrap().push(l.to_string())),
        );
        let subscriber = tracing_subscriber::registry().with(layer);
        tracing::subscriber::with_default(subscriber, || {
            switchboard_core::metrics::count("Offers", 2);
            switchboard_core::metrics::count_by("Deliveries", "refused", 1);
            switchboard_core::metrics::millis("RoutingLatency", 3.5);
            tracing::info!("an ordinary log line is not a metric");
        });
        let lines = lines.lock().unwrap();
        assert_eq!(lines.len(), 3);
        let doc: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
        let def = &doc["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(def["Namespace"], "Switchboard");
        assert_eq!(def["Dimensions"][0], serde_json::json!(["Function"]));
        assert_eq!(def["Metrics"][0]["Name"], "Offers");
        assert_eq!(def["Metrics"][0]["Unit"], "Count");
        assert_eq!(doc["Offers"], 2.0);
        assert_eq!(doc["Function"], "router");
        assert!(doc["_aws"]["Timestamp"].as_i64().unwrap() > 1_700_000_000_000);
        let refused: serde_json::Value = serde_json::from_str(&lines[1]).unwrap();
        assert_eq!(refused["Result"], "refused");
        assert_eq!(
            refused["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0],
            serde_json::json!(["Function", "Result"])
        );
        let latency: serde_json::Value = serde_json::from_str(&lines[2]).unwrap();
        assert_eq!(
            latency["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Unit"],
            "Milliseconds"
        );
        assert_eq!(latency["RoutingLatency"], 3.5);
    }
}
