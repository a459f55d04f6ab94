//! Process and thread syscalls (concepts P3, T1, T2): clone (fork and threads), futex,
//! execve, wait4, exit, kill, brk, ids, uname, sched_yield, CPU affinity and resource
//! usage.

use crate::exec::{MAX_ARGS_SIZE, MAX_HEAP};
use crate::mm::user::{UserPtr, read_c_string, read_pointer_array};
use crate::proc::{Pid, Process, State, UserState, lifecycle, lookup, sched};
use crate::time;
use abi::errno::Errno;
use abi::futex::*;
use abi::process::{
    CLONE_CHILD_CLEARTID, CLONE_CHILD_SETTID, CLONE_DETACHED, CLONE_FILES, CLONE_FS, CLONE_PARENT,
    CLONE_PARENT_SETTID, CLONE_SETTLS, CLONE_SIGHAND, CLONE_SYSVSEM, CLONE_THREAD, CLONE_VM,
    CSIGNAL, RUSAGE_CHILDREN, RUSAGE_SELF, Rusage, SCHED_BATCH, SCHED_OTHER, SchedAttr, Utsname,
};
use abi::time::{Timeval, Tms};
use abi::wait::{self, WCONTINUED, WNOHANG, WUNTRACED};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;

/// Longest path `execve` accepts (Linux's PATH_MAX).
const PATH_MAX: usize = 4096;
/// `RUSAGE_THREAD`: the calling thread only.
const RUSAGE_THREAD: i32 = 1;

/// The wait status for `exit(code)`: only the low 8 bits of the code survive.
pub fn exit_status(code: usize) -> i32 {
    wait::exited(code as u8)
}

/// `clone(flags, newsp, parent_tid, tls, child_tid)`: a child process (`fork`: no sharing
/// flags) or a thread (`CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD`,
/// with a new stack `newsp`). Linux's consistency rules: `CLONE_THREAD` needs
/// `CLONE_SIGHAND`, which needs `CLONE_VM`; a thread has no exit signal. Namespaces, vfork
/// and the rest are `EINVAL`.
pub fn clone(
    me: &Arc<Process>,
    user: &mut UserState,
    flags: usize,
    new_sp: usize,
    parent_tid: usize,
    tls: usize,
    child_tid: usize,
) -> Result<usize, Errno> {
    let flags = flags as u64;
    let supported = CSIGNAL
        | CLONE_VM
        | CLONE_FS
        | CLONE_FILES
        | CLONE_SIGHAND
        | CLONE_THREAD
        | CLONE_SYSVSEM
        | CLONE_SETTLS
        | CLONE_PARENT
        | CLONE_PARENT_SETTID
        | CLONE_CHILD_SETTID
        | CLONE_CHILD_CLEARTID
        | CLONE_DETACHED;
    let thread = flags & CLONE_THREAD != 0;
    let consistent = (!thread || flags & CLONE_SIGHAND != 0)
        && (flags & CLONE_SIGHAND == 0 || flags & CLONE_VM != 0)
        && !(thread && flags & CSIGNAL != 0 && flags & CSIGNAL != 17);
    if flags & !supported != 0 || !consistent || (flags & CSIGNAL) > 64 {
        return Err(Errno::EINVAL);
    }
    if flags & CLONE_PARENT != 0 && me.tgid == crate::proc::INIT_PID {
        return Err(Errno::EINVAL);
    }
    // The parent's copy of the tid is written before the child can run (a new thread may
    // finish at once and clear that very word, as CLONE_CHILD_CLEARTID asks).
    let mut parent_space = user.space.clone();
    let pid = lifecycle::clone(me, user, flags, |child, pid| {
        if flags & CLONE_PARENT_SETTID != 0 {
            UserPtr::<u32>::new(parent_tid).write(&mut parent_space, &(pid as u32))?;
        }
        if new_sp != 0 {
            child.ctx.regs[hal::trap::reg::SP] = new_sp;
        }
        if flags & CLONE_SETTLS != 0 {
            child.ctx.regs[hal::trap::reg::TP] = tls;
        }
        if flags & CLONE_CHILD_SETTID != 0 {
            UserPtr::<u32>::new(child_tid).write(&mut child.space, &(pid as u32))?;
        }
        Ok(if flags & CLONE_CHILD_CLEARTID != 0 {
            child_tid
        } else {
            0
        })
    })?;
    Ok(pid)
}

