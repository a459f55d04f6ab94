//! Open files (concept F5): what a file descriptor refers to.
//!
//! An [`OpenFile`] is shared by every descriptor that came from the same `open` — through
//! `dup` or `fork` — so they share one offset and one set of status flags, as POSIX says.
//! The offset is a sleep lock, held across the whole read or write, so two processes
//! sharing a file never read the same bytes or write over each other.
//!
//! A socket (`crate::net`) is an open file too, so `read`, `write`, `poll` and `close` work
//! on it like on a pipe.

use super::pipe::Pipe;
use super::{FileType, Inode, Metadata};
use crate::net::unix::Socket;
use crate::proc::sleep_lock::SleepLock;
use abi::errno::Errno;
use abi::fs::{O_ACCMODE, O_APPEND, O_NONBLOCK, O_RDONLY, O_RDWR, O_WRONLY};
use alloc::sync::Arc;
use core::sync::atomic::{AtomicU32, Ordering};

/// What an open file reads and writes.
pub enum Object {
    /// A named file, directory or device.
    Inode(Arc<dyn Inode>),
    /// The reading end of a pipe.
    PipeReader(Arc<Pipe>),
    /// The writing end of a pipe.
    PipeWriter(Arc<Pipe>),
    /// A named pipe opened through its inode: one end or (O_RDWR) both.
    Fifo {
        inode: Arc<dyn Inode>,
        pipe: Arc<Pipe>,
        reader: bool,
        writer: bool,
    },
    /// A Unix-domain socket.
    Socket(Arc<Socket>),
}

/// Status flags `fcntl(F_SETFL)` may change.
const SETTABLE_FLAGS: u32 = O_APPEND | O_NONBLOCK;

/// An open file description.
pub struct OpenFile {
    pub object: Object,
    flags: AtomicU32,
    offset: SleepLock<u64>,
}

impl OpenFile {
    /// Opens `inode` with `flags` (access mode and status flags of `open`).
    pub fn new(object: Object, flags: u32) -> Arc<OpenFile> {
        Arc::new(OpenFile {
            object,
            flags: AtomicU32::new(flags),
            offset: SleepLock::new(0),
        })
    }

    /// Both ends of a new pipe, as (reader, writer).
    pub fn new_pipe(flags: u32) -> (Arc<OpenFile>, Arc<OpenFile>) {
        let pipe = Arc::new(Pipe::new());
        let status = flags & O_NONBLOCK;
        (
            OpenFile::new(Object::PipeReader(pipe.clone()), O_RDONLY | status),
            OpenFile::new(Object::PipeWriter(pipe), O_WRONLY | status),
        )
    }

    /// The flags `fcntl(F_GETFL)` reports.
    pub fn flags(&self) -> u32 {
        self.flags.load(Ordering::Relaxed)
    }

    /// `fcntl(F_SETFL)`: only O_APPEND and O_NONBLOCK change.
    pub fn set_flags(&self, flags: u32) {
        let kept = self.flags() & !SETTABLE_FLAGS;
        self.flags
            .store(kept | (flags & SETTABLE_FLAGS), Ordering::Relaxed);
    }

    fn readable(&self) -> bool {
        matches!(self.flags() & O_ACCMODE, O_RDONLY | O_RDWR)
    }

    fn writable(&self) -> bool {
        matches!(self.flags() & O_ACCMODE, O_WRONLY | O_RDWR)
    }

    /// Whether waits fail with `EAGAIN` instead (`O_NONBLOCK`).
    pub fn nonblock(&self) -> bool {
        self.flags() & O_NONBLOCK != 0
    }

    /// The socket behind a socket descriptor.
    pub fn socket(&self) -> Option<&Arc<Socket>> {
        match &self.object {
            Object::Socket(socket) => Some(socket),
            _ => None,
        }
    }

    /// The inode behind a named file.
    pub fn inode(&self) -> Option<&Arc<dyn Inode>> {
        match &self.object {
            Object::Inode(inode) => Some(inode),
            _ => None,
        }
    }

    /// `read`: from the current offset, which moves past what was read.
    pub fn read(&self, buf: &mut [u8]) -> Result<usize, Errno> {
        if !self.readable() {
            return Err(Errno::EBADF);
        }
        match &self.object {
            Object::PipeReader(pipe) => pipe.read(buf, self.nonblock()),
            Object::PipeWriter(_) => Err(Errno::EBADF),
            Object::Fifo { pipe, .. } => pipe.read(buf, self.nonblock()),
            Object::Socket(socket) => socket.read(buf, self.nonblock()),
            Object::Inode(inode) if inode.is_stream() => inode.read_stream(buf, self.nonblock()),
            Object::Inode(inode) => {
                if inode.metadata()?.kind == FileType::Directory {
                    return Err(Errno::EISDIR);
                }
                let mut offset = self.offset.lock();
                let count = inode.read_at(*offset, buf)?;
                *offset += count as u64;
                Ok(count)
            }
        }
    }

