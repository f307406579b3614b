//! Answers: the domain's [`Problem`] as an axum response (RFC 9457
//! `application/problem+json`, with `Allow` on a 405), JSON bodies, and
//! each route's 405 for the methods it does not take.

use axum::extract::FromRequestParts;
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use http::{HeaderValue, StatusCode, header};
use serde::Serialize;
use switchboard_core::problem::Problem;

/// A [`Problem`] on the wire (the type stays in the domain crate).
#[derive(Debug)]
pub struct ApiProblem(pub Problem);

/// Every domain error answers as its problem (each maps to one once).
impl<E: Into<Problem>> From<E> for ApiProblem {
    fn from(e: E) -> Self {
        Self(e.into())
    }
}

impl IntoResponse for ApiProblem {
    fn into_response(self) -> Response {
        let p = self.0;
        let body = serde_json::to_vec(&p).unwrap_or_default();
        let mut resp = Response::new(axum::body::Body::from(body));
        *resp.status_mut() =
            StatusCode::from_u16(p.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(allow) = p.allow {
            resp.headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static(allow));
        }
        resp
    }
}

/// What a handler answers: a response, or a problem.
pub type Answer = Result<Response, ApiProblem>;

/// `value` as JSON with `status`.
pub fn json<T: Serialize>(status: StatusCode, value: &T) -> Answer {
    match serde_json::to_vec(value) {
        Ok(body) => Ok((
            status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            body,
        )
            .into_response()),
        Err(e) => Err(Problem::internal(format!("response could not be encoded: {e}")).into()),
    }
}

/// `200` with `value` as JSON.
pub fn ok<T: Serialize>(value: &T) -> Answer {
    json(StatusCode::OK, value)
}

/// `201` with `value` as JSON.
pub fn created<T: Serialize>(value: &T) -> Answer {
    json(StatusCode::CREATED, value)
}

/// `204`, no body.
pub fn no_content() -> Answer {
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `text/plain` with `status`.
pub fn text(status: StatusCode, body: String) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        )],
        body,
    )
        .into_response()
}

/// A route that takes `allow` (e.g. `"GET, PUT"`): every other method,
/// `HEAD` included, is answered `405` with that `Allow`, once the checks
/// `C` (the caller, the path's ids, as the route's handlers make them
/// first) have passed. Chain the route's methods onto it.
pub fn methods<S, C>(allow: &'static str) -> MethodRouter<S>
where
    S: Clone + Send + Sync + 'static,
    C: FromRequestParts<S> + Send + 'static,
{
    let refuse = move |_: C| async move { ApiProblem(Problem::method_not_allowed(allow)) };
    MethodRouter::new().head(refuse).fallback(refuse)
}
