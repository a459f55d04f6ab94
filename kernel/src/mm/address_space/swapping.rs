//! Paging out and back in (concept M7): the address-space side of swapping. The pager
//! ([`crate::mm::pager`]) decides which pages go; these methods push them out of this
//! address space and bring them back on the next touch.
//!
//! Evicting a batch of pages of one space:
//! 1. Shared anonymous memory (MAP_SHARED, System V segments) stays: its frames belong to
//!    the segment, not to one space. A copy-on-write frame still shared with another
//!    space after `fork` may go: this space writes its own swap copy and lets go of the
//!    frame, which stays in memory for the other side until that side evicts it too or
//!    writes its own copy (there is no swap cache that would let both sides share one
//!    slot; sharing costs a second slot instead).
//! 2. Their page-table entries are removed atomically, which yields each one's final dirty
//!    bit, and the TLB entries are shot down on every hart: from then on no thread can
//!    change those frames.
//! 3. A clean page of a file mapping is dropped (it comes back from the file); a dirty page
//!    of a shared file mapping is written back to the file, then dropped; every other page
//!    (heap, stack, anonymous memory, program pages, written private file pages) is
//!    written to swap slots, all requests in flight together, and its slot recorded in
//!    `swapped`.
//! 4. Pages that could not go (swap full or absent, an I/O error) are mapped again as they
//!    were.

use super::*;
use crate::mm::swap;

/// The most pages one swap-in reads.
pub const READAHEAD: usize = swap::CLUSTER;

/// Where an evicted page's bytes go.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Destination {
    /// Nowhere: the file holds them.
    Drop,
    /// Back to the mapped file.
    File,
    /// To a swap slot.
    Swap,
}

impl AddressSpace {
    /// The accessed bit of the page at `page`, and whether evicting it costs a write
    /// (anonymous memory always does; a file page only when dirty). `None` if the page is
    /// not mapped.
    pub(in crate::mm) fn page_bits(&self, page: usize) -> Option<(bool, bool)> {
        let (_, flags) = self.table.translate(page)?;
        let file_backed = self.find_vma(page).is_some_and(|v| v.file.is_some());
        let costly = !file_backed || flags.contains(PteFlags::D);
        Some((flags.contains(PteFlags::A), costly))
    }

    /// Clears the accessed bit of `page` (the caller flushes TLBs with
    /// [`AddressSpace::flush_tlbs`] once it has cleared all it wants).
    pub(in crate::mm) fn clear_accessed(&mut self, page: usize) {
        self.table.clear_accessed(page);
    }

    /// Drops every cached translation of this space on every hart.
    pub(in crate::mm) fn flush_tlbs(&self) {
        self.shootdown(None);
    }

