//! Conversations' activity rows (`activity`: conversation id -> `Activity`
//! JSON): the times every event of a conversation moved since it opened.
//! An event in an open conversation writes this row of a few dozen bytes
//! instead of decoding and rewriting the whole conversation on the writer
//! thread (`make bench` pipeline), and every read through the ports merges
//! it (`Activity::merge_into`, the domain's rule, as the DynamoDB adapter
//! does with its activity item).
//!
//! Routing's own writes (`RoutingStore::apply`, `replace_routing`) read the
//! record alone: they decide by its version and state, never by these
//! times, and write back times no later than what they read. That is safe
//! because a row is never removed or folded into its record: the next read
//! still merges it (store conformance, `every_read_shows_the_latest_activity`).

use crate::tables::{ACTIVITY, dec, enc, err};
use redb::{ReadableTable, WriteTransaction};
use switchboard_core::append::{Activity, Touch};
use switchboard_core::ports::{Conversation, StoreResult, listed};

/// A table of string keys and values, read in a read or a write transaction.
pub(crate) trait Rows: ReadableTable<&'static str, &'static str> {}
impl<T: ReadableTable<&'static str, &'static str>> Rows for T {}

/// Record `touch` on conversation `id`'s activity row.
pub(crate) fn touch(txn: &WriteTransaction, id: &str, touch: &Touch) -> StoreResult<()> {
    let mut rows = txn.open_table(ACTIVITY).map_err(err)?;
    let before: Option<Activity> = rows
        .get(id)
        .map_err(err)?
        .map(|g| dec(g.value()))
        .transpose()?;
    let after = Activity::touched(before, touch);
    rows.insert(id, enc(&after)?.as_str()).map_err(err)?;
    Ok(())
}

/// Conversation `id` as every read shows it: its record with its activity.
/// A storage error fails the read. A record that cannot be decoded is the
/// inner error (a list skips it, a read of one fails with it); an activity
/// row that cannot be decoded is logged and counted, and the record is
/// shown without it rather than hidden.
pub(crate) fn conversation(
    convs: &impl Rows,
    activity: &impl Rows,
    id: &str,
) -> StoreResult<Option<StoreResult<Conversation>>> {
    let Some(record) = convs.get(id).map_err(err)? else {
        return Ok(None);
    };
    let mut conv: Conversation = match dec(record.value()) {
        Ok(c) => c,
        Err(e) => return Ok(Some(Err(e))),
    };
    if let Some(row) = activity.get(id).map_err(err)?
        && let Some(a) = listed("conversation activity", dec::<Activity>(row.value()))
    {
        a.merge_into(&mut conv);
    }
    Ok(Some(Ok(conv)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tables::CONVERSATIONS;
    use redb::{Database, ReadableDatabase};
    use switchboard_core::Millis;
    use switchboard_core::event::InboundEvent;
    use switchboard_core::ids::{ContactId, ConversationId, Psid};

    fn record() -> Conversation {
        let event: InboundEvent = serde_json::from_value(serde_json::json!({
            "key": "m1", "account_id": "acme", "page_id": "104857600000001",
            "psid": "7700000000000001", "timestamp": 1_000, "kind": "message",
            "channel": "messaging", "received_at": 1_000,
            "text": "hi", "raw": {}
        }))
        .unwrap();
        Conversation::opened_by(
            ConversationId::parse("cv_1").unwrap(),
            &event,
            &Psid::parse("7700000000000001").unwrap(),
            ContactId::parse("ct_1").unwrap(),
            Millis(1_000),
        )
    }

    #[test]
    fn a_damaged_activity_row_shows_the_record_and_a_damaged_record_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::create(dir.path().join("t.redb")).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut convs = txn.open_table(CONVERSATIONS).unwrap();
            let mut rows = txn.open_table(ACTIVITY).unwrap();
            convs
                .insert("cv_1", enc(&record()).unwrap().as_str())
                .unwrap();
            rows.insert("cv_1", "{not json").unwrap();
            convs.insert("cv_2", "{not json").unwrap();
        }
        txn.commit().unwrap();
        let txn = db.begin_read().unwrap();
        let convs = txn.open_table(CONVERSATIONS).unwrap();
        let rows = txn.open_table(ACTIVITY).unwrap();
        let shown = conversation(&convs, &rows, "cv_1")
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(shown.updated_at, Millis(1_000), "the record, unmerged");
        assert!(matches!(
            conversation(&convs, &rows, "cv_2"),
            Ok(Some(Err(_)))
        ));
        assert!(matches!(conversation(&convs, &rows, "cv_3"), Ok(None)));
    }
}
