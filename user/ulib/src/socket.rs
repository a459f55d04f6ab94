//! Unix-domain sockets (concept I6): typed wrappers of the Linux socket calls.
//!
//! - [`socket`] and [`socketpair`] make sockets; a server [`bind`]s a name, [`listen`]s
//!   and [`accept`]s, a client [`connect`]s. [`UnixAddr`] is an address: a path in the
//!   file system, an abstract name (no file), or unnamed.
//! - Data moves with `read`/`write` like any descriptor, or with [`send`], [`recv`],
//!   [`sendto`] and [`recvfrom`] (flags such as `MSG_DONTWAIT`, `MSG_PEEK`,
//!   `MSG_NOSIGNAL`), or [`sendmsg`] / [`recvmsg`] with several buffers and descriptors
//!   passed along (`SCM_RIGHTS`); [`send_fds`] and [`recv_fds`] are the short forms.
//! - [`shutdown`] closes one direction; [`getsockopt`] / [`setsockopt`] read and set the
//!   integer options (`SO_TYPE`, `SO_ERROR`, `SO_SNDBUF`, `SO_RCVBUF`).
//!
//! Constants and layouts are in [`abi::socket`]. Addresses and messages cross the boundary
//! as byte images built here, so callers never lay out a `sockaddr_un`, `msghdr` or
//! `cmsghdr` themselves; [`raw`] has the unchecked forms for tests of bad pointers and
//! lengths.

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use abi::fs::Iovec;
use abi::socket::{
    AF_UNSPEC, Msghdr, SCM_RIGHTS, SOL_SOCKET, SUN_PATH_OFFSET, SockaddrUn, UNIX_ADDRESS_MAX,
    UnixName, cmsg_len, cmsg_space, control_messages, parse_unix_name, write_rights,
    write_unix_name,
};
use abi::{Errno, WireFormat, nr};

use crate::syscall::{decode, syscall3, syscall4, syscall5, syscall6};

/// A Unix-domain socket address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UnixAddr {
    /// No name: a socket that was never bound (the address is just the family).
    Unnamed,
    /// A path name: a socket file in the file system.
    Path(String),
    /// An abstract name: no file, gone with the socket (Linux's `sun_path[0] == 0`).
    Abstract(Vec<u8>),
}

impl UnixAddr {
    /// The path name `path`.
    pub fn path(path: &str) -> UnixAddr {
        UnixAddr::Path(String::from(path))
    }

    /// The `struct sockaddr_un` image and the length to pass with it. `EINVAL` if the name
    /// does not fit in `sun_path` or a path holds a NUL byte.
    pub fn to_sockaddr(&self) -> Result<([u8; UNIX_ADDRESS_MAX], usize), Errno> {
        let name = match self {
            UnixAddr::Unnamed => None,
            UnixAddr::Path(path) if path.as_bytes().contains(&0) => return Err(Errno::EINVAL),
            UnixAddr::Path(path) => Some(UnixName::Path(path.as_bytes())),
            UnixAddr::Abstract(name) => Some(UnixName::Abstract(name)),
        };
        let mut image = [0u8; UNIX_ADDRESS_MAX];
        let len = write_unix_name(name, &mut image);
        if len > SockaddrUn::SIZE {
            return Err(Errno::EINVAL);
        }
        Ok((image, len))
    }

    /// The address in the first `len` bytes of an address image the kernel returned (`len`
    /// 0 or just the family: unnamed).
    pub fn from_sockaddr(image: &[u8; UNIX_ADDRESS_MAX], len: usize) -> UnixAddr {
        // A path filling `sun_path` is reported with one byte more than the structure.
        let len = len.min(SockaddrUn::SIZE);
        match parse_unix_name(&image[..len]) {
            Ok(UnixName::Path(path)) => UnixAddr::Path(String::from_utf8_lossy(path).into_owned()),
            Ok(UnixName::Abstract(name)) => UnixAddr::Abstract(name.to_vec()),
            Err(_) => UnixAddr::Unnamed,
        }
    }
}

/// A descriptor as the register carries it (sign-extended, so -1 reaches the kernel as a
/// huge number it rejects with `EBADF`).
fn reg(fd: i32) -> usize {
    fd as usize
}

