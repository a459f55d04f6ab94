//! Test `t_procfs` (expects `exit=0`): the process and system information in `/proc`, in
//! the formats Linux tools parse.
//!
//! - `/proc/<pid>/status` of the caller has `Name:\tt_procfs`, `State:` `R` (running),
//!   `Pid:`, `PPid:` and `Uid:` (four ids, the first the real uid) with the right values, as
//!   `Key:\tvalue` lines. `/proc/self/status` must say the same; on Lantern it may instead be
//!   `ENOENT` (while `/proc/self` is not yet there).
//! - A child blocked in `read` shows `State:` `S` and its `PPid:` is the caller; once it has
//!   exited it shows `Z` until reaped; after `wait4` its `/proc/<pid>` is gone (`ENOENT`).
//!   `/proc` lists the caller's and the child's pid as directories.
//! - `/proc/meminfo` has `MemTotal:` and `MemFree:` lines in kB, free <= total.
//! - `/proc/uptime` is two numbers with two decimals (`"12.34 56.78\n"`); the first grows by
//!   about the time slept between two reads.
//! - `/proc/cpuinfo` has one `processor` entry (or, failing that, `hart`) per hart the
//!   caller may run on (`sched_getaffinity`).
//! - `/proc/mounts` has lines of six fields and lists `/`, `/dev` and `/proc`.
//! - Writing is refused: opening `meminfo` or a `status` file for writing is `EACCES`,
//!   `EPERM` or `EROFS`, or, where the open succeeds (root on Linux), the write fails with
//!   `EINVAL`, `EIO`, `EACCES`, `EPERM` or `EBADF`; creating a file or directory in `/proc`
//!   is `EACCES`, `EPERM`, `EROFS` or `ENOENT` (Linux's answer).
//!
//! (Under qemu-user these files are the host's; that is fine for checking formats.)

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use ulib::abi::Errno;
use ulib::abi::fs::{DT_DIR, O_CREAT, O_RDONLY, O_WRONLY};
use ulib::abi::wait;
use ulib::fs::{self, BufReader};
use ulib::{Pid, check, check_eq, check_ok};

ulib::entry!(main);

/// How long to wait for the child to become a zombie.
const PATIENCE_MS: u64 = 5000;

/// Errors that refuse opening a file for writing or creating one.
const REFUSALS: [Errno; 3] = [Errno::EACCES, Errno::EPERM, Errno::EROFS];

/// Errors that refuse a write to a file that could be opened for writing.
const WRITE_REFUSALS: [Errno; 5] = [
    Errno::EINVAL,
    Errno::EIO,
    Errno::EACCES,
    Errno::EPERM,
    Errno::EBADF,
];

fn main() -> i32 {
    let pid = check_ok!(ulib::getpid(), "getpid");
    check_own_status(pid);
    check_child(pid);
    check_meminfo();
    check_uptime();
    check_cpuinfo();
    check_mounts();
    check_refusals(pid);
    ulib::println!("t_procfs: ok");
    0
}

/// The `Key:\tvalue` lines of the file at `path`, read with [`BufReader`], as (key, value)
/// with the value trimmed.
fn fields(path: &str) -> Result<Vec<(String, String)>, Errno> {
    let fd = fs::open(path, O_RDONLY, 0)?;
    let mut reader = BufReader::new(fd);
    let lines: Result<Vec<String>, Errno> = reader.lines().collect();
    fs::close(fd)?;
    Ok(lines?
        .iter()
        .filter_map(|line| line.split_once(':'))
        .map(|(key, value)| (String::from(key.trim()), String::from(value.trim())))
        .collect())
}

/// The value of `key` in `fields`.
fn field<'a>(fields: &'a [(String, String)], key: &str, path: &str) -> &'a str {
    match fields.iter().find(|(k, _)| k == key) {
        Some((_, value)) => value,
        None => ulib::fail!("{path} has no {key}: line"),
    }
}

