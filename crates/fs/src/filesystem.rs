//! Concept F2, the file system as a whole: mounting, the free-space counters, inode access,
//! the orphan list, and the operations that only read or set attributes. The namespace
//! operations are in `namespace`, file contents in `file`, block maps in `block_map` and
//! directories in `dir`.
//!
//! Invariants:
//! - Every change runs inside a journal step ([`FileSystem::step`]); an operation is one
//!   step, or a sequence of steps each of which leaves the file system consistent (large
//!   writes, truncates, releases). A step that fails is rolled back in memory, so an error
//!   never leaves half an operation behind.
//! - `free_blocks`/`free_inodes` count the clear bits of the bitmaps as the open
//!   transaction sees them.
//! - An inode with `nlink == 0` is on the orphan list (superblock `orphan_head`, then each
//!   inode's `next_orphan`) until [`FileSystem::release`] frees it; mount frees every orphan
//!   left by a crash, since after a reboot no one has them open.
//!
//! Locking: a `FileSystem` is a single-threaded object (`&mut self` everywhere). The kernel
//! puts the whole of it behind one sleep lock.

use crate::bitmap::Bitmap;
use crate::device::{BLOCK_SIZE, Block, BlockDevice};
use crate::dir::MAX_NAME_LEN;
use crate::error::{FsError, Result};
use crate::inode::{
    DiskInode, FileKind, INODE_SIZE, Ino, InodeStat, PERMISSION_BITS, ROOT, SetAttr, Timestamp,
};
use crate::journal::Journal;
use crate::layout::{Geometry, Superblock, SuperblockProblem};

/// Journal blocks a namespace operation (create, link, unlink, rename, ...) may add: two
/// directories' data, inode and indirect blocks, up to four inodes, three bitmap blocks and
/// the superblock fit easily.
pub(crate) const NAMESPACE_BLOCKS: usize = 16;
/// Journal blocks one unmapping of a file block may add: the leaf and root indirect blocks
/// and the bitmap blocks of the three blocks it may free.
pub(crate) const UNMAP_BLOCKS: usize = 5;
/// Journal blocks a step may add after its last block-map change: the inode, a partial last
/// block to zero, the orphan-list link and the inode bitmap.
pub(crate) const FINISH_BLOCKS: usize = 4;
/// Journal blocks one step of a write, truncate or release reserves up front. A write step
/// (one data block, two indirect blocks, their three bitmap blocks, the inode) needs 7.
pub(crate) const STEP_BLOCKS: usize = UNMAP_BLOCKS + FINISH_BLOCKS;

/// What mount found and did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MountReport {
    /// Sequence number of the committed transaction the journal replayed, if any.
    pub replayed: Option<u64>,
    /// Whether the file system had been unmounted cleanly.
    pub was_clean: bool,
    /// Orphans (unlinked inodes still open at a crash) freed at mount.
    pub orphans_freed: u32,
    /// Whether the orphan list was broken and had to be cut (fsck finds the rest).
    pub orphan_list_cut: bool,
    /// This mount's number (the superblock's mount count).
    pub mount_count: u32,
}

impl core::fmt::Display for MountReport {
    /// One line for the kernel log, for example `mount 7: not unmounted cleanly, replayed
    /// transaction 42, freed 2 orphans`.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "mount {}: ", self.mount_count)?;
        if self.was_clean {
            write!(f, "unmounted cleanly")?;
        } else {
            write!(f, "not unmounted cleanly")?;
        }
        if let Some(sequence) = self.replayed {
            write!(f, ", replayed transaction {sequence}")?;
        }
        if self.orphans_freed > 0 {
            write!(f, ", freed {} orphans", self.orphans_freed)?;
        }
        if self.orphan_list_cut {
            write!(f, ", cut a broken orphan list (run fsck)")?;
        }
        Ok(())
    }
}

/// Sizes and free space, for `statfs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FsStat {
    /// Block size in bytes.
    pub block_size: u32,
    /// Blocks of the data region.
    pub blocks: u64,
    /// Free blocks of the data region.
    pub free_blocks: u64,
    /// Inodes.
    pub inodes: u64,
    /// Free inodes.
    pub free_inodes: u64,
    /// Longest name a directory entry can hold.
    pub max_name_len: u32,
}

