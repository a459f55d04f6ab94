//! `bench_ipc <benchmark> [--smoke]`: communication between processes through pipes
//! (`cargo xtask bench`; docs/benchmarks.md explains each number).
//!
//! - `ctx_switch`: two processes pinned to one hart pass a 1-byte token back and forth
//!   through two pipes; each pass blocks one process and runs the other, so the time per
//!   pass is one context switch plus a 1-byte pipe write and read.
//! - `thread_switch`: the same as `ctx_switch` with the echoing side a thread of the same
//!   process instead of a child process (concept T1): the difference is what switching
//!   address spaces costs.
//! - `pipe_rtt`: the same token passing without pinning (the scheduler places the two
//!   processes): the latency of one round trip, 1 byte each way.
//! - `pipe_bw`: a child writes 64 MiB in 64 KiB chunks into a pipe and the parent reads it;
//!   the throughput of that copy.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use ulib::abi::fs::O_CLOEXEC;
use ulib::bench::{self, Bench, Context, Failure, Line};
use ulib::{Pid, fs, sched};

ulib::entry!(main);

/// Most round trips in one batch.
const MAX_TRIPS: u64 = 1 << 22;
/// Bytes per `write` and `read` of `pipe_bw`.
const CHUNK: usize = 64 * 1024;

fn main() -> i32 {
    bench::main(&[
        ("ctx_switch", ctx_switch),
        ("thread_switch", thread_switch),
        ("pipe_rtt", pipe_rtt),
        ("pipe_bw", pipe_bw),
    ])
}

/// A child that sends back every byte it reads, until its input pipe reaches end of file.
struct Echo {
    partner: Partner,
    /// The write end of the pipe to the child.
    to_child: i32,
    /// The read end of the pipe from the child.
    from_child: i32,
}

/// Who echoes: a child process, or a thread of this process.
enum Partner {
    Process(Pid),
    Thread(ulib::thread::JoinHandle<i32>),
}

/// Sends back every byte read from `input` to `output` until end of file; 0 on success.
fn echo_loop(input: i32, output: i32) -> i32 {
    let mut token = [0u8; 1];
    loop {
        match fs::read(input, &mut token) {
            Ok(0) => return 0,
            Ok(_) if fs::write(output, &token) == Ok(1) => {}
            _ => return 1,
        }
    }
}

impl Echo {
    fn start(thread: bool) -> Result<Echo, Failure> {
        let (down_read, down_write) = fs::pipe2(O_CLOEXEC).context("pipe2")?;
        let (up_read, up_write) = fs::pipe2(O_CLOEXEC).context("pipe2")?;
        let partner = if thread {
            // A thread shares the descriptors: the ends it uses are closed after it ends.
            let handle = ulib::thread::spawn(move || echo_loop(down_read, up_write))
                .context("spawn a thread")?;
            Partner::Thread(handle)
        } else {
            let pid = ulib::spawn(|| {
                // The child's copies of the parent's ends would keep its input from ever
                // ending.
                if fs::close(down_write).is_err() || fs::close(up_read).is_err() {
                    return 1;
                }
                echo_loop(down_read, up_write)
            })
            .context("fork")?;
            fs::close(down_read).context("close")?;
            fs::close(up_write).context("close")?;
            Partner::Process(pid)
        };
        Ok(Echo {
            partner,
            to_child: down_write,
            from_child: up_read,
        })
    }

    /// Sends the token `trips` times and waits for it to come back each time.
    fn round_trips(&self, trips: u64) -> Result<(), Failure> {
        let mut token = [0u8; 1];
        for _ in 0..trips {
            if fs::write(self.to_child, b"t").context("write to the pipe")? != 1 {
                return Err(Failure::new("a 1-byte pipe write wrote nothing"));
            }
            if fs::read(self.from_child, &mut token).context("read from the pipe")? != 1 {
                return Err(Failure::new("the echoing child closed its pipe"));
            }
        }
        Ok(())
    }

