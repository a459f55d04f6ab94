//! System V message queues (concept I3): `msgget`, `msgsnd`, `msgrcv`, `msgctl`.
//!
//! A queue holds typed messages in arrival order. `msgrcv`'s type argument picks which:
//! 0 the oldest, `t > 0` the oldest of type `t` (with `MSG_EXCEPT`, of any other type),
//! `t < 0` the oldest of the lowest type `<= |t|`. Senders wait while the queue's byte
//! budget (`msg_qbytes`) is used up, receivers while no message matches; `IPC_NOWAIT`
//! turns those waits into `EAGAIN` / `ENOMSG`. Removing a queue wakes every waiter with
//! `EIDRM`.
//!
//! Every queue sits in one table under the `msg-queues` lock; all waiters share one wait
//! queue, woken by every change (simple; Linux keeps per-queue lists).

use crate::proc::wait_queue::WaitQueue;
use crate::proc::{Credentials, Pid, Process};
use crate::time;
use abi::errno::Errno;
use abi::ipc::{
    IPC_CREAT, IPC_EXCL, IPC_NOWAIT, IPC_PRIVATE, MSG_EXCEPT, MSG_NOERROR, MSGMAX, MSGMNB,
};
use alloc::collections::{BTreeMap, VecDeque};
use alloc::sync::Arc;
use alloc::vec::Vec;
use hal::sync::SpinLock;

/// Most queues at once (`msgmni` is 32000 on Linux; Lantern is small).
pub const MSGMNI: usize = 256;

/// One queue and its `msqid_ds` bookkeeping.
pub struct Queue {
    pub key: i32,
    pub owner: Credentials,
    pub creator: Credentials,
    pub mode: u32,
    pub seq: u16,
    messages: VecDeque<(i64, Vec<u8>)>,
    pub bytes: usize,
    pub max_bytes: usize,
    pub send_time: i64,
    pub receive_time: i64,
    pub change_time: i64,
    pub last_sender: Pid,
    pub last_receiver: Pid,
}

impl Queue {
    pub fn count(&self) -> usize {
        self.messages.len()
    }

    /// The index of the message `msgrcv`'s type rule picks.
    fn pick(&self, wanted: i64, except: bool) -> Option<usize> {
        match wanted {
            0 => (!self.messages.is_empty()).then_some(0),
            t if t > 0 => self
                .messages
                .iter()
                .position(|(kind, _)| (*kind == t) != except),
            t => {
                let limit = t.checked_neg().unwrap_or(i64::MAX);
                let lowest = self
                    .messages
                    .iter()
                    .map(|(kind, _)| *kind)
                    .filter(|kind| *kind <= limit)
                    .min()?;
                self.messages.iter().position(|(kind, _)| *kind == lowest)
            }
        }
    }
}

struct Table {
    queues: BTreeMap<i32, Queue>,
    next_seq: u16,
}

static TABLE: SpinLock<Table> = SpinLock::new(
    "msg-queues",
    Table {
        queues: BTreeMap::new(),
        next_seq: 0,
    },
);
static CHANGED: WaitQueue = WaitQueue::new();

fn now_secs() -> i64 {
    (time::realtime_ns() / 1_000_000_000) as i64
}

/// Whether `creds` may read (`write` false) or write the queue (owner, group, other bits;
/// root always).
fn permitted(queue: &Queue, creds: Credentials, write: bool) -> bool {
    let shift = if creds.euid == queue.owner.uid || creds.euid == queue.creator.uid {
        6
    } else if creds.egid == queue.owner.gid || creds.egid == queue.creator.gid {
        3
    } else {
        0
    };
    let bit = if write { 0o2 } else { 0o4 };
    creds.euid == 0 || (queue.mode >> shift) & bit != 0
}

/// `msgget(key, flags)`.
pub fn get(me: &Process, key: i32, flags: u32) -> Result<i32, Errno> {
    let creds = me.inner().creds;
    let mut table = TABLE.lock();
    if key != IPC_PRIVATE
        && let Some((&id, queue)) = table.queues.iter().find(|(_, q)| q.key == key)
    {
        if flags & IPC_CREAT != 0 && flags & IPC_EXCL != 0 {
            return Err(Errno::EEXIST);
        }
        if !permitted(queue, creds, false) {
            return Err(Errno::EACCES);
        }
        return Ok(id);
    }
    if key != IPC_PRIVATE && flags & IPC_CREAT == 0 {
        return Err(Errno::ENOENT);
    }
    if table.queues.len() >= MSGMNI {
        return Err(Errno::ENOSPC);
    }
    // Ids are a slot number plus a sequence number times the slot count, like Linux's, so
    // a removed queue's id is not reused at once.
    let slot = (0..MSGMNI as i32)
        .find(|s| !table.queues.keys().any(|id| id % MSGMNI as i32 == *s))
        .ok_or(Errno::ENOSPC)?;
    let seq = table.next_seq;
    table.next_seq = table.next_seq.wrapping_add(1) % 0x7f;
    let id = slot + i32::from(seq) * MSGMNI as i32;
    table.queues.insert(
        id,
        Queue {
            key,
            owner: creds,
            creator: creds,
            mode: flags & 0o777,
            seq,
            messages: VecDeque::new(),
            bytes: 0,
            max_bytes: MSGMNB,
            send_time: 0,
            receive_time: 0,
            change_time: now_secs(),
            last_sender: 0,
            last_receiver: 0,
        },
    );
    Ok(id)
}

