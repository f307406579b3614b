//! `switchboard timeline`: a conversation as an administrator reads it,
//! both sides with what went out and its status, in local time; `--raw`
//! for the inbound events exactly as Meta sent them.

use crate::simulate::{admin_get, newest_or};
use clap::Args;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

#[derive(Args, Debug)]
pub struct TimelineArgs {
    #[arg(long, env = "SWITCHBOARD_URL", default_value = "http://127.0.0.1:8080")]
    url: String,
    #[arg(long, env = "SWITCHBOARD_ADMIN_TOKEN")]
    admin_token: Option<String>,
    /// The inbound events as Meta sent them (kind, Meta's time, text)
    /// instead of both sides.
    #[arg(long)]
    raw: bool,
    /// Conversation id (from `switchboard conversations`), or `last`.
    conversation_id: String,
}

pub async fn timeline(a: TimelineArgs) -> Result<()> {
    let token = crate::local_token::resolve(a.admin_token.as_deref(), &a.url)?;
    let base = a.url.trim_end_matches('/');
    let id = newest_or(&a.conversation_id, base, &token).await?;
    let body = admin_get(
        &format!("{base}/admin/v1/conversations/{id}/timeline"),
        &token,
    )
    .await?;
    if a.raw {
        for e in body["events"].as_array().into_iter().flatten() {
            out!("{}", crate::transcript::event_line(e));
        }
        return Ok(());
    }
    out!("conversation {id}");
    for e in body["transcript"].as_array().into_iter().flatten() {
        for line in crate::transcript::entry_lines(e) {
            out!("{line}");
        }
    }
    Ok(())
}
