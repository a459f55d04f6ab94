//! The memory-mapping ABI of Linux riscv64: page size and the flags of `mmap`, `mprotect`,
//! `msync`, `madvise` and `mremap`.
//!
//! Invariants:
//! - Values are the asm-generic ones (riscv64 defines no overrides).
//! - `PROT_*` and `MAP_*` are independent bit sets; the mapping type (`MAP_SHARED`,
//!   `MAP_PRIVATE`, `MAP_SHARED_VALIDATE`) is a small number inside [`MAP_TYPE`].

/// Size of a base page in bytes.
pub const PAGE_SIZE: usize = 4096;
/// `log2(PAGE_SIZE)`.
pub const PAGE_SHIFT: usize = 12;

/// Pages may not be accessed.
pub const PROT_NONE: u32 = 0x0;
/// Pages may be read.
pub const PROT_READ: u32 = 0x1;
/// Pages may be written.
pub const PROT_WRITE: u32 = 0x2;
/// Pages may be executed.
pub const PROT_EXEC: u32 = 0x4;

/// Mask of the mapping-type field.
pub const MAP_TYPE: u32 = 0x0f;
/// Changes are shared with every other mapping of the object.
pub const MAP_SHARED: u32 = 0x01;
/// Changes are private (copy on write).
pub const MAP_PRIVATE: u32 = 0x02;
/// [`MAP_SHARED`] that rejects unknown flags.
pub const MAP_SHARED_VALIDATE: u32 = 0x03;
/// Place the mapping exactly at the address, replacing what is there.
pub const MAP_FIXED: u32 = 0x10;
/// Not backed by a file; zero-filled.
pub const MAP_ANONYMOUS: u32 = 0x20;
/// The mapping grows down like a stack.
pub const MAP_GROWSDOWN: u32 = 0x0100;
/// Lock the pages in memory.
pub const MAP_LOCKED: u32 = 0x2000;
/// Don't reserve swap space.
pub const MAP_NORESERVE: u32 = 0x4000;
/// Fault in all pages now.
pub const MAP_POPULATE: u32 = 0x8000;
/// With `MAP_POPULATE`: don't block on I/O.
pub const MAP_NONBLOCK: u32 = 0x1_0000;
/// The mapping will be a thread stack.
pub const MAP_STACK: u32 = 0x2_0000;
/// Back the mapping with huge pages.
pub const MAP_HUGETLB: u32 = 0x4_0000;
/// Like [`MAP_FIXED`], but fail with `EEXIST` instead of replacing a mapping.
pub const MAP_FIXED_NOREPLACE: u32 = 0x10_0000;

/// `msync`: schedule the write-back and return.
pub const MS_ASYNC: u32 = 1;
/// `msync`: invalidate other mappings of the same file.
pub const MS_INVALIDATE: u32 = 2;
/// `msync`: write back and wait.
pub const MS_SYNC: u32 = 4;

/// `madvise`: no special treatment.
pub const MADV_NORMAL: u32 = 0;
/// `madvise`: expect random access.
pub const MADV_RANDOM: u32 = 1;
/// `madvise`: expect sequential access.
pub const MADV_SEQUENTIAL: u32 = 2;
/// `madvise`: the range will be needed soon.
pub const MADV_WILLNEED: u32 = 3;
/// `madvise`: drop the pages; private anonymous memory reads back as zeros.
pub const MADV_DONTNEED: u32 = 4;
/// `madvise`: the pages may be freed lazily.
pub const MADV_FREE: u32 = 8;

/// `mremap`: the mapping may move to a new address.
pub const MREMAP_MAYMOVE: u32 = 1;
/// `mremap`: move to exactly the given new address.
pub const MREMAP_FIXED: u32 = 2;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_match_asm_generic() {
        assert_eq!(PAGE_SIZE, 1 << PAGE_SHIFT);
        assert_eq!(MAP_SHARED | MAP_PRIVATE, MAP_SHARED_VALIDATE);
        assert_eq!(MAP_FIXED_NOREPLACE, 0x100000);
        assert_eq!(PROT_READ | PROT_WRITE | PROT_EXEC, 7);
        assert_eq!(MADV_DONTNEED, 4);
    }
}
