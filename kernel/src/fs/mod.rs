//! The virtual file system (concepts F4, F5): one inode interface over every file system,
//! the mount table and path lookup.
//!
//! Everything that can be opened is an [`Inode`]: files and directories of the root file
//! system, device nodes in `/dev`, generated files in `/proc`. Pipes are open files without
//! a name ([`file::OpenFile`]). A path is walked one component at a time from the root or
//! the working directory; after each step the mount table says whether another file
//! system's root covers that directory (`/dev`, `/proc`).
//!
//! Locks: each file system protects its own state; the mount table is written at boot only.

pub mod bcache;
pub mod devfs;
pub mod diskfs;
pub mod eventfd;
pub mod fdtable;
pub mod fifo;
pub mod file;
pub mod pipe;
pub mod poll;
pub mod procfs;
pub mod ramfs;

use abi::errno::Errno;
use abi::fs::{
    DT_CHR, DT_DIR, DT_FIFO, DT_LNK, DT_REG, DT_SOCK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFREG,
    S_IFSOCK, Stat,
};
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use hal::sync::SpinLock;

/// Longest path accepted (Linux's PATH_MAX, including the NUL).
pub const PATH_MAX: usize = 4096;
/// Longest file name.
pub const NAME_MAX: usize = 255;
/// Symbolic links followed in one lookup before giving up with ELOOP.
const MAX_SYMLINKS: usize = 40;

/// What kind of file an inode is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FileType {
    Regular,
    Directory,
    CharDevice,
    Fifo,
    Symlink,
    /// The name of a Unix-domain socket (made by `bind`; see `crate::net::unix`).
    Socket,
}

impl FileType {
    /// The `S_IF*` bits of `st_mode`.
    pub fn mode_bits(self) -> u32 {
        match self {
            FileType::Regular => S_IFREG,
            FileType::Directory => S_IFDIR,
            FileType::CharDevice => S_IFCHR,
            FileType::Fifo => S_IFIFO,
            FileType::Symlink => S_IFLNK,
            FileType::Socket => S_IFSOCK,
        }
    }

    /// The `DT_*` value of a directory entry.
    pub fn dirent_type(self) -> u8 {
        match self {
            FileType::Regular => DT_REG,
            FileType::Directory => DT_DIR,
            FileType::CharDevice => DT_CHR,
            FileType::Fifo => DT_FIFO,
            FileType::Symlink => DT_LNK,
            FileType::Socket => DT_SOCK,
        }
    }
}

/// A point in time: seconds and nanoseconds since the epoch.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Timestamp {
    pub secs: i64,
    pub nanos: u32,
}

impl Timestamp {
    pub fn now() -> Timestamp {
        let ns = crate::time::realtime_ns();
        Timestamp {
            secs: (ns / 1_000_000_000) as i64,
            nanos: (ns % 1_000_000_000) as u32,
        }
    }
}

/// What `stat` reports about an inode.
#[derive(Clone, Copy, Debug)]
pub struct Metadata {
    /// Which file system (its device number).
    pub dev: u64,
    pub ino: u64,
    pub kind: FileType,
    /// Permission bits (and setuid/setgid/sticky), without the type.
    pub perm: u32,
    pub nlink: u32,
    pub uid: u32,
    pub gid: u32,
    /// Device number of a device node.
    pub rdev: u64,
    pub size: u64,
    /// 512-byte blocks allocated.
    pub blocks: u64,
    pub atime: Timestamp,
    pub mtime: Timestamp,
    pub ctime: Timestamp,
}

impl Metadata {
    /// The Linux `struct stat`.
    pub fn to_stat(self) -> Stat {
        Stat {
            st_dev: self.dev,
            st_ino: self.ino,
            st_mode: self.kind.mode_bits() | self.perm,
            st_nlink: self.nlink,
            st_uid: self.uid,
            st_gid: self.gid,
            st_rdev: self.rdev,
            st_size: self.size as i64,
            st_blksize: 4096,
            st_blocks: self.blocks as i64,
            st_atime: self.atime.secs,
            st_atime_nsec: self.atime.nanos as u64,
            st_mtime: self.mtime.secs,
            st_mtime_nsec: self.mtime.nanos as u64,
            st_ctime: self.ctime.secs,
            st_ctime_nsec: self.ctime.nanos as u64,
            ..Stat::default()
        }
    }
}

