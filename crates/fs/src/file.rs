//! Concept F2, file contents: reading and writing bytes at an offset, holes, truncation,
//! and freeing an orphan inode (concept F3 for how big operations stay crash-safe).
//!
//! A write is split into one journal step per file block and a truncate or release frees
//! blocks from the end of the file down, as many per step as the transaction has room for.
//! After every step the file system is consistent: a write's size covers exactly the
//! blocks written so far, a shrinking file's size covers exactly the blocks still mapped.
//! So a crash in the middle of a large write leaves a prefix of it, a crash in the middle
//! of a truncate leaves the file somewhere between its old and new size, and a crash in
//! the middle of a release leaves the orphan on the orphan list for mount to finish.
//!
//! Invariants:
//! - Bytes past the end of a file up to the end of its last block are zero: new blocks
//!   are zeroed before being written and a shrink zeroes the tail of its new last block,
//!   so a later extension (or a hole) reads as zeros and never as old data.
//! - Reads do not write the disk (atime changes only through `set_attr`).

use crate::block_map::{MAX_FILE_SIZE, blocks_spanned};
use crate::device::{BLOCK_SIZE, BlockDevice};
use crate::error::{FsError, Result};
use crate::filesystem::{FINISH_BLOCKS, FileSystem, STEP_BLOCKS, UNMAP_BLOCKS};
use crate::inode::{DiskInode, FileKind, Ino, Timestamp};

const BLOCK: u64 = BLOCK_SIZE as u64;

impl<D: BlockDevice> FileSystem<D> {
    /// Reads from regular file `ino` at `offset` into `buf`; returns the bytes read (0 at or
    /// past the end). Holes read as zeros.
    pub fn read_at(&mut self, ino: Ino, offset: u64, buf: &mut [u8]) -> Result<usize> {
        self.check_ino(ino)?;
        let (inode, kind) = self.load(ino)?;
        check_regular(kind)?;
        self.read_content(&inode, offset, buf)
    }

    /// Reads the contents of `inode` at `offset` into `buf`, up to the end of the file.
    pub(crate) fn read_content(
        &mut self,
        inode: &DiskInode,
        offset: u64,
        buf: &mut [u8],
    ) -> Result<usize> {
        if offset >= inode.size {
            return Ok(0);
        }
        let len = (inode.size - offset).min(buf.len() as u64) as usize;
        let mut done = 0;
        while done < len {
            let position = offset + done as u64;
            let within = (position % BLOCK) as usize;
            let chunk = (BLOCK_SIZE - within).min(len - done);
            let out = &mut buf[done..done + chunk];
            match self.map(inode, position / BLOCK)? {
                None => out.fill(0),
                Some(block) => self.journal.read_with(block, |contents| {
                    out.copy_from_slice(&contents[within..within + chunk]);
                })?,
            }
            done += chunk;
        }
        Ok(len)
    }

    /// Writes `data` to regular file `ino` at `offset`, extending the file if the write
    /// ends past it (a gap before `offset` becomes a hole). Returns the bytes written,
    /// fewer than asked if the disk fills up or the file reaches [`MAX_FILE_SIZE`] after
    /// some bytes were written; `NoSpace`/`FileTooBig` if none could be.
    pub fn write_at(
        &mut self,
        ino: Ino,
        offset: u64,
        data: &[u8],
        now: Timestamp,
    ) -> Result<usize> {
        self.check_ino(ino)?;
        let (_, kind) = self.load(ino)?;
        check_regular(kind)?;
        if !now.is_valid() {
            return Err(FsError::Invalid);
        }
        if data.is_empty() {
            return Ok(0);
        }
        if offset >= MAX_FILE_SIZE {
            return Err(FsError::FileTooBig);
        }
        let len = (MAX_FILE_SIZE - offset).min(data.len() as u64) as usize;
        let mut written = 0;
        while written < len {
            let position = offset + written as u64;
            let chunk = (BLOCK_SIZE - (position % BLOCK) as usize).min(len - written);
            let bytes = &data[written..written + chunk];
            match self.step(STEP_BLOCKS, |fs| fs.write_block(ino, position, bytes, now)) {
                Ok(()) => written += chunk,
                Err(FsError::NoSpace) if written > 0 => break,
                Err(error) => return Err(error),
            }
        }
        self.journal.finish_op()?;
        Ok(written)
    }

