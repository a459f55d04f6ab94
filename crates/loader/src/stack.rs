//! P3 exec / P4 process memory layout: the initial user stack.
//!
//! A new program finds its arguments on the stack. Linux riscv64 leaves `sp` pointing at
//! `argc`, and the C runtime's `_start` walks upward from there:
//!
//! ```text
//! stack_top ->  execfn string (optional), NUL-terminated
//!               environment strings, each NUL-terminated
//!               argument strings, each NUL-terminated
//!               16 random bytes (AT_RANDOM points here)
//!               padding (so that sp is 16-byte aligned)
//!               auxv: (key, value) pairs, ending with (AT_NULL, 0)
//!               NULL
//!               envp[envc - 1] ... envp[0]
//!               NULL
//!               argv[argc - 1] ... argv[0]
//! sp ->         argc
//! ```
//!
//! Invariants of a [`StackImage`]:
//! - `sp % 16 == 0`, `sp + bytes.len() == stack_top` and `bytes.len() <= max_size`.
//! - Every word of the tables is a little-endian `u64`; every pointer in them points into
//!   `[sp, stack_top)`.
//! - The argument strings are contiguous and followed by the environment strings, as on
//!   Linux.
//! - The auxiliary vector holds the caller's pairs, then `AT_RANDOM`, then `AT_EXECFN` if an
//!   execfn was given, then `AT_NULL`. Pairs with those three keys in the caller's list
//!   are dropped: the stack builder owns them.

use abi::process::{AT_EXECFN, AT_NULL, AT_RANDOM};
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

/// Bytes in one stack word (`u64`).
const WORD: usize = 8;
/// Bytes of randomness `AT_RANDOM` points to.
const RANDOM_LEN: usize = 16;
/// Alignment of `sp` that the RISC-V psABI requires.
const SP_ALIGN: usize = 16;

/// The initial stack of a new program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StackImage {
    /// The initial stack pointer; it points at `argc`.
    pub sp: usize,
    /// The content of `[sp, stack_top)`.
    pub bytes: Vec<u8>,
    /// User address of `argv[0]`'s slot (the `argv` array).
    pub argv_addr: usize,
    /// User address of the `envp` array.
    pub envp_addr: usize,
}

/// Why the initial stack cannot be built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StackError {
    /// The arguments and environment do not fit in `max_size` bytes (`E2BIG`).
    TooBig,
}

impl fmt::Display for StackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("argument list too long")
    }
}

/// Builds the initial stack that ends at `stack_top`; see the module comment for the layout.
///
/// The strings must not contain NUL bytes (a reader would see them cut short there).
/// `auxv` is the caller's part of the auxiliary vector (see [`auxv_for`](crate::auxv_for));
/// `random` is what `AT_RANDOM` points to, and `execfn`, if given, is the path `AT_EXECFN`
/// points to. Fails with [`StackError::TooBig`] if the image would exceed `max_size`
/// bytes or reach below address 0.
pub fn build_stack(
    stack_top: usize,
    argv: &[&[u8]],
    envp: &[&[u8]],
    auxv: &[(usize, usize)],
    random: [u8; RANDOM_LEN],
    execfn: Option<&[u8]>,
    max_size: usize,
) -> Result<StackImage, StackError> {
    let owned = [AT_NULL, AT_RANDOM, AT_EXECFN].map(key);
    let caller_auxv = || auxv.iter().filter(|(k, _)| !owned.contains(k));

    let strings_size = sum([
        strings_size(argv)?,
        strings_size(envp)?,
        execfn.map_or(0, string_size),
    ])?;
    // AT_RANDOM, AT_EXECFN if given, AT_NULL.
    let auxv_pairs = caller_auxv().count() + 2 + usize::from(execfn.is_some());
    // argc, argv and its NULL, envp and its NULL, the auxv pairs.
    let words = sum([3, argv.len(), envp.len(), auxv_pairs, auxv_pairs])?;
    let table_size = words.checked_mul(WORD).ok_or(StackError::TooBig)?;
    let size = sum([strings_size, RANDOM_LEN, table_size])?;
    let sp = stack_top.checked_sub(size).ok_or(StackError::TooBig)? / SP_ALIGN * SP_ALIGN;
    if stack_top - sp > max_size {
        return Err(StackError::TooBig);
    }

    let mut image = Image {
        base: sp,
        bytes: vec![0; stack_top - sp],
    };
    let mut table = sp;
    let mut strings = stack_top - strings_size;
    let random_addr = strings - RANDOM_LEN;
    image.put(&mut table, &u64_bytes(argv.len()));
    let argv_addr = table;
    for arg in argv {
        image.put(&mut table, &u64_bytes(strings));
        image.put_string(&mut strings, arg);
    }
    image.put(&mut table, &u64_bytes(0));
    let envp_addr = table;
    for var in envp {
        image.put(&mut table, &u64_bytes(strings));
        image.put_string(&mut strings, var);
    }
    image.put(&mut table, &u64_bytes(0));
    let execfn_addr = execfn.map(|path| {
        let addr = strings;
        image.put_string(&mut strings, path);
        addr
    });
    let mut random_at = random_addr;
    image.put(&mut random_at, &random);

    let own_pairs = [
        (key(AT_RANDOM), Some(random_addr)),
        (key(AT_EXECFN), execfn_addr),
    ];
    let own_pairs = own_pairs.iter().filter_map(|&(k, v)| Some((k, v?)));
    for (k, v) in caller_auxv()
        .copied()
        .chain(own_pairs)
        .chain([(key(AT_NULL), 0)])
    {
        image.put(&mut table, &u64_bytes(k));
        image.put(&mut table, &u64_bytes(v));
    }
    debug_assert!(table <= random_addr && strings == stack_top);

    Ok(StackImage {
        sp,
        bytes: image.bytes,
        argv_addr,
        envp_addr,
    })
}

/// The bytes of `[base, base + bytes.len())`, written by user address.
struct Image {
    base: usize,
    bytes: Vec<u8>,
}

impl Image {
    /// Writes `data` at `*addr` and advances `*addr` past it.
    fn put(&mut self, addr: &mut usize, data: &[u8]) {
        let at = *addr - self.base;
        self.bytes[at..at + data.len()].copy_from_slice(data);
        *addr += data.len();
    }

    /// Writes `s` and its terminating NUL at `*addr` and advances `*addr` past them.
    fn put_string(&mut self, addr: &mut usize, s: &[u8]) {
        self.put(addr, s);
        self.put(addr, &[0]);
    }
}

/// An auxiliary-vector key from `abi` (a `u64`) as a stack word.
pub(crate) fn key(k: u64) -> usize {
    // Lossless: the abi crate only builds where `usize` is 64 bits.
    k as usize
}

/// A stack word in memory order.
fn u64_bytes(value: usize) -> [u8; WORD] {
    (value as u64).to_le_bytes()
}

/// Bytes taken by `s` and its NUL.
fn string_size(s: &[u8]) -> usize {
    s.len() + 1
}

/// Bytes taken by all of `strings` and their NULs.
fn strings_size(strings: &[&[u8]]) -> Result<usize, StackError> {
    strings
        .iter()
        .try_fold(0usize, |total, s| total.checked_add(string_size(s)))
        .ok_or(StackError::TooBig)
}

/// The sum of `values`, or `TooBig` if it overflows.
fn sum<const N: usize>(values: [usize; N]) -> Result<usize, StackError> {
    values
        .into_iter()
        .try_fold(0usize, usize::checked_add)
        .ok_or(StackError::TooBig)
}
