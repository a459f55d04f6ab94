//! Time syscalls: `clock_gettime` and `nanosleep`.

use crate::mm::user::UserPtr;
use crate::process::Process;
use crate::time;
use abi::errno::Errno;
use abi::time::{
    CLOCK_BOOTTIME, CLOCK_MONOTONIC, CLOCK_MONOTONIC_COARSE, CLOCK_MONOTONIC_RAW,
    CLOCK_PROCESS_CPUTIME_ID, CLOCK_REALTIME, CLOCK_REALTIME_COARSE, CLOCK_THREAD_CPUTIME_ID,
    Timespec,
};

/// `clock_gettime(clock, tp)`.
pub fn clock_gettime(process: &mut Process, clock: usize, tp: usize) -> Result<usize, Errno> {
    let nanos = match clock as u32 as i32 {
        CLOCK_REALTIME | CLOCK_REALTIME_COARSE => time::realtime_ns(),
        CLOCK_MONOTONIC | CLOCK_MONOTONIC_RAW | CLOCK_MONOTONIC_COARSE | CLOCK_BOOTTIME => {
            time::monotonic_ns()
        }
        // Until there is a scheduler a program has its hart to itself from start to exit,
        // so its CPU time is the time since it started.
        CLOCK_PROCESS_CPUTIME_ID | CLOCK_THREAD_CPUTIME_ID => {
            time::monotonic_ns() - process.started_ns
        }
        _ => return Err(Errno::EINVAL),
    };
    UserPtr::<Timespec>::new(tp).write(&mut process.space, &Timespec::from_nanos(nanos))?;
    Ok(0)
}

/// `nanosleep(req, rem)`: `rem` is written only when a sleep is interrupted, which cannot
/// happen before signals exist.
pub fn nanosleep(process: &mut Process, req: usize, _rem: usize) -> Result<usize, Errno> {
    let request = UserPtr::<Timespec>::new(req).read(&process.space)?;
    if !request.is_normalized() {
        return Err(Errno::EINVAL);
    }
    let duration = request.to_nanos().ok_or(Errno::EINVAL)?;
    time::sleep_until(time::monotonic_ns().saturating_add(duration));
    Ok(0)
}
