//! Bundle files (`.fcb`), format 2. The plain form is one line of JSON header, then the roster
//! entries it carries, then one change per line. Every change is signed by the device that made
//! it (`Change::sign`), so the header's signature only says who *packed* the bundle: it covers
//! the header (with the signature field empty) and, through its hash, the body. On disk the
//! plain form is encrypted to its recipients with age (`seal`): signed, then encrypted.
//!
//! Reading checks in the order that keeps a hostile file cheap: the header line alone (its
//! size, format, version and packer's signature), then the packer's trust (the caller's), and
//! only then the body's hash and its lines.

use std::collections::BTreeMap;
use std::path::Path;

use ed25519_dalek::SigningKey;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Change;
use super::keys::{self, PeerKey};
use super::roster::RosterEntry;

pub const FORMAT: &str = "fieldcheck-bundle";
pub const VERSION: u32 = 2;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub format: String,
    pub version: u32,
    /// UUIDv7.
    pub bundle: String,
    /// The peer key (`fc1:…`) of the store that packed the bundle.
    pub packer: String,
    /// RFC 3339, UTC.
    pub created: String,
    /// Per device: the first and last idx of its changes in this bundle.
    pub ranges: BTreeMap<String, (u64, u64)>,
    pub count: usize,
    /// Roster entries before the changes.
    pub roster: usize,
    /// Part `n` of `of`, when an export was split to stay within the import limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<(u32, u32)>,
    pub body_sha256: String,
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
    /// Packed by a store this one does not trust.
    Untrusted { key: String, fingerprint: String },
    /// A line of the body is not a change or roster entry, or the count is wrong.
    Corrupt { line: usize },
    /// The header's per-device idx ranges do not match the changes in the body.
    Ranges,
    /// A change whose signature does not hold for the key of the device it names: forged or
    /// altered on the way (by the packer or a relay).
    Forged { change: String, device: String },
    /// A change this device made that this store does not hold: a copy of this store.
    OwnDevice { change: String },
    /// A change whose value cannot be read for its field.
    Invalid { change: String },
    /// A line longer than any change fieldcheck writes (`MAX_LINE_BYTES`).
    Oversized { line: usize },
    /// A file larger than any bundle may be (`MAX_BUNDLE_BYTES`): refused before it is read.
    TooLarge,
    /// Encrypted, but not to this store.
    NotForUs,
    /// Encrypted, and the encryption is damaged (cut short or altered).
    SealDamaged,
    /// Not encrypted, while this store has pinned an HQ (then only `--allow-plain` takes it).
    Plain,
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

/// The largest plain body one bundle file holds when `export` writes it: an export above it is
/// split into parts (`…-part-1-of-3.fcb`), each a whole bundle. A quarter of what `import`
/// accepts, so a part stays importable after encryption and with room to spare.
pub const PART_BYTES: usize = 64 * 1024 * 1024;

/// Reads a bundle file for `import`: only a regular file (a FIFO, a device or a folder is refused
/// at once, before it could block), refused before reading when larger than `MAX_BUNDLE_BYTES`.
pub fn read_file(path: &Path) -> crate::error::Result<Vec<u8>> {
    crate::files::read_input(path, MAX_BUNDLE_BYTES)
        .map_err(|e| crate::files::input_error(path, e, crate::files::InputKind::Bundle))
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The bytes a header's signature covers: a domain prefix and the header with an empty
/// signature.
fn signed_part(header: &Header) -> Vec<u8> {
    let unsigned = Header {
        signature: String::new(),
        ..header.clone()
    };
    let mut out = b"fieldcheck bundle v2\n".to_vec();
    out.extend(serde_json::to_vec(&unsigned).unwrap_or_default());
    out
}

/// Who packs a bundle: its peer key and its signing key.
pub struct Packer<'a> {
    pub key: &'a PeerKey,
    pub signing: &'a SigningKey,
}

fn line(value: &impl Serialize) -> Vec<u8> {
    // Changes and roster entries are strings, numbers and JSON values: they always serialize.
    let mut out = serde_json::to_vec(value).unwrap_or_default();
    out.push(b'\n');
    out
}

/// One change as a bundle line: its device, idx and JSON (as the log stores it).
pub struct Line {
    pub device: String,
    pub idx: u64,
    pub json: Vec<u8>,
}

impl Line {
    pub fn of(change: &Change) -> Line {
        Line {
            device: change.device.clone(),
            idx: change.idx,
            // A change always serializes: its fields are strings, numbers and JSON values.
            json: serde_json::to_vec(change).unwrap_or_default(),
        }
    }
}

/// Writes one plain bundle of `changes` (already signed by their devices) and `roster`.
pub fn write(
    changes: &[Change],
    roster: &[RosterEntry],
    packer: &Packer,
    part: Option<(u32, u32)>,
) -> Vec<u8> {
    let lines: Vec<Line> = changes.iter().map(Line::of).collect();
    assemble(&lines, roster, packer, part)
}

