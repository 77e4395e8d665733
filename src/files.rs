//! The files fieldcheck writes and the files it imports, each through one helper.
//!
//! Writes (`write_private`, `copy_private`) are owner-only and atomic: a temporary file beside
//! the target (0600 on Unix, from `tempfile`), written, synced and renamed over the target, so
//! the file is either whole under its name or not there, and never readable by others — also
//! when it replaces a file that was. A failure removes the temporary file.
//!
//! Inputs (`read_input`) must be regular files: a named pipe, a device, a socket or a folder is
//! refused at once, before it could block or feed the import without end, and so is a file over
//! the caller's size cap, before any of it is read.

use std::fs::{File, Metadata};
use std::io::{self, Read};
use std::path::Path;

use crate::error::Error;

/// Writes `bytes` to `path` owner-only and atomically; creates missing folders owner-only.
pub fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    replace_with(path, None, |file| io::Write::write_all(file, bytes)).map(|_| ())
}

/// `write_private` for output written as a stream (a report of a province): `fill` writes the
/// temporary file, which replaces `path` only once it is whole.
pub fn write_private_with(
    path: &Path,
    fill: impl FnOnce(&mut File) -> io::Result<()>,
) -> io::Result<()> {
    replace_with(path, None, fill)
}

/// `write_private` through a temporary file named `.<name>.<tag>.<random>.tmp`, so that the
/// leftovers of a write killed before its rename can be told by their tag and removed later
/// (`remove_leftovers`).
pub fn write_private_tagged(path: &Path, bytes: &[u8], tag: &str) -> io::Result<()> {
    replace_with(path, Some(tag), |file| io::Write::write_all(file, bytes)).map(|_| ())
}

/// Removes the temporary files tagged `tag` in `folder` (`.….<tag>.….tmp` or `.….<tag>.tmp`):
/// left by writes that were killed before their rename.
pub fn remove_leftovers(folder: &Path, tag: &str) {
    let (inner, last) = (format!(".{tag}."), format!(".{tag}.tmp"));
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let ours = name.starts_with('.')
            && name.ends_with(".tmp")
            && (name.contains(&inner) || name.ends_with(&last));
        if ours {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Creates (or empties) `path` for writing as a stream, owner-only on Unix: for output too large
/// to hold in memory that is not store data proper (`dev generate --export-lines`).
pub fn create_private(path: &Path) -> io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// Copies the file `from` to `to` like `write_private`, streaming it (a store file may be
/// large). Returns the bytes copied.
pub fn copy_private(from: &Path, to: &Path) -> io::Result<u64> {
    let mut source = File::open(from)?;
    replace_with(to, None, |file| io::copy(&mut source, file))
}

/// Fills a temporary file beside `path` with `fill`, syncs it and renames it over `path`.
fn replace_with<T>(
    path: &Path,
    tag: Option<&str>,
    fill: impl FnOnce(&mut File) -> io::Result<T>,
) -> io::Result<T> {
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(io::ErrorKind::InvalidInput, "the path does not name a file")
    })?;
    let folder = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    crate::store::private::create_dir(folder)?;
    // Removed when dropped: on every early return below, and inside a failed `persist`.
    let mut temp = tempfile::Builder::new()
        .prefix(&match tag {
            Some(tag) => format!(".{}.{tag}.", name.to_string_lossy()),
            None => format!(".{}.", name.to_string_lossy()),
        })
        .suffix(".tmp")
        .tempfile_in(folder)?;
    let filled = fill(temp.as_file_mut())?;
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|e| e.error)?;
    // The rename is durable once the folder is synced. The file is whole under its name
    // already, so a folder that cannot be synced (some file systems) is not an error.
    #[cfg(unix)]
    if let Ok(dir) = File::open(folder) {
        let _ = dir.sync_all();
    }
    Ok(filled)
}

/// What `InputError::NotAFile` says an input is.
pub const FOLDER: &str = "a folder";
pub const FIFO: &str = "a named pipe (FIFO)";
pub const DEVICE: &str = "a device";
pub const SOCKET: &str = "a socket";
pub const OTHER: &str = "not a regular file";

/// Why an input file was not read.
#[derive(Debug)]
pub enum InputError {
    /// Not a regular file; `kind` is one of `FOLDER`, `FIFO`, `DEVICE`, `SOCKET`, `OTHER`.
    NotAFile {
        kind: &'static str,
    },
    /// Longer than the caller's cap.
    TooLarge {
        limit: u64,
    },
    Io(io::Error),
}

impl From<io::Error> for InputError {
    fn from(error: io::Error) -> InputError {
        InputError::Io(error)
    }
}

/// What an input is, for the words of its errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    Notice,
    Bundle,
}

