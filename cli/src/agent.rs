//! `switchboard agent`: play an agent from the terminal through the agent
//! API (and get an agent's token, or a sign-in link for the web console,
//! from the admin API under serve).

use clap::{Args, Subcommand};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

#[derive(Args, Debug)]
pub struct AgentArgs {
    #[arg(long, env = "SWITCHBOARD_URL", default_value = "http://127.0.0.1:8080")]
    url: String,
    /// The agent's bearer token (from `switchboard agent token AGENT_ID`).
    #[arg(long, env = "SWITCHBOARD_AGENT_TOKEN", default_value = "")]
    token: String,
    #[command(subcommand)]
    command: AgentCommand,
}

#[derive(Subcommand, Debug)]
pub enum AgentCommand {
    /// Issue a bearer token for an agent (admin API; prints it once).
    Token {
        agent_id: String,
        #[arg(long, env = "SWITCHBOARD_ADMIN_TOKEN")]
        admin_token: Option<String>,
        /// The token may see every conversation.
        #[arg(long)]
        supervisor: bool,
    },
    /// Print a one-time sign-in link for an agent: open it to sign in to the
    /// web console (admin API; the link works once, for 10 minutes).
    Link {
        agent_id: String,
        #[arg(long, env = "SWITCHBOARD_ADMIN_TOKEN")]
        admin_token: Option<String>,
        /// The link signs in as a supervisor.
        #[arg(long)]
        supervisor: bool,
    },
    /// Show or set your presence (available, busy, busy_dnd, away, offline).
    Presence { status: Option<String> },
    /// Your conversations (offered, assigned, in wrap-up), or those in STATE.
    Inbox {
        #[arg(long)]
        state: Option<String>,
    },
    /// Print your events as they come (offers, messages, receipts...).
    Watch {
        /// Stop after this many seconds (default: run until interrupted).
        #[arg(long)]
        seconds: Option<u64>,
    },
    /// A conversation with its transcript.
    Show { conversation_id: String },
    /// Take a conversation offered to you (it joins your inbox).
    Accept { conversation_id: String },
    /// Turn down an offer; routing offers it to the next agent.
    Decline { conversation_id: String },
    /// Reply with text (or --attachment-url with --attachment-type).
    Reply {
        conversation_id: String,
        text: Option<String>,
        #[arg(long)]
        attachment_url: Option<String>,
        #[arg(long, default_value = "image")]
        attachment_type: String,
    },
    /// Hand it on to a queue or an agent.
    Transfer {
        conversation_id: String,
        #[arg(long, conflicts_with = "agent")]
        queue: Option<String>,
        #[arg(long)]
        agent: Option<String>,
    },
    /// The customer's contact: show it, change it (--name, --email,
    /// --phone), or list the person's conversations on every page (--history).
    Contact {
        conversation_id: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        phone: Option<String>,
        /// The contact's conversations, newest first.
        #[arg(long, conflicts_with_all = ["name", "email", "phone"])]
        history: bool,
    },
    /// End it (wrap-up).
    End { conversation_id: String },
    /// Close it (after wrap-up, or straight away); the customer may get the survey.
    Close { conversation_id: String },
}

async fn call(
    method: reqwest::Method,
    url: &str,
    token: &str,
    body: Option<serde_json::Value>,
) -> Result<serde_json::Value> {
    let mut req = reqwest::Client::new()
        .request(method.clone(), url)
        .bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req
        .send()
        .await
        .map_err(|e| format!("{method} {url}: {e}"))?;
    let status = resp.status();
    let text = resp.text().await.unwrap_or_default();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
    if !status.is_success() {
        return Err(format!("{status}: {}", v["detail"].as_str().unwrap_or(&text)).into());
    }
    Ok(v)
}

fn s(v: &serde_json::Value) -> &str {
    v.as_str().unwrap_or("-")
}

impl AgentCommand {
    /// The conversation id this command acts on, if it takes one.
    fn conversation_id_mut(&mut self) -> Option<&mut String> {
        match self {
            AgentCommand::Show { conversation_id }
            | AgentCommand::Accept { conversation_id }
            | AgentCommand::Decline { conversation_id }
            | AgentCommand::Reply {
                conversation_id, ..
            }
            | AgentCommand::Transfer {
                conversation_id, ..
            }
            | AgentCommand::Contact {
                conversation_id, ..
            }
            | AgentCommand::End { conversation_id }
            | AgentCommand::Close { conversation_id } => Some(conversation_id),
            _ => None,
        }
    }
}

