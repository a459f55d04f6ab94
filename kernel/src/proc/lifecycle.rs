//! The life of a process (concepts P3, P5): the first process, fork, exec, exit, wait,
//! kill, sleep.
//!
//! Each process's kernel thread starts in [`thread_main`], takes its [`UserState`] and runs
//! it ([`super::user::run`]) until the program exits or is killed; then [`exit`] makes it a
//! zombie, hands its children to init and wakes its parent, which reaps it in [`wait`].

use super::wait_queue::WaitQueue;
use super::{
    Credentials, INIT_PID, Pid, Process, Setup, State, UserState, lookup, sched, signal, user,
};
use crate::fs::fdtable::FdTable;
use crate::fs::file::{Object, OpenFile};
use crate::fs::{self, FileType, Inode};
use crate::{console, exec, time};
use abi::errno::Errno;
use abi::fs::O_RDWR;
use abi::signal::{CLD_DUMPED, CLD_EXITED, CLD_KILLED};
use abi::wait::{self as wait_abi, WCONTINUED, WNOHANG, WNOWAIT, WUNTRACED};
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, Ordering};

/// Processes sleeping in `nanosleep`, keyed by their deadline (monotonic ns).
pub static SLEEPERS: WaitQueue = WaitQueue::new();

static TEST_MODE: AtomicBool = AtomicBool::new(false);

/// The contents of the program file at `path` (resolved from `cwd`), after checking that it
/// is a regular file the caller may execute.
pub fn read_program(
    cwd: &Arc<dyn Inode>,
    path: &str,
    creds: Credentials,
) -> Result<Vec<u8>, Errno> {
    let inode = fs::resolve(cwd, path, true)?;
    let meta = inode.metadata()?;
    if meta.kind != FileType::Regular {
        return Err(Errno::EACCES);
    }
    fs::check_access(&meta, creds, fs::Access::Execute)?;
    let mut data = alloc::vec![0; meta.size as usize];
    let mut done = 0;
    while done < data.len() {
        let count = inode.read_at(done as u64, &mut data[done..])?;
        if count == 0 {
            break;
        }
        done += count;
    }
    data.truncate(done);
    Ok(data)
}

/// The last component of a path (the process name).
fn base_name(path: &str) -> String {
    String::from(path.rsplit('/').next().unwrap_or(path))
}

/// Creates init (pid 1) from `path`, with the console as descriptors 0, 1 and 2, and makes
/// it runnable. In test mode init gets `--test`, and its exit powers the machine off with
/// its status.
pub fn spawn_init(path: &str, test_mode: bool) -> Result<(), Errno> {
    TEST_MODE.store(test_mode, Ordering::Relaxed);
    let root = fs::root();
    let file = read_program(&root, path, Credentials::default())?;
    let argv: Vec<&[u8]> = if test_mode {
        alloc::vec![path.as_bytes(), b"--test"]
    } else {
        alloc::vec![path.as_bytes()]
    };
    let envp: [&[u8]; 2] = [b"PATH=/bin", b"HOME=/"];
    let user = exec::load(path, &file, &argv, &envp)?;
    let mut files = FdTable::new();
    let console = OpenFile::new(Object::Inode(fs::devfs::console()), O_RDWR);
    for _ in 0..3 {
        files.insert(console.clone(), false)?;
    }
    let init = super::create(Setup {
        sched_params: ::sched::TaskParams::default(),
        name: base_name(path),
        parent: 0,
        creds: Credentials::default(),
        affinity: u64::MAX,
        user,
        files,
        cwd: root,
        umask: 0o022,
        pgid: 0,
        sid: 0,
        handlers: signal::new_handlers(),
        blocked: 0,
    })?;
    assert_eq!(init.pid, INIT_PID, "init must be the first process");
    sched::start(&init);
    Ok(())
}

