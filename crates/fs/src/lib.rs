//! Lantern's disk file system (concepts F2 and F3): inodes, directories, bitmaps and a
//! write-ahead redo journal over a [`BlockDevice`], with [`mkfs()`] and [`fsck()`].
//!
//! The kernel mounts it as `/` over its buffer cache and virtio-blk; host tools (`cargo
//! xtask mkfs`, `cargo xtask fsck`) and the tests run the same code over a [`RamDisk`] or an
//! image file. The crate is `no_std` + `alloc` and entirely safe Rust.
//!
//! # On-disk layout
//!
//! Blocks are 4096 bytes. The regions follow each other; their sizes follow from the
//! device size, the inode count and the journal size chosen at mkfs:
//!
//! ```text
//! block 0      1 .. 1+J        next            next            next            data_start .. total
//! +----------+---------------+---------------+---------------+---------------+-----------------------+
//! |superblock| journal       | inode bitmap  | block bitmap  | inode table   | data blocks           |
//! |          | header + log  | 1 bit/inode   | 1 bit/block   | 128 B/inode   | files, directories,   |
//! |          | (J blocks)    |               | (all blocks)  | 32 per block  | indirect blocks       |
//! +----------+---------------+---------------+---------------+---------------+-----------------------+
//! ```
//!
//! - Superblock: magic `LANTRNFS`, version, block size, total blocks, inode count, where
//!   each region starts and how long it is, a clean-unmount flag, the mount count, the head
//!   of the orphan list, and a CRC-32C (`layout`).
//! - Journal: a header block (sequence number, home block numbers, checksum) and the log
//!   blocks (`journal`).
//! - Inode: type and permissions, uid, gid, link count, size, atime/mtime/ctime with
//!   nanoseconds, device number, block count, 12 direct pointers, a single- and a
//!   double-indirect pointer (`inode`, `block_map`). Inode 1 is the root directory, inode
//!   2 `lost+found`.
//! - Directory: variable-length records (inode, record length, name length, type, name),
//!   with `.` and `..` first (`dir`).
//!
//! # Crash consistency (data=journal)
//!
//! Every block the file system changes — metadata and file data alike — is written to the
//! journal and committed with a checksummed commit record before it is written to its home
//! location, and mount replays a committed transaction that was not fully installed. So a
//! power cut at any moment leaves the file system consistent (fsck clean), every operation
//! that completed before a [`FileSystem::sync`] returned is fully present, and a crash
//! never exposes stale or garbage data in a file: file data is journaled too.
//!
//! Operations share transactions (group commit): a transaction commits when the next
//! step might not fit, after [`OPS_PER_TRANSACTION`] operations, and on `sync`/unmount.
//! Large writes, truncates and releases are split into steps that each leave the file
//! system consistent. Unlinked files that are still open sit on an orphan list until
//! [`FileSystem::release`]; mount frees those a crash left.
//!
//! # Limits
//!
//! - Largest file: [`MAX_FILE_SIZE`] = 4 299 210 752 bytes (12 + 1024 + 1024² blocks).
//! - Names: 1..=[`MAX_NAME_LEN`] (255) bytes, no `/` or NUL; symlink targets up to
//!   [`MAX_SYMLINK_LEN`] (4095) bytes.
//! - Links per inode: [`MAX_LINKS`] (65 000), so also 64 998 subdirectories per directory.
//! - Inodes: at least 8, fixed at mkfs; blocks: at most 2^32 - 1 (16 TiB).
//! - One transaction holds at most 1018 blocks (one header's worth of home numbers).
//!
//! # Using it from the kernel
//!
//! - Implement [`BlockDevice`] over the buffer cache; `flush` must write back dirty buffers
//!   and wait for the device's own cache flush (virtio-blk `VIRTIO_BLK_T_FLUSH`).
//! - [`FileSystem::mount`] at boot; log its [`MountReport`]. Path walking, mount points,
//!   symlink following and permission checks are the VFS's: it calls
//!   [`FileSystem::lookup`] one component at a time.
//! - `unlink`/`rmdir`/`rename` return the inode whose last link went: keep it while a file
//!   description has it open and call [`FileSystem::release`] at the last close (at once
//!   if none). A crash in between is fine: mount frees such orphans.
//! - `fsync`, `fdatasync`, `sync` and `syncfs` are [`FileSystem::sync`]; call it every few
//!   seconds too. `getdents64` uses [`FileSystem::read_dir`] with `d_off` = [`DirEntry::next`].
//! - Errors map to errnos with [`FsError::errno`].
//!
//! # Concurrency
//!
//! A [`FileSystem`] is used through `&mut self`; the kernel serializes all calls with one
//! sleep lock around it.
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

extern crate alloc;

mod bitmap;
mod block_map;
mod checksum;
mod codec;
mod device;
mod dir;
mod error;
mod file;
mod filesystem;
mod fsck;
mod inode;
mod journal;
mod layout;
mod mkfs;
mod namespace;

pub use block_map::MAX_FILE_SIZE;
pub use device::{BLOCK_SIZE, Block, BlockDevice, IoError, RamDisk};
pub use dir::{DirEntry, MAX_NAME_LEN};
pub use error::FsError;
pub use filesystem::{FileSystem, FsStat, MountReport};
pub use fsck::{FsckReport, Problem, fsck};
pub use inode::{
    FileKind, Ino, InodeStat, MAX_LINKS, Owner, PERMISSION_BITS, ROOT, SetAttr, Timestamp,
};
pub use journal::OPS_PER_TRANSACTION;
pub use layout::{MAX_JOURNAL_BLOCKS, MIN_INODES, MIN_JOURNAL_BLOCKS, SuperblockProblem};
pub use mkfs::{LOST_AND_FOUND_NAME, MkfsOptions, mkfs};
pub use namespace::MAX_SYMLINK_LEN;
