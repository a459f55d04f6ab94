//! `/proc` (concepts F4, P1): the kernel's state as text files, generated on every read.
//!
//! `/proc/<pid>/status` shows the process control block, `/proc/<pid>/maps` and `smaps`
//! its memory regions (with resident and swapped sizes); `meminfo`, `vmstat`, `buddyinfo`,
//! `uptime`, `cpuinfo` and `mounts` the system; `/proc/self` links to the reader's own
//! directory; `/proc/sysvipc/{msg,sem,shm}` list the System V objects. Formats follow
//! Linux's where tools parse them. Writable: `sched_trace` (clears it); by root, the
//! switches `/proc/sys/kernel/sched_policy`, `/proc/sys/kernel/deadlock_detect` (0 or 1,
//! concept T4), `/proc/sys/vm/page_replacement` and `/proc/sys/vm/max_asid`.

use super::{DirEntry, FileType, Inode, Metadata, Timestamp};
use crate::ipc::{msg, sem};
use crate::proc::{self, Pid, State, sched};
use crate::time;
use abi::errno::Errno;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt::Write;
use core::sync::atomic::Ordering;

const DEV: u64 = 0x11;
const ROOT_INO: u64 = 1;

/// Files directly under `/proc`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum SystemFile {
    Meminfo,
    Uptime,
    Cpuinfo,
    Mounts,
    /// System-wide scheduling averages.
    Schedstat,
    /// The last stints of processes on harts (writing clears it).
    SchedTrace,
    /// Disk requests and buffer-cache counters.
    Diskstats,
    /// The kernel command line.
    Cmdline,
    /// Virtual-memory counters (faults, swapping, evictions per policy).
    Vmstat,
    /// Free blocks of the buddy allocator per order.
    Buddyinfo,
}

const SYSTEM_FILES: [(&str, SystemFile); 10] = [
    ("meminfo", SystemFile::Meminfo),
    ("uptime", SystemFile::Uptime),
    ("cpuinfo", SystemFile::Cpuinfo),
    ("mounts", SystemFile::Mounts),
    ("schedstat", SystemFile::Schedstat),
    ("sched_trace", SystemFile::SchedTrace),
    ("diskstats", SystemFile::Diskstats),
    ("cmdline", SystemFile::Cmdline),
    ("vmstat", SystemFile::Vmstat),
    ("buddyinfo", SystemFile::Buddyinfo),
];

/// Files under `/proc/<pid>`.
const PID_FILES: [&str; 3] = ["status", "maps", "sched"];

enum Node {
    Root,
    SelfLink,
    System(SystemFile),
    PidDir(Pid),
    PidStatus(Pid),
    PidMaps(Pid),
    PidSched(Pid),
    /// `/proc/<pid>/smaps`: the regions with their resident and swapped sizes.
    PidSmaps(Pid),
    /// `/proc/<pid>/task`: one directory per thread of the process (`/proc/<pid>/task/<tid>`,
    /// with the same files as `/proc/<pid>`, for that thread).
    TaskDir(Pid),
    /// `/proc/sys`, `/proc/sys/kernel` and `/proc/sys/vm`.
    SysDir,
    SysKernelDir,
    SysVmDir,
    /// `/proc/sys/kernel/sched_policy`: read or write the system's scheduling policy.
    SchedPolicy,
    /// `/proc/sys/kernel/deadlock_detect`: the semaphore deadlock detector, 0 or 1.
    DeadlockDetect,
    /// `/proc/sysvipc` and its `msg` and `sem` tables.
    SysvipcDir,
    SysvipcMsg,
    SysvipcSem,
    SysvipcShm,
    /// `/proc/sys/vm/page_replacement`: read or write the page-replacement policy.
    PageReplacement,
    /// `/proc/sys/vm/max_asid`: the largest ASID new address spaces get.
    MaxAsid,
}

/// A node of procfs.
pub struct ProcNode(Node);

