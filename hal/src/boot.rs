//! Boot: from OpenSBI to Rust in the higher half (concept K8).
//!
//! OpenSBI enters `_start` in S-mode with the MMU off, `a0` = hart id and `a1` = the physical
//! address of the device tree. The image runs at its load address (`0x8020_0000`) but is
//! linked at `PHYS_OFFSET + 0x8020_0000`, so until paging is on only pc-relative addressing
//! (`lla`) may be used. The entry code:
//!
//! 1. zeroes `.bss` (boot hart only; the boot stacks sit outside it),
//! 2. picks this hart's boot stack,
//! 3. turns on Sv39 with [`BOOT_PAGE_TABLE`]: an identity gigapage for RAM (so the next
//!    instruction still fetches) and the direct map of the first 4 GiB at `PHYS_OFFSET`,
//! 4. jumps to the higher-half address of the Rust entry, with `tp` = hart id.
//!
//! The kernel then builds its real page table (`paging::KernelSpace`) and drops the
//! identity mapping. Secondary harts are started through SBI HSM at `_start_secondary`.

use crate::{MAX_HARTS, PHYS_OFFSET, paging::RootTableImage, virt_to_phys};
use core::sync::atomic::{AtomicUsize, Ordering};

/// Size of each hart's boot stack. The boot stack is also the stack of that hart's idle
/// and scheduler loop.
pub const BOOT_STACK_SIZE: usize = 1 << BOOT_STACK_SHIFT;
const BOOT_STACK_SHIFT: usize = 16;

/// The early page table: gigapages only, built at compile time.
static BOOT_PAGE_TABLE: RootTableImage = RootTableImage::boot();

core::arch::global_asm!(
    r#"
    .section .text.entry
    .globl _start
_start:
    lla t0, __bss_start
    lla t1, __bss_end
1:  bgeu t0, t1, 2f
    sd zero, 0(t0)
    addi t0, t0, 8
    j 1b
2:  lla t2, {boot_main}
    j 3f

    .globl _start_secondary
_start_secondary:
    lla t2, {secondary_main}
3:  li t0, {max_harts}
    bgeu a0, t0, 5f
    lla sp, __boot_stacks
    addi t1, a0, 1
    slli t1, t1, {stack_shift}
    add sp, sp, t1
    lla t0, {boot_pt}
    srli t0, t0, 12
    li t1, 8 << 60
    or t0, t0, t1
    sfence.vma
    csrw satp, t0
    sfence.vma
    li t0, {offset}
    add sp, sp, t0
    add t2, t2, t0
    mv tp, a0
    li fp, 0
    jr t2
5:  wfi
    j 5b

    .section .bss.boot_stack, "aw", @nobits
    .p2align 12
    .globl __boot_stacks
__boot_stacks:
    .space {stack_size} * {max_harts}
    "#,
    boot_main = sym rust_boot_main,
    secondary_main = sym rust_secondary_main,
    boot_pt = sym BOOT_PAGE_TABLE,
    max_harts = const MAX_HARTS,
    stack_size = const BOOT_STACK_SIZE,
    stack_shift = const BOOT_STACK_SHIFT,
    offset = const PHYS_OFFSET,
);

unsafe extern "C" {
    fn _start_secondary();
    static __kernel_start: u8;
    static __text_end: u8;
    static __rodata_end: u8;
    static __kernel_end: u8;
}

unsafe extern "Rust" {
    fn __lantern_kernel_main(hartid: usize, dtb_pa: usize) -> !;
    fn __lantern_secondary_main(hartid: usize) -> !;
}

static DTB_PA: AtomicUsize = AtomicUsize::new(0);

extern "C" fn rust_boot_main(hartid: usize, dtb_pa: usize) -> ! {
    DTB_PA.store(dtb_pa, Ordering::Relaxed);
    crate::trap::init_hart();
    // SAFETY: `__lantern_kernel_main` is defined by the kernel through `hal::entry!`, which
    // gives it exactly this signature.
    unsafe { __lantern_kernel_main(hartid, dtb_pa) }
}

extern "C" fn rust_secondary_main(hartid: usize) -> ! {
    // Leaving the boot table: drop its identity mapping from this hart's TLB too.
    crate::paging::activate_kernel_space();
    crate::cpu::flush_tlb_all();
    crate::trap::init_hart();
    // SAFETY: as above, defined by `hal::entry!` with this signature.
    unsafe { __lantern_secondary_main(hartid) }
}

/// Declares the kernel's entry points: `boot(hartid, dtb_pa)` runs on the boot hart,
/// `secondary(hartid)` on every hart started with [`start_hart`]. Both never return.
#[macro_export]
macro_rules! entry {
    ($boot:path, $secondary:path) => {
        #[unsafe(export_name = "__lantern_kernel_main")]
        fn __lantern_kernel_main(hartid: usize, dtb_pa: usize) -> ! {
            $boot(hartid, dtb_pa)
        }
        #[unsafe(export_name = "__lantern_secondary_main")]
        fn __lantern_secondary_main(hartid: usize) -> ! {
            $secondary(hartid)
        }
    };
}

/// Asks the firmware to start `hartid` at `_start_secondary`.
pub fn start_hart(hartid: usize) -> Result<(), usize> {
    if hartid >= MAX_HARTS {
        return Err(usize::MAX);
    }
    let entry = virt_to_phys(_start_secondary as *const () as usize);
    let ret = sbi_rt::hart_start(hartid, entry, 0);
    if ret.is_ok() { Ok(()) } else { Err(ret.error) }
}

/// The virtual address ranges of the kernel image's sections, from the linker script.
#[derive(Debug, Clone, Copy)]
pub struct KernelImage {
    /// `.text` start (the image start).
    pub start: usize,
    /// End of `.text` (page aligned): `start..text_end` is read + execute.
    pub text_end: usize,
    /// End of `.rodata` (page aligned): `text_end..rodata_end` is read-only.
    pub rodata_end: usize,
    /// End of the image (page aligned): `rodata_end..end` is read + write.
    pub end: usize,
}

/// Where the linker put the kernel image.
pub fn kernel_image() -> KernelImage {
    KernelImage {
        start: &raw const __kernel_start as usize,
        text_end: &raw const __text_end as usize,
        rodata_end: &raw const __rodata_end as usize,
        end: &raw const __kernel_end as usize,
    }
}

/// The flattened device tree OpenSBI handed over, as bytes (validated header).
pub fn device_tree() -> Option<&'static [u8]> {
    let pa = DTB_PA.load(Ordering::Relaxed);
    if pa == 0 || !pa.is_multiple_of(8) || !crate::mem::is_boot_ram(pa, 8) {
        return None;
    }
    let va = crate::phys_to_virt(pa);
    // SAFETY: `pa` is 8-aligned and the first 8 bytes lie in RAM mapped by the direct map;
    // the firmware placed the device tree there and nothing writes it.
    let header = unsafe { core::slice::from_raw_parts(va as *const u8, 8) };
    let magic = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
    let size = u32::from_be_bytes([header[4], header[5], header[6], header[7]]) as usize;
    if magic != 0xd00d_feed || !crate::mem::is_boot_ram(pa, size) {
        return None;
    }
    crate::mem::reserve_boot_range(pa, pa + size);
    // SAFETY: the whole blob lies in RAM (checked above), is reserved so the frame
    // allocator never hands it out, and is never written: a shared 'static slice is sound.
    Some(unsafe { core::slice::from_raw_parts(va as *const u8, size) })
}