/// One directory entry, with the cookie that resumes listing after it.
#[derive(Clone, Debug)]
pub struct DirEntry {
    pub ino: u64,
    pub kind: FileType,
    pub name: String,
    pub next: u64,
}

/// Attributes `set_attr` may change (None: keep).
#[derive(Clone, Copy, Debug, Default)]
pub struct SetAttr {
    pub perm: Option<u32>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub atime: Option<Timestamp>,
    pub mtime: Option<Timestamp>,
}

/// A file, directory or device, whatever file system it lives in.
///
/// Reads and writes may sleep (devices, pipes, disk I/O): callers hold no spinlock.
pub trait Inode: Send + Sync {
    fn metadata(&self) -> Result<Metadata, Errno>;

    fn read_at(&self, _offset: u64, _buf: &mut [u8]) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }
    fn write_at(&self, _offset: u64, _data: &[u8]) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }
    /// Whether reads and writes ignore the offset (devices, FIFOs): no seeking.
    fn is_stream(&self) -> bool {
        false
    }
    /// Whether this is a terminal (the console): terminal `ioctl`s apply to it.
    fn is_terminal(&self) -> bool {
        false
    }
    /// Which of `POLLIN`/`POLLOUT` a read or write would not block on now (for `ppoll`);
    /// files and most devices never block.
    fn poll_events(&self) -> i16 {
        use abi::fs::{POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM};
        POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM
    }
    /// Reads from a stream; `nonblock` turns a wait into `EAGAIN`.
    fn read_stream(&self, buf: &mut [u8], _nonblock: bool) -> Result<usize, Errno> {
        self.read_at(0, buf)
    }
    /// Writes to a stream; `nonblock` turns a wait into `EAGAIN`.
    fn write_stream(&self, data: &[u8], _nonblock: bool) -> Result<usize, Errno> {
        self.write_at(0, data)
    }
    fn truncate(&self, _size: u64) -> Result<(), Errno> {
        Err(Errno::EINVAL)
    }
    fn sync(&self) -> Result<(), Errno> {
        Ok(())
    }
    fn set_attr(&self, _attr: SetAttr) -> Result<(), Errno> {
        Err(Errno::EPERM)
    }

    // Directories.
    fn lookup(&self, _name: &str) -> Result<Arc<dyn Inode>, Errno> {
        Err(Errno::ENOTDIR)
    }
    fn create(
        &self,
        _name: &str,
        _kind: FileType,
        _perm: u32,
        _uid: u32,
        _gid: u32,
    ) -> Result<Arc<dyn Inode>, Errno> {
        Err(self.fixed_names_error())
    }
    /// Adds a name for `target` (same file system) in this directory.
    fn link(&self, _name: &str, _target: &Arc<dyn Inode>) -> Result<(), Errno> {
        Err(self.fixed_names_error())
    }
    /// Removes a non-directory entry.
    fn unlink(&self, _name: &str) -> Result<(), Errno> {
        Err(self.fixed_names_error())
    }
    /// Removes an empty directory entry.
    fn rmdir(&self, _name: &str) -> Result<(), Errno> {
        Err(self.fixed_names_error())
    }
    /// Moves `old_name` here to `new_name` in `new_dir` (same file system).
    fn rename(
        &self,
        _old_name: &str,
        _new_dir: &Arc<dyn Inode>,
        _new_name: &str,
        _flags: u32,
    ) -> Result<(), Errno> {
        Err(self.fixed_names_error())
    }
    /// Why the default name operations above refuse: a directory whose names are fixed
    /// (`/dev`, `/proc`) is `EACCES`; anything else is not a directory at all.
    fn fixed_names_error(&self) -> Errno {
        match self.metadata() {
            Ok(meta) if meta.kind == FileType::Directory => Errno::EACCES,
            Ok(_) => Errno::ENOTDIR,
            Err(e) => e,
        }
    }
    /// Entries from `cookie` on (0 = the start); an empty vector at the end.
    fn read_dir(&self, _cookie: u64) -> Result<Vec<DirEntry>, Errno> {
        Err(Errno::ENOTDIR)
    }
    fn symlink(&self, _name: &str, _target: &str, _uid: u32, _gid: u32) -> Result<(), Errno> {
        Err(Errno::EPERM)
    }
    fn read_link(&self) -> Result<String, Errno> {
        Err(Errno::EINVAL)
    }
    /// Size and free space of the file system holding this inode (`statfs`).
    fn statfs(&self) -> abi::fs::Statfs {
        abi::fs::Statfs {
            f_bsize: 4096,
            f_frsize: 4096,
            f_namelen: NAME_MAX as i64,
            ..abi::fs::Statfs::default()
        }
    }
    /// Lets a file system find its own inode type behind `dyn Inode` (rename, link).
    fn as_any(&self) -> &dyn core::any::Any;
}

