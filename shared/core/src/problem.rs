//! The domain's answer when an operation cannot be done: a [`Problem`]
//! with a stable code, a sentence a person can act on, and the class of
//! failure as an RFC 9110 status number ([`Status`]). Each error enum maps
//! to a `Problem` once, in its `From` impl, so every surface answers the
//! same error the same way; `switchboard-http` writes it as RFC 9457
//! `application/problem+json`. No HTTP type is named here.

use serde::Serialize;

/// The class of a failure, as the status number the HTTP edge answers
/// with (a plain number, so the domain needs no HTTP crate).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status(pub u16);

impl Status {
    pub const BAD_REQUEST: Status = Status(400);
    pub const UNAUTHORIZED: Status = Status(401);
    pub const FORBIDDEN: Status = Status(403);
    pub const NOT_FOUND: Status = Status(404);
    pub const METHOD_NOT_ALLOWED: Status = Status(405);
    pub const REQUEST_TIMEOUT: Status = Status(408);
    pub const CONFLICT: Status = Status(409);
    pub const PAYLOAD_TOO_LARGE: Status = Status(413);
    pub const UNPROCESSABLE_ENTITY: Status = Status(422);
    pub const TOO_MANY_REQUESTS: Status = Status(429);
    pub const INTERNAL_SERVER_ERROR: Status = Status(500);
    pub const BAD_GATEWAY: Status = Status(502);
    pub const SERVICE_UNAVAILABLE: Status = Status(503);
}

#[derive(Debug, Clone)]
pub struct Problem {
    pub title: &'static str,
    pub status: u16,
    /// Stable, machine-readable.
    pub code: &'static str,
    /// A sentence a person can act on.
    pub detail: String,
    /// Members particular to the problem (e.g. `closed_at`).
    pub extra: serde_json::Map<String, serde_json::Value>,
    /// For `405`: the methods the route takes (the `Allow` header).
    pub allow: Option<&'static str>,
}

/// A problem as RFC 9457 writes it; `type` is derived from the code.
#[derive(Serialize)]
struct Wire<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    code: &'a str,
    detail: &'a str,
    #[serde(flatten, skip_serializing_if = "serde_json::Map::is_empty")]
    extra: &'a serde_json::Map<String, serde_json::Value>,
}

impl Serialize for Problem {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Wire {
            kind: format!("https://switchboard.dev/problems/{}", self.code),
            title: self.title,
            status: self.status,
            code: self.code,
            detail: &self.detail,
            extra: &self.extra,
        }
        .serialize(s)
    }
}

impl Problem {
    pub fn new(
        status: Status,
        code: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            title,
            status: status.0,
            code,
            detail: detail.into(),
            extra: serde_json::Map::new(),
            allow: None,
        }
    }

    /// `405` for a route that takes `allow` (e.g. `"GET, PUT"`).
    pub fn method_not_allowed(allow: &'static str) -> Self {
        let mut p = Self::new(
            Status::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "Method not allowed",
            format!("this route accepts {allow}"),
        );
        p.allow = Some(allow);
        p
    }

    /// Add a member to the problem.
    pub fn with(mut self, key: &str, value: impl Into<serde_json::Value>) -> Self {
        self.extra.insert(key.to_string(), value.into());
        self
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(Status::NOT_FOUND, "not_found", "Not found", what)
    }

    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(Status::BAD_REQUEST, code, "Bad request", detail)
    }

    pub fn internal(detail: impl Into<String>) -> Self {
        Self::new(
            Status::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            detail,
        )
    }

    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::new(
            Status::SERVICE_UNAVAILABLE,
            "unavailable",
            "Service unavailable",
            detail,
        )
    }
}

impl From<crate::ports::StoreError> for Problem {
    fn from(e: crate::ports::StoreError) -> Self {
        use crate::ports::StoreError as E;
        match &e {
            E::Conflict(_) => Problem::new(Status::CONFLICT, "conflict", "Conflict", e.to_string()),
            E::NotFound(_) => Problem::not_found(e.to_string()),
            E::Unavailable(_) => {
                Problem::unavailable("the store is unavailable; try again shortly")
            }
            E::Corrupt(_) => Problem::internal("stored data could not be read; see the logs"),
        }
    }
}

impl From<crate::ids::InvalidId> for Problem {
    fn from(e: crate::ids::InvalidId) -> Self {
        Problem::bad_request("invalid_id", e.to_string())
    }
}
