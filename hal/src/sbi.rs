//! Calls into the SBI firmware (OpenSBI): timer, inter-hart interrupts, power off.

/// Programs this hart's timer to interrupt at `deadline` (in `time` CSR ticks).
pub fn set_timer(deadline: u64) {
    sbi_rt::set_timer(deadline);
}

/// Sends a software interrupt to hart `hartid`.
pub fn send_ipi(hartid: usize) {
    sbi_rt::send_ipi(sbi_rt::HartMask::from_mask_base(1, hartid));
}

/// Powers the machine off; with `success = false` the reset reason is "system failure".
/// (OpenSBI on QEMU exits 0 either way: see `power_off` in the kernel.)
pub fn shutdown(success: bool) -> ! {
    if success {
        sbi_rt::system_reset(sbi_rt::Shutdown, sbi_rt::NoReason);
    } else {
        sbi_rt::system_reset(sbi_rt::Shutdown, sbi_rt::SystemFailure);
    }
    loop {
        crate::cpu::disable_interrupts();
        crate::cpu::wait_for_interrupt();
    }
}

/// Like [`remote_sfence_vma`], for the entries of one address-space identifier only.
pub fn remote_sfence_vma_asid(mask: u64, start: usize, size: usize, asid: u16) {
    let _ = sbi_rt::remote_sfence_vma_asid(
        sbi_rt::HartMask::from_mask_base(mask as usize, 0),
        start,
        size,
        asid as usize,
    );
}

/// Runs `sfence.vma` over `[start, start + size)` on every hart in `mask` (bit h = hart h)
/// and returns once all of them have: a TLB shootdown. OpenSBI carries it to the other
/// harts by inter-processor interrupt and waits for each to acknowledge.
pub fn remote_sfence_vma(mask: u64, start: usize, size: usize) {
    let _ = sbi_rt::remote_sfence_vma(
        sbi_rt::HartMask::from_mask_base(mask as usize, 0),
        start,
        size,
    );
}
