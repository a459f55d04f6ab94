//! Memory management (concepts M1, M2, P4, M7, M8): the kernel address space, per-process
//! user address spaces, validated access to user memory, and swapping: the swap area, the
//! pager with its replacement policy, the OOM killer and thrashing control.

pub mod address_space;
pub mod asid;
pub mod oom;
pub mod pager;
pub mod shared;
pub mod shmem;
pub mod swap;
pub mod thrash;
pub mod user;
pub mod vmstat;

use crate::devicetree::BootInfo;
use hal::paging::{KernelSpace, PteFlags};
use hal::virt_to_phys;

pub use address_space::{AddressSpace, Perm, Vma, VmaKind};
pub use shared::SharedSpace;

/// Builds the kernel page table: the image with per-section permissions (text R+X, rodata
/// R, data R+W), all RAM read-write, and every device window; then switches to it, which
/// drops the boot table's identity mapping.
pub fn init(info: &BootInfo) {
    let image = hal::boot::kernel_image();
    let mut space = KernelSpace::new().expect("no memory for the kernel page table");
    let sections = [
        (image.start, image.text_end, PteFlags::RX),
        (image.text_end, image.rodata_end, PteFlags::R),
        (image.rodata_end, image.end, PteFlags::RW),
    ];
    for (start, end, flags) in sections {
        space
            .map_direct(virt_to_phys(start), end - start, flags)
            .expect("mapping the kernel image");
    }
    for &(start, end) in &info.memory {
        space
            .map_direct(start, end - start, PteFlags::RW)
            .expect("mapping RAM");
    }
    let devices = [info.uart, info.plic, info.rtc, info.test_finisher]
        .into_iter()
        .flatten();
    let virtio = info.virtio.iter().map(|&(base, size, _)| (base, size));
    for (base, size) in devices.chain(virtio) {
        space
            .map_direct(base, size, PteFlags::RW)
            .expect("mapping device registers");
    }
    space.activate();
    asid::init();
    pager::init();
    let stats = hal::mem::frame_stats();
    log::info!(
        "memory: kernel image {} KiB, {} of {} frames free, kernel page table active",
        (image.end - image.start) / 1024,
        stats.free_frames,
        stats.managed_frames
    );
}
