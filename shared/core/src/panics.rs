//! A panic caught at a boundary (one queue message, one request), told
//! as a sentence for the log and the failure it becomes.

use std::any::Any;

/// What a caught panic said.
pub fn describe(panic: &(dyn Any + Send)) -> String {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".into());
    format!("panicked: {what}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_panic_is_told_with_its_message() {
        let caught = std::panic::catch_unwind(|| panic!("boom {}", 1)).unwrap_err();
        assert_eq!(super::describe(caught.as_ref()), "panicked: boom 1");
    }
}
