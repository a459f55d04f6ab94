//! Files, directories and pipes (the Storage milestone): typed wrappers of the Linux
//! file-system calls, a directory reader over `getdents64` ([`Dir`]) and a line reader
//! ([`BufReader`]).
//!
//! Conventions:
//! - Paths are `&str`; each call copies its paths into NUL-terminated buffers (`EINVAL` if a
//!   path contains a NUL byte, which would cut it short). The empty path is passed as is,
//!   so the kernel answers it (`ENOENT`).
//! - Descriptors are `i32` as in C and are passed sign-extended, so a negative one reaches
//!   the kernel as a huge number, which it rejects with `EBADF` like Linux.
//! - Offsets and lengths of files are `i64` (`off_t`), so tests can pass negative ones.
//! - Structures the kernel fills in ([`Stat`], `statfs`) travel as byte images
//!   ([`abi::WireFormat`]); nothing here reinterprets memory.
//! - [`crate::raw`] has the unchecked forms of these calls, for tests of bad pointers.
//!
//! Nothing here closes a descriptor behind the caller's back, except [`Dir`], which owns the
//! descriptor it reads.

use alloc::string::String;
use alloc::vec::Vec;

use abi::fs::{
    AT_FDCWD, AT_REMOVEDIR, AT_SYMLINK_NOFOLLOW, Dirent64Header, F_GETFD, Iovec, O_CLOEXEC,
    O_CREAT, O_DIRECTORY, O_RDONLY, O_TRUNC, O_WRONLY, S_IFDIR, S_IFMT, Stat,
};
use abi::time::Timespec;
use abi::{Errno, WireFormat, nr};

use crate::syscall::{decode, syscall0, syscall2, syscall3, syscall4, syscall5};

pub use crate::io::write_all;
pub use crate::sys::{read, write};

/// Longest path the kernel accepts, its terminating NUL included (`PATH_MAX`).
pub const PATH_MAX: usize = 4096;
/// Longest name of one directory entry, in bytes (`NAME_MAX`).
pub const NAME_MAX: usize = 255;
/// Largest pipe write that is atomic: it is never interleaved with other writers' data
/// (`PIPE_BUF`).
pub const PIPE_BUF: usize = 4096;
/// Most buffers one `readv`/`writev` takes (`IOV_MAX`, `UIO_MAXIOV`).
pub const IOV_MAX: usize = 1024;

/// A path copied into a NUL-terminated buffer for the kernel.
struct CPath(Vec<u8>);

impl CPath {
    /// Copies `path`; `EINVAL` if it holds a NUL byte, `ENOMEM` if the copy does not fit in
    /// memory.
    fn new(path: &str) -> Result<CPath, Errno> {
        if path.as_bytes().contains(&0) {
            return Err(Errno::EINVAL);
        }
        let mut bytes = Vec::new();
        bytes
            .try_reserve_exact(path.len() + 1)
            .map_err(|_| Errno::ENOMEM)?;
        bytes.extend_from_slice(path.as_bytes());
        bytes.push(0);
        Ok(CPath(bytes))
    }

    /// The address of the NUL-terminated copy.
    fn addr(&self) -> usize {
        self.0.as_ptr() as usize
    }
}

/// A descriptor or `*at` directory as the register carries it (sign-extended).
fn reg(fd: i32) -> usize {
    fd as usize
}

/// Runs a system call whose only pointer arguments are the NUL-terminated paths it is given,
/// which it only reads.
fn path_call(number: usize, args: [usize; 5]) -> Result<usize, Errno> {
    let [a0, a1, a2, a3, a4] = args;
    // Every caller passes a path-taking call (`openat`, `mkdirat`, `mknodat`, `unlinkat`,
    // `linkat`, `symlinkat`, `renameat2`, `faccessat`, `chdir`) whose pointers are `CPath` buffers
    // kept alive across the call.
    // SAFETY: as above; those calls only read the paths and write no user memory.
    decode(unsafe { syscall5(number, a0, a1, a2, a3, a4) })
}

/// Runs a system call that takes only numbers (descriptors, offsets, flags) and touches no
/// user memory.
fn plain_call(number: usize, args: [usize; 3]) -> Result<usize, Errno> {
    let [a0, a1, a2] = args;
    // SAFETY: every caller passes a call (`close`, `lseek`, `dup`, `dup3`, `fcntl` with a
    // command whose argument is a number, `fsync`, `ftruncate`, `fchdir`) that reads and
    // writes no user memory.
    decode(unsafe { syscall3(number, a0, a1, a2) })
}

