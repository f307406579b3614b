//! Finding contacts by what an agent types: a case-insensitive prefix of
//! any word of the name, the email (exact, case-insensitive) or the phone
//! (exact, digits only). Both stores keep an index of [`index_keys`]
//! (`{term} {contact_id}`, written with the contact in one transaction) and
//! answer a [`SearchKey`]'s prefix from it: a search never scans contacts.

use crate::ids::ContactId;
use crate::ports::Contact;
use crate::problem::Problem;
use crate::routing::engine::RoutingDeps;
use crate::visibility::{Caller, visible_contact};
use std::collections::HashSet;

/// How many name words of a contact are indexed.
pub const MAX_WORDS: usize = 16;
/// How many characters of a name word are indexed (and searched).
pub const MAX_WORD: usize = 64;
/// The longest query.
pub const MAX_QUERY: usize = 200;
/// Results a search gives at most, and by default.
pub const MAX_LIMIT: usize = 50;
pub const DEFAULT_LIMIT: usize = 20;
/// Index entries a search reads at most per key before it stops looking.
const CANDIDATES: usize = 100;

/// The words of a name as indexed and searched: lower-cased, split at
/// anything not a letter or a digit, each at most [`MAX_WORD`] characters.
pub fn words(text: &str) -> Vec<String> {
    let mut seen = HashSet::new();
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase().chars().take(MAX_WORD).collect::<String>())
        .filter(|w| seen.insert(w.clone()))
        .collect()
}

/// An email as indexed: trimmed and lower-cased.
pub fn email_term(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A phone number as indexed: its digits (at least 3), or none.
pub fn phone_term(phone: &str) -> Option<String> {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    (digits.len() >= 3).then_some(digits)
}

/// Whether `q` reads as a phone number (digits, spaces, + - ( ) .).
fn phone_like(q: &str) -> bool {
    q.chars()
        .all(|c| c.is_ascii_digit() || " +-().".contains(c))
}

/// The index terms of a contact: `n:{word}` for each name word (none for a
/// [`crate::contacts::fallback_name`]), `e:{email}` and `p:{digits}`.
/// Terms hold no spaces.
pub fn terms(c: &Contact) -> Vec<String> {
    let name = if crate::contacts::is_fallback_name(&c.name) {
        ""
    } else {
        c.name.as_str()
    };
    let mut out: Vec<String> = words(name)
        .into_iter()
        .take(MAX_WORDS)
        .map(|w| format!("n:{w}"))
        .collect();
    if let Some(e) = c.email.as_deref().map(email_term)
        && !e.is_empty()
        && !e.contains(char::is_whitespace)
    {
        out.push(format!("e:{e}"));
    }
    if let Some(p) = c.phone.as_deref().and_then(phone_term) {
        out.push(format!("p:{p}"));
    }
    out
}

/// The index keys of a contact: `{term} {contact_id}` for each term.
pub fn index_keys(c: &Contact) -> Vec<String> {
    terms(c)
        .into_iter()
        .map(|t| format!("{t} {}", c.id))
        .collect()
}

/// The contact an index key names.
pub fn contact_of(key: &str) -> Option<ContactId> {
    key.rsplit_once(' ')
        .and_then(|(_, id)| ContactId::parse(id).ok())
}

/// The keys versions before fallback names left the index wrote for one:
/// a fallback name's words (stale entries may hold them).
fn legacy_keys(c: &Contact) -> Vec<String> {
    if !crate::contacts::is_fallback_name(&c.name) {
        return Vec::new();
    }
    words(&c.name)
        .into_iter()
        .map(|w| format!("n:{w} {}", c.id))
        .collect()
}

/// The keys to remove and to add when a contact changes from `old` to `new`.
/// A contact that had a fallback name also has the keys older versions
/// indexed it under removed (deleting a key that is not there changes
/// nothing), so an erasure or a rename leaves none of them behind.
pub fn changed_keys(old: &Contact, new: &Contact) -> (Vec<String>, Vec<String>) {
    let (before, after) = (index_keys(old), index_keys(new));
    let gone = before
        .iter()
        .chain(&legacy_keys(old))
        .filter(|k| !after.contains(k))
        .cloned()
        .collect();
    let added = after
        .iter()
        .filter(|k| !before.contains(k))
        .cloned()
        .collect();
    (gone, added)
}

/// One lookup in the index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchKey {
    /// A name word starting with this.
    NamePrefix(String),
    Email(String),
    Phone(String),
}

