//! System V semaphores (concept I7) and the semaphore deadlock detector (concept T4):
//! `semget`, `semop`/`semtimedop`, `semctl`, with Linux's semantics.
//!
//! A set holds `nsems` counters, each between 0 and `SEMVMX`. `semop` applies an array of
//! operations *atomically*: either every one of them at once, or none. An operation adds a
//! positive `sem_op`, waits until a negative one can be subtracted without going below
//! zero, or (`sem_op == 0`) waits until the value is zero. The operations are tried in
//! order on scratch copies of the values; the first that cannot go on decides: it waits
//! (`EAGAIN` at once with `IPC_NOWAIT`, or when a `semtimedop` timeout passes), or the
//! call fails (`ERANGE` beyond `SEMVMX`). Removing a set wakes its waiters with `EIDRM`; a
//! signal ends a wait with `EINTR`, never restarted (signal(7)).
//!
//! Per process and semaphore a set keeps a [`Share`]:
//! - `adjust`, the `SEM_UNDO` adjustment: minus the sum of the process's `SEM_UNDO`
//!   operations on it. When the process exits, the adjustments are added back (the value
//!   kept within `0..=SEMVMX`, as Linux does), so a process killed inside a critical
//!   section does not leave its semaphore taken. `SETVAL` and `SETALL` clear them.
//! - `held`, the units the process has taken and not given back (its net decrements,
//!   `SEM_UNDO` or not, never below zero), for the deadlock detector.
//!
//! **Deadlock detector** (off by default; `/proc/sys/kernel/deadlock_detect`): semaphores
//! are treated as locks. A process that holds units of a semaphore *holds* it; a process
//! about to block subtracting from a semaphore *waits for* every other holder of it. Before
//! blocking, the detector builds that wait-for graph over every waiter of every set and
//! asks [`deadlock::WaitForGraph::cycle_through`] whether this wait would close a cycle.
//! If so the call fails with `EDEADLK` instead of blocking, and the cycle is logged with
//! the pids on it. Waiting for zero adds no edges. It is a model: a semaphore can be posted
//! by anyone, not just a holder, and with several units a cycle need not be a deadlock
//! (see the `deadlock` crate's `banker` module), so the detector may refuse a wait that
//! would have ended; it never misses a cycle of processes blocked here.
//!
//! Locking: every set is in one table under the `sem-sets` lock, taken inside the
//! `wait-queue` lock while a waiter checks its operations (and alone everywhere else). All
//! waiters share one wait queue keyed by their deadline, woken by every change and, for
//! timeouts, by the timer ([`expire`]).

use super::{Ids, IpcObject, Perm, READ, WRITE, now_secs};
use crate::proc::wait_queue::WaitQueue;
use crate::proc::{self, Pid, Process};
use crate::time;
use abi::errno::Errno;
use abi::ipc::{
    GETNCNT, GETPID, GETVAL, GETZCNT, IPC_NOWAIT, Ipc64Perm, SEM_UNDO, SEMAEM, SEMMSL, SEMVMX,
    SemBuf, SemidDs,
};
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt::Write;
use core::sync::atomic::{AtomicBool, Ordering};
use deadlock::WaitForGraph;
use hal::sync::SpinLock;

/// Most sets at once (`semmni` is 32000 on Linux; Lantern is small).
pub const SEMMNI: usize = 128;
/// Most semaphores in all sets together (`semmns`); `semget` beyond it is `ENOSPC`.
pub const SEMMNS: usize = 4096;

struct Semaphore {
    value: i32,
    /// The last process to operate on it (`GETPID`).
    last_pid: Pid,
}

/// One process's stake in one semaphore (see the module comment).
#[derive(Clone, Copy, Default)]
struct Share {
    adjust: i32,
    held: i32,
}

/// A process blocked in `semop` on a set, and the operation it waits on.
struct Waiter {
    pid: Pid,
    num: u16,
    for_zero: bool,
}

/// One set and its `semid64_ds` bookkeeping.
pub struct SemSet {
    perm: Perm,
    sems: Vec<Semaphore>,
    op_time: i64,
    change_time: i64,
    /// By (process, semaphore number); only non-zero shares are kept.
    shares: BTreeMap<(Pid, u16), Share>,
    waiters: Vec<Waiter>,
}

impl IpcObject for SemSet {
    fn perm(&self) -> &Perm {
        &self.perm
    }

    fn perm_mut(&mut self) -> &mut Perm {
        &mut self.perm
    }
}