    /// The pager's ticket numbers of the resident pages, in address order.
    pub(in crate::mm) fn tickets(&self) -> impl Iterator<Item = Option<usize>> + '_ {
        self.pages.values().map(|entry| entry.tracked.index())
    }

    /// Up to `count` resident pages to evict when the policy's choice fell short: those
    /// whose accessed bit is clear first, then any, in address order.
    pub(in crate::mm) fn eviction_candidates(&self, count: usize) -> Vec<usize> {
        let accessed = |page: usize| self.page_bits(page).is_some_and(|(used, _)| used);
        let mut pages: Vec<usize> = self
            .pages
            .keys()
            .copied()
            .filter(|&page| !accessed(page))
            .take(count)
            .collect();
        if pages.len() < count {
            let more: Vec<usize> = self
                .pages
                .keys()
                .copied()
                .filter(|&page| accessed(page))
                .take(count - pages.len())
                .collect();
            pages.extend(more);
        }
        pages
    }

    /// Pushes `pages` out of memory as the module comment describes; returns how many went
    /// and the pages that stay.
    pub(in crate::mm) fn evict(&mut self, pages: &[usize]) -> (usize, Vec<usize>) {
        let mut kept = Vec::new();
        let mut taken: Vec<(usize, Destination)> = Vec::new();
        for &page in pages {
            let Some(vma) = self
                .find_vma(page)
                .filter(|_| self.pages.contains_key(&page))
            else {
                continue;
            };
            if (vma.shared && vma.file.is_none()) || vma.kind == VmaKind::Guard {
                kept.push(page);
                continue;
            }
            let (file_backed, shared) = (vma.file.is_some(), vma.shared);
            // A PROT_NONE page has no entry: count it dirty.
            let dirty = self
                .table
                .take(page)
                .map_or(true, |(_, flags)| flags.contains(PteFlags::D));
            let destination = match (file_backed, shared, dirty) {
                (true, _, false) => Destination::Drop,
                (true, true, true) => Destination::File,
                _ => Destination::Swap,
            };
            taken.push((page, destination));
        }
        if taken.is_empty() {
            return (0, kept);
        }
        self.shootdown(None);

        let mut evicted = 0;
        let to_swap: Vec<usize> = taken
            .iter()
            .filter(|(_, d)| *d == Destination::Swap)
            .map(|&(page, _)| page)
            .collect();
        evicted += self.swap_out(&to_swap, &mut kept);
        for &(page, destination) in &taken {
            match destination {
                Destination::Swap => {}
                Destination::Drop => {
                    self.pages.remove(&page);
                    vmstat::PGDROP_FILE.bump();
                    evicted += 1;
                }
                Destination::File => {
                    if self.write_page_to_file(page).is_ok() {
                        self.pages.remove(&page);
                        vmstat::PGWRITEBACK_FILE.bump();
                        evicted += 1;
                    } else {
                        self.restore(page);
                        kept.push(page);
                    }
                }
            }
        }
        (evicted, kept)
    }

    /// Writes `pages` (unmapped, TLBs shot down) to swap slots and forgets their frames;
    /// returns how many went. Those without a slot, or all of them on an I/O error, are
    /// mapped again and added to `kept`.
    fn swap_out(&mut self, pages: &[usize], kept: &mut Vec<usize>) -> usize {
        let slots = swap::alloc(pages.len());
        let (with_slot, without) = pages.split_at(slots.len());
        for &page in without {
            self.restore(page);
            kept.push(page);
        }
        if with_slot.is_empty() {
            return 0;
        }
        let writes: Vec<(&SwapSlot, &Frame)> = slots
            .iter()
            .zip(with_slot)
            .map(|(slot, page)| (slot, &*self.pages[page].frame))
            .collect();
        if let Err(error) = swap::write(&writes) {
            log::warn!("swap: writing {} pages failed: {error:?}", with_slot.len());
            for &page in with_slot {
                self.restore(page);
                kept.push(page);
            }
            return 0;
        }
        for (&page, slot) in with_slot.iter().zip(slots) {
            self.pages.remove(&page);
            self.swapped.insert(page, slot);
        }
        vmstat::PSWPOUT.add(with_slot.len() as u64);
        with_slot.len()
    }

    /// Writes the resident page `page` of a shared file mapping back to its file (the part
    /// inside the file's size).
    fn write_page_to_file(&self, page: usize) -> Result<(), Errno> {
        let vma = self.find_vma(page).ok_or(Errno::EFAULT)?;
        let file = vma.file.as_ref().ok_or(Errno::EFAULT)?;
        let offset = file.offset + (page - vma.start) as u64;
        let size = file.inode.metadata()?.size;
        if offset >= size {
            return Ok(());
        }
        let len = (size - offset).min(PAGE_SIZE as u64) as usize;
        let mut bytes = [0u8; PAGE_SIZE];
        self.pages[&page].frame.read_bytes(0, &mut bytes[..len]);
        file.inode.write_at(offset, &bytes[..len])?;
        Ok(())
    }

    /// Maps a page taken out for eviction again, as it was.
    fn restore(&mut self, page: usize) {
        let Some(vma) = self.find_vma(page) else {
            return;
        };
        let perm = vma.perm;
        if let Some(entry) = self.pages.get(&page) {
            let flags = Perm {
                write: perm.write && entry.writable,
                ..perm
            }
            .pte_flags();
            let _ = set_pte(&mut self.table, page, entry.frame.pa(), flags);
        }
    }

    /// Reads a swapped-out page back (a major fault) into a new frame and maps it; its slot
    /// is released. Swap readahead: the swapped pages right after it in the same region
    /// whose slots follow its slot (they were evicted together) come in with the same disk
    /// request, up to [`READAHEAD`] pages, as far as free frames allow without evicting
    /// anything more than for the faulting page itself.
    pub(super) fn swap_in(&mut self, page: usize, vma: &Vma) -> Result<(), Errno> {
        let first = self.swapped.get(&page).ok_or(Errno::EFAULT)?.number();
        let mut frames = alloc::vec![pager::alloc_frame(self, false)?];
        while frames.len() < READAHEAD {
            let next = page + frames.len() * PAGE_SIZE;
            let follows = next < vma.end
                && self
                    .swapped
                    .get(&next)
                    .is_some_and(|slot| slot.number() == first + frames.len());
            match pager::spare_frame() {
                Some(frame) if follows => frames.push(frame),
                _ => break,
            }
        }
        let slot = self.swapped.get(&page).ok_or(Errno::EFAULT)?;
        swap::read(slot, &frames)?;
        let count = frames.len();
        for (index, frame) in frames.into_iter().enumerate() {
            let at = page + index * PAGE_SIZE;
            self.map_frame(at, frame, vma)?;
            self.swapped.remove(&at);
        }
        self.page_ins += count as u64;
        vmstat::PGMAJFAULT.bump();
        vmstat::PSWPIN.add(count as u64);
        Ok(())
    }

    /// Forgets the swapped-out pages of `[start, end)` for which `which` holds, releasing
    /// their slots (munmap, DONTNEED, exit), a batch at a time.
    pub(super) fn drop_swapped(&mut self, start: usize, end: usize, which: impl Fn(usize) -> bool) {
        let mut from = start;
        let mut pages = Vec::with_capacity(super::RELEASE_BATCH);
        loop {
            let next = super::next_batch(&self.swapped, from..end, &which, &mut pages);
            for page in &pages {
                self.swapped.remove(page);
            }
            match next {
                Some(page) => from = page,
                None => break,
            }
        }
    }
}
