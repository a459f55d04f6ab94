//! An in-memory file system (concepts F2, F4): the root file system while Lantern boots
//! from its initrd, and the model the disk file system is measured against.
//!
//! All nodes of one file system live in a single table under one lock (`ramfs`), so every
//! operation — including a rename between two directories — is atomic without lock-order
//! games. Each inode number has at most one live [`RamInode`] handle (a weak cache), so a
//! node whose last name is gone is freed exactly when its last handle (an open file, a
//! working directory) is dropped: an unlinked file stays usable while open.

use super::{DirEntry, FileType, Inode, Metadata, NAME_MAX, SetAttr, Timestamp};
use abi::errno::Errno;
use abi::fs::{RENAME_EXCHANGE, RENAME_NOREPLACE};
use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};
use hal::sync::SpinLock;

/// Largest file a ramfs holds (it lives in kernel memory).
const MAX_FILE_SIZE: u64 = 64 << 20;

/// A file's bytes, page by page; missing pages are holes (read as zeros).
#[derive(Default)]
struct FileData {
    size: u64,
    pages: BTreeMap<u64, Box<[u8]>>,
}

const PAGE: usize = 4096;
/// Frames the RAM file system leaves free (16 MiB) for processes and the kernel.
const RESERVED_FRAMES: usize = 4096;

impl FileData {
    fn read(&self, offset: u64, buf: &mut [u8]) -> usize {
        let end = self.size.min(offset.saturating_add(buf.len() as u64));
        let mut at = offset;
        while at < end {
            let (page, within) = (at / PAGE as u64, (at % PAGE as u64) as usize);
            let len = (PAGE - within).min((end - at) as usize);
            let out = &mut buf[(at - offset) as usize..][..len];
            match self.pages.get(&page) {
                Some(bytes) => out.copy_from_slice(&bytes[within..within + len]),
                None => out.fill(0),
            }
            at += len as u64;
        }
        end.saturating_sub(offset) as usize
    }

    /// Writes `data` at `offset`; `ENOSPC` when memory for a new page runs short (the RAM
    /// file system keeps [`RESERVED_FRAMES`] free for everything else).
    fn write(&mut self, offset: u64, data: &[u8]) -> Result<(), Errno> {
        let mut at = offset;
        for chunk in data.chunks(PAGE) {
            let mut rest = chunk;
            while !rest.is_empty() {
                let (page, within) = (at / PAGE as u64, (at % PAGE as u64) as usize);
                let len = (PAGE - within).min(rest.len());
                let bytes = match self.pages.entry(page) {
                    alloc::collections::btree_map::Entry::Occupied(entry) => entry.into_mut(),
                    alloc::collections::btree_map::Entry::Vacant(entry) => {
                        if hal::mem::frame_stats().free_frames < RESERVED_FRAMES {
                            return Err(Errno::ENOSPC);
                        }
                        let mut fresh = Vec::new();
                        fresh.try_reserve_exact(PAGE).map_err(|_| Errno::ENOSPC)?;
                        fresh.resize(PAGE, 0);
                        entry.insert(fresh.into_boxed_slice())
                    }
                };
                bytes[within..within + len].copy_from_slice(&rest[..len]);
                rest = &rest[len..];
                at += len as u64;
            }
        }
        self.size = self.size.max(at);
        Ok(())
    }

    fn truncate(&mut self, size: u64) {
        let keep = size.div_ceil(PAGE as u64);
        self.pages.retain(|&page, _| page < keep);
        if let Some(last) = self.pages.get_mut(&(size / PAGE as u64)) {
            last[(size % PAGE as u64) as usize..].fill(0);
        }
        self.size = size;
    }
}

enum Content {
    File(FileData),
    Dir(BTreeMap<String, u64>),
    Symlink(String),
    Device,
}

struct Node {
    kind: FileType,
    perm: u32,
    uid: u32,
    gid: u32,
    nlink: u32,
    rdev: u64,
    parent: u64,
    atime: Timestamp,
    mtime: Timestamp,
    ctime: Timestamp,
    content: Content,
}

struct State {
    nodes: BTreeMap<u64, Node>,
    handles: BTreeMap<u64, Weak<RamInode>>,
    next_ino: u64,
}

/// One in-memory file system.
pub struct RamFs {
    dev: u64,
    state: SpinLock<State>,
}

