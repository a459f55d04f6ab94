//! Test `t_exit_status` (expects `exit=42`): `main` returns 42, and that status must reach
//! the test runner (init's `wait4`) through `exit_group`.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

ulib::entry!(main);

fn main() -> i32 {
    42
}
