//! `free [-b | -k | -m | -g]`: memory in use and free (concept U4), from `/proc/meminfo`,
//! laid out like procps `free`:
//!
//! ```text
//!                total        used        free      shared  buff/cache   available
//! Mem:          131072       10240      120832           0           0      120832
//! Swap:              0           0           0
//! ```
//!
//! In KiB (`-k`, the default), bytes (`-b`), MiB (`-m`) or GiB (`-g`). `used` is `total -
//! available`. Fields the kernel does not report count as 0 (`available` as `free`; Lantern
//! reports `MemTotal`, `MemFree` and `MemAvailable`), and the `Swap:` line is shown only if
//! it reports `SwapTotal`. Exit status 0, or 1 if `/proc/meminfo` could not be read.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use core::fmt::Write;

use ulib::cli::{Arg, Args, Output, Tool};
use ulib::procfs::Fields;

ulib::entry!(main);

const TOOL: Tool = Tool::new("free", "free [-b | -k | -m | -g]");

const MEMINFO: &str = "/proc/meminfo";

fn main() -> i32 {
    // Shift from KiB to the unit shown: bytes are a multiplication, the rest divisions.
    let mut unit: i32 = 0;
    for arg in Args::new() {
        match arg {
            Arg::Flag('b') => unit = -10,
            Arg::Flag('k') => unit = 0,
            Arg::Flag('m') => unit = 10,
            Arg::Flag('g') => unit = 20,
            other => return TOOL.unexpected(other),
        }
    }
    let info = match Fields::read(MEMINFO) {
        Ok(info) => info,
        Err(error) => {
            TOOL.error(MEMINFO, error);
            return 1;
        }
    };
    let kib = |key: &str| info.number::<u64>(key).ok();
    let scaled = |value: u64| {
        if unit < 0 {
            value << -unit
        } else {
            value >> unit
        }
    };
    let total = kib("MemTotal").unwrap_or(0);
    let free = kib("MemFree").unwrap_or(0);
    let available = kib("MemAvailable").unwrap_or(free);
    let shared = kib("Shmem").unwrap_or(0);
    let buff_cache = ["Buffers", "Cached", "SReclaimable"]
        .iter()
        .filter_map(|key| kib(key))
        .sum::<u64>();
    let used = total.saturating_sub(available);

    let mut out = Output::stdout();
    let _ = writeln!(
        out,
        "{:<8}{:>12}{:>12}{:>12}{:>12}{:>12}{:>12}",
        "", "total", "used", "free", "shared", "buff/cache", "available"
    );
    let _ = writeln!(
        out,
        "{:<8}{:>12}{:>12}{:>12}{:>12}{:>12}{:>12}",
        "Mem:",
        scaled(total),
        scaled(used),
        scaled(free),
        scaled(shared),
        scaled(buff_cache),
        scaled(available)
    );
    if let Some(swap_total) = kib("SwapTotal") {
        let swap_free = kib("SwapFree").unwrap_or(swap_total);
        let _ = writeln!(
            out,
            "{:<8}{:>12}{:>12}{:>12}",
            "Swap:",
            scaled(swap_total),
            scaled(swap_total.saturating_sub(swap_free)),
            scaled(swap_free)
        );
    }
    TOOL.finish(&mut out, 0)
}
