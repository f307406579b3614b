//! The contact search index on redb: `contact_search` "{term} {contact_id}"
//! -> "" (see `switchboard_core::contact_search`), written in the
//! transaction that writes the contact, read by key prefix.

use crate::store::RedbStore;
use crate::tables::{CONTACT_SEARCH, CONTACTS, dec, err};
use switchboard_core::contact_search::{changed_keys, contact_of, index_keys};
use switchboard_core::ports::{Contact, StoreResult};

/// Index `new` (replacing `old`'s keys) inside a write.
pub(crate) fn index(
    txn: &redb::WriteTransaction,
    old: Option<&Contact>,
    new: &Contact,
) -> StoreResult<()> {
    let mut t = txn.open_table(CONTACT_SEARCH).map_err(err)?;
    let (gone, added) = match old {
        Some(old) => changed_keys(old, new),
        None => (Vec::new(), index_keys(new)),
    };
    for k in gone {
        t.remove(k.as_str()).map_err(err)?;
    }
    for k in added {
        t.insert(k.as_str(), "").map_err(err)?;
    }
    Ok(())
}

impl RedbStore {
    /// Contacts whose index keys start with `prefix`, in key order, from
    /// at most `limit` keys.
    pub(crate) async fn find_indexed_contacts(
        &self,
        prefix: &str,
        limit: usize,
    ) -> StoreResult<Vec<Contact>> {
        let prefix = prefix.to_string();
        self.read(move |txn| {
            let index = txn.open_table(CONTACT_SEARCH).map_err(err)?;
            let contacts = txn.open_table(CONTACTS).map_err(err)?;
            let mut out = Vec::new();
            for row in index.range(prefix.as_str()..).map_err(err)?.take(limit) {
                let (k, _) = row.map_err(err)?;
                if !k.value().starts_with(prefix.as_str()) {
                    break;
                }
                let Some(id) = contact_of(k.value()) else {
                    continue;
                };
                if let Some(g) = contacts.get(id.as_str()).map_err(err)? {
                    out.push(dec(g.value())?);
                }
            }
            Ok(out)
        })
        .await
    }
}
