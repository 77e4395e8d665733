//! A store's keys: an ed25519 signing key (every change and bundle it writes is signed with it)
//! and an X25519 identity (bundles are encrypted to it with age). Both live in the key file
//! beside the store, readable by its owner only, optionally sealed with a passphrase.
//!
//! What a peer needs is one string, the *peer key* `fc1:<device id>:<ed25519 hex>:<age1…>`:
//! `fieldcheck identity` prints it, `fieldcheck trust add` takes it. Its fingerprint (the first
//! 16 hex digits of its SHA-256, in groups of four) is what two people compare aloud.

use std::path::{Path, PathBuf};

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use super::seal::{self, EncKey};
use crate::error::{Error, Result};

/// The key file of a store: `store.redb` → `store.redb.key`.
pub fn key_path(store: &Path) -> PathBuf {
    let mut name = store.as_os_str().to_owned();
    name.push(".key");
    PathBuf::from(name)
}

/// The environment variable that unlocks a passphrase-protected key file.
pub const PASSPHRASE_ENV: &str = "FIELDCHECK_PASSPHRASE";

/// A store's private keys.
pub struct Keys {
    pub signing: SigningKey,
    pub enc: EncKey,
}

impl Keys {
    pub fn generate() -> Result<Keys> {
        Ok(Keys {
            signing: generate()?,
            enc: EncKey::generate(),
        })
    }

    /// The peer key of the device `device` holding these keys.
    pub fn peer(&self, device: &str) -> PeerKey {
        PeerKey {
            device: device.to_string(),
            signing: public_hex(&self.signing),
            recipient: self.enc.recipient(),
        }
    }

    fn to_text(&self) -> String {
        format!(
            "fieldcheck-key 2\nsigning {}\nage {}\n",
            hex::encode(self.signing.to_bytes()),
            self.enc.secret()
        )
    }

    /// Reads a key file's text: version 2 (both keys) or version 1 (one hex signing key, from
    /// before encryption: it gets a new X25519 identity, and `upgraded` says the file needs
    /// rewriting).
    fn from_text(text: &str) -> Option<(Keys, bool)> {
        let text = text.trim();
        if let Some(rest) = text.strip_prefix("fieldcheck-key 2") {
            let mut signing = None;
            let mut enc = None;
            for line in rest.lines() {
                match line.trim().split_once(' ') {
                    Some(("signing", hex)) => signing = signing_from_hex(hex),
                    Some(("age", secret)) => enc = EncKey::parse(secret.trim()),
                    _ => {}
                }
            }
            return Some((
                Keys {
                    signing: signing?,
                    enc: enc?,
                },
                false,
            ));
        }
        let signing = signing_from_hex(text)?;
        Some((
            Keys {
                signing,
                enc: EncKey::generate(),
            },
            true,
        ))
    }
}

fn signing_from_hex(text: &str) -> Option<SigningKey> {
    let bytes: [u8; 32] = hex::decode(text.trim()).ok()?.try_into().ok()?;
    Some(SigningKey::from_bytes(&bytes))
}

/// What a peer needs of a device: its id, signing key and encryption recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerKey {
    pub device: String,
    /// ed25519 public key, hex.
    pub signing: String,
    /// age X25519 recipient, `age1…`.
    pub recipient: String,
}

impl PeerKey {
    pub fn parse(text: &str) -> Option<PeerKey> {
        let mut parts = text.trim().split(':');
        if parts.next()? != "fc1" {
            return None;
        }
        let device = parts.next()?.to_string();
        let signing = parts.next()?.to_string();
        let recipient = parts.next()?.to_string();
        let valid = parts.next().is_none()
            && uuid::Uuid::parse_str(&device).is_ok()
            && parse_public(&signing).is_some()
            && seal::parse_recipient(&recipient).is_some();
        valid.then_some(PeerKey {
            device,
            signing,
            recipient,
        })
    }

    /// Sixteen hex digits of the key's SHA-256, in groups of four: what people compare.
    pub fn fingerprint(&self) -> String {
        fingerprint(&self.to_string())
    }
}

impl std::fmt::Display for PeerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "fc1:{}:{}:{}", self.device, self.signing, self.recipient)
    }
}

/// The fingerprint of a peer key's text.
pub fn fingerprint(text: &str) -> String {
    let digest = hex::encode(&Sha256::digest(text.trim().as_bytes())[..8]);
    digest
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A new random signing key.
pub fn generate() -> Result<SigningKey> {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| Error::Store {
        detail: format!("no randomness for a key: {e}"),
    })?;
    Ok(SigningKey::from_bytes(&secret))
}

