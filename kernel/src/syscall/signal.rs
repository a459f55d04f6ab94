//! Signal, job-control and credential syscalls (concepts I5, U1): rt_sigaction,
//! rt_sigprocmask, rt_sigpending, rt_sigsuspend, rt_sigreturn, sigaltstack, kill, tkill,
//! tgkill, setitimer/getitimer, setpgid/getpgid/setsid/getsid, and the setuid family.
//! The mechanisms are in `proc::signal`; this file checks arguments and copies.

use crate::mm::user::UserPtr;
use crate::proc::{Pid, Process, State, UserState, lookup, signal};
use crate::time;
use abi::errno::Errno;
use abi::signal::{SI_TKILL, SigAction, StackT, is_valid_signal};
use abi::time::{Itimerval, Timeval};
use alloc::sync::Arc;

/// The only signal-set size Linux riscv64 accepts (64 signals).
const SIGSET_SIZE: usize = 8;

fn check_setsize(size: usize) -> Result<(), Errno> {
    if size == SIGSET_SIZE {
        Ok(())
    } else {
        Err(Errno::EINVAL)
    }
}

/// `rt_sigaction(sig, act, oldact, sigsetsize)`.
pub fn rt_sigaction(
    me: &Arc<Process>,
    user: &mut UserState,
    sig: usize,
    act: usize,
    oldact: usize,
    size: usize,
) -> Result<usize, Errno> {
    check_setsize(size)?;
    let new = if act != 0 {
        Some(UserPtr::<SigAction>::new(act).read(&mut user.space)?)
    } else {
        None
    };
    let sig = u32::try_from(sig).map_err(|_| Errno::EINVAL)?;
    if oldact != 0 {
        // Check the destination before changing anything.
        user.space
            .check_access(oldact, SigAction::SIZE, hal::trap::Access::Write)?;
    }
    let old = signal::set_action(me, sig, new)?;
    if oldact != 0 {
        UserPtr::<SigAction>::new(oldact).write(&mut user.space, &old)?;
    }
    Ok(0)
}

/// `rt_sigprocmask(how, set, oldset, sigsetsize)`.
pub fn rt_sigprocmask(
    me: &Arc<Process>,
    user: &mut UserState,
    how: usize,
    set: usize,
    oldset: usize,
    size: usize,
) -> Result<usize, Errno> {
    check_setsize(size)?;
    let new = if set != 0 {
        Some(UserPtr::<u64>::new(set).read(&mut user.space)?)
    } else {
        None
    };
    if oldset != 0 {
        user.space
            .check_access(oldset, SIGSET_SIZE, hal::trap::Access::Write)?;
    }
    let old = signal::change_mask(me, how as i32, new)?;
    if oldset != 0 {
        UserPtr::<u64>::new(oldset).write(&mut user.space, &old)?;
    }
    Ok(0)
}

/// `rt_sigpending(set, sigsetsize)`: pending signals that are blocked.
pub fn rt_sigpending(
    me: &Arc<Process>,
    user: &mut UserState,
    set: usize,
    size: usize,
) -> Result<usize, Errno> {
    check_setsize(size)?;
    let pending = (me.pending_signals()
        | me.group.pending.load(core::sync::atomic::Ordering::Acquire))
        & me.blocked_signals();
    UserPtr::<u64>::new(set).write(&mut user.space, &pending)?;
    Ok(0)
}

/// `rt_sigsuspend(mask, sigsetsize)`.
pub fn rt_sigsuspend(
    me: &Arc<Process>,
    user: &mut UserState,
    mask: usize,
    size: usize,
) -> Result<usize, Errno> {
    check_setsize(size)?;
    let mask = UserPtr::<u64>::new(mask).read(&mut user.space)?;
    Err(signal::suspend(me, mask))
}

/// `sigaltstack(ss, old_ss)`.
pub fn sigaltstack(
    me: &Arc<Process>,
    user: &mut UserState,
    new: usize,
    old: usize,
) -> Result<usize, Errno> {
    let new = if new != 0 {
        Some(UserPtr::<StackT>::new(new).read(&mut user.space)?)
    } else {
        None
    };
    if old != 0 {
        user.space
            .check_access(old, StackT::SIZE, hal::trap::Access::Write)?;
    }
    let sp = user.ctx.regs[hal::trap::reg::SP];
    let previous = signal::altstack(me, sp, new)?;
    if old != 0 {
        UserPtr::<StackT>::new(old).write(&mut user.space, &previous)?;
    }
    Ok(0)
}

