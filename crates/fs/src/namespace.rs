//! Concept F2, the namespace: creating, linking, unlinking and renaming names, the hard-link
//! counts that go with them, and symbolic links.
//!
//! Every operation here is one journal step (at most [`NAMESPACE_BLOCKS`] blocks), so it
//! happens entirely or not at all, even across a crash.
//!
//! Invariants:
//! - `nlink` of an inode is the number of directory entries naming it, where a directory's
//!   own `.` and each subdirectory's `..` count: a directory has `2 + subdirectories` links.
//! - An inode whose last link goes is not freed here: it joins the orphan list and the
//!   caller learns its number, so the kernel can keep it while it is open and call
//!   [`FileSystem::release`] at the last close.
//! - A directory is never moved into its own subtree, so the tree stays a tree.
//!
//! Error precedence follows Linux: the directory is checked (`ENOTDIR`), then the name
//! (`ENAMETOOLONG`, `EINVAL`), then existence (`ENOENT`, `EEXIST`), then space (`ENOSPC`).

use alloc::vec;
use alloc::vec::Vec;

use abi::fs::{RENAME_EXCHANGE, RENAME_NOREPLACE};

use crate::device::{BLOCK_SIZE, BlockDevice};
use crate::dir::{check_name, init_first, is_dot_or_dotdot};
use crate::error::{FsError, Result};
use crate::filesystem::{FileSystem, NAMESPACE_BLOCKS};
use crate::inode::{DiskInode, FileKind, Ino, MAX_LINKS, Owner, ROOT, Timestamp};

/// Longest symbolic-link target in bytes (`PATH_MAX` less the NUL).
pub const MAX_SYMLINK_LEN: usize = BLOCK_SIZE - 1;

/// What a new inode starts with besides its attributes.
enum Contents<'a> {
    Nothing,
    /// A directory: `.` and `..`.
    Directory,
    /// A symbolic link's target.
    Target(&'a [u8]),
}

/// The two names of a rename.
struct Move<'a> {
    old_dir: Ino,
    old_name: &'a [u8],
    new_dir: Ino,
    new_name: &'a [u8],
}

impl<D: BlockDevice> FileSystem<D> {
    /// The inode named `name` in directory `dir` (`.` and `..` included).
    pub fn lookup(&mut self, dir: Ino, name: &[u8]) -> Result<Ino> {
        self.check_ino(dir)?;
        let parent = self.load_dir(dir)?;
        check_name(name)?;
        self.dir_lookup(&parent, name)?
            .map(|found| found.ino)
            .ok_or(FsError::NotFound)
    }

    /// Creates an empty regular file `name` in `dir` with permission bits `mode`
    /// (`open` with `O_CREAT`).
    pub fn create(
        &mut self,
        dir: Ino,
        name: &[u8],
        mode: u32,
        owner: Owner,
        now: Timestamp,
    ) -> Result<Ino> {
        let inode = DiskInode::new(FileKind::Regular, mode, owner, 0, now);
        self.make_node(dir, name, inode, Contents::Nothing)
    }

    /// Creates a node of the type in `mode`'s file-type bits: a regular file, FIFO, socket,
    /// or character or block device numbered `rdev` (`mknod`). Directories and symbolic
    /// links have their own calls (`Invalid` here).
    pub fn mknod(
        &mut self,
        dir: Ino,
        name: &[u8],
        mode: u32,
        rdev: u32,
        owner: Owner,
        now: Timestamp,
    ) -> Result<Ino> {
        let kind = FileKind::from_mode(mode).ok_or(FsError::Invalid)?;
        let rdev = match kind {
            FileKind::Regular | FileKind::Fifo | FileKind::Socket => 0,
            FileKind::CharDevice | FileKind::BlockDevice => rdev,
            FileKind::Directory | FileKind::Symlink => return Err(FsError::Invalid),
        };
        let inode = DiskInode::new(kind, mode, owner, rdev, now);
        self.make_node(dir, name, inode, Contents::Nothing)
    }

    /// Creates an empty directory `name` in `dir`.
    pub fn mkdir(
        &mut self,
        dir: Ino,
        name: &[u8],
        mode: u32,
        owner: Owner,
        now: Timestamp,
    ) -> Result<Ino> {
        let inode = DiskInode::new(FileKind::Directory, mode, owner, 0, now);
        self.make_node(dir, name, inode, Contents::Directory)
    }

