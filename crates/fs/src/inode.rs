//! Concept F2, inodes: the fixed-size on-disk record that describes one file, and the types
//! the API uses to talk about files (inode numbers, kinds, times, attributes).
//!
//! An inode is 128 bytes, 32 to a block, in the inode table; inode `n` (numbers start at 1)
//! is slot `n - 1`:
//!
//! ```text
//! offset  size  field
//!      0     4  mode: file type (S_IFMT bits) | permissions (setuid, setgid, sticky, rwx)
//!      4     4  uid                     8   4  gid
//!     12     4  nlink: directory entries naming the inode (a directory's own `.` and its
//!               children's `..` included)
//!     16     8  size in bytes
//!     24     8  atime seconds          32   8  mtime seconds        40   8  ctime seconds
//!     48     4  atime nanoseconds      52   4  mtime nanoseconds    56   4  ctime nanoseconds
//!     60     4  next orphan: the next inode on the orphan list, 0 at its end
//!     64     4  rdev: device number of a character or block device
//!     68     4  blocks: data and indirect blocks the inode owns
//!     72    48  direct[12]: block numbers of file blocks 0..12 (0 = hole)
//!    120     4  single indirect: a block of 1024 block numbers for file blocks 12..1036
//!    124     4  double indirect: a block of 1024 single-indirect blocks for the rest
//! ```
//!
//! Invariants:
//! - An inode is free exactly when its mode is 0 (the record is all zeros); a used inode's
//!   mode holds one of the seven file types below, and its bit in the inode bitmap is set.
//! - `nlink == 0` on a used inode means it is on the orphan list (unlinked but maybe open).

use core::fmt;

use abi::fs::{S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK};

use crate::codec::{get_u32, get_u64, put_u32, put_u64};

/// Size of an on-disk inode in bytes.
pub(crate) const INODE_SIZE: usize = 128;
/// Block numbers held in the inode itself.
pub(crate) const DIRECT_POINTERS: usize = 12;
/// The permission bits of a mode: setuid, setgid, sticky and the nine rwx bits.
pub const PERMISSION_BITS: u32 = 0o7777;
/// Most links an inode may have (as ext4).
pub const MAX_LINKS: u32 = 65_000;

/// An inode number. Numbers start at 1; [`ROOT`] is the root directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ino(pub u32);

/// The root directory's inode number.
pub const ROOT: Ino = Ino(1);

impl fmt::Display for Ino {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}", self.0)
    }
}

/// What kind of file an inode is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FileKind {
    /// A regular file: bytes.
    Regular,
    /// A directory: names of other inodes.
    Directory,
    /// A symbolic link: a path stored as the file's contents.
    Symlink,
    /// A character device node (`rdev` names the device).
    CharDevice,
    /// A block device node (`rdev` names the device).
    BlockDevice,
    /// A named pipe.
    Fifo,
    /// A Unix-domain socket's name.
    Socket,
}

impl FileKind {
    /// The file-type bits of `st_mode` (`S_IFREG`, `S_IFDIR`, ...).
    pub const fn type_bits(self) -> u32 {
        match self {
            FileKind::Regular => S_IFREG,
            FileKind::Directory => S_IFDIR,
            FileKind::Symlink => S_IFLNK,
            FileKind::CharDevice => S_IFCHR,
            FileKind::BlockDevice => S_IFBLK,
            FileKind::Fifo => S_IFIFO,
            FileKind::Socket => S_IFSOCK,
        }
    }

    /// The kind named by the file-type bits of `mode`, if they name one.
    pub fn from_mode(mode: u32) -> Option<FileKind> {
        [
            FileKind::Regular,
            FileKind::Directory,
            FileKind::Symlink,
            FileKind::CharDevice,
            FileKind::BlockDevice,
            FileKind::Fifo,
            FileKind::Socket,
        ]
        .into_iter()
        .find(|kind| kind.type_bits() == mode & S_IFMT)
    }

    /// The `d_type` of `getdents64` (`DT_REG`, `DT_DIR`, ...), also stored in directory
    /// entries.
    pub const fn dirent_type(self) -> u8 {
        abi::fs::dirent_type_of_mode(self.type_bits())
    }

    /// The kind a `d_type` byte names, if any.
    pub fn from_dirent_type(dirent_type: u8) -> Option<FileKind> {
        FileKind::from_mode(u32::from(dirent_type) << 12)
    }
}

