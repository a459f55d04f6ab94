//! Signals (concept I5), with Linux semantics: sending, blocking, default actions, handlers
//! run on the user stack, `rt_sigreturn`, stop and continue, and interval timers.
//!
//! A signal's life:
//! 1. **Sent**: to one thread ([`send`]: `tkill`, a fault, SIGPIPE) or to a whole process
//!    ([`send_process`]: `kill`, the terminal's ^C, a timer, a child's death), where any
//!    thread that does not block it may take it. `SIGCONT` resumes a stopped target at once, and a stop signal cancels a pending
//!    `SIGCONT` (and vice versa). A signal the target ignores (and does not block) is
//!    dropped here; otherwise its bit is set in `pending` with its `siginfo`, and a target
//!    sleeping interruptibly is woken (its wait returns `EINTR`).
//! 2. **Delivered** ([`deliver`]): on every return to user mode the process takes its
//!    lowest pending unblocked signal (SIGKILL first) and acts on its disposition: ignore,
//!    the default action (terminate, terminate with core, stop, continue), or a handler.
//! 3. **Handled**: the kernel pushes a frame — `siginfo_t` and a `ucontext_t` holding every
//!    register and the old mask, Linux's riscv64 layout (`abi::signal::frame`) — onto the
//!    user stack (or the alternate stack), and enters the handler with `ra` pointing at a
//!    trampoline page that calls `rt_sigreturn`, which restores the frame ([`sigreturn`]).
//!
//! Interrupted system calls: a blocking call that a signal cut short returns `EINTR`. If a
//! handler with `SA_RESTART` runs, or if no handler runs at all (the signal stopped and
//! continued the process), the call is restarted by backing the pc up to the `ecall` —
//! except calls Linux never restarts after a handler (sleeps, `sigsuspend`, `poll`, System V
//! message queues), and System V semaphore waits, which Linux never restarts at all.
//!
//! Threads: a fatal signal ends the whole process (every thread), a stop signal stops every
//! thread (a group stop) until SIGCONT. Other threads notice such a change at their next
//! return to user mode; [`kick`] wakes the sleeping ones so that they do.
//!
//! Locking: `pending` and `blocked` are atomics (checked on every return to user mode); the
//! per-signal info and alternate stack live under the `signal` lock, dispositions under the
//! `sighand` lock, stop/continue state under `proc`. No two of these are held together.

use super::{INIT_PID, Pid, Process, State, UserState, lookup, sched};
use abi::errno::Errno;
use abi::nr;
use abi::signal::*;
use abi::wait;
use abi::wire::WireFormat;
use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;
use hal::sync::SpinLock;
use hal::trap::reg;

/// Where every process finds the code `rt_sigreturn` (mapped by exec, read + execute).
pub const TRAMPOLINE: usize = crate::exec::STACK_TOP;
/// The trampoline's code: `li a7, 139` (`rt_sigreturn`); `ecall`.
pub const TRAMPOLINE_CODE: [u32; 2] = [0x08b0_0893, 0x0000_0073];

/// Signals that can never be blocked, caught or ignored.
const UNBLOCKABLE: u64 = sigset_bit(SIGKILL) | sigset_bit(SIGSTOP);
/// The stop signals.
const STOP_SIGNALS: u64 =
    sigset_bit(SIGSTOP) | sigset_bit(SIGTSTP) | sigset_bit(SIGTTIN) | sigset_bit(SIGTTOU);

/// A process's dispositions, one per signal (shared by threads made with `CLONE_SIGHAND`).
pub type Handlers = SpinLock<[SigAction; 64]>;

/// New dispositions: all default.
pub fn new_handlers() -> Arc<Handlers> {
    Arc::new(SpinLock::new("sighand", [SigAction::default(); 64]))
}

/// No alternate signal stack.
const NO_ALTSTACK: StackT = StackT {
    ss_sp: 0,
    ss_flags: SS_DISABLE,
    ss_size: 0,
};

/// Per-process signal state that is not a plain bit set.
pub struct SigLocal {
    /// The `siginfo` of each pending signal (index `sig - 1`).
    pub info: [SigInfo; 64],
    /// The alternate signal stack (`ss_flags` = `SS_DISABLE` when none).
    pub altstack: StackT,
    /// The mask to restore after `rt_sigsuspend`, once a handler's frame has saved it.
    pub saved_mask: Option<u64>,
}

