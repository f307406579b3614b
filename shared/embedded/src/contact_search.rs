//! The contact search index on redb: `contact_search` "{term} {contact_id}"
//! -> "" (see `switchboard_core::contact_search`), written in the
//! transaction that writes the contact, read by key prefix.

use crate::store::RedbStore;
use crate::tables::{CONTACT_SEARCH, CONTACTS, dec, err};
use redb::{ReadableTable, ReadableTableMetadata};
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

/// The key that says the index was built: no term's key sorts before it
/// or equals it, and no search prefix finds it.
const BUILT: &str = "";

/// Index every stored contact when the index is empty (a store written
/// before the index existed), then mark it built: a store whose contacts
/// all have fallback names (not indexed) is not read whole at each start.
pub(crate) fn rebuild(txn: &redb::WriteTransaction) -> StoreResult<()> {
    let mut index = txn.open_table(CONTACT_SEARCH).map_err(err)?;
    let contacts = txn.open_table(CONTACTS).map_err(err)?;
    if index.len().map_err(err)? > 0 {
        return Ok(());
    }
    index.insert(BUILT, "").map_err(err)?;
    for row in contacts.iter().map_err(err)? {
        let (_, v) = row.map_err(err)?;
        let Ok(contact) = dec::<Contact>(v.value()) else {
            tracing::warn!(
                "a stored contact could not be read; it is left out of the search index"
            );
            continue;
        };
        for k in index_keys(&contact) {
            index.insert(k.as_str(), "").map_err(err)?;
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use switchboard_core::ports::ConversationStore;
    use switchboard_core::time::Millis;

    #[tokio::test]
    async fn a_store_written_before_the_index_is_indexed_when_opened() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.redb");
        let store = RedbStore::open(&path).unwrap();
        let ada = Contact {
            id: "ct_ada".parse().unwrap(),
            name: "Ada Lovelace".into(),
            email: Some("ada@example.com".into()),
            phone: None,
            notes: None,
            created_at: Millis(1),
            updated_at: None,
            version: 0,
        };
        store.create_contact(&ada).await.unwrap();
        // As an older version left it: the contact, no index.
        store
            .write(|txn| {
                let mut t = txn.open_table(CONTACT_SEARCH).map_err(err)?;
                t.retain(|_, _| false).map_err(err)?;
                Ok(())
            })
            .await
            .unwrap();
        assert!(store.find_contacts("n:ada", 10).await.unwrap().is_empty());
        drop(store);

        let store = RedbStore::open(&path).unwrap();
        for prefix in ["n:ada", "n:love", "e:ada@example.com "] {
            let found = store.find_contacts(prefix, 10).await.unwrap();
            assert_eq!(found.len(), 1, "{prefix}");
            assert_eq!(found[0].id, ada.id);
        }
    }

    #[tokio::test]
    async fn an_index_of_no_terms_is_marked_built_and_never_rebuilt() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.redb");
        let store = RedbStore::open(&path).unwrap();
        let unnamed = Contact::new(
            "ct_unnamed".parse().unwrap(),
            switchboard_core::contacts::fallback_name("7700000000000042"),
            Millis(1),
        );
        store.create_contact(&unnamed).await.unwrap();
        async fn keys(store: &RedbStore) -> Vec<String> {
            store
                .read(|txn| {
                    let t = txn.open_table(CONTACT_SEARCH).map_err(err)?;
                    let mut out = Vec::new();
                    for row in t.iter().map_err(err)? {
                        out.push(row.map_err(err)?.0.value().to_string());
                    }
                    Ok(out)
                })
                .await
                .unwrap()
        }
        // Only the mark: the fallback name has no terms.
        assert_eq!(keys(&store).await, [BUILT]);
        // A contact left out of the index: a rebuild would add it.
        let ada = Contact::new("ct_ada".parse().unwrap(), "Ada".into(), Millis(2));
        store
            .write(move |txn| {
                let mut t = txn.open_table(CONTACTS).map_err(err)?;
                t.insert(ada.id.as_str(), crate::tables::enc(&ada)?.as_str())
                    .map_err(err)?;
                Ok(())
            })
            .await
            .unwrap();
        drop(store);
        let store = RedbStore::open(&path).unwrap();
        assert_eq!(keys(&store).await, [BUILT]);
        assert!(store.find_contacts("n:ada", 10).await.unwrap().is_empty());
        assert!(store.find_contacts("", 10).await.unwrap().is_empty());
    }
}
