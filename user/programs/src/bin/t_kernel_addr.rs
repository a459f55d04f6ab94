//! Test `t_kernel_addr` (expects `signal=SIGSEGV`): loads from the kernel's text at
//! 0xffffffc080200000, which user mode may not read; the kernel must kill the program with
//! `SIGSEGV`.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

ulib::entry!(main);

/// Where Lantern's kernel text starts (the Sv39 kernel half).
const KERNEL_TEXT: usize = 0xffff_ffc0_8020_0000;

fn main() -> i32 {
    let value = ulib::hazard::read_volatile_at(KERNEL_TEXT);
    ulib::eprintln!("t_kernel_addr: survived reading {KERNEL_TEXT:#x} (read {value:#x})");
    1
}