/// Checks the status file at `path` of process `pid`; returns its `State:` letter.
fn check_status(path: &str, pid: Pid, ppid: Pid) -> char {
    let status = check_ok!(fields(path), "read {path}");
    check_eq!(field(&status, "Name", path), "t_procfs", "Name: in {path}");
    check_eq!(
        field(&status, "Pid", path),
        format!("{pid}"),
        "Pid: in {path}"
    );
    check_eq!(
        field(&status, "PPid", path),
        format!("{ppid}"),
        "PPid: in {path}"
    );
    let uid = check_ok!(ulib::process::getuid(), "getuid");
    let uids: Vec<&str> = field(&status, "Uid", path).split_whitespace().collect();
    check_eq!(
        uids.len(),
        4,
        "Uid: in {path} has real, effective, saved and fs uid"
    );
    check_eq!(uids[0], format!("{uid}"), "the real uid in {path}");
    let state = field(&status, "State", path);
    let letter = state.chars().next().unwrap_or('?');
    check!(
        "RSDZTtXI".contains(letter) && state.len() > 2 && state.ends_with(')'),
        "State: in {path} looks like \"R (running)\": {state:?}"
    );
    letter
}

fn check_own_status(pid: Pid) {
    let ppid = check_ok!(ulib::getppid(), "getppid");
    let path = format!("/proc/{pid}/status");
    check_eq!(
        check_status(&path, pid, ppid),
        'R',
        "the caller's own State:"
    );
    match fs::stat("/proc/self/status") {
        Ok(_) => {
            check_eq!(
                check_status("/proc/self/status", pid, ppid),
                'R',
                "State: in /proc/self/status"
            );
        }
        Err(Errno::ENOENT) if ulib::on_lantern() => {
            ulib::println!("t_procfs: no /proc/self yet");
        }
        Err(error) => ulib::fail!("stat /proc/self/status: {error}"),
    }
}

/// The `State:` letter of process `pid`.
fn state_of(pid: Pid) -> char {
    let path = format!("/proc/{pid}/status");
    let me = check_ok!(ulib::getpid(), "getpid");
    check_status(&path, pid, me)
}

fn check_child(pid: Pid) {
    let (r, w) = check_ok!(fs::pipe(), "pipe");
    let child = check_ok!(
        ulib::spawn(|| {
            let _ = fs::close(w);
            let mut byte = [0u8];
            match fs::read(r, &mut byte) {
                Ok(0) => 0,
                _ => 1,
            }
        }),
        "fork"
    );
    check_ok!(fs::close(r), "close");
    let mut state = state_of(child);
    for _ in 0..PATIENCE_MS / 10 {
        if state == 'S' {
            break;
        }
        let _ = ulib::sleep_ms(10);
        state = state_of(child);
    }
    check_eq!(state, 'S', "State: of a child blocked in read");
    let listing = check_ok!(fs::read_dir("/proc"), "list /proc");
    for listed in [pid, child] {
        let name = format!("{listed}");
        check!(
            listing
                .iter()
                .any(|entry| entry.name == name && entry.kind == DT_DIR),
            "/proc lists {listed} as a directory"
        );
    }
    check_ok!(fs::close(w), "close the child's pipe");
    for _ in 0..PATIENCE_MS / 10 {
        if state == 'Z' {
            break;
        }
        let _ = ulib::sleep_ms(10);
        state = state_of(child);
    }
    check_eq!(
        state,
        'Z',
        "State: of a child that exited but was not reaped"
    );
    check_eq!(
        ulib::waitpid(child),
        Ok(wait::exited(0)),
        "the child exited 0"
    );
    let dir = format!("/proc/{child}");
    check_eq!(
        fs::stat(&dir).map(|stat| stat.st_ino),
        Err(Errno::ENOENT),
        "{dir} after the child was reaped"
    );
    check_eq!(
        fs::open(&format!("{dir}/status"), O_RDONLY, 0),
        Err(Errno::ENOENT),
        "{dir}/status after the child was reaped"
    );
}

/// Parses `"<number> kB"`.
fn kilobytes(value: &str, what: &str) -> u64 {
    match value.strip_suffix(" kB").map(|n| n.trim().parse::<u64>()) {
        Some(Ok(number)) => number,
        _ => ulib::fail!("{what} is not \"<number> kB\": {value:?}"),
    }
}

