//! What a Lambda function's failure tells the runtime: the functions'
//! errors are `thiserror` enums, each mapped once to the runtime's
//! `Diagnostic` (`errorType` names the kind, `errorMessage` says what to
//! do), as the aws-lambda-rust-runtime examples do.

use lambda_runtime::Diagnostic;
use switchboard_core::problem::Problem;

/// A scheduler run that failed (the next run, a minute later, tries again).
#[derive(Debug, thiserror::Error)]
pub enum ScheduleFailed {
    /// A domain step failed; `code` is its problem code.
    #[error("{detail}")]
    Step { code: &'static str, detail: String },
    #[error("the run's report could not be encoded: {0}")]
    Report(#[from] serde_json::Error),
}

impl From<Problem> for ScheduleFailed {
    fn from(p: Problem) -> Self {
        Self::Step {
            code: p.code,
            detail: p.detail,
        }
    }
}

impl From<ScheduleFailed> for Diagnostic {
    fn from(e: ScheduleFailed) -> Self {
        let error_type = match &e {
            ScheduleFailed::Step { code, .. } => format!("Switchboard.Schedule.{code}"),
            ScheduleFailed::Report(_) => "Switchboard.Schedule.report".to_string(),
        };
        Diagnostic {
            error_type,
            error_message: e.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_step_names_its_problem_code() {
        let p = Problem::internal("the table is not reachable");
        let d = Diagnostic::from(ScheduleFailed::from(p));
        assert_eq!(d.error_type, "Switchboard.Schedule.internal");
        assert_eq!(d.error_message, "the table is not reachable");
    }
}