/// `openat(dirfd, path, flags, mode)`: opens (with `O_CREAT`, maybe creates) the file at
/// `path`, relative to the directory `dirfd` ([`AT_FDCWD`]: the working directory) unless it
/// is absolute. Returns the new descriptor, the lowest one free.
pub fn openat(dirfd: i32, path: &str, flags: u32, mode: u32) -> Result<i32, Errno> {
    let path = CPath::new(path)?;
    path_call(
        nr::OPENAT,
        [reg(dirfd), path.addr(), flags as usize, mode as usize, 0],
    )
    .map(|fd| fd as i32)
}

/// `open(path, flags, mode)`, that is `openat(AT_FDCWD, ...)`.
pub fn open(path: &str, flags: u32, mode: u32) -> Result<i32, Errno> {
    openat(AT_FDCWD, path, flags, mode)
}

/// `close(fd)`.
pub fn close(fd: i32) -> Result<(), Errno> {
    plain_call(nr::CLOSE, [reg(fd), 0, 0]).map(|_| ())
}

/// Reads until `buf` is full or the file ends; returns the bytes read (less than
/// `buf.len()` only at end of file).
pub fn read_full(fd: i32, buf: &mut [u8]) -> Result<usize, Errno> {
    let mut done = 0;
    while done < buf.len() {
        match read(fd, &mut buf[done..])? {
            0 => break,
            count => done += count,
        }
    }
    Ok(done)
}

/// `readv(fd, iov, n)`: reads into `bufs` in order, filling each before the next; returns
/// the total read.
pub fn readv(fd: i32, bufs: &mut [&mut [u8]]) -> Result<usize, Errno> {
    let iovecs: Vec<Iovec> = bufs
        .iter_mut()
        .map(|buf| Iovec {
            base: buf.as_mut_ptr() as usize,
            len: buf.len(),
        })
        .collect();
    // `Iovec` has the layout of Linux's `struct iovec`; each describes a buffer of `bufs`,
    // exclusively borrowed for the call, and `readv` stores at most `len` bytes into each.
    // SAFETY: as above; any bytes are valid `u8`s and the `iovecs` array outlives the call.
    decode(unsafe { syscall3(nr::READV, reg(fd), iovecs.as_ptr() as usize, iovecs.len()) })
}

/// `writev(fd, iov, n)`: writes `bufs` one after the other; returns the total written.
pub fn writev(fd: i32, bufs: &[&[u8]]) -> Result<usize, Errno> {
    let iovecs: Vec<Iovec> = bufs
        .iter()
        .map(|buf| Iovec {
            base: buf.as_ptr() as usize,
            len: buf.len(),
        })
        .collect();
    // SAFETY: `Iovec` is `#[repr(C)]` with the layout of Linux's `struct iovec`, and each one
    // describes a buffer of `bufs`, borrowed for the whole call; `writev` only reads them
    // and the `iovecs` array, which lives across the call.
    decode(unsafe { syscall3(nr::WRITEV, reg(fd), iovecs.as_ptr() as usize, iovecs.len()) })
}

/// `pread64(fd, buf, offset)`: reads at `offset` without moving the file offset.
pub fn pread(fd: i32, buf: &mut [u8], offset: i64) -> Result<usize, Errno> {
    // SAFETY: `buf` is exclusively borrowed and writable for `buf.len()` bytes for the whole
    // call; `pread64` stores at most that many bytes, and any bytes are valid `u8`s.
    decode(unsafe {
        syscall4(
            nr::PREAD64,
            reg(fd),
            buf.as_mut_ptr() as usize,
            buf.len(),
            offset as usize,
        )
    })
}

/// `pwrite64(fd, buf, offset)`: writes at `offset` without moving the file offset.
pub fn pwrite(fd: i32, buf: &[u8], offset: i64) -> Result<usize, Errno> {
    // SAFETY: `buf` is readable for `buf.len()` bytes for the whole call, and `pwrite64`
    // only reads it.
    decode(unsafe {
        syscall4(
            nr::PWRITE64,
            reg(fd),
            buf.as_ptr() as usize,
            buf.len(),
            offset as usize,
        )
    })
}