impl SigLocal {
    pub fn new() -> SigLocal {
        SigLocal {
            info: [SigInfo::default(); 64],
            altstack: NO_ALTSTACK,
            saved_mask: None,
        }
    }
}

impl Default for SigLocal {
    fn default() -> Self {
        SigLocal::new()
    }
}

/// The `siginfo` of a signal sent by process `pid` with user id `uid` through `kill`.
pub fn user_info(sig: u32, code: i32, pid: Pid, uid: u32) -> SigInfo {
    SigInfo {
        signo: sig as i32,
        code,
        pid: pid as i32,
        uid,
        ..SigInfo::default()
    }
}

/// The `siginfo` of a signal the kernel sends on its own.
pub fn kernel_info(sig: u32) -> SigInfo {
    SigInfo {
        signo: sig as i32,
        code: SI_KERNEL,
        ..SigInfo::default()
    }
}

fn is_ignored(target: &Process, sig: u32) -> bool {
    let action = target.handlers.lock()[sig as usize - 1];
    match action.handler {
        SIG_IGN => true,
        SIG_DFL => default_action(sig) == DefaultAction::Ignore,
        _ => false,
    }
}

/// What sending does before the signal is queued: SIGCONT continues a stopped process at
/// once and discards pending stop signals; a stop signal discards a pending SIGCONT.
/// `false` if the signal is then dropped (ignored by `target` and not blocked).
fn before_queueing(target: &Arc<Process>, sig: u32) -> bool {
    let bit = sigset_bit(sig);
    let cancels = if sig == SIGCONT {
        resume(target);
        STOP_SIGNALS
    } else if bit & STOP_SIGNALS != 0 {
        sigset_bit(SIGCONT)
    } else {
        0
    };
    if cancels != 0 {
        target.group.pending.fetch_and(!cancels, Ordering::AcqRel);
        for thread in threads_of(target) {
            thread.pending.fetch_and(!cancels, Ordering::AcqRel);
        }
    }
    !(target.blocked.load(Ordering::Acquire) & bit == 0 && is_ignored(target, sig))
}

/// Sends `sig` (valid, non-zero) to the thread `target`: step 1 of the module comment.
pub fn send(target: &Arc<Process>, sig: u32, info: SigInfo) {
    if !before_queueing(target, sig) {
        return;
    }
    let bit = sigset_bit(sig);
    {
        let mut local = target.sig.lock();
        if target.pending.load(Ordering::Acquire) & bit == 0 {
            local.info[sig as usize - 1] = info;
        }
        target.pending.fetch_or(bit, Ordering::AcqRel);
    }
    if target.blocked.load(Ordering::Acquire) & bit == 0 {
        sched::wake(target);
    }
}

/// Sends `sig` (valid, non-zero) to the process `target` belongs to: it waits in the
/// group's pending set for whichever thread does not block it.
pub fn send_process(target: &Arc<Process>, sig: u32, info: SigInfo) {
    if !before_queueing(target, sig) {
        return;
    }
    let bit = sigset_bit(sig);
    let group = &target.group;
    {
        let mut infos = group.info.lock();
        if group.pending.load(Ordering::Acquire) & bit == 0 {
            infos[sig as usize - 1] = info;
        }
        group.pending.fetch_or(bit, Ordering::AcqRel);
    }
    for thread in threads_of(target) {
        if thread.blocked.load(Ordering::Acquire) & bit == 0 {
            sched::wake(&thread);
        }
    }
}

/// The live threads of `target`'s process.
fn threads_of(target: &Arc<Process>) -> Vec<Arc<Process>> {
    target
        .group
        .threads()
        .into_iter()
        .filter_map(lookup)
        .collect()
}

/// Makes a thread look at its group's state now (exit, stop): a sleeping one is woken and
/// its wait ends with `EINTR` ([`interrupted`] says so); a running one notices at its next
/// trap.
pub fn kick(thread: &Arc<Process>) {
    sched::wake(thread);
}

/// Sends `sig` to every process in group `pgid`; `ESRCH` if the group is empty.
pub fn send_to_group(pgid: Pid, sig: u32, info: SigInfo) -> Result<(), Errno> {
    let members = group_members(pgid);
    if members.is_empty() {
        return Err(Errno::ESRCH);
    }
    for member in members {
        send_process(&member, sig, info);
    }
    Ok(())
}

