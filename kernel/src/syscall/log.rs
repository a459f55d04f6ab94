//! `syslog(2)` (klogctl): how `dmesg` reads the kernel log ring buffer.

use crate::console;
use crate::proc::UserState;
use abi::errno::Errno;

const SYSLOG_ACTION_READ_ALL: usize = 3;
const SYSLOG_ACTION_SIZE_BUFFER: usize = 10;

/// `syslog(type, buf, len)`: READ_ALL copies the newest `len` bytes of the log; SIZE_BUFFER
/// returns the buffer's size. Other actions are `EINVAL`.
pub fn syslog(user: &mut UserState, action: usize, buf: usize, len: usize) -> Result<usize, Errno> {
    match action {
        SYSLOG_ACTION_READ_ALL => {
            if (len as isize) < 0 {
                return Err(Errno::EINVAL);
            }
            let log = console::dmesg();
            let tail = &log[log.len().saturating_sub(len)..];
            user.space.copy_out(buf, tail)?;
            Ok(tail.len())
        }
        SYSLOG_ACTION_SIZE_BUFFER => Ok(console::DMESG_SIZE),
        _ => Err(Errno::EINVAL),
    }
}