    /// One step of a write: `bytes` (within one file block) at `position`.
    fn write_block(&mut self, ino: Ino, position: u64, bytes: &[u8], now: Timestamp) -> Result<()> {
        let (mut inode, _) = self.load(ino)?;
        let (block, new) = self.map_or_allocate(&mut inode, position / BLOCK)?;
        let contents = if new || bytes.len() == BLOCK_SIZE {
            self.journal.fresh_block(block)?
        } else {
            self.journal.block_mut(block)?
        };
        let within = (position % BLOCK) as usize;
        contents[within..within + bytes.len()].copy_from_slice(bytes);
        inode.size = inode.size.max(position + bytes.len() as u64);
        inode.touch(now);
        self.write_inode(ino, &inode)
    }

    /// Sets the size of regular file `ino`: shrinking frees the blocks past the new end,
    /// growing leaves a hole.
    pub fn truncate(&mut self, ino: Ino, size: u64, now: Timestamp) -> Result<()> {
        self.check_ino(ino)?;
        let (_, kind) = self.load(ino)?;
        check_regular(kind)?;
        if size > MAX_FILE_SIZE {
            return Err(FsError::FileTooBig);
        }
        if !now.is_valid() {
            return Err(FsError::Invalid);
        }
        while !self.step(STEP_BLOCKS, |fs| {
            let (mut inode, _) = fs.load(ino)?;
            let done = fs.resize(&mut inode, size)?;
            inode.touch(now);
            fs.write_inode(ino, &inode)?;
            Ok(done)
        })? {}
        self.journal.finish_op()
    }

    /// Frees orphan `ino` (no links left; see `unlink`): its blocks, its place on the orphan
    /// list and the inode itself. The kernel calls this when the last open file
    /// description of an unlinked file closes, or at once if it was not open.
    pub fn release(&mut self, ino: Ino) -> Result<()> {
        self.check_ino(ino)?;
        let (inode, _) = self.load(ino)?;
        if inode.nlink != 0 {
            return Err(FsError::Invalid);
        }
        while !self.step(STEP_BLOCKS, |fs| {
            let (mut inode, _) = fs.load(ino)?;
            if !fs.free_from(&mut inode, 0)? || !fs.journal.reserve_more(FINISH_BLOCKS) {
                fs.write_inode(ino, &inode)?;
                return Ok(false);
            }
            fs.remove_orphan(ino, &inode)?;
            fs.free_inode(ino)?;
            Ok(true)
        })? {}
        self.journal.finish_op()
    }

    /// Moves the end of `inode` to `size` as far as this step allows; returns whether it
    /// got there. The caller writes the inode back.
    fn resize(&mut self, inode: &mut DiskInode, size: u64) -> Result<bool> {
        if size >= inode.size {
            inode.size = size;
            return Ok(true);
        }
        if !self.free_from(inode, blocks_spanned(size))?
            || !self.journal.reserve_more(FINISH_BLOCKS)
        {
            return Ok(false);
        }
        let within = (size % BLOCK) as usize;
        if within != 0
            && let Some(block) = self.map(inode, size / BLOCK)?
        {
            self.journal.block_mut(block)?[within..].fill(0);
        }
        inode.size = size;
        Ok(true)
    }

    /// Unmaps the file blocks from `keep` on, last first, while the transaction has room;
    /// the size follows down so that it never covers an unmapped tail. Returns whether no
    /// block from `keep` on is left.
    pub(crate) fn free_from(&mut self, inode: &mut DiskInode, keep: u64) -> Result<bool> {
        let mut end = blocks_spanned(inode.size);
        while let Some(index) = self.last_mapped(inode, keep, end)? {
            if !self.journal.reserve_more(UNMAP_BLOCKS + FINISH_BLOCKS) {
                inode.size = inode.size.min(end * BLOCK);
                return Ok(false);
            }
            self.unmap(inode, index)?;
            end = index;
        }
        inode.size = inode.size.min(end * BLOCK);
        Ok(true)
    }
}

/// `IsDir` for a directory, `Invalid` for anything but a regular file.
fn check_regular(kind: FileKind) -> Result<()> {
    match kind {
        FileKind::Regular => Ok(()),
        FileKind::Directory => Err(FsError::IsDir),
        _ => Err(FsError::Invalid),
    }
}
