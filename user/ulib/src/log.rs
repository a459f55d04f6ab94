//! The kernel log, as `dmesg` reads it (concept U4): the `syslog` system call (klogctl(3)).
//!
//! Only the two actions a reader needs are wrapped: the size of the kernel's log buffer and
//! a copy of its newest bytes. Reading does not clear the log.

use alloc::vec::Vec;

use abi::{Errno, nr};

use crate::syscall::{decode, syscall3};

/// `syslog` action: copy the newest bytes of the log, leaving it as it is.
const SYSLOG_ACTION_READ_ALL: usize = 3;
/// `syslog` action: the size of the log buffer.
const SYSLOG_ACTION_SIZE_BUFFER: usize = 10;

/// `syslog(SYSLOG_ACTION_SIZE_BUFFER, NULL, 0)`: the size of the kernel's log buffer.
pub fn buffer_size() -> Result<usize, Errno> {
    // SAFETY: this action takes no buffer (NULL, 0) and writes no user memory.
    decode(unsafe { syscall3(nr::SYSLOG, SYSLOG_ACTION_SIZE_BUFFER, 0, 0) })
}

/// `syslog(SYSLOG_ACTION_READ_ALL, buf, len)`: copies the newest `buf.len()` bytes of the
/// log (or all of it, if shorter) into `buf` and returns how many it copied.
pub fn read_all_into(buf: &mut [u8]) -> Result<usize, Errno> {
    // SAFETY: `buf` is exclusively borrowed and writable for `buf.len()` bytes for the whole
    // call; the kernel stores at most that many bytes, and any bytes are valid `u8`s.
    decode(unsafe {
        syscall3(
            nr::SYSLOG,
            SYSLOG_ACTION_READ_ALL,
            buf.as_mut_ptr() as usize,
            buf.len(),
        )
    })
}

/// The whole kernel log, oldest line first.
pub fn read_all() -> Result<Vec<u8>, Errno> {
    let mut buf = alloc::vec![0u8; buffer_size()?];
    let len = read_all_into(&mut buf)?;
    buf.truncate(len);
    Ok(buf)
}
