//! `init`: the first process (pid 1), booted by the kernel as `/bin/init` (P3, P5, U3).
//!
//! - Normal boot (`argv = ["/bin/init"]`): prints a one-line welcome and keeps a shell on
//!   the console for ever. The kernel has already mounted devfs on `/dev` and procfs on
//!   `/proc` and opened the console as descriptors 0, 1 and 2, so init has nothing to set
//!   up. For each shell it forks a child that starts a new session (`setsid`), makes the
//!   console its controlling terminal (`TIOCSCTTY` on descriptor 0, so that Ctrl-C and
//!   Ctrl-Z reach the shell's foreground job) and execs `/bin/sh -i` with
//!   `envp = ["PATH=/bin", "HOME=/"]`. While the shell runs, init reaps every child that
//!   ends: orphans are re-parented to pid 1, and `wait4` here is what frees their zombies.
//!   When the shell exits (`exit`, Ctrl-D), init says so and starts a new one, pausing a
//!   second first if the last one lived less than a second (a shell that cannot start must
//!   not make init spin).
//! - Test boot (`argv = ["/bin/init", "--test"]`, from `cargo xtask test`): greets, shows its
//!   arguments, environment and the monotonic clock, then runs the test manifest compiled
//!   in from `user/tests.txt`. For each test it forks; the child execs `/bin/<program>`
//!   with `argv = ["/bin/<program>"]` and `envp = ["PATH=/bin", "HOME=/"]` (or prints why
//!   it could not and exits 127). A second child is the test's watchdog: it sleeps
//!   [`TIME_LIMIT_SECS`] (or the `limit=<seconds>` the manifest line gives, for the few
//!   long tests) and then kills the test and its descendants with SIGKILL. init waits
//!   until the test's pid comes back (reaping orphans of earlier tests along the way),
//!   compares how it ended with the expectation, and prints `test <program> ... ok` or
//!   `test <program> ... FAILED (<why>)`. Finally it prints `<N> passed, <M> failed` and
//!   exits with status M (at most 255), on which the kernel powers off.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use ulib::abi::Errno;
use ulib::abi::signal::{SIGKILL, signal_from_name, signal_name};
use ulib::abi::time::CLOCK_MONOTONIC;
use ulib::abi::wait::{self, WaitStatus};
use ulib::{Fork, Pid, env, eprintln, println, tty};

ulib::entry!(main);

/// The test manifest: one `<program> exit=N` or `<program> signal=NAME` per line, `#`
/// comments.
const MANIFEST: &str = include_str!("../../../tests.txt");

/// Seconds a test may run before its watchdog kills it.
const TIME_LIMIT_SECS: u64 = 60;

/// Exit status of a child that could not exec its program (as shells use).
const EXEC_FAILED: i32 = 127;

/// The shell init keeps on the console.
const SHELL: &str = "/bin/sh";
/// `-i`: the console is a terminal; prompt even if the terminal calls are not available.
const SHELL_ARGV: [&str; 2] = [SHELL, "-i"];

/// The environment every test and every shell starts with.
const BOOT_ENV: [&str; 2] = ["PATH=/bin", "HOME=/"];

fn main() -> i32 {
    if env::args().nth(1) == Some("--test") {
        greet();
        run_tests()
    } else {
        keep_a_shell()
    }
}

fn greet() {
    match ulib::getpid() {
        Ok(pid) => println!("Lantern: hello from user space (pid {pid})"),
        Err(error) => eprintln!("init: getpid failed: {error}"),
    }
    for (index, arg) in env::args().enumerate() {
        println!("init: argv[{index}] = {arg:?}");
    }
    for (name, value) in env::vars() {
        println!("init: env {name}={value}");
    }
    match ulib::clock_gettime(CLOCK_MONOTONIC) {
        Ok(now) => println!("init: monotonic clock {}.{:09} s", now.tv_sec, now.tv_nsec),
        Err(error) => eprintln!("init: clock_gettime(CLOCK_MONOTONIC) failed: {error}"),
    }
}

/// Runs a shell on the console, and a new one whenever it exits, reaping every other child
/// meanwhile.
fn keep_a_shell() -> ! {
    println!("Welcome to Lantern! A shell runs on the console; `exit` starts a fresh one.");
    loop {
        let started = now_secs();
        match start_shell() {
            Ok(shell) => {
                let status = wait_for_shell(shell);
                println!("init: {SHELL} {}; starting a new one", describe_end(status));
            }
            Err(error) => eprintln!("init: cannot fork a shell: {error}"),
        }
        if now_secs().saturating_sub(started) < 1 {
            let _ = ulib::sleep(1);
        }
    }
}