/// The root of a procfs.
pub fn new() -> Arc<dyn Inode> {
    Arc::new(ProcNode(Node::Root))
}

fn node(n: Node) -> Arc<dyn Inode> {
    Arc::new(ProcNode(n))
}

fn live(pid: Pid) -> Result<Arc<proc::Process>, Errno> {
    proc::lookup(pid).ok_or(Errno::ENOENT)
}

impl ProcNode {
    fn ino(&self) -> u64 {
        match self.0 {
            Node::Root => ROOT_INO,
            Node::SelfLink => 2,
            Node::System(file) => {
                3 + SYSTEM_FILES
                    .iter()
                    .position(|(_, f)| *f == file)
                    .unwrap_or(0) as u64
            }
            Node::PidDir(pid) => (pid as u64) << 8,
            Node::PidStatus(pid) => ((pid as u64) << 8) | 1,
            Node::PidMaps(pid) => ((pid as u64) << 8) | 2,
            Node::PidSched(pid) => ((pid as u64) << 8) | 3,
            Node::TaskDir(pid) => ((pid as u64) << 8) | 4,
            Node::PidSmaps(pid) => ((pid as u64) << 8) | 5,
            Node::SysDir => 10,
            Node::SysKernelDir => 11,
            Node::SchedPolicy => 12,
            Node::DeadlockDetect => 13,
            Node::SysvipcDir => 14,
            Node::SysvipcMsg => 15,
            Node::SysvipcSem => 16,
            Node::SysvipcShm => 17,
            Node::SysVmDir => 18,
            Node::PageReplacement => 19,
            Node::MaxAsid => 20,
        }
    }

    fn content(&self) -> Result<String, Errno> {
        match self.0 {
            Node::System(SystemFile::Meminfo) => Ok(meminfo()),
            Node::System(SystemFile::Uptime) => Ok(uptime()),
            Node::System(SystemFile::Cpuinfo) => Ok(cpuinfo()),
            Node::System(SystemFile::Mounts) => Ok(mounts()),
            Node::System(SystemFile::Schedstat) => Ok(schedstat()),
            Node::System(SystemFile::Diskstats) => Ok(diskstats()),
            Node::System(SystemFile::Cmdline) => {
                Ok(format!("{}\n", crate::devicetree::command_line()))
            }
            Node::System(SystemFile::Vmstat) => Ok(crate::mm::vmstat::text()),
            Node::System(SystemFile::Buddyinfo) => Ok(buddyinfo()),
            Node::PidSmaps(pid) => Ok(smaps(&live(pid)?)),
            Node::PageReplacement => Ok(format!("{}\n", crate::mm::pager::policy().name())),
            Node::MaxAsid => Ok(format!("{}\n", crate::mm::asid::limit())),
            Node::PidStatus(pid) => status(&live(pid)?),
            Node::PidMaps(pid) => Ok(maps(&live(pid)?)),
            Node::PidSched(pid) => Ok(sched_file(&live(pid)?)),
            Node::SchedPolicy => Ok(format!("{}\n", sched::policy_name())),
            Node::DeadlockDetect => Ok(format!("{}\n", u8::from(sem::detector_enabled()))),
            Node::SysvipcMsg => Ok(msg::proc_text()),
            Node::SysvipcSem => Ok(sem::proc_text()),
            Node::SysvipcShm => Ok(crate::ipc::shm::proc_text()),
            _ => Err(Errno::EISDIR),
        }
    }
}

/// Catches the bytes `[offset, offset + buf.len())` of text written to it, keeping none
/// of the rest; refuses more text once the window is full.
struct Window<'a> {
    /// Bytes of text before the window not yet passed.
    skip: u64,
    buf: &'a mut [u8],
    filled: usize,
}

impl<'a> Window<'a> {
    fn new(offset: u64, buf: &'a mut [u8]) -> Self {
        Window {
            skip: offset,
            buf,
            filled: 0,
        }
    }
}

