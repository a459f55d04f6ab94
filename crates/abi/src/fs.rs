//! The file-system ABI of Linux riscv64 (asm-generic): `open` flags, `*at` flags, `lseek`
//! and `fcntl` commands, file modes, `struct stat`, `getdents64` records and `iovec`.
//!
//! Invariants:
//! - Flag values are the asm-generic ones (riscv64 defines no overrides).
//! - [`Stat`] is the 128-byte asm-generic `struct stat` that `fstat`/`newfstatat` copy out.
//! - A `getdents64` record is a [`Dirent64Header`] (19 bytes), the NUL-terminated name, and
//!   zero padding up to `d_reclen`, a multiple of 8.

use crate::wire::abi_struct;

/// Mask of the access-mode bits of the open flags.
pub const O_ACCMODE: u32 = 0o3;
/// Open for reading only.
pub const O_RDONLY: u32 = 0o0;
/// Open for writing only.
pub const O_WRONLY: u32 = 0o1;
/// Open for reading and writing.
pub const O_RDWR: u32 = 0o2;
/// Create the file if it does not exist.
pub const O_CREAT: u32 = 0o100;
/// With `O_CREAT`: fail with `EEXIST` if the file exists.
pub const O_EXCL: u32 = 0o200;
/// Don't make a terminal the controlling terminal.
pub const O_NOCTTY: u32 = 0o400;
/// Truncate a regular file to length 0.
pub const O_TRUNC: u32 = 0o1000;
/// Every write goes to the end of the file.
pub const O_APPEND: u32 = 0o2000;
/// Reads and writes never block.
pub const O_NONBLOCK: u32 = 0o4000;
/// Writes complete once the data (not all metadata) is stable.
pub const O_DSYNC: u32 = 0o10000;
/// Signal-driven I/O (`FASYNC`).
pub const O_ASYNC: u32 = 0o20000;
/// Bypass the page cache.
pub const O_DIRECT: u32 = 0o40000;
/// Allow files larger than 2 GiB (always on for 64-bit).
pub const O_LARGEFILE: u32 = 0o100000;
/// Fail with `ENOTDIR` unless the path is a directory.
pub const O_DIRECTORY: u32 = 0o200000;
/// Fail with `ELOOP` if the last component is a symbolic link.
pub const O_NOFOLLOW: u32 = 0o400000;
/// Don't update the access time.
pub const O_NOATIME: u32 = 0o1000000;
/// Close the descriptor on `execve`.
pub const O_CLOEXEC: u32 = 0o2000000;
/// Writes complete once data and metadata are stable.
pub const O_SYNC: u32 = 0o4000000 | O_DSYNC;
/// A descriptor that only names a location (no reads or writes).
pub const O_PATH: u32 = 0o10000000;
/// Create an unnamed temporary file in the given directory.
pub const O_TMPFILE: u32 = 0o20000000 | O_DIRECTORY;

/// `dirfd` value meaning "the current working directory".
pub const AT_FDCWD: i32 = -100;
/// Don't follow a symbolic link in the last component.
pub const AT_SYMLINK_NOFOLLOW: u32 = 0x100;
/// `unlinkat`: remove a directory (like `rmdir`).
pub const AT_REMOVEDIR: u32 = 0x200;
/// `faccessat`: check with the effective ids.
pub const AT_EACCESS: u32 = 0x200;
/// `linkat`: follow a symbolic link in the last component.
pub const AT_SYMLINK_FOLLOW: u32 = 0x400;
/// Operate on `dirfd` itself when the path is empty.
pub const AT_EMPTY_PATH: u32 = 0x1000;

/// `lseek`: offset from the start of the file.
pub const SEEK_SET: i32 = 0;
/// `lseek`: offset from the current position.
pub const SEEK_CUR: i32 = 1;
/// `lseek`: offset from the end of the file.
pub const SEEK_END: i32 = 2;
/// `lseek`: next data at or after the offset.
pub const SEEK_DATA: i32 = 3;
/// `lseek`: next hole at or after the offset.
pub const SEEK_HOLE: i32 = 4;

/// `fcntl`: duplicate onto the lowest free descriptor `>= arg`.
pub const F_DUPFD: i32 = 0;
/// `fcntl`: read the descriptor flags (`FD_CLOEXEC`).
pub const F_GETFD: i32 = 1;
/// `fcntl`: set the descriptor flags.
pub const F_SETFD: i32 = 2;
/// `fcntl`: read the file status flags and access mode.
pub const F_GETFL: i32 = 3;
/// `fcntl`: set the file status flags (`O_APPEND`, `O_NONBLOCK`, ...).
pub const F_SETFL: i32 = 4;
/// `fcntl`: like [`F_DUPFD`], with `FD_CLOEXEC` set on the new descriptor.
pub const F_DUPFD_CLOEXEC: i32 = 1030;
/// `fcntl`: set a pipe's capacity.
pub const F_SETPIPE_SZ: i32 = 1031;
/// `fcntl`: read a pipe's capacity.
pub const F_GETPIPE_SZ: i32 = 1032;