/// `lseek(fd, offset, whence)` with `whence` one of `abi::fs::SEEK_*`: the new offset.
pub fn lseek(fd: i32, offset: i64, whence: i32) -> Result<u64, Errno> {
    plain_call(nr::LSEEK, [reg(fd), offset as usize, whence as usize]).map(|pos| pos as u64)
}

/// `dup(fd)`: a new descriptor, the lowest free, for the same open file.
pub fn dup(fd: i32) -> Result<i32, Errno> {
    plain_call(nr::DUP, [reg(fd), 0, 0]).map(|fd| fd as i32)
}

/// `dup3(old, new, flags)`: makes `new` refer to the open file of `old`, closing what `new`
/// was first; `flags` may hold `O_CLOEXEC`. `EINVAL` if `old == new`.
pub fn dup3(old: i32, new: i32, flags: u32) -> Result<i32, Errno> {
    plain_call(nr::DUP3, [reg(old), reg(new), flags as usize]).map(|fd| fd as i32)
}

/// `dup2(old, new)`, which riscv64 lacks, as the C library builds it: [`dup3`] with no
/// flags, except that `old == new` returns `new` if it is open (`EBADF` if not).
pub fn dup2(old: i32, new: i32) -> Result<i32, Errno> {
    if old == new {
        fcntl(old, F_GETFD, 0)?;
        return Ok(new);
    }
    dup3(old, new, 0)
}

/// `fcntl(fd, cmd, arg)` for the commands whose argument and result are numbers
/// (`abi::fs::F_DUPFD`, `F_DUPFD_CLOEXEC`, `F_GETFD`, `F_SETFD`, `F_GETFL`, `F_SETFL`,
/// `F_GETPIPE_SZ`, ...).
pub fn fcntl(fd: i32, cmd: i32, arg: usize) -> Result<i32, Errno> {
    plain_call(nr::FCNTL, [reg(fd), cmd as usize, arg]).map(|value| value as i32)
}

/// `pipe2(fds, flags)` with `flags` from `O_CLOEXEC | O_NONBLOCK`: returns the read end and
/// the write end.
pub fn pipe2(flags: u32) -> Result<(i32, i32), Errno> {
    let mut fds = [0i32; 2];
    // SAFETY: `fds` is two `i32`s (C's `int[2]`), exclusively borrowed for the call; the
    // kernel stores two `int`s there, and any bits are valid `i32`s.
    decode(unsafe { syscall2(nr::PIPE2, fds.as_mut_ptr() as usize, flags as usize) })?;
    Ok((fds[0], fds[1]))
}

/// `pipe(fds)`: [`pipe2`] without flags.
pub fn pipe() -> Result<(i32, i32), Errno> {
    pipe2(0)
}

/// `fstat(fd)`: the status of the open file.
pub fn fstat(fd: i32) -> Result<Stat, Errno> {
    let mut image = [0u8; Stat::SIZE];
    // SAFETY: `image` is `Stat::SIZE` bytes, exclusively borrowed for the call; the kernel
    // stores one `struct stat` there, and any bytes are valid `u8`s.
    decode(unsafe { syscall2(nr::FSTAT, reg(fd), image.as_mut_ptr() as usize) })?;
    Ok(Stat::from_bytes(&image))
}

/// `newfstatat(dirfd, path, &stat, flags)`: the status of the file at `path` (relative to
/// `dirfd` unless absolute); `flags` may hold `AT_SYMLINK_NOFOLLOW` and `AT_EMPTY_PATH`.
pub fn fstatat(dirfd: i32, path: &str, flags: u32) -> Result<Stat, Errno> {
    let path = CPath::new(path)?;
    let mut image = [0u8; Stat::SIZE];
    // SAFETY: `path` is a NUL-terminated copy that lives across the call and is only read;
    // `image` is `Stat::SIZE` bytes, exclusively borrowed for the call, where the kernel
    // stores one `struct stat`, and any bytes are valid `u8`s.
    decode(unsafe {
        syscall4(
            nr::NEWFSTATAT,
            reg(dirfd),
            path.addr(),
            image.as_mut_ptr() as usize,
            flags as usize,
        )
    })?;
    Ok(Stat::from_bytes(&image))
}

/// `stat(path)`: [`fstatat`] from the working directory, following a final symbolic link.
pub fn stat(path: &str) -> Result<Stat, Errno> {
    fstatat(AT_FDCWD, path, 0)
}