impl Write for Window<'_> {
    fn write_str(&mut self, text: &str) -> core::fmt::Result {
        let mut bytes = text.as_bytes();
        let skipped = (bytes.len() as u64).min(self.skip);
        self.skip -= skipped;
        bytes = &bytes[skipped as usize..];
        let count = bytes.len().min(self.buf.len() - self.filled);
        self.buf[self.filled..self.filled + count].copy_from_slice(&bytes[..count]);
        self.filled += count;
        if self.filled == self.buf.len() && !self.buf.is_empty() {
            Err(core::fmt::Error)
        } else {
            Ok(())
        }
    }
}

fn meminfo() -> String {
    let stats = hal::mem::frame_stats();
    let (heap_now, heap_peak) = hal::mem::heap_usage();
    let kib = |frames: usize| frames * 4;
    let mut text = String::new();
    let _ = writeln!(text, "MemTotal:       {:8} kB", kib(stats.managed_frames));
    let _ = writeln!(text, "MemFree:        {:8} kB", kib(stats.free_frames));
    let _ = writeln!(text, "MemAvailable:   {:8} kB", kib(stats.free_frames));
    let (swap_total, swap_free) = crate::mm::swap::slots();
    let _ = writeln!(text, "SwapTotal:      {:8} kB", kib(swap_total));
    let _ = writeln!(text, "SwapFree:       {:8} kB", kib(swap_free));
    let _ = writeln!(text, "KernelHeap:     {:8} kB", heap_now / 1024);
    let _ = writeln!(text, "KernelHeapPeak: {:8} kB", heap_peak / 1024);
    for (order, blocks) in stats.free_blocks.iter().enumerate() {
        let _ = writeln!(text, "FreeBlocksOrder{order}: {blocks}");
    }
    let _ = writeln!(
        text,
        "UnusableIndexOrder4: {}",
        stats.unusable_index_permille(4)
    );
    text
}

/// `/proc/buddyinfo` (concept M1): free blocks of each order, Linux's layout.
fn buddyinfo() -> String {
    let stats = hal::mem::frame_stats();
    let mut text = String::from("Node 0, zone   Normal ");
    for blocks in stats.free_blocks {
        let _ = write!(text, "{blocks:7}");
    }
    text.push('\n');
    text
}

fn seconds(ns: u64) -> String {
    format!(
        "{}.{:02}",
        ns / 1_000_000_000,
        ns % 1_000_000_000 / 10_000_000
    )
}

fn uptime() -> String {
    let up = time::monotonic_ns();
    let harts = sched::online_harts().count_ones() as u64;
    let busy: u64 = (0..hal::MAX_HARTS).map(sched::hart_busy_ns).sum();
    let idle = (up * harts).saturating_sub(busy);
    format!("{} {}\n", seconds(up), seconds(idle))
}

fn cpuinfo() -> String {
    let mut text = String::new();
    let online = sched::online_harts();
    for hart in (0..hal::MAX_HARTS).filter(|h| online & (1 << h) != 0) {
        let _ = write!(
            text,
            "processor\t: {hart}\nhart\t\t: {hart}\nisa\t\t: rv64imafdc\nmmu\t\t: sv39\n\n"
        );
    }
    text
}

fn schedstat() -> String {
    let stats = sched::stats();
    let average = |sum: u64| sum.checked_div(stats.finished).unwrap_or(0);
    format!(
        "policy {}\nfinished {}\navg_response_ns {}\navg_turnaround_ns {}\navg_wait_ns {}\ncontext_switches {}\n",
        sched::policy_name(),
        stats.finished,
        average(stats.response_ns),
        average(stats.turnaround_ns),
        average(stats.wait_ns),
        stats.switches
    )
}

fn diskstats() -> String {
    let mut text = String::new();
    let mut index = 0;
    while let Some(disk) = crate::drivers::block::disk(index) {
        let (reads, writes) = disk.counters();
        let _ = writeln!(
            text,
            "vd{} reads {reads} writes {writes} bytes {}",
            (b'a' + index as u8) as char,
            disk.size()
        );
        index += 1;
    }
    let cache = super::bcache::stats();
    let _ = writeln!(
        text,
        "cache hits {} misses {} writebacks {}",
        cache.hits, cache.misses, cache.writebacks
    );
    text
}

