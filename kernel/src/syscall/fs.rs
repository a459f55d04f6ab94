//! File syscalls (concepts F4, F5, I1): open/close/read/write and friends, descriptors,
//! pipes, directories and paths. Linux semantics and numbers; `*at` forms take a directory
//! descriptor or `AT_FDCWD`.

use crate::fs::file::{Object, OpenFile};
use crate::fs::{self, Access, FileType, Inode, PATH_MAX, SetAttr, Timestamp};
use crate::mm::user::{UserPtr, read_c_string};
use crate::proc::{Process, UserState};
use abi::errno::Errno;
use abi::fs::{
    AT_EMPTY_PATH, AT_FDCWD, AT_REMOVEDIR, AT_SYMLINK_FOLLOW, AT_SYMLINK_NOFOLLOW, F_DUPFD,
    F_DUPFD_CLOEXEC, F_GETFD, F_GETFL, F_SETFD, F_SETFL, FD_CLOEXEC, Iovec, O_ACCMODE, O_APPEND,
    O_CLOEXEC, O_CREAT, O_DIRECT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_NONBLOCK, O_RDONLY, O_RDWR,
    O_TRUNC, O_WRONLY, S_IFBLK, S_IFCHR, S_IFIFO, S_IFMT, S_IFREG, S_IFSOCK, Stat, UTIME_NOW,
    UTIME_OMIT, X_OK,
};
use abi::time::Timespec;
use abi::wire::WireFormat;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;
use hal::PAGE_SIZE;

/// Most bytes one read or write moves (Linux caps a call the same way: a short count).
pub(super) const MAX_RW: usize = 1 << 20;
/// Most iovecs in one readv/writev (Linux's IOV_MAX).
pub(super) const IOV_MAX: usize = 1024;

type Result<T> = core::result::Result<T, Errno>;

fn file(me: &Process, fd: usize) -> Result<Arc<OpenFile>> {
    me.files().lock().get(fd)
}

fn path_arg(user: &mut UserState, addr: usize) -> Result<String> {
    read_c_string(&mut user.space, addr, PATH_MAX - 1, Errno::ENAMETOOLONG)
}

/// The directory a `*at` path is relative to. An absolute path ignores `dirfd`.
pub(super) fn start_dir(me: &Process, dirfd: usize, path: &str) -> Result<Arc<dyn Inode>> {
    if path.starts_with('/') {
        return Ok(fs::root());
    }
    base_dir(me, dirfd)
}

/// The directory `dirfd` names (`AT_FDCWD`: the working directory).
fn base_dir(me: &Process, dirfd: usize) -> Result<Arc<dyn Inode>> {
    if dirfd as i32 == AT_FDCWD {
        return Ok(me.fs.cwd.lock().clone());
    }
    let file = file(me, dirfd as u32 as usize)?;
    let inode = file.inode().ok_or(Errno::ENOTDIR)?.clone();
    if inode.metadata()?.kind != FileType::Directory {
        return Err(Errno::ENOTDIR);
    }
    Ok(inode)
}

pub(super) fn creds(me: &Process) -> crate::proc::Credentials {
    me.inner().creds
}

