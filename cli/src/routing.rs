//! Routing from the command line (admin API): agents and their presence,
//! and why a conversation went where it did.

use crate::simulate::admin_get;
use clap::Args;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

#[derive(Args, Debug)]
pub struct Admin {
    #[arg(long, env = "SWITCHBOARD_URL", default_value = "http://127.0.0.1:8080")]
    url: String,
    #[arg(long, env = "SWITCHBOARD_ADMIN_TOKEN")]
    admin_token: Option<String>,
}

impl Admin {
    /// The admin token given, or the one a local serve recorded.
    fn token(&self) -> std::result::Result<String, String> {
        crate::local_token::resolve(self.admin_token.as_deref(), &self.url)
    }

    fn url(&self, path: &str) -> String {
        format!("{}/admin/v1/{path}", self.url.trim_end_matches('/'))
    }
}

#[derive(Args, Debug)]
pub struct AgentsArgs {
    #[command(flatten)]
    admin: Admin,
}

#[derive(Args, Debug)]
pub struct PresenceArgs {
    #[command(flatten)]
    admin: Admin,
    /// Agent id.
    agent_id: String,
    /// available, busy, busy_dnd, away or offline.
    status: String,
    /// A custom presence name shown instead (e.g. "Lunch").
    #[arg(long)]
    label: Option<String>,
}

#[derive(Args, Debug)]
pub struct RoutingArgs {
    #[command(flatten)]
    admin: Admin,
    /// Conversation id (from `switchboard conversations`), or `last`.
    conversation_id: String,
}

pub async fn agents(a: AgentsArgs) -> Result<()> {
    let body = admin_get(&a.admin.url("agents"), &a.admin.token()?).await?;
    out!(
        "{:<16} {:<10} {:<8} {:<24} SKILLS",
        "AGENT",
        "PRESENCE",
        "LOAD",
        "QUEUES"
    );
    for ag in body["agents"].as_array().cloned().unwrap_or_default() {
        let skills: Vec<String> = ag["skills"]
            .as_object()
            .map(|m| m.iter().map(|(k, v)| format!("{k}:{v}")).collect())
            .unwrap_or_default();
        let queues: Vec<&str> = ag["queues"]
            .as_array()
            .map(|q| q.iter().filter_map(|v| v.as_str()).collect())
            .unwrap_or_default();
        out!(
            "{:<16} {:<10} {:<8} {:<24} {}",
            ag["id"].as_str().unwrap_or(""),
            ag["presence"]["effective"].as_str().unwrap_or(""),
            format!("{}/{}", ag["load"]["used"], ag["capacity"]),
            queues.join(","),
            skills.join(" ")
        );
    }
    Ok(())
}

pub async fn presence(a: PresenceArgs) -> Result<()> {
    let url = a.admin.url(&format!("agents/{}/presence", a.agent_id));
    let mut body = serde_json::json!({ "status": a.status });
    if let Some(l) = a.label {
        body["label"] = l.into();
    }
    let resp = reqwest::Client::new()
        .put(&url)
        .bearer_auth(&a.admin.token()?)
        .json(&body)
        .send()
        .await
        .map_err(|e| format!("PUT {url}: {e}"))?;
    let status = resp.status();
    let v: serde_json::Value = resp.json().await.map_err(|e| format!("PUT {url}: {e}"))?;
    if !status.is_success() {
        return Err(format!("{status}: {}", v["detail"].as_str().unwrap_or("")).into());
    }
    out!(
        "{}: {} (shown as {}), {}/{} capacity in use",
        v["agent_id"].as_str().unwrap_or(""),
        v["status"].as_str().unwrap_or(""),
        v["effective"].as_str().unwrap_or(""),
        v["used_capacity"],
        v["capacity"]
    );
    Ok(())
}

pub async fn routing(a: RoutingArgs) -> Result<()> {
    let token = a.admin.token()?;
    let id = crate::simulate::newest_or(
        &a.conversation_id,
        a.admin.url.trim_end_matches('/'),
        &token,
    )
    .await?;
    let url = a.admin.url(&format!("conversations/{id}/routing"));
    let body = admin_get(&url, &token).await?;
    let r = &body["routing"];
    out!("state:   {}", body["state"].as_str().unwrap_or(""));
    out!("now:     {}", body["explanation"].as_str().unwrap_or(""));
    if let Some(since) = r["follow_up"]["since"].as_str() {
        out!(
            "follow-up: the messaging window closed at {since}, before it was routed; \
             it costs no capacity, and a supervisor decides what becomes of it"
        );
    }
    out!(
        "queue:   {}   agent: {}   priority: {}",
        r["queue"].as_str().unwrap_or("-"),
        r["agent"].as_str().unwrap_or("-"),
        r["priority"]
    );
    for d in r["decisions"].as_array().cloned().unwrap_or_default() {
        out!(
            "\n{} {}: {}",
            crate::transcript::local_time(d["at"].as_str().unwrap_or("")),
            d["step"].as_str().unwrap_or(""),
            d["detail"].as_str().unwrap_or("")
        );
        for rs in d["rulesets"].as_array().cloned().unwrap_or_default() {
            let rules: Vec<String> = rs["rules"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .map(|x| {
                    format!(
                        "{}{}",
                        x["rule"].as_str().unwrap_or(""),
                        if x["matched"] == true {
                            " (matched)"
                        } else {
                            ""
                        }
                    )
                })
                .collect();
            out!(
                "  ruleset {} [{}]: {}",
                rs["ruleset"].as_str().unwrap_or(""),
                rs["kind"].as_str().unwrap_or(""),
                rules.join(", ")
            );
        }
        for ag in d["agents"].as_array().cloned().unwrap_or_default() {
            let mut detail = ag.clone();
            if let Some(o) = detail.as_object_mut() {
                o.remove("agent");
                o.remove("result");
            }
            out!(
                "  agent {:<16} {:<10} {}",
                ag["agent"].as_str().unwrap_or(""),
                ag["result"].as_str().unwrap_or(""),
                if detail.as_object().is_some_and(|o| o.is_empty()) {
                    String::new()
                } else {
                    detail.to_string()
                }
            );
        }
        if let Some(more) = d["more_agents"].as_object() {
            for (why, n) in more {
                out!("  ... and {n} more: {why}");
            }
        }
    }
    Ok(())
}
