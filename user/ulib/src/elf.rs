//! The ELF64 program header, as the kernel hands it to a program through `AT_PHDR`
//! (see [`crate::env::program_headers`]). The `abi` crate covers the system-call ABI only,
//! so the ELF layout lives here.

/// `PT_LOAD`: a segment mapped from the file.
pub const PT_LOAD: u32 = 1;
/// `PT_PHDR`: the program-header table itself.
pub const PT_PHDR: u32 = 6;

/// Segment flag: executable.
pub const PF_X: u32 = 1;
/// Segment flag: writable.
pub const PF_W: u32 = 2;
/// Segment flag: readable.
pub const PF_R: u32 = 4;

/// `Elf64_Phdr`: one entry of the program-header table (56 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProgramHeader {
    /// Segment type (`PT_*`).
    pub p_type: u32,
    /// Segment flags (`PF_*`).
    pub p_flags: u32,
    /// File offset of the segment's first byte.
    pub p_offset: u64,
    /// Virtual address of the segment's first byte.
    pub p_vaddr: u64,
    /// Physical address (unused by Lantern and Linux).
    pub p_paddr: u64,
    /// Bytes of the segment in the file.
    pub p_filesz: u64,
    /// Bytes of the segment in memory (the rest past `p_filesz` is zeroed).
    pub p_memsz: u64,
    /// Alignment of `p_vaddr` and `p_offset`.
    pub p_align: u64,
}

const _: () = assert!(core::mem::size_of::<ProgramHeader>() == 56);
