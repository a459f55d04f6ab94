//! `eventfd` (concepts I7, F6): a 64-bit counter behind a descriptor, for one process or
//! thread to signal events to another — the cheapest kernel object that `ppoll` can wait on.
//!
//! - `write` adds an 8-byte value to the counter, waiting while the sum would pass
//!   `u64::MAX - 1`; writing `u64::MAX` is `EINVAL`.
//! - `read` waits while the counter is 0, then returns it and resets it to 0 — or, with
//!   `EFD_SEMAPHORE`, returns 1 and decrements it. Buffers shorter than 8 bytes are `EINVAL`.
//! - `O_NONBLOCK` turns every wait into `EAGAIN`. Readable (`POLLIN`) while the counter is
//!   non-zero, writable (`POLLOUT`) while 1 more fits.

use super::{FileType, Inode, Metadata, Timestamp};
use crate::proc::sched;
use crate::proc::wait_queue::WaitQueue;
use abi::errno::Errno;
use abi::fs::{POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM};
use hal::sync::SpinLock;

/// The largest value the counter may hold.
const MAX: u64 = u64::MAX - 1;

/// One eventfd object.
pub struct EventFd {
    count: SpinLock<u64>,
    semaphore: bool,
    changed: WaitQueue,
}

impl EventFd {
    pub fn new(initial: u64, semaphore: bool) -> EventFd {
        EventFd {
            count: SpinLock::new("eventfd", initial),
            semaphore,
            changed: WaitQueue::new(),
        }
    }

    fn changed(&self) {
        self.changed.wake_all();
        super::poll::notify();
    }
}

impl Inode for EventFd {
    fn metadata(&self) -> Result<Metadata, Errno> {
        let now = Timestamp::now();
        Ok(Metadata {
            dev: 0,
            ino: self as *const EventFd as u64 & 0xffff_ffff,
            kind: FileType::Regular,
            perm: 0o600,
            nlink: 1,
            uid: 0,
            gid: 0,
            rdev: 0,
            size: 0,
            blocks: 0,
            atime: now,
            mtime: now,
            ctime: now,
        })
    }

    fn is_stream(&self) -> bool {
        true
    }

    fn read_stream(&self, buf: &mut [u8], nonblock: bool) -> Result<usize, Errno> {
        if buf.len() < 8 {
            return Err(Errno::EINVAL);
        }
        let me = sched::current().ok_or(Errno::EINVAL)?;
        loop {
            {
                let mut count = self.count.lock();
                if *count > 0 {
                    let value = if self.semaphore { 1 } else { *count };
                    *count -= value;
                    drop(count);
                    buf[..8].copy_from_slice(&value.to_le_bytes());
                    self.changed();
                    return Ok(8);
                }
            }
            if nonblock {
                return Err(Errno::EAGAIN);
            }
            self.changed.wait_until(&me, 0, || *self.count.lock() > 0)?;
        }
    }

    fn write_stream(&self, data: &[u8], nonblock: bool) -> Result<usize, Errno> {
        let bytes: [u8; 8] = data
            .get(..8)
            .and_then(|b| b.try_into().ok())
            .ok_or(Errno::EINVAL)?;
        let value = u64::from_le_bytes(bytes);
        if value == u64::MAX {
            return Err(Errno::EINVAL);
        }
        let me = sched::current().ok_or(Errno::EINVAL)?;
        loop {
            {
                let mut count = self.count.lock();
                if MAX - *count >= value {
                    *count += value;
                    drop(count);
                    self.changed();
                    return Ok(8);
                }
            }
            if nonblock {
                return Err(Errno::EAGAIN);
            }
            self.changed
                .wait_until(&me, 0, || MAX - *self.count.lock() >= value)?;
        }
    }

    fn poll_events(&self) -> i16 {
        let count = *self.count.lock();
        let mut events = 0;
        if count > 0 {
            events |= POLLIN | POLLRDNORM;
        }
        if count < MAX {
            events |= POLLOUT | POLLWRNORM;
        }
        events
    }

    fn as_any(&self) -> &dyn core::any::Any {
        self
    }
}
