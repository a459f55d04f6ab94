//! Socket syscalls (concept I6): socket, socketpair, bind, listen, accept4, connect,
//! getsockname, getpeername, sendto, recvfrom, setsockopt, getsockopt, shutdown, sendmsg
//! and recvmsg, with Linux's numbers, argument checks and errors.
//!
//! This file reads and checks the arguments, copies addresses, data and control messages
//! across the boundary, and moves descriptors between tables (`SCM_RIGHTS`); the sockets
//! themselves are in `crate::net::unix`. Output buffers are checked before a call may
//! block, so a bad pointer fails at once and no data or connection is lost for nothing.

use super::fs::{
    IOV_MAX, MAX_RW, bytes_from_user, check_iovecs_writable, creds, gather, iovecs, make_node,
    scatter, start_dir, transfer_buffer,
};
use crate::fs::file::{Object, OpenFile};
use crate::fs::{self, Access, FileType};
use crate::mm::user::UserPtr;
use crate::net::unix::{self, Kind, Name, ReceiveFlags, Received, Rights, SendFlags, Socket};
use crate::proc::{Process, UserState};
use abi::errno::Errno;
use abi::fs::{AT_FDCWD, Iovec, O_NONBLOCK, O_RDWR};
use abi::socket::{
    AF_MAX, AF_UNIX, AF_UNSPEC, Cmsghdr, MSG_CMSG_CLOEXEC, MSG_CTRUNC, MSG_DONTWAIT, MSG_NOSIGNAL,
    MSG_OOB, MSG_PEEK, MSG_TRUNC, MSG_WAITALL, Msghdr, SCM_MAX_FD, SCM_RIGHTS, SO_ERROR, SO_RCVBUF,
    SO_SNDBUF, SO_TYPE, SOCK_CLOEXEC, SOCK_DGRAM, SOCK_MAX, SOCK_NONBLOCK, SOCK_RAW,
    SOCK_SEQPACKET, SOCK_STREAM, SOCK_TYPE_MASK, SOL_SOCKET, SOMAXCONN, UNIX_ADDRESS_MAX, cmsg_len,
    cmsg_space, control_messages, write_rights,
};
use abi::wire::WireFormat;
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;
use core::mem::offset_of;
use core::sync::atomic::Ordering;

type Result<T> = core::result::Result<T, Errno>;

/// Most bytes of an address a call copies in (`sizeof(struct sockaddr_storage)`).
const SOCKADDR_STORAGE: usize = 128;
/// Most bytes of control messages `sendmsg` takes (Linux's `net.core.optmem_max`).
const CONTROL_MAX: usize = 131_072;

/// The open file and socket behind `fd`: `EBADF` if none, `ENOTSOCK` if not a socket.
fn socket_of(me: &Process, fd: usize) -> Result<(Arc<OpenFile>, Arc<Socket>)> {
    let file = me.files().lock().get(fd)?;
    let socket = file.socket().ok_or(Errno::ENOTSOCK)?.clone();
    Ok((file, socket))
}

/// The socket type and `SOCK_NONBLOCK`/`SOCK_CLOEXEC` flags of `socket(domain, type,
/// protocol)`, checked in Linux's order.
fn socket_kind(domain: usize, kind: usize, protocol: usize) -> Result<(Kind, u32)> {
    let (domain, kind, protocol) = (domain as i32, kind as i32, protocol as i32);
    let flags = (kind & !SOCK_TYPE_MASK) as u32;
    if flags & !(SOCK_NONBLOCK | SOCK_CLOEXEC) != 0 {
        return Err(Errno::EINVAL);
    }
    let kind = kind & SOCK_TYPE_MASK;
    if !(0..AF_MAX).contains(&domain) {
        return Err(Errno::EAFNOSUPPORT);
    }
    if !(0..SOCK_MAX).contains(&kind) {
        return Err(Errno::EINVAL);
    }
    if domain != AF_UNIX {
        return Err(Errno::EAFNOSUPPORT);
    }
    if protocol != 0 && protocol != AF_UNIX {
        return Err(Errno::EPROTONOSUPPORT);
    }
    let kind = match kind {
        SOCK_STREAM => Kind::Stream,
        // Linux makes a raw Unix socket a datagram socket.
        SOCK_DGRAM | SOCK_RAW => Kind::Datagram,
        SOCK_SEQPACKET => return Err(Errno::ESOCKTNOSUPPORT),
        _ => return Err(Errno::ESOCKTNOSUPPORT),
    };
    Ok((kind, flags))
}