/// A mounted Lantern file system on a device `D`.
pub struct FileSystem<D: BlockDevice> {
    pub(crate) journal: Journal<D>,
    pub(crate) geometry: Geometry,
    pub(crate) inode_bitmap: Bitmap,
    pub(crate) block_bitmap: Bitmap,
    pub(crate) free_blocks: u64,
    pub(crate) free_inodes: u64,
    block_cursor: u64,
    inode_cursor: u64,
    report: MountReport,
}

/// Reads block 0 of `device` and checks it as a superblock.
pub(crate) fn read_superblock<D: BlockDevice + ?Sized>(
    device: &mut D,
) -> Result<core::result::Result<Superblock, SuperblockProblem>> {
    let mut block = crate::device::zeroed_block();
    device.read_block(0, &mut block)?;
    Ok(Superblock::decode(&block, device.block_count()))
}

impl<D: BlockDevice> FileSystem<D> {
    /// Mounts the file system on `device`: checks the superblock, replays a committed
    /// journal transaction, frees the orphans a crash left, and marks the file system as
    /// mounted (not clean) on disk.
    pub fn mount(mut device: D) -> Result<FileSystem<D>> {
        let superblock = read_superblock(&mut device)?.map_err(|_| FsError::Corrupt)?;
        let mut journal = Journal::new(device, superblock.geometry);
        let replayed = journal.replay()?;
        let mut fs = FileSystem::assemble(journal, superblock.geometry)?;
        let superblock = fs.superblock()?;
        fs.report = MountReport {
            replayed,
            was_clean: superblock.clean,
            orphans_freed: 0,
            orphan_list_cut: false,
            mount_count: superblock.mount_count.wrapping_add(1),
        };
        fs.free_orphans()?;
        fs.operation(1, |fs| {
            fs.update_superblock(|superblock| {
                superblock.clean = false;
                superblock.mount_count = superblock.mount_count.wrapping_add(1);
            })
        })?;
        fs.journal.sync()?;
        Ok(fs)
    }

    /// A file system over `journal` (already recovered, or overlaid for fsck), with its
    /// free counts read from the bitmaps.
    pub(crate) fn assemble(journal: Journal<D>, geometry: Geometry) -> Result<FileSystem<D>> {
        let mut fs = FileSystem {
            journal,
            geometry,
            inode_bitmap: Bitmap::new(geometry.inode_bitmap_start, u64::from(geometry.inode_count)),
            block_bitmap: Bitmap::new(geometry.block_bitmap_start, geometry.total_blocks),
            free_blocks: 0,
            free_inodes: 0,
            block_cursor: geometry.data_start,
            inode_cursor: 0,
            report: MountReport {
                replayed: None,
                was_clean: false,
                orphans_freed: 0,
                orphan_list_cut: false,
                mount_count: 0,
            },
        };
        fs.recount()?;
        Ok(fs)
    }

    /// Recounts the free blocks and inodes from the bitmaps.
    pub(crate) fn recount(&mut self) -> Result<()> {
        let used_inodes = self.inode_bitmap.count_set(&mut self.journal)?;
        let used_blocks = self.block_bitmap.count_set(&mut self.journal)?;
        self.free_blocks = self.geometry.total_blocks.saturating_sub(used_blocks);
        self.free_inodes = u64::from(self.geometry.inode_count).saturating_sub(used_inodes);
        Ok(())
    }

    /// Makes everything durable, marks the file system clean and gives the device back.
    pub fn unmount(mut self) -> Result<D> {
        self.operation(1, |fs| {
            fs.update_superblock(|superblock| superblock.clean = true)
        })?;
        self.journal.sync()?;
        Ok(self.journal.into_device())
    }

    /// What mount found and did.
    pub fn mount_report(&self) -> &MountReport {
        &self.report
    }

    /// Commits the open transaction and flushes the device: every operation that returned
    /// before the call survives a crash. `fsync` of any file is this call.
    pub fn sync(&mut self) -> Result<()> {
        self.journal.sync()
    }

    /// The root directory.
    pub fn root(&self) -> Ino {
        ROOT
    }

    /// Sizes and free space.
    pub fn statfs(&self) -> FsStat {
        FsStat {
            block_size: BLOCK_SIZE as u32,
            blocks: self.geometry.data_blocks(),
            free_blocks: self.free_blocks,
            inodes: u64::from(self.geometry.inode_count),
            free_inodes: self.free_inodes,
            max_name_len: MAX_NAME_LEN as u32,
        }
    }

    /// The attributes of inode `ino`.
    pub fn stat(&mut self, ino: Ino) -> Result<InodeStat> {
        self.check_ino(ino)?;
        let (inode, kind) = self.load(ino)?;
        Ok(inode.stat(ino, kind))
    }