/// `futex(uaddr, op, val, timeout_or_val2, uaddr2, val3)`: see [`crate::proc::futex`].
/// `FUTEX_WAIT`'s timeout is relative, `FUTEX_WAIT_BITSET`'s absolute (CLOCK_MONOTONIC, or
/// CLOCK_REALTIME with `FUTEX_CLOCK_REALTIME`). Other operations (PI, WAKE_OP) are `ENOSYS`.
#[allow(clippy::too_many_arguments)] // the system call's six arguments plus the caller
pub fn futex(
    me: &Arc<Process>,
    user: &mut UserState,
    addr: usize,
    op: usize,
    val: usize,
    timeout: usize,
    addr2: usize,
    val3: usize,
) -> Result<usize, Errno> {
    use crate::proc::futex;
    let op = op as u32;
    let private = op & FUTEX_PRIVATE_FLAG != 0;
    let command = op & FUTEX_CMD_MASK;
    let realtime = op & FUTEX_CLOCK_REALTIME != 0;
    if realtime && command != FUTEX_WAIT_BITSET && command != FUTEX_WAIT {
        return Err(Errno::ENOSYS);
    }
    let space = user.space.clone();
    match command {
        FUTEX_WAIT | FUTEX_WAIT_BITSET => {
            let bitset = if command == FUTEX_WAIT {
                FUTEX_BITSET_MATCH_ANY
            } else {
                val3 as u32
            };
            let deadline = if timeout == 0 {
                None
            } else {
                let limit = UserPtr::<abi::time::Timespec>::new(timeout).read(&mut user.space)?;
                let nanos = limit.to_nanos().ok_or(Errno::EINVAL)?;
                Some(if command == FUTEX_WAIT {
                    time::monotonic_ns().saturating_add(nanos)
                } else if realtime {
                    let now_real = time::realtime_ns();
                    time::monotonic_ns().saturating_add(nanos.saturating_sub(now_real))
                } else {
                    nanos
                })
            };
            futex::wait(me, &space, addr, val as u32, deadline, bitset, private).map(|()| 0)
        }
        FUTEX_WAKE => futex::wake(&space, addr, val, FUTEX_BITSET_MATCH_ANY, private),
        FUTEX_WAKE_BITSET => futex::wake(&space, addr, val, val3 as u32, private),
        FUTEX_REQUEUE | FUTEX_CMP_REQUEUE => {
            let (wake, moved) = (val as i32, timeout as i32);
            if wake < 0 || moved < 0 {
                return Err(Errno::EINVAL);
            }
            let expected = (command == FUTEX_CMP_REQUEUE).then_some(val3 as u32);
            futex::requeue(
                &space,
                addr,
                wake as usize,
                addr2,
                moved as usize,
                expected,
                private,
            )
        }
        _ => Err(Errno::ENOSYS),
    }
}

