//! `last` wherever a command takes a conversation id: the newest
//! conversation the caller can see, picked from a list the API answered.

/// The word that stands for the newest conversation.
pub const LAST: &str = "last";

/// The newest conversation in an API list (`{"conversations": [...]}`), by
/// its creation time (RFC 3339 sorts as text); an error when there is none.
pub fn newest(list: &serde_json::Value) -> Result<String, String> {
    list["conversations"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| Some((c["created_at"].as_str().unwrap_or(""), c["id"].as_str()?)))
        .max_by(|a, b| a.0.cmp(b.0))
        .map(|(_, id)| id.to_string())
        .ok_or_else(|| {
            "there is no conversation yet for `last` (the newest conversation you can see); send one with `switchboard simulate`".to_string()
        })
}

#[cfg(test)]
mod tests {
    use super::newest;

    #[test]
    fn the_newest_by_creation_time_or_a_clear_error() {
        let list = serde_json::json!({"conversations": [
            {"id": "cv_old", "created_at": "2026-11-30T09:00:00Z"},
            {"id": "cv_new", "created_at": "2026-11-30T10:00:00Z"},
            {"id": "cv_mid", "created_at": "2026-11-30T09:30:00Z"}
        ]});
        assert_eq!(newest(&list).as_deref(), Ok("cv_new"));
        let none = newest(&serde_json::json!({"conversations": []}));
        assert!(none.is_err_and(|e| e.contains("no conversation yet")));
        assert!(newest(&serde_json::json!({"oops": 1})).is_err());
    }
}