    /// Creates a symbolic link `name` in `dir` pointing to `target` (1..=4095 bytes; the
    /// target is stored, never interpreted here).
    pub fn symlink(
        &mut self,
        dir: Ino,
        name: &[u8],
        target: &[u8],
        owner: Owner,
        now: Timestamp,
    ) -> Result<Ino> {
        if target.is_empty() {
            return Err(FsError::NotFound);
        }
        if target.len() > MAX_SYMLINK_LEN {
            return Err(FsError::NameTooLong);
        }
        let inode = DiskInode::new(FileKind::Symlink, 0o777, owner, 0, now);
        self.make_node(dir, name, inode, Contents::Target(target))
    }

    /// The target of symbolic link `ino`.
    pub fn readlink(&mut self, ino: Ino) -> Result<Vec<u8>> {
        self.check_ino(ino)?;
        let (inode, kind) = self.load(ino)?;
        if kind != FileKind::Symlink || inode.size > MAX_SYMLINK_LEN as u64 {
            return Err(FsError::Invalid);
        }
        let mut target = vec![0; inode.size as usize];
        self.read_content(&inode, 0, &mut target)?;
        Ok(target)
    }

    fn make_node(
        &mut self,
        dir: Ino,
        name: &[u8],
        mut inode: DiskInode,
        contents: Contents<'_>,
    ) -> Result<Ino> {
        self.check_ino(dir)?;
        let now = inode.ctime;
        self.operation(NAMESPACE_BLOCKS, |fs| {
            let parent = fs.load_dir(dir)?;
            check_name(name)?;
            if parent.nlink == 0 {
                return Err(FsError::NotFound);
            }
            if is_dot_or_dotdot(name) || fs.dir_lookup(&parent, name)?.is_some() {
                return Err(FsError::Exists);
            }
            let kind = inode.kind().ok_or(FsError::Invalid)?;
            let ino = fs.allocate_inode()?;
            inode.nlink = 1;
            match contents {
                Contents::Nothing => {}
                Contents::Directory => {
                    fs.adjust_links(dir, 1)?;
                    inode.nlink = 2;
                    let (block, _) = fs.map_or_allocate(&mut inode, 0)?;
                    init_first(fs.journal.fresh_block(block)?, ino, dir);
                    inode.size = BLOCK_SIZE as u64;
                }
                Contents::Target(target) => {
                    let (block, _) = fs.map_or_allocate(&mut inode, 0)?;
                    fs.journal.fresh_block(block)?[..target.len()].copy_from_slice(target);
                    inode.size = target.len() as u64;
                }
            }
            fs.write_inode(ino, &inode)?;
            fs.dir_insert(dir, name, ino, kind, now)?;
            Ok(ino)
        })
    }

    /// Adds `delta` to the link count of directory `dir` (a subdirectory's `..` came or
    /// went); `TooManyLinks` past [`MAX_LINKS`].
    pub(crate) fn adjust_links(&mut self, dir: Ino, delta: i32) -> Result<()> {
        if delta == 0 {
            return Ok(());
        }
        let (mut inode, _) = self.load(dir)?;
        let nlink = inode
            .nlink
            .checked_add_signed(delta)
            .ok_or(FsError::Corrupt)?;
        if delta > 0 && nlink > MAX_LINKS {
            return Err(FsError::TooManyLinks);
        }
        inode.nlink = nlink;
        self.write_inode(dir, &inode)
    }

    /// Removes one link of `ino` (all of a directory's, whose `.` goes with its entry); if
    /// none is left the inode becomes an orphan and its number is returned.
    fn drop_link(
        &mut self,
        ino: Ino,
        inode: &mut DiskInode,
        now: Timestamp,
    ) -> Result<Option<Ino>> {
        inode.nlink = if inode.is_dir() {
            0
        } else {
            inode.nlink.checked_sub(1).ok_or(FsError::Corrupt)?
        };
        inode.ctime = now;
        let orphaned = if inode.nlink == 0 {
            self.add_orphan(ino, inode)?;
            Some(ino)
        } else {
            None
        };
        self.write_inode(ino, inode)?;
        Ok(orphaned)
    }