/// `kill(pid, sig)`.
pub fn kill(me: &Arc<Process>, pid: usize, sig: usize) -> Result<usize, Errno> {
    let sig = u32::try_from(sig).map_err(|_| Errno::EINVAL)?;
    signal::kill(me, pid as i32 as isize, sig).map(|()| 0)
}

/// `tgkill(tgid, tid, sig)` (`tgid` < 0 for `tkill`): one thread.
pub fn tgkill(me: &Arc<Process>, tgid: isize, tid: usize, sig: usize) -> Result<usize, Errno> {
    let sig = u32::try_from(sig).map_err(|_| Errno::EINVAL)?;
    let tid = tid as i32;
    if tid <= 0 || (tgid != -1 && tgid <= 0) || (sig != 0 && !is_valid_signal(sig)) {
        return Err(Errno::EINVAL);
    }
    let target = lookup(tid as Pid).ok_or(Errno::ESRCH)?;
    if target.inner().state == State::Zombie || (tgid > 0 && target.tgid != tgid as Pid) {
        return Err(Errno::ESRCH);
    }
    if !signal::may_signal(me, &target, sig) {
        return Err(Errno::EPERM);
    }
    if sig != 0 {
        let uid = me.inner().creds.uid;
        signal::send(&target, sig, signal::user_info(sig, SI_TKILL, me.tgid, uid));
    }
    Ok(0)
}

/// `ITIMER_REAL`: the only interval timer Lantern has.
const ITIMER_REAL: usize = 0;
/// `ITIMER_VIRTUAL` and `ITIMER_PROF` (user / user+system CPU time).
const ITIMER_PROF: usize = 2;

