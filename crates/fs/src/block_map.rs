//! Concept F2, indexed allocation: the map from a file's block index (its offset divided by
//! the block size) to a disk block, through 12 direct pointers, one single-indirect block
//! and one double-indirect block, as in the classic Unix inode.
//!
//! ```text
//! file block  0 .. 12          inode.direct[i]
//! file block 12 .. 1036        inode.single -> [1024 pointers]
//! file block 1036 .. 1049612   inode.double -> [1024 pointers] -> [1024 pointers]
//! ```
//!
//! The largest file is 1 049 612 blocks, 4 299 210 752 bytes (about 4 GiB).
//!
//! Invariants:
//! - A pointer is 0 (a hole: reads as zeros, no block) or a block of the data region
//!   owned by this inode alone; anything else read from disk is `Corrupt`.
//! - An indirect block exists only while some pointer in it is non-zero: unmapping frees
//!   an indirect block as soon as it holds no pointer.
//! - `inode.blocks` counts the data and indirect blocks the inode owns.
//! - No block is mapped at or past the block holding the file's last byte.

use crate::codec::{get_u32, put_u32};
use crate::device::{BLOCK_SIZE, BlockDevice};
use crate::error::{FsError, Result};
use crate::filesystem::FileSystem;
use crate::inode::{DIRECT_POINTERS, DiskInode};

/// Block pointers in one indirect block.
pub(crate) const POINTERS_PER_BLOCK: u64 = (BLOCK_SIZE / 4) as u64;
pub(crate) const SINGLE_START: u64 = DIRECT_POINTERS as u64;
pub(crate) const DOUBLE_START: u64 = SINGLE_START + POINTERS_PER_BLOCK;
/// Blocks the map can address.
pub(crate) const MAX_FILE_BLOCKS: u64 = DOUBLE_START + POINTERS_PER_BLOCK * POINTERS_PER_BLOCK;
/// The largest file size in bytes.
pub const MAX_FILE_SIZE: u64 = MAX_FILE_BLOCKS * BLOCK_SIZE as u64;

/// Where the pointer to a file block lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    /// `inode.direct[i]`.
    Direct(usize),
    /// Entry `i` of the single-indirect block.
    Single(usize),
    /// Entry `j` of the block at entry `i` of the double-indirect block.
    Double(usize, usize),
}

fn route(index: u64) -> Result<Route> {
    if index < SINGLE_START {
        Ok(Route::Direct(index as usize))
    } else if index < DOUBLE_START {
        Ok(Route::Single((index - SINGLE_START) as usize))
    } else if index < MAX_FILE_BLOCKS {
        let rest = index - DOUBLE_START;
        Ok(Route::Double(
            (rest / POINTERS_PER_BLOCK) as usize,
            (rest % POINTERS_PER_BLOCK) as usize,
        ))
    } else {
        Err(FsError::FileTooBig)
    }
}

/// Number of file blocks that hold the bytes `0..size`.
pub(crate) fn blocks_spanned(size: u64) -> u64 {
    size.div_ceil(BLOCK_SIZE as u64).min(MAX_FILE_BLOCKS)
}

impl<D: BlockDevice> FileSystem<D> {
    /// A pointer read from disk: `None` for a hole, else a data-region block.
    pub(crate) fn check_pointer(&self, pointer: u32) -> Result<Option<u64>> {
        match u64::from(pointer) {
            0 => Ok(None),
            block if self.geometry.is_data_block(block) => Ok(Some(block)),
            _ => Err(FsError::Corrupt),
        }
    }

    fn entry(&mut self, table: u64, index: usize) -> Result<Option<u64>> {
        let pointer = self
            .journal
            .read_with(table, |block| get_u32(block, 4 * index))?;
        self.check_pointer(pointer)
    }

    fn set_entry(&mut self, table: u64, index: usize, block: u64) -> Result<()> {
        put_u32(self.journal.block_mut(table)?, 4 * index, block as u32);
        Ok(())
    }

