//! Removable drives the operating system has mounted, for the export prompt: a USB stick is
//! where a bundle goes. Linux: the mount points of `/proc/mounts` where desktops put sticks
//! (`/media/NAME`, `/media/USER/NAME`, `/run/media/USER/NAME`, `/mnt/NAME`); macOS: the volumes under `/Volumes`; Windows: the drive letters D: to Z: that
//! exist. A list to choose from, never a guess acted on: the user still confirms the folder.

use std::path::PathBuf;

/// The removable drives mounted now, sorted.
pub fn removable() -> Vec<PathBuf> {
    let mut found = if cfg!(target_os = "linux") {
        std::fs::read_to_string("/proc/mounts")
            .map(|text| from_mounts(&text))
            .unwrap_or_default()
    } else if cfg!(target_os = "macos") {
        subfolders("/Volumes")
    } else if cfg!(windows) {
        ('D'..='Z')
            .map(|letter| PathBuf::from(format!("{letter}:\\")))
            .filter(|p| p.exists())
            .collect()
    } else {
        Vec::new()
    };
    found.sort();
    found
}

/// The mount points of `/proc/mounts` text under the folders where desktops mount removable
/// drives (`\040` and the other octal escapes read back as the characters they stand for).
pub fn from_mounts(text: &str) -> Vec<PathBuf> {
    text.lines()
        .filter_map(|line| line.split_whitespace().nth(1))
        .map(unescape)
        .filter(|point| is_drive_place(point))
        .map(PathBuf::from)
        .collect()
}

/// Where desktops and people mount a stick: `/media/NAME` or `/media/USER/NAME`,
/// `/run/media/USER/NAME`, `/mnt/NAME` — not deeper (a mount nested under one is a system's).
fn is_drive_place(point: &str) -> bool {
    let depth = |root: &str| {
        point
            .strip_prefix(root)
            .map(|rest| rest.split('/').filter(|p| !p.is_empty()).count())
    };
    matches!(depth("/media/"), Some(1 | 2))
        || depth("/run/media/") == Some(2)
        || depth("/mnt/") == Some(1)
}

/// `/proc/mounts` writes a space as `\040`, a tab as `\011`, a backslash as `\134`.
fn unescape(field: &str) -> String {
    let mut out = Vec::with_capacity(field.len());
    let bytes = field.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes
            .get(i + 1..i + 4)
            .filter(|d| bytes[i] == b'\\' && d.iter().all(|b| (b'0'..=b'7').contains(b)));
        match octal {
            Some(d) => {
                out.push((d[0] - b'0') * 64 + (d[1] - b'0') * 8 + (d[2] - b'0'));
                i += 4;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn subfolders(dir: &str) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mounted_sticks_are_read_from_proc_mounts() {
        let text = "\
/dev/sda2 / ext4 rw,relatime 0 0
proc /proc proc rw 0 0
/dev/sdb1 /media/inspector/KINGSTON vfat rw,nosuid 0 0
/dev/sdc1 /run/media/wang/U\\040\\345\\256\\211\\345\\205\\250 exfat rw 0 0
/dev/sdd1 /mnt/usb ext4 rw 0 0
tmpfs /media tmpfs rw 0 0
overlay /mnt/sandbox/tools/v1 overlay ro 0 0
/dev/sde1 /run/media/wang tmpfs rw 0 0
";
        assert_eq!(
            from_mounts(text),
            [
                PathBuf::from("/media/inspector/KINGSTON"),
                PathBuf::from("/run/media/wang/U 安全"),
                PathBuf::from("/mnt/usb"),
            ]
        );
    }
}