/// A new open file for `socket`, with `SOCK_NONBLOCK` from `flags`.
fn socket_file(socket: Arc<Socket>, flags: u32) -> Arc<OpenFile> {
    OpenFile::new(Object::Socket(socket), O_RDWR | (flags & O_NONBLOCK))
}

/// Installs `file` at the lowest free descriptor (close-on-exec with `SOCK_CLOEXEC` in
/// `flags`). If the table is full (`EMFILE`), the file closes here, outside the table's
/// lock (closing a socket wakes its sleepers).
fn install(me: &Process, file: Arc<OpenFile>, flags: u32) -> Result<usize> {
    let installed = me
        .files()
        .lock()
        .insert(file.clone(), flags & SOCK_CLOEXEC != 0);
    drop(file);
    installed
}

/// `socket(domain, type, protocol)`.
pub fn socket(me: &Arc<Process>, domain: usize, kind: usize, protocol: usize) -> Result<usize> {
    let (kind, flags) = socket_kind(domain, kind, protocol)?;
    install(me, socket_file(Socket::new(kind), flags), flags)
}

/// `socketpair(domain, type, protocol, sv)`: two connected sockets.
pub fn socketpair(
    me: &Arc<Process>,
    user: &mut UserState,
    domain: usize,
    kind: usize,
    protocol: usize,
    sv: usize,
) -> Result<usize> {
    let (kind, flags) = socket_kind(domain, kind, protocol)?;
    user.space.check_access(sv, 8, hal::trap::Access::Write)?;
    let (first, second) = Socket::pair(kind);
    let first = install(me, socket_file(first, flags), flags)?;
    let second = match install(me, socket_file(second, flags), flags) {
        Ok(fd) => fd,
        Err(errno) => {
            let first = me.files().lock().remove(first);
            drop(first);
            return Err(errno);
        }
    };
    UserPtr::<[i32; 2]>::new(sv).write(&mut user.space, &[first as i32, second as i32])?;
    Ok(0)
}

/// The `len` bytes of an address at `addr`: `EINVAL` for a negative length or one past
/// `sockaddr_storage`, `EFAULT` for a bad buffer.
fn address_in(user: &mut UserState, addr: usize, len: usize) -> Result<Vec<u8>> {
    let len = len as i32;
    if !(0..=SOCKADDR_STORAGE as i32).contains(&len) {
        return Err(Errno::EINVAL);
    }
    let mut image = vec![0u8; len as usize];
    user.space.copy_in(addr, &mut image)?;
    Ok(image)
}

/// The socket a caller names: a path is walked from the working directory, and the
/// caller must be allowed to write to the socket file (`EACCES`).
fn find_socket(me: &Process, name: &Name) -> Result<Arc<Socket>> {
    unix::find(name, |path| {
        let inode = fs::resolve(&start_dir(me, AT_FDCWD as usize, path)?, path, true)?;
        fs::check_access(&inode.metadata()?, creds(me), Access::Write)?;
        Ok(inode)
    })
}

/// `bind(fd, addr, addrlen)`: a path name makes a socket file (mode 0777 less the umask;
/// `EADDRINUSE` if the path exists), an abstract name none; the family alone picks a free
/// abstract name.
pub fn bind(
    me: &Arc<Process>,
    user: &mut UserState,
    fd: usize,
    addr: usize,
    len: usize,
) -> Result<usize> {
    let (_, socket) = socket_of(me, fd)?;
    let image = address_in(user, addr, len)?;
    if image.len() == 2 && u16::from_le_bytes([image[0], image[1]]) == AF_UNIX as u16 {
        socket.autobind()?;
        return Ok(0);
    }
    match Name::from_sockaddr(&image)? {
        Name::Path(path) => socket.bind_path(&path, || {
            let perm = 0o777 & !me.fs.umask.load(Ordering::Relaxed);
            make_node(me, AT_FDCWD as usize, &path, FileType::Socket, perm).map_err(|errno| {
                if errno == Errno::EEXIST {
                    Errno::EADDRINUSE
                } else {
                    errno
                }
            })
        })?,
        Name::Abstract(name) => socket.bind_abstract(name)?,
        Name::Unnamed => return Err(Errno::EINVAL),
    }
    Ok(0)
}