/// The live processes (their leaders) of process group `pgid`.
pub fn group_members(pgid: Pid) -> Vec<Arc<Process>> {
    super::all()
        .into_iter()
        .filter(|p| {
            let inner = p.inner();
            p.is_leader() && inner.pgid == pgid && !inner.exited
        })
        .collect()
}

/// Continues a stopped process (SIGCONT's effect, which happens when it is sent).
fn resume(target: &Arc<Process>) {
    let group = &target.group;
    if !group.stopping.swap(false, Ordering::AcqRel) {
        return;
    }
    let leader = target.leader();
    let parent = {
        let mut inner = leader.inner();
        inner.stop_report = None;
        inner.continued_report = true;
        inner.parent
    };
    for thread in threads_of(target) {
        sched::wake(&thread);
    }
    notify_parent(parent, leader.pid, CLD_CONTINUED, SIGCONT as i32);
}

/// Tells the parent a child changed state: `SIGCHLD` (unless it asked not to hear about
/// stops) and a wake-up for `wait4`.
pub fn notify_parent(parent: Pid, child: Pid, code: i32, status: i32) {
    let Some(parent) = lookup(parent) else { return };
    let action = parent.handlers.lock()[SIGCHLD as usize - 1];
    let quiet = (code == CLD_STOPPED || code == CLD_CONTINUED) && action.flags & SA_NOCLDSTOP != 0;
    if !quiet {
        let mut info = user_info(SIGCHLD, code, child, 0);
        info.status = status;
        send_process(&parent, SIGCHLD, info);
    }
    parent.child_exit.wake_all();
}

/// Whether the parent discards its children's exit statuses (SIGCHLD ignored explicitly,
/// or `SA_NOCLDWAIT`): then exiting children are reaped at once.
pub fn parent_discards_children(parent: &Process) -> bool {
    let action = parent.handlers.lock()[SIGCHLD as usize - 1];
    action.handler == SIG_IGN || action.flags & SA_NOCLDWAIT != 0
}

/// Whether `me` has a signal that should cut a blocking wait short, or its process is
/// exiting or stopping. Takes no lock (wait queues call it holding `proc`).
pub fn interrupted(me: &Process) -> bool {
    let pending = me.pending.load(Ordering::Acquire) | me.group.pending.load(Ordering::Acquire);
    pending & !me.blocked.load(Ordering::Acquire) != 0
        || me.group.must_exit(me.pid)
        || me.group.stopping.load(Ordering::Acquire)
}

/// Ends the whole process because of `status` (exit_group, a fatal signal): every other
/// thread is made to leave. Returns the status the process ends with (the first cause).
pub fn exit_group(me: &Arc<Process>, status: i32) -> i32 {
    let status = me.group.begin_exit(status, None);
    for thread in threads_of(me) {
        if thread.pid != me.pid {
            kick(&thread);
        }
    }
    status
}

/// How a system call cut short by a signal is restarted (Linux's `-ERESTART*` codes).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Restart {
    /// Restart if no handler ran or the handler has `SA_RESTART` (`ERESTARTSYS`).
    UnlessHandlerForbids,
    /// Restart only if no handler ran (`ERESTARTNOHAND`): sleeps, `sigsuspend`, `poll`,
    /// `msgsnd`, `msgrcv`.
    OnlyWithoutHandler,
    /// Never restart: `EINTR` even if no handler ran (`semop`, `semtimedop`; signal(7)).
    Never,
}

/// The restart rule for system call `number` when it returns `EINTR`.
pub fn restart_rule(number: usize) -> Restart {
    match number {
        nr::NANOSLEEP
        | nr::CLOCK_NANOSLEEP
        | nr::RT_SIGSUSPEND
        | nr::RT_SIGTIMEDWAIT
        | nr::PPOLL
        | nr::PSELECT6
        | nr::MSGSND
        | nr::MSGRCV => Restart::OnlyWithoutHandler,
        nr::SEMOP | nr::SEMTIMEDOP => Restart::Never,
        _ => Restart::UnlessHandlerForbids,
    }
}

/// An interrupted system call waiting to learn whether it restarts.
#[derive(Clone, Copy, Debug)]
pub struct Interrupted {
    pub rule: Restart,
    /// `a0` as the call received it (the result overwrote it).
    pub first_arg: usize,
}