/// `lstat(path)`: [`fstatat`] with `AT_SYMLINK_NOFOLLOW`.
pub fn lstat(path: &str) -> Result<Stat, Errno> {
    fstatat(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW)
}

/// What `statfs` says about a mounted file system: the fields of Linux's riscv64
/// `struct statfs` (120 bytes; `f_fsid`, `f_flags` and the spare words are left out).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Statfs {
    /// File-system type (a magic number).
    pub f_type: u64,
    /// Block size for `f_blocks`, `f_bfree` and `f_bavail`.
    pub f_bsize: u64,
    /// Size of the file system in blocks.
    pub f_blocks: u64,
    /// Free blocks.
    pub f_bfree: u64,
    /// Free blocks an unprivileged user may use.
    pub f_bavail: u64,
    /// Inodes.
    pub f_files: u64,
    /// Free inodes.
    pub f_ffree: u64,
    /// Longest file name.
    pub f_namelen: u64,
}

/// Bytes of Linux's riscv64 `struct statfs`.
const STATFS_SIZE: usize = 120;

/// `statfs(path)`: the state of the file system holding `path`.
pub fn statfs(path: &str) -> Result<Statfs, Errno> {
    let path = CPath::new(path)?;
    let mut image = [0u8; STATFS_SIZE];
    // SAFETY: `path` is a NUL-terminated copy that lives across the call and is only read;
    // `image` is `STATFS_SIZE` bytes, the size of the `struct statfs` the kernel stores
    // there, exclusively borrowed for the call; any bytes are valid `u8`s.
    decode(unsafe { syscall2(nr::STATFS, path.addr(), image.as_mut_ptr() as usize) })?;
    // The words of `struct statfs`, in order: type, bsize, blocks, bfree, bavail, files,
    // ffree, fsid (two ints), namelen.
    let word = |index: usize| u64::read_le(&image[index * 8..]);
    Ok(Statfs {
        f_type: word(0),
        f_bsize: word(1),
        f_blocks: word(2),
        f_bfree: word(3),
        f_bavail: word(4),
        f_files: word(5),
        f_ffree: word(6),
        f_namelen: word(8),
    })
}

/// `getdents64(fd, buf)`: fills `buf` with directory records (each a [`Dirent64Header`],
/// the NUL-terminated name and padding) and returns the bytes used; 0 at the end of the
/// directory. [`Dir`] and [`DirentRecords`] take the records apart.
pub fn getdents64(fd: i32, buf: &mut [u8]) -> Result<usize, Errno> {
    // SAFETY: `buf` is exclusively borrowed and writable for `buf.len()` bytes for the whole
    // call; the kernel stores at most that many bytes, and any bytes are valid `u8`s.
    decode(unsafe {
        syscall3(
            nr::GETDENTS64,
            reg(fd),
            buf.as_mut_ptr() as usize,
            buf.len(),
        )
    })
}

/// One directory entry, as a `getdents64` record describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    /// Inode number.
    pub ino: u64,
    /// The opaque position after this entry.
    pub off: i64,
    /// The length of the record, header and padding included.
    pub reclen: u16,
    /// The file type, `abi::fs::DT_*`.
    pub kind: u8,
    /// The name (bytes that are not UTF-8 become U+FFFD).
    pub name: String,
}

/// The records of a buffer that `getdents64` filled: each item is an entry, or `EIO` (and
/// then nothing more) if a record is malformed: shorter than a header and a NUL, running
/// past the end of the data, or with a name lacking its NUL.
pub struct DirentRecords<'a> {
    /// The data `getdents64` returned.
    data: &'a [u8],
    /// The start of the next record.
    pos: usize,
}

impl<'a> DirentRecords<'a> {
    /// The records in `data`, the bytes `getdents64` reported filling.
    pub fn new(data: &'a [u8]) -> DirentRecords<'a> {
        DirentRecords { data, pos: 0 }
    }
}

impl Iterator for DirentRecords<'_> {
    type Item = Result<DirEntry, Errno>;

