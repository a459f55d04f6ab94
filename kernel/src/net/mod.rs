//! Networking (concept I6): sockets, the endpoints `socket(2)` makes.
//!
//! A socket is an open file (`crate::fs::file::Object::Socket`), so descriptors, `read`,
//! `write`, `poll` and `close` work on it as on a pipe; the socket calls themselves are in
//! `crate::syscall::socket`. Only the Unix domain exists so far ([`unix`]): sockets between
//! processes of this machine, named by paths in the file system or by abstract names, that
//! carry a byte stream or datagrams, and open files along with them. TCP and UDP over
//! virtio-net come later; until then every other address family is `EAFNOSUPPORT`.

pub mod unix;
