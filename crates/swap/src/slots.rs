//! The swap-slot allocator (concept M7): the swap device is an array of page-sized slots;
//! each slot has a reference count, 0 when free (Linux's `swap_map`).
//!
//! Allocation is next fit: a cursor moves round the device, and a request for `n` slots
//! takes the first run of free slots at or after the cursor (up to `n` long), so pages
//! evicted together lie side by side on the disk and consecutive evictions fill the device
//! sequentially.
//!
//! Invariants: `free` is the number of slots whose count is 0; a count never exceeds
//! [`SlotMap::MAX_REFS`].

use alloc::vec;
use alloc::vec::Vec;

/// A slot operation on a slot that does not allow it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlotError {
    /// The slot number is beyond the device.
    OutOfRange,
    /// The slot is free: it cannot be shared or released.
    NotInUse,
    /// The slot already has [`SlotMap::MAX_REFS`] references.
    TooManyRefs,
}

/// Reference counts of the slots of one swap device.
#[derive(Debug, Clone)]
pub struct SlotMap {
    counts: Vec<u16>,
    free: usize,
    cursor: usize,
}

impl SlotMap {
    /// The most address spaces that may share one slot.
    pub const MAX_REFS: u16 = u16::MAX;

    /// A device of `slots` free slots.
    pub fn new(slots: usize) -> SlotMap {
        SlotMap {
            counts: vec![0; slots],
            free: slots,
            cursor: 0,
        }
    }

    /// Slots on the device.
    pub fn total(&self) -> usize {
        self.counts.len()
    }

    /// Free slots.
    pub fn free(&self) -> usize {
        self.free
    }

    /// Slots in use.
    pub fn used(&self) -> usize {
        self.total() - self.free
    }

    /// References to `slot` (0: free).
    pub fn refs(&self, slot: usize) -> u16 {
        self.counts.get(slot).copied().unwrap_or(0)
    }

    /// Takes a run of free slots starting at the first free slot at or after the cursor
    /// (wrapping round), at most `want` long: `(first, count)` with `1 <= count <= want`,
    /// each slot with one reference. `None` if the device is full or `want` is 0.
    pub fn alloc_run(&mut self, want: usize) -> Option<(usize, usize)> {
        if want == 0 || self.free == 0 {
            return None;
        }
        let total = self.total();
        let first = (0..total)
            .map(|step| (self.cursor + step) % total)
            .find(|&slot| self.counts[slot] == 0)?;
        let mut count = 0;
        while count < want && first + count < total && self.counts[first + count] == 0 {
            self.counts[first + count] = 1;
            count += 1;
        }
        self.free -= count;
        self.cursor = (first + count) % total;
        Some((first, count))
    }

    /// One more reference to a slot in use (a page shared by `fork`).
    pub fn share(&mut self, slot: usize) -> Result<(), SlotError> {
        let count = self.counts.get_mut(slot).ok_or(SlotError::OutOfRange)?;
        match *count {
            0 => Err(SlotError::NotInUse),
            Self::MAX_REFS => Err(SlotError::TooManyRefs),
            _ => {
                *count += 1;
                Ok(())
            }
        }
    }

    /// Drops one reference; `Ok(true)` if that freed the slot.
    pub fn release(&mut self, slot: usize) -> Result<bool, SlotError> {
        let count = self.counts.get_mut(slot).ok_or(SlotError::OutOfRange)?;
        if *count == 0 {
            return Err(SlotError::NotInUse);
        }
        *count -= 1;
        if *count == 0 {
            self.free += 1;
            return Ok(true);
        }
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_are_contiguous_and_next_fit() {
        let mut map = SlotMap::new(8);
        assert_eq!(map.alloc_run(3), Some((0, 3)));
        assert_eq!(map.alloc_run(2), Some((3, 2)));
        assert_eq!((map.free(), map.used()), (3, 5));
        // Freeing behind the cursor does not move it: the next run starts after slot 4.
        assert_eq!(map.release(1), Ok(true));
        assert_eq!(
            map.alloc_run(8),
            Some((5, 3)),
            "a run stops at the device's end"
        );
        assert_eq!(
            map.alloc_run(8),
            Some((1, 1)),
            "then wraps round to the hole"
        );
        assert_eq!(map.alloc_run(1), None, "full");
        assert_eq!(map.free(), 0);
    }

    #[test]
    fn a_run_stops_at_a_used_slot() {
        let mut map = SlotMap::new(6);
        assert_eq!(map.alloc_run(6), Some((0, 6)));
        for slot in [0, 1, 3] {
            map.release(slot).unwrap();
        }
        assert_eq!(map.alloc_run(4), Some((0, 2)));
        assert_eq!(map.alloc_run(4), Some((3, 1)));
    }

    #[test]
    fn shared_slots_are_freed_by_their_last_reference() {
        let mut map = SlotMap::new(4);
        let (slot, _) = map.alloc_run(1).unwrap();
        map.share(slot).unwrap();
        assert_eq!(map.refs(slot), 2);
        assert_eq!(map.release(slot), Ok(false));
        assert_eq!(map.free(), 3);
        assert_eq!(map.release(slot), Ok(true));
        assert_eq!(map.free(), 4);
    }

    #[test]
    fn bad_requests_are_refused_and_change_nothing() {
        let mut map = SlotMap::new(2);
        assert_eq!(map.alloc_run(0), None);
        assert_eq!(map.release(0), Err(SlotError::NotInUse));
        assert_eq!(map.share(1), Err(SlotError::NotInUse));
        assert_eq!(map.release(9), Err(SlotError::OutOfRange));
        assert_eq!(map.share(9), Err(SlotError::OutOfRange));
        assert_eq!(map.free(), 2);
        let mut empty = SlotMap::new(0);
        assert_eq!(empty.alloc_run(1), None);
    }
}
