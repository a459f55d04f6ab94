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

use super::address_space::{self, AddressSpace, Vma};
use super::user::UserMemory;
use crate::proc::sleep_lock::{SleepLock, SleepLockGuard};
use abi::errno::Errno;
use alloc::sync::Arc;
use hal::paging::TableRoot;
use hal::trap::Access;

/// One address space and the threads' way into it.
pub struct SharedSpace {
    space: SleepLock<AddressSpace>,
    root: TableRoot,
    id: usize,
}

impl SharedSpace {
    /// Puts `space` behind the lock.
    pub fn new(space: AddressSpace) -> Arc<SharedSpace> {
        Arc::new(SharedSpace {
            root: space.root(),
            id: space.id(),
            space: SleepLock::new(space),
        })
    }

    /// Locks the address space, for a sequence of steps that must see it unchanged.
    pub fn lock(&self) -> SleepLockGuard<'_, AddressSpace> {
        self.space.lock()
    }

    /// Unique among live address spaces (futex keys use it).
    pub fn id(&self) -> usize {
        self.id
    }

    /// Makes this the address space of the running hart (no lock taken).
    pub fn activate(&self) {
        address_space::activate(self.id, self.root);
    }

    /// Serves a user page fault (see [`AddressSpace::handle_fault`]).
    pub fn handle_fault(&self, addr: usize, access: Access) -> Result<(), Errno> {
        self.lock().handle_fault(addr, access)
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

    /// Pages present in memory.
    pub fn resident_pages(&self) -> usize {
        self.lock().resident_pages()
    }
}

impl UserMemory for Arc<SharedSpace> {
    fn copy_in(&mut self, addr: usize, buf: &mut [u8]) -> Result<(), Errno> {
        SharedSpace::copy_in(self, addr, buf)
    }

    fn copy_out(&mut self, addr: usize, data: &[u8]) -> Result<(), Errno> {
        SharedSpace::copy_out(self, addr, data)
    }
}
