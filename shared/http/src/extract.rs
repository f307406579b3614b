//! Extractors every API shares, each refusing with the project's problem
//! JSON: path ids (percent-decoded, validated), query pairs and paging,
//! and JSON bodies under one rule: a body is a JSON object; an operation
//! whose body is required ([`Json`]) refuses an empty one, one whose body
//! is optional ([`OptionalJson`]) reads it as `{}`.

use crate::problem::ApiProblem;
use axum::extract::{FromRequest, FromRequestParts, RawPathParams, Request};
use bytes::Bytes;
use http::request::Parts;
use serde::de::DeserializeOwned;
use switchboard_core::canned::CannedResponseId;
use switchboard_core::ids::{AccountId, ConversationId, InvalidId, PageId, Psid};
use switchboard_core::paging::PageRequest;
use switchboard_core::problem::Problem;
use switchboard_core::routing::model::{AgentId, QueueId, RulesetId};
use switchboard_core::workstreams::WorkstreamId;

/// The request path as it came, before trailing slashes were trimmed for
/// routing (see [`crate::app`]).
#[derive(Clone, Debug)]
pub struct OriginalPath(pub String);

impl OriginalPath {
    pub fn of(parts: &Parts) -> String {
        parts
            .extensions
            .get::<OriginalPath>()
            .map(|p| p.0.clone())
            .unwrap_or_else(|| parts.uri.path().to_string())
    }

    pub fn of_request<B>(req: &http::Request<B>) -> String {
        req.extensions()
            .get::<OriginalPath>()
            .map(|p| p.0.clone())
            .unwrap_or_else(|| req.uri().path().to_string())
    }
}

fn invalid_path() -> Problem {
    Problem::bad_request(
        "invalid_path",
        "a path segment is not percent-encoded UTF-8",
    )
}

/// The segments of a route's path, each percent-decoded
/// (`/admin/v1/agents/%61nna` names agent `anna`).
pub fn path_segments(rest: &str) -> Result<Vec<String>, Problem> {
    rest.split('/')
        .map(|seg| {
            percent_encoding::percent_decode_str(seg)
                .decode_utf8()
                .map(|c| c.into_owned())
                .map_err(|_| invalid_path())
        })
        .collect()
}

/// The route's path parameters, percent-decoded, in order.
pub struct Params(pub Vec<String>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiProblem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let raw = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| invalid_path())?;
        Ok(Self(raw.iter().map(|(_, v)| v.to_string()).collect()))
    }
}

/// An id the path names, validated as the domain does.
pub trait PathId: Sized {
    fn parse_id(v: &str) -> Result<Self, InvalidId>;
}

macro_rules! path_ids {
    ($($t:ty),*) => {$(
        impl PathId for $t {
            fn parse_id(v: &str) -> Result<Self, InvalidId> {
                <$t>::parse(v)
            }
        }
    )*};
}
path_ids!(
    AccountId,
    PageId,
    WorkstreamId,
    AgentId,
    QueueId,
    RulesetId,
    ConversationId,
    CannedResponseId,
    Psid
);

fn param(params: &[String], i: usize) -> Result<&str, Problem> {
    params
        .get(i)
        .map(String::as_str)
        .ok_or_else(|| Problem::internal("a route lacks a path parameter"))
}

/// The route's first path parameter as an id.
pub struct Id<T>(pub T);

impl<S: Send + Sync, T: PathId> FromRequestParts<S> for Id<T> {
    type Rejection = ApiProblem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Params(p) = Params::from_request_parts(parts, state).await?;
        Ok(Self(T::parse_id(param(&p, 0)?).map_err(Problem::from)?))
    }
}

/// The route's first two path parameters as ids.
pub struct Id2<A, B>(pub A, pub B);

impl<S: Send + Sync, A: PathId, B: PathId> FromRequestParts<S> for Id2<A, B> {
    type Rejection = ApiProblem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Params(p) = Params::from_request_parts(parts, state).await?;
        let a = A::parse_id(param(&p, 0)?).map_err(Problem::from)?;
        let b = B::parse_id(param(&p, 1)?).map_err(Problem::from)?;
        Ok(Self(a, b))
    }
}

/// The query string's pairs, decoded, in order.
pub struct QueryPairs(pub Vec<(String, String)>);

impl QueryPairs {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// `?limit=` and `?cursor=` of a list.
    pub fn page(&self) -> Result<PageRequest, Problem> {
        PageRequest::from_pairs(self.0.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for QueryPairs {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(
            form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        ))
    }
}

/// A list's paging (`?limit=`, `?cursor=`).
pub struct Paging(pub PageRequest);

impl<S: Send + Sync> FromRequestParts<S> for Paging {
    type Rejection = ApiProblem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Ok(q) = QueryPairs::from_request_parts(parts, state).await;
        Ok(Self(q.page()?))
    }
}

