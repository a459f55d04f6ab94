//! Backtraces from frame pointers, for panic messages.
//!
//! The kernel is built with `-C force-frame-pointers=yes`: every function saves `ra` at
//! `fp - 8` and the caller's `fp` at `fp - 16`. The walk reads only addresses inside RAM or a
//! mapped kernel stack, and
//! stops at a null, unaligned or non-increasing frame pointer, or a return address outside
//! the kernel's text.

use core::arch::asm;

/// Calls `visit` with each return address on the current stack, innermost first
/// (at most `max` of them).
pub fn walk(max: usize, mut visit: impl FnMut(usize)) {
    let mut fp: usize;
    // SAFETY: reading the frame-pointer register has no side effects.
    unsafe { asm!("mv {}, s0", out(reg) fp, options(nomem, nostack)) };
    for _ in 0..max {
        let readable = crate::mem::is_kernel_ram_va(fp.wrapping_sub(16), 16)
            || crate::stack::is_stack_memory(fp.wrapping_sub(16), 16);
        if !fp.is_multiple_of(8) || fp < 16 || !readable {
            return;
        }
        // SAFETY: `fp - 16 .. fp` is aligned and inside RAM mapped by the direct map, so the
        // two reads are of initialised, mapped memory (a stale value only ends the walk).
        let (ra, prev) = unsafe {
            (
                ((fp - 8) as *const usize).read(),
                ((fp - 16) as *const usize).read(),
            )
        };
        let image = crate::boot::kernel_image();
        if !(image.start..image.text_end).contains(&ra) {
            return;
        }
        visit(ra);
        if prev <= fp {
            return;
        }
        fp = prev;
    }
}
