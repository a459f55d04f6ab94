//! Memory mappings: `mmap`, `munmap`, `mprotect`, `msync`, `madvise`, and [`Mapping`], a
//! safe owner of an anonymous mapping whose bytes programs can use as a slice.

use crate::syscall::{decode, syscall2, syscall3, syscall6};
use abi::errno::Errno;
use abi::mm::{MAP_ANONYMOUS, MAP_PRIVATE, MAP_SHARED, PROT_READ, PROT_WRITE};
use abi::nr;

/// `mmap(addr, len, prot, flags, fd, offset)`; returns the mapping's address. The kernel
/// validates everything, so passing any numbers is safe (the result may not be).
pub fn mmap(
    addr: usize,
    len: usize,
    prot: u32,
    flags: u32,
    fd: i32,
    offset: usize,
) -> Result<usize, Errno> {
    // SAFETY: a new mapping never overlaps memory Rust code uses unless MAP_FIXED is given
    // over it, which callers of this test-oriented wrapper only do on their own mappings.
    decode(unsafe {
        syscall6(
            nr::MMAP,
            addr,
            len,
            prot as usize,
            flags as usize,
            fd as isize as usize,
            offset,
        )
    })
}

/// `munmap(addr, len)`.
pub fn munmap(addr: usize, len: usize) -> Result<(), Errno> {
    // SAFETY: unmapping a range Rust code still references would be unsound; callers only
    // unmap mappings they made and no longer borrow (see `Mapping`'s drop).
    decode(unsafe { syscall2(nr::MUNMAP, addr, len) }).map(|_| ())
}

/// `mprotect(addr, len, prot)`.
pub fn mprotect(addr: usize, len: usize, prot: u32) -> Result<(), Errno> {
    // SAFETY: changing protection cannot create dangling references; a later access to a
    // protected page ends the program with a signal.
    decode(unsafe { syscall3(nr::MPROTECT, addr, len, prot as usize) }).map(|_| ())
}

/// `msync(addr, len, flags)`.
pub fn msync(addr: usize, len: usize, flags: u32) -> Result<(), Errno> {
    // SAFETY: msync only writes mapped pages back to their file.
    decode(unsafe { syscall3(nr::MSYNC, addr, len, flags as usize) }).map(|_| ())
}

/// `madvise(addr, len, advice)`.
pub fn madvise(addr: usize, len: usize, advice: u32) -> Result<(), Errno> {
    // SAFETY: DONTNEED on a private mapping makes its bytes read as zeros again, which is a
    // change of values, not of validity.
    decode(unsafe { syscall3(nr::MADVISE, addr, len, advice as usize) }).map(|_| ())
}

/// An anonymous read-write mapping owned by the program, unmapped when dropped.
pub struct Mapping {
    addr: usize,
    len: usize,
}

impl Mapping {
    /// `len` bytes of zeroed memory; `shared` makes it MAP_SHARED (seen by forked children).
    pub fn anonymous(len: usize, shared: bool) -> Result<Mapping, Errno> {
        let kind = if shared { MAP_SHARED } else { MAP_PRIVATE };
        let addr = mmap(0, len, PROT_READ | PROT_WRITE, kind | MAP_ANONYMOUS, -1, 0)?;
        Ok(Mapping { addr, len })
    }

    /// A file mapping of `len` bytes of `fd` from `offset`, read-write.
    pub fn file(fd: i32, len: usize, offset: usize, shared: bool) -> Result<Mapping, Errno> {
        let kind = if shared { MAP_SHARED } else { MAP_PRIVATE };
        let addr = mmap(0, len, PROT_READ | PROT_WRITE, kind, fd, offset)?;
        Ok(Mapping { addr, len })
    }

    /// The mapping's address.
    pub fn addr(&self) -> usize {
        self.addr
    }

    /// The mapping's bytes.
    pub fn bytes(&self) -> &[u8] {
        // SAFETY: the mapping is readable and writable for `len` bytes from `addr` for as long
        // as `self` lives (only `drop` unmaps it).
        unsafe { core::slice::from_raw_parts(self.addr as *const u8, self.len) }
    }

    /// The mapping's bytes, writable.
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `bytes`; `&mut self` makes this the only reference.
        unsafe { core::slice::from_raw_parts_mut(self.addr as *mut u8, self.len) }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        let _ = munmap(self.addr, self.len);
    }
}
