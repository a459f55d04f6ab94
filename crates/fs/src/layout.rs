//! Concept F2, the on-disk layout: where each region of the disk starts, and the superblock
//! (block 0) that records it.
//!
//! Invariants:
//! - The regions follow each other in a fixed order with no gaps, and their sizes follow
//!   from three numbers alone (total blocks, inode count, journal blocks), so
//!   [`Geometry::new`] recomputes the whole layout from them and a superblock is accepted
//!   only if its stored layout equals the recomputed one.
//! - Block numbers fit in 32 bits (inodes hold 32-bit block pointers), so a file system has
//!   at most 2^32 - 1 blocks (16 TiB).
//! - The superblock carries a CRC-32C of its fields; it changes only through the journal.

use core::fmt;

use crate::checksum::crc32c;
use crate::codec::{get_u32, get_u64, put_u32, put_u64};
use crate::device::{BLOCK_SIZE, Block};
use crate::error::{FsError, Result};
use crate::inode::{INODE_SIZE, Ino, ROOT};
use crate::journal::HEADER_CAPACITY;

/// Identifies a Lantern file system in the first bytes of block 0.
pub(crate) const MAGIC: [u8; 8] = *b"LANTRNFS";
/// On-disk format version.
pub(crate) const VERSION: u32 = 1;
/// Inodes in one block of the inode table.
pub(crate) const INODES_PER_BLOCK: u64 = (BLOCK_SIZE / INODE_SIZE) as u64;
/// Bits in one bitmap block.
pub(crate) const BITS_PER_BLOCK: u64 = (BLOCK_SIZE * 8) as u64;
/// The smallest journal: a header and room for two of the largest single operations.
pub const MIN_JOURNAL_BLOCKS: u32 = 33;
/// The largest journal: a header and as many blocks as the header can list.
pub const MAX_JOURNAL_BLOCKS: u32 = 1 + HEADER_CAPACITY as u32;
/// Fewest inodes a file system may have (root, lost+found, and a few files).
pub const MIN_INODES: u32 = 8;
/// Fewest data blocks a file system may have.
const MIN_DATA_BLOCKS: u64 = 8;

/// Where every region of a file system lies, in blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Geometry {
    pub total_blocks: u64,
    pub inode_count: u32,
    pub journal_start: u64,
    pub journal_blocks: u32,
    pub inode_bitmap_start: u64,
    pub inode_bitmap_blocks: u32,
    pub block_bitmap_start: u64,
    pub block_bitmap_blocks: u32,
    pub inode_table_start: u64,
    pub inode_table_blocks: u32,
    pub data_start: u64,
}

impl Geometry {
    /// The layout of a file system of `total_blocks` blocks with `inode_count` inodes and a
    /// journal of `journal_blocks` blocks; `Invalid` if they do not make a file system.
    pub(crate) fn new(total_blocks: u64, inode_count: u32, journal_blocks: u32) -> Result<Self> {
        if total_blocks > u64::from(u32::MAX)
            || inode_count < MIN_INODES
            || !(MIN_JOURNAL_BLOCKS..=MAX_JOURNAL_BLOCKS).contains(&journal_blocks)
        {
            return Err(FsError::Invalid);
        }
        let blocks_for = |count: u64, per_block: u64| count.div_ceil(per_block) as u32;
        let journal_start = 1;
        let inode_bitmap_start = journal_start + u64::from(journal_blocks);
        let inode_bitmap_blocks = blocks_for(u64::from(inode_count), BITS_PER_BLOCK);
        let block_bitmap_start = inode_bitmap_start + u64::from(inode_bitmap_blocks);
        let block_bitmap_blocks = blocks_for(total_blocks, BITS_PER_BLOCK);
        let inode_table_start = block_bitmap_start + u64::from(block_bitmap_blocks);
        let inode_table_blocks = blocks_for(u64::from(inode_count), INODES_PER_BLOCK);
        let data_start = inode_table_start + u64::from(inode_table_blocks);
        if data_start + MIN_DATA_BLOCKS > total_blocks {
            return Err(FsError::Invalid);
        }
        Ok(Geometry {
            total_blocks,
            inode_count,
            journal_start,
            journal_blocks,
            inode_bitmap_start,
            inode_bitmap_blocks,
            block_bitmap_start,
            block_bitmap_blocks,
            inode_table_start,
            inode_table_blocks,
            data_start,
        })
    }

    /// The block and byte offset of inode `ino`'s record (`ino` must be in range).
    pub(crate) fn inode_location(&self, ino: Ino) -> (u64, usize) {
        let slot = u64::from(ino.0) - 1;
        (
            self.inode_table_start + slot / INODES_PER_BLOCK,
            (slot % INODES_PER_BLOCK) as usize * INODE_SIZE,
        )
    }

    /// Whether `ino` names an inode of this file system.
    pub(crate) fn has_inode(&self, ino: Ino) -> bool {
        (1..=self.inode_count).contains(&ino.0)
    }