/// Writes the key file, owner-only, atomically; sealed with `passphrase` if one is given.
pub fn save(path: &Path, keys: &Keys, passphrase: Option<&str>) -> Result<()> {
    let text = keys.to_text();
    let bytes = match passphrase {
        Some(p) => seal::protect(text.as_bytes(), p).map_err(|e| Error::Store {
            detail: format!("could not protect the key: {e:?}"),
        })?,
        None => text.into_bytes(),
    };
    crate::files::write_private(path, &bytes).map_err(|e| Error::writing(path, &e))
}

/// Is the key file at `path` sealed with a passphrase?
pub fn is_protected(path: &Path) -> bool {
    std::fs::read(path).is_ok_and(|b| seal::is_protected(&b))
}

/// Reads the key file; a protected one is unlocked with `FIELDCHECK_PASSPHRASE`. A version 1
/// file is rewritten as version 2 (the same signing key, a new X25519 identity).
pub fn load(path: &Path) -> Result<Keys> {
    let bytes = std::fs::read(path).map_err(|source| Error::ReadFile {
        path: path.to_path_buf(),
        source,
    })?;
    let passphrase = std::env::var(PASSPHRASE_ENV).ok();
    let text = if seal::is_protected(&bytes) {
        let Some(pass) = passphrase.as_deref() else {
            return Err(Error::KeyLocked {
                path: path.to_path_buf(),
            });
        };
        let plain = seal::unprotect(&bytes, pass).map_err(|_| Error::KeyLocked {
            path: path.to_path_buf(),
        })?;
        String::from_utf8_lossy(&plain).into_owned()
    } else {
        String::from_utf8_lossy(&bytes).into_owned()
    };
    let (keys, upgraded) = Keys::from_text(&text).ok_or_else(|| Error::Store {
        detail: format!("{} is not a fieldcheck key", path.display()),
    })?;
    if upgraded {
        save(path, &keys, None)?;
    }
    Ok(keys)
}

/// A public key as hex.
pub fn public_hex(key: &SigningKey) -> String {
    hex::encode(key.verifying_key().to_bytes())
}

/// Reads a public key written as hex. A weak key (of small order, for which anyone can make
/// signatures that hold) is no key.
pub fn parse_public(text: &str) -> Option<VerifyingKey> {
    let bytes: [u8; 32] = hex::decode(text.trim()).ok()?.try_into().ok()?;
    VerifyingKey::from_bytes(&bytes)
        .ok()
        .filter(|k| !k.is_weak())
}

pub fn sign(key: &SigningKey, message: &[u8]) -> String {
    hex::encode(key.sign(message).to_bytes())
}

/// A signature written as hex.
pub fn parse_signature(text: &str) -> Option<Signature> {
    let bytes = <[u8; 64]>::try_from(hex::decode(text).ok()?).ok()?;
    Some(Signature::from_bytes(&bytes))
}

/// Does `signature` (hex) by `public` (hex) hold for `message`? (Strict verification: no
/// malleable or small-order forms.)
pub fn verify(public: &str, message: &[u8], signature: &str) -> bool {
    let (Some(key), Some(sig)) = (parse_public(public), parse_signature(signature)) else {
        return false;
    };
    holds(&key, message, &sig)
}

/// Does `signature` by `key` hold for `message`? The rules are ZIP-215's (Zcash; the
/// `ed25519-zebra` crate): s canonical, the cofactored equation, under which checking signatures
/// in a batch and one at a time decide alike. A key of small order is refused before
/// (`parse_public`), so nobody signs for a key without its secret.
pub fn holds(key: &VerifyingKey, message: &[u8], signature: &Signature) -> bool {
    ed25519_zebra::VerificationKey::try_from(key.to_bytes())
        .and_then(|vk| vk.verify(signature, message))
        .is_ok()
}

/// Is there randomness for a `Batch`? (Checked before one is used: a batch's coefficients must be
/// unpredictable to whoever made the signatures.)
pub fn check_randomness() -> std::result::Result<(), String> {
    let mut probe = [0u8; 16];
    getrandom::fill(&mut probe).map_err(|e| e.to_string())
}

/// Signatures checked together, by the rules of `holds` (about twice as fast a signature, more
/// when many share a key).
#[derive(Default)]
pub struct Batch {
    items: Vec<(usize, ed25519_zebra::batch::Item)>,
}

impl Batch {
    /// Queues signature `signature` (hex) by `key` over `message` under the caller's number `n`.
    /// False if it is not a signature at all (it is not queued).
    pub fn queue(&mut self, n: usize, key: &VerifyingKey, message: &[u8], signature: &str) -> bool {
        let Some(sig) = parse_signature(signature) else {
            return false;
        };
        let vk = ed25519_zebra::VerificationKeyBytes::from(key.to_bytes());
        self.items.push((n, (vk, sig, message).into()));
        true
    }

