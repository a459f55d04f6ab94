//! Resources with several units (concept T4): Dijkstra's banker's algorithm, which avoids
//! deadlock, and the detection algorithm, which finds it (Silberschatz, *Operating System
//! Concepts*, 8.6.3 and 8.7.2).
//!
//! There are `m` resource types and `n` processes. `available[j]` units of type `j` are
//! free; process `i` holds `allocation[i][j]` and has declared it may need up to
//! `max[i][j]` in all, so it may still ask for `need[i][j] = max[i][j] - allocation[i][j]`.
//!
//! Both algorithms run the same loop ([`completion_order`]): pretend the free units are a
//! pool `work`; any process whose outstanding demand fits in `work` can run to the end and
//! give back what it holds, so add its allocation to `work` and mark it finished; repeat
//! until nobody else fits. The loop scans the processes in index order, pass after pass,
//! so on the textbook example it yields P1, P3, P4, P0, P2.
//! - **Safety** (the banker): the demand is `need`. The state is *safe* when everyone
//!   finishes; the order they finished in is a *safe sequence*. A request is granted only
//!   if the state after granting it is still safe, so the system never enters a state
//!   from which a deadlock could follow.
//! - **Detection**: the demand is what each process is blocked asking for now
//!   (`request`). Those that never finish are deadlocked — except processes that hold
//!   nothing, which cannot be part of a circular wait (they start out finished).
//!
//! Invariants of [`Banker`]: every row has `m` entries, `allocation <= max` entry by entry,
//! and a refused request leaves the state unchanged.

use alloc::vec;
use alloc::vec::Vec;

/// Why [`Banker::new`] refused the matrices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShapeError {
    /// `max` and `allocation` have different numbers of rows, or a row is not as long as
    /// `available`.
    Dimensions,
    /// A process holds more of a type than it declared it may ever need.
    AllocationExceedsMax,
}

/// Why [`Banker::request`] did not grant a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The request is more than the process's remaining claim (`need`): an error.
    ExceedsClaim,
    /// Not enough units are free: the process must wait.
    Unavailable,
    /// Granting it would leave an unsafe state: the process must wait.
    Unsafe,
}

/// The banker's view of a system: free units, declared maximums and current allocations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Banker {
    available: Vec<u32>,
    max: Vec<Vec<u32>>,
    allocation: Vec<Vec<u32>>,
}

/// Whether `a <= b` entry by entry.
fn fits(a: &[u32], b: &[u32]) -> bool {
    a.iter().zip(b).all(|(x, y)| x <= y)
}

/// The loop shared by safety and detection (see the module comment): which processes can
/// finish, in the order found, starting from `available` free units, when process `i`
/// first needs `demand(i)` more and then returns `allocation[i]`. `finished[i]` starts out
/// as given (processes already out of the picture).
fn completion_order(
    available: &[u32],
    allocation: &[Vec<u32>],
    demand: impl Fn(usize) -> Vec<u32>,
    finished: &mut [bool],
) -> Vec<usize> {
    let mut work = available.to_vec();
    let mut order = Vec::new();
    loop {
        let mut progress = false;
        for process in 0..allocation.len() {
            if !finished[process] && fits(&demand(process), &work) {
                for (free, held) in work.iter_mut().zip(&allocation[process]) {
                    *free += held;
                }
                finished[process] = true;
                order.push(process);
                progress = true;
            }
        }
        if !progress {
            return order;
        }
    }
}

impl Banker {
    /// A banker over `available` free units per type, with each process's declared `max`
    /// and current `allocation` (one row per process, one column per type).
    pub fn new(
        available: Vec<u32>,
        max: Vec<Vec<u32>>,
        allocation: Vec<Vec<u32>>,
    ) -> Result<Banker, ShapeError> {
        let types = available.len();
        if max.len() != allocation.len()
            || max.iter().chain(&allocation).any(|row| row.len() != types)
        {
            return Err(ShapeError::Dimensions);
        }
        if max.iter().zip(&allocation).any(|(m, a)| !fits(a, m)) {
            return Err(ShapeError::AllocationExceedsMax);
        }
        Ok(Banker {
            available,
            max,
            allocation,
        })
    }

    /// Free units of each type.
    pub fn available(&self) -> &[u32] {
        &self.available
    }

    /// What `process` holds of each type.
    pub fn allocation(&self, process: usize) -> &[u32] {
        &self.allocation[process]
    }

    /// What `process` may still ask for: `max - allocation`.
    pub fn need(&self, process: usize) -> Vec<u32> {
        self.max[process]
            .iter()
            .zip(&self.allocation[process])
            .map(|(m, a)| m - a)
            .collect()
    }

    /// An order in which every process can get its remaining need and finish, or `None`
    /// if there is none (the state is unsafe).
    pub fn safe_sequence(&self) -> Option<Vec<usize>> {
        let mut finished = vec![false; self.allocation.len()];
        let order = completion_order(
            &self.available,
            &self.allocation,
            |process| self.need(process),
            &mut finished,
        );
        (order.len() == self.allocation.len()).then_some(order)
    }

    /// Whether a safe sequence exists.
    pub fn is_safe(&self) -> bool {
        self.safe_sequence().is_some()
    }

    /// `process` asks for `request` more units: granted (and allocated) only if it is within
    /// its claim, available, and leaves a safe state; otherwise nothing changes.
    pub fn request(&mut self, process: usize, request: &[u32]) -> Result<(), Refusal> {
        if request.len() != self.available.len() || !fits(request, &self.need(process)) {
            return Err(Refusal::ExceedsClaim);
        }
        if !fits(request, &self.available) {
            return Err(Refusal::Unavailable);
        }
        let mut after = self.clone();
        for (kind, amount) in request.iter().enumerate() {
            after.available[kind] -= amount;
            after.allocation[process][kind] += amount;
        }
        if !after.is_safe() {
            return Err(Refusal::Unsafe);
        }
        *self = after;
        Ok(())
    }

    /// `process` gives back `amounts` (at most what it holds of each type).
    pub fn release(&mut self, process: usize, amounts: &[u32]) {
        for (kind, amount) in amounts.iter().enumerate() {
            let amount = (*amount).min(self.allocation[process][kind]);
            self.allocation[process][kind] -= amount;
            self.available[kind] += amount;
        }
    }
}

/// The detection algorithm: the processes (in index order) that can never finish, given
/// the free units `available`, what each holds (`allocation`) and what each is blocked
/// asking for now (`request`). Processes that hold nothing are never reported.
pub fn deadlocked(available: &[u32], allocation: &[Vec<u32>], request: &[Vec<u32>]) -> Vec<usize> {
    let mut finished: Vec<bool> = allocation
        .iter()
        .map(|row| row.iter().all(|&held| held == 0))
        .collect();
    completion_order(
        available,
        allocation,
        |process| request[process].clone(),
        &mut finished,
    );
    (0..allocation.len())
        .filter(|&process| !finished[process])
        .collect()
}
