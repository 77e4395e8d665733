//! The encryption layer of change bundles, and the passphrase protection of the private key file.
//!
//! A bundle is first signed (the `bundle` and `keys` modules: ed25519 over the changes), then
//! the signed bytes are sealed here with [age](https://age-encryption.org/v1) to the X25519
//! recipients that may read it (HQ, the devices of a district). Opening reverses the order:
//! decrypt, then verify the signature. Signing comes first because age has no signatures: an
//! age file says nothing about who wrote it (anyone who knows a recipient can encrypt to it), so
//! authenticity must live inside the plaintext; age only adds confidentiality to files that
//! travel on USB sticks and mail.
//!
//! Everything here is the plain binary age v1 format, so the reference tool reads it:
//! `age -d -i identity.txt bundle.fcb` with the store's `AGE-SECRET-KEY-1…` string in
//! `identity.txt`. [`protect`] wraps a private key file under a passphrase (age's scrypt
//! recipient), for backups that leave the laptop.
//!
//! Errors are our own [`SealError`]; no age type escapes this module. Decryption never allocates
//! from a size claimed by the file: the plaintext is read in age's 64 KiB chunks and reading
//! stops one byte past the caller's limit.

use std::fmt;
use std::io::{Read, Write};
use std::iter;

use age::secrecy::{ExposeSecret, SecretString};

/// The first line of every age v1 file.
const AGE_V1_MAGIC: &[u8] = b"age-encryption.org/v1\n";

/// scrypt work factor (log2 N) for [`protect`]: 2^17 takes about 0.3 s and 128 MiB in a release
/// build on the development machine (0.15 s at 16, 0.62 s at 18; age's own default targets
/// ~1 s). Each step up doubles the cost of guessing the passphrase of a stolen backup, and of
/// every legitimate unlock.
pub const WORK_FACTOR: u8 = 17;

/// The highest scrypt work factor [`unprotect`] accepts (2^18, 256 MiB, what the reference
/// `age -p` writes), so a hostile file cannot make it spend minutes and gigabytes.
pub const MAX_WORK_FACTOR: u8 = 18;

const _: () = assert!(WORK_FACTOR <= MAX_WORK_FACTOR);

/// What went wrong when sealing or opening.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SealError {
    /// [`seal`] was given no recipient.
    NoRecipients,
    /// A recipient is not an `age1…` X25519 public key (the text given).
    BadRecipient(String),
    /// The file is sealed, but to other keys than ours.
    NotForUs,
    /// Not an age file, or a damaged one: bad header, bad MAC, altered or truncated payload.
    Damaged,
    /// The plaintext is larger than the caller's limit.
    TooLarge,
    /// [`unprotect`] was given the wrong passphrase.
    WrongPassphrase,
    /// An I/O error while writing the sealed bytes (none is expected in memory).
    Io(String),
}

impl fmt::Display for SealError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SealError::NoRecipients => write!(f, "no recipient to encrypt to"),
            SealError::BadRecipient(text) => write!(f, "not an age X25519 recipient: {text:?}"),
            SealError::NotForUs => {
                write!(f, "the file is encrypted to other keys than this store's")
            }
            SealError::Damaged => write!(f, "the encrypted file is damaged or not an age file"),
            SealError::TooLarge => write!(f, "the decrypted content is larger than allowed"),
            SealError::WrongPassphrase => write!(f, "wrong passphrase"),
            SealError::Io(e) => write!(f, "I/O error while encrypting: {e}"),
        }
    }
}

impl std::error::Error for SealError {}

/// A store's X25519 identity: the secret half of its age key pair. Its `Debug` never shows the
/// secret.
pub struct EncKey(age::x25519::Identity);

impl EncKey {
    /// A fresh random key.
    pub fn generate() -> EncKey {
        EncKey(age::x25519::Identity::generate())
    }