fn mounts() -> String {
    let mut text = String::new();
    for (path, fs) in super::mount_list() {
        let _ = writeln!(text, "{fs} {path} {fs} rw 0 0");
    }
    text
}

fn maps(process: &Arc<proc::Process>) -> String {
    regions(process, false)
}

/// `/proc/<pid>/smaps` (concepts P4, M7): each region's `maps` line, then its size, the
/// part in memory and the part out on swap, in kB (a subset of Linux's fields).
fn smaps(process: &Arc<proc::Process>) -> String {
    regions(process, true)
}

fn regions(process: &Arc<proc::Process>, sizes: bool) -> String {
    let mut text = String::new();
    let Some(memory) = process.memory() else {
        return text;
    };
    let space = memory.lock();
    for region in space.vmas() {
        let p = region.perm;
        let _ = writeln!(
            text,
            "{:08x}-{:08x} {}{}{}{} {:08x} 00:00 0 {}",
            region.start,
            region.end,
            if p.read { 'r' } else { '-' },
            if p.write { 'w' } else { '-' },
            if p.exec { 'x' } else { '-' },
            if region.shared { 's' } else { 'p' },
            region.file.as_ref().map_or(0, |f| f.offset),
            region.kind.label()
        );
        if sizes {
            let (resident, swapped) = space.pages_in(region.start, region.end);
            let _ = writeln!(
                text,
                "Size:           {:8} kB",
                (region.end - region.start) / 1024
            );
            let _ = writeln!(text, "Rss:            {:8} kB", resident * 4);
            let _ = writeln!(text, "Swap:           {:8} kB", swapped * 4);
        }
    }
    text
}

/// `/proc/<pid>/sched`: the scheduling view of a process (concept S3).
fn sched_file(process: &Arc<proc::Process>) -> String {
    let inner = process.inner();
    let acct = inner.acct;
    let params = inner.sched_params;
    let cpu = acct.cpu_ns_now(inner.state == State::Running);
    let end = acct.finish_ns.unwrap_or_else(time::monotonic_ns);
    let mut text = String::new();
    let _ = writeln!(text, "policy: {}", sched::policy_name());
    let _ = writeln!(text, "nice: {}", params.nice);
    let _ = writeln!(text, "tickets: {}", params.tickets);
    let _ = writeln!(text, "arrival_ns: {}", acct.arrival_ns);
    let _ = writeln!(
        text,
        "first_run_ns: {}",
        acct.first_run_ns.map_or(-1, |t| t as i64)
    );
    let _ = writeln!(
        text,
        "finish_ns: {}",
        acct.finish_ns.map_or(-1, |t| t as i64)
    );
    let _ = writeln!(
        text,
        "response_ns: {}",
        acct.first_run_ns
            .map_or(-1, |t| (t - acct.arrival_ns) as i64)
    );
    let _ = writeln!(
        text,
        "turnaround_ns: {}",
        acct.finish_ns.map_or(-1, |t| (t - acct.arrival_ns) as i64)
    );
    let _ = writeln!(text, "cpu_ns: {cpu}");
    let _ = writeln!(
        text,
        "wait_ns: {}",
        (end - acct.arrival_ns).saturating_sub(cpu)
    );
    let _ = writeln!(text, "voluntary_switches: {}", acct.voluntary_switches);
    let _ = writeln!(text, "involuntary_switches: {}", acct.involuntary_switches);
    drop(inner);
    let _ = writeln!(text, "policy_state: {}", sched::describe(process.pid));
    text
}