/// Reads the regular file at `path` (symbolic links followed), at most `max_bytes` of it.
/// Anything else is refused before it is opened, and a file longer than `max_bytes` before it
/// is read; the read stops past the cap, so a file that grows meanwhile is refused too.
pub fn read_input(path: &Path, max_bytes: u64) -> Result<Vec<u8>, InputError> {
    check(&std::fs::metadata(path)?, max_bytes)?;
    let (file, len) = open_checked(path, max_bytes)?;
    // At most the cap here, so it fits a `usize` on 32-bit systems too.
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    file.take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max_bytes {
        return Err(InputError::TooLarge { limit: max_bytes });
    }
    Ok(bytes)
}

/// `O_NONBLOCK` (libc is not a dependency): opening a FIFO with it does not wait for a writer.
/// Where its value is not known here it is 0, and the check after opening still refuses the
/// FIFO — but the open could wait if a regular file were swapped for one after the first check.
#[cfg(unix)]
const O_NONBLOCK: i32 = if cfg!(any(target_os = "linux", target_os = "android"))
    && !cfg!(any(
        target_arch = "mips",
        target_arch = "mips64",
        target_arch = "sparc64"
    )) {
    0o4000
} else if cfg!(any(
    target_vendor = "apple",
    target_os = "freebsd",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "dragonfly"
)) {
    0x0004
} else {
    0
};

/// Opens `path` without waiting on a FIFO and checks what was opened (the file at `path` may
/// have been replaced since it was looked at); returns it with its length.
fn open_checked(path: &Path, max_bytes: u64) -> Result<(File, u64), InputError> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, O_NONBLOCK);
    let file = options.open(path)?;
    let metadata = file.metadata()?;
    check(&metadata, max_bytes)?;
    Ok((file, metadata.len()))
}

fn check(metadata: &Metadata, max_bytes: u64) -> Result<(), InputError> {
    if let Some(kind) = not_a_file(metadata) {
        return Err(InputError::NotAFile { kind });
    }
    if metadata.len() > max_bytes {
        return Err(InputError::TooLarge { limit: max_bytes });
    }
    Ok(())
}

fn not_a_file(metadata: &Metadata) -> Option<&'static str> {
    let file_type = metadata.file_type();
    if file_type.is_file() {
        return None;
    }
    if file_type.is_dir() {
        return Some(FOLDER);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return Some(FIFO);
        }
        if file_type.is_char_device() || file_type.is_block_device() {
            return Some(DEVICE);
        }
        if file_type.is_socket() {
            return Some(SOCKET);
        }
    }
    Some(OTHER)
}

