//! Conversations' activity rows (`activity`: conversation id -> `Activity`
//! JSON): the times the events since a conversation's record was written
//! moved. An event in an open conversation writes this row of a few dozen
//! bytes instead of decoding and rewriting the whole conversation (a third
//! of the store's write path, `make bench` pipeline), and every read of a
//! conversation merges it (`Activity::merge_into`, the domain's rule, as
//! the DynamoDB adapter does with its activity item).

use crate::tables::{ACTIVITY, dec, enc, err};
use redb::{ReadableTable, WriteTransaction};
use switchboard_core::append::{Activity, Touch};
use switchboard_core::ports::{Conversation, StoreResult};

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

/// `conv` with its activity row merged in.
pub(crate) fn merged(activity: &impl Rows, mut conv: Conversation) -> StoreResult<Conversation> {
    if let Some(g) = activity.get(conv.id.as_str()).map_err(err)? {
        dec::<Activity>(g.value())?.merge_into(&mut conv);
    }
    Ok(conv)
}

/// Conversation `id` as every read shows it: its record with its activity.
pub(crate) fn conversation(
    convs: &impl Rows,
    activity: &impl Rows,
    id: &str,
) -> StoreResult<Option<Conversation>> {
    match convs.get(id).map_err(err)? {
        Some(g) => Ok(Some(merged(activity, dec(g.value())?)?)),
        None => Ok(None),
    }
}
