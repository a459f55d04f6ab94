//! Test `t_vmtools` (expects `exit=0`): the memory observability tools and files (concepts
//! M1, M7, M8, P4, U4).
//!
//! - `vmstat` prints its header and one line (averages since boot) ending with the policy in
//!   `/proc/sys/vm/page_replacement`; `vmstat 1 2` prints two lines after the header; a
//!   delay of 0 or a word that is not a number is a usage mistake (status 2).
//! - `pmap <pid>` of this process names it, lists its regions with `[stack]` among them and
//!   ends with a `total kB` line whose resident size is above 0; an unknown pid is status 1
//!   with a message; no pid is status 2.
//! - `free` has a `Swap:` line whose total is `SwapTotal` of `/proc/meminfo`.
//! - `/proc/buddyinfo` is Linux's one line of free blocks per order, and the frames they add
//!   up to are (nearly: memory changes between the reads) `MemFree`.
//! - `/proc/self/smaps` has `Size`, `Rss` and `Swap` for every region of `/proc/self/maps`.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use ulib::abi::wait::WaitStatus;
use ulib::fs::{close, dup2, pipe, read_to_end, read_to_string};
use ulib::process::Fork;
use ulib::procfs::Fields;
use ulib::{check, check_eq, println};

ulib::entry!(main);

/// Runs `/bin/<program> args...`; returns its exit code and what it wrote to standard
/// output and standard error.
fn run(program: &str, args: &[&str]) -> (i32, String, String) {
    let (out_read, out_write) = pipe().unwrap_or_else(|e| ulib::fail!("pipe: {e}"));
    let (err_read, err_write) = pipe().unwrap_or_else(|e| ulib::fail!("pipe: {e}"));
    let path = format!("/bin/{program}");
    let pid = match ulib::fork() {
        Ok(Fork::Child) => {
            let _ = dup2(out_write, 1);
            let _ = dup2(err_write, 2);
            let mut argv: Vec<&str> = alloc::vec![&path];
            argv.extend_from_slice(args);
            let _ = ulib::execve(&path, &argv, &["PATH=/bin"]);
            ulib::exit(127)
        }
        Ok(Fork::Parent(pid)) => pid,
        Err(e) => ulib::fail!("fork: {e}"),
    };
    let _ = close(out_write);
    let _ = close(err_write);
    let out = read_to_end(out_read).unwrap_or_default();
    let err = read_to_end(err_read).unwrap_or_default();
    let _ = close(out_read);
    let _ = close(err_read);
    let status = ulib::waitpid(pid).unwrap_or_else(|e| ulib::fail!("waitpid: {e}"));
    let code = match WaitStatus::decode(status) {
        Some(WaitStatus::Exited(code)) => i32::from(code),
        _ => ulib::fail!("{program} {args:?} ended with wait status {status:#x}"),
    };
    (
        code,
        String::from_utf8_lossy(&out).into_owned(),
        String::from_utf8_lossy(&err).into_owned(),
    )
}

fn check_vmstat() {
    let policy = read_to_string("/proc/sys/vm/page_replacement")
        .unwrap_or_else(|e| ulib::fail!("page_replacement: {e}"));
    let (code, out, err) = run("vmstat", &[]);
    check_eq!((code, err.as_str()), (0, ""), "vmstat: status and stderr");
    let lines: Vec<&str> = out.lines().collect();
    check_eq!(lines.len(), 2, "vmstat: header and one line: {out:?}");
    check!(
        lines[0].starts_with(" r  b  s   swpd"),
        "vmstat header: {:?}",
        lines[0]
    );
    check_eq!(
        lines[1].split_whitespace().last(),
        Some(policy.trim()),
        "vmstat's last column is the policy"
    );
    let (code, out, _) = run("vmstat", &["1", "2"]);
    check_eq!((code, out.lines().count()), (0, 3), "vmstat 1 2: {out:?}");
    for bad in ["0", "soon"] {
        let (code, _, err) = run("vmstat", &[bad]);
        check_eq!(code, 2, "vmstat {bad}: a usage mistake");
        check!(!err.is_empty(), "vmstat {bad} says why");
    }
}

