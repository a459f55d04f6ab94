//! Sockets in the Linux riscv64 ABI (concept I6): address families, socket types and the
//! flags folded into the type, `sendmsg`/`recvmsg` flags, `shutdown` directions, socket
//! options, `struct sockaddr_un`, `struct msghdr` and the control messages (`struct
//! cmsghdr`, `SCM_RIGHTS`) that carry descriptors between processes.
//!
//! Invariants:
//! - Values are Linux's (`include/linux/socket.h`, `include/linux/net.h`,
//!   `include/uapi/asm-generic/socket.h`, `include/uapi/linux/un.h`). Flags that travel in
//!   an `int` but are bit sets are `u32`; families, types and option names are `i32`.
//! - [`SockaddrUn`] is 110 bytes: a 16-bit family, then 108 bytes of path. Its length as
//!   passed to the kernel (`socklen_t`) may be shorter: the family and the used part of
//!   the path.
//! - [`Msghdr`] is 56 bytes (LP64: pointers and `size_t` are 8 bytes; the 32-bit
//!   `msg_namelen` and `msg_flags` are followed by 4 bytes of padding). [`Cmsghdr`] is 16
//!   bytes, and every control message starts at a multiple of 8 ([`cmsg_align`]): its
//!   data follows the header directly, and the next header follows the data rounded up.

use crate::errno::Errno;
use crate::wire::{WireFormat, abi_struct};

/// Unspecified family; `connect` with it dissolves a datagram socket's association.
pub const AF_UNSPEC: i32 = 0;
/// Local (Unix-domain) sockets: named by a path or an abstract name, same machine only.
pub const AF_UNIX: i32 = 1;
/// IPv4.
pub const AF_INET: i32 = 2;
/// IPv6.
pub const AF_INET6: i32 = 10;
/// One past the last address family Linux knows.
pub const AF_MAX: i32 = 46;

/// Byte stream, connected, reliable, ordered.
pub const SOCK_STREAM: i32 = 1;
/// Datagrams: messages with boundaries, each sent to an address.
pub const SOCK_DGRAM: i32 = 2;
/// Raw protocol access (for `AF_UNIX`, Linux treats it as [`SOCK_DGRAM`]).
pub const SOCK_RAW: i32 = 3;
/// Reliably delivered messages.
pub const SOCK_RDM: i32 = 4;
/// Connected, reliable, ordered messages with boundaries.
pub const SOCK_SEQPACKET: i32 = 5;
/// One past the last socket type Linux knows (`SOCK_MAX`).
pub const SOCK_MAX: i32 = 11;
/// The bits of the `type` argument that name the type; the rest are flags.
pub const SOCK_TYPE_MASK: i32 = 0xf;
/// `socket`/`socketpair`/`accept4` flag: the new descriptor is non-blocking (`O_NONBLOCK`).
pub const SOCK_NONBLOCK: u32 = 0o4000;
/// `socket`/`socketpair`/`accept4` flag: close the new descriptor on `execve`
/// (`O_CLOEXEC`).
pub const SOCK_CLOEXEC: u32 = 0o2000000;

/// Bytes of `sun_path` (`UNIX_PATH_MAX`).
pub const UNIX_PATH_MAX: usize = 108;
/// Bytes before `sun_path` in a `struct sockaddr_un` (the family).
pub const SUN_PATH_OFFSET: usize = 2;

/// Most pending connections a listening socket may be given (`SOMAXCONN`, the default of
/// `net.core.somaxconn`); larger backlogs are cut to it.
pub const SOMAXCONN: usize = 4096;

/// Socket-level options (`setsockopt`/`getsockopt`) and control messages.
pub const SOL_SOCKET: i32 = 1;
/// `getsockopt`: the socket type (`SOCK_STREAM`, ...).
pub const SO_TYPE: i32 = 3;
/// `getsockopt`: the pending error, which reading clears.
pub const SO_ERROR: i32 = 4;
/// The send buffer size in bytes (Linux stores twice the value set).
pub const SO_SNDBUF: i32 = 7;
/// The receive buffer size in bytes (Linux stores twice the value set).
pub const SO_RCVBUF: i32 = 8;

