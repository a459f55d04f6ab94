//! Unix-domain sockets (concept I6): sockets between processes of this machine that carry
//! a byte stream (`SOCK_STREAM`) or datagrams (`SOCK_DGRAM`), and open files along with
//! the data (`SCM_RIGHTS`).
//!
//! Every socket has a queue of [`Message`]s: what was sent to it and not yet read.
//! - Stream: two connected sockets, each sending into the other's queue. A server `bind`s
//!   a name and `listen`s. `connect` makes the server's half of the new connection at once
//!   and leaves it on the listener (at most `backlog + 1` wait; then `connect` waits, or
//!   fails with `EAGAIN` when non-blocking), where `accept` picks it up. A read takes bytes
//!   across messages and ends after a message that carried descriptors (they come with
//!   it). `shutdown` and `close` tell the peer, which reads end of file after the data;
//!   sending when the peer can no longer read is `EPIPE` and `SIGPIPE` (not with
//!   `MSG_NOSIGNAL`). Closing with unread data, or a listener with connections not yet
//!   accepted, resets the peer: after the data, its next read is `ECONNRESET`.
//! - Datagram: each send is one message, with the sender's name; a read takes one whole
//!   message (the rest of a long one is lost: `MSG_TRUNC`). `connect` sets the destination
//!   of sends without an address and makes the socket accept datagrams from that peer
//!   only. A queue holds [`MAX_DGRAM_QLEN`] + 1 datagrams from senders it is not connected
//!   to; then they wait.
//! - Budget: what a socket has sent and is not yet read costs its bytes plus
//!   [`MESSAGE_OVERHEAD`] per message against its `SO_SNDBUF`; a sender waits while that
//!   is used up (Linux charges an skb's true size the same way). A datagram may be at most
//!   `SO_SNDBUF` - 32 bytes (`EMSGSIZE`).
//!
//! Names and the table that finds a socket by its name are in [`address`]; descriptors in
//! flight and the collector of sockets only they keep open are in [`rights`].
//! `SOCK_SEQPACKET` is not supported (`ESOCKTNOSUPPORT`), nor out-of-band data.
//!
//! Locks: `socket` (one per socket) guards its state and queue. No code holds two at once:
//! an operation on two sockets (a send, a connect, a close) locks one, lets go, then locks
//! the other. Wait-queue conditions take it (wait-queue -> `socket`); `unix-flight` comes
//! before it (the collector reads queues under `unix-flight`); `unix-names` and
//! `unix-graveyard` are taken alone.

mod address;
mod rights;

pub use address::{Name, find};
pub use rights::Rights;

use crate::fs::Inode;
use crate::fs::file::OpenFile;
use crate::fs::poll;
use crate::proc::wait_queue::WaitQueue;
use crate::proc::{Process, sched};
use abi::errno::Errno;
use abi::fs::{POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDHUP, POLLRDNORM, POLLWRNORM};
use abi::socket::{SHUT_RD, SHUT_RDWR, SHUT_WR, SOCK_DGRAM, SOCK_STREAM};
use address::Key;
use alloc::collections::VecDeque;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use hal::sync::SpinLock;

/// `SO_SNDBUF` and `SO_RCVBUF` of a new socket (Linux's `wmem_default`, `rmem_default`).
pub const DEFAULT_BUFFER: usize = 212_992;
/// Largest value `setsockopt` takes for them before doubling (`wmem_max`, `rmem_max`).
const MAX_BUFFER: usize = 212_992;
/// Smallest `SO_SNDBUF` (Linux's `SOCK_MIN_SNDBUF`).
const MIN_SEND_BUFFER: usize = 4608;
/// Smallest `SO_RCVBUF` (Linux's `SOCK_MIN_RCVBUF`).
const MIN_RECEIVE_BUFFER: usize = 2304;
/// A datagram queue holds one more than this from senders it is not connected to (Linux's
/// `net.unix.max_dgram_qlen`).
pub const MAX_DGRAM_QLEN: usize = 10;
/// What a queued message costs its sender besides its bytes.
pub const MESSAGE_OVERHEAD: usize = 256;
/// A datagram may be at most `SO_SNDBUF` minus this.
const DATAGRAM_HEADROOM: usize = 32;

/// The socket type.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    Stream,
    Datagram,
}

impl Kind {
    /// The `SOCK_*` number (`SO_TYPE`).
    pub fn number(self) -> i32 {
        match self {
            Kind::Stream => SOCK_STREAM,
            Kind::Datagram => SOCK_DGRAM,
        }
    }
}

/// Directions shut down, as Linux's `sk_shutdown` bits.
const NO_RECEIVE: u8 = 1;
const NO_SEND: u8 = 2;
const NO_RECEIVE_OR_SEND: u8 = NO_RECEIVE | NO_SEND;

