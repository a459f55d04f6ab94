//! Swapping, the pure part (concepts M7, M8): what the kernel's pager decides without
//! touching hardware, so that it can be tested on the host.
//!
//! - [`SlotMap`]: the swap area as numbered 4 KiB slots, each with a reference count (a
//!   page swapped out before `fork` is referenced by both processes' address spaces), handed
//!   out in contiguous runs so that a batch of evicted pages becomes few, sequential disk
//!   writes.
//! - [`Pff`]: thrashing control by page-fault frequency. Each process's rate of major
//!   faults per second of its CPU time is sampled; under memory pressure, when at least two
//!   processes fault above the upper bound, the one faulting most is suspended (it stops
//!   running and its pages are evicted first), and it is resumed when the pressure is gone,
//!   when no other process is thrashing, or when it has waited long enough.
//!
//! Plain data: no locks, no clock (the caller passes the time), no floating point.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

mod pff;
mod slots;

pub use pff::{Action, Pff, PffConfig};
pub use slots::{SlotError, SlotMap};