fn status(process: &Arc<proc::Process>) -> Result<String, Errno> {
    // What needs other locks first: the address space's is a sleep lock, and the leader's
    // `proc` lock is not to be nested in this thread's.
    let (resident, swapped, asid) = process.memory().map_or((0, 0, 0), |m| {
        let space = m.lock();
        (
            space.resident_pages(),
            space.swapped_pages(),
            space.tag().asid(),
        )
    });
    let suspended = crate::mm::thrash::is_suspended(process.tgid);
    let descriptors = process.files().lock().count();
    let threads = process.group.threads().len();
    let (parent, pgid, sid) = {
        let leader = process.leader();
        let inner = leader.inner();
        (inner.parent, inner.pgid, inner.sid)
    };
    let inner = process.inner();
    // P2's suspended states: not running with pages out on swap (or held off the harts
    // by thrashing control, which counts as ready). Linux's letters, P2's words.
    let swapped_out = swapped > 0 || suspended;
    let state = match inner.state {
        State::New => "N (new)",
        State::Ready if swapped_out => "R (ready-suspended)",
        State::Blocked if suspended => "R (ready-suspended)",
        State::Ready => "R (ready)",
        State::Running => "R (running)",
        State::Blocked if swapped_out => "S (blocked-suspended)",
        State::Blocked => "S (sleeping)",
        State::Stopped => "T (stopped)",
        State::Zombie => "Z (zombie)",
    };
    let creds = inner.creds;
    let acct = inner.acct;
    let cpu = acct.cpu_ns_now(inner.state == State::Running);
    let user = process.user_ns().min(cpu);
    let mut text = String::new();
    let _ = writeln!(text, "Name:\t{}", inner.name);
    let _ = writeln!(text, "State:\t{state}");
    let _ = writeln!(text, "Tgid:\t{}", process.tgid);
    let _ = writeln!(text, "Pid:\t{}", process.pid);
    let _ = writeln!(text, "PPid:\t{parent}");
    let _ = writeln!(text, "NSpgid:\t{pgid}");
    let _ = writeln!(text, "NSsid:\t{sid}");
    let _ = writeln!(
        text,
        "Uid:\t{}\t{}\t{}\t{}",
        creds.uid, creds.euid, creds.euid, creds.euid
    );
    let _ = writeln!(
        text,
        "Gid:\t{}\t{}\t{}\t{}",
        creds.gid, creds.egid, creds.egid, creds.egid
    );
    let _ = writeln!(text, "FDSize:\t{descriptors}");
    let _ = writeln!(text, "VmRSS:\t{} kB", resident * 4);
    let _ = writeln!(text, "VmSwap:\t{} kB", swapped * 4);
    let _ = writeln!(text, "Asid:\t{asid}");
    let _ = writeln!(text, "Threads:\t{threads}");
    let _ = writeln!(
        text,
        "Hart:\t{}",
        inner.hart.map_or("-".to_string(), |h| h.to_string())
    );
    let _ = writeln!(
        text,
        "Affinity:\t{:#x}",
        process.affinity.load(Ordering::Relaxed)
    );
    let _ = writeln!(text, "CpuTimeNs:\t{cpu}");
    let _ = writeln!(text, "UserTimeNs:\t{user}");
    let _ = writeln!(text, "SystemTimeNs:\t{}", cpu - user);
    let _ = writeln!(text, "ArrivalNs:\t{}", acct.arrival_ns);
    let _ = writeln!(
        text,
        "FirstRunNs:\t{}",
        acct.first_run_ns.map_or(-1, |t| t as i64)
    );
    let _ = writeln!(
        text,
        "FinishNs:\t{}",
        acct.finish_ns.map_or(-1, |t| t as i64)
    );
    let _ = writeln!(text, "SigPnd:\t{:016x}", process.pending_signals());
    let _ = writeln!(text, "SigBlk:\t{:016x}", process.blocked_signals());
    {
        let handlers = process.handlers.lock();
        let (mut ignored, mut caught) = (0u64, 0u64);
        for (index, action) in handlers.iter().enumerate() {
            match action.handler {
                abi::signal::SIG_DFL => {}
                abi::signal::SIG_IGN => ignored |= 1 << index,
                _ => caught |= 1 << index,
            }
        }
        let _ = writeln!(text, "SigIgn:\t{ignored:016x}");
        let _ = writeln!(text, "SigCgt:\t{caught:016x}");
    }
    if let (State::Blocked | State::Stopped, Some(at)) = (inner.state, inner.waiting_at) {
        let _ = writeln!(text, "Wchan:\t{}:{}", at.file(), at.line());
    }
    let _ = writeln!(
        text,
        "voluntary_ctxt_switches:\t{}",
        acct.voluntary_switches
    );
    let _ = writeln!(
        text,
        "nonvoluntary_ctxt_switches:\t{}",
        acct.involuntary_switches
    );
    Ok(text)
}