fn check_pmap() {
    let me = ulib::getpid().unwrap_or_else(|e| ulib::fail!("getpid: {e}"));
    let (code, out, err) = run("pmap", &[&format!("{me}")]);
    check_eq!(
        (code, err.as_str()),
        (0, ""),
        "pmap {me}: status and stderr"
    );
    let lines: Vec<&str> = out.lines().collect();
    check_eq!(
        lines.first().copied(),
        Some(format!("{me}:   t_vmtools").as_str()),
        "pmap title"
    );
    check!(
        lines.iter().any(|l| l.ends_with("[stack]")),
        "pmap lists the stack: {out}"
    );
    let total = lines.last().copied().unwrap_or("");
    let words: Vec<&str> = total.split_whitespace().collect();
    check!(
        words.len() == 5 && words[0] == "total" && words[3].parse::<u64>().is_ok_and(|rss| rss > 0),
        "pmap's last line: total kB, size, resident above 0, swap: {total:?}"
    );
    let (code, _, err) = run("pmap", &["999999"]);
    check!(
        code == 1 && !err.is_empty(),
        "pmap of a missing pid: status 1 ({err:?})"
    );
    let (code, _, _) = run("pmap", &[]);
    check_eq!(code, 2, "pmap without a pid");
}

fn check_free() {
    let meminfo = Fields::read("/proc/meminfo").unwrap_or_else(|e| ulib::fail!("meminfo: {e}"));
    let swap_total: u64 = meminfo
        .number("SwapTotal")
        .unwrap_or_else(|e| ulib::fail!("{e}"));
    let (code, out, _) = run("free", &[]);
    check_eq!(code, 0, "free");
    let swap = out.lines().find(|l| l.starts_with("Swap:")).unwrap_or("");
    check_eq!(
        swap.split_whitespace()
            .nth(1)
            .and_then(|t| t.parse::<u64>().ok()),
        Some(swap_total),
        "free's Swap: total is SwapTotal ({swap:?})"
    );
}

fn check_proc_files() {
    let buddy = read_to_string("/proc/buddyinfo").unwrap_or_else(|e| ulib::fail!("{e}"));
    check!(
        buddy.starts_with("Node 0, zone   Normal"),
        "buddyinfo: {buddy:?}"
    );
    let frames: u64 = buddy
        .split_whitespace()
        .skip(4)
        .enumerate()
        .map(|(order, count)| count.parse::<u64>().unwrap_or(0) << order)
        .sum();
    let meminfo = Fields::read("/proc/meminfo").unwrap_or_else(|e| ulib::fail!("meminfo: {e}"));
    let free_kib: u64 = meminfo
        .number("MemFree")
        .unwrap_or_else(|e| ulib::fail!("{e}"));
    check!(
        (frames * 4).abs_diff(free_kib) * 50 <= free_kib,
        "buddyinfo's free blocks ({} kB) add up to MemFree ({free_kib} kB)",
        frames * 4
    );
    let maps = read_to_string("/proc/self/maps").unwrap_or_else(|e| ulib::fail!("{e}"));
    let smaps = read_to_string("/proc/self/smaps").unwrap_or_else(|e| ulib::fail!("{e}"));
    for key in ["Size:", "Rss:", "Swap:"] {
        check_eq!(
            smaps.lines().filter(|l| l.starts_with(key)).count(),
            maps.lines().count(),
            "one {key} line per region in /proc/self/smaps"
        );
    }
}

fn main() -> i32 {
    if !ulib::on_lantern() {
        println!("t_vmtools: not on Lantern; nothing to test");
        return 0;
    }
    check_vmstat();
    check_pmap();
    check_free();
    check_proc_files();
    println!("t_vmtools: ok");
    0
}
