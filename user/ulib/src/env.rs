//! The process's start-up environment, read from the Linux initial stack that `sp` pointed
//! at on entry: the arguments ([`args`]), the environment ([`vars`], [`var`]) and the
//! auxiliary vector ([`auxv`]).
//!
//! Layout at the initial `sp` (one 8-byte word each):
//! `argc`, `argv[0..argc]`, `NULL`, `envp[..]`, `NULL`, `(key, value)` pairs, `AT_NULL`.
//! The strings and the `AT_RANDOM` bytes live higher up on the same stack. All of it sits
//! above the entry `sp`, so the program's own stack use (below `sp`) never touches it: it
//! stays valid and unchanged for the life of the process, which is why this module can hand
//! out `&'static` references into it.
//!
//! Strings that are not UTF-8 are returned as `"\u{FFFD}"`.

use core::ffi::{CStr, c_char};
use core::mem::{align_of, size_of};
use core::sync::atomic::{AtomicUsize, Ordering};

use abi::process::{AT_NULL, AT_PHDR, AT_PHENT, AT_PHNUM, AT_RANDOM};

use crate::elf::ProgramHeader;

/// Bytes per word on the initial stack.
const WORD: usize = size_of::<usize>();

/// The entry `sp`; 0 until [`init`] ran.
static INITIAL_SP: AtomicUsize = AtomicUsize::new(0);
/// Number of arguments.
static ARGC: AtomicUsize = AtomicUsize::new(0);
/// Number of environment strings.
static ENVC: AtomicUsize = AtomicUsize::new(0);

unsafe extern "C" {
    /// The entry point, defined by `start`'s assembly.
    fn _start();
    /// Defined by the programs' linker script at the first page boundary after `.bss`.
    static __image_end: u8;
}

/// Records the initial stack.
///
/// # Safety
/// `initial_sp` is the stack pointer the kernel entered `_start` with, pointing at a
/// well-formed Linux initial stack that nothing will modify, and this is the only call.
pub(crate) unsafe fn init(initial_sp: usize) {
    // SAFETY: the caller guarantees a Linux initial stack at `initial_sp`: `argc` first, then
    // `argc` pointers and a NULL, then the NULL-terminated `envp` array.
    let (argc, envc) = unsafe {
        let argc = word(initial_sp);
        let envp = initial_sp + (argc + 2) * WORD;
        let mut envc = 0;
        while word(envp + envc * WORD) != 0 {
            envc += 1;
        }
        (argc, envc)
    };
    ARGC.store(argc, Ordering::Relaxed);
    ENVC.store(envc, Ordering::Relaxed);
    INITIAL_SP.store(initial_sp, Ordering::Release);
}

/// The word at `addr`.
///
/// # Safety
/// `addr` is an aligned, readable word of the initial stack.
unsafe fn word(addr: usize) -> usize {
    // SAFETY: guaranteed by the caller.
    unsafe { *(addr as *const usize) }
}

/// The NUL-terminated string at `addr`.
///
/// # Safety
/// `addr` is one of the string pointers of the initial stack.
unsafe fn string(addr: usize) -> &'static str {
    // SAFETY: the caller passes a pointer to a NUL-terminated string on the initial stack,
    // which lives, unmodified, as long as the process (module comment).
    let bytes = unsafe { CStr::from_ptr(addr as *const c_char) };
    bytes.to_str().unwrap_or("\u{FFFD}")
}

/// The stack pointer the kernel started the program with (it points at `argc`).
pub fn initial_sp() -> usize {
    INITIAL_SP.load(Ordering::Acquire)
}

/// Address of the `argv` array (0 before start-up).
fn argv_addr() -> usize {
    match initial_sp() {
        0 => 0,
        sp => sp + WORD,
    }
}

/// Address of the `envp` array (0 before start-up).
fn envp_addr() -> usize {
    match initial_sp() {
        0 => 0,
        sp => sp + (ARGC.load(Ordering::Relaxed) + 2) * WORD,
    }
}

/// Address of the first auxv pair (0 before start-up).
fn auxv_addr() -> usize {
    match envp_addr() {
        0 => 0,
        envp => envp + (ENVC.load(Ordering::Relaxed) + 1) * WORD,
    }
}

