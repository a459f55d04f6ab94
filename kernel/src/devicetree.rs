//! The device tree: what machine we booted on (concept K8).
//!
//! OpenSBI passes a flattened device tree; the `fdt` crate parses it. [`BootInfo`] keeps the
//! facts the kernel needs: RAM, harts, timer frequency, the UART, PLIC, RTC and virtio
//! slots, the initrd QEMU loaded (`-initrd`) and the kernel command line (`-append`).

use alloc::string::String;
use alloc::vec::Vec;
use fdt::Fdt;

/// The machine, as the device tree describes it.
#[derive(Debug)]
pub struct BootInfo {
    /// RAM ranges `[start, end)` (physical).
    pub memory: Vec<(usize, usize)>,
    /// Ranges the firmware reserved (OpenSBI's own memory).
    pub reserved: Vec<(usize, usize)>,
    /// Hart ids.
    pub harts: Vec<usize>,
    /// `time` CSR ticks per second.
    pub timebase_hz: u64,
    /// UART registers (base, size) and its interrupt line.
    pub uart: Option<(usize, usize)>,
    pub uart_irq: Option<u32>,
    /// PLIC registers (base, size).
    pub plic: Option<(usize, usize)>,
    /// Goldfish real-time clock registers (base, size).
    pub rtc: Option<(usize, usize)>,
    /// QEMU's test finisher (base, size): writing it ends QEMU with an exit code.
    pub test_finisher: Option<(usize, usize)>,
    /// virtio-mmio slots: (base, size, interrupt line).
    pub virtio: Vec<(usize, usize, u32)>,
    /// The initrd image QEMU loaded, if any.
    pub initrd: Option<&'static [u8]>,
    /// The kernel command line.
    pub bootargs: String,
}

static COMMAND_LINE: hal::sync::Once<String> = hal::sync::Once::new();

/// The kernel command line (`/proc/cmdline`).
pub fn command_line() -> &'static str {
    COMMAND_LINE.get().map_or("", String::as_str)
}

/// Most RAM ranges the early boot path handles.
pub const MAX_RAM_RANGES: usize = 8;

/// RAM ranges `[start, end)` found before the heap exists, and how many are valid.
pub type EarlyRam = ([(usize, usize); MAX_RAM_RANGES], usize);

