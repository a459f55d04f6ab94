//! Per-frame state for the policies that rank frames (concept M7): `lru`, `aging`, `lfu`,
//! `opt` and `random` keep one value per tracked frame in an array indexed by frame, each
//! stamped with the order of its insertion so that ties go to the frame inserted first.
//!
//! Invariant: `len` is the number of occupied slots; insertion stamps only grow.

use crate::FrameIndex;
use crate::paged::Paged;
use alloc::collections::BinaryHeap;
use alloc::vec::Vec;

#[derive(Debug)]
struct Slot<T> {
    inserted: u64,
    value: T,
}

/// A value per tracked frame.
#[derive(Debug)]
pub(crate) struct Slots<T> {
    slots: Paged<Option<Slot<T>>>,
    len: usize,
    insertions: u64,
}

impl<T> Default for Slots<T> {
    fn default() -> Slots<T> {
        Slots {
            slots: Paged::default(),
            len: 0,
            insertions: 0,
        }
    }
}

impl<T> Slots<T> {
    /// Tracks `frame` with `value`, as the newest frame (replacing what it had).
    pub(crate) fn insert(&mut self, frame: FrameIndex, value: T) {
        if self.slots.len() <= frame {
            self.slots.grow_with(frame + 1, || None);
        }
        let slot = Slot {
            inserted: self.insertions,
            value,
        };
        self.insertions += 1;
        if self.slots[frame].replace(slot).is_none() {
            self.len += 1;
        }
    }

    pub(crate) fn remove(&mut self, frame: FrameIndex) {
        if self.slots.get_mut(frame).and_then(Option::take).is_some() {
            self.len -= 1;
        }
    }

    pub(crate) fn get_mut(&mut self, frame: FrameIndex) -> Option<&mut T> {
        self.slots
            .get_mut(frame)
            .and_then(Option::as_mut)
            .map(|slot| &mut slot.value)
    }

    /// The tracked frames and their values, by frame index.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (FrameIndex, &T)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(frame, slot)| slot.as_ref().map(|slot| (frame, &slot.value)))
    }

    /// The tracked frames and their values, by frame index, to update.
    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = (FrameIndex, &mut T)> {
        self.slots
            .iter_mut()
            .enumerate()
            .filter_map(|(frame, slot)| slot.as_mut().map(|slot| (frame, &mut slot.value)))
    }

    /// The tracked frame with the least `key`; of equals, the one inserted first.
    pub(crate) fn least<K: Ord>(
        &self,
        mut key: impl FnMut(FrameIndex, &T) -> K,
    ) -> Option<FrameIndex> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(frame, slot)| {
                slot.as_ref()
                    .map(|slot| ((key(frame, &slot.value), slot.inserted), frame))
            })
            .min_by(|a, b| a.0.cmp(&b.0))
            .map(|(_, frame)| frame)
    }

    /// Up to `count` tracked frames with the least `key`, least first; of equals, the one
    /// inserted first (what `least` would return `count` times, each removed in between).
    /// Keeps only the best `count` while it looks (a heap whose top is the worst of them), so
    /// it needs memory for `count` frames, not for every tracked one.
    pub(crate) fn least_n<K: Ord>(
        &self,
        count: usize,
        mut key: impl FnMut(FrameIndex, &T) -> K,
    ) -> Vec<FrameIndex> {
        if count == 0 {
            return Vec::new();
        }
        let mut best: BinaryHeap<((K, u64), FrameIndex)> = BinaryHeap::new();
        for (frame, slot) in self.slots.iter().enumerate() {
            let Some(slot) = slot else { continue };
            let rank = (key(frame, &slot.value), slot.inserted);
            if best.len() < count {
                best.push((rank, frame));
            } else if best.peek().is_some_and(|worst| rank < worst.0) {
                best.pop();
                best.push((rank, frame));
            }
        }
        best.into_sorted_vec()
            .into_iter()
            .map(|(_, frame)| frame)
            .collect()
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn least_breaks_ties_by_insertion_order_and_forgets_removed_frames() {
        let mut slots = Slots::default();
        slots.insert(5, 1);
        slots.insert(2, 1);
        slots.insert(9, 0);
        assert_eq!(slots.least(|_, &v| v), Some(9));
        slots.remove(9);
        assert_eq!(slots.least(|_, &v| v), Some(5), "5 was inserted before 2");
        slots.insert(5, 1);
        assert_eq!(
            slots.least(|_, &v| v),
            Some(2),
            "re-inserting 5 made it the newest"
        );
        *slots.get_mut(2).unwrap() = 3;
        assert_eq!(slots.least(|_, &v| v), Some(5));
        assert_eq!(slots.len(), 2);
        assert_eq!(slots.least_n(5, |_, &v| v), vec![5, 2]);
        slots.insert(8, 3);
        assert_eq!(slots.least_n(2, |_, &v| v), vec![5, 2], "ties by insertion");
        assert_eq!(slots.least_n(0, |_, &v| v), Vec::<FrameIndex>::new());
        slots.remove(8);
        slots.remove(7);
        assert_eq!(
            slots.len(),
            2,
            "removing an untracked frame changes nothing"
        );
    }
}
