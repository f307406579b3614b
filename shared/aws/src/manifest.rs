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
}

const TABLE: &str = "SWITCHBOARD_TABLE";
const SECRETS_PREFIX: &str = "SWITCHBOARD_SECRETS_PREFIX";
const PUBLIC_URL: &str = "SWITCHBOARD_PUBLIC_URL";
/// Where replies, automated messages and surveys wait for the sender.
const OUTBOUND: &str = "SWITCHBOARD_OUTBOUND_QUEUE_URL";
/// Every function: the metrics namespace (default `Switchboard`).
const METRICS: &str = "SWITCHBOARD_METRICS_NAMESPACE";

/// `crate::channel_deps_from_env` reads these.
const CHANNEL_ENV: &[&str] = &[TABLE, SECRETS_PREFIX, PUBLIC_URL, OUTBOUND];
/// `crate::scheduler_deps_from_env` and `crate::sender_deps_from_env` read
/// these: no callback URLs to show.
const WORKER_ENV: &[&str] = &[TABLE, SECRETS_PREFIX, OUTBOUND];

/// Every function that calls the Graph API: the metrics namespace and the
/// Graph API's base URL (default Meta's).
const GRAPH_OPTIONAL: &[&str] = &[METRICS, "SWITCHBOARD_GRAPH_URL"];

/// What the routing engine calls (the router and the scheduler run it).
const ROUTING_ACTIONS: &[&str] = &[
    "dynamodb:BatchGetItem",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:TransactWriteItems",
    "secretsmanager:GetSecretValue",
    "sqs:SendMessage",
];

/// What consuming an SQS queue through an event source mapping needs.
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
    },
    FunctionSpec {
        name: "webhook-ingest",
        resource: "WebhookIngestFunction",
        env: &[TABLE, SECRETS_PREFIX, "SWITCHBOARD_INBOUND_QUEUE_URL"],
        env_optional: &[METRICS],
        actions: &[
            "dynamodb:GetItem",
            "secretsmanager:GetSecretValue",
            "sqs:SendMessage",
        ],
        event_source_actions: &[],
    },
    FunctionSpec {
        name: "router",
        resource: "RouterFunction",
        env: &[TABLE, OUTBOUND, SECRETS_PREFIX],
        env_optional: GRAPH_OPTIONAL,
        actions: ROUTING_ACTIONS,
        event_source_actions: CONSUME,
    },
    FunctionSpec {
        name: "admin-api",
        resource: "AdminApiFunction",
        env: CHANNEL_ENV,
        env_optional: &[
            METRICS,
            "SWITCHBOARD_GRAPH_URL",
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
    },
    FunctionSpec {
        name: "scheduler",
        resource: "SchedulerFunction",
        env: WORKER_ENV,
        env_optional: GRAPH_OPTIONAL,
        actions: ROUTING_ACTIONS,
        event_source_actions: &[],
    },
    FunctionSpec {
        name: "sender",
        resource: "SenderFunction",
        env: WORKER_ENV,
        env_optional: GRAPH_OPTIONAL,
        actions: &[
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:TransactWriteItems",
            "secretsmanager:GetSecretValue",
            // Its own: the retry delay of a message Meta asked to wait for.
            "sqs:ChangeMessageVisibility",
        ],
        event_source_actions: CONSUME,
    },
    FunctionSpec {
        name: "agent-api",
        resource: "AgentApiFunction",
        env: CHANNEL_ENV,
        env_optional: &[METRICS, "SWITCHBOARD_GRAPH_URL", "SWITCHBOARD_GROUPS_CLAIM"],
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
    },
];

/// The spec of one function.
pub fn function(name: &str) -> Option<&'static FunctionSpec> {
    FUNCTIONS.iter().find(|f| f.name == name)
}
