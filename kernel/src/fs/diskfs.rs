//! The disk file system in the VFS (concepts F1-F4): `crates/fs` (inodes, directories,
//! journal) over the buffer cache over virtio-blk, behind the [`Inode`] interface.
//!
//! The whole file system sits behind one sleep lock: one operation at a time, and the
//! journal's transactions see a consistent state. Handles ([`DiskInode`]) are counted per
//! inode number, so a file unlinked while open becomes an orphan that is freed
//! (`release`) when its last handle goes away — never from a context that cannot sleep:
//! the last handle may be dropped by the scheduler loop, so the release is queued and done
//! by the next operation on the file system.

use super::bcache::BufferCache;
use super::{DirEntry, FileType, Inode, Metadata, SetAttr, Timestamp};
use crate::drivers::block::Disk;
use crate::proc::sleep_lock::{SleepLock, SleepLockGuard};
use abi::errno::Errno;
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use hal::sync::SpinLock;
use lanternfs::{FileKind, FileSystem, FsError, Ino, Owner};

/// Device number of the disk file system (`st_dev`).
const DEV: u64 = 0x801;
/// `f_type` of the Lantern file system in `statfs` ("LNTF").
const FS_MAGIC: i64 = 0x4c4e_5446;

struct Handles {
    /// Live handles per inode number.
    open: BTreeMap<u32, usize>,
    /// Inodes whose last name is gone while handles remain.
    orphans: BTreeSet<u32>,
    /// Orphans whose last handle is gone: to release at the next operation.
    to_release: Vec<u32>,
}

/// A mounted disk file system.
pub struct DiskFs {
    fs: SleepLock<FileSystem<BufferCache>>,
    handles: SpinLock<Handles>,
}

/// A handle on one inode of a [`DiskFs`].
pub struct DiskInode {
    fs: Arc<DiskFs>,
    ino: Ino,
}

fn errno(error: FsError) -> Errno {
    Errno(error.errno())
}

fn now() -> lanternfs::Timestamp {
    let t = Timestamp::now();
    lanternfs::Timestamp::new(t.secs, t.nanos)
}

fn stamp(t: lanternfs::Timestamp) -> Timestamp {
    Timestamp {
        secs: t.secs,
        nanos: t.nanos,
    }
}

fn kind_of(kind: FileKind) -> FileType {
    match kind {
        FileKind::Regular => FileType::Regular,
        FileKind::Directory => FileType::Directory,
        FileKind::Symlink => FileType::Symlink,
        FileKind::CharDevice | FileKind::BlockDevice => FileType::CharDevice,
        FileKind::Fifo => FileType::Fifo,
        FileKind::Socket => FileType::Socket,
    }
}

impl DiskFs {
    /// Mounts the file system on `disk` (replaying its journal); `None` if the disk does
    /// not hold one.
    pub fn mount(disk: &'static Disk) -> Result<Arc<DiskFs>, FsError> {
        let fs = FileSystem::mount(BufferCache::new(disk))?;
        let report = fs.mount_report();
        log::info!("disk file system mounted: {report:?}");
        Ok(Arc::new(DiskFs {
            fs: SleepLock::new(fs),
            handles: SpinLock::new(
                "diskfs-handles",
                Handles {
                    open: BTreeMap::new(),
                    orphans: BTreeSet::new(),
                    to_release: Vec::new(),
                },
            ),
        }))
    }

    /// The root directory.
    pub fn root(self: &Arc<DiskFs>) -> Arc<dyn Inode> {
        self.handle(lanternfs::ROOT)
    }

    fn handle(self: &Arc<DiskFs>, ino: Ino) -> Arc<dyn Inode> {
        *self.handles.lock().open.entry(ino.0).or_insert(0) += 1;
        Arc::new(DiskInode {
            fs: self.clone(),
            ino,
        })
    }