/// One send's data in a receiver's queue.
struct Message {
    bytes: Vec<u8>,
    /// Bytes already read (a stream reads a message in pieces).
    read: usize,
    /// Descriptors passed with it, until a read takes them.
    rights: Option<Rights>,
    /// The sender's name when it sent.
    from: Name,
    /// The sender, whose budget the message is charged to.
    sender: Weak<Socket>,
    /// What the message still holds of that budget.
    charge: usize,
}

/// Where a socket stands.
enum Role {
    Unconnected,
    /// A stream `connect` is under way.
    Connecting,
    /// A stream server: connections made and not yet accepted.
    Listening {
        backlog: usize,
        pending: VecDeque<Arc<Socket>>,
    },
    /// The peer (stream) or the default destination (datagram).
    Connected(Arc<Socket>),
}

struct State {
    name: Name,
    /// How the name table knows the name, once bound.
    key: Option<Key>,
    /// The socket file of a path name (kept while bound).
    file: Option<Arc<dyn Inode>>,
    /// A `bind` is under way.
    binding: bool,
    role: Role,
    queue: VecDeque<Message>,
    /// `NO_RECEIVE` / `NO_SEND` bits.
    shutdown: u8,
    /// The pending error (`SO_ERROR`).
    error: Option<Errno>,
    send_buffer: usize,
    receive_buffer: usize,
    /// What this socket's messages still hold of its send budget.
    unread: usize,
    closed: bool,
}

/// A name a socket was just bound to.
struct Binding {
    name: Name,
    key: Key,
    /// The socket file of a path name.
    file: Option<Arc<dyn Inode>>,
}

/// A Unix-domain socket.
pub struct Socket {
    kind: Kind,
    state: SpinLock<State>,
    /// Sleepers: readers, accepters, senders waiting for budget (of this socket) or for
    /// room in its queue, connecters waiting for room in its backlog.
    waiters: WaitQueue,
}

/// How a send behaves.
#[derive(Clone, Copy, Debug, Default)]
pub struct SendFlags {
    /// Fail with `EAGAIN` instead of waiting.
    pub nonblock: bool,
    /// No `SIGPIPE` with `EPIPE` (`MSG_NOSIGNAL`).
    pub nosignal: bool,
}

/// How a receive behaves.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReceiveFlags {
    /// Fail with `EAGAIN` instead of waiting.
    pub nonblock: bool,
    /// Leave the data queued (`MSG_PEEK`).
    pub peek: bool,
    /// A stream waits until the buffer is full (`MSG_WAITALL`).
    pub wait_all: bool,
}

/// What a receive got.
pub struct Received {
    /// Bytes stored in the buffer.
    pub len: usize,
    /// A datagram's whole length (more than `len` if it was cut short); `len` for a stream.
    pub full_len: usize,
    /// Descriptors passed with the data (copies of them for a peek).
    pub files: Vec<Arc<OpenFile>>,
    /// The sender's name.
    pub from: Name,
}

/// What one look at a queue took.
#[derive(Default)]
struct Taken {
    len: usize,
    full_len: usize,
    from: Option<Name>,
    /// The descriptors reached (taken from their message).
    rights: Option<Rights>,
    /// Copies of the descriptors reached, for a peek.
    peeked: Vec<Arc<OpenFile>>,
    /// Budget to give back to senders.
    credits: Vec<(Weak<Socket>, usize)>,
}

/// What a reader does after looking at its queue.
enum Step {
    Took(Taken),
    Done,
    Failed(Errno),
    Wait,
}

impl State {
    fn new(name: Name, role: Role) -> State {
        State {
            name,
            key: None,
            file: None,
            binding: false,
            role,
            queue: VecDeque::new(),
            shutdown: 0,
            error: None,
            send_buffer: DEFAULT_BUFFER,
            receive_buffer: DEFAULT_BUFFER,
            unread: 0,
            closed: false,
        }
    }

    fn connected(&self) -> bool {
        matches!(self.role, Role::Connected(_))
    }

    /// Stream read: bytes from the front into `buf`, across messages, up to the end of the
    /// first message that carries descriptors.
    fn take_stream(&mut self, buf: &mut [u8]) -> Taken {
        let mut taken = Taken::default();
        while taken.len < buf.len() {
            let Some(message) = self.queue.front_mut() else {
                break;
            };
            taken.from.get_or_insert_with(|| message.from.clone());
            let count = (buf.len() - taken.len).min(message.bytes.len() - message.read);
            buf[taken.len..taken.len + count]
                .copy_from_slice(&message.bytes[message.read..message.read + count]);
            taken.len += count;
            message.read += count;
            let rights = message.rights.take();
            let finished = message.read == message.bytes.len();
            let credit = if finished {
                message.charge
            } else {
                count.min(message.charge)
            };
            message.charge -= credit;
            taken.credits.push((message.sender.clone(), credit));
            if finished {
                self.queue.pop_front();
            }
            if rights.is_some() {
                taken.rights = rights;
                break;
            }
            if !finished {
                break;
            }
        }
        taken.full_len = taken.len;
        taken
    }

