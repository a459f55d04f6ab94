//! Test `t_brk` (expects `exit=0`): the program break (P4).
//!
//! - `brk(0)` returns the current break: page aligned, at or above the end of the image
//!   (Linux may place it higher at random), and stable. ulib's `sbrk` moves it by a delta
//!   both ways and returns the old break, or `ENOMEM`.
//! - Raising it by 1 MiB works; the new memory is zero and writable.
//! - Lowering it works: memory above is given back, and raising it again gives zeroed
//!   memory, not the old bytes. Lowering only part of a region keeps the rest intact.
//! - An absurd request (1 TiB higher, the top of the address space, the kernel half, the
//!   start of the image, NULL + 4 KiB) fails the Linux way: `brk` returns the old break
//!   unchanged. (Linux accepts a break below the initial one but above the end of `.data`,
//!   cutting into `.bss`, so the test does not try that.)
//!
//! This program allocates nothing, so ulib's heap never moves the break behind its back;
//! it touches the new memory through [`heap::extend_break`] and [`heap::release_break`],
//! which hand out the region above the break as a slice and take it back.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use ulib::abi::Errno;
use ulib::abi::mm::PAGE_SIZE;
use ulib::heap::{self, extend_break, release_break};
use ulib::{check, check_eq, env, raw};

ulib::entry!(main);

const MIB: usize = 1024 * 1024;

fn main() -> i32 {
    let initial = raw::brk(0);
    check!(
        initial.is_multiple_of(PAGE_SIZE) && initial >= env::image_end(),
        "brk(0) = {initial:#x}: page aligned, at or above the image end {:#x}",
        env::image_end()
    );
    check_eq!(raw::brk(0), initial, "brk(0) again");
    check_sbrk(initial);
    check_grow_and_shrink(initial);
    check_refusals(initial);
    check_eq!(
        heap::HEAP.usage(),
        heap::Usage::default(),
        "the heap was never used"
    );
    ulib::println!("t_brk: ok");
    0
}

/// Raises the break by `len` bytes; fails the test if that is refused.
fn extend(len: usize) -> &'static mut [u8] {
    match extend_break(len) {
        Ok(region) => region,
        Err(error) => ulib::fail!("raising the break by {len:#x}: {error}"),
    }
}

fn check_sbrk(initial: usize) {
    check_eq!(raw::sbrk(0), Ok(initial), "sbrk(0) returns the break");
    let page = PAGE_SIZE as isize;
    check_eq!(
        raw::sbrk(page),
        Ok(initial),
        "sbrk(+4 KiB) returns the old break"
    );
    check_eq!(
        raw::brk(0),
        initial + PAGE_SIZE,
        "the break after sbrk(+4 KiB)"
    );
    check_eq!(
        raw::sbrk(-page),
        Ok(initial + PAGE_SIZE),
        "sbrk(-4 KiB) returns the old break"
    );
    check_eq!(raw::brk(0), initial, "the break after sbrk(-4 KiB)");
    check_eq!(raw::sbrk(1 << 40), Err(Errno::ENOMEM), "sbrk(+1 TiB)");
    check_eq!(raw::brk(0), initial, "the break after the refused sbrk");
}

fn check_grow_and_shrink(initial: usize) {
    let region = extend(MIB);
    check_eq!(
        region.as_ptr() as usize,
        initial,
        "the new memory starts at the old break"
    );
    check_eq!(
        raw::brk(0),
        initial + MIB,
        "the break after raising it by 1 MiB"
    );
    check!(region.iter().all(|&b| b == 0), "the new 1 MiB is zero");
    for (index, byte) in region.iter_mut().enumerate() {
        *byte = (index % 251) as u8 | 1;
    }
    check!(
        region
            .iter()
            .enumerate()
            .all(|(index, &b)| b == (index % 251) as u8 | 1),
        "the new 1 MiB holds what was written"
    );

    // Give back the upper half; the lower half keeps its bytes.
    let (lower, upper) = region.split_at_mut(MIB / 2);
    check_eq!(
        release_break(upper),
        Ok(()),
        "lowering the break by 512 KiB"
    );
    check_eq!(
        raw::brk(0),
        initial + MIB / 2,
        "the break after lowering it"
    );
    check!(
        lower
            .iter()
            .enumerate()
            .all(|(index, &b)| b == (index % 251) as u8 | 1),
        "the lower half kept its bytes"
    );
    let again = extend(MIB / 2);
    check_eq!(
        again.as_ptr() as usize,
        initial + MIB / 2,
        "the raised half's address"
    );
    check!(
        again.iter().all(|&b| b == 0),
        "memory raised again is zero, not the old bytes"
    );
    again.fill(0xee);
    check_eq!(
        release_break(again),
        Ok(()),
        "lowering the break by the upper half again"
    );

    check_eq!(
        release_break(lower),
        Ok(()),
        "lowering the break to where it started"
    );
    check_eq!(raw::brk(0), initial, "the break is back at the start");
    let fresh = extend(MIB);
    check!(
        fresh.iter().all(|&b| b == 0),
        "the whole 1 MiB is zero after re-raising"
    );
    let (first, rest) = fresh.split_at_mut(PAGE_SIZE);
    check_eq!(
        release_break(first),
        Err(Errno::EINVAL),
        "release_break refuses a region that does not end at the break"
    );
    check_eq!(
        release_break(rest),
        Ok(()),
        "lowering the break to its first page"
    );
    check_eq!(
        raw::brk(initial),
        initial,
        "brk(initial) gives the page back too"
    );
}

fn check_refusals(initial: usize) {
    for (addr, what) in [
        (initial + (1 << 40), "1 TiB above the break"),
        (
            usize::MAX & !(PAGE_SIZE - 1),
            "the top of the address space",
        ),
        (0xffff_ffc0_0000_0000, "the kernel half"),
        (0x10000, "the start of the image, below the initial break"),
        (PAGE_SIZE, "NULL + 4 KiB"),
    ] {
        check_eq!(
            raw::brk(addr),
            initial,
            "brk({addr:#x}), {what}, is refused"
        );
        check_eq!(raw::brk(0), initial, "the break after brk({addr:#x})");
    }
}
