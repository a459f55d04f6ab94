//! Lantern's hardware abstraction layer (riscv64, QEMU `virt`).
//!
//! Design principle: **all unsafe code of the kernel lives here**, behind safe types. The
//! kernel crate above is `#![deny(unsafe_code)]`. Each `unsafe` block carries a `// SAFETY:`
//! comment saying why it is sound. What is here:
//!
//! - [`boot`]: the S-mode entry point, the early page table and the jump to the higher half (K8).
//! - [`cpu`]: hart identity, interrupt enable/disable, `wfi`, CSR access.
//! - [`trap`]: the trap vector, the user/kernel transition (K1, K2, K3).
//! - [`paging`]: Sv39 page tables (M2).
//! - [`mem`]: physical frames (buddy allocator from `crates/buddy`, M1) and the kernel heap.
//! - [`context`], [`stack`]: kernel threads, the context switch, guarded kernel stacks (K5).
//! - [`sync`]: spinlocks that disable interrupts (K7).
//! - [`mmio`], [`uart`], [`plic`]: device registers (K6).
//! - [`sbi`]: calls into the firmware (timer, harts, reset).
//! - [`virtio`]: virtio-mmio block devices (through the `virtio-drivers` crate).
//! - [`backtrace`]: frame-pointer walk for panics.
//!
//! Memory layout: physical memory is mapped at `PHYS_OFFSET` (the "direct map"); the kernel
//! image lives inside it, linked at `0xffff_ffc0_8020_0000` and loaded at `0x8020_0000`.
//! User space is the lower half of the Sv39 address space, `0..USER_TOP`.
#![no_std]

extern crate alloc;

pub mod backtrace;
pub mod boot;
pub mod context;
pub mod cpu;
pub mod mem;
pub mod mmio;
pub mod paging;
pub mod plic;
pub mod sbi;
pub mod stack;
pub mod sync;
pub mod trap;
pub mod uart;
pub mod virtio;

/// Start of the direct map: physical address `pa` is visible at `pa + PHYS_OFFSET`.
pub const PHYS_OFFSET: usize = 0xffff_ffc0_0000_0000;
/// Where QEMU loads the kernel image (physical) and OpenSBI jumps to.
pub const KERNEL_PHYS_BASE: usize = 0x8020_0000;
/// User addresses are `0..USER_TOP` (the lower half of Sv39).
pub const USER_TOP: usize = 0x40_0000_0000;
/// Size of a base page.
pub const PAGE_SIZE: usize = 4096;
/// Harts the kernel supports; hart ids must be below this.
pub const MAX_HARTS: usize = 8;

/// The kernel virtual address of physical address `pa`.
pub const fn phys_to_virt(pa: usize) -> usize {
    pa + PHYS_OFFSET
}

/// The physical address behind direct-map address `va`.
pub const fn virt_to_phys(va: usize) -> usize {
    va - PHYS_OFFSET
}
