//! The buffer cache (concept F1): recently used disk blocks kept in memory.
//!
//! A fixed number of 4 KiB buffers; a miss evicts the least recently used one. Writes are
//! write-back: a written block stays dirty in the cache until the file system asks for a
//! barrier (`flush`), which sends every dirty block to the disk at once — several requests in
//! flight — and waits for them. Evicting a dirty block writes it first. That is exactly the
//! durability contract of `fs::BlockDevice` ("durable after the next flush"), which the
//! journal builds on. Hits, misses and write-backs are counted for `/proc`.
//!
//! The cache belongs to one mounted file system and is used under that file system's sleep
//! lock, so it needs no locking of its own.

use crate::drivers::block::Disk;
use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use lanternfs::{BLOCK_SIZE, Block, BlockDevice, IoError};

/// Buffers in the cache (4 MiB).
pub const CACHE_BLOCKS: usize = 1024;

struct Buffer {
    block: u64,
    data: Box<Block>,
    dirty: bool,
    last_used: u64,
}

/// Hit, miss and write-back counters.
#[derive(Clone, Copy, Debug, Default)]
pub struct CacheStats {
    pub hits: u64,
    pub misses: u64,
    pub writebacks: u64,
}

/// The counters of the root disk's cache, published after each flush (for `/proc/diskstats`).
static CACHE_STATS: hal::sync::SpinLock<CacheStats> = hal::sync::SpinLock::new(
    "cache-stats",
    CacheStats {
        hits: 0,
        misses: 0,
        writebacks: 0,
    },
);

/// The last published cache counters.
pub fn stats() -> CacheStats {
    *CACHE_STATS.lock()
}

/// A disk seen through the cache.
pub struct BufferCache {
    disk: &'static Disk,
    buffers: Vec<Buffer>,
    index: BTreeMap<u64, usize>,
    clock: u64,
    stats: CacheStats,
}

impl BufferCache {
    pub fn new(disk: &'static Disk) -> BufferCache {
        BufferCache {
            disk,
            buffers: Vec::new(),
            index: BTreeMap::new(),
            clock: 0,
            stats: CacheStats::default(),
        }
    }

    fn publish(&self) {
        *CACHE_STATS.lock() = self.stats;
    }

    fn offset(block: u64) -> u64 {
        block * BLOCK_SIZE as u64
    }

    /// The buffer for `block`, reading it from disk unless `overwrite` says the caller will
    /// replace all of it.
    fn buffer(&mut self, block: u64, overwrite: bool) -> Result<usize, IoError> {
        if block >= self.block_count() {
            return Err(IoError);
        }
        self.clock += 1;
        if let Some(&slot) = self.index.get(&block) {
            self.stats.hits += 1;
            self.buffers[slot].last_used = self.clock;
            return Ok(slot);
        }
        self.stats.misses += 1;
        let slot = if self.buffers.len() < CACHE_BLOCKS {
            self.buffers.push(Buffer {
                block,
                data: Box::new([0; BLOCK_SIZE]),
                dirty: false,
                last_used: 0,
            });
            self.buffers.len() - 1
        } else {
            let victim = (0..self.buffers.len())
                .min_by_key(|&i| self.buffers[i].last_used)
                .ok_or(IoError)?;
            if self.buffers[victim].dirty {
                let old = &self.buffers[victim];
                self.disk
                    .write_all(alloc::vec![(
                        Self::offset(old.block),
                        old.data.as_slice().into()
                    )])
                    .map_err(|_| IoError)?;
                self.stats.writebacks += 1;
            }
            self.index.remove(&self.buffers[victim].block);
            victim
        };
        let buffer = &mut self.buffers[slot];
        buffer.block = block;
        buffer.dirty = false;
        buffer.last_used = self.clock;
        if !overwrite {
            self.disk
                .read(Self::offset(block), buffer.data.as_mut_slice())
                .map_err(|_| IoError)?;
        }
        self.index.insert(block, slot);
        Ok(slot)
    }
}

impl BlockDevice for BufferCache {
    fn block_count(&self) -> u64 {
        self.disk.size() / BLOCK_SIZE as u64
    }

    fn read_block(&mut self, block: u64, buf: &mut Block) -> Result<(), IoError> {
        let slot = self.buffer(block, false)?;
        buf.copy_from_slice(self.buffers[slot].data.as_slice());
        Ok(())
    }

    fn write_block(&mut self, block: u64, buf: &Block) -> Result<(), IoError> {
        let slot = self.buffer(block, true)?;
        let buffer = &mut self.buffers[slot];
        buffer.data.copy_from_slice(buf);
        buffer.dirty = true;
        Ok(())
    }

    fn flush(&mut self) -> Result<(), IoError> {
        let mut writes = Vec::new();
        for buffer in self.buffers.iter_mut().filter(|b| b.dirty) {
            writes.push((Self::offset(buffer.block), buffer.data.as_slice().into()));
            buffer.dirty = false;
        }
        self.stats.writebacks += writes.len() as u64;
        self.publish();
        self.disk.write_all(writes).map_err(|_| IoError)
    }
}
