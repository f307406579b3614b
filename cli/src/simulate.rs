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
    /// Send this file's bytes instead (e.g. a fixture from tests/fixtures/messenger).
    #[arg(long)]
    fixture: Option<PathBuf>,
    /// Tap a quick reply: its payload (e.g. a survey answer `SURVEY:cv_...:5:<token>`,
    /// shown by `switchboard agent show` / the fake Graph log).
    #[arg(long)]
    quick_reply: Option<String>,
    /// Tap a quick reply Switchboard sent this customer, by its title (a
    /// survey's `5`): looked up in the newest message that offered some.
    #[arg(long, conflicts_with_all = ["quick_reply", "fixture"])]
    tap: Option<String>,
    /// For --tap under a server other than the local serve.
    #[arg(long, env = "SWITCHBOARD_ADMIN_TOKEN")]
    admin_token: Option<String>,
    /// Sent this long ago (45s, 90m, 30h or 8d): Meta's timestamp and the
    /// entry's time are now minus the age, as when Meta delivers a message
    /// late. Try the messaging window: after 24 hours an agent may answer
    /// only with the HUMAN_AGENT tag (up to 7 days), else the conversation
    /// is follow-up work (see `switchboard routing last`).
    #[arg(long, value_name = "AGE", value_parser = crate::age::parse, allow_hyphen_values = true, conflicts_with = "fixture")]
    age: Option<u64>,
    /// Send Meta's data-deletion request for this person instead (their
    /// app-scoped id; `switchboard fake-graph` maps it to the same number on
    /// every page that subscribed). Prints the status URL and code.
    #[arg(long, value_name = "USER_ID", conflicts_with_all = ["fixture", "tap", "quick_reply", "age"])]
    data_deletion: Option<String>,
}

#[derive(Args, Debug)]
pub struct ConversationsArgs {
    #[arg(long, env = "SWITCHBOARD_URL", default_value = "http://127.0.0.1:8080")]
    url: String,
    #[arg(long, env = "SWITCHBOARD_ADMIN_TOKEN")]
    admin_token: Option<String>,
    #[arg(long)]
    page: Option<String>,
    #[arg(long)]
    psid: Option<String>,
    #[arg(long)]
    state: Option<String>,
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

/// Meta's data-deletion callback for `user`, signed with the app secret.
async fn data_deletion(a: &SimulateArgs, user: &str) -> Result<()> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    let payload = serde_json::json!({
        "algorithm": "HMAC-SHA256", "user_id": user, "issued_at": now, "expires": 0
    });
    let signed = switchboard_core::privacy::deletion::sign(&payload, a.app_secret.as_bytes());
    let url = format!(
        "{}/webhooks/facebook/{}/data-deletion",
        a.url.trim_end_matches('/'),
        a.account
    );
    let form = form_urlencoded::Serializer::new(String::new())
        .append_pair("signed_request", &signed)
        .finish();
    post(
        &url,
        "application/x-www-form-urlencoded",
        None,
        form.into_bytes(),
    )
    .await
}

