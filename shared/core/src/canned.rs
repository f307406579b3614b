//! Canned responses: short texts per workstream and locale, with
//! `{CustomerName}` and `{AgentName}` placeholders, that agents insert
//! while replying (typed as `/shortcut`).

pub mod admin;

use crate::ids::{WorkstreamId, string_id};
use crate::time::{self, Millis};
use crate::workstreams::Locale;
use serde::{Deserialize, Serialize};

string_id!(
    /// A canned response id, e.g. `greeting-en`.
    CannedResponseId, "canned response id", slug
);

/// The placeholders a text may hold.
pub const PLACEHOLDERS: [&str; 2] = ["CustomerName", "AgentName"];

/// A canned response as stored and shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CannedResponse {
    pub id: CannedResponseId,
    pub workstream: WorkstreamId,
    pub locale: Locale,
    /// What the agent types after `/`; unique per workstream and locale.
    pub shortcut: String,
    pub title: String,
    pub text: String,
    #[serde(with = "time::rfc3339")]
    pub updated_at: Millis,
}

/// Why a canned response's values are refused (each a 422, mapped in
/// [`admin`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CannedError {
    #[error("shortcut {0:?} must be 1 to 32 characters from a-z, 0-9, '-' and '_'")]
    Shortcut(String),
    #[error("title must be 1 to 80 characters")]
    Title,
    #[error("text must be 1 to 2000 characters")]
    Text,
    #[error(
        "the text uses placeholder {{{0}}}, which is not known; use {{CustomerName}} or {{AgentName}}"
    )]
    UnknownPlaceholder(String),
}

/// Whether `s` is a shortcut: 1 to 32 characters from a-z, 0-9, `-`, `_`.
pub fn is_shortcut(s: &str) -> bool {
    (1..=32).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// A placeholder name: what `{...}` holds when it is meant as one.
fn placeholder_name(s: &str) -> bool {
    (1..=40).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Each `{Name}` in `text`, with where it starts and ends (other braces
/// are plain text).
fn placeholders(text: &str) -> Vec<(usize, usize, &str)> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(open) = text.get(at..).and_then(|t| t.find('{')) {
        let start = at + open;
        let after = start + 1;
        let Some(rest) = text.get(after..) else { break };
        match rest.find(['}', '{']) {
            Some(close) if rest.get(close..close + 1) == Some("}") => {
                let name = rest.get(..close).unwrap_or("");
                if placeholder_name(name) {
                    out.push((start, after + close + 1, name));
                    at = after + close + 1;
                } else {
                    at = after;
                }
            }
            _ => at = after,
        }
    }
    out
}

/// Check the values a canned response holds by itself.
pub fn check(shortcut: &str, title: &str, text: &str) -> Result<(), CannedError> {
    if !is_shortcut(shortcut) {
        return Err(CannedError::Shortcut(
            crate::ids::clip(shortcut, 40).into_owned(),
        ));
    }
    if title.trim().is_empty() || title.chars().count() > 80 {
        return Err(CannedError::Title);
    }
    if text.trim().is_empty() || text.chars().count() > 2000 {
        return Err(CannedError::Text);
    }
    if let Some((_, _, name)) = placeholders(text)
        .into_iter()
        .find(|(_, _, n)| !PLACEHOLDERS.contains(n))
    {
        return Err(CannedError::UnknownPlaceholder(name.to_string()));
    }
    Ok(())
}

/// `text` with `{CustomerName}` and `{AgentName}` filled in, in one pass
/// (a name that itself reads like a placeholder stays as it is).
pub fn render(text: &str, customer_name: &str, agent_name: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (start, end, name) in placeholders(text) {
        let value = match name {
            "CustomerName" => customer_name,
            "AgentName" => agent_name,
            _ => continue,
        };
        out.push_str(text.get(at..start).unwrap_or(""));
        out.push_str(value);
        at = end;
    }
    out.push_str(text.get(at..).unwrap_or(""));
    out
}

/// Whether a canned response in `have` suits a conversation in `want`:
/// the same locale, or the same language (`en` and `en-GB`).
pub fn locale_fits(have: &Locale, want: &Locale) -> bool {
    let lang = |l: &Locale| l.as_str().split('-').next().unwrap_or("").to_string();
    have == want || lang(have) == lang(want)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::Problem;

    #[test]
    fn render_fills_both_placeholders_and_leaves_other_braces() {
        assert_eq!(
            render(
                "Hi {CustomerName}, {AgentName} here. {x y} {",
                "Zoë Ørsted 🚀",
                "anna"
            ),
            "Hi Zoë Ørsted 🚀, anna here. {x y} {"
        );
        assert_eq!(render("{CustomerName}", "{AgentName}", "bo"), "{AgentName}");
        assert_eq!(render("no placeholders", "a", "b"), "no placeholders");
        assert_eq!(
            render("{{CustomerName}}", "Åsa", "b"),
            "{Åsa}",
            "the inner braces are the placeholder"
        );
    }

    #[test]
    fn values_are_checked() {
        assert_eq!(check("hi", "Greeting", "Hello {CustomerName}"), Ok(()));
        assert_eq!(
            check("hi", "Greeting", "Hello {Customer}"),
            Err(CannedError::UnknownPlaceholder("Customer".into()))
        );
        for bad in ["", "Hi", "a b", &"x".repeat(33), "æ"] {
            assert!(
                matches!(check(bad, "t", "x"), Err(CannedError::Shortcut(_))),
                "{bad}"
            );
        }
        assert!(check(&"x".repeat(32), "t", "x").is_ok());
        assert_eq!(check("a", " ", "x"), Err(CannedError::Title));
        assert!(check("a", &"é".repeat(80), "x").is_ok());
        assert_eq!(check("a", &"é".repeat(81), "x"), Err(CannedError::Title));
        assert!(check("a", "t", &"é".repeat(2000)).is_ok());
        assert_eq!(check("a", "t", &"é".repeat(2001)), Err(CannedError::Text));
        assert_eq!(check("a", "t", ""), Err(CannedError::Text));
        let p: Problem = CannedError::UnknownPlaceholder("Foo".into()).into();
        assert_eq!((p.status, p.code), (422, "unknown_placeholder"));
        assert!(p.detail.contains("{Foo}"), "{}", p.detail);
    }

    #[test]
    fn locales_fit_by_language() {
        let l = |s: &str| Locale::parse(s).unwrap();
        assert!(locale_fits(&l("en"), &l("en-GB")));
        assert!(locale_fits(&l("da-DK"), &l("da")));
        assert!(!locale_fits(&l("da"), &l("en")));
    }
}