/// The strings of a NULL-terminated pointer array on the initial stack: [`args`], and the
/// raw entries behind [`vars`].
#[derive(Clone, Debug)]
pub struct Strings {
    /// Address of the next pointer.
    next: usize,
    /// Pointers left.
    remaining: usize,
}

impl Iterator for Strings {
    type Item = &'static str;

    fn next(&mut self) -> Option<&'static str> {
        if self.remaining == 0 {
            return None;
        }
        // SAFETY: `next` walks a pointer array recorded by `init`, and `remaining` keeps it
        // within the array's counted entries, each a pointer to a string.
        let text = unsafe { string(word(self.next)) };
        self.next += WORD;
        self.remaining -= 1;
        Some(text)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl ExactSizeIterator for Strings {}

/// The arguments, `argv[0]` (the program's path) first.
pub fn args() -> Strings {
    Strings {
        next: argv_addr(),
        remaining: ARGC.load(Ordering::Relaxed),
    }
}

/// The environment strings as `(name, value)`, split at the first `=` (an entry without one
/// has an empty value).
pub fn vars() -> impl Iterator<Item = (&'static str, &'static str)> {
    let entries = Strings {
        next: envp_addr(),
        remaining: ENVC.load(Ordering::Relaxed),
    };
    entries.map(|entry| entry.split_once('=').unwrap_or((entry, "")))
}

/// The value of environment variable `name`, if set.
pub fn var(name: &str) -> Option<&'static str> {
    vars().find(|&(key, _)| key == name).map(|(_, value)| value)
}

/// The auxiliary vector's `(key, value)` pairs, up to but not including `AT_NULL`.
pub fn auxv_entries() -> impl Iterator<Item = (u64, usize)> {
    let mut next = auxv_addr();
    core::iter::from_fn(move || {
        if next == 0 {
            return None;
        }
        // SAFETY: `next` walks the auxv pairs that `init` located; it stops at `AT_NULL`,
        // the last pair, and never reads past it.
        let (key, value) = unsafe { (word(next) as u64, word(next + WORD)) };
        if key == AT_NULL {
            next = 0;
            return None;
        }
        next += 2 * WORD;
        Some((key, value))
    })
}

/// The value of auxv entry `key` (`abi::process::AT_PAGESZ`, ...), if the kernel gave one.
pub fn auxv(key: u64) -> Option<usize> {
    auxv_entries()
        .find(|&(k, _)| k == key)
        .map(|(_, value)| value)
}

/// The program headers of the running program, from `AT_PHDR`, `AT_PHENT` and `AT_PHNUM`;
/// `None` if an entry is missing, `AT_PHDR` is NULL or misaligned, or `AT_PHENT` is not the
/// ELF64 entry size.
pub fn program_headers() -> Option<&'static [ProgramHeader]> {
    let addr = auxv(AT_PHDR)?;
    let count = auxv(AT_PHNUM)?;
    let entry_size = auxv(AT_PHENT)?;
    let sane = addr != 0
        && addr % align_of::<ProgramHeader>() == 0
        && entry_size == size_of::<ProgramHeader>()
        && count <= usize::from(u16::MAX);
    if !sane {
        return None;
    }
    // SAFETY: by the ELF start-up contract `AT_PHDR` is the address of the program's
    // `AT_PHNUM` program headers, which lie in its loaded, read-only image for its whole
    // life; the address is aligned and the entry size matches `ProgramHeader`.
    Some(unsafe { core::slice::from_raw_parts(addr as *const ProgramHeader, count) })
}

/// The 16 random bytes `AT_RANDOM` points at, if the kernel gave them.
pub fn random_bytes() -> Option<&'static [u8; 16]> {
    match auxv(AT_RANDOM)? {
        0 => None,
        // SAFETY: by the start-up contract `AT_RANDOM` points at 16 bytes on the initial
        // stack, which lives, unmodified, as long as the process (module comment).
        addr => Some(unsafe { &*(addr as *const [u8; 16]) }),
    }
}

/// The address of `_start`, the program's ELF entry point.
pub fn entry_point() -> usize {
    _start as *const () as usize
}

/// The first page boundary after the program's loaded image (the end of `.bss` rounded up
/// to a page): memory from here up is not part of the image, and is unmapped unless the
/// program has grown its heap there.
pub fn image_end() -> usize {
    (&raw const __image_end) as usize
}