/// A handle on one node of a [`RamFs`].
pub struct RamInode {
    fs: Arc<RamFs>,
    ino: u64,
}

static NEXT_DEV: AtomicU64 = AtomicU64::new(1);
const ROOT_INO: u64 = 1;

impl RamFs {
    /// A new file system with an empty root directory (mode 0755, owned by root).
    pub fn new() -> Arc<RamFs> {
        let now = Timestamp::now();
        let mut nodes = BTreeMap::new();
        nodes.insert(
            ROOT_INO,
            Node {
                kind: FileType::Directory,
                perm: 0o755,
                uid: 0,
                gid: 0,
                nlink: 2,
                rdev: 0,
                parent: ROOT_INO,
                atime: now,
                mtime: now,
                ctime: now,
                content: Content::Dir(BTreeMap::new()),
            },
        );
        Arc::new(RamFs {
            dev: NEXT_DEV.fetch_add(1, Ordering::Relaxed),
            state: SpinLock::new(
                "ramfs",
                State {
                    nodes,
                    handles: BTreeMap::new(),
                    next_ino: ROOT_INO + 1,
                },
            ),
        })
    }

    /// The root directory.
    pub fn root(self: &Arc<RamFs>) -> Arc<dyn Inode> {
        let mut state = self.state.lock();
        self.handle(&mut state, ROOT_INO)
    }

    fn handle(self: &Arc<RamFs>, state: &mut State, ino: u64) -> Arc<dyn Inode> {
        if let Some(existing) = state.handles.get(&ino).and_then(Weak::upgrade) {
            return existing;
        }
        let handle = Arc::new(RamInode {
            fs: self.clone(),
            ino,
        });
        state.handles.insert(ino, Arc::downgrade(&handle));
        handle
    }
}

impl Drop for RamInode {
    fn drop(&mut self) {
        let mut state = self.fs.state.lock();
        if state
            .handles
            .get(&self.ino)
            .is_some_and(|w| w.strong_count() == 0)
        {
            state.handles.remove(&self.ino);
        }
        if state.nodes.get(&self.ino).is_some_and(|n| n.nlink == 0) {
            state.nodes.remove(&self.ino);
        }
    }
}

fn check_name(name: &str) -> Result<(), Errno> {
    if name.is_empty() || name == "." || name == ".." {
        return Err(Errno::EEXIST);
    }
    if name.len() > NAME_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    Ok(())
}

impl State {
    fn node(&self, ino: u64) -> Result<&Node, Errno> {
        self.nodes.get(&ino).ok_or(Errno::ENOENT)
    }
    fn node_mut(&mut self, ino: u64) -> Result<&mut Node, Errno> {
        self.nodes.get_mut(&ino).ok_or(Errno::ENOENT)
    }
    fn entries(&self, dir: u64) -> Result<&BTreeMap<String, u64>, Errno> {
        match &self.node(dir)?.content {
            Content::Dir(entries) => Ok(entries),
            _ => Err(Errno::ENOTDIR),
        }
    }
    fn entries_mut(&mut self, dir: u64) -> Result<&mut BTreeMap<String, u64>, Errno> {
        match &mut self.node_mut(dir)?.content {
            Content::Dir(entries) => Ok(entries),
            _ => Err(Errno::ENOTDIR),
        }
    }
    fn is_empty_dir(&self, ino: u64) -> Result<bool, Errno> {
        Ok(self.entries(ino)?.is_empty())
    }
    /// Whether `ancestor` is `ino` or one of its ancestors.
    fn is_ancestor(&self, ancestor: u64, mut ino: u64) -> bool {
        loop {
            if ino == ancestor {
                return true;
            }
            match self.nodes.get(&ino) {
                Some(node) if node.parent != ino => ino = node.parent,
                _ => return false,
            }
        }
    }
    fn touch(&mut self, ino: u64) {
        let now = Timestamp::now();
        if let Ok(node) = self.node_mut(ino) {
            node.mtime = now;
            node.ctime = now;
        }
    }
    /// Drops one link of `ino` (a directory loses its `.` link too).
    fn drop_link(&mut self, ino: u64, handle_alive: bool) {
        let Ok(node) = self.node_mut(ino) else { return };
        node.nlink = node
            .nlink
            .saturating_sub(if node.kind == FileType::Directory {
                2
            } else {
                1
            });
        node.ctime = Timestamp::now();
        if node.nlink == 0 && !handle_alive {
            self.nodes.remove(&ino);
        }
    }
}

