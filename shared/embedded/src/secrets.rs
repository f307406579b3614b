//! Secrets in a JSON file with mode 0600, written atomically.

use async_trait::async_trait;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use switchboard_core::Secret;
use switchboard_core::ports::{SecretError, SecretStore};

pub struct FileSecrets {
    path: PathBuf,
    values: Mutex<BTreeMap<String, String>>,
}

impl FileSecrets {
    pub fn open(path: impl AsRef<Path>) -> Result<Self, SecretError> {
        let path = path.as_ref().to_path_buf();
        let values = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                SecretError::Unavailable(format!("{} is not readable: {e}", path.display()))
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => return Err(SecretError::Unavailable(format!("{}: {e}", path.display()))),
        };
        Ok(Self {
            path,
            values: Mutex::new(values),
        })
    }

    fn write(&self, values: &BTreeMap<String, String>) -> Result<(), SecretError> {
        use std::io::Write;
        #[cfg(unix)]
        use std::os::unix::fs::OpenOptionsExt;
        let tmp = self.path.with_extension("tmp");
        let err =
            |e: std::io::Error| SecretError::Unavailable(format!("{}: {e}", self.path.display()));
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        opts.mode(0o600);
        let mut f = opts.open(&tmp).map_err(err)?;
        let body =
            serde_json::to_vec(values).map_err(|e| SecretError::Unavailable(e.to_string()))?;
        f.write_all(&body).map_err(err)?;
        f.sync_all().map_err(err)?;
        std::fs::rename(&tmp, &self.path).map_err(err)
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, BTreeMap<String, String>>, SecretError> {
        self.values
            .lock()
            .map_err(|_| SecretError::Unavailable("secrets lock poisoned".into()))
    }
}

#[async_trait]
impl SecretStore for FileSecrets {
    async fn put(&self, name: &str, value: &Secret) -> Result<(), SecretError> {
        let mut values = self.lock()?;
        let mut next = values.clone();
        next.insert(name.to_string(), value.expose().to_string());
        self.write(&next)?;
        *values = next;
        Ok(())
    }

    async fn get(&self, name: &str) -> Result<Option<Secret>, SecretError> {
        Ok(self.lock()?.get(name).map(|v| Secret::new(v.clone())))
    }

    async fn delete(&self, name: &str) -> Result<(), SecretError> {
        let mut values = self.lock()?;
        if values.contains_key(name) {
            let mut next = values.clone();
            next.remove(name);
            self.write(&next)?;
            *values = next;
        }
        Ok(())
    }
}