/// Seconds on the monotonic clock (0 if it cannot be read).
fn now_secs() -> u64 {
    ulib::clock_gettime(CLOCK_MONOTONIC).map_or(0, |now| now.tv_sec as u64)
}

/// Forks the shell's process: a new session with the console as its controlling terminal,
/// running [`SHELL`].
fn start_shell() -> Result<Pid, Errno> {
    match ulib::fork()? {
        Fork::Child => {
            if let Err(error) = tty::setsid() {
                eprintln!("init: setsid failed: {error}");
            }
            if let Err(error) = tty::set_controlling(0) {
                eprintln!("init: the console cannot become the controlling terminal: {error}");
            }
            let error = ulib::execve(SHELL, &SHELL_ARGV, &BOOT_ENV);
            eprintln!("init: cannot execute {SHELL}: {error}");
            ulib::exit(EXEC_FAILED)
        }
        Fork::Parent(pid) => Ok(pid),
    }
}

/// Reaps children until `shell` ends and returns its wait status. The others are orphans
/// init adopted: reaping them is all they need.
fn wait_for_shell(shell: Pid) -> i32 {
    loop {
        match ulib::wait4(-1, 0) {
            Ok((pid, status)) if pid == shell => return status,
            Ok(_) | Err(Errno::EINTR) => {}
            Err(error) => {
                eprintln!("init: wait4 failed: {error}");
                let _ = ulib::sleep(1);
            }
        }
    }
}

/// How a process ended, for a message: `exited with status 0`, `was killed by SIGKILL`.
fn describe_end(status: i32) -> String {
    match Outcome::from_status(status) {
        Some(Outcome::Exit(code)) => format!("exited with status {code}"),
        Some(Outcome::Signal(sig)) => match signal_name(sig) {
            Some(name) => format!("was killed by {name}"),
            None => format!("was killed by signal {sig}"),
        },
        None => format!("ended with wait status {status:#x}"),
    }
}

/// How a test is expected to end, or how it ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    /// Exited with this status.
    Exit(u8),
    /// Killed by this signal.
    Signal(u32),
}

impl Outcome {
    /// Parses `exit=N` or `signal=NAME`.
    fn parse(text: &str) -> Option<Outcome> {
        if let Some(code) = text.strip_prefix("exit=") {
            return code.parse().ok().map(Outcome::Exit);
        }
        text.strip_prefix("signal=")
            .and_then(signal_from_name)
            .map(Outcome::Signal)
    }

    /// How a wait status says the child ended; `None` for a stop or continue report.
    fn from_status(status: i32) -> Option<Outcome> {
        match WaitStatus::decode(status)? {
            WaitStatus::Exited(code) => Some(Outcome::Exit(code)),
            WaitStatus::Signaled { sig, .. } => Some(Outcome::Signal(sig)),
            WaitStatus::Stopped(_) | WaitStatus::Continued => None,
        }
    }
}

impl fmt::Display for Outcome {
    /// The manifest's notation: `exit=N` or `signal=NAME`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Outcome::Exit(code) => write!(f, "exit={code}"),
            Outcome::Signal(sig) => match signal_name(sig) {
                Some(name) => write!(f, "signal={name}"),
                None => write!(f, "signal={sig}"),
            },
        }
    }
}

