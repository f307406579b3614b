//! What each Lambda function needs from AWS: the environment variables its
//! code reads and the IAM actions its adapters call. `infra/template.yaml`
//! must grant exactly these and set the required variables; the adapters
//! record the actions they call (`actions_called`), and
//! `tests/tests/least_privilege.rs` runs each function's code and checks
//! both against this list and the template.

/// One function: its crate under `functions/`, its template resource, what
/// it reads from the environment, what it calls.
#[derive(Debug, Clone, Copy)]
pub struct FunctionSpec {
    pub name: &'static str,
    pub resource: &'static str,
    /// Read and required (the template must set them).
    pub env: &'static [&'static str],
    /// Read with a default.
    pub env_optional: &'static [&'static str],
    /// IAM actions the function's own code calls.
    pub actions: &'static [&'static str],
    /// IAM actions the SQS event source mapping needs on the function's role.
    pub event_source_actions: &'static [&'static str],
    /// IAM actions on the WebSocket connections only (the connections table
    /// and the WebSocket API's `@connections`), granted in statements of
    /// their own that name nothing else.
    pub connection_actions: &'static [&'static str],
}

const TABLE: &str = "SWITCHBOARD_TABLE";
const SECRETS_PREFIX: &str = "SWITCHBOARD_SECRETS_PREFIX";
const PUBLIC_URL: &str = "SWITCHBOARD_PUBLIC_URL";
/// Base of the webhook callback URLs shown (the webhook function's URL).
const WEBHOOK_URL: &str = "SWITCHBOARD_WEBHOOK_URL";
/// Where replies, automated messages and surveys wait for the sender.
const OUTBOUND: &str = "SWITCHBOARD_OUTBOUND_QUEUE_URL";
/// Every function: the metrics namespace (default `Switchboard`).
const METRICS: &str = "SWITCHBOARD_METRICS_NAMESPACE";
/// Every function whose store `crate::env::store_from_env` builds (all
/// that write conversations' routing, and the sender): the form long
/// routing records are written in (`false`, the default; `true`;
/// `dictionary`).
const DEFLATE: &str = "SWITCHBOARD_DEFLATE_ROUTING";
/// The agents' WebSocket connections (`crate::connections`).
const CONNECTIONS: &str = "SWITCHBOARD_CONNECTIONS_TABLE";
/// The WebSocket stage's Management API (`crate::push`).
const WS_MANAGEMENT: &str = "SWITCHBOARD_WS_MANAGEMENT_URL";

/// `crate::channel_deps_from_env` reads these.
const CHANNEL_ENV: &[&str] = &[
    TABLE,
    SECRETS_PREFIX,
    PUBLIC_URL,
    WEBHOOK_URL,
    OUTBOUND,
    CONNECTIONS,
    WS_MANAGEMENT,
];
/// `crate::scheduler_deps_from_env` and `crate::sender_deps_from_env` read
/// these: no callback URLs to show.
const WORKER_ENV: &[&str] = &[TABLE, SECRETS_PREFIX, OUTBOUND, CONNECTIONS, WS_MANAGEMENT];
/// The router's (`crate::routing_deps_from_env`).
const ROUTER_ENV: &[&str] = &[TABLE, OUTBOUND, SECRETS_PREFIX, CONNECTIONS, WS_MANAGEMENT];

/// What pushing an agent's events calls (`crate::push::IAM_ACTIONS_PUSH`):
/// every function that publishes to an agent's feed.
const PUSH: &[&str] = crate::push::IAM_ACTIONS_PUSH;

/// Every function that calls the Graph API: the metrics namespace, the
/// Graph API's base URL (default Meta's), and the routing records' deflate
/// (they all build their store with `crate::env::store_from_env`).
const GRAPH_OPTIONAL: &[&str] = &[METRICS, "SWITCHBOARD_GRAPH_URL", DEFLATE];

/// What the routing engine calls (the router and the scheduler run it).
const ROUTING_ACTIONS: &[&str] = &[
    "dynamodb:BatchGetItem",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:TransactWriteItems",
    "dynamodb:UpdateItem",
    "secretsmanager:GetSecretValue",
    "sqs:SendMessage",
];

/// Routing's, and the erasures of Meta's data-deletion requests (which
/// overwrite records in place: `UpdateItem`, as appends do).
const SCHEDULER_ACTIONS: &[&str] = ROUTING_ACTIONS;

/// What consuming an SQS queue through an event source mapping needs.
const NO_CONNECTIONS: &[&str] = &[];

const CONSUME: &[&str] = &[
    "sqs:ChangeMessageVisibility",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:ReceiveMessage",
];

