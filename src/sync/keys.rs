//! This device's ed25519 key pair: the private key in a file beside the store, readable by its
//! owner only; the public key in the store's meta table and in every bundle it signs.

use std::path::{Path, PathBuf};

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};

use crate::error::{Error, Result};

/// The key file of a store: `store.redb` → `store.redb.key`.
pub fn key_path(store: &Path) -> PathBuf {
    let mut name = store.as_os_str().to_owned();
    name.push(".key");
    PathBuf::from(name)
}

/// A new random key.
pub fn generate() -> Result<SigningKey> {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| Error::Store {
        detail: format!("no randomness for a key: {e}"),
    })?;
    Ok(SigningKey::from_bytes(&secret))
}

/// Writes the private key, owner-only (0600 on Unix; elsewhere the folder's own protection).
pub fn save(path: &Path, key: &SigningKey) -> Result<()> {
    let fail = |e: std::io::Error| Error::writing(path, &e);
    let text = hex::encode(key.to_bytes());
    #[cfg(unix)]
    {
        use std::io::Write;
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(path)
            .map_err(fail)?;
        // A file that was already there keeps its mode on open: set it.
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(fail)?;
        file.write_all(text.as_bytes()).map_err(fail)?;
        file.sync_all().map_err(fail)
    }
    #[cfg(not(unix))]
    {
        std::fs::write(path, text).map_err(fail)
    }
}

pub fn load(path: &Path) -> Result<SigningKey> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::ReadFile {
        path: path.to_path_buf(),
        source,
    })?;
    let bytes: [u8; 32] = hex::decode(text.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| Error::Store {
            detail: format!("{} is not a fieldcheck key", path.display()),
        })?;
    Ok(SigningKey::from_bytes(&bytes))
}

/// A public key as hex.
pub fn public_hex(key: &SigningKey) -> String {
    hex::encode(key.verifying_key().to_bytes())
}

/// Reads a public key written as hex.
pub fn parse_public(text: &str) -> Option<VerifyingKey> {
    let bytes: [u8; 32] = hex::decode(text.trim()).ok()?.try_into().ok()?;
    VerifyingKey::from_bytes(&bytes).ok()
}

pub fn sign(key: &SigningKey, message: &[u8]) -> String {
    hex::encode(key.sign(message).to_bytes())
}

/// Does `signature` (hex) by `public` (hex) hold for `message`?
pub fn verify(public: &str, message: &[u8], signature: &str) -> bool {
    let Some(key) = parse_public(public) else {
        return false;
    };
    let Some(bytes) = hex::decode(signature)
        .ok()
        .and_then(|b| <[u8; 64]>::try_from(b).ok())
    else {
        return false;
    };
    key.verify(message, &Signature::from_bytes(&bytes)).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_only_with_the_right_key_and_message() {
        let key = generate().unwrap();
        let other = generate().unwrap();
        let sig = sign(&key, b"bundle");
        assert!(verify(&public_hex(&key), b"bundle", &sig));
        assert!(!verify(&public_hex(&key), b"bundle!", &sig));
        assert!(!verify(&public_hex(&other), b"bundle", &sig));
        assert!(!verify("zz", b"bundle", &sig));
    }

    #[cfg(unix)]
    #[test]
    fn the_key_file_is_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.redb.key");
        let key = generate().unwrap();
        save(&path, &key).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(load(&path).unwrap().to_bytes(), key.to_bytes());
    }
}