/// `listen(fd, backlog)`: a backlog past `SOMAXCONN` (or negative) is cut to it.
pub fn listen(me: &Arc<Process>, fd: usize, backlog: usize) -> Result<usize> {
    let (_, socket) = socket_of(me, fd)?;
    socket.listen((backlog as u32 as usize).min(SOMAXCONN))?;
    Ok(0)
}

/// Where a call returns an address (`addr`, `addrlen`), checked before the call may block.
struct AddressOut {
    addr: usize,
    len_at: usize,
    /// Bytes the caller's buffer holds.
    room: usize,
}

impl AddressOut {
    /// Reads `*len_at` (`EFAULT`; `EINVAL` if negative) and checks both can be written.
    fn new(user: &mut UserState, addr: usize, len_at: usize) -> Result<AddressOut> {
        let room = UserPtr::<i32>::new(len_at).read(&mut user.space)?;
        if room < 0 {
            return Err(Errno::EINVAL);
        }
        let room = room as usize;
        let access = hal::trap::Access::Write;
        user.space
            .check_access(addr, room.min(UNIX_ADDRESS_MAX), access)?;
        user.space.check_access(len_at, 4, access)?;
        Ok(AddressOut { addr, len_at, room })
    }

    /// An output address that may be absent (`addr` NULL: nothing is written).
    fn optional(user: &mut UserState, addr: usize, len_at: usize) -> Result<Option<AddressOut>> {
        if addr == 0 {
            return Ok(None);
        }
        AddressOut::new(user, addr, len_at).map(Some)
    }

    /// Copies as much of `image` as fits and stores its whole length, as Linux does.
    fn write(&self, user: &mut UserState, image: &[u8]) -> Result<()> {
        user.space
            .copy_out(self.addr, &image[..image.len().min(self.room)])?;
        UserPtr::<u32>::new(self.len_at).write(&mut user.space, &(image.len() as u32))
    }
}

/// `accept4(fd, addr, addrlen, flags)` (and `accept`, with no flags): the next
/// connection, as a new descriptor, and the connecting socket's address.
pub fn accept4(
    me: &Arc<Process>,
    user: &mut UserState,
    fd: usize,
    addr: usize,
    len_at: usize,
    flags: usize,
) -> Result<usize> {
    let flags = flags as u32;
    if flags & !(SOCK_NONBLOCK | SOCK_CLOEXEC) != 0 {
        return Err(Errno::EINVAL);
    }
    let (file, socket) = socket_of(me, fd)?;
    let out = AddressOut::optional(user, addr, len_at)?;
    let connection = socket.accept(file.nonblock())?;
    let peer = connection.peer_name().unwrap_or(Name::Unnamed);
    let new_fd = install(me, socket_file(connection, flags), flags)?;
    if let Some(out) = out {
        out.write(user, &peer.to_sockaddr())?;
    }
    Ok(new_fd)
}

/// `connect(fd, addr, addrlen)`; for a datagram socket `AF_UNSPEC` dissolves the
/// association.
pub fn connect(
    me: &Arc<Process>,
    user: &mut UserState,
    fd: usize,
    addr: usize,
    len: usize,
) -> Result<usize> {
    let (file, socket) = socket_of(me, fd)?;
    let image = address_in(user, addr, len)?;
    let unspecified =
        image.len() >= 2 && u16::from_le_bytes([image[0], image[1]]) == AF_UNSPEC as u16;
    if unspecified && socket.kind() == Kind::Datagram {
        socket.disconnect()?;
        return Ok(0);
    }
    let target = find_socket(me, &Name::from_sockaddr(&image)?)?;
    socket.connect(&target, file.nonblock())?;
    Ok(0)
}

/// `getsockname(fd, addr, addrlen)`, or `getpeername` with `peer`.
pub fn getsockname(
    me: &Arc<Process>,
    user: &mut UserState,
    fd: usize,
    addr: usize,
    len_at: usize,
    peer: bool,
) -> Result<usize> {
    let (_, socket) = socket_of(me, fd)?;
    let out = AddressOut::new(user, addr, len_at)?;
    let name = if peer {
        socket.peer_name()?
    } else {
        socket.name()
    };
    out.write(user, &name.to_sockaddr())?;
    Ok(0)
}

