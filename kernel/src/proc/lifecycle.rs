//! The life of a process (concepts P3, P5, T1): the first process, fork and thread
//! creation (`clone`), exec, exit, wait, sleep.
//!
//! Each task's kernel thread starts in [`thread_main`], takes its [`UserState`] and runs it
//! ([`super::user::run`]) until the thread exits or is killed; then [`exit`] ends the
//! thread. When the last thread of a process ends, the process ends: its leader becomes a
//! zombie, its children go to init and its parent is woken, to reap it in [`wait`].

use super::wait_queue::WaitQueue;
use super::{
    Credentials, FsContext, INIT_PID, Pid, Process, Setup, State, UserState, lookup, sched, signal,
    user,
};
use crate::fs::fdtable::FdTable;
use crate::fs::file::{Object, OpenFile};
use crate::fs::{self, FileType, Inode};
use crate::mm::SharedSpace;
use crate::{console, exec, time};
use abi::errno::Errno;
use abi::fs::O_RDWR;
use abi::process::{CLONE_FILES, CLONE_FS, CLONE_PARENT, CLONE_SIGHAND, CLONE_THREAD, CLONE_VM};
use abi::signal::{CLD_DUMPED, CLD_EXITED, CLD_KILLED};
use abi::wait::{self as wait_abi, WCONTINUED, WNOHANG, WNOWAIT, WUNTRACED};
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, Ordering};

/// Processes sleeping in `nanosleep`, keyed by their deadline (monotonic ns).
pub static SLEEPERS: WaitQueue = WaitQueue::new();

static TEST_MODE: AtomicBool = AtomicBool::new(false);