/// Descriptor flag: close on `execve`.
pub const FD_CLOEXEC: u32 = 1;

/// Mask of the file-type bits of a mode.
pub const S_IFMT: u32 = 0o170000;
/// Socket.
pub const S_IFSOCK: u32 = 0o140000;
/// Symbolic link.
pub const S_IFLNK: u32 = 0o120000;
/// Regular file.
pub const S_IFREG: u32 = 0o100000;
/// Block device.
pub const S_IFBLK: u32 = 0o060000;
/// Directory.
pub const S_IFDIR: u32 = 0o040000;
/// Character device.
pub const S_IFCHR: u32 = 0o020000;
/// FIFO (named pipe).
pub const S_IFIFO: u32 = 0o010000;
/// Set-user-id on execution.
pub const S_ISUID: u32 = 0o4000;
/// Set-group-id on execution.
pub const S_ISGID: u32 = 0o2000;
/// Sticky: only owners may remove entries from the directory.
pub const S_ISVTX: u32 = 0o1000;
/// Owner may read, write and execute.
pub const S_IRWXU: u32 = 0o700;
/// Owner may read.
pub const S_IRUSR: u32 = 0o400;
/// Owner may write.
pub const S_IWUSR: u32 = 0o200;
/// Owner may execute or search.
pub const S_IXUSR: u32 = 0o100;
/// Group may read, write and execute.
pub const S_IRWXG: u32 = 0o070;
/// Group may read.
pub const S_IRGRP: u32 = 0o040;
/// Group may write.
pub const S_IWGRP: u32 = 0o020;
/// Group may execute or search.
pub const S_IXGRP: u32 = 0o010;
/// Others may read, write and execute.
pub const S_IRWXO: u32 = 0o007;
/// Others may read.
pub const S_IROTH: u32 = 0o004;
/// Others may write.
pub const S_IWOTH: u32 = 0o002;
/// Others may execute or search.
pub const S_IXOTH: u32 = 0o001;

/// `d_type`: type unknown, call `stat`.
pub const DT_UNKNOWN: u8 = 0;
/// `d_type`: FIFO.
pub const DT_FIFO: u8 = 1;
/// `d_type`: character device.
pub const DT_CHR: u8 = 2;
/// `d_type`: directory.
pub const DT_DIR: u8 = 4;
/// `d_type`: block device.
pub const DT_BLK: u8 = 6;
/// `d_type`: regular file.
pub const DT_REG: u8 = 8;
/// `d_type`: symbolic link.
pub const DT_LNK: u8 = 10;
/// `d_type`: socket.
pub const DT_SOCK: u8 = 12;

/// The `d_type` for a file with mode `mode` (the file-type bits shifted down).
pub const fn dirent_type_of_mode(mode: u32) -> u8 {
    ((mode & S_IFMT) >> 12) as u8
}

/// `renameat2`: fail with `EEXIST` instead of replacing the target.
pub const RENAME_NOREPLACE: u32 = 1;
/// `renameat2`: atomically swap source and target.
pub const RENAME_EXCHANGE: u32 = 2;
/// `renameat2`: leave a whiteout at the source (overlay file systems).
pub const RENAME_WHITEOUT: u32 = 4;

/// `faccessat`: the file exists.
pub const F_OK: u32 = 0;
/// `faccessat`: execute or search permission.
pub const X_OK: u32 = 1;
/// `faccessat`: write permission.
pub const W_OK: u32 = 2;
/// `faccessat`: read permission.
pub const R_OK: u32 = 4;

/// `utimensat` `tv_nsec`: set this timestamp to the current time.
pub const UTIME_NOW: i64 = (1 << 30) - 1;
/// `utimensat` `tv_nsec`: leave this timestamp unchanged.
pub const UTIME_OMIT: i64 = (1 << 30) - 2;