    /// The numbers of the queued signatures that do not hold: none when the batch holds, else
    /// each checked alone. Needs `check_randomness` to have passed.
    pub fn failed(self) -> Vec<usize> {
        let mut verifier = ed25519_zebra::batch::Verifier::new();
        for (_, item) in &self.items {
            verifier.queue(item.clone());
        }
        let rng = getrandom::rand_core::UnwrapErr(getrandom::SysRng);
        if verifier.verify(rng).is_ok() {
            return Vec::new();
        }
        self.items
            .into_iter()
            .filter(|(_, item)| item.clone().verify_single().is_err())
            .map(|(n, _)| n)
            .collect()
    }
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

    /// A signature with R = `r` and s = k·a (k the challenge for R, the key `public` and the
    /// message): with a small-order R or a key with a small-order part, it holds for some
    /// equations and not others.
    fn odd(key: &SigningKey, public: &[u8; 32], r: [u8; 32], message: &[u8]) -> String {
        use curve25519_dalek::Scalar;
        let mut h = sha2::Sha512::new();
        h.update(r);
        h.update(public);
        h.update(message);
        let k = Scalar::from_hash(h);
        let mut bytes = r.to_vec();
        bytes.extend((k * key.to_scalar()).to_bytes());
        hex::encode(bytes)
    }

    /// A batch decides each signature as `holds` does alone, whatever else is in the batch: for
    /// small-order R and keys with a small-order part, where ed25519's cofactorless batch
    /// equation would depend on the grouping.
    #[test]
    fn a_batch_decides_every_signature_as_it_is_decided_alone() {
        use curve25519_dalek::constants::EIGHT_TORSION;
        use curve25519_dalek::edwards::CompressedEdwardsY;
        let key = generate().unwrap();
        let point = CompressedEdwardsY(key.verifying_key().to_bytes())
            .decompress()
            .unwrap();
        let honest: Vec<(Vec<u8>, String)> = (0..8u8)
            .map(|m| (vec![m, 1], hex::encode(key.sign(&[m, 1]).to_bytes())))
            .collect();
        let (mut held, mut refused) = (0, 0);
        for (t, torsion) in EIGHT_TORSION.iter().enumerate() {
            let public = (point + torsion).compress().to_bytes();
            let Ok(vk) = VerifyingKey::from_bytes(&public) else {
                continue;
            };
            for r in EIGHT_TORSION.map(|p| p.compress().to_bytes()) {
                // Each signature over its message, and over another (it must fail).
                for (m, checked) in (0..8u8).flat_map(|m| [(m, m), (m, m + 100)]) {
                    let sig = odd(&key, &public, r, &[m]);
                    let alone = holds(&vk, &[checked], &parse_signature(&sig).unwrap());
                    (held, refused) = if alone {
                        (held + 1, refused)
                    } else {
                        (held, refused + 1)
                    };
                    for others in [0, 1, 7] {
                        let mut batch = Batch::default();
                        for (n, (msg, s)) in honest.iter().take(others).enumerate() {
                            assert!(batch.queue(n + 1, &key.verifying_key(), msg, s));
                        }
                        assert!(batch.queue(0, &vk, &[checked], &sig));
                        let failed = batch.failed();
                        assert_eq!(failed.contains(&0), !alone, "t {t} m {m} with {others}");
                        assert!(failed.iter().all(|n| *n == 0), "an honest signature failed");
                    }
                }
            }
        }
        assert!(
            held > 0 && refused > 0,
            "{held} held, {refused} refused: nothing was tested"
        );
        let sig = key.sign(b"m");
        assert!(holds(&key.verifying_key(), b"m", &sig));
        assert!(!holds(&key.verifying_key(), b"n", &sig));
    }

    #[test]
    fn peer_keys_round_trip_and_refuse_junk() {
        let keys = Keys::generate().unwrap();
        let device = uuid::Uuid::now_v7().to_string();
        let peer = keys.peer(&device);
        let text = peer.to_string();
        assert_eq!(PeerKey::parse(&text), Some(peer.clone()));
        assert_eq!(peer.fingerprint().len(), 19);
        assert_eq!(PeerKey::parse(&text.replacen("fc1", "fc2", 1)), None);
        assert_eq!(PeerKey::parse(&format!("{text}:x")), None);
        assert_eq!(PeerKey::parse(&public_hex(&keys.signing)), None);
    }

    #[cfg(unix)]
    #[test]
    fn the_key_file_is_owner_only_and_a_version_1_file_is_upgraded() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.redb.key");
        let keys = Keys::generate().unwrap();
        save(&path, &keys, None).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let loaded = load(&path).unwrap();
        assert_eq!(loaded.signing.to_bytes(), keys.signing.to_bytes());
        assert_eq!(loaded.enc.recipient(), keys.enc.recipient());

        std::fs::write(&path, hex::encode(keys.signing.to_bytes())).unwrap();
        let upgraded = load(&path).unwrap();
        assert_eq!(upgraded.signing.to_bytes(), keys.signing.to_bytes());
        let again = load(&path).unwrap();
        assert_eq!(again.enc.recipient(), upgraded.enc.recipient());
    }
}
