//! Who is calling: the platform's [`Principal`] (AWS: the JWT authorizer's
//! claims, put in the request's extensions by the Lambda glue) or a bearer
//! token (serve), checked by the [`Admin`] and [`Agent`] extractors.

use http::request::Parts;
use http::{Method, header};
use switchboard_core::Secret;
use switchboard_core::channels::ChannelDeps;
use switchboard_core::problem::{Problem, Status};
use switchboard_core::routing::model::AgentId;
use switchboard_core::visibility::Caller;

/// Who is calling, as the platform's authorizer established it (in AWS,
/// the API Gateway JWT authorizer's claims). Only the Lambda glue puts it
/// in a request's extensions; no header can.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub subject: String,
    /// The user name (Cognito's `username`): an agent signs in with their agent id.
    pub username: Option<String>,
    pub groups: Vec<String>,
}

/// How admin requests prove who they are.
#[derive(Clone)]
pub enum AdminAuth {
    /// `Authorization: Bearer <token>` (serve: `SWITCHBOARD_ADMIN_TOKEN`).
    Bearer(Secret),
    /// A [`Principal`] in this group (AWS: a Cognito group in the JWT).
    Group(String),
}

/// How agents prove who they are.
#[derive(Clone)]
pub enum AgentAuth {
    /// Bearer tokens issued by the admin API (serve), looked up by hash in
    /// the secrets port.
    Tokens,
    /// A [`Principal`] whose username is the agent id, in the `agent` or
    /// `supervisor` group (AWS: the JWT authorizer's claims).
    Claims,
}

/// The group whose members are supervisors (AWS): the agent API shows them
/// every conversation, and they may use the admin routes [`supervisor_may`]
/// lists (under serve: agent tokens issued with `supervisor`).
pub const SUPERVISOR_GROUP: &str = "supervisor";

/// The group agents are in (AWS).
pub const AGENT_GROUP: &str = "agent";

pub fn unauthenticated(detail: &str) -> Problem {
    Problem::new(
        Status::UNAUTHORIZED,
        "unauthenticated",
        "Unauthenticated",
        detail,
    )
}

fn bearer(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
}

/// What a supervisor may do through the admin API: watch the queues and
/// the agents (and set an agent's presence), read any conversation with
/// its routing and the survey answers, and steer conversations (assign,
/// transfer, close). Everything else needs an administrator. `path` is the
/// request's path (trailing slashes trimmed or not).
pub fn supervisor_may(method: &Method, path: &str) -> bool {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    let Some(rest) = segments.as_slice().strip_prefix(&["", "admin", "v1"]) else {
        return false;
    };
    let get = method == Method::GET;
    let post = method == Method::POST;
    match rest {
        ["overview" | "conversations" | "surveys" | "queues" | "agents"] => get,
        ["surveys", "summary"] | ["reports", "service-level"] => get,
        ["conversations", _] => get,
        ["conversations", _, "timeline" | "routing"] => get,
        ["conversations", _, "close" | "assign" | "thread-control"] => post,
        ["queues", _, "waiting"] => get,
        ["customers", _, _, "erase"] => post,
        ["agents", _, "presence"] => get || method == Method::PUT,
        _ => false,
    }
}

/// Who is using the admin API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operator {
    /// The admin token (serve) or the admin group (AWS): everything.
    Administrator,
    /// A supervisor (an agent token issued with `supervisor`, or the
    /// supervisor group), on a route [`supervisor_may`] use; by name.
    Supervisor(String),
}

impl Operator {
    /// Who did it, for diagnostics: "an administrator", "supervisor anna".
    pub fn describe(&self) -> String {
        match self {
            Self::Administrator => "an administrator".into(),
            Self::Supervisor(who) => format!("supervisor {who}"),
        }
    }
}

fn forbidden(detail: String) -> Problem {
    Problem::new(Status::FORBIDDEN, "forbidden", "Forbidden", detail)
}

fn refused_to_supervisor(who: &str, parts: &Parts) -> Problem {
    forbidden(format!(
        "{who} is a supervisor; {} {} needs an administrator",
        parts.method,
        parts.uri.path()
    ))
}

