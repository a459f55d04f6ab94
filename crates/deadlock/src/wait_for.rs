//! The wait-for graph (concept T4): an edge `a -> b` says process `a` is blocked until `b`
//! gives up something it holds. With single-unit resources a cycle is a deadlock: everyone
//! on it waits for the next one, forever.
//!
//! Cycles are found by breadth-first search from the waiter's targets back to the waiter, so
//! the cycle reported is a shortest one through it; the walk keeps its own queue (no
//! recursion, since the kernel runs it on a small kernel stack).

use alloc::collections::{BTreeMap, BTreeSet, VecDeque};
use alloc::vec::Vec;

/// Who waits for whom. Nodes are any ordered ids (the kernel uses pids).
#[derive(Clone, Debug, Default)]
pub struct WaitForGraph<N> {
    edges: BTreeMap<N, BTreeSet<N>>,
}

impl<N: Ord + Copy> WaitForGraph<N> {
    /// A graph with no edges.
    pub fn new() -> Self {
        WaitForGraph {
            edges: BTreeMap::new(),
        }
    }

    /// Records that `waiter` waits for `holder`. A process never waits for itself, so a
    /// self-edge is ignored.
    pub fn add_edge(&mut self, waiter: N, holder: N) {
        if waiter != holder {
            self.edges.entry(waiter).or_default().insert(holder);
        }
    }

    /// The processes `waiter` waits for, in order.
    pub fn waits_for(&self, waiter: N) -> impl Iterator<Item = N> + '_ {
        self.edges.get(&waiter).into_iter().flatten().copied()
    }

    /// A shortest cycle through `start`, as the processes on it beginning with `start`
    /// (`start` waits for the second, ..., the last waits for `start`), or `None`.
    pub fn cycle_through(&self, start: N) -> Option<Vec<N>> {
        // Breadth-first from `start`; `came_from[n]` is the node `n` was first reached
        // from, so following it back from the node that reaches `start` gives the path.
        let mut came_from: BTreeMap<N, N> = BTreeMap::new();
        let mut queue = VecDeque::from([start]);
        while let Some(node) = queue.pop_front() {
            for next in self.waits_for(node) {
                if next == start {
                    let mut cycle = alloc::vec![node];
                    let mut at = node;
                    while at != start {
                        at = came_from[&at];
                        cycle.push(at);
                    }
                    cycle.reverse();
                    return Some(cycle);
                }
                if let alloc::collections::btree_map::Entry::Vacant(slot) = came_from.entry(next) {
                    slot.insert(node);
                    queue.push_back(next);
                }
            }
        }
        None
    }

    /// Some cycle of the graph, if it has one: the shortest through the lowest process that
    /// lies on any cycle.
    pub fn find_cycle(&self) -> Option<Vec<N>> {
        self.edges.keys().find_map(|&node| self.cycle_through(node))
    }
}