/// `msgsnd`'s core: appends a message of type `kind`, waiting for room.
pub fn send(me: &Arc<Process>, id: i32, kind: i64, text: Vec<u8>, flags: u32) -> Result<(), Errno> {
    if kind < 1 || text.len() > MSGMAX {
        return Err(Errno::EINVAL);
    }
    let creds = me.inner().creds;
    let mut text = Some(text);
    let mut result = Err(Errno::EINVAL);
    let waited = CHANGED.wait_until(me, 0, || {
        let mut table = TABLE.lock();
        let Some(queue) = table.queues.get_mut(&id) else {
            result = Err(Errno::EIDRM);
            return true;
        };
        if !permitted(queue, creds, true) {
            result = Err(Errno::EACCES);
            return true;
        }
        let len = text.as_ref().map_or(0, Vec::len);
        if queue.bytes + len <= queue.max_bytes {
            queue.bytes += len;
            queue
                .messages
                .push_back((kind, text.take().unwrap_or_default()));
            queue.send_time = now_secs();
            queue.last_sender = me.pid;
            result = Ok(());
            return true;
        }
        if flags & IPC_NOWAIT != 0 {
            result = Err(Errno::EAGAIN);
            return true;
        }
        false
    });
    waited?;
    if result.is_ok() {
        CHANGED.wake_all();
    }
    result
}

/// `msgrcv`'s core: takes the message the type rule picks (at most `max` bytes of it;
/// longer ones are `E2BIG` unless `MSG_NOERROR` truncates), waiting for one.
pub fn receive(
    me: &Arc<Process>,
    id: i32,
    max: usize,
    wanted: i64,
    flags: u32,
) -> Result<(i64, Vec<u8>), Errno> {
    let creds = me.inner().creds;
    let mut result = Err(Errno::EINVAL);
    let waited = CHANGED.wait_until(me, 0, || {
        let mut table = TABLE.lock();
        let Some(queue) = table.queues.get_mut(&id) else {
            result = Err(Errno::EIDRM);
            return true;
        };
        if !permitted(queue, creds, false) {
            result = Err(Errno::EACCES);
            return true;
        }
        match queue.pick(wanted, flags & MSG_EXCEPT != 0) {
            Some(index) => {
                if queue.messages[index].1.len() > max && flags & MSG_NOERROR == 0 {
                    result = Err(Errno::E2BIG);
                    return true;
                }
                let (kind, mut text) = queue.messages.remove(index).unwrap_or_default();
                queue.bytes -= text.len();
                text.truncate(max);
                queue.receive_time = now_secs();
                queue.last_receiver = me.pid;
                result = Ok((kind, text));
                true
            }
            None if flags & IPC_NOWAIT != 0 => {
                result = Err(Errno::ENOMSG);
                true
            }
            None => false,
        }
    });
    waited?;
    if result.is_ok() {
        CHANGED.wake_all();
    }
    result
}

/// Whether queue `id` exists (for the first `EINVAL` check of a call).
pub fn exists(id: i32) -> bool {
    TABLE.lock().queues.contains_key(&id)
}

/// `msgctl(IPC_RMID)`: only the owner, the creator or root; waiters get `EIDRM`.
pub fn remove(me: &Process, id: i32) -> Result<(), Errno> {
    let creds = me.inner().creds;
    let mut table = TABLE.lock();
    let queue = table.queues.get(&id).ok_or(Errno::EINVAL)?;
    if creds.euid != 0 && creds.euid != queue.owner.uid && creds.euid != queue.creator.uid {
        return Err(Errno::EPERM);
    }
    table.queues.remove(&id);
    drop(table);
    CHANGED.wake_all();
    Ok(())
}

/// Runs `f` on queue `id` (`msgctl(IPC_STAT / IPC_SET)`); `EINVAL` if there is none.
pub fn with_queue<T>(id: i32, f: impl FnOnce(&mut Queue) -> Result<T, Errno>) -> Result<T, Errno> {
    let mut table = TABLE.lock();
    let queue = table.queues.get_mut(&id).ok_or(Errno::EINVAL)?;
    let result = f(queue);
    drop(table);
    CHANGED.wake_all();
    result
}

/// Whether `creds` may read the queue (for `IPC_STAT`).
pub fn may_read(queue: &Queue, creds: Credentials) -> bool {
    permitted(queue, creds, false)
}

/// The current time in seconds, for `msg_ctime` after `IPC_SET`.
pub fn now() -> i64 {
    now_secs()
}
