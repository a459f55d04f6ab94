//! `pmap PID...`: the memory map of processes (concepts P4, M7, U4), like procps `pmap -x`:
//! one line per region of `/proc/<pid>/smaps` with its address, size, the part resident
//! in memory and the part out on swap (in KiB), its permissions and what it holds, then
//! the totals.
//!
//! ```text
//! 12:   t_swap
//! Address             Kbytes     RSS    Swap Mode  Mapping
//! 0000000000010000       128     128       0 r-xp  [program]
//! 0000003fef7ff000       4096      12    4084 rw-p  [stack]
//! ----------------  -------- ------- -------
//! total kB              4224     140    4084
//! ```
//!
//! `RSS` and `Swap` show `-` where the kernel gives no sizes (only `/proc/<pid>/maps`).
//! Exit status 0, or 1 if some process could not be read (it does not exist, or exited),
//! 2 for a usage mistake.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use core::fmt::Write;

use ulib::cli::{Arg, Args, Output, Tool};
use ulib::fs::read_to_string;
use ulib::procfs::Fields;

ulib::entry!(main);

const TOOL: Tool = Tool::new("pmap", "pmap PID...").with_trouble_status(2);

/// One region: its `maps` line's fields and, from `smaps`, its sizes in KiB.
struct Region<'a> {
    start: u64,
    end: u64,
    mode: &'a str,
    name: &'a str,
    rss: Option<u64>,
    swap: Option<u64>,
}

/// The regions of a `maps` or `smaps` text (a `maps` line starts a region; the `Key: n kB`
/// lines after it belong to it).
fn regions(text: &str) -> alloc::vec::Vec<Region<'_>> {
    let mut regions: alloc::vec::Vec<Region> = alloc::vec::Vec::new();
    for line in text.lines() {
        let mut words = line.split_whitespace();
        let Some(first) = words.next() else { continue };
        if let Some((start, end)) = first.split_once('-')
            && let (Ok(start), Ok(end)) =
                (u64::from_str_radix(start, 16), u64::from_str_radix(end, 16))
        {
            let mode = words.next().unwrap_or("----");
            let name = words.nth(3).unwrap_or("");
            regions.push(Region {
                start,
                end,
                mode,
                name,
                rss: None,
                swap: None,
            });
        } else if let Some(region) = regions.last_mut() {
            let value = Fields::parse(line);
            if let Ok(kib) = value.number::<u64>("Rss") {
                region.rss = Some(kib);
            }
            if let Ok(kib) = value.number::<u64>("Swap") {
                region.swap = Some(kib);
            }
        }
    }
    regions
}

fn size_text(value: Option<u64>) -> String {
    value.map_or_else(|| String::from("-"), |kib| format!("{kib}"))
}

fn show(out: &mut Output, pid: &str) -> bool {
    let text = read_to_string(&format!("/proc/{pid}/smaps"))
        .or_else(|_| read_to_string(&format!("/proc/{pid}/maps")));
    let text = match text {
        Ok(text) => text,
        Err(error) => {
            TOOL.error(pid, error);
            return false;
        }
    };
    let name = Fields::read(&format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| status.get("Name").map(String::from))
        .unwrap_or_default();
    let _ = writeln!(out, "{pid}:   {name}");
    let _ = writeln!(
        out,
        "{:<16} {:>9} {:>7} {:>7} Mode  Mapping",
        "Address", "Kbytes", "RSS", "Swap"
    );
    let (mut size, mut rss, mut swap) = (0, None, None);
    for region in regions(&text) {
        let kib = (region.end - region.start) / 1024;
        size += kib;
        rss = region.rss.map(|r| rss.unwrap_or(0) + r).or(rss);
        swap = region.swap.map(|s| swap.unwrap_or(0) + s).or(swap);
        let _ = writeln!(
            out,
            "{:016x} {kib:>9} {:>7} {:>7} {:<5} {}",
            region.start,
            size_text(region.rss),
            size_text(region.swap),
            region.mode,
            region.name
        );
    }
    let _ = writeln!(out, "---------------- --------- ------- -------");
    let _ = writeln!(
        out,
        "{:<16} {size:>9} {:>7} {:>7}",
        "total kB",
        size_text(rss),
        size_text(swap)
    );
    true
}

fn main() -> i32 {
    let mut pids = alloc::vec::Vec::new();
    for arg in Args::new() {
        match arg {
            Arg::Operand(pid) if pid.parse::<u32>().is_ok() => pids.push(pid),
            Arg::Operand(other) => {
                return TOOL.usage_error(format_args!("not a process id: {other:?}"));
            }
            other => return TOOL.unexpected(other),
        }
    }
    if pids.is_empty() {
        return TOOL.usage_error(format_args!("no process id given"));
    }
    let mut out = Output::stdout();
    let mut status = 0;
    for pid in pids {
        if !show(&mut out, pid) {
            status = 1;
        }
    }
    TOOL.finish(&mut out, status)
}
