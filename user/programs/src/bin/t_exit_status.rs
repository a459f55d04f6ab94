//! Test `t_exit_status` (expects `exit=42`): `main` returns 42, and that status must reach
//! the kernel's test runner through `exit_group`.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

ulib::entry!(main);

fn main() -> i32 {
    42
}
