//! Validated identifiers. Each is parsed once at the edge; past that the
//! type says it is well-formed.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} {value:?} is not valid: {rule}")]
pub struct InvalidId {
    pub kind: &'static str,
    pub value: String,
    pub rule: &'static str,
}

impl InvalidId {
    /// The error for `value`, which is shown cut to 80 characters (on a
    /// character boundary: the value came from outside and may be any text).
    pub fn new(kind: &'static str, value: &str, rule: &'static str) -> Self {
        Self {
            kind,
            value: clip(value, 80).into_owned(),
            rule,
        }
    }
}

/// `s` cut to at most `max` characters, never inside one.
pub fn clip(s: &str, max: usize) -> std::borrow::Cow<'_, str> {
    match s.char_indices().nth(max) {
        Some((end, _)) => std::borrow::Cow::Borrowed(&s[..end]),
        None => std::borrow::Cow::Borrowed(s),
    }
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.len() <= 32 && s.bytes().all(|b| b.is_ascii_digit())
}

/// What a slug id is told when it breaks [`is_slug`].
pub const SLUG_RULE: &str = "use 1 to 64 characters from a-z, 0-9, '-' and '_'";

/// The slug rule every slug id (account, workstream, agent, queue,
/// ruleset, skill, capacity profile) follows: 1 to 64 characters from
/// a-z, 0-9, '-' and '_'.
pub fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

fn opaque(s: &str) -> bool {
    !s.is_empty() && s.len() <= 1024 && !s.chars().any(char::is_control)
}

fn generated(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Defines a validated string id: `parse`, `as_str`, `Display` (the value),
/// `Debug` (`Name("value")`), `FromStr`, and serde as a plain string that
/// is validated when read. Either `Name, "kind", check_fn, "rule"` or, for
/// a slug id, `Name, "kind", slug` ([`is_slug`] and [`SLUG_RULE`]).
macro_rules! string_id {
    ($(#[$meta:meta])* $name:ident, $kind:literal, slug) => {
        $crate::ids::string_id!(
            $(#[$meta])* $name, $kind, $crate::ids::is_slug, $crate::ids::SLUG_RULE
        );
    };
    ($(#[$meta:meta])* $name:ident, $kind:literal, $check:path, $rule:expr) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn parse(value: impl Into<String>) -> Result<Self, $crate::ids::InvalidId> {
                let value = value.into();
                if $check(&value) {
                    Ok(Self(value))
                } else {
                    Err($crate::ids::InvalidId::new($kind, &value, $rule))
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl ::std::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::ids::InvalidId;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <String as ::serde::Deserialize>::deserialize(d)?;
                Self::parse(s).map_err(<D::Error as ::serde::de::Error>::custom)
            }
        }
    };
}
pub(crate) use string_id;

string_id!(
    /// A channel account: the id in `/webhooks/facebook/{account_id}`.
    AccountId, "account id", slug
);
string_id!(
    /// An agent id, e.g. `anna` or `agent-17`.
    AgentId, "agent id", slug
);
string_id!(
    /// A workstream id: a slug, like an account id.
    WorkstreamId, "workstream id", slug
);
string_id!(
    /// A Facebook page id.
    PageId, "page id", digits, "a page id is 1 to 32 digits"
);
string_id!(
    /// A page-scoped id of one customer.
    Psid, "PSID", digits, "a PSID is 1 to 32 digits"
);
string_id!(
    /// A Facebook app id.
    AppId, "app id", digits, "an app id is 1 to 32 digits"
);
string_id!(
    /// A Messenger message id.
    Mid, "message id", opaque, "a message id is 1 to 1024 printable characters"
);
string_id!(
    /// A conversation: `cv_` followed by a time-ordered UUID.
    ConversationId, "conversation id", generated, "ids are 1 to 64 characters from A-Z, a-z, 0-9, '_' and '-'"
);
string_id!(
    /// A contact record: `ct_` followed by a time-ordered UUID.
    ContactId, "contact id", generated, "ids are 1 to 64 characters from A-Z, a-z, 0-9, '_' and '-'"
);

impl ConversationId {
    pub fn generate() -> Self {
        Self(format!("cv_{}", uuid::Uuid::now_v7().simple()))
    }
}

string_id!(
    /// An outbound message: `ob_` followed by a time-ordered UUID.
    OutboundId, "outbound message id", generated, "ids are 1 to 64 characters from A-Z, a-z, 0-9, '_' and '-'"
);

impl OutboundId {
    pub fn generate() -> Self {
        Self(format!("ob_{}", uuid::Uuid::now_v7().simple()))
    }
}

impl ContactId {
    pub fn generate() -> Self {
        Self(format!("ct_{}", uuid::Uuid::now_v7().simple()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_ids_reject_letters_and_empty() {
        assert!(PageId::parse("104857600000001").is_ok());
        assert!(PageId::parse("").is_err());
        assert!(PageId::parse("12a").is_err());
        let e = Psid::parse("x".repeat(200)).unwrap_err();
        assert!(e.value.len() <= 80);
    }

    #[test]
    fn account_ids_are_slugs() {
        assert!(AccountId::parse("acme-eu_1").is_ok());
        assert!(AccountId::parse("Acme").is_err());
        assert!(AccountId::parse("a/b").is_err());
    }

    #[test]
    fn one_slug_rule_for_every_slug_id() {
        assert!(is_slug(&"a".repeat(64)));
        assert!(!is_slug(&"a".repeat(65)));
        assert!(!is_slug(""));
        assert!(!is_slug("é"));
        let e = WorkstreamId::parse("Sales").unwrap_err();
        assert_eq!(
            e.to_string(),
            "workstream id \"Sales\" is not valid: use 1 to 64 characters from a-z, 0-9, '-' and '_'"
        );
        let w: WorkstreamId = serde_json::from_str("\"sales-eu\"").unwrap();
        assert_eq!(w.to_string(), "sales-eu");
        assert_eq!(format!("{w:?}"), "WorkstreamId(\"sales-eu\")");
        assert_eq!(serde_json::to_string(&w).unwrap(), "\"sales-eu\"");
        assert!(serde_json::from_str::<WorkstreamId>("\"Sales\"").is_err());
    }

    #[test]
    fn generated_ids_parse_back_and_differ() {
        let a = ConversationId::generate();
        let b = ConversationId::generate();
        assert_ne!(a, b);
        assert_eq!(ConversationId::parse(a.as_str()).unwrap(), a);
        assert!(a.as_str().starts_with("cv_"));
    }

    #[test]
    fn an_invalid_id_of_any_text_is_shown_cut_on_a_character_boundary() {
        // Byte 80 falls inside a three-byte character.
        for value in ["a€".repeat(60), "ø".repeat(300), "€".repeat(81)] {
            let e = PageId::parse(value.as_str()).unwrap_err();
            assert_eq!(e.value.chars().count(), 80, "{}", e.value);
            assert!(value.starts_with(&e.value));
        }
        assert_eq!(clip("short", 80), "short");
    }

    #[test]
    fn deserialize_validates() {
        let ok: Result<PageId, _> = serde_json::from_str("\"123\"");
        assert!(ok.is_ok());
        let bad: Result<PageId, _> = serde_json::from_str("\"abc\"");
        assert!(bad.is_err());
    }
}
