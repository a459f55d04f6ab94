//! The pure, host-testable half of `execve` (P3 exec, P4 process memory layout).
//!
//! `execve` replaces a process's memory with a new program. Everything that is only
//! arithmetic over bytes lives here, so it can be tested on the host; the kernel keeps the
//! mechanism (allocating frames, mapping pages, switching to user mode):
//!
//! 1. [`plan`] reads an ELF executable and returns a [`LoadPlan`]: which byte ranges of
//!    the file go to which user addresses with which permissions, the entry point, where
//!    the heap starts. [`LoadPlan::pages`] cuts the plan into one [`PagePlan`] per 4 KiB
//!    user page, so the kernel never reasons about partial pages.
//! 2. [`build_stack`] writes the initial user stack that Linux's C runtime expects at `sp`:
//!    `argc`, `argv`, `envp`, the auxiliary vector (from [`auxv_for`]) and the strings
//!    they point to.
//!
//! Invariants:
//! - Nothing here trusts its input: a malformed file or oversized argument list gives an
//!   error, never a panic, and every address computation is checked for overflow.
//! - Addresses are user virtual addresses as `usize`; no function touches real memory.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

mod auxv;
mod elf;
mod pages;
mod stack;

pub use auxv::auxv_for;
pub use elf::{ExecError, LoadPlan, Segment, plan, plan_from_head};
pub use pages::{Fill, PagePlan};
pub use stack::{StackError, StackImage, build_stack};