/// Control message of level [`SOL_SOCKET`]: an array of descriptors to pass.
pub const SCM_RIGHTS: i32 = 1;
/// Control message of level [`SOL_SOCKET`]: the sender's pid, uid and gid.
pub const SCM_CREDENTIALS: i32 = 2;
/// Most descriptors one message may carry (`SCM_MAX_FD`).
pub const SCM_MAX_FD: usize = 253;

/// `shutdown`: no more receiving.
pub const SHUT_RD: i32 = 0;
/// `shutdown`: no more sending (the peer reads end of file).
pub const SHUT_WR: i32 = 1;
/// `shutdown`: neither.
pub const SHUT_RDWR: i32 = 2;

/// Out-of-band data.
pub const MSG_OOB: u32 = 0x1;
/// `recv`: look at the data without taking it.
pub const MSG_PEEK: u32 = 0x2;
/// `recvmsg` result: some control data did not fit and was discarded.
pub const MSG_CTRUNC: u32 = 0x8;
/// `recv` of a datagram: return its real length even if longer than the buffer; as a
/// `recvmsg` result: the datagram was longer than the buffer.
pub const MSG_TRUNC: u32 = 0x20;
/// This call does not block (as if the descriptor were `O_NONBLOCK`).
pub const MSG_DONTWAIT: u32 = 0x40;
/// End of record.
pub const MSG_EOR: u32 = 0x80;
/// `recv` on a stream: wait until the whole buffer is filled (or end of file, an error or
/// a signal).
pub const MSG_WAITALL: u32 = 0x100;
/// `send` on a stream whose peer is gone: fail with `EPIPE` but send no `SIGPIPE`.
pub const MSG_NOSIGNAL: u32 = 0x4000;
/// `recvmsg`: descriptors received through `SCM_RIGHTS` are close-on-exec.
pub const MSG_CMSG_CLOEXEC: u32 = 0x4000_0000;

abi_struct! {
    /// `struct sockaddr_un`: a Unix-domain socket address. A path name is NUL-terminated
    /// unless it fills `sun_path`; an abstract name starts with a NUL byte and is as long
    /// as the address length says.
    pub struct SockaddrUn {
        /// [`AF_UNIX`].
        pub sun_family: u16,
        /// The path, or NUL and the abstract name.
        pub sun_path: [u8; UNIX_PATH_MAX],
    }
}

abi_struct! {
    /// `struct msghdr` of `sendmsg`/`recvmsg`.
    pub struct Msghdr {
        /// Address to send to / buffer for the sender's address (may be NULL).
        pub msg_name: usize,
        /// Bytes of `msg_name` (`socklen_t`); `recvmsg` stores the address's length.
        pub msg_namelen: u32,
        /// The data buffers: an array of `struct iovec`.
        pub msg_iov: usize,
        /// Entries of `msg_iov`.
        pub msg_iovlen: usize,
        /// Control messages (a sequence of [`Cmsghdr`] and their data).
        pub msg_control: usize,
        /// Bytes of `msg_control`; `recvmsg` stores how many it used.
        pub msg_controllen: usize,
        /// `recvmsg` result flags ([`MSG_TRUNC`], [`MSG_CTRUNC`]).
        pub msg_flags: u32,
        /// Padding to the struct's 8-byte alignment (not a C field; ignored).
        pub pad: u32,
    }
}

abi_struct! {
    /// `struct cmsghdr`: the header of one control message; its data follows it.
    pub struct Cmsghdr {
        /// Bytes of header and data ([`cmsg_len`]), without trailing padding.
        pub cmsg_len: usize,
        /// Protocol level ([`SOL_SOCKET`]).
        pub cmsg_level: i32,
        /// Kind of message ([`SCM_RIGHTS`]).
        pub cmsg_type: i32,
    }
}