/// `openat(dirfd, path, flags, mode)`.
pub fn openat(
    me: &Arc<Process>,
    user: &mut UserState,
    dirfd: usize,
    path: usize,
    flags: usize,
    mode: usize,
) -> Result<usize> {
    let flags = flags as u32;
    let path = path_arg(user, path)?;
    if flags & O_ACCMODE == O_ACCMODE {
        return Err(Errno::EINVAL);
    }
    let base = start_dir(me, dirfd, &path)?;
    let creds = creds(me);
    let inode = if flags & O_CREAT != 0 {
        let (dir, name) = fs::resolve_parent(&base, &path)?;
        // Look up, else create; if someone else creates the name between the two (another
        // process racing on the same name), look it up again: without O_EXCL, opening what
        // they made is the answer, as if the lookup had come second.
        loop {
            match dir.lookup(name) {
                Ok(_) if flags & O_EXCL != 0 => return Err(Errno::EEXIST),
                Ok(existing) if existing.metadata()?.kind == FileType::Directory => {
                    return Err(Errno::EISDIR);
                }
                Ok(existing) => {
                    break fs::resolve(&dir, name, flags & O_NOFOLLOW == 0).unwrap_or(existing);
                }
                Err(Errno::ENOENT) => {
                    if path.ends_with('/') {
                        return Err(Errno::EISDIR);
                    }
                    fs::check_access(&dir.metadata()?, creds, Access::Write)?;
                    let perm = mode as u32 & 0o7777 & !me.fs.umask.load(Ordering::Relaxed);
                    match dir.create(name, FileType::Regular, perm, creds.euid, creds.egid) {
                        Err(Errno::EEXIST) if flags & O_EXCL == 0 => continue,
                        created => break created?,
                    }
                }
                Err(e) => return Err(e),
            }
        }
    } else {
        fs::resolve(&base, &path, flags & O_NOFOLLOW == 0)?
    };
    let meta = inode.metadata()?;
    if meta.kind == FileType::Symlink {
        return Err(Errno::ELOOP);
    }
    if flags & O_DIRECTORY != 0 && meta.kind != FileType::Directory {
        return Err(Errno::ENOTDIR);
    }
    let access = flags & O_ACCMODE;
    if meta.kind == FileType::Directory && access != O_RDONLY {
        return Err(Errno::EISDIR);
    }
    if matches!(access, O_RDONLY | O_RDWR) {
        fs::check_access(&meta, creds, Access::Read)?;
    }
    if matches!(access, O_WRONLY | O_RDWR) {
        fs::check_access(&meta, creds, Access::Write)?;
    }
    if meta.kind == FileType::Socket {
        // A socket's name is for `connect`, not `open`.
        return Err(Errno::ENXIO);
    }
    if flags & O_TRUNC != 0 && access != O_RDONLY && meta.kind == FileType::Regular {
        inode.truncate(0)?;
    }
    let status = flags & (O_ACCMODE | O_APPEND | O_NONBLOCK | O_DIRECT);
    let open = if meta.kind == FileType::Fifo {
        fs::fifo::open(inode, status)?
    } else {
        OpenFile::new(Object::Inode(inode), status)
    };
    me.files().lock().insert(open, flags & O_CLOEXEC != 0)
}

/// `close(fd)`.
pub fn close(me: &Arc<Process>, fd: usize) -> Result<usize> {
    let closed = me.files().lock().remove(fd)?;
    crate::net::unix::descriptor_closed(closed);
    Ok(0)
}

/// A zeroed kernel buffer for a transfer of `count` bytes (at most `MAX_RW`). The kernel heap
/// needs physically contiguous memory for it, which a fragmented memory may not have even
/// with plenty free: then the buffer is smaller (halved until it fits, down to a page) and
/// the call moves fewer bytes, a short count that callers of read and write must expect
/// anyway. `ENOMEM` only if not even that is left.
pub(super) fn transfer_buffer(count: usize) -> Result<Vec<u8>> {
    let mut len = count.min(MAX_RW);
    loop {
        if let Ok(bytes) = zeroed(len) {
            return Ok(bytes);
        }
        if len <= PAGE_SIZE {
            return Err(Errno::ENOMEM);
        }
        len = (len / 2).max(PAGE_SIZE);
    }
}

/// A zeroed kernel buffer of exactly `len` bytes, or `ENOMEM` (never the heap's abort).
pub(super) fn zeroed(len: usize) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    bytes.try_reserve_exact(len).map_err(|_| Errno::ENOMEM)?;
    bytes.resize(len, 0);
    Ok(bytes)
}

/// Reads into the user buffer `[buf, buf + count)` through `fill` (at most `MAX_RW` bytes):
/// the buffer is checked before `fill` may block, so a bad buffer fails at once and no data
/// is consumed from a pipe or the console for nothing.
fn read_to_user(
    user: &mut UserState,
    buf: usize,
    count: usize,
    fill: impl FnOnce(&mut [u8]) -> Result<usize>,
) -> Result<usize> {
    let count = count.min(MAX_RW);
    user.space
        .check_access(buf, count, hal::trap::Access::Write)?;
    let mut bytes = transfer_buffer(count)?;
    let got = fill(&mut bytes)?;
    user.space.copy_out(buf, &bytes[..got])?;
    Ok(got)
}

/// The user buffer `[buf, buf + count)` (at most `MAX_RW` bytes), or `EFAULT`, all of it
/// (`ENOMEM` if the kernel cannot hold it: for messages, which must go whole).
pub(super) fn bytes_from_user(user: &mut UserState, buf: usize, count: usize) -> Result<Vec<u8>> {
    let mut bytes = zeroed(count.min(MAX_RW))?;
    user.space.copy_in(buf, &mut bytes)?;
    Ok(bytes)
}

