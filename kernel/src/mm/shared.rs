//! An address space shared by threads (concept T1): Linux's `mm_struct`.
//!
//! Every thread of a process holds an `Arc` to one [`SharedSpace`]; `fork` makes a new one
//! (a copy-on-write duplicate), `clone(CLONE_VM)` shares it, `execve` replaces it. The
//! [`AddressSpace`] inside sits behind a sleep lock, because serving a fault may read the
//! disk: a page fault, an `mmap` or a copy to or from user memory takes it for that one
//! step only, never across a blocking wait, so one thread asleep in `read` does not stop
//! its siblings from faulting.
//!
//! The table root is copied out when the space is made, so entering user mode — every
//! return from a system call — loads it without taking the lock.
//!
//! A hart keeps the table of the last space it ran loaded after the thread leaves (Linux's
//! "lazy TLB"), holding a reference in [`ON_HART`] so the table cannot be freed meanwhile:
//! switching to another thread of the same process then costs no `satp` write and no TLB
//! flush (`bench_ipc thread_switch` vs `ctx_switch`). The reference goes when the hart
//! loads another space, or when the thread's process ends there ([`unload_this_hart`]).
//!
//! Such a reference keeps only the root table alive, not the memory: like Linux's
//! `mm_users` next to `mm_count`, the space counts the threads that use it apart from the
//! references ([`MemoryUser`]), and when the last user lets go — its exit, or `execve` —
//! every frame, swap slot and lower table goes at once
//! ([`AddressSpace::release_user_memory`]). Otherwise an idle hart that last ran a dead
//! process would hold all its memory and swap until it ran someone else.

use super::address_space::{self, AddressSpace, Vma};
use super::asid::{self, Tag};
use super::user::UserMemory;
use super::{pager, thrash};
use crate::proc::sleep_lock::{SleepLock, SleepLockGuard};
use abi::errno::Errno;
use alloc::sync::Arc;
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use hal::MAX_HARTS;
use hal::paging::TableRoot;
use hal::sync::SpinLock;
use hal::trap::Access;

/// One address space and the threads' way into it.
pub struct SharedSpace {
    space: SleepLock<AddressSpace>,
    root: TableRoot,
    tag: Arc<Tag>,
    id: usize,
    /// The space's page-ins after the last user fault (thrashing control reads it without
    /// the lock).
    page_ins: AtomicU64,
    /// Its resident plus swapped pages after the last user fault (the OOM killer compares
    /// spaces it cannot lock by this).
    footprint: AtomicU64,
    /// The threads using the space ([`MemoryUser`]s).
    users: AtomicUsize,
}

impl SharedSpace {
    /// Puts `space` behind the lock, and makes it known to the pager.
    pub fn new(space: AddressSpace) -> Arc<SharedSpace> {
        let shared = Arc::new(SharedSpace {
            root: space.root(),
            tag: space.tag().clone(),
            id: space.id(),
            page_ins: AtomicU64::new(space.page_ins()),
            footprint: AtomicU64::new(0),
            users: AtomicUsize::new(0),
            space: SleepLock::new(space),
        });
        pager::register(&shared);
        shared
    }