impl RamInode {
    fn other<'a>(&self, inode: &'a Arc<dyn Inode>) -> Result<&'a RamInode, Errno> {
        super::downcast_same_fs(inode, |other: &RamInode| Arc::ptr_eq(&other.fs, &self.fs))
    }
}

impl Inode for RamInode {
    fn metadata(&self) -> Result<Metadata, Errno> {
        let state = self.fs.state.lock();
        let node = state.node(self.ino)?;
        let blocks = match &node.content {
            Content::File(data) => data.pages.len() as u64 * (PAGE as u64 / 512),
            _ => 0,
        };
        let size = match &node.content {
            Content::File(data) => data.size,
            Content::Dir(entries) => (entries.len() as u64 + 2) * 32,
            Content::Symlink(target) => target.len() as u64,
            Content::Device => 0,
        };
        Ok(Metadata {
            dev: self.fs.dev,
            ino: self.ino,
            kind: node.kind,
            perm: node.perm,
            nlink: node.nlink,
            uid: node.uid,
            gid: node.gid,
            rdev: node.rdev,
            size,
            blocks: if blocks > 0 {
                blocks
            } else {
                size.div_ceil(512)
            },
            atime: node.atime,
            mtime: node.mtime,
            ctime: node.ctime,
        })
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        let state = self.fs.state.lock();
        match &state.node(self.ino)?.content {
            Content::File(data) => Ok(data.read(offset, buf)),
            Content::Dir(_) => Err(Errno::EISDIR),
            _ => Err(Errno::EINVAL),
        }
    }

    fn write_at(&self, offset: u64, bytes: &[u8]) -> Result<usize, Errno> {
        let end = offset.checked_add(bytes.len() as u64).ok_or(Errno::EFBIG)?;
        if end > MAX_FILE_SIZE {
            return Err(Errno::EFBIG);
        }
        let mut state = self.fs.state.lock();
        let Content::File(data) = &mut state.node_mut(self.ino)?.content else {
            return Err(Errno::EISDIR);
        };
        let written = data.write(offset, bytes);
        state.touch(self.ino);
        written?;
        Ok(bytes.len())
    }

    fn truncate(&self, size: u64) -> Result<(), Errno> {
        if size > MAX_FILE_SIZE {
            return Err(Errno::EFBIG);
        }
        let mut state = self.fs.state.lock();
        let Content::File(data) = &mut state.node_mut(self.ino)?.content else {
            return Err(Errno::EISDIR);
        };
        data.truncate(size);
        state.touch(self.ino);
        Ok(())
    }

    fn set_attr(&self, attr: SetAttr) -> Result<(), Errno> {
        let mut state = self.fs.state.lock();
        let node = state.node_mut(self.ino)?;
        if let Some(perm) = attr.perm {
            node.perm = perm & 0o7777;
        }
        node.uid = attr.uid.unwrap_or(node.uid);
        node.gid = attr.gid.unwrap_or(node.gid);
        node.atime = attr.atime.unwrap_or(node.atime);
        node.mtime = attr.mtime.unwrap_or(node.mtime);
        node.ctime = Timestamp::now();
        Ok(())
    }

    fn lookup(&self, name: &str) -> Result<Arc<dyn Inode>, Errno> {
        let mut state = self.fs.state.lock();
        let ino = match name {
            "." => self.ino,
            ".." => {
                state.entries(self.ino)?;
                state.node(self.ino)?.parent
            }
            _ => *state.entries(self.ino)?.get(name).ok_or(Errno::ENOENT)?,
        };
        Ok(self.fs.handle(&mut state, ino))
    }

