//! Errors of the file system (concept F2): one variant per Linux errno a file-system call can
//! fail with, so the kernel's system calls hand them to user programs unchanged.
//!
//! Invariants:
//! - [`FsError::errno`] is one-to-one: no two variants share an errno.
//! - Nothing on disk, however damaged, makes the file system panic: a structure that breaks
//!   the format's rules is reported as [`FsError::Corrupt`] (`EUCLEAN`, "Structure needs
//!   cleaning", as ext4 says), and `fsck` repairs it.

use core::fmt;

use abi::Errno;

use crate::device::IoError;

/// Why a file-system operation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FsError {
    /// No such name in the directory, or the inode was deleted (`ENOENT`).
    NotFound,
    /// The name is already in use (`EEXIST`).
    Exists,
    /// A directory was needed (`ENOTDIR`).
    NotDir,
    /// The operation does not apply to a directory (`EISDIR`).
    IsDir,
    /// The directory still has entries (`ENOTEMPTY`).
    NotEmpty,
    /// No free block or inode left (`ENOSPC`).
    NoSpace,
    /// A name is longer than 255 bytes, or a symlink target longer than 4095 (`ENAMETOOLONG`).
    NameTooLong,
    /// The inode has the most links it may have (`EMLINK`).
    TooManyLinks,
    /// The offset is past the largest file the block map can address (`EFBIG`).
    FileTooBig,
    /// A bad argument: a bad name, flag, inode number or file type (`EINVAL`).
    Invalid,
    /// The operation is not allowed on this kind of file, such as a hard link to a
    /// directory (`EPERM`).
    NotPermitted,
    /// The file system's root or a `.`/`..` entry cannot be moved (`EBUSY`).
    Busy,
    /// The device failed; after a failed commit the file system refuses all changes (`EIO`).
    Io,
    /// An on-disk structure breaks the format's rules; run fsck (`EUCLEAN`).
    Corrupt,
}

impl FsError {
    /// The Linux error number (positive, as in `errno`).
    pub fn errno(&self) -> i32 {
        self.as_errno().0
    }

    fn as_errno(self) -> Errno {
        match self {
            FsError::NotFound => Errno::ENOENT,
            FsError::Exists => Errno::EEXIST,
            FsError::NotDir => Errno::ENOTDIR,
            FsError::IsDir => Errno::EISDIR,
            FsError::NotEmpty => Errno::ENOTEMPTY,
            FsError::NoSpace => Errno::ENOSPC,
            FsError::NameTooLong => Errno::ENAMETOOLONG,
            FsError::TooManyLinks => Errno::EMLINK,
            FsError::FileTooBig => Errno::EFBIG,
            FsError::Invalid => Errno::EINVAL,
            FsError::NotPermitted => Errno::EPERM,
            FsError::Busy => Errno::EBUSY,
            FsError::Io => Errno::EIO,
            FsError::Corrupt => Errno::EUCLEAN,
        }
    }
}

impl From<IoError> for FsError {
    fn from(_: IoError) -> FsError {
        FsError::Io
    }
}

impl fmt::Display for FsError {
    /// The errno and its text, for example `ENOENT (No such file or directory)`.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}", self.as_errno())
    }
}

/// The result of a file-system operation.
pub type Result<T> = core::result::Result<T, FsError>;

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [FsError; 14] = [
        FsError::NotFound,
        FsError::Exists,
        FsError::NotDir,
        FsError::IsDir,
        FsError::NotEmpty,
        FsError::NoSpace,
        FsError::NameTooLong,
        FsError::TooManyLinks,
        FsError::FileTooBig,
        FsError::Invalid,
        FsError::NotPermitted,
        FsError::Busy,
        FsError::Io,
        FsError::Corrupt,
    ];

    #[test]
    fn errnos_are_the_linux_ones() {
        let expected = [2, 17, 20, 21, 39, 28, 36, 31, 27, 22, 1, 16, 5, 117];
        let actual: std::vec::Vec<i32> = ALL.iter().map(FsError::errno).collect();
        assert_eq!(actual, expected);
    }

    #[test]
    fn errnos_are_distinct() {
        for (i, a) in ALL.iter().enumerate() {
            for b in &ALL[i + 1..] {
                assert_ne!(a.errno(), b.errno(), "{a:?} and {b:?}");
            }
        }
    }

    #[test]
    fn display_names_the_errno() {
        assert_eq!(
            std::format!("{}", FsError::NotFound),
            "ENOENT (No such file or directory)"
        );
        assert_eq!(
            std::format!("{}", FsError::Corrupt),
            "EUCLEAN (Structure needs cleaning)"
        );
    }
}
