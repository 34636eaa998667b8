//! The node's data directory: issuer key, database and installed contexts.
//!
//! ```text
//! <data-dir>/issuer.key        the issuer's Ed25519 secret (multibase multikey), mode 0600
//! <data-dir>/transport.key     the libp2p identity's Ed25519 seed (hex), mode 0600
//! <data-dir>/db/               the sled database
//! <data-dir>/contexts/         installed JSON-LD contexts (see `contexts_dir`)
//! <data-dir>/credreg.toml      the config written at init (owned by the binary)
//! ```

use crate::error::HomeError;
use credreg_proof::keys::{multikey_from_secret, secret_from_multikey};
use credreg_proof::SigningKey;
use std::path::{Path, PathBuf};

/// Paths inside a data directory.
#[derive(Debug, Clone)]
pub struct Home {
    root: PathBuf,
}

impl Home {
    /// The data directory at `root` (not created yet).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The sled database directory.
    pub fn db_dir(&self) -> PathBuf {
        self.root.join("db")
    }

    /// Makes the data directory private to its owner: directories 0700, files 0600 (files
    /// made by earlier versions or another umask included). A no-op off Unix.
    pub fn make_private(&self) -> Result<(), HomeError> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            fn walk(path: &Path) -> Result<(), HomeError> {
                let meta = std::fs::symlink_metadata(path).map_err(|e| HomeError::io(path, e))?;
                if meta.file_type().is_symlink() {
                    return Ok(());
                }
                let mode = if meta.is_dir() { 0o700 } else { 0o600 };
                if meta.permissions().mode() & 0o777 != mode {
                    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
                        .map_err(|e| HomeError::io(path, e))?;
                }
                if meta.is_dir() {
                    for entry in std::fs::read_dir(path).map_err(|e| HomeError::io(path, e))? {
                        let entry = entry.map_err(|e| HomeError::io(path, e))?;
                        walk(&entry.path())?;
                    }
                }
                Ok(())
            }
            walk(&self.root)?;
        }
        Ok(())
    }

    /// The issuer key file.
    pub fn key_file(&self) -> PathBuf {
        self.root.join("issuer.key")
    }

    /// The config file written at init.
    pub fn config_file(&self) -> PathBuf {
        self.root.join("credreg.toml")
    }

    /// Whether init has run (the key exists).
    pub fn is_initialized(&self) -> bool {
        self.key_file().is_file()
    }

    /// Creates the directory and a new issuer key if there is none. Returns the key and
    /// whether it was created now.
    pub fn ensure_key(&self) -> Result<(SigningKey, bool), HomeError> {
        std::fs::create_dir_all(&self.root).map_err(|e| HomeError::io(&self.root, e))?;
        let path = self.key_file();
        if path.is_file() {
            return Ok((self.load_key()?, false));
        }
        let key = SigningKey::generate(&mut rand::rngs::OsRng);
        let text = format!("{}\n", multikey_from_secret(&key));
        write_private(&path, text.as_bytes())?;
        Ok((key, true))
    }

    /// The libp2p transport key file (separate from the issuer key, so a compromised or
    /// rotated network identity never touches what signs awards).
    pub fn transport_key_file(&self) -> PathBuf {
        self.root.join("transport.key")
    }

    /// The transport key seed, created on first use.
    pub fn ensure_transport_seed(&self) -> Result<[u8; 32], HomeError> {
        std::fs::create_dir_all(&self.root).map_err(|e| HomeError::io(&self.root, e))?;
        let path = self.transport_key_file();
        if path.is_file() {
            let text = std::fs::read_to_string(&path).map_err(|e| HomeError::io(&path, e))?;
            let bytes = hex::decode(text.trim())
                .ok()
                .and_then(|b| <[u8; 32]>::try_from(b).ok());
            return bytes.ok_or_else(|| {
                HomeError::new(format!("{} is not a 32-byte hex seed", path.display()))
            });
        }
        let seed: [u8; 32] = rand::random();
        write_private(&path, format!("{}\n", hex::encode(seed)).as_bytes())?;
        Ok(seed)
    }

    /// Reads the issuer key.
    pub fn load_key(&self) -> Result<SigningKey, HomeError> {
        let path = self.key_file();
        let text = std::fs::read_to_string(&path).map_err(|e| HomeError::io(&path, e))?;
        secret_from_multikey(text.trim())
            .map_err(|e| HomeError::new(format!("{} is not an issuer key: {e}", path.display())))
    }
}

/// Writes a secret file readable only by its owner, atomically.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), HomeError> {
    let tmp = path.with_extension("tmp");
    {
        use std::io::Write;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut f = options.open(&tmp).map_err(|e| HomeError::io(&tmp, e))?;
        f.write_all(bytes).map_err(|e| HomeError::io(&tmp, e))?;
        f.sync_all().map_err(|e| HomeError::io(&tmp, e))?;
    }
    std::fs::rename(&tmp, path).map_err(|e| HomeError::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_created_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let home = Home::new(dir.path().join("data"));
        assert!(!home.is_initialized());
        let (k1, created) = home.ensure_key().expect("create");
        assert!(created);
        let (k2, created) = home.ensure_key().expect("load");
        assert!(!created);
        assert_eq!(k1.to_bytes(), k2.to_bytes());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(home.key_file())
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
