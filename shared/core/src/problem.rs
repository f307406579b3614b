//! HTTP problem responses (RFC 9457, `application/problem+json`): each
//! error enum maps to a [`Problem`] once, in its `From` impl, so every
//! surface answers the same error the same way.

use bytes::Bytes;
use http::{Response, StatusCode, header};
use serde::Serialize;

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
        status: StatusCode,
        code: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            title,
            status: status.as_u16(),
            code,
            detail: detail.into(),
            extra: serde_json::Map::new(),
            allow: None,
        }
    }

    /// `405` for a route that takes `allow` (e.g. `"GET, PUT"`).
    pub fn method_not_allowed(allow: &'static str) -> Self {
        let mut p = Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
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
        Self::new(StatusCode::NOT_FOUND, "not_found", "Not found", what)
    }

    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, "Bad request", detail)
    }

    pub fn internal(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            detail,
        )
    }

    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Service unavailable",
            detail,
        )
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    pub fn into_response(self) -> Response<Bytes> {
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut resp = Response::new(Bytes::from(body));
        *resp.status_mut() = self.status();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/problem+json"),
        );
        if let Some(allow) = self.allow {
            resp.headers_mut()
                .insert(header::ALLOW, header::HeaderValue::from_static(allow));
        }
        resp
    }
}

impl From<crate::ports::StoreError> for Problem {
    fn from(e: crate::ports::StoreError) -> Self {
        use crate::ports::StoreError as E;
        match &e {
            E::Conflict(_) => {
                Problem::new(StatusCode::CONFLICT, "conflict", "Conflict", e.to_string())
            }
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