abi_struct! {
    /// The riscv64 (asm-generic) `struct stat`.
    pub struct Stat {
        /// Device holding the file.
        pub st_dev: u64,
        /// Inode number.
        pub st_ino: u64,
        /// File type and permission bits (`S_IF*` | permissions).
        pub st_mode: u32,
        /// Number of hard links.
        pub st_nlink: u32,
        /// Owner's user id.
        pub st_uid: u32,
        /// Owner's group id.
        pub st_gid: u32,
        /// Device number, for device files.
        pub st_rdev: u64,
        /// Unused; always zero.
        pub pad1: u64,
        /// Size in bytes.
        pub st_size: i64,
        /// Preferred I/O block size.
        pub st_blksize: i32,
        /// Unused; always zero.
        pub pad2: i32,
        /// Number of 512-byte blocks allocated.
        pub st_blocks: i64,
        /// Last access, seconds.
        pub st_atime: i64,
        /// Last access, nanoseconds.
        pub st_atime_nsec: u64,
        /// Last modification, seconds.
        pub st_mtime: i64,
        /// Last modification, nanoseconds.
        pub st_mtime_nsec: u64,
        /// Last status change, seconds.
        pub st_ctime: i64,
        /// Last status change, nanoseconds.
        pub st_ctime_nsec: u64,
        /// Unused; always zero.
        pub unused4: u32,
        /// Unused; always zero.
        pub unused5: u32,
    }
}

abi_struct! {
    /// The fixed start of a `struct linux_dirent64` record; the name follows at byte 19.
    pub struct Dirent64Header {
        /// Inode number.
        pub d_ino: u64,
        /// Opaque position of the next record, for `lseek` on the directory.
        pub d_off: i64,
        /// Length of the whole record, padding included.
        pub d_reclen: u16,
        /// `DT_*` file type.
        pub d_type: u8,
    }
}

impl Dirent64Header {
    /// `d_reclen` of a record whose name is `name_len` bytes (header, name, NUL, padding to
    /// a multiple of 8).
    pub const fn record_len(name_len: usize) -> usize {
        (Self::SIZE + name_len + 1).next_multiple_of(8)
    }
}

abi_struct! {
    /// `struct iovec`: one buffer of `readv`/`writev`.
    pub struct Iovec {
        /// User address of the buffer.
        pub base: usize,
        /// Length of the buffer in bytes.
        pub len: usize,
    }
}

abi_struct! {
    /// `struct statfs` of `statfs`/`fstatfs` (riscv64: the generic 64-bit layout, 120 bytes).
    pub struct Statfs {
        /// File system type magic.
        pub f_type: i64,
        /// Optimal transfer block size.
        pub f_bsize: i64,
        /// Data blocks in the file system.
        pub f_blocks: u64,
        /// Free blocks.
        pub f_bfree: u64,
        /// Free blocks available to unprivileged users.
        pub f_bavail: u64,
        /// Inodes.
        pub f_files: u64,
        /// Free inodes.
        pub f_ffree: u64,
        /// File system id.
        pub f_fsid: [i32; 2],
        /// Longest file name.
        pub f_namelen: i64,
        /// Fragment size.
        pub f_frsize: i64,
        /// Mount flags (`ST_*`).
        pub f_flags: i64,
        /// Reserved.
        pub f_spare: [i64; 4],
    }
}

/// `poll` event: data to read.
pub const POLLIN: i16 = 0x001;
/// `poll` event: urgent data to read.
pub const POLLPRI: i16 = 0x002;
/// `poll` event: writing will not block.
pub const POLLOUT: i16 = 0x004;
/// `poll` event (returned only): error, e.g. a pipe with no reader left.
pub const POLLERR: i16 = 0x008;
/// `poll` event (returned only): hung up, e.g. a pipe with no writer left.
pub const POLLHUP: i16 = 0x010;
/// `poll` event (returned only): the descriptor is not open.
pub const POLLNVAL: i16 = 0x020;
/// `poll` event: same as [`POLLIN`] for normal data.
pub const POLLRDNORM: i16 = 0x040;
/// `poll` event: same as [`POLLOUT`] for normal data.
pub const POLLWRNORM: i16 = 0x100;
/// `poll` event: the peer of a stream socket shut down its writing side (or closed).
pub const POLLRDHUP: i16 = 0x2000;

