//! `bench_smoke`: the benchmark suite's smoke test for `cargo xtask test` (manifest line
//! `bench_smoke exit=0`). The test manifest passes no arguments, so this program execs
//! `/bin/bench_suite --smoke`, which runs every benchmark once with tiny counts and exits
//! with the number of benchmarks that failed.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use ulib::bench::SMOKE_FLAG;
use ulib::eprintln;

ulib::entry!(main);

/// The benchmark driver.
const SUITE: &str = "/bin/bench_suite";

/// Exit status when the driver cannot be executed (as shells use).
const EXEC_FAILED: i32 = 127;

fn main() -> i32 {
    let error = ulib::execve(SUITE, &[SUITE, SMOKE_FLAG], &["PATH=/bin", "HOME=/"]);
    eprintln!("bench_smoke: cannot execute {SUITE}: {error}");
    EXEC_FAILED
}
