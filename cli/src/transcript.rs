//! Printing a conversation for a person at a terminal: transcript lines
//! (both sides, with each outbound message's status) and times in the
//! machine's local time zone.

use serde_json::Value;

/// `at` (RFC 3339) in local time, `2026-11-30 09:15:02`; as given when it
/// does not parse.
pub fn local_time(at: &str) -> String {
    at.parse::<jiff::Timestamp>()
        .map(local)
        .unwrap_or_else(|_| at.to_string())
}

/// Meta's milliseconds in local time; as given when out of range.
pub fn local_millis(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(local)
        .unwrap_or_else(|_| ms.to_string())
}

fn local(t: jiff::Timestamp) -> String {
    t.to_zoned_datetime(jiff::tz::TimeZone::system())
        .strftime("%Y-%m-%d %H:%M:%S")
        .to_string()
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or("-")
}

/// One transcript entry: when, who, what, and for ours its status (and
/// Meta's reason when it failed); the quick replies it offered below it.
pub fn entry_lines(e: &Value) -> Vec<String> {
    let status = e["status"]
        .as_str()
        .map(|st| format!(" [{st}]"))
        .unwrap_or_default();
    let text = what(e);
    let failure = e["failure"]["reason"]
        .as_str()
        .map(|r| format!(" ({r})"))
        .unwrap_or_default();
    let who = match (s(&e["from"]), e["agent_id"].as_str()) {
        (from @ ("agent" | "note"), Some(agent)) => format!("{from} {agent}"),
        (from, _) => from.to_string(),
    };
    let mut lines = vec![format!(
        "{} {who:<14} {text}{status}{failure}",
        local_time(s(&e["at"]))
    )];
    for q in e["quick_replies"].as_array().into_iter().flatten() {
        lines.push(format!(
            "{:>34} [{}] payload {}",
            "",
            s(&q["title"]),
            s(&q["payload"])
        ));
    }
    lines
}

/// One raw inbound event: Meta's time (local), its kind, and its text or
/// how many attachments it had.
pub fn event_line(e: &Value) -> String {
    format!(
        "{} {:<9} {}",
        e["timestamp"]
            .as_i64()
            .map(local_millis)
            .unwrap_or_else(|| "-".into()),
        e["kind"].as_str().unwrap_or(""),
        what(e)
    )
}

/// An entry's or event's text, or how many attachments it carried.
fn what(e: &Value) -> String {
    e["text"]
        .as_str()
        .map(str::to_string)
        .or_else(|| {
            e["attachments"]
                .as_array()
                .map(|a| format!("[{} attachment(s)]", a.len()))
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn times_are_local_and_bad_ones_are_shown_as_given() {
        let t = local_time("2026-11-30T09:15:02Z");
        assert_eq!(t.len(), "2026-11-30 09:15:02".len(), "{t}");
        assert!(!t.contains('T') && !t.contains('Z'), "{t}");
        assert_eq!(local_time("yesterday"), "yesterday");
        assert_eq!(local_millis(i64::MAX), i64::MAX.to_string());
        assert_eq!(
            local_millis(1_764_494_102_000),
            local_time("2025-11-30T09:15:02Z")
        );
    }

    #[test]
    fn an_outbound_entry_shows_who_its_status_and_its_quick_replies() {
        let lines = entry_lines(&json!({
            "at": "2026-11-30T09:15:02Z", "from": "agent", "agent_id": "anna",
            "text": "Hej!", "status": "failed", "failure": {"reason": "outside the window"},
            "quick_replies": [{"title": "5", "payload": "SURVEY:x"}]
        }));
        assert!(
            lines[0].ends_with("agent anna     Hej! [failed] (outside the window)"),
            "{lines:?}"
        );
        assert_eq!(lines[1].trim(), "[5] payload SURVEY:x");
        let note =
            entry_lines(&json!({"at": "x", "from": "note", "agent_id": "bo", "text": "VIP"}));
        assert_eq!(note, vec!["x note bo        VIP".to_string()]);
    }

    #[test]
    fn an_event_line_has_local_time_kind_and_text() {
        let l = event_line(
            &json!({"timestamp": 1_764_494_102_000_i64, "kind": "message", "attachments": [{}, {}]}),
        );
        assert!(l.starts_with(&local_millis(1_764_494_102_000)), "{l}");
        assert!(l.ends_with("message   [2 attachment(s)]"), "{l}");
    }
}