    /// Whether `block` is in the data region, where files' blocks live.
    pub(crate) fn is_data_block(&self, block: u64) -> bool {
        (self.data_start..self.total_blocks).contains(&block)
    }

    /// Whether `block` is in the journal area (never written through a transaction).
    pub(crate) fn is_journal_block(&self, block: u64) -> bool {
        (self.journal_start..self.journal_start + u64::from(self.journal_blocks)).contains(&block)
    }

    /// Blocks in the data region.
    pub(crate) fn data_blocks(&self) -> u64 {
        self.total_blocks - self.data_start
    }
}

/// What is wrong with a superblock that cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuperblockProblem {
    /// Block 0 does not start with the Lantern magic number: not a Lantern file system.
    BadMagic,
    /// A format version this code does not know.
    UnknownVersion(u32),
    /// A block size other than 4096.
    BadBlockSize(u32),
    /// The superblock's checksum does not match its contents.
    BadChecksum,
    /// The recorded layout is not the one its sizes imply.
    BadLayout,
    /// The file system is larger than the device.
    LargerThanDevice {
        /// Blocks the superblock claims.
        blocks: u64,
        /// Blocks the device has.
        device_blocks: u64,
    },
}

impl fmt::Display for SuperblockProblem {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SuperblockProblem::BadMagic => {
                write!(
                    formatter,
                    "block 0 is not a Lantern superblock (bad magic number)"
                )
            }
            SuperblockProblem::UnknownVersion(version) => {
                write!(
                    formatter,
                    "the superblock has unknown format version {version}"
                )
            }
            SuperblockProblem::BadBlockSize(size) => write!(
                formatter,
                "the superblock says blocks are {size} bytes, not {BLOCK_SIZE}"
            ),
            SuperblockProblem::BadChecksum => {
                write!(
                    formatter,
                    "the superblock's checksum does not match its contents"
                )
            }
            SuperblockProblem::BadLayout => write!(
                formatter,
                "the superblock's region table does not match its sizes"
            ),
            SuperblockProblem::LargerThanDevice {
                blocks,
                device_blocks,
            } => write!(
                formatter,
                "the superblock claims {blocks} blocks but the device has only {device_blocks}"
            ),
        }
    }
}

/// The superblock: the layout plus the little state that changes.
///
/// ```text
/// offset  size  field                     offset  size  field
///      0     8  magic "LANTRNFS"              56     8  block bitmap start
///      8     4  version (1)                   64     8  inode table start
///     12     4  block size (4096)             72     4  inode table blocks
///     16     8  total blocks                  76     4  root inode (1)
///     24     4  inode count                   80     8  data start
///     28     4  journal blocks                88     4  clean: 1 = unmounted cleanly
///     32     8  journal start                 92     4  mount count (generation)
///     40     8  inode bitmap start            96     4  orphan list head (0 = empty)
///     48     4  inode bitmap blocks          100     4  CRC-32C of bytes 0..100
///     52     4  block bitmap blocks
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Superblock {
    pub geometry: Geometry,
    /// The file system was unmounted cleanly (set by unmount, cleared by mount).
    pub clean: bool,
    /// How many times the file system has been mounted.
    pub mount_count: u32,
    /// First inode of the orphan list, 0 when the list is empty.
    pub orphan_head: u32,
}

const CHECKSUM_AT: usize = 100;

impl Superblock {
    pub(crate) fn encode(&self, block: &mut Block) {
        let g = &self.geometry;
        block.fill(0);
        block[0..8].copy_from_slice(&MAGIC);
        put_u32(block, 8, VERSION);
        put_u32(block, 12, BLOCK_SIZE as u32);
        put_u64(block, 16, g.total_blocks);
        put_u32(block, 24, g.inode_count);
        put_u32(block, 28, g.journal_blocks);
        put_u64(block, 32, g.journal_start);
        put_u64(block, 40, g.inode_bitmap_start);
        put_u32(block, 48, g.inode_bitmap_blocks);
        put_u32(block, 52, g.block_bitmap_blocks);
        put_u64(block, 56, g.block_bitmap_start);
        put_u64(block, 64, g.inode_table_start);
        put_u32(block, 72, g.inode_table_blocks);
        put_u32(block, 76, ROOT.0);
        put_u64(block, 80, g.data_start);
        put_u32(block, 88, u32::from(self.clean));
        put_u32(block, 92, self.mount_count);
        put_u32(block, 96, self.orphan_head);
        let checksum = crc32c(&block[..CHECKSUM_AT]);
        put_u32(block, CHECKSUM_AT, checksum);
    }

