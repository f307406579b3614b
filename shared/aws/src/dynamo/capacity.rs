//! Item sizes and write units as DynamoDB bills them, and a meter of the
//! writes the adapter sends, for `make bench` (store-calls) to turn what an
//! operation writes into write and read units.
//!
//! The rules (DynamoDB developer guide, "Item sizes and formats"): an item
//! is the sum of its attribute names' UTF-8 lengths and its values' sizes.
//! A string or binary value is its length; a number about one byte per two
//! significant digits plus one; a boolean or null one byte; a list or map
//! three bytes plus its elements (each map entry adds its name and one
//! byte). A write unit covers 1 KB of an item (each global secondary index
//! it is projected into costs the same again), a strongly consistent read
//! unit 4 KB; a transaction bills every item's table write twice.

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use std::collections::HashMap;
use std::sync::Mutex;

type Item = HashMap<String, AttributeValue>;

/// One write the adapter sent: the item's key, the whole item when it was
/// a put (an update's or delete's size is known only from the table),
/// whether it was part of a transaction (its table write billed twice),
/// and whether it was
/// a transaction's condition check (billed as a write of the item, in no
/// index).
#[derive(Debug, Clone)]
pub struct Write {
    pub key: Item,
    pub item: Option<Item>,
    pub transactional: bool,
    pub condition_check: bool,
}

/// The single-item reads an adapter sends (each `GetItem`, and each key of
/// a `BatchGetItem`), counted by their consistency once
/// [`ReadMeter::start`] is called (for `make bench`). Queries are not
/// counted: they bill by the summed size of what they read.
#[derive(Debug, Default)]
pub struct ReadMeter(Mutex<Option<Reads>>);

/// Single-item reads counted since the last [`ReadMeter::take`].
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Reads {
    pub strong: u64,
    pub eventual: u64,
}

impl ReadMeter {
    /// Count every read from now on.
    pub fn start(&self) {
        if let Ok(mut r) = self.0.lock() {
            r.get_or_insert_with(Reads::default);
        }
    }

    /// The reads counted since the last call.
    pub fn take(&self) -> Reads {
        self.0
            .lock()
            .ok()
            .and_then(|mut r| r.as_mut().map(std::mem::take))
            .unwrap_or_default()
    }

    pub(crate) fn record(&self, consistent: bool) {
        if let Ok(mut r) = self.0.lock()
            && let Some(r) = r.as_mut()
        {
            if consistent {
                r.strong += 1;
            } else {
                r.eventual += 1;
            }
        }
    }
}

/// The writes an adapter sends through its shared write paths (puts,
/// conditional updates, transactions, an agent's update), kept once
/// [`WriteMeter::start`] is called (for `make bench`; off, it keeps
/// nothing). The few writes it sends directly are not kept: the deletes of
/// configuration (queues, rulesets, canned responses, sign-in codes,
/// accounts) and the record of a webhook's verification.
#[derive(Debug, Default)]
pub struct WriteMeter(Mutex<Option<Vec<Write>>>);

impl WriteMeter {
    /// Keep every write from now on.
    pub fn start(&self) {
        if let Ok(mut w) = self.0.lock() {
            w.get_or_insert_with(Vec::new);
        }
    }

    /// The writes kept since the last call.
    pub fn take(&self) -> Vec<Write> {
        self.0
            .lock()
            .ok()
            .and_then(|mut w| w.as_mut().map(std::mem::take))
            .unwrap_or_default()
    }

    pub(crate) fn record(&self, key: &Item, item: Option<&Item>, transactional: bool) {
        self.keep(key, item, transactional, false);
    }

    fn keep(&self, key: &Item, item: Option<&Item>, transactional: bool, condition_check: bool) {
        if let Ok(mut w) = self.0.lock()
            && let Some(w) = w.as_mut()
        {
            w.push(Write {
                key: key_of(item.unwrap_or(key)),
                item: item.cloned(),
                transactional,
                condition_check,
            });
        }
    }

