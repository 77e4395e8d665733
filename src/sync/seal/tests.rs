//! The encryption layer's tests, with the reference `age` command for interoperability.

use super::*;

/// Fast scrypt for tests that are not about the work factor.
const TEST_WORK_FACTOR: u8 = 10;

fn sample(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

/// Larger than one 64 KiB age chunk, so payload edits hit a middle chunk too.
const LEN: usize = 200_000;

#[test]
fn round_trip_to_two_recipients_each_opens() {
    let (a, b) = (EncKey::generate(), EncKey::generate());
    let plain = sample(LEN);
    let sealed = seal(&plain, &[a.recipient(), b.recipient()]).unwrap();
    assert!(is_sealed(&sealed));
    assert_ne!(&sealed[sealed.len() - 1000..], &plain[plain.len() - 1000..]);
    assert_eq!(open(&sealed, &a, LEN as u64).unwrap(), plain);
    assert_eq!(open(&sealed, &b, LEN as u64).unwrap(), plain);
    // Empty plaintext is fine too.
    let empty = seal(b"", &[a.recipient()]).unwrap();
    assert_eq!(open(&empty, &a, 0).unwrap(), b"");
}

#[test]
fn third_key_is_not_for_us() {
    let (a, b, c) = (EncKey::generate(), EncKey::generate(), EncKey::generate());
    let sealed = seal(b"bundle", &[a.recipient(), b.recipient()]).unwrap();
    assert_eq!(open(&sealed, &c, 1 << 20), Err(SealError::NotForUs));
}

#[test]
fn flipped_payload_byte_is_damaged() {
    let key = EncKey::generate();
    let plain = sample(LEN);
    let sealed = seal(&plain, &[key.recipient()]).unwrap();
    for at in [sealed.len() - 1, sealed.len() - 100_000, sealed.len() / 2] {
        let mut bad = sealed.clone();
        bad[at] ^= 0x01;
        assert_eq!(
            open(&bad, &key, LEN as u64),
            Err(SealError::Damaged),
            "at {at}"
        );
    }
    // The header's MAC line.
    let mac_at = sealed.windows(4).position(|w| w == b"--- ").unwrap() + 10;
    let mut bad = sealed.clone();
    bad[mac_at] ^= 0x01;
    assert_eq!(open(&bad, &key, LEN as u64), Err(SealError::Damaged));
}

#[test]
fn truncated_file_is_damaged() {
    let key = EncKey::generate();
    let plain = sample(LEN);
    let sealed = seal(&plain, &[key.recipient()]).unwrap();
    // The header ends with the MAC line; then a 16-byte nonce and 64 KiB chunks + 16-byte tags.
    let mac_line = sealed.windows(4).position(|w| w == b"--- ").unwrap();
    let header_end = mac_line + sealed[mac_line..].iter().position(|&b| b == b'\n').unwrap() + 1;
    let chunk = 65536 + 16;
    let cuts = [
        0,
        10,
        mac_line,
        header_end,
        header_end + 16,
        header_end + 16 + chunk,
        header_end + 16 + 2 * chunk,
        sealed.len() - 1,
    ];
    for len in cuts {
        assert_eq!(
            open(&sealed[..len], &key, LEN as u64),
            Err(SealError::Damaged),
            "cut at {len}"
        );
    }
    assert_eq!(
        header_end + 16 + 3 * chunk + (LEN - 3 * 65536) + 16,
        sealed.len()
    );
    assert_eq!(open(b"not age at all", &key, 100), Err(SealError::Damaged));
}

#[test]
fn max_plain_is_enforced() {
    let key = EncKey::generate();
    let plain = sample(LEN);
    let sealed = seal(&plain, &[key.recipient()]).unwrap();
    assert_eq!(open(&sealed, &key, LEN as u64).unwrap(), plain);
    assert_eq!(
        open(&sealed, &key, LEN as u64 - 1),
        Err(SealError::TooLarge)
    );
    assert_eq!(open(&sealed, &key, 0), Err(SealError::TooLarge));
    assert_eq!(open(&sealed, &key, u64::MAX).unwrap(), plain);
    // Reading stops past the limit: a damaged last chunk is never reached.
    let mut tail_damaged = sealed.clone();
    let last = tail_damaged.len() - 1;
    tail_damaged[last] ^= 0x01;
    assert_eq!(open(&tail_damaged, &key, 1000), Err(SealError::TooLarge));
    assert_eq!(
        open(&tail_damaged, &key, LEN as u64),
        Err(SealError::Damaged)
    );
}

#[test]
fn no_or_bad_recipients() {
    assert_eq!(seal(b"x", &[]), Err(SealError::NoRecipients));
    let good = EncKey::generate().recipient();
    let bad = "age1notakey".to_owned();
    assert_eq!(
        seal(b"x", &[good.clone(), bad.clone()]),
        Err(SealError::BadRecipient(bad))
    );
    let secret = EncKey::generate().secret();
    assert_eq!(
        seal(b"x", std::slice::from_ref(&secret)),
        Err(SealError::BadRecipient(secret))
    );
}

#[test]
fn keys_and_recipients_parse_back() {
    let key = EncKey::generate();
    let secret = key.secret();
    assert!(secret.starts_with("AGE-SECRET-KEY-1"), "{secret}");
    assert!(key.recipient().starts_with("age1"));
    let again = EncKey::parse(&secret).unwrap();
    assert_eq!(again.recipient(), key.recipient());
    assert_eq!(
        parse_recipient(&key.recipient()).unwrap().to_string(),
        key.recipient()
    );
    assert!(EncKey::parse(&key.recipient()).is_none());
    assert!(EncKey::parse("AGE-SECRET-KEY-1XYZ").is_none());
    assert!(parse_recipient(&secret).is_none());
    assert!(parse_recipient("").is_none());
    // Debug never shows the secret.
    let shown = format!("{key:?}");
    assert_eq!(shown, "EncKey(…)");
    assert!(!shown.contains(&secret[16..]));
}

#[test]
fn protect_round_trip_and_wrong_passphrase() {
    let plain = sample(LEN);
    let sealed = protect_with_work_factor(&plain, "correct horse", TEST_WORK_FACTOR).unwrap();
    assert_eq!(unprotect(&sealed, "correct horse").unwrap(), plain);
    assert_eq!(
        unprotect(&sealed, "correct horsE"),
        Err(SealError::WrongPassphrase)
    );
    assert_eq!(unprotect(&sealed, ""), Err(SealError::WrongPassphrase));
    let mut bad = sealed.clone();
    let last = bad.len() - 1;
    bad[last] ^= 0x01;
    assert_eq!(unprotect(&bad, "correct horse"), Err(SealError::Damaged));
    // A bundle sealed to keys is not a passphrase file.
    let bundle = seal(b"x", &[EncKey::generate().recipient()]).unwrap();
    assert_eq!(
        unprotect(&bundle, "correct horse"),
        Err(SealError::NotForUs)
    );
}

#[test]
fn protect_uses_the_work_factor() {
    // The public function, once (slow in unoptimised builds).
    let sealed = protect(b"AGE-SECRET-KEY-1...", "pw").unwrap();
    assert!(is_protected(&sealed));
    assert_eq!(
        scrypt_stanza(&sealed).rsplit(' ').next(),
        Some(&*WORK_FACTOR.to_string())
    );
    // Opening it would cost as much again; the cap admits it (checked when compiling).
}

#[test]
fn work_factor_above_the_cap_is_refused() {
    let sealed = protect_with_work_factor(b"key", "pw", TEST_WORK_FACTOR).unwrap();
    let stanza = scrypt_stanza(&sealed);
    let greedy = stanza.replace(
        &format!(" {TEST_WORK_FACTOR}"),
        &format!(" {}", MAX_WORK_FACTOR + 1),
    );
    let text = String::from_utf8_lossy(&sealed[..AGE_V1_MAGIC.len() + stanza.len()]);
    let mut bad = text.replace(&stanza, &greedy).into_bytes();
    bad.extend_from_slice(&sealed[AGE_V1_MAGIC.len() + stanza.len()..]);
    // Without the cap, scrypt would run at 2^19 and then fail as a wrong passphrase.
    assert_eq!(unprotect(&bad, "pw"), Err(SealError::Damaged));
}

/// The `-> scrypt SALT LOG_N` line of a protected file.
fn scrypt_stanza(sealed: &[u8]) -> String {
    let header = String::from_utf8_lossy(&sealed[..100]);
    let stanza = header.lines().nth(1).unwrap().to_owned();
    assert!(stanza.starts_with("-> scrypt "), "{stanza}");
    stanza
}

#[test]
fn is_sealed_and_is_protected() {
    let key = EncKey::generate();
    let sealed = seal(b"bundle", &[key.recipient()]).unwrap();
    let protected = protect_with_work_factor(b"key", "pw", TEST_WORK_FACTOR).unwrap();
    assert!(is_sealed(&sealed));
    assert!(is_sealed(&protected));
    assert!(!is_protected(&sealed));
    assert!(is_protected(&protected));
    for other in [
        &b""[..],
        b"fieldcheck bundle",
        b"age-encryption.org/v1",
        b"AGE-SECRET-KEY-1",
    ] {
        assert!(!is_sealed(other));
        assert!(!is_protected(other));
    }
    // The reference tool's armored form is not what we write or read.
    assert!(!is_sealed(b"-----BEGIN AGE ENCRYPTED FILE-----\n"));
    // Only the header counts: a damaged payload is still a protected file.
    let mut damaged = protected.clone();
    let last = damaged.len() - 1;
    damaged[last] ^= 0x01;
    assert!(is_protected(&damaged));
    assert!(!is_protected(&protected[..AGE_V1_MAGIC.len() + 5]));
}

/// Interoperability with the reference `age` command (Debian package `age`). Missing, it
/// fails in CI (`CI` set) and is skipped elsewhere.
mod age_cli {
    use super::*;
    use std::path::Path;
    use std::process::Command;

    fn age_installed() -> bool {
        if Command::new("age")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return true;
        }
        let in_ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
        assert!(
            !in_ci,
            "the age command is not installed (apt-get install age)"
        );
        println!("SKIPPED: age not installed");
        false
    }

    /// Writes the key's secret as an owner-only identity file.
    fn identity_file(dir: &Path, key: &EncKey) -> std::path::PathBuf {
        let path = dir.join("identity.txt");
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&path).unwrap();
        writeln!(file, "{}", key.secret()).unwrap();
        path
    }

    #[test]
    fn reference_tool_opens_what_we_seal() {
        if !age_installed() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let (hq, laptop) = (EncKey::generate(), EncKey::generate());
        let plain = sample(LEN);
        let sealed = seal(&plain, &[hq.recipient(), laptop.recipient()]).unwrap();
        let sealed_path = dir.path().join("sealed.age");
        std::fs::write(&sealed_path, &sealed).unwrap();
        let identity = identity_file(dir.path(), &laptop);
        let out = Command::new("age")
            .arg("-d")
            .arg("-i")
            .arg(&identity)
            .arg(&sealed_path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.stdout == plain, "age -d gave other bytes");
    }

    #[test]
    fn we_open_what_the_reference_tool_seals() {
        if !age_installed() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let (ours, other) = (EncKey::generate(), EncKey::generate());
        let plain = sample(LEN);
        let (plain_path, sealed_path) = (dir.path().join("plain"), dir.path().join("f.age"));
        std::fs::write(&plain_path, &plain).unwrap();
        let out = Command::new("age")
            .args(["-r", &other.recipient(), "-r", &ours.recipient(), "-o"])
            .arg(&sealed_path)
            .arg(&plain_path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let sealed = std::fs::read(&sealed_path).unwrap();
        assert!(is_sealed(&sealed) && !is_protected(&sealed));
        assert!(open(&sealed, &ours, LEN as u64).unwrap() == plain);
        assert_eq!(
            open(&sealed, &EncKey::generate(), LEN as u64),
            Err(SealError::NotForUs)
        );
    }
}