    /// Stream peek: like [`take_stream`](Self::take_stream), leaving everything queued.
    fn peek_stream(&self, buf: &mut [u8]) -> Taken {
        let mut taken = Taken::default();
        for message in &self.queue {
            if taken.len == buf.len() {
                break;
            }
            taken.from.get_or_insert_with(|| message.from.clone());
            let count = (buf.len() - taken.len).min(message.bytes.len() - message.read);
            buf[taken.len..taken.len + count]
                .copy_from_slice(&message.bytes[message.read..message.read + count]);
            taken.len += count;
            if let Some(rights) = &message.rights {
                taken.peeked = rights.files().to_vec();
                break;
            }
        }
        taken.full_len = taken.len;
        taken
    }

    /// Datagram read: the first datagram, cut to `buf` (or a copy of it, for a peek).
    fn take_datagram(&mut self, buf: &mut [u8], peek: bool) -> Option<Taken> {
        let mut taken = Taken::default();
        let message = self.queue.front_mut()?;
        taken.len = buf.len().min(message.bytes.len());
        taken.full_len = message.bytes.len();
        buf[..taken.len].copy_from_slice(&message.bytes[..taken.len]);
        taken.from = Some(message.from.clone());
        if peek {
            if let Some(rights) = &message.rights {
                taken.peeked = rights.files().to_vec();
            }
        } else {
            taken.rights = message.rights.take();
            taken.credits.push((message.sender.clone(), message.charge));
            message.charge = 0;
            self.queue.pop_front();
        }
        Some(taken)
    }

    /// Whether a reader has something to act on: data, an error, or end of file.
    fn has_input(&self) -> bool {
        !self.queue.is_empty() || self.error.is_some() || self.shutdown & NO_RECEIVE != 0
    }
}

impl Socket {
    /// A new unbound, unconnected socket.
    pub fn new(kind: Kind) -> Arc<Socket> {
        Socket::with_state(kind, State::new(Name::Unnamed, Role::Unconnected))
    }

    fn with_state(kind: Kind, state: State) -> Arc<Socket> {
        Arc::new(Socket {
            kind,
            state: SpinLock::new("socket", state),
            waiters: WaitQueue::new(),
        })
    }

