//! Anonymous pipes (concept I1): a kernel ring buffer between a writing and a reading end.
//!
//! - Readers block while the pipe is empty and some writer remains; with no writers left,
//!   an empty pipe reads as end of file.
//! - Writers block while the pipe is full. A write of at most `PIPE_BUF` bytes is atomic:
//!   it waits for room for all of it, so it never interleaves with other writers. Larger
//!   writes go in pieces.
//! - Writing with no reader left fails with `EPIPE` and sends the writer `SIGPIPE`.
//! - `O_NONBLOCK` turns every wait into `EAGAIN`.
//!
//! The buffer and the reader/writer counts sit under the pipe's spinlock; readers and
//! writers sleep on two wait queues, woken by the other side.

use crate::proc::sched;
use crate::proc::wait_queue::WaitQueue;
use abi::errno::Errno;
use alloc::collections::VecDeque;
use hal::sync::SpinLock;

/// Bytes a pipe holds.
pub const PIPE_CAPACITY: usize = 64 * 1024;
/// Writes up to this size are atomic (POSIX PIPE_BUF).
pub const PIPE_BUF: usize = 4096;

struct State {
    bytes: VecDeque<u8>,
    readers: usize,
    writers: usize,
    /// How many times each end was ever opened (a FIFO's open waits for the other side to
    /// have opened, even if it has closed again since).
    reader_opens: u64,
    writer_opens: u64,
}

/// A pipe: both ends share it.
pub struct Pipe {
    state: SpinLock<State>,
    readable: WaitQueue,
    writable: WaitQueue,
}

impl Pipe {
    /// A pipe with one reader and one writer.
    pub fn new() -> Pipe {
        Pipe::with_ends(1, 1)
    }

    /// A named pipe's buffer (a FIFO), with no end open yet.
    pub fn new_named() -> Pipe {
        Pipe::with_ends(0, 0)
    }

    fn with_ends(readers: usize, writers: usize) -> Pipe {
        Pipe {
            state: SpinLock::new(
                "pipe",
                State {
                    bytes: VecDeque::new(),
                    readers,
                    writers,
                    reader_opens: readers as u64,
                    writer_opens: writers as u64,
                },
            ),
            readable: WaitQueue::new(),
            writable: WaitQueue::new(),
        }
    }

    /// Whether no end is open (a FIFO's buffer can then be dropped).
    pub fn unused(&self) -> bool {
        let state = self.state.lock();
        state.readers == 0 && state.writers == 0
    }

    /// Opens a FIFO end (concept I2), with POSIX's rules: a reader waits until a writer has
    /// opened, a writer until a reader has; with `nonblock` a reader opens at once and a
    /// writer with no reader fails with `ENXIO`. `O_RDWR` (`reader` and `writer`) never
    /// waits. A signal ends a wait with `EINTR` and the end is not opened.
    pub fn open_fifo(&self, reader: bool, writer: bool, nonblock: bool) -> Result<(), Errno> {
        let me = sched::current().ok_or(Errno::EINVAL)?;
        let (other_opens, other_open) = {
            let mut state = self.state.lock();
            if writer && !reader && nonblock && state.readers == 0 {
                return Err(Errno::ENXIO);
            }
            if reader {
                state.readers += 1;
                state.reader_opens += 1;
            }
            if writer {
                state.writers += 1;
                state.writer_opens += 1;
            }
            if reader && !writer {
                (state.writer_opens, state.writers > 0)
            } else {
                (state.reader_opens, state.readers > 0)
            }
        };
        self.readable.wake_all();
        self.writable.wake_all();
        super::poll::notify();
        if (reader && writer) || other_open || (reader && nonblock) {
            return Ok(());
        }
        let queue = if reader {
            &self.readable
        } else {
            &self.writable
        };
        let waited = queue.wait_until(&me, 0, || {
            let state = self.state.lock();
            if reader {
                state.writers > 0 || state.writer_opens != other_opens
            } else {
                state.readers > 0 || state.reader_opens != other_opens
            }
        });
        if waited.is_err() {
            self.close_end(reader);
        }
        waited
    }

    /// Bytes waiting to be read.
    pub fn available(&self) -> usize {
        self.state.lock().bytes.len()
    }

