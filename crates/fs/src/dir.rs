//! Concept F2, directories: a directory is a file of variable-length records, each naming
//! one inode, in the style of ext2.
//!
//! ```text
//! offset  size  field
//!      0     4  inode number (0 = free record)
//!      4     2  record length: a multiple of 8, at least 8 + the name's length
//!      6     1  name length (1..=255)
//!      7     1  file type (the d_type of getdents64: DT_REG, DT_DIR, ...)
//!      8     n  name (no NUL terminator)
//! ```
//!
//! Invariants:
//! - The records of a block tile it exactly: each record's length reaches the next record
//!   and the last reaches the end of the block; no record crosses a block boundary.
//! - A live record never moves: insertion reuses a free record in place or splits the
//!   unused tail off a live record; removal merges the record into the one before it, or
//!   marks it free in place when it is first in its block. So the byte offset of a record
//!   in the directory is a stable cookie for `getdents64` (`d_off`) while it lives, and a
//!   cookie that lands inside a merged record just resumes at the next record.
//! - Block 0 starts with `.` (the directory itself), then `..` (its parent; the root is its
//!   own parent). No other record is named `.` or `..`.
//! - Names are 1..=255 bytes with no `/` and no NUL byte, and unique within a directory.
//! - A directory's size is a whole number of blocks; its blocks are kept (for reuse) until
//!   the directory itself is freed.

use alloc::vec::Vec;

use crate::block_map::MAX_FILE_BLOCKS;
use crate::codec::{get_u16, get_u32, put_u16, put_u32};
use crate::device::{BLOCK_SIZE, Block, BlockDevice};
use crate::error::{FsError, Result};
use crate::filesystem::FileSystem;
use crate::inode::{DiskInode, FileKind, Ino, Timestamp};

/// Longest name in bytes.
pub const MAX_NAME_LEN: usize = 255;
const HEADER_LEN: usize = 8;

/// Bytes a record with a name of `name_len` bytes needs.
pub(crate) fn record_len(name_len: usize) -> usize {
    (HEADER_LEN + name_len).next_multiple_of(8)
}

/// Whether `name` may be stored in a directory entry.
pub(crate) fn is_valid_name(name: &[u8]) -> bool {
    !name.is_empty() && name.len() <= MAX_NAME_LEN && !name.iter().any(|&b| b == b'/' || b == 0)
}

/// Whether `name` is `.` or `..`.
pub(crate) fn is_dot_or_dotdot(name: &[u8]) -> bool {
    name == b"." || name == b".."
}

/// `NameTooLong` or `Invalid` unless `name` is a valid entry name.
pub(crate) fn check_name(name: &[u8]) -> Result<()> {
    if name.len() > MAX_NAME_LEN {
        Err(FsError::NameTooLong)
    } else if is_valid_name(name) {
        Ok(())
    } else {
        Err(FsError::Invalid)
    }
}

/// One record of a directory block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Record<'a> {
    /// Byte offset in the block.
    pub offset: usize,
    /// Inode number, 0 for a free record.
    pub ino: u32,
    /// Record length.
    pub len: usize,
    /// The d_type byte.
    pub dirent_type: u8,
    /// The name (empty for a free record).
    pub name: &'a [u8],
}

fn parse(block: &Block, offset: usize) -> Result<Record<'_>> {
    if offset + HEADER_LEN > BLOCK_SIZE {
        return Err(FsError::Corrupt);
    }
    let ino = get_u32(block, offset);
    let len = usize::from(get_u16(block, offset + 4));
    let name_len = usize::from(block[offset + 6]);
    if len < HEADER_LEN || len % 8 != 0 || offset + len > BLOCK_SIZE {
        return Err(FsError::Corrupt);
    }
    if ino == 0 {
        return Ok(Record {
            offset,
            ino,
            len,
            dirent_type: 0,
            name: &[],
        });
    }
    let name = block
        .get(offset + HEADER_LEN..offset + HEADER_LEN + name_len)
        .filter(|name| HEADER_LEN + name.len() <= len && is_valid_name(name))
        .ok_or(FsError::Corrupt)?;
    Ok(Record {
        offset,
        ino,
        len,
        dirent_type: block[offset + 7],
        name,
    })
}