/// Writes `changes` as bundles whose bodies stay under `max_body` bytes (at least one change a
/// part): one bundle when they fit, parts 1 to n of n otherwise.
pub fn write_parts(
    changes: &[Change],
    roster: &[RosterEntry],
    packer: &Packer,
    max_body: usize,
) -> Vec<Vec<u8>> {
    let lines: Vec<Line> = changes.iter().map(Line::of).collect();
    write_line_parts(&lines, roster, packer, max_body)
}

/// `write_parts` of changes given as their lines (an export passes the log's JSON through).
pub fn write_line_parts(
    lines: &[Line],
    roster: &[RosterEntry],
    packer: &Packer,
    max_body: usize,
) -> Vec<Vec<u8>> {
    let mut plan = PartPlan::new(roster, max_body);
    for l in lines {
        plan.push(l.json.len());
    }
    let counts = plan.finish();
    let of = u32::try_from(counts.len()).unwrap_or(u32::MAX);
    let mut start = 0;
    counts
        .iter()
        .enumerate()
        .map(|(n, count)| {
            let part = lines.get(start..start + count).unwrap_or_default();
            start += count;
            assemble(part, roster, packer, part_of(n, of))
        })
        .collect()
}

/// How many changes go in each part, decided from their lines' lengths alone (so that an export
/// can size its parts in one pass over the log and write them in a second, one part in memory at
/// a time): a part's body stays under `max_body` bytes, with at least one change a part.
pub struct PartPlan {
    roster_bytes: usize,
    max_body: usize,
    size: usize,
    counts: Vec<usize>,
}

impl PartPlan {
    pub fn new(roster: &[RosterEntry], max_body: usize) -> PartPlan {
        let roster_bytes = roster.iter().map(|r| line(r).len()).sum();
        PartPlan {
            roster_bytes,
            max_body,
            size: roster_bytes,
            counts: vec![0],
        }
    }

    /// Adds a change whose line (without its newline) is `len` bytes.
    pub fn push(&mut self, len: usize) {
        let len = len + 1;
        let last = self.counts.last().copied().unwrap_or(0);
        if self.size + len > self.max_body && last > 0 {
            self.counts.push(0);
            self.size = self.roster_bytes;
        }
        self.size += len;
        if let Some(count) = self.counts.last_mut() {
            *count += 1;
        }
    }

    /// The number of changes in each part (one part, possibly empty, at least).
    pub fn finish(self) -> Vec<usize> {
        self.counts
    }
}

/// The `part` of a header: part `n + 1` of `of`, or none for a bundle in one part.
pub fn part_of(n: usize, of: u32) -> Option<(u32, u32)> {
    (of > 1).then(|| (u32::try_from(n + 1).unwrap_or(u32::MAX), of))
}

/// One plain bundle of `lines` and `roster`, as part `part`.
pub fn assemble(
    lines: &[Line],
    roster: &[RosterEntry],
    packer: &Packer,
    part: Option<(u32, u32)>,
) -> Vec<u8> {
    let mut body = Vec::with_capacity(lines.iter().map(|l| l.json.len() + 1).sum());
    for entry in roster {
        body.extend(line(entry));
    }
    for l in lines {
        body.extend_from_slice(&l.json);
        body.push(b'\n');
    }
    let mut header = Header {
        format: FORMAT.into(),
        version: VERSION,
        bundle: uuid::Uuid::now_v7().to_string(),
        packer: packer.key.to_string(),
        created: chrono::Utc::now().to_rfc3339(),
        ranges: ranges(lines.iter().map(|l| (l.device.as_str(), l.idx))),
        count: lines.len(),
        roster: roster.len(),
        part,
        body_sha256: sha256_hex(&body),
        signature: String::new(),
    };
    header.signature = keys::sign(packer.signing, &signed_part(&header));
    let mut out = serde_json::to_vec(&header).unwrap_or_default();
    out.push(b'\n');
    out.extend(body);
    out
}

/// Per device, the first and last idx of the changes given as (device, idx).
fn ranges<'a>(slots: impl Iterator<Item = (&'a str, u64)>) -> BTreeMap<String, (u64, u64)> {
    let mut ranges: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for (device, idx) in slots {
        let range = ranges.entry(device.to_string()).or_insert((idx, idx));
        range.0 = range.0.min(idx);
        range.1 = range.1.max(idx);
    }
    ranges
}

/// Reads and checks the header line only: size, format, version, and the packer's signature
/// over it. Returns the header, the packer's key and the body, unread.
pub fn read_header(bytes: &[u8]) -> Result<(Header, PeerKey, &[u8]), Problem> {
    let split = memchr::memchr(b'\n', bytes).ok_or(Problem::NotABundle)?;
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
    if header.signature.is_empty() {
        return Err(Problem::Unsigned);
    }
    let packer = PeerKey::parse(&header.packer).ok_or(Problem::NotABundle)?;
    if !keys::verify(&packer.signing, &signed_part(&header), &header.signature) {
        return Err(Problem::BadSignature);
    }
    Ok((header, packer, body))
}

