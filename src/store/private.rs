//! Owner-only files and folders: what fieldcheck creates holds complaint data (confidential
//! leads among it), so new folders are 0700 and a new store file 0600 on Unix. Folders and
//! files that already exist keep the permissions their owner gave them.

use std::io;
use std::path::Path;

/// Creates `dir` and any missing parents; the ones created are owner-only.
pub fn create_dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Opens `path` for appending, creating it owner-only if it is not there.
pub fn open_append(path: &Path) -> io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn new_folders_and_files_are_owner_only_and_old_ones_keep_their_mode() {
        let dir = tempfile::tempdir().unwrap();
        let before = mode(dir.path());
        let nested = dir.path().join("a").join("b");
        create_dir(&nested).unwrap();
        assert_eq!(mode(&dir.path().join("a")), 0o700);
        assert_eq!(mode(&nested), 0o700);
        assert_eq!(mode(dir.path()), before);
        let file = nested.join("f");
        open_append(&file).unwrap();
        assert_eq!(mode(&file), 0o600);
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
        open_append(&file).unwrap();
        assert_eq!(mode(&file), 0o640);
    }
}