/// A Unix-domain socket name as a `struct sockaddr_un` holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnixName<'a> {
    /// A path name: the bytes of `sun_path` before the first NUL (none of them NUL).
    Path(&'a [u8]),
    /// An abstract name: the bytes after the leading NUL, as many as the length says (they
    /// may include NULs).
    Abstract(&'a [u8]),
}

/// Bytes of the longest address the kernel reports: the family, a path filling `sun_path`,
/// and the NUL Linux counts after it (so 111, one more than `struct sockaddr_un`).
pub const UNIX_ADDRESS_MAX: usize = SUN_PATH_OFFSET + UNIX_PATH_MAX + 1;

/// Reads the name in an address passed to `bind`, `connect` or `sendto`: `image` is the
/// `addrlen` bytes the caller gave. `EINVAL` unless they cover the family and at least one
/// byte of `sun_path` but no more than `struct sockaddr_un`, and the family is [`AF_UNIX`].
/// A path needs no NUL when it fills the length: Linux ends it there.
pub fn parse_unix_name(image: &[u8]) -> Result<UnixName<'_>, Errno> {
    if image.len() <= SUN_PATH_OFFSET || image.len() > SockaddrUn::SIZE {
        return Err(Errno::EINVAL);
    }
    if u16::from_le_bytes([image[0], image[1]]) != AF_UNIX as u16 {
        return Err(Errno::EINVAL);
    }
    let path = &image[SUN_PATH_OFFSET..];
    if path[0] == 0 {
        return Ok(UnixName::Abstract(&path[1..]));
    }
    let end = path.iter().position(|&b| b == 0).unwrap_or(path.len());
    Ok(UnixName::Path(&path[..end]))
}

/// Writes the address Linux reports for a socket named `name` (`None`: unnamed) into `out`
/// and returns its length: the family alone (2) for no name, the family, the path and a
/// NUL for a path name (so a 108-byte path reports 111), the family, a NUL and the name
/// for an abstract name. Names longer than `sun_path` are cut to fit.
pub fn write_unix_name(name: Option<UnixName<'_>>, out: &mut [u8; UNIX_ADDRESS_MAX]) -> usize {
    out.fill(0);
    out[..SUN_PATH_OFFSET].copy_from_slice(&(AF_UNIX as u16).to_le_bytes());
    let (start, bytes) = match name {
        None => return SUN_PATH_OFFSET,
        Some(UnixName::Path(path)) => (SUN_PATH_OFFSET, path),
        Some(UnixName::Abstract(name)) => (SUN_PATH_OFFSET + 1, name),
    };
    let len = bytes.len().min(UNIX_ADDRESS_MAX - 1 - start);
    out[start..start + len].copy_from_slice(&bytes[..len]);
    match name {
        Some(UnixName::Path(_)) => start + len + 1,
        _ => start + len,
    }
}

/// `CMSG_ALIGN(len)`: `len` rounded up to the alignment of control messages (8 on LP64).
pub const fn cmsg_align(len: usize) -> usize {
    (len + 7) & !7
}

/// `CMSG_LEN(data)`: the `cmsg_len` of a control message with `data` bytes of data.
pub const fn cmsg_len(data: usize) -> usize {
    cmsg_align(Cmsghdr::SIZE) + data
}

/// `CMSG_SPACE(data)`: the bytes a control message with `data` bytes of data takes in a
/// control buffer, padding included.
pub const fn cmsg_space(data: usize) -> usize {
    cmsg_align(Cmsghdr::SIZE) + cmsg_align(data)
}

/// The control messages in a control buffer, in order, as each header and its data
/// ([`control_messages`]).
pub struct ControlMessages<'a> {
    control: &'a [u8],
    at: usize,
}

/// Walks the control messages in `control` the way Linux's `CMSG_FIRSTHDR` and
/// `CMSG_NXTHDR` do: a message starts at every [`cmsg_align`]ed end of the one before,
/// and a tail too short for a header ends the walk. A `cmsg_len` shorter than a header
/// or running past the buffer is `EINVAL`, which also ends it.
pub fn control_messages(control: &[u8]) -> ControlMessages<'_> {
    ControlMessages { control, at: 0 }
}