/// `inode` as the concrete inode type `T`, if it is one and `same_fs` says it belongs to
/// the caller's file system; `EXDEV` otherwise (links and renames stay within one).
pub fn downcast_same_fs<T: 'static>(
    inode: &Arc<dyn Inode>,
    same_fs: impl FnOnce(&T) -> bool,
) -> Result<&T, Errno> {
    let other = inode.as_any().downcast_ref::<T>().ok_or(Errno::EXDEV)?;
    if same_fs(other) {
        Ok(other)
    } else {
        Err(Errno::EXDEV)
    }
}

/// Identity of an inode across file systems: (device, inode number).
pub fn identity(inode: &Arc<dyn Inode>) -> Result<(u64, u64), Errno> {
    let meta = inode.metadata()?;
    Ok((meta.dev, meta.ino))
}

struct Mount {
    /// The directory covered, by identity, and the inode itself (for `..` out of the root).
    covered: (u64, u64),
    covered_inode: Arc<dyn Inode>,
    path: String,
    root: Arc<dyn Inode>,
    fs_name: &'static str,
}

struct MountTable {
    root: Option<Arc<dyn Inode>>,
    root_fs: &'static str,
    mounts: Vec<Mount>,
}

static MOUNTS: SpinLock<MountTable> = SpinLock::new(
    "mounts",
    MountTable {
        root: None,
        root_fs: "",
        mounts: Vec::new(),
    },
);

/// Makes `root` the root directory `/`.
pub fn set_root(root: Arc<dyn Inode>, fs_name: &'static str) {
    let mut table = MOUNTS.lock();
    table.root = Some(root);
    table.root_fs = fs_name;
}

/// The root directory.
pub fn root() -> Arc<dyn Inode> {
    MOUNTS
        .lock()
        .root
        .clone()
        .expect("the root file system is mounted at boot")
}

/// Mounts `fs_root` over the directory at `path` (absolute).
pub fn mount(path: &str, fs_root: Arc<dyn Inode>, fs_name: &'static str) -> Result<(), Errno> {
    let covered_inode = resolve(&root(), path, true)?;
    if covered_inode.metadata()?.kind != FileType::Directory {
        return Err(Errno::ENOTDIR);
    }
    let covered = identity(&covered_inode)?;
    MOUNTS.lock().mounts.push(Mount {
        covered,
        covered_inode,
        path: String::from(path),
        root: fs_root,
        fs_name,
    });
    Ok(())
}

/// The mount table as `/proc/mounts` shows it: (device name, mount point, type).
pub fn mount_list() -> Vec<(String, &'static str)> {
    let table = MOUNTS.lock();
    let mut list = alloc::vec![(String::from("/"), table.root_fs)];
    list.extend(table.mounts.iter().map(|m| (m.path.clone(), m.fs_name)));
    list
}

fn mounted_over(dir: &Arc<dyn Inode>) -> Option<Arc<dyn Inode>> {
    let id = identity(dir).ok()?;
    MOUNTS
        .lock()
        .mounts
        .iter()
        .find(|m| m.covered == id)
        .map(|m| m.root.clone())
}

fn covered_by(mount_root: &Arc<dyn Inode>) -> Option<Arc<dyn Inode>> {
    let id = identity(mount_root).ok()?;
    let table = MOUNTS.lock();
    table
        .mounts
        .iter()
        .find(|m| identity(&m.root).ok() == Some(id))
        .map(|m| m.covered_inode.clone())
}

fn is_root(inode: &Arc<dyn Inode>) -> bool {
    identity(inode).ok() == identity(&root()).ok()
}

/// Resolves `path` starting at `start` (used for relative paths; absolute ones start at
/// `/`). With `follow_last`, a symbolic link in the last component is followed.
pub fn resolve(
    start: &Arc<dyn Inode>,
    path: &str,
    follow_last: bool,
) -> Result<Arc<dyn Inode>, Errno> {
    let mut links = 0;
    resolve_counting(start, path, follow_last, &mut links)
}

