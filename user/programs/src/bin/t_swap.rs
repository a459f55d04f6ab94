//! Test `t_swap` (expects `exit=0`): swapping under every page-replacement policy the kernel
//! runs (concept M7). Needs the swap disk `cargo xtask test` attaches and 128 MiB of RAM.
//!
//! - `/proc/sys/vm/page_replacement` names the policy in force; writing `fifo`, `aging`
//!   (LRU approximated from accessed bits), `clock`, `nru`, `lfu` or `random` switches to it
//!   and reads back; `lru` (exact LRU) and `opt` need what only the simulator knows, and
//!   they, a made-up name and an empty line are `EINVAL`, leaving the policy unchanged.
//! - Under each policy a child maps 512 MiB of anonymous memory (four times the machine's
//!   RAM; 192 MiB under `random`, whose scattered evictions defeat swap readahead), writes a pattern into every page (two words, derived from the page number and
//!   the policy), then reads every page back and checks the pattern and a checksum: the
//!   whole workload completes through swap. Between the child's start and its exit,
//!   `/proc/vmstat` counts pages written to swap (`pswpout`), read back (`pswpin`, readahead
//!   included), major faults (`pgmajfault`) and evictions under that very policy (`evict_<policy>`), all
//!   non-zero. The time each run takes and those counters are printed (no timed assertion).
//! - While each workload runs, `vmstat 1` prints a line a second into the test log (swap
//!   in use, KiB swapped in and out per second, faults, evictions, the policy): the policy
//!   at work, as a person would watch it. It is stopped with SIGTERM afterwards.
//! - The policy in force at the start is restored.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use ulib::abi::errno::Errno;
use ulib::abi::signal::SIGTERM;
use ulib::fs::{read_to_string, write_file};
use ulib::mm::Mapping;
use ulib::process::Fork;
use ulib::procfs::Fields;
use ulib::{check, check_eq, println};

ulib::entry!(main);

const PAGE: usize = 4096;
/// The workload: four times the RAM of the test machine.
const WORKLOAD: usize = 512 << 20;
/// `random` scatters the pages it evicts over the swap area, so reading them back gets no
/// help from readahead (a disk request per page, about ten times slower): it gets a
/// smaller workload, still beyond RAM.
const RANDOM_WORKLOAD: usize = 192 << 20;
const POLICY_FILE: &str = "/proc/sys/vm/page_replacement";
/// The policies the kernel can run.
const POLICIES: [&str; 6] = ["fifo", "aging", "clock", "nru", "lfu", "random"];

fn policy() -> String {
    read_to_string(POLICY_FILE)
        .unwrap_or_else(|e| ulib::fail!("read {POLICY_FILE}: {e}"))
        .trim()
        .into()
}

fn set_policy(name: &str) -> Result<(), Errno> {
    write_file(POLICY_FILE, name.as_bytes(), 0o644)
}

fn vmstat() -> Fields {
    Fields::read("/proc/vmstat").unwrap_or_else(|e| ulib::fail!("read /proc/vmstat: {e}"))
}

fn counter(stats: &Fields, name: &str) -> u64 {
    stats
        .number(name)
        .unwrap_or_else(|e| ulib::fail!("/proc/vmstat: {e}"))
}

