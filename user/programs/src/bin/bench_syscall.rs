//! `bench_syscall <benchmark> [--smoke]`: the cost of entering the kernel (`cargo xtask
//! bench`; docs/benchmarks.md explains each number).
//!
//! - `null_syscall`: `getppid()`, a call that does almost nothing: the trap in and out.
//! - `read_zero`: `read` of 1 byte from `/dev/zero`: descriptor lookup, a device read and a
//!   copy to user memory.
//! - `write_null`: `write` of 1 byte to `/dev/null`: descriptor lookup and a device write.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use ulib::abi::fs::{O_CLOEXEC, O_RDONLY, O_WRONLY};
use ulib::bench::{self, Bench, Context, Failure, Line};
use ulib::fs;

ulib::entry!(main);

/// Most calls in one batch.
const MAX_OPS: u64 = 1 << 24;

fn main() -> i32 {
    bench::main(&[
        ("null_syscall", null_syscall),
        ("read_zero", read_zero),
        ("write_null", write_null),
    ])
}

fn null_syscall(bench: &Bench) -> Result<(), Failure> {
    let timing = bench.measure(MAX_OPS, |ops| {
        bench::timed(|| {
            for _ in 0..ops {
                ulib::getppid().context("getppid")?;
            }
            Ok(())
        })
    })?;
    Line::new("null_syscall").timing(&timing).print();
    Ok(())
}

fn read_zero(bench: &Bench) -> Result<(), Failure> {
    let fd = fs::open("/dev/zero", O_RDONLY | O_CLOEXEC, 0).context("open /dev/zero")?;
    let mut byte = [0xffu8; 1];
    let timing = bench.measure(MAX_OPS, |ops| {
        bench::timed(|| {
            for _ in 0..ops {
                if fs::read(fd, &mut byte).context("read /dev/zero")? != 1 {
                    return Err(Failure::new("read of /dev/zero returned no byte"));
                }
            }
            Ok(())
        })
    })?;
    fs::close(fd).context("close")?;
    if byte != [0] {
        return Err(Failure::new("/dev/zero read a non-zero byte"));
    }
    Line::new("read_zero").timing(&timing).print();
    Ok(())
}

fn write_null(bench: &Bench) -> Result<(), Failure> {
    let fd = fs::open("/dev/null", O_WRONLY | O_CLOEXEC, 0).context("open /dev/null")?;
    let timing = bench.measure(MAX_OPS, |ops| {
        bench::timed(|| {
            for _ in 0..ops {
                if fs::write(fd, b"x").context("write /dev/null")? != 1 {
                    return Err(Failure::new("write to /dev/null took no byte"));
                }
            }
            Ok(())
        })
    })?;
    fs::close(fd).context("close")?;
    Line::new("write_null").timing(&timing).print();
    Ok(())
}
