//! Futexes (concept T2): the one kernel service user-space locks need.
//!
//! A futex is any aligned 32-bit word of user memory. User code does the fast path alone
//! (an atomic compare-and-swap on the word); only when it must wait does it ask the kernel
//! to "sleep if the word still holds `expected`" (`FUTEX_WAIT`), and whoever changes the
//! word and sees sleepers asks the kernel to wake some (`FUTEX_WAKE`). The check of the
//! value and the enqueueing happen under one lock ([`WAITERS`]), and waking takes the same
//! lock, so a wake-up between "the word still says locked" and "asleep" cannot be lost:
//! either the waker's store came first and the waiter sees the new value (`EAGAIN`), or
//! the waiter is already queued when the waker looks.
//!
//! Waiters are found by a key: for a private word (most of them) the address space and the
//! virtual address; for a word in a shared mapping the physical address, which every
//! process mapping it agrees on.
//!
//! Lock order: an address space's sleep lock, then `futex`, then `proc` (see
//! lock_order.rs).

use super::{Process, State, sched, signal};
use crate::mm::{AddressSpace, SharedSpace};
use crate::time;
use abi::errno::Errno;
use alloc::sync::Arc;
use alloc::vec::Vec;
use hal::sync::SpinLock;
use hal::trap::Access;

/// What identifies a futex word.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Key {
    /// A word private to one address space (its id) at a virtual address.
    Private { space: usize, addr: usize },
    /// A word in memory shared between address spaces, at a physical address.
    Shared { pa: usize },
}

struct Waiter {
    /// Tells this waiter apart from others of the same task (there is one at a time, but a
    /// stale entry must never be confused with a new one).
    ticket: u64,
    key: Key,
    /// `FUTEX_WAIT_BITSET`'s mask (all ones for plain waits).
    bitset: u32,
    task: Arc<Process>,
    /// Monotonic deadline in ns, or `u64::MAX`.
    deadline: u64,
    woken: bool,
}

struct Waiters {
    list: Vec<Waiter>,
    next_ticket: u64,
}

/// Every task asleep in `FUTEX_WAIT`.
static WAITERS: SpinLock<Waiters> = SpinLock::new(
    "futex",
    Waiters {
        list: Vec::new(),
        next_ticket: 1,
    },
);

fn check_address(addr: usize) -> Result<(), Errno> {
    if !addr.is_multiple_of(4) {
        Err(Errno::EINVAL)
    } else {
        Ok(())
    }
}

/// The key of the word at `addr` for a waker: `None` if the word lies in a shared mapping
/// whose page is not in memory (then nobody can be waiting on it).
fn key_of(memory: &AddressSpace, addr: usize, private: bool) -> Option<Key> {
    let private_key = Key::Private {
        space: memory.id(),
        addr,
    };
    if private {
        return Some(private_key);
    }
    match memory.shared_address(addr) {
        None => Some(private_key),
        Some(Some(pa)) => Some(Key::Shared { pa }),
        Some(None) => None,
    }
}

/// `FUTEX_WAIT` / `FUTEX_WAIT_BITSET`: sleeps while the word at `addr` holds `expected`,
/// until woken (`Ok`), `deadline` passes (`ETIMEDOUT`) or a signal arrives (`EINTR`).
/// `EAGAIN` if the word holds something else, `EFAULT` if it cannot be read, `EINVAL` for
/// an unaligned word or an empty mask.
pub fn wait(
    me: &Arc<Process>,
    space: &Arc<SharedSpace>,
    addr: usize,
    expected: u32,
    deadline: Option<u64>,
    bitset: u32,
    private: bool,
) -> Result<(), Errno> {
    check_address(addr)?;
    if bitset == 0 {
        return Err(Errno::EINVAL);
    }
    let deadline = deadline.unwrap_or(u64::MAX);
    let ticket = loop {
        // Bring the page in (this may sleep), then read the word without faulting under
        // both locks; if the page went away in between (another thread unmapped it), again.
        space.check_access(addr, 4, Access::Read)?;
        let memory = space.lock();
        // The word is read with `futex` held: a waker that changed it afterwards takes
        // `futex` after us and finds us queued.
        let mut waiters = WAITERS.lock();
        let (Some(value), Some(key)) = (memory.resident_word(addr), key_of(&memory, addr, private))
        else {
            drop(waiters);
            continue;
        };
        drop(memory);
        if value != expected {
            return Err(Errno::EAGAIN);
        }
        if deadline <= time::monotonic_ns() {
            return Err(Errno::ETIMEDOUT);
        }
        let ticket = waiters.next_ticket;
        waiters.next_ticket += 1;
        waiters.list.push(Waiter {
            ticket,
            key,
            bitset,
            task: me.clone(),
            deadline,
            woken: false,
        });
        break ticket;
    };
    loop {
        {
            let mut waiters = WAITERS.lock();
            let at = waiters
                .list
                .iter()
                .position(|w| w.ticket == ticket)
                .expect("a waiter stays queued until it leaves");
            let outcome = if waiters.list[at].woken {
                Some(Ok(()))
            } else if waiters.list[at].deadline <= time::monotonic_ns() {
                Some(Err(Errno::ETIMEDOUT))
            } else if signal::interrupted(me) {
                Some(Err(Errno::EINTR))
            } else {
                None
            };
            if let Some(outcome) = outcome {
                waiters.list.swap_remove(at);
                return outcome;
            }
            // Blocked while holding `futex`: a waker (which takes it) finds us blocked.
            let mut inner = me.inner();
            inner.waiting_at = Some(core::panic::Location::caller());
            me.set_state(&mut inner, State::Blocked);
            // A signal sent since the check above found us running (senders do not take
            // `futex`): look again now that we are blocked.
            if signal::interrupted(me) {
                me.set_state(&mut inner, State::Running);
                continue;
            }
        }
        sched::block_current(me);
    }
}

