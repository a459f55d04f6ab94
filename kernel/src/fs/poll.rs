//! Readiness and `ppoll` (concept F6): which descriptors can be read or written without
//! blocking, and sleeping until one can.
//!
//! Every place where readiness may change — a pipe or socket read, write or close, typed
//! input — calls [`notify`], which wakes every poller; a poller re-checks its descriptors
//! and sleeps again if none is ready. Pollers with a timeout sleep with their deadline as
//! the wait key, and the timer interrupt wakes expired ones ([`expire`]). One queue for all
//! pollers is simple and enough for a teaching kernel; Linux keeps a queue per file instead.

use super::file::{Object, OpenFile};
use crate::proc::Process;
use crate::proc::wait_queue::WaitQueue;
use crate::time;
use abi::errno::Errno;
use abi::fs::{POLLERR, POLLHUP, POLLNVAL, PollFd};
use alloc::sync::Arc;

static POLLERS: WaitQueue = WaitQueue::new();

/// Readiness may have changed somewhere: wake the pollers.
pub fn notify() {
    POLLERS.wake_all();
}

/// Timer tick: wake pollers whose timeout has passed.
pub fn expire(now: u64) {
    POLLERS.wake_up_to(now);
}

/// The events `file` has now (`POLLIN`, `POLLOUT`, `POLLHUP`, `POLLERR`, and for a socket
/// `POLLRDHUP`).
pub fn readiness(file: &OpenFile) -> i16 {
    match &file.object {
        Object::PipeReader(pipe) => pipe.poll_events(true, false),
        Object::PipeWriter(pipe) => pipe.poll_events(false, true),
        Object::Fifo {
            pipe,
            reader,
            writer,
            ..
        } => pipe.poll_events(*reader, *writer),
        Object::Socket(socket) => socket.poll_events(),
        Object::Inode(inode) => inode.poll_events(),
    }
}

/// Fills in `revents` for each entry; returns how many have any.
fn scan(me: &Process, fds: &mut [PollFd]) -> usize {
    let mut ready = 0;
    for entry in fds.iter_mut() {
        entry.revents = if entry.fd < 0 {
            0
        } else {
            match me.files().lock().get(entry.fd as usize) {
                Err(_) => POLLNVAL,
                // Errors and hang-ups are reported whether asked for or not.
                Ok(file) => readiness(&file) & (entry.events | POLLERR | POLLHUP),
            }
        };
        if entry.revents != 0 {
            ready += 1;
        }
    }
    ready
}

/// `ppoll`'s core: waits until an entry is ready, the `deadline` (monotonic ns; `None`
/// waits forever) passes, or a signal arrives (`EINTR`). Returns the number ready.
pub fn poll(me: &Arc<Process>, fds: &mut [PollFd], deadline: Option<u64>) -> Result<usize, Errno> {
    let mut ready = 0;
    let key = deadline.unwrap_or(u64::MAX);
    POLLERS.wait_until(me, key, || {
        ready = scan(me, fds);
        ready > 0 || deadline.is_some_and(|d| time::monotonic_ns() >= d)
    })?;
    Ok(ready)
}