pub async fn run(mut a: AgentArgs) -> Result<()> {
    let base = a.url.trim_end_matches('/').to_string();
    let agent = |path: &str| format!("{base}/agent/v1/{path}");
    // `last`: the newest conversation in the agent's inbox.
    let token = a.token.clone();
    if let Some(id) = a.command.conversation_id_mut()
        && id == crate::last::LAST
    {
        let list = call(reqwest::Method::GET, &agent("conversations"), &token, None).await?;
        *id = crate::last::newest(&list)?;
    }
    let need_token = || -> Result<&str> {
        if a.token.is_empty() {
            Err("set SWITCHBOARD_AGENT_TOKEN (or --token): `switchboard agent token AGENT_ID` issues one".into())
        } else {
            Ok(a.token.as_str())
        }
    };
    use reqwest::Method;
    match &a.command {
        AgentCommand::Token {
            agent_id,
            admin_token,
            supervisor,
        } => {
            let v = call(
                Method::POST,
                &format!("{base}/admin/v1/agents/{agent_id}/tokens"),
                &crate::local_token::resolve(admin_token.as_deref(), &base)?,
                Some(serde_json::json!({ "supervisor": supervisor })),
            )
            .await?;
            out!("{}", s(&v["token"]));
            eprintln!("export SWITCHBOARD_AGENT_TOKEN=<the line above> to act as {agent_id}");
        }
        AgentCommand::Link {
            agent_id,
            admin_token,
            supervisor,
        } => {
            let v = call(
                Method::POST,
                &format!("{base}/admin/v1/agents/{agent_id}/sign-in-links"),
                &crate::local_token::resolve(admin_token.as_deref(), &base)?,
                Some(serde_json::json!({ "supervisor": supervisor })),
            )
            .await?;
            out!("{}", s(&v["url"]));
            eprintln!(
                "open it to sign in as {agent_id}; it works once, until {}",
                s(&v["expires_at"])
            );
        }
        AgentCommand::Presence { status } => {
            let t = need_token()?;
            let v = match status {
                Some(st) => {
                    call(
                        Method::PUT,
                        &agent("presence"),
                        t,
                        Some(serde_json::json!({ "status": st })),
                    )
                    .await?
                }
                None => call(Method::GET, &agent("presence"), t, None).await?,
            };
            out!(
                "{}: {} (shown as {}), {}/{} capacity in use",
                s(&v["agent_id"]),
                s(&v["status"]),
                s(&v["effective"]),
                v["used_capacity"],
                v["capacity"]
            );
        }
        AgentCommand::Inbox { state } => {
            let q = state
                .as_ref()
                .map(|st| format!("?state={st}"))
                .unwrap_or_default();
            let v = call(
                Method::GET,
                &agent(&format!("conversations{q}")),
                need_token()?,
                None,
            )
            .await?;
            out!(
                "{:<36} {:<9} {:<10} LAST CUSTOMER MESSAGE",
                "CONVERSATION",
                "STATE",
                "QUEUE"
            );
            for c in v["conversations"].as_array().cloned().unwrap_or_default() {
                out!(
                    "{:<36} {:<9} {:<10} {}{}",
                    s(&c["id"]),
                    s(&c["state"]),
                    s(&c["queue_id"]),
                    crate::transcript::local_time(s(&c["last_customer_message_at"])),
                    crate::simulate::follow_up_note(&c["follow_up"])
                );
            }
        }
        AgentCommand::Watch { seconds } => {
            let t = need_token()?;
            let until =
                seconds.map(|n| std::time::Instant::now() + std::time::Duration::from_secs(n));
            let mut cursor = String::new();
            loop {
                let wait = until
                    .map(|u| {
                        u.saturating_duration_since(std::time::Instant::now())
                            .as_secs()
                            .min(20)
                    })
                    .unwrap_or(20);
                let v = call(
                    Method::GET,
                    &agent(&format!("events?wait={wait}&after={cursor}")),
                    t,
                    None,
                )
                .await?;
                for e in v["events"].as_array().cloned().unwrap_or_default() {
                    let mut extra = String::new();
                    if let Some(text) = e["data"]["text"].as_str() {
                        extra = format!(" {text:?}");
                    }
                    if let Some(r) = e["data"]["reason"].as_str() {
                        extra = format!(" {r}");
                    }
                    out!(
                        "{} {:<18} {}{extra}",
                        crate::transcript::local_time(s(&e["at"])),
                        s(&e["type"]),
                        s(&e["conversation_id"])
                    );
                }
                cursor = v["cursor"].as_str().unwrap_or_default().to_string();
                if until.is_some_and(|u| std::time::Instant::now() >= u) {
                    break;
                }
            }
        }
        AgentCommand::Show { conversation_id } => {
            let v = call(
                Method::GET,
                &agent(&format!("conversations/{conversation_id}")),
                need_token()?,
                None,
            )
            .await?;
            out!(
                "{} {} queue {} agent {} contact {}{}",
                s(&v["id"]),
                s(&v["state"]),
                s(&v["queue_id"]),
                s(&v["agent_id"]),
                s(&v["contact"]["name"]),
                crate::simulate::follow_up_note(&v["follow_up"])
            );
            for e in v["transcript"].as_array().into_iter().flatten() {
                for line in crate::transcript::entry_lines(e) {
                    out!("{line}");
                }
            }
            if let Some(score) = v["survey"]["score"].as_u64() {
                out!("survey: {score}/5");
            }
        }
        AgentCommand::Contact {
            conversation_id,
            name,
            email,
            phone,
            history,
        } => {
            let token = need_token()?;
            let mut c = call(
                Method::GET,
                &agent(&format!("conversations/{conversation_id}/contact")),
                token,
                None,
            )
            .await?;
            let id = s(&c["id"]).to_string();
            if *history {
                let h = call(
                    Method::GET,
                    &agent(&format!("contacts/{id}/history")),
                    token,
                    None,
                )
                .await?;
                for cv in h["conversations"].as_array().into_iter().flatten() {
                    out!(
                        "{}  {:<8}  page {}  {}",
                        s(&cv["id"]),
                        s(&cv["state"]),
                        s(&cv["page_id"]),
                        crate::transcript::local_time(s(&cv["created_at"]))
                    );
                }
                return Ok(());
            }
            let mut change = serde_json::Map::new();
            for (k, v) in [("name", name), ("email", email), ("phone", phone)] {
                if let Some(v) = v {
                    change.insert(k.into(), v.clone().into());
                }
            }
            if !change.is_empty() {
                c = call(
                    Method::PATCH,
                    &agent(&format!("contacts/{id}")),
                    token,
                    Some(change.into()),
                )
                .await?;
            }
            out!(
                "{id}  {}  email {}  phone {}",
                s(&c["name"]),
                s(&c["email"]),
                s(&c["phone"])
            );
        }
        AgentCommand::Reply {
            conversation_id,
            text,
            attachment_url,
            attachment_type,
        } => {
            let body = match (text, attachment_url) {
                (Some(t), None) => serde_json::json!({ "text": t }),
                (None, Some(u)) => {
                    serde_json::json!({ "attachment": {"type": attachment_type, "url": u} })
                }
                _ => return Err("give a text or --attachment-url".into()),
            };
            let v = call(
                Method::POST,
                &agent(&format!("conversations/{conversation_id}/messages")),
                need_token()?,
                Some(body),
            )
            .await?;
            out!("{} {}", s(&v["id"]), s(&v["status"]));
        }
        AgentCommand::Transfer {
            conversation_id,
            queue,
            agent: to,
        } => {
            let body = match (queue, to) {
                (Some(q), None) => serde_json::json!({ "queue_id": q }),
                (None, Some(x)) => serde_json::json!({ "agent_id": x }),
                _ => return Err("give --queue or --agent".into()),
            };
            let v = call(
                Method::POST,
                &agent(&format!("conversations/{conversation_id}/transfer")),
                need_token()?,
                Some(body),
            )
            .await?;
            out!(
                "{} {} (queue {})",
                s(&v["id"]),
                s(&v["state"]),
                s(&v["queue_id"])
            );
        }
        AgentCommand::Accept { conversation_id }
        | AgentCommand::Decline { conversation_id }
        | AgentCommand::End { conversation_id }
        | AgentCommand::Close { conversation_id } => {
            let action = match &a.command {
                AgentCommand::Accept { .. } => "accept",
                AgentCommand::Decline { .. } => "decline",
                AgentCommand::End { .. } => "end",
                _ => "close",
            };
            let v = call(
                Method::POST,
                &agent(&format!("conversations/{conversation_id}/{action}")),
                need_token()?,
                None,
            )
            .await?;
            match v["state"].as_str() {
                Some(state) => out!("{conversation_id}: {action} done; now {state}"),
                None => out!("{conversation_id}: {action} done"),
            }
        }
    }
    Ok(())
}
