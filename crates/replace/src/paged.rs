//! An array indexed by frame that grows a chunk at a time: no allocation it makes is larger
//! than [`CHUNK_BYTES`], so a kernel heap on fragmented memory (plenty of free frames, no
//! long runs of them) can always grow it, where one contiguous array of a few hundred KiB
//! may find no room.
//!
//! Invariant: every chunk but the last is full (holds `per_chunk` elements); `len` is the
//! total.

use alloc::vec::Vec;

/// The most bytes of elements in one chunk: a page.
pub(crate) const CHUNK_BYTES: usize = 4096;

#[derive(Debug)]
pub(crate) struct Paged<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for Paged<T> {
    fn default() -> Paged<T> {
        Paged {
            chunks: Vec::new(),
            len: 0,
        }
    }
}

impl<T> Paged<T> {
    fn per_chunk() -> usize {
        (CHUNK_BYTES / core::mem::size_of::<T>().max(1)).max(1)
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Grows to `len` elements made by `make` (never shrinks).
    pub(crate) fn grow_with(&mut self, len: usize, mut make: impl FnMut() -> T) {
        let per = Self::per_chunk();
        while self.len < len {
            if self.chunks.last().is_none_or(|chunk| chunk.len() == per) {
                self.chunks.push(Vec::with_capacity(per));
            }
            let chunk = self.chunks.last_mut().expect("a chunk was just made");
            let room = (per - chunk.len()).min(len - self.len);
            chunk.extend((0..room).map(|_| make()));
            self.len += room;
        }
    }

    pub(crate) fn get(&self, index: usize) -> Option<&T> {
        let per = Self::per_chunk();
        self.chunks.get(index / per)?.get(index % per)
    }

    pub(crate) fn get_mut(&mut self, index: usize) -> Option<&mut T> {
        let per = Self::per_chunk();
        self.chunks.get_mut(index / per)?.get_mut(index % per)
    }

    /// The elements in index order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> {
        self.chunks.iter().flatten()
    }

    /// The elements in index order, to update.
    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = &mut T> {
        self.chunks.iter_mut().flatten()
    }
}

impl<T> core::ops::Index<usize> for Paged<T> {
    type Output = T;

    fn index(&self, index: usize) -> &T {
        self.get(index).expect("index within the array")
    }
}

impl<T> core::ops::IndexMut<usize> for Paged<T> {
    fn index_mut(&mut self, index: usize) -> &mut T {
        self.get_mut(index).expect("index within the array")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_across_chunks_keeping_every_element_in_place() {
        let mut array: Paged<u64> = Paged::default();
        let per = CHUNK_BYTES / 8;
        array.grow_with(3, || 7);
        assert_eq!(array.len(), 3);
        array[1] = 1;
        let mut next = 100;
        array.grow_with(2 * per + 5, || {
            next += 1;
            next
        });
        assert_eq!(array.len(), 2 * per + 5);
        assert_eq!(array.chunks.len(), 3, "full chunks, then the rest");
        assert!(array.chunks.iter().all(|c| c.capacity() * 8 <= CHUNK_BYTES));
        assert_eq!((array[0], array[1], array[2], array[3]), (7, 1, 7, 101));
        assert_eq!(array[2 * per + 4], 100 + (2 * per + 2) as u64);
        assert_eq!(array.get(2 * per + 5), None);
        array.grow_with(1, || 0);
        assert_eq!(array.len(), 2 * per + 5, "never shrinks");
        let collected: Vec<u64> = array.iter().copied().collect();
        assert_eq!(collected.len(), array.len());
        assert_eq!(collected[per], array[per]);
        for value in array.iter_mut() {
            *value = 0;
        }
        assert!(array.iter().all(|&v| v == 0));
    }
}