    fn create(
        &self,
        name: &str,
        kind: FileType,
        perm: u32,
        uid: u32,
        gid: u32,
    ) -> Result<Arc<dyn Inode>, Errno> {
        check_name(name)?;
        let mut state = self.fs.state.lock();
        if state.entries(self.ino)?.contains_key(name) {
            return Err(Errno::EEXIST);
        }
        if state.node(self.ino)?.nlink == 0 {
            return Err(Errno::ENOENT);
        }
        let ino = state.next_ino;
        state.next_ino += 1;
        let now = Timestamp::now();
        let content = match kind {
            FileType::Regular => Content::File(FileData::default()),
            FileType::Directory => Content::Dir(BTreeMap::new()),
            FileType::Symlink => Content::Symlink(String::new()),
            _ => Content::Device,
        };
        let nlink = if kind == FileType::Directory { 2 } else { 1 };
        state.nodes.insert(
            ino,
            Node {
                kind,
                perm: perm & 0o7777,
                uid,
                gid,
                nlink,
                rdev: 0,
                parent: self.ino,
                atime: now,
                mtime: now,
                ctime: now,
                content,
            },
        );
        state.entries_mut(self.ino)?.insert(String::from(name), ino);
        if kind == FileType::Directory {
            state.node_mut(self.ino)?.nlink += 1;
        }
        state.touch(self.ino);
        Ok(self.fs.handle(&mut state, ino))
    }

    fn link(&self, name: &str, target: &Arc<dyn Inode>) -> Result<(), Errno> {
        check_name(name)?;
        let target = self.other(target)?;
        let mut state = self.fs.state.lock();
        if state.node(target.ino)?.kind == FileType::Directory {
            return Err(Errno::EPERM);
        }
        if state.entries(self.ino)?.contains_key(name) {
            return Err(Errno::EEXIST);
        }
        let node = state.node_mut(target.ino)?;
        if node.nlink == 0 {
            return Err(Errno::ENOENT);
        }
        node.nlink += 1;
        node.ctime = Timestamp::now();
        state
            .entries_mut(self.ino)?
            .insert(String::from(name), target.ino);
        state.touch(self.ino);
        Ok(())
    }

    fn unlink(&self, name: &str) -> Result<(), Errno> {
        let mut state = self.fs.state.lock();
        let ino = *state.entries(self.ino)?.get(name).ok_or(Errno::ENOENT)?;
        if state.node(ino)?.kind == FileType::Directory {
            return Err(Errno::EISDIR);
        }
        state.entries_mut(self.ino)?.remove(name);
        let alive = state
            .handles
            .get(&ino)
            .is_some_and(|w| w.strong_count() > 0);
        state.drop_link(ino, alive);
        state.touch(self.ino);
        Ok(())
    }

    fn rmdir(&self, name: &str) -> Result<(), Errno> {
        match name {
            "." => return Err(Errno::EINVAL),
            ".." => return Err(Errno::ENOTEMPTY),
            _ => {}
        }
        let mut state = self.fs.state.lock();
        let ino = *state.entries(self.ino)?.get(name).ok_or(Errno::ENOENT)?;
        if state.node(ino)?.kind != FileType::Directory {
            return Err(Errno::ENOTDIR);
        }
        if !state.is_empty_dir(ino)? {
            return Err(Errno::ENOTEMPTY);
        }
        state.entries_mut(self.ino)?.remove(name);
        let alive = state
            .handles
            .get(&ino)
            .is_some_and(|w| w.strong_count() > 0);
        state.drop_link(ino, alive);
        state.node_mut(self.ino)?.nlink -= 1;
        state.touch(self.ino);
        Ok(())
    }