/// `execve(path, argv, envp)`.
pub fn execve(
    me: &Arc<Process>,
    user: &mut UserState,
    path: usize,
    argv: usize,
    envp: usize,
) -> Result<usize, Errno> {
    let path = read_c_string(&mut user.space, path, PATH_MAX, Errno::ENAMETOOLONG)?;
    let max_pointers = MAX_ARGS_SIZE / 8;
    // One budget for every string and pointer, so a call with many huge strings is refused
    // with E2BIG before the kernel has copied more than MAX_ARGS_SIZE bytes of them.
    let mut budget = MAX_ARGS_SIZE;
    let mut strings = |pointers: Vec<usize>,
                       space: &mut Arc<crate::mm::SharedSpace>|
     -> Result<Vec<Vec<u8>>, Errno> {
        pointers
            .into_iter()
            .map(|p| {
                let text = read_c_string(space, p, budget, Errno::E2BIG)?.into_bytes();
                budget = budget
                    .checked_sub(text.len() + 1 + core::mem::size_of::<usize>())
                    .ok_or(Errno::E2BIG)?;
                Ok(text)
            })
            .collect()
    };
    let argv_pointers = read_pointer_array(&mut user.space, argv, max_pointers)?;
    let argv = strings(argv_pointers, &mut user.space)?;
    let envp_pointers = read_pointer_array(&mut user.space, envp, max_pointers)?;
    let envp = strings(envp_pointers, &mut user.space)?;
    let argv: Vec<&[u8]> = argv.iter().map(Vec::as_slice).collect();
    let envp: Vec<&[u8]> = envp.iter().map(Vec::as_slice).collect();
    lifecycle::exec(me, user, &path, &argv, &envp)?;
    Ok(0)
}

/// `wait4(pid, status, options, rusage)`.
pub fn wait4(
    me: &Arc<Process>,
    user: &mut UserState,
    pid: usize,
    status: usize,
    options: usize,
    rusage: usize,
) -> Result<usize, Errno> {
    let options = options as u32 as i32;
    if options & !(WNOHANG | WUNTRACED | WCONTINUED) != 0 {
        return Err(Errno::EINVAL);
    }
    let Some(reaped) = lifecycle::wait(me, pid as isize, options)? else {
        return Ok(0);
    };
    // Like Linux, the child is reaped even if the status cannot be stored.
    if status != 0 {
        UserPtr::<i32>::new(status).write(&mut user.space, &reaped.status)?;
    }
    if rusage != 0 {
        let usage = rusage_of(reaped.user_ns, reaped.cpu_ns);
        UserPtr::<Rusage>::new(rusage).write(&mut user.space, &usage)?;
    }
    Ok(reaped.pid)
}

fn rusage_of(user_ns: u64, cpu_ns: u64) -> Rusage {
    Rusage {
        ru_utime: Timeval::from_micros(user_ns / 1000),
        ru_stime: Timeval::from_micros(cpu_ns.saturating_sub(user_ns) / 1000),
        ..Rusage::default()
    }
}

/// `set_tid_address(tidptr)`: remembered for thread exit; returns the caller's tid.
pub fn set_tid_address(me: &Arc<Process>, tidptr: usize) -> Result<usize, Errno> {
    me.inner().clear_child_tid = tidptr;
    Ok(me.pid)
}

/// `brk(addr)`: moves the program break. Linux semantics: returns the new break, or the
/// old one when the request is refused (0 just asks).
pub fn brk(user: &mut UserState, addr: usize) -> usize {
    let mut space = user.space.lock();
    let start = space.heap_start;
    let valid = addr >= start && addr - start <= MAX_HEAP;
    if valid && space.resize_heap(start, addr).is_ok() {
        space.brk = addr;
    }
    space.brk
}

/// `sched_yield()`: back of the run queue.
pub fn sched_yield(me: &Arc<Process>) -> Result<usize, Errno> {
    sched::yield_current(me, false);
    Ok(0)
}

/// `uname(buf)`.
pub fn uname(user: &mut UserState, buf: usize) -> Result<usize, Errno> {
    let name = Utsname {
        sysname: Utsname::field("Lantern"),
        nodename: Utsname::field("lantern"),
        release: Utsname::field(env!("CARGO_PKG_VERSION")),
        version: Utsname::field("#1 SMP"),
        machine: Utsname::field("riscv64"),
        domainname: Utsname::field("(none)"),
    };
    UserPtr::<Utsname>::new(buf).write(&mut user.space, &name)?;
    Ok(0)
}

