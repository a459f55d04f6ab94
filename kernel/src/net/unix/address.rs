//! Names of Unix-domain sockets (concept I6) and the table that finds a socket by its name.
//!
//! - A path name is a socket file (`S_IFSOCK`) that `bind` makes. `connect` and `sendto`
//!   walk the path like `open` does and find the socket bound to the file by the file's
//!   identity (device, inode number), the way a named pipe finds its buffer
//!   (`crate::fs::fifo`). The bound socket holds the file, so the inode number cannot pass
//!   to another file while it is bound. Closing the socket leaves the file behind (a
//!   `connect` to it is then `ECONNREFUSED`); `unlink` removes the name, and a later `bind`
//!   may use the path again.
//! - An abstract name (Linux's `sun_path` starting with a NUL byte) has no file: it is in
//!   the table only while its socket is open. `bind` with no name at all picks a free one
//!   (autobind): five hexadecimal digits.
//!
//! The table holds weak references; a closing socket removes its entry. Lock: `unix-names`,
//! taken alone.

use super::Socket;
use crate::fs::{self, FileType, Inode};
use abi::errno::Errno;
use abi::socket::{UNIX_ADDRESS_MAX, UnixName, parse_unix_name, write_unix_name};
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, Ordering};
use hal::sync::SpinLock;

/// What a socket is called.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Name {
    /// Never bound.
    Unnamed,
    /// A path name: a socket file.
    Path(String),
    /// An abstract name: no file.
    Abstract(Vec<u8>),
}

impl Name {
    /// The name in an address a caller passed (`bind`, `connect`, `sendto`): `EINVAL` for a
    /// bad length or family (see [`parse_unix_name`]) or a path that is not UTF-8, which no
    /// Lantern file system can hold.
    pub fn from_sockaddr(image: &[u8]) -> Result<Name, Errno> {
        match parse_unix_name(image)? {
            UnixName::Path(path) => core::str::from_utf8(path)
                .map(|path| Name::Path(String::from(path)))
                .map_err(|_| Errno::EINVAL),
            UnixName::Abstract(name) => Ok(Name::Abstract(name.to_vec())),
        }
    }

    /// The address Linux reports for a socket with this name (`getsockname`, `accept`):
    /// just the family when unnamed.
    pub fn to_sockaddr(&self) -> Vec<u8> {
        let name = match self {
            Name::Unnamed => None,
            Name::Path(path) => Some(UnixName::Path(path.as_bytes())),
            Name::Abstract(name) => Some(UnixName::Abstract(name)),
        };
        let mut image = [0u8; UNIX_ADDRESS_MAX];
        let len = write_unix_name(name, &mut image);
        image[..len].to_vec()
    }

    /// The sender's address as `recvfrom` and `recvmsg` report it: nothing at all (length
    /// 0) when the sender is unnamed.
    pub fn to_message_address(&self) -> Vec<u8> {
        match self {
            Name::Unnamed => Vec::new(),
            _ => self.to_sockaddr(),
        }
    }
}

/// How the table knows a name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Key {
    /// The socket file's (device, inode number).
    File(u64, u64),
    /// The abstract name's bytes.
    Abstract(Vec<u8>),
}

static NAMES: SpinLock<BTreeMap<Key, Weak<Socket>>> = SpinLock::new("unix-names", BTreeMap::new());

/// Gives `key` to `socket`; `EADDRINUSE` if an open socket has it.
pub fn claim(key: Key, socket: &Arc<Socket>) -> Result<(), Errno> {
    let mut names = NAMES.lock();
    if names
        .get(&key)
        .is_some_and(|holder| holder.strong_count() > 0)
    {
        return Err(Errno::EADDRINUSE);
    }
    names.insert(key, Arc::downgrade(socket));
    Ok(())
}

/// `socket` is closing: its name is free again.
pub fn release(key: &Key, socket: &Socket) {
    let mut names = NAMES.lock();
    if names
        .get(key)
        .is_some_and(|holder| core::ptr::eq(holder.as_ptr(), socket))
    {
        names.remove(key);
    }
}

/// Autobind: claims a free abstract name of five hexadecimal digits for `socket`;
/// `EADDRINUSE` if all 2^20 are taken.
pub fn claim_free(socket: &Arc<Socket>) -> Result<Vec<u8>, Errno> {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    for _ in 0..=0xfffff {
        let number = NEXT.fetch_add(1, Ordering::Relaxed) & 0xfffff;
        let name = alloc::format!("{number:05x}").into_bytes();
        if claim(Key::Abstract(name.clone()), socket).is_ok() {
            return Ok(name);
        }
    }
    Err(Errno::EADDRINUSE)
}

/// The key of the socket file `inode`.
pub fn file_key(inode: &Arc<dyn Inode>) -> Result<Key, Errno> {
    let (dev, ino) = fs::identity(inode)?;
    Ok(Key::File(dev, ino))
}

/// The socket named `name`. A path is found with `resolve`, which walks it and checks that
/// the caller may write to the file (`EACCES`); a file that is not a socket, or a socket
/// file no open socket is bound to, is `ECONNREFUSED` (as on Linux).
pub fn find(
    name: &Name,
    resolve: impl FnOnce(&str) -> Result<Arc<dyn Inode>, Errno>,
) -> Result<Arc<Socket>, Errno> {
    let key = match name {
        Name::Unnamed => return Err(Errno::EINVAL),
        Name::Abstract(name) => Key::Abstract(name.clone()),
        Name::Path(path) => {
            let inode = resolve(path)?;
            if inode.metadata()?.kind != FileType::Socket {
                return Err(Errno::ECONNREFUSED);
            }
            file_key(&inode)?
        }
    };
    NAMES
        .lock()
        .get(&key)
        .and_then(Weak::upgrade)
        .ok_or(Errno::ECONNREFUSED)
}
