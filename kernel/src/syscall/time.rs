//! Time syscalls: `clock_gettime` and `nanosleep`.

use crate::mm::user::UserPtr;
use crate::proc::{Process, State, UserState, lifecycle};
use crate::time;
use abi::errno::Errno;
use abi::time::{
    CLOCK_BOOTTIME, CLOCK_MONOTONIC, CLOCK_MONOTONIC_COARSE, CLOCK_MONOTONIC_RAW,
    CLOCK_PROCESS_CPUTIME_ID, CLOCK_REALTIME, CLOCK_REALTIME_COARSE, CLOCK_THREAD_CPUTIME_ID,
    Timespec,
};
use alloc::sync::Arc;

/// `clock_gettime(clock, tp)`.
pub fn clock_gettime(
    me: &Arc<Process>,
    user: &mut UserState,
    clock: usize,
    tp: usize,
) -> Result<usize, Errno> {
    let nanos = match clock as u32 as i32 {
        CLOCK_REALTIME | CLOCK_REALTIME_COARSE => time::realtime_ns(),
        CLOCK_MONOTONIC | CLOCK_MONOTONIC_RAW | CLOCK_MONOTONIC_COARSE | CLOCK_BOOTTIME => {
            time::monotonic_ns()
        }
        CLOCK_PROCESS_CPUTIME_ID | CLOCK_THREAD_CPUTIME_ID => {
            let inner = me.inner();
            inner.acct.cpu_ns_now(inner.state == State::Running)
        }
        _ => return Err(Errno::EINVAL),
    };
    UserPtr::<Timespec>::new(tp).write(&mut user.space, &Timespec::from_nanos(nanos))?;
    Ok(0)
}

/// `nanosleep(req, rem)`: blocks until the time has passed; if a signal interrupts the
/// sleep, the time left goes to `rem` (when not null) and the call fails with `EINTR`.
pub fn nanosleep(
    me: &Arc<Process>,
    user: &mut UserState,
    req: usize,
    rem: usize,
) -> Result<usize, Errno> {
    let request = UserPtr::<Timespec>::new(req).read(&mut user.space)?;
    if !request.is_normalized() {
        return Err(Errno::EINVAL);
    }
    let duration = request.to_nanos().ok_or(Errno::EINVAL)?;
    let deadline = time::monotonic_ns().saturating_add(duration);
    match lifecycle::sleep_until(me, deadline) {
        Err(Errno::EINTR) if rem != 0 => {
            let left = Timespec::from_nanos(deadline.saturating_sub(time::monotonic_ns()));
            UserPtr::<Timespec>::new(rem).write(&mut user.space, &left)?;
            Err(Errno::EINTR)
        }
        result => result.map(|()| 0),
    }
}