    /// Changes the permission bits, owner, group or times of `ino`; the ctime becomes `now`.
    pub fn set_attr(&mut self, ino: Ino, changes: &SetAttr, now: Timestamp) -> Result<()> {
        self.check_ino(ino)?;
        let bad_time = [changes.atime, changes.mtime, Some(now)]
            .into_iter()
            .flatten()
            .any(|time| !time.is_valid());
        if bad_time
            || changes
                .mode
                .is_some_and(|mode| mode & !PERMISSION_BITS != 0)
        {
            return Err(FsError::Invalid);
        }
        self.operation(1, |fs| {
            let (mut inode, kind) = fs.load(ino)?;
            if let Some(mode) = changes.mode {
                inode.mode = kind.type_bits() | mode;
            }
            inode.uid = changes.uid.unwrap_or(inode.uid);
            inode.gid = changes.gid.unwrap_or(inode.gid);
            inode.atime = changes.atime.unwrap_or(inode.atime);
            inode.mtime = changes.mtime.unwrap_or(inode.mtime);
            inode.ctime = now;
            fs.write_inode(ino, &inode)
        })
    }

    /// Runs `body` as one journal step that adds at most `reserve` blocks (more only if it
    /// asks with `reserve_more`); on error the step's changes are undone.
    pub(crate) fn step<T>(
        &mut self,
        reserve: usize,
        body: impl FnOnce(&mut Self) -> Result<T>,
    ) -> Result<T> {
        self.journal.begin(reserve)?;
        let counts = (self.free_blocks, self.free_inodes);
        match body(self) {
            Ok(value) => {
                self.journal.accept();
                Ok(value)
            }
            Err(error) => {
                self.journal.rollback();
                (self.free_blocks, self.free_inodes) = counts;
                Err(error)
            }
        }
    }

    /// Runs `body` as a whole operation of one step, counted for group commit.
    pub(crate) fn operation<T>(
        &mut self,
        reserve: usize,
        body: impl FnOnce(&mut Self) -> Result<T>,
    ) -> Result<T> {
        let value = self.step(reserve, body)?;
        self.journal.finish_op()?;
        Ok(value)
    }

    /// `Invalid` unless `ino` is an inode number of this file system (for numbers that come
    /// from callers; numbers read from disk that are out of range are `Corrupt`).
    pub(crate) fn check_ino(&self, ino: Ino) -> Result<()> {
        if self.geometry.has_inode(ino) {
            Ok(())
        } else {
            Err(FsError::Invalid)
        }
    }

    /// The current superblock (through the open transaction).
    pub(crate) fn superblock(&mut self) -> Result<Superblock> {
        let total = self.geometry.total_blocks;
        let superblock = self
            .journal
            .read_with(0, |block| Superblock::decode(block, total))?
            .map_err(|_| FsError::Corrupt)?;
        if superblock.geometry == self.geometry {
            Ok(superblock)
        } else {
            Err(FsError::Corrupt)
        }
    }

    pub(crate) fn update_superblock(&mut self, change: impl FnOnce(&mut Superblock)) -> Result<()> {
        let mut superblock = self.superblock()?;
        change(&mut superblock);
        superblock.encode(self.journal.block_mut(0)?);
        Ok(())
    }

    /// The record of inode `ino`, used or free.
    pub(crate) fn read_inode(&mut self, ino: Ino) -> Result<DiskInode> {
        if !self.geometry.has_inode(ino) {
            return Err(FsError::Corrupt);
        }
        let (block, offset) = self.geometry.inode_location(ino);
        self.journal.read_with(block, |table| {
            DiskInode::decode(&table[offset..offset + INODE_SIZE])
        })
    }

    pub(crate) fn write_inode(&mut self, ino: Ino, inode: &DiskInode) -> Result<()> {
        if !self.geometry.has_inode(ino) {
            return Err(FsError::Corrupt);
        }
        let (block, offset) = self.geometry.inode_location(ino);
        let table: &mut Block = self.journal.block_mut(block)?;
        inode.encode(&mut table[offset..offset + INODE_SIZE]);
        Ok(())
    }

    /// A used inode and its kind: `NotFound` if it is free (deleted), `Corrupt` if its type
    /// bits are garbage.
    pub(crate) fn load(&mut self, ino: Ino) -> Result<(DiskInode, FileKind)> {
        let inode = self.read_inode(ino)?;
        if inode.is_free() {
            return Err(FsError::NotFound);
        }
        let kind = inode.kind().ok_or(FsError::Corrupt)?;
        Ok((inode, kind))
    }