/// A point in time: seconds and nanoseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp {
    /// Seconds since 1970-01-01 00:00 UTC (negative before).
    pub secs: i64,
    /// Nanoseconds, `0..1_000_000_000`.
    pub nanos: u32,
}

impl Timestamp {
    /// `secs` seconds and `nanos` nanoseconds.
    pub const fn new(secs: i64, nanos: u32) -> Timestamp {
        Timestamp { secs, nanos }
    }

    /// Whether the nanoseconds are below one second.
    pub fn is_valid(&self) -> bool {
        self.nanos < 1_000_000_000
    }
}

/// The owner a new inode gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Owner {
    /// User id.
    pub uid: u32,
    /// Group id.
    pub gid: u32,
}

/// What `stat` tells about an inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InodeStat {
    /// The inode number.
    pub ino: Ino,
    /// File type.
    pub kind: FileKind,
    /// Permission bits ([`PERMISSION_BITS`]); `kind.type_bits() | mode` is `st_mode`.
    pub mode: u32,
    /// Number of directory entries naming the inode.
    pub nlink: u32,
    /// Owner's user id.
    pub uid: u32,
    /// Owner's group id.
    pub gid: u32,
    /// Size in bytes.
    pub size: u64,
    /// Blocks allocated to the file (data and indirect), in 512-byte units as `st_blocks`.
    pub blocks_512: u64,
    /// Device number of a device node, else 0.
    pub rdev: u32,
    /// Last access (set only by `set_attr`: reads do not write the disk).
    pub atime: Timestamp,
    /// Last change of the contents.
    pub mtime: Timestamp,
    /// Last change of the inode.
    pub ctime: Timestamp,
}

impl InodeStat {
    /// `st_mode`: the file-type bits and the permission bits.
    pub fn st_mode(&self) -> u32 {
        self.kind.type_bits() | self.mode
    }
}

/// Changes for `set_attr`; `None` leaves a field alone. The ctime becomes the time of the
/// call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SetAttr {
    /// New permission bits (only [`PERMISSION_BITS`] may be set).
    pub mode: Option<u32>,
    /// New owner.
    pub uid: Option<u32>,
    /// New group.
    pub gid: Option<u32>,
    /// New access time.
    pub atime: Option<Timestamp>,
    /// New modification time.
    pub mtime: Option<Timestamp>,
}

/// The on-disk inode, decoded.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct DiskInode {
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub nlink: u32,
    pub size: u64,
    pub atime: Timestamp,
    pub mtime: Timestamp,
    pub ctime: Timestamp,
    pub next_orphan: u32,
    pub rdev: u32,
    pub blocks: u32,
    pub direct: [u32; DIRECT_POINTERS],
    pub single: u32,
    pub double: u32,
}

impl DiskInode {
    /// A new inode of `kind` with permissions `mode`, all times `now`, no links and no
    /// blocks.
    pub(crate) fn new(
        kind: FileKind,
        mode: u32,
        owner: Owner,
        rdev: u32,
        now: Timestamp,
    ) -> DiskInode {
        DiskInode {
            mode: kind.type_bits() | (mode & PERMISSION_BITS),
            uid: owner.uid,
            gid: owner.gid,
            rdev,
            atime: now,
            mtime: now,
            ctime: now,
            ..DiskInode::default()
        }
    }

    /// The file type; `None` for a free inode or one whose type bits are garbage.
    pub(crate) fn kind(&self) -> Option<FileKind> {
        FileKind::from_mode(self.mode)
    }

    pub(crate) fn is_free(&self) -> bool {
        self.mode == 0
    }

    pub(crate) fn is_dir(&self) -> bool {
        self.kind() == Some(FileKind::Directory)
    }

    /// Sets mtime and ctime: the contents changed.
    pub(crate) fn touch(&mut self, now: Timestamp) {
        self.mtime = now;
        self.ctime = now;
    }

    pub(crate) fn stat(&self, ino: Ino, kind: FileKind) -> InodeStat {
        InodeStat {
            ino,
            kind,
            mode: self.mode & PERMISSION_BITS,
            nlink: self.nlink,
            uid: self.uid,
            gid: self.gid,
            size: self.size,
            blocks_512: u64::from(self.blocks) * 8,
            rdev: self.rdev,
            atime: self.atime,
            mtime: self.mtime,
            ctime: self.ctime,
        }
    }