    fn next(&mut self) -> Option<Result<DirEntry, Errno>> {
        let rest = &self.data[self.pos..];
        if rest.is_empty() {
            return None;
        }
        let header_len = Dirent64Header::SIZE;
        let parsed = (rest.len() > header_len)
            .then(|| Dirent64Header::read_le(rest))
            .filter(|header| {
                let reclen = usize::from(header.d_reclen);
                reclen > header_len && reclen <= rest.len()
            })
            .and_then(|header| {
                let name_area = &rest[header_len..usize::from(header.d_reclen)];
                let name_len = name_area.iter().position(|&byte| byte == 0)?;
                Some(DirEntry {
                    ino: header.d_ino,
                    off: header.d_off,
                    reclen: header.d_reclen,
                    kind: header.d_type,
                    name: String::from_utf8_lossy(&name_area[..name_len]).into_owned(),
                })
            });
        match parsed {
            Some(entry) => {
                self.pos += usize::from(entry.reclen);
                Some(Ok(entry))
            }
            None => {
                self.pos = self.data.len();
                Some(Err(Errno::EIO))
            }
        }
    }
}

/// Bytes a [`Dir`] reads per `getdents64` call unless told otherwise.
pub const DIR_BUFFER: usize = 4096;

/// An open directory, read entry by entry with `getdents64`: an iterator of
/// `Result<DirEntry, Errno>` that ends after the kernel reports the end of the directory or
/// after the first error. Closes its descriptor when dropped.
pub struct Dir {
    /// The directory's descriptor, owned.
    fd: i32,
    /// What the last `getdents64` returned.
    buf: Vec<u8>,
    /// The bytes of `buf` it filled.
    len: usize,
    /// The start of the next record in `buf`.
    pos: usize,
    /// Set at the end of the directory or after an error.
    done: bool,
}

impl Dir {
    /// Opens the directory at `path` (`O_RDONLY | O_DIRECTORY | O_CLOEXEC`).
    pub fn open(path: &str) -> Result<Dir, Errno> {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0)?;
        Ok(Dir::from_fd(fd, DIR_BUFFER))
    }

    /// Reads the open directory `fd`, which the `Dir` now owns, `buffer` bytes per
    /// `getdents64` call.
    pub fn from_fd(fd: i32, buffer: usize) -> Dir {
        Dir {
            fd,
            buf: alloc::vec![0; buffer],
            len: 0,
            pos: 0,
            done: false,
        }
    }
}

impl Iterator for Dir {
    type Item = Result<DirEntry, Errno>;

    fn next(&mut self) -> Option<Result<DirEntry, Errno>> {
        if self.done {
            return None;
        }
        if self.pos == self.len {
            match getdents64(self.fd, &mut self.buf) {
                Ok(0) => {
                    self.done = true;
                    return None;
                }
                Ok(len) if len <= self.buf.len() => {
                    self.len = len;
                    self.pos = 0;
                }
                Ok(_) => {
                    self.done = true;
                    return Some(Err(Errno::EIO));
                }
                Err(error) => {
                    self.done = true;
                    return Some(Err(error));
                }
            }
        }
        let mut records = DirentRecords::new(&self.buf[self.pos..self.len]);
        let entry = records.next();
        match &entry {
            Some(Ok(entry)) => self.pos += usize::from(entry.reclen),
            _ => self.done = true,
        }
        entry
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        // Nothing can be done about a failed close here; the descriptor is gone either way.
        let _ = close(self.fd);
    }
}

/// Every entry of the directory at `path`, `.` and `..` included, in the kernel's order.
pub fn read_dir(path: &str) -> Result<Vec<DirEntry>, Errno> {
    Dir::open(path)?.collect()
}

/// `mkdirat(dirfd, path, mode)`: creates a directory.
pub fn mkdirat(dirfd: i32, path: &str, mode: u32) -> Result<(), Errno> {
    let path = CPath::new(path)?;
    path_call(nr::MKDIRAT, [reg(dirfd), path.addr(), mode as usize, 0, 0]).map(|_| ())
}

/// `mknodat(AT_FDCWD, path, S_IFIFO | mode, 0)`: creates a FIFO (named pipe) at `path` with
/// the permission bits of `mode` (less the umask); file-type bits in `mode` are dropped.
/// `EEXIST` if `path` exists, `EINVAL` if it holds a NUL byte.
pub fn mkfifo(path: &str, mode: u32) -> Result<(), Errno> {
    let path = CPath::new(path)?;
    let mode = abi::fs::S_IFIFO | (mode & !abi::fs::S_IFMT);
    path_call(
        nr::MKNODAT,
        [reg(AT_FDCWD), path.addr(), mode as usize, 0, 0],
    )
    .map(|_| ())
}

