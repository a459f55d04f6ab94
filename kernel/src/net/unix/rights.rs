//! Descriptors in flight (concept I6, `SCM_RIGHTS`): open files travelling in a message,
//! from the `sendmsg` that attached them to the `recvmsg` that installs them in the
//! receiver's descriptor table.
//!
//! - Each user may have at most [`MAX_IN_FLIGHT`] files in flight; beyond that `sendmsg`
//!   fails with `ETOOMANYREFS` (Linux's `RLIMIT_NOFILE` rule, which root escapes on Linux
//!   but not here).
//! - Files leave a message through [`Rights::land`] (the receiver takes them) or by being
//!   dropped with it. Dropped files are closed through the graveyard, one after another
//!   and never recursively: closing a socket empties its queue, which may close a socket
//!   whose queue holds another socket... A chain of them would otherwise nest as deep as
//!   it is long, on a small kernel stack.
//!
//! Garbage ([`collect`]): a socket can travel inside its own queue, or two sockets in each
//! other's. Once no descriptor names them, nobody can ever read those queues and
//! everything in them would stay open forever. The collector finds such sockets the way
//! Linux's `unix_gc` does:
//! 1. Candidates are sockets in flight whose every reference is a message in flight.
//! 2. From each candidate's count of messages carrying it, subtract the messages in
//!    candidates' queues that carry it. A candidate with messages left is carried from
//!    outside the candidates (a live socket's queue, or a `sendmsg`/`recvmsg` under way):
//!    it is alive, and so is everything in its queue, and in theirs.
//! 3. The other candidates are garbage: their queues are emptied, which closes them.
//!
//! It runs when a socket is closed while sockets are in flight. Counts change only under
//! the `unix-flight` lock, which the collector holds throughout, so they agree with the
//! queues it reads: a message is counted from before it is queued until after it leaves
//! its queue, and a candidate cannot gain a reader meanwhile (a reader needs a descriptor,
//! which only a `recvmsg` taking this lock could give it).
//!
//! Lock order: `unix-flight` -> `socket`; `unix-graveyard` alone.

use super::Socket;
use crate::fs::fdtable::MAX_FDS;
use crate::fs::file::OpenFile;
use abi::errno::Errno;
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use hal::sync::SpinLock;

/// Files one user may have in flight (Linux: `RLIMIT_NOFILE`, 1024 by default).
pub const MAX_IN_FLIGHT: usize = MAX_FDS;

/// What is in flight.
struct Flight {
    /// Files in flight per user (the sender's effective uid).
    per_user: BTreeMap<u32, usize>,
    /// Sockets in flight, by their open file's address: the file, and how many messages
    /// carry it (a message carrying it twice counts twice).
    sockets: BTreeMap<usize, (Weak<OpenFile>, usize)>,
}

static FLIGHT: SpinLock<Flight> = SpinLock::new(
    "unix-flight",
    Flight {
        per_user: BTreeMap::new(),
        sockets: BTreeMap::new(),
    },
);

/// The key of an open file in [`Flight::sockets`].
fn key(file: &Arc<OpenFile>) -> usize {
    Arc::as_ptr(file) as usize
}

/// Open files travelling in one message.
pub struct Rights {
    files: Vec<Arc<OpenFile>>,
    /// The user they are charged to.
    owner: u32,
}

impl Rights {
    /// Puts `files` in flight, charged to the user `owner`; `ETOOMANYREFS` if that would
    /// pass [`MAX_IN_FLIGHT`].
    pub fn new(files: Vec<Arc<OpenFile>>, owner: u32) -> Result<Rights, Errno> {
        let mut flight = FLIGHT.lock();
        let charged = flight.per_user.entry(owner).or_insert(0);
        if *charged + files.len() > MAX_IN_FLIGHT {
            if *charged == 0 {
                flight.per_user.remove(&owner);
            }
            return Err(Errno::ETOOMANYREFS);
        }
        *charged += files.len();
        for file in files.iter().filter(|f| f.socket().is_some()) {
            flight
                .sockets
                .entry(key(file))
                .or_insert_with(|| (Arc::downgrade(file), 0))
                .1 += 1;
        }
        Ok(Rights { files, owner })
    }

    /// The files carried.
    pub fn files(&self) -> &[Arc<OpenFile>] {
        &self.files
    }

