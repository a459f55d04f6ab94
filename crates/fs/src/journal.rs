//! Concept F3, crash consistency: a write-ahead redo journal (data=journal).
//!
//! Every change to the disk outside the journal area goes through a transaction: the new
//! contents of each block it modifies (metadata *and* file data) are collected in memory
//! ([`Journal::block_mut`]), and [`Journal::commit`] makes them durable in this order:
//!
//! ```text
//! 1. write the new contents to the log blocks (journal blocks 1..=n)   flush
//! 2. write the header: sequence number, the n home block numbers and a
//!    CRC-32C over them and over the n logged blocks: the commit record  flush
//! 3. install: write each block to its home location                     flush
//! 4. write an empty header (count 0)
//! ```
//!
//! A power cut before the header of step 2 is durable leaves the home blocks untouched (the
//! transaction is lost as a whole); after it, [`Journal::replay`] at mount finds a header
//! whose checksum matches and redoes step 3, which is idempotent. A header whose checksum
//! does not match (torn, or stale over half-written new log blocks) is an uncommitted
//! transaction and is ignored. Either way replay leaves an empty log behind. Step 4 needs
//! no flush of its own: the next commit's first flush orders it before any new header, and
//! the checksum rejects a stale header paired with new log blocks. (The flush of step 1 is
//! more than the checksum strictly needs — a header that reached the disk before its log
//! blocks fails the checksum, which is ext4's "async commit" — but it keeps correctness
//! from resting on a 32-bit checksum alone.)
//!
//! Journal header (journal block 0):
//!
//! ```text
//! offset  size  field
//!      0     8  magic "LANTRJNL"
//!      8     8  sequence number of the transaction
//!     16     4  count n of logged blocks (0 = empty journal)
//!     20     4  CRC-32C of bytes 8..20, the home list and the n logged blocks
//!     24   4*n  home block number of each logged block, ascending
//! ```
//!
//! Group commit: operations add to the open transaction until it is committed, which
//! happens (a) before a step that might not fit in the room left, (b) after
//! [`OPS_PER_TRANSACTION`] operations, (c) on `sync` (which `fsync` also uses) and unmount.
//! The kernel should also call `sync` every few seconds, bounding what a crash can lose.
//!
//! Steps and rollback: every change happens inside a step ([`Journal::begin`] ..
//! [`Journal::accept`] or [`Journal::rollback`]). A step first reserves its worst-case
//! number of new blocks, so a transaction never outgrows the log; a failed step is undone
//! in memory, so a transaction only ever holds whole steps and each step leaves the file
//! system consistent.
//!
//! Invariants:
//! - `pending.len() <= capacity`; a pending block is never in the journal area.
//! - Reads see the pending transaction first (read-your-writes), then the device.
//! - At most one transaction is in the log: it is installed before the next one is logged.
//! - After a failed commit the journal refuses every further change (`Io`), so nothing
//!   half-written is ever built upon.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::collections::btree_map::Entry;
use alloc::vec::Vec;

use crate::checksum::Crc32c;
use crate::codec::{get_u32, get_u64, put_u32, put_u64};
use crate::device::{BLOCK_SIZE, Block, BlockDevice, zeroed_block};
use crate::error::{FsError, Result};
use crate::layout::Geometry;

const MAGIC: [u8; 8] = *b"LANTRJNL";
const HOMES_AT: usize = 24;
/// Most blocks one transaction may hold: as many home numbers as the header has room for.
pub(crate) const HEADER_CAPACITY: usize = (BLOCK_SIZE - HOMES_AT) / 4;
/// Operations that may share one transaction before it commits.
pub const OPS_PER_TRANSACTION: u32 = 64;

/// What the journal area holds.
#[derive(Debug)]
pub(crate) enum LogState {
    /// No transaction.
    Empty,
    /// A committed transaction: (home block, contents) for each logged block.
    Committed {
        sequence: u64,
        blocks: Vec<(u64, Box<Block>)>,
    },
    /// A header whose checksum does not match: a commit that never finished.
    Uncommitted { sequence: u64 },
    /// Not a journal header at all: the journal area is damaged.
    Damaged,
}