/// The program file at `path` (resolved from `cwd`) and its size, after checking that it
/// is a regular file the caller may execute.
pub fn open_program(
    cwd: &Arc<dyn Inode>,
    path: &str,
    creds: Credentials,
) -> Result<(Arc<dyn Inode>, usize), Errno> {
    let inode = fs::resolve(cwd, path, true)?;
    let meta = inode.metadata()?;
    if meta.kind != FileType::Regular {
        return Err(Errno::EACCES);
    }
    fs::check_access(&meta, creds, fs::Access::Execute)?;
    Ok((inode, meta.size as usize))
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
    let (program, size) = open_program(&root, path, Credentials::default())?;
    let argv: Vec<&[u8]> = if test_mode {
        alloc::vec![path.as_bytes(), b"--test"]
    } else {
        alloc::vec![path.as_bytes()]
    };
    let envp: [&[u8]; 2] = [b"PATH=/bin", b"HOME=/"];
    let user = exec::load(path, &program, size, &argv, &envp)?;
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
        files: Arc::new(hal::sync::SpinLock::new("fd-table", files)),
        fs: FsContext::new(root, 0o022),
        group: None,
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

/// `clone`'s core: a new task that starts as a copy of the caller's registers, returning 0
/// in the child. `flags` say what it shares with the caller instead of copying: memory
/// (`CLONE_VM`; otherwise a copy-on-write duplicate, i.e. `fork`), descriptors
/// (`CLONE_FILES`), working directory and umask (`CLONE_FS`), signal handlers
/// (`CLONE_SIGHAND`), and the process itself (`CLONE_THREAD`: a thread of the caller's
/// process rather than a child process). `setup` adjusts the child's user half before it
/// can run and returns its `clear_child_tid` address. `EAGAIN` when the task table is full
/// (or the process is exiting), `ENOMEM` without memory.
pub fn clone(
    me: &Arc<Process>,
    user: &mut UserState,
    flags: u64,
    setup: impl FnOnce(&mut UserState, Pid) -> Result<usize, Errno>,
) -> Result<Pid, Errno> {
    let space = if flags & CLONE_VM != 0 {
        user.space.clone()
    } else {
        SharedSpace::new(user.space.lock().duplicate()?)
    };
    let mut ctx = user.ctx.duplicate();
    ctx.regs[hal::trap::reg::A0] = 0;
    let leader = me.leader();
    let (name, creds, sched_params) = {
        let inner = me.inner();
        (inner.name.clone(), inner.creds, inner.sched_params)
    };
    let (pgid, sid, grandparent) = {
        let inner = leader.inner();
        (inner.pgid, inner.sid, inner.parent)
    };
    let thread = flags & CLONE_THREAD != 0;
    let handlers = if flags & CLONE_SIGHAND != 0 {
        me.handlers.clone()
    } else {
        Arc::new(hal::sync::SpinLock::new("sighand", *me.handlers.lock()))
    };
    let files = if flags & CLONE_FILES != 0 {
        me.files()
    } else {
        Arc::new(hal::sync::SpinLock::new(
            "fd-table",
            me.files().lock().clone(),
        ))
    };
    let fs = if flags & CLONE_FS != 0 {
        me.fs.clone()
    } else {
        me.fs.duplicate()
    };
    let parent = if thread || flags & CLONE_PARENT != 0 {
        grandparent
    } else {
        me.tgid
    };
    let child = super::create(Setup {
        sched_params,
        name,
        parent,
        creds,
        affinity: me.affinity.load(Ordering::Relaxed),
        user: UserState { space, ctx },
        files,
        fs,
        group: thread.then(|| me.group.clone()),
        pgid,
        sid,
        handlers,
        blocked: me.blocked_signals(),
    })?;
    // Out of `proc-start` while `setup` runs: it copies to user memory, which may sleep.
    let mut child_user = child
        .start
        .lock()
        .take()
        .expect("a new task has its user state");
    let clear_child_tid = setup(&mut child_user, child.pid);
    *child.start.lock() = Some(child_user);
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
    if child.is_leader() {
        let parent = child.inner().parent;
        if let Some(parent) = lookup(parent) {
            parent.inner().children.retain(|&c| c != child.pid);
        }
    } else {
        child.group.leave(child.pid);
    }
    super::remove(child.pid);
    // Here, where sleeping is fine, rather than wherever the last reference goes.
    child.leave_memory();
}

/// `execve`: replaces the caller's program; on error the caller continues unchanged.
/// Descriptors marked close-on-exec are closed. In a multithreaded process the other threads
/// are ended first (once the new program is known to load) and the process keeps only the
/// caller; Lantern requires that to be the leader (Linux would hand the caller the leader's
/// pid): `EINVAL` from another thread.
pub fn exec(
    me: &Arc<Process>,
    user: &mut UserState,
    path: &str,
    argv: &[&[u8]],
    envp: &[&[u8]],
) -> Result<(), Errno> {
    if !me.is_leader() {
        return Err(Errno::EINVAL);
    }
    let cwd = me.fs.cwd.lock().clone();
    let creds = me.inner().creds;
    let (program, size) = open_program(&cwd, path, creds)?;
    let loaded = exec::load(path, &program, size, argv, envp)?;
    end_other_threads(me)?;
    *user = loaded;
    me.set_memory(user.space.clone());
    {
        let mut inner = me.inner();
        inner.name = base_name(path);
        inner.did_exec = true;
    }
    signal::reset_for_exec(me);
    // The descriptor table stops being shared with other processes (Linux's
    // unshare_files): close-on-exec must not close another process's descriptors.
    let files = me.files();
    let private = Arc::new(hal::sync::SpinLock::new("fd-table", files.lock().clone()));
    drop(files);
    let closed = private.lock().close_on_exec();
    drop(closed);
    *me.files.lock() = Some(private);
    Ok(())
}

/// Ends every thread of the caller's process but the caller and waits until they are gone.
/// `EAGAIN` when the process is already dying (the caller then dies too).
fn end_other_threads(me: &Arc<Process>) -> Result<(), Errno> {
    let group = &me.group;
    if group.threads().len() == 1 {
        return Ok(());
    }
    group.begin_exit(0, Some(me.pid));
    if group.must_exit(me.pid) {
        // Someone else started the group's exit first.
        return Err(Errno::EAGAIN);
    }
    for tid in group.threads() {
        if tid != me.pid
            && let Some(thread) = lookup(tid)
        {
            signal::kick(&thread);
        }
    }
    group
        .thread_exit
        .wait_uninterruptible(me, || group.threads().len() == 1);
    group.end_exec();
    Ok(())
}

/// Ends the calling thread with wait status `status` (`exit`; a fatal signal or
/// `exit_group` has already marked the whole group dying): the address `clear_child_tid`
/// names is zeroed and its futex woken; the thread's share of memory, descriptors and
/// handlers is dropped. The last thread ends the process ([`exit_process`]). Never returns.
/// Takes the caller's reference: this thread's stack is never unwound, so a reference left
/// on it would keep the task alive forever.
pub fn exit(me: Arc<Process>, status: i32) -> ! {
    clear_child_tid(&me);
    let files = me.files.lock().take();
    drop(files);
    me.leave_memory();
    crate::mm::shared::unload_this_hart();
    // Leaving the group and (unless last) becoming a zombie happen under `proc`, so the
    // last thread, ending the process on the leader's behalf, sees the leader's final state.
    let last = {
        let mut inner = me.inner();
        let last = me.group.leave(me.pid);
        if !last {
            // Other threads live on. A non-leader leaves no trace; the leader stays as a
            // zombie (with its own status) until the last thread ends the process.
            inner.exit_status = status;
            inner.acct.finish();
            inner.release_on_switch = !me.is_leader();
            me.set_state(&mut inner, State::Zombie);
        }
        last
    };
    me.group.thread_exit.wake_all();
    if !last {
        if !me.is_leader() {
            super::remove(me.pid);
        }
        drop(me);
        hal::context::yield_now();
        unreachable!("an exited thread never runs again");
    }
    let leader = me.leader();
    let status = if me.group.dying() {
        me.group.exit_status()
    } else if me.is_leader() {
        status
    } else {
        leader.inner().exit_status
    };
    if !me.is_leader() {
        // The last thread is not the leader: it leaves like any thread, and ends the
        // process on the (zombie) leader's behalf.
        let mut inner = me.inner();
        inner.acct.finish();
        inner.release_on_switch = true;
        me.set_state(&mut inner, State::Zombie);
        drop(inner);
        super::remove(me.pid);
    }
    exit_process(&leader, status);
    drop(leader);
    drop(me);
    hal::context::yield_now();
    unreachable!("a zombie never runs again");
}

/// CLONE_CHILD_CLEARTID / set_tid_address at thread exit: zero the word and wake one
/// futex waiter on it (a thread joining this one). Errors are ignored, as in Linux.
fn clear_child_tid(me: &Arc<Process>) {
    let address = core::mem::take(&mut me.inner().clear_child_tid);
    if address == 0 {
        return;
    }
    if let Some(space) = me.memory()
        && space.copy_out(address, &0u32.to_le_bytes()).is_ok()
    {
        let _ = super::futex::wake(&space, address, 1, u32::MAX, false);
    }
}

/// The end of a process (its last thread is gone): its leader becomes a zombie with wait
/// status `status`, its children go to init, its parent is told (or, if the parent
/// discards its children's statuses, the process is forgotten at once).
fn exit_process(leader: &Arc<Process>, status: i32) {
    if leader.pid == INIT_PID {
        init_exited(status);
    }
    signal::exit_cleanup(leader.pid);
    // System V semaphores (concept I7): apply this process's SEM_UNDO adjustments.
    crate::ipc::sem::exit(leader.pid);
    console::process_exited(leader.pid);
    let children = core::mem::take(&mut leader.inner().children);
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
    let parent_now = leader.inner().parent;
    let discarding_parent = lookup(parent_now)
        .filter(|p| parent_now != INIT_PID && signal::parent_discards_children(p));
    let parent = {
        let mut inner = leader.inner();
        inner.exit_status = status;
        if inner.state != State::Zombie {
            // Charge the final stint now, so a parent that reaps at once sees all of it.
            inner.acct.finish();
        }
        inner.release_on_switch = discarding_parent.is_some();
        inner.exited = true;
        leader.set_state(&mut inner, State::Zombie);
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
            // Out of the table first (a hart's scheduler still holds it until it is off
            // the hart; it leaves the scheduling policy then), then out of the parent's
            // children: a parent looking in between finds no such child. Its wait4 ends
            // with ECHILD once no children are left.
            super::remove(leader.pid);
            sched::forget(leader.pid);
            parent_process.inner().children.retain(|&c| c != leader.pid);
            parent_process.child_exit.wake_all();
        }
        None => signal::notify_parent(parent, leader.pid, code, child_status),
    }
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
        // it to leave. Nor is a leader whose other threads still run.
        if inner.state == State::Zombie && inner.exited && !inner.release_on_switch {
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
    // Any thread may wait for the process's children; they are the leader's.
    let leader = me.leader();
    let mut found = Found::Running;
    leader.child_exit.wait_until(me, 0, || {
        found = find_child(&leader, pid_arg, options);
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
        let mut inner = leader.inner();
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
