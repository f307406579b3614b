//! Glue between the Lambda event shapes and the domain's handlers, shared by
//! every function's `main.rs`: an HTTP function serves its API's router
//! ([`serve`]), a queue function runs a batch.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use bytes::Bytes;
use lambda_http::Body;
use switchboard_core::router::{BatchItem, RouterDeps, process_batch};
use switchboard_http::Principal;

pub use lambda_http::Error;

/// JSON logs (`AWS_LAMBDA_LOG_FORMAT=JSON`; level from `AWS_LAMBDA_LOG_LEVEL`
/// or `RUST_LOG`, default info), one flat object a line carrying the fields
/// of every span in scope ([`crate::log_line`]), so each line has the
/// runtime's `requestId` and our request or queue-message ids; and
/// metric events as CloudWatch EMF lines (see [`crate::emf`]).
pub fn init_tracing() {
    use tracing_subscriber::Layer;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "info".into())
        .to_lowercase();
    let logs_filter = crate::log_line::logs_filter(&level);
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json"));
    let logs = tracing_subscriber::fmt::layer()
        .with_target(false)
        .without_time();
    let logs = if json {
        logs.fmt_fields(tracing_subscriber::fmt::format::JsonFields::new())
            .event_format(crate::log_line::FlatJson)
            .with_filter(logs_filter)
            .boxed()
    } else {
        logs.with_filter(logs_filter).boxed()
    };
    let _ = tracing_subscriber::registry()
        .with(logs)
        // It holds an invocation's metrics on its span until it ends.
        .with(crate::emf::EmfLayer::from_env().filtered())
        .try_init();
}

/// Serve an API's router as this function (as the runtime's axum
/// examples do, `lambda_http::run` over the router), each request made
/// ready for it by [`to_router`] (the router answers its unknown paths).
pub async fn serve(router: axum::Router) -> Result<(), Error> {
    let app = switchboard_http::app(router);
    lambda_http::run(tower::ServiceExt::map_request(
        app,
        to_router as fn(lambda_http::Request) -> axum::extract::Request,
    ))
    .await
}

/// An API Gateway request as the routers take it: the caller API
/// Gateway's JWT authorizer verified (its claims) becomes the request's
/// [`Principal`], which the admin and agent extractors read; the body is
/// the exact bytes Meta sent: `lambda_http` has already decoded API
/// Gateway's base64 (`isBase64Encoded`), and nothing re-serialises it.
pub fn to_router(req: lambda_http::Request) -> axum::extract::Request {
    let principal = principal(&req);
    let (mut parts, body) = req.into_parts();
    if let Some(p) = principal {
        parts.extensions.insert(p);
    }
    let bytes = match body {
        Body::Empty => Bytes::new(),
        Body::Text(t) => Bytes::from(t),
        Body::Binary(b) => Bytes::from(b),
        _ => Bytes::new(),
    };
    http::Request::from_parts(parts, axum::body::Body::from(bytes))
}

/// The claim that lists a user's groups (Cognito's, unless overridden by
/// `SWITCHBOARD_GROUPS_CLAIM` for another issuer).
pub fn groups_claim() -> String {
    std::env::var("SWITCHBOARD_GROUPS_CLAIM").unwrap_or_else(|_| "cognito:groups".into())
}

/// The caller as API Gateway's JWT authorizer verified it, if it did.
fn principal(req: &lambda_http::Request) -> Option<Principal> {
    use lambda_http::RequestExt;
    use lambda_http::request::RequestContext;
    let RequestContext::ApiGatewayV2(ctx) = req.request_context_ref()? else {
        return None;
    };
    let claims = &ctx.authorizer.as_ref()?.jwt.as_ref()?.claims;
    Some(Principal {
        subject: claims
            .get("sub")
            .or_else(|| claims.get("username"))
            .cloned()
            .unwrap_or_default(),
        username: claims
            .get("username")
            .or_else(|| claims.get("cognito:username"))
            .cloned(),
        groups: claims
            .get(&groups_claim())
            .map(|g| parse_groups(g))
            .unwrap_or_default(),
    })
}

