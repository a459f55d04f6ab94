//! P3 exec: the auxiliary vector, the kernel's note to a new program's C runtime.
//!
//! Below the environment pointers on the initial stack lies a list of (key, value) pairs
//! telling the runtime what it cannot find out by itself: where its program headers are
//! (musl and glibc look for `PT_TLS` there to set up thread-local storage), the page size,
//! the entry point, who it runs as, and the CPU's features.
//!
//! Invariants:
//! - [`auxv_for`] returns the pairs in a fixed order without `AT_NULL`, `AT_RANDOM` or
//!   `AT_EXECFN`, which [`build_stack`](crate::build_stack) adds because only it knows
//!   their addresses.
//! - Keys are Linux's (`abi::process::AT_*`).

use crate::elf::LoadPlan;
use crate::stack::key;
use abi::process::{
    AT_BASE, AT_CLKTCK, AT_EGID, AT_ENTRY, AT_EUID, AT_FLAGS, AT_GID, AT_HWCAP, AT_PAGESZ, AT_PHDR,
    AT_PHENT, AT_PHNUM, AT_SECURE, AT_UID,
};
use alloc::vec::Vec;

/// The standard auxiliary vector for a statically linked program loaded by `plan`.
///
/// `AT_PHDR`, `AT_PHENT` and `AT_PHNUM` appear only if the plan knows where the program
/// headers are in memory: a runtime that reads `AT_PHNUM` headers at `AT_PHDR` must not
/// be told a count without an address. `AT_BASE` is 0 (no interpreter), `AT_FLAGS` and
/// `AT_SECURE` are 0, and the effective ids equal the real ones.
pub fn auxv_for(
    plan: &LoadPlan,
    page_size: usize,
    uid: usize,
    gid: usize,
    hwcap: usize,
    clock_ticks: usize,
) -> Vec<(usize, usize)> {
    let program_headers = plan.phdr_vaddr.map(|phdr| {
        [
            (AT_PHDR, phdr),
            (AT_PHENT, plan.phent),
            (AT_PHNUM, plan.phnum),
        ]
    });
    [
        (AT_HWCAP, hwcap),
        (AT_PAGESZ, page_size),
        (AT_CLKTCK, clock_ticks),
    ]
    .into_iter()
    .chain(program_headers.into_iter().flatten())
    .chain([
        (AT_BASE, 0),
        (AT_FLAGS, 0),
        (AT_ENTRY, plan.entry),
        (AT_UID, uid),
        (AT_EUID, uid),
        (AT_GID, gid),
        (AT_EGID, gid),
        (AT_SECURE, 0),
    ])
    .map(|(k, v)| (key(k), v))
    .collect()
}
