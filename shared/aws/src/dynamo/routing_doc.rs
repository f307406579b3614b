//! A conversation's routing record as its item stores it (`rdoc`): JSON,
//! or, where the deployment turns it on (`SWITCHBOARD_DEFLATE_ROUTING`),
//! deflated into a binary attribute once it is longer than a few hundred
//! bytes. The record keeps the decisions the diagnostics show (each offer
//! with the agents it considered), 2 KB of JSON once a conversation is
//! offered to one of 20 agents. Routing rewrites the conversation item in
//! a transaction (the table's write billed twice) and in three index
//! copies (a delete and a put where the index key changes), so each
//! kilobyte saved is up to eight write units fewer per routing write.
//!
//! Three forms, all always read:
//! - JSON, a string: the default, and what every version reads;
//! - deflated (`true`): raw DEFLATE, about 30 % of the JSON;
//! - deflated with a dictionary (`dictionary`): a marker byte, the
//!   dictionary's number, then raw DEFLATE primed with that dictionary of
//!   the record's own field names and phrases, about 15 % of the JSON.
//!   The item of a conversation offered to one of 20 agents then fits in
//!   one write unit a copy instead of two.
//!
//! Code from before the plain deflate reads any binary record as none (and
//! its next routing write replaces it with an empty one). Code from after
//! it but before the dictionary fails to read a dictionary record: the
//! conversation cannot be read or routed, and lists leave it out. So each
//! form is turned on only once every function of a deployment runs code
//! that reads it, and such code is not rolled back to once it has been on
//! (records keep their form until their next routing write, even after it
//! is turned off). A dictionary, once released, never changes: a new one
//! takes the next number. Only a zlib backend with preset dictionaries
//! reads these records (flate2's `zlib-rs`, not `miniz_oxide`).

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};
use std::io::{Read, Write};
use switchboard_core::ports::{StoreError, StoreResult};
use switchboard_core::routing::record::Routing;

/// How routing records are written (`SWITCHBOARD_DEFLATE_ROUTING`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RecordForm {
    /// A JSON string (`false`, the default).
    #[default]
    Json,
    /// Raw DEFLATE (`true`).
    Deflated,
    /// Raw DEFLATE primed with the newest dictionary (`dictionary`).
    Dictionary,
}

/// Records of at most this many bytes of JSON stay a string: deflating
/// them would rarely save a write unit.
const DEFLATE_ABOVE: usize = 512;

/// The most a stored record may inflate to: DynamoDB's items are at most
/// 400 KB, and the JSON compresses far less than 10 times.
const MAX_INFLATED: u64 = 4 << 20;

/// The first byte of a record deflated with a dictionary. Raw DEFLATE
/// never begins with it: its low three bits are a block header whose type
/// (`11`) is reserved, so no plainly deflated record is mistaken for one.
const DICTIONARY_MARK: u8 = 0xFE;

/// The dictionaries, by number (index 0 unused). Each is text a routing
/// record repeats: its field names in the order serde writes them, the
/// steps, verdicts and the phrases of the decisions' details, the most
/// frequent last (DEFLATE's nearer matches cost fewer bits). Released
/// dictionaries are never edited: records written with them must stay
/// readable.
const DICTIONARIES: [&[u8]; 2] = [b"", DICTIONARY_1];

/// The dictionary new records are written with.
const NEWEST: u8 = 1;