/// HTTP APIs render a list claim as `[admin agent]`; accept JSON-ish and
/// comma-separated forms too.
pub fn parse_groups(v: &str) -> Vec<String> {
    v.trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .split(|c: char| c == ',' || c.is_whitespace())
        .map(|g| g.trim_matches('"'))
        .filter(|g| !g.is_empty())
        .map(str::to_string)
        .collect()
}

/// A system attribute of an SQS record (empty when absent).
fn attribute<'a>(r: &'a aws_lambda_events::event::sqs::SqsMessage, name: &str) -> &'a str {
    r.attributes
        .get(name)
        .map(String::as_str)
        .unwrap_or_default()
}

/// An SQS record's message id, FIFO group and body (each empty when absent).
fn id_group_body(r: &aws_lambda_events::event::sqs::SqsMessage) -> (&str, &str, &str) {
    (
        r.message_id.as_deref().unwrap_or_default(),
        attribute(r, "MessageGroupId"),
        r.body.as_deref().unwrap_or_default(),
    )
}

/// Run the router over an SQS batch and report the failed messages, so
/// only those are retried (`ReportBatchItemFailures`).
pub async fn route_sqs_batch(deps: &RouterDeps, event: SqsEvent) -> SqsBatchResponse {
    let items: Vec<BatchItem<'_>> = event
        .records
        .iter()
        .map(|r| {
            let (message_id, group, body) = id_group_body(r);
            BatchItem {
                message_id,
                group,
                body,
            }
        })
        .collect();
    let failed = process_batch(deps, &items).await;
    let mut resp = SqsBatchResponse::default();
    resp.batch_item_failures = failed
        .into_iter()
        .map(|id| {
            let mut f = BatchItemFailure::default();
            f.item_identifier = id;
            f
        })
        .collect();
    resp
}

/// Run the sender over an SQS batch of the outbound queue. Sent (or
/// finally failed) messages succeed, so Lambda deletes them; a message to
/// be retried gets its visibility set to the backoff the sender chose
/// (Meta's time-to-regain-access when given) and is reported failed, and
/// so is the rest of its conversation's group (FIFO order). If setting the
/// visibility fails, the message is still reported failed: it comes back
/// after the queue's visibility timeout instead.
pub async fn send_sqs_batch(
    deps: &switchboard_core::sender::SenderDeps,
    queue: &dyn switchboard_core::ports::Queue,
    event: SqsEvent,
) -> SqsBatchResponse {
    use switchboard_core::sender::{SendItem, Settle, process_batch};
    let items: Vec<SendItem<'_>> = event
        .records
        .iter()
        .map(|r| {
            let (message_id, group, body) = id_group_body(r);
            SendItem {
                message_id,
                group,
                body,
                receive_count: attribute(r, "ApproximateReceiveCount").parse().unwrap_or(1),
            }
        })
        .collect();
    let settles = process_batch(deps, &items).await;
    let mut resp = SqsBatchResponse::default();
    for (record, settle) in event.records.iter().zip(settles) {
        let Settle::Retry(after) = settle else {
            continue;
        };
        let id = record.message_id.clone().unwrap_or_default();
        if let Some(receipt) = record.receipt_handle.as_deref()
            && let Err(e) = queue.release(receipt, after).await
        {
            tracing::warn!(message_id = %id, error = %e, "could not set the retry delay; the queue's visibility timeout applies");
        }
        let mut f = BatchItemFailure::default();
        f.item_identifier = id;
        resp.batch_item_failures.push(f);
    }
    resp
}

#[cfg(test)]
mod tests {
    #[test]
    fn group_claims_in_every_rendering() {
        for v in [
            "[admin agent]",
            "admin,agent",
            "[\"admin\",\"agent\"]",
            " admin  agent ",
        ] {
            assert_eq!(super::parse_groups(v), ["admin", "agent"], "{v}");
        }
        assert!(super::parse_groups("[]").is_empty());
    }
}
