//! The Lantern kernel.
//!
//! Design principles (see ARCHITECTURE.md):
//! - **Safe Rust only.** Everything that needs unchecked code (asm, CSRs, MMIO, raw memory) is in
//!   `hal`, behind safe types; this crate is `#![deny(unsafe_code)]`.
//! - **Mechanism here, policy in pure crates.** The frame allocator (`buddy`), the ELF and
//!   initial-stack logic (`loader`), the ABI (`abi`) and the initrd format (`initrd`) are
//!   host-tested crates; the kernel is the glue around them.
//! - **Linux riscv64 ABI.** Syscall numbers, errno values and struct layouts are Linux's.
//! - **A user program can never crash the kernel.** Bad pointers are `EFAULT`; faults kill
//!   the program, not the kernel.
//!
//! Boot (concept K8): OpenSBI -> `hal::boot` (early page table, higher half) -> [`boot_main`]:
//! device tree, console and log, frame allocator and heap, the kernel page table, traps,
//! timer and PLIC, the other harts, then init (pid 1) and every hart's scheduler loop.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

mod console;
mod devicetree;
mod drivers;
mod exec;
mod fs;
mod ipc;
mod irq;
mod lock_order;
mod mm;
mod net;
mod power;
mod proc;
mod syscall;
mod time;

use core::sync::atomic::{AtomicUsize, Ordering};

hal::entry!(boot_main, secondary_main);

/// Harts that have finished their own initialisation.
static HARTS_ONLINE: AtomicUsize = AtomicUsize::new(0);

fn boot_main(hartid: usize, dtb_pa: usize) -> ! {
    let dtb = hal::boot::device_tree()
        .unwrap_or_else(|| console::early_panic("no valid device tree from the firmware"));
    let (ram, ram_ranges) =
        devicetree::early_memory(dtb).unwrap_or_else(|e| console::early_panic(e));
    hal::mem::init(&ram[..ram_ranges]);
    let info = devicetree::BootInfo::parse(dtb).unwrap_or_else(|e| console::early_panic(e));
    console::init(&info);
    log::info!("Lantern booting on hart {hartid} (device tree at {dtb_pa:#x})");
    info.log_summary();

    mm::init(&info);
    power::init(&info);
    time::init(&info);
    irq::init(&info);
    irq::init_hart(hartid);
    time::init_hart();
    HARTS_ONLINE.fetch_add(1, Ordering::Release);

    for &hart in info.harts.iter().filter(|&&h| h != hartid) {
        match hal::boot::start_hart(hart) {
            Ok(()) => log::info!("hart {hart}: started"),
            Err(e) => log::warn!("hart {hart}: SBI could not start it (error {e})"),
        }
    }
    let expected = info.harts.len();
    let deadline = time::monotonic_ns() + 1_000_000_000;
    while HARTS_ONLINE.load(Ordering::Acquire) < expected && time::monotonic_ns() < deadline {
        core::hint::spin_loop();
    }
    log::info!(
        "{} of {expected} harts online",
        HARTS_ONLINE.load(Ordering::Acquire)
    );

    let test_mode = info.bootargs.split_whitespace().any(|arg| arg == "test");
    let init = info
        .bootargs
        .split_whitespace()
        .find_map(|arg| arg.strip_prefix("init="))
        .unwrap_or("/bin/init");
    proc::sched::init(info.harts.iter().max().map_or(1, |&h| h + 1));
    if let Err(e) = fs::init(info.initrd) {
        panic!("cannot build the root file system: {}", e.description());
    }
    mm::swap::init();
    if let Err(e) = proc::lifecycle::spawn_init(init, test_mode) {
        panic!("cannot start {init}: {}", e.description());
    }
    proc::sched::scheduler_loop()
}

fn secondary_main(hartid: usize) -> ! {
    irq::init_hart(hartid);
    time::init_hart();
    HARTS_ONLINE.fetch_add(1, Ordering::Release);
    proc::sched::scheduler_loop()
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    console::panic_message(info);
    power::power_off(false)
}