    /// Every write of a transaction, and its condition checks.
    pub(crate) fn record_transaction(&self, items: &[TransactWriteItem]) {
        for t in items {
            if let Some(p) = t.put() {
                self.record(p.item(), Some(p.item()), true);
            } else if let Some(u) = t.update() {
                self.record(u.key(), None, true);
            } else if let Some(d) = t.delete() {
                self.record(d.key(), None, true);
            } else if let Some(c) = t.condition_check() {
                self.keep(c.key(), None, true, true);
            }
        }
    }
}

fn key_of(item: &Item) -> Item {
    item.iter()
        .filter(|(k, _)| *k == "PK" || *k == "SK")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

const INDEXES: [(&str, &str); 3] = [
    ("GSI1PK", "GSI1SK"),
    ("GSI2PK", "GSI2SK"),
    ("GSI3PK", "GSI3SK"),
];

/// Write units billed for one write that turned `before` into `after`
/// (`None`: no item). The table bills the larger of the two, twice in a
/// transaction (its prepare and its commit). Each index (all attributes
/// projected) bills once, as the change reaches it after the write: the
/// same where the item stays under the same index key, a delete of the old
/// copy plus a put of the new one where the write changed its index key,
/// and one of the two where the item joins or leaves the index.
pub fn billed_write(before: Option<&Item>, after: Option<&Item>, transactional: bool) -> u64 {
    let size = |i: Option<&Item>| i.map_or(0, item_size);
    let units = |i: Option<&Item>| write_units(size(i));
    let larger = write_units(size(before).max(size(after)));
    let index_key = |i: Option<&Item>, (pk, sk): (&str, &str)| {
        i.and_then(|i| i.get(pk).map(|p| (p.clone(), i.get(sk).cloned())))
    };
    let indexes: u64 = INDEXES
        .iter()
        .map(|ix| match (index_key(before, *ix), index_key(after, *ix)) {
            (Some(old), Some(new)) if old == new => larger,
            (Some(_), Some(_)) => units(before) + units(after),
            (Some(_), None) => units(before),
            (None, Some(_)) => units(after),
            (None, None) => 0,
        })
        .sum();
    larger * if transactional { 2 } else { 1 } + indexes
}

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

    fn item(pairs: &[(&str, &str)]) -> Item {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), AttributeValue::S(v.to_string())))
            .collect()
    }

    #[test]
    fn reads_are_counted_by_consistency_once_started() {
        let meter = ReadMeter::default();
        meter.record(true);
        assert_eq!(meter.take(), Reads::default(), "off: nothing counted");
        meter.start();
        meter.record(true);
        meter.record(false);
        meter.record(false);
        assert_eq!(
            meter.take(),
            Reads {
                strong: 1,
                eventual: 2
            }
        );
        assert_eq!(meter.take(), Reads::default(), "taken");
    }

    #[test]
    fn writes_bill_the_table_and_every_index_copy_they_change() {
        let big = "x".repeat(1500);
        let old = item(&[
            ("PK", "C"),
            ("GSI2PK", "STATE#offered"),
            ("GSI2SK", "1"),
            ("d", &big),
        ]);
        let same_key = item(&[
            ("PK", "C"),
            ("GSI2PK", "STATE#offered"),
            ("GSI2SK", "1"),
            ("d", "y"),
        ]);
        let moved = item(&[
            ("PK", "C"),
            ("GSI2PK", "STATE#assigned"),
            ("GSI2SK", "1"),
            ("d", "y"),
        ]);
        // A new item in one index: 1 + 1.
        assert_eq!(billed_write(None, Some(&same_key), false), 2);
        // Shrinking under the same index key: the larger size, table and index.
        assert_eq!(billed_write(Some(&old), Some(&same_key), false), 4);
        // A changed index key: the index deletes the 2-unit copy, puts a 1-unit one.
        assert_eq!(billed_write(Some(&old), Some(&moved), false), 2 + 2 + 1);
        // Leaving the index, in a transaction: the table's write twice.
        let plain = item(&[("PK", "C")]);
        assert_eq!(billed_write(Some(&same_key), Some(&plain), true), 2 + 1);
        // A delete.
        assert_eq!(billed_write(Some(&old), None, false), 2 + 2);
    }

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