fn restart(user: &mut UserState, call: Interrupted) {
    user.ctx.sepc -= 4;
    user.ctx.regs[reg::A0] = call.first_arg;
}

/// What the process does after [`deliver`].
pub enum Delivered {
    /// Return to user mode (perhaps into a handler).
    Resume,
    /// Die with this wait status.
    Exit(i32),
}

/// Acts on pending signals before a return to user mode: step 2 of the module comment.
/// `interrupted` is the system call that just returned `EINTR`, if any.
pub fn deliver(
    me: &Arc<Process>,
    user: &mut UserState,
    mut interrupted: Option<Interrupted>,
) -> Delivered {
    loop {
        if me.group.must_exit(me.pid) {
            return Delivered::Exit(me.group.exit_status());
        }
        let blocked = me.blocked.load(Ordering::Acquire);
        let own = me.pending.load(Ordering::Acquire) & !blocked;
        let shared = me.group.pending.load(Ordering::Acquire) & !blocked;
        if (own | shared) & sigset_bit(SIGKILL) == 0 && me.group.stopping.load(Ordering::Acquire) {
            stop_wait(me);
            continue;
        }
        let deliverable = own | shared;
        if deliverable == 0 {
            break;
        }
        let sig = if deliverable & sigset_bit(SIGKILL) != 0 {
            SIGKILL
        } else {
            deliverable.trailing_zeros() + 1
        };
        let bit = sigset_bit(sig);
        let info = if own & bit != 0 {
            let local = me.sig.lock();
            let info = local.info[sig as usize - 1];
            me.pending.fetch_and(!bit, Ordering::AcqRel);
            info
        } else {
            let infos = me.group.info.lock();
            if me.group.pending.fetch_and(!bit, Ordering::AcqRel) & bit == 0 {
                // Another thread took it first.
                continue;
            }
            infos[sig as usize - 1]
        };
        let action = {
            let mut handlers = me.handlers.lock();
            let action = handlers[sig as usize - 1];
            if action.handler > SIG_IGN && action.flags & SA_RESETHAND != 0 {
                handlers[sig as usize - 1] = SigAction::default();
            }
            action
        };
        match action.handler {
            SIG_IGN => continue,
            SIG_DFL => match default_action(sig) {
                DefaultAction::Ignore | DefaultAction::Continue => continue,
                DefaultAction::Stop => {
                    stop(me, sig);
                    continue;
                }
                DefaultAction::Terminate => {
                    return Delivered::Exit(exit_group(me, wait::signaled(sig, false)));
                }
                DefaultAction::CoreDump => {
                    return Delivered::Exit(exit_group(me, wait::signaled(sig, true)));
                }
            },
            handler => {
                if let Some(call) = interrupted.take()
                    && call.rule == Restart::UnlessHandlerForbids
                    && action.flags & SA_RESTART != 0
                {
                    restart(user, call);
                }
                if push_frame(me, user, sig, &info, &action, handler).is_err() {
                    crate::console::println!(
                        "[pid {} {}] killed by SIGSEGV: no room for the {} handler's frame on the stack (sp={:#x})",
                        me.pid,
                        me.inner().name,
                        signal_name(sig).unwrap_or("?"),
                        user.ctx.regs[reg::SP]
                    );
                    return Delivered::Exit(exit_group(me, wait::signaled(SIGSEGV, true)));
                }
                return Delivered::Resume;
            }
        }
    }
    if let Some(call) = interrupted
        && call.rule != Restart::Never
    {
        // No handler ran: the call carries on as if nothing happened.
        restart(user, call);
    }
    if let Some(mask) = me.sig.lock().saved_mask.take() {
        me.blocked.store(mask & !UNBLOCKABLE, Ordering::Release);
    }
    Delivered::Resume
}

/// The default action of a stop signal: the whole process stops (a group stop) until
/// SIGCONT or SIGKILL; the parent hears of it once.
fn stop(me: &Arc<Process>, sig: u32) {
    if !me.group.stopping.swap(true, Ordering::AcqRel) {
        let leader = me.leader();
        let parent = {
            let mut inner = leader.inner();
            inner.stop_report = Some(sig);
            inner.continued_report = false;
            inner.parent
        };
        for thread in threads_of(me) {
            if thread.pid != me.pid {
                kick(&thread);
            }
        }
        notify_parent(parent, leader.pid, CLD_STOPPED, sig as i32);
    }
    stop_wait(me);
}

