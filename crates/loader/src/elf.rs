//! P3 exec: reading an ELF executable into a load plan.
//!
//! An ELF executable describes its memory image with program headers. Each `PT_LOAD`
//! header says: copy `p_filesz` bytes from file offset `p_offset` to address `p_vaddr`,
//! and zero the rest of `p_memsz` (the `.bss`). [`plan`] checks every header and returns
//! the [`LoadPlan`] the kernel follows; it maps nothing itself.
//!
//! Accepted files are ELF64, little-endian, `EM_RISCV`, and either `ET_EXEC` (placed at
//! its link addresses) or `ET_DYN` (position-independent, placed at `load_bias` plus its
//! link addresses, as a static-pie is).
//!
//! Invariants of a plan returned by [`plan`]:
//! - `segments` are sorted by `vaddr`, each has `mem_size > 0` and `file_size <= mem_size`,
//!   no two overlap (two may share a page), and each lies in `[0, user_top)`.
//! - Every `[file_offset, file_offset + file_size)` lies inside the file.
//! - `vaddr % PAGE_SIZE == file_offset % PAGE_SIZE` for every segment, as in Linux, which
//!   maps file pages directly.
//! - `brk_start` is page-aligned, at or above the end of every segment, and at most
//!   `user_top` rounded up to a page.

use abi::mm::PAGE_SIZE;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use object::LittleEndian;
use object::elf::{self as raw, FileHeader64, ProgramHeader64};
use object::read::elf::{FileHeader as _, ProgramHeader as _};

/// One region of the program's memory: `file_size` bytes from the file, then zeros up to
/// `mem_size`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    /// User address of the first byte.
    pub vaddr: usize,
    /// Bytes of memory the segment occupies (at least `file_size`).
    pub mem_size: usize,
    /// Offset in the file of the bytes copied to `vaddr`.
    pub file_offset: usize,
    /// Bytes copied from the file; the remaining `mem_size - file_size` are zero.
    pub file_size: usize,
    /// `PF_R`.
    pub readable: bool,
    /// `PF_W`.
    pub writable: bool,
    /// `PF_X`.
    pub executable: bool,
}

impl Segment {
    /// The first address past the segment.
    pub fn end(&self) -> usize {
        self.vaddr.saturating_add(self.mem_size)
    }
}

/// What the kernel must do to load one executable; see the module invariants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadPlan {
    /// User address of the first instruction (`e_entry` plus the load bias).
    pub entry: usize,
    /// The loadable segments, sorted by address.
    pub segments: Vec<Segment>,
    /// User address of the program header table, for `AT_PHDR`: from `PT_PHDR`, else from
    /// the `PT_LOAD` segment whose file bytes contain the table; `None` if neither.
    pub phdr_vaddr: Option<usize>,
    /// Size of one program header (`e_phentsize`), for `AT_PHENT`.
    pub phent: usize,
    /// Number of program headers, for `AT_PHNUM`.
    pub phnum: usize,
    /// The `PT_INTERP` path of a dynamically linked program (the dynamic linker to run).
    pub interp: Option<String>,
    /// Page-aligned end of the highest segment: where the heap (`brk`) starts.
    pub brk_start: usize,
    /// Whether `PT_GNU_STACK` asks for an executable stack (no `PT_GNU_STACK`: no).
    pub stack_executable: bool,
    /// The `PT_TLS` template, for information (`.tdata` then `.tbss`).
    pub tls: Option<Segment>,
}

/// Why a file cannot be executed. All of them mean `ENOEXEC` to the caller of `execve`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExecError {
    /// No ELF magic, or the file is too short for its headers or program header table.
    NotElf,
    /// Not ELF64 little-endian.
    WrongClass,
    /// Not for RISC-V (`EM_RISCV`).
    WrongMachine,
    /// Neither `ET_EXEC` nor `ET_DYN` (an object file or core dump, say).
    NotExecutable,
    /// A segment is inconsistent: it overlaps another loadable segment, its file range
    /// leaves the file, `p_memsz < p_filesz`, its addresses overflow or reach `user_top`,
    /// or its address and offset disagree modulo the page size or `p_align`.
    BadSegment,
    /// No `PT_LOAD` segment with memory in it.
    NoLoadableSegment,
    /// A malformed `PT_INTERP`: more than one, outside the file, no terminating NUL, or
    /// not UTF-8.
    Interpreter,
}

