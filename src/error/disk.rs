//! A disk that refuses a write — full, read-only, or not ours to write — is something a person
//! can fix, so it gets its own words instead of the system's "os error 28".

use std::io;
use std::path::{Path, PathBuf};

use super::Error;
use crate::i18n::Lang;

/// Why the disk refused a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiskFault {
    /// No space left, or the user's quota is used up.
    Full,
    /// The disk or folder is mounted read-only.
    ReadOnly,
    /// The file or its folder belongs to someone else, or is write-protected.
    Denied,
}

impl DiskFault {
    /// The fault behind an I/O error, when it is one of these.
    pub fn of(error: &io::Error) -> Option<DiskFault> {
        match error.kind() {
            io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => Some(DiskFault::Full),
            io::ErrorKind::ReadOnlyFilesystem => Some(DiskFault::ReadOnly),
            io::ErrorKind::PermissionDenied => Some(DiskFault::Denied),
            _ => None,
        }
    }
}

/// What could not be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The store (its path when known: opening names it, a write inside a command does not).
    Store(Option<PathBuf>),
    /// Any other file: a bundle, a backup, a report.
    File(PathBuf),
}

impl Error {
    /// A failed write of standard output.
    pub fn output(error: &io::Error) -> Error {
        if error.kind() == io::ErrorKind::BrokenPipe {
            Error::OutputClosed
        } else {
            Error::Output {
                detail: error.to_string(),
            }
        }
    }

    /// A failed write of `path`: a [`DiskFault`] when it is one, else [`Error::Write`].
    pub fn writing(path: &Path, error: &io::Error) -> Error {
        match DiskFault::of(error) {
            Some(fault) => Error::Disk {
                fault,
                target: Target::File(path.to_path_buf()),
            },
            None => Error::Write {
                path: path.to_path_buf(),
                detail: error.to_string(),
            },
        }
    }
}

/// What went wrong, that nothing changed, and what to do.
pub(super) fn message(fault: DiskFault, target: &Target, lang: Lang) -> String {
    let zh = lang == Lang::Zh;
    let what = match (target, zh) {
        (Target::Store(Some(p)), true) => format!("数据库 {}", p.display()),
        (Target::Store(Some(p)), false) => format!("the store {}", p.display()),
        (Target::Store(None), true) => "数据库".into(),
        (Target::Store(None), false) => "the store".into(),
        (Target::File(p), true) => format!("文件 {}", p.display()),
        (Target::File(p), false) => p.display().to_string(),
    };
    let store = matches!(target, Target::Store(_));
    match (fault, zh) {
        (DiskFault::Full, true) => format!(
            "磁盘已满，无法写入{what}。未做任何改动。请在这块磁盘上腾出空间（删除或移走文件）后重试。"
        ),
        (DiskFault::Full, false) => format!(
            "the disk is full: cannot write {what}. Nothing was changed. Free some space on that disk (delete or move files) and try again."
        ),
        (DiskFault::ReadOnly, true) if store => format!(
            "无法写入{what}：它所在的磁盘或文件夹是只读的（fieldcheck 打开数据库时就要写，只查询也一样）。未做任何改动。请把磁盘重新挂载为可写，或把数据库连同 .key 复制到可写的文件夹，再用 --store 指定。"
        ),
        (DiskFault::ReadOnly, false) if store => format!(
            "cannot write {what}: its disk or folder is read-only (fieldcheck writes to its store when it opens it, even to read). Nothing was changed. Remount the disk writable, or copy the store and its .key to a writable folder and name it with --store."
        ),
        (DiskFault::ReadOnly, true) => format!(
            "无法写入{what}：它所在的磁盘或文件夹是只读的。未做任何改动。请换一个可写的位置，或把磁盘重新挂载为可写。"
        ),
        (DiskFault::ReadOnly, false) => format!(
            "cannot write {what}: its disk or folder is read-only. Nothing was changed. Choose a writable place, or remount the disk writable."
        ),
        (DiskFault::Denied, true) => format!(
            "没有写入{what}的权限。未做任何改动。请检查该文件及其文件夹的所有者和权限，或换一个可写的位置。"
        ),
        (DiskFault::Denied, false) => format!(
            "no permission to write {what}. Nothing was changed. Check the owner and permissions of the file and its folder, or choose a writable place."
        ),
    }
}

/// Why a file could not be read, in the user's words: the common causes named, any other the
/// system's own text without its "(os error N)".
pub fn read_failure(error: &io::Error, lang: Lang) -> String {
    let words = match error.kind() {
        io::ErrorKind::NotFound => Some(("文件不存在", "no such file")),
        io::ErrorKind::PermissionDenied => Some(("没有读取权限", "permission denied")),
        io::ErrorKind::IsADirectory => Some(("这是一个文件夹", "it is a folder")),
        io::ErrorKind::InvalidFilename => Some(("文件名无效", "the file name is not valid")),
        _ => None,
    };
    match words {
        Some(w) => lang.pick(w.0, w.1).to_string(),
        None => {
            let text = error.to_string();
            match text.find(" (os error") {
                Some(at) => text[..at].to_string(),
                None => text,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_failure_is_said_in_words_without_the_os_error_number() {
        let missing = io::Error::from_raw_os_error(2);
        assert_eq!(read_failure(&missing, Lang::Zh), "文件不存在");
        assert_eq!(read_failure(&missing, Lang::En), "no such file");
        let other = io::Error::from_raw_os_error(5);
        let text = read_failure(&other, Lang::En);
        assert!(!text.contains("os error") && !text.is_empty(), "{text}");
    }

    #[test]
    fn faults_come_from_the_error_kind_and_other_errors_stay_writes() {
        let full = io::Error::from(io::ErrorKind::StorageFull);
        assert_eq!(DiskFault::of(&full), Some(DiskFault::Full));
        let read_only = io::Error::from(io::ErrorKind::ReadOnlyFilesystem);
        assert_eq!(DiskFault::of(&read_only), Some(DiskFault::ReadOnly));
        let path = Path::new("b.fcb");
        let e = Error::writing(path, &full);
        assert!(
            e.message(Lang::En)
                .starts_with("the disk is full: cannot write b.fcb.")
        );
        assert!(e.message(Lang::Zh).contains("腾出空间"));
        let other = Error::writing(path, &io::Error::other("boom"));
        assert!(matches!(other, Error::Write { .. }), "{other:?}");
    }
}