/// `mkdir(path, mode)`: [`mkdirat`] from the working directory.
pub fn mkdir(path: &str, mode: u32) -> Result<(), Errno> {
    mkdirat(AT_FDCWD, path, mode)
}

/// `unlinkat(dirfd, path, flags)`: removes a name; with `AT_REMOVEDIR`, an empty
/// directory.
pub fn unlinkat(dirfd: i32, path: &str, flags: u32) -> Result<(), Errno> {
    let path = CPath::new(path)?;
    path_call(
        nr::UNLINKAT,
        [reg(dirfd), path.addr(), flags as usize, 0, 0],
    )
    .map(|_| ())
}

/// `unlink(path)`: removes a name that is not a directory.
pub fn unlink(path: &str) -> Result<(), Errno> {
    unlinkat(AT_FDCWD, path, 0)
}

/// `rmdir(path)`: removes an empty directory.
pub fn rmdir(path: &str) -> Result<(), Errno> {
    unlinkat(AT_FDCWD, path, AT_REMOVEDIR)
}

/// `linkat(olddir, old, newdir, new, flags)`: gives the file `old` the additional name
/// `new`.
pub fn linkat(olddir: i32, old: &str, newdir: i32, new: &str, flags: u32) -> Result<(), Errno> {
    let (old, new) = (CPath::new(old)?, CPath::new(new)?);
    path_call(
        nr::LINKAT,
        [
            reg(olddir),
            old.addr(),
            reg(newdir),
            new.addr(),
            flags as usize,
        ],
    )
    .map(|_| ())
}

/// `link(old, new)`: [`linkat`] from the working directory.
pub fn link(old: &str, new: &str) -> Result<(), Errno> {
    linkat(AT_FDCWD, old, AT_FDCWD, new, 0)
}

/// `symlinkat(target, dirfd, path)`: creates the symbolic link `path` (relative to `dirfd`
/// unless absolute) holding the text `target`, which need not name an existing file.
pub fn symlinkat(target: &str, dirfd: i32, path: &str) -> Result<(), Errno> {
    let (target, path) = (CPath::new(target)?, CPath::new(path)?);
    path_call(
        nr::SYMLINKAT,
        [target.addr(), reg(dirfd), path.addr(), 0, 0],
    )
    .map(|_| ())
}

/// `symlink(target, path)`: [`symlinkat`] from the working directory.
pub fn symlink(target: &str, path: &str) -> Result<(), Errno> {
    symlinkat(target, AT_FDCWD, path)
}

/// `readlinkat(dirfd, path, buf)`: the target of the symbolic link `path` (relative to
/// `dirfd` unless absolute); `EINVAL` if it is not a link. Bytes that are not UTF-8 become
/// U+FFFD.
pub fn readlinkat(dirfd: i32, path: &str) -> Result<String, Errno> {
    let path = CPath::new(path)?;
    let mut buf = alloc::vec![0u8; PATH_MAX];
    // SAFETY: `path` is a NUL-terminated copy that lives across the call and is only read;
    // `buf` is exclusively borrowed and writable for `buf.len()` bytes for the whole call,
    // the kernel stores at most that many, and any bytes are valid `u8`s.
    let len = decode(unsafe {
        syscall4(
            nr::READLINKAT,
            reg(dirfd),
            path.addr(),
            buf.as_mut_ptr() as usize,
            buf.len(),
        )
    })?;
    Ok(String::from_utf8_lossy(&buf[..len.min(buf.len())]).into_owned())
}

/// `readlink(path)`: [`readlinkat`] from the working directory.
pub fn readlink(path: &str) -> Result<String, Errno> {
    readlinkat(AT_FDCWD, path)
}

/// `renameat2(olddir, old, newdir, new, flags)` with `flags` from `abi::fs::RENAME_*`.
pub fn renameat2(olddir: i32, old: &str, newdir: i32, new: &str, flags: u32) -> Result<(), Errno> {
    let (old, new) = (CPath::new(old)?, CPath::new(new)?);
    path_call(
        nr::RENAMEAT2,
        [
            reg(olddir),
            old.addr(),
            reg(newdir),
            new.addr(),
            flags as usize,
        ],
    )
    .map(|_| ())
}