/// The request body's bytes, for a handler that reads it only after its
/// other checks (the caller may act on the conversation, ...).
pub struct Body(pub Bytes);

impl Body {
    /// The body of an operation whose body is required.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Problem> {
        read_body(&self.0)
    }

    /// The body of an operation whose body is optional: empty is `{}`.
    pub fn json_or_empty<T: DeserializeOwned>(&self) -> Result<T, Problem> {
        if self.0.is_empty() {
            read_body(b"{}")
        } else {
            read_body(&self.0)
        }
    }
}

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = ApiProblem;

    async fn from_request(req: Request, _: &S) -> Result<Self, Self::Rejection> {
        // The front end bounds the size (serve: `ingest::MAX_BODY`; AWS:
        // API Gateway's payload limit).
        axum::body::to_bytes(req.into_body(), usize::MAX)
            .await
            .map(Self)
            .map_err(|e| {
                Problem::bad_request("invalid_body", format!("the body could not be read: {e}"))
                    .into()
            })
    }
}

/// The JSON body of an operation whose body is required.
pub struct Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = ApiProblem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(Body::from_request(req, state).await?.json()?))
    }
}

/// The JSON body of an operation whose body is optional (empty: `{}`).
pub struct OptionalJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiProblem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(Body::from_request(req, state).await?.json_or_empty()?))
    }
}

/// Request bodies are JSON objects (serde would read an array as a struct).
pub fn require_object(body: &[u8]) -> Result<(), Problem> {
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => Ok(()),
        _ => Err(Problem::bad_request(
            "invalid_body",
            "the request body must be a JSON object",
        )),
    }
}

/// A request body: a JSON object, read as `T`. A whole number written with
/// a fraction (`2.0`) is the integer JSON Schema says it is. The detail names
/// the field that is wrong (`distribution.capacity.units: ...`), so a form can
/// show it beside that field. (Fields that
/// `null` does not clear refuse it: see `switchboard_core::serde_rules::present`.)
pub fn read_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, Problem> {
    require_object(body)?;
    let invalid = |e: serde_json::Error| {
        Problem::bad_request(
            "invalid_body",
            format!("the request body is not what this route takes: {e}"),
        )
    };
    let mut value: serde_json::Value = serde_json::from_slice(body).map_err(invalid)?;
    whole_numbers_as_integers(&mut value);
    switchboard_core::field_error::from_value(&value).map_err(|e| {
        Problem::bad_request(
            "invalid_body",
            format!("the request body is not what this route takes: {e}"),
        )
    })
}

fn whole_numbers_as_integers(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::Number(n) => {
            if let Some(f) = n.as_f64().filter(|_| n.is_f64())
                && f.fract() == 0.0
                && f.abs() < 9.0e15
            {
                *v = Value::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_numbers_as_integers),
        Value::Object(map) => map.values_mut().for_each(whole_numbers_as_integers),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_objects_and_whole_floats_are_integers() {
        #[derive(serde::Deserialize, Debug)]
        struct Q {
            priority: u32,
            #[serde(default)]
            weights: Vec<u8>,
        }
        let q: Q = read_body(br#"{"priority": 2089.0, "weights": [1.0, 2]}"#).unwrap();
        assert_eq!((q.priority, q.weights), (2089, vec![1, 2]));
        assert!(read_body::<Q>(br#"{"priority": 2.5}"#).is_err());
        let e = read_body::<Q>(br#"{"priority": 1, "weights": [1, -1]}"#).unwrap_err();
        assert!(
            e.detail.contains("weights[1]: invalid value: integer `-1`"),
            "the detail names the field: {}",
            e.detail
        );
        for not_object in [&b"[null, null]"[..], b"5", b"  \"x\""] {
            let e = read_body::<serde_json::Value>(not_object).unwrap_err();
            assert_eq!((e.status, e.code), (400, "invalid_body"));
        }
    }

    #[test]
    fn path_segments_are_percent_decoded() {
        assert_eq!(
            path_segments("agents/%61nna/tokens").unwrap(),
            ["agents", "anna", "tokens"]
        );
        assert_eq!(
            path_segments("agents/%FF").unwrap_err().code,
            "invalid_path"
        );
    }

    #[test]
    fn empty_bodies_follow_the_operation() {
        let empty = Body(Bytes::new());
        assert_eq!(
            empty.json::<serde_json::Value>().unwrap_err().code,
            "invalid_body"
        );
        assert_eq!(
            empty.json_or_empty::<serde_json::Value>().unwrap(),
            serde_json::json!({})
        );
    }
}