/// The journal and the open transaction; owns the device.
pub(crate) struct Journal<D: BlockDevice> {
    device: D,
    geometry: Geometry,
    capacity: usize,
    /// Sequence number the next commit gets.
    sequence: u64,
    /// The open transaction: home block -> new contents.
    pending: BTreeMap<u64, Box<Block>>,
    /// The open step's undo log: each block it touched and its pending contents before.
    undo: Vec<(u64, Option<Box<Block>>)>,
    in_step: bool,
    step_reserve: usize,
    pending_at_step: usize,
    ops: u32,
    failed: bool,
    scratch: Box<Block>,
}

impl<D: BlockDevice> Journal<D> {
    pub(crate) fn new(device: D, geometry: Geometry) -> Journal<D> {
        Journal {
            device,
            geometry,
            capacity: (geometry.journal_blocks as usize - 1).min(HEADER_CAPACITY),
            sequence: 1,
            pending: BTreeMap::new(),
            undo: Vec::new(),
            in_step: false,
            step_reserve: 0,
            pending_at_step: 0,
            ops: 0,
            failed: false,
            scratch: zeroed_block(),
        }
    }

    pub(crate) fn into_device(self) -> D {
        self.device
    }

    /// Reads the journal area.
    pub(crate) fn read_log(&mut self) -> Result<LogState> {
        let start = self.geometry.journal_start;
        self.device.read_block(start, &mut self.scratch)?;
        let header: &Block = &self.scratch;
        if header[..8] != MAGIC {
            return Ok(LogState::Damaged);
        }
        let sequence = get_u64(header, 8);
        let count = get_u32(header, 16) as usize;
        let stored_checksum = get_u32(header, 20);
        if count == 0 {
            self.sequence = self.sequence.max(sequence.wrapping_add(1));
            return Ok(LogState::Empty);
        }
        if count > self.capacity {
            return Ok(LogState::Damaged);
        }
        let homes: Vec<u64> = (0..count)
            .map(|index| u64::from(get_u32(header, HOMES_AT + 4 * index)))
            .collect();
        let mut crc = Crc32c::new();
        crc.update(&header[8..20]);
        crc.update(&header[HOMES_AT..HOMES_AT + 4 * count]);
        let mut blocks = Vec::with_capacity(count);
        for (index, home) in homes.into_iter().enumerate() {
            let mut contents = zeroed_block();
            self.device
                .read_block(start + 1 + index as u64, &mut contents)?;
            crc.update(&contents[..]);
            blocks.push((home, contents));
        }
        self.sequence = self.sequence.max(sequence.wrapping_add(1));
        if crc.finish() != stored_checksum {
            return Ok(LogState::Uncommitted { sequence });
        }
        if blocks.iter().any(|(home, _)| !self.is_writable(*home)) {
            return Ok(LogState::Damaged);
        }
        Ok(LogState::Committed { sequence, blocks })
    }

    /// Recovery at mount: installs a committed transaction and clears the log. Returns the
    /// sequence number of the transaction replayed, or `Corrupt` if the journal area is not
    /// a journal.
    pub(crate) fn replay(&mut self) -> Result<Option<u64>> {
        match self.read_log()? {
            LogState::Empty => Ok(None),
            LogState::Damaged => Err(FsError::Corrupt),
            LogState::Uncommitted { .. } => {
                self.write_header(&[])?;
                self.device.flush()?;
                Ok(None)
            }
            LogState::Committed { sequence, blocks } => {
                for (home, contents) in &blocks {
                    self.device.write_block(*home, contents)?;
                }
                self.device.flush()?;
                self.write_header(&[])?;
                self.device.flush()?;
                Ok(Some(sequence))
            }
        }
    }

    /// Makes a committed transaction visible without installing it: fsck without repair
    /// checks the file system as the next mount will see it and writes nothing.
    pub(crate) fn overlay(&mut self, blocks: Vec<(u64, Box<Block>)>) {
        self.pending.extend(blocks);
    }

    /// Rewrites an empty header (fsck's repair of a damaged journal area).
    pub(crate) fn reset_log(&mut self) -> Result<()> {
        self.write_header(&[])?;
        self.device.flush()?;
        Ok(())
    }

    fn is_writable(&self, block: u64) -> bool {
        block < self.geometry.total_blocks && !self.geometry.is_journal_block(block)
    }

    /// Calls `read` on the current contents of `block` (pending, else from the device).
    pub(crate) fn read_with<R>(&mut self, block: u64, read: impl FnOnce(&Block) -> R) -> Result<R> {
        if block >= self.geometry.total_blocks {
            return Err(FsError::Corrupt);
        }
        if let Some(contents) = self.pending.get(&block) {
            return Ok(read(contents));
        }
        self.device.read_block(block, &mut self.scratch)?;
        Ok(read(&self.scratch))
    }