    /// The file system, locked, after releasing orphans whose last handle is gone.
    fn lock(&self) -> SleepLockGuard<'_, FileSystem<BufferCache>> {
        let mut fs = self.fs.lock();
        let pending = core::mem::take(&mut self.handles.lock().to_release);
        for ino in pending {
            if let Err(e) = fs.release(Ino(ino)) {
                log::warn!("diskfs: releasing orphan inode {ino}: {e:?}");
            }
        }
        fs
    }

    /// An inode lost its last link: free it now, or when its last handle goes.
    fn orphaned(&self, fs: &mut FileSystem<BufferCache>, ino: Ino) -> Result<(), Errno> {
        let open = self.handles.lock().open.get(&ino.0).copied().unwrap_or(0);
        if open == 0 {
            fs.release(ino).map_err(errno)
        } else {
            self.handles.lock().orphans.insert(ino.0);
            Ok(())
        }
    }

    /// Commits everything to the disk.
    pub fn sync(&self) -> Result<(), Errno> {
        self.lock().sync().map_err(errno)
    }

    /// Free and total blocks and inodes, as `statfs` reports them.
    pub fn statfs(&self) -> abi::fs::Statfs {
        let stat = self.lock().statfs();
        abi::fs::Statfs {
            f_type: FS_MAGIC,
            f_bsize: stat.block_size as i64,
            f_blocks: stat.blocks,
            f_bfree: stat.free_blocks,
            f_bavail: stat.free_blocks,
            f_files: stat.inodes,
            f_ffree: stat.free_inodes,
            f_namelen: stat.max_name_len as i64,
            f_frsize: stat.block_size as i64,
            ..abi::fs::Statfs::default()
        }
    }
}

impl Drop for DiskInode {
    fn drop(&mut self) {
        let mut handles = self.fs.handles.lock();
        let count = handles.open.entry(self.ino.0).or_insert(1);
        *count -= 1;
        if *count == 0 {
            handles.open.remove(&self.ino.0);
            if handles.orphans.remove(&self.ino.0) {
                handles.to_release.push(self.ino.0);
            }
        }
    }
}

impl DiskInode {
    fn other<'a>(&self, inode: &'a Arc<dyn Inode>) -> Result<&'a DiskInode, Errno> {
        super::downcast_same_fs(inode, |other: &DiskInode| Arc::ptr_eq(&other.fs, &self.fs))
    }
}

impl Inode for DiskInode {
    fn metadata(&self) -> Result<Metadata, Errno> {
        let stat = self.fs.lock().stat(self.ino).map_err(errno)?;
        Ok(Metadata {
            dev: DEV,
            ino: stat.ino.0 as u64,
            kind: kind_of(stat.kind),
            perm: stat.mode & lanternfs::PERMISSION_BITS,
            nlink: stat.nlink,
            uid: stat.uid,
            gid: stat.gid,
            rdev: stat.rdev as u64,
            size: stat.size,
            blocks: stat.blocks_512,
            atime: stamp(stat.atime),
            mtime: stamp(stat.mtime),
            ctime: stamp(stat.ctime),
        })
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        self.fs.lock().read_at(self.ino, offset, buf).map_err(errno)
    }

    fn write_at(&self, offset: u64, data: &[u8]) -> Result<usize, Errno> {
        self.fs
            .lock()
            .write_at(self.ino, offset, data, now())
            .map_err(errno)
    }

    fn truncate(&self, size: u64) -> Result<(), Errno> {
        self.fs
            .lock()
            .truncate(self.ino, size, now())
            .map_err(errno)
    }

    fn sync(&self) -> Result<(), Errno> {
        self.fs.sync()
    }

    fn set_attr(&self, attr: SetAttr) -> Result<(), Errno> {
        let changes = lanternfs::SetAttr {
            mode: attr.perm,
            uid: attr.uid,
            gid: attr.gid,
            atime: attr
                .atime
                .map(|t| lanternfs::Timestamp::new(t.secs, t.nanos)),
            mtime: attr
                .mtime
                .map(|t| lanternfs::Timestamp::new(t.secs, t.nanos)),
        };
        self.fs
            .lock()
            .set_attr(self.ino, &changes, now())
            .map_err(errno)
    }

