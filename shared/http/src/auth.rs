//! Who is calling: the platform's [`Principal`] (AWS: the JWT authorizer's
//! claims, put in the request's extensions by the Lambda glue) or a bearer
//! token (serve), checked by the [`Admin`] and [`Agent`] extractors.

use http::header;
use http::request::Parts;
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

/// The group that may also set an agent's presence through the admin API
/// (in AWS; under serve the admin bearer token does everything).
pub const SUPERVISOR_GROUP: &str = "supervisor";

/// The group agents are in (AWS).
pub const AGENT_GROUP: &str = "agent";

pub(crate) fn unauthenticated(detail: &str) -> Problem {
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

/// Supervisors may set presence; everything else needs the admin group.
fn allowed_groups<'a>(required: &'a str, path: &str) -> Vec<&'a str> {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    let presence = matches!(
        segments.as_slice(),
        ["", "admin", "v1", "agents", _, "presence"]
    );
    if presence {
        vec![required, SUPERVISOR_GROUP]
    } else {
        vec![required]
    }
}

/// Whether the request may use the admin API.
pub fn authorize(auth: &AdminAuth, parts: &Parts) -> Result<(), Problem> {
    match auth {
        AdminAuth::Group(required) => match parts.extensions.get::<Principal>() {
            Some(p)
                if p.groups
                    .iter()
                    .any(|g| allowed_groups(required, parts.uri.path()).contains(&g.as_str())) =>
            {
                Ok(())
            }
            Some(p) => Err(Problem::new(
                Status::FORBIDDEN,
                "forbidden",
                "Forbidden",
                format!("{} is not in the {required} group", p.subject),
            )),
            None => Err(unauthenticated(
                "sign in: this API needs a token from the stack's user pool",
            )),
        },
        AdminAuth::Bearer(expected) => match bearer(parts) {
            Some(token) if !expected.is_empty() && expected.ct_eq(token.trim()) => Ok(()),
            Some(_) => Err(unauthenticated("the bearer token is not valid")),
            None => Err(unauthenticated("send Authorization: Bearer <admin token>")),
        },
    }
}

/// An administrator (or, for presence, a supervisor).
pub struct Admin;

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
                        "the agent token is not valid: it expired, was revoked, or its agent was deleted; ask an administrator for a new one",
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

    fn as_member(path: &str, group: &str) -> Parts {
        let mut req = http::Request::builder()
            .method("PUT")
            .uri(path)
            .body(())
            .unwrap();
        req.extensions_mut().insert(Principal {
            subject: "u1".into(),
            username: None,
            groups: vec![group.into()],
        });
        req.into_parts().0
    }

    #[test]
    fn supervisors_may_set_presence_and_nothing_else() {
        let auth = AdminAuth::Group("admin".into());
        assert!(
            authorize(
                &auth,
                &as_member("/admin/v1/agents/anna/presence", "supervisor")
            )
            .is_ok()
        );
        assert!(authorize(&auth, &as_member("/admin/v1/agents/anna/presence", "admin")).is_ok());
        let denied =
            authorize(&auth, &as_member("/admin/v1/agents/anna", "supervisor")).unwrap_err();
        assert_eq!(denied.status, 403);
        assert!(authorize(&auth, &as_member("/admin/v1/agents/anna/presence", "agent")).is_err());
    }
}
