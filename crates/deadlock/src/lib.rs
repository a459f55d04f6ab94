//! Deadlock (concept T4): the algorithms behind the kernel's deadlock detector and the
//! textbook ones around it, as pure code tested on the host.
//!
//! A set of processes is deadlocked when each waits for something only another member can
//! give up. Coffman's four conditions must all hold for that: mutual exclusion, hold and
//! wait, no preemption, and circular wait. The circular wait is what an algorithm can see:
//! - [`wait_for`]: with one unit of each resource (a lock, a binary semaphore), a process
//!   waits for the holder of what it wants; the processes are deadlocked exactly when this
//!   *wait-for graph* has a cycle ([`WaitForGraph::cycle_through`] finds the one a new wait
//!   would close, which is how the kernel refuses it with `EDEADLK`).
//! - [`banker`]: with several units of each resource type, a cycle is no longer enough, so
//!   the matrices of the textbook algorithms are used instead: Dijkstra's banker's
//!   algorithm *avoids* deadlock by granting a request only if every process can still
//!   finish afterwards in some order (a *safe sequence*), and the detection algorithm finds
//!   the processes that can never finish with what they are waiting for.
//!
//! Both are `no_std` + `alloc`; the kernel uses [`WaitForGraph`] under its semaphore lock.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod banker;
pub mod wait_for;

pub use banker::{Banker, Refusal, ShapeError, deadlocked};
pub use wait_for::WaitForGraph;

#[cfg(test)]
mod tests;