fn resolve_counting(
    start: &Arc<dyn Inode>,
    path: &str,
    follow_last: bool,
    links: &mut usize,
) -> Result<Arc<dyn Inode>, Errno> {
    if path.is_empty() {
        return Err(Errno::ENOENT);
    }
    if path.len() >= PATH_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    let mut current = if path.starts_with('/') {
        root()
    } else {
        start.clone()
    };
    let components: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
    for (index, &name) in components.iter().enumerate() {
        let last = index + 1 == components.len();
        if name.len() > NAME_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        if current.metadata()?.kind != FileType::Directory {
            return Err(Errno::ENOTDIR);
        }
        let next = match name {
            "." => current.clone(),
            ".." if is_root(&current) => current.clone(),
            ".." => match covered_by(&current) {
                Some(covered) => covered.lookup("..")?,
                None => current.lookup("..")?,
            },
            _ => current.lookup(name)?,
        };
        let next = mounted_over(&next).unwrap_or(next);
        let is_link = next.metadata()?.kind == FileType::Symlink;
        current = if is_link && (!last || follow_last) {
            *links += 1;
            if *links > MAX_SYMLINKS {
                return Err(Errno::ELOOP);
            }
            let target = next.read_link()?;
            resolve_counting(&current, &target, true, links)?
        } else {
            next
        };
    }
    // "file/" names a directory: a trailing slash on anything else is ENOTDIR.
    if path.ends_with('/') && current.metadata()?.kind != FileType::Directory {
        return Err(Errno::ENOTDIR);
    }
    Ok(current)
}

/// Splits `path` into its parent directory (resolved) and the last name.
/// `ENOENT` for an empty path; the last name may be "." or ".." (callers refuse those
/// where Linux does).
pub fn resolve_parent<'p>(
    start: &Arc<dyn Inode>,
    path: &'p str,
) -> Result<(Arc<dyn Inode>, &'p str), Errno> {
    if path.is_empty() {
        return Err(Errno::ENOENT);
    }
    if path.len() >= PATH_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        // "/" itself: its "parent" is the root and the name is ".".
        return Ok((root(), "."));
    }
    let (dir_path, name) = match trimmed.rfind('/') {
        Some(at) => (&trimmed[..=at], &trimmed[at + 1..]),
        None => ("", trimmed),
    };
    if name.len() > NAME_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    let dir = if dir_path.is_empty() {
        start.clone()
    } else {
        resolve(start, dir_path, true)?
    };
    if dir.metadata()?.kind != FileType::Directory {
        return Err(Errno::ENOTDIR);
    }
    Ok((dir, name))
}

/// The absolute path of `dir`, found by walking `..` up to the root and looking each
/// directory up in its parent (what `getcwd` returns).
pub fn path_of(dir: &Arc<dyn Inode>) -> Result<String, Errno> {
    let mut names: Vec<String> = Vec::new();
    let mut current = dir.clone();
    while !is_root(&current) {
        let (here, parent) = match covered_by(&current) {
            Some(covered) => (identity(&covered)?, covered.lookup("..")?),
            None => (identity(&current)?, current.lookup("..")?),
        };
        let parent = mounted_over(&parent).unwrap_or(parent);
        let name = name_in(&parent, here)?;
        names.push(name);
        current = parent;
    }
    let mut path = String::new();
    for name in names.iter().rev() {
        path.push('/');
        path.push_str(name);
    }
    if path.is_empty() {
        path.push('/');
    }
    Ok(path)
}

fn name_in(parent: &Arc<dyn Inode>, child: (u64, u64)) -> Result<String, Errno> {
    let mut cookie = 0;
    loop {
        let entries = parent.read_dir(cookie)?;
        if entries.is_empty() {
            return Err(Errno::ENOENT);
        }
        for entry in entries {
            cookie = entry.next;
            if entry.name == "." || entry.name == ".." {
                continue;
            }
            let Ok(inode) = parent.lookup(&entry.name) else {
                continue;
            };
            let inode = mounted_over(&inode).unwrap_or(inode);
            if identity(&inode)? == child {
                return Ok(entry.name);
            }
        }
    }
}

/// A kind of access to check against permission bits.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Access {
    Read,
    Write,
    Execute,
}