impl fmt::Display for ExecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NotElf => "not an ELF file",
            Self::WrongClass => "not ELF64 little-endian",
            Self::WrongMachine => "not a RISC-V program",
            Self::NotExecutable => "not an executable ELF file",
            Self::BadSegment => "inconsistent ELF segment",
            Self::NoLoadableSegment => "no loadable ELF segment",
            Self::Interpreter => "malformed ELF interpreter path",
        })
    }
}

type Header = FileHeader64<LittleEndian>;
type ProgramHeader = ProgramHeader64<LittleEndian>;

/// Reads `file` into a [`LoadPlan`] whose segments all lie below `user_top`.
///
/// `load_bias` is added to every address of an `ET_DYN` file and must then be a multiple
/// of the page size (otherwise the segments fail the alignment check). An `ET_EXEC` file
/// only runs at its link addresses, so its `load_bias` is ignored: the kernel may pass the
/// same bias for every file without looking at its type first.
///
/// A program with an interpreter is still planned, with [`LoadPlan::interp`] set; refusing
/// or loading the interpreter is the caller's decision.
pub fn plan(file: &[u8], user_top: usize, load_bias: usize) -> Result<LoadPlan, ExecError> {
    plan_from_head(file, file.len(), user_top, load_bias)
}

/// [`plan`] from the first bytes of a file of `file_len` bytes: `head` must hold the file
/// header, the program header table and any `PT_INTERP` string (a kernel that pages the
/// program in on demand reads only this much at exec; segments are checked against
/// `file_len`). A table beyond `head` is [`ExecError::NotElf`].
pub fn plan_from_head(
    head: &[u8],
    file_len: usize,
    user_top: usize,
    load_bias: usize,
) -> Result<LoadPlan, ExecError> {
    let file = head;
    let endian = LittleEndian;
    let header = parse_header(file)?;
    let bias = match header.e_type(endian) {
        raw::ET_EXEC => 0,
        raw::ET_DYN => load_bias,
        _ => return Err(ExecError::NotExecutable),
    };
    let headers = header
        .program_headers(endian, file)
        .map_err(|_| ExecError::NotElf)?;

    let mut segments = Vec::new();
    let mut phdr_vaddr = None;
    let mut interp = None;
    let mut stack_executable = false;
    let mut tls = None;
    for ph in headers {
        match ph.p_type(endian) {
            raw::PT_LOAD => {
                let segment = segment(ph, file_len, bias)?;
                check_loadable(ph, &segment, user_top)?;
                if segment.mem_size > 0 {
                    segments.push(segment);
                }
            }
            raw::PT_PHDR => phdr_vaddr = Some(biased(ph.p_vaddr(endian), bias)?),
            raw::PT_INTERP => {
                if interp.is_some() {
                    return Err(ExecError::Interpreter);
                }
                interp = Some(interpreter(ph, file)?);
            }
            raw::PT_GNU_STACK => stack_executable = ph.p_flags(endian).0 & raw::PF_X.0 != 0,
            raw::PT_TLS => tls = Some(segment(ph, file_len, bias)?),
            _ => {}
        }
    }

    segments.sort_unstable_by_key(|s| s.vaddr);
    if segments.windows(2).any(|w| w[0].end() > w[1].vaddr) {
        return Err(ExecError::BadSegment);
    }
    let highest_end = segments.last().ok_or(ExecError::NoLoadableSegment)?.end();
    let brk_start = highest_end
        .checked_next_multiple_of(PAGE_SIZE)
        .ok_or(ExecError::BadSegment)?;

    let phent = usize::from(header.e_phentsize(endian));
    let phnum = headers.len();
    let phdr_vaddr = match phdr_vaddr {
        Some(vaddr) => Some(vaddr),
        None => table_in_segments(&segments, word(header.e_phoff(endian))?, phent * phnum),
    };
    Ok(LoadPlan {
        entry: biased(header.e_entry(endian), bias)?,
        segments,
        phdr_vaddr,
        phent,
        phnum,
        interp,
        brk_start,
        stack_executable,
        tls,
    })
}

