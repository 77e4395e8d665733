//! Bundle files (`.fcb`): one line of JSON header, then one change per line. The header names
//! the format and version, the bundle, its device and author, the idx ranges per device, the
//! change count, the SHA-256 of the body, and the signer's ed25519 signature over the header
//! (with the signature field empty) — which covers the body through its hash.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use ed25519_dalek::SigningKey;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Change;
use super::keys;
use crate::error::Error;

pub const FORMAT: &str = "fieldcheck-bundle";
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub format: String,
    pub version: u32,
    /// UUIDv7.
    pub bundle: String,
    pub device: String,
    pub author: String,
    /// RFC 3339, UTC.
    pub created: String,
    /// Per device: the first and last idx of its changes in this bundle.
    pub ranges: BTreeMap<String, (u64, u64)>,
    pub count: usize,
    pub body_sha256: String,
    /// The signer's public key, hex.
    pub signer: String,
    /// Hex; empty while signing.
    pub signature: String,
}

/// Why a bundle was refused, before anything was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Not a fieldcheck bundle at all (or its header line is cut or damaged).
    NotABundle,
    /// A bundle of a version this fieldcheck does not know.
    Version(u32),
    /// The body does not match the header's checksum: cut short or altered.
    Checksum,
    /// The header carries no signature.
    Unsigned,
    /// The signature does not match: the header was altered or signed by another key.
    BadSignature,
    /// Signed by a key this store does not trust.
    Untrusted {
        signer: String,
        device: String,
        author: String,
    },
    /// A line of the body is not a change, or the count is wrong.
    Corrupt { line: usize },
    /// A change this store holds, with other content (or another change at its device and
    /// idx): the bundle was tampered with, or two stores share a device id.
    Tampered { change: String },
    /// A change this device made that this store does not hold: a copy of this store.
    OwnDevice { change: String },
    /// A change whose value cannot be read for its field.
    Invalid { change: String },
    /// A line longer than any change fieldcheck writes (`MAX_LINE_BYTES`).
    Oversized { line: usize },
    /// A file larger than any bundle may be (`MAX_BUNDLE_BYTES`): refused before it is read.
    TooLarge,
}

/// The longest line a bundle may hold, header or change: far above any real change (a visit
/// with a long note is a few kilobytes), low enough that a hostile file cannot make an import
/// parse or keep megabytes of text.
pub const MAX_LINE_BYTES: usize = 256 * 1024;

/// The largest bundle file `import` reads. Import holds the whole file and its parsed changes
/// in memory, so a size cap is what keeps a wrong or hostile file from exhausting it. Measured
/// (`cargo bench --bench sync`, docs/sync.md): 100,000 register changes make a 27.7 MB bundle
/// (about 280 bytes a change), imported in about 1 s, and the whole benchmark peaks at 180 MB
/// resident. 256 MiB is over nine times that bundle — some 950,000 changes, far beyond what a
/// laptop or a headquarters exchanges at once — while its import still fits in a laptop's
/// memory (a few times the file) and takes seconds, not minutes.
pub const MAX_BUNDLE_BYTES: u64 = 256 * 1024 * 1024;