/// `FUTEX_WAKE` / `FUTEX_WAKE_BITSET`: wakes up to `count` tasks waiting on the word at
/// `addr` whose mask shares a bit with `bitset`; returns how many.
pub fn wake(
    space: &Arc<SharedSpace>,
    addr: usize,
    count: usize,
    bitset: u32,
    private: bool,
) -> Result<usize, Errno> {
    check_address(addr)?;
    if bitset == 0 {
        return Err(Errno::EINVAL);
    }
    let Some(key) = key_of(&space.lock(), addr, private) else {
        return Ok(0);
    };
    Ok(wake_key_matching(key, count, bitset))
}

fn wake_key_matching(key: Key, count: usize, bitset: u32) -> usize {
    let mut woken = 0;
    let mut waiters = WAITERS.lock();
    for waiter in waiters.list.iter_mut() {
        if woken == count {
            break;
        }
        if waiter.key == key && !waiter.woken && waiter.bitset & bitset != 0 {
            waiter.woken = true;
            sched::wake(&waiter.task);
            woken += 1;
        }
    }
    woken
}

/// `FUTEX_REQUEUE` / `FUTEX_CMP_REQUEUE`: wakes up to `wake_count` waiters of the word at
/// `addr` and moves up to `move_count` of the rest to the word at `target`, without waking
/// them (a condition variable's broadcast hands its waiters to the mutex this way instead
/// of letting them all stampede for it). With `expected`, only if the word at `addr` still
/// holds it (`EAGAIN` otherwise). Returns how many were woken or moved.
pub fn requeue(
    space: &Arc<SharedSpace>,
    addr: usize,
    wake_count: usize,
    target: usize,
    move_count: usize,
    expected: Option<u32>,
    private: bool,
) -> Result<usize, Errno> {
    check_address(addr)?;
    check_address(target)?;
    if expected.is_some() {
        space.check_access(addr, 4, Access::Read)?;
    }
    let memory = space.lock();
    let (from, to) = (
        key_of(&memory, addr, private),
        key_of(&memory, target, private),
    );
    let mut waiters = WAITERS.lock();
    let value = memory.resident_word(addr);
    drop(memory);
    if let Some(expected) = expected
        && value != Some(expected)
    {
        return Err(if value.is_none() {
            Errno::EFAULT
        } else {
            Errno::EAGAIN
        });
    }
    let Some(from) = from else { return Ok(0) };
    let mut woken = 0;
    let mut moved = 0;
    for waiter in waiters.list.iter_mut() {
        if waiter.key != from || waiter.woken {
            continue;
        }
        if woken < wake_count {
            waiter.woken = true;
            sched::wake(&waiter.task);
            woken += 1;
        } else if moved < move_count
            && let Some(to) = to
        {
            waiter.key = to;
            moved += 1;
        } else {
            break;
        }
    }
    Ok(woken + moved)
}

/// Called on each timer tick: wakes waiters whose deadline has passed (they see it and
/// return `ETIMEDOUT`).
pub fn expire(now: u64) {
    let waiters = WAITERS.lock();
    for waiter in waiters.list.iter() {
        if !waiter.woken && waiter.deadline <= now {
            sched::wake(&waiter.task);
        }
    }
}
