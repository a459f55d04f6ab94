//! `bench_true`: the tiny static program of the process benchmarks (`cargo xtask bench`).
//!
//! - `bench_true`: exits with status 0 at once; `fork_exec` times fork + execve of it + wait.
//! - `bench_true --sleep`: sleeps until killed; `bench_suite` counts the memory a minimal
//!   process holds with a few of these alive.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

ulib::entry!(main);

fn main() -> i32 {
    if ulib::env::args().nth(1) == Some("--sleep") {
        loop {
            let _ = ulib::sleep(3600);
        }
    }
    0
}
