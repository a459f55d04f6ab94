//! The NS16550A UART of QEMU `virt` (concept K6: an interrupt-driven device).
//!
//! Receiving is interrupt-driven: the UART raises its PLIC line when a byte arrives and the
//! kernel's handler drains it with [`Uart::read_byte`]. Transmitting polls the "transmit
//! holding register empty" bit, which QEMU sets immediately; that keeps panic and boot
//! output synchronous and simple.

use crate::mmio::Mmio;

const RBR_THR: usize = 0;
const IER: usize = 1;
const FCR: usize = 2;
const LCR: usize = 3;
const LSR: usize = 5;
const DLL: usize = 0;
const DLM: usize = 1;

const LSR_DATA_READY: u8 = 1 << 0;
const LSR_THR_EMPTY: u8 = 1 << 5;
const IER_RX_AVAILABLE: u8 = 1 << 0;
const LCR_DLAB: u8 = 1 << 7;
const LCR_8N1: u8 = 0b11;
const FCR_ENABLE_CLEAR: u8 = 0b111;

/// A 16550-compatible UART.
#[derive(Debug, Clone, Copy)]
pub struct Uart {
    regs: Mmio,
}

impl Uart {
    /// Sets 8N1 with FIFOs; receive interrupts stay off until [`Uart::enable_rx_interrupt`].
    pub fn new(regs: Mmio) -> Uart {
        regs.write_u8(IER, 0);
        regs.write_u8(LCR, LCR_DLAB);
        regs.write_u8(DLL, 3);
        regs.write_u8(DLM, 0);
        regs.write_u8(LCR, LCR_8N1);
        regs.write_u8(FCR, FCR_ENABLE_CLEAR);
        Uart { regs }
    }

    /// Raise the interrupt line whenever a received byte is waiting.
    pub fn enable_rx_interrupt(&self) {
        self.regs.write_u8(IER, IER_RX_AVAILABLE);
    }

    /// Sends one byte, waiting for room.
    pub fn write_byte(&self, byte: u8) {
        while self.regs.read_u8(LSR) & LSR_THR_EMPTY == 0 {
            core::hint::spin_loop();
        }
        self.regs.write_u8(RBR_THR, byte);
    }

    /// A received byte, if one is waiting.
    pub fn read_byte(&self) -> Option<u8> {
        (self.regs.read_u8(LSR) & LSR_DATA_READY != 0).then(|| self.regs.read_u8(RBR_THR))
    }
}
