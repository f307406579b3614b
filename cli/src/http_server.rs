//! serve's HTTP listener, made to face the internet: a client must send
//! its headers within [`HEADER_TIMEOUT`] and its body within
//! [`BODY_TIMEOUT`], a request is answered within [`REQUEST_TIMEOUT`], a
//! panic answers `500` for that request only, and a client that keeps
//! presenting bad tokens is told to wait (see [`FailureBudget`]).

use axum::body::Body;
use bytes::Bytes;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use switchboard_core::ingest::MAX_BODY;
use switchboard_core::problem::{Problem, Status};

/// How long a client may take to send a request's headers.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a client may take to send a request's body.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a request may take to answer (the agents' feed waits up to 25 s).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Serve until Ctrl-C.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    failures_per_minute: u32,
) {
    let budget = Arc::new(FailureBudget::new(failures_per_minute));
    let shutdown = tokio::signal::ctrl_c();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait, go on.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => return,
        };
        let (router, budget) = (router.clone(), budget.clone());
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let (router, budget) = (router.clone(), budget.clone());
                async move { Ok::<_, Infallible>(answer(router, &budget, peer, req).await) }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service)
                // GET /agent/v1/stream upgrades to a WebSocket.
                .with_upgrades();
            if let Err(e) = conn.await {
                tracing::debug!(%peer, error = %e, "connection ended");
            }
        });
    }
}

fn problem(p: Problem) -> http::Response<Body> {
    switchboard_http::response(p)
}

async fn answer(
    router: axum::Router,
    budget: &FailureBudget,
    peer: SocketAddr,
    req: http::Request<Incoming>,
) -> http::Response<Body> {
    let guarded = guarded_path(req.uri().path());
    if guarded && let Some(wait) = budget.blocked(peer.ip()) {
        let mut r = problem(Problem::new(
            Status::TOO_MANY_REQUESTS,
            "too_many_failed_attempts",
            "Too many failed attempts",
            format!(
                "too many requests from this address had a wrong token; try again in {} s",
                wait.as_secs().max(1)
            ),
        ));
        if let Ok(v) = http::HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
            r.headers_mut().insert(http::header::RETRY_AFTER, v);
        }
        return r;
    }
    let (parts, body) = req.into_parts();
    let bytes: Bytes = match tokio::time::timeout(
        BODY_TIMEOUT,
        axum::body::to_bytes(Body::new(body), MAX_BODY),
    )
    .await
    {
        Ok(Ok(b)) => b,
        Ok(Err(_)) => {
            return problem(Problem::new(
                Status::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "Payload too large",
                format!("the body is over {MAX_BODY} bytes, or it broke off"),
            ));
        }
        Err(_) => {
            return problem(Problem::new(
                Status::REQUEST_TIMEOUT,
                "request_timeout",
                "Request timeout",
                format!(
                    "the body did not arrive within {} s",
                    BODY_TIMEOUT.as_secs()
                ),
            ));
        }
    };
    let req = http::Request::from_parts(parts, Body::from(bytes));
    let run = std::panic::AssertUnwindSafe(tower::ServiceExt::oneshot(
        switchboard_http::app(router),
        req,
    ));
    let resp = match tokio::time::timeout(REQUEST_TIMEOUT, futures_catch(run)).await {
        Ok(Ok(Ok(resp))) => resp,
        Ok(Ok(Err(never))) => match never {},
        Ok(Err(error)) => {
            tracing::error!(%error, "request panicked");
            return problem(Problem::internal(
                "the request failed inside Switchboard; it has been logged",
            ));
        }
        Err(_) => {
            return problem(Problem::new(
                Status::SERVICE_UNAVAILABLE,
                "timeout",
                "Timeout",
                format!("no answer within {} s", REQUEST_TIMEOUT.as_secs()),
            ));
        }
    };
    if guarded && resp.status() == http::StatusCode::UNAUTHORIZED {
        budget.failed(peer.ip());
    }
    resp
}

/// A future's output, or what its panic said.
async fn futures_catch<F: std::future::Future>(
    f: std::panic::AssertUnwindSafe<F>,
) -> Result<F::Output, String> {
    use futures::FutureExt;
    f.catch_unwind()
        .await
        .map_err(|p| switchboard_core::panics::describe(p.as_ref()))
}

/// Routes that take a token.
fn guarded_path(path: &str) -> bool {
    path.starts_with("/admin/") || path.starts_with("/agent/")
}

/// The window failures are counted in, and the wait once over budget.
pub const WINDOW: Duration = Duration::from_secs(60);

/// Failed token checks per client address, in fixed windows of [`WINDOW`].
pub struct FailureBudget {
    /// Wrong tokens allowed per window (0: no limit).
    allowed: u32,
    by_ip: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl FailureBudget {
    pub fn new(allowed: u32) -> Self {
        Self {
            allowed,
            by_ip: Mutex::new(HashMap::new()),
        }
    }

    /// How long `ip` must still wait, when it is over budget.
    pub fn blocked(&self, ip: IpAddr) -> Option<Duration> {
        if self.allowed == 0 {
            return None;
        }
        let map = self.by_ip.lock().ok()?;
        let (start, n) = map.get(&ip)?;
        let left = WINDOW.checked_sub(start.elapsed())?;
        (*n >= self.allowed).then_some(left)
    }

    pub fn failed(&self, ip: IpAddr) {
        let Ok(mut map) = self.by_ip.lock() else {
            return;
        };
        if map.len() > 100_000 {
            map.retain(|_, (start, _)| start.elapsed() < WINDOW);
        }
        let e = map.entry(ip).or_insert((Instant::now(), 0));
        if e.0.elapsed() >= WINDOW {
            *e = (Instant::now(), 0);
        }
        e.1 += 1;
        if e.1 == self.allowed {
            tracing::warn!(%ip, "too many wrong tokens from one address; it must wait");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_blocked_after_its_budget_of_failures_only() {
        let b = FailureBudget::new(20);
        let (a, other): (IpAddr, IpAddr) =
            (IpAddr::from([127, 0, 0, 2]), IpAddr::from([127, 0, 0, 3]));
        for _ in 0..19 {
            b.failed(a);
        }
        assert!(b.blocked(a).is_none());
        b.failed(a);
        assert!(b.blocked(a).is_some_and(|d| d <= WINDOW));
        assert!(b.blocked(other).is_none());
    }
}
