//! The Lambda functions' JSON log line: one flat object per event, its
//! level, message and fields first, then the fields of the spans it is in
//! (innermost first), with no span names and no list around them.
//!
//! CloudWatch Logs bills every byte ingested. `tracing-subscriber`'s JSON
//! format wraps the span fields in `"spans":[{…,"name":"Lambda runtime
//! invoke"}]`, about 43 bytes on each line, and carries the runtime's whole
//! `X-Amzn-Trace-Id` header (`Root=…;Parent=…;Sampled=…`). Here a line has
//! `requestId` at its top level, where Logs Insights filters on it, and
//! `xrayTraceId` is the trace id alone (`1-…`), which is what X-Ray looks
//! a trace up by, left out when the header says the request was not
//! sampled (X-Ray holds no trace of it).

use std::collections::HashSet;
use std::fmt;
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::{JsonFields, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

/// What the logs keep at `level` (an `EnvFilter` directive: `info`,
/// `warn`, `router=debug`...): its events, never the metric events (they
/// leave as EMF, not a second time as log lines), and every span at info
/// or above whatever the level, so that a warning at `warn` still carries
/// the invocation's `requestId` and the queue message's ids.
pub fn logs_filter<S>(level: &str) -> impl tracing_subscriber::layer::Filter<S> + use<S>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    use tracing_subscriber::filter::{EnvFilter, FilterExt, filter_fn};
    // Lambda's own levels include FATAL, which `EnvFilter` would read as a
    // target's name.
    let level = if level.eq_ignore_ascii_case("fatal") {
        "error"
    } else {
        level
    };
    let events = EnvFilter::new(format!("{level},switchboard::metric=off"));
    let spans = filter_fn(|meta| meta.is_span() && *meta.level() <= tracing::Level::INFO);
    events.or(spans)
}

/// The span field that carries the runtime's trace header.
const TRACE_FIELD: &str = "xrayTraceId";

/// The event format (use with [`JsonFields`] as the field format, which
/// keeps each span's fields as a JSON object).
pub struct FlatJson;

impl<S> FormatEvent<S, JsonFields> for FlatJson
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, JsonFields>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut line = Line::default();
        line.push("level", event.metadata().level().as_str().into());
        event.record(&mut line);
        line.in_spans = true;
        for span in ctx.event_scope().into_iter().flatten() {
            let extensions = span.extensions();
            let Some(fields) = extensions.get::<FormattedFields<JsonFields>>() else {
                continue;
            };
            if let Ok(serde_json::Value::Object(map)) = serde_json::from_str(fields) {
                for (name, value) in map {
                    line.push(&name, value);
                }
            }
        }
        writeln!(writer, "{}", line.render())
    }
}

/// A line's fields in order, each name once: the event's own first (a
/// name it gives twice, as `message` beside the format string, is kept
/// under `name_2`), then each span's, innermost first, where a name
/// already given is left out.
#[derive(Default)]
struct Line {
    seen: HashSet<String>,
    fields: Vec<(String, serde_json::Value)>,
    /// The event's fields are written: a name seen now is a span's.
    in_spans: bool,
}

impl Line {
    fn push(&mut self, name: &str, value: serde_json::Value) {
        let base = name;
        let mut name = base.to_string();
        if !self.in_spans {
            let mut n = 2;
            while self.seen.contains(&name) {
                name = format!("{base}_{n}");
                n += 1;
            }
        }
        if !self.seen.insert(name.clone()) {
            return;
        }
        let value = match value {
            serde_json::Value::String(header) if name == TRACE_FIELD => match trace_id(&header) {
                Some(id) => id.into(),
                None => return,
            },
            other => other,
        };
        self.fields.push((name, value));
    }

    fn render(&self) -> String {
        let mut out = String::from("{");
        for (i, (name, value)) in self.fields.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&serde_json::Value::from(name.as_str()).to_string());
            out.push(':');
            out.push_str(&value.to_string());
        }
        out.push('}');
        out
    }
}

/// The trace id in an `X-Amzn-Trace-Id` header (its `Root`), or the
/// header as it is when it names none; `None` when the header says the
/// request was not sampled (`Sampled=0`): X-Ray holds no trace for it,
/// and most requests are not sampled.
fn trace_id(header: &str) -> Option<String> {
    let parts = || header.split(';').map(str::trim);
    if parts().any(|part| part == "Sampled=0") {
        return None;
    }
    Some(
        parts()
            .find_map(|part| part.strip_prefix("Root="))
            .unwrap_or(header)
            .to_string(),
    )
}

