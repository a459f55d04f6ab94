//! Scheduling calls (S1, S5, K4): giving up the CPU ([`sched_yield`]), asking which hart runs
//! the caller ([`getcpu`]), pinning a process to a set of harts ([`sched_setaffinity`],
//! [`sched_getaffinity`]), and a process's scheduling parameters: its nice value
//! ([`setpriority`], [`getpriority`]) and all of them at once ([`sched_setattr`],
//! [`sched_getattr`]: nice, lottery/stride tickets, expected run time).
//!
//! A CPU set is a `u64` with bit `n` standing for hart `n`: the first 8 bytes of Linux's
//! `cpu_set_t` bitmap on a little-endian machine, enough for the 64 harts this supports.

use abi::Errno;
use abi::nr;
pub use abi::process::{SCHED_BATCH, SCHED_OTHER, SchedAttr};

use crate::process::Pid;
use crate::syscall::{decode, syscall0, syscall2, syscall3, syscall4};

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

/// `setpriority`/`getpriority`: `who` is a process id (0: the caller). The only kind Lantern
/// has.
pub const PRIO_PROCESS: i32 = 0;

/// `setpriority(which, who, nice)`: sets the nice value (-20..=19, lower is more favoured;
/// values outside are clamped) of process `who` (0: the caller). Lowering it needs root
/// (`EACCES`); changing another user's process needs root (`EPERM`).
pub fn setpriority(which: i32, who: Pid, nice: i32) -> Result<(), Errno> {
    // SAFETY: `setpriority` takes no pointer and changes only scheduling parameters.
    decode(unsafe { syscall3(nr::SETPRIORITY, which as usize, who as usize, nice as usize) })
        .map(|_| ())
}

/// `getpriority(which, who)`: the nice value of process `who` (0: the caller). The kernel
/// returns `20 - nice` (never negative, so never mistaken for an error); this undoes that.
pub fn getpriority(which: i32, who: Pid) -> Result<i32, Errno> {
    // SAFETY: `getpriority` takes no pointer and only reads scheduling parameters.
    let raw = decode(unsafe { syscall2(nr::GETPRIORITY, which as usize, who as usize) })?;
    Ok(20 - raw as i32)
}

/// `sched_setattr(pid, &attr, flags)`: sets process `pid`'s (0: the caller's) scheduling
/// parameters. On Lantern, `sched_policy` must be `SCHED_OTHER` or `SCHED_BATCH` (the
/// policy itself is system-wide, `/proc/sys/kernel/sched_policy`); `sched_nice` is the nice
/// value, `sched_runtime` the expected run time in ns for sjf and stcf, and a non-zero
/// `sched_priority` the lottery and stride tickets. `attr.size` is set to the size of the
/// structure passed.
pub fn sched_setattr(pid: Pid, attr: &SchedAttr, flags: u32) -> Result<(), Errno> {
    let image = SchedAttr {
        size: SchedAttr::SIZE as u32,
        ..*attr
    }
    .to_bytes();
    // SAFETY: `image` holds the 48-byte Linux image of `struct sched_attr` and lives across
    // the call; the kernel only reads it.
    decode(unsafe {
        syscall3(
            nr::SCHED_SETATTR,
            pid as usize,
            image.as_ptr() as usize,
            flags as usize,
        )
    })
    .map(|_| ())
}

/// `sched_getattr(pid, &attr, size, 0)`: process `pid`'s (0: the caller's) scheduling
/// parameters, as [`sched_setattr`] describes them.
pub fn sched_getattr(pid: Pid) -> Result<SchedAttr, Errno> {
    sched_getattr_sized(pid, SchedAttr::SIZE, 0)
}

/// `sched_getattr(pid, &attr, size, flags)` with the size and flags given, as a program
/// built against an older structure (or a mistaken one) calls it: a size below the first
/// version's 48 bytes, or any flag, is `EINVAL`. `size` is capped at [`SchedAttr::SIZE`],
/// the buffer's size.
pub fn sched_getattr_sized(pid: Pid, size: usize, flags: u32) -> Result<SchedAttr, Errno> {
    let mut image = [0u8; SchedAttr::SIZE];
    let size = size.min(SchedAttr::SIZE);
    // SAFETY: `image` is exclusively borrowed and writable for `SchedAttr::SIZE` bytes, and
    // the size passed is no more; the kernel writes at most that many, and any bytes make a
    // valid image.
    decode(unsafe {
        syscall4(
            nr::SCHED_GETATTR,
            pid as usize,
            image.as_mut_ptr() as usize,
            size,
            flags as usize,
        )
    })?;
    Ok(SchedAttr::from_bytes(&image))
}
