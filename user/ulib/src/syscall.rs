//! Raw system calls: `ecall` with the number in `a7`, arguments in `a0`..`a5` and the result
//! in `a0`, as the Linux riscv64 ABI defines them.
//!
//! A raw result in `-4095..=-1` is `-errno`; [`decode`] splits it into a `Result`.
//! Only `a0` is changed by the kernel (besides memory the call is asked to write), so the
//! stubs clobber nothing else.

use core::arch::asm;

use abi::Errno;

/// Splits a raw system-call result into the value or the error number.
pub fn decode(ret: isize) -> Result<usize, Errno> {
    Errno::from_return(ret)
}

/// System call `nr` without arguments.
///
/// # Safety
/// The call must not break any invariant Rust relies on (for example unmapping memory that
/// is in use, or returning through a forged signal frame).
#[inline]
pub unsafe fn syscall0(nr: usize) -> isize {
    let ret: isize;
    // SAFETY: `ecall` traps to the kernel, which only changes `a0` and what the call's
    // contract allows; the caller guarantees that contract is sound.
    unsafe { asm!("ecall", in("a7") nr, lateout("a0") ret, options(nostack)) };
    ret
}

/// System call `nr` with one argument.
///
/// # Safety
/// As for [`syscall0`]; in addition, any memory the call reads or writes through its
/// arguments must be valid for that access.
#[inline]
pub unsafe fn syscall1(nr: usize, a0: usize) -> isize {
    let ret: isize;
    // SAFETY: as in `syscall0`; the caller vouches for the argument.
    unsafe { asm!("ecall", in("a7") nr, inlateout("a0") a0 => ret, options(nostack)) };
    ret
}

/// System call `nr` with two arguments.
///
/// # Safety
/// As for [`syscall1`].
#[inline]
pub unsafe fn syscall2(nr: usize, a0: usize, a1: usize) -> isize {
    let ret: isize;
    // SAFETY: as in `syscall0`; the caller vouches for the arguments.
    unsafe {
        asm!("ecall", in("a7") nr, inlateout("a0") a0 => ret, in("a1") a1, options(nostack));
    }
    ret
}

/// System call `nr` with three arguments.
///
/// # Safety
/// As for [`syscall1`].
#[inline]
pub unsafe fn syscall3(nr: usize, a0: usize, a1: usize, a2: usize) -> isize {
    let ret: isize;
    // SAFETY: as in `syscall0`; the caller vouches for the arguments.
    unsafe {
        asm!(
            "ecall",
            in("a7") nr,
            inlateout("a0") a0 => ret,
            in("a1") a1,
            in("a2") a2,
            options(nostack),
        );
    }
    ret
}

/// System call `nr` with four arguments.
///
/// # Safety
/// As for [`syscall1`].
#[inline]
pub unsafe fn syscall4(nr: usize, a0: usize, a1: usize, a2: usize, a3: usize) -> isize {
    let ret: isize;
    // SAFETY: as in `syscall0`; the caller vouches for the arguments.
    unsafe {
        asm!(
            "ecall",
            in("a7") nr,
            inlateout("a0") a0 => ret,
            in("a1") a1,
            in("a2") a2,
            in("a3") a3,
            options(nostack),
        );
    }
    ret
}

/// System call `nr` with five arguments.
///
/// # Safety
/// As for [`syscall1`].
#[inline]
pub unsafe fn syscall5(nr: usize, a0: usize, a1: usize, a2: usize, a3: usize, a4: usize) -> isize {
    let ret: isize;
    // SAFETY: as in `syscall0`; the caller vouches for the arguments.
    unsafe {
        asm!(
            "ecall",
            in("a7") nr,
            inlateout("a0") a0 => ret,
            in("a1") a1,
            in("a2") a2,
            in("a3") a3,
            in("a4") a4,
            options(nostack),
        );
    }
    ret
}

/// System call `nr` with six arguments.
///
/// # Safety
/// As for [`syscall1`].
#[inline]
pub unsafe fn syscall6(
    nr: usize,
    a0: usize,
    a1: usize,
    a2: usize,
    a3: usize,
    a4: usize,
    a5: usize,
) -> isize {
    let ret: isize;
    // SAFETY: as in `syscall0`; the caller vouches for the arguments.
    unsafe {
        asm!(
            "ecall",
            in("a7") nr,
            inlateout("a0") a0 => ret,
            in("a1") a1,
            in("a2") a2,
            in("a3") a3,
            in("a4") a4,
            in("a5") a5,
            options(nostack),
        );
    }
    ret
}
