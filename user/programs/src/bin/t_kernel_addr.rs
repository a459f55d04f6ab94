//! Test `t_kernel_addr` (expects `signal=SIGSEGV`): loads from the kernel's text at
//! 0xffffffc080200000, which user mode may not read; the kernel must kill the program with
//! `SIGSEGV`.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use ulib::hazard::KERNEL_ADDR;

ulib::entry!(main);

fn main() -> i32 {
    let value = ulib::hazard::read_volatile_at(KERNEL_ADDR);
    ulib::eprintln!("t_kernel_addr: survived reading {KERNEL_ADDR:#x} (read {value:#x})");
    1
}