/// Reads a bundle file for `import`. A file whose metadata says it is larger than
/// `MAX_BUNDLE_BYTES` is refused before any of it is read; the read itself stops past the cap,
/// so a file that grows meanwhile, or one without a length (a pipe, a device), is refused too.
pub fn read_file(path: &Path) -> crate::error::Result<Vec<u8>> {
    let unreadable = |source| Error::ReadFile {
        path: path.to_path_buf(),
        source,
    };
    let too_large = || Error::Bundle {
        file: path.display().to_string(),
        problem: Problem::TooLarge,
    };
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let len = file.metadata().map_err(unreadable)?.len();
    if len > MAX_BUNDLE_BYTES {
        return Err(too_large());
    }
    // At most the cap here, so it fits a `usize` on 32-bit systems too.
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    file.take(MAX_BUNDLE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_BUNDLE_BYTES {
        return Err(too_large());
    }
    Ok(bytes)
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The bytes a header's signature covers: the header with an empty signature.
fn signed_part(header: &Header) -> Vec<u8> {
    let unsigned = Header {
        signature: String::new(),
        ..header.clone()
    };
    serde_json::to_vec(&unsigned).unwrap_or_default()
}

/// Writes a bundle of `changes`, signed with `key`.
pub fn write(changes: &[Change], device: &str, author: &str, key: &SigningKey) -> Vec<u8> {
    let mut body = Vec::new();
    let mut ranges: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for change in changes {
        // A change always serializes: its fields are strings, numbers and JSON values.
        body.extend(serde_json::to_vec(change).unwrap_or_default());
        body.push(b'\n');
        let range = ranges
            .entry(change.device.clone())
            .or_insert((change.idx, change.idx));
        range.0 = range.0.min(change.idx);
        range.1 = range.1.max(change.idx);
    }
    let mut header = Header {
        format: FORMAT.into(),
        version: VERSION,
        bundle: uuid::Uuid::now_v7().to_string(),
        device: device.into(),
        author: author.into(),
        created: chrono::Utc::now().to_rfc3339(),
        ranges,
        count: changes.len(),
        body_sha256: sha256_hex(&body),
        signer: keys::public_hex(key),
        signature: String::new(),
    };
    header.signature = keys::sign(key, &signed_part(&header));
    let mut out = serde_json::to_vec(&header).unwrap_or_default();
    out.push(b'\n');
    out.extend(body);
    out
}

/// Reads and checks a bundle: format, version, checksum, signature, every line. Trust is the
/// store's to decide.
pub fn read(bytes: &[u8]) -> Result<(Header, Vec<Change>), Problem> {
    let split = bytes
        .iter()
        .position(|b| *b == b'\n')
        .ok_or(Problem::NotABundle)?;
    let (head, body) = (&bytes[..split], &bytes[split + 1..]);
    if head.len() > MAX_LINE_BYTES {
        return Err(Problem::Oversized { line: 1 });
    }
    let value: serde_json::Value = serde_json::from_slice(head).map_err(|_| Problem::NotABundle)?;
    if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
        return Err(Problem::NotABundle);
    }
    let version = value.get("version").and_then(|v| v.as_u64()).unwrap_or(0);
    if version != u64::from(VERSION) {
        return Err(Problem::Version(u32::try_from(version).unwrap_or(u32::MAX)));
    }
    let header: Header = serde_json::from_value(value).map_err(|_| Problem::NotABundle)?;
    if sha256_hex(body) != header.body_sha256 {
        return Err(Problem::Checksum);
    }
    if header.signature.is_empty() {
        return Err(Problem::Unsigned);
    }
    if !keys::verify(&header.signer, &signed_part(&header), &header.signature) {
        return Err(Problem::BadSignature);
    }
    // The count is the sender's word: never trust it for an allocation.
    let mut changes = Vec::with_capacity(header.count.min(1 << 16));
    for (i, line) in body.split(|b| *b == b'\n').enumerate() {
        if line.is_empty() {
            continue;
        }
        if line.len() > MAX_LINE_BYTES {
            return Err(Problem::Oversized { line: i + 2 });
        }
        let change: Change =
            serde_json::from_slice(line).map_err(|_| Problem::Corrupt { line: i + 2 })?;
        changes.push(change);
    }
    if changes.len() != header.count {
        return Err(Problem::Corrupt {
            line: changes.len() + 2,
        });
    }
    Ok((header, changes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::Hlc;

    fn change(idx: u64) -> Change {
        Change {
            id: format!("c{idx}"),
            device: "d".into(),
            idx,
            author: "张三".into(),
            clock: Hlc { ms: idx, n: 0 },
            entity: "lead:x".into(),
            field: "supervised".into(),
            value: serde_json::json!(true),
            base: None,
            merges: Vec::new(),
        }
    }

    #[test]
    fn round_trip_and_every_check() {
        let key = keys::generate().unwrap();
        let bytes = write(&[change(1), change(2)], "d", "张三", &key);
        let (header, changes) = read(&bytes).unwrap();
        assert_eq!((header.count, header.ranges["d"]), (2, (1, 2)));
        assert_eq!(changes, [change(1), change(2)]);

        let mut flipped = bytes.clone();
        let last = flipped.len() - 3;
        flipped[last] ^= 1;
        assert_eq!(read(&flipped), Err(Problem::Checksum));
        assert_eq!(read(b"hello\n"), Err(Problem::NotABundle));
        let text = String::from_utf8(bytes.clone()).unwrap();
        let other = text.replacen(r#""version":1"#, r#""version":2"#, 1);
        assert_eq!(read(other.as_bytes()), Err(Problem::Version(2)));
        let forged = text.replacen(r#""author":"张三""#, r#""author":"李四""#, 1);
        assert_eq!(read(forged.as_bytes()), Err(Problem::BadSignature));
    }
}