/// The bytes of `[buf, buf + count)` that one `write` to `file` moves: all of it (at most
/// `MAX_RW`) for a socket, whose datagrams go whole; for anything else a first part of it
/// when memory is fragmented (see [`transfer_buffer`]). `EFAULT` if any byte of the whole
/// buffer is invalid.
fn bytes_to_write(
    user: &mut UserState,
    file: &OpenFile,
    buf: usize,
    count: usize,
) -> Result<Vec<u8>> {
    if matches!(file.object, Object::Socket(_)) {
        return bytes_from_user(user, buf, count);
    }
    let count = count.min(MAX_RW);
    user.space
        .check_access(buf, count, hal::trap::Access::Read)?;
    let mut bytes = transfer_buffer(count)?;
    user.space.copy_in(buf, &mut bytes)?;
    Ok(bytes)
}

/// A `pread`/`pwrite` offset: negative is `EINVAL`.
fn file_offset(offset: usize) -> Result<u64> {
    if (offset as i64) < 0 {
        Err(Errno::EINVAL)
    } else {
        Ok(offset as u64)
    }
}

/// `read(fd, buf, count)`.
pub fn read(
    me: &Arc<Process>,
    user: &mut UserState,
    fd: usize,
    buf: usize,
    count: usize,
) -> Result<usize> {
    let file = file(me, fd)?;
    read_to_user(user, buf, count, |bytes| file.read(bytes))
}

/// `write(fd, buf, count)`. Lantern returns `EFAULT` when any byte of the buffer is invalid
/// (Linux may return a short count for a partly valid buffer).
pub fn write(
    me: &Arc<Process>,
    user: &mut UserState,
    fd: usize,
    buf: usize,
    count: usize,
) -> Result<usize> {
    let file = file(me, fd)?;
    file.write(&bytes_to_write(user, &file, buf, count)?)
}

pub(super) fn iovecs(user: &mut UserState, iov: usize, count: usize) -> Result<Vec<Iovec>> {
    if count > IOV_MAX {
        return Err(Errno::EINVAL);
    }
    (0..count)
        .map(|i| {
            let at = iov.checked_add(i * Iovec::SIZE).ok_or(Errno::EFAULT)?;
            UserPtr::<Iovec>::new(at).read(&mut user.space)
        })
        .collect()
}

/// `readv(fd, iov, count)`: one read of the buffers' total size (so a datagram socket
/// hands over one datagram), scattered over the buffers in order.
pub fn readv(
    me: &Arc<Process>,
    user: &mut UserState,
    fd: usize,
    iov: usize,
    count: usize,
) -> Result<usize> {
    let file = file(me, fd)?;
    let vectors = iovecs(user, iov, count)?;
    let mut bytes = transfer_buffer(check_iovecs_writable(user, &vectors)?)?;
    let got = file.read(&mut bytes)?;
    scatter(user, &vectors, &bytes[..got])?;
    Ok(got)
}

/// Checks that every buffer of `vectors` may be written; returns their total size, at
/// most `MAX_RW` (Linux cuts a call the same way).
pub(super) fn check_iovecs_writable(user: &mut UserState, vectors: &[Iovec]) -> Result<usize> {
    let mut total: usize = 0;
    for v in vectors {
        user.space
            .check_access(v.base, v.len, hal::trap::Access::Write)?;
        total = total.saturating_add(v.len);
    }
    Ok(total.min(MAX_RW))
}

/// Copies `data` out over the buffers of `vectors`, filling each before the next.
pub(super) fn scatter(user: &mut UserState, vectors: &[Iovec], mut data: &[u8]) -> Result<()> {
    for v in vectors {
        if data.is_empty() {
            break;
        }
        let count = v.len.min(data.len());
        user.space.copy_out(v.base, &data[..count])?;
        data = &data[count..];
    }
    Ok(())
}

/// `writev(fd, iov, count)`: writes the buffers in order.
pub fn writev(
    me: &Arc<Process>,
    user: &mut UserState,
    fd: usize,
    iov: usize,
    count: usize,
) -> Result<usize> {
    let file = file(me, fd)?;
    let vectors = iovecs(user, iov, count)?;
    file.write(&gather(user, &vectors)?)
}