/// Runs a socket call that takes only numbers and touches no user memory.
fn plain_call(number: usize, args: [usize; 3]) -> Result<usize, Errno> {
    let [a0, a1, a2] = args;
    // SAFETY: every caller passes a call (`socket`, `listen`, `shutdown`) that reads and
    // writes no user memory.
    decode(unsafe { syscall3(number, a0, a1, a2) })
}

/// `socket(domain, type, protocol)`: a new socket. `kind` is `SOCK_STREAM` or
/// `SOCK_DGRAM`, optionally with `SOCK_NONBLOCK` and `SOCK_CLOEXEC` or-ed in.
pub fn socket(domain: i32, kind: i32, protocol: i32) -> Result<i32, Errno> {
    plain_call(
        nr::SOCKET,
        [domain as usize, kind as usize, protocol as usize],
    )
    .map(|fd| fd as i32)
}

/// `socketpair(domain, type, protocol, sv)`: two sockets connected to each other.
pub fn socketpair(domain: i32, kind: i32, protocol: i32) -> Result<(i32, i32), Errno> {
    let mut fds = [0i32; 2];
    // SAFETY: `fds` is two `i32`s (C's `int[2]`), exclusively borrowed for the call; the
    // kernel stores two `int`s there, and any bits are valid `i32`s.
    decode(unsafe {
        syscall4(
            nr::SOCKETPAIR,
            domain as usize,
            kind as usize,
            protocol as usize,
            fds.as_mut_ptr() as usize,
        )
    })?;
    Ok((fds[0], fds[1]))
}

/// Runs a call that reads one socket address: `bind` or `connect`.
fn address_call(number: usize, fd: i32, image: &[u8; UNIX_ADDRESS_MAX], len: usize) -> isize {
    // SAFETY: `bind` and `connect` only read the first `len` bytes of the address image,
    // which lives across the call.
    unsafe { syscall3(number, reg(fd), image.as_ptr() as usize, len) }
}

/// `bind(fd, addr)`: names the socket. A path name makes a socket file (`EADDRINUSE` if
/// the path exists); an abstract name makes none; [`UnixAddr::Unnamed`] picks a free
/// abstract name (autobind).
pub fn bind(fd: i32, addr: &UnixAddr) -> Result<(), Errno> {
    let (image, len) = addr.to_sockaddr()?;
    decode(address_call(nr::BIND, fd, &image, len)).map(|_| ())
}

/// `listen(fd, backlog)`: accept connections; at most `backlog + 1` wait for [`accept`]
/// before `connect` blocks.
pub fn listen(fd: i32, backlog: i32) -> Result<(), Errno> {
    plain_call(nr::LISTEN, [reg(fd), backlog as usize, 0]).map(|_| ())
}

/// Runs a call that returns a socket address through `(addr, &addrlen)`: `accept4`,
/// `getsockname`, `getpeername` (`extra` is `accept4`'s flags).
fn address_out_call(number: usize, fd: i32, extra: usize) -> Result<(usize, UnixAddr), Errno> {
    let mut image = [0u8; UNIX_ADDRESS_MAX];
    let mut len = UNIX_ADDRESS_MAX as u32;
    // SAFETY: `image` is `UNIX_ADDRESS_MAX` bytes and `len` (a `socklen_t`) says so; both
    // are exclusively borrowed for the call, the kernel stores at most `len` bytes of
    // address and one `u32`, and any bytes are valid.
    let ret = unsafe {
        syscall4(
            number,
            reg(fd),
            image.as_mut_ptr() as usize,
            &mut len as *mut u32 as usize,
            extra,
        )
    };
    let value = decode(ret)?;
    Ok((value, UnixAddr::from_sockaddr(&image, len as usize)))
}

/// `accept(fd, &addr, &len)`: the next connection to the listening `fd`, as a new
/// descriptor, and the address of the socket that connected.
pub fn accept(fd: i32) -> Result<(i32, UnixAddr), Errno> {
    accept4(fd, 0)
}

/// `accept4(fd, &addr, &len, flags)`: [`accept`] with `SOCK_NONBLOCK` / `SOCK_CLOEXEC` for
/// the new descriptor.
pub fn accept4(fd: i32, flags: u32) -> Result<(i32, UnixAddr), Errno> {
    address_out_call(nr::ACCEPT4, fd, flags as usize).map(|(new, addr)| (new as i32, addr))
}