    /// The `poll` events of the ends held (`reader`, `writer`): readable with data,
    /// hung up with no writer left, writable while an atomic `PIPE_BUF` write fits, an
    /// error with no reader left.
    pub fn poll_events(&self, reader: bool, writer: bool) -> i16 {
        use abi::fs::{POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM};
        let state = self.state.lock();
        let mut events = 0;
        if reader && !state.bytes.is_empty() {
            events |= POLLIN | POLLRDNORM;
        }
        if reader && state.writers == 0 {
            events |= POLLHUP;
        }
        if writer && state.readers == 0 {
            events |= POLLERR;
        } else if writer && PIPE_CAPACITY - state.bytes.len() >= PIPE_BUF {
            events |= POLLOUT | POLLWRNORM;
        }
        events
    }

    /// Reads what is there (at least one byte, or end of file), waiting if needed.
    pub fn read(&self, buf: &mut [u8], nonblock: bool) -> Result<usize, Errno> {
        if buf.is_empty() {
            return Ok(0);
        }
        let me = sched::current().ok_or(Errno::EINVAL)?;
        loop {
            {
                let mut state = self.state.lock();
                if !state.bytes.is_empty() {
                    let count = buf.len().min(state.bytes.len());
                    for (slot, byte) in buf.iter_mut().zip(state.bytes.drain(..count)) {
                        *slot = byte;
                    }
                    drop(state);
                    self.writable.wake_all();
                    super::poll::notify();
                    return Ok(count);
                }
                if state.writers == 0 {
                    return Ok(0);
                }
                if nonblock {
                    return Err(Errno::EAGAIN);
                }
            }
            self.readable.wait_until(&me, 0, || {
                let state = self.state.lock();
                !state.bytes.is_empty() || state.writers == 0
            })?;
        }
    }

    /// Writes all of `data` (waiting for room), or fails with `EPIPE` when no reader is
    /// left. Returns the bytes written; a signal or `O_NONBLOCK` may end it early.
    pub fn write(&self, data: &[u8], nonblock: bool) -> Result<usize, Errno> {
        if data.is_empty() {
            return Ok(0);
        }
        let me = sched::current().ok_or(Errno::EINVAL)?;
        let mut written = 0;
        while written < data.len() {
            let left = data.len() - written;
            // An atomic write needs room for all of it at once.
            let needed = if left <= PIPE_BUF { left } else { 1 };
            let result = {
                let mut state = self.state.lock();
                if state.readers == 0 {
                    Err(Errno::EPIPE)
                } else {
                    let room = PIPE_CAPACITY - state.bytes.len();
                    if room >= needed {
                        let count = left.min(room);
                        state.bytes.extend(&data[written..written + count]);
                        Ok(count)
                    } else {
                        Ok(0)
                    }
                }
            };
            match result {
                Err(errno) => {
                    // Like Linux: SIGPIPE even when part of the data went through.
                    crate::proc::signal::send(
                        &me,
                        abi::signal::SIGPIPE,
                        crate::proc::signal::kernel_info(abi::signal::SIGPIPE),
                    );
                    return if written == 0 {
                        Err(errno)
                    } else {
                        Ok(written)
                    };
                }
                Ok(0) => {
                    if nonblock {
                        return if written > 0 {
                            Ok(written)
                        } else {
                            Err(Errno::EAGAIN)
                        };
                    }
                    let waited = self.writable.wait_until(&me, 0, || {
                        let state = self.state.lock();
                        state.readers == 0 || PIPE_CAPACITY - state.bytes.len() >= needed
                    });
                    if let Err(errno) = waited {
                        return if written > 0 { Ok(written) } else { Err(errno) };
                    }
                }
                Ok(count) => {
                    written += count;
                    self.readable.wake_all();
                    super::poll::notify();
                }
            }
        }
        Ok(written)
    }

    /// An open file of one end was closed (the `reader` end or the writing end).
    pub fn close_end(&self, reader: bool) {
        {
            let mut state = self.state.lock();
            if reader {
                state.readers -= 1
            } else {
                state.writers -= 1
            }
        }
        self.readable.wake_all();
        self.writable.wake_all();
        super::poll::notify();
    }
}