/// The bytes of the buffers of `vectors`, one after the other (at most `MAX_RW`).
pub(super) fn gather(user: &mut UserState, vectors: &[Iovec]) -> Result<Vec<u8>> {
    let total = vectors
        .iter()
        .fold(0usize, |sum, v| sum.saturating_add(v.len))
        .min(MAX_RW);
    let mut data = zeroed(total)?;
    let mut start = 0;
    for v in vectors {
        let len = v.len.min(total - start);
        user.space.copy_in(v.base, &mut data[start..start + len])?;
        start += len;
    }
    Ok(data)
}

/// `pread64(fd, buf, count, offset)`.
pub fn pread(
    me: &Arc<Process>,
    user: &mut UserState,
    fd: usize,
    buf: usize,
    count: usize,
    offset: usize,
) -> Result<usize> {
    let file = file(me, fd)?;
    let offset = file_offset(offset)?;
    read_to_user(user, buf, count, |bytes| file.read_at(offset, bytes))
}

/// `pwrite64(fd, buf, count, offset)`.
pub fn pwrite(
    me: &Arc<Process>,
    user: &mut UserState,
    fd: usize,
    buf: usize,
    count: usize,
    offset: usize,
) -> Result<usize> {
    let file = file(me, fd)?;
    let offset = file_offset(offset)?;
    file.write_at(offset, &bytes_to_write(user, &file, buf, count)?)
}

/// `lseek(fd, offset, whence)`.
pub fn lseek(me: &Arc<Process>, fd: usize, offset: usize, whence: usize) -> Result<usize> {
    file(me, fd)?
        .seek(offset as i64, whence as i32)
        .map(|o| o as usize)
}

/// `dup(fd)`.
pub fn dup(me: &Arc<Process>, fd: usize) -> Result<usize> {
    let table = me.files();
    let mut files = table.lock();
    let file = files.get(fd)?;
    files.insert(file, false)
}

/// `dup3(old, new, flags)`.
pub fn dup3(me: &Arc<Process>, old: usize, new: usize, flags: usize) -> Result<usize> {
    let flags = flags as u32;
    if flags & !O_CLOEXEC != 0 || old == new {
        return Err(Errno::EINVAL);
    }
    let replaced = {
        let table = me.files();
        let mut files = table.lock();
        let file = files.get(old)?;
        files.replace(new, file, flags & O_CLOEXEC != 0)?
    };
    drop(replaced);
    Ok(new)
}

