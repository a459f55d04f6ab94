//! P4 process memory layout: a load plan cut into whole pages.
//!
//! Segments start and end anywhere, but the kernel maps 4 KiB pages. Each user page that
//! some segment touches becomes one [`PagePlan`]: its permissions are the union of the
//! segments on it (the end of the text and the start of the data may share a page, which
//! then is both writable and executable, as on Linux), and its content is zero except for
//! the [`Fill`]s copied from the file.
//!
//! Invariants, for a plan made by [`plan`](crate::plan):
//! - Pages come in increasing address order, each exactly once, and only pages that some
//!   segment touches.
//! - The fills of a page are in increasing `offset_in_page` order, do not overlap, stay
//!   inside the page, and read only bytes inside the file.

use crate::elf::{LoadPlan, Segment};
use abi::mm::PAGE_SIZE;
use alloc::vec::Vec;

/// A run of bytes to copy from the file into a page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fill {
    /// Where in the page the bytes go.
    pub offset_in_page: usize,
    /// Where in the file they come from.
    pub file_offset: usize,
    /// How many bytes.
    pub len: usize,
}

/// How to build one user page of the program image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PagePlan {
    /// User address of the page (a multiple of `PAGE_SIZE`).
    pub page_vaddr: usize,
    /// Some segment on the page is readable.
    pub readable: bool,
    /// Some segment on the page is writable.
    pub writable: bool,
    /// Some segment on the page is executable.
    pub executable: bool,
    /// The bytes copied from the file; the rest of the page is zero.
    pub fills: Vec<Fill>,
}

impl PagePlan {
    /// Writes the page's content into `page`: zeros, then the fills from `file`.
    ///
    /// `file` must be the file the plan was made from, and `page` `PAGE_SIZE` bytes long;
    /// otherwise this panics on an out-of-range slice.
    pub fn write_to(&self, file: &[u8], page: &mut [u8]) {
        page[..PAGE_SIZE].fill(0);
        for fill in &self.fills {
            page[fill.offset_in_page..][..fill.len]
                .copy_from_slice(&file[fill.file_offset..][..fill.len]);
        }
    }
}

impl LoadPlan {
    /// One [`PagePlan`] for every user page that a segment touches, lowest first.
    pub fn pages(&self) -> impl Iterator<Item = PagePlan> + '_ {
        Pages {
            segments: &self.segments,
            next: Some(0),
        }
    }
}

/// The iterator behind [`LoadPlan::pages`].
struct Pages<'a> {
    /// The segments not yet wholly below `next`, sorted by address.
    segments: &'a [Segment],
    /// The lowest page address not yet produced; `None` after the top page of memory.
    next: Option<usize>,
}

impl Iterator for Pages<'_> {
    type Item = PagePlan;

    fn next(&mut self) -> Option<PagePlan> {
        let floor = self.next?;
        while let [first, rest @ ..] = self.segments
            && first.end() <= floor
        {
            self.segments = rest;
        }
        let page = floor.max(self.segments.first()?.vaddr / PAGE_SIZE * PAGE_SIZE);
        // The last byte of the page: `page + PAGE_SIZE` itself may not be representable.
        let last = page + (PAGE_SIZE - 1);
        let mut plan = PagePlan {
            page_vaddr: page,
            readable: false,
            writable: false,
            executable: false,
            fills: Vec::new(),
        };
        let on_page = self.segments.iter().take_while(|s| s.vaddr <= last);
        for segment in on_page.filter(|s| s.end() > page) {
            plan.readable |= segment.readable;
            plan.writable |= segment.writable;
            plan.executable |= segment.executable;
            let start = segment.vaddr.max(page);
            let file_end = segment.vaddr.saturating_add(segment.file_size);
            if file_end > start {
                plan.fills.push(Fill {
                    offset_in_page: start - page,
                    file_offset: segment.file_offset.saturating_add(start - segment.vaddr),
                    len: (file_end - start).min(last - start + 1),
                });
            }
        }
        self.next = page.checked_add(PAGE_SIZE);
        Some(plan)
    }
}
