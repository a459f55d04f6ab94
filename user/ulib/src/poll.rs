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

/// A `select` descriptor set (`fd_set`): 1024 bits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct FdSet([u64; 16]);

impl FdSet {
    /// Adds `fd`.
    pub fn set(&mut self, fd: i32) {
        self.0[fd as usize / 64] |= 1 << (fd as usize % 64);
    }

    /// Whether `fd` is in the set.
    pub fn contains(&self, fd: i32) -> bool {
        self.0[fd as usize / 64] & (1 << (fd as usize % 64)) != 0
    }
}

/// `pselect6(nfds, read, write, NULL, timeout, NULL)`: waits until a descriptor below
/// `nfds` in `read` is readable or one in `write` is writable; the sets are narrowed to the
/// ready ones and the count of ready entries is returned. `timeout_ms` as for [`poll`].
pub fn select(
    nfds: i32,
    read: Option<&mut FdSet>,
    write: Option<&mut FdSet>,
    timeout_ms: Option<u64>,
) -> Result<usize, Errno> {
    let mut limit = timeout_ms.map(|ms| Timespec {
        tv_sec: (ms / 1000) as i64,
        tv_nsec: ((ms % 1000) * 1_000_000) as i64,
    });
    let limit_ptr = limit.as_mut().map_or(0, |t| t as *mut Timespec as usize);
    let read_ptr = read.map_or(0, |s| s as *mut FdSet as usize);
    let write_ptr = write.map_or(0, |s| s as *mut FdSet as usize);
    // SAFETY: the sets are NULL or exclusively borrowed 128-byte `fd_set`s; the timeout is
    // NULL or an exclusively borrowed `Timespec` (the kernel writes the time left into it);
    // no signal mask is passed.
    let ret = unsafe {
        crate::syscall::syscall6(
            nr::PSELECT6,
            nfds as usize,
            read_ptr,
            write_ptr,
            0,
            limit_ptr,
            0,
        )
    };
    decode(ret)
}
