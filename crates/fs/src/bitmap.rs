//! Concept F2, free-space management: one bitmap of inodes and one of blocks.
//!
//! Invariants:
//! - Bit `i` of the inode bitmap is set exactly when inode `i + 1` is in use (its record
//!   has a file type); bit `b` of the block bitmap is set exactly when block `b` is in use:
//!   every block before the data region, and every block some used inode points to.
//! - Bits past the end (the last bitmap block's tail) are never allocated and never read.
//! - Allocation is next-fit from a cursor the caller keeps, so the blocks one file gets one
//!   after another tend to be contiguous (F7 compares allocation methods in the simulator).
//! - The bitmaps are changed only through the journal, like every other block.

use core::ops::Range;

use crate::device::{Block, BlockDevice};
use crate::error::Result;
use crate::journal::Journal;
use crate::layout::BITS_PER_BLOCK;

/// Whether bit `bit` of a bitmap block is set.
pub(crate) fn get_bit(block: &Block, bit: usize) -> bool {
    block[bit / 8] & (1 << (bit % 8)) != 0
}

/// Sets or clears bit `bit` of a bitmap block.
pub(crate) fn set_bit(block: &mut Block, bit: usize, value: bool) {
    if value {
        block[bit / 8] |= 1 << (bit % 8);
    } else {
        block[bit / 8] &= !(1 << (bit % 8));
    }
}

/// The first clear bit in `from..end` of a bitmap block.
pub(crate) fn first_clear(block: &Block, from: usize, end: usize) -> Option<usize> {
    let mut bit = from;
    while bit < end {
        if bit.is_multiple_of(8) && bit + 8 <= end && block[bit / 8] == 0xff {
            bit += 8;
            continue;
        }
        if !get_bit(block, bit) {
            return Some(bit);
        }
        bit += 1;
    }
    None
}

/// How many of the bits `0..end` of a bitmap block are set.
pub(crate) fn count_set(block: &Block, end: usize) -> u64 {
    let full = end / 8;
    let whole: u32 = block[..full].iter().map(|byte| byte.count_ones()).sum();
    let partial = (0..end % 8)
        .filter(|bit| get_bit(block, full * 8 + bit))
        .count();
    u64::from(whole) + partial as u64
}

/// A bitmap of `bits` bits stored from block `start` on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Bitmap {
    start: u64,
    bits: u64,
}

impl Bitmap {
    pub(crate) fn new(start: u64, bits: u64) -> Bitmap {
        Bitmap { start, bits }
    }

    /// The bitmap block holding `bit`, and the bit's index in it.
    fn locate(&self, bit: u64) -> (u64, usize) {
        (
            self.start + bit / BITS_PER_BLOCK,
            (bit % BITS_PER_BLOCK) as usize,
        )
    }

    /// Finds a clear bit in `range`, searching from `hint` to the end of the range and then
    /// from its start, sets it and returns it; `None` when every bit in the range is set.
    pub(crate) fn allocate<D: BlockDevice>(
        &self,
        journal: &mut Journal<D>,
        range: Range<u64>,
        hint: u64,
    ) -> Result<Option<u64>> {
        let hint = hint.clamp(range.start, range.end);
        for part in [hint..range.end, range.start..hint] {
            if let Some(bit) = self.find_clear(journal, part)? {
                self.set(journal, bit, true)?;
                return Ok(Some(bit));
            }
        }
        Ok(None)
    }

    fn find_clear<D: BlockDevice>(
        &self,
        journal: &mut Journal<D>,
        range: Range<u64>,
    ) -> Result<Option<u64>> {
        let mut bit = range.start;
        while bit < range.end {
            let (block, from) = self.locate(bit);
            let block_first = bit - from as u64;
            let end = (range.end - block_first).min(BITS_PER_BLOCK) as usize;
            if let Some(found) = journal.read_with(block, |bits| first_clear(bits, from, end))? {
                return Ok(Some(block_first + found as u64));
            }
            bit = block_first + end as u64;
        }
        Ok(None)
    }

    /// Sets bit `bit` to `value`; returns what it was.
    pub(crate) fn set<D: BlockDevice>(
        &self,
        journal: &mut Journal<D>,
        bit: u64,
        value: bool,
    ) -> Result<bool> {
        debug_assert!(bit < self.bits);
        let (block, index) = self.locate(bit);
        let bits = journal.block_mut(block)?;
        let previous = get_bit(bits, index);
        set_bit(bits, index, value);
        Ok(previous)
    }