/// Where every process's kernel thread begins.
pub fn thread_main() -> ! {
    let me = sched::current().expect("a process thread runs as the current process");
    let mut state = me
        .start
        .lock()
        .take()
        .expect("the user state is handed over once");
    let status = user::run(&me, &mut state);
    drop(state);
    exit(me, status)
}

/// `fork`: a child with a copy of the caller's memory (shared copy-on-write) and registers,
/// returning 0 in the child. `setup` adjusts the child's user half before it can run (clone's flags) and
/// returns its `clear_child_tid` address. `EAGAIN` when the process table is full, `ENOMEM`
/// without memory.
pub fn fork(
    me: &Arc<Process>,
    user: &mut UserState,
    setup: impl FnOnce(&mut UserState, Pid) -> Result<usize, Errno>,
) -> Result<Pid, Errno> {
    let space = user.space.duplicate()?;
    let mut ctx = user.ctx.duplicate();
    ctx.regs[hal::trap::reg::A0] = 0;
    let (name, creds, sched_params, pgid, sid) = {
        let inner = me.inner();
        (
            inner.name.clone(),
            inner.creds,
            inner.sched_params,
            inner.pgid,
            inner.sid,
        )
    };
    let handlers = Arc::new(hal::sync::SpinLock::new("sighand", *me.handlers.lock()));
    let child = super::create(Setup {
        sched_params,
        name,
        parent: me.pid,
        creds,
        affinity: me.affinity.load(Ordering::Relaxed),
        user: UserState {
            space,
            ctx,
            heap_start: user.heap_start,
            brk: user.brk,
        },
        files: me.files.lock().clone(),
        cwd: me.cwd.lock().clone(),
        umask: me.umask.load(Ordering::Relaxed),
        pgid,
        sid,
        handlers,
        blocked: me.blocked_signals(),
    })?;
    let clear_child_tid = {
        let mut start = child.start.lock();
        let child_user = start.as_mut().expect("a new process has its user state");
        setup(child_user, child.pid)
    };
    match clear_child_tid {
        Ok(address) => child.inner().clear_child_tid = address,
        Err(errno) => {
            discard_new(&child);
            return Err(errno);
        }
    }
    sched::set_params(child.pid, sched_params);
    sched::start(&child);
    Ok(child.pid)
}

/// Undoes `create` for a child that never ran.
fn discard_new(child: &Arc<Process>) {
    let parent = child.inner().parent;
    if let Some(parent) = lookup(parent) {
        parent.inner().children.retain(|&c| c != child.pid);
    }
    super::remove(child.pid);
}

/// `execve`: replaces the caller's program; on error the caller continues unchanged.
/// Descriptors marked close-on-exec are closed.
pub fn exec(
    me: &Arc<Process>,
    user: &mut UserState,
    path: &str,
    argv: &[&[u8]],
    envp: &[&[u8]],
) -> Result<(), Errno> {
    let cwd = me.cwd.lock().clone();
    let creds = me.inner().creds;
    let file = read_program(&cwd, path, creds)?;
    *user = exec::load(path, &file, argv, envp)?;
    {
        let mut inner = me.inner();
        inner.name = base_name(path);
        inner.did_exec = true;
    }
    signal::reset_for_exec(me);
    let closed = me.files.lock().close_on_exec();
    drop(closed);
    Ok(())
}