/// Waits, stopped, while the process's group stop lasts (until SIGCONT, SIGKILL or exit).
#[track_caller]
fn stop_wait(me: &Arc<Process>) {
    loop {
        {
            let mut inner = me.inner();
            let killed = (me.pending.load(Ordering::Acquire)
                | me.group.pending.load(Ordering::Acquire))
                & sigset_bit(SIGKILL)
                != 0;
            if !me.group.stopping.load(Ordering::Acquire) || killed || me.group.must_exit(me.pid) {
                return;
            }
            inner.waiting_at = Some(core::panic::Location::caller());
            me.set_state(&mut inner, State::Stopped);
        }
        sched::block_current(me);
    }
}

/// Builds the handler's frame and points the user registers at the handler.
fn push_frame(
    me: &Arc<Process>,
    user: &mut UserState,
    sig: u32,
    info: &SigInfo,
    action: &SigAction,
    handler: usize,
) -> Result<(), Errno> {
    let sp = user.ctx.regs[reg::SP];
    let (altstack, saved_mask) = {
        let mut local = me.sig.lock();
        (local.altstack, local.saved_mask.take())
    };
    let on_altstack = altstack.ss_flags != SS_DISABLE
        && sp > altstack.ss_sp
        && sp <= altstack.ss_sp + altstack.ss_size;
    let top = if action.flags & SA_ONSTACK != 0 && altstack.ss_flags != SS_DISABLE && !on_altstack {
        altstack.ss_sp + altstack.ss_size
    } else {
        // Below the red zone-free riscv ABI stack: no red zone, so right below sp.
        sp
    };
    let frame_at = top.checked_sub(frame::SIZE).ok_or(Errno::EFAULT)? & !15;
    let blocked = me.blocked.load(Ordering::Acquire);
    let old_mask = saved_mask.unwrap_or(blocked);

    let mut image = alloc::vec![0u8; frame::SIZE];
    info.write_le(&mut image[frame::INFO..]);
    let mut stack = altstack;
    if on_altstack {
        stack.ss_flags = SS_ONSTACK;
    }
    stack.write_le(&mut image[frame::UC_STACK..]);
    old_mask.write_le(&mut image[frame::UC_SIGMASK..]);
    user.ctx.sepc.write_le(&mut image[frame::UC_MCONTEXT..]);
    for r in 1..32 {
        user.ctx.regs[r].write_le(&mut image[frame::UC_MCONTEXT + 8 * r..]);
    }
    let (fregs, fcsr) = user.ctx.fp_state();
    for (i, value) in fregs.iter().enumerate() {
        value.write_le(&mut image[frame::UC_FPREGS + 8 * i..]);
    }
    (fcsr as u32).write_le(&mut image[frame::UC_FCSR..]);
    if let Err(errno) = user.space.copy_out(frame_at, &image) {
        // Keep the saved mask for the default action's sake.
        if let Some(mask) = saved_mask {
            me.sig.lock().saved_mask = Some(mask);
        }
        return Err(errno);
    }

    let mut mask = blocked | action.mask;
    if action.flags & SA_NODEFER == 0 {
        mask |= sigset_bit(sig);
    }
    me.blocked.store(mask & !UNBLOCKABLE, Ordering::Release);
    user.ctx.sepc = handler;
    user.ctx.regs[reg::A0] = sig as usize;
    user.ctx.regs[reg::A0 + 1] = frame_at + frame::INFO;
    user.ctx.regs[reg::A0 + 2] = frame_at + frame::UCONTEXT;
    user.ctx.regs[reg::RA] = TRAMPOLINE;
    user.ctx.regs[reg::SP] = frame_at;
    Ok(())
}