const DICTIONARY_1: &[u8] = br#"{"reason":"","decisions":[{"at":"","step":"window_closing","detail":"the customer's last message is unanswered and their messaging window closes at  (in  min): escalated (); supervisors alerted"},{"step":"abandoned","detail":"the messaging window closed at  with the customer's last message unanswered"},{"step":"bot_failed","detail":"workstream  has a bot: it answers first, and no agent's capacity is used"},{"step":"affinity","detail":"returning customer: held for , who had their last conversation, for  s"},{"step":"affinity_ended","detail":" did not become available in time; any agent may take it"},{"step":"hand_off_pending","detail":" has been away for  s; answered last, so it stays until the customer writes again"},{"step":"thread_requested","detail":" asks for the conversation; a supervisor passes it or keeps it"},{"step":"thread_kept","detail":" kept the conversation; 's request is declined"},{"step":"thread_passed"},{"step":"unrouted"},{"step":"escalated"},{"step":"window_reopened"},{"step":"follow_up"},{"step":"overflow_ended"},{"step":"wrap_up_ended","detail":"capacity of  released after wrap-up"},{"step":"ended","detail":" ended it; wrap-up capacity: "},{"step":"closed"},{"step":"transferred","detail":" transferred it to queue "},{"step":"reclaimed"},{"step":"handed_off"},{"step":"offer_expired"},{"step":"declined"},{"step":"assigned","detail":"assigned to  by RoundRobin in queue "}],"more_agents":{"presence":,"capacity":},"agents":[{"agent":"","result":"lost_race"},{"agent":"","result":"affinity","reserved_for":""},{"agent":"","result":"declined","times":1},{"agent":"","result":"skills","missing":[""]},{"agent":"","result":"profile","profile":""},{"agent":"","result":"capacity","free":0,"needed":1},{"agent":"","result":"presence","presence":"offline"},{"agent":"","result":"presence","presence":"away"},{"agent":"","result":"presence","presence":"busy"}],"workstream":"","language":"en","queue":"","priority":5,"skills":{},"attributes":{},"capacity":{"units":1,"profile":""},"agent":"","holds_capacity":true,"offer":{"agent":"","offered_at":"2026-01-01T00:00:00.000Z","expires_at":"2026-01-01T00:00:00.000Z"},"queued_at":"","overflow_from":"","assigned_at":null,"answered_at":null,"first_answered_at":null,"hand_off_when_customer_writes":true,"waiting_key":"","declines":{},"affinity_agent":"","affinity_until":null,"wrap_up_until":null,"window_closes_at":"","window_escalated_at":"","window_abandoned_at":"","bot":{},"follow_up":{},"thread":{},"erased_at":null,"reason":"offered to , waiting for an answer","decisions":[{"at":"","step":"classified","detail":"workstream ; language en; priority 5; skills none","rulesets":[{"ruleset":"","kind":"classification","rules":[{"rule":"","matched":false},{"rule":"","matched":true}],"matched":""}],"rv":1},{"at":"","step":"queued","detail":"queue : no route-to-queue rule matched: the workstream's fallback queue","rv":1},{"at":"","step":"waiting","detail":"waiting in queue : none of its  members can take it now","rv":2},{"at":"","step":"accepted","detail":" accepted","rv":3},{"at":"","step":"offered","detail":"offered to  by HighestCapacity in queue  ( of  members qualified)","agents":[{"agent":"","result":"chosen"},{"agent":"","result":"ranked","rank":1},{"agent":"","result":"ranked","rank":"#;

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("routing record: {e}"))
}

/// The attribute value `routing` is stored as, in `form` when it is long.
pub(super) fn to_value(routing: &Routing, form: RecordForm) -> StoreResult<AttributeValue> {
    let json = serde_json::to_vec(routing).map_err(corrupt)?;
    if form == RecordForm::Json || json.len() <= DEFLATE_ABOVE {
        return String::from_utf8(json)
            .map(AttributeValue::S)
            .map_err(corrupt);
    }
    let z = if form == RecordForm::Dictionary {
        deflate_with(NEWEST, &json)?
    } else {
        let mut encoder =
            DeflateEncoder::new(Vec::with_capacity(json.len() / 3), Compression::default());
        encoder.write_all(&json).map_err(corrupt)?;
        encoder.finish().map_err(corrupt)?
    };
    Ok(AttributeValue::B(Blob::new(z)))
}

/// The routing record a stored value holds: a JSON string, deflated JSON,
/// or JSON deflated with a dictionary.
pub(super) fn from_value(value: &AttributeValue) -> StoreResult<Routing> {
    match value {
        AttributeValue::S(json) => serde_json::from_str(json).map_err(corrupt),
        AttributeValue::B(z) => {
            let json = match z.as_ref() {
                [DICTIONARY_MARK, number, deflated @ ..] => inflate_with(*number, deflated)?,
                deflated => inflate(deflated)?,
            };
            serde_json::from_slice(&json).map_err(corrupt)
        }
        _ => Err(corrupt("neither a string nor binary")),
    }
}

fn too_long() -> StoreError {
    corrupt("inflates past 4 MiB")
}

fn inflate(deflated: &[u8]) -> StoreResult<Vec<u8>> {
    let mut json = Vec::new();
    DeflateDecoder::new(deflated)
        .take(MAX_INFLATED + 1)
        .read_to_end(&mut json)
        .map_err(corrupt)?;
    if json.len() as u64 > MAX_INFLATED {
        return Err(too_long());
    }
    Ok(json)
}

fn dictionary(number: u8) -> StoreResult<&'static [u8]> {
    DICTIONARIES
        .get(usize::from(number))
        .copied()
        .filter(|d| !d.is_empty())
        .ok_or_else(|| {
            corrupt(format!(
                "no dictionary {number} (written by a newer version?)"
            ))
        })
}

/// What is left of `input` after the first `done` bytes.
fn unread(input: &[u8], done: u64) -> &[u8] {
    usize::try_from(done)
        .ok()
        .and_then(|done| input.get(done..))
        .unwrap_or_default()
}

