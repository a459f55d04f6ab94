//! Processes and threads (concepts P1, P2, P5, T1): the control block, the process table and
//! every state transition.
//!
//! Like Linux, Lantern schedules *tasks*: a [`Process`] is one thread of control, and a
//! process in the textbook sense is a thread group — the tasks that share a [`ThreadGroup`]
//! (made by `clone(CLONE_THREAD)`). The first task is the group leader; its pid is the
//! group's id (`tgid`, what `getpid` returns), the others' pids are their thread ids. Family,
//! process group, session and the exit status a parent collects belong to the leader (see
//! [`Process::leader`]); a non-leader leaves no zombie.
//!
//! A [`Process`] is shared (`Arc`) between the table, its parent's bookkeeping, run queues
//! and wait queues. Its parts and their protection:
//! - `pid`, `tgid`, `thread` (kernel stack + saved kernel registers): immutable / the
//!   switch protocol in `hal::context`.
//! - `inner` (`proc` lock): state, family, credentials, accounting, name.
//! - `pending`: signals sent to this thread and not yet acted on (atomic bits); signals
//!   sent to the whole process wait in the group's `pending`.
//! - Shared between threads as `clone`'s flags say: the address space
//!   ([`crate::mm::SharedSpace`], CLONE_VM), the descriptor table (CLONE_FILES), the working
//!   directory and umask ([`FsContext`], CLONE_FS), the signal handlers (CLONE_SIGHAND).
//! - The user registers ([`UserState`]) belong to the thread's own kernel thread: they live
//!   on its stack (see [`lifecycle`]), so no other hart touches them.
//!
//! States (P2): `New -> Ready <-> Running -> Blocked -> Ready ...`, `Running -> Zombie`, and
//! the zombie is reaped by its parent (or by init if orphaned). Every transition goes
//! through [`Process::set_state`], the one place a trace would hook.
//!
//! Lock order (see lock_order.rs): wait-queue -> `process-table` -> `proc` -> `run-queue`.

pub mod futex;
pub mod lifecycle;
pub mod sched;
pub mod signal;
pub mod sleep_lock;
pub mod user;
pub mod wait_queue;

use crate::fs::Inode;
use crate::fs::fdtable::FdTable;
use crate::mm::SharedSpace;
use crate::mm::shared::MemoryUser;
use crate::time;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, AtomicU64, Ordering};
use hal::context::Thread;
use hal::sync::SpinLock;
use hal::trap::UserContext;
use wait_queue::WaitQueue;

/// A process id.
pub type Pid = usize;

/// The most processes that may exist at once (zombies included); `fork` fails with EAGAIN
/// beyond it.
pub const MAX_PROCESSES: usize = 256;
/// Pids are handed out cyclically from 1 up to this bound, skipping ones in use.
const PID_MAX: Pid = 32768;
/// The pid of init, which adopts orphans.
pub const INIT_PID: Pid = 1;

/// Scheduling state of a process (concept P2).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum State {
    /// Being built by fork or at boot; not yet runnable.
    New,
    /// Runnable, waiting in a run queue.
    Ready,
    /// On a hart.
    Running,
    /// Waiting for an event (child exit, timer, input).
    Blocked,
    /// Stopped by a stop signal (SIGSTOP, SIGTSTP, ...) until SIGCONT.
    Stopped,
    /// Exited; its exit status waits for the parent.
    Zombie,
}

impl State {
    /// The one-letter code `ps` shows (Linux's letters).
    pub fn letter(self) -> char {
        match self {
            State::New => 'N',
            State::Ready | State::Running => 'R',
            State::Blocked => 'S',
            State::Stopped => 'T',
            State::Zombie => 'Z',
        }
    }
}

/// Time accounting (concepts P1, S3, U2), in nanoseconds of the monotonic clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct Accounting {
    pub arrival_ns: u64,
    pub first_run_ns: Option<u64>,
    pub finish_ns: Option<u64>,
    /// Time on a hart, user and kernel together (user time: `Process::user_ns`).
    pub cpu_ns: u64,
    /// CPU time of reaped children (user, all).
    pub children_user_ns: u64,
    pub children_cpu_ns: u64,
    /// Switches away because the process blocked or yielded.
    pub voluntary_switches: u64,
    /// Switches away because the timer preempted it.
    pub involuntary_switches: u64,
    /// When the current stint on a hart began.
    pub running_since_ns: u64,
    /// Ticks used in the current stint (for the quantum).
    pub ticks_in_slice: u64,
}

