//! `switchboard sample-bot`: a small workstream bot to try the bot flow
//! offline, and to read as the shape of a real one (in any language). It
//! checks each delivery's signature with its secret, as Switchboard checks
//! Meta's, then answers in the HTTP response: opening hours and order
//! status it answers itself; "that's all" ends the conversation; invoices
//! go to humans with skill billing >= 5 and topic billing (the example's
//! rules route that topic to Billing); anything else goes to humans too.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;
use switchboard_core::bot::SIGNATURE_HEADER;
use switchboard_core::bot::wire::Delivery;

#[derive(clap::Args)]
pub struct SampleBotArgs {
    /// Address to listen on (the workstream's bot url is http://ADDR/events).
    #[arg(long, default_value = "127.0.0.1:8070")]
    pub addr: String,
    /// The secret shared with the workstream's bot settings.
    #[arg(long, env = "SWITCHBOARD_BOT_SECRET")]
    pub secret: String,
}

fn has(text: &str, words: &[&str]) -> bool {
    words.iter().any(|w| text.contains(w))
}

/// What the bot says to one customer event.
pub fn answer(d: &Delivery) -> Value {
    let text = d.event.text.clone().unwrap_or_default().to_lowercase();
    let payload = d.event.payload.clone().unwrap_or_default();
    let menu = json!([{"title": "Opening hours", "payload": "HOURS"},
        {"title": "My order", "payload": "ORDER"}, {"title": "A person", "payload": "HUMAN"}]);
    if payload == "GET_STARTED" || matches!(text.trim(), "hi" | "hello" | "hej") {
        return json!({"messages": [{"text": "Hi! I can tell you our opening hours or where your order is.", "quick_replies": menu}]});
    }
    if payload == "HOURS" || has(&text, &["open", "hours", "åbent", "åbning"]) {
        return json!({"messages": [{"text": "We are open Monday to Friday, 9:00 to 17:00.",
            "quick_replies": [{"title": "That's all", "payload": "DONE"}, {"title": "A person", "payload": "HUMAN"}]}]});
    }
    if payload == "ORDER" || has(&text, &["order", "ordre", "delivery", "levering"]) {
        return json!({"messages": [{"text": "Orders ship within 2 working days; you get a tracking link by email.",
            "quick_replies": [{"title": "That's all", "payload": "DONE"}, {"title": "A person", "payload": "HUMAN"}]}]});
    }
    if payload == "DONE" || has(&text, &["that's all", "thanks", "tak"]) {
        return json!({"messages": [{"text": "Glad to help. Have a good day!"}], "end": true});
    }
    if has(&text, &["invoice", "faktura", "bill", "refund"]) {
        return json!({"messages": [{"text": "That needs a person from Billing; I am passing you on."}],
            "escalate": {"reason": format!("invoice question: {:?}", d.event.text.clone().unwrap_or_default()),
                         "skills": {"billing": 5}, "attributes": {"topic": "billing"}, "priority": 1}});
    }
    json!({"messages": [{"text": "Let me find a person who can help."}],
        "escalate": {"reason": if payload == "HUMAN" { "the customer asked for a person".to_string() }
                               else { format!("the bot did not understand: {:?}", d.event.text.clone().unwrap_or_default()) }}})
}

async fn events(
    State(secret): State<Arc<String>>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, String) {
    let sig = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
    if let Err(e) = switchboard_core::signature::verify(secret.as_bytes(), &body, sig, false) {
        tracing::warn!(error = %e, "refused a delivery");
        return (StatusCode::UNAUTHORIZED, format!("{e}"));
    }
    let Ok(d) = serde_json::from_slice::<Delivery>(&body) else {
        return (StatusCode::BAD_REQUEST, "not a delivery".into());
    };
    let a = answer(&d);
    tracing::info!(conversation = %d.conversation.id, text = ?d.event.text, answer = %a, "answered");
    (StatusCode::OK, a.to_string())
}

pub async fn run(args: SampleBotArgs) -> Result<(), Box<dyn std::error::Error>> {
    if args.secret.len() < 16 {
        return Err(
            "the bot secret needs at least 16 characters (--secret or SWITCHBOARD_BOT_SECRET)"
                .into(),
        );
    }
    let app = axum::Router::new()
        .route("/events", axum::routing::post(events))
        .with_state(Arc::new(args.secret));
    let listener = tokio::net::TcpListener::bind(&args.addr)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.addr))?;
    out!("sample bot on http://{}/events", listener.local_addr()?);
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn says(text: &str) -> Value {
        let d: Delivery = serde_json::from_value(json!({"delivery_id": "k",
            "conversation": {"id": "cv_1", "workstream": "support", "page_id": "1", "psid": "2", "contact_id": "ct_1"},
            "event": {"kind": "message", "timestamp": "2026-12-01T09:00:00.000Z", "text": text}}))
        .unwrap();
        answer(&d)
    }

    #[test]
    fn it_answers_hours_and_orders_and_hands_over_the_rest() {
        assert!(
            says("When are you open?")["messages"][0]["text"]
                .as_str()
                .unwrap()
                .contains("9:00")
        );
        assert!(says("Where is my order")["escalate"].is_null());
        assert_eq!(says("That's all, thanks")["end"], true);
        let invoice = says("My invoice is wrong");
        assert_eq!(invoice["escalate"]["skills"]["billing"], 5);
        assert_eq!(invoice["escalate"]["attributes"]["topic"], "billing");
        assert!(
            says("blah")["escalate"]["reason"]
                .as_str()
                .unwrap()
                .contains("did not understand")
        );
        // Every answer is one Switchboard takes.
        for t in ["hi", "open", "order", "thanks", "invoice", "blah"] {
            let raw = says(t).to_string();
            assert!(
                switchboard_core::bot::flow::parse_reply(raw.as_bytes()).is_ok(),
                "{raw}"
            );
        }
    }
}