/// `connect(fd, addr)`: a stream socket connects to the socket listening at `addr` (which
/// it may have to wait for, while the backlog is full); a datagram socket sends to `addr`
/// from now on when given no address, and receives only from it.
pub fn connect(fd: i32, addr: &UnixAddr) -> Result<(), Errno> {
    let (image, len) = addr.to_sockaddr()?;
    decode(address_call(nr::CONNECT, fd, &image, len)).map(|_| ())
}

/// `connect(fd, {AF_UNSPEC})`: a datagram socket forgets the peer [`connect`] gave it.
pub fn disconnect(fd: i32) -> Result<(), Errno> {
    let mut image = [0u8; UNIX_ADDRESS_MAX];
    image[..SUN_PATH_OFFSET].copy_from_slice(&(AF_UNSPEC as u16).to_le_bytes());
    decode(address_call(nr::CONNECT, fd, &image, SUN_PATH_OFFSET)).map(|_| ())
}

/// `getsockname(fd, &addr, &len)`: the socket's own name.
pub fn getsockname(fd: i32) -> Result<UnixAddr, Errno> {
    address_out_call(nr::GETSOCKNAME, fd, 0).map(|(_, addr)| addr)
}

/// `getpeername(fd, &addr, &len)`: the name of the socket it is connected to
/// (`ENOTCONN` if none).
pub fn getpeername(fd: i32) -> Result<UnixAddr, Errno> {
    address_out_call(nr::GETPEERNAME, fd, 0).map(|(_, addr)| addr)
}

/// `sendto(fd, data, len, flags, NULL, 0)`: sends to the peer.
pub fn send(fd: i32, data: &[u8], flags: u32) -> Result<usize, Errno> {
    // SAFETY: `sendto` only reads `data`, borrowed across the call; no address is passed.
    let ret = unsafe {
        syscall6(
            nr::SENDTO,
            reg(fd),
            data.as_ptr() as usize,
            data.len(),
            flags as usize,
            0,
            0,
        )
    };
    decode(ret)
}

/// `sendto(fd, data, len, flags, addr, addrlen)`: sends a datagram to `to`.
pub fn sendto(fd: i32, data: &[u8], flags: u32, to: &UnixAddr) -> Result<usize, Errno> {
    let (image, len) = to.to_sockaddr()?;
    // SAFETY: `sendto` only reads `data` and the `len` bytes of the address image, both
    // borrowed across the call.
    let ret = unsafe {
        syscall6(
            nr::SENDTO,
            reg(fd),
            data.as_ptr() as usize,
            data.len(),
            flags as usize,
            image.as_ptr() as usize,
            len,
        )
    };
    decode(ret)
}

/// `recvfrom(fd, buf, len, flags, NULL, NULL)`: receives into `buf`; returns the bytes
/// received (with `MSG_TRUNC` on a datagram socket: the datagram's real length).
pub fn recv(fd: i32, buf: &mut [u8], flags: u32) -> Result<usize, Errno> {
    // SAFETY: `buf` is exclusively borrowed for the call and the kernel stores at most
    // `buf.len()` bytes there; any bytes are valid `u8`s. No address is asked for.
    let ret = unsafe {
        syscall6(
            nr::RECVFROM,
            reg(fd),
            buf.as_mut_ptr() as usize,
            buf.len(),
            flags as usize,
            0,
            0,
        )
    };
    decode(ret)
}

/// `recvfrom(fd, buf, len, flags, &addr, &addrlen)`: [`recv`], and the sender's address
/// ([`UnixAddr::Unnamed`] if it has none).
pub fn recvfrom(fd: i32, buf: &mut [u8], flags: u32) -> Result<(usize, UnixAddr), Errno> {
    let mut image = [0u8; UNIX_ADDRESS_MAX];
    let mut len = UNIX_ADDRESS_MAX as u32;
    // SAFETY: `buf`, `image` and `len` are exclusively borrowed for the call; the kernel
    // stores at most `buf.len()` bytes of data, `len` bytes of address and one `u32`, and
    // any bytes are valid.
    let ret = unsafe {
        syscall6(
            nr::RECVFROM,
            reg(fd),
            buf.as_mut_ptr() as usize,
            buf.len(),
            flags as usize,
            image.as_mut_ptr() as usize,
            &mut len as *mut u32 as usize,
        )
    };
    let count = decode(ret)?;
    Ok((count, UnixAddr::from_sockaddr(&image, len as usize)))
}