/// `rename(old, new)`: [`renameat2`] from the working directory, without flags.
pub fn rename(old: &str, new: &str) -> Result<(), Errno> {
    renameat2(AT_FDCWD, old, AT_FDCWD, new, 0)
}

/// `chdir(path)`: changes the working directory.
pub fn chdir(path: &str) -> Result<(), Errno> {
    let path = CPath::new(path)?;
    path_call(nr::CHDIR, [path.addr(), 0, 0, 0, 0]).map(|_| ())
}

/// `fchdir(fd)`: makes the open directory `fd` the working directory.
pub fn fchdir(fd: i32) -> Result<(), Errno> {
    plain_call(nr::FCHDIR, [reg(fd), 0, 0]).map(|_| ())
}

/// The `getcwd(buf, size)` system call: stores the working directory's absolute path and a
/// NUL in `buf` and returns the length stored, NUL included; `ERANGE` if `buf` is too small.
pub fn getcwd_into(buf: &mut [u8]) -> Result<usize, Errno> {
    // SAFETY: `buf` is exclusively borrowed and writable for `buf.len()` bytes for the whole
    // call; the kernel stores at most that many bytes, and any bytes are valid `u8`s.
    decode(unsafe { syscall2(nr::GETCWD, buf.as_mut_ptr() as usize, buf.len()) })
}

/// The working directory's absolute path.
pub fn getcwd() -> Result<String, Errno> {
    let mut buf = alloc::vec![0u8; PATH_MAX];
    let len = getcwd_into(&mut buf)?.min(buf.len());
    let path = &buf[..len];
    let end = path.iter().position(|&byte| byte == 0).unwrap_or(len);
    Ok(String::from_utf8_lossy(&path[..end]).into_owned())
}

/// `fsync(fd)`: returns once the file's data and metadata are on the disk.
pub fn fsync(fd: i32) -> Result<(), Errno> {
    plain_call(nr::FSYNC, [reg(fd), 0, 0]).map(|_| ())
}

/// `sync()`: writes every file system's pending changes to its disk.
pub fn sync() -> Result<(), Errno> {
    // SAFETY: `sync` takes no arguments and touches no user memory.
    decode(unsafe { syscall0(nr::SYNC) }).map(|_| ())
}

/// `ftruncate(fd, len)`: makes the file `len` bytes long; bytes added read as zeros.
pub fn ftruncate(fd: i32, len: i64) -> Result<(), Errno> {
    plain_call(nr::FTRUNCATE, [reg(fd), len as usize, 0]).map(|_| ())
}

/// `faccessat(dirfd, path, mode)` with `mode` from `abi::fs::{F_OK, R_OK, W_OK, X_OK}`:
/// whether the caller may access the file so (with its real ids).
pub fn faccessat(dirfd: i32, path: &str, mode: u32) -> Result<(), Errno> {
    let path = CPath::new(path)?;
    path_call(
        nr::FACCESSAT,
        [reg(dirfd), path.addr(), mode as usize, 0, 0],
    )
    .map(|_| ())
}

/// `access(path, mode)`: [`faccessat`] from the working directory.
pub fn access(path: &str, mode: u32) -> Result<(), Errno> {
    faccessat(AT_FDCWD, path, mode)
}

/// `utimensat(dirfd, path, times, flags)`: sets the access and modification times
/// (`times[0]`, `times[1]`; a `tv_nsec` of `abi::fs::UTIME_NOW` or `UTIME_OMIT` means "now"
/// or "leave it"); `None` sets both to now. With `path` `None` it changes the open file
/// `dirfd` itself (the C library's `futimens`).
pub fn utimensat(
    dirfd: i32,
    path: Option<&str>,
    times: Option<&[Timespec; 2]>,
    flags: u32,
) -> Result<(), Errno> {
    let path = path.map(CPath::new).transpose()?;
    let path_addr = path.as_ref().map_or(0, CPath::addr);
    let mut image = [0u8; 2 * Timespec::SIZE];
    let times_addr = match times {
        Some(times) => {
            times.write_le(&mut image);
            image.as_ptr() as usize
        }
        None => 0,
    };
    // SAFETY: `path_addr` is 0 or the address of a NUL-terminated copy, and `times_addr` is 0
    // or the address of the image of two `struct timespec`s; both live across the call, and
    // `utimensat` only reads them.
    decode(unsafe {
        syscall4(
            nr::UTIMENSAT,
            reg(dirfd),
            path_addr,
            times_addr,
            flags as usize,
        )
    })
    .map(|_| ())
}