    /// Decodes the 128-byte record at the start of `bytes`.
    pub(crate) fn decode(bytes: &[u8]) -> DiskInode {
        let time = |secs: usize, nanos: usize| Timestamp {
            secs: get_u64(bytes, secs) as i64,
            nanos: get_u32(bytes, nanos),
        };
        let mut direct = [0; DIRECT_POINTERS];
        for (index, pointer) in direct.iter_mut().enumerate() {
            *pointer = get_u32(bytes, 72 + 4 * index);
        }
        DiskInode {
            mode: get_u32(bytes, 0),
            uid: get_u32(bytes, 4),
            gid: get_u32(bytes, 8),
            nlink: get_u32(bytes, 12),
            size: get_u64(bytes, 16),
            atime: time(24, 48),
            mtime: time(32, 52),
            ctime: time(40, 56),
            next_orphan: get_u32(bytes, 60),
            rdev: get_u32(bytes, 64),
            blocks: get_u32(bytes, 68),
            direct,
            single: get_u32(bytes, 120),
            double: get_u32(bytes, 124),
        }
    }

    /// Encodes the record into the first 128 bytes of `bytes`.
    pub(crate) fn encode(&self, bytes: &mut [u8]) {
        put_u32(bytes, 0, self.mode);
        put_u32(bytes, 4, self.uid);
        put_u32(bytes, 8, self.gid);
        put_u32(bytes, 12, self.nlink);
        put_u64(bytes, 16, self.size);
        for (time, secs, nanos) in [
            (self.atime, 24, 48),
            (self.mtime, 32, 52),
            (self.ctime, 40, 56),
        ] {
            put_u64(bytes, secs, time.secs as u64);
            put_u32(bytes, nanos, time.nanos);
        }
        put_u32(bytes, 60, self.next_orphan);
        put_u32(bytes, 64, self.rdev);
        put_u32(bytes, 68, self.blocks);
        for (index, pointer) in self.direct.iter().enumerate() {
            put_u32(bytes, 72 + 4 * index, *pointer);
        }
        put_u32(bytes, 120, self.single);
        put_u32(bytes, 124, self.double);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_round_trips() {
        let mut inode = DiskInode::new(
            FileKind::Regular,
            0o4755,
            Owner {
                uid: 1000,
                gid: 100,
            },
            0,
            Timestamp::new(-5, 999_999_999),
        );
        inode.nlink = 3;
        inode.size = u64::MAX - 1;
        inode.mtime = Timestamp::new(1_700_000_000, 1);
        inode.next_orphan = 77;
        inode.rdev = 0x0801;
        inode.blocks = 1026;
        inode.direct = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
        inode.single = 13;
        inode.double = u32::MAX;
        let mut bytes = [0u8; INODE_SIZE];
        inode.encode(&mut bytes);
        assert_eq!(DiskInode::decode(&bytes), inode);
        assert_eq!(bytes[0..4], (S_IFREG | 0o4755).to_le_bytes());
        assert_eq!(bytes[124..128], [0xff; 4]);
    }

    #[test]
    fn zero_record_is_free() {
        let inode = DiskInode::decode(&[0; INODE_SIZE]);
        assert!(inode.is_free());
        assert_eq!(inode.kind(), None);
    }

    #[test]
    fn kinds_match_modes_and_dirent_types() {
        for kind in [
            FileKind::Regular,
            FileKind::Directory,
            FileKind::Symlink,
            FileKind::CharDevice,
            FileKind::BlockDevice,
            FileKind::Fifo,
            FileKind::Socket,
        ] {
            assert_eq!(FileKind::from_mode(kind.type_bits() | 0o644), Some(kind));
            assert_eq!(FileKind::from_dirent_type(kind.dirent_type()), Some(kind));
        }
        assert_eq!(FileKind::Directory.dirent_type(), abi::fs::DT_DIR);
        assert_eq!(FileKind::from_mode(0o030_000), None);
        assert_eq!(FileKind::from_dirent_type(0), None);
    }

    #[test]
    fn new_inode_keeps_only_permission_bits() {
        let inode = DiskInode::new(
            FileKind::Directory,
            0o170_777,
            Owner::default(),
            0,
            Timestamp::default(),
        );
        assert_eq!(inode.mode, S_IFDIR | 0o777);
        assert!(inode.is_dir());
    }
}