    /// Whether bit `bit` is set.
    #[cfg(test)]
    pub(crate) fn get<D: BlockDevice>(&self, journal: &mut Journal<D>, bit: u64) -> Result<bool> {
        let (block, index) = self.locate(bit);
        journal.read_with(block, |bits| get_bit(bits, index))
    }

    /// How many bits are set.
    pub(crate) fn count_set<D: BlockDevice>(&self, journal: &mut Journal<D>) -> Result<u64> {
        let mut total = 0;
        let mut first = 0;
        while first < self.bits {
            let end = (self.bits - first).min(BITS_PER_BLOCK) as usize;
            total += journal.read_with(self.start + first / BITS_PER_BLOCK, |bits| {
                count_set(bits, end)
            })?;
            first += BITS_PER_BLOCK;
        }
        Ok(total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::{BLOCK_SIZE, RamDisk};
    use crate::layout::Geometry;

    #[test]
    fn bits_set_clear_and_count() {
        let mut block = [0u8; BLOCK_SIZE];
        set_bit(&mut block, 0, true);
        set_bit(&mut block, 9, true);
        set_bit(&mut block, 32767, true);
        assert!(get_bit(&block, 9) && !get_bit(&block, 8));
        assert_eq!(block[1], 0b10);
        assert_eq!(count_set(&block, 32768), 3);
        assert_eq!(count_set(&block, 10), 2);
        assert_eq!(count_set(&block, 9), 1);
        set_bit(&mut block, 9, false);
        assert_eq!(count_set(&block, 32768), 2);
    }

    #[test]
    fn first_clear_skips_full_bytes_and_respects_bounds() {
        let mut block = [0u8; BLOCK_SIZE];
        block[..100].fill(0xff);
        assert_eq!(first_clear(&block, 0, 32768), Some(800));
        assert_eq!(first_clear(&block, 3, 801), Some(800));
        assert_eq!(first_clear(&block, 3, 800), None);
        assert_eq!(first_clear(&block, 900, 901), Some(900));
        block.fill(0xff);
        assert_eq!(first_clear(&block, 0, 32768), None);
    }

    /// A bitmap spanning three blocks (from block 50) on a scratch journal.
    fn with_bitmap(test: impl FnOnce(&mut Journal<RamDisk>, Bitmap)) {
        let geometry = Geometry::new(200, 64, 40).unwrap();
        let mut journal = Journal::new(RamDisk::new(200), geometry);
        journal.begin(3).unwrap();
        test(&mut journal, Bitmap::new(50, 3 * BITS_PER_BLOCK - 5));
        journal.accept();
    }

    #[test]
    fn allocation_is_next_fit_and_wraps_around() {
        with_bitmap(|journal, bitmap| {
            let range = 10..70_000;
            assert_eq!(
                bitmap.allocate(journal, range.clone(), 0).unwrap(),
                Some(10)
            );
            assert_eq!(
                bitmap.allocate(journal, range.clone(), 11).unwrap(),
                Some(11)
            );
            assert_eq!(
                bitmap.allocate(journal, range.clone(), 40_000).unwrap(),
                Some(40_000)
            );
            assert_eq!(
                bitmap.allocate(journal, range.clone(), 69_999).unwrap(),
                Some(69_999)
            );
            assert_eq!(
                bitmap.allocate(journal, range.clone(), 70_000).unwrap(),
                Some(12)
            );
            assert!(bitmap.get(journal, 40_000).unwrap());
            assert_eq!(bitmap.count_set(journal).unwrap(), 5);
            assert!(bitmap.set(journal, 40_000, false).unwrap());
            assert!(!bitmap.get(journal, 40_000).unwrap());
            assert_eq!(bitmap.count_set(journal).unwrap(), 4);
        });
    }

    #[test]
    fn allocation_crosses_bitmap_blocks_and_reports_full() {
        with_bitmap(|journal, bitmap| {
            let range = 32_760..32_770;
            for expected in range.clone() {
                assert_eq!(
                    bitmap.allocate(journal, range.clone(), 0).unwrap(),
                    Some(expected)
                );
            }
            assert_eq!(
                bitmap.allocate(journal, range.clone(), 32_765).unwrap(),
                None
            );
            assert_eq!(bitmap.count_set(journal).unwrap(), 10);
        });
    }
}