    /// The disk block holding file block `index`, or `None` for a hole.
    pub(crate) fn map(&mut self, inode: &DiskInode, index: u64) -> Result<Option<u64>> {
        match route(index)? {
            Route::Direct(i) => self.check_pointer(inode.direct[i]),
            Route::Single(i) => match self.check_pointer(inode.single)? {
                Some(table) => self.entry(table, i),
                None => Ok(None),
            },
            Route::Double(i, j) => {
                let Some(root) = self.check_pointer(inode.double)? else {
                    return Ok(None);
                };
                match self.entry(root, i)? {
                    Some(leaf) => self.entry(leaf, j),
                    None => Ok(None),
                }
            }
        }
    }

    /// Allocates a block, counting it in `blocks`; `zeroed` also zeroes it (indirect blocks).
    fn allocate_for(&mut self, blocks: &mut u32, zeroed: bool) -> Result<u64> {
        let block = self.allocate_block()?;
        *blocks = blocks.checked_add(1).ok_or(FsError::Corrupt)?;
        if zeroed {
            self.journal.fresh_block(block)?;
        }
        Ok(block)
    }

    /// The block `slot` points to, allocating a zeroed one if it is a hole.
    fn ensure_table(&mut self, slot: &mut u32, blocks: &mut u32) -> Result<u64> {
        if let Some(table) = self.check_pointer(*slot)? {
            return Ok(table);
        }
        let table = self.allocate_for(blocks, true)?;
        *slot = table as u32;
        Ok(table)
    }

    /// Entry `index` of indirect block `table`, allocating a block for it if it is a hole
    /// (zeroed if `zeroed`); also says whether it was allocated now.
    fn ensure_entry(
        &mut self,
        table: u64,
        index: usize,
        blocks: &mut u32,
        zeroed: bool,
    ) -> Result<(u64, bool)> {
        if let Some(block) = self.entry(table, index)? {
            return Ok((block, false));
        }
        let block = self.allocate_for(blocks, zeroed)?;
        self.set_entry(table, index, block)?;
        Ok((block, true))
    }

    /// The disk block holding file block `index`, allocating it (and the indirect blocks on
    /// the way) if it is a hole. Returns the block and whether it is new: a new data block
    /// is not zeroed, the caller writes all of it.
    pub(crate) fn map_or_allocate(
        &mut self,
        inode: &mut DiskInode,
        index: u64,
    ) -> Result<(u64, bool)> {
        match route(index)? {
            Route::Direct(i) => {
                if let Some(block) = self.check_pointer(inode.direct[i])? {
                    return Ok((block, false));
                }
                let block = self.allocate_for(&mut inode.blocks, false)?;
                inode.direct[i] = block as u32;
                Ok((block, true))
            }
            Route::Single(i) => {
                let table = self.ensure_table(&mut inode.single, &mut inode.blocks)?;
                self.ensure_entry(table, i, &mut inode.blocks, false)
            }
            Route::Double(i, j) => {
                let root = self.ensure_table(&mut inode.double, &mut inode.blocks)?;
                let (leaf, _) = self.ensure_entry(root, i, &mut inode.blocks, true)?;
                self.ensure_entry(leaf, j, &mut inode.blocks, false)
            }
        }
    }

    /// The highest mapped file block in `floor..end`, skipping holes an indirect block wide
    /// at a time.
    pub(crate) fn last_mapped(
        &mut self,
        inode: &DiskInode,
        floor: u64,
        end: u64,
    ) -> Result<Option<u64>> {
        let mut index = end.min(MAX_FILE_BLOCKS);
        while index > floor {
            index -= 1;
            match route(index)? {
                Route::Direct(i) => {
                    if self.check_pointer(inode.direct[i])?.is_some() {
                        return Ok(Some(index));
                    }
                }
                Route::Single(i) => match self.check_pointer(inode.single)? {
                    Some(table) => {
                        if self.entry(table, i)?.is_some() {
                            return Ok(Some(index));
                        }
                    }
                    None => index = SINGLE_START,
                },
                Route::Double(i, j) => {
                    let Some(root) = self.check_pointer(inode.double)? else {
                        index = DOUBLE_START;
                        continue;
                    };
                    match self.entry(root, i)? {
                        Some(leaf) => {
                            if self.entry(leaf, j)?.is_some() {
                                return Ok(Some(index));
                            }
                        }
                        None => index = DOUBLE_START + i as u64 * POINTERS_PER_BLOCK,
                    }
                }
            }
        }
        Ok(None)
    }

