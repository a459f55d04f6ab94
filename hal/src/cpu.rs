//! The current hart: identity, interrupt state, TLB and CSR access (concepts K6, K7).
//!
//! In the kernel `tp` always holds the hart id: the boot code sets it, and the trap path
//! restores it when coming from user mode (where `tp` is the user's thread pointer).
//! Interrupt disabling nests per hart ([`push_off`]/[`pop_off`], as in xv6): a spinlock
//! turns interrupts off while held, and they come back on only when the outermost holder
//! releases, and only if they were on before.

use crate::MAX_HARTS;
use core::arch::asm;
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

const SSTATUS_SIE: usize = 1 << 1;
/// `sie` bits: software, timer, external interrupts (supervisor level).
const SIE_SSIE: usize = 1 << 1;
const SIE_STIE: usize = 1 << 5;
const SIE_SEIE: usize = 1 << 9;

/// The id of the hart running this code.
#[inline]
pub fn hart_id() -> usize {
    let id: usize;
    // SAFETY: reading `tp` has no side effects; the kernel keeps the hart id there.
    unsafe { asm!("mv {}, tp", out(reg) id, options(nomem, nostack, preserves_flags)) };
    id
}

/// Whether supervisor interrupts are enabled on this hart.
#[inline]
pub fn interrupts_enabled() -> bool {
    read_sstatus() & SSTATUS_SIE != 0
}

/// Enables supervisor interrupts on this hart.
#[inline]
pub fn enable_interrupts() {
    // SAFETY: setting sstatus.SIE only allows traps to the already-installed vector.
    unsafe { asm!("csrs sstatus, {}", in(reg) SSTATUS_SIE, options(nostack)) };
}

/// Disables supervisor interrupts on this hart.
#[inline]
pub fn disable_interrupts() {
    // SAFETY: clearing sstatus.SIE only defers interrupts.
    unsafe { asm!("csrc sstatus, {}", in(reg) SSTATUS_SIE, options(nostack)) };
}

#[inline]
pub(crate) fn read_sstatus() -> usize {
    let value: usize;
    // SAFETY: reading a CSR has no side effects.
    unsafe { asm!("csrr {}, sstatus", out(reg) value, options(nomem, nostack)) };
    value
}

struct HartInterruptState {
    depth: AtomicUsize,
    were_enabled: AtomicBool,
}

static INTERRUPT_STATE: [HartInterruptState; MAX_HARTS] = [const {
    HartInterruptState {
        depth: AtomicUsize::new(0),
        were_enabled: AtomicBool::new(false),
    }
}; MAX_HARTS];

/// Disables interrupts, remembering whether they were on (nests).
pub fn push_off() {
    let enabled = interrupts_enabled();
    disable_interrupts();
    let state = &INTERRUPT_STATE[hart_id()];
    if state.depth.fetch_add(1, Ordering::Relaxed) == 0 {
        state.were_enabled.store(enabled, Ordering::Relaxed);
    }
}

/// Undoes one [`push_off`]; the outermost one restores the interrupt state.
pub fn pop_off() {
    assert!(!interrupts_enabled(), "pop_off with interrupts enabled");
    let state = &INTERRUPT_STATE[hart_id()];
    let depth = state.depth.fetch_sub(1, Ordering::Relaxed);
    assert!(depth >= 1, "pop_off without push_off");
    if depth == 1 && state.were_enabled.load(Ordering::Relaxed) {
        enable_interrupts();
    }
}

/// How deep this hart is in [`push_off`] (0: interrupts not held off by a lock).
pub fn push_off_depth() -> usize {
    INTERRUPT_STATE[hart_id()].depth.load(Ordering::Relaxed)
}

/// Sleeps until an interrupt is pending (it is taken if interrupts are enabled).
#[inline]
pub fn wait_for_interrupt() {
    // SAFETY: `wfi` only pauses the hart.
    unsafe { asm!("wfi", options(nomem, nostack)) };
}

/// The `time` CSR: ticks of the platform timer since reset.
#[inline]
pub fn read_time() -> u64 {
    let value: u64;
    // SAFETY: reading the time CSR has no side effects.
    unsafe { asm!("csrr {}, time", out(reg) value, options(nomem, nostack)) };
    value
}

/// Enables the supervisor timer, external and software interrupt sources on this hart.
pub fn enable_interrupt_sources() {
    // SAFETY: setting `sie` bits lets those interrupts reach the installed trap vector.
    unsafe { asm!("csrs sie, {}", in(reg) SIE_SSIE | SIE_STIE | SIE_SEIE, options(nostack)) };
}

/// Clears this hart's pending software interrupt (an IPI has been seen).
pub fn clear_software_interrupt() {
    // SAFETY: clearing sip.SSIP acknowledges the IPI; nothing else changes.
    unsafe { asm!("csrc sip, {}", in(reg) SIE_SSIE, options(nostack)) };
}

pub(crate) fn read_satp() -> usize {
    let value: usize;
    // SAFETY: reading a CSR has no side effects.
    unsafe { asm!("csrr {}, satp", out(reg) value, options(nomem, nostack)) };
    value
}

pub(crate) fn write_satp(value: usize) {
    // SAFETY: callers pass the satp of a table that maps the kernel half identically to the
    // current one (all tables share it), so the running code stays mapped.
    unsafe { asm!("csrw satp, {}", in(reg) value, options(nostack)) };
}

/// Flushes every TLB entry of this hart.
pub fn flush_tlb_all() {
    // SAFETY: a TLB flush only drops cached translations.
    unsafe { asm!("sfence.vma", options(nostack)) };
}

/// Flushes this hart's TLB entries tagged with `asid` (global kernel entries stay).
pub fn flush_tlb_asid(asid: u16) {
    // SAFETY: a TLB flush only drops cached translations.
    unsafe { asm!("sfence.vma zero, {}", in(reg) asid as usize, options(nostack)) };
}

/// Flushes this hart's TLB entry for one page of `asid`.
pub fn flush_tlb_page(va: usize, asid: u16) {
    // SAFETY: a TLB flush only drops cached translations.
    unsafe { asm!("sfence.vma {}, {}", in(reg) va, in(reg) asid as usize, options(nostack)) };
}