/// The platform's principal (AWS): in the `required` group, an
/// administrator; in the supervisor group, a supervisor where
/// [`supervisor_may`] allows.
fn by_group(required: &str, parts: &Parts) -> Result<Operator, Problem> {
    match parts.extensions.get::<Principal>() {
        Some(p) if p.groups.iter().any(|g| g == required) => Ok(Operator::Administrator),
        Some(p) if p.groups.iter().any(|g| g == SUPERVISOR_GROUP) => {
            let who = p.username.clone().unwrap_or_else(|| p.subject.clone());
            if supervisor_may(&parts.method, parts.uri.path()) {
                Ok(Operator::Supervisor(who))
            } else {
                Err(refused_to_supervisor(&who, parts))
            }
        }
        Some(p) => Err(forbidden(format!(
            "{} is not in the {required} or {SUPERVISOR_GROUP} group",
            p.subject
        ))),
        None => Err(unauthenticated(
            "sign in: this API needs a token from the stack's user pool",
        )),
    }
}

/// Whether the request may use the admin API, and as whom: the admin
/// token or group may do everything, a supervisor what [`supervisor_may`]
/// allows (serve: an agent token issued with `supervisor`, checked against
/// the token store in `tokens`; AWS: the supervisor group).
pub async fn authorize(
    auth: &AdminAuth,
    tokens: &ChannelDeps,
    parts: &Parts,
) -> Result<Operator, Problem> {
    match auth {
        AdminAuth::Group(required) => by_group(required, parts),
        AdminAuth::Bearer(expected) => {
            let Some(token) = bearer(parts).map(str::trim) else {
                return Err(unauthenticated(
                    "send Authorization: Bearer <admin token or supervisor's agent token>",
                ));
            };
            if !expected.is_empty() && expected.ct_eq(token) {
                return Ok(Operator::Administrator);
            }
            match switchboard_core::agent_tokens::verify(tokens, token).await? {
                Some(b) if b.supervisor && supervisor_may(&parts.method, parts.uri.path()) => {
                    Ok(Operator::Supervisor(b.agent.to_string()))
                }
                Some(b) if b.supervisor => Err(refused_to_supervisor(b.agent.as_str(), parts)),
                Some(b) => Err(forbidden(format!(
                    "agent {}'s token is not a supervisor's; the admin API needs the admin token or a supervisor's token",
                    b.agent
                ))),
                None => Err(unauthenticated(
                    "the bearer token is not valid here: the admin API takes the admin token (the server's SWITCHBOARD_ADMIN_TOKEN; `switchboard serve` also writes it to admin-token in its data directory) or a supervisor's agent token",
                )),
            }
        }
    }
}

/// An administrator, or a supervisor on the routes supervisors may use.
pub struct Admin(pub Operator);

/// The agent calling (or a supervisor), recorded on the request's span.
pub struct Agent(pub Caller);