/// Runs every test of the manifest and returns the number that failed (at most 255).
fn run_tests() -> i32 {
    let tests = MANIFEST
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'));
    println!("init: running {} tests", tests.clone().count());
    let (mut passed, mut failed) = (0u32, 0u32);
    for line in tests {
        let mut words = line.split_whitespace();
        let name = words.next().unwrap_or(line);
        let expected = words.next().and_then(Outcome::parse);
        let limit = match words.next() {
            None => Some(TIME_LIMIT_SECS),
            Some(word) => word
                .strip_prefix("limit=")
                .and_then(|secs| secs.parse().ok()),
        };
        let result = match (expected, limit) {
            (Some(expected), Some(limit)) if words.next().is_none() => {
                run_test(name, expected, limit)
            }
            _ => Err(format!("bad manifest line '{line}'")),
        };
        match result {
            Ok(()) => {
                passed += 1;
                println!("test {name} ... ok");
            }
            Err(why) => {
                failed += 1;
                println!("test {name} ... FAILED ({why})");
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    failed.min(255) as i32
}

/// Runs `/bin/<name>` and checks that it ends as `expected` within `limit` seconds.
fn run_test(name: &str, expected: Outcome, limit: u64) -> Result<(), String> {
    let path = format!("/bin/{name}");
    let test = match ulib::fork() {
        Ok(Fork::Child) => {
            let error = ulib::execve(&path, &[&path], &BOOT_ENV);
            eprintln!("init: cannot execute {path}: {error}");
            ulib::exit(EXEC_FAILED)
        }
        Ok(Fork::Parent(pid)) => pid,
        Err(error) => return Err(format!("fork failed: {error}")),
    };
    let watchdog = match ulib::fork() {
        Ok(Fork::Child) => watch(test, limit),
        Ok(Fork::Parent(pid)) => Some(pid),
        Err(error) => {
            eprintln!("init: no watchdog for {name} (fork failed: {error})");
            None
        }
    };
    let (status, timed_out) = wait_for(test, watchdog)?;
    if timed_out {
        return Err(format!("timed out after {limit} s"));
    }
    match Outcome::from_status(status) {
        Some(outcome) if outcome == expected => Ok(()),
        Some(outcome) => Err(format!("expected {expected}, got {outcome}")),
        None => Err(format!("expected {expected}, got wait status {status:#x}")),
    }
}

/// The watchdog: after `limit` seconds, kills `test` and exits 0 ("it timed out"); exits 1
/// if the test was already gone. The test's descendants are killed too, so that what a
/// stuck test started (workers still swapping, say) does not weigh on the next tests.
fn watch(test: Pid, limit: u64) -> ! {
    let _ = ulib::sleep(limit);
    report_stuck(test);
    // Twice: a descendant may have forked between the look and the kill.
    for _ in 0..2 {
        for pid in descendants(test) {
            let _ = ulib::kill(pid, SIGKILL);
        }
    }
    match ulib::kill(test, SIGKILL) {
        Ok(()) => ulib::exit(0),
        Err(_) => ulib::exit(1),
    }
}

/// The processes below `root` in the process tree, from the `PPid` lines of `/proc`.
fn descendants(root: Pid) -> Vec<Pid> {
    let parents: Vec<(Pid, Pid)> = ulib::procfs::pids()
        .unwrap_or_default()
        .into_iter()
        .filter_map(|pid| {
            let status = ulib::procfs::Fields::read(&format!("/proc/{pid}/status")).ok()?;
            Some((pid, status.number("PPid").ok()?))
        })
        .collect();
    let mut found = Vec::new();
    let mut frontier = alloc::vec![root];
    while let Some(parent) = frontier.pop() {
        for &(pid, _) in parents.iter().filter(|(_, ppid)| *ppid == parent) {
            if !found.contains(&pid) {
                found.push(pid);
                frontier.push(pid);
            }
        }
    }
    found
}

/// Before a stuck test is killed: what each of its threads is doing (state, and where in
/// the kernel it sleeps), from `/proc/<pid>/task/<tid>/status`, so a hang can be told
/// from slowness and traced.
fn report_stuck(test: Pid) {
    let Ok(tids) = ulib::procfs::tids(test) else {
        return;
    };
    for tid in tids {
        let Ok(status) = ulib::procfs::Fields::read(&format!("/proc/{test}/task/{tid}/status"))
        else {
            continue;
        };
        println!(
            "init: test pid {test} thread {tid}: {} (waiting at {})",
            status.get("State").unwrap_or("?"),
            status.get("Wchan").unwrap_or("-")
        );
    }
}

/// Reaps children until `test` is among them and returns its wait status and whether the
/// watchdog killed it; then ends and reaps the watchdog. Other children are orphans of
/// earlier tests that init adopted: reaping them is all they need.
fn wait_for(test: Pid, mut watchdog: Option<Pid>) -> Result<(i32, bool), String> {
    let mut watchdog_status = None;
    let status = loop {
        match ulib::wait4(-1, 0) {
            Ok((pid, status)) if pid == test => break status,
            Ok((pid, status)) if Some(pid) == watchdog => {
                watchdog = None;
                watchdog_status = Some(status);
            }
            Ok(_) | Err(Errno::EINTR) => {}
            Err(error) => return Err(format!("wait4 failed: {error}")),
        }
    };
    if let Some(pid) = watchdog {
        // The watchdog only sleeps, so SIGKILL ends it at once, unless it has just fired.
        let _ = ulib::kill(pid, SIGKILL);
        watchdog_status = ulib::waitpid(pid).ok();
    }
    Ok((status, watchdog_status == Some(wait::exited(0))))
}