/// What `semop`'s operations would do now.
enum Trial<'a> {
    /// They can all go: the new values, and the new adjustments by semaphore.
    Apply(Vec<i32>, BTreeMap<u16, i32>),
    /// This operation has to wait.
    Wait(&'a SemBuf),
    /// A value or an adjustment would leave its range.
    OutOfRange,
}

impl SemSet {
    fn share(&self, pid: Pid, num: u16) -> Share {
        self.shares.get(&(pid, num)).copied().unwrap_or_default()
    }

    /// The other processes holding units of semaphore `num` (the detector's edges).
    fn holders(&self, num: u16) -> impl Iterator<Item = Pid> + '_ {
        self.shares
            .iter()
            .filter(move |((_, n), share)| *n == num && share.held > 0)
            .map(|((pid, _), _)| *pid)
    }

    /// Tries `ops` for `pid` on copies of the values (see the module comment).
    fn trial<'a>(&self, pid: Pid, ops: &'a [SemBuf]) -> Trial<'a> {
        let mut values: Vec<i32> = self.sems.iter().map(|sem| sem.value).collect();
        let mut adjusts = BTreeMap::new();
        for op in ops {
            let value = values[usize::from(op.sem_num)];
            let delta = i32::from(op.sem_op);
            if (delta == 0 && value != 0) || value + delta < 0 {
                return Trial::Wait(op);
            }
            if value + delta > SEMVMX {
                return Trial::OutOfRange;
            }
            if op.sem_flg as u32 & SEM_UNDO != 0 {
                let adjust = adjusts
                    .get(&op.sem_num)
                    .copied()
                    .unwrap_or(self.share(pid, op.sem_num).adjust)
                    - delta;
                if !(-SEMAEM - 1..=SEMAEM).contains(&adjust) {
                    return Trial::OutOfRange;
                }
                adjusts.insert(op.sem_num, adjust);
            }
            values[usize::from(op.sem_num)] = value + delta;
        }
        Trial::Apply(values, adjusts)
    }

    /// Makes a successful trial's results the set's state.
    fn commit(&mut self, pid: Pid, ops: &[SemBuf], values: Vec<i32>, adjusts: BTreeMap<u16, i32>) {
        for (sem, value) in self.sems.iter_mut().zip(values) {
            sem.value = value;
        }
        for op in ops {
            self.sems[usize::from(op.sem_num)].last_pid = pid;
            let share = self.shares.entry((pid, op.sem_num)).or_default();
            share.held = (share.held - i32::from(op.sem_op)).max(0);
        }
        for (num, adjust) in adjusts {
            self.shares.entry((pid, num)).or_default().adjust = adjust;
        }
        self.shares
            .retain(|_, share| share.adjust != 0 || share.held != 0);
        self.op_time = now_secs();
    }

    /// Records that `pid` waits on semaphore `num` (replacing its earlier record).
    fn wait(&mut self, pid: Pid, num: u16, for_zero: bool) {
        self.forget_waiter(pid);
        self.waiters.push(Waiter { pid, num, for_zero });
    }

    /// `pid` no longer waits on the set.
    fn forget_waiter(&mut self, pid: Pid) {
        self.waiters.retain(|waiter| waiter.pid != pid);
    }

    /// `pid` exits: applies its adjustments and forgets its shares and waits. Whether a
    /// value changed.
    fn release(&mut self, pid: Pid) -> bool {
        let mine: Vec<(u16, Share)> = self
            .shares
            .range((pid, 0)..=(pid, u16::MAX))
            .map(|(&(_, num), &share)| (num, share))
            .collect();
        let mut changed = false;
        for (num, share) in mine {
            self.shares.remove(&(pid, num));
            if share.adjust != 0 {
                let sem = &mut self.sems[usize::from(num)];
                sem.value = (sem.value + share.adjust).clamp(0, SEMVMX);
                sem.last_pid = pid;
                changed = true;
            }
        }
        self.forget_waiter(pid);
        changed
    }

    fn waiting(&self, num: u16, for_zero: bool) -> usize {
        self.waiters
            .iter()
            .filter(|waiter| waiter.num == num && waiter.for_zero == for_zero)
            .count()
    }
}

static SETS: SpinLock<Ids<SemSet>> = SpinLock::new("sem-sets", Ids::new(SEMMNI));
static CHANGED: WaitQueue = WaitQueue::new();
static DETECT: AtomicBool = AtomicBool::new(false);