/// The switches under `/proc/sys/kernel` are root's: `EACCES` for anyone else.
fn require_root() -> Result<(), Errno> {
    let me = sched::current().ok_or(Errno::EPERM)?;
    if me.inner().creds.euid != 0 {
        return Err(Errno::EACCES);
    }
    Ok(())
}

impl Inode for ProcNode {
    fn metadata(&self) -> Result<Metadata, Errno> {
        let (kind, perm, nlink) = match self.0 {
            Node::Root
            | Node::PidDir(_)
            | Node::TaskDir(_)
            | Node::SysDir
            | Node::SysKernelDir
            | Node::SysvipcDir
            | Node::SysVmDir => (FileType::Directory, 0o555, 2),
            Node::SchedPolicy
            | Node::DeadlockDetect
            | Node::PageReplacement
            | Node::MaxAsid
            | Node::System(SystemFile::SchedTrace) => (FileType::Regular, 0o644, 1),
            Node::SelfLink => (FileType::Symlink, 0o777, 1),
            _ => (FileType::Regular, 0o444, 1),
        };
        let (uid, gid) = match self.0 {
            Node::PidDir(pid)
            | Node::PidStatus(pid)
            | Node::PidMaps(pid)
            | Node::PidSched(pid)
            | Node::PidSmaps(pid)
            | Node::TaskDir(pid) => {
                let creds = live(pid)?.inner().creds;
                (creds.uid, creds.gid)
            }
            _ => (0, 0),
        };
        let now = Timestamp::now();
        Ok(Metadata {
            dev: DEV,
            ino: self.ino(),
            kind,
            perm,
            nlink,
            uid,
            gid,
            rdev: 0,
            size: 0,
            blocks: 0,
            atime: now,
            mtime: now,
            ctime: now,
        })
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        if let Node::System(SystemFile::SchedTrace) = self.0 {
            // Hundreds of KiB of text: only the window read is kept.
            let mut window = Window::new(offset, buf);
            let _ = sched::write_trace(&mut window);
            return Ok(window.filled);
        }
        let text = self.content()?;
        let bytes = text.as_bytes();
        let start = (offset as usize).min(bytes.len());
        let count = buf.len().min(bytes.len() - start);
        buf[..count].copy_from_slice(&bytes[start..start + count]);
        Ok(count)
    }

    fn write_at(&self, _offset: u64, data: &[u8]) -> Result<usize, Errno> {
        match self.0 {
            Node::System(SystemFile::SchedTrace) => {
                sched::clear_trace();
                Ok(data.len())
            }
            Node::SchedPolicy => {
                require_root()?;
                let name = core::str::from_utf8(data)
                    .map_err(|_| Errno::EINVAL)?
                    .trim();
                sched::set_policy(name)?;
                Ok(data.len())
            }
            Node::DeadlockDetect => {
                require_root()?;
                match core::str::from_utf8(data).map(str::trim) {
                    Ok("0") => sem::set_detector(false),
                    Ok("1") => sem::set_detector(true),
                    _ => return Err(Errno::EINVAL),
                }
                Ok(data.len())
            }
            Node::PageReplacement => {
                let me = sched::current().ok_or(Errno::EPERM)?;
                if me.inner().creds.euid != 0 {
                    return Err(Errno::EACCES);
                }
                let name = core::str::from_utf8(data)
                    .map_err(|_| Errno::EINVAL)?
                    .trim();
                crate::mm::pager::set_policy(name)?;
                Ok(data.len())
            }
            Node::MaxAsid => {
                require_root()?;
                let limit = core::str::from_utf8(data)
                    .ok()
                    .and_then(|text| text.trim().parse::<u16>().ok())
                    .ok_or(Errno::EINVAL)?;
                crate::mm::asid::set_limit(limit)?;
                Ok(data.len())
            }
            _ => Err(Errno::EACCES),
        }
    }