/// The two words written into page `page` under the run numbered `run`.
fn pattern(page: usize, run: usize) -> (u64, u64) {
    let seed = (page as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (run as u64) << 56;
    (seed, !seed.rotate_left(17))
}

/// The child's work: touch all of `size` bytes, then check all of them. Exits 0 on success.
fn workload(run: usize, size: usize) -> ! {
    let mut map =
        Mapping::anonymous(size, false).unwrap_or_else(|e| ulib::fail!("mmap {size} bytes: {e}"));
    let bytes = map.bytes_mut();
    let mut written = 0u64;
    for (page, chunk) in bytes.chunks_exact_mut(PAGE).enumerate() {
        let (first, last) = pattern(page, run);
        chunk[..8].copy_from_slice(&first.to_le_bytes());
        chunk[PAGE - 8..].copy_from_slice(&last.to_le_bytes());
        written = written.wrapping_add(first).wrapping_add(last);
    }
    let mut read = 0u64;
    for (page, chunk) in map.bytes().chunks_exact(PAGE).enumerate() {
        let first = u64::from_le_bytes(chunk[..8].try_into().unwrap_or_default());
        let last = u64::from_le_bytes(chunk[PAGE - 8..].try_into().unwrap_or_default());
        check_eq!((first, last), pattern(page, run), "page {page} read back");
        check!(
            chunk[8..PAGE - 8].iter().all(|&b| b == 0),
            "page {page}: the untouched middle reads as zeros"
        );
        read = read.wrapping_add(first).wrapping_add(last);
    }
    check_eq!(read, written, "checksum of {size} bytes");
    ulib::exit(0)
}

fn run_under(name: &str, run: usize, size: usize) {
    check_eq!(set_policy(name), Ok(()), "switching to {name}");
    check_eq!(policy(), name, "{POLICY_FILE} after writing {name}");
    let before = vmstat();
    let watcher = match ulib::fork() {
        Ok(Fork::Child) => {
            let error = ulib::execve("/bin/vmstat", &["/bin/vmstat", "1"], &["PATH=/bin"]);
            ulib::fail!("exec /bin/vmstat: {error}")
        }
        Ok(Fork::Parent(pid)) => pid,
        Err(e) => ulib::fail!("fork: {e}"),
    };
    let start = ulib::bench::now_ns().unwrap_or(0);
    let pid = match ulib::fork() {
        Ok(Fork::Child) => workload(run, size),
        Ok(Fork::Parent(pid)) => pid,
        Err(e) => ulib::fail!("fork: {e}"),
    };
    let status = ulib::waitpid(pid).unwrap_or_else(|e| ulib::fail!("waitpid: {e}"));
    let took_ms = ulib::bench::now_ns().unwrap_or(0).saturating_sub(start) / 1_000_000;
    check_eq!(ulib::kill(watcher, SIGTERM), Ok(()), "stopping vmstat");
    let _ = ulib::waitpid(watcher);
    let mib = size >> 20;
    check_eq!(
        status,
        0,
        "the {mib} MiB workload under {name} (wait status)"
    );
    let after = vmstat();
    let delta = |counter_name: &str| counter(&after, counter_name) - counter(&before, counter_name);
    let evicted_name = format!("evict_{name}");
    let (outs, ins, major, evicted) = (
        delta("pswpout"),
        delta("pswpin"),
        delta("pgmajfault"),
        delta(&evicted_name),
    );
    println!(
        "t_swap: {name:>6}: {mib} MiB in {took_ms} ms, pswpout {outs}, pswpin {ins}, pgmajfault {major}, {evicted_name} {evicted}"
    );
    check!(outs > 0, "{name}: pages were written to swap");
    check!(ins > 0, "{name}: pages were read back from swap");
    check!(
        major > 0,
        "{name}: reading pages back counts as major faults"
    );
    check!(
        evicted > 0,
        "{name}: evictions are counted under the policy"
    );
}

fn main() -> i32 {
    if !ulib::on_lantern() {
        println!("t_swap: not on Lantern (no {POLICY_FILE}); nothing to test");
        return 0;
    }
    let meminfo = Fields::read("/proc/meminfo").unwrap_or_else(|e| ulib::fail!("meminfo: {e}"));
    let swap_kib: u64 = meminfo.number("SwapTotal").unwrap_or(0);
    check!(
        swap_kib * 1024 >= WORKLOAD as u64 / 2,
        "a swap area of at least 256 MiB (SwapTotal: {swap_kib} kB; boot with the swap disk)"
    );
    let original = policy();
    for bad in ["opt", "lru", "belady", "\n"] {
        check_eq!(set_policy(bad), Err(Errno::EINVAL), "writing {bad:?}");
        check_eq!(policy(), original, "the policy after writing {bad:?}");
    }
    for (run, name) in POLICIES.iter().enumerate() {
        let size = if *name == "random" {
            RANDOM_WORKLOAD
        } else {
            WORKLOAD
        };
        run_under(name, run, size);
    }
    check_eq!(set_policy(&original), Ok(()), "restoring {original}");
    println!("t_swap: ok");
    0
}