abi_struct! {
    /// `struct pollfd` of `ppoll`: 8 bytes.
    pub struct PollFd {
        /// The descriptor; negative entries are skipped (`revents` 0).
        pub fd: i32,
        /// Requested events.
        pub events: i16,
        /// Returned events.
        pub revents: i16,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn statfs_layout_matches_linux() {
        use super::Statfs;
        assert_eq!((core::mem::size_of::<Statfs>(), Statfs::SIZE), (120, 120));
        assert_eq!(core::mem::offset_of!(Statfs, f_fsid), 56);
        assert_eq!(core::mem::offset_of!(Statfs, f_namelen), 64);
        assert_eq!(core::mem::offset_of!(Statfs, f_spare), 88);
        let value = Statfs {
            f_blocks: 9,
            f_fsid: [1, 2],
            ..Statfs::default()
        };
        assert_eq!(Statfs::from_bytes(&value.to_bytes()), value);
    }

    use super::*;
    use core::mem::{offset_of, size_of};

    #[test]
    fn stat_layout_matches_linux() {
        assert_eq!(size_of::<Stat>(), 128);
        assert_eq!(Stat::SIZE, 128);
        let offsets = [
            (offset_of!(Stat, st_dev), 0),
            (offset_of!(Stat, st_ino), 8),
            (offset_of!(Stat, st_mode), 16),
            (offset_of!(Stat, st_nlink), 20),
            (offset_of!(Stat, st_uid), 24),
            (offset_of!(Stat, st_gid), 28),
            (offset_of!(Stat, st_rdev), 32),
            (offset_of!(Stat, pad1), 40),
            (offset_of!(Stat, st_size), 48),
            (offset_of!(Stat, st_blksize), 56),
            (offset_of!(Stat, pad2), 60),
            (offset_of!(Stat, st_blocks), 64),
            (offset_of!(Stat, st_atime), 72),
            (offset_of!(Stat, st_atime_nsec), 80),
            (offset_of!(Stat, st_mtime), 88),
            (offset_of!(Stat, st_mtime_nsec), 96),
            (offset_of!(Stat, st_ctime), 104),
            (offset_of!(Stat, st_ctime_nsec), 112),
            (offset_of!(Stat, unused4), 120),
            (offset_of!(Stat, unused5), 124),
        ];
        for (index, (actual, linux)) in offsets.into_iter().enumerate() {
            assert_eq!(actual, linux, "field {index}");
        }
    }

    #[test]
    fn stat_round_trip() {
        let stat = Stat {
            st_dev: 0x803,
            st_ino: 1234,
            st_mode: S_IFREG | 0o644,
            st_nlink: 1,
            st_uid: 1000,
            st_gid: 100,
            st_size: 4097,
            st_blksize: 4096,
            st_blocks: 16,
            st_mtime: 1_700_000_000,
            st_mtime_nsec: 5,
            ..Stat::default()
        };
        let image = stat.to_bytes();
        assert_eq!(image[48..56], 4097i64.to_le_bytes());
        assert_eq!(image[88..96], 1_700_000_000i64.to_le_bytes());
        assert_eq!(Stat::from_bytes(&image), stat);
    }

    #[test]
    fn dirent_header_layout_matches_linux() {
        assert_eq!(offset_of!(Dirent64Header, d_ino), 0);
        assert_eq!(offset_of!(Dirent64Header, d_off), 8);
        assert_eq!(offset_of!(Dirent64Header, d_reclen), 16);
        assert_eq!(offset_of!(Dirent64Header, d_type), 18);
        assert_eq!(
            Dirent64Header::SIZE,
            19,
            "the name starts right after d_type"
        );
        assert_eq!(Dirent64Header::record_len(1), 24);
        assert_eq!(Dirent64Header::record_len(4), 24);
        assert_eq!(Dirent64Header::record_len(5), 32);
    }

    #[test]
    fn dirent_header_round_trip() {
        let header = Dirent64Header {
            d_ino: 7,
            d_off: 3,
            d_reclen: 24,
            d_type: DT_DIR,
        };
        let image = header.to_bytes();
        assert_eq!(image.len(), 19);
        assert_eq!(image[16..19], [24, 0, DT_DIR]);
        assert_eq!(Dirent64Header::from_bytes(&image), header);
    }

    #[test]
    fn iovec_layout_and_round_trip() {
        assert_eq!((size_of::<Iovec>(), Iovec::SIZE), (16, 16));
        assert_eq!(offset_of!(Iovec, len), 8);
        let iovec = Iovec {
            base: 0x3f_ffff_f000,
            len: 12,
        };
        assert_eq!(Iovec::from_bytes(&iovec.to_bytes()), iovec);
    }

    #[test]
    fn flag_values_match_asm_generic() {
        assert_eq!(O_CREAT | O_EXCL | O_TRUNC | O_APPEND, 0o3300);
        assert_eq!(O_DIRECTORY, 0x10000);
        assert_eq!(O_CLOEXEC, 0x80000);
        assert_eq!(O_PATH, 0x200000);
        assert_eq!(O_SYNC, 0x101000);
        assert_eq!(dirent_type_of_mode(S_IFDIR | 0o755), DT_DIR);
        assert_eq!(dirent_type_of_mode(S_IFREG), DT_REG);
        assert_eq!(dirent_type_of_mode(S_IFLNK), DT_LNK);
        assert_eq!(dirent_type_of_mode(S_IFSOCK), DT_SOCK);
        assert_eq!(dirent_type_of_mode(S_IFCHR), DT_CHR);
        assert_eq!(dirent_type_of_mode(S_IFBLK), DT_BLK);
        assert_eq!(dirent_type_of_mode(S_IFIFO), DT_FIFO);
    }
}
