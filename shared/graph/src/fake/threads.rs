//! Conversation Routing in the fake Graph API: who owns each customer's
//! thread on a page, and the handover calls as Meta answers them
//! (MESSENGER.md). Every thread starts owned by the fake's own app;
//! `pass_thread_control` by a non-owner and a send into a thread another
//! app owns fail with Meta's 10/2018300. A test makes another app the
//! owner, as if it had taken control, with
//! `POST /_fake/thread_owner {page_id, psid, app_id}`.

use super::Scripted;
use std::collections::HashMap;

/// The fake's own app (what `debug_token` says the tokens belong to).
pub const OUR_APP: &str = "900000000000001";
/// Meta's Page Inbox, the secondary receiver every page has.
pub use switchboard_core::thread_control::PAGE_INBOX;
/// Where a test sets a thread's owner from outside the process.
pub const SET_OWNER_PATH: &str = "/_fake/thread_owner";

/// Thread owners by (page, customer); absent: [`OUR_APP`].
#[derive(Default)]
pub struct Threads(HashMap<(String, String), String>);

impl Threads {
    pub fn owner(&self, page: &str, psid: &str) -> &str {
        self.0
            .get(&(page.to_string(), psid.to_string()))
            .map_or(OUR_APP, String::as_str)
    }

    pub fn set_owner(&mut self, page: &str, psid: &str, app: &str) {
        self.0
            .insert((page.to_string(), psid.to_string()), app.to_string());
    }

    /// What Meta answers to a send into this thread, when it refuses it.
    pub fn refuse_send(&self, page: &str, psid: &str) -> Option<Scripted> {
        (self.owner(page, psid) != OUR_APP).then(not_owner)
    }

    /// The answer to a handover call, or `None` when `path` is not one.
    pub fn answer(
        &mut self,
        method: &str,
        segments: &[&str],
        query: &str,
        body: &serde_json::Value,
    ) -> Option<Scripted> {
        let recipient = || body["recipient"]["id"].as_str().unwrap_or("").to_string();
        Some(match (method, segments) {
            ("POST", [page, "pass_thread_control"]) => {
                let psid = recipient();
                let target = app_id(&body["target_app_id"]);
                if psid.is_empty() || target.is_empty() {
                    return Some(missing("recipient and target_app_id"));
                }
                if self.owner(page, &psid) != OUR_APP {
                    return Some(not_owner());
                }
                self.set_owner(page, &psid, &target);
                Scripted::ok(serde_json::json!({"success": true}))
            }
            ("POST", [page, "take_thread_control"]) => {
                let psid = recipient();
                if psid.is_empty() {
                    return Some(missing("recipient"));
                }
                self.set_owner(page, &psid, OUR_APP);
                Scripted::ok(serde_json::json!({"success": true}))
            }
            ("POST", [_page, "request_thread_control"]) => {
                if recipient().is_empty() {
                    return Some(missing("recipient"));
                }
                Scripted::ok(serde_json::json!({"success": true}))
            }
            ("GET", [page, "thread_owner"]) => {
                let psid = query
                    .split('&')
                    .find_map(|kv| kv.strip_prefix("recipient="))
                    .unwrap_or("");
                if psid.is_empty() {
                    return Some(missing("recipient"));
                }
                Scripted::ok(
                    serde_json::json!({"data": [{"thread_owner": {"app_id": self.owner(page, psid)}}]}),
                )
            }
            ("GET", [_page, "secondary_receivers"]) => Scripted::ok(serde_json::json!({"data": [
                {"id": PAGE_INBOX, "name": "Page Inbox"}
            ]})),
            _ => return None,
        })
    }
}

/// An app id as Meta writes it: a string, or (in real bodies) a number.
fn app_id(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Number(n) => n.to_string(),
        other => other.as_str().unwrap_or("").to_string(),
    }
}

fn not_owner() -> Scripted {
    Scripted::error(
        400,
        10,
        Some(2_018_300),
        "(#10) This thread is controlled by another app; this app cannot act on it now.",
    )
}

fn missing(what: &str) -> Scripted {
    Scripted::error(400, 100, None, &format!("(#100) {what} required"))
}
