//! The block-device boundary (concepts F1/F2): the file system reads and writes whole 4 KiB
//! blocks through [`BlockDevice`] and through nothing else.
//!
//! Invariants the file system relies on, and nothing more:
//! - Block numbers are `0..block_count()`; any other number is an [`IoError`].
//! - A written block is durable only once a later [`BlockDevice::flush`] has returned. Until
//!   then the device may hold writes in a volatile cache and persist them in any order, or
//!   not at all if the power fails.
//! - Writing one block is atomic: after a power cut the block holds all of the old or all of
//!   the new contents. (The journal's checksum also catches a torn commit record.)
//!
//! The crate keeps no cache of its own beyond the open transaction (see `journal`); the
//! kernel puts its buffer cache under this trait. [`RamDisk`] is the simplest device: bytes
//! in memory, every write durable at once.

use alloc::boxed::Box;
use alloc::vec;
use alloc::vec::Vec;

/// Size of a block in bytes: the unit of every read, write, allocation and journal entry.
pub const BLOCK_SIZE: usize = 4096;

/// The contents of one block.
pub type Block = [u8; BLOCK_SIZE];

/// A block could not be read or written (bad block number, or the device failed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IoError;

/// A disk: an array of [`BLOCK_SIZE`]-byte blocks with a write barrier.
pub trait BlockDevice {
    /// Number of blocks on the device.
    fn block_count(&self) -> u64;
    /// Reads block `block` into `buf`.
    fn read_block(&mut self, block: u64, buf: &mut Block) -> Result<(), IoError>;
    /// Writes `buf` to block `block` (durable after the next [`BlockDevice::flush`]).
    fn write_block(&mut self, block: u64, buf: &Block) -> Result<(), IoError>;
    /// Returns once every block written before the call is durable.
    fn flush(&mut self) -> Result<(), IoError>;
}

/// A borrowed device is a device, so `FileSystem::mount(&mut disk)` leaves the caller the
/// disk after unmounting.
impl<D: BlockDevice + ?Sized> BlockDevice for &mut D {
    fn block_count(&self) -> u64 {
        (**self).block_count()
    }

    fn read_block(&mut self, block: u64, buf: &mut Block) -> Result<(), IoError> {
        (**self).read_block(block, buf)
    }

    fn write_block(&mut self, block: u64, buf: &Block) -> Result<(), IoError> {
        (**self).write_block(block, buf)
    }

    fn flush(&mut self) -> Result<(), IoError> {
        (**self).flush()
    }
}

/// A block of zeros on the heap (a kernel stack has no room for many 4 KiB arrays).
pub(crate) fn zeroed_block() -> Box<Block> {
    Box::new([0; BLOCK_SIZE])
}

/// A disk in memory. Host tools build images with it; tests run the file system on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RamDisk {
    bytes: Vec<u8>,
}

impl RamDisk {
    /// A disk of `blocks` zero-filled blocks.
    pub fn new(blocks: u64) -> RamDisk {
        let len = usize::try_from(blocks).map_or(usize::MAX, |b| b.saturating_mul(BLOCK_SIZE));
        RamDisk {
            bytes: vec![0; len],
        }
    }

    /// A disk holding `bytes` (an image file); a partial block at the end is dropped.
    pub fn from_bytes(mut bytes: Vec<u8>) -> RamDisk {
        bytes.truncate(bytes.len() / BLOCK_SIZE * BLOCK_SIZE);
        RamDisk { bytes }
    }

    /// The disk's contents.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The disk's contents, giving up the disk.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    fn range(&self, block: u64) -> Result<core::ops::Range<usize>, IoError> {
        let start = usize::try_from(block)
            .ok()
            .and_then(|b| b.checked_mul(BLOCK_SIZE))
            .ok_or(IoError)?;
        let end = start.checked_add(BLOCK_SIZE).ok_or(IoError)?;
        if end <= self.bytes.len() {
            Ok(start..end)
        } else {
            Err(IoError)
        }
    }
}

impl BlockDevice for RamDisk {
    fn block_count(&self) -> u64 {
        (self.bytes.len() / BLOCK_SIZE) as u64
    }

    fn read_block(&mut self, block: u64, buf: &mut Block) -> Result<(), IoError> {
        let range = self.range(block)?;
        buf.copy_from_slice(&self.bytes[range]);
        Ok(())
    }

    fn write_block(&mut self, block: u64, buf: &Block) -> Result<(), IoError> {
        let range = self.range(block)?;
        self.bytes[range].copy_from_slice(buf);
        Ok(())
    }

    fn flush(&mut self) -> Result<(), IoError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ram_disk_reads_back_what_was_written() {
        let mut disk = RamDisk::new(3);
        assert_eq!(disk.block_count(), 3);
        let mut block = [0u8; BLOCK_SIZE];
        block[0] = 7;
        block[BLOCK_SIZE - 1] = 9;
        disk.write_block(2, &block).unwrap();
        let mut read = [1u8; BLOCK_SIZE];
        disk.read_block(2, &mut read).unwrap();
        assert_eq!(read, block);
        disk.read_block(0, &mut read).unwrap();
        assert_eq!(read, [0; BLOCK_SIZE]);
    }

    #[test]
    fn ram_disk_refuses_blocks_past_the_end() {
        let mut disk = RamDisk::new(1);
        let mut block = [0u8; BLOCK_SIZE];
        assert_eq!(disk.read_block(1, &mut block), Err(IoError));
        assert_eq!(disk.write_block(u64::MAX, &block), Err(IoError));
    }

    #[test]
    fn image_bytes_round_trip_and_partial_blocks_are_dropped() {
        let disk = RamDisk::from_bytes(vec![5; BLOCK_SIZE * 2 + 100]);
        assert_eq!(disk.block_count(), 2);
        assert_eq!(disk.clone().into_bytes().len(), BLOCK_SIZE * 2);
        assert_eq!(disk.bytes()[BLOCK_SIZE], 5);
    }
}
