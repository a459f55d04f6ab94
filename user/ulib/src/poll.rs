//! Multiplexing (concept F6): [`poll`] waits until one of several descriptors can be read
//! or written without blocking, built on `ppoll` (riscv64 Linux has no `poll` call).

use abi::Errno;
use abi::fs::PollFd;
use abi::nr;
use abi::time::Timespec;

use crate::syscall::{decode, syscall5};

/// `ppoll(fds, nfds, timeout, NULL, 8)`: fills each entry's `revents` and returns how many
/// entries have events. `timeout_ms`: `None` waits forever, `Some(0)` only checks.
pub fn poll(fds: &mut [PollFd], timeout_ms: Option<u64>) -> Result<usize, Errno> {
    let limit = timeout_ms.map(|ms| Timespec {
        tv_sec: (ms / 1000) as i64,
        tv_nsec: ((ms % 1000) * 1_000_000) as i64,
    });
    let limit_ptr = limit.as_ref().map_or(0, |t| t as *const Timespec as usize);
    // SAFETY: `fds` is an exclusively borrowed slice of `#[repr(C)]` pollfds (8 bytes each,
    // the kernel's layout) and its length is passed; the timeout is NULL or points at a
    // `Timespec` that lives until the call returns; no signal mask is passed.
    let ret = unsafe {
        syscall5(
            nr::PPOLL,
            fds.as_mut_ptr() as usize,
            fds.len(),
            limit_ptr,
            0,
            8,
        )
    };
    decode(ret)
}

/// `ppoll` with `mask` as the blocked signals while waiting (restored on return).
pub fn poll_with_mask(
    fds: &mut [PollFd],
    timeout_ms: Option<u64>,
    mask: u64,
) -> Result<usize, Errno> {
    let limit = timeout_ms.map(|ms| Timespec {
        tv_sec: (ms / 1000) as i64,
        tv_nsec: ((ms % 1000) * 1_000_000) as i64,
    });
    let limit_ptr = limit.as_ref().map_or(0, |t| t as *const Timespec as usize);
    let mask_ptr: *const u64 = &mask;
    // SAFETY: as in `poll`; `mask_ptr` points at a `u64` that lives until the call returns.
    let ret = unsafe {
        syscall5(
            nr::PPOLL,
            fds.as_mut_ptr() as usize,
            fds.len(),
            limit_ptr,
            mask_ptr as usize,
            8,
        )
    };
    decode(ret)
}

/// `EFD_SEMAPHORE`: each read takes 1 from the counter instead of all of it.
pub const EFD_SEMAPHORE: u32 = 1;

/// `eventfd2(initial, flags)`: a counter descriptor (`flags`: `EFD_SEMAPHORE`, `O_NONBLOCK`,
/// `O_CLOEXEC`). Read it with an 8-byte buffer; write 8-byte values to add.
pub fn eventfd(initial: u32, flags: u32) -> Result<i32, Errno> {
    // SAFETY: no pointers.
    decode(unsafe { crate::syscall::syscall2(nr::EVENTFD2, initial as usize, flags as usize) })
        .map(|fd| fd as i32)
}