/// `getcpu(cpu, node, cache)`: the hart the caller runs on (node 0).
pub fn getcpu(user: &mut UserState, cpu: usize, node: usize) -> Result<usize, Errno> {
    if cpu != 0 {
        UserPtr::<u32>::new(cpu).write(&mut user.space, &(hal::cpu::hart_id() as u32))?;
    }
    if node != 0 {
        UserPtr::<u32>::new(node).write(&mut user.space, &0)?;
    }
    Ok(0)
}

fn target(me: &Arc<Process>, pid: usize) -> Result<Arc<Process>, Errno> {
    match pid as i32 {
        0 => Ok(me.clone()),
        p if p > 0 => lookup(p as Pid)
            .filter(|p| p.inner().state != State::Zombie)
            .ok_or(Errno::ESRCH),
        _ => Err(Errno::EINVAL),
    }
}

/// `sched_setaffinity(pid, len, mask)`: the harts the process may run on.
pub fn sched_setaffinity(
    me: &Arc<Process>,
    user: &mut UserState,
    pid: usize,
    len: usize,
    mask: usize,
) -> Result<usize, Errno> {
    if len < 8 {
        return Err(Errno::EINVAL);
    }
    let process = target(me, pid)?;
    let wanted = UserPtr::<u64>::new(mask).read(&mut user.space)? & sched::online_harts();
    if wanted == 0 {
        return Err(Errno::EINVAL);
    }
    process.affinity.store(wanted, Ordering::Relaxed);
    if Arc::ptr_eq(&process, me) && wanted & (1 << hal::cpu::hart_id()) == 0 {
        sched::yield_current(me, false);
    }
    Ok(0)
}

/// `sched_getaffinity(pid, len, mask)`: returns the size of the mask written (8 bytes).
pub fn sched_getaffinity(
    me: &Arc<Process>,
    user: &mut UserState,
    pid: usize,
    len: usize,
    mask: usize,
) -> Result<usize, Errno> {
    if len < 8 {
        return Err(Errno::EINVAL);
    }
    let allowed = target(me, pid)?.affinity.load(Ordering::Relaxed) & sched::online_harts();
    UserPtr::<u64>::new(mask).write(&mut user.space, &allowed)?;
    Ok(8)
}

fn own_times(me: &Process) -> (u64, u64, u64, u64) {
    let inner = me.inner();
    let cpu = inner.acct.cpu_ns_now(inner.state == State::Running);
    let user = me.user_ns().min(cpu);
    (
        user,
        cpu,
        inner.acct.children_user_ns,
        inner.acct.children_cpu_ns,
    )
}

/// `getrusage(who, usage)`: CPU times of the caller or of its reaped children.
pub fn getrusage(
    me: &Arc<Process>,
    user: &mut UserState,
    who: usize,
    usage: usize,
) -> Result<usize, Errno> {
    let (own_user, own_cpu, child_user, child_cpu) = own_times(me);
    let usage_value = match who as i32 {
        RUSAGE_SELF | RUSAGE_THREAD => rusage_of(own_user, own_cpu),
        RUSAGE_CHILDREN => rusage_of(child_user, child_cpu),
        _ => return Err(Errno::EINVAL),
    };
    UserPtr::<Rusage>::new(usage).write(&mut user.space, &usage_value)?;
    Ok(0)
}

/// `times(buf)`: CPU times in clock ticks; returns ticks since boot.
pub fn times(me: &Arc<Process>, user: &mut UserState, buf: usize) -> Result<usize, Errno> {
    let (own_user, own_cpu, child_user, child_cpu) = own_times(me);
    let ticks = |ns: u64| (ns / (1_000_000_000 / time::HZ)) as i64;
    if buf != 0 {
        let value = Tms {
            tms_utime: ticks(own_user),
            tms_stime: ticks(own_cpu - own_user),
            tms_cutime: ticks(child_user),
            tms_cstime: ticks(child_cpu.saturating_sub(child_user)),
        };
        UserPtr::<Tms>::new(buf).write(&mut user.space, &value)?;
    }
    Ok(time::ticks() as usize)
}

