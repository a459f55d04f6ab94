//! File descriptor tables (concept F5): a process's small integers naming open files.
//!
//! New descriptors take the lowest free number. `fork` copies the table (the copies share
//! the open files, so offsets are shared); `exec` closes the descriptors marked
//! close-on-exec. At most [`MAX_FDS`] descriptors per process (`EMFILE`), like Linux's
//! default `RLIMIT_NOFILE`.

use super::file::OpenFile;
use abi::errno::Errno;
use alloc::sync::Arc;
use alloc::vec::Vec;

/// Descriptors a process may have open.
pub const MAX_FDS: usize = 1024;

#[derive(Clone)]
struct Slot {
    file: Arc<OpenFile>,
    cloexec: bool,
}

/// A process's descriptor table.
#[derive(Clone, Default)]
pub struct FdTable {
    slots: Vec<Option<Slot>>,
}

impl FdTable {
    pub fn new() -> FdTable {
        FdTable::default()
    }

    /// The open file behind `fd`, or `EBADF`.
    pub fn get(&self, fd: usize) -> Result<Arc<OpenFile>, Errno> {
        match self.slots.get(fd) {
            Some(Some(slot)) => Ok(slot.file.clone()),
            _ => Err(Errno::EBADF),
        }
    }

    /// Installs `file` at the lowest free descriptor that is at least `min`.
    pub fn insert_from(
        &mut self,
        min: usize,
        file: Arc<OpenFile>,
        cloexec: bool,
    ) -> Result<usize, Errno> {
        if min >= MAX_FDS {
            return Err(Errno::EINVAL);
        }
        let fd = (min..MAX_FDS)
            .find(|&fd| self.slots.get(fd).is_none_or(Option::is_none))
            .ok_or(Errno::EMFILE)?;
        if fd >= self.slots.len() {
            self.slots.resize(fd + 1, None);
        }
        self.slots[fd] = Some(Slot { file, cloexec });
        Ok(fd)
    }

    /// Installs `file` at the lowest free descriptor.
    pub fn insert(&mut self, file: Arc<OpenFile>, cloexec: bool) -> Result<usize, Errno> {
        self.insert_from(0, file, cloexec)
    }

    /// Puts `file` at exactly `fd`, closing what was there (dup2/dup3). Returns the file
    /// that was replaced, so the caller drops it outside any lock.
    pub fn replace(
        &mut self,
        fd: usize,
        file: Arc<OpenFile>,
        cloexec: bool,
    ) -> Result<Option<Arc<OpenFile>>, Errno> {
        if fd >= MAX_FDS {
            return Err(Errno::EBADF);
        }
        if fd >= self.slots.len() {
            self.slots.resize(fd + 1, None);
        }
        Ok(self.slots[fd]
            .replace(Slot { file, cloexec })
            .map(|slot| slot.file))
    }

    /// Removes `fd`, returning its file (dropped by the caller, outside the table lock).
    pub fn remove(&mut self, fd: usize) -> Result<Arc<OpenFile>, Errno> {
        match self.slots.get_mut(fd).and_then(Option::take) {
            Some(slot) => Ok(slot.file),
            None => Err(Errno::EBADF),
        }
    }

    pub fn cloexec(&self, fd: usize) -> Result<bool, Errno> {
        match self.slots.get(fd) {
            Some(Some(slot)) => Ok(slot.cloexec),
            _ => Err(Errno::EBADF),
        }
    }

    pub fn set_cloexec(&mut self, fd: usize, cloexec: bool) -> Result<(), Errno> {
        match self.slots.get_mut(fd) {
            Some(Some(slot)) => {
                slot.cloexec = cloexec;
                Ok(())
            }
            _ => Err(Errno::EBADF),
        }
    }

    /// Closes every close-on-exec descriptor (at exec); returns the files to drop.
    pub fn close_on_exec(&mut self) -> Vec<Arc<OpenFile>> {
        let mut closed = Vec::new();
        for slot in &mut self.slots {
            if slot.as_ref().is_some_and(|s| s.cloexec) {
                closed.extend(slot.take().map(|s| s.file));
            }
        }
        closed
    }

    /// Open descriptors, for /proc.
    pub fn count(&self) -> usize {
        self.slots.iter().filter(|s| s.is_some()).count()
    }
}
