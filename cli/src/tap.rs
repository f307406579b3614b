//! `simulate --tap TITLE`: the customer taps a quick reply Switchboard sent
//! them (a survey's score, say), found by its title in what went out most
//! recently, so nobody copies a payload by hand.

use crate::simulate::admin_get;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// The payload of the quick reply titled `title` in the newest outbound
/// message that offered quick replies in the customer's newest conversation.
pub async fn payload(
    base: &str,
    token: &str,
    page: &str,
    psid: &str,
    title: &str,
) -> Result<String> {
    let q = crate::simulate::form_query(&[
        ("page_id", &Some(page.to_string())),
        ("psid", &Some(psid.to_string())),
        ("limit", &Some("1".to_string())),
    ]);
    let list = admin_get(&format!("{base}/admin/v1/conversations?{q}"), token).await?;
    let Some(id) = list["conversations"][0]["id"].as_str() else {
        return Err(format!("customer {psid} has no conversation on page {page} yet").into());
    };
    let timeline = admin_get(
        &format!("{base}/admin/v1/conversations/{id}/timeline"),
        token,
    )
    .await?;
    choose(&timeline["transcript"], title).map_err(|e| format!("conversation {id}: {e}").into())
}

/// The pick from the newest entry that offered quick replies.
fn choose(transcript: &serde_json::Value, title: &str) -> std::result::Result<String, String> {
    let offered = transcript
        .as_array()
        .into_iter()
        .flatten()
        .rev()
        .filter_map(|e| e["quick_replies"].as_array())
        .find(|q| !q.is_empty())
        .ok_or("nothing sent to the customer offered quick replies")?;
    let titles = || {
        offered
            .iter()
            .filter_map(|q| q["title"].as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    offered
        .iter()
        .find(|q| q["title"].as_str() == Some(title))
        .and_then(|q| q["payload"].as_str())
        .map(str::to_string)
        .ok_or_else(|| {
            format!(
                "no quick reply titled {title:?}; the latest offered {}",
                titles()
            )
        })
}

#[cfg(test)]
mod tests {
    use super::choose;
    use serde_json::json;

    #[test]
    fn the_newest_offer_is_tapped_by_title() {
        let t = json!([
            {"from": "automated", "quick_replies": [{"title": "5", "payload": "old"}]},
            {"from": "agent", "text": "bye"},
            {"from": "survey", "quick_replies": [{"title": "4", "payload": "S:4"}, {"title": "5", "payload": "S:5"}]},
            {"from": "customer", "text": "hm"}
        ]);
        assert_eq!(choose(&t, "5").as_deref(), Ok("S:5"));
        assert_eq!(
            choose(&t, "6"),
            Err("no quick reply titled \"6\"; the latest offered 4, 5".to_string())
        );
        assert!(choose(&json!([{"from": "customer"}]), "5").is_err());
        assert!(choose(&json!(null), "5").is_err());
    }
}