/// Sends `data` (with `rights`) on `socket`, to the address `to` if given: shared by
/// `sendto` and `sendmsg`.
fn send(
    me: &Process,
    file: &OpenFile,
    socket: &Arc<Socket>,
    data: &[u8],
    rights: Option<Rights>,
    to: Option<Vec<u8>>,
    flags: u32,
) -> Result<usize> {
    if flags & MSG_OOB != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    let target = match (to, socket.kind()) {
        (None, _) => None,
        // A stream goes to its peer only.
        (Some(_), Kind::Stream) if socket.is_connected() => return Err(Errno::EISCONN),
        (Some(_), Kind::Stream) => return Err(Errno::EOPNOTSUPP),
        (Some(image), Kind::Datagram) => Some(find_socket(me, &Name::from_sockaddr(&image)?)?),
    };
    let flags = SendFlags {
        nonblock: file.nonblock() || flags & MSG_DONTWAIT != 0,
        nosignal: flags & MSG_NOSIGNAL != 0,
    };
    socket.send(data, rights, target, flags)
}

/// `sendto(fd, buf, len, flags, addr, addrlen)` (`send` when `addr` is NULL).
#[allow(clippy::too_many_arguments)]
pub fn sendto(
    me: &Arc<Process>,
    user: &mut UserState,
    fd: usize,
    buf: usize,
    len: usize,
    flags: usize,
    addr: usize,
    addr_len: usize,
) -> Result<usize> {
    let (file, socket) = socket_of(me, fd)?;
    let data = bytes_from_user(user, buf, len)?;
    let to = if addr != 0 {
        Some(address_in(user, addr, addr_len)?).filter(|image| !image.is_empty())
    } else {
        None
    };
    send(me, &file, &socket, &data, None, to, flags as u32)
}

fn receive_flags(file: &OpenFile, flags: u32) -> Result<ReceiveFlags> {
    if flags & MSG_OOB != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    Ok(ReceiveFlags {
        nonblock: file.nonblock() || flags & MSG_DONTWAIT != 0,
        peek: flags & MSG_PEEK != 0,
        wait_all: flags & MSG_WAITALL != 0,
    })
}

/// What a receive returns: with `MSG_TRUNC`, a datagram's whole length.
fn received_len(socket: &Socket, received: &Received, flags: u32) -> usize {
    if flags & MSG_TRUNC != 0 && socket.kind() == Kind::Datagram {
        received.full_len
    } else {
        received.len
    }
}

/// `recvfrom(fd, buf, len, flags, addr, addrlen)` (`recv` when `addr` is NULL). Passed
/// descriptors are closed: only `recvmsg` can take them.
#[allow(clippy::too_many_arguments)]
pub fn recvfrom(
    me: &Arc<Process>,
    user: &mut UserState,
    fd: usize,
    buf: usize,
    len: usize,
    flags: usize,
    addr: usize,
    len_at: usize,
) -> Result<usize> {
    let flags = flags as u32;
    let (file, socket) = socket_of(me, fd)?;
    let receive = receive_flags(&file, flags)?;
    let len = len.min(MAX_RW);
    user.space
        .check_access(buf, len, hal::trap::Access::Write)?;
    let out = AddressOut::optional(user, addr, len_at)?;
    let mut bytes = transfer_buffer(len)?;
    let received = socket.receive(&mut bytes, receive)?;
    user.space.copy_out(buf, &bytes[..received.len])?;
    if let Some(out) = out {
        out.write(user, &received.from.to_message_address())?;
    }
    Ok(received_len(&socket, &received, flags))
}

/// `setsockopt(fd, level, name, value, len)`: `SO_SNDBUF` and `SO_RCVBUF` of level
/// `SOL_SOCKET`; other options are `ENOPROTOOPT`, other levels `EOPNOTSUPP`.
pub fn setsockopt(
    me: &Arc<Process>,
    user: &mut UserState,
    fd: usize,
    level: usize,
    name: usize,
    value: usize,
    len: usize,
) -> Result<usize> {
    let (_, socket) = socket_of(me, fd)?;
    if level as i32 != SOL_SOCKET {
        return Err(Errno::EOPNOTSUPP);
    }
    if (len as i32) < 4 {
        return Err(Errno::EINVAL);
    }
    let value = UserPtr::<i32>::new(value).read(&mut user.space)?;
    match name as i32 {
        SO_SNDBUF => socket.set_send_buffer(value),
        SO_RCVBUF => socket.set_receive_buffer(value),
        _ => return Err(Errno::ENOPROTOOPT),
    }
    Ok(0)
}