fn timeval_ns(value: &Timeval) -> Result<u64, Errno> {
    if value.tv_sec < 0 || !(0..1_000_000).contains(&value.tv_usec) {
        return Err(Errno::EINVAL);
    }
    Ok((value.tv_sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(value.tv_usec as u64 * 1000))
}

fn ns_timeval(ns: u64) -> Timeval {
    // Round up like Linux, so a running timer never reads as zero.
    let us = ns.div_ceil(1000);
    Timeval {
        tv_sec: (us / 1_000_000) as i64,
        tv_usec: (us % 1_000_000) as i64,
    }
}

fn current_timer(pid: Pid) -> Itimerval {
    let (deadline, interval) = signal::timer(pid);
    let left = if deadline == 0 {
        0
    } else {
        deadline.saturating_sub(time::monotonic_ns()).max(1)
    };
    Itimerval {
        it_interval: ns_timeval(interval),
        it_value: ns_timeval(left),
    }
}

/// `getitimer(which, value)`.
pub fn getitimer(
    me: &Arc<Process>,
    user: &mut UserState,
    which: usize,
    value: usize,
) -> Result<usize, Errno> {
    match which {
        ITIMER_REAL => {}
        // CPU-time timers are not implemented; say so rather than pretend.
        w if w <= ITIMER_PROF => return Err(Errno::ENOSYS),
        _ => return Err(Errno::EINVAL),
    }
    UserPtr::<Itimerval>::new(value).write(&mut user.space, &current_timer(me.tgid))?;
    Ok(0)
}

/// `setitimer(which, new, old)`.
pub fn setitimer(
    me: &Arc<Process>,
    user: &mut UserState,
    which: usize,
    new: usize,
    old: usize,
) -> Result<usize, Errno> {
    match which {
        ITIMER_REAL => {}
        w if w <= ITIMER_PROF => return Err(Errno::ENOSYS),
        _ => return Err(Errno::EINVAL),
    }
    let value = if new != 0 {
        UserPtr::<Itimerval>::new(new).read(&mut user.space)?
    } else {
        Itimerval::default()
    };
    let first = timeval_ns(&value.it_value)?;
    let interval = timeval_ns(&value.it_interval)?;
    if old != 0 {
        user.space
            .check_access(old, Itimerval::SIZE, hal::trap::Access::Write)?;
    }
    let previous = current_timer(me.tgid);
    let deadline = if first == 0 {
        0
    } else {
        time::monotonic_ns().saturating_add(first)
    };
    signal::set_timer(me.tgid, deadline, interval);
    if old != 0 {
        UserPtr::<Itimerval>::new(old).write(&mut user.space, &previous)?;
    }
    Ok(0)
}

/// `setpgid(pid, pgid)`: POSIX's rules — the target is the caller or a child that has not
/// exec'd (`ESRCH`, `EACCES`), in the caller's session and not a session leader (`EPERM`);
/// the group is new (named after the target) or exists in the same session (`EPERM`).
pub fn setpgid(me: &Arc<Process>, pid: usize, pgid: usize) -> Result<usize, Errno> {
    let (pid, pgid) = (pid as i32, pgid as i32);
    if pgid < 0 || pid < 0 {
        return Err(Errno::EINVAL);
    }
    let target = if pid == 0 || pid as Pid == me.tgid {
        me.leader()
    } else {
        let child = lookup(pid as Pid).ok_or(Errno::ESRCH)?;
        if !child.is_leader() || child.inner().parent != me.tgid {
            return Err(Errno::ESRCH);
        }
        child
    };
    let pgid = if pgid == 0 { target.pid } else { pgid as Pid };
    let (_, my_sid) = me.job();
    {
        let inner = target.inner();
        if target.pid != me.tgid && inner.did_exec {
            return Err(Errno::EACCES);
        }
        if inner.sid != my_sid {
            return Err(Errno::EPERM);
        }
        if inner.sid == target.pid {
            return Err(Errno::EPERM);
        }
    }
    if pgid != target.pid {
        let exists = signal::group_members(pgid)
            .iter()
            .any(|p| p.inner().sid == my_sid);
        if !exists {
            return Err(Errno::EPERM);
        }
    }
    target.inner().pgid = pgid;
    Ok(0)
}

fn target_of(me: &Arc<Process>, pid: usize) -> Result<Arc<Process>, Errno> {
    let pid = pid as i32;
    if pid < 0 {
        return Err(Errno::ESRCH);
    }
    if pid == 0 {
        return Ok(me.leader());
    }
    Ok(lookup(pid as Pid).ok_or(Errno::ESRCH)?.leader())
}

/// `getpgid(pid)`.
pub fn getpgid(me: &Arc<Process>, pid: usize) -> Result<usize, Errno> {
    Ok(target_of(me, pid)?.inner().pgid)
}

/// `getsid(pid)`.
pub fn getsid(me: &Arc<Process>, pid: usize) -> Result<usize, Errno> {
    Ok(target_of(me, pid)?.inner().sid)
}

/// `setsid()`: a new session and group led by the caller, with no controlling terminal;
/// `EPERM` if the caller already leads a group.
pub fn setsid(me: &Arc<Process>) -> Result<usize, Errno> {
    if !signal::group_members(me.tgid).is_empty() {
        return Err(Errno::EPERM);
    }
    let leader = me.leader();
    let mut inner = leader.inner();
    inner.sid = me.tgid;
    inner.pgid = me.tgid;
    Ok(me.tgid)
}

/// Which ids a `setres*id` call sets; `u32::MAX` (-1) leaves one unchanged.
fn set_ids(
    current: (u32, u32, u32),
    new: (u32, u32, u32),
    privileged: bool,
) -> Result<(u32, u32, u32), Errno> {
    let (real, effective, saved) = current;
    let allowed = |id: u32| id == u32::MAX || privileged || [real, effective, saved].contains(&id);
    if !(allowed(new.0) && allowed(new.1) && allowed(new.2)) {
        return Err(Errno::EPERM);
    }
    let pick = |id: u32, old: u32| if id == u32::MAX { old } else { id };
    Ok((
        pick(new.0, real),
        pick(new.1, effective),
        pick(new.2, saved),
    ))
}

/// `setresuid(ruid, euid, suid)`.
pub fn setresuid(me: &Arc<Process>, r: usize, e: usize, s: usize) -> Result<usize, Errno> {
    let mut inner = me.inner();
    let c = inner.creds;
    let (uid, euid, suid) = set_ids(
        (c.uid, c.euid, c.suid),
        (r as u32, e as u32, s as u32),
        c.euid == 0,
    )?;
    inner.creds.uid = uid;
    inner.creds.euid = euid;
    inner.creds.suid = suid;
    Ok(0)
}

/// `setresgid(rgid, egid, sgid)`.
pub fn setresgid(me: &Arc<Process>, r: usize, e: usize, s: usize) -> Result<usize, Errno> {
    let mut inner = me.inner();
    let c = inner.creds;
    let (gid, egid, sgid) = set_ids(
        (c.gid, c.egid, c.sgid),
        (r as u32, e as u32, s as u32),
        c.euid == 0,
    )?;
    inner.creds.gid = gid;
    inner.creds.egid = egid;
    inner.creds.sgid = sgid;
    Ok(0)
}

/// `setuid(uid)`: root sets all three ids; others may only set the effective id to their
/// real or saved one.
pub fn setuid(me: &Arc<Process>, uid: usize) -> Result<usize, Errno> {
    let uid = uid as u32;
    if uid == u32::MAX {
        return Err(Errno::EINVAL);
    }
    if me.inner().creds.euid == 0 {
        setresuid(me, uid as usize, uid as usize, uid as usize)
    } else {
        setresuid(me, usize::MAX >> 32, uid as usize, usize::MAX >> 32)
    }
}

/// `setgid(gid)`, like [`setuid`] for groups.
pub fn setgid(me: &Arc<Process>, gid: usize) -> Result<usize, Errno> {
    let gid = gid as u32;
    if gid == u32::MAX {
        return Err(Errno::EINVAL);
    }
    if me.inner().creds.euid == 0 {
        setresgid(me, gid as usize, gid as usize, gid as usize)
    } else {
        setresgid(me, usize::MAX >> 32, gid as usize, usize::MAX >> 32)
    }
}

/// `getresuid(r, e, s)` / `getresgid(r, e, s)`.
pub fn getres(
    me: &Arc<Process>,
    user: &mut UserState,
    group: bool,
    addrs: [usize; 3],
) -> Result<usize, Errno> {
    let c = me.inner().creds;
    let ids = if group {
        [c.gid, c.egid, c.sgid]
    } else {
        [c.uid, c.euid, c.suid]
    };
    for (addr, id) in addrs.into_iter().zip(ids) {
        UserPtr::<u32>::new(addr).write(&mut user.space, &id)?;
    }
    Ok(0)
}

/// Most entries `ppoll` takes (Linux's default `RLIMIT_NOFILE`).
const MAX_POLL_FDS: usize = 1024;

/// `ppoll(fds, nfds, timeout, sigmask, sigsetsize)`: waits for readiness on descriptors,
/// with `sigmask` (if given) blocked instead of the current mask while waiting.
pub fn ppoll(
    me: &Arc<Process>,
    user: &mut UserState,
    fds: usize,
    nfds: usize,
    timeout: usize,
    sigmask: usize,
    size: usize,
) -> Result<usize, Errno> {
    use abi::fs::PollFd;
    if nfds > MAX_POLL_FDS {
        return Err(Errno::EINVAL);
    }
    let mut entries = alloc::vec::Vec::with_capacity(nfds);
    for index in 0..nfds {
        entries.push(UserPtr::<PollFd>::new(fds + index * PollFd::SIZE).read(&mut user.space)?);
    }
    let deadline = poll_deadline(user, timeout)?;
    let mask = if sigmask != 0 {
        check_setsize(size)?;
        Some(UserPtr::<u64>::new(sigmask).read(&mut user.space)?)
    } else {
        None
    };
    let result = poll_with_mask(me, &mut entries, deadline, mask);
    let ready = result?;
    for (index, entry) in entries.iter().enumerate() {
        UserPtr::<PollFd>::new(fds + index * PollFd::SIZE).write(&mut user.space, entry)?;
    }
    Ok(ready)
}

/// The deadline of a poll whose timeout (a `timespec`) is at `timeout` (NULL: none).
fn poll_deadline(user: &mut UserState, timeout: usize) -> Result<Option<u64>, Errno> {
    if timeout == 0 {
        return Ok(None);
    }
    let limit = UserPtr::<abi::time::Timespec>::new(timeout).read(&mut user.space)?;
    if !limit.is_normalized() {
        return Err(Errno::EINVAL);
    }
    let ns = limit.to_nanos().ok_or(Errno::EINVAL)?;
    Ok(Some(time::monotonic_ns().saturating_add(ns)))
}

/// Polls with `mask` (if given) as the blocked signals while waiting, as `ppoll` and
/// `pselect6` do.
fn poll_with_mask(
    me: &Arc<Process>,
    entries: &mut [abi::fs::PollFd],
    deadline: Option<u64>,
    mask: Option<u64>,
) -> Result<usize, Errno> {
    if let Some(mask) = mask {
        let old = signal::change_mask(me, abi::signal::SIG_SETMASK, Some(mask))?;
        me.sig.lock().saved_mask = Some(old);
    }
    let result = crate::fs::poll::poll(me, entries, deadline);
    if mask.is_some() && result != Err(Errno::EINTR) {
        // No signal to deliver: put the old mask back now (after a signal, the handler's
        // frame or `deliver` restores it).
        if let Some(old) = me.sig.lock().saved_mask.take() {
            signal::change_mask(me, abi::signal::SIG_SETMASK, Some(old))?;
        }
    }
    result
}

/// Most descriptors `pselect6` takes (`FD_SETSIZE`).
const FD_SETSIZE: usize = 1024;

/// `pselect6(nfds, readfds, writefds, exceptfds, timeout, sigmask)`: `select` over
/// `ppoll`'s machinery. The sets are bitmaps of `u64` words; on return each holds the
/// descriptors that are ready for that kind of use; the result counts set bits. The
/// timeout is updated with the time left (Linux's pselect6 does this; glibc hides it).
/// `sigmask` points at `{ const sigset_t *set; size_t size; }`. A closed descriptor in a
/// set is `EBADF`.
pub fn pselect6(
    me: &Arc<Process>,
    user: &mut UserState,
    nfds: usize,
    sets: [usize; 3],
    timeout: usize,
    sigmask: usize,
) -> Result<usize, Errno> {
    use abi::fs::{POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT, POLLPRI, PollFd};
    let nfds = nfds as i32;
    if !(0..=FD_SETSIZE as i32).contains(&nfds) {
        return Err(Errno::EINVAL);
    }
    let nfds = nfds as usize;
    let words = nfds.div_ceil(64);
    let mut bitmaps = [
        alloc::vec![0u64; words],
        alloc::vec![0u64; words],
        alloc::vec![0u64; words],
    ];
    for (set, bitmap) in sets.iter().zip(bitmaps.iter_mut()) {
        if *set != 0 {
            for (index, word) in bitmap.iter_mut().enumerate() {
                *word = UserPtr::<u64>::new(set + index * 8).read(&mut user.space)?;
            }
        }
    }
    let deadline = poll_deadline(user, timeout)?;
    let mask = if sigmask != 0 {
        let set = UserPtr::<usize>::new(sigmask).read(&mut user.space)?;
        let size = UserPtr::<usize>::new(sigmask + 8).read(&mut user.space)?;
        if set != 0 {
            check_setsize(size)?;
            Some(UserPtr::<u64>::new(set).read(&mut user.space)?)
        } else {
            None
        }
    } else {
        None
    };
    let wanted = |fd: usize, kind: usize| bitmaps[kind][fd / 64] & (1 << (fd % 64)) != 0;
    let mut entries = alloc::vec::Vec::new();
    for fd in 0..nfds {
        let mut events = 0;
        if wanted(fd, 0) {
            events |= POLLIN;
        }
        if wanted(fd, 1) {
            events |= POLLOUT;
        }
        if wanted(fd, 2) {
            events |= POLLPRI;
        }
        if events != 0 {
            entries.push(PollFd {
                fd: fd as i32,
                events,
                revents: 0,
            });
        }
    }
    let result = poll_with_mask(me, &mut entries, deadline, mask);
    if timeout != 0
        && let Some(deadline) = deadline
        && result != Err(Errno::EFAULT)
    {
        let left = deadline.saturating_sub(time::monotonic_ns());
        let left = abi::time::Timespec::from_nanos(left);
        UserPtr::<abi::time::Timespec>::new(timeout).write(&mut user.space, &left)?;
    }
    result?;
    if entries.iter().any(|e| e.revents & POLLNVAL != 0) {
        return Err(Errno::EBADF);
    }
    let mut ready = [
        alloc::vec![0u64; words],
        alloc::vec![0u64; words],
        alloc::vec![0u64; words],
    ];
    let mut count = 0;
    for entry in &entries {
        let fd = entry.fd as usize;
        let bit = 1u64 << (fd % 64);
        let got = [
            entry.events & POLLIN != 0 && entry.revents & (POLLIN | POLLHUP | POLLERR) != 0,
            entry.events & POLLOUT != 0 && entry.revents & (POLLOUT | POLLERR) != 0,
            entry.events & POLLPRI != 0 && entry.revents & POLLPRI != 0,
        ];
        for (kind, hit) in got.into_iter().enumerate() {
            if hit {
                ready[kind][fd / 64] |= bit;
                count += 1;
            }
        }
    }
    for (set, bitmap) in sets.iter().zip(ready.iter()) {
        if *set != 0 {
            for (index, word) in bitmap.iter().enumerate() {
                UserPtr::<u64>::new(set + index * 8).write(&mut user.space, word)?;
            }
        }
    }
    Ok(count)
}