/// The records of a directory block, in order; stops after the first damaged one.
pub(crate) fn records(block: &Block) -> Records<'_> {
    Records {
        block,
        offset: 0,
        damaged: false,
    }
}

pub(crate) struct Records<'a> {
    block: &'a Block,
    offset: usize,
    damaged: bool,
}

impl<'a> Iterator for Records<'a> {
    type Item = Result<Record<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.offset >= BLOCK_SIZE || self.damaged {
            return None;
        }
        let record = parse(self.block, self.offset);
        match record {
            Ok(record) => self.offset += record.len,
            Err(_) => self.damaged = true,
        }
        Some(record)
    }
}

/// The live record named `name`.
pub(crate) fn find<'a>(block: &'a Block, name: &[u8]) -> Result<Option<Record<'a>>> {
    for record in records(block) {
        let record = record?;
        if record.ino != 0 && record.name == name {
            return Ok(Some(record));
        }
    }
    Ok(None)
}

/// Where a new record of `need` bytes fits: (offset of the record to reuse or split, the
/// bytes of it that stay with the live record).
fn find_room(block: &Block, need: usize) -> Result<Option<(usize, usize)>> {
    for record in records(block) {
        let record = record?;
        let kept = if record.ino == 0 {
            0
        } else {
            record_len(record.name.len())
        };
        if record.len - kept >= need {
            return Ok(Some((record.offset, kept)));
        }
    }
    Ok(None)
}

/// Whether a record for a name of `name_len` bytes fits in the block.
pub(crate) fn has_room(block: &Block, name_len: usize) -> Result<bool> {
    Ok(find_room(block, record_len(name_len))?.is_some())
}

fn write_record(
    block: &mut Block,
    offset: usize,
    ino: u32,
    len: usize,
    name: &[u8],
    dirent_type: u8,
) {
    put_u32(block, offset, ino);
    put_u16(block, offset + 4, len as u16);
    block[offset + 6] = name.len() as u8;
    block[offset + 7] = dirent_type;
    block[offset + HEADER_LEN..offset + HEADER_LEN + name.len()].copy_from_slice(name);
}

/// Adds a record; `false` if the block has no room for it.
pub(crate) fn insert(block: &mut Block, ino: u32, name: &[u8], dirent_type: u8) -> Result<bool> {
    let Some((offset, kept)) = find_room(block, record_len(name.len()))? else {
        return Ok(false);
    };
    let len = usize::from(get_u16(block, offset + 4));
    if kept > 0 {
        put_u16(block, offset + 4, kept as u16);
    }
    write_record(block, offset + kept, ino, len - kept, name, dirent_type);
    Ok(true)
}

/// Removes the live record at `offset`.
pub(crate) fn remove(block: &mut Block, offset: usize) -> Result<()> {
    let mut previous = None;
    let mut found = None;
    for record in records(block) {
        let record = record?;
        if record.offset == offset && record.ino != 0 {
            found = Some(record.len);
            break;
        }
        previous = Some((record.offset, record.len));
    }
    let len = found.ok_or(FsError::Corrupt)?;
    match previous {
        Some((at, previous_len)) => put_u16(block, at + 4, (previous_len + len) as u16),
        None => write_record(block, offset, 0, len, &[], 0),
    }
    Ok(())
}

/// Points the live record at `offset` to another inode.
pub(crate) fn retarget(block: &mut Block, offset: usize, ino: u32, dirent_type: u8) -> Result<()> {
    let record = parse(block, offset)?;
    if record.ino == 0 {
        return Err(FsError::Corrupt);
    }
    put_u32(block, offset, ino);
    block[offset + 7] = dirent_type;
    Ok(())
}

/// Formats a directory block with one free record.
pub(crate) fn init_empty(block: &mut Block) {
    block.fill(0);
    write_record(block, 0, 0, BLOCK_SIZE, &[], 0);
}