/// `getsockopt(fd, level, name, value, len)`: `SO_TYPE`, `SO_ERROR` (which it clears),
/// `SO_SNDBUF` and `SO_RCVBUF`; a short `*len` gets the first bytes of the `int`.
pub fn getsockopt(
    me: &Arc<Process>,
    user: &mut UserState,
    fd: usize,
    level: usize,
    name: usize,
    value: usize,
    len_at: usize,
) -> Result<usize> {
    let (_, socket) = socket_of(me, fd)?;
    if level as i32 != SOL_SOCKET {
        return Err(Errno::EOPNOTSUPP);
    }
    let room = UserPtr::<i32>::new(len_at).read(&mut user.space)?;
    if room < 0 {
        return Err(Errno::EINVAL);
    }
    let option: i32 = match name as i32 {
        SO_TYPE => socket.kind().number(),
        SO_ERROR => socket.take_error().map_or(0, |errno| errno.0),
        SO_SNDBUF => socket.send_buffer() as i32,
        SO_RCVBUF => socket.receive_buffer() as i32,
        _ => return Err(Errno::ENOPROTOOPT),
    };
    let count = (room as usize).min(4);
    user.space.copy_out(value, &option.to_le_bytes()[..count])?;
    UserPtr::<u32>::new(len_at).write(&mut user.space, &(count as u32))?;
    Ok(0)
}

/// `shutdown(fd, how)`.
pub fn shutdown(me: &Arc<Process>, fd: usize, how: usize) -> Result<usize> {
    let (_, socket) = socket_of(me, fd)?;
    socket.shutdown(how as i32)?;
    Ok(0)
}

/// The header of a `sendmsg`/`recvmsg` and its buffers.
fn message_header(user: &mut UserState, msg: usize) -> Result<(Msghdr, Vec<Iovec>)> {
    let header = UserPtr::<Msghdr>::new(msg).read(&mut user.space)?;
    if header.msg_iovlen > IOV_MAX {
        return Err(Errno::EMSGSIZE);
    }
    let vectors = iovecs(user, header.msg_iov, header.msg_iovlen)?;
    Ok((header, vectors))
}

/// The descriptors of the `SCM_RIGHTS` messages in a `sendmsg` control buffer. A message
/// whose length does not fit is `EINVAL`, as are other `SOL_SOCKET` messages (Lantern has
/// no `SCM_CREDENTIALS`) and more than `SCM_MAX_FD` descriptors; messages of other levels
/// are skipped.
fn rights_in(control: &[u8]) -> Result<Vec<i32>> {
    let mut fds = Vec::new();
    for message in control_messages(control) {
        let (header, data) = message?;
        if header.cmsg_level != SOL_SOCKET {
            continue;
        }
        if header.cmsg_type != SCM_RIGHTS || fds.len() + data.len() / 4 > SCM_MAX_FD {
            return Err(Errno::EINVAL);
        }
        fds.extend(data.chunks_exact(4).map(i32::read_le));
    }
    Ok(fds)
}

/// `sendmsg(fd, msg, flags)`: the buffers of `msg` as one send, to `msg_name` if given,
/// with the descriptors of its `SCM_RIGHTS` control messages.
pub fn sendmsg(
    me: &Arc<Process>,
    user: &mut UserState,
    fd: usize,
    msg: usize,
    flags: usize,
) -> Result<usize> {
    let (file, socket) = socket_of(me, fd)?;
    let (header, vectors) = message_header(user, msg)?;
    let to = if header.msg_name != 0 && header.msg_namelen != 0 {
        let len = (header.msg_namelen as i32).min(SOCKADDR_STORAGE as i32);
        Some(address_in(user, header.msg_name, len as usize)?)
    } else {
        None
    };
    let control_len = header.msg_controllen;
    if control_len > i32::MAX as usize || control_len > CONTROL_MAX {
        return Err(Errno::ENOBUFS);
    }
    let mut control = vec![0u8; control_len];
    user.space.copy_in(header.msg_control, &mut control)?;
    let fds = rights_in(&control)?;
    let data = gather(user, &vectors)?;
    let rights = if fds.is_empty() {
        None
    } else {
        let files = {
            let files = me.files();
            let table = files.lock();
            fds.iter()
                .map(|&fd| table.get(fd as u32 as usize))
                .collect::<Result<Vec<_>>>()?
        };
        Some(Rights::new(files, creds(me).euid)?)
    };
    send(me, &file, &socket, &data, rights, to, flags as u32)
}