    fn lookup(&self, name: &str) -> Result<Arc<dyn Inode>, Errno> {
        let mut fs = self.fs.lock();
        let ino = fs.lookup(self.ino, name.as_bytes()).map_err(errno)?;
        // The handle counts before the lock goes: an unlink right after must find the inode
        // open and keep it, not free it under the handle (open(O_CREAT) racing unlink got
        // ENOENT from a file it had just found).
        let handle = self.fs.handle(ino);
        drop(fs);
        Ok(handle)
    }

    fn create(
        &self,
        name: &str,
        kind: FileType,
        perm: u32,
        uid: u32,
        gid: u32,
    ) -> Result<Arc<dyn Inode>, Errno> {
        let owner = Owner { uid, gid };
        let mut fs = self.fs.lock();
        let ino = match kind {
            FileType::Regular => fs.create(self.ino, name.as_bytes(), perm, owner, now()),
            FileType::Directory => fs.mkdir(self.ino, name.as_bytes(), perm, owner, now()),
            FileType::Fifo | FileType::Socket => fs.mknod(
                self.ino,
                name.as_bytes(),
                perm | kind.mode_bits(),
                0,
                owner,
                now(),
            ),
            FileType::CharDevice | FileType::Symlink => return Err(Errno::EPERM),
        }
        .map_err(errno)?;
        // As in `lookup`: counted before another thread can unlink and free it.
        let handle = self.fs.handle(ino);
        drop(fs);
        Ok(handle)
    }

    fn link(&self, name: &str, target: &Arc<dyn Inode>) -> Result<(), Errno> {
        let target = self.other(target)?;
        self.fs
            .lock()
            .link(target.ino, self.ino, name.as_bytes(), now())
            .map_err(errno)
    }

    fn unlink(&self, name: &str) -> Result<(), Errno> {
        let mut fs = self.fs.lock();
        if let Some(orphan) = fs.unlink(self.ino, name.as_bytes(), now()).map_err(errno)? {
            self.fs.orphaned(&mut fs, orphan)?;
        }
        Ok(())
    }

    fn rmdir(&self, name: &str) -> Result<(), Errno> {
        let mut fs = self.fs.lock();
        let removed = fs.rmdir(self.ino, name.as_bytes(), now()).map_err(errno)?;
        self.fs.orphaned(&mut fs, removed)
    }

    fn rename(
        &self,
        old_name: &str,
        new_dir: &Arc<dyn Inode>,
        new_name: &str,
        flags: u32,
    ) -> Result<(), Errno> {
        let new_dir = self.other(new_dir)?.ino;
        let mut fs = self.fs.lock();
        let replaced = fs
            .rename(
                self.ino,
                old_name.as_bytes(),
                new_dir,
                new_name.as_bytes(),
                flags,
                now(),
            )
            .map_err(errno)?;
        if let Some(orphan) = replaced {
            self.fs.orphaned(&mut fs, orphan)?;
        }
        Ok(())
    }

    fn read_dir(&self, cookie: u64) -> Result<Vec<DirEntry>, Errno> {
        let entries = self.fs.lock().read_dir(self.ino, cookie).map_err(errno)?;
        Ok(entries
            .into_iter()
            .map(|e| DirEntry {
                ino: e.ino.0 as u64,
                kind: kind_of(e.kind),
                name: String::from_utf8_lossy(&e.name).into_owned(),
                next: e.next,
            })
            .collect())
    }

    fn symlink(&self, name: &str, target: &str, uid: u32, gid: u32) -> Result<(), Errno> {
        self.fs
            .lock()
            .symlink(
                self.ino,
                name.as_bytes(),
                target.as_bytes(),
                Owner { uid, gid },
                now(),
            )
            .map_err(errno)?;
        Ok(())
    }

    fn read_link(&self) -> Result<String, Errno> {
        let target = self.fs.lock().readlink(self.ino).map_err(errno)?;
        String::from_utf8(target).map_err(|_| Errno::EINVAL)
    }

    fn statfs(&self) -> abi::fs::Statfs {
        self.fs.statfs()
    }

    fn as_any(&self) -> &dyn core::any::Any {
        self
    }
}