/// `rt_sigreturn`: restores the registers and mask saved in the frame at `sp`. `EFAULT`
/// if the frame cannot be read (the caller then dies of SIGSEGV).
pub fn sigreturn(me: &Arc<Process>, user: &mut UserState) -> Result<(), Errno> {
    let frame_at = user.ctx.regs[reg::SP];
    let mut image = alloc::vec![0u8; frame::SIZE];
    user.space.copy_in(frame_at, &mut image)?;
    user.ctx.sepc = usize::read_le(&image[frame::UC_MCONTEXT..]);
    for r in 1..32 {
        user.ctx.regs[r] = usize::read_le(&image[frame::UC_MCONTEXT + 8 * r..]);
    }
    let fregs: [u64; 32] =
        core::array::from_fn(|i| u64::read_le(&image[frame::UC_FPREGS + 8 * i..]));
    let fcsr = u32::read_le(&image[frame::UC_FCSR..]);
    user.ctx.set_fp_state(&fregs, u64::from(fcsr));
    let mask = u64::read_le(&image[frame::UC_SIGMASK..]);
    me.blocked.store(mask & !UNBLOCKABLE, Ordering::Release);
    Ok(())
}

/// `rt_sigaction`'s core: the old action, after installing `new` if given.
pub fn set_action(me: &Process, sig: u32, new: Option<SigAction>) -> Result<SigAction, Errno> {
    if !is_valid_signal(sig) || (new.is_some() && !is_catchable(sig)) {
        return Err(Errno::EINVAL);
    }
    let mut handlers = me.handlers.lock();
    let old = handlers[sig as usize - 1];
    if let Some(mut action) = new {
        action.flags &= !SA_RESTORER;
        action.mask &= !UNBLOCKABLE;
        handlers[sig as usize - 1] = action;
        drop(handlers);
        // Setting a signal to be ignored discards it if pending (POSIX).
        if is_ignored(me, sig) {
            me.pending.fetch_and(!sigset_bit(sig), Ordering::AcqRel);
            me.group
                .pending
                .fetch_and(!sigset_bit(sig), Ordering::AcqRel);
        }
    }
    Ok(old)
}

/// `rt_sigprocmask`'s core: changes the blocked mask, returns the old one.
pub fn change_mask(me: &Process, how: i32, set: Option<u64>) -> Result<u64, Errno> {
    let old = me.blocked.load(Ordering::Acquire);
    // Without a new set, `how` is not looked at (Linux and POSIX).
    if let Some(set) = set {
        let new = match how {
            SIG_BLOCK => old | set,
            SIG_UNBLOCK => old & !set,
            SIG_SETMASK => set,
            _ => return Err(Errno::EINVAL),
        };
        me.blocked.store(new & !UNBLOCKABLE, Ordering::Release);
    }
    Ok(old)
}

/// `rt_sigsuspend`'s core: waits with `mask` blocked until a signal is deliverable. The
/// old mask is restored after the handler (its frame saved it) or by [`deliver`].
pub fn suspend(me: &Arc<Process>, mask: u64) -> Errno {
    let old = me.blocked.swap(mask & !UNBLOCKABLE, Ordering::AcqRel);
    me.sig.lock().saved_mask = Some(old);
    let _ = SUSPENDED.wait_until(me, 0, || false);
    Errno::EINTR
}

static SUSPENDED: super::wait_queue::WaitQueue = super::wait_queue::WaitQueue::new();

/// What exec does to signal state: handlers reset to default (ignored stays ignored), every
/// action's flags and mask are cleared, the alternate stack is forgotten; the blocked mask
/// and pending signals survive.
pub fn reset_for_exec(me: &Process) {
    let mut handlers = me.handlers.lock();
    for action in handlers.iter_mut() {
        let handler = if action.handler == SIG_IGN {
            SIG_IGN
        } else {
            SIG_DFL
        };
        *action = SigAction {
            handler,
            flags: 0,
            mask: 0,
        };
    }
    drop(handlers);
    me.sig.lock().altstack = NO_ALTSTACK;
}

/// `sigaltstack`'s core: installs `new` (if given) and returns the old setting, with
/// `SS_ONSTACK` if the caller runs on it now.
pub fn altstack(me: &Process, sp: usize, new: Option<StackT>) -> Result<StackT, Errno> {
    let mut local = me.sig.lock();
    let mut old = local.altstack;
    let on_stack = old.ss_flags != SS_DISABLE && sp > old.ss_sp && sp <= old.ss_sp + old.ss_size;
    if on_stack {
        old.ss_flags = SS_ONSTACK;
    }
    if let Some(new) = new {
        if on_stack {
            return Err(Errno::EPERM);
        }
        match new.ss_flags {
            SS_DISABLE => local.altstack = NO_ALTSTACK,
            0 => {
                if new.ss_size < MINSIGSTKSZ {
                    return Err(Errno::ENOMEM);
                }
                local.altstack = new;
            }
            _ => return Err(Errno::EINVAL),
        }
    }
    Ok(old)
}