/// Ends the calling process with wait status `status`: it becomes a zombie, its children go
/// to init, its parent is woken. Never returns. Takes the caller's reference: this thread's
/// stack is never unwound, so a reference left on it would keep the process alive forever.
pub fn exit(me: Arc<Process>, status: i32) -> ! {
    if me.pid == INIT_PID {
        init_exited(status);
    }
    let files = me.files.lock().take_all();
    drop(files);
    let files = me.files.lock().take_all();
    drop(files);
    signal::exit_cleanup(me.pid);
    // System V semaphores (concept I7): apply this process's SEM_UNDO adjustments.
    crate::ipc::sem::exit(me.pid);
    console::process_exited(me.pid);
    let children = core::mem::take(&mut me.inner().children);
    let init = lookup(INIT_PID).expect("init exists while other processes do");
    let mut orphaned_zombie = false;
    for pid in children {
        if let Some(child) = lookup(pid) {
            let mut inner = child.inner();
            inner.parent = INIT_PID;
            orphaned_zombie |= inner.state == State::Zombie;
        }
        init.inner().children.push(pid);
    }
    // A parent that ignores SIGCHLD (or set SA_NOCLDWAIT) will never wait for this status:
    // the zombie is released at once (Linux's rule). Decided with the state change, so the
    // parent's wait4 never sees a reapable zombie.
    let parent_now = me.inner().parent;
    let discarding_parent = lookup(parent_now)
        .filter(|p| parent_now != INIT_PID && signal::parent_discards_children(p));
    let parent = {
        let mut inner = me.inner();
        inner.exit_status = status;
        // Charge the final stint now, so a parent that reaps at once sees all of it.
        let now = time::monotonic_ns();
        inner.acct.cpu_ns += now.saturating_sub(inner.acct.running_since_ns);
        inner.acct.finish_ns = Some(now);
        inner.release_on_switch = discarding_parent.is_some();
        me.set_state(&mut inner, State::Zombie);
        inner.parent
    };
    if orphaned_zombie {
        init.child_exit.wake_all();
    }
    let (code, child_status) = match wait_abi::WaitStatus::decode(status) {
        Some(wait_abi::WaitStatus::Exited(code)) => (CLD_EXITED, i32::from(code)),
        Some(wait_abi::WaitStatus::Signaled { sig, core: true }) => (CLD_DUMPED, sig as i32),
        Some(wait_abi::WaitStatus::Signaled { sig, .. }) => (CLD_KILLED, sig as i32),
        _ => (CLD_EXITED, 0),
    };
    match discarding_parent {
        Some(parent_process) => {
            // Out of the table first (this hart's scheduler still holds it until the switch
            // below is done; it leaves the scheduling policy once off the hart), then out of
            // the parent's children: a parent looking in between finds no such child. Its
            // wait4 ends with ECHILD once no children are left.
            super::remove(me.pid);
            parent_process.inner().children.retain(|&c| c != me.pid);
            parent_process.child_exit.wake_all();
        }
        None => signal::notify_parent(parent, me.pid, code, child_status),
    }
    // The table (until the parent reaps) and this hart's scheduler (until the switch below
    // completes) still hold the process, so its stack outlives the switch.
    drop(me);
    hal::context::yield_now();
    unreachable!("a zombie never runs again");
}

fn init_exited(status: i32) -> ! {
    if TEST_MODE.load(Ordering::Relaxed) {
        let success =
            abi::wait::WaitStatus::decode(status) == Some(abi::wait::WaitStatus::Exited(0));
        console::println!("init finished the tests: {}", describe_status(status));
        fs::sync_all();
        crate::power::power_off(success)
    }
    panic!("init exited ({})", describe_status(status));
}

/// Which children `wait4`'s pid argument selects: `> 0` that child, `-1` any, `0` those in
/// the caller's group, `< -1` those in group `-pid`.
fn selects(pid_arg: isize, my_pgid: Pid, child: &Process) -> bool {
    match pid_arg {
        -1 => true,
        0 => child.inner().pgid == my_pgid,
        p if p > 0 => p as Pid == child.pid,
        p => child.inner().pgid == (-p) as Pid,
    }
}

enum Found {
    NoChild,
    Zombie(Pid),
    /// A stop or continue to report (pid, wait status).
    Changed(Pid, i32),
    Running,
}

