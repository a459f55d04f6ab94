//! Typed, safe wrappers of the descriptor and time calls (`read`, `write`, `nanosleep`,
//! `clock_gettime`): slices and references instead of addresses, and `Result<_, Errno>`
//! instead of `-errno`. Process calls are in [`crate::process`], scheduling calls in
//! [`crate::sched`].
//!
//! File descriptors are `i32` as in C; a negative one is passed sign-extended, which the
//! kernel rejects with `EBADF` like Linux does.

use abi::Errno;
use abi::nr;
use abi::time::Timespec;

use crate::syscall::{decode, syscall2, syscall3};

/// `write(fd, buf)`: the number of bytes written.
pub fn write(fd: i32, buf: &[u8]) -> Result<usize, Errno> {
    // SAFETY: `buf` is readable for `buf.len()` bytes for the whole call, and `write` only
    // reads it.
    decode(unsafe { syscall3(nr::WRITE, fd as usize, buf.as_ptr() as usize, buf.len()) })
}

/// `read(fd, buf)`: the number of bytes read into the front of `buf`; 0 at end of file.
pub fn read(fd: i32, buf: &mut [u8]) -> Result<usize, Errno> {
    // SAFETY: `buf` is exclusively borrowed and writable for `buf.len()` bytes for the whole
    // call; `read` stores at most that many bytes, and any byte values are valid `u8`s.
    decode(unsafe { syscall3(nr::READ, fd as usize, buf.as_mut_ptr() as usize, buf.len()) })
}

/// `nanosleep(req, NULL)`: sleeps for `req`.
pub fn nanosleep(req: &Timespec) -> Result<(), Errno> {
    let req: *const Timespec = req;
    // SAFETY: `req` points at a `#[repr(C)]` `Timespec` with the Linux layout, readable for
    // the whole call; the remainder pointer is NULL, so the kernel writes nothing.
    decode(unsafe { syscall2(nr::NANOSLEEP, req as usize, 0) }).map(|_| ())
}

/// Sleeps for `ms` milliseconds with [`nanosleep`].
pub fn sleep_ms(ms: u64) -> Result<(), Errno> {
    nanosleep(&Timespec::from_nanos(ms.saturating_mul(1_000_000)))
}

/// Sleeps for `secs` seconds with [`nanosleep`].
pub fn sleep(secs: u64) -> Result<(), Errno> {
    sleep_ms(secs.saturating_mul(1000))
}

/// `clock_gettime(clock)`: the current time of `clock` (`abi::time::CLOCK_MONOTONIC`, ...).
pub fn clock_gettime(clock: i32) -> Result<Timespec, Errno> {
    let mut now = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    let out: *mut Timespec = &mut now;
    // SAFETY: `out` points at a `#[repr(C)]` `Timespec` (two `i64`s, the Linux layout),
    // exclusively borrowed and writable for the whole call; any bit pattern is a valid value.
    decode(unsafe { syscall2(nr::CLOCK_GETTIME, clock as usize, out as usize) })?;
    Ok(now)
}