    /// Starts a step that adds at most `reserve` blocks to the transaction, committing the
    /// transaction first if it has less room than that.
    pub(crate) fn begin(&mut self, reserve: usize) -> Result<()> {
        debug_assert!(!self.in_step, "steps do not nest");
        debug_assert!(reserve <= self.capacity);
        if self.failed {
            return Err(FsError::Io);
        }
        if self.pending.len() + reserve > self.capacity {
            self.commit()?;
        }
        self.in_step = true;
        self.step_reserve = reserve;
        self.pending_at_step = self.pending.len();
        Ok(())
    }

    /// Ends the step, keeping its changes in the transaction.
    pub(crate) fn accept(&mut self) {
        debug_assert!(
            self.pending.len() - self.pending_at_step <= self.step_reserve,
            "a step used more journal blocks than it reserved"
        );
        self.undo.clear();
        self.in_step = false;
    }

    /// Ends the step, undoing its changes.
    pub(crate) fn rollback(&mut self) {
        while let Some((block, previous)) = self.undo.pop() {
            match previous {
                Some(contents) => {
                    self.pending.insert(block, contents);
                }
                None => {
                    self.pending.remove(&block);
                }
            }
        }
        self.in_step = false;
    }

    /// Counts a finished operation; commits after [`OPS_PER_TRANSACTION`] of them.
    pub(crate) fn finish_op(&mut self) -> Result<()> {
        self.ops += 1;
        if self.ops >= OPS_PER_TRANSACTION {
            self.commit()?;
        }
        Ok(())
    }

    /// Whether the open step may add `blocks` more blocks to the transaction; if so they
    /// are reserved. Steps that free many blocks ask before each one and stop when the
    /// transaction is full.
    pub(crate) fn reserve_more(&mut self, blocks: usize) -> bool {
        if self.pending.len() + blocks > self.capacity {
            return false;
        }
        let used = self.pending.len() - self.pending_at_step;
        self.step_reserve = self.step_reserve.max(used + blocks);
        true
    }

    /// Blocks in the open transaction.
    #[cfg(test)]
    pub(crate) fn pending_blocks(&self) -> usize {
        self.pending.len()
    }

    fn remember(&mut self, block: u64) -> Result<()> {
        debug_assert!(self.in_step, "blocks change only inside a step");
        if !self.is_writable(block) {
            return Err(FsError::Corrupt);
        }
        if !self.pending.contains_key(&block) && self.pending.len() >= self.capacity {
            debug_assert!(false, "a step used more journal blocks than it reserved");
            return Err(FsError::NoSpace);
        }
        if self.undo.iter().all(|(touched, _)| *touched != block) {
            let previous = self.pending.get(&block).cloned();
            self.undo.push((block, previous));
        }
        Ok(())
    }

    /// The pending contents of `block` for changing, read from the device first if the
    /// transaction does not hold it yet.
    pub(crate) fn block_mut(&mut self, block: u64) -> Result<&mut Block> {
        self.remember(block)?;
        match self.pending.entry(block) {
            Entry::Occupied(entry) => Ok(entry.into_mut()),
            Entry::Vacant(entry) => {
                let mut contents = zeroed_block();
                self.device.read_block(block, &mut contents)?;
                Ok(entry.insert(contents))
            }
        }
    }

    /// The pending contents of `block`, zeroed, for a block whose old contents do not matter
    /// (newly allocated, or about to be overwritten whole). Never reads the device.
    pub(crate) fn fresh_block(&mut self, block: u64) -> Result<&mut Block> {
        self.remember(block)?;
        let contents = self.pending.entry(block).or_insert_with(zeroed_block);
        contents.fill(0);
        Ok(contents)
    }

    /// Commits the open transaction (see the module comment for the protocol).
    pub(crate) fn commit(&mut self) -> Result<()> {
        debug_assert!(!self.in_step, "commit happens between steps");
        self.ops = 0;
        if self.pending.is_empty() {
            return Ok(());
        }
        if self.failed {
            return Err(FsError::Io);
        }
        match self.write_transaction() {
            Ok(()) => {
                self.pending.clear();
                self.sequence = self.sequence.wrapping_add(1);
                Ok(())
            }
            Err(error) => {
                self.failed = true;
                Err(error)
            }
        }
    }