/// `fcntl(fd, cmd, arg)`.
pub fn fcntl(me: &Arc<Process>, fd: usize, cmd: usize, arg: usize) -> Result<usize> {
    let table = me.files();
    let mut files = table.lock();
    let file = files.get(fd)?;
    match cmd as i32 {
        F_DUPFD => files.insert_from(arg, file, false),
        F_DUPFD_CLOEXEC => files.insert_from(arg, file, true),
        F_GETFD => Ok(if files.cloexec(fd)? {
            FD_CLOEXEC as usize
        } else {
            0
        }),
        F_SETFD => files
            .set_cloexec(fd, arg as u32 & FD_CLOEXEC != 0)
            .map(|()| 0),
        F_GETFL => Ok(file.flags() as usize),
        F_SETFL => {
            file.set_flags(arg as u32);
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}

/// `pipe2(fds, flags)`: fds[0] reads, fds[1] writes.
pub fn pipe2(me: &Arc<Process>, user: &mut UserState, fds: usize, flags: usize) -> Result<usize> {
    let flags = flags as u32;
    if flags & !(O_CLOEXEC | O_NONBLOCK | O_DIRECT) != 0 {
        return Err(Errno::EINVAL);
    }
    user.space.check_access(fds, 8, hal::trap::Access::Write)?;
    let (reader, writer) = OpenFile::new_pipe(flags);
    let cloexec = flags & O_CLOEXEC != 0;
    let (r, w) = {
        let table = me.files();
        let mut files = table.lock();
        let r = files.insert(reader, cloexec)?;
        match files.insert(writer, cloexec) {
            Ok(w) => (r, w),
            Err(e) => {
                let reader = files.remove(r);
                drop(files);
                drop(reader);
                return Err(e);
            }
        }
    };
    UserPtr::<[i32; 2]>::new(fds).write(&mut user.space, &[r as i32, w as i32])?;
    Ok(0)
}

fn write_stat(user: &mut UserState, buf: usize, meta: &fs::Metadata) -> Result<usize> {
    UserPtr::<Stat>::new(buf).write(&mut user.space, &meta.to_stat())?;
    Ok(0)
}

/// `fstat(fd, buf)`.
pub fn fstat(me: &Arc<Process>, user: &mut UserState, fd: usize, buf: usize) -> Result<usize> {
    let meta = file(me, fd)?.metadata()?;
    write_stat(user, buf, &meta)
}

/// `newfstatat(dirfd, path, buf, flags)`.
pub fn fstatat(
    me: &Arc<Process>,
    user: &mut UserState,
    dirfd: usize,
    path: usize,
    buf: usize,
    flags: usize,
) -> Result<usize> {
    let flags = flags as u32;
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let path = path_arg(user, path)?;
    if path.is_empty() && flags & AT_EMPTY_PATH == 0 {
        return Err(Errno::ENOENT);
    }
    let meta = if path.is_empty() {
        if dirfd as i32 == AT_FDCWD {
            me.fs.cwd.lock().metadata()?
        } else {
            file(me, dirfd as u32 as usize)?.metadata()?
        }
    } else {
        fs::resolve(
            &start_dir(me, dirfd, &path)?,
            &path,
            flags & AT_SYMLINK_NOFOLLOW == 0,
        )?
        .metadata()?
    };
    write_stat(user, buf, &meta)
}

/// `getdents64(fd, dirp, count)`: `linux_dirent64` records; the file offset is the cookie
/// of the next entry.
pub fn getdents64(
    me: &Arc<Process>,
    user: &mut UserState,
    fd: usize,
    dirp: usize,
    count: usize,
) -> Result<usize> {
    let file = file(me, fd)?;
    let inode = file.inode().ok_or(Errno::ENOTDIR)?.clone();
    if inode.metadata()?.kind != FileType::Directory {
        return Err(Errno::ENOTDIR);
    }
    let count = count.min(MAX_RW);
    user.space
        .check_access(dirp, count, hal::trap::Access::Write)?;
    let (bytes, next_cookie) = file.with_offset(|cookie| -> Result<(Vec<u8>, u64)> {
        let mut bytes = Vec::new();
        let mut next = *cookie;
        for entry in inode.read_dir(*cookie)? {
            let header = abi::fs::Dirent64Header::SIZE;
            let reclen = (header + entry.name.len() + 1).next_multiple_of(8);
            if bytes.len() + reclen > count {
                break;
            }
            let start = bytes.len();
            bytes.resize(start + reclen, 0);
            let record = abi::fs::Dirent64Header {
                d_ino: entry.ino,
                d_off: entry.next as i64,
                d_reclen: reclen as u16,
                d_type: entry.kind.dirent_type(),
            };
            record.write_le(&mut bytes[start..]);
            bytes[start + header..start + header + entry.name.len()]
                .copy_from_slice(entry.name.as_bytes());
            next = entry.next;
        }
        Ok((bytes, next))
    })?;
    if bytes.is_empty() && !inode.read_dir(next_cookie)?.is_empty() {
        return Err(Errno::EINVAL);
    }
    user.space.copy_out(dirp, &bytes)?;
    file.with_offset(|cookie| *cookie = next_cookie);
    Ok(bytes.len())
}

/// `mkdirat(dirfd, path, mode)`.
pub fn mkdirat(
    me: &Arc<Process>,
    user: &mut UserState,
    dirfd: usize,
    path: usize,
    mode: usize,
) -> Result<usize> {
    let path = path_arg(user, path)?;
    let (dir, name) = fs::resolve_parent(&start_dir(me, dirfd, &path)?, &path)?;
    if name == "." || name == ".." {
        return Err(Errno::EEXIST);
    }
    let creds = creds(me);
    fs::check_access(&dir.metadata()?, creds, Access::Write)?;
    let perm = mode as u32 & 0o7777 & !me.fs.umask.load(Ordering::Relaxed);
    dir.create(name, FileType::Directory, perm, creds.euid, creds.egid)?;
    Ok(0)
}

/// `mknodat(dirfd, path, mode, dev)`: makes a FIFO (`S_IFIFO`), a socket name no socket is
/// bound to (`S_IFSOCK`, as on Linux) or an empty regular file (`S_IFREG` or no type).
/// Device nodes live only in devfs: `EPERM`.
pub fn mknodat(
    me: &Arc<Process>,
    user: &mut UserState,
    dirfd: usize,
    path: usize,
    mode: usize,
) -> Result<usize> {
    let mode = mode as u32;
    let kind = match mode & S_IFMT {
        S_IFIFO => FileType::Fifo,
        S_IFSOCK => FileType::Socket,
        0 | S_IFREG => FileType::Regular,
        S_IFCHR | S_IFBLK => return Err(Errno::EPERM),
        _ => return Err(Errno::EINVAL),
    };
    let path = path_arg(user, path)?;
    let perm = mode & 0o7777 & !me.fs.umask.load(Ordering::Relaxed);
    make_node(me, dirfd, &path, kind, perm)?;
    Ok(0)
}

/// Makes a file of type `kind` (not a directory or symbolic link) with permissions `perm`
/// at `path`: `EEXIST` if the name is taken, `EACCES` without write permission on the
/// directory. For `mknodat`, and for `bind`, which makes a socket's file.
pub(super) fn make_node(
    me: &Process,
    dirfd: usize,
    path: &str,
    kind: FileType,
    perm: u32,
) -> Result<Arc<dyn Inode>> {
    let (dir, name) = fs::resolve_parent(&start_dir(me, dirfd, path)?, path)?;
    if name == "." || name == ".." || path.ends_with('/') {
        return Err(Errno::EEXIST);
    }
    if dir.lookup(name).is_ok() {
        return Err(Errno::EEXIST);
    }
    let creds = creds(me);
    fs::check_access(&dir.metadata()?, creds, Access::Write)?;
    dir.create(name, kind, perm, creds.euid, creds.egid)
}

/// `unlinkat(dirfd, path, flags)`: removes a file, or an empty directory with AT_REMOVEDIR.
pub fn unlinkat(
    me: &Arc<Process>,
    user: &mut UserState,
    dirfd: usize,
    path: usize,
    flags: usize,
) -> Result<usize> {
    let flags = flags as u32;
    if flags & !AT_REMOVEDIR != 0 {
        return Err(Errno::EINVAL);
    }
    let path = path_arg(user, path)?;
    let (dir, name) = fs::resolve_parent(&start_dir(me, dirfd, &path)?, &path)?;
    if path.trim_end_matches('/').is_empty() {
        // The root directory itself.
        return Err(if flags & AT_REMOVEDIR != 0 {
            Errno::EBUSY
        } else {
            Errno::EISDIR
        });
    }
    fs::check_access(&dir.metadata()?, creds(me), Access::Write)?;
    if flags & AT_REMOVEDIR != 0 {
        dir.rmdir(name)?;
    } else {
        if name == "." || name == ".." || path.ends_with('/') {
            return Err(Errno::EISDIR);
        }
        dir.unlink(name)?;
    }
    Ok(0)
}

/// `linkat(olddirfd, oldpath, newdirfd, newpath, flags)`.
pub fn linkat(
    me: &Arc<Process>,
    user: &mut UserState,
    old_dirfd: usize,
    old_path: usize,
    new_dirfd: usize,
    new_path: usize,
    flags: usize,
) -> Result<usize> {
    let flags = flags as u32;
    if flags & !(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let old_path = path_arg(user, old_path)?;
    let new_path = path_arg(user, new_path)?;
    let target = fs::resolve(
        &start_dir(me, old_dirfd, &old_path)?,
        &old_path,
        flags & AT_SYMLINK_FOLLOW != 0,
    )?;
    let (dir, name) = fs::resolve_parent(&start_dir(me, new_dirfd, &new_path)?, &new_path)?;
    fs::check_access(&dir.metadata()?, creds(me), Access::Write)?;
    if fs::identity(&dir)?.0 != fs::identity(&target)?.0 {
        return Err(Errno::EXDEV);
    }
    dir.link(name, &target)?;
    Ok(0)
}

/// `renameat2(olddirfd, oldpath, newdirfd, newpath, flags)`.
pub fn renameat2(
    me: &Arc<Process>,
    user: &mut UserState,
    old_dirfd: usize,
    old_path: usize,
    new_dirfd: usize,
    new_path: usize,
    flags: usize,
) -> Result<usize> {
    let old_path = path_arg(user, old_path)?;
    let new_path = path_arg(user, new_path)?;
    let (old_dir, old_name) = fs::resolve_parent(&start_dir(me, old_dirfd, &old_path)?, &old_path)?;
    let (new_dir, new_name) = fs::resolve_parent(&start_dir(me, new_dirfd, &new_path)?, &new_path)?;
    let creds = creds(me);
    fs::check_access(&old_dir.metadata()?, creds, Access::Write)?;
    fs::check_access(&new_dir.metadata()?, creds, Access::Write)?;
    if fs::identity(&old_dir)?.0 != fs::identity(&new_dir)?.0 {
        return Err(Errno::EXDEV);
    }
    old_dir.rename(old_name, &new_dir, new_name, flags as u32)?;
    Ok(0)
}

fn change_dir(me: &Arc<Process>, dir: Arc<dyn Inode>) -> Result<usize> {
    let meta = dir.metadata()?;
    if meta.kind != FileType::Directory {
        return Err(Errno::ENOTDIR);
    }
    fs::check_access(&meta, creds(me), Access::Execute)?;
    *me.fs.cwd.lock() = dir;
    Ok(0)
}

/// `chdir(path)`.
pub fn chdir(me: &Arc<Process>, user: &mut UserState, path: usize) -> Result<usize> {
    let path = path_arg(user, path)?;
    let cwd = me.fs.cwd.lock().clone();
    change_dir(me, fs::resolve(&cwd, &path, true)?)
}

/// `fchdir(fd)`.
pub fn fchdir(me: &Arc<Process>, fd: usize) -> Result<usize> {
    let dir = file(me, fd)?.inode().ok_or(Errno::ENOTDIR)?.clone();
    change_dir(me, dir)
}

/// `getcwd(buf, size)`: returns the length including the NUL, `ERANGE` if it does not fit.
pub fn getcwd(me: &Arc<Process>, user: &mut UserState, buf: usize, size: usize) -> Result<usize> {
    let cwd = me.fs.cwd.lock().clone();
    let mut path = fs::path_of(&cwd)?.into_bytes();
    path.push(0);
    if size < path.len() {
        return Err(Errno::ERANGE);
    }
    user.space.copy_out(buf, &path)?;
    Ok(path.len())
}

/// `fsync(fd)` and `fdatasync(fd)`: `EINVAL` for pipes, which have nothing to sync.
pub fn fsync(me: &Arc<Process>, fd: usize) -> Result<usize> {
    file(me, fd)?.inode().ok_or(Errno::EINVAL)?.sync()?;
    Ok(0)
}

/// `sync()`: everything reaches the disk.
pub fn sync() -> Result<usize> {
    fs::root().sync()?;
    Ok(0)
}

/// `ftruncate(fd, length)`.
pub fn ftruncate(me: &Arc<Process>, fd: usize, length: usize) -> Result<usize> {
    let file = file(me, fd)?;
    if (length as i64) < 0 {
        return Err(Errno::EINVAL);
    }
    if file.flags() & O_ACCMODE == O_RDONLY {
        return Err(Errno::EINVAL);
    }
    let inode = file.inode().ok_or(Errno::EINVAL)?;
    if inode.metadata()?.kind != FileType::Regular {
        return Err(Errno::EINVAL);
    }
    inode.truncate(length as u64)?;
    Ok(0)
}

/// `faccessat(dirfd, path, mode, flags)`.
pub fn faccessat(
    me: &Arc<Process>,
    user: &mut UserState,
    dirfd: usize,
    path: usize,
    mode: usize,
    flags: usize,
) -> Result<usize> {
    let mode = mode as u32;
    if mode & !0o7 != 0
        || flags as u32 & !(AT_SYMLINK_NOFOLLOW | abi::fs::AT_EACCESS | AT_EMPTY_PATH) != 0
    {
        return Err(Errno::EINVAL);
    }
    let path = path_arg(user, path)?;
    let meta = fs::resolve(
        &start_dir(me, dirfd, &path)?,
        &path,
        flags as u32 & AT_SYMLINK_NOFOLLOW == 0,
    )?
    .metadata()?;
    let creds = creds(me);
    for (bit, access) in [
        (abi::fs::R_OK, Access::Read),
        (abi::fs::W_OK, Access::Write),
        (X_OK, Access::Execute),
    ] {
        if mode & bit != 0 {
            fs::check_access(&meta, creds, access)?;
        }
    }
    Ok(0)
}

fn time_arg(spec: Timespec) -> Result<Option<Timestamp>> {
    match spec.tv_nsec {
        UTIME_OMIT => Ok(None),
        UTIME_NOW => Ok(Some(Timestamp::now())),
        nanos if (0..1_000_000_000).contains(&nanos) => Ok(Some(Timestamp {
            secs: spec.tv_sec,
            nanos: nanos as u32,
        })),
        _ => Err(Errno::EINVAL),
    }
}

/// `utimensat(dirfd, path, times, flags)`: a null `times` sets both to now; a null path
/// changes the file `dirfd` itself (futimens).
pub fn utimensat(
    me: &Arc<Process>,
    user: &mut UserState,
    dirfd: usize,
    path: usize,
    times: usize,
    flags: usize,
) -> Result<usize> {
    if flags as u32 & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let (atime, mtime) = if times == 0 {
        (Some(Timestamp::now()), Some(Timestamp::now()))
    } else {
        let [a, m] = UserPtr::<[Timespec; 2]>::new(times).read(&mut user.space)?;
        (time_arg(a)?, time_arg(m)?)
    };
    let inode = if path == 0 {
        file(me, dirfd as u32 as usize)?
            .inode()
            .ok_or(Errno::EINVAL)?
            .clone()
    } else {
        let path = path_arg(user, path)?;
        fs::resolve(
            &start_dir(me, dirfd, &path)?,
            &path,
            flags as u32 & AT_SYMLINK_NOFOLLOW == 0,
        )?
    };
    inode.set_attr(SetAttr {
        atime,
        mtime,
        ..SetAttr::default()
    })?;
    Ok(0)
}

/// `symlinkat(target, dirfd, path)`.
pub fn symlinkat(
    me: &Arc<Process>,
    user: &mut UserState,
    target: usize,
    dirfd: usize,
    path: usize,
) -> Result<usize> {
    let target = path_arg(user, target)?;
    let path = path_arg(user, path)?;
    if target.is_empty() {
        return Err(Errno::ENOENT);
    }
    let (dir, name) = fs::resolve_parent(&start_dir(me, dirfd, &path)?, &path)?;
    let creds = creds(me);
    fs::check_access(&dir.metadata()?, creds, Access::Write)?;
    dir.symlink(name, &target, creds.euid, creds.egid)?;
    Ok(0)
}

/// `readlinkat(dirfd, path, buf, size)`: the link's target, not NUL-terminated.
pub fn readlinkat(
    me: &Arc<Process>,
    user: &mut UserState,
    dirfd: usize,
    path: usize,
    buf: usize,
    size: usize,
) -> Result<usize> {
    if (size as isize) <= 0 {
        return Err(Errno::EINVAL);
    }
    let path = path_arg(user, path)?;
    let target = fs::resolve(&start_dir(me, dirfd, &path)?, &path, false)?.read_link()?;
    let bytes = &target.as_bytes()[..target.len().min(size)];
    user.space.copy_out(buf, bytes)?;
    Ok(bytes.len())
}

/// `umask(mask)`: returns the old mask.
pub fn umask(me: &Arc<Process>, mask: usize) -> Result<usize> {
    Ok(me.fs.umask.swap(mask as u32 & 0o777, Ordering::Relaxed) as usize)
}

/// `statfs(path, buf)`.
pub fn statfs(me: &Arc<Process>, user: &mut UserState, path: usize, buf: usize) -> Result<usize> {
    let path = path_arg(user, path)?;
    let cwd = me.fs.cwd.lock().clone();
    let value = fs::resolve(&cwd, &path, true)?.statfs();
    UserPtr::<abi::fs::Statfs>::new(buf).write(&mut user.space, &value)?;
    Ok(0)
}

/// `fstatfs(fd, buf)`.
pub fn fstatfs(me: &Arc<Process>, user: &mut UserState, fd: usize, buf: usize) -> Result<usize> {
    let value = file(me, fd)?.inode().ok_or(Errno::ENOSYS)?.statfs();
    UserPtr::<abi::fs::Statfs>::new(buf).write(&mut user.space, &value)?;
    Ok(0)
}

/// `EFD_SEMAPHORE`: reads take 1 instead of the whole count.
const EFD_SEMAPHORE: u32 = 1;

/// `eventfd2(initval, flags)`: a new eventfd descriptor.
pub fn eventfd2(me: &Arc<Process>, initial: usize, flags: usize) -> Result<usize> {
    let flags = flags as u32;
    if flags & !(O_CLOEXEC | O_NONBLOCK | EFD_SEMAPHORE) != 0 {
        return Err(Errno::EINVAL);
    }
    let counter = fs::eventfd::EventFd::new(initial as u32 as u64, flags & EFD_SEMAPHORE != 0);
    let file = OpenFile::new(
        Object::Inode(Arc::new(counter)),
        O_RDWR | (flags & O_NONBLOCK),
    );
    me.files().lock().insert(file, flags & O_CLOEXEC != 0)
}