/// `sendmsg(fd, msg, flags)`: sends the buffers of `data` one after the other (to `to`, or
/// the peer), passing the descriptors `fds` along in one `SCM_RIGHTS` control message. The
/// receiver gets new descriptors for the same open files.
pub fn sendmsg(
    fd: i32,
    data: &[&[u8]],
    fds: &[i32],
    to: Option<&UnixAddr>,
    flags: u32,
) -> Result<usize, Errno> {
    let iovecs: Vec<Iovec> = data
        .iter()
        .map(|buf| Iovec {
            base: buf.as_ptr() as usize,
            len: buf.len(),
        })
        .collect();
    let mut iov_image = vec![0u8; iovecs.len() * Iovec::SIZE];
    for (iovec, slot) in iovecs.iter().zip(iov_image.chunks_exact_mut(Iovec::SIZE)) {
        iovec.write_le(slot);
    }
    let control = rights_message(fds);
    let name = to.map(UnixAddr::to_sockaddr).transpose()?;
    let header = Msghdr {
        msg_name: name
            .as_ref()
            .map_or(0, |(image, _)| image.as_ptr() as usize),
        msg_namelen: name.as_ref().map_or(0, |&(_, len)| len as u32),
        msg_iov: iov_image.as_ptr() as usize,
        msg_iovlen: iovecs.len(),
        msg_control: if control.is_empty() {
            0
        } else {
            control.as_ptr() as usize
        },
        msg_controllen: control.len(),
        msg_flags: 0,
        pad: 0,
    };
    let image = header.to_bytes();
    // SAFETY: `image` is a `struct msghdr` whose pointers all point at buffers borrowed or
    // owned here across the call (the address image, the `iovec` array describing the
    // slices of `data`, the control message); `sendmsg` only reads them.
    decode(unsafe {
        syscall3(
            nr::SENDMSG,
            reg(fd),
            image.as_ptr() as usize,
            flags as usize,
        )
    })
}

/// A control buffer holding one `SCM_RIGHTS` message with `fds` (empty if there are none).
fn rights_message(fds: &[i32]) -> Vec<u8> {
    if fds.is_empty() {
        return Vec::new();
    }
    let mut control = vec![0u8; cmsg_space(fds.len() * 4)];
    write_rights(fds, &mut control);
    control
}

/// What [`recvmsg`] received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    /// Bytes of data (with `MSG_TRUNC` on a datagram socket: the datagram's real length).
    pub len: usize,
    /// Descriptors passed with the data, installed in this process.
    pub fds: Vec<i32>,
    /// The result flags: `MSG_TRUNC` (a datagram was cut short), `MSG_CTRUNC` (some
    /// descriptors did not fit and were closed).
    pub flags: u32,
    /// The sender's address.
    pub from: UnixAddr,
}

/// `recvmsg(fd, msg, flags)`: receives into the buffers of `bufs` in order, with room for
/// up to `max_fds` passed descriptors (more are closed, and `MSG_CTRUNC` says so).
pub fn recvmsg(
    fd: i32,
    bufs: &mut [&mut [u8]],
    max_fds: usize,
    flags: u32,
) -> Result<Received, Errno> {
    let mut iov_image = vec![0u8; bufs.len() * Iovec::SIZE];
    for (buf, slot) in bufs.iter_mut().zip(iov_image.chunks_exact_mut(Iovec::SIZE)) {
        Iovec {
            base: buf.as_mut_ptr() as usize,
            len: buf.len(),
        }
        .write_le(slot);
    }
    // Room for exactly `max_fds` descriptors (CMSG_SPACE would round up to an even count).
    let mut control = vec![
        0u8;
        if max_fds == 0 {
            0
        } else {
            cmsg_len(max_fds * 4)
        }
    ];
    let mut name = [0u8; UNIX_ADDRESS_MAX];
    let mut image = Msghdr {
        msg_name: name.as_mut_ptr() as usize,
        msg_namelen: UNIX_ADDRESS_MAX as u32,
        msg_iov: iov_image.as_ptr() as usize,
        msg_iovlen: bufs.len(),
        msg_control: if control.is_empty() {
            0
        } else {
            control.as_mut_ptr() as usize
        },
        msg_controllen: control.len(),
        msg_flags: 0,
        pad: 0,
    }
    .to_bytes();
    // `image` is a `struct msghdr` whose pointers point at buffers exclusively borrowed or
    // owned here across the call: the address buffer (`msg_namelen` bytes), the `iovec`
    // array describing the slices of `bufs`, and the control buffer (`msg_controllen` bytes).
    // SAFETY: the kernel writes only within those buffers and into `image`'s `msg_namelen`,
    // `msg_controllen` and `msg_flags`; any bytes are valid there.
    let ret = unsafe {
        syscall3(
            nr::RECVMSG,
            reg(fd),
            image.as_mut_ptr() as usize,
            flags as usize,
        )
    };
    let len = decode(ret)?;
    let header = Msghdr::from_bytes(&image);
    let used = header.msg_controllen.min(control.len());
    Ok(Received {
        len,
        fds: rights_in(&control[..used]),
        flags: header.msg_flags,
        from: UnixAddr::from_sockaddr(&name, header.msg_namelen as usize),
    })
}