    /// `write`: at the current offset (or the end, with O_APPEND), which moves past it.
    pub fn write(&self, data: &[u8]) -> Result<usize, Errno> {
        if !self.writable() {
            return Err(Errno::EBADF);
        }
        match &self.object {
            Object::PipeWriter(pipe) => pipe.write(data, self.nonblock()),
            Object::PipeReader(_) => Err(Errno::EBADF),
            Object::Fifo { pipe, .. } => pipe.write(data, self.nonblock()),
            Object::Socket(socket) => socket.write(data, self.nonblock()),
            Object::Inode(inode) if inode.is_stream() => inode.write_stream(data, self.nonblock()),
            Object::Inode(inode) => {
                let mut offset = self.offset.lock();
                if self.flags() & O_APPEND != 0 {
                    *offset = inode.metadata()?.size;
                }
                let count = inode.write_at(*offset, data)?;
                *offset += count as u64;
                Ok(count)
            }
        }
    }

    /// `pread`: at `offset`, leaving the file offset alone.
    pub fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        if !self.readable() {
            return Err(Errno::EBADF);
        }
        match &self.object {
            Object::Inode(inode) if !inode.is_stream() => {
                if inode.metadata()?.kind == FileType::Directory {
                    return Err(Errno::EISDIR);
                }
                inode.read_at(offset, buf)
            }
            _ => Err(Errno::ESPIPE),
        }
    }

    /// `pwrite`: at `offset`, leaving the file offset alone.
    pub fn write_at(&self, offset: u64, data: &[u8]) -> Result<usize, Errno> {
        if !self.writable() {
            return Err(Errno::EBADF);
        }
        match &self.object {
            Object::Inode(inode) if !inode.is_stream() => inode.write_at(offset, data),
            _ => Err(Errno::ESPIPE),
        }
    }

    /// `lseek`: moves the offset; returns the new one.
    pub fn seek(&self, offset: i64, whence: i32) -> Result<u64, Errno> {
        let inode = match &self.object {
            Object::Inode(inode) if !inode.is_stream() => inode,
            _ => return Err(Errno::ESPIPE),
        };
        let mut current = self.offset.lock();
        let base = match whence {
            abi::fs::SEEK_SET => 0,
            abi::fs::SEEK_CUR => *current as i64,
            abi::fs::SEEK_END => inode.metadata()?.size as i64,
            _ => return Err(Errno::EINVAL),
        };
        let target = base.checked_add(offset).ok_or(Errno::EOVERFLOW)?;
        if target < 0 {
            return Err(Errno::EINVAL);
        }
        *current = target as u64;
        Ok(*current)
    }

    /// The directory-listing position (getdents64 keeps its cookie in the offset).
    pub fn with_offset<T>(&self, f: impl FnOnce(&mut u64) -> T) -> T {
        f(&mut self.offset.lock())
    }

    /// `fstat`.
    pub fn metadata(&self) -> Result<Metadata, Errno> {
        match &self.object {
            Object::Inode(inode) | Object::Fifo { inode, .. } => inode.metadata(),
            Object::PipeReader(pipe) | Object::PipeWriter(pipe) => Ok(anonymous_metadata(
                Arc::as_ptr(pipe) as u64,
                FileType::Fifo,
                0o600,
                pipe.available() as u64,
            )),
            // Linux's sockets live in an internal file system with mode 0777.
            Object::Socket(socket) => Ok(anonymous_metadata(
                Arc::as_ptr(socket) as u64,
                FileType::Socket,
                0o777,
                0,
            )),
        }
    }
}

/// What `fstat` says about a kernel object with no name (a pipe, a socket): its inode
/// number comes from its address.
fn anonymous_metadata(address: u64, kind: FileType, perm: u32, size: u64) -> Metadata {
    let now = super::Timestamp::now();
    Metadata {
        dev: 0,
        ino: address & 0xffff_ffff,
        kind,
        perm,
        nlink: 1,
        uid: 0,
        gid: 0,
        rdev: 0,
        size,
        blocks: 0,
        atime: now,
        mtime: now,
        ctime: now,
    }
}

impl Drop for OpenFile {
    fn drop(&mut self) {
        match &self.object {
            Object::PipeReader(pipe) => pipe.close_end(true),
            Object::PipeWriter(pipe) => pipe.close_end(false),
            Object::Fifo {
                inode,
                pipe,
                reader,
                writer,
            } => {
                if *reader {
                    pipe.close_end(true);
                }
                if *writer {
                    pipe.close_end(false);
                }
                super::fifo::closed(inode, pipe);
            }
            Object::Socket(socket) => socket.close(),
            Object::Inode(_) => {}
        }
    }
}