    fn write_transaction(&mut self) -> Result<()> {
        let log = self.geometry.journal_start + 1;
        for (index, contents) in self.pending.values().enumerate() {
            self.device.write_block(log + index as u64, contents)?;
        }
        self.device.flush()?;
        let homes: Vec<u64> = self.pending.keys().copied().collect();
        self.write_header(&homes)?;
        self.device.flush()?;
        for (home, contents) in &self.pending {
            self.device.write_block(*home, contents)?;
        }
        self.device.flush()?;
        self.write_header(&[])?;
        Ok(())
    }

    /// Writes the header listing `homes` (whose contents are the pending blocks, in order),
    /// or an empty header when `homes` is empty.
    fn write_header(&mut self, homes: &[u64]) -> Result<()> {
        let header: &mut Block = &mut self.scratch;
        header.fill(0);
        header[..8].copy_from_slice(&MAGIC);
        put_u64(header, 8, self.sequence);
        put_u32(header, 16, homes.len() as u32);
        for (index, home) in homes.iter().enumerate() {
            put_u32(header, HOMES_AT + 4 * index, *home as u32);
        }
        let mut crc = Crc32c::new();
        crc.update(&header[8..20]);
        crc.update(&header[HOMES_AT..HOMES_AT + 4 * homes.len()]);
        if !homes.is_empty() {
            for contents in self.pending.values() {
                crc.update(&contents[..]);
            }
        }
        put_u32(header, 20, crc.finish());
        self.device
            .write_block(self.geometry.journal_start, &self.scratch)?;
        Ok(())
    }

