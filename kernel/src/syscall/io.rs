//! I/O syscalls: `read` and `write`. Until file descriptors arrive, fd 0 reads the console
//! and fds 1 and 2 write it.

use crate::console;
use crate::mm::user::UserBuf;
use crate::proc::UserState;
use abi::errno::Errno;
use alloc::vec;

/// Most bytes one `write` moves (Linux caps a call the same way and returns a short count).
const MAX_WRITE: usize = 1 << 20;

/// `write(fd, buf, count)`. Lantern returns `EFAULT` when any byte of the buffer is invalid
/// (Linux may return a short count for a partly valid buffer).
pub fn write(user: &mut UserState, fd: usize, buf: usize, count: usize) -> Result<usize, Errno> {
    if fd != 1 && fd != 2 {
        return Err(Errno::EBADF);
    }
    if count == 0 {
        return Ok(0);
    }
    let bytes = UserBuf::new(buf, count.min(MAX_WRITE)).read_all(&mut user.space)?;
    console::write_bytes(&bytes);
    Ok(bytes.len())
}

/// Most bytes one `read` of the console moves.
const MAX_READ: usize = 4096;

/// `read(fd, buf, count)`: blocks until console input is available.
pub fn read(user: &mut UserState, fd: usize, buf: usize, count: usize) -> Result<usize, Errno> {
    if fd != 0 {
        return Err(Errno::EBADF);
    }
    if count == 0 {
        return Ok(0);
    }
    // Check the destination before waiting, so a bad buffer fails at once.
    let mut bytes = vec![0; count.min(MAX_READ)];
    user.space.copy_out(buf, &bytes)?;
    let got = console::read_input(&mut bytes);
    user.space.copy_out(buf, &bytes[..got])?;
    Ok(got)
}