/// Checks the identification bytes and returns the file header.
fn parse_header(file: &[u8]) -> Result<&Header, ExecError> {
    if file.get(..raw::ELFMAG.len()) != Some(&raw::ELFMAG[..]) {
        return Err(ExecError::NotElf);
    }
    // EI_CLASS and EI_DATA follow the magic.
    match file.get(4..6) {
        None => return Err(ExecError::NotElf),
        Some(ident) if ident == [raw::ELFCLASS64.0, raw::ELFDATA2LSB.0] => {}
        Some(_) => return Err(ExecError::WrongClass),
    }
    let header = Header::parse(file).map_err(|_| ExecError::NotElf)?;
    if header.e_machine(LittleEndian) != raw::EM_RISCV {
        return Err(ExecError::WrongMachine);
    }
    Ok(header)
}

/// The checks every segment with file bytes needs, `PT_LOAD` or `PT_TLS`.
fn segment(ph: &ProgramHeader, file_len: usize, bias: usize) -> Result<Segment, ExecError> {
    let endian = LittleEndian;
    let file_offset = word(ph.p_offset(endian))?;
    let file_size = word(ph.p_filesz(endian))?;
    let mem_size = word(ph.p_memsz(endian))?;
    let vaddr = biased(ph.p_vaddr(endian), bias)?;
    let file_end = file_offset
        .checked_add(file_size)
        .ok_or(ExecError::BadSegment)?;
    if file_size > mem_size || file_end > file_len || vaddr.checked_add(mem_size).is_none() {
        return Err(ExecError::BadSegment);
    }
    let flags = ph.p_flags(endian).0;
    Ok(Segment {
        vaddr,
        mem_size,
        file_offset,
        file_size,
        readable: flags & raw::PF_R.0 != 0,
        writable: flags & raw::PF_W.0 != 0,
        executable: flags & raw::PF_X.0 != 0,
    })
}

/// The extra checks of a `PT_LOAD` segment: below `user_top`, and address and offset
/// congruent modulo the page size and modulo `p_align`.
fn check_loadable(ph: &ProgramHeader, segment: &Segment, user_top: usize) -> Result<(), ExecError> {
    let endian = LittleEndian;
    let align = ph.p_align(endian);
    // The link-time address, not the biased one: the bias need only be page-aligned.
    let congruent = align <= 1
        || (align.is_power_of_two() && ph.p_vaddr(endian) % align == ph.p_offset(endian) % align);
    if !congruent
        || segment.vaddr % PAGE_SIZE != segment.file_offset % PAGE_SIZE
        || segment.end() > user_top
    {
        return Err(ExecError::BadSegment);
    }
    Ok(())
}

/// The NUL-terminated path in a `PT_INTERP` segment.
fn interpreter(ph: &ProgramHeader, file: &[u8]) -> Result<String, ExecError> {
    let path = ph
        .interpreter(LittleEndian, file)
        .ok()
        .flatten()
        .ok_or(ExecError::Interpreter)?;
    let path = core::str::from_utf8(path).map_err(|_| ExecError::Interpreter)?;
    Ok(String::from(path))
}

/// The user address of `size` bytes at file offset `offset`, if one loadable segment
/// copies all of them from the file.
fn table_in_segments(segments: &[Segment], offset: usize, size: usize) -> Option<usize> {
    segments.iter().find_map(|s| {
        let inside =
            offset >= s.file_offset && offset.checked_add(size)? <= s.file_offset + s.file_size;
        inside.then(|| s.vaddr + (offset - s.file_offset))
    })
}

/// An ELF address plus the load bias.
fn biased(address: u64, bias: usize) -> Result<usize, ExecError> {
    word(address)?
        .checked_add(bias)
        .ok_or(ExecError::BadSegment)
}

/// An ELF64 word as a `usize`.
fn word(value: u64) -> Result<usize, ExecError> {
    usize::try_from(value).map_err(|_| ExecError::BadSegment)
}
