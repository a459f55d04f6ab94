//! `msgpingpong [N]`: the message-queue ping-pong demo (concept I3).
//!
//! Makes a private System V message queue and forks a partner. The parent sends a counter
//! as a type-1 message; the partner takes type 1 only and answers with the counter plus one
//! as type 2, which the parent takes. After N round trips (1000 if not given) it prints how
//! long they took and how many round trips per second that is, then removes the queue:
//! `msgpingpong: 1000 round trips in 85 ms: 11764 round trips/s`. One queue carries both
//! directions; the message types keep them apart. Exit status 0, or 1 for a bad N or a
//! failed system call.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use ulib::abi::Errno;
use ulib::abi::ipc::{IPC_CREAT, IPC_PRIVATE};
use ulib::abi::time::{CLOCK_MONOTONIC, NANOS_PER_SEC};
use ulib::abi::wait;
use ulib::cli::{Arg, Args, Tool};
use ulib::ipc;

ulib::entry!(main);

const TOOL: Tool = Tool::new("msgpingpong", "msgpingpong [N]");

/// Round trips when no N is given.
const DEFAULT_ROUND_TRIPS: u64 = 1000;

/// The type of the parent's messages (pings).
const PING: i64 = 1;
/// The type of the partner's answers (pongs).
const PONG: i64 = 2;

fn main() -> i32 {
    let mut round_trips = None;
    for arg in Args::new() {
        match arg {
            Arg::Operand(text) if round_trips.is_none() => match text.parse::<u64>() {
                Ok(value) if value > 0 => round_trips = Some(value),
                _ => return TOOL.usage_error(format_args!("invalid count '{text}'")),
            },
            other => return TOOL.unexpected(other),
        }
    }
    let round_trips = round_trips.unwrap_or(DEFAULT_ROUND_TRIPS);
    let id = match ipc::msgget(IPC_PRIVATE, IPC_CREAT | 0o600) {
        Ok(id) => id,
        Err(error) => {
            TOOL.error("msgget", error);
            return 1;
        }
    };
    let result = ping_pong(id, round_trips);
    let removed = ipc::msgctl_rmid(id).map_err(|error| ("msgctl", error));
    match result.and_then(|elapsed_ns| removed.map(|()| elapsed_ns)) {
        Ok(elapsed_ns) => {
            let rate =
                u128::from(round_trips) * u128::from(NANOS_PER_SEC) / u128::from(elapsed_ns.max(1));
            ulib::println!(
                "msgpingpong: {round_trips} round trips in {} ms: {rate} round trips/s",
                elapsed_ns / 1_000_000
            );
            0
        }
        Err((what, error)) => {
            TOOL.error(what, error);
            1
        }
    }
}

/// Runs `round_trips` round trips with a forked partner over the queue `id`; the
/// nanoseconds they took.
fn ping_pong(id: i32, round_trips: u64) -> Result<u64, (&'static str, Errno)> {
    let partner = ulib::spawn(|| answer(id, round_trips)).map_err(|error| ("fork", error))?;
    let start = now()?;
    let mut buf = [0u8; 8];
    for round in 0..round_trips {
        ipc::msgsnd(id, PING, &round.to_le_bytes(), 0).map_err(|error| ("msgsnd", error))?;
        ipc::msgrcv(id, &mut buf, PONG, 0).map_err(|error| ("msgrcv", error))?;
        if u64::from_le_bytes(buf) != round + 1 {
            return Err(("wrong answer", Errno::EIO));
        }
    }
    let elapsed = now()? - start;
    let status = ulib::waitpid(partner).map_err(|error| ("wait4", error))?;
    if status != wait::exited(0) {
        return Err(("partner", Errno::EIO));
    }
    Ok(elapsed)
}

/// The partner: answers `round_trips` pings; exit status 0, or 1 if a call failed.
fn answer(id: i32, round_trips: u64) -> i32 {
    let mut buf = [0u8; 8];
    for _ in 0..round_trips {
        if ipc::msgrcv(id, &mut buf, PING, 0).is_err() {
            return 1;
        }
        let next = u64::from_le_bytes(buf).wrapping_add(1);
        if ipc::msgsnd(id, PONG, &next.to_le_bytes(), 0).is_err() {
            return 1;
        }
    }
    0
}

/// The monotonic clock in nanoseconds.
fn now() -> Result<u64, (&'static str, Errno)> {
    let time = ulib::clock_gettime(CLOCK_MONOTONIC).map_err(|error| ("clock_gettime", error))?;
    time.to_nanos().ok_or(("clock_gettime", Errno::EINVAL))
}