impl SearchKey {
    /// The prefix of the index keys this key finds.
    pub fn prefix(&self) -> String {
        match self {
            Self::NamePrefix(w) => format!("n:{w}"),
            Self::Email(e) => format!("e:{e} "),
            Self::Phone(p) => format!("p:{p} "),
        }
    }
}

/// A validated query: the index lookups it takes, and the name words every
/// name match must have a word starting with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub keys: Vec<SearchKey>,
    pub words: Vec<String>,
}

fn invalid_query(detail: impl Into<String>) -> Problem {
    Problem::bad_request("invalid_query", detail)
}

impl Query {
    /// `q` as an agent typed it: an email when it holds `@`; a phone number
    /// (and name words) when it reads as one; else name words.
    pub fn parse(q: &str) -> Result<Self, Problem> {
        let q = q.trim();
        if q.is_empty() || q.chars().count() > MAX_QUERY {
            return Err(invalid_query(format!(
                "q is 1 to {MAX_QUERY} characters: a name (or the start of one of its words), an email or a phone number"
            )));
        }
        let mut keys = Vec::new();
        if q.contains('@') {
            if q.contains(char::is_whitespace) {
                return Err(invalid_query(format!("{q:?} is not an email address")));
            }
            keys.push(SearchKey::Email(email_term(q)));
            return Ok(Self {
                keys,
                words: Vec::new(),
            });
        }
        if phone_like(q)
            && let Some(p) = phone_term(q)
        {
            keys.push(SearchKey::Phone(p));
        }
        let words = words(q);
        // The longest word narrows the index the most; the others filter.
        if let Some(longest) = words.iter().max_by_key(|w| w.chars().count()) {
            keys.push(SearchKey::NamePrefix(longest.clone()));
        }
        if keys.is_empty() {
            return Err(invalid_query(
                "q has no letters or digits to search a name, email or phone by",
            ));
        }
        Ok(Self { keys, words })
    }

    /// Whether a contact the index gave for `key` matches the whole query.
    fn matches(&self, key: &SearchKey, c: &Contact) -> bool {
        match key {
            SearchKey::Email(e) => c.email.as_deref().map(email_term).as_ref() == Some(e),
            SearchKey::Phone(p) => c.phone.as_deref().and_then(phone_term).as_ref() == Some(p),
            SearchKey::NamePrefix(_) => {
                let name = words(&c.name);
                self.words
                    .iter()
                    .all(|q| name.iter().any(|w| w.starts_with(q.as_str())))
            }
        }
    }
}

/// The `limit` query parameter: 1 to [`MAX_LIMIT`], [`DEFAULT_LIMIT`] when
/// absent.
pub fn limit(v: Option<&str>) -> Result<usize, Problem> {
    let Some(v) = v else {
        return Ok(DEFAULT_LIMIT);
    };
    v.parse::<usize>()
        .ok()
        .filter(|n| (1..=MAX_LIMIT).contains(n))
        .ok_or_else(|| {
            Problem::bad_request(
                "invalid_limit",
                format!("limit is a number from 1 to {MAX_LIMIT}"),
            )
        })
}