    fn truncate(&self, _size: u64) -> Result<(), Errno> {
        match self.0 {
            Node::SchedPolicy
            | Node::DeadlockDetect
            | Node::PageReplacement
            | Node::MaxAsid
            | Node::System(SystemFile::SchedTrace) => Ok(()),
            _ => Err(Errno::EACCES),
        }
    }

    fn lookup(&self, name: &str) -> Result<Arc<dyn Inode>, Errno> {
        match (&self.0, name) {
            (Node::Root, "." | "..") => Ok(node(Node::Root)),
            (Node::Root, "self") => Ok(node(Node::SelfLink)),
            (Node::Root, "sys") => Ok(node(Node::SysDir)),
            (Node::SysDir, "." | "..") => Ok(node(if name == "." {
                Node::SysDir
            } else {
                Node::Root
            })),
            (Node::SysDir, "kernel") => Ok(node(Node::SysKernelDir)),
            (Node::SysKernelDir, "." | "..") => Ok(node(if name == "." {
                Node::SysKernelDir
            } else {
                Node::SysDir
            })),
            (Node::SysKernelDir, "sched_policy") => Ok(node(Node::SchedPolicy)),
            (Node::SysKernelDir, "deadlock_detect") => Ok(node(Node::DeadlockDetect)),
            (Node::Root, "sysvipc") => Ok(node(Node::SysvipcDir)),
            (Node::SysvipcDir, ".") => Ok(node(Node::SysvipcDir)),
            (Node::SysvipcDir, "..") => Ok(node(Node::Root)),
            (Node::SysvipcDir, "msg") => Ok(node(Node::SysvipcMsg)),
            (Node::SysvipcDir, "sem") => Ok(node(Node::SysvipcSem)),
            (Node::SysvipcDir, "shm") => Ok(node(Node::SysvipcShm)),
            (Node::SysDir, "vm") => Ok(node(Node::SysVmDir)),
            (Node::SysVmDir, "." | "..") => Ok(node(if name == "." {
                Node::SysVmDir
            } else {
                Node::SysDir
            })),
            (Node::SysVmDir, "page_replacement") => Ok(node(Node::PageReplacement)),
            (Node::SysVmDir, "max_asid") => Ok(node(Node::MaxAsid)),
            (Node::SysDir | Node::SysKernelDir | Node::SysVmDir | Node::SysvipcDir, _) => {
                Err(Errno::ENOENT)
            }
            (Node::Root, _) => {
                if let Some((_, file)) = SYSTEM_FILES.iter().find(|(n, _)| *n == name) {
                    return Ok(node(Node::System(*file)));
                }
                let pid: Pid = name.parse().map_err(|_| Errno::ENOENT)?;
                live(pid)?;
                Ok(node(Node::PidDir(pid)))
            }
            (Node::PidDir(pid), ".") => Ok(node(Node::PidDir(*pid))),
            (Node::PidDir(_), "..") => Ok(node(Node::Root)),
            (Node::PidDir(pid), "status") => {
                live(*pid)?;
                Ok(node(Node::PidStatus(*pid)))
            }
            (Node::PidDir(pid), "maps") => {
                live(*pid)?;
                Ok(node(Node::PidMaps(*pid)))
            }
            (Node::PidDir(pid), "sched") => {
                live(*pid)?;
                Ok(node(Node::PidSched(*pid)))
            }
            (Node::PidDir(pid), "smaps") => {
                live(*pid)?;
                Ok(node(Node::PidSmaps(*pid)))
            }
            (Node::PidDir(pid), "task") => {
                live(*pid)?;
                Ok(node(Node::TaskDir(*pid)))
            }
            (Node::PidDir(_), _) => Err(Errno::ENOENT),
            (Node::TaskDir(pid), ".") => Ok(node(Node::TaskDir(*pid))),
            (Node::TaskDir(pid), "..") => Ok(node(Node::PidDir(*pid))),
            (Node::TaskDir(pid), _) => {
                let tid: Pid = name.parse().map_err(|_| Errno::ENOENT)?;
                if live(tid)?.tgid != live(*pid)?.tgid {
                    return Err(Errno::ENOENT);
                }
                Ok(node(Node::PidDir(tid)))
            }
            _ => Err(Errno::ENOTDIR),
        }
    }