/// The descriptors of the `SCM_RIGHTS` messages in the used part of a control buffer.
fn rights_in(control: &[u8]) -> Vec<i32> {
    control_messages(control)
        .map_while(Result::ok)
        .filter(|(header, _)| header.cmsg_level == SOL_SOCKET && header.cmsg_type == SCM_RIGHTS)
        .flat_map(|(_, data)| data.chunks_exact(4).map(i32::read_le))
        .collect()
}

/// Sends `data` on the connected socket `fd` with the descriptors `fds` attached (a
/// stream needs at least one byte of data to carry them).
pub fn send_fds(fd: i32, data: &[u8], fds: &[i32]) -> Result<usize, Errno> {
    sendmsg(fd, &[data], fds, None, 0)
}

/// Receives into `buf` and up to `max_fds` descriptors passed with the data; returns the
/// bytes received and the new descriptors.
pub fn recv_fds(fd: i32, buf: &mut [u8], max_fds: usize) -> Result<(usize, Vec<i32>), Errno> {
    let received = recvmsg(fd, &mut [buf], max_fds, 0)?;
    Ok((received.len, received.fds))
}

/// `shutdown(fd, how)`: `SHUT_RD`, `SHUT_WR` (the peer reads end of file) or `SHUT_RDWR`.
pub fn shutdown(fd: i32, how: i32) -> Result<(), Errno> {
    plain_call(nr::SHUTDOWN, [reg(fd), how as usize, 0]).map(|_| ())
}

/// `getsockopt(fd, level, name, &value, &len)` of an integer option.
pub fn getsockopt(fd: i32, level: i32, name: i32) -> Result<i32, Errno> {
    let mut value = 0i32;
    let mut len = 4u32;
    // SAFETY: `value` (an `int`) and `len` (a `socklen_t` saying 4) are exclusively
    // borrowed for the call; the kernel stores at most 4 bytes in each, and any bits are
    // valid.
    decode(unsafe {
        syscall5(
            nr::GETSOCKOPT,
            reg(fd),
            level as usize,
            name as usize,
            &mut value as *mut i32 as usize,
            &mut len as *mut u32 as usize,
        )
    })?;
    Ok(value)
}

/// `setsockopt(fd, level, name, &value, 4)` of an integer option.
pub fn setsockopt(fd: i32, level: i32, name: i32, value: i32) -> Result<(), Errno> {
    // SAFETY: `setsockopt` only reads the 4 bytes of `value`, borrowed across the call.
    decode(unsafe {
        syscall5(
            nr::SETSOCKOPT,
            reg(fd),
            level as usize,
            name as usize,
            &value as *const i32 as usize,
            4,
        )
    })
    .map(|_| ())
}

/// Deliberately unchecked socket calls, for tests of the kernel's argument checking, with
/// the conventions of [`crate::raw`]: addresses and lengths are plain `usize`s and results
/// raw (`-errno` on failure). Callers pass only addresses that hold no Rust data the
/// compiler relies on (byte buffers the test owns and reads back, or bad addresses).
pub mod raw {
    use abi::nr;

    use crate::syscall::{syscall3, syscall4, syscall5, syscall6};

    /// `socketpair(domain, type, protocol, sv)` with an arbitrary result address.
    pub fn socketpair(domain: i32, kind: i32, protocol: i32, sv: usize) -> isize {
        // SAFETY: the kernel validates `sv`; see the module comment for why callers pass
        // only addresses that hold no Rust data.
        unsafe {
            syscall4(
                nr::SOCKETPAIR,
                domain as usize,
                kind as usize,
                protocol as usize,
                sv,
            )
        }
    }