fn find_child(me: &Process, pid_arg: isize, options: i32) -> Found {
    let (children, my_pgid) = {
        let inner = me.inner();
        (inner.children.clone(), inner.pgid)
    };
    let mut any = false;
    for pid in children {
        let Some(child) = lookup(pid) else { continue };
        if !selects(pid_arg, my_pgid, &child) {
            continue;
        }
        any = true;
        let mut inner = child.inner();
        // A zombie being released (its parent ignores SIGCHLD) is not reapable: wait for
        // it to leave.
        if inner.state == State::Zombie && !inner.release_on_switch {
            return Found::Zombie(pid);
        }
        if options & WUNTRACED != 0
            && let Some(sig) = inner.stop_report
        {
            if options & WNOWAIT == 0 {
                inner.stop_report = None;
            }
            return Found::Changed(pid, wait_abi::stopped(sig));
        }
        if options & WCONTINUED != 0 && inner.continued_report {
            if options & WNOWAIT == 0 {
                inner.continued_report = false;
            }
            return Found::Changed(pid, wait_abi::CONTINUED);
        }
    }
    if any { Found::Running } else { Found::NoChild }
}

/// A child reaped by [`wait`]: its pid, wait status and CPU times (its own plus its
/// reaped children's).
pub struct Reaped {
    pub pid: Pid,
    pub status: i32,
    pub user_ns: u64,
    pub cpu_ns: u64,
}

/// `wait4`'s core: waits for a child selected by `pid_arg` to end and reaps it.
/// `Ok(None)` with `WNOHANG` when none has ended yet; `ECHILD` with no such child.
pub fn wait(me: &Arc<Process>, pid_arg: isize, options: i32) -> Result<Option<Reaped>, Errno> {
    let mut found = Found::Running;
    me.child_exit.wait_until(me, 0, || {
        found = find_child(me, pid_arg, options);
        !matches!(found, Found::Running) || options & WNOHANG != 0
    })?;
    let pid = match found {
        Found::NoChild => return Err(Errno::ECHILD),
        Found::Running => return Ok(None),
        Found::Changed(pid, status) => {
            return Ok(Some(Reaped {
                pid,
                status,
                user_ns: 0,
                cpu_ns: 0,
            }));
        }
        Found::Zombie(pid) => pid,
    };
    let child = lookup(pid).ok_or(Errno::ECHILD)?;
    let (status, cpu, user) = {
        let inner = child.inner();
        let acct = inner.acct;
        (
            inner.exit_status,
            acct.cpu_ns + acct.children_cpu_ns,
            child.user_ns() + acct.children_user_ns,
        )
    };
    {
        let mut inner = me.inner();
        inner.children.retain(|&c| c != pid);
        inner.acct.children_cpu_ns += cpu;
        inner.acct.children_user_ns += user;
    }
    super::remove(pid);
    sched::forget(pid);
    {
        let acct = child.inner().acct;
        let finish = acct.finish_ns.unwrap_or(acct.arrival_ns);
        let response = acct.first_run_ns.map_or(0, |t| t - acct.arrival_ns);
        let turnaround = finish - acct.arrival_ns;
        sched::record_finished(response, turnaround, turnaround.saturating_sub(acct.cpu_ns));
    }
    Ok(Some(Reaped {
        pid,
        status,
        user_ns: user,
        cpu_ns: cpu,
    }))
}

/// Sleeps until the monotonic clock reaches `deadline`; `EINTR` if a signal arrives.
pub fn sleep_until(me: &Arc<Process>, deadline: u64) -> Result<(), Errno> {
    SLEEPERS.wait_until(me, deadline, || time::monotonic_ns() >= deadline)
}

/// "exited with status N" / "killed by SIGSEGV", for logs.
pub fn describe_status(status: i32) -> String {
    use abi::wait::WaitStatus;
    match WaitStatus::decode(status) {
        Some(WaitStatus::Exited(code)) => alloc::format!("exited with status {code}"),
        Some(WaitStatus::Signaled { sig, .. }) => {
            alloc::format!(
                "killed by {}",
                abi::signal::signal_name(sig).unwrap_or("an unknown signal")
            )
        }
        _ => alloc::format!("wait status {status:#x}"),
    }
}