pub async fn run(a: SimulateArgs) -> Result<()> {
    if let Some(user) = &a.data_deletion {
        return data_deletion(&a, user).await;
    }
    let body = match &a.fixture {
        Some(p) => std::fs::read(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?,
        None => {
            let base = a.url.trim_end_matches('/');
            let (text, quick_reply) = match &a.tap {
                Some(title) => {
                    let token = crate::local_token::resolve(a.admin_token.as_deref(), base)?;
                    let p = crate::tap::payload(base, &token, &a.page, &a.psid, title).await?;
                    (title.as_str(), Some(p))
                }
                None => (a.text.as_str(), a.quick_reply.clone()),
            };
            let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis();
            let sent = now.saturating_sub(u128::from(a.age.unwrap_or(0)));
            let mut v: serde_json::Value =
                serde_json::from_str(&text_delivery(&a.page, &a.psid, text, sent))?;
            if let Some(p) = quick_reply {
                v["entry"][0]["messaging"][0]["message"]["quick_reply"] =
                    serde_json::json!({ "payload": p });
            }
            v.to_string().into_bytes()
        }
    };
    let sig = signature::sign(a.app_secret.as_bytes(), &body);
    let url = format!(
        "{}/webhooks/facebook/{}",
        a.url.trim_end_matches('/'),
        a.account
    );
    post(&url, "application/json", Some(sig), body).await
}

/// POST `body` as Meta would (signed when `sig` is given); print the answer.
async fn post(url: &str, content_type: &str, sig: Option<String>, body: Vec<u8>) -> Result<()> {
    let mut req = reqwest::Client::new()
        .post(url)
        .header("content-type", content_type);
    if let Some(sig) = sig {
        req = req.header(SIGNATURE_256_HEADER, sig);
    }
    let resp = req
        .body(body)
        .send()
        .await
        .map_err(|e| format!("POST {url}: {e}"))?;
    let status = resp.status();
    let text = resp.text().await.unwrap_or_default();
    out!("{status} {text}");
    if !status.is_success() {
        return Err(format!("the server answered {status}").into());
    }
    Ok(())
}

pub(crate) async fn admin_get(url: &str, token: &str) -> Result<serde_json::Value> {
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
        &crate::local_token::resolve(a.admin_token.as_deref(), &a.url)?,
    )
    .await?;
    let list = body["conversations"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    out!(
        "{:<36} {:<16} {:<18} {:<8} LAST CUSTOMER MESSAGE",
        "ID",
        "PAGE",
        "PSID",
        "STATE"
    );
    for c in list {
        out!(
            "{:<36} {:<16} {:<18} {:<8} {}{}",
            c["id"].as_str().unwrap_or(""),
            c["page_id"].as_str().unwrap_or(""),
            c["psid"].as_str().unwrap_or(""),
            c["state"].as_str().unwrap_or(""),
            crate::transcript::local_time(c["last_customer_message_at"].as_str().unwrap_or("-")),
            follow_up_note(&c["routing"]["follow_up"])
        );
    }
    Ok(())
}

/// What a list line adds for follow-up work (a conversation's
/// `follow_up` mark: its window had closed when it was routed).
pub(crate) fn follow_up_note(mark: &serde_json::Value) -> String {
    match mark["since"].as_str() {
        Some(since) => format!("   follow-up: window closed {since} (costs no capacity)"),
        None => String::new(),
    }
}

/// `id`, or for `last` the newest conversation (the admin API lists newest first).
pub async fn newest_or(id: &str, base: &str, token: &str) -> Result<String> {
    if id != crate::last::LAST {
        return Ok(id.to_string());
    }
    let list = admin_get(&format!("{base}/admin/v1/conversations?limit=1"), token).await?;
    Ok(crate::last::newest(&list)?)
}

#[derive(Args, Debug)]
pub struct PagesArgs {
    #[arg(long, env = "SWITCHBOARD_URL", default_value = "http://127.0.0.1:8080")]
    url: String,
    #[arg(long, env = "SWITCHBOARD_ADMIN_TOKEN")]
    admin_token: Option<String>,
}

pub async fn pages(a: PagesArgs) -> Result<()> {
    let base = a.url.trim_end_matches('/');
    let token = crate::local_token::resolve(a.admin_token.as_deref(), &a.url)?;
    let accounts = admin_get(&format!("{base}/admin/v1/accounts"), &token).await?;
    out!(
        "{:<20} {:<18} {:<24} {:<15} REASON",
        "ACCOUNT",
        "PAGE",
        "NAME",
        "STATE"
    );
    for acct in accounts["accounts"].as_array().cloned().unwrap_or_default() {
        let id = acct["id"].as_str().unwrap_or_default();
        let pages = admin_get(&format!("{base}/admin/v1/accounts/{id}/pages"), &token).await?;
        for p in pages["pages"].as_array().cloned().unwrap_or_default() {
            out!(
                "{:<20} {:<18} {:<24} {:<15} {}",
                id,
                p["page_id"].as_str().unwrap_or(""),
                p["name"].as_str().unwrap_or(""),
                p["provisioning"]["state"].as_str().unwrap_or(""),
                p["provisioning"]["reason"].as_str().unwrap_or("")
            );
        }
    }
    let alerts = admin_get(&format!("{base}/admin/v1/alerts"), &token).await?;
    for al in alerts["alerts"].as_array().cloned().unwrap_or_default() {
        out!(
            "alert: {} page {}: {}",
            al["kind"].as_str().unwrap_or(""),
            al["page_id"].as_str().unwrap_or(""),
            al["message"].as_str().unwrap_or("")
        );
    }
    Ok(())
}

#[derive(Args, Debug)]
pub struct ApplyArgs {
    /// The configuration file (YAML; `${NAME}` values come from the environment).
    #[arg(short = 'f', long = "file")]
    file: PathBuf,
    /// Print what would change, change nothing.
    #[arg(long)]
    dry_run: bool,
    #[arg(long, env = "SWITCHBOARD_URL", default_value = "http://127.0.0.1:8080")]
    url: String,
    #[arg(long, env = "SWITCHBOARD_ADMIN_TOKEN")]
    admin_token: Option<String>,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// Where to write the file (default: standard output).
    #[arg(short = 'o', long = "output")]
    output: Option<PathBuf>,
    #[arg(long, env = "SWITCHBOARD_URL", default_value = "http://127.0.0.1:8080")]
    url: String,
    #[arg(long, env = "SWITCHBOARD_ADMIN_TOKEN")]
    admin_token: Option<String>,
}

pub async fn apply(a: ApplyArgs) -> Result<()> {
    let yaml = std::fs::read_to_string(&a.file)
        .map_err(|e| format!("cannot read {}: {e}", a.file.display()))?;
    let config = switchboard_core::config::Config::parse(&yaml, &|k| std::env::var(k).ok())?;
    let url = format!(
        "{}/admin/v1/apply{}",
        a.url.trim_end_matches('/'),
        if a.dry_run { "?dry_run=true" } else { "" }
    );
    let resp = reqwest::Client::new()
        .post(&url)
        .bearer_auth(&crate::local_token::resolve(
            a.admin_token.as_deref(),
            &a.url,
        )?)
        .json(&config.to_desired_json())
        .send()
        .await
        .map_err(|e| format!("POST {url}: {e}"))?;
    let status = resp.status();
    let body: serde_json::Value = resp.json().await.map_err(|e| format!("POST {url}: {e}"))?;
    if !status.is_success() {
        return Err(format!("{status}: {}", body["detail"].as_str().unwrap_or("")).into());
    }
    let changes = body["changes"].as_array().cloned().unwrap_or_default();
    let verb = if a.dry_run { "would" } else { "did" };
    if changes.is_empty() {
        out!("no changes");
    }
    for c in changes {
        out!("{verb}: {}", c.as_str().unwrap_or(""));
    }
    for (account, token) in body["verify_tokens"].as_object().into_iter().flatten() {
        out!(
            "account {account}: generated verify token (shown once): {}",
            token.as_str().unwrap_or("")
        );
    }
    for p in body["not_running"].as_array().into_iter().flatten() {
        out!("warning: {}", p.as_str().unwrap_or(""));
    }
    Ok(())
}

/// `acme-eu` -> `ACME_EU`.
fn env_name(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

pub async fn export(a: ExportArgs) -> Result<()> {
    let base = a.url.trim_end_matches('/');
    let state = admin_get(
        &format!("{base}/admin/v1/export"),
        &crate::local_token::resolve(a.admin_token.as_deref(), &a.url)?,
    )
    .await?;
    let q =
        |v: &serde_json::Value| serde_json::to_string(v.as_str().unwrap_or("")).unwrap_or_default();
    let mut out =
        String::from("# Exported by switchboard export; secrets are read from the environment.\n");
    out += &format!("public_url: {}\n", q(&state["public_url"]));
    out += "accounts:\n";
    for acct in state["accounts"].as_array().into_iter().flatten() {
        let id = acct["id"].as_str().unwrap_or("");
        out += &format!(
            "  - id: {id}\n    name: {}\n    app_id: {}\n",
            q(&acct["name"]),
            q(&acct["app_id"])
        );
        out += &format!(
            "    app_secret: ${{{}_APP_SECRET}}\n    verify_token: ${{{}_VERIFY_TOKEN}}\n",
            env_name(id),
            env_name(id)
        );
        out += "    pages:\n";
        for p in acct["pages"].as_array().into_iter().flatten() {
            let pid = p["page_id"].as_str().unwrap_or("");
            out += &format!(
                "      - page_id: {}\n        name: {}\n",
                q(&p["page_id"]),
                q(&p["name"])
            );
            // Left out, the stored token is kept; to connect the page
            // elsewhere, name it.
            out += &format!("        # access_token: ${{PAGE_{pid}_TOKEN}}\n");
        }
    }
    out += "workstreams:\n";
    for ws in state["workstreams"].as_array().into_iter().flatten() {
        out += &format!(
            "  - id: {}\n    name: {}\n    locale: {}\n",
            q(&ws["id"]),
            q(&ws["name"]),
            q(&ws["locale"])
        );
        out += &format!("    pages: {}\n", ws["pages"]);
        out += &format!("    features: {}\n", ws["features"]);
        out += &format!("    distribution: {}\n", ws["distribution"]);
        for key in ["automated_messages", "survey"] {
            if !ws[key].is_null() {
                out += &format!("    {key}: {}\n", ws[key]);
            }
        }
    }
    // Routing, as flow-style JSON (which is YAML), timestamps left out.
    for section in ["queues", "agents", "rulesets", "canned_responses"] {
        out += &format!("{section}:\n");
        for item in state[section].as_array().into_iter().flatten() {
            let mut item = item.clone();
            if let Some(o) = item.as_object_mut() {
                o.remove("created_at");
                o.remove("updated_at");
            }
            out += &format!("  - {item}\n");
        }
    }
    match &a.output {
        Some(path) => std::fs::write(path, out)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?,
        None => {
            use std::io::Write as _;
            if let Err(e) = std::io::stdout().lock().write_all(out.as_bytes()) {
                crate::stdout_failed(e);
            }
        }
    }
    Ok(())
}

pub(crate) fn form_query(pairs: &[(&str, &Option<String>)]) -> String {
    pairs
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}")))
        .collect::<Vec<_>>()
        .join("&")
}