    /// `bind(fd, addr, len)` with an arbitrary address and length.
    pub fn bind(fd: usize, addr: usize, len: usize) -> isize {
        // SAFETY: `bind` only reads user memory, and the kernel validates it.
        unsafe { syscall3(nr::BIND, fd, addr, len) }
    }

    /// `connect(fd, addr, len)` with an arbitrary address and length.
    pub fn connect(fd: usize, addr: usize, len: usize) -> isize {
        // SAFETY: `connect` only reads user memory, and the kernel validates it.
        unsafe { syscall3(nr::CONNECT, fd, addr, len) }
    }

    /// `accept4(fd, addr, addrlen, flags)` with arbitrary result addresses.
    pub fn accept4(fd: usize, addr: usize, addrlen: usize, flags: u32) -> isize {
        // SAFETY: the kernel validates both addresses; see the module comment.
        unsafe { syscall4(nr::ACCEPT4, fd, addr, addrlen, flags as usize) }
    }

    /// `getsockname(fd, addr, addrlen)` with arbitrary result addresses.
    pub fn getsockname(fd: usize, addr: usize, addrlen: usize) -> isize {
        // SAFETY: the kernel validates both addresses; see the module comment.
        unsafe { syscall3(nr::GETSOCKNAME, fd, addr, addrlen) }
    }

    /// `getpeername(fd, addr, addrlen)` with arbitrary result addresses.
    pub fn getpeername(fd: usize, addr: usize, addrlen: usize) -> isize {
        // SAFETY: the kernel validates both addresses; see the module comment.
        unsafe { syscall3(nr::GETPEERNAME, fd, addr, addrlen) }
    }

    /// `sendto(fd, buf, len, flags, addr, addrlen)` with arbitrary addresses.
    pub fn sendto(
        fd: usize,
        buf: usize,
        len: usize,
        flags: u32,
        addr: usize,
        alen: usize,
    ) -> isize {
        // SAFETY: `sendto` only reads user memory, and the kernel validates it.
        unsafe { syscall6(nr::SENDTO, fd, buf, len, flags as usize, addr, alen) }
    }

    /// `recvfrom(fd, buf, len, flags, addr, addrlen)` with arbitrary addresses.
    pub fn recvfrom(
        fd: usize,
        buf: usize,
        len: usize,
        flags: u32,
        addr: usize,
        addrlen: usize,
    ) -> isize {
        // SAFETY: the kernel validates every address; see the module comment.
        unsafe { syscall6(nr::RECVFROM, fd, buf, len, flags as usize, addr, addrlen) }
    }

    /// `sendmsg(fd, msg, flags)` with an arbitrary `msghdr` address (and whatever the
    /// header points at).
    pub fn sendmsg(fd: usize, msg: usize, flags: u32) -> isize {
        // SAFETY: `sendmsg` only reads user memory, and the kernel validates it.
        unsafe { syscall3(nr::SENDMSG, fd, msg, flags as usize) }
    }

    /// `recvmsg(fd, msg, flags)` with an arbitrary `msghdr` address (and whatever the
    /// header points at).
    pub fn recvmsg(fd: usize, msg: usize, flags: u32) -> isize {
        // SAFETY: the kernel validates every address; see the module comment.
        unsafe { syscall3(nr::RECVMSG, fd, msg, flags as usize) }
    }

    /// `getsockopt(fd, level, name, value, len)` with arbitrary addresses.
    pub fn getsockopt(fd: usize, level: i32, name: i32, value: usize, len: usize) -> isize {
        // SAFETY: the kernel validates both addresses; see the module comment.
        unsafe {
            syscall5(
                nr::GETSOCKOPT,
                fd,
                level as usize,
                name as usize,
                value,
                len,
            )
        }
    }

    /// `setsockopt(fd, level, name, value, len)` with an arbitrary address and length.
    pub fn setsockopt(fd: usize, level: i32, name: i32, value: usize, len: usize) -> isize {
        // SAFETY: `setsockopt` only reads user memory, and the kernel validates it.
        unsafe {
            syscall5(
                nr::SETSOCKOPT,
                fd,
                level as usize,
                name as usize,
                value,
                len,
            )
        }
    }
}