impl Accounting {
    /// Charges the stint in progress and records the finish time (at exit: a parent that
    /// reaps at once must see all of the CPU time).
    pub fn finish(&mut self) {
        let now = time::monotonic_ns();
        self.cpu_ns += now.saturating_sub(self.running_since_ns);
        self.finish_ns = Some(now);
    }

    /// CPU time including the stint in progress.
    pub fn cpu_ns_now(&self, running: bool) -> u64 {
        let stint = if running {
            time::monotonic_ns().saturating_sub(self.running_since_ns)
        } else {
            0
        };
        self.cpu_ns + stint
    }
}

/// User and group ids (concept U1 starts here; everything runs as root for now).
#[derive(Clone, Copy, Debug, Default)]
pub struct Credentials {
    pub uid: u32,
    pub euid: u32,
    /// Saved set-user-id (what a non-root `setresuid` may switch back to).
    pub suid: u32,
    pub gid: u32,
    pub egid: u32,
    pub sgid: u32,
}

/// The part of the PCB under the `proc` lock.
pub struct Inner {
    pub state: State,
    pub name: String,
    pub parent: Pid,
    pub children: Vec<Pid>,
    /// Wait status (Linux encoding), once a zombie.
    pub exit_status: i32,
    pub creds: Credentials,
    /// The hart it runs or last ran on.
    pub hart: Option<usize>,
    /// Set by a yielding process: how to requeue it once it is off its hart.
    pub requeue: Option<sched::ReadyReason>,
    pub acct: Accounting,
    /// Address given to set_tid_address or CLONE_CHILD_CLEARTID: zeroed and futex-woken
    /// when the thread exits (how a joiner learns it is done).
    pub clear_child_tid: usize,
    /// Where in the kernel the process last went to sleep (like Linux's wchan).
    pub waiting_at: Option<&'static core::panic::Location<'static>>,
    /// What the scheduling policy weighs: nice, tickets, expected run time.
    pub sched_params: ::sched::TaskParams,
    /// Process group and session (job control).
    pub pgid: Pid,
    pub sid: Pid,
    /// Whether it has called execve since fork (setpgid on it then fails with EACCES).
    pub did_exec: bool,
    /// A stop (with its signal) not yet reported to the parent's wait4(WUNTRACED).
    pub stop_report: Option<u32>,
    /// A continue not yet reported to the parent's wait4(WCONTINUED).
    pub continued_report: bool,
    /// The whole process has exited (its last thread too): `exit_status` is final and a
    /// zombie leader may be reaped.
    pub exited: bool,
    /// An exited process nobody will reap (its parent ignores SIGCHLD): the scheduler
    /// forgets it once it is off its hart.
    pub release_on_switch: bool,
}

/// The user half of a thread: its registers, and the address space it runs in (shared
/// with the other threads of its process).
pub struct UserState {
    pub space: Arc<SharedSpace>,
    pub ctx: UserContext,
}

/// The working directory and file mode creation mask (shared by `CLONE_FS` threads).
pub struct FsContext {
    pub cwd: SpinLock<Arc<dyn Inode>>,
    pub umask: AtomicU32,
}

impl FsContext {
    pub fn new(cwd: Arc<dyn Inode>, umask: u32) -> Arc<FsContext> {
        Arc::new(FsContext {
            cwd: SpinLock::new("cwd", cwd),
            umask: AtomicU32::new(umask),
        })
    }

    /// A copy for a process that does not share it.
    pub fn duplicate(&self) -> Arc<FsContext> {
        FsContext::new(self.cwd.lock().clone(), self.umask.load(Ordering::Relaxed))
    }
}

/// A descriptor table, shared by `CLONE_FILES` threads.
pub type Files = SpinLock<FdTable>;

/// What the threads of one process share beyond memory, files and handlers: signals sent
/// to the process as a whole, and how the process ends (Linux's `signal_struct`).
pub struct ThreadGroup {
    /// The process id (the leader's pid).
    pub tgid: Pid,
    /// Process-directed pending signals (bit `sig - 1`): any thread not blocking one takes it.
    pub pending: AtomicU64,
    /// Their `siginfo` (`signal` lock).
    pub info: SpinLock<[abi::signal::SigInfo; 64]>,
    /// The live threads, leader first while it lives.
    threads: SpinLock<Vec<Pid>>,
    /// Set by `exit_group`, a fatal signal or `execve`: every other thread must leave.
    dying: AtomicBool,
    /// The group's wait status once `dying` (the leader's own status otherwise).
    exit_status: AtomicI32,
    /// The thread doing `execve` (it survives `dying`), or 0.
    exec_by: AtomicU64,
    /// A group stop is in force: threads stop as they notice it.
    pub stopping: AtomicBool,
    /// Woken whenever one of the threads exits.
    pub thread_exit: WaitQueue,
}