    /// The receiver takes the files: they are no longer in flight.
    pub fn land(mut self) -> Vec<Arc<OpenFile>> {
        let files = core::mem::take(&mut self.files);
        uncharge(&files, self.owner);
        files
    }
}

impl Drop for Rights {
    /// The message was dropped unread: its files are closed (through the graveyard).
    fn drop(&mut self) {
        let files = core::mem::take(&mut self.files);
        if !files.is_empty() {
            uncharge(&files, self.owner);
            bury(files);
        }
    }
}

fn uncharge(files: &[Arc<OpenFile>], owner: u32) {
    let mut flight = FLIGHT.lock();
    if let Some(charged) = flight.per_user.get_mut(&owner) {
        *charged -= files.len().min(*charged);
        if *charged == 0 {
            flight.per_user.remove(&owner);
        }
    }
    for file in files.iter().filter(|f| f.socket().is_some()) {
        let key = key(file);
        if let Some(entry) = flight.sockets.get_mut(&key) {
            entry.1 -= 1;
            if entry.1 == 0 {
                flight.sockets.remove(&key);
            }
        }
    }
}

/// Files waiting to be closed, and whether some call is closing them.
struct Graveyard {
    files: Vec<Arc<OpenFile>>,
    draining: bool,
}

static GRAVEYARD: SpinLock<Graveyard> = SpinLock::new(
    "unix-graveyard",
    Graveyard {
        files: Vec::new(),
        draining: false,
    },
);

/// Closes `files` (drops these references to them). A call already doing so, here or on
/// another hart, picks them up instead, so a close that leads to more closes loops rather
/// than recurses.
fn bury(files: Vec<Arc<OpenFile>>) {
    {
        let mut graveyard = GRAVEYARD.lock();
        graveyard.files.extend(files);
        if graveyard.draining {
            return;
        }
        graveyard.draining = true;
    }
    loop {
        let batch = {
            let mut graveyard = GRAVEYARD.lock();
            if graveyard.files.is_empty() {
                graveyard.draining = false;
                return;
            }
            core::mem::take(&mut graveyard.files)
        };
        drop(batch);
    }
}

/// A socket the collector looks at.
struct Candidate {
    /// Keeps the file (and so the socket) open while the collector works.
    _file: Arc<OpenFile>,
    socket: Arc<Socket>,
    /// Messages carrying it that are not in a candidate's queue.
    outside: usize,
}

/// Finds sockets that only unreachable messages carry and empties their queues (the
/// algorithm is in the module comment).
pub fn collect() {
    let mut garbage = Vec::new();
    let candidates = {
        let flight = FLIGHT.lock();
        if flight.sockets.is_empty() {
            return;
        }
        let mut candidates: BTreeMap<usize, Candidate> = BTreeMap::new();
        for (&key, (weak, carried)) in &flight.sockets {
            if weak.strong_count() != *carried {
                continue;
            }
            if let Some(file) = weak.upgrade()
                && let Some(socket) = file.socket().cloned()
            {
                candidates.insert(
                    key,
                    Candidate {
                        _file: file,
                        socket,
                        outside: *carried,
                    },
                );
            }
        }
        let sockets: Vec<Arc<Socket>> = candidates.values().map(|c| c.socket.clone()).collect();
        for socket in &sockets {
            socket.for_each_carried(&mut |file| {
                if let Some(candidate) = candidates.get_mut(&key(file)) {
                    candidate.outside = candidate.outside.saturating_sub(1);
                }
            });
        }
        let mut alive: BTreeSet<usize> = candidates
            .iter()
            .filter(|(_, c)| c.outside > 0)
            .map(|(&key, _)| key)
            .collect();
        let mut to_scan: Vec<usize> = alive.iter().copied().collect();
        while let Some(next) = to_scan.pop() {
            let socket = candidates[&next].socket.clone();
            socket.for_each_carried(&mut |file| {
                let key = key(file);
                if candidates.contains_key(&key) && alive.insert(key) {
                    to_scan.push(key);
                }
            });
        }
        for (key, candidate) in &candidates {
            if !alive.contains(key) {
                garbage.extend(candidate.socket.take_queues());
            }
        }
        drop(flight);
        drop(sockets);
        candidates
    };
    // Emptying the queues drops their messages, whose files go to the graveyard; the
    // garbage sockets' own files close when the last reference, ours, goes.
    super::discard(garbage);
    drop(candidates);
}