    /// Decodes and checks block 0 of a device with `device_blocks` blocks.
    pub(crate) fn decode(
        block: &Block,
        device_blocks: u64,
    ) -> core::result::Result<Superblock, SuperblockProblem> {
        if block[0..8] != MAGIC {
            return Err(SuperblockProblem::BadMagic);
        }
        let version = get_u32(block, 8);
        if version != VERSION {
            return Err(SuperblockProblem::UnknownVersion(version));
        }
        let block_size = get_u32(block, 12);
        if block_size as usize != BLOCK_SIZE {
            return Err(SuperblockProblem::BadBlockSize(block_size));
        }
        if crc32c(&block[..CHECKSUM_AT]) != get_u32(block, CHECKSUM_AT) {
            return Err(SuperblockProblem::BadChecksum);
        }
        let total_blocks = get_u64(block, 16);
        let geometry = Geometry::new(total_blocks, get_u32(block, 24), get_u32(block, 28))
            .map_err(|_| SuperblockProblem::BadLayout)?;
        let stored = Geometry {
            journal_start: get_u64(block, 32),
            inode_bitmap_start: get_u64(block, 40),
            inode_bitmap_blocks: get_u32(block, 48),
            block_bitmap_blocks: get_u32(block, 52),
            block_bitmap_start: get_u64(block, 56),
            inode_table_start: get_u64(block, 64),
            inode_table_blocks: get_u32(block, 72),
            data_start: get_u64(block, 80),
            ..geometry
        };
        let orphan_head = get_u32(block, 96);
        if stored != geometry
            || get_u32(block, 76) != ROOT.0
            || get_u32(block, 88) > 1
            || orphan_head > geometry.inode_count
        {
            return Err(SuperblockProblem::BadLayout);
        }
        if total_blocks > device_blocks {
            return Err(SuperblockProblem::LargerThanDevice {
                blocks: total_blocks,
                device_blocks,
            });
        }
        Ok(Superblock {
            geometry,
            clean: get_u32(block, 88) == 1,
            mount_count: get_u32(block, 92),
            orphan_head,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn superblock() -> Superblock {
        Superblock {
            geometry: Geometry::new(100_000, 1000, 64).unwrap(),
            clean: true,
            mount_count: 4,
            orphan_head: 9,
        }
    }

    #[test]
    fn regions_follow_each_other() {
        let g = Geometry::new(100_000, 1000, 64).unwrap();
        assert_eq!(g.journal_start, 1);
        assert_eq!(g.inode_bitmap_start, 65);
        assert_eq!(g.inode_bitmap_blocks, 1);
        assert_eq!(g.block_bitmap_start, 66);
        assert_eq!(g.block_bitmap_blocks, 4, "100000 bits need 4 bitmap blocks");
        assert_eq!(g.inode_table_start, 70);
        assert_eq!(g.inode_table_blocks, 32, "1000 inodes at 32 a block");
        assert_eq!(g.data_start, 102);
        assert_eq!(g.inode_location(Ino(1)), (70, 0));
        assert_eq!(g.inode_location(Ino(33)), (71, 0));
        assert_eq!(g.inode_location(Ino(34)), (71, 128));
        assert!(g.has_inode(Ino(1000)) && !g.has_inode(Ino(1001)) && !g.has_inode(Ino(0)));
        assert!(g.is_journal_block(64) && !g.is_journal_block(65) && !g.is_journal_block(0));
        assert!(g.is_data_block(102) && !g.is_data_block(101) && !g.is_data_block(100_000));
    }

    #[test]
    fn impossible_sizes_are_refused() {
        assert_eq!(Geometry::new(100, 1000, 64), Err(FsError::Invalid));
        assert_eq!(Geometry::new(1 << 33, 1000, 64), Err(FsError::Invalid));
        assert_eq!(Geometry::new(100_000, 1000, 8), Err(FsError::Invalid));
        assert_eq!(Geometry::new(100_000, 2, 64), Err(FsError::Invalid));
        assert_eq!(
            Geometry::new(100_000, 1000, MAX_JOURNAL_BLOCKS + 1),
            Err(FsError::Invalid)
        );
    }

    #[test]
    fn superblock_round_trips() {
        let mut block = [0u8; BLOCK_SIZE];
        superblock().encode(&mut block);
        assert_eq!(Superblock::decode(&block, 100_000), Ok(superblock()));
    }

    #[test]
    fn damaged_superblocks_are_refused() {
        let mut good = [0u8; BLOCK_SIZE];
        superblock().encode(&mut good);

        let mut block = good;
        block[0] = b'X';
        assert_eq!(
            Superblock::decode(&block, 100_000),
            Err(SuperblockProblem::BadMagic)
        );

        let mut block = good;
        block[24] ^= 1;
        assert_eq!(
            Superblock::decode(&block, 100_000),
            Err(SuperblockProblem::BadChecksum)
        );

        let mut broken = superblock();
        broken.geometry.data_start += 1;
        broken.encode(&mut block);
        assert_eq!(
            Superblock::decode(&block, 100_000),
            Err(SuperblockProblem::BadLayout)
        );

        assert_eq!(
            Superblock::decode(&good, 99_999),
            Err(SuperblockProblem::LargerThanDevice {
                blocks: 100_000,
                device_blocks: 99_999
            })
        );
    }
}