    /// Locks the address space, for a sequence of steps that must see it unchanged.
    pub fn lock(&self) -> SleepLockGuard<'_, AddressSpace> {
        self.space.lock()
    }

    /// Locks the address space if nobody holds it now (the pager, which must never wait
    /// for another space's lock: see [`pager`]).
    pub fn try_lock(&self) -> Option<SleepLockGuard<'_, AddressSpace>> {
        self.space.try_lock()
    }

    /// Resident plus swapped pages, as of the last user fault.
    pub fn footprint(&self) -> usize {
        self.footprint.load(Ordering::Relaxed) as usize
    }

    /// Pages read in from a device for user faults in this space so far.
    pub fn page_ins(&self) -> u64 {
        self.page_ins.load(Ordering::Relaxed)
    }

    /// Unique among live address spaces (the pager's registry and futex keys use it).
    pub fn id(&self) -> usize {
        self.id
    }

    /// Makes this the address space of the running hart (no lock taken); see the module
    /// comment.
    pub fn activate(self: &Arc<Self>) {
        asid::activate(&self.tag, self.root);
        let previous = {
            let mut slot = ON_HART[hal::cpu::hart_id()].lock();
            match slot.as_ref() {
                Some(loaded) if Arc::ptr_eq(loaded, self) => None,
                _ => slot.replace(self.clone()),
            }
        };
        // Outside the lock: the last reference to a dead process's space frees it (and may
        // write shared file pages back).
        drop(previous);
    }

    /// Serves a user page fault (see [`AddressSpace::handle_fault`]).
    /// Thrashing control samples the fault rates afterwards, with the lock released.
    pub fn handle_fault(&self, addr: usize, access: Access) -> Result<(), Errno> {
        let result = {
            let mut space = self.lock();
            let result = space.handle_fault(addr, access);
            self.page_ins.store(space.page_ins(), Ordering::Relaxed);
            let footprint = space.resident_pages() + space.swapped_pages();
            self.footprint.store(footprint as u64, Ordering::Relaxed);
            result
        };
        thrash::tick();
        result
    }

    /// A copy of the region containing `addr`.
    pub fn find_vma(&self, addr: usize) -> Option<Vma> {
        self.lock().find_vma(addr).cloned()
    }

    /// See [`AddressSpace::check_access`].
    pub fn check_access(&self, addr: usize, len: usize, access: Access) -> Result<(), Errno> {
        self.lock().check_access(addr, len, access)
    }

    /// See [`AddressSpace::copy_in`].
    pub fn copy_in(&self, addr: usize, buf: &mut [u8]) -> Result<(), Errno> {
        self.lock().copy_in(addr, buf)
    }

    /// See [`AddressSpace::copy_out`].
    pub fn copy_out(&self, addr: usize, data: &[u8]) -> Result<(), Errno> {
        self.lock().copy_out(addr, data)
    }
}

/// A thread's use of an address space (the PCB holds one): while any exists, the space's
/// memory stays; when the last is dropped, the memory is released even if references to
/// the space remain (a hart that still has it loaded, `/proc` reading it). Dropping one
/// may sleep (on the space's lock, and writing shared file pages back).
pub struct MemoryUser(Arc<SharedSpace>);

impl MemoryUser {
    /// `space`, used by one more thread.
    pub fn new(space: Arc<SharedSpace>) -> MemoryUser {
        space.users.fetch_add(1, Ordering::AcqRel);
        MemoryUser(space)
    }

    /// The space used.
    pub fn space(&self) -> &Arc<SharedSpace> {
        &self.0
    }
}

impl Drop for MemoryUser {
    fn drop(&mut self) {
        // New users only come from existing ones (clone of a running thread), so once the
        // count is 0 it stays 0.
        if self.0.users.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.lock().release_user_memory();
        }
    }
}

impl Drop for SharedSpace {
    fn drop(&mut self) {
        pager::unregister(self.id);
    }
}

/// The space each hart has loaded, kept alive while it is (`on-hart` lock: a leaf).
static ON_HART: [SpinLock<Option<Arc<SharedSpace>>>; MAX_HARTS] =
    [const { SpinLock::new("on-hart", None) }; MAX_HARTS];

/// Called by an exiting thread: this hart goes back to the kernel's table and lets go of
/// the space it kept loaded, so a finished process's memory is freed now rather than when
/// the hart next runs someone else.
pub fn unload_this_hart() {
    address_space::unload_hart();
    let previous = ON_HART[hal::cpu::hart_id()].lock().take();
    drop(previous);
}

impl UserMemory for Arc<SharedSpace> {
    fn copy_in(&mut self, addr: usize, buf: &mut [u8]) -> Result<(), Errno> {
        SharedSpace::copy_in(self, addr, buf)
    }

    fn copy_out(&mut self, addr: usize, data: &[u8]) -> Result<(), Errno> {
        SharedSpace::copy_out(self, addr, data)
    }
}
