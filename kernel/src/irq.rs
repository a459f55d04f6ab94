//! Interrupt dispatch (concept K6): timer ticks, PLIC external interrupts (UART, disks), and
//! inter-hart software interrupts.
//!
//! The same [`handle`] serves interrupts that arrive while the kernel runs (through
//! `hal::trap`) and those that stop a user program (reported by `UserContext::run`).

use crate::devicetree::BootInfo;
use crate::{console, drivers, time};
use core::sync::atomic::{AtomicU32, Ordering};
use hal::mmio::Mmio;
use hal::plic::Plic;
use hal::sync::Once;
use hal::trap::Interrupt;

static PLIC: Once<Plic> = Once::new();
static UART_IRQ: AtomicU32 = AtomicU32::new(0);
/// Lines of other devices (bit n = line n).
static DEVICE_IRQS: AtomicU32 = AtomicU32::new(0);

/// Registers the handler and sets up the PLIC and the UART's line.
pub fn init(info: &BootInfo) {
    hal::trap::set_interrupt_handler(handle);
    let Some(plic) = info
        .plic
        .and_then(|(base, size)| Mmio::new(base, size))
        .map(Plic::new)
    else {
        log::warn!("no PLIC: console input disabled");
        return;
    };
    if let Some(irq) = info.uart_irq {
        plic.set_priority(irq, 1);
        UART_IRQ.store(irq, Ordering::Relaxed);
        console::enable_input_interrupt();
    }
    for irq in drivers::block::probe(&info.virtio) {
        plic.set_priority(irq, 1);
        DEVICE_IRQS.fetch_or(1 << irq, Ordering::Relaxed);
    }
    let _ = PLIC.set(plic);
}

/// Enables interrupt sources on this hart.
pub fn init_hart(hart: usize) {
    if let Some(plic) = PLIC.get() {
        let uart = UART_IRQ.load(Ordering::Relaxed);
        if uart != 0 {
            plic.enable(hart, uart);
        }
        let devices = DEVICE_IRQS.load(Ordering::Relaxed);
        for irq in (0..32).filter(|irq| devices & (1 << irq) != 0) {
            plic.enable(hart, irq);
        }
        plic.set_threshold(hart, 0);
    }
    hal::cpu::enable_interrupt_sources();
}

/// Serves one interrupt.
pub fn handle(interrupt: Interrupt) {
    match interrupt {
        Interrupt::Timer => time::on_timer_interrupt(),
        Interrupt::Software => hal::cpu::clear_software_interrupt(),
        Interrupt::External => {
            let Some(plic) = PLIC.get() else { return };
            let hart = hal::cpu::hart_id();
            while let Some(irq) = plic.claim(hart) {
                if irq == UART_IRQ.load(Ordering::Relaxed) {
                    console::receive_input();
                } else if !drivers::block::handle_interrupt(irq) {
                    log::warn!("unexpected interrupt line {irq}");
                }
                plic.complete(hart, irq);
            }
        }
    }
}