/// Reads from `fd` until end of file and returns everything read.
pub fn read_to_end(fd: i32) -> Result<Vec<u8>, Errno> {
    let mut data = Vec::new();
    let mut chunk = [0u8; 1024];
    loop {
        match read(fd, &mut chunk)? {
            0 => return Ok(data),
            count => data.extend_from_slice(&chunk[..count.min(chunk.len())]),
        }
    }
}

/// The whole contents of the file at `path`.
pub fn read_file(path: &str) -> Result<Vec<u8>, Errno> {
    let fd = open(path, O_RDONLY | O_CLOEXEC, 0)?;
    let data = read_to_end(fd);
    close(fd)?;
    data
}

/// The whole contents of the file at `path` as text (bytes that are not UTF-8 become
/// U+FFFD).
pub fn read_to_string(path: &str) -> Result<String, Errno> {
    read_file(path).map(|data| String::from_utf8_lossy(&data).into_owned())
}

/// Creates (or truncates) the file at `path` with permissions `mode` and writes `data` into
/// it.
pub fn write_file(path: &str, data: &[u8], mode: u32) -> Result<(), Errno> {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)?;
    let written = write_all(fd, data);
    close(fd)?;
    written
}

/// Removes `path` and, if it is a directory, everything below it (without following
/// symbolic links). The first error ends the removal.
pub fn remove_tree(path: &str) -> Result<(), Errno> {
    if lstat(path)?.st_mode & S_IFMT != S_IFDIR {
        return unlink(path);
    }
    for entry in read_dir(path)? {
        if entry.name != "." && entry.name != ".." {
            remove_tree(&alloc::format!("{path}/{}", entry.name))?;
        }
    }
    rmdir(path)
}

/// Creates the empty directory `/tmp/<name>.<pid>` for a test's files and returns its path.
/// A leftover of an earlier run with the same pid (a test that failed before cleaning up)
/// is removed first.
pub fn scratch_dir(name: &str) -> Result<String, Errno> {
    let path = alloc::format!("/tmp/{name}.{}", crate::process::getpid()?);
    match remove_tree(&path) {
        Ok(()) | Err(Errno::ENOENT) => {}
        Err(error) => return Err(error),
    }
    mkdir(&path, 0o755)?;
    Ok(path)
}

/// Bytes a [`BufReader`] reads at a time.
pub const READER_BUFFER: usize = 4096;

/// Reads a descriptor line by line, [`READER_BUFFER`] bytes per `read`. It does not own the
/// descriptor.
pub struct BufReader {
    /// The descriptor read.
    fd: i32,
    /// Bytes read but not yet returned are `buf[start..end]`.
    buf: Vec<u8>,
    /// Start of the unreturned bytes.
    start: usize,
    /// End of the bytes read.
    end: usize,
}

impl BufReader {
    /// A reader of `fd`, starting at its current offset.
    pub fn new(fd: i32) -> BufReader {
        BufReader {
            fd,
            buf: alloc::vec![0; READER_BUFFER],
            start: 0,
            end: 0,
        }
    }

    /// The next line without its `\n` (bytes that are not UTF-8 become U+FFFD); the last
    /// line may lack the `\n`. `None` at end of file.
    pub fn read_line(&mut self) -> Result<Option<String>, Errno> {
        let mut line = Vec::new();
        loop {
            let pending = &self.buf[self.start..self.end];
            if let Some(newline) = pending.iter().position(|&byte| byte == b'\n') {
                line.extend_from_slice(&pending[..newline]);
                self.start += newline + 1;
                return Ok(Some(String::from_utf8_lossy(&line).into_owned()));
            }
            line.extend_from_slice(pending);
            self.start = 0;
            self.end = 0;
            match read(self.fd, &mut self.buf)? {
                0 if line.is_empty() => return Ok(None),
                0 => return Ok(Some(String::from_utf8_lossy(&line).into_owned())),
                count => self.end = count.min(self.buf.len()),
            }
        }
    }

    /// The remaining lines, as [`read_line`](BufReader::read_line) returns them.
    pub fn lines(&mut self) -> impl Iterator<Item = Result<String, Errno>> + '_ {
        core::iter::from_fn(move || self.read_line().transpose())
    }
}
