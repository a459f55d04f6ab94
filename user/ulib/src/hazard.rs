//! Operations that are illegal for a user program, for tests that expect the kernel to kill
//! the program with a signal (`SIGILL`, `SIGSEGV`). If the kernel wrongly lets one of them
//! through, the function returns and the test reports the survival.
//!
//! They are written in assembly so that the faulting access is exactly one instruction and
//! is not something the Rust compiler may assume cannot happen.
//!
//! The addresses below are the bad pointers tests hand to system calls, which must answer
//! `EFAULT` (or kill the program, for a direct access).

use core::arch::asm;

/// Where Lantern's kernel text starts (the Sv39 kernel half): mapped, but not for user mode.
pub const KERNEL_ADDR: usize = 0xffff_ffc0_8020_0000;

/// A user address far above the image, the heap and anything `brk` may reach, and below the
/// stack: never mapped in a Lantern program (nor under Linux, which places nothing there).
pub const UNMAPPED_ADDR: usize = 0x30_0000_0000;

/// NULL, a kernel address and an unmapped user address: the pointers every pointer-taking
/// system call must refuse with `EFAULT` (where NULL is not "no result wanted").
pub const BAD_POINTERS: [usize; 3] = [0, KERNEL_ADDR, UNMAPPED_ADDR];

/// Reads the supervisor CSR `sstatus`. Deliberately illegal in user mode, for tests: the
/// CPU raises an illegal-instruction exception, which Linux turns into `SIGILL`.
pub fn read_sstatus() -> usize {
    let value: usize;
    // SAFETY: reading a CSR changes no memory or register but `value`; in user mode it traps
    // instead, and the kernel either kills the program or resumes it after the instruction.
    unsafe { asm!("csrr {0}, sstatus", out(reg) value, options(nomem, nostack)) };
    value
}

/// Loads the `u64` at `addr` with a single `ld`. For tests: with an address the program may
/// not read (NULL, the kernel half) the load faults and Linux sends `SIGSEGV`.
pub fn read_volatile_at(addr: usize) -> u64 {
    let value: u64;
    // SAFETY: the load only reads memory and writes `value`; if `addr` is not readable the
    // CPU traps before anything changes. A readable `addr` is read like device memory,
    // without the compiler assuming anything about it.
    unsafe {
        asm!(
            "ld {value}, 0({addr})",
            addr = in(reg) addr,
            value = lateout(reg) value,
            options(readonly, nostack, preserves_flags),
        );
    }
    value
}

/// Executes `unimp`, the canonical illegal instruction. For tests: Linux sends `SIGILL`.
pub fn illegal_instruction() {
    // SAFETY: `unimp` has no effect besides trapping; if the kernel resumes after it,
    // nothing has changed.
    unsafe { asm!("unimp", options(nomem, nostack)) };
}

/// Stores `value` at `addr` with a single `sd`. For tests: with an address the program may
/// not write (read-only or unmapped pages) the store faults and Linux sends `SIGSEGV`.
pub fn write_volatile_at(addr: usize, value: u64) {
    // SAFETY: tests use this only on addresses they own and expect to fault (protected or
    // unmapped mappings of their own), or on their own mappings, which Rust code does not
    // reference at the time; the store changes only those 8 bytes.
    unsafe {
        asm!(
            "sd {value}, 0({addr})",
            addr = in(reg) addr,
            value = in(reg) value,
            options(nostack, preserves_flags),
        );
    }
}
