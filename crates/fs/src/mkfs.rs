//! Concept F2, `mkfs`: writes an empty file system (a root directory holding
//! `lost+found`) over a whole device.
//!
//! Invariant: the superblock is written last, after a flush, and block 0 is zeroed first;
//! so a device on which mkfs did not finish holds no file system at all, never a
//! half-made one (nor the old one over half-overwritten metadata).

use crate::bitmap::set_bit;
use crate::device::{BLOCK_SIZE, BlockDevice, zeroed_block};
use crate::dir::{init_first, insert};
use crate::error::{FsError, Result};
use crate::inode::{DiskInode, FileKind, INODE_SIZE, Ino, Owner, ROOT, Timestamp};
use crate::journal::Journal;
use crate::layout::{
    BITS_PER_BLOCK, Geometry, MAX_JOURNAL_BLOCKS, MIN_INODES, MIN_JOURNAL_BLOCKS, Superblock,
};

/// The inode of `lost+found` in a new file system (fsck puts unreachable files there).
const LOST_AND_FOUND: Ino = Ino(2);
/// Name of the directory fsck puts unreachable files in.
pub const LOST_AND_FOUND_NAME: &[u8] = b"lost+found";

/// How to make a file system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MkfsOptions {
    /// Number of inodes (at least 8): the most files the file system can hold.
    pub inodes: u32,
    /// Blocks of the journal area (33..=1019): one header plus the most blocks a
    /// transaction may hold.
    pub journal_blocks: u32,
    /// Time stamp of the root directory and `lost+found`.
    pub now: Timestamp,
}

impl MkfsOptions {
    /// Defaults for a device of `blocks` blocks: one inode per 16 KiB, and a journal of
    /// 1/64 of the device (at least 33 and at most 257 blocks, 1 MiB).
    pub fn for_blocks(blocks: u64, now: Timestamp) -> MkfsOptions {
        let inodes = (blocks / 4).clamp(u64::from(MIN_INODES), u64::from(u32::MAX) / 2);
        let journal = (blocks / 64).clamp(u64::from(MIN_JOURNAL_BLOCKS), 257);
        MkfsOptions {
            inodes: inodes as u32,
            journal_blocks: (journal as u32).min(MAX_JOURNAL_BLOCKS),
            now,
        }
    }
}

/// Writes a new, empty file system over all of `device` (at most 2^32 - 1 blocks of it).
pub fn mkfs<D: BlockDevice + ?Sized>(device: &mut D, options: &MkfsOptions) -> Result<()> {
    let total = device.block_count().min(u64::from(u32::MAX));
    let geometry = Geometry::new(total, options.inodes, options.journal_blocks)?;
    if !options.now.is_valid() {
        return Err(FsError::Invalid);
    }
    let mut block = zeroed_block();
    device.write_block(0, &block)?;
    device.flush()?;
    for metadata in geometry.journal_start..geometry.data_start {
        device.write_block(metadata, &block)?;
    }
    Journal::new(&mut *device, geometry).reset_log()?;

    // Block bitmap: everything before the data region, plus the two directory blocks.
    let root_block = geometry.data_start;
    let lost_block = geometry.data_start + 1;
    let used_blocks = geometry.data_start + 2;
    for index in 0..u64::from(geometry.block_bitmap_blocks) {
        block.fill(0);
        let first = index * BITS_PER_BLOCK;
        for bit in first..used_blocks.min(first + BITS_PER_BLOCK) {
            set_bit(&mut block, (bit - first) as usize, true);
        }
        device.write_block(geometry.block_bitmap_start + index, &block)?;
    }
    block.fill(0);
    set_bit(&mut block, (ROOT.0 - 1) as usize, true);
    set_bit(&mut block, (LOST_AND_FOUND.0 - 1) as usize, true);
    device.write_block(geometry.inode_bitmap_start, &block)?;

    // Inodes 1 (root) and 2 (lost+found) share the first inode-table block.
    let directory = |mode, nlink, data_block: u64| {
        let mut inode = DiskInode::new(FileKind::Directory, mode, Owner::default(), 0, options.now);
        inode.nlink = nlink;
        inode.size = BLOCK_SIZE as u64;
        inode.blocks = 1;
        inode.direct[0] = data_block as u32;
        inode
    };
    block.fill(0);
    for (ino, inode) in [
        (ROOT, directory(0o755, 3, root_block)),
        (LOST_AND_FOUND, directory(0o700, 2, lost_block)),
    ] {
        let (table, offset) = geometry.inode_location(ino);
        debug_assert_eq!(table, geometry.inode_table_start);
        inode.encode(&mut block[offset..offset + INODE_SIZE]);
    }
    device.write_block(geometry.inode_table_start, &block)?;

    init_first(&mut block, ROOT, ROOT);
    insert(
        &mut block,
        LOST_AND_FOUND.0,
        LOST_AND_FOUND_NAME,
        FileKind::Directory.dirent_type(),
    )?;
    device.write_block(root_block, &block)?;
    init_first(&mut block, LOST_AND_FOUND, ROOT);
    device.write_block(lost_block, &block)?;
    device.flush()?;

    let superblock = Superblock {
        geometry,
        clean: true,
        mount_count: 0,
        orphan_head: 0,
    };
    superblock.encode(&mut block);
    device.write_block(0, &block)?;
    device.flush()?;
    Ok(())
}