/// `json` deflated with dictionary `number`, after the mark and the number.
fn deflate_with(number: u8, json: &[u8]) -> StoreResult<Vec<u8>> {
    let mut deflater = Compress::new(Compression::default(), false);
    deflater
        .set_dictionary(dictionary(number)?)
        .map_err(corrupt)?;
    let mut out = Vec::with_capacity(json.len() / 4 + 64);
    out.extend_from_slice(&[DICTIONARY_MARK, number]);
    loop {
        let rest = unread(json, deflater.total_in());
        if out.len() == out.capacity() {
            out.reserve(256);
        }
        let (read, written) = (deflater.total_in(), deflater.total_out());
        match deflater
            .compress_vec(rest, &mut out, FlushCompress::Finish)
            .map_err(corrupt)?
        {
            Status::StreamEnd => return Ok(out),
            Status::Ok | Status::BufError
                if deflater.total_in() == read && deflater.total_out() == written =>
            {
                return Err(corrupt("the deflater made no progress"));
            }
            Status::Ok | Status::BufError => {}
        }
    }
}

/// Inflate `deflated`, written with dictionary `number`, to at most
/// [`MAX_INFLATED`] bytes.
fn inflate_with(number: u8, deflated: &[u8]) -> StoreResult<Vec<u8>> {
    let mut inflater = Decompress::new(false);
    inflater
        .set_dictionary(dictionary(number)?)
        .map_err(corrupt)?;
    let mut json = Vec::with_capacity(deflated.len().saturating_mul(8).min(1 << 16));
    loop {
        let rest = unread(deflated, inflater.total_in());
        if json.len() == json.capacity() {
            // One byte past the bound tells a record that inflates past it.
            let room = (MAX_INFLATED as usize + 1).saturating_sub(json.len());
            if room == 0 {
                return Err(too_long());
            }
            json.reserve_exact(room.min(json.len().max(1024)));
        }
        let (read, written) = (inflater.total_in(), inflater.total_out());
        match inflater
            .decompress_vec(rest, &mut json, FlushDecompress::Finish)
            .map_err(corrupt)?
        {
            Status::StreamEnd if json.len() as u64 > MAX_INFLATED => return Err(too_long()),
            Status::StreamEnd if inflater.total_in() != deflated.len() as u64 => {
                return Err(corrupt("bytes after the deflated record's end"));
            }
            Status::StreamEnd => return Ok(json),
            // Room left and nothing read or written: the input ended
            // before the stream did.
            Status::Ok | Status::BufError
                if inflater.total_in() == read
                    && inflater.total_out() == written
                    && json.len() < json.capacity() =>
            {
                return Err(corrupt("the deflated record ends early"));
            }
            Status::Ok | Status::BufError => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchboard_core::Millis;
    use switchboard_core::routing::record::{AgentConsidered, AgentVerdict, Decision};

    fn offered(agents: usize) -> Routing {
        offered_to(
            &(0..agents)
                .map(|i| format!("agent-{i:02}"))
                .collect::<Vec<_>>(),
        )
    }

    /// Offered to the first of `agents`, every one of them considered.
    fn offered_to(agents: &[String]) -> Routing {
        let mut r = Routing {
            reason: "offered".into(),
            ..Routing::default()
        };
        r.record(Decision {
            at: Millis(1_764_000_000_000),
            step: "offered".into(),
            detail: "offered to agent-00".into(),
            rulesets: vec![],
            agents: agents
                .iter()
                .enumerate()
                .map(|(i, a)| AgentConsidered {
                    agent: switchboard_core::routing::model::AgentId::parse(a).unwrap(),
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
            to_value(&short, RecordForm::Deflated).unwrap(),
            AttributeValue::S(_)
        ));
        assert_eq!(
            from_value(&to_value(&short, RecordForm::Deflated).unwrap()).unwrap(),
            short
        );

        let long = offered(20);
        let json = serde_json::to_vec(&long).unwrap().len();
        let AttributeValue::B(z) = to_value(&long, RecordForm::Deflated).unwrap() else {
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
        let AttributeValue::S(json) = to_value(&long, RecordForm::Json).unwrap() else {
            panic!("not deflated unless turned on");
        };
        assert_eq!(json, serde_json::to_string(&long).unwrap());
        assert_eq!(from_value(&AttributeValue::S(json)).unwrap(), long);
    }

    /// Twenty agents named as people are (`firstname-lastname`).
    fn people() -> Vec<String> {
        let last = [
            "hansen", "jensen", "nielsen", "pedersen", "andersen", "larsen", "holm",
        ];
        [
            "ana", "bo", "carl", "dina", "emil", "freja", "gustav", "hanne", "ida", "jens",
            "karen", "lars", "maja", "niels", "olga", "peter", "rikke", "soren", "tove", "ulla",
        ]
        .iter()
        .zip(last.iter().cycle())
        .map(|(first, last)| format!("{first}-{last}"))
        .collect()
    }

    fn bytes(value: &AttributeValue) -> &[u8] {
        match value {
            AttributeValue::B(z) => z.as_ref(),
            other => panic!("not binary: {other:?}"),
        }
    }

    #[test]
    fn the_dictionary_form_is_marked_smaller_than_plain_deflate_and_reads_back() {
        for record in [offered(20), offered_to(&people())] {
            let json = serde_json::to_vec(&record).unwrap().len();
            let plain = to_value(&record, RecordForm::Deflated).unwrap();
            let primed = to_value(&record, RecordForm::Dictionary).unwrap();
            let (plain_len, primed_len) = (bytes(&plain).len(), bytes(&primed).len());
            assert_eq!(bytes(&primed).get(..2), Some(&[DICTIONARY_MARK, 1][..]));
            // The field names and phrases are the dictionary's: a fifth off
            // plain DEFLATE's size at least (1,327 B of JSON: 321 B
            // deflated, 167 with it; with people's names, 1,403: 389, 253).
            assert!(
                primed_len * 5 < plain_len * 4,
                "{primed_len} with the dictionary, {plain_len} without, of {json}"
            );
            assert_eq!(from_value(&primed).unwrap(), record);
            assert_eq!(from_value(&plain).unwrap(), record);
        }
        // A short record stays JSON in every form.
        assert!(matches!(
            to_value(&offered(0), RecordForm::Dictionary).unwrap(),
            AttributeValue::S(_)
        ));
    }

    /// A routed conversation's record (20 agents considered), as JSON and
    /// as each binary form stored it when it was released: raw DEFLATE
    /// from another encoder (zlib), and deflated with dictionary 1.
    const RECORD: &str = include_str!("golden/record.json");
    const RECORD_DEFLATED: &[u8] = include_bytes!("golden/record-deflated.bin");
    const RECORD_DICTIONARY_1: &[u8] = include_bytes!("golden/record-dictionary-1.bin");

    /// Records stored in a released form read back as long as any may be
    /// stored: dictionary 1 may never change (its length and CRC-32 are
    /// pinned, as a record refers back to only some of it), nor its number.
    #[test]
    fn records_written_in_each_released_form_read_back_as_written() {
        let record: Routing = serde_json::from_str(RECORD).unwrap();
        for stored in [RECORD_DEFLATED, RECORD_DICTIONARY_1] {
            let read = from_value(&AttributeValue::B(Blob::new(stored.to_vec()))).unwrap();
            assert_eq!(read, record);
        }
        assert_eq!(
            RECORD_DICTIONARY_1.get(..2),
            Some(&[DICTIONARY_MARK, 1][..])
        );
        let mut crc = flate2::Crc::new();
        crc.update(DICTIONARY_1);
        assert_eq!((DICTIONARY_1.len(), crc.sum()), (3_282, 0x074E_7BC1));
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
        // The same with the dictionary.
        let bomb = deflate_with(1, &vec![b' '; 8 << 20]).unwrap();
        assert!(bomb.len() < 64 << 10);
        let bomb = AttributeValue::B(Blob::new(bomb));
        assert!(matches!(from_value(&bomb), Err(StoreError::Corrupt(m)) if m.contains("4 MiB")));

        // A dictionary no version has, or the unused number 0.
        for number in [0, 2, 255] {
            let unknown =
                AttributeValue::B(Blob::new(vec![DICTIONARY_MARK, number, 0x4b, 0x04, 0]));
            assert!(
                matches!(from_value(&unknown), Err(StoreError::Corrupt(m)) if m.contains(&format!("no dictionary {number}"))),
                "{number}"
            );
        }
        // Cut short, at every length, or damaged inside.
        let whole = bytes(&to_value(&offered(20), RecordForm::Dictionary).unwrap()).to_vec();
        for end in 0..whole.len() {
            let cut = AttributeValue::B(Blob::new(whole[..end].to_vec()));
            assert!(
                matches!(from_value(&cut), Err(StoreError::Corrupt(_))),
                "{end}"
            );
        }
        let mut longer = whole.clone();
        longer.push(0);
        assert!(matches!(
            from_value(&AttributeValue::B(Blob::new(longer))),
            Err(StoreError::Corrupt(m)) if m.contains("after")
        ));
        let mut damaged = whole.clone();
        for b in damaged.iter_mut().skip(2).step_by(3) {
            *b ^= 0x55;
        }
        assert!(matches!(
            from_value(&AttributeValue::B(Blob::new(damaged))),
            Err(StoreError::Corrupt(_))
        ));
    }
}