    fn read_dir(&self, cookie: u64) -> Result<Vec<DirEntry>, Errno> {
        let mut names: Vec<(u64, FileType, String)> = alloc::vec![
            (self.ino(), FileType::Directory, ".".into()),
            (ROOT_INO, FileType::Directory, "..".into())
        ];
        match self.0 {
            Node::SysDir => {
                names.push((11, FileType::Directory, "kernel".into()));
                names.push((18, FileType::Directory, "vm".into()));
            }
            Node::SysKernelDir => {
                names.push((12, FileType::Regular, "sched_policy".into()));
                names.push((13, FileType::Regular, "deadlock_detect".into()));
            }
            Node::SysVmDir => {
                names.push((19, FileType::Regular, "page_replacement".into()));
                names.push((20, FileType::Regular, "max_asid".into()));
            }
            Node::SysvipcDir => {
                names.push((15, FileType::Regular, "msg".into()));
                names.push((16, FileType::Regular, "sem".into()));
                names.push((17, FileType::Regular, "shm".into()));
            }
            Node::Root => {
                names.push((2, FileType::Symlink, "self".into()));
                names.push((10, FileType::Directory, "sys".into()));
                names.push((14, FileType::Directory, "sysvipc".into()));
                for (index, (name, _)) in SYSTEM_FILES.iter().enumerate() {
                    names.push((3 + index as u64, FileType::Regular, (*name).into()));
                }
                // One entry per process (thread group); threads are under `task`.
                for process in proc::all().into_iter().filter(|p| p.is_leader()) {
                    names.push((
                        (process.pid as u64) << 8,
                        FileType::Directory,
                        process.pid.to_string(),
                    ));
                }
            }
            Node::PidDir(pid) => {
                for (index, name) in PID_FILES.iter().enumerate() {
                    names.push((
                        ((pid as u64) << 8) | (index as u64 + 1),
                        FileType::Regular,
                        (*name).into(),
                    ));
                }
                names.push((((pid as u64) << 8) | 4, FileType::Directory, "task".into()));
                names.push((((pid as u64) << 8) | 5, FileType::Regular, "smaps".into()));
            }
            Node::TaskDir(pid) => {
                for tid in live(pid)?.group.threads() {
                    names.push(((tid as u64) << 8, FileType::Directory, tid.to_string()));
                }
            }
            _ => return Err(Errno::ENOTDIR),
        }
        Ok(names
            .into_iter()
            .enumerate()
            .skip(cookie as usize)
            .map(|(index, (ino, kind, name))| DirEntry {
                ino,
                kind,
                name,
                next: index as u64 + 1,
            })
            .collect())
    }

    fn read_link(&self) -> Result<String, Errno> {
        match self.0 {
            Node::SelfLink => Ok(sched::current().ok_or(Errno::ENOENT)?.tgid.to_string()),
            _ => Err(Errno::EINVAL),
        }
    }

    fn as_any(&self) -> &dyn core::any::Any {
        self
    }
}