impl ThreadGroup {
    fn new(leader: Pid) -> Arc<ThreadGroup> {
        Arc::new(ThreadGroup {
            tgid: leader,
            pending: AtomicU64::new(0),
            info: SpinLock::new("signal", [abi::signal::SigInfo::default(); 64]),
            threads: SpinLock::new("thread-group", alloc::vec![leader]),
            dying: AtomicBool::new(false),
            exit_status: AtomicI32::new(0),
            exec_by: AtomicU64::new(0),
            stopping: AtomicBool::new(false),
            thread_exit: WaitQueue::new(),
        })
    }

    /// The live threads' ids.
    pub fn threads(&self) -> Vec<Pid> {
        self.threads.lock().clone()
    }

    /// Whether the group is being torn down (`exit_group`, a fatal signal, `execve`).
    pub fn dying(&self) -> bool {
        self.dying.load(Ordering::Acquire)
    }

    /// Whether thread `tid` must leave now (the group dies, and it is not the exec-er).
    pub fn must_exit(&self, tid: Pid) -> bool {
        self.dying() && self.exec_by.load(Ordering::Acquire) != tid as u64
    }

    /// Starts tearing the group down with wait status `status` (the first caller's status
    /// wins); `exec_by` names a thread that survives (`execve`). Returns the status in force.
    pub fn begin_exit(&self, status: i32, exec_by: Option<Pid>) -> i32 {
        let threads = self.threads.lock();
        if !self.dying.load(Ordering::Acquire) {
            self.exit_status.store(status, Ordering::Release);
            self.exec_by
                .store(exec_by.map_or(0, |t| t as u64), Ordering::Release);
            self.dying.store(true, Ordering::Release);
        }
        drop(threads);
        self.exit_status.load(Ordering::Acquire)
    }

    /// After `execve` has outlived its siblings: the group lives on.
    fn end_exec(&self) {
        self.exec_by.store(0, Ordering::Release);
        self.dying.store(false, Ordering::Release);
    }

    /// The wait status of a dying group.
    pub fn exit_status(&self) -> i32 {
        self.exit_status.load(Ordering::Acquire)
    }

    /// Adds a thread; `false` if the group is dying (the new thread must not start).
    fn join(&self, tid: Pid) -> bool {
        let mut threads = self.threads.lock();
        if self.dying.load(Ordering::Acquire) {
            return false;
        }
        threads.push(tid);
        true
    }

    /// Removes an exiting thread; true if it was the last.
    fn leave(&self, tid: Pid) -> bool {
        let mut threads = self.threads.lock();
        threads.retain(|&t| t != tid);
        threads.is_empty()
    }
}

/// A process control block (concept P1).
pub struct Process {
    /// The thread id (the process id too, for a group leader).
    pub pid: Pid,
    /// The thread group (process) id: the leader's pid.
    pub tgid: Pid,
    pub group: Arc<ThreadGroup>,
    pub thread: Thread,
    inner: SpinLock<Inner>,
    /// Pending signals (bit `sig - 1`).
    pub pending: AtomicU64,
    /// Blocked signals (bit `sig - 1`); never SIGKILL or SIGSTOP.
    pub blocked: AtomicU64,
    /// Pending signals' info, the alternate stack (`signal` lock).
    pub sig: SpinLock<signal::SigLocal>,
    /// Signal dispositions.
    pub handlers: Arc<signal::Handlers>,
    /// Of the CPU time, `time` CSR ticks spent in user mode.
    user_ticks: AtomicU64,
    /// Set by the timer when the quantum is used up.
    pub need_resched: AtomicBool,
    /// Harts the process may run on (bit h = hart h).
    pub affinity: AtomicU64,
    /// Where the parent sleeps in wait4 (woken when a child exits).
    pub child_exit: WaitQueue,
    /// Open file descriptors (`fd-table` lock; never held across I/O); `None` once the
    /// thread has exited.
    files: SpinLock<Option<Arc<Files>>>,
    /// Working directory and umask.
    pub fs: Arc<FsContext>,
    /// The address space, for observers (`/proc`); `None` once the thread has exited. The
    /// thread itself uses the one in its [`UserState`]; this one counts the thread as a user
    /// of the space, whose memory goes when the last user does.
    mm: SpinLock<Option<MemoryUser>>,
    /// The user half, handed to the thread the first time it runs.
    start: SpinLock<Option<UserState>>,
}

