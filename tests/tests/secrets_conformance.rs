//! One conformance suite for the secrets adapters: the owner-only file
//! (serve) and Secrets Manager (on moto).

use std::sync::Arc;
use switchboard_core::Secret;
use switchboard_core::ports::SecretStore;

async fn put_get_overwrite_delete_and_put_again(s: Arc<dyn SecretStore>) {
    let name = "switchboard/pages/104857600000001/access-token";
    assert_eq!(s.get(name).await.unwrap(), None);
    s.put(name, &Secret::new("first")).await.unwrap();
    assert_eq!(s.get(name).await.unwrap().unwrap().expose(), "first");
    s.put(name, &Secret::new("second")).await.unwrap();
    assert_eq!(s.get(name).await.unwrap().unwrap().expose(), "second");
    s.delete(name).await.unwrap();
    assert_eq!(
        s.get(name).await.unwrap(),
        None,
        "a deleted secret has no value"
    );
    s.delete(name).await.unwrap();
    // A removed page connected again stores its token under the same name.
    s.put(name, &Secret::new("third")).await.unwrap();
    assert_eq!(s.get(name).await.unwrap().unwrap().expose(), "third");
}

#[tokio::test]
async fn file_secrets() {
    let dir = tempfile::tempdir().unwrap();
    put_get_overwrite_delete_and_put_again(switchboard_tests::file_secrets(dir.path())).await;
    // Readable by its owner only.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(dir.path().join("secrets.json"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o077, 0, "mode {mode:o}");
}

#[tokio::test]
async fn secrets_manager() {
    put_get_overwrite_delete_and_put_again(switchboard_tests::moto_secrets().await).await;
}