    /// Ends the child (its input reaches end of file) and checks it exited cleanly.
    fn finish(self) -> Result<(), Failure> {
        fs::close(self.to_child).context("close")?;
        match self.partner {
            Partner::Process(pid) => bench::wait_success(pid)?,
            Partner::Thread(handle) => {
                if handle.join() != 0 {
                    return Err(Failure::new("the echoing thread failed"));
                }
            }
        }
        fs::close(self.from_child).context("close")?;
        Ok(())
    }
}

/// Times token round trips with an echoing child.
fn token_passing(bench: &Bench, thread: bool) -> Result<bench::Timing, Failure> {
    let echo = Echo::start(thread)?;
    let timing = bench.measure(MAX_TRIPS, |trips| bench::timed(|| echo.round_trips(trips)))?;
    echo.finish()?;
    Ok(timing)
}

fn ctx_switch(bench: &Bench) -> Result<(), Failure> {
    pinned_switches(bench, "ctx_switch", false)
}

fn thread_switch(bench: &Bench) -> Result<(), Failure> {
    pinned_switches(bench, "thread_switch", true)
}

/// Token passing with both sides pinned to one hart, reported per switch.
fn pinned_switches(bench: &Bench, name: &str, thread: bool) -> Result<(), Failure> {
    let allowed = sched::sched_getaffinity(0).context("sched_getaffinity")?;
    // The lowest hart allowed; the child or thread inherits the pinning.
    let hart = allowed & allowed.wrapping_neg();
    sched::sched_setaffinity(0, hart).context("sched_setaffinity")?;
    let timing = token_passing(bench, thread)?;
    sched::sched_setaffinity(0, allowed).context("sched_setaffinity")?;
    // A round trip is two switches: parent -> child -> parent.
    Line::new(name)
        .timing(&timing.split(2))
        .field("hart", hart.trailing_zeros())
        .print();
    Ok(())
}

fn pipe_rtt(bench: &Bench) -> Result<(), Failure> {
    let timing = token_passing(bench, false)?;
    Line::new("pipe_rtt").timing(&timing).print();
    Ok(())
}

/// Reads exactly `total` bytes from `fd` in chunks of at most `buf.len()`.
fn read_exactly(fd: i32, buf: &mut [u8], total: usize) -> Result<(), Failure> {
    let mut left = total;
    while left > 0 {
        let want = left.min(buf.len());
        match fs::read(fd, &mut buf[..want]).context("read from the pipe")? {
            0 => return Err(Failure::new("the writing child closed the pipe early")),
            count => left -= count.min(left),
        }
    }
    Ok(())
}

fn pipe_bw(bench: &Bench) -> Result<(), Failure> {
    let total = bench.pick(64 << 20, 1 << 20);
    let runs = bench.fixed_runs();
    let (read_end, write_end) = fs::pipe2(O_CLOEXEC).context("pipe2")?;
    // One more `total` than measured: the first one warms up both processes.
    let chunks = (runs + 1) * total / CHUNK;
    let writer = ulib::spawn(|| {
        if fs::close(read_end).is_err() {
            return 1;
        }
        let data = alloc::vec![0x5au8; CHUNK];
        for _ in 0..chunks {
            if fs::write_all(write_end, &data).is_err() {
                return 1;
            }
        }
        0
    })
    .context("fork")?;
    fs::close(write_end).context("close")?;
    let mut buf = alloc::vec![0u8; CHUNK];
    read_exactly(read_end, &mut buf, total)?;
    let timing = bench.repeat(1, || {
        bench::timed(|| read_exactly(read_end, &mut buf, total))
    })?;
    if fs::read(read_end, &mut buf).context("read from the pipe")? != 0 {
        return Err(Failure::new("the pipe held more than was written"));
    }
    if buf[0] != 0x5a {
        return Err(Failure::new("the pipe delivered the wrong bytes"));
    }
    bench::wait_success(writer)?;
    fs::close(read_end).context("close")?;
    Line::new("pipe_bw")
        .timing(&timing)
        .rate(&timing, total as u64)
        .field("chunk", CHUNK)
        .print();
    Ok(())
}