impl Visit for Line {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.push(field.name(), value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.push(field.name(), value.into());
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.push(field.name(), value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.push(field.name(), value.into());
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.push(field.name(), value.into());
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.push(field.name(), value.to_string().into());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.push(field.name(), format!("{value:?}").into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use tracing_subscriber::layer::SubscriberExt;

    /// The lines `f` logs through [`FlatJson`], parsed.
    fn lines(f: impl FnOnce()) -> Vec<serde_json::Value> {
        raw_lines(f)
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// The lines `f` logs through [`FlatJson`], as written.
    fn raw_lines(f: impl FnOnce()) -> Vec<String> {
        raw_lines_at("trace", f)
    }

    /// The lines `f` logs through [`FlatJson`] at `level`, as written.
    fn raw_lines_at(level: &str, f: impl FnOnce()) -> Vec<String> {
        use tracing_subscriber::Layer;
        let out = Arc::new(Mutex::new(Vec::<u8>::new()));
        let sink = out.clone();
        let layer = tracing_subscriber::fmt::layer()
            .fmt_fields(JsonFields::new())
            .event_format(FlatJson)
            .with_writer(move || Buffer(sink.clone()))
            .with_filter(logs_filter(level));
        let subscriber = tracing_subscriber::registry().with(layer);
        tracing::subscriber::with_default(subscriber, f);
        let bytes = out.lock().map(|b| b.clone()).unwrap_or_default();
        String::from_utf8_lossy(&bytes)
            .lines()
            .map(str::to_string)
            .collect()
    }

    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if let Ok(mut b) = self.0.lock() {
                b.extend_from_slice(buf);
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn span_fields_are_flattened_after_the_events_own() {
        let got = lines(|| {
            let invoke = tracing::info_span!(
                "Lambda runtime invoke",
                requestId = "r-1",
                xrayTraceId =
                    "Root=1-6b10d014-e552cc4f1ffd19afd5fa8a34;Parent=391fc9a3a7c69a19;Sampled=1"
            );
            let _invoke = invoke.enter();
            let message = tracing::info_span!("message", message_id = "m-1", attempt = 2);
            let _message = message.enter();
            tracing::warn!(attempt = 3, stored = true, "batch processed");
        });
        let [line] = got.as_slice() else {
            panic!("one line, got {got:?}")
        };
        let object = line.as_object().unwrap();
        let keys: Vec<&str> = object.keys().map(String::as_str).collect();
        let mut expected = vec![
            "level",
            "message",
            "attempt",
            "stored",
            "message_id",
            "requestId",
            "xrayTraceId",
        ];
        expected.sort();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(sorted, expected, "no span names, no span list");
        assert_eq!(line["level"], "WARN");
        assert_eq!(line["message"], "batch processed");
        assert_eq!(
            line["attempt"], 3,
            "the event's own field wins over a span's"
        );
        assert_eq!(line["stored"], true);
        assert_eq!(line["message_id"], "m-1");
        assert_eq!(line["requestId"], "r-1");
        assert_eq!(line["xrayTraceId"], "1-6b10d014-e552cc4f1ffd19afd5fa8a34");
    }

    #[test]
    fn the_event_comes_first_and_lines_without_spans_are_plain() {
        let got =
            raw_lines(|| tracing::info!(account_id = "acme", events = 1_u64, "delivery queued"));
        assert_eq!(
            got.concat(),
            r#"{"level":"INFO","message":"delivery queued","account_id":"acme","events":1}"#
        );
    }

    #[test]
    fn at_warn_a_warning_keeps_its_spans_fields_and_metrics_stay_out() {
        let got = raw_lines_at("warn", || {
            let invoke = tracing::info_span!("Lambda runtime invoke", requestId = "r-1");
            let _invoke = invoke.enter();
            tracing::info!("not at warn");
            switchboard_core::metrics::count("EventsStored", 1);
            tracing::warn!("a warning");
        });
        assert_eq!(
            got.concat(),
            r#"{"level":"WARN","message":"a warning","requestId":"r-1"}"#
        );
    }

    #[test]
    fn metric_events_and_events_below_the_level_stay_out() {
        let got = raw_lines_at("info", || {
            tracing::debug!("below the level");
            switchboard_core::metrics::count("EventsStored", 1);
            tracing::info!("kept");
        });
        assert_eq!(got.concat(), r#"{"level":"INFO","message":"kept"}"#);
        let all = raw_lines_at("trace", || {
            switchboard_core::metrics::count("EventsStored", 1);
            tracing::trace!("kept");
        });
        assert_eq!(all.concat(), r#"{"level":"TRACE","message":"kept"}"#);
    }

    #[test]
    fn lambdas_fatal_level_keeps_errors() {
        let got = raw_lines_at("FATAL", || {
            tracing::warn!("below it");
            tracing::error!("kept");
        });
        assert_eq!(got.concat(), r#"{"level":"ERROR","message":"kept"}"#);
    }

    #[test]
    fn a_trace_header_gives_its_root_when_sampled() {
        assert_eq!(trace_id("Root=1-a-b;Parent=c").as_deref(), Some("1-a-b"));
        assert_eq!(
            trace_id("Parent=c; Root=1-a-b;Sampled=1").as_deref(),
            Some("1-a-b")
        );
        assert_eq!(trace_id("opaque").as_deref(), Some("opaque"));
        assert_eq!(trace_id("Root=1-a-b;Parent=c;Sampled=0"), None);
    }

    #[test]
    fn an_unsampled_request_has_no_trace_id_and_a_repeated_name_is_kept() {
        let got = raw_lines(|| {
            let invoke = tracing::info_span!(
                "Lambda runtime invoke",
                requestId = "r-1",
                xrayTraceId = "Root=1-a-b;Parent=c;Sampled=0"
            );
            let _invoke = invoke.enter();
            tracing::warn!(message = "the page token expired", "page alert");
        });
        assert_eq!(
            got.concat(),
            r#"{"level":"WARN","message":"page alert","message_2":"the page token expired","requestId":"r-1"}"#
        );
    }
}
