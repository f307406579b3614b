//! Client commands: `simulate` posts a signed delivery as Meta would;
//! `conversations` and `timeline` read the admin API.

use clap::Args;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};
use switchboard_core::signature::{self, SIGNATURE_256_HEADER};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

#[derive(Args, Debug)]
pub struct SimulateArgs {
    /// Base URL of the running server.
    #[arg(long, env = "SWITCHBOARD_URL", default_value = "http://127.0.0.1:8080")]
    url: String,
    /// Channel account id (the last part of the callback URL).
    #[arg(long, default_value = "acme")]
    account: String,
    /// The account's app secret, to sign the delivery.
    #[arg(long, env = "SWITCHBOARD_APP_SECRET")]
    app_secret: String,
    /// Page the customer writes to.
    #[arg(long, default_value = "104857600000001")]
    page: String,
    /// The customer's page-scoped id.
    #[arg(long, default_value = "7700000000000001")]
    psid: String,
    /// Text the customer sends.
    #[arg(long, default_value = "Hi, my order has not arrived yet.")]
    text: String,
    /// Send this file's bytes instead (e.g. a fixture from shared/fixtures/messenger).
    #[arg(long)]
    fixture: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct ConversationsArgs {
    #[arg(long, env = "SWITCHBOARD_URL", default_value = "http://127.0.0.1:8080")]
    url: String,
    #[arg(long, env = "SWITCHBOARD_ADMIN_TOKEN")]
    admin_token: String,
    #[arg(long)]
    page: Option<String>,
    #[arg(long)]
    psid: Option<String>,
    #[arg(long)]
    state: Option<String>,
}

#[derive(Args, Debug)]
pub struct TimelineArgs {
    #[arg(long, env = "SWITCHBOARD_URL", default_value = "http://127.0.0.1:8080")]
    url: String,
    #[arg(long, env = "SWITCHBOARD_ADMIN_TOKEN")]
    admin_token: String,
    /// Conversation id (from `switchboard conversations`).
    conversation_id: String,
}

/// A one-message delivery shaped as Meta sends it.
pub fn text_delivery(page: &str, psid: &str, text: &str, now_ms: u128) -> String {
    serde_json::json!({
        "object": "page",
        "entry": [{
            "id": page,
            "time": now_ms as u64,
            "messaging": [{
                "sender": {"id": psid},
                "recipient": {"id": page},
                "timestamp": now_ms as u64,
                "message": {"mid": format!("m_sim_{now_ms}_{psid}"), "text": text}
            }]
        }]
    })
    .to_string()
}

pub async fn run(a: SimulateArgs) -> Result<()> {
    let body = match &a.fixture {
        Some(p) => std::fs::read(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?,
        None => {
            let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis();
            text_delivery(&a.page, &a.psid, &a.text, now).into_bytes()
        }
    };
    let sig = signature::sign(a.app_secret.as_bytes(), &body);
    let url = format!(
        "{}/webhooks/facebook/{}",
        a.url.trim_end_matches('/'),
        a.account
    );
    let resp = reqwest::Client::new()
        .post(&url)
        .header("content-type", "application/json")
        .header(SIGNATURE_256_HEADER, sig)
        .body(body)
        .send()
        .await
        .map_err(|e| format!("POST {url}: {e}"))?;
    let status = resp.status();
    let text = resp.text().await.unwrap_or_default();
    println!("{status} {text}");
    if !status.is_success() {
        return Err(format!("the server answered {status}").into());
    }
    Ok(())
}

async fn admin_get(url: &str, token: &str) -> Result<serde_json::Value> {
    let resp = reqwest::Client::new()
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .map_err(|e| format!("GET {url}: {e}"))?;
    let status = resp.status();
    let body: serde_json::Value = resp.json().await.map_err(|e| format!("GET {url}: {e}"))?;
    if !status.is_success() {
        return Err(format!("{status}: {}", body["detail"].as_str().unwrap_or("")).into());
    }
    Ok(body)
}

pub async fn conversations(a: ConversationsArgs) -> Result<()> {
    let mut q = form_query(&[("page_id", &a.page), ("psid", &a.psid), ("state", &a.state)]);
    if !q.is_empty() {
        q.insert(0, '?');
    }
    let body = admin_get(
        &format!("{}/admin/v1/conversations{q}", a.url.trim_end_matches('/')),
        &a.admin_token,
    )
    .await?;
    let list = body["conversations"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    println!(
        "{:<36} {:<16} {:<18} {:<8} LAST CUSTOMER MESSAGE",
        "ID", "PAGE", "PSID", "STATE"
    );
    for c in list {
        println!(
            "{:<36} {:<16} {:<18} {:<8} {}",
            c["id"].as_str().unwrap_or(""),
            c["page_id"].as_str().unwrap_or(""),
            c["psid"].as_str().unwrap_or(""),
            c["state"].as_str().unwrap_or(""),
            c["last_customer_message_at"].as_str().unwrap_or("-")
        );
    }
    Ok(())
}

pub async fn timeline(a: TimelineArgs) -> Result<()> {
    let url = format!(
        "{}/admin/v1/conversations/{}/timeline",
        a.url.trim_end_matches('/'),
        a.conversation_id
    );
    let body = admin_get(&url, &a.admin_token).await?;
    for e in body["events"].as_array().cloned().unwrap_or_default() {
        let what = e["text"]
            .as_str()
            .map(str::to_string)
            .or_else(|| {
                e["attachments"]
                    .as_array()
                    .map(|a| format!("[{} attachment(s)]", a.len()))
            })
            .unwrap_or_default();
        println!(
            "{} {:<9} {}",
            e["timestamp"].as_i64().unwrap_or_default(),
            e["kind"].as_str().unwrap_or(""),
            what
        );
    }
    Ok(())
}

#[derive(Args, Debug)]
pub struct PagesArgs {
    #[arg(long, env = "SWITCHBOARD_URL", default_value = "http://127.0.0.1:8080")]
    url: String,
    #[arg(long, env = "SWITCHBOARD_ADMIN_TOKEN")]
    admin_token: String,
}

pub async fn pages(a: PagesArgs) -> Result<()> {
    let base = a.url.trim_end_matches('/');
    let accounts = admin_get(&format!("{base}/admin/v1/accounts"), &a.admin_token).await?;
    println!(
        "{:<20} {:<18} {:<24} {:<15} REASON",
        "ACCOUNT", "PAGE", "NAME", "STATE"
    );
    for acct in accounts["accounts"].as_array().cloned().unwrap_or_default() {
        let id = acct["id"].as_str().unwrap_or_default();
        let pages = admin_get(
            &format!("{base}/admin/v1/accounts/{id}/pages"),
            &a.admin_token,
        )
        .await?;
        for p in pages["pages"].as_array().cloned().unwrap_or_default() {
            println!(
                "{:<20} {:<18} {:<24} {:<15} {}",
                id,
                p["page_id"].as_str().unwrap_or(""),
                p["name"].as_str().unwrap_or(""),
                p["provisioning"]["state"].as_str().unwrap_or(""),
                p["provisioning"]["reason"].as_str().unwrap_or("")
            );
        }
    }
    let alerts = admin_get(&format!("{base}/admin/v1/alerts"), &a.admin_token).await?;
    for al in alerts["alerts"].as_array().cloned().unwrap_or_default() {
        println!(
            "alert: {} page {}: {}",
            al["kind"].as_str().unwrap_or(""),
            al["page_id"].as_str().unwrap_or(""),
            al["message"].as_str().unwrap_or("")
        );
    }
    Ok(())
}

fn form_query(pairs: &[(&str, &Option<String>)]) -> String {
    pairs
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}")))
        .collect::<Vec<_>>()
        .join("&")
}