    /// Adds the name `name` in `dir` for inode `ino` (a hard link).
    pub fn link(&mut self, ino: Ino, dir: Ino, name: &[u8], now: Timestamp) -> Result<()> {
        self.check_ino(ino)?;
        self.check_ino(dir)?;
        self.operation(NAMESPACE_BLOCKS, |fs| {
            let parent = fs.load_dir(dir)?;
            check_name(name)?;
            let (mut inode, kind) = fs.load(ino)?;
            if kind == FileKind::Directory {
                return Err(FsError::NotPermitted);
            }
            if inode.nlink == 0 || parent.nlink == 0 {
                return Err(FsError::NotFound);
            }
            if is_dot_or_dotdot(name) || fs.dir_lookup(&parent, name)?.is_some() {
                return Err(FsError::Exists);
            }
            if inode.nlink >= MAX_LINKS {
                return Err(FsError::TooManyLinks);
            }
            fs.dir_insert(dir, name, ino, kind, now)?;
            inode.nlink += 1;
            inode.ctime = now;
            fs.write_inode(ino, &inode)
        })
    }

    /// Removes the name `name` (not a directory) from `dir`. Returns the inode's number if
    /// that was its last link: it is now an orphan, to be freed with
    /// [`FileSystem::release`] once no one has it open.
    pub fn unlink(&mut self, dir: Ino, name: &[u8], now: Timestamp) -> Result<Option<Ino>> {
        self.check_ino(dir)?;
        self.operation(NAMESPACE_BLOCKS, |fs| {
            let parent = fs.load_dir(dir)?;
            check_name(name)?;
            if is_dot_or_dotdot(name) {
                return Err(FsError::IsDir);
            }
            let found = fs.dir_lookup(&parent, name)?.ok_or(FsError::NotFound)?;
            let (mut inode, kind) = fs.load(found.ino)?;
            if kind == FileKind::Directory {
                return Err(FsError::IsDir);
            }
            fs.dir_remove(dir, found.slot, now)?;
            fs.drop_link(found.ino, &mut inode, now)
        })
    }

    /// Removes the empty directory `name` from `dir`. Returns its number: it is now an
    /// orphan, to be freed with [`FileSystem::release`] once no one uses it.
    pub fn rmdir(&mut self, dir: Ino, name: &[u8], now: Timestamp) -> Result<Ino> {
        self.check_ino(dir)?;
        self.operation(NAMESPACE_BLOCKS, |fs| {
            let parent = fs.load_dir(dir)?;
            check_name(name)?;
            match name {
                b"." => return Err(FsError::Invalid),
                b".." => return Err(FsError::NotEmpty),
                _ => {}
            }
            let found = fs.dir_lookup(&parent, name)?.ok_or(FsError::NotFound)?;
            let (mut inode, kind) = fs.load(found.ino)?;
            if kind != FileKind::Directory {
                return Err(FsError::NotDir);
            }
            if !fs.dir_is_empty(&inode)? {
                return Err(FsError::NotEmpty);
            }
            fs.dir_remove(dir, found.slot, now)?;
            fs.drop_link(found.ino, &mut inode, now)?;
            fs.adjust_links(dir, -1)?;
            Ok(found.ino)
        })
    }

    /// Renames `old_dir/old_name` to `new_dir/new_name` (`renameat2`). `flags` may hold
    /// `RENAME_NOREPLACE` (fail with `Exists` if the new name exists) or `RENAME_EXCHANGE`
    /// (swap the two names, both must exist). Without flags an existing new name is
    /// replaced: a file by a non-directory, an empty directory by a directory. Returns the
    /// replaced inode if it lost its last link (an orphan, see [`FileSystem::unlink`]).
    pub fn rename(
        &mut self,
        old_dir: Ino,
        old_name: &[u8],
        new_dir: Ino,
        new_name: &[u8],
        flags: u32,
        now: Timestamp,
    ) -> Result<Option<Ino>> {
        self.check_ino(old_dir)?;
        self.check_ino(new_dir)?;
        let exchange = flags & RENAME_EXCHANGE != 0;
        let no_replace = flags & RENAME_NOREPLACE != 0;
        if flags & !(RENAME_EXCHANGE | RENAME_NOREPLACE) != 0 || (exchange && no_replace) {
            return Err(FsError::Invalid);
        }
        let names = Move {
            old_dir,
            old_name,
            new_dir,
            new_name,
        };
        self.operation(NAMESPACE_BLOCKS, |fs| {
            fs.rename_in_step(&names, exchange, no_replace, now)
        })
    }