fn check_meminfo() {
    let path = "/proc/meminfo";
    let info = check_ok!(fields(path), "read {path}");
    let total = kilobytes(field(&info, "MemTotal", path), "MemTotal");
    let free = kilobytes(field(&info, "MemFree", path), "MemFree");
    check!(
        total > 0 && free <= total,
        "MemTotal {total} kB, MemFree {free} kB"
    );
}

/// The two numbers of `/proc/uptime` in hundredths of a second, checking the format.
fn uptime() -> (u64, u64) {
    let text = check_ok!(fs::read_to_string("/proc/uptime"), "read /proc/uptime");
    let numbers: Vec<u64> = text
        .trim_end_matches('\n')
        .split(' ')
        .map(|number| {
            let parsed = number
                .split_once('.')
                .filter(|(_, hundredths)| hundredths.len() == 2)
                .and_then(|(whole, hundredths)| {
                    Some(whole.parse::<u64>().ok()? * 100 + hundredths.parse::<u64>().ok()?)
                });
            match parsed {
                Some(value) => value,
                None => ulib::fail!("/proc/uptime: {number:?} is not like 12.34 in {text:?}"),
            }
        })
        .collect();
    check!(
        numbers.len() == 2 && text.ends_with('\n'),
        "/proc/uptime is two numbers and a newline: {text:?}"
    );
    (numbers[0], numbers[1])
}

fn check_uptime() {
    let (first, _) = uptime();
    check!(first > 0, "uptime {first} is positive");
    check_ok!(ulib::sleep_ms(300), "sleep");
    let (second, _) = uptime();
    check!(
        second >= first + 25 && second <= first + 1000,
        "uptime grew by about 0.3 s over a 300 ms sleep: {first} -> {second} (hundredths)"
    );
}

fn check_cpuinfo() {
    let path = "/proc/cpuinfo";
    let info = check_ok!(fields(path), "read {path}");
    let count = |key: &str| info.iter().filter(|(k, _)| k == key).count();
    let entries = match count("processor") {
        0 => count("hart"),
        processors => processors,
    };
    let mask = check_ok!(ulib::sched::sched_getaffinity(0), "sched_getaffinity");
    check_eq!(
        entries,
        mask.count_ones() as usize,
        "processor entries in {path} and harts in the affinity mask {mask:#x}"
    );
}

fn check_mounts() {
    let text = check_ok!(fs::read_to_string("/proc/mounts"), "read /proc/mounts");
    let mut points = Vec::new();
    for line in text.lines() {
        let words: Vec<&str> = line.split(' ').collect();
        check_eq!(words.len(), 6, "fields of the /proc/mounts line {line:?}");
        points.push(words[1]);
    }
    for point in ["/", "/dev", "/proc"] {
        check!(
            points.contains(&point),
            "/proc/mounts lists {point}: {points:?}"
        );
    }
}

fn check_write_refused(path: &str) {
    match fs::open(path, O_WRONLY, 0) {
        Err(error) if REFUSALS.contains(&error) => {}
        Err(error) => ulib::fail!("open {path} for writing: unexpected {error}"),
        Ok(fd) => {
            let result = fs::write(fd, b"0\n");
            check_ok!(fs::close(fd), "close");
            match result {
                Err(error) if WRITE_REFUSALS.contains(&error) => {}
                other => ulib::fail!("write to {path}: want a refusal, got {other:?}"),
            }
        }
    }
}

fn check_refusals(pid: Pid) {
    check_write_refused("/proc/meminfo");
    check_write_refused(&format!("/proc/{pid}/status"));
    // Linux answers ENOENT to both: a new name in /proc is looked up, never created.
    let refused = |error: Errno| REFUSALS.contains(&error) || error == Errno::ENOENT;
    match fs::open("/proc/t_procfs_file", O_WRONLY | O_CREAT, 0o644) {
        Err(error) if refused(error) => {}
        other => ulib::fail!("create a file in /proc: want a refusal, got {other:?}"),
    }
    match fs::mkdir("/proc/t_procfs_dir", 0o755) {
        Err(error) if refused(error) => {}
        other => ulib::fail!("mkdir in /proc: want a refusal, got {other:?}"),
    }
}
