//! A conversation's routing record as its item stores it (`rdoc`): JSON,
//! or, where the deployment turns it on (`SWITCHBOARD_DEFLATE_ROUTING`),
//! deflated into a binary attribute once it is longer than a few hundred
//! bytes. The record keeps the decisions the diagnostics show (each offer
//! with the agents it considered), 2 KB of JSON once a conversation is
//! offered to one of 20 agents; deflated it is about 30 % of that. Routing
//! rewrites the conversation item in a transaction (the table's write
//! billed twice) and in three index copies (a delete and a put where the
//! index key changes), so each kilobyte saved is up to eight write units
//! fewer per routing write. Both forms are always read: code from before
//! this module reads a binary record as none (and its next routing write
//! replaces it with an empty one), so deflating is turned on only once
//! every function of a deployment runs code that reads it, and such code
//! is not rolled back to once it has been on (records stay deflated until
//! their next routing write, even after it is turned off).

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use flate2::Compression;
use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;
use std::io::{Read, Write};
use switchboard_core::ports::{StoreError, StoreResult};
use switchboard_core::routing::record::Routing;

/// Records of at most this many bytes of JSON stay a string: deflating
/// them would rarely save a write unit.
const DEFLATE_ABOVE: usize = 512;

/// The most a stored record may inflate to: DynamoDB's items are at most
/// 400 KB, and the JSON compresses far less than 10 times.
const MAX_INFLATED: u64 = 4 << 20;

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("routing record: {e}"))
}

/// The attribute value `routing` is stored as: deflated when `deflate`
/// and it is long.
pub(super) fn to_value(routing: &Routing, deflate: bool) -> StoreResult<AttributeValue> {
    let json = serde_json::to_vec(routing).map_err(corrupt)?;
    if !deflate || json.len() <= DEFLATE_ABOVE {
        return String::from_utf8(json)
            .map(AttributeValue::S)
            .map_err(corrupt);
    }
    let mut encoder =
        DeflateEncoder::new(Vec::with_capacity(json.len() / 3), Compression::default());
    encoder.write_all(&json).map_err(corrupt)?;
    encoder
        .finish()
        .map(|z| AttributeValue::B(Blob::new(z)))
        .map_err(corrupt)
}

/// The routing record a stored value holds: a JSON string, or deflated
/// JSON.
pub(super) fn from_value(value: &AttributeValue) -> StoreResult<Routing> {
    match value {
        AttributeValue::S(json) => serde_json::from_str(json).map_err(corrupt),
        AttributeValue::B(z) => {
            let mut json = Vec::new();
            DeflateDecoder::new(z.as_ref())
                .take(MAX_INFLATED + 1)
                .read_to_end(&mut json)
                .map_err(corrupt)?;
            if json.len() as u64 > MAX_INFLATED {
                return Err(corrupt("inflates past 4 MiB"));
            }
            serde_json::from_slice(&json).map_err(corrupt)
        }
        _ => Err(corrupt("neither a string nor binary")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchboard_core::Millis;
    use switchboard_core::routing::record::{AgentConsidered, AgentVerdict, Decision};

    fn offered(agents: usize) -> Routing {
        let mut r = Routing {
            reason: "offered".into(),
            ..Routing::default()
        };
        r.record(Decision {
            at: Millis(1_764_000_000_000),
            step: "offered".into(),
            detail: "offered to agent-00".into(),
            rulesets: vec![],
            agents: (0..agents)
                .map(|i| AgentConsidered {
                    agent: switchboard_core::routing::model::AgentId::parse(format!(
                        "agent-{i:02}"
                    ))
                    .unwrap(),
                    verdict: AgentVerdict::Ranked { rank: i as u32 },
                })
                .collect(),
            more_agents: Default::default(),
            rv: 1,
        });
        r
    }

    #[test]
    fn a_short_record_stays_json_and_a_long_one_is_deflated_smaller() {
        let short = offered(0);
        assert!(matches!(
            to_value(&short, true).unwrap(),
            AttributeValue::S(_)
        ));
        assert_eq!(from_value(&to_value(&short, true).unwrap()).unwrap(), short);

        let long = offered(20);
        let json = serde_json::to_vec(&long).unwrap().len();
        let AttributeValue::B(z) = to_value(&long, true).unwrap() else {
            panic!("a long record is deflated");
        };
        assert!(
            z.as_ref().len() * 3 < json,
            "{} of {json}",
            z.as_ref().len()
        );
        assert_eq!(from_value(&AttributeValue::B(z)).unwrap(), long);
    }

    #[test]
    fn without_deflate_a_long_record_stays_json_as_older_code_reads_it() {
        let long = offered(20);
        let AttributeValue::S(json) = to_value(&long, false).unwrap() else {
            panic!("not deflated unless turned on");
        };
        assert_eq!(json, serde_json::to_string(&long).unwrap());
        assert_eq!(from_value(&AttributeValue::S(json)).unwrap(), long);
    }

    #[test]
    fn damaged_or_oversized_records_are_corrupt_not_a_panic() {
        let garbage = AttributeValue::B(Blob::new(vec![0xff, 0x00, 0x13, 0x37]));
        assert!(matches!(from_value(&garbage), Err(StoreError::Corrupt(_))));
        assert!(matches!(
            from_value(&AttributeValue::N("1".into())),
            Err(StoreError::Corrupt(_))
        ));
        // 8 MiB of spaces deflate to a few KB: refused, not inflated.
        let mut e = DeflateEncoder::new(Vec::new(), Compression::best());
        e.write_all(&vec![b' '; 8 << 20]).unwrap();
        let bomb = AttributeValue::B(Blob::new(e.finish().unwrap()));
        assert!(matches!(from_value(&bomb), Err(StoreError::Corrupt(m)) if m.contains("4 MiB")));
    }
}