    fn rename_in_step(
        &mut self,
        names: &Move<'_>,
        exchange: bool,
        no_replace: bool,
        now: Timestamp,
    ) -> Result<Option<Ino>> {
        let Move {
            old_dir,
            old_name,
            new_dir,
            new_name,
        } = *names;
        let old_parent = self.load_dir(old_dir)?;
        let new_parent = self.load_dir(new_dir)?;
        check_name(old_name)?;
        check_name(new_name)?;
        if is_dot_or_dotdot(old_name) || is_dot_or_dotdot(new_name) {
            return Err(FsError::Busy);
        }
        let source = self
            .dir_lookup(&old_parent, old_name)?
            .ok_or(FsError::NotFound)?;
        if new_parent.nlink == 0 {
            return Err(FsError::NotFound);
        }
        let target = self.dir_lookup(&new_parent, new_name)?;
        match target {
            None if exchange => return Err(FsError::NotFound),
            Some(_) if no_replace => return Err(FsError::Exists),
            Some(target) if target.ino == source.ino => return Ok(None),
            _ => {}
        }
        let (_, source_kind) = self.load(source.ino)?;
        let source_is_dir = source_kind == FileKind::Directory;
        let moves_dir = old_dir != new_dir;
        if source_is_dir && moves_dir {
            self.check_not_inside(new_dir, source.ino)?;
        }
        // Links each parent gains or loses as `..` entries come, go or change directory.
        let (mut old_dir_links, mut new_dir_links) = (0, 0);
        if source_is_dir && moves_dir {
            old_dir_links -= 1;
            new_dir_links += 1;
        }
        let mut orphaned = None;
        match target {
            Some(target) if exchange => {
                let (_, target_kind) = self.load(target.ino)?;
                if target_kind == FileKind::Directory && moves_dir {
                    self.check_not_inside(old_dir, target.ino)?;
                    old_dir_links += 1;
                    new_dir_links -= 1;
                    self.set_parent(target.ino, old_dir, now)?;
                }
                self.dir_retarget(old_dir, source.slot, target.ino, target_kind, now)?;
                self.dir_retarget(new_dir, target.slot, source.ino, source_kind, now)?;
                self.set_ctime(target.ino, now)?;
            }
            Some(target) => {
                let (mut target_inode, target_kind) = self.load(target.ino)?;
                let target_is_dir = target_kind == FileKind::Directory;
                if source_is_dir && !target_is_dir {
                    return Err(FsError::NotDir);
                }
                if !source_is_dir && target_is_dir {
                    return Err(FsError::IsDir);
                }
                if target_is_dir {
                    if !self.dir_is_empty(&target_inode)? {
                        return Err(FsError::NotEmpty);
                    }
                    new_dir_links -= 1;
                }
                self.dir_retarget(new_dir, target.slot, source.ino, source_kind, now)?;
                orphaned = self.drop_link(target.ino, &mut target_inode, now)?;
                self.dir_remove(old_dir, source.slot, now)?;
            }
            None => {
                self.dir_insert(new_dir, new_name, source.ino, source_kind, now)?;
                self.dir_remove(old_dir, source.slot, now)?;
            }
        }
        if source_is_dir && moves_dir {
            self.set_parent(source.ino, new_dir, now)?;
        }
        self.adjust_links(old_dir, old_dir_links)?;
        self.adjust_links(new_dir, new_dir_links)?;
        self.set_ctime(source.ino, now)?;
        Ok(orphaned)
    }

    fn set_ctime(&mut self, ino: Ino, now: Timestamp) -> Result<()> {
        let (mut inode, _) = self.load(ino)?;
        inode.ctime = now;
        self.write_inode(ino, &inode)
    }

    /// Points the `..` of directory `dir` to `parent`.
    pub(crate) fn set_parent(&mut self, dir: Ino, parent: Ino, now: Timestamp) -> Result<()> {
        let inode = self.load_dir(dir)?;
        let dotdot = self.dir_lookup(&inode, b"..")?.ok_or(FsError::Corrupt)?;
        self.dir_retarget(dir, dotdot.slot, parent, FileKind::Directory, now)
    }

    /// `Invalid` if directory `dir` is `ancestor` or lies below it (walking up `..`).
    fn check_not_inside(&mut self, dir: Ino, ancestor: Ino) -> Result<()> {
        let mut current = dir;
        for _ in 0..=self.geometry.inode_count {
            if current == ancestor {
                return Err(FsError::Invalid);
            }
            if current == ROOT {
                return Ok(());
            }
            let inode = self.load_dir(current)?;
            current = self.dir_lookup(&inode, b"..")?.ok_or(FsError::Corrupt)?.ino;
        }
        Err(FsError::Corrupt)
    }
}