pub const FUNCTIONS: &[FunctionSpec] = &[
    FunctionSpec {
        name: "webhook-verify",
        resource: "WebhookVerifyFunction",
        env: &[TABLE],
        env_optional: &[METRICS],
        actions: &["dynamodb:GetItem", "dynamodb:UpdateItem"],
        event_source_actions: &[],
        connection_actions: NO_CONNECTIONS,
    },
    FunctionSpec {
        name: "webhook-ingest",
        resource: "WebhookIngestFunction",
        env: &[TABLE, SECRETS_PREFIX, "SWITCHBOARD_INBOUND_QUEUE_URL"],
        env_optional: &[METRICS],
        actions: &[
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:Query",
            // The handshake records when the webhook was verified.
            "dynamodb:UpdateItem",
            "secretsmanager:GetSecretValue",
            "sqs:SendMessage",
        ],
        event_source_actions: &[],
        connection_actions: NO_CONNECTIONS,
    },
    FunctionSpec {
        name: "router",
        resource: "RouterFunction",
        env: ROUTER_ENV,
        env_optional: GRAPH_OPTIONAL,
        actions: ROUTING_ACTIONS,
        event_source_actions: CONSUME,
        connection_actions: PUSH,
    },
    FunctionSpec {
        name: "admin-api",
        resource: "AdminApiFunction",
        env: CHANNEL_ENV,
        env_optional: &[
            METRICS,
            "SWITCHBOARD_GRAPH_URL",
            DEFLATE,
            // The customer-managed key new secrets are created under.
            "SWITCHBOARD_SECRETS_KMS_KEY",
            "SWITCHBOARD_ADMIN_GROUP",
            "SWITCHBOARD_GROUPS_CLAIM",
        ],
        actions: &[
            // The queue's members, when a supervisor moves a conversation to a queue.
            "dynamodb:BatchGetItem",
            "dynamodb:DeleteItem",
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:Query",
            "dynamodb:TransactWriteItems",
            "dynamodb:UpdateItem",
            "secretsmanager:CreateSecret",
            "secretsmanager:DeleteSecret",
            "secretsmanager:GetSecretValue",
            "secretsmanager:PutSecretValue",
            "secretsmanager:RestoreSecret",
            "sqs:SendMessage",
        ],
        event_source_actions: &[],
        connection_actions: PUSH,
    },
    FunctionSpec {
        name: "scheduler",
        resource: "SchedulerFunction",
        env: WORKER_ENV,
        env_optional: GRAPH_OPTIONAL,
        actions: SCHEDULER_ACTIONS,
        event_source_actions: &[],
        connection_actions: PUSH,
    },
    FunctionSpec {
        name: "sender",
        resource: "SenderFunction",
        env: WORKER_ENV,
        env_optional: GRAPH_OPTIONAL,
        actions: &[
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            // A conversation is read with its activity item.
            "dynamodb:Query",
            "dynamodb:TransactWriteItems",
            "secretsmanager:GetSecretValue",
            // Its own: the retry delay of a message Meta asked to wait for.
            "sqs:ChangeMessageVisibility",
        ],
        event_source_actions: CONSUME,
        connection_actions: PUSH,
    },
    FunctionSpec {
        name: "agent-api",
        resource: "AgentApiFunction",
        env: CHANNEL_ENV,
        env_optional: &[
            METRICS,
            "SWITCHBOARD_GRAPH_URL",
            "SWITCHBOARD_GROUPS_CLAIM",
            DEFLATE,
        ],
        actions: &[
            "dynamodb:BatchGetItem",
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:Query",
            "dynamodb:TransactWriteItems",
            "dynamodb:UpdateItem",
            "secretsmanager:GetSecretValue",
            "sqs:SendMessage",
        ],
        event_source_actions: &[],
        connection_actions: PUSH,
    },
    FunctionSpec {
        name: "ws-authorizer",
        resource: "WsAuthorizerFunction",
        env: &["SWITCHBOARD_JWT_ISSUER", "SWITCHBOARD_JWT_CLIENT_ID"],
        env_optional: &[METRICS, "SWITCHBOARD_GROUPS_CLAIM", "SWITCHBOARD_JWKS_URL"],
        // Only the issuer's public keys (HTTPS), no AWS API.
        actions: &[],
        event_source_actions: &[],
        connection_actions: NO_CONNECTIONS,
    },
    FunctionSpec {
        name: "ws-connections",
        resource: "WsConnectionsFunction",
        env: &[CONNECTIONS],
        env_optional: &[METRICS],
        actions: &[],
        event_source_actions: &[],
        connection_actions: crate::connections::IAM_ACTIONS_CONNECT,
    },
];

/// The spec of one function.
pub fn function(name: &str) -> Option<&'static FunctionSpec> {
    FUNCTIONS.iter().find(|f| f.name == name)
}

/// What a customer-managed key (the template's KmsKeyArn) needs granted to
/// `f`: whoever sends to a queue or writes a secret encrypts
/// (`kms:GenerateDataKey`) and reads (`kms:Decrypt`); whoever only
/// consumes a queue or reads a secret decrypts. DynamoDB and CloudWatch
/// Logs use the key through their own grants and service principal, so
/// functions that touch only the table need nothing.
pub fn kms_actions(f: &FunctionSpec) -> &'static [&'static str] {
    let all = || f.actions.iter().chain(f.event_source_actions);
    let encrypts = all().any(|a| {
        matches!(
            *a,
            "sqs:SendMessage" | "secretsmanager:CreateSecret" | "secretsmanager:PutSecretValue"
        )
    });
    let decrypts = all().any(|a| a.starts_with("sqs:") || *a == "secretsmanager:GetSecretValue");
    if encrypts {
        &["kms:Decrypt", "kms:GenerateDataKey"]
    } else if decrypts {
        &["kms:Decrypt"]
    } else {
        &[]
    }
}