    /// Reads an `AGE-SECRET-KEY-1…` string (exactly: no surrounding whitespace).
    pub fn parse(secret: &str) -> Option<EncKey> {
        secret.parse().ok().map(EncKey)
    }

    /// The `AGE-SECRET-KEY-1…` string: what the key file holds and what `age -d -i` reads.
    pub fn secret(&self) -> String {
        self.0.to_string().expose_secret().to_owned()
    }

    /// The public `age1…` recipient that others seal to.
    pub fn recipient(&self) -> String {
        self.0.to_public().to_string()
    }
}

impl fmt::Debug for EncKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EncKey(…)")
    }
}

/// A checked `age1…` X25519 public key; `Display` gives it back in canonical form.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Recipient(age::x25519::Recipient);

impl fmt::Display for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Debug for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Recipient({})", self.0)
    }
}

/// Reads an `age1…` recipient (exactly: no surrounding whitespace).
pub fn parse_recipient(text: &str) -> Option<Recipient> {
    text.parse().ok().map(Recipient)
}

/// Whether `bytes` is an age v1 file (sealed or [protected](is_protected)): it starts with
/// the line `age-encryption.org/v1`.
pub fn is_sealed(bytes: &[u8]) -> bool {
    bytes.starts_with(AGE_V1_MAGIC)
}

/// Whether `bytes` is a passphrase-protected age file: a well-formed header whose only stanza
/// is `scrypt`. Only the header is parsed.
pub fn is_protected(bytes: &[u8]) -> bool {
    is_sealed(bytes) && age::Decryptor::new_buffered(bytes).is_ok_and(|d| d.is_scrypt())
}

/// Encrypts `plain` to every `age1…` recipient; each can [`open`] it on its own.
pub fn seal(plain: &[u8], recipients: &[String]) -> Result<Vec<u8>, SealError> {
    if recipients.is_empty() {
        return Err(SealError::NoRecipients);
    }
    let parsed = recipients
        .iter()
        .map(|text| parse_recipient(text).ok_or_else(|| SealError::BadRecipient(text.clone())))
        .collect::<Result<Vec<_>, _>>()?;
    let encryptor =
        age::Encryptor::with_recipients(parsed.iter().map(|r| &r.0 as _)).map_err(encrypt_error)?;
    write_sealed(encryptor, plain, recipients.len())
}

/// Decrypts a file sealed to `key`. [`SealError::NotForUs`] when no stanza is for `key`,
/// [`SealError::Damaged`] for a bad header or MAC, an altered or truncated payload, and
/// [`SealError::TooLarge`] as soon as the plaintext passes `max_plain` bytes.
pub fn open(sealed: &[u8], key: &EncKey, max_plain: u64) -> Result<Vec<u8>, SealError> {
    header_within_limit(sealed)?;
    let decryptor = age::Decryptor::new_buffered(sealed).map_err(decrypt_error)?;
    let reader = decryptor
        .decrypt(iter::once(&key.0 as &dyn age::Identity))
        .map_err(decrypt_error)?;
    read_limited(reader, sealed.len(), max_plain)
}

/// The longest age header `open` reads: a header has one stanza a recipient (about 120 bytes
/// each), so this is room for hundreds of them. age parses a header again after each line it
/// reads, which makes a long one cost the square of its length: a stranger's file with a
/// megabyte of stanza lines would hold an import for minutes, near the bundle cap for days.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;

/// Refuses, before age reads it, a file whose header does not end (`\n--- `) within
/// `MAX_HEADER_BYTES`.
fn header_within_limit(sealed: &[u8]) -> Result<(), SealError> {
    let window = &sealed[..sealed.len().min(MAX_HEADER_BYTES)];
    if memchr::memmem::find(window, b"\n--- ").is_some() {
        Ok(())
    } else {
        Err(SealError::Damaged)
    }
}

/// Encrypts `plain` under a passphrase (age's scrypt recipient, work factor [`WORK_FACTOR`]).
pub fn protect(plain: &[u8], passphrase: &str) -> Result<Vec<u8>, SealError> {
    protect_with_work_factor(plain, passphrase, WORK_FACTOR)
}