/// `setpriority(which, who, nice)`: only PRIO_PROCESS (0). Lowering nice needs root.
pub fn setpriority(
    me: &Arc<Process>,
    which: usize,
    who: usize,
    nice: usize,
) -> Result<usize, Errno> {
    if which != 0 {
        return Err(Errno::EINVAL);
    }
    let process = target(me, who)?;
    let nice = (nice as i32).clamp(-20, 19) as i8;
    let params = {
        let caller = me.inner().creds;
        let mut inner = process.inner();
        if caller.euid != 0 && caller.euid != inner.creds.uid {
            return Err(Errno::EPERM);
        }
        if nice < inner.sched_params.nice && caller.euid != 0 {
            return Err(Errno::EACCES);
        }
        inner.sched_params.nice = nice;
        inner.sched_params
    };
    sched::set_params(process.pid, params);
    Ok(0)
}

/// `getpriority(which, who)`: Linux's encoding, 20 - nice (so the result is never negative).
pub fn getpriority(me: &Arc<Process>, which: usize, who: usize) -> Result<usize, Errno> {
    if which != 0 {
        return Err(Errno::EINVAL);
    }
    let nice = target(me, who)?.inner().sched_params.nice;
    Ok((20 - nice as i32) as usize)
}

/// `sched_setattr(pid, attr, flags)`: Lantern's policy is system-wide, so only the
/// per-process parameters are taken: `sched_nice` as nice, `sched_runtime` (ns) as the
/// expected run time SJF and STCF use, and a non-zero `sched_priority` as lottery/stride
/// tickets. The class must be SCHED_OTHER or SCHED_BATCH.
pub fn sched_setattr(
    me: &Arc<Process>,
    user: &mut UserState,
    pid: usize,
    attr: usize,
    flags: usize,
) -> Result<usize, Errno> {
    if flags != 0 {
        return Err(Errno::EINVAL);
    }
    let attr = UserPtr::<SchedAttr>::new(attr).read(&mut user.space)?;
    if (attr.size as usize) < SchedAttr::SIZE
        || !matches!(attr.sched_policy, SCHED_OTHER | SCHED_BATCH)
        || attr.sched_flags != 0
    {
        return Err(Errno::EINVAL);
    }
    let process = target(me, pid)?;
    let nice = attr.sched_nice.clamp(-20, 19) as i8;
    let params = {
        let caller = me.inner().creds;
        let mut inner = process.inner();
        if caller.euid != 0 && (caller.euid != inner.creds.uid || nice < inner.sched_params.nice) {
            return Err(Errno::EPERM);
        }
        inner.sched_params.nice = nice;
        if attr.sched_priority != 0 {
            inner.sched_params.tickets = attr.sched_priority;
        }
        inner.sched_params.expected = (attr.sched_runtime != 0)
            .then(|| attr.sched_runtime.div_ceil(1_000_000_000 / time::HZ));
        inner.sched_params
    };
    sched::set_params(process.pid, params);
    Ok(0)
}

/// `sched_getattr(pid, attr, size, flags)`: the parameters `sched_setattr` sets.
pub fn sched_getattr(
    me: &Arc<Process>,
    user: &mut UserState,
    pid: usize,
    attr: usize,
    size: usize,
    flags: usize,
) -> Result<usize, Errno> {
    if flags != 0 || size < SchedAttr::SIZE {
        return Err(Errno::EINVAL);
    }
    let params = target(me, pid)?.inner().sched_params;
    let value = SchedAttr {
        size: SchedAttr::SIZE as u32,
        sched_policy: SCHED_OTHER,
        sched_nice: params.nice as i32,
        sched_priority: params.tickets,
        sched_runtime: params
            .expected
            .map_or(0, |ticks| ticks * (1_000_000_000 / time::HZ)),
        ..SchedAttr::default()
    };
    UserPtr::<SchedAttr>::new(attr).write(&mut user.space, &value)?;
    Ok(0)
}