impl Process {
    /// Locks the PCB fields.
    pub fn inner(&self) -> hal::sync::SpinLockGuard<'_, Inner> {
        self.inner.lock()
    }

    /// Moves the process to `state`: the single place where states change.
    pub fn set_state(&self, inner: &mut Inner, state: State) {
        log::trace!("pid {}: {:?} -> {:?}", self.pid, inner.state, state);
        inner.state = state;
    }

    /// Time spent in user mode.
    pub fn user_ns(&self) -> u64 {
        time::ticks_to_ns(self.user_ticks.load(Ordering::Relaxed))
    }

    /// Pending signal bits (bit `sig - 1`).
    pub fn pending_signals(&self) -> u64 {
        self.pending.load(Ordering::Acquire)
    }

    /// Blocked signal bits (bit `sig - 1`).
    pub fn blocked_signals(&self) -> u64 {
        self.blocked.load(Ordering::Acquire)
    }

    /// Whether this thread leads its group (its pid is the process id).
    pub fn is_leader(&self) -> bool {
        self.pid == self.tgid
    }

    /// The group leader, which holds the process-wide state (family, process group,
    /// session, the exit status). It outlives the other threads: it is reaped only after
    /// all of them have exited.
    pub fn leader(self: &Arc<Self>) -> Arc<Process> {
        if self.is_leader() {
            return self.clone();
        }
        lookup(self.tgid).unwrap_or_else(|| self.clone())
    }

    /// The descriptor table (an empty one once the thread has exited).
    pub fn files(&self) -> Arc<Files> {
        self.files
            .lock()
            .clone()
            .unwrap_or_else(|| Arc::new(SpinLock::new("fd-table", FdTable::new())))
    }

    /// The address space, while the thread lives.
    pub fn memory(&self) -> Option<Arc<SharedSpace>> {
        self.mm.lock().as_ref().map(|user| user.space().clone())
    }

    /// Makes the thread a user of a new address space (after `execve`); the old one's
    /// memory is released if this was its last user. May sleep.
    pub fn set_memory(&self, space: Arc<SharedSpace>) {
        let old = self.mm.lock().replace(MemoryUser::new(space));
        drop(old);
    }

    /// Ends the thread's use of its address space (see [`Process::set_memory`]). May sleep.
    pub fn leave_memory(&self) {
        let old = self.mm.lock().take();
        drop(old);
    }

    /// Process group and session (the leader's).
    pub fn job(self: &Arc<Self>) -> (Pid, Pid) {
        let leader = self.leader();
        let inner = leader.inner();
        (inner.pgid, inner.sid)
    }
}

struct Table {
    processes: BTreeMap<Pid, Arc<Process>>,
    last_pid: Pid,
}

static TABLE: SpinLock<Table> = SpinLock::new(
    "process-table",
    Table {
        processes: BTreeMap::new(),
        last_pid: 0,
    },
);

/// The process with `pid`, if it exists (zombies included).
pub fn lookup(pid: Pid) -> Option<Arc<Process>> {
    TABLE.lock().processes.get(&pid).cloned()
}

/// Every process, in pid order.
pub fn all() -> Vec<Arc<Process>> {
    TABLE.lock().processes.values().cloned().collect()
}

/// Everything a new process starts with.
pub struct Setup {
    pub sched_params: ::sched::TaskParams,
    pub name: String,
    pub parent: Pid,
    pub creds: Credentials,
    pub affinity: u64,
    pub user: UserState,
    pub files: Arc<Files>,
    pub fs: Arc<FsContext>,
    /// The group to join (a thread), or `None` for a new process led by the new task.
    pub group: Option<Arc<ThreadGroup>>,
    /// Process group and session; 0 for "a new one named after the pid" (init).
    pub pgid: Pid,
    pub sid: Pid,
    /// Signal dispositions and mask (inherited across fork).
    pub handlers: Arc<signal::Handlers>,
    pub blocked: u64,
}