fn protect_with_work_factor(
    plain: &[u8],
    passphrase: &str,
    log_n: u8,
) -> Result<Vec<u8>, SealError> {
    let mut recipient = age::scrypt::Recipient::new(SecretString::from(passphrase.to_owned()));
    recipient.set_work_factor(log_n);
    let encryptor =
        age::Encryptor::with_recipients(iter::once(&recipient as _)).map_err(encrypt_error)?;
    write_sealed(encryptor, plain, 1)
}

/// Decrypts a [`protect`]ed file. [`SealError::WrongPassphrase`] when the passphrase does not
/// unwrap the file key (which an altered scrypt stanza looks like too). A file sealed to X25519 keys instead gives
/// [`SealError::NotForUs`]; a work factor above [`MAX_WORK_FACTOR`] gives [`SealError::Damaged`].
pub fn unprotect(sealed: &[u8], passphrase: &str) -> Result<Vec<u8>, SealError> {
    let decryptor = age::Decryptor::new_buffered(sealed).map_err(decrypt_error)?;
    let mut identity = age::scrypt::Identity::new(SecretString::from(passphrase.to_owned()));
    identity.set_max_work_factor(MAX_WORK_FACTOR);
    let reader = decryptor
        .decrypt(iter::once(&identity as &dyn age::Identity))
        .map_err(|e| match e {
            // The scrypt stanza's file key did not decrypt under this passphrase.
            age::DecryptError::DecryptionFailed => SealError::WrongPassphrase,
            e => decrypt_error(e),
        })?;
    read_limited(reader, sealed.len(), u64::MAX)
}

/// Writes header and payload to memory; `stanzas` only sizes the buffer.
fn write_sealed(
    encryptor: age::Encryptor,
    plain: &[u8],
    stanzas: usize,
) -> Result<Vec<u8>, SealError> {
    // Header (~100 bytes a stanza), 16-byte nonce, 16-byte tag a 64 KiB chunk.
    let capacity = plain.len() + plain.len() / 4096 + 100 * stanzas + 128;
    let mut writer = encryptor
        .wrap_output(Vec::with_capacity(capacity))
        .map_err(|e| SealError::Io(e.to_string()))?;
    writer
        .write_all(plain)
        .map_err(|e| SealError::Io(e.to_string()))?;
    writer.finish().map_err(|e| SealError::Io(e.to_string()))
}

/// Reads the plaintext, stopping one byte past `max_plain`. The buffer is sized from the bytes
/// actually given (the plaintext is never longer than its ciphertext), never from the file.
fn read_limited(
    reader: impl Read,
    sealed_len: usize,
    max_plain: u64,
) -> Result<Vec<u8>, SealError> {
    let limit = max_plain.saturating_add(1);
    let capacity = usize::try_from(limit).map_or(sealed_len, |limit| limit.min(sealed_len));
    let mut plain = Vec::with_capacity(capacity);
    // Reading from memory, every error is the file's: a failed chunk tag, a missing last chunk.
    reader
        .take(limit)
        .read_to_end(&mut plain)
        .map_err(|_| SealError::Damaged)?;
    if plain.len() as u64 > max_plain {
        return Err(SealError::TooLarge);
    }
    Ok(plain)
}

fn encrypt_error(e: age::EncryptError) -> SealError {
    match e {
        age::EncryptError::MissingRecipients => SealError::NoRecipients,
        e => SealError::Io(e.to_string()),
    }
}

fn decrypt_error(e: age::DecryptError) -> SealError {
    match e {
        age::DecryptError::NoMatchingKeys => SealError::NotForUs,
        // Bad header or MAC, failed stanza, unknown version, truncation inside the header, an
        // excessive scrypt work factor: all properties of the file.
        _ => SealError::Damaged,
    }
}

#[cfg(test)]
mod tests;