/// Armed `ITIMER_REAL` timers: pid -> (deadline, interval), monotonic ns.
static TIMERS: SpinLock<BTreeMap<Pid, (u64, u64)>> = SpinLock::new("itimers", BTreeMap::new());

/// Arms (deadline > 0) or disarms process `pid`'s real-time timer; returns the old
/// (deadline, interval).
pub fn set_timer(pid: Pid, deadline: u64, interval: u64) -> (u64, u64) {
    let mut timers = TIMERS.lock();
    let old = timers.get(&pid).copied().unwrap_or((0, 0));
    if deadline == 0 {
        timers.remove(&pid);
    } else {
        timers.insert(pid, (deadline, interval));
    }
    old
}

/// Process `pid`'s timer: (deadline, interval), zeros when disarmed.
pub fn timer(pid: Pid) -> (u64, u64) {
    TIMERS.lock().get(&pid).copied().unwrap_or((0, 0))
}

/// Called on each timer tick: sends SIGALRM for expired timers and re-arms periodic ones.
pub fn expire_timers(now: u64) {
    let mut due = Vec::new();
    {
        let mut timers = TIMERS.lock();
        if timers.values().all(|&(deadline, _)| deadline > now) {
            return;
        }
        timers.retain(|&pid, (deadline, interval)| {
            if *deadline > now {
                return true;
            }
            due.push(pid);
            if *interval == 0 {
                return false;
            }
            while *deadline <= now {
                *deadline += *interval;
            }
            true
        });
    }
    for pid in due {
        if let Some(process) = lookup(pid) {
            // Linux sends the itimer's SIGALRM as a kernel signal (SI_KERNEL).
            send_process(&process, SIGALRM, kernel_info(SIGALRM));
        }
    }
}

/// Forgets an exiting process's timer.
pub fn exit_cleanup(pid: Pid) {
    TIMERS.lock().remove(&pid);
}

/// Whether the sender may signal `target` (kill(2)'s permission rule): root, or a real or
/// effective user id equal to the target's real or saved one; SIGCONT within a session.
pub fn may_signal(sender: &Arc<Process>, target: &Arc<Process>, sig: u32) -> bool {
    let me = sender.inner().creds;
    let them = target.inner().creds;
    let (_, my_sid) = sender.job();
    let (_, their_sid) = target.job();
    me.euid == 0
        || me.uid == them.uid
        || me.uid == them.suid
        || me.euid == them.uid
        || me.euid == them.suid
        || (sig == SIGCONT && my_sid == their_sid)
}

/// `kill(pid, sig)`: `pid > 0` one process, `0` the caller's group, `-1` every process the
/// caller may signal except init and itself, `< -1` group `-pid`. Signal 0 only checks.
pub fn kill(me: &Arc<Process>, pid: isize, sig: u32) -> Result<(), Errno> {
    if sig != 0 && !is_valid_signal(sig) {
        return Err(Errno::EINVAL);
    }
    let targets: Vec<Arc<Process>> = match pid {
        p if p > 0 => {
            let target = lookup(p as Pid).ok_or(Errno::ESRCH)?;
            if target.group.threads().is_empty() {
                // A zombie still exists for kill (Linux returns success, does nothing).
                return if may_signal(me, &target, sig) {
                    Ok(())
                } else {
                    Err(Errno::EPERM)
                };
            }
            alloc::vec![target]
        }
        0 => group_members(me.job().0),
        -1 => super::all()
            .into_iter()
            .filter(|p| p.is_leader() && p.pid != INIT_PID && p.pid != me.tgid && !p.inner().exited)
            .collect(),
        p => group_members((-p) as Pid),
    };
    if targets.is_empty() {
        return Err(Errno::ESRCH);
    }
    let uid = me.inner().creds.uid;
    let mut allowed = false;
    for target in targets {
        if !may_signal(me, &target, sig) {
            continue;
        }
        allowed = true;
        if sig != 0 {
            send_process(&target, sig, user_info(sig, SI_USER, me.tgid, uid));
        }
    }
    if allowed { Ok(()) } else { Err(Errno::EPERM) }
}
