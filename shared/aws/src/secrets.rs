//! The secrets port on AWS Secrets Manager: one secret per app secret or
//! page token, encrypted with the account's KMS key; never in DynamoDB.

use async_trait::async_trait;
use aws_sdk_secretsmanager::Client;
use switchboard_core::Secret;
use switchboard_core::ports::{SecretError, SecretStore};

/// The IAM actions this adapter calls.
pub const IAM_ACTIONS_READ: &[&str] = &["secretsmanager:GetSecretValue"];
pub const IAM_ACTIONS_WRITE: &[&str] = &[
    "secretsmanager:CreateSecret",
    "secretsmanager:PutSecretValue",
    "secretsmanager:DeleteSecret",
    "secretsmanager:RestoreSecret",
];

pub struct SecretsManager {
    client: Client,
    /// Prefix of every secret name (e.g. the stack name).
    prefix: String,
    /// The customer-managed KMS key new secrets are encrypted with (`None`:
    /// the account's `aws/secretsmanager` key).
    kms_key: Option<String>,
    calls: crate::CallLog,
}

fn unavailable(e: impl std::fmt::Display) -> SecretError {
    SecretError::Unavailable(e.to_string())
}

impl SecretsManager {
    pub fn new(config: &aws_config::SdkConfig, prefix: impl Into<String>) -> Self {
        Self {
            client: Client::new(config),
            prefix: prefix.into(),
            kms_key: None,
            calls: crate::CallLog::default(),
        }
    }

    /// Encrypt the secrets this creates with `key` (an ARN or id).
    pub fn with_kms_key(mut self, key: Option<String>) -> Self {
        self.kms_key = key;
        self
    }

    fn id(&self, name: &str) -> String {
        if self.prefix.is_empty() {
            name.to_string()
        } else {
            format!("{}/{name}", self.prefix)
        }
    }
}

impl crate::Metered for SecretsManager {
    fn call_log(&self) -> &crate::CallLog {
        &self.calls
    }
}

#[async_trait]
impl SecretStore for SecretsManager {
    async fn put(&self, name: &str, value: &Secret) -> Result<(), SecretError> {
        use aws_sdk_secretsmanager::error::DisplayErrorContext;
        let id = self.id(name);
        // A secret scheduled for deletion (a removed page connected again)
        // can be neither read nor written until restored; restoring one that
        // is not scheduled for deletion changes nothing. Puts are rare (admin
        // actions), so the extra call is cheap.
        self.calls.record("secretsmanager:RestoreSecret");
        match self.client.restore_secret().secret_id(&id).send().await {
            Ok(_) => {}
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_invalid_request_exception()) => {}
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception()) =>
            {
                self.calls.record("secretsmanager:CreateSecret");
                return self
                    .client
                    .create_secret()
                    .name(&id)
                    .set_kms_key_id(self.kms_key.clone())
                    .secret_string(value.expose())
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| unavailable(DisplayErrorContext(e)));
            }
            Err(e) => return Err(unavailable(DisplayErrorContext(e))),
        }
        self.calls.record("secretsmanager:PutSecretValue");
        self.client
            .put_secret_value()
            .secret_id(&id)
            .secret_string(value.expose())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| unavailable(DisplayErrorContext(e)))
    }

    async fn get(&self, name: &str) -> Result<Option<Secret>, SecretError> {
        self.calls.record("secretsmanager:GetSecretValue");
        match self
            .client
            .get_secret_value()
            .secret_id(self.id(name))
            .send()
            .await
        {
            Ok(out) => Ok(out.secret_string().map(Secret::new)),
            // Absent, or scheduled for deletion: either way there is no value.
            Err(e)
                if e.as_service_error().is_some_and(|s| {
                    s.is_resource_not_found_exception() || s.is_invalid_request_exception()
                }) =>
            {
                Ok(None)
            }
            Err(e) => Err(unavailable(
                aws_sdk_secretsmanager::error::DisplayErrorContext(e),
            )),
        }
    }

    async fn delete(&self, name: &str) -> Result<(), SecretError> {
        self.calls.record("secretsmanager:DeleteSecret");
        match self
            .client
            .delete_secret()
            .secret_id(self.id(name))
            .recovery_window_in_days(7)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            // Absent, or already scheduled for deletion: done either way.
            Err(e)
                if e.as_service_error().is_some_and(|s| {
                    s.is_resource_not_found_exception() || s.is_invalid_request_exception()
                }) =>
            {
                Ok(())
            }
            Err(e) => Err(unavailable(
                aws_sdk_secretsmanager::error::DisplayErrorContext(e),
            )),
        }
    }
}