impl<'a> Iterator for ControlMessages<'a> {
    type Item = Result<(Cmsghdr, &'a [u8]), Errno>;

    fn next(&mut self) -> Option<Self::Item> {
        let rest = self.control.get(self.at..)?;
        if rest.len() < Cmsghdr::SIZE {
            return None;
        }
        let header = Cmsghdr::read_le(rest);
        if header.cmsg_len < Cmsghdr::SIZE || header.cmsg_len > rest.len() {
            self.at = self.control.len();
            return Some(Err(Errno::EINVAL));
        }
        self.at += cmsg_align(header.cmsg_len);
        Some(Ok((header, &rest[cmsg_len(0)..header.cmsg_len])))
    }
}

/// Writes an `SCM_RIGHTS` control message carrying `fds` at the start of `out`, which
/// must hold [`cmsg_len`]`(4 * fds.len())` bytes; returns that length.
///
/// # Panics
/// If `out` is shorter.
pub fn write_rights(fds: &[i32], out: &mut [u8]) -> usize {
    let len = cmsg_len(fds.len() * 4);
    Cmsghdr {
        cmsg_len: len,
        cmsg_level: SOL_SOCKET,
        cmsg_type: SCM_RIGHTS,
    }
    .write_le(out);
    for (fd, slot) in fds.iter().zip(out[cmsg_len(0)..len].chunks_exact_mut(4)) {
        fd.write_le(slot);
    }
    len
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::{offset_of, size_of};

    #[test]
    fn sockaddr_un_layout_matches_linux() {
        assert_eq!((size_of::<SockaddrUn>(), SockaddrUn::SIZE), (110, 110));
        assert_eq!(offset_of!(SockaddrUn, sun_path), SUN_PATH_OFFSET);
        let mut address = SockaddrUn {
            sun_family: AF_UNIX as u16,
            ..SockaddrUn::default()
        };
        address.sun_path[..3].copy_from_slice(b"/s\0");
        let image = address.to_bytes();
        assert_eq!(image[..5], [1, 0, b'/', b's', 0]);
        assert_eq!(SockaddrUn::from_bytes(&image), address);
    }

    fn image(family: i32, path: &[u8]) -> [u8; SockaddrUn::SIZE] {
        let mut image = [0u8; SockaddrUn::SIZE];
        image[..2].copy_from_slice(&(family as u16).to_le_bytes());
        image[2..2 + path.len()].copy_from_slice(path);
        image
    }

    #[test]
    fn names_are_parsed_like_linux() {
        let path = image(AF_UNIX, b"/tmp/s\0junk");
        assert_eq!(parse_unix_name(&path[..9]), Ok(UnixName::Path(b"/tmp/s")));
        assert_eq!(parse_unix_name(&path), Ok(UnixName::Path(b"/tmp/s")));
        // Without a NUL the length ends the path.
        assert_eq!(parse_unix_name(&path[..5]), Ok(UnixName::Path(b"/tm")));
        let full = image(AF_UNIX, &[b'x'; UNIX_PATH_MAX]);
        assert_eq!(
            parse_unix_name(&full),
            Ok(UnixName::Path(&[b'x'; UNIX_PATH_MAX]))
        );
        let hidden = image(AF_UNIX, b"\0name\0");
        assert_eq!(
            parse_unix_name(&hidden[..7]),
            Ok(UnixName::Abstract(b"name"))
        );
        assert_eq!(
            parse_unix_name(&hidden[..8]),
            Ok(UnixName::Abstract(b"name\0"))
        );
        for bad in [&path[..0], &path[..1], &path[..2]] {
            assert_eq!(
                parse_unix_name(bad),
                Err(Errno::EINVAL),
                "length {}",
                bad.len()
            );
        }
        let mut long = [0u8; SockaddrUn::SIZE + 1];
        long[..SockaddrUn::SIZE].copy_from_slice(&path);
        assert_eq!(parse_unix_name(&long), Err(Errno::EINVAL));
        assert_eq!(parse_unix_name(&image(AF_INET, b"/s")), Err(Errno::EINVAL));
    }

    #[test]
    fn reported_names_have_linux_lengths() {
        let mut out = [0xff; UNIX_ADDRESS_MAX];
        assert_eq!(write_unix_name(None, &mut out), 2);
        assert_eq!(out[..3], [1, 0, 0]);
        assert_eq!(write_unix_name(Some(UnixName::Path(b"/s")), &mut out), 5);
        assert_eq!(out[..6], [1, 0, b'/', b's', 0, 0]);
        let full = [b'x'; UNIX_PATH_MAX];
        assert_eq!(write_unix_name(Some(UnixName::Path(&full)), &mut out), 111);
        assert_eq!(out[110], 0);
        assert_eq!(
            write_unix_name(Some(UnixName::Abstract(b"ab")), &mut out),
            5
        );
        assert_eq!(out[..5], [1, 0, 0, b'a', b'b']);
        let reported = write_unix_name(Some(UnixName::Path(b"/tmp/x")), &mut out);
        assert_eq!(
            parse_unix_name(&out[..reported - 1]),
            Ok(UnixName::Path(b"/tmp/x"))
        );
    }

    #[test]
    fn msghdr_layout_matches_linux() {
        assert_eq!((size_of::<Msghdr>(), Msghdr::SIZE), (56, 56));
        assert_eq!(offset_of!(Msghdr, msg_namelen), 8);
        assert_eq!(offset_of!(Msghdr, msg_iov), 16);
        assert_eq!(offset_of!(Msghdr, msg_iovlen), 24);
        assert_eq!(offset_of!(Msghdr, msg_control), 32);
        assert_eq!(offset_of!(Msghdr, msg_controllen), 40);
        assert_eq!(offset_of!(Msghdr, msg_flags), 48);
        let header = Msghdr {
            msg_name: 0x1000,
            msg_namelen: 110,
            msg_iov: 0x2000,
            msg_iovlen: 2,
            msg_control: 0x3000,
            msg_controllen: 24,
            msg_flags: MSG_CTRUNC,
            pad: 0,
        };
        let image = header.to_bytes();
        assert_eq!(image[12..16], [0; 4], "padding after msg_namelen");
        assert_eq!(image[40..48], 24u64.to_le_bytes());
        assert_eq!(Msghdr::from_bytes(&image), header);
    }

    #[test]
    fn cmsghdr_layout_and_macros_match_linux() {
        assert_eq!((size_of::<Cmsghdr>(), Cmsghdr::SIZE), (16, 16));
        assert_eq!(offset_of!(Cmsghdr, cmsg_level), 8);
        assert_eq!(offset_of!(Cmsghdr, cmsg_type), 12);
        // One descriptor: CMSG_LEN(4) = 20, CMSG_SPACE(4) = 24; three: 28 and 32.
        assert_eq!((cmsg_len(4), cmsg_space(4)), (20, 24));
        assert_eq!((cmsg_len(12), cmsg_space(12)), (28, 32));
        assert_eq!(cmsg_align(17), 24);
        assert_eq!(cmsg_align(24), 24);
    }

    #[test]
    fn control_messages_are_walked_like_linux() {
        let mut control = [0u8; 64];
        let first = write_rights(&[3, 4, 5], &mut control);
        assert_eq!(first, 28);
        // The second message starts at the aligned end of the first.
        let second = write_rights(&[7], &mut control[32..]);
        let used = 32 + second;
        let messages: std::vec::Vec<_> = control_messages(&control[..used]).collect();
        assert_eq!(messages.len(), 2);
        let (header, data) = messages[0].unwrap();
        assert_eq!(
            (header.cmsg_level, header.cmsg_type),
            (SOL_SOCKET, SCM_RIGHTS)
        );
        assert_eq!(data, [3, 0, 0, 0, 4, 0, 0, 0, 5, 0, 0, 0]);
        assert_eq!(messages[1].unwrap().1, 7i32.to_le_bytes());
        // A tail shorter than a header is ignored.
        assert_eq!(control_messages(&control[..15]).count(), 0);
        assert_eq!(control_messages(&control[..used + 8]).count(), 2);
        // A length shorter than the header, or past the buffer, is EINVAL and ends the walk.
        let mut bad = control;
        8usize.write_le(&mut bad);
        let walked: std::vec::Vec<_> = control_messages(&bad[..used]).collect();
        assert_eq!(walked, [Err(Errno::EINVAL)]);
        assert_eq!(
            control_messages(&control[..first - 1]).next(),
            Some(Err(Errno::EINVAL))
        );
    }

    #[test]
    fn flags_match_linux() {
        assert_eq!(SOCK_NONBLOCK, crate::fs::O_NONBLOCK);
        assert_eq!(SOCK_CLOEXEC, crate::fs::O_CLOEXEC);
        assert_eq!(SOCK_NONBLOCK & SOCK_TYPE_MASK as u32, 0);
        assert_eq!(MSG_CMSG_CLOEXEC, 1 << 30);
        let flags = [
            MSG_OOB,
            MSG_PEEK,
            MSG_CTRUNC,
            MSG_TRUNC,
            MSG_DONTWAIT,
            MSG_EOR,
            MSG_WAITALL,
            MSG_NOSIGNAL,
            MSG_CMSG_CLOEXEC,
        ];
        for (index, flag) in flags.iter().enumerate() {
            assert_eq!(flag.count_ones(), 1);
            assert!(flags[index + 1..].iter().all(|other| other & flag == 0));
        }
    }
}
