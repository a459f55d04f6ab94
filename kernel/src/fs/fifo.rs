//! Named pipes (concept I2): a FIFO is a file-system name for a pipe. Its inode lives in
//! the file system (made by `mknod`/`mkfifo`), but the data never does: opening it finds
//! the one in-kernel [`Pipe`] shared by everyone who has the FIFO open, keyed by the
//! inode's (device, inode number), and makes one when none is open. The buffer goes away
//! when the last end closes, as on Linux.
//!
//! Lock order: `fifos` -> `pipe`.

use super::Inode;
use super::file::{Object, OpenFile};
use super::pipe::Pipe;
use abi::errno::Errno;
use abi::fs::{O_ACCMODE, O_NONBLOCK, O_RDONLY, O_RDWR, O_WRONLY};
use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use hal::sync::SpinLock;

static FIFOS: SpinLock<BTreeMap<(u64, u64), Arc<Pipe>>> = SpinLock::new("fifos", BTreeMap::new());

fn key(inode: &Arc<dyn Inode>) -> Result<(u64, u64), Errno> {
    let meta = inode.metadata()?;
    Ok((meta.dev, meta.ino))
}

/// Opens the FIFO `inode` with open flags `flags` (waiting for the other side as
/// [`Pipe::open_fifo`] describes).
pub fn open(inode: Arc<dyn Inode>, flags: u32) -> Result<Arc<OpenFile>, Errno> {
    let (reader, writer) = match flags & O_ACCMODE {
        O_RDONLY => (true, false),
        O_WRONLY => (false, true),
        O_RDWR => (true, true),
        _ => return Err(Errno::EINVAL),
    };
    let pipe = FIFOS
        .lock()
        .entry(key(&inode)?)
        .or_insert_with(|| Arc::new(Pipe::new_named()))
        .clone();
    if let Err(errno) = pipe.open_fifo(reader, writer, flags & O_NONBLOCK != 0) {
        closed(&inode, &pipe);
        return Err(errno);
    }
    Ok(OpenFile::new(
        Object::Fifo {
            inode,
            pipe,
            reader,
            writer,
        },
        flags,
    ))
}

/// An end of `pipe` was closed: forget the buffer once no end is open.
pub fn closed(inode: &Arc<dyn Inode>, pipe: &Arc<Pipe>) {
    let Ok(key) = key(inode) else { return };
    let mut fifos = FIFOS.lock();
    if pipe.unused() && fifos.get(&key).is_some_and(|p| Arc::ptr_eq(p, pipe)) {
        fifos.remove(&key);
    }
}
