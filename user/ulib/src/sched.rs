//! Scheduling calls (S5, K4): giving up the CPU ([`sched_yield`]), asking which hart runs
//! the caller ([`getcpu`]), and pinning a process to a set of harts ([`sched_setaffinity`],
//! [`sched_getaffinity`]).
//!
//! A CPU set is a `u64` with bit `n` standing for hart `n`: the first 8 bytes of Linux's
//! `cpu_set_t` bitmap on a little-endian machine, enough for the 64 harts this supports.

use abi::Errno;
use abi::nr;

use crate::process::Pid;
use crate::syscall::{decode, syscall0, syscall3};

/// Bytes of the CPU set passed to the affinity calls.
pub const CPU_SET_BYTES: usize = core::mem::size_of::<u64>();

/// `sched_yield()`: lets other runnable tasks run first; returns 0.
pub fn sched_yield() -> Result<usize, Errno> {
    // SAFETY: `sched_yield` takes no arguments and touches no user memory.
    decode(unsafe { syscall0(nr::SCHED_YIELD) })
}

/// `getcpu(&cpu, &node, NULL)`: the hart the caller is running on and its NUMA node. The
/// answer may be stale as soon as it is returned, unless the caller is pinned to one hart.
pub fn getcpu() -> Result<(u32, u32), Errno> {
    let (mut cpu, mut node) = (0u32, 0u32);
    let (cpu_out, node_out): (*mut u32, *mut u32) = (&mut cpu, &mut node);
    // SAFETY: both pointers point at `u32`s exclusively borrowed for the call; the kernel
    // stores one `unsigned int` in each and ignores the third (cache) argument.
    decode(unsafe { syscall3(nr::GETCPU, cpu_out as usize, node_out as usize, 0) })?;
    Ok((cpu, node))
}

/// `sched_setaffinity(pid, 8, &mask)`: lets process `pid` (0: the caller) run only on the
/// harts in `mask`. `EINVAL` if `mask` holds no hart that exists.
pub fn sched_setaffinity(pid: Pid, mask: u64) -> Result<(), Errno> {
    let set: *const u64 = &mask;
    // SAFETY: `set` points at 8 readable bytes for the whole call; the kernel only reads them.
    decode(unsafe {
        syscall3(
            nr::SCHED_SETAFFINITY,
            pid as usize,
            CPU_SET_BYTES,
            set as usize,
        )
    })
    .map(|_| ())
}

/// `sched_getaffinity(pid, 8, &mask)`: the harts process `pid` (0: the caller) may run on.
pub fn sched_getaffinity(pid: Pid) -> Result<u64, Errno> {
    let mut mask = 0u64;
    let set: *mut u64 = &mut mask;
    // SAFETY: `set` points at a `u64` exclusively borrowed for the call; the kernel writes at
    // most `CPU_SET_BYTES` bytes there, and any bytes are a valid `u64`.
    decode(unsafe {
        syscall3(
            nr::SCHED_GETAFFINITY,
            pid as usize,
            CPU_SET_BYTES,
            set as usize,
        )
    })?;
    Ok(mask)
}