/// Formats the first block of a new directory: `.` and `..`.
pub(crate) fn init_first(block: &mut Block, itself: Ino, parent: Ino) {
    block.fill(0);
    let dir = FileKind::Directory.dirent_type();
    let dot = record_len(1);
    write_record(block, 0, itself.0, dot, b".", dir);
    write_record(block, dot, parent.0, BLOCK_SIZE - dot, b"..", dir);
}

/// Where a directory entry is: the block and the record's offset in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Slot {
    pub block: u64,
    pub offset: usize,
}

/// A directory entry found by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Found {
    pub ino: Ino,
    pub slot: Slot,
}

/// One entry of [`FileSystem::read_dir`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    /// The inode the entry names.
    pub ino: Ino,
    /// Its kind, as the entry records it (`d_type`).
    pub kind: FileKind,
    /// The name.
    pub name: Vec<u8>,
    /// The cookie of the next entry: `d_off` for getdents64, and where to resume.
    pub next: u64,
}

/// Blocks a directory holds.
pub(crate) fn dir_blocks(dir: &DiskInode) -> u64 {
    (dir.size / BLOCK_SIZE as u64).min(MAX_FILE_BLOCKS)
}

impl<D: BlockDevice> FileSystem<D> {
    /// The entry named `name` in directory `dir`.
    pub(crate) fn dir_lookup(&mut self, dir: &DiskInode, name: &[u8]) -> Result<Option<Found>> {
        for index in 0..dir_blocks(dir) {
            let Some(block) = self.map(dir, index)? else {
                continue;
            };
            let found = self.journal.read_with(block, |contents| {
                find(contents, name).map(|record| record.map(|r| (r.ino, r.offset)))
            })??;
            if let Some((ino, offset)) = found {
                if !self.geometry.has_inode(Ino(ino)) {
                    return Err(FsError::Corrupt);
                }
                return Ok(Some(Found {
                    ino: Ino(ino),
                    slot: Slot { block, offset },
                }));
            }
        }
        Ok(None)
    }

    /// Adds the entry `name -> ino` to directory `dir_ino`, growing it by a block if no
    /// block has room, and sets the directory's mtime and ctime.
    pub(crate) fn dir_insert(
        &mut self,
        dir_ino: Ino,
        name: &[u8],
        ino: Ino,
        kind: FileKind,
        now: Timestamp,
    ) -> Result<()> {
        let mut dir = self.load_dir(dir_ino)?;
        let dirent_type = kind.dirent_type();
        let mut inserted = false;
        for index in 0..dir_blocks(&dir) {
            let Some(block) = self.map(&dir, index)? else {
                continue;
            };
            if self
                .journal
                .read_with(block, |contents| has_room(contents, name.len()))??
            {
                inserted = insert(self.journal.block_mut(block)?, ino.0, name, dirent_type)?;
                break;
            }
        }
        if !inserted {
            let index = dir_blocks(&dir);
            let (block, _) = self.map_or_allocate(&mut dir, index)?;
            let contents = self.journal.fresh_block(block)?;
            init_empty(contents);
            insert(contents, ino.0, name, dirent_type)?;
            dir.size += BLOCK_SIZE as u64;
        }
        dir.touch(now);
        self.write_inode(dir_ino, &dir)
    }

    /// Removes the entry at `slot` of directory `dir_ino` and sets its mtime and ctime.
    pub(crate) fn dir_remove(&mut self, dir_ino: Ino, slot: Slot, now: Timestamp) -> Result<()> {
        remove(self.journal.block_mut(slot.block)?, slot.offset)?;
        self.touch_inode(dir_ino, now)
    }

    /// Points the entry at `slot` of directory `dir_ino` to `ino`, and sets the directory's
    /// mtime and ctime.
    pub(crate) fn dir_retarget(
        &mut self,
        dir_ino: Ino,
        slot: Slot,
        ino: Ino,
        kind: FileKind,
        now: Timestamp,
    ) -> Result<()> {
        retarget(
            self.journal.block_mut(slot.block)?,
            slot.offset,
            ino.0,
            kind.dirent_type(),
        )?;
        self.touch_inode(dir_ino, now)
    }