/// Installs received descriptors while the control buffer of `room` bytes has space;
/// the rest are closed. Returns the `SCM_RIGHTS` message to copy out (empty if none),
/// the bytes of the buffer it uses, and whether some did not fit (`MSG_CTRUNC`).
fn install_rights(
    me: &Process,
    files: Vec<Arc<OpenFile>>,
    room: usize,
    cloexec: bool,
) -> (Vec<u8>, usize, bool) {
    if files.is_empty() {
        return (Vec::new(), 0, false);
    }
    let fits = room.saturating_sub(Cmsghdr::SIZE) / 4;
    let mut fds: Vec<i32> = Vec::new();
    {
        let shared = me.files();
        let mut table = shared.lock();
        for file in files.iter().take(fits) {
            match table.insert(file.clone(), cloexec) {
                Ok(fd) => fds.push(fd as i32),
                Err(_) => break,
            }
        }
    }
    let truncated = fds.len() < files.len();
    drop(files);
    if fds.is_empty() {
        return (Vec::new(), 0, truncated);
    }
    let mut message = vec![0u8; cmsg_len(fds.len() * 4)];
    write_rights(&fds, &mut message);
    (message, cmsg_space(fds.len() * 4).min(room), truncated)
}

/// `recvmsg(fd, msg, flags)`: receives into the buffers of `msg`, stores the sender's
/// address in `msg_name`, installs passed descriptors (close-on-exec with
/// `MSG_CMSG_CLOEXEC`) and reports them in an `SCM_RIGHTS` control message, and sets
/// `msg_namelen`, `msg_controllen` and `msg_flags` (`MSG_TRUNC`, `MSG_CTRUNC`).
pub fn recvmsg(
    me: &Arc<Process>,
    user: &mut UserState,
    fd: usize,
    msg: usize,
    flags: usize,
) -> Result<usize> {
    let flags = flags as u32;
    let (file, socket) = socket_of(me, fd)?;
    let receive = receive_flags(&file, flags)?;
    let (header, vectors) = message_header(user, msg)?;
    let total = check_iovecs_writable(user, &vectors)?;
    let name_out = if header.msg_name != 0 {
        let room = header.msg_namelen as i32;
        if room < 0 {
            return Err(Errno::EINVAL);
        }
        let room = (room as usize).min(SOCKADDR_STORAGE);
        user.space.check_access(
            header.msg_name,
            room.min(UNIX_ADDRESS_MAX),
            hal::trap::Access::Write,
        )?;
        Some(room)
    } else {
        None
    };
    let control_room = if header.msg_control != 0 {
        header.msg_controllen
    } else {
        0
    };
    // Only the first `SCM_MAX_FD` descriptors' worth of it can ever be written.
    user.space.check_access(
        header.msg_control,
        control_room.min(cmsg_space(SCM_MAX_FD * 4)),
        hal::trap::Access::Write,
    )?;
    let mut bytes = transfer_buffer(total)?;
    let received = socket.receive(&mut bytes, receive)?;
    scatter(user, &vectors, &bytes[..received.len])?;
    let field = |offset: usize| msg + offset;
    if let Some(room) = name_out {
        let image = received.from.to_message_address();
        user.space
            .copy_out(header.msg_name, &image[..image.len().min(room)])?;
        UserPtr::<u32>::new(field(offset_of!(Msghdr, msg_namelen)))
            .write(&mut user.space, &(image.len() as u32))?;
    }
    let len = received_len(&socket, &received, flags);
    let mut result_flags = flags & MSG_CMSG_CLOEXEC;
    if received.full_len > received.len {
        result_flags |= MSG_TRUNC;
    }
    let cloexec = flags & MSG_CMSG_CLOEXEC != 0;
    let (control, used, truncated) = install_rights(me, received.files, control_room, cloexec);
    if truncated {
        result_flags |= MSG_CTRUNC;
    }
    user.space.copy_out(header.msg_control, &control)?;
    UserPtr::<usize>::new(field(offset_of!(Msghdr, msg_controllen)))
        .write(&mut user.space, &used)?;
    UserPtr::<u32>::new(field(offset_of!(Msghdr, msg_flags)))
        .write(&mut user.space, &result_flags)?;
    Ok(len)
}
