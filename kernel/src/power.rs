//! Powering off, with the outcome visible to whoever started QEMU.
//!
//! SBI system reset is the standard way off. OpenSBI on QEMU `virt` reports a "system
//! failure" reset to QEMU as a normal exit, though, so for failures the kernel writes QEMU's
//! test finisher (`sifive,test0`) itself: `0x3333 | code << 16` makes QEMU exit with `code`.

use crate::devicetree::BootInfo;
use hal::mmio::Mmio;
use hal::sync::Once;

const FINISHER_FAIL: u32 = 0x3333;
const FINISHER_PASS: u32 = 0x5555;

static FINISHER: Once<Mmio> = Once::new();

/// Remembers the test finisher, if the machine has one.
pub fn init(info: &BootInfo) {
    if let Some(regs) = info
        .test_finisher
        .and_then(|(base, size)| Mmio::new(base, size))
    {
        let _ = FINISHER.set(regs);
    }
}

/// Turns the machine off; QEMU exits with status 0 on success and 1 on failure.
pub fn power_off(success: bool) -> ! {
    if let Some(finisher) = FINISHER.get() {
        finisher.write_u32(
            0,
            if success {
                FINISHER_PASS
            } else {
                FINISHER_FAIL | (1 << 16)
            },
        );
    }
    hal::sbi::shutdown(success)
}