    fn touch_inode(&mut self, ino: Ino, now: Timestamp) -> Result<()> {
        let (mut inode, _) = self.load(ino)?;
        inode.touch(now);
        self.write_inode(ino, &inode)
    }

    /// Whether directory `dir` holds nothing but `.` and `..`.
    pub(crate) fn dir_is_empty(&mut self, dir: &DiskInode) -> Result<bool> {
        for index in 0..dir_blocks(dir) {
            let Some(block) = self.map(dir, index)? else {
                continue;
            };
            let empty = self.journal.read_with(block, |contents| {
                for record in records(contents) {
                    let record = record?;
                    if record.ino != 0 && !is_dot_or_dotdot(record.name) {
                        return Ok(false);
                    }
                }
                Result::Ok(true)
            })??;
            if !empty {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Entries of directory `dir` from `cookie` on (0 = the start; each entry's `next` is
    /// where to resume): the live records of the first block at or after the cookie that
    /// has any. An empty result means the end of the directory.
    pub fn read_dir(&mut self, dir: Ino, cookie: u64) -> Result<Vec<DirEntry>> {
        self.check_ino(dir)?;
        let inode = self.load_dir(dir)?;
        let mut entries = Vec::new();
        let mut index = cookie / BLOCK_SIZE as u64;
        let mut start = (cookie % BLOCK_SIZE as u64) as usize;
        while index < dir_blocks(&inode) && entries.is_empty() {
            if let Some(block) = self.map(&inode, index)? {
                let base = index * BLOCK_SIZE as u64;
                self.journal.read_with(block, |contents| {
                    for record in records(contents) {
                        let record = record?;
                        if record.ino == 0 || record.offset < start {
                            continue;
                        }
                        entries.push(DirEntry {
                            ino: Ino(record.ino),
                            kind: FileKind::from_dirent_type(record.dirent_type)
                                .ok_or(FsError::Corrupt)?,
                            name: record.name.to_vec(),
                            next: base + (record.offset + record.len) as u64,
                        });
                    }
                    Result::Ok(())
                })??;
            }
            index += 1;
            start = 0;
        }
        Ok(entries)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(block: &Block) -> Vec<(usize, u32, Vec<u8>)> {
        records(block)
            .map(|record| record.unwrap())
            .filter(|record| record.ino != 0)
            .map(|record| (record.offset, record.ino, record.name.to_vec()))
            .collect()
    }

    fn first_block() -> Block {
        let mut block = [0u8; BLOCK_SIZE];
        init_first(&mut block, Ino(5), Ino(1));
        block
    }

    #[test]
    fn a_new_directory_block_has_dot_and_dotdot() {
        let block = first_block();
        assert_eq!(
            names(&block),
            [(0, 5, b".".to_vec()), (16, 1, b"..".to_vec())]
        );
        let dotdot = find(&block, b"..").unwrap().unwrap();
        assert_eq!(
            (dotdot.len, dotdot.dirent_type),
            (BLOCK_SIZE - 16, abi::fs::DT_DIR)
        );
    }

    #[test]
    fn insert_splits_slack_and_find_sees_the_entry() {
        let mut block = first_block();
        assert!(insert(&mut block, 9, b"hello", 8).unwrap());
        assert!(insert(&mut block, 10, b"world.txt", 8).unwrap());
        assert_eq!(
            names(&block),
            [
                (0, 5, b".".to_vec()),
                (16, 1, b"..".to_vec()),
                (32, 9, b"hello".to_vec()),
                (48, 10, b"world.txt".to_vec())
            ]
        );
        assert_eq!(find(&block, b"hello").unwrap().unwrap().ino, 9);
        assert_eq!(find(&block, b"hell").unwrap(), None);
        let last = find(&block, b"world.txt").unwrap().unwrap();
        assert_eq!(
            last.offset + last.len,
            BLOCK_SIZE,
            "the last record reaches the end"
        );
    }

    #[test]
    fn removal_merges_backwards_and_live_records_stay_put() {
        let mut block = first_block();
        for (ino, name) in [(9, &b"a"[..]), (10, b"b"), (11, b"c")] {
            insert(&mut block, ino, name, 8).unwrap();
        }
        remove(&mut block, 48).unwrap();
        assert_eq!(
            names(&block),
            [
                (0, 5, b".".to_vec()),
                (16, 1, b"..".to_vec()),
                (32, 9, b"a".to_vec()),
                (64, 11, b"c".to_vec())
            ]
        );
        assert_eq!(find(&block, b"a").unwrap().unwrap().len, 32);
        // The freed space is reused by the next insertion, without moving `c`.
        insert(&mut block, 12, b"d", 8).unwrap();
        assert_eq!(find(&block, b"d").unwrap().unwrap().offset, 48);
        assert_eq!(find(&block, b"c").unwrap().unwrap().offset, 64);
        assert_eq!(remove(&mut block, 40), Err(FsError::Corrupt));
    }

    #[test]
    fn the_first_record_of_a_block_is_freed_in_place_and_reused() {
        let mut block = [0u8; BLOCK_SIZE];
        init_empty(&mut block);
        assert!(names(&block).is_empty());
        insert(&mut block, 3, b"x", 8).unwrap();
        insert(&mut block, 4, b"y", 8).unwrap();
        remove(&mut block, 0).unwrap();
        assert_eq!(names(&block), [(16, 4, b"y".to_vec())]);
        insert(&mut block, 5, b"z", 8).unwrap();
        assert_eq!(
            names(&block),
            [(0, 5, b"z".to_vec()), (16, 4, b"y".to_vec())]
        );
    }

    #[test]
    fn a_full_block_refuses_and_long_names_fit() {
        let mut block = [0u8; BLOCK_SIZE];
        init_empty(&mut block);
        let long = [b'n'; MAX_NAME_LEN];
        let mut count = 0;
        while insert(&mut block, 7 + count, &long, 8).unwrap() {
            count += 1;
        }
        assert_eq!(count as usize, BLOCK_SIZE / record_len(MAX_NAME_LEN));
        assert!(!has_room(&block, MAX_NAME_LEN).unwrap());
        assert!(
            has_room(&block, 1).unwrap(),
            "the tail slack still takes a short name"
        );
    }

    #[test]
    fn retarget_changes_only_the_inode_and_type() {
        let mut block = first_block();
        retarget(&mut block, 16, 8, abi::fs::DT_DIR).unwrap();
        assert_eq!(find(&block, b"..").unwrap().unwrap().ino, 8);
        assert_eq!(retarget(&mut block, 24, 8, 4), Err(FsError::Corrupt));
    }

    #[test]
    fn damaged_blocks_are_corrupt_not_panics() {
        let mut block = first_block();
        put_u16(&mut block, 4, 12);
        assert_eq!(find(&block, b"x"), Err(FsError::Corrupt));
        let mut block = first_block();
        put_u16(&mut block, 20, 0);
        assert!(records(&block).any(|record| record.is_err()));
        let mut block = first_block();
        block[6] = 200;
        assert_eq!(find(&block, b".."), Err(FsError::Corrupt));
        let mut block = first_block();
        block[8] = b'/';
        assert_eq!(find(&block, b".."), Err(FsError::Corrupt));
        let zeros = [0u8; BLOCK_SIZE];
        assert_eq!(find(&zeros, b"a"), Err(FsError::Corrupt));
    }

    #[test]
    fn names_are_checked() {
        assert_eq!(check_name(b"ok"), Ok(()));
        assert_eq!(check_name(&[b'a'; 255]), Ok(()));
        assert_eq!(check_name(&[b'a'; 256]), Err(FsError::NameTooLong));
        assert_eq!(check_name(b""), Err(FsError::Invalid));
        assert_eq!(check_name(b"a/b"), Err(FsError::Invalid));
        assert_eq!(check_name(b"a\0"), Err(FsError::Invalid));
        assert!(is_dot_or_dotdot(b".") && is_dot_or_dotdot(b"..") && !is_dot_or_dotdot(b"..."));
    }
}