    /// Commits, then flushes the device: everything done so far is durable.
    pub(crate) fn sync(&mut self) -> Result<()> {
        self.commit()?;
        if self.failed {
            return Err(FsError::Io);
        }
        self.device.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::RamDisk;

    fn geometry() -> Geometry {
        Geometry::new(256, 64, 40).unwrap()
    }

    fn filled(byte: u8) -> Block {
        [byte; BLOCK_SIZE]
    }

    fn read(journal: &mut Journal<&mut RamDisk>, block: u64) -> Block {
        journal.read_with(block, |contents| *contents).unwrap()
    }

    fn change<D: BlockDevice>(journal: &mut Journal<D>, block: u64, byte: u8) {
        journal.begin(4).unwrap();
        journal.block_mut(block).unwrap().fill(byte);
        journal.accept();
    }

    #[test]
    fn reads_see_the_open_transaction_and_commit_installs_it() {
        let mut disk = RamDisk::new(256);
        let mut journal = Journal::new(&mut disk, geometry());
        journal.write_header(&[]).unwrap();
        change(&mut journal, 100, 7);
        assert_eq!(read(&mut journal, 100), filled(7));
        journal.commit().unwrap();
        assert_eq!(journal.pending_blocks(), 0);
        assert!(matches!(journal.read_log().unwrap(), LogState::Empty));
        drop(journal);
        let mut home = [0; BLOCK_SIZE];
        disk.read_block(100, &mut home).unwrap();
        assert_eq!(home, filled(7));
    }

    #[test]
    fn rollback_restores_the_transaction_before_the_step() {
        let mut disk = RamDisk::new(256);
        let mut journal = Journal::new(&mut disk, geometry());
        change(&mut journal, 100, 1);
        journal.begin(4).unwrap();
        journal.block_mut(100).unwrap().fill(2);
        journal.fresh_block(101).unwrap()[0] = 3;
        journal.block_mut(100).unwrap()[1] = 4;
        journal.rollback();
        assert_eq!(read(&mut journal, 100), filled(1));
        assert_eq!(read(&mut journal, 101), filled(0));
        assert_eq!(journal.pending_blocks(), 1);
    }

    #[test]
    fn the_journal_area_and_blocks_past_the_end_cannot_be_written() {
        let mut disk = RamDisk::new(256);
        let mut journal = Journal::new(&mut disk, geometry());
        journal.begin(1).unwrap();
        assert_eq!(journal.block_mut(1).err(), Some(FsError::Corrupt));
        assert_eq!(journal.block_mut(256).err(), Some(FsError::Corrupt));
        journal.rollback();
        assert_eq!(journal.read_with(256, |_| ()).err(), Some(FsError::Corrupt));
    }

    /// Runs the commit protocol on a disk that keeps only the first `writes` block writes,
    /// and returns what recovery makes of it.
    fn crash_after(writes: usize) -> (RamDisk, Option<u64>) {
        struct Cut<'a> {
            disk: &'a mut RamDisk,
            writes_left: usize,
        }
        impl BlockDevice for Cut<'_> {
            fn block_count(&self) -> u64 {
                self.disk.block_count()
            }
            fn read_block(
                &mut self,
                block: u64,
                buf: &mut Block,
            ) -> core::result::Result<(), crate::IoError> {
                self.disk.read_block(block, buf)
            }
            fn write_block(
                &mut self,
                block: u64,
                buf: &Block,
            ) -> core::result::Result<(), crate::IoError> {
                if self.writes_left > 0 {
                    self.writes_left -= 1;
                    self.disk.write_block(block, buf)?;
                }
                Ok(())
            }
            fn flush(&mut self) -> core::result::Result<(), crate::IoError> {
                Ok(())
            }
        }
        let mut disk = RamDisk::new(256);
        {
            let mut journal = Journal::new(&mut disk, geometry());
            journal.write_header(&[]).unwrap();
        }
        {
            let cut = Cut {
                disk: &mut disk,
                writes_left: writes,
            };
            let mut journal = Journal::new(cut, geometry());
            change(&mut journal, 100, 1);
            change(&mut journal, 200, 2);
            journal.commit().unwrap();
        }
        let replayed = Journal::new(&mut disk, geometry()).replay().unwrap();
        (disk, replayed)
    }

    #[test]
    fn a_crash_at_any_write_leaves_all_or_nothing() {
        // Writes: log 100, log 200, header, home 100, home 200, empty header.
        for writes in 0..=6 {
            let (mut disk, replayed) = crash_after(writes);
            let mut block = [0; BLOCK_SIZE];
            disk.read_block(100, &mut block).unwrap();
            let first = block[0];
            disk.read_block(200, &mut block).unwrap();
            let second = block[0];
            if writes < 3 {
                assert_eq!((first, second, replayed), (0, 0, None), "{writes} writes");
            } else {
                assert_eq!((first, second), (1, 2), "{writes} writes");
                assert_eq!(replayed.is_some(), writes < 6, "{writes} writes");
            }
        }
    }

    #[test]
    fn a_header_whose_checksum_fails_is_not_replayed() {
        let mut disk = RamDisk::new(256);
        let mut journal = Journal::new(&mut disk, geometry());
        // A header for block 100 whose logged copy was overwritten after the header was
        // written, as when a crash hits the next commit before the old header was cleared.
        change(&mut journal, 100, 9);
        let log = geometry().journal_start + 1;
        journal.device.write_block(log, &filled(9)).unwrap();
        journal.write_header(&[100]).unwrap();
        journal.device.write_block(log, &filled(8)).unwrap();
        assert!(matches!(
            journal.read_log().unwrap(),
            LogState::Uncommitted { .. }
        ));
        assert_eq!(journal.replay().unwrap(), None);
        assert!(matches!(journal.read_log().unwrap(), LogState::Empty));
        let mut home = [0; BLOCK_SIZE];
        drop(journal);
        disk.read_block(100, &mut home).unwrap();
        assert_eq!(home, filled(0));
    }

    #[test]
    fn garbage_in_the_journal_area_is_damage() {
        let mut disk = RamDisk::new(256);
        disk.write_block(1, &filled(0x55)).unwrap();
        let mut journal = Journal::new(&mut disk, geometry());
        assert!(matches!(journal.read_log().unwrap(), LogState::Damaged));
        assert_eq!(journal.replay(), Err(FsError::Corrupt));
        journal.reset_log().unwrap();
        assert!(matches!(journal.read_log().unwrap(), LogState::Empty));
    }

    #[test]
    fn a_step_commits_the_transaction_when_it_might_not_fit() {
        let mut disk = RamDisk::new(256);
        let mut journal = Journal::new(&mut disk, geometry());
        journal.write_header(&[]).unwrap();
        assert!(journal.begin(39).is_ok());
        journal.accept();
        for block in 100..130 {
            change(&mut journal, block, 1);
        }
        assert_eq!(journal.pending_blocks(), 30);
        change(&mut journal, 200, 1);
        assert_eq!(journal.pending_blocks(), 31);
        journal.begin(20).unwrap();
        assert_eq!(journal.pending_blocks(), 0, "committed to make room");
        journal.accept();
    }
}
