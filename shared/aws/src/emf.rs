//! CloudWatch metrics in Embedded Metric Format: a `tracing` layer that
//! turns the domain's metric events (`switchboard_core::metrics`, target
//! `switchboard::metric`) into EMF JSON lines on stdout, which Lambda's log
//! pipeline turns into metrics. No `PutMetricData` call, no extra
//! permission, nothing on the request path but a write to stdout.
//!
//! The metrics of one invocation (the runtime's `Lambda runtime invoke`
//! span) leave as one document when it closes, not a line each: a
//! delivery's two counts are one line of logs, not two. Metrics held a
//! second or more leave when the invocation next yields, so a timeout or
//! a killed process loses at most about a second of them.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;
use switchboard_core::metrics::TARGET;
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

/// Where EMF lines go (stdout in Lambda; a buffer in tests).
pub type Sink = Arc<dyn Fn(&str) + Send + Sync>;

/// EMF's limit on the values of one metric in one document.
const MAX_VALUES: usize = 100;

/// The span `lambda_runtime` opens around each invocation. Under another
/// name (another runtime version) metrics simply leave at once.
pub const INVOCATION_SPAN: &str = "Lambda runtime invoke";

/// How long an invocation's metrics may wait for its end.
const HOLD: std::time::Duration = std::time::Duration::from_secs(1);

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

    /// The layer as a subscriber stack takes it: it sees metric events
    /// and the invocation span, nothing else (the span is the only one its
    /// context then yields for an event, whatever lies between).
    pub fn filtered<S>(self) -> impl Layer<S>
    where
        S: tracing::Subscriber + for<'a> LookupSpan<'a>,
    {
        use tracing_subscriber::filter::{FilterExt, LevelFilter, filter_fn};
        let wanted = filter_fn(|meta| {
            if meta.is_span() {
                meta.name() == INVOCATION_SPAN
            } else {
                meta.target() == TARGET
            }
        });
        self.with_filter(wanted.and(LevelFilter::INFO))
    }

    /// Every document `pending` makes, to the sink.
    fn flush(&self, pending: Pending) {
        for doc in pending.documents(&self.namespace, &self.function, now_ms()) {
            (self.sink)(&doc);
        }
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
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

/// One metric's unit and values.
struct Samples {
    unit: String,
    values: Vec<f64>,
}

/// Metrics by name.
type Set = BTreeMap<String, Samples>;

/// The metrics an invocation has emitted so far, by `Result` (none for
/// most) and name, and when the first was.
struct Pending {
    since: std::time::Instant,
    by_result: BTreeMap<Option<String>, Set>,
}

impl Default for Pending {
    fn default() -> Self {
        Self {
            since: std::time::Instant::now(),
            by_result: BTreeMap::new(),
        }
    }
}

impl Pending {
    /// Keep a value; true when a metric has as many values as one
    /// document may carry (time to flush).
    fn add(&mut self, result: Option<String>, metric: String, unit: String, value: f64) -> bool {
        let samples = self
            .by_result
            .entry(result)
            .or_default()
            .entry(metric)
            .or_insert_with(|| Samples {
                unit,
                values: Vec::new(),
            });
        samples.values.push(value);
        samples.values.len() >= MAX_VALUES
    }

    /// As few EMF documents as carry every value: one per `Result`, the
    /// metrics without one riding in the first (each group is a directive
    /// of its own, so `Result` dimensions only what it splits) unless a
    /// name is in both.
    fn documents(mut self, namespace: &str, function: &str, timestamp_ms: i64) -> Vec<String> {
        let plain = self.by_result.remove(&None);
        let mut groups: Vec<(Option<String>, Vec<Set>)> = self
            .by_result
            .into_iter()
            .map(|(result, metrics)| (result, vec![metrics]))
            .collect();
        if let Some(plain) = plain {
            match groups.first_mut() {
                Some((_, metrics)) if !plain.keys().any(|k| metrics[0].contains_key(k)) => {
                    metrics.push(plain)
                }
                _ => groups.push((None, vec![plain])),
            }
        }
        groups
            .into_iter()
            .map(|(result, sets)| {
                document(namespace, function, result.as_deref(), &sets, timestamp_ms)
            })
            .collect()
    }
}

/// One EMF document: a directive per set of metrics (the first under
/// `Function` and `Result` when `result` is given, the others under
/// `Function`), each value or array of values at the root.
fn document(
    namespace: &str,
    function: &str,
    result: Option<&str>,
    sets: &[Set],
    timestamp_ms: i64,
) -> String {
    let mut root = serde_json::Map::new();
    let mut directives = Vec::new();
    for (i, set) in sets.iter().enumerate() {
        let dims = match result {
            Some(_) if i == 0 => vec!["Function", "Result"],
            _ => vec!["Function"],
        };
        let metrics: Vec<serde_json::Value> = set
            .iter()
            .map(|(name, s)| serde_json::json!({"Name": name, "Unit": s.unit}))
            .collect();
        directives.push(serde_json::json!({
            "Namespace": namespace,
            "Dimensions": [dims],
            "Metrics": metrics,
        }));
        for (name, s) in set {
            root.insert(
                name.clone(),
                match s.values.as_slice() {
                    [one] => number(*one),
                    many => many.iter().copied().map(number).collect(),
                },
            );
        }
    }
    root.insert("Function".into(), function.into());
    if let Some(r) = result {
        root.insert("Result".into(), r.into());
    }
    root.insert(
        "_aws".into(),
        serde_json::json!({"Timestamp": timestamp_ms, "CloudWatchMetrics": directives}),
    );
    serde_json::Value::Object(root).to_string()
}

/// A value as JSON: a whole count as `1`, not `1.0` (a log byte each).
fn number(value: f64) -> serde_json::Value {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    if value.fract() == 0.0 && value.abs() < EXACT {
        serde_json::Value::from(value as i64)
    } else {
        serde_json::Value::from(value)
    }
}

impl<S> Layer<S> for EmfLayer
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_event(&self, event: &tracing::Event<'_>, ctx: Context<'_, S>) {
        if event.metadata().target() != TARGET {
            return;
        }
        let mut f = Fields::default();
        event.record(&mut f);
        let (Some(metric), Some(value)) = (f.metric, f.value) else {
            return;
        };
        let unit = f.unit.unwrap_or_else(|| "None".into());
        let root = ctx
            .event_scope(event)
            .and_then(|scope| scope.from_root().next());
        let Some(root) = root else {
            // Outside any invocation: at once.
            let mut one = Pending::default();
            one.add(f.result, metric, unit, value);
            return self.flush(one);
        };
        let mut extensions = root.extensions_mut();
        if extensions.get_mut::<Pending>().is_none() {
            extensions.insert(Pending::default());
        }
        let full = extensions
            .get_mut::<Pending>()
            .is_some_and(|p| p.add(f.result, metric, unit, value));
        if full && let Some(pending) = extensions.remove::<Pending>() {
            drop(extensions);
            self.flush(pending);
        }
    }

    /// The invocation yields (an await): metrics held long enough leave
    /// now, not only at its end.
    fn on_exit(&self, id: &tracing::span::Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut extensions = span.extensions_mut();
        if extensions
            .get_mut::<Pending>()
            .is_some_and(|p| p.since.elapsed() >= HOLD)
            && let Some(pending) = extensions.remove::<Pending>()
        {
            drop(extensions);
            self.flush(pending);
        }
    }

    fn on_close(&self, id: tracing::span::Id, ctx: Context<'_, S>) {
        let pending = ctx
            .span(&id)
            .and_then(|span| span.extensions_mut().remove::<Pending>());
        if let Some(pending) = pending {
            self.flush(pending);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use tracing_subscriber::layer::SubscriberExt;

    #[test]
    fn metric_events_become_emf_documents() {
        let (lines, layer) = kept("router");
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
        assert!(
            lines[0].contains(r#""Offers":2,"#),
            "a count is whole: {}",
            lines[0]
        );
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

    #[test]
    fn an_invocations_metrics_leave_as_one_document_when_it_ends() {
        let (lines, layer) = kept("webhook-ingest");
        // As init_tracing wires it: the filter keeps the invocation span only.
        let subscriber = tracing_subscriber::registry().with(layer.filtered());
        tracing::subscriber::with_default(subscriber, || {
            let invoke = tracing::info_span!("Lambda runtime invoke", requestId = "r-1");
            {
                let _in = invoke.enter();
                let _request = tracing::info_span!("request").entered();
                switchboard_core::metrics::count_by("Deliveries", "queued", 1);
                switchboard_core::metrics::count("EventsQueued", 3);
                switchboard_core::metrics::millis("RoutingLatency", 2.0);
                switchboard_core::metrics::millis("RoutingLatency", 4.5);
                // Another Result (after "queued": the metrics without one
                // ride in the first).
                switchboard_core::metrics::count_by("Sends", "sent", 1);
            }
            assert!(
                lines.lock().unwrap().is_empty(),
                "nothing before the invocation ends"
            );
            drop(invoke);
        });
        let lines = lines.lock().unwrap();
        assert_eq!(lines.len(), 2, "one document per Result: {lines:?}");
        let docs: Vec<serde_json::Value> = lines
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let queued = docs.iter().find(|d| d["Result"] == "queued").unwrap();
        let directives = &queued["_aws"]["CloudWatchMetrics"];
        assert_eq!(
            directives[0]["Dimensions"][0],
            serde_json::json!(["Function", "Result"])
        );
        assert_eq!(directives[0]["Metrics"][0]["Name"], "Deliveries");
        assert_eq!(
            directives[1]["Dimensions"][0],
            serde_json::json!(["Function"])
        );
        let names: Vec<&str> = directives[1]["Metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["Name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["EventsQueued", "RoutingLatency"]);
        assert_eq!(queued["Deliveries"], 1.0);
        assert_eq!(queued["EventsQueued"], 3.0);
        assert_eq!(queued["RoutingLatency"], serde_json::json!([2, 4.5]));
        assert_eq!(queued["Function"], "webhook-ingest");
        let sent = docs.iter().find(|d| d["Result"] == "sent").unwrap();
        assert_eq!(sent["Sends"], 1.0);
        assert_eq!(
            sent["_aws"]["CloudWatchMetrics"].as_array().unwrap().len(),
            1
        );
    }

    /// A sink keeping its lines, and the layer writing to it.
    fn kept(function: &str) -> (Arc<Mutex<Vec<String>>>, EmfLayer) {
        let lines = Arc::new(Mutex::new(Vec::<String>::new()));
        let sink_lines = lines.clone();
        let layer = EmfLayer::new(
            "Switchboard".into(),
            function.into(),
            Arc::new(move |l: &str| sink_lines.lock().unwrap().push(l.to_string())),
        );
        (lines, layer)
    }

    #[test]
    fn a_name_counted_with_and_without_a_result_leaves_in_two_documents() {
        let (lines, layer) = kept("sender");
        let subscriber = tracing_subscriber::registry().with(layer.filtered());
        tracing::subscriber::with_default(subscriber, || {
            let _invoke = tracing::info_span!("Lambda runtime invoke").entered();
            switchboard_core::metrics::count_by("Sends", "sent", 2);
            switchboard_core::metrics::count("Sends", 1);
        });
        let lines = lines.lock().unwrap();
        assert_eq!(lines.len(), 2, "{lines:?}");
        let docs: Vec<serde_json::Value> = lines
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert!(
            docs.iter()
                .any(|d| d["Result"] == "sent" && d["Sends"] == 2.0)
        );
        assert!(
            docs.iter()
                .any(|d| d.get("Result").is_none() && d["Sends"] == 1.0)
        );
    }

    #[test]
    fn metrics_held_a_second_leave_when_the_invocation_next_yields() {
        let (lines, layer) = kept("router");
        let subscriber = tracing_subscriber::registry().with(layer.filtered());
        tracing::subscriber::with_default(subscriber, || {
            let invoke = tracing::info_span!("Lambda runtime invoke");
            invoke.in_scope(|| switchboard_core::metrics::count("EventsStored", 1));
            assert!(lines.lock().unwrap().is_empty(), "held at first");
            std::thread::sleep(HOLD);
            // The next poll of the invocation enters and leaves its span.
            invoke.in_scope(|| ());
            assert_eq!(
                lines.lock().unwrap().len(),
                1,
                "out before the invocation ends (a timeout would lose it)"
            );
            drop(invoke);
        });
        assert_eq!(lines.lock().unwrap().len(), 1, "nothing twice");
    }

    #[test]
    fn a_metric_with_a_hundred_values_leaves_at_once() {
        let (lines, layer) = kept("router");
        let subscriber = tracing_subscriber::registry().with(layer);
        tracing::subscriber::with_default(subscriber, || {
            let _invoke = tracing::info_span!("Lambda runtime invoke").entered();
            for i in 0..MAX_VALUES + 1 {
                switchboard_core::metrics::millis("RoutingLatency", i as f64);
            }
            let lines = lines.lock().unwrap();
            assert_eq!(lines.len(), 1);
            let doc: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
            assert_eq!(doc["RoutingLatency"].as_array().unwrap().len(), MAX_VALUES);
        });
        let lines = lines.lock().unwrap();
        assert_eq!(lines.len(), 2, "the last value at the span's end");
        let doc: serde_json::Value = serde_json::from_str(&lines[1]).unwrap();
        assert_eq!(doc["RoutingLatency"], MAX_VALUES as f64);
    }
}