/// `semget(key, nsems, flags)`: `nsems` may be 0 only to find an existing set, and may not
/// exceed an existing set's size.
pub fn get(me: &Process, key: i32, nsems: i32, flags: u32) -> Result<i32, Errno> {
    let count = usize::try_from(nsems).map_err(|_| Errno::EINVAL)?;
    if count > SEMMSL {
        return Err(Errno::EINVAL);
    }
    let creds = me.inner().creds;
    let mut sets = SETS.lock();
    let in_use: usize = sets.iter().map(|(_, set)| set.sems.len()).sum();
    sets.get_or_create(
        key,
        flags,
        creds,
        |set| {
            if count > set.sems.len() {
                Err(Errno::EINVAL)
            } else {
                Ok(())
            }
        },
        |perm| {
            if count == 0 {
                return Err(Errno::EINVAL);
            }
            if in_use + count > SEMMNS {
                return Err(Errno::ENOSPC);
            }
            Ok(SemSet {
                perm,
                sems: (0..count)
                    .map(|_| Semaphore {
                        value: 0,
                        last_pid: 0,
                    })
                    .collect(),
                op_time: 0,
                change_time: now_secs(),
                shares: BTreeMap::new(),
                waiters: Vec::new(),
            })
        },
    )
}

/// `semtimedop`'s core: applies `ops` (already copied in; 1..=SEMOPM of them) to set `id`
/// atomically, waiting as long as it must, until `deadline` (monotonic ns) if given.
pub fn semop(
    me: &Arc<Process>,
    id: i32,
    ops: &[SemBuf],
    deadline: Option<u64>,
) -> Result<(), Errno> {
    let creds = me.inner().creds;
    let alters = ops.iter().any(|op| op.sem_op != 0);
    {
        let sets = SETS.lock();
        let set = sets.get(id).ok_or(Errno::EINVAL)?;
        if ops
            .iter()
            .any(|op| usize::from(op.sem_num) >= set.sems.len())
        {
            return Err(Errno::EFBIG);
        }
        if !set.perm.allows(creds, if alters { WRITE } else { READ }) {
            return Err(Errno::EACCES);
        }
    }
    let mut outcome = Outcome::Blocked;
    let waited = CHANGED.wait_until(me, deadline.unwrap_or(u64::MAX), || {
        let mut sets = SETS.lock();
        outcome = attempt(&mut sets, me.tgid, id, ops, deadline);
        let over = !matches!(outcome, Outcome::Blocked);
        if over && let Some(set) = sets.get_mut(id) {
            set.forget_waiter(me.tgid);
        }
        over
    });
    if waited.is_err()
        && let Some(set) = SETS.lock().get_mut(id)
    {
        // A signal ended the wait: the last attempt's record is stale.
        set.forget_waiter(me.tgid);
    }
    let result = match (waited, outcome) {
        (Err(errno), _) => Err(errno),
        (Ok(()), Outcome::Done(result)) => result,
        // Cannot happen: the wait ends without a signal only once an attempt is over.
        (Ok(()), Outcome::Blocked) => Err(Errno::EINTR),
        (Ok(()), Outcome::Deadlock(num, pids)) => {
            log::warn!(
                "deadlock detected: pid {} waiting on semaphore {num} of set {id} would close the cycle {}; semop refused with EDEADLK",
                me.tgid,
                describe_cycle(&pids)
            );
            Err(Errno::EDEADLK)
        }
    };
    if result.is_ok() && alters {
        CHANGED.wake_all();
    }
    result
}

/// How one attempt of a `semop` ended.
enum Outcome {
    /// The call is over: done, or failed.
    Done(Result<(), Errno>),
    /// Waiting on semaphore `.0` would close this cycle of pids (`EDEADLK`).
    Deadlock(u16, Vec<Pid>),
    /// It waits (recorded in the set's waiters).
    Blocked,
}

/// One attempt at `pid`'s `ops` on set `id`, under the `sem-sets` lock: apply them, fail,
/// or record that `pid` waits (unless the wait would be refused: `IPC_NOWAIT`, an expired
/// `deadline`, or a cycle the detector finds).
fn attempt(
    sets: &mut Ids<SemSet>,
    pid: Pid,
    id: i32,
    ops: &[SemBuf],
    deadline: Option<u64>,
) -> Outcome {
    let Some(set) = sets.get(id) else {
        return Outcome::Done(Err(Errno::EIDRM));
    };
    let blocking = match set.trial(pid, ops) {
        Trial::Apply(values, adjusts) => {
            if let Some(set) = sets.get_mut(id) {
                set.commit(pid, ops, values, adjusts);
            }
            return Outcome::Done(Ok(()));
        }
        Trial::OutOfRange => return Outcome::Done(Err(Errno::ERANGE)),
        Trial::Wait(op) => op,
    };
    let expired = deadline.is_some_and(|d| time::monotonic_ns() >= d);
    if blocking.sem_flg as u32 & IPC_NOWAIT != 0 || expired {
        return Outcome::Done(Err(Errno::EAGAIN));
    }
    if blocking.sem_op < 0
        && DETECT.load(Ordering::Relaxed)
        && let Some(pids) = cycle_closed_by(sets, pid, id, blocking.sem_num)
    {
        return Outcome::Deadlock(blocking.sem_num, pids);
    }
    if let Some(set) = sets.get_mut(id) {
        set.wait(pid, blocking.sem_num, blocking.sem_op == 0);
    }
    Outcome::Blocked
}