/// Reads the body of a bundle whose header was read and whose packer is trusted: its checksum,
/// every line, the counts and the header's ranges. Signatures of the changes are the store's to
/// check (it knows the devices' keys).
pub fn read_body(header: &Header, body: &[u8]) -> Result<(Vec<RosterEntry>, Vec<Change>), Problem> {
    if sha256_hex(body) != header.body_sha256 {
        return Err(Problem::Checksum);
    }
    // The counts are the sender's word: never trust them for an allocation.
    let mut roster = Vec::with_capacity(header.roster.min(1 << 10));
    let mut changes: Vec<Change> = Vec::with_capacity(header.count.min(1 << 16));
    let lines = body.split(|b| *b == b'\n').filter(|l| !l.is_empty());
    for (i, l) in lines.enumerate() {
        let number = i + 2;
        if l.len() > MAX_LINE_BYTES {
            return Err(Problem::Oversized { line: number });
        }
        let corrupt = |_| Problem::Corrupt { line: number };
        if i < header.roster {
            roster.push(serde_json::from_slice(l).map_err(corrupt)?);
        } else {
            changes.push(serde_json::from_slice(l).map_err(corrupt)?);
        }
    }
    if roster.len() != header.roster || changes.len() != header.count {
        return Err(Problem::Corrupt {
            line: roster.len() + changes.len() + 2,
        });
    }
    if ranges(changes.iter().map(|c| (c.device.as_str(), c.idx))) != header.ranges {
        return Err(Problem::Ranges);
    }
    Ok((roster, changes))
}

/// Reads a whole plain bundle (header, then body), for callers that decide trust afterwards
/// (tests, tools).
pub fn read(bytes: &[u8]) -> Result<(Header, Vec<RosterEntry>, Vec<Change>), Problem> {
    let (header, _, body) = read_header(bytes)?;
    let (roster, changes) = read_body(&header, body)?;
    Ok((header, roster, changes))
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::Hlc;

    fn change(idx: u64, key: &SigningKey) -> Change {
        let mut c = Change {
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
            prev: None,
            sig: String::new(),
        };
        c.sign(key);
        c
    }

    #[test]
    fn round_trip_and_every_check() {
        let keys = keys::Keys::generate().unwrap();
        let peer = keys.peer(&uuid::Uuid::now_v7().to_string());
        let packer = Packer {
            key: &peer,
            signing: &keys.signing,
        };
        let changes = [change(1, &keys.signing), change(2, &keys.signing)];
        let bytes = write(&changes, &[], &packer, None);
        let (header, roster, read_back) = read(&bytes).unwrap();
        assert_eq!((header.count, header.ranges["d"]), (2, (1, 2)));
        assert!(roster.is_empty());
        assert_eq!(read_back, changes);

        let mut flipped = bytes.clone();
        let last = flipped.len() - 3;
        flipped[last] ^= 1;
        assert_eq!(read(&flipped), Err(Problem::Checksum));
        assert_eq!(read(b"hello\n"), Err(Problem::NotABundle));
        let text = String::from_utf8(bytes.clone()).unwrap();
        let other = text.replacen(r#""version":2"#, r#""version":3"#, 1);
        assert_eq!(read(other.as_bytes()), Err(Problem::Version(3)));
        let forged = text.replacen(r#""count":2"#, r#""count":1"#, 1);
        assert_eq!(read(forged.as_bytes()), Err(Problem::BadSignature));
    }

    #[test]
    fn parts_stay_under_the_limit_and_hold_every_change() {
        let keys = keys::Keys::generate().unwrap();
        let peer = keys.peer(&uuid::Uuid::now_v7().to_string());
        let packer = Packer {
            key: &peer,
            signing: &keys.signing,
        };
        let changes: Vec<Change> = (1..=50).map(|i| change(i, &keys.signing)).collect();
        let limit = line(&changes[49]).len() * 10;
        let parts = write_parts(&changes, &[], &packer, limit);
        assert!(parts.len() >= 5, "{}", parts.len());
        let of = parts.len() as u32;
        let mut all = Vec::new();
        for (n, bytes) in parts.iter().enumerate() {
            let (header, _, part) = read(bytes).unwrap();
            assert_eq!(header.part, Some((n as u32 + 1, of)));
            let body = bytes.len() - memchr::memchr(b'\n', bytes).unwrap() - 1;
            assert!(body <= limit, "part {n}: {body} > {limit}");
            all.extend(part);
        }
        assert_eq!(all, changes);
        assert_eq!(write_parts(&changes, &[], &packer, usize::MAX).len(), 1);
    }
}