    /// Two sockets connected to each other (`socketpair`).
    pub fn pair(kind: Kind) -> (Arc<Socket>, Arc<Socket>) {
        let first = Socket::new(kind);
        let second = Socket::with_state(
            kind,
            State::new(Name::Unnamed, Role::Connected(first.clone())),
        );
        first.state.lock().role = Role::Connected(second.clone());
        (first, second)
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// Wakes this socket's sleepers and the pollers: its state changed.
    fn changed(&self) {
        self.waiters.wake_all();
        poll::notify();
    }

    /// Gives back `amount` of the send budget (a message of ours was read or dropped).
    fn credit(&self, amount: usize) {
        {
            let mut state = self.state.lock();
            state.unread = state.unread.saturating_sub(amount);
        }
        self.changed();
    }

    fn begin_bind(&self) -> Result<(), Errno> {
        let mut state = self.state.lock();
        if state.name != Name::Unnamed || state.binding {
            return Err(Errno::EINVAL);
        }
        state.binding = true;
        Ok(())
    }

    fn end_bind(&self, bound: Result<Binding, Errno>) -> Result<(), Errno> {
        let mut state = self.state.lock();
        state.binding = false;
        let binding = bound?;
        state.name = binding.name;
        state.key = Some(binding.key);
        state.file = binding.file;
        Ok(())
    }

    /// `bind` to the path name `path`; `create` makes the socket file (`EADDRINUSE` if
    /// the path exists). `EINVAL` if the socket already has a name.
    pub fn bind_path(
        self: &Arc<Self>,
        path: &str,
        create: impl FnOnce() -> Result<Arc<dyn Inode>, Errno>,
    ) -> Result<(), Errno> {
        self.begin_bind()?;
        let bound = create().and_then(|file| {
            let key = address::file_key(&file)?;
            address::claim(key.clone(), self)?;
            Ok(Binding {
                name: Name::Path(path.into()),
                key,
                file: Some(file),
            })
        });
        self.end_bind(bound)
    }

    /// `bind` to the abstract name `name` (`EADDRINUSE` if an open socket has it).
    pub fn bind_abstract(self: &Arc<Self>, name: Vec<u8>) -> Result<(), Errno> {
        self.begin_bind()?;
        let key = Key::Abstract(name.clone());
        let bound = address::claim(key.clone(), self).map(|()| Binding {
            name: Name::Abstract(name),
            key,
            file: None,
        });
        self.end_bind(bound)
    }

    /// `bind` with no name: a free abstract name.
    pub fn autobind(self: &Arc<Self>) -> Result<(), Errno> {
        self.begin_bind()?;
        let bound = address::claim_free(self).map(|name| Binding {
            name: Name::Abstract(name.clone()),
            key: Key::Abstract(name),
            file: None,
        });
        self.end_bind(bound)
    }

    /// The socket's own name (`getsockname`).
    pub fn name(&self) -> Name {
        self.state.lock().name.clone()
    }

    /// The peer's name (`getpeername`); `ENOTCONN` without one.
    pub fn peer_name(&self) -> Result<Name, Errno> {
        let peer = match &self.state.lock().role {
            Role::Connected(peer) => peer.clone(),
            _ => return Err(Errno::ENOTCONN),
        };
        Ok(peer.name())
    }

    /// Whether the socket has a peer (stream) or default destination (datagram).
    pub fn is_connected(&self) -> bool {
        self.state.lock().connected()
    }

    /// `listen`: a bound stream socket starts taking connections, at most `backlog + 1`
    /// waiting (calling it again changes the backlog).
    pub fn listen(&self, backlog: usize) -> Result<(), Errno> {
        if self.kind != Kind::Stream {
            return Err(Errno::EOPNOTSUPP);
        }
        {
            let mut state = self.state.lock();
            if state.name == Name::Unnamed {
                return Err(Errno::EINVAL);
            }
            if let Role::Listening { backlog: old, .. } = &mut state.role {
                *old = backlog;
            } else if matches!(state.role, Role::Unconnected) {
                state.role = Role::Listening {
                    backlog,
                    pending: VecDeque::new(),
                };
            } else {
                return Err(Errno::EINVAL);
            }
        }
        self.changed();
        Ok(())
    }

    /// `connect` to `target`: a stream connects to the listener (waiting while its backlog
    /// is full unless `nonblock`); a datagram socket makes it its destination and only
    /// source. `EPROTOTYPE` if the types differ.
    pub fn connect(self: &Arc<Self>, target: &Arc<Socket>, nonblock: bool) -> Result<(), Errno> {
        if target.kind != self.kind {
            return Err(Errno::EPROTOTYPE);
        }
        match self.kind {
            Kind::Stream => self.connect_stream(target, nonblock),
            Kind::Datagram => self.connect_datagram(target),
        }
    }

    fn connect_stream(
        self: &Arc<Self>,
        listener: &Arc<Socket>,
        nonblock: bool,
    ) -> Result<(), Errno> {
        {
            let mut state = self.state.lock();
            match state.role {
                Role::Unconnected => state.role = Role::Connecting,
                Role::Connecting => return Err(Errno::EALREADY),
                Role::Listening { .. } => return Err(Errno::EINVAL),
                Role::Connected(_) => return Err(Errno::EISCONN),
            }
        }
        let joined = self.join(listener, nonblock);
        let role = match &joined {
            Ok(half) => Role::Connected(half.clone()),
            Err(_) => Role::Unconnected,
        };
        self.state.lock().role = role;
        joined.map(|_| ())
    }

    /// Puts a new server half connected to this socket on `listener`'s backlog; returns it.
    fn join(
        self: &Arc<Self>,
        listener: &Arc<Socket>,
        nonblock: bool,
    ) -> Result<Arc<Socket>, Errno> {
        let me = sched::current().ok_or(Errno::EINVAL)?;
        loop {
            let joined = {
                let mut state = listener.state.lock();
                let name = state.name.clone();
                match &mut state.role {
                    Role::Listening { backlog, pending } => {
                        if pending.len() > *backlog {
                            None
                        } else {
                            // The accepted socket has the listener's name.
                            let half = Socket::with_state(
                                Kind::Stream,
                                State::new(name, Role::Connected(self.clone())),
                            );
                            pending.push_back(half.clone());
                            Some(half)
                        }
                    }
                    _ => return Err(Errno::ECONNREFUSED),
                }
            };
            if let Some(half) = joined {
                listener.changed();
                return Ok(half);
            }
            if nonblock {
                return Err(Errno::EAGAIN);
            }
            listener
                .waiters
                .wait_until(&me, 0, || match &listener.state.lock().role {
                    Role::Listening { backlog, pending } => pending.len() <= *backlog,
                    _ => true,
                })?;
        }
    }

    fn connect_datagram(&self, target: &Arc<Socket>) -> Result<(), Errno> {
        {
            let state = target.state.lock();
            if state.closed {
                return Err(Errno::ECONNREFUSED);
            }
            if let Role::Connected(peer) = &state.role
                && !core::ptr::eq(Arc::as_ptr(peer), self)
            {
                return Err(Errno::EPERM);
            }
        }
        let old = core::mem::replace(&mut self.state.lock().role, Role::Connected(target.clone()));
        drop(old);
        self.changed();
        Ok(())
    }

    /// `connect` with `AF_UNSPEC`: a datagram socket forgets its destination.
    pub fn disconnect(&self) -> Result<(), Errno> {
        if self.kind != Kind::Datagram {
            return Err(Errno::EINVAL);
        }
        let old = core::mem::replace(&mut self.state.lock().role, Role::Unconnected);
        drop(old);
        self.changed();
        Ok(())
    }

    /// `accept`: the next connection made to this listening socket (waiting for one unless
    /// `nonblock`).
    pub fn accept(&self, nonblock: bool) -> Result<Arc<Socket>, Errno> {
        if self.kind != Kind::Stream {
            return Err(Errno::EOPNOTSUPP);
        }
        let me = sched::current().ok_or(Errno::EINVAL)?;
        loop {
            let next = match &mut self.state.lock().role {
                Role::Listening { pending, .. } => pending.pop_front(),
                _ => return Err(Errno::EINVAL),
            };
            if let Some(half) = next {
                self.changed();
                return Ok(half);
            }
            if nonblock {
                return Err(Errno::EAGAIN);
            }
            self.waiters
                .wait_until(&me, 0, || match &self.state.lock().role {
                    Role::Listening { pending, .. } => !pending.is_empty(),
                    _ => true,
                })?;
        }
    }

    /// Sends `data` with the descriptors `rights`: a stream to its peer, a datagram to
    /// `to` or the socket it is connected to.
    pub fn send(
        self: &Arc<Self>,
        data: &[u8],
        rights: Option<Rights>,
        to: Option<Arc<Socket>>,
        flags: SendFlags,
    ) -> Result<usize, Errno> {
        let me = sched::current().ok_or(Errno::EINVAL)?;
        match self.kind {
            Kind::Stream => self.send_stream(&me, data, rights, flags),
            Kind::Datagram => self.send_datagram(&me, data, rights, to, flags),
        }
    }

    /// `write` on the socket's descriptor.
    pub fn write(self: &Arc<Self>, data: &[u8], nonblock: bool) -> Result<usize, Errno> {
        let flags = SendFlags {
            nonblock,
            nosignal: false,
        };
        self.send(data, None, None, flags)
    }

    /// Waits until this socket may queue another message, then charges it to the send
    /// budget: up to `wanted` bytes (all of them if `whole`) and the overhead. Returns the
    /// bytes charged; `EPIPE` once the socket may no longer send.
    fn reserve(
        &self,
        me: &Arc<Process>,
        wanted: usize,
        whole: bool,
        nonblock: bool,
    ) -> Result<usize, Errno> {
        loop {
            {
                let mut state = self.state.lock();
                if state.shutdown & NO_SEND != 0 {
                    return Err(Errno::EPIPE);
                }
                if state.unread < state.send_buffer {
                    let count = if whole {
                        wanted
                    } else {
                        wanted.min(state.send_buffer - state.unread)
                    };
                    state.unread += count + MESSAGE_OVERHEAD;
                    return Ok(count);
                }
            }
            if nonblock {
                return Err(Errno::EAGAIN);
            }
            self.waiters.wait_until(me, 0, || {
                let state = self.state.lock();
                state.shutdown & NO_SEND != 0 || state.unread < state.send_buffer
            })?;
        }
    }

    fn message(self: &Arc<Self>, bytes: &[u8], rights: Option<Rights>, from: &Name) -> Message {
        Message {
            bytes: bytes.to_vec(),
            read: 0,
            rights,
            from: from.clone(),
            sender: Arc::downgrade(self),
            charge: bytes.len() + MESSAGE_OVERHEAD,
        }
    }

    fn send_stream(
        self: &Arc<Self>,
        me: &Arc<Process>,
        data: &[u8],
        mut rights: Option<Rights>,
        flags: SendFlags,
    ) -> Result<usize, Errno> {
        let (peer, name) = {
            let state = self.state.lock();
            match &state.role {
                Role::Connected(peer) => (peer.clone(), state.name.clone()),
                _ => return Err(Errno::ENOTCONN),
            }
        };
        let mut sent = 0;
        while sent < data.len() {
            let count = match self.reserve(me, data.len() - sent, false, flags.nonblock) {
                Ok(count) => count,
                Err(Errno::EPIPE) => return broken_pipe(me, sent, flags),
                Err(_) if sent > 0 => return Ok(sent),
                Err(errno) => return Err(errno),
            };
            // Descriptors go with the first piece.
            let message = self.message(&data[sent..sent + count], rights.take(), &name);
            if let Some(refused) = peer.deliver(message) {
                discard([refused]);
                return broken_pipe(me, sent, flags);
            }
            sent += count;
        }
        Ok(sent)
    }

    /// Queues a stream message, unless this socket can no longer read (closed or shut
    /// down): then the message comes back.
    fn deliver(&self, message: Message) -> Option<Message> {
        {
            let mut state = self.state.lock();
            if state.closed || state.shutdown & NO_RECEIVE != 0 {
                return Some(message);
            }
            state.queue.push_back(message);
        }
        self.changed();
        None
    }

    fn send_datagram(
        self: &Arc<Self>,
        me: &Arc<Process>,
        data: &[u8],
        rights: Option<Rights>,
        to: Option<Arc<Socket>>,
        flags: SendFlags,
    ) -> Result<usize, Errno> {
        let (target, name, limit) = {
            let state = self.state.lock();
            let target = match (to, &state.role) {
                (Some(target), _) => target,
                (None, Role::Connected(peer)) => peer.clone(),
                (None, _) => return Err(Errno::ENOTCONN),
            };
            (target, state.name.clone(), state.send_buffer)
        };
        if target.kind != Kind::Datagram {
            return Err(Errno::EPROTOTYPE);
        }
        if data.len() > limit.saturating_sub(DATAGRAM_HEADROOM) {
            return Err(Errno::EMSGSIZE);
        }
        self.reserve(me, data.len(), true, flags.nonblock)?;
        let mut message = Some(self.message(data, rights, &name));
        loop {
            match target.offer(self, &mut message) {
                Ok(()) => {
                    target.changed();
                    return Ok(data.len());
                }
                Err(Errno::EAGAIN) if !flags.nonblock => {
                    let waited = target
                        .waiters
                        .wait_until(me, 0, || target.has_room_from(self));
                    if let Err(errno) = waited {
                        discard(message);
                        return Err(errno);
                    }
                }
                Err(errno) => {
                    discard(message);
                    if errno == Errno::ECONNREFUSED {
                        self.forget_peer(&target);
                    }
                    return Err(errno);
                }
            }
        }
    }

    /// Queues the datagram in `message` from `sender` if this socket takes it now;
    /// `EAGAIN` while the queue is full.
    fn offer(&self, sender: &Socket, message: &mut Option<Message>) -> Result<(), Errno> {
        let mut state = self.state.lock();
        if state.closed {
            return Err(Errno::ECONNREFUSED);
        }
        let from_peer = match &state.role {
            Role::Connected(peer) if core::ptr::eq(Arc::as_ptr(peer), sender) => true,
            Role::Connected(_) => return Err(Errno::EPERM),
            _ => false,
        };
        if state.shutdown & NO_RECEIVE != 0 {
            return Err(Errno::EPIPE);
        }
        if !from_peer && state.queue.len() > MAX_DGRAM_QLEN {
            return Err(Errno::EAGAIN);
        }
        state.queue.extend(message.take());
        Ok(())
    }

    /// Whether a datagram from `sender` fits in the queue (or waiting is pointless).
    fn has_room_from(&self, sender: &Socket) -> bool {
        let state = self.state.lock();
        let from_peer = matches!(&state.role,
            Role::Connected(peer) if core::ptr::eq(Arc::as_ptr(peer), sender));
        state.closed || from_peer || state.queue.len() <= MAX_DGRAM_QLEN
    }

    /// The datagram peer `gone` is closed: forget it, as Linux does after the send that
    /// found it so.
    fn forget_peer(&self, gone: &Arc<Socket>) {
        let old = {
            let mut state = self.state.lock();
            match &state.role {
                Role::Connected(peer) if Arc::ptr_eq(peer, gone) => {
                    core::mem::replace(&mut state.role, Role::Unconnected)
                }
                _ => return,
            }
        };
        drop(old);
        self.changed();
    }

    /// Receives into `buf`: a stream takes what is there (waiting for something unless
    /// `nonblock`), a datagram socket the next datagram.
    pub fn receive(&self, buf: &mut [u8], flags: ReceiveFlags) -> Result<Received, Errno> {
        let me = sched::current().ok_or(Errno::EINVAL)?;
        let target = if flags.wait_all && !flags.peek && self.kind == Kind::Stream {
            buf.len()
        } else {
            buf.len().min(1)
        };
        let mut received = Received {
            len: 0,
            full_len: 0,
            files: Vec::new(),
            from: Name::Unnamed,
        };
        loop {
            let step = {
                let mut state = self.state.lock();
                let taken = match self.kind {
                    Kind::Stream if !state.connected() => return Err(Errno::EINVAL),
                    Kind::Stream if flags.peek => Some(state.peek_stream(&mut buf[received.len..]))
                        .filter(|t| t.len > 0 || !t.peeked.is_empty()),
                    Kind::Stream => Some(state.take_stream(&mut buf[received.len..]))
                        .filter(|t| t.len > 0 || t.rights.is_some()),
                    Kind::Datagram => state.take_datagram(buf, flags.peek),
                };
                if let Some(taken) = taken {
                    Step::Took(taken)
                } else if received.len >= target {
                    Step::Done
                } else if let Some(errno) = state.error.take() {
                    Step::Failed(errno)
                } else if state.shutdown & NO_RECEIVE != 0 {
                    Step::Done
                } else if flags.nonblock {
                    Step::Failed(Errno::EAGAIN)
                } else {
                    Step::Wait
                }
            };
            match step {
                Step::Took(taken) => {
                    let carried = taken.rights.is_some() || !taken.peeked.is_empty();
                    self.absorb(&mut received, taken);
                    if carried
                        || received.len >= target
                        || flags.peek
                        || self.kind == Kind::Datagram
                    {
                        return Ok(received);
                    }
                }
                Step::Done => return Ok(received),
                Step::Failed(_) if received.len > 0 => return Ok(received),
                Step::Failed(errno) => return Err(errno),
                Step::Wait => {
                    let waited = self
                        .waiters
                        .wait_until(&me, 0, || self.state.lock().has_input());
                    match waited {
                        Err(_) if received.len > 0 => return Ok(received),
                        Err(errno) => return Err(errno),
                        Ok(()) => {}
                    }
                }
            }
        }
    }

    /// Adds what one look at the queue took to `received`, outside the lock: the budget
    /// goes back to the senders and the descriptors leave flight.
    fn absorb(&self, received: &mut Received, taken: Taken) {
        if received.len == 0
            && let Some(from) = taken.from
        {
            received.from = from;
        }
        received.len += taken.len;
        received.full_len += taken.full_len;
        received.files.extend(taken.peeked);
        if let Some(rights) = taken.rights {
            received.files.extend(rights.land());
        }
        let credited = !taken.credits.is_empty();
        for (sender, amount) in taken.credits {
            if let Some(sender) = sender.upgrade() {
                sender.credit(amount);
            }
        }
        if credited {
            // Datagram senders may be waiting for room in this queue.
            self.changed();
        }
    }

    /// `read` on the socket's descriptor (descriptors passed with the data are closed).
    pub fn read(&self, buf: &mut [u8], nonblock: bool) -> Result<usize, Errno> {
        let flags = ReceiveFlags {
            nonblock,
            ..ReceiveFlags::default()
        };
        self.receive(buf, flags).map(|received| received.len)
    }

    /// `shutdown(how)`: no more receiving, sending, or both; a stream's peer learns it.
    pub fn shutdown(&self, how: i32) -> Result<(), Errno> {
        let mode = match how {
            SHUT_RD => NO_RECEIVE,
            SHUT_WR => NO_SEND,
            SHUT_RDWR => NO_RECEIVE_OR_SEND,
            _ => return Err(Errno::EINVAL),
        };
        let peer = {
            let mut state = self.state.lock();
            state.shutdown |= mode;
            match &state.role {
                Role::Connected(peer) if self.kind == Kind::Stream => Some(peer.clone()),
                _ => None,
            }
        };
        if let Some(peer) = peer {
            // What we no longer receive, the peer may no longer send, and the other way.
            let mut mirrored = 0;
            if mode & NO_RECEIVE != 0 {
                mirrored |= NO_SEND;
            }
            if mode & NO_SEND != 0 {
                mirrored |= NO_RECEIVE;
            }
            peer.state.lock().shutdown |= mirrored;
            peer.changed();
        }
        self.changed();
        Ok(())
    }

    /// The pending error, which reading clears (`SO_ERROR`).
    pub fn take_error(&self) -> Option<Errno> {
        self.state.lock().error.take()
    }

    /// `SO_SNDBUF`.
    pub fn send_buffer(&self) -> usize {
        self.state.lock().send_buffer
    }

    /// `SO_RCVBUF`.
    pub fn receive_buffer(&self) -> usize {
        self.state.lock().receive_buffer
    }

    /// Sets `SO_SNDBUF` the way Linux does: twice the value, at most twice [`MAX_BUFFER`]
    /// (a negative value counts as huge) and at least `MIN_SEND_BUFFER`.
    pub fn set_send_buffer(&self, value: i32) {
        let value = (value as u32).min(MAX_BUFFER as u32) as usize;
        self.state.lock().send_buffer = (value * 2).max(MIN_SEND_BUFFER);
        self.changed();
    }

    /// Sets `SO_RCVBUF` like [`set_send_buffer`](Self::set_send_buffer) (Linux keeps the
    /// value; a Unix socket's queue is bounded by its senders' budgets).
    pub fn set_receive_buffer(&self, value: i32) {
        let value = (value as u32).min(MAX_BUFFER as u32) as usize;
        self.state.lock().receive_buffer = (value * 2).max(MIN_RECEIVE_BUFFER);
    }

    /// The `poll` events the socket has now, as Linux's `unix_poll` and `unix_dgram_poll`
    /// compute them.
    pub fn poll_events(&self) -> i16 {
        let (mut events, writable, peer) = {
            let state = self.state.lock();
            let mut events = 0;
            if state.error.is_some() {
                events |= POLLERR;
            }
            if state.shutdown == NO_RECEIVE_OR_SEND {
                events |= POLLHUP;
            }
            if state.shutdown & NO_RECEIVE != 0 {
                events |= POLLRDHUP | POLLIN | POLLRDNORM;
            }
            let waiting = match &state.role {
                Role::Listening { pending, .. } => !pending.is_empty(),
                _ => !state.queue.is_empty(),
            };
            if waiting {
                events |= POLLIN | POLLRDNORM;
            }
            let unconnected = matches!(state.role, Role::Unconnected | Role::Connecting);
            if self.kind == Kind::Stream && unconnected {
                events |= POLLHUP;
            }
            let listening = matches!(state.role, Role::Listening { .. });
            let writable = !listening && state.unread * 4 <= state.send_buffer;
            let peer = match &state.role {
                Role::Connected(peer) if self.kind == Kind::Datagram => Some(peer.clone()),
                _ => None,
            };
            (events, writable, peer)
        };
        // A datagram socket is not writable while its peer's queue is full.
        if writable && peer.is_none_or(|peer| peer.has_room_from(self)) {
            events |= POLLOUT | POLLWRNORM;
        }
        events
    }

    /// Calls `visit` for every open file in flight in this socket's queue (and, for a
    /// listener, in the queues of its connections not yet accepted).
    fn for_each_carried(&self, visit: &mut dyn FnMut(&Arc<OpenFile>)) {
        let pending = {
            let state = self.state.lock();
            for message in &state.queue {
                for file in message.rights.iter().flat_map(Rights::files) {
                    visit(file);
                }
            }
            match &state.role {
                Role::Listening { pending, .. } => pending.iter().cloned().collect(),
                _ => Vec::new(),
            }
        };
        for half in pending {
            half.for_each_carried(visit);
        }
    }

    /// Empties this socket's queue (and those of its connections not yet accepted).
    fn take_queues(&self) -> Vec<Message> {
        let (mut messages, pending): (Vec<Message>, Vec<Arc<Socket>>) = {
            let mut state = self.state.lock();
            let pending = match &state.role {
                Role::Listening { pending, .. } => pending.iter().cloned().collect(),
                _ => Vec::new(),
            };
            (state.queue.drain(..).collect(), pending)
        };
        for half in pending {
            messages.extend(half.take_queues());
        }
        messages
    }

    /// The last descriptor of the socket is gone.
    pub fn close(&self) {
        self.shut(false);
        rights::collect();
    }

    /// Closes the socket: its name is free, its queue dropped, a stream peer hung up
    /// (reset if `reset_peer` or unread data was dropped), a listener's connections not
    /// yet accepted are closed and their clients reset.
    fn shut(&self, reset_peer: bool) {
        let (role, queue, key, file) = {
            let mut state = self.state.lock();
            state.closed = true;
            state.shutdown = NO_RECEIVE_OR_SEND;
            (
                core::mem::replace(&mut state.role, Role::Unconnected),
                core::mem::take(&mut state.queue),
                state.key.take(),
                state.file.take(),
            )
        };
        if let Some(key) = &key {
            address::release(key, self);
        }
        match role {
            Role::Connected(peer) if self.kind == Kind::Stream => {
                peer.hang_up(reset_peer || !queue.is_empty());
            }
            Role::Listening { pending, .. } => {
                for half in pending {
                    half.shut(true);
                }
            }
            _ => {}
        }
        discard(queue);
        drop(file);
        self.changed();
    }

    /// The stream peer closed: no more sending or receiving, and `ECONNRESET` after the
    /// data if `reset`.
    fn hang_up(&self, reset: bool) {
        {
            let mut state = self.state.lock();
            state.shutdown = NO_RECEIVE_OR_SEND;
            if reset {
                state.error = Some(Errno::ECONNRESET);
            }
        }
        self.changed();
    }
}

/// `EPIPE` for a stream send that found the peer gone, with `SIGPIPE` unless `MSG_NOSIGNAL`
/// (or the bytes sent before, if any).
fn broken_pipe(me: &Arc<Process>, sent: usize, flags: SendFlags) -> Result<usize, Errno> {
    if sent > 0 {
        return Ok(sent);
    }
    if !flags.nosignal {
        let sig = abi::signal::SIGPIPE;
        crate::proc::signal::send(me, sig, crate::proc::signal::kernel_info(sig));
    }
    Err(Errno::EPIPE)
}

/// Drops messages nobody will read: their budget goes back to their senders, their
/// descriptors are closed.
fn discard(messages: impl IntoIterator<Item = Message>) {
    for mut message in messages {
        if message.charge > 0
            && let Some(sender) = message.sender.upgrade()
        {
            sender.credit(message.charge);
            message.charge = 0;
        }
    }
}

/// `close` dropped a descriptor. If it named a socket, the socket may now be kept open
/// only by messages in flight, so the collector runs.
pub fn descriptor_closed(file: Arc<OpenFile>) {
    let socket = file.socket().is_some();
    drop(file);
    if socket {
        rights::collect();
    }
}