/// The cycle that `pid` blocking on semaphore `num` of set `id` would close in the
/// wait-for graph of every process blocked on any set, if any.
fn cycle_closed_by(sets: &Ids<SemSet>, pid: Pid, id: i32, num: u16) -> Option<Vec<Pid>> {
    let mut graph = WaitForGraph::new();
    for (_, set) in sets.iter() {
        for waiter in set.waiters.iter() {
            if waiter.pid != pid && !waiter.for_zero {
                for holder in set.holders(waiter.num) {
                    graph.add_edge(waiter.pid, holder);
                }
            }
        }
    }
    for holder in sets.get(id)?.holders(num) {
        graph.add_edge(pid, holder);
    }
    graph.cycle_through(pid)
}

/// A cycle of pids as the log shows it, with their names: `12 (phil) -> 13 (phil) -> 12
/// (phil)`. Built before logging: the logger holds console locks that come after the
/// process table's in the lock order.
fn describe_cycle(pids: &[Pid]) -> String {
    let mut text = String::new();
    for (index, pid) in pids.iter().chain(pids.first()).enumerate() {
        let name = proc::lookup(*pid).map(|process| process.inner().name.clone());
        let arrow = if index == 0 { "" } else { " -> " };
        let _ = write!(text, "{arrow}{pid} ({})", name.as_deref().unwrap_or("?"));
    }
    text
}

/// Timer tick: wake waiters whose `semtimedop` timeout has passed.
pub fn expire(now: u64) {
    CHANGED.wake_up_to(now);
}

/// Process `pid` is exiting: its `SEM_UNDO` adjustments are applied and its shares
/// forgotten (called once from `proc::lifecycle::exit`).
pub fn exit(pid: Pid) {
    let changed = SETS
        .lock()
        .values_mut()
        .fold(false, |changed, set| set.release(pid) | changed);
    if changed {
        CHANGED.wake_all();
    }
}

/// Whether the deadlock detector is on.
pub fn detector_enabled() -> bool {
    DETECT.load(Ordering::Relaxed)
}

/// Turns the deadlock detector on or off.
pub fn set_detector(on: bool) {
    if DETECT.swap(on, Ordering::Relaxed) != on {
        log::info!("deadlock detector: {}", if on { "on" } else { "off" });
    }
}

/// Runs `f` on set `id` once `me` may access it as `requested` asks (`EINVAL` if there is
/// no such set, `EACCES`). Wakes the waiters afterwards if `f` says something changed.
fn with_set<T>(
    me: &Process,
    id: i32,
    requested: u32,
    f: impl FnOnce(&mut SemSet) -> Result<(T, bool), Errno>,
) -> Result<T, Errno> {
    let creds = me.inner().creds;
    let (value, changed) = {
        let mut sets = SETS.lock();
        let set = sets.get_mut(id).ok_or(Errno::EINVAL)?;
        if !set.perm.allows(creds, requested) {
            return Err(Errno::EACCES);
        }
        f(set)?
    };
    if changed {
        CHANGED.wake_all();
    }
    Ok(value)
}

/// `semctl(IPC_STAT)`.
pub fn stat(me: &Process, id: i32) -> Result<SemidDs, Errno> {
    with_set(me, id, READ, |set| {
        let state = SemidDs {
            sem_perm: set.perm.to_abi(),
            sem_otime: set.op_time,
            sem_ctime: set.change_time,
            sem_nsems: set.sems.len() as u64,
            ..SemidDs::default()
        };
        Ok((state, false))
    })
}

/// `semctl(IPC_SET)`: only the owner, the creator or root (`EPERM`).
pub fn set_perm(me: &Process, id: i32, new: &Ipc64Perm) -> Result<(), Errno> {
    let creds = me.inner().creds;
    let mut sets = SETS.lock();
    let set = sets.get_mut(id).ok_or(Errno::EINVAL)?;
    if !set.perm.may_change(creds) {
        return Err(Errno::EPERM);
    }
    set.perm.update(new);
    set.change_time = now_secs();
    Ok(())
}

