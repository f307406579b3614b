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
//! a trace up by.

use std::collections::HashSet;
use std::fmt;
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::{JsonFields, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

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

/// A line's fields in order, each name once (the first one given wins:
/// the event's own, then the innermost span's).
#[derive(Default)]
struct Line {
    seen: HashSet<String>,
    fields: Vec<(String, serde_json::Value)>,
}

impl Line {
    fn push(&mut self, name: &str, value: serde_json::Value) {
        if !self.seen.insert(name.to_string()) {
            return;
        }
        let value = match value {
            serde_json::Value::String(header) if name == TRACE_FIELD => trace_id(&header).into(),
            other => other,
        };
        self.fields.push((name.to_string(), value));
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
/// header as it is when it names none.
fn trace_id(header: &str) -> String {
    header
        .split(';')
        .find_map(|part| part.trim().strip_prefix("Root="))
        .unwrap_or(header)
        .to_string()
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
        let out = Arc::new(Mutex::new(Vec::<u8>::new()));
        let sink = out.clone();
        let layer = tracing_subscriber::fmt::layer()
            .fmt_fields(JsonFields::new())
            .event_format(FlatJson)
            .with_writer(move || Buffer(sink.clone()));
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
    fn a_trace_header_without_a_root_is_kept_whole() {
        assert_eq!(trace_id("Root=1-a-b;Parent=c"), "1-a-b");
        assert_eq!(trace_id("Parent=c; Root=1-a-b"), "1-a-b");
        assert_eq!(trace_id("opaque"), "opaque");
    }
}