    fn release_block(&mut self, inode: &mut DiskInode, block: u64) -> Result<()> {
        self.free_block(block)?;
        inode.blocks = inode.blocks.checked_sub(1).ok_or(FsError::Corrupt)?;
        Ok(())
    }

    fn is_empty_table(&mut self, table: u64) -> Result<bool> {
        self.journal
            .read_with(table, |block| block.iter().all(|&byte| byte == 0))
    }

    /// Clears entry `index` of `table` and frees the block it pointed to; then frees the
    /// table too if no pointer is left in it. Returns whether the table was freed.
    fn unmap_entry(&mut self, inode: &mut DiskInode, table: u64, index: usize) -> Result<bool> {
        let block = self.entry(table, index)?.ok_or(FsError::Corrupt)?;
        self.set_entry(table, index, 0)?;
        self.release_block(inode, block)?;
        if self.is_empty_table(table)? {
            self.release_block(inode, table)?;
            return Ok(true);
        }
        Ok(false)
    }

    /// Frees the data block at file block `index` (which must be mapped), and the indirect
    /// blocks it leaves empty. Adds at most [`crate::filesystem::UNMAP_BLOCKS`] blocks to
    /// the transaction, besides the inode.
    pub(crate) fn unmap(&mut self, inode: &mut DiskInode, index: u64) -> Result<()> {
        match route(index)? {
            Route::Direct(i) => {
                let block = self
                    .check_pointer(inode.direct[i])?
                    .ok_or(FsError::Corrupt)?;
                inode.direct[i] = 0;
                self.release_block(inode, block)
            }
            Route::Single(i) => {
                let table = self.check_pointer(inode.single)?.ok_or(FsError::Corrupt)?;
                if self.unmap_entry(inode, table, i)? {
                    inode.single = 0;
                }
                Ok(())
            }
            Route::Double(i, j) => {
                let root = self.check_pointer(inode.double)?.ok_or(FsError::Corrupt)?;
                let leaf = self.entry(root, i)?.ok_or(FsError::Corrupt)?;
                if self.unmap_entry(inode, leaf, j)? {
                    self.set_entry(root, i, 0)?;
                    if self.is_empty_table(root)? {
                        self.release_block(inode, root)?;
                        inode.double = 0;
                    }
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::RamDisk;
    use crate::filesystem::STEP_BLOCKS;
    use crate::mkfs::{MkfsOptions, mkfs};
    use crate::{Timestamp, inode::DiskInode};

    fn mounted() -> FileSystem<RamDisk> {
        let mut disk = RamDisk::new(4096);
        mkfs(
            &mut disk,
            &MkfsOptions::for_blocks(4096, Timestamp::default()),
        )
        .unwrap();
        FileSystem::mount(disk).unwrap()
    }

    /// Maps file block `index` of `inode` in a step of its own.
    fn allocate(fs: &mut FileSystem<RamDisk>, inode: &mut DiskInode, index: u64) -> (u64, bool) {
        fs.step(STEP_BLOCKS, |fs| fs.map_or_allocate(inode, index))
            .unwrap()
    }

    #[test]
    fn allocation_at_each_boundary_adds_the_indirect_blocks_it_needs() {
        let mut fs = mounted();
        let mut inode = DiskInode::default();
        let free = fs.free_blocks;
        // (file block, blocks the inode holds afterwards)
        for (index, blocks) in [
            (11, 1),
            (12, 3),
            (SINGLE_START + 1023, 4),
            (DOUBLE_START, 7),
            (DOUBLE_START + 1023, 8),
            (DOUBLE_START + 1024, 10),
            (MAX_FILE_BLOCKS - 1, 12),
        ] {
            let (block, new) = allocate(&mut fs, &mut inode, index);
            assert!(
                new && fs.geometry.is_data_block(block),
                "file block {index}"
            );
            assert_eq!(inode.blocks, blocks, "file block {index}");
            assert_eq!(fs.map(&inode, index).unwrap(), Some(block));
            assert_eq!(allocate(&mut fs, &mut inode, index), (block, false));
        }
        assert_eq!(fs.free_blocks, free - 12);
        assert_eq!(fs.map(&inode, 0).unwrap(), None, "a hole");
        assert_eq!(
            fs.map(&inode, DOUBLE_START + 1).unwrap(),
            None,
            "a hole in a leaf"
        );
        assert_eq!(fs.map(&inode, MAX_FILE_BLOCKS), Err(FsError::FileTooBig));
        assert!(inode.direct[11] != 0 && inode.single != 0 && inode.double != 0);
    }

    #[test]
    fn last_mapped_skips_holes_and_unmap_frees_empty_indirect_blocks() {
        let mut fs = mounted();
        let mut inode = DiskInode::default();
        let free = fs.free_blocks;
        let indexes = [
            3,
            SINGLE_START + 5,
            DOUBLE_START + 2000,
            DOUBLE_START + 2001,
        ];
        for index in indexes {
            allocate(&mut fs, &mut inode, index);
        }
        inode.size = (DOUBLE_START + 2002) * BLOCK_SIZE as u64;
        assert_eq!(inode.blocks, 4 + 1 + 2);
        let mut end = MAX_FILE_BLOCKS;
        for index in indexes.iter().rev() {
            let found = fs.last_mapped(&inode, 0, end).unwrap();
            assert_eq!(found, Some(*index));
            fs.step(STEP_BLOCKS, |fs| fs.unmap(&mut inode, *index))
                .unwrap();
            end = *index;
        }
        assert_eq!(fs.last_mapped(&inode, 0, MAX_FILE_BLOCKS).unwrap(), None);
        assert_eq!(fs.last_mapped(&inode, 4, 100).unwrap(), None);
        assert_eq!(
            inode,
            DiskInode {
                size: inode.size,
                ..DiskInode::default()
            }
        );
        assert_eq!(
            fs.free_blocks, free,
            "data and indirect blocks all came back"
        );
    }

    #[test]
    fn pointers_outside_the_data_region_are_corrupt() {
        let mut fs = mounted();
        let inode = DiskInode {
            direct: [1; 12],
            single: u32::MAX,
            ..DiskInode::default()
        };
        assert_eq!(fs.map(&inode, 0), Err(FsError::Corrupt));
        assert_eq!(fs.map(&inode, SINGLE_START), Err(FsError::Corrupt));
        assert_eq!(fs.last_mapped(&inode, 0, 20), Err(FsError::Corrupt));
    }

    #[test]
    fn routes_at_the_boundaries() {
        assert_eq!(route(0), Ok(Route::Direct(0)));
        assert_eq!(route(11), Ok(Route::Direct(11)));
        assert_eq!(route(12), Ok(Route::Single(0)));
        assert_eq!(route(1035), Ok(Route::Single(1023)));
        assert_eq!(route(1036), Ok(Route::Double(0, 0)));
        assert_eq!(route(1036 + 1023), Ok(Route::Double(0, 1023)));
        assert_eq!(route(1036 + 1024), Ok(Route::Double(1, 0)));
        assert_eq!(route(MAX_FILE_BLOCKS - 1), Ok(Route::Double(1023, 1023)));
        assert_eq!(route(MAX_FILE_BLOCKS), Err(FsError::FileTooBig));
        assert_eq!(MAX_FILE_SIZE, 4_299_210_752);
    }

    #[test]
    fn blocks_spanned_rounds_up() {
        assert_eq!(blocks_spanned(0), 0);
        assert_eq!(blocks_spanned(1), 1);
        assert_eq!(blocks_spanned(4096), 1);
        assert_eq!(blocks_spanned(4097), 2);
        assert_eq!(blocks_spanned(u64::MAX), MAX_FILE_BLOCKS);
    }
}
