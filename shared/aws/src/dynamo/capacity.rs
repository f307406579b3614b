//! Item sizes as DynamoDB bills them, for `make bench` (store-calls) to
//! turn the items an operation writes into write and read units.
//!
//! The rules (DynamoDB developer guide, "Item sizes and formats"): an item
//! is the sum of its attribute names' UTF-8 lengths and its values' sizes.
//! A string or binary value is its length; a number about one byte per two
//! significant digits plus one; a boolean or null one byte; a list or map
//! three bytes plus its elements (each map entry adds its name and one
//! byte). A write unit covers 1 KB of an item (each global secondary index
//! it is projected into costs the same again), a strongly consistent read
//! unit 4 KB; a transaction bills every item twice.

use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;

/// The billed size of an item, in bytes.
pub fn item_size(item: &HashMap<String, AttributeValue>) -> usize {
    item.iter().map(|(k, v)| k.len() + value_size(v)).sum()
}

fn value_size(v: &AttributeValue) -> usize {
    match v {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(n) => number_size(n),
        AttributeValue::B(b) => b.as_ref().len(),
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::Ss(v) => v.iter().map(String::len).sum(),
        AttributeValue::Ns(v) => v.iter().map(|n| number_size(n)).sum(),
        AttributeValue::Bs(v) => v.iter().map(|b| b.as_ref().len()).sum(),
        AttributeValue::L(l) => 3 + l.iter().map(|e| 1 + value_size(e)).sum::<usize>(),
        AttributeValue::M(m) => {
            3 + m
                .iter()
                .map(|(k, e)| 1 + k.len() + value_size(e))
                .sum::<usize>()
        }
        _ => 0,
    }
}

fn number_size(n: &str) -> usize {
    let digits = n
        .trim_start_matches('-')
        .chars()
        .filter(char::is_ascii_digit)
        .collect::<String>();
    let significant = digits.trim_start_matches('0').trim_end_matches('0').len();
    significant.div_ceil(2) + 1
}

/// Write units for one write of an item of `bytes`.
pub fn write_units(bytes: usize) -> u64 {
    bytes.div_ceil(1024).max(1) as u64
}

/// Strongly consistent read units for reading `bytes`.
pub fn read_units(bytes: usize) -> u64 {
    bytes.div_ceil(4096).max(1) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_follow_the_documented_rules() {
        let item = HashMap::from([
            ("PK".to_string(), AttributeValue::S("CONV#abc".into())),
            ("n".to_string(), AttributeValue::N("1764000000123".into())),
            (
                "m".to_string(),
                AttributeValue::M(HashMap::from([(
                    "a".to_string(),
                    AttributeValue::Bool(true),
                )])),
            ),
        ]);
        // 2+8, 1+(13 digits -> 7+1), 1+(3 + 1+1+1)
        assert_eq!(item_size(&item), 10 + 9 + 7);
        assert_eq!(
            (write_units(1024), write_units(1025), read_units(4097)),
            (1, 2, 2)
        );
    }
}