/// The agent a request comes from, by `auth` (agent tokens are checked
/// against the stores in `tokens`).
pub(crate) async fn caller(
    auth: &AgentAuth,
    tokens: &ChannelDeps,
    parts: &Parts,
) -> Result<Caller, Problem> {
    match auth {
        AgentAuth::Tokens => {
            let token = bearer(parts)
                .map(str::trim)
                .ok_or_else(|| unauthenticated("send Authorization: Bearer <agent token>"))?;
            let bearer = switchboard_core::agent_tokens::verify(tokens, token)
                .await?
                .ok_or_else(|| {
                    unauthenticated(
                        "the agent token is not valid: it expired, was revoked, or its agent was deleted, or it is not an agent token (the admin token is for /admin/v1); get one with `switchboard agent token AGENT_ID` or ask an administrator",
                    )
                })?;
            Ok(Caller {
                agent: bearer.agent,
                supervisor: bearer.supervisor,
            })
        }
        AgentAuth::Claims => {
            let p = parts.extensions.get::<Principal>().ok_or_else(|| {
                unauthenticated("sign in: this API needs a token from the stack's user pool")
            })?;
            let supervisor = p.groups.iter().any(|g| g == SUPERVISOR_GROUP);
            if !supervisor && !p.groups.iter().any(|g| g == AGENT_GROUP) {
                return Err(Problem::new(
                    Status::FORBIDDEN,
                    "forbidden",
                    "Forbidden",
                    format!("{} is not in the agent or supervisor group", p.subject),
                ));
            }
            let name = p.username.clone().unwrap_or_else(|| p.subject.clone());
            let agent = AgentId::parse(name.as_str()).map_err(|_| {
                Problem::new(
                    Status::FORBIDDEN,
                    "not_an_agent",
                    "Not an agent",
                    format!("user {name:?} is not an agent id; sign in as the agent"),
                )
            })?;
            Ok(Caller { agent, supervisor })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(method: &str, path: &str) -> bool {
        supervisor_may(&Method::from_bytes(method.as_bytes()).unwrap(), path)
    }

    #[test]
    fn supervisors_may_watch_and_steer_and_nothing_else() {
        for (method, path) in [
            ("GET", "/admin/v1/overview"),
            ("GET", "/admin/v1/conversations"),
            ("GET", "/admin/v1/conversations/cv_1"),
            ("GET", "/admin/v1/conversations/cv_1/timeline"),
            ("GET", "/admin/v1/conversations/cv_1/routing/"),
            ("POST", "/admin/v1/conversations/cv_1/close"),
            ("POST", "/admin/v1/conversations/cv_1/assign"),
            ("GET", "/admin/v1/surveys"),
            ("GET", "/admin/v1/surveys/summary"),
            ("GET", "/admin/v1/reports/service-level"),
            ("GET", "/admin/v1/queues"),
            ("GET", "/admin/v1/queues/billing/waiting"),
            ("GET", "/admin/v1/agents"),
            ("GET", "/admin/v1/agents/anna/presence"),
            ("PUT", "/admin/v1/agents/anna/presence"),
        ] {
            assert!(allowed(method, path), "{method} {path}");
        }
        for (method, path) in [
            ("POST", "/admin/v1/agents"),
            ("GET", "/admin/v1/agents/anna"),
            ("PATCH", "/admin/v1/agents/anna"),
            ("DELETE", "/admin/v1/agents/anna/presence"),
            ("POST", "/admin/v1/agents/anna/tokens"),
            ("GET", "/admin/v1/agents/anna/tokens"),
            ("POST", "/admin/v1/queues"),
            ("GET", "/admin/v1/queues/billing"),
            ("DELETE", "/admin/v1/queues/billing"),
            ("POST", "/admin/v1/overview"),
            ("GET", "/admin/v1/conversations/cv_1/close"),
            ("GET", "/admin/v1/conversations/cv_1/assign"),
            ("DELETE", "/admin/v1/conversations/cv_1"),
            ("GET", "/admin/v1/accounts"),
            ("GET", "/admin/v1/export"),
            ("POST", "/admin/v1/apply"),
            ("GET", "/admin/v1/alerts"),
            ("GET", "/admin/v1/workstreams"),
            ("GET", "/admin/v1/rulesets"),
            ("GET", "/admin/v1/canned-responses"),
            ("GET", "/admin/v1/conversations/cv_1/timeline/more"),
            ("GET", "/admin/v1"),
            ("GET", "/agent/v1/conversations"),
            ("GET", "/other/admin/v1/overview"),
        ] {
            assert!(!allowed(method, path), "{method} {path}");
        }
    }

    fn as_member(method: &str, path: &str, group: &str) -> Parts {
        let mut req = http::Request::builder()
            .method(method)
            .uri(path)
            .body(())
            .unwrap();
        req.extensions_mut().insert(Principal {
            subject: "u1".into(),
            username: Some("anna".into()),
            groups: vec![group.into()],
        });
        req.into_parts().0
    }

    #[test]
    fn groups_admin_everything_supervisor_its_routes() {
        let sup = by_group(
            "admin",
            &as_member("PUT", "/admin/v1/agents/anna/presence", "supervisor"),
        );
        assert_eq!(sup.unwrap(), Operator::Supervisor("anna".into()));
        assert_eq!(
            by_group("admin", &as_member("GET", "/admin/v1/accounts", "admin")).unwrap(),
            Operator::Administrator
        );
        assert!(
            by_group(
                "admin",
                &as_member("GET", "/admin/v1/agents/anna", "supervisor")
            )
            .is_err()
        );
        assert!(by_group("admin", &as_member("GET", "/admin/v1/overview", "agent")).is_err());
    }
}