/// Before the heap exists: reserves the firmware's memory and the initrd from the frame
/// allocator, and returns the RAM ranges (and how many there are).
pub fn early_memory(dtb: &'static [u8]) -> Result<EarlyRam, &'static str> {
    let fdt = Fdt::new(dtb).map_err(|_| "the device tree is malformed")?;
    let mut ram = [(0, 0); MAX_RAM_RANGES];
    let mut count = 0;
    for region in fdt.memory().regions() {
        let (Some(size), true) = (region.size, count < MAX_RAM_RANGES) else {
            continue;
        };
        let start = region.starting_address as usize;
        ram[count] = (start, start + size);
        count += 1;
    }
    if count == 0 {
        return Err("the device tree lists no memory");
    }
    for r in fdt.memory_reservations() {
        hal::mem::reserve_boot_range(r.address() as usize, r.address() as usize + r.size());
    }
    if let Some(node) = fdt.find_node("/reserved-memory") {
        for (base, size) in node.children().filter_map(|child| first_reg(&child)) {
            hal::mem::reserve_boot_range(base, base + size);
        }
    }
    if let (Some(start), Some(end)) = initrd_range(&fdt) {
        hal::mem::reserve_boot_range(start, end);
    }
    Ok((ram, count))
}

fn initrd_range(fdt: &Fdt) -> (Option<usize>, Option<usize>) {
    let chosen = fdt.find_node("/chosen");
    let property = |name: &str| chosen.as_ref()?.property(name)?.as_usize();
    (property("linux,initrd-start"), property("linux,initrd-end"))
}

fn first_reg(node: &fdt::node::FdtNode) -> Option<(usize, usize)> {
    let region = node.reg()?.next()?;
    Some((region.starting_address as usize, region.size.unwrap_or(0)))
}

fn first_interrupt(node: &fdt::node::FdtNode) -> Option<u32> {
    node.interrupts()?
        .next()
        .and_then(|irq| u32::try_from(irq).ok())
}

impl BootInfo {
    /// Reads the device tree blob.
    pub fn parse(dtb: &'static [u8]) -> Result<BootInfo, &'static str> {
        let fdt = Fdt::new(dtb).map_err(|_| "the device tree is malformed")?;
        let memory: Vec<(usize, usize)> = fdt
            .memory()
            .regions()
            .filter_map(|r| {
                Some((
                    r.starting_address as usize,
                    r.starting_address as usize + r.size?,
                ))
            })
            .collect();
        if memory.is_empty() {
            return Err("the device tree lists no memory");
        }
        let mut reserved: Vec<(usize, usize)> = fdt
            .memory_reservations()
            .map(|r| (r.address() as usize, r.address() as usize + r.size()))
            .collect();
        if let Some(node) = fdt.find_node("/reserved-memory") {
            reserved.extend(
                node.children()
                    .filter_map(|child| first_reg(&child))
                    .map(|(b, s)| (b, b + s)),
            );
        }
        let harts: Vec<usize> = fdt.cpus().map(|cpu| cpu.ids().first()).collect();
        let timebase_hz = fdt
            .cpus()
            .next()
            .map(|cpu| cpu.timebase_frequency() as u64)
            .unwrap_or(10_000_000);

        let uart_node = fdt.find_compatible(&["ns16550a", "ns16550"]);
        let plic = fdt
            .find_compatible(&["riscv,plic0", "sifive,plic-1.0.0"])
            .and_then(|n| first_reg(&n));
        let rtc = fdt
            .find_compatible(&["google,goldfish-rtc"])
            .and_then(|n| first_reg(&n));
        let test_finisher = fdt
            .find_compatible(&["sifive,test0", "sifive,test1"])
            .and_then(|n| first_reg(&n));
        let virtio = fdt
            .all_nodes()
            .filter(|n| {
                n.compatible()
                    .is_some_and(|c| c.all().any(|s| s == "virtio,mmio"))
            })
            .filter_map(|n| {
                let (base, size) = first_reg(&n)?;
                Some((base, size, first_interrupt(&n)?))
            })
            .collect();

        let initrd = match initrd_range(&fdt) {
            (Some(start), Some(end)) => {
                Some(hal::mem::boot_blob(start, end).ok_or("the initrd is not in RAM")?)
            }
            _ => None,
        };
        let bootargs: String = fdt.chosen().bootargs().unwrap_or("").into();
        let _ = COMMAND_LINE.set(bootargs.clone());

        Ok(BootInfo {
            memory,
            reserved,
            harts,
            timebase_hz,
            uart: uart_node.as_ref().and_then(first_reg),
            uart_irq: uart_node.as_ref().and_then(first_interrupt),
            plic,
            rtc,
            test_finisher,
            virtio,
            initrd,
            bootargs,
        })
    }

    /// Logs what was found.
    pub fn log_summary(&self) {
        for &(start, end) in &self.memory {
            log::info!("memory: {start:#x}..{end:#x} ({} MiB)", (end - start) >> 20);
        }
        for &(start, end) in &self.reserved {
            log::info!("reserved by firmware: {start:#x}..{end:#x}");
        }
        log::info!("harts: {:?}, timebase {} Hz", self.harts, self.timebase_hz);
        if let Some((base, _)) = self.uart {
            log::info!("uart: {base:#x} irq {:?}", self.uart_irq);
        }
        if let Some((base, _)) = self.plic {
            log::info!("plic: {base:#x}");
        }
        log::info!("virtio-mmio slots: {}", self.virtio.len());
        if let Some(initrd) = self.initrd {
            log::info!("initrd: {} KiB", initrd.len() / 1024);
        }
        log::info!("command line: '{}'", self.bootargs);
    }
}
