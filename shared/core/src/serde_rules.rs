//! Serde rules for request bodies that the derive does not express.

use serde::{Deserialize, Deserializer};

/// For an optional field that `null` does not clear: absent is `None`
/// (with `#[serde(default)]`), a value is `Some`, and `null` is refused
/// rather than read as absent. Use as
/// `#[serde(default, deserialize_with = "crate::serde_rules::present")]`.
pub fn present<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

#[cfg(test)]
mod tests {
    #[derive(serde::Deserialize, Debug)]
    struct Patch {
        #[serde(default, deserialize_with = "super::present")]
        order: Option<u32>,
    }

    #[test]
    fn absent_is_none_a_value_is_some_and_null_is_refused() {
        assert_eq!(serde_json::from_str::<Patch>("{}").unwrap().order, None);
        assert_eq!(
            serde_json::from_str::<Patch>(r#"{"order": 3}"#)
                .unwrap()
                .order,
            Some(3)
        );
        assert!(serde_json::from_str::<Patch>(r#"{"order": null}"#).is_err());
    }
}
