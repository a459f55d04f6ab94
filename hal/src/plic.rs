//! The platform-level interrupt controller (concept K6).
//!
//! Each device line (UART 10, virtio 1..8 on QEMU `virt`) has a priority; each hart context
//! has an enable bit per line and a threshold. A hart takes an external interrupt, *claims*
//! the line (which also tells it which device), serves the device and *completes* the line.
//! On QEMU `virt` the supervisor context of hart `h` is `2h + 1`.

use crate::mmio::Mmio;

const PRIORITY_BASE: usize = 0x0;
const ENABLE_BASE: usize = 0x2000;
const ENABLE_STRIDE: usize = 0x80;
const CONTEXT_BASE: usize = 0x20_0000;
const CONTEXT_STRIDE: usize = 0x1000;
const THRESHOLD: usize = 0;
const CLAIM_COMPLETE: usize = 4;

/// The PLIC registers.
#[derive(Debug, Clone, Copy)]
pub struct Plic {
    regs: Mmio,
}

fn supervisor_context(hart: usize) -> usize {
    2 * hart + 1
}

impl Plic {
    pub fn new(regs: Mmio) -> Plic {
        Plic { regs }
    }

    /// Sets the priority of a line (0 disables it).
    pub fn set_priority(&self, irq: u32, priority: u32) {
        self.regs
            .write_u32(PRIORITY_BASE + 4 * irq as usize, priority);
    }

    /// Lets `hart` (supervisor mode) receive line `irq`.
    pub fn enable(&self, hart: usize, irq: u32) {
        let offset =
            ENABLE_BASE + ENABLE_STRIDE * supervisor_context(hart) + 4 * (irq as usize / 32);
        let bits = self.regs.read_u32(offset);
        self.regs.write_u32(offset, bits | 1 << (irq % 32));
    }

    /// Only lines with priority above `threshold` interrupt `hart`.
    pub fn set_threshold(&self, hart: usize, threshold: u32) {
        let offset = CONTEXT_BASE + CONTEXT_STRIDE * supervisor_context(hart) + THRESHOLD;
        self.regs.write_u32(offset, threshold);
    }

    /// The highest-priority pending line for `hart`, now claimed by it.
    pub fn claim(&self, hart: usize) -> Option<u32> {
        let offset = CONTEXT_BASE + CONTEXT_STRIDE * supervisor_context(hart) + CLAIM_COMPLETE;
        match self.regs.read_u32(offset) {
            0 => None,
            irq => Some(irq),
        }
    }

    /// Tells the PLIC `hart` is done with `irq`.
    pub fn complete(&self, hart: usize, irq: u32) {
        let offset = CONTEXT_BASE + CONTEXT_STRIDE * supervisor_context(hart) + CLAIM_COMPLETE;
        self.regs.write_u32(offset, irq);
    }
}