    /// A used directory inode: `NotDir` if `ino` is something else.
    pub(crate) fn load_dir(&mut self, ino: Ino) -> Result<DiskInode> {
        let (inode, kind) = self.load(ino)?;
        if kind == FileKind::Directory {
            Ok(inode)
        } else {
            Err(FsError::NotDir)
        }
    }

    /// Allocates a data block (its contents are whatever the caller writes).
    pub(crate) fn allocate_block(&mut self) -> Result<u64> {
        let range = self.geometry.data_start..self.geometry.total_blocks;
        let block = self
            .block_bitmap
            .allocate(&mut self.journal, range, self.block_cursor)?
            .ok_or(FsError::NoSpace)?;
        self.block_cursor = block + 1;
        self.free_blocks = self.free_blocks.saturating_sub(1);
        Ok(block)
    }

    /// Frees a data block; `Corrupt` if it was not in use (a double free).
    pub(crate) fn free_block(&mut self, block: u64) -> Result<()> {
        if !self.geometry.is_data_block(block)
            || !self.block_bitmap.set(&mut self.journal, block, false)?
        {
            return Err(FsError::Corrupt);
        }
        self.free_blocks += 1;
        Ok(())
    }

    /// Allocates an inode number; the caller writes its record.
    pub(crate) fn allocate_inode(&mut self) -> Result<Ino> {
        let range = 0..u64::from(self.geometry.inode_count);
        let bit = self
            .inode_bitmap
            .allocate(&mut self.journal, range, self.inode_cursor)?
            .ok_or(FsError::NoSpace)?;
        self.inode_cursor = bit + 1;
        self.free_inodes = self.free_inodes.saturating_sub(1);
        let ino = Ino(bit as u32 + 1);
        if self.read_inode(ino)?.is_free() {
            Ok(ino)
        } else {
            Err(FsError::Corrupt)
        }
    }

    /// Frees inode `ino`: zeroes its record and clears its bitmap bit.
    pub(crate) fn free_inode(&mut self, ino: Ino) -> Result<()> {
        self.write_inode(ino, &DiskInode::default())?;
        if !self
            .inode_bitmap
            .set(&mut self.journal, u64::from(ino.0 - 1), false)?
        {
            return Err(FsError::Corrupt);
        }
        self.free_inodes += 1;
        Ok(())
    }

    /// Puts `ino` (whose last link is gone) at the head of the orphan list.
    pub(crate) fn add_orphan(&mut self, ino: Ino, inode: &mut DiskInode) -> Result<()> {
        inode.next_orphan = self.superblock()?.orphan_head;
        self.update_superblock(|superblock| superblock.orphan_head = ino.0)
    }

    /// Takes `ino` off the orphan list.
    pub(crate) fn remove_orphan(&mut self, ino: Ino, inode: &DiskInode) -> Result<()> {
        let head = self.superblock()?.orphan_head;
        if head == ino.0 {
            return self.update_superblock(|superblock| superblock.orphan_head = inode.next_orphan);
        }
        let mut current = head;
        for _ in 0..self.geometry.inode_count {
            if current == 0 {
                break;
            }
            let mut orphan = self.read_inode(Ino(current))?;
            if orphan.next_orphan == ino.0 {
                orphan.next_orphan = inode.next_orphan;
                return self.write_inode(Ino(current), &orphan);
            }
            current = orphan.next_orphan;
        }
        Err(FsError::Corrupt)
    }

    /// Frees every inode on the orphan list (mount: no one can have them open). A list that
    /// leads to an inode that is not an orphan is cut there.
    fn free_orphans(&mut self) -> Result<()> {
        loop {
            let head = Ino(self.superblock()?.orphan_head);
            if head.0 == 0 {
                return Ok(());
            }
            let is_orphan = self.geometry.has_inode(head) && {
                let inode = self.read_inode(head)?;
                !inode.is_free() && inode.kind().is_some() && inode.nlink == 0
            };
            if !is_orphan || self.report.orphans_freed >= self.geometry.inode_count {
                self.report.orphan_list_cut = true;
                return self.operation(1, |fs| {
                    fs.update_superblock(|superblock| superblock.orphan_head = 0)
                });
            }
            self.release(head)?;
            self.report.orphans_freed += 1;
        }
    }
}
