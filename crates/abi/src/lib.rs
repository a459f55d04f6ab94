//! The Linux riscv64 (LP64, asm-generic) system-call ABI, shared by Lantern's kernel and its
//! user programs so both sides agree on every number and every byte.
//!
//! Invariants:
//! - Every constant has the value the Linux riscv64 kernel uses, and every `#[repr(C)]`
//!   struct has the size and field offsets of its Linux counterpart (the tests check them).
//! - Constants take the type of the C field or argument they travel in: bit-flag sets are
//!   unsigned (`u32`, or `u64` where the C type is `unsigned long`), plain `int` numbers that
//!   may be negative are `i32`, and syscall numbers are `usize` like the register that
//!   carries them.
//! - Structs cross the user/kernel boundary as byte images made by safe code
//!   ([`wire::WireFormat`]); everything here is safe Rust.

#![no_std]
#![forbid(unsafe_code)]

#[cfg(test)]
extern crate std;

// The ABI described here is the 64-bit one: `unsigned long` and pointers are 8 bytes.
const _: () = assert!(usize::BITS == 64, "the Linux riscv64 ABI is LP64");

pub mod errno;
pub mod fs;
pub mod futex;
pub mod ipc;
pub mod mm;
pub mod nr;
pub mod process;
pub mod signal;
pub mod socket;
pub mod time;
pub mod tty;
pub mod wait;
pub mod wire;

pub use errno::Errno;
pub use wire::WireFormat;
