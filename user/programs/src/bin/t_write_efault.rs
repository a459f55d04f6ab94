//! Test `t_write_efault` (expects `exit=0`): `write` must validate its buffer and its
//! descriptor.
//!
//! - NULL, a kernel address, an unmapped user address, a range that starts in mapped memory
//!   and runs into unmapped memory, and a range whose end wraps around the address space all
//!   fail with `EFAULT`.
//! - Partly valid ranges: Linux writes the valid prefix and returns a short count; Lantern
//!   instead fails the whole call with `EFAULT` as soon as any byte of the range is not
//!   readable user memory, which keeps the kernel's copy-in simple and all-or-nothing. This
//!   test accepts either answer for that case only (a short count must then be exactly the
//!   valid prefix).
//! - Bad descriptors (99, -1) fail with `EBADF`; a normal write returns its length and a
//!   zero-length write returns 0.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use ulib::abi::Errno;
use ulib::hazard::{KERNEL_ADDR, UNMAPPED_ADDR};
use ulib::syscall::decode;
use ulib::{check, check_eq, env, raw};

ulib::entry!(main);

/// Standard output.
const STDOUT: usize = 1;

fn main() -> i32 {
    let ok_line = b"t_write_efault: a normal write\n";
    check_eq!(
        decode(raw::write(STDOUT, ok_line.as_ptr() as usize, ok_line.len())),
        Ok(ok_line.len()),
        "write of a valid buffer"
    );
    check_eq!(
        ulib::write(1, ok_line),
        Ok(ok_line.len()),
        "typed write of a valid buffer"
    );
    check_eq!(ulib::write(1, &[]), Ok(0), "write of length 0");

    let bad_buffers = [
        (0, 5, "NULL"),
        (8, 8, "the first page (NULL + 8)"),
        (KERNEL_ADDR, 8, "a kernel address"),
        (usize::MAX - 7, 8, "the last bytes of the address space"),
        (UNMAPPED_ADDR, 8, "an unmapped user address"),
        (
            UNMAPPED_ADDR,
            4096 * 3,
            "an unmapped user range of three pages",
        ),
        (
            ok_line.as_ptr() as usize,
            usize::MAX,
            "a valid start with a length that wraps",
        ),
        (
            ok_line.as_ptr() as usize,
            usize::MAX - (ok_line.as_ptr() as usize) + 2,
            "a range ending just past the top of the address space",
        ),
        (
            0x1000,
            KERNEL_ADDR - 0x1000 + 8,
            "a user range running into the kernel half",
        ),
    ];
    for (addr, len, what) in bad_buffers {
        check_eq!(
            decode(raw::write(STDOUT, addr, len)),
            Err(Errno::EFAULT),
            "write from {what} ({addr:#x}, len {len:#x})"
        );
    }

    // The image's last page is mapped (it holds the end of .bss); the page after it is not.
    let end = env::image_end();
    check!(
        end.is_multiple_of(4096) && end > 0x10000,
        "image end {end:#x} is a page boundary"
    );
    let valid = 8;
    let result = decode(raw::write(STDOUT, end - valid, 2 * valid));
    check!(
        result == Err(Errno::EFAULT) || result == Ok(valid),
        "write of a range crossing the image end {end:#x}: want EFAULT (or Linux's short \
         count {valid}), got {result:?}"
    );
    check_eq!(
        decode(raw::write(STDOUT, end, valid)),
        Err(Errno::EFAULT),
        "write from just past the image end {end:#x}"
    );

    // Linux takes the descriptor as a 32-bit `unsigned int`, so only values that stay bad
    // after truncation are used (usize::MAX is fd -1 either way).
    for fd in [99, usize::MAX, 4096, 0x7fff_ffff] {
        check_eq!(
            decode(raw::write(fd, ok_line.as_ptr() as usize, ok_line.len())),
            Err(Errno::EBADF),
            "write to bad descriptor {fd:#x}"
        );
    }
    check_eq!(
        ulib::write(-1, ok_line),
        Err(Errno::EBADF),
        "typed write to fd -1"
    );

    ulib::println!("t_write_efault: ok");
    0
}