/// The app's error for an input that `read_input` refused. A notice over its cap is
/// `Error::NoticeTooLarge`, a bundle over its cap the bundle refusal `Problem::TooLarge`.
pub fn input_error(path: &Path, error: InputError, what: InputKind) -> Error {
    match (error, what) {
        (InputError::NotAFile { kind }, what) => Error::NotAFile {
            path: path.to_path_buf(),
            kind,
            what,
        },
        (InputError::TooLarge { limit }, InputKind::Notice) => Error::NoticeTooLarge {
            path: path.to_path_buf(),
            limit,
        },
        (InputError::TooLarge { .. }, InputKind::Bundle) => Error::Bundle {
            file: path.display().to_string(),
            problem: crate::sync::bundle::Problem::TooLarge,
        },
        (InputError::Io(source), _) => Error::ReadFile {
            path: path.to_path_buf(),
            source,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::time::Duration;

    /// The names in `dir`, sorted.
    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn write_private_replaces_whole_and_owner_only_leaving_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.csv");
        std::fs::write(&path, "an older, longer report").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        write_private(&path, b"new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        #[cfg(unix)]
        assert_eq!(mode(&path), 0o600);
        assert_eq!(names(dir.path()), ["report.csv"]);
    }

    #[test]
    fn write_private_creates_missing_folders_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a").join("b").join("out.md");
        write_private(&path, b"x").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"x");
        #[cfg(unix)]
        {
            assert_eq!(mode(&dir.path().join("a")), 0o700);
            assert_eq!(mode(&path), 0o600);
        }
    }

    #[test]
    fn a_failed_write_or_copy_leaves_the_target_and_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        // A folder where the file should go: the rename fails.
        let target = dir.path().join("out");
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join("inside"), "kept").unwrap();
        assert!(write_private(&target, b"new").is_err());
        let source = dir.path().join("source");
        std::fs::write(&source, "copied").unwrap();
        assert!(copy_private(&source, &target).is_err());
        assert_eq!(names(dir.path()), ["out", "source"]);
        assert_eq!(std::fs::read(target.join("inside")).unwrap(), b"kept");
        // A missing source: nothing is created.
        let missing = copy_private(&dir.path().join("missing"), &dir.path().join("copy"));
        assert!(missing.is_err());
        assert_eq!(names(dir.path()), ["out", "source"]);
    }

    #[test]
    fn copy_private_copies_exactly_and_owner_only_over_another_file() {
        let dir = tempfile::tempdir().unwrap();
        let from = dir.path().join("store.redb");
        let bytes: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&from, &bytes).unwrap();
        let to = dir.path().join("backup.redb");
        std::fs::write(&to, "old").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        assert_eq!(copy_private(&from, &to).unwrap(), bytes.len() as u64);
        assert_eq!(std::fs::read(&to).unwrap(), bytes);
        #[cfg(unix)]
        assert_eq!(mode(&to), 0o600);
        assert_eq!(names(dir.path()), ["backup.redb", "store.redb"]);
    }

    #[test]
    fn read_input_reads_a_regular_file_up_to_its_cap() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notice.txt");
        std::fs::write(&path, "0123456789").unwrap();
        assert_eq!(read_input(&path, 10).unwrap(), b"0123456789");
        assert!(matches!(
            read_input(&path, 9),
            Err(InputError::TooLarge { limit: 9 })
        ));
        assert!(matches!(
            read_input(&dir.path().join("missing"), 10),
            Err(InputError::Io(e)) if e.kind() == io::ErrorKind::NotFound
        ));
    }

    #[test]
    fn read_input_refuses_a_file_over_its_cap_before_reading() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("huge.fcb");
        let cap = 64 * 1024 * 1024;
        // Sparse: no disk used.
        File::create(&path).unwrap().set_len(cap + 1).unwrap();
        #[cfg(unix)]
        {
            // Unreadable too: the refusal comes from the length, before any open (as root,
            // which reads anything, it still comes from the length).
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
        }
        assert!(matches!(
            read_input(&path, cap),
            Err(InputError::TooLarge { limit }) if limit == cap
        ));
    }

    /// A file whose length says 0 and that holds more: the read stops at the cap.
    #[cfg(target_os = "linux")]
    #[test]
    fn read_input_stops_past_its_cap_whatever_the_length_said() {
        let path = Path::new("/proc/self/status");
        assert_eq!(std::fs::metadata(path).unwrap().len(), 0);
        assert!(matches!(
            read_input(path, 16),
            Err(InputError::TooLarge { limit: 16 })
        ));
    }

    #[test]
    fn read_input_refuses_a_folder() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            read_input(dir.path(), 1024),
            Err(InputError::NotAFile { kind: FOLDER })
        ));
    }

    #[cfg(unix)]
    #[test]
    fn read_input_refuses_a_device() {
        assert!(matches!(
            read_input(Path::new("/dev/null"), 1024),
            Err(InputError::NotAFile { kind: DEVICE })
        ));
    }

    #[cfg(unix)]
    #[test]
    fn read_input_refuses_a_socket() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sock");
        let _listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
        assert!(matches!(
            read_input(&path, 1024),
            Err(InputError::NotAFile { kind: SOCKET })
        ));
    }

    /// Runs `f` in a thread and fails after 5 s instead of hanging on a FIFO without a writer.
    #[cfg(unix)]
    fn within_5_s<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        let (send, receive) = std::sync::mpsc::channel();
        std::thread::spawn(move || send.send(f()));
        receive
            .recv_timeout(Duration::from_secs(5))
            .expect("blocked on the FIFO")
    }

    #[cfg(unix)]
    fn fifo(dir: &Path) -> PathBuf {
        let path = dir.join("pipe");
        let status = std::process::Command::new("mkfifo")
            .arg(&path)
            .status()
            .unwrap();
        assert!(status.success());
        path
    }

    #[cfg(unix)]
    #[test]
    fn read_input_refuses_a_fifo_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = fifo(dir.path());
        let result = within_5_s(move || read_input(&path, 1024));
        assert!(matches!(result, Err(InputError::NotAFile { kind: FIFO })));
    }

    /// A regular file swapped for a FIFO after the first look: the open does not wait for a
    /// writer (O_NONBLOCK) and the check of what was opened refuses it.
    #[cfg(any(target_os = "linux", target_os = "macos"))]
    #[test]
    fn the_open_does_not_wait_on_a_fifo() {
        let dir = tempfile::tempdir().unwrap();
        let path = fifo(dir.path());
        let result = within_5_s(move || open_checked(&path, 1024).map(|_| ()));
        assert!(matches!(result, Err(InputError::NotAFile { kind: FIFO })));
    }

    #[test]
    fn input_errors_become_the_apps_errors() {
        let path = Path::new("in.txt");
        let not_a_file = || InputError::NotAFile { kind: FIFO };
        let too_large = || InputError::TooLarge { limit: 7 };
        assert!(matches!(
            input_error(path, not_a_file(), InputKind::Bundle),
            Error::NotAFile {
                kind: FIFO,
                what: InputKind::Bundle,
                ..
            }
        ));
        assert!(matches!(
            input_error(path, too_large(), InputKind::Notice),
            Error::NoticeTooLarge { limit: 7, .. }
        ));
        assert!(matches!(
            input_error(path, too_large(), InputKind::Bundle),
            Error::Bundle {
                problem: crate::sync::bundle::Problem::TooLarge,
                ..
            }
        ));
        let io = InputError::Io(io::Error::from(io::ErrorKind::NotFound));
        assert!(matches!(
            input_error(path, io, InputKind::Notice),
            Error::ReadFile { .. }
        ));
    }
}