/// Contacts matching `q` that the caller may see (a supervisor: any; an
/// agent: those linked to a conversation they can see, or to none yet),
/// exact email and phone matches first, then by name word, at most
/// `limit`. Among many matches of a short prefix, the first
/// [`CANDIDATES`] index entries are looked at.
pub async fn search(
    r: &RoutingDeps,
    who: &Caller,
    q: &Query,
    limit: usize,
) -> Result<Vec<Contact>, Problem> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    // A supervisor sees every match: a few beyond the limit cover those
    // the query's other words drop.
    let reach = if who.supervisor {
        limit.saturating_mul(3).min(CANDIDATES)
    } else {
        CANDIDATES
    };
    for key in &q.keys {
        let found = r.conversations.find_contacts(&key.prefix(), reach).await?;
        for c in found {
            if out.len() >= limit {
                return Ok(out);
            }
            if !q.matches(key, &c) || !seen.insert(c.id.clone()) {
                continue;
            }
            if who.supervisor || visible_contact(r, who, c.id.as_str(), true).await.is_ok() {
                out.push(c);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Millis;

    fn contact(name: &str, email: Option<&str>, phone: Option<&str>) -> Contact {
        let mut c = Contact::new(ContactId::parse("ct_1").unwrap(), name.into(), Millis(0));
        c.email = email.map(str::to_string);
        c.phone = phone.map(str::to_string);
        c
    }

    #[test]
    fn a_contact_is_indexed_by_name_words_email_and_phone_digits() {
        let c = contact(
            "Anna Jensen-Smith anna",
            Some("Anna@Example.COM"),
            Some("+45 12-34 56 78"),
        );
        assert_eq!(
            terms(&c),
            [
                "n:anna",
                "n:jensen",
                "n:smith",
                "e:anna@example.com",
                "p:4512345678"
            ]
        );
        assert_eq!(index_keys(&c)[0], "n:anna ct_1");
        assert_eq!(
            contact_of("e:anna@example.com ct_1").map(|c| c.to_string()),
            Some("ct_1".into())
        );
        let renamed = contact("Anna Berg", Some("anna@example.com"), None);
        let (gone, added) = changed_keys(&c, &renamed);
        assert_eq!(gone, ["n:jensen ct_1", "n:smith ct_1", "p:4512345678 ct_1"]);
        assert_eq!(added, ["n:berg ct_1"]);
    }

    #[test]
    fn a_fallback_name_is_not_indexed_and_its_old_keys_go_when_renamed() {
        let name = crate::contacts::fallback_name("7700000000000042");
        assert_eq!(name, "Messenger customer …0042");
        let unnamed = contact(&name, None, None);
        assert!(index_keys(&unnamed).is_empty());
        // Its email and phone are still found.
        let reachable = contact(&name, Some("a@b.dk"), Some("12 34 56"));
        assert_eq!(terms(&reachable), ["e:a@b.dk", "p:123456"]);
        // Named from Meta's profile: the words are added, and the keys
        // older versions indexed the fallback name under are removed.
        let (gone, added) = changed_keys(&unnamed, &contact("Anna Berg", None, None));
        assert_eq!(gone, ["n:messenger ct_1", "n:customer ct_1", "n:0042 ct_1"]);
        assert_eq!(added, ["n:anna ct_1", "n:berg ct_1"]);
        // A word the new name shares is kept (older versions wrote it;
        // this one writes it now).
        let (gone, added) = changed_keys(&unnamed, &contact("Customer Care", None, None));
        assert_eq!(gone, ["n:messenger ct_1", "n:0042 ct_1"]);
        assert_eq!(added, ["n:customer ct_1", "n:care ct_1"]);
        // Only the exact form is left out: an agent's own wording is not.
        for named in [
            "Messenger customer …12345",
            "Messenger customer 0042",
            "Messenger customer …VIP",
            "Messenger customer …",
        ] {
            assert!(
                !index_keys(&contact(named, None, None)).is_empty(),
                "{named}"
            );
        }
    }

    #[test]
    fn a_query_is_an_email_a_phone_or_name_words() {
        let q = Query::parse(" ANNA@example.com ").unwrap();
        assert_eq!(q.keys, [SearchKey::Email("anna@example.com".into())]);
        let q = Query::parse("+45 1234").unwrap();
        assert_eq!(
            q.keys,
            [
                SearchKey::Phone("451234".into()),
                SearchKey::NamePrefix("1234".into())
            ]
        );
        let q = Query::parse("an Jens").unwrap();
        assert_eq!(q.keys, [SearchKey::NamePrefix("jens".into())]);
        let key = &q.keys[0];
        assert!(q.matches(key, &contact("Anna Jensen", None, None)));
        assert!(!q.matches(key, &contact("Bo Jensen", None, None)));
        for bad in ["", "   ", "--", "a b@c", &"x".repeat(201)] {
            assert!(Query::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(limit(None).unwrap(), DEFAULT_LIMIT);
        assert!(limit(Some("0")).is_err() && limit(Some("51")).is_err());
    }
}
