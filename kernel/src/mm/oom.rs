//! The out-of-memory killer (concept M7): when a user page is needed, memory is at its
//! reserve and nothing can be evicted (swap full, or no swap), the process using the most
//! memory — resident plus swapped pages, as of its last page fault for the others — is
//! killed with SIGKILL, and the faulting thread
//! waits for it to exit (see [`super::pager::alloc_frame`]). If the faulting process is the
//! largest itself, it gets `ENOMEM`: a page fault then kills it with SIGKILL, a system call
//! returns the error. Init is never chosen.

use super::address_space::AddressSpace;
use super::vmstat;
use crate::proc::{self, INIT_PID, signal};
use abi::signal::SIGKILL;
use alloc::sync::Arc;

/// Kills the largest process other than the caller's (`current` is the caller's locked
/// address space); `false` if the caller's process is the largest, or there is none.
pub fn kill_largest(current: &AddressSpace) -> bool {
    let mut largest: Option<(usize, Arc<proc::Process>, bool)> = None;
    for process in proc::all().into_iter().filter(|p| p.is_leader()) {
        if process.pid == INIT_PID {
            continue;
        }
        let Some(memory) = process.memory() else {
            continue;
        };
        let mine = memory.id() == current.id();
        let pages = if mine {
            current.resident_pages() + current.swapped_pages()
        } else {
            memory.footprint()
        };
        if largest.as_ref().is_none_or(|(most, _, _)| pages > *most) {
            largest = Some((pages, process, mine));
        }
    }
    match largest {
        Some((pages, victim, false)) => {
            if !victim.group.dying() {
                log::warn!(
                    "out of memory: killing pid {} ({}), {} pages",
                    victim.pid,
                    victim.inner().name,
                    pages
                );
                vmstat::OOM_KILL.bump();
                signal::send_process(&victim, SIGKILL, signal::kernel_info(SIGKILL));
            }
            true
        }
        _ => false,
    }
}