/// Unix permission check (concept U1): the owner, group or other bits that apply to
/// `creds`. The superuser may read and write anything, and execute anything some execute
/// bit allows (directories can always be searched by root).
pub fn check_access(
    meta: &Metadata,
    creds: crate::proc::Credentials,
    access: Access,
) -> Result<(), Errno> {
    let bit = match access {
        Access::Read => 0o4,
        Access::Write => 0o2,
        Access::Execute => 0o1,
    };
    if creds.euid == 0 {
        let any_exec = meta.perm & 0o111 != 0 || meta.kind == FileType::Directory;
        return if access != Access::Execute || any_exec {
            Ok(())
        } else {
            Err(Errno::EACCES)
        };
    }
    let shift = if creds.euid == meta.uid {
        6
    } else if creds.egid == meta.gid {
        3
    } else {
        0
    };
    if (meta.perm >> shift) & bit != 0 {
        Ok(())
    } else {
        Err(Errno::EACCES)
    }
}

/// The disk file system mounted as `/`, if any (for `sync` at power-off).
static ROOT_DISK: hal::sync::Once<Arc<diskfs::DiskFs>> = hal::sync::Once::new();

/// Commits every file system to its disk (before powering off).
pub fn sync_all() {
    if let Some(disk) = ROOT_DISK.get()
        && let Err(e) = disk.sync()
    {
        log::error!("sync of the root file system failed: {}", e.description());
    }
}

/// Builds the root file system at boot: the disk file system on the first disk if there is
/// one, else a ramfs filled from the initrd; plus `/dev`, `/proc`, `/tmp` and `/home`, with
/// devfs and procfs mounted.
pub fn init(initrd: Option<&[u8]>) -> Result<(), Errno> {
    let disk_root =
        crate::drivers::block::disk(0).and_then(|disk| match diskfs::DiskFs::mount(disk) {
            Ok(fs) => Some(fs),
            Err(e) => {
                log::warn!("the first disk holds no usable file system ({e:?}); using the initrd");
                None
            }
        });
    let root = match disk_root {
        Some(fs) => {
            let root = fs.root();
            let _ = ROOT_DISK.set(fs);
            set_root(root.clone(), "lanternfs");
            log::info!("root file system: the disk");
            root
        }
        None => ramfs_from_initrd(initrd.ok_or(Errno::ENOENT)?)?,
    };
    for dir in ["dev", "proc", "tmp", "home"] {
        match root.create(
            dir,
            FileType::Directory,
            if dir == "tmp" { 0o1777 } else { 0o755 },
            0,
            0,
        ) {
            Ok(_) | Err(Errno::EEXIST) => {}
            Err(e) => return Err(e),
        }
    }
    mount("/dev", devfs::new(), "devfs")?;
    mount("/proc", procfs::new(), "proc")?;
    Ok(())
}

/// A ramfs root holding every directory and file of the initrd, with their modes.
fn ramfs_from_initrd(initrd: &[u8]) -> Result<Arc<dyn Inode>, Errno> {
    let fs = ramfs::RamFs::new();
    let root = fs.root();
    set_root(root.clone(), "ramfs");
    let mut files = 0;
    for entry in initrd::Reader::new(initrd) {
        let entry = entry.map_err(|_| Errno::EINVAL)?;
        let (dir, name) = make_parents(&root, entry.name)?;
        let perm = entry.mode & 0o7777;
        if entry.is_dir() {
            match dir.create(name, FileType::Directory, perm, 0, 0) {
                Ok(_) | Err(Errno::EEXIST) => {}
                Err(e) => return Err(e),
            }
        } else if entry.is_file() {
            let file = dir.create(name, FileType::Regular, perm, 0, 0)?;
            file.write_at(0, entry.data)?;
            files += 1;
        }
    }
    log::info!("root file system: ramfs with {files} files from the initrd");
    Ok(root)
}

/// The directory that will hold `path` (creating missing directories) and the last name.
fn make_parents<'p>(
    root: &Arc<dyn Inode>,
    path: &'p str,
) -> Result<(Arc<dyn Inode>, &'p str), Errno> {
    let mut dir = root.clone();
    let mut components = path.split('/').filter(|c| !c.is_empty()).peekable();
    while let Some(name) = components.next() {
        if components.peek().is_none() {
            return Ok((dir, name));
        }
        dir = match dir.lookup(name) {
            Ok(existing) => existing,
            Err(Errno::ENOENT) => dir.create(name, FileType::Directory, 0o755, 0, 0)?,
            Err(e) => return Err(e),
        };
    }
    Err(Errno::EINVAL)
}