/// Creates a process in state `New` with a fresh pid; `EAGAIN` if the table is full,
/// `ENOMEM` if memory ran out for its kernel stack.
pub fn create(setup: Setup) -> Result<Arc<Process>, abi::errno::Errno> {
    let Setup {
        sched_params,
        name,
        parent,
        creds,
        affinity,
        user,
        files,
        fs,
        group,
        pgid,
        sid,
        handlers,
        blocked,
    } = setup;
    let thread = Thread::new(lifecycle::thread_main).map_err(|_| abi::errno::Errno::ENOMEM)?;
    let mut table = TABLE.lock();
    if table.processes.len() >= MAX_PROCESSES {
        return Err(abi::errno::Errno::EAGAIN);
    }
    let mut pid = table.last_pid;
    loop {
        pid = if pid >= PID_MAX { 1 } else { pid + 1 };
        if !table.processes.contains_key(&pid) {
            break;
        }
    }
    let (tgid, group) = match group {
        Some(group) => {
            if !group.join(pid) {
                return Err(abi::errno::Errno::EAGAIN);
            }
            (group.tgid, group)
        }
        None => (pid, ThreadGroup::new(pid)),
    };
    table.last_pid = pid;
    let now = time::monotonic_ns();
    let mm = user.space.clone();
    let process = Arc::new(Process {
        pid,
        tgid,
        group,
        thread,
        inner: SpinLock::new(
            "proc",
            Inner {
                state: State::New,
                name,
                parent,
                children: Vec::new(),
                exit_status: 0,
                creds,
                hart: None,
                requeue: None,
                acct: Accounting {
                    arrival_ns: now,
                    ..Accounting::default()
                },
                clear_child_tid: 0,
                waiting_at: None,
                sched_params,
                pgid: if pgid == 0 { pid } else { pgid },
                sid: if sid == 0 { pid } else { sid },
                did_exec: false,
                stop_report: None,
                continued_report: false,
                exited: false,
                release_on_switch: false,
            },
        ),
        pending: AtomicU64::new(0),
        blocked: AtomicU64::new(blocked),
        sig: SpinLock::new("signal", signal::SigLocal::new()),
        handlers,
        user_ticks: AtomicU64::new(0),
        need_resched: AtomicBool::new(false),
        affinity: AtomicU64::new(affinity),
        child_exit: WaitQueue::new(),
        files: SpinLock::new("fd-slot", Some(files)),
        fs,
        mm: SpinLock::new("mm-slot", Some(MemoryUser::new(mm))),
        start: SpinLock::new("proc-start", Some(user)),
    });
    table.processes.insert(pid, process.clone());
    drop(table);
    if process.is_leader()
        && let Some(parent) = lookup(parent)
    {
        parent.inner().children.push(pid);
    }
    Ok(process)
}

/// Removes a reaped zombie from the table.
pub(super) fn remove(pid: Pid) {
    TABLE.lock().processes.remove(&pid);
}

/// Prints the process list (the Ctrl-P key, as in xv6; `ps` shows the same later).
pub fn print_process_list() {
    crate::console::println!("\n  PID  PPID S HART    CPU ms   USER ms  RESP ms  NAME");
    for process in all() {
        let inner = process.inner();
        let running = inner.state == State::Running;
        let response = inner
            .acct
            .first_run_ns
            .map_or(0, |t| t - inner.acct.arrival_ns);
        crate::console::println!(
            "{:5} {:5} {} {:>4} {:9} {:9} {:8}  {}",
            process.pid,
            inner.parent,
            inner.state.letter(),
            inner
                .hart
                .map_or(alloc::string::String::from("-"), |h| alloc::format!("{h}")),
            inner.acct.cpu_ns_now(running) / 1_000_000,
            process.user_ns() / 1_000_000,
            response / 1_000_000,
            inner.name
        );
        if let (State::Blocked, Some(at)) = (inner.state, inner.waiting_at) {
            crate::console::println!("              waiting at {}:{}", at.file(), at.line());
        }
    }
    for hart in 0..hal::MAX_HARTS {
        let ticks = time::timer_interrupts(hart);
        if ticks > 0 {
            let busy = sched::hart_busy_ns(hart) / 1_000_000;
            crate::console::println!(
                "hart {hart}: {ticks} timer ticks, {busy} ms running processes"
            );
        }
    }
}