/// `semctl(IPC_RMID)`: only the owner, the creator or root; waiters get `EIDRM`.
pub fn remove(me: &Process, id: i32) -> Result<(), Errno> {
    let creds = me.inner().creds;
    let mut sets = SETS.lock();
    let set = sets.get(id).ok_or(Errno::EINVAL)?;
    if !set.perm.may_change(creds) {
        return Err(Errno::EPERM);
    }
    sets.remove(id);
    drop(sets);
    CHANGED.wake_all();
    Ok(())
}

/// `semctl(GETVAL / GETPID / GETNCNT / GETZCNT)` of semaphore `num`.
pub fn query(me: &Process, id: i32, num: i32, cmd: i32) -> Result<usize, Errno> {
    with_set(me, id, READ, |set| {
        let index = usize::try_from(num)
            .ok()
            .filter(|&index| index < set.sems.len())
            .ok_or(Errno::EINVAL)?;
        let sem = &set.sems[index];
        let answer = match cmd {
            GETVAL => sem.value as usize,
            GETPID => sem.last_pid,
            GETNCNT => set.waiting(index as u16, false),
            GETZCNT => set.waiting(index as u16, true),
            _ => return Err(Errno::EINVAL),
        };
        Ok((answer, false))
    })
}

/// The number of semaphores in set `id`, once `me` may access it as `requested` asks
/// (how many values `GETALL` and `SETALL` copy).
pub fn size(me: &Process, id: i32, requested: u32) -> Result<usize, Errno> {
    with_set(me, id, requested, |set| Ok((set.sems.len(), false)))
}

/// `semctl(GETALL)`: every value.
pub fn values(me: &Process, id: i32) -> Result<Vec<u16>, Errno> {
    with_set(me, id, READ, |set| {
        Ok((set.sems.iter().map(|sem| sem.value as u16).collect(), false))
    })
}

/// `semctl(SETVAL)`: sets semaphore `num` to `value` (`ERANGE` outside `0..=SEMVMX`,
/// checked first as Linux does). Every process's adjustment of it is cleared, and so are
/// the holdings the detector counts: the semaphore starts afresh.
pub fn set_value(me: &Process, id: i32, num: i32, value: i32) -> Result<(), Errno> {
    if !(0..=SEMVMX).contains(&value) {
        return Err(Errno::ERANGE);
    }
    let pid = me.tgid;
    let creds = me.inner().creds;
    {
        let mut sets = SETS.lock();
        let set = sets.get_mut(id).ok_or(Errno::EINVAL)?;
        let index = usize::try_from(num)
            .ok()
            .filter(|&index| index < set.sems.len())
            .ok_or(Errno::EINVAL)?;
        if !set.perm.allows(creds, WRITE) {
            return Err(Errno::EACCES);
        }
        set.sems[index] = Semaphore {
            value,
            last_pid: pid,
        };
        set.shares.retain(|&(_, n), _| usize::from(n) != index);
        set.change_time = now_secs();
    }
    CHANGED.wake_all();
    Ok(())
}

/// `semctl(SETALL)`: sets every value (`ERANGE` if one is above `SEMVMX`, changing
/// nothing); clears every adjustment and holding of the set.
pub fn set_all(me: &Process, id: i32, values: &[u16]) -> Result<(), Errno> {
    if values.iter().any(|&value| i32::from(value) > SEMVMX) {
        return Err(Errno::ERANGE);
    }
    let pid = me.tgid;
    with_set(me, id, WRITE, |set| {
        if values.len() != set.sems.len() {
            // The set was replaced since its size was read.
            return Err(Errno::EIDRM);
        }
        for (sem, &value) in set.sems.iter_mut().zip(values) {
            *sem = Semaphore {
                value: i32::from(value),
                last_pid: pid,
            };
        }
        set.shares.clear();
        set.change_time = now_secs();
        Ok(((), true))
    })
}

/// `/proc/sysvipc/sem`: one line per set, in Linux's format.
pub fn proc_text() -> String {
    let mut text = String::from(
        "       key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime\n",
    );
    for (id, set) in SETS.lock().iter() {
        let perm = &set.perm;
        let _ = writeln!(
            text,
            "{:10} {:10}  {:4o} {:10} {:5} {:5} {:5} {:5} {:10} {:10}",
            perm.key,
            id,
            perm.mode,
            set.sems.len(),
            perm.owner.uid,
            perm.owner.gid,
            perm.creator.uid,
            perm.creator.gid,
            set.op_time,
            set.change_time
        );
    }
    text
}