    fn rename(
        &self,
        old_name: &str,
        new_dir: &Arc<dyn Inode>,
        new_name: &str,
        flags: u32,
    ) -> Result<(), Errno> {
        if flags & !(RENAME_NOREPLACE | RENAME_EXCHANGE) != 0
            || flags == RENAME_NOREPLACE | RENAME_EXCHANGE
        {
            return Err(Errno::EINVAL);
        }
        for name in [old_name, new_name] {
            if name == "." || name == ".." {
                return Err(Errno::EBUSY);
            }
        }
        check_name(new_name)?;
        let new_dir = self.other(new_dir)?.ino;
        let mut state = self.fs.state.lock();
        let source = *state
            .entries(self.ino)?
            .get(old_name)
            .ok_or(Errno::ENOENT)?;
        let target = state.entries(new_dir)?.get(new_name).copied();
        let source_is_dir = state.node(source)?.kind == FileType::Directory;
        if source_is_dir && state.is_ancestor(source, new_dir) {
            return Err(Errno::EINVAL);
        }
        if target == Some(source) {
            return Ok(());
        }
        if flags & RENAME_EXCHANGE != 0 {
            let target = target.ok_or(Errno::ENOENT)?;
            let target_is_dir = state.node(target)?.kind == FileType::Directory;
            if target_is_dir && state.is_ancestor(target, self.ino) {
                return Err(Errno::EINVAL);
            }
            state
                .entries_mut(self.ino)?
                .insert(String::from(old_name), target);
            state
                .entries_mut(new_dir)?
                .insert(String::from(new_name), source);
            state.node_mut(source)?.parent = new_dir;
            state.node_mut(target)?.parent = self.ino;
            if source_is_dir != target_is_dir {
                let (gains, loses) = if source_is_dir {
                    (new_dir, self.ino)
                } else {
                    (self.ino, new_dir)
                };
                state.node_mut(gains)?.nlink += 1;
                state.node_mut(loses)?.nlink -= 1;
            }
            state.touch(self.ino);
            state.touch(new_dir);
            return Ok(());
        }
        if let Some(target) = target {
            if flags & RENAME_NOREPLACE != 0 {
                return Err(Errno::EEXIST);
            }
            let target_is_dir = state.node(target)?.kind == FileType::Directory;
            match (source_is_dir, target_is_dir) {
                (true, false) => return Err(Errno::ENOTDIR),
                (false, true) => return Err(Errno::EISDIR),
                (true, true) if !state.is_empty_dir(target)? => return Err(Errno::ENOTEMPTY),
                _ => {}
            }
            let alive = state
                .handles
                .get(&target)
                .is_some_and(|w| w.strong_count() > 0);
            state.drop_link(target, alive);
            if target_is_dir {
                state.node_mut(new_dir)?.nlink -= 1;
            }
        }
        state.entries_mut(self.ino)?.remove(old_name);
        state
            .entries_mut(new_dir)?
            .insert(String::from(new_name), source);
        state.node_mut(source)?.parent = new_dir;
        if source_is_dir && new_dir != self.ino {
            state.node_mut(self.ino)?.nlink -= 1;
            state.node_mut(new_dir)?.nlink += 1;
        }
        state.node_mut(source)?.ctime = Timestamp::now();
        state.touch(self.ino);
        state.touch(new_dir);
        Ok(())
    }

    fn read_dir(&self, cookie: u64) -> Result<Vec<DirEntry>, Errno> {
        let state = self.fs.state.lock();
        let node = state.node(self.ino)?;
        let Content::Dir(entries) = &node.content else {
            return Err(Errno::ENOTDIR);
        };
        let mut list = Vec::new();
        let dots = [(".", self.ino), ("..", node.parent)];
        for (index, (name, ino)) in dots.iter().enumerate() {
            if cookie <= index as u64 {
                list.push(DirEntry {
                    ino: *ino,
                    kind: FileType::Directory,
                    name: String::from(*name),
                    next: index as u64 + 1,
                });
            }
        }
        for (index, (name, &ino)) in entries
            .iter()
            .enumerate()
            .skip(cookie.saturating_sub(2) as usize)
        {
            let kind = state.node(ino)?.kind;
            list.push(DirEntry {
                ino,
                kind,
                name: name.clone(),
                next: index as u64 + 3,
            });
        }
        Ok(list)
    }

    fn symlink(&self, name: &str, target: &str, uid: u32, gid: u32) -> Result<(), Errno> {
        let link = self.create(name, FileType::Symlink, 0o777, uid, gid)?;
        let ino = self.other(&link)?.ino;
        self.fs.state.lock().node_mut(ino)?.content = Content::Symlink(String::from(target));
        Ok(())
    }

    fn read_link(&self) -> Result<String, Errno> {
        match &self.fs.state.lock().node(self.ino)?.content {
            Content::Symlink(target) => Ok(target.clone()),
            _ => Err(Errno::EINVAL),
        }
    }

    fn statfs(&self) -> abi::fs::Statfs {
        const RAMFS_MAGIC: i64 = 0x8584_58f6;
        let frames = hal::mem::frame_stats();
        let free = frames.free_frames.saturating_sub(RESERVED_FRAMES) as u64;
        let state = self.fs.state.lock();
        abi::fs::Statfs {
            f_type: RAMFS_MAGIC,
            f_bsize: PAGE as i64,
            f_blocks: frames.managed_frames as u64,
            f_bfree: free,
            f_bavail: free,
            f_files: state.nodes.len() as u64 + free,
            f_ffree: free,
            f_namelen: NAME_MAX as i64,
            f_frsize: PAGE as i64,
            ..abi::fs::Statfs::default()
        }
    }

    fn as_any(&self) -> &dyn core::any::Any {
        self
    }
}
