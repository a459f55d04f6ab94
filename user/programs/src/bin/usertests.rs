//! `usertests` (expects `exit=0`): a quick pass over the whole user-visible kernel, in the
//! spirit of xv6's `usertests`: a list of named subtests, each run in a child process of its
//! own (and a process group of its own), so that one failure, crash or hang ends only that
//! subtest.
//!
//! Usage: `usertests` runs every subtest, `usertests <name>...` only those, `usertests -l`
//! lists them. Each prints `usertests: <name> ... ok` or `usertests: <name> ... FAILED:
//! <reason>`; the last line is `usertests: N passed, M failed`, and the exit status is 0 only
//! if every subtest passed (2 for an unknown name).
//!
//! How a subtest runs: the runner creates a working directory for it in its own scratch
//! directory, a pipe for failure reasons, and forks. The child runs the subtest, a function
//! returning `Result<(), String>`; an `Err` is written to the pipe and the child exits 1.
//! Processes a subtest forks report the same way ([`finish`]). The runner polls `wait4`
//! with `WNOHANG`; a subtest still running after [`TIME_LIMIT_MS`] is killed with SIGKILL
//! and fails. Afterwards the runner kills whatever the subtest left in its process group and
//! removes its working directory.
//!
//! The subtests ([`TESTS`] has them in order, with what each asserts):
//! `badargs`, `badptr`, `execbad`, `execargs`, `forkwait`, `forkfull`, `reparent`, `kill`,
//! `preempt`, `pipe`, `sbrk`, `sbrkfork`, `bigfile`, `manyfiles`, `concreate`,
//! `linkunlink`, `dirs`, `stackguard`, `kernmem`, `cloexec`.
//!
//! Hidden helper mode: `usertests --helper <what> ...` is what `execargs` and `cloexec` run
//! in the new image: the program executes itself again by `argv[0]` (init and the shell
//! pass the path they executed).
//!
//! Where Lantern and the Linux reference differ, the checks are guarded with
//! [`ulib::on_lantern`] and the reason is given beside them:
//! - `execargs`: the limit for all arguments together is 64 KiB on Lantern, a quarter of the
//!   stack limit (at most 6 MiB) on Linux.
//! - `forkfull`: Lantern's process table (256) is filled until `fork` fails with `EAGAIN`;
//!   Linux's limits are in the tens of thousands, so off Lantern the test stops at
//!   [`HOST_FORK_CAP`] children.
//! - `reparent`: on Lantern the orphan's new parent is init (pid 1), which reaps it; on Linux
//!   it may be a subreaper of the host's, so only "someone else adopted it" is checked.
//! - `badptr`: qemu-user leaks the two descriptors of a `pipe2` whose result pointer is bad
//!   (Linux and Lantern close them), so the "no descriptor leaked" check is Lantern's only.
//! - `execargs`, `cloexec`: qemu-user without binfmt_misc cannot execute a riscv64 program
//!   from a riscv64 program (the host kernel answers `ENOEXEC`); there the parts that need
//!   the new image are skipped, with a note.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::hint::black_box;
use core::sync::atomic::{AtomicI32, AtomicU32, Ordering};

use ulib::abi::Errno;
use ulib::abi::fs::{
    AT_FDCWD, F_GETFD, F_SETFD, FD_CLOEXEC, O_CLOEXEC, O_CREAT, O_EXCL, O_NONBLOCK, O_RDONLY,
    O_RDWR, O_TRUNC, O_WRONLY, S_IFMT, S_IFREG, SEEK_CUR, SEEK_SET, Stat,
};
use ulib::abi::mm::PAGE_SIZE;
use ulib::abi::nr;
use ulib::abi::signal::{SIGKILL, SIGSEGV, SIGTERM, signal_name};
use ulib::abi::time::CLOCK_MONOTONIC;
use ulib::abi::wait::{self, WNOHANG, WaitStatus};
use ulib::fs;
use ulib::hazard::{self, BAD_POINTERS, KERNEL_ADDR, UNMAPPED_ADDR};
use ulib::heap::{extend_break, release_break};
use ulib::syscall::decode;
use ulib::{Fork, Pid, env, raw, tty};

ulib::entry!(main);

/// What a subtest (or a process it forked) found: `Err` holds the reason it failed.
type Outcome = Result<(), String>;

/// `ensure!(condition, "what {}", args..)`: fails the subtest unless `condition` holds.
macro_rules! ensure {
    ($condition:expr, $($what:tt)+) => {
        if !$condition {
            return Err(format!($($what)+));
        }
    };
}

/// `ensure_eq!(got, expected, "what {}", args..)`: fails the subtest unless they are equal.
macro_rules! ensure_eq {
    ($got:expr, $expected:expr, $($what:tt)+) => {
        match (&$got, &$expected) {
            (got, expected) => {
                if *got != *expected {
                    return Err(format!(
                        "{}: got {got:?}, expected {expected:?}",
                        format_args!($($what)+)
                    ));
                }
            }
        }
    };
}

/// `must!(result, "what {}", args..)`: the value inside `Ok`; an `Err` fails the subtest.
macro_rules! must {
    ($result:expr, $($what:tt)+) => {
        match $result {
            Ok(value) => value,
            Err(error) => return Err(format!("{}: {error}", format_args!($($what)+))),
        }
    };
}

/// One named subtest: `run` gets a fresh working directory of its own.
struct Test {
    /// The name on the command line and in the report.
    name: &'static str,
    /// What it checks, for `usertests -l`.
    about: &'static str,
    /// The subtest itself, run in a child process.
    run: fn(&str) -> Outcome,
}

/// Every subtest, in the order they run.
const TESTS: &[Test] = &[
    Test {
        name: "badargs",
        about: "bad descriptors EBADF, bad flags and values EINVAL, unknown calls ENOSYS",
        run: bad_arguments,
    },
    Test {
        name: "badptr",
        about: "read/write/open/stat/pipe/mkdir/chdir with NULL, kernel and unmapped pointers: EFAULT",
        run: bad_pointers,
    },
    Test {
        name: "execbad",
        about: "execve of a missing file ENOENT, of a non-ELF ENOEXEC, with bad pointers EFAULT",
        run: exec_errors,
    },
    Test {
        name: "execargs",
        about: "execve with too much argument text E2BIG; 44 KiB of arguments arrive intact",
        run: exec_arguments,
    },
    Test {
        name: "forkwait",
        about: "200 rounds of fork, exit, wait; 20 children reaped in any order; ECHILD",
        run: fork_exit_wait,
    },
    Test {
        name: "forkfull",
        about: "fork until EAGAIN (the process table is full), reap every child, fork again",
        run: fork_until_full,
    },
    Test {
        name: "reparent",
        about: "an orphaned grandchild is adopted (by init on Lantern, which reaps it)",
        run: reparent,
    },
    Test {
        name: "kill",
        about: "SIGKILL and SIGTERM end looping and sleeping children; wait reports the signal",
        run: kill_children,
    },
    Test {
        name: "preempt",
        about: "three children spinning without system calls do not keep the parent off the CPU",
        run: preempt,
    },
    Test {
        name: "pipe",
        about: "4 writers and a reader: every record arrives whole, in order, exactly",
        run: pipe_stress,
    },
    Test {
        name: "sbrk",
        about: "the break grows by 16 MiB (zeroed, writable) and shrinks; absurd growth fails",
        run: sbrk_grow_shrink,
    },
    Test {
        name: "sbrkfork",
        about: "after fork, each process's break and heap memory are its own",
        run: sbrk_after_fork,
    },
    Test {
        name: "bigfile",
        about: "a 3 MiB file written in odd-sized pieces reads back exactly",
        run: big_file,
    },
    Test {
        name: "manyfiles",
        about: "300 files in one directory: created, listed, read, removed",
        run: many_files,
    },
    Test {
        name: "concreate",
        about: "two processes create and unlink the same 20 names; the directory stays sane",
        run: concurrent_create,
    },
    Test {
        name: "linkunlink",
        about: "one process links and creates while another unlinks; link counts add up",
        run: link_unlink,
    },
    Test {
        name: "dirs",
        about: ". and .., ENOTEMPTY, EINVAL, EISDIR, EEXIST, ENOTDIR, a removed working dir",
        run: directory_edges,
    },
    Test {
        name: "stackguard",
        about: "recursing past the end of the stack kills the child with SIGSEGV",
        run: stack_guard,
    },
    Test {
        name: "kernmem",
        about: "loading from or storing to kernel memory (or NULL) kills the child with SIGSEGV",
        run: kernel_memory,
    },
    Test {
        name: "cloexec",
        about: "O_CLOEXEC, FD_CLOEXEC and pipe2(O_CLOEXEC) descriptors close at exec; others stay",
        run: close_on_exec,
    },
];

/// How long one subtest may run before it is killed. The in-kernel suite gives all of
/// `usertests` 60 s, so a hung subtest is reported by name with time to spare.
const TIME_LIMIT_MS: u64 = 30_000;

/// The longest wait between two `wait4(WNOHANG)` polls of a running subtest.
const MAX_POLL_MS: u64 = 20;

/// The longest failure reason a process reports: one pipe write of at most `PIPE_BUF`
/// bytes is never interleaved with another's.
const MAX_REASON: usize = 1000;

/// `argv[1]` of the hidden helper mode.
const HELPER: &str = "--helper";

/// Where `usertests` lives on Lantern, for when `argv[0]` is not a path.
const DEFAULT_PATH: &str = "/bin/usertests";

/// The write end of the runner's reason pipe in a subtest's processes (-1 in the runner).
static REPORT_FD: AtomicI32 = AtomicI32::new(-1);

fn main() -> i32 {
    let args: Vec<&'static str> = env::args().collect();
    match args.get(1).copied() {
        Some(HELPER) => helper(&args[2..]),
        Some("-l") => {
            for test in TESTS {
                ulib::println!("{:<11} {}", test.name, test.about);
            }
            0
        }
        _ => match select(args.get(1..).unwrap_or_default()) {
            Ok(tests) => run_all(&tests),
            Err(name) => {
                ulib::eprintln!("usertests: no test named {name:?} (usertests -l lists them)");
                2
            }
        },
    }
}

/// The subtests `names` asks for (all for none), or the first unknown name.
fn select(names: &[&'static str]) -> Result<Vec<&'static Test>, &'static str> {
    if names.is_empty() {
        return Ok(TESTS.iter().collect());
    }
    names
        .iter()
        .map(|&name| TESTS.iter().find(|test| test.name == name).ok_or(name))
        .collect()
}

/// Runs `tests` one after the other and prints the summary; 0 if all passed.
fn run_all(tests: &[&Test]) -> i32 {
    let scratch = match fs::scratch_dir("usertests") {
        Ok(path) => path,
        Err(error) => {
            ulib::eprintln!("usertests: cannot make a scratch directory in /tmp: {error}");
            return 1;
        }
    };
    let mut failed = 0;
    for test in tests {
        match run_one(test, &scratch) {
            Ok(()) => ulib::println!("usertests: {} ... ok", test.name),
            Err(reason) => {
                failed += 1;
                ulib::println!("usertests: {} ... FAILED: {reason}", test.name);
            }
        }
    }
    if let Err(error) = fs::remove_tree(&scratch) {
        ulib::eprintln!("usertests: cannot remove {scratch}: {error}");
    }
    ulib::println!(
        "usertests: {} passed, {failed} failed",
        tests.len() - failed
    );
    i32::from(failed != 0)
}

/// Runs one subtest in a child process with a time limit; the reason if it failed.
fn run_one(test: &Test, scratch: &str) -> Outcome {
    let dir = format!("{scratch}/{}", test.name);
    must!(fs::mkdir(&dir, 0o755), "make the working directory {dir}");
    // Non-blocking, so that reading what is there never waits for processes the subtest
    // left behind holding the write end.
    let (reasons, report) = must!(fs::pipe2(O_CLOEXEC | O_NONBLOCK), "make the reason pipe");
    let child = match ulib::fork() {
        Ok(Fork::Child) => {
            let _ = fs::close(reasons);
            REPORT_FD.store(report, Ordering::Relaxed);
            // Its own process group, which the runner kills afterwards (set on both sides
            // of the fork, so that it holds whichever runs first).
            let _ = tty::setpgid(0, 0);
            finish((test.run)(&dir))
        }
        Ok(Fork::Parent(pid)) => pid,
        Err(error) => {
            let _ = fs::close(reasons);
            let _ = fs::close(report);
            return Err(format!("fork: {error}"));
        }
    };
    let _ = tty::setpgid(child, child);
    let _ = fs::close(report);
    let ending = wait_with_limit(child, TIME_LIMIT_MS);
    // Whatever the subtest left running (after a failure, say) must not disturb the next.
    let _ = ulib::kill(-child, SIGKILL);
    let reported = read_reasons(reasons);
    let _ = fs::close(reasons);
    let _ = fs::remove_tree(&dir);
    verdict(ending, reported)
}

/// How a subtest's process ended.
enum Ending {
    /// It ended with this wait status.
    Status(i32),
    /// It ran out of time and was killed.
    TimedOut,
    /// `wait4` itself failed.
    WaitFailed(Errno),
}

/// Waits for `child`, polling with `WNOHANG`, and kills it after `limit_ms`.
fn wait_with_limit(child: Pid, limit_ms: u64) -> Ending {
    let start = now_ms();
    let mut nap_ms = 1;
    loop {
        match ulib::wait4(child, WNOHANG) {
            Ok((0, _)) => {}
            Ok((_, status)) => return Ending::Status(status),
            Err(error) => return Ending::WaitFailed(error),
        }
        if now_ms().saturating_sub(start) >= limit_ms {
            let _ = ulib::kill(child, SIGKILL);
            let _ = ulib::waitpid(child);
            return Ending::TimedOut;
        }
        let _ = ulib::sleep_ms(nap_ms);
        nap_ms = (nap_ms * 2).min(MAX_POLL_MS);
    }
}

/// Everything written to the reason pipe so far, one reason per line, joined by `; `.
fn read_reasons(fd: i32) -> String {
    let mut text = Vec::new();
    let mut chunk = [0u8; 512];
    while let Ok(count @ 1..) = fs::read(fd, &mut chunk) {
        text.extend_from_slice(&chunk[..count.min(chunk.len())]);
    }
    let text = String::from_utf8_lossy(&text);
    text.lines().collect::<Vec<_>>().join("; ")
}

/// The result of a subtest from how its process ended and what was reported.
fn verdict(ending: Ending, reported: String) -> Outcome {
    let status = match ending {
        Ending::Status(status) => status,
        Ending::TimedOut => {
            return Err(format!(
                "still running after {} s, killed{}",
                TIME_LIMIT_MS / 1000,
                if reported.is_empty() {
                    String::new()
                } else {
                    format!(" ({reported})")
                }
            ));
        }
        Ending::WaitFailed(error) => return Err(format!("wait4: {error}")),
    };
    if reported.is_empty() {
        return if status == wait::exited(0) {
            Ok(())
        } else {
            Err(describe(status))
        };
    }
    if status == wait::exited(1) {
        Err(reported)
    } else {
        Err(format!("{reported} ({})", describe(status)))
    }
}

/// `exited with status 3`, `killed by SIGSEGV`.
fn describe(status: i32) -> String {
    match WaitStatus::decode(status) {
        Some(WaitStatus::Exited(code)) => format!("exited with status {code}"),
        Some(WaitStatus::Signaled { sig, .. }) => match signal_name(sig) {
            Some(name) => format!("killed by {name}"),
            None => format!("killed by signal {sig}"),
        },
        _ => format!("ended with wait status {status:#x}"),
    }
}

/// Ends a process of a subtest with its outcome: exit 0, or the reason reported to the
/// runner and exit 1.
fn finish(outcome: Outcome) -> ! {
    match outcome {
        Ok(()) => ulib::exit(0),
        Err(reason) => {
            report(&reason);
            ulib::exit(1)
        }
    }
}

/// Sends a failure reason to the runner (to stderr outside a subtest).
fn report(reason: &str) {
    let mut end = reason.len().min(MAX_REASON);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    let line = format!("{}\n", &reason[..end]);
    let fd = REPORT_FD.load(Ordering::Relaxed);
    if fd < 0 || ulib::write(fd, line.as_bytes()).is_err() {
        ulib::eprint!("usertests: {line}");
    }
}

/// Forks a process that runs `body` and ends with its outcome ([`finish`]); its pid.
fn spawn(body: impl FnOnce() -> Outcome) -> Result<Pid, String> {
    match ulib::fork() {
        Ok(Fork::Child) => finish(body()),
        Ok(Fork::Parent(pid)) => Ok(pid),
        Err(error) => Err(format!("fork: {error}")),
    }
}

/// Forks a process that exits with `code` at once; its pid.
fn spawn_exit(code: u8) -> Result<Pid, String> {
    match ulib::fork() {
        Ok(Fork::Child) => ulib::exit(i32::from(code)),
        Ok(Fork::Parent(pid)) => Ok(pid),
        Err(error) => Err(format!("fork: {error}")),
    }
}

/// Waits for `pid`, which must exit 0 (if not, its own reason is in the pipe already).
fn reap_ok(pid: Pid, what: &str) -> Outcome {
    let status = must!(ulib::waitpid(pid), "wait for {what}");
    ensure!(status == wait::exited(0), "{what} {}", describe(status));
    Ok(())
}

/// Waits for `pid`, which must have been killed by `sig`.
fn reap_killed(pid: Pid, sig: u32, what: &str) -> Outcome {
    let status = must!(ulib::waitpid(pid), "wait for {what}");
    ensure!(
        wait::wifsignaled(status) && wait::wtermsig(status) == sig,
        "{what} {}, expected to be killed by {}",
        describe(status),
        signal_name(sig).unwrap_or("?")
    );
    Ok(())
}

/// Spins for ever without a system call.
fn spin() -> ! {
    let mut counter = 0u64;
    loop {
        counter = black_box(counter.wrapping_add(1));
    }
}

/// Milliseconds of `CLOCK_MONOTONIC`.
fn now_ms() -> u64 {
    ulib::clock_gettime(CLOCK_MONOTONIC)
        .ok()
        .and_then(|now| now.to_nanos())
        .unwrap_or(0)
        / 1_000_000
}

/// The path to execute this program again.
fn self_path() -> &'static str {
    match env::args().next() {
        Some(path) if path.contains('/') => path,
        _ => DEFAULT_PATH,
    }
}

/// A NUL-terminated copy of `text`, for the raw calls.
fn c_string(text: &str) -> String {
    format!("{text}\0")
}

/// Fails unless a raw call's result is `EFAULT`.
fn expect_efault(result: isize, what: &str) -> Outcome {
    ensure_eq!(decode(result), Err(Errno::EFAULT), "{what}");
    Ok(())
}

/// The inode number of `path`.
fn ino(path: &str) -> Result<u64, String> {
    Ok(must!(fs::stat(path), "stat {path}").st_ino)
}

/// The names in the directory `path`, `.` and `..` included, sorted.
fn names_in(path: &str) -> Result<Vec<String>, String> {
    let entries = must!(fs::read_dir(path), "list {path}");
    let mut names: Vec<String> = entries.into_iter().map(|entry| entry.name).collect();
    names.sort();
    Ok(names)
}

// ---- badargs -------------------------------------------------------------------------

/// System-call numbers Linux riscv64 does not assign.
const UNKNOWN_CALLS: [usize; 4] = [500, 9999, 1_000_000, usize::MAX];

// `raw::unassigned` refuses numbers Linux assigns: the smallest above must stay above them.
const _: () = assert!(UNKNOWN_CALLS[0] >= nr::COUNT);

/// Descriptors that are closed, negative or huge are `EBADF` for every descriptor call, as
/// is the wrong direction of an open file; flags and values no call knows are `EINVAL`
/// (`pipe2`, `dup3`, `lseek`, `unlinkat`, `wait4`, `kill`, `clock_gettime`, `fcntl`);
/// numbers no system call has are `ENOSYS`. Afterwards the file reads back unchanged.
fn bad_arguments(dir: &str) -> Outcome {
    let path = format!("{dir}/file");
    must!(fs::write_file(&path, b"data", 0o644), "create {path}");
    let reader = must!(fs::open(&path, O_RDONLY, 0), "open {path} for reading");
    let writer = must!(fs::open(&path, O_WRONLY, 0), "open {path} for writing");
    let closed = must!(fs::open(&path, O_RDONLY, 0), "open {path}");
    must!(fs::close(closed), "close {closed}");
    let mut buf = [0u8; 8];
    for fd in [-1, closed, 1 << 20, i32::MAX] {
        ensure_eq!(fs::read(fd, &mut buf), Err(Errno::EBADF), "read({fd})");
        ensure_eq!(fs::write(fd, b"x"), Err(Errno::EBADF), "write({fd})");
        ensure_eq!(fs::close(fd), Err(Errno::EBADF), "close({fd})");
        ensure_eq!(fs::dup(fd), Err(Errno::EBADF), "dup({fd})");
        ensure_eq!(fs::lseek(fd, 0, SEEK_SET), Err(Errno::EBADF), "lseek({fd})");
        ensure_eq!(fs::fcntl(fd, F_GETFD, 0), Err(Errno::EBADF), "fcntl({fd})");
        ensure_eq!(
            fs::fstat(fd).map(|stat| stat.st_ino),
            Err(Errno::EBADF),
            "fstat({fd})"
        );
    }
    ensure_eq!(
        fs::write(reader, b"x"),
        Err(Errno::EBADF),
        "write to a read-only descriptor"
    );
    ensure_eq!(
        fs::read(writer, &mut buf),
        Err(Errno::EBADF),
        "read from a write-only descriptor"
    );

    ensure_eq!(fs::pipe2(O_CREAT), Err(Errno::EINVAL), "pipe2(O_CREAT)");
    ensure_eq!(
        fs::dup3(reader, reader, 0),
        Err(Errno::EINVAL),
        "dup3 onto itself"
    );
    ensure_eq!(
        fs::dup3(reader, 50, O_NONBLOCK),
        Err(Errno::EINVAL),
        "dup3 with O_NONBLOCK"
    );
    ensure_eq!(
        fs::lseek(reader, 0, 7),
        Err(Errno::EINVAL),
        "lseek whence 7"
    );
    ensure_eq!(
        fs::lseek(reader, -1, SEEK_SET),
        Err(Errno::EINVAL),
        "lseek to offset -1"
    );
    ensure_eq!(
        fs::fcntl(reader, 9999, 0),
        Err(Errno::EINVAL),
        "fcntl command 9999"
    );
    ensure_eq!(
        fs::unlinkat(AT_FDCWD, &path, 1),
        Err(Errno::EINVAL),
        "unlinkat flags 1"
    );
    // WNOWAIT belongs to waitid, not wait4.
    ensure_eq!(
        ulib::wait4(-1, 0x0100_0000),
        Err(Errno::EINVAL),
        "wait4 with WNOWAIT"
    );
    let me = must!(ulib::getpid(), "getpid");
    ensure_eq!(ulib::kill(me, 1000), Err(Errno::EINVAL), "kill signal 1000");
    ensure_eq!(
        ulib::clock_gettime(100).map(|now| now.tv_sec),
        Err(Errno::EINVAL),
        "clock_gettime(clock 100)"
    );

    for number in UNKNOWN_CALLS {
        ensure_eq!(
            decode(raw::unassigned(number, [1, 2, 3, 4, 5, 6])),
            Err(Errno::ENOSYS),
            "system call {number}"
        );
    }

    ensure_eq!(ulib::getpid(), Ok(me), "getpid after the refused calls");
    ensure_eq!(fs::read(reader, &mut buf), Ok(4), "read {path}");
    ensure_eq!(&buf[..4], b"data", "the contents of {path}");
    Ok(())
}

// ---- badptr --------------------------------------------------------------------------

/// NULL, a kernel address and an unmapped user address ([`BAD_POINTERS`]) are `EFAULT` as
/// the buffer of `read` and `write` (of a regular file), the path of `openat` (with and
/// without `O_CREAT`), `newfstatat`, `mkdirat` and `chdir`, the result of `newfstatat` and
/// `fstat`, and the descriptor pair of `pipe2`. The file, its offset and the working
/// directory are unchanged, nothing is created, and (on Lantern) no descriptor leaked.
fn bad_pointers(dir: &str) -> Outcome {
    let path = format!("{dir}/file");
    let contents = [0x5au8; 64];
    must!(fs::write_file(&path, &contents, 0o644), "create {path}");
    let fd = must!(fs::open(&path, O_RDWR, 0), "open {path}");
    let lowest_free = lowest_free_fd()?;
    let path_c = c_string(&path);
    let cwd = must!(fs::getcwd(), "getcwd");
    let mut image = [0u8; Stat::SIZE];
    let image_addr = image.as_mut_ptr() as usize;
    let at_cwd = AT_FDCWD as usize;
    let fd_reg = fd as usize;
    for bad in BAD_POINTERS {
        expect_efault(raw::read(fd_reg, bad, 16), &format!("read into {bad:#x}"))?;
        expect_efault(raw::write(fd_reg, bad, 16), &format!("write from {bad:#x}"))?;
        expect_efault(
            raw::openat(at_cwd, bad, O_RDONLY, 0),
            &format!("open path at {bad:#x}"),
        )?;
        expect_efault(
            raw::openat(at_cwd, bad, O_WRONLY | O_CREAT, 0o644),
            &format!("create path at {bad:#x}"),
        )?;
        expect_efault(
            raw::newfstatat(at_cwd, bad, image_addr, 0),
            &format!("stat path at {bad:#x}"),
        )?;
        expect_efault(
            raw::newfstatat(at_cwd, path_c.as_ptr() as usize, bad, 0),
            &format!("stat result at {bad:#x}"),
        )?;
        expect_efault(
            raw::fstat(fd_reg, bad),
            &format!("fstat result at {bad:#x}"),
        )?;
        expect_efault(raw::pipe2(bad, 0), &format!("pipe2 result at {bad:#x}"))?;
        expect_efault(
            raw::mkdirat(at_cwd, bad, 0o755),
            &format!("mkdir path at {bad:#x}"),
        )?;
        expect_efault(raw::chdir(bad), &format!("chdir path at {bad:#x}"))?;
    }
    ensure_eq!(
        fs::lseek(fd, 0, SEEK_CUR),
        Ok(0),
        "the offset after the failed reads and writes"
    );
    ensure_eq!(
        fs::read_file(&path),
        Ok(contents.to_vec()),
        "{path} after the failed writes"
    );
    ensure_eq!(
        names_in(dir)?,
        [".", "..", "file"],
        "the directory after the failed creations"
    );
    ensure_eq!(fs::getcwd(), Ok(cwd), "the working directory");
    // qemu-user leaks the two descriptors of a pipe2 that cannot store them; Linux and
    // Lantern close them again.
    if ulib::on_lantern() {
        ensure_eq!(
            lowest_free_fd()?,
            lowest_free,
            "the lowest free descriptor (a failed call leaked one)"
        );
    }
    must!(fs::close(fd), "close {path}");
    Ok(())
}

/// The lowest descriptor not in use.
fn lowest_free_fd() -> Result<i32, String> {
    let fd = must!(fs::dup(0), "dup(0)");
    must!(fs::close(fd), "close({fd})");
    Ok(fd)
}

// ---- execbad -------------------------------------------------------------------------

/// A static that a replaced image would no longer hold.
static MARKER: AtomicU32 = AtomicU32::new(1);

/// A path that does not exist is `ENOENT`, a file that is not a program `ENOEXEC`; bad
/// pointers are `EFAULT`: the path (NULL, kernel, unmapped), `argv` and `envp` themselves
/// and an element of `argv` (kernel, unmapped). The image and the pid survive every
/// failure. (The pointer cases execute the non-ELF file, so a kernel that wrongly accepted
/// the pointers would answer `ENOEXEC` rather than run anything.)
fn exec_errors(dir: &str) -> Outcome {
    MARKER.store(0x5eed, Ordering::Relaxed);
    let me = must!(ulib::getpid(), "getpid");
    for path in ["/no/such/program", &format!("{dir}/missing"), ""] {
        ensure_eq!(
            ulib::execve(path, &[path], &[]),
            Errno::ENOENT,
            "execve({path:?})"
        );
    }
    let not_elf = not_elf_path(dir)?;
    ensure_eq!(
        ulib::execve(&not_elf, &[&not_elf], &[]),
        Errno::ENOEXEC,
        "execve of the text file {not_elf}"
    );

    let path_c = c_string(&not_elf);
    let path = path_c.as_ptr() as usize;
    let argv = [path, 0];
    let envp = [0usize];
    let (argv, envp) = (argv.as_ptr() as usize, envp.as_ptr() as usize);
    for bad in BAD_POINTERS {
        expect_efault(
            raw::execve(bad, argv, envp),
            &format!("execve path at {bad:#x}"),
        )?;
    }
    // NULL `argv` and `envp` mean empty lists on Linux, so only the other two are bad.
    for bad in [KERNEL_ADDR, UNMAPPED_ADDR] {
        expect_efault(
            raw::execve(path, bad, envp),
            &format!("execve argv at {bad:#x}"),
        )?;
        expect_efault(
            raw::execve(path, argv, bad),
            &format!("execve envp at {bad:#x}"),
        )?;
        let bad_argv = [path, bad, 0];
        expect_efault(
            raw::execve(path, bad_argv.as_ptr() as usize, envp),
            &format!("execve argv[1] at {bad:#x}"),
        )?;
    }
    ensure_eq!(ulib::getpid(), Ok(me), "the pid after the failed execs");
    ensure_eq!(
        MARKER.load(Ordering::Relaxed),
        0x5eed,
        "a static after the failed execs"
    );
    Ok(())
}

/// A file that is not a program. Lantern's image has `/bin/not_elf`; elsewhere one is made.
fn not_elf_path(dir: &str) -> Result<String, String> {
    if ulib::on_lantern() {
        return Ok(String::from("/bin/not_elf"));
    }
    let path = format!("{dir}/not_elf");
    must!(
        fs::write_file(&path, b"this is text, not an ELF program\n", 0o755),
        "create {path}"
    );
    Ok(path)
}

// ---- execargs ------------------------------------------------------------------------

/// Lantern's limit for argument and environment text, pointers included (`MAX_ARGS_SIZE`).
const LANTERN_ARG_MAX: usize = 64 * 1024;

/// The most Linux allows for all arguments: a quarter of the stack limit, but never more
/// than three quarters of 8 MiB.
const LINUX_ARG_MAX: usize = 6 << 20;

/// The exit status of a child whose `execve` of this program failed with `ENOEXEC` off
/// Lantern: qemu-user cannot execute a riscv64 program without binfmt_misc.
const CANNOT_EXEC: i32 = 77;

/// The environment string the `args` helper must find.
const HELPER_ENV: &str = "USERTESTS_ENV=arrived";

/// Too much argument text is `E2BIG`: one 256 KiB argument (above Linux's 128 KiB per
/// string), and 32 KiB arguments adding up to more than the limit for all of them (Lantern
/// 64 KiB, Linux at most 6 MiB). Then a child executes this program with
/// [`big_arguments`] (44 KiB in 12 strings, an empty one and one with blanks among them)
/// and an environment string; the helper checks that all of it arrived intact.
fn exec_arguments(_dir: &str) -> Outcome {
    let me = self_path();
    // Should one of these execs wrongly succeed, the helper mode rejects "none" and exits 2.
    let huge = "h".repeat(256 * 1024);
    ensure_eq!(
        ulib::execve(me, &[me, HELPER, "none", &huge], &[]),
        Errno::E2BIG,
        "execve with a 256 KiB argument"
    );
    let limit = if ulib::on_lantern() {
        LANTERN_ARG_MAX
    } else {
        LINUX_ARG_MAX
    };
    let piece = "m".repeat(32 * 1024);
    let count = limit / piece.len() + 4;
    let mut many = vec![me, HELPER, "none"];
    many.extend(core::iter::repeat_n(piece.as_str(), count));
    ensure_eq!(
        ulib::execve(me, &many, &[]),
        Errno::E2BIG,
        "execve with {count} arguments of 32 KiB"
    );

    let child = spawn(move || {
        let arguments = big_arguments();
        let mut argv = vec![me, HELPER, "args"];
        argv.extend(arguments.iter().map(String::as_str));
        let error = ulib::execve(me, &argv, &[HELPER_ENV]);
        if error == Errno::ENOEXEC && !ulib::on_lantern() {
            ulib::exit(CANNOT_EXEC);
        }
        Err(format!("execve({me}) with 44 KiB of arguments: {error}"))
    })?;
    let status = must!(ulib::waitpid(child), "wait for the child");
    if status == wait::exited(CANNOT_EXEC as u8) {
        note(
            "execargs",
            "this system cannot execute riscv64 programs; delivery unchecked",
        );
        return Ok(());
    }
    ensure!(
        status == wait::exited(0),
        "the re-executed program checking its arguments {} (its complaint is on stderr)",
        describe(status)
    );
    Ok(())
}

/// The arguments `execargs` passes through `execve`: ten strings of 3000 to 5979 bytes,
/// each with its own letter pattern, the empty string and one with blanks.
fn big_arguments() -> Vec<String> {
    let mut arguments: Vec<String> = (0..10)
        .map(|index: usize| {
            (0..3000 + 331 * index)
                .map(|at| char::from(b'a' + ((index * 7 + at) % 26) as u8))
                .collect()
        })
        .collect();
    arguments.push(String::new());
    arguments.push(String::from("two words\tand a tab"));
    arguments
}

/// Prints a remark about a subtest that cannot check everything here.
fn note(test: &str, what: &str) {
    ulib::println!("usertests: {test}: note: {what}");
}

// ---- forkwait ------------------------------------------------------------------------

/// 200 rounds of fork, exit and wait: `wait4` returns that child with its exit status.
/// Then 20 children at once, reaped with `wait4(-1)` in whatever order they end, each with
/// its own status; then `ECHILD` for "any child" and for pid 1, which is not a child.
fn fork_exit_wait(_dir: &str) -> Outcome {
    for code in 0..200u8 {
        let pid = spawn_exit(code)?;
        ensure_eq!(
            ulib::wait4(pid, 0),
            Ok((pid, wait::exited(code))),
            "round {code}"
        );
    }
    let mut children = Vec::new();
    for code in 100..120u8 {
        children.push((spawn_exit(code)?, code));
    }
    for _ in 0..children.len() {
        let (pid, status) = must!(ulib::wait4(-1, 0), "wait for any child");
        let index = children.iter().position(|&(child, _)| child == pid);
        let Some(index) = index else {
            return Err(format!("wait4(-1) returned {pid}, not a child waiting"));
        };
        let (_, code) = children.swap_remove(index);
        ensure_eq!(status, wait::exited(code), "the status of child {pid}");
    }
    ensure_eq!(
        ulib::wait4(-1, 0),
        Err(Errno::ECHILD),
        "wait with no children"
    );
    ensure_eq!(ulib::wait4(1, 0), Err(Errno::ECHILD), "wait for pid 1");
    Ok(())
}

// ---- forkfull ------------------------------------------------------------------------

/// More processes than Lantern's table holds (256): fork must fail before.
const LANTERN_FORK_CAP: usize = 1000;

/// Where `forkfull` stops off Lantern: Linux's limits are far higher, and reaching them
/// would take the host down with the test.
const HOST_FORK_CAP: usize = 64;

/// Forks children until `fork` fails, which on Lantern must happen, with `EAGAIN`. Each
/// child waits for the end of a pipe the parent then closes, so all exit 0; the parent
/// reaps exactly its children, gets `ECHILD` after the last, and can fork again.
fn fork_until_full(_dir: &str) -> Outcome {
    let cap = if ulib::on_lantern() {
        LANTERN_FORK_CAP
    } else {
        HOST_FORK_CAP
    };
    let (gate, gate_writer) = must!(fs::pipe2(O_CLOEXEC), "pipe2");
    // Room for every pid now: nothing is allocated while the process table is full.
    let mut children: Vec<Pid> = Vec::with_capacity(cap);
    let failure = loop {
        if children.len() == cap {
            break None;
        }
        match ulib::fork() {
            Ok(Fork::Child) => {
                let _ = fs::close(gate_writer);
                let mut byte = [0u8; 1];
                let _ = fs::read(gate, &mut byte);
                ulib::exit(0)
            }
            Ok(Fork::Parent(pid)) => children.push(pid),
            Err(error) => break Some(error),
        }
    };
    must!(fs::close(gate_writer), "close the gate");
    let forked = children.len();
    for _ in 0..forked {
        let (pid, status) = must!(ulib::wait4(-1, 0), "wait for any child");
        ensure!(
            children.contains(&pid),
            "wait4(-1) returned {pid}, not a child"
        );
        ensure_eq!(status, wait::exited(0), "the status of child {pid}");
    }
    ensure_eq!(
        ulib::wait4(-1, 0),
        Err(Errno::ECHILD),
        "wait after reaping {forked} children"
    );
    must!(fs::close(gate), "close the gate");
    ensure!(forked > 0, "not a single fork succeeded: {failure:?}");
    if ulib::on_lantern() {
        ensure_eq!(
            failure,
            Some(Errno::EAGAIN),
            "how fork failed after {forked} children"
        );
    } else {
        ensure!(
            failure.is_none() || failure == Some(Errno::EAGAIN),
            "fork failed after {forked} children: {failure:?}"
        );
    }
    let again = spawn_exit(0)?;
    reap_ok(again, "the child forked after the others were reaped")
}

// ---- reparent ------------------------------------------------------------------------

/// How long the orphan waits to be adopted, and the test for init to reap it.
const ADOPTION_LIMIT_MS: u64 = 5000;

/// A child forks a grandchild and exits at once. The grandchild waits until its parent
/// changed, then writes its new parent's pid and its own to a pipe. The new parent must be
/// init (pid 1) on Lantern, which must also reap the orphan once it exits; on Linux, a
/// subreaper of the host's may adopt it instead, so there it only must not be the dead
/// child nor this test.
fn reparent(_dir: &str) -> Outcome {
    let (reader, writer) = must!(fs::pipe2(O_CLOEXEC), "pipe2");
    let middle = spawn(move || {
        let middle = must!(ulib::getpid(), "getpid");
        spawn(move || {
            let start = now_ms();
            while ulib::getppid() == Ok(middle) {
                ensure!(
                    now_ms() - start < ADOPTION_LIMIT_MS,
                    "the orphan still has its dead parent after {ADOPTION_LIMIT_MS} ms"
                );
                let _ = ulib::sleep_ms(2);
            }
            let parent = must!(ulib::getppid(), "getppid");
            let me = must!(ulib::getpid(), "getpid");
            let mut message = [0u8; 8];
            message[..4].copy_from_slice(&parent.to_le_bytes());
            message[4..].copy_from_slice(&me.to_le_bytes());
            ensure_eq!(ulib::write(writer, &message), Ok(8), "write to the test");
            Ok(())
        })?;
        Ok(())
    })?;
    must!(fs::close(writer), "close the write end");
    reap_ok(middle, "the child that orphaned its child")?;
    let mut message = [0u8; 8];
    let got = must!(fs::read_full(reader, &mut message), "read from the orphan");
    ensure_eq!(got, 8, "bytes from the orphan (0: it ended without a word)");
    must!(fs::close(reader), "close the read end");
    let [p0, p1, p2, p3, o0, o1, o2, o3] = message;
    let parent = i32::from_le_bytes([p0, p1, p2, p3]);
    let orphan = i32::from_le_bytes([o0, o1, o2, o3]);
    if !ulib::on_lantern() {
        let test = must!(ulib::getpid(), "getpid");
        ensure!(
            parent != middle && parent != test && parent > 0,
            "the orphan's new parent is {parent}"
        );
        return Ok(());
    }
    ensure_eq!(parent, 1, "the orphan's new parent");
    let start = now_ms();
    while ulib::kill(orphan, 0) != Err(Errno::ESRCH) {
        ensure!(
            now_ms() - start < ADOPTION_LIMIT_MS,
            "init did not reap the orphan {orphan} within {ADOPTION_LIMIT_MS} ms"
        );
        let _ = ulib::sleep_ms(5);
    }
    Ok(())
}

// ---- kill ----------------------------------------------------------------------------

/// `kill` with SIGKILL ends a child looping without system calls and one sleeping in
/// `nanosleep`; SIGTERM (default action) ends a looping child; `wait4` reports each signal.
/// A reaped child no longer exists: `kill(pid, 0)` is `ESRCH`.
fn kill_children(_dir: &str) -> Outcome {
    let looping = spawn(|| spin())?;
    must!(ulib::kill(looping, SIGKILL), "kill the looping child");
    reap_killed(looping, SIGKILL, "the looping child")?;
    ensure_eq!(
        ulib::kill(looping, 0),
        Err(Errno::ESRCH),
        "kill(0) of the reaped child"
    );
    let sleeping = spawn(|| {
        loop {
            let _ = ulib::sleep(1);
        }
    })?;
    let _ = ulib::sleep_ms(10);
    must!(ulib::kill(sleeping, SIGKILL), "kill the sleeping child");
    reap_killed(sleeping, SIGKILL, "the sleeping child")?;
    let terminated = spawn(|| spin())?;
    must!(ulib::kill(terminated, SIGTERM), "SIGTERM the looping child");
    reap_killed(terminated, SIGTERM, "the looping child sent SIGTERM")
}

// ---- preempt -------------------------------------------------------------------------

/// Children that spin at once: more than the harts of the test machines.
const SPINNERS: usize = 3;

/// [`SPINNERS`] children spin without system calls; the parent still gets to run: it
/// sleeps 100 ms, sees with `wait4(WNOHANG)` that every spinner still runs, and kills them.
fn preempt(_dir: &str) -> Outcome {
    let mut spinners = Vec::new();
    for _ in 0..SPINNERS {
        spinners.push(spawn(|| spin())?);
    }
    must!(ulib::sleep_ms(100), "sleep beside the spinners");
    for &pid in &spinners {
        ensure_eq!(
            ulib::wait4(pid, WNOHANG),
            Ok((0, 0)),
            "spinner {pid} is still running"
        );
    }
    for &pid in &spinners {
        must!(ulib::kill(pid, SIGKILL), "kill spinner {pid}");
    }
    for &pid in &spinners {
        reap_killed(pid, SIGKILL, "a spinner")?;
    }
    Ok(())
}

// ---- pipe ----------------------------------------------------------------------------

/// Processes writing into the pipe at once.
const WRITERS: usize = 4;
/// Records each writer sends.
const RECORDS: usize = 200;
/// Bytes per record: written with one `write`, at most `PIPE_BUF`, so never torn.
const RECORD: usize = 512;

/// The record `seq` of `writer`: the writer, the sequence number, then a pattern of both.
fn record(writer: usize, seq: usize) -> [u8; RECORD] {
    let mut bytes = [0u8; RECORD];
    bytes[0] = writer as u8;
    bytes[1..3].copy_from_slice(&(seq as u16).to_le_bytes());
    for (at, byte) in bytes.iter_mut().enumerate().skip(3) {
        *byte = (writer * 31 + seq * 7 + at) as u8;
    }
    bytes
}

/// [`WRITERS`] processes each write [`RECORDS`] records of [`RECORD`] bytes into one pipe;
/// the parent reads until end of file: every record arrives whole (one write of at most
/// `PIPE_BUF` is atomic), each writer's in order and with its exact bytes, all of them.
fn pipe_stress(_dir: &str) -> Outcome {
    let (reader, writer) = must!(fs::pipe2(O_CLOEXEC), "pipe2");
    let mut writers = Vec::new();
    for index in 0..WRITERS {
        writers.push(spawn(move || {
            let _ = fs::close(reader);
            for seq in 0..RECORDS {
                ensure_eq!(
                    ulib::write(writer, &record(index, seq)),
                    Ok(RECORD),
                    "writer {index}: write of record {seq}"
                );
            }
            Ok(())
        })?);
    }
    must!(fs::close(writer), "close the write end");
    let mut next = [0usize; WRITERS];
    let mut buf = [0u8; RECORD];
    loop {
        let got = must!(fs::read_full(reader, &mut buf), "read the pipe");
        if got == 0 {
            break;
        }
        ensure_eq!(got, RECORD, "bytes of the last record (a torn record)");
        let index = usize::from(buf[0]);
        ensure!(index < WRITERS, "a record from writer {index}");
        let seq = usize::from(u16::from_le_bytes([buf[1], buf[2]]));
        ensure_eq!(seq, next[index], "the next record of writer {index}");
        ensure!(
            buf == record(index, seq),
            "record {seq} of writer {index} arrived damaged"
        );
        next[index] += 1;
    }
    ensure_eq!(
        next,
        [RECORDS; WRITERS],
        "records received from each writer"
    );
    must!(fs::close(reader), "close the read end");
    for pid in writers {
        reap_ok(pid, "a writer")?;
    }
    Ok(())
}

// ---- sbrk ----------------------------------------------------------------------------

/// How far `sbrk` raises the break.
const BIG_BREAK: usize = 16 << 20;

/// The break rises by 16 MiB: every new page reads zero and keeps what is written. Half is
/// given back (the other half keeps its bytes) and raised again (zero again, not the old
/// bytes); then all of it, and the break is where it started. Absurd requests (1 TiB, the
/// kernel half, `sbrk(isize::MAX)`) fail and leave the break alone; the allocator still
/// works afterwards.
fn sbrk_grow_shrink(_dir: &str) -> Outcome {
    let start = raw::brk(0);
    let region = must!(extend_break(BIG_BREAK), "raise the break by 16 MiB");
    ensure_eq!(raw::brk(0), start + BIG_BREAK, "the break after raising it");
    for (index, page) in region.chunks_mut(PAGE_SIZE).enumerate() {
        ensure!(
            page[0] == 0 && page[PAGE_SIZE - 1] == 0,
            "new page {index} is not zero"
        );
        page[0] = index as u8;
        page[PAGE_SIZE - 1] = !(index as u8);
    }
    let (lower, upper) = region.split_at_mut(BIG_BREAK / 2);
    must!(release_break(upper), "lower the break by 8 MiB");
    ensure_eq!(
        raw::brk(0),
        start + BIG_BREAK / 2,
        "the break after lowering it"
    );
    for (index, page) in lower.chunks(PAGE_SIZE).enumerate() {
        ensure!(
            page[0] == index as u8 && page[PAGE_SIZE - 1] == !(index as u8),
            "page {index} lost its bytes when the break went down"
        );
    }
    let again = must!(extend_break(BIG_BREAK / 2), "raise the break again");
    ensure!(
        again.chunks(PAGE_SIZE).all(|page| page[0] == 0),
        "memory raised again is not zero"
    );
    must!(release_break(again), "lower the break again");
    must!(release_break(lower), "lower the break to the start");
    ensure_eq!(raw::brk(0), start, "the break after giving everything back");

    ensure_eq!(
        extend_break(1 << 40).map(|region| region.len()),
        Err(Errno::ENOMEM),
        "raising the break by 1 TiB"
    );
    ensure_eq!(raw::brk(KERNEL_ADDR), start, "brk(a kernel address)");
    ensure_eq!(
        raw::sbrk(isize::MAX),
        Err(Errno::ENOMEM),
        "sbrk(isize::MAX)"
    );
    ensure_eq!(raw::brk(0), start, "the break after the refusals");

    let numbers: Vec<u32> = (0..256 * 1024).collect();
    let sum: u64 = numbers.iter().map(|&n| u64::from(n)).sum();
    ensure_eq!(
        sum,
        256 * 1024 * (256 * 1024 - 1) / 2,
        "a 1 MiB vector's sum"
    );
    Ok(())
}

// ---- sbrkfork ------------------------------------------------------------------------

/// Bytes of the break region `sbrkfork` shares at fork.
const FORK_BREAK: usize = 64 * 1024;

/// The parent raises the break by 64 KiB and fills it; a child sees the same break and
/// bytes, overwrites its copy, raises and lowers its own break below the parent's. The
/// parent's break and bytes are untouched. Then the parent raises its break while a second
/// child waits: the child's break stays where it was at fork.
fn sbrk_after_fork(_dir: &str) -> Outcome {
    let region = must!(extend_break(FORK_BREAK), "raise the break by 64 KiB");
    region.fill(0xaa);
    let top = raw::brk(0);
    let child = match ulib::fork() {
        Ok(Fork::Child) => finish(change_break_in_child(region, top)),
        Ok(Fork::Parent(pid)) => pid,
        Err(error) => return Err(format!("fork: {error}")),
    };
    reap_ok(child, "the child that changed its break")?;
    ensure_eq!(
        raw::brk(0),
        top,
        "the parent's break after the child moved its own"
    );
    ensure!(
        region.iter().all(|&byte| byte == 0xaa),
        "the parent's memory changed when the child wrote and unmapped its copy"
    );

    let (gate, gate_writer) = must!(fs::pipe2(O_CLOEXEC), "pipe2");
    let waiter = spawn(move || {
        let _ = fs::close(gate_writer);
        let mut byte = [0u8; 1];
        ensure_eq!(fs::read(gate, &mut byte), Ok(0), "the end of the gate");
        ensure_eq!(
            raw::brk(0),
            top,
            "the child's break after the parent raised its own"
        );
        Ok(())
    })?;
    let more = must!(extend_break(1 << 20), "raise the parent's break by 1 MiB");
    more.fill(0x11);
    must!(fs::close(gate_writer), "open the gate");
    must!(fs::close(gate), "close the gate");
    reap_ok(waiter, "the child checking its break")?;
    must!(release_break(more), "lower the parent's break");
    must!(
        release_break(region),
        "lower the parent's break to the start"
    );
    Ok(())
}

/// The child's side of [`sbrk_after_fork`].
fn change_break_in_child(region: &'static mut [u8], top: usize) -> Outcome {
    ensure_eq!(raw::brk(0), top, "the child's break right after fork");
    ensure!(
        region.iter().all(|&byte| byte == 0xaa),
        "the child does not see the parent's bytes"
    );
    region.fill(0x55);
    let more = must!(extend_break(1 << 20), "raise the child's break by 1 MiB");
    more.fill(0x77);
    must!(release_break(more), "lower the child's break");
    must!(
        release_break(region),
        "lower the child's break below the parent's"
    );
    ensure_eq!(raw::brk(0), top - FORK_BREAK, "the child's lowered break");
    Ok(())
}

// ---- bigfile -------------------------------------------------------------------------

/// Bytes in the big file.
const BIG_FILE: usize = 3 << 20;
/// Bytes per `write`: odd, so writes straddle block boundaries.
const WRITE_PIECE: usize = 12_345;
/// Bytes per `read`: odd and different.
const READ_PIECE: usize = 7_777;

/// The byte at `offset` of the big file: differs between neighbouring bytes and blocks.
fn big_file_byte(offset: usize) -> u8 {
    (offset % 251) as u8 ^ (offset >> 12) as u8
}

/// [`BIG_FILE`] bytes written in [`WRITE_PIECE`]-byte pieces have the right size, read back
/// exactly in [`READ_PIECE`]-byte pieces and then end; `pread` at a few offsets agrees;
/// unlinking it works.
fn big_file(dir: &str) -> Outcome {
    let path = format!("{dir}/big");
    let fd = must!(
        fs::open(&path, O_WRONLY | O_CREAT | O_TRUNC, 0o644),
        "create {path}"
    );
    let mut piece = vec![0u8; WRITE_PIECE];
    let mut offset = 0;
    while offset < BIG_FILE {
        let len = WRITE_PIECE.min(BIG_FILE - offset);
        for (at, byte) in piece[..len].iter_mut().enumerate() {
            *byte = big_file_byte(offset + at);
        }
        must!(
            fs::write_all(fd, &piece[..len]),
            "write {len} bytes at {offset}"
        );
        offset += len;
    }
    must!(fs::close(fd), "close {path}");
    let size = must!(fs::stat(&path), "stat {path}").st_size;
    ensure_eq!(size, BIG_FILE as i64, "the size of {path}");

    let fd = must!(fs::open(&path, O_RDONLY, 0), "open {path}");
    let mut buf = vec![0u8; READ_PIECE];
    let mut offset = 0;
    loop {
        let got = must!(fs::read_full(fd, &mut buf), "read at {offset}");
        if got == 0 {
            break;
        }
        if let Some(at) = (0..got).find(|&at| buf[at] != big_file_byte(offset + at)) {
            return Err(format!("byte {} of {path} differs", offset + at));
        }
        offset += got;
    }
    ensure_eq!(offset, BIG_FILE, "bytes read back before the end of file");
    for at in [0, (1 << 20) - 3, (2 << 20) + 5, BIG_FILE - 20] {
        let mut window = [0u8; 20];
        ensure_eq!(
            fs::pread(fd, &mut window, at as i64),
            Ok(20),
            "pread at {at}"
        );
        let expected: Vec<u8> = (at..at + 20).map(big_file_byte).collect();
        ensure_eq!(window.to_vec(), expected, "20 bytes at {at}");
    }
    must!(fs::close(fd), "close {path}");
    must!(fs::unlink(&path), "unlink {path}");
    ensure_eq!(
        fs::stat(&path).map(|stat| stat.st_size),
        Err(Errno::ENOENT),
        "stat after unlink"
    );
    Ok(())
}

// ---- manyfiles -----------------------------------------------------------------------

/// Files in one directory.
const MANY_FILES: usize = 300;

/// [`MANY_FILES`] files are created in one directory, each listed exactly once (with `.`
/// and `..`), each read back with its own contents, all removed: the directory is empty
/// again and can be removed.
fn many_files(dir: &str) -> Outcome {
    let sub = format!("{dir}/many");
    must!(fs::mkdir(&sub, 0o755), "mkdir {sub}");
    for index in 0..MANY_FILES {
        let path = format!("{sub}/f{index}");
        must!(
            fs::write_file(&path, format!("file {index}").as_bytes(), 0o644),
            "create {path}"
        );
    }
    let mut expected: Vec<String> = (0..MANY_FILES).map(|index| format!("f{index}")).collect();
    expected.push(String::from("."));
    expected.push(String::from(".."));
    expected.sort();
    ensure!(
        names_in(&sub)? == expected,
        "the listing of {sub} is not the {MANY_FILES} files plus . and .."
    );
    for index in 0..MANY_FILES {
        let path = format!("{sub}/f{index}");
        ensure_eq!(
            fs::read_file(&path),
            Ok(format!("file {index}").into_bytes()),
            "the contents of {path}"
        );
    }
    for index in 0..MANY_FILES {
        let path = format!("{sub}/f{index}");
        must!(fs::unlink(&path), "unlink {path}");
    }
    ensure_eq!(names_in(&sub)?, [".", ".."], "the listing after unlinking");
    must!(fs::rmdir(&sub), "rmdir {sub}");
    Ok(())
}

// ---- concreate -----------------------------------------------------------------------

/// Names the two processes fight over.
const CONTESTED_NAMES: usize = 20;
/// Passes of each process over the names.
const CONTEST_ROUNDS: usize = 10;

/// Two processes go over the same [`CONTESTED_NAMES`] names in one directory
/// [`CONTEST_ROUNDS`] times, one creating (and writing the name into the file) where the
/// other unlinks; creating never fails, unlinking only with `ENOENT`. Afterwards every entry
/// is one of the names, listed once, a regular file with one link holding its name; after
/// removing them the directory is empty and can be removed.
fn concurrent_create(dir: &str) -> Outcome {
    let sub = format!("{dir}/contest");
    must!(fs::mkdir(&sub, 0o755), "mkdir {sub}");
    let mut workers = Vec::new();
    for worker in 0..2 {
        let sub = sub.clone();
        workers.push(spawn(move || contest(&sub, worker))?);
    }
    for pid in workers {
        reap_ok(pid, "a worker")?;
    }
    let names = names_in(&sub)?;
    let mut previous = "";
    for name in &names {
        ensure!(name != previous, "{name} is listed twice");
        previous = name;
        if name == "." || name == ".." {
            continue;
        }
        let known = name
            .strip_prefix('c')
            .and_then(|number| number.parse::<usize>().ok())
            .is_some_and(|number| number < CONTESTED_NAMES);
        ensure!(known, "an entry no worker made: {name:?}");
        let path = format!("{sub}/{name}");
        let stat = must!(fs::stat(&path), "stat {path}");
        ensure_eq!(stat.st_mode & S_IFMT, S_IFREG, "the type of {path}");
        ensure_eq!(stat.st_nlink, 1, "the links of {path}");
        ensure_eq!(
            fs::read_file(&path),
            Ok(name.clone().into_bytes()),
            "the contents of {path}"
        );
        must!(fs::unlink(&path), "unlink {path}");
    }
    ensure_eq!(
        names_in(&sub)?,
        [".", ".."],
        "the listing after cleaning up"
    );
    must!(fs::rmdir(&sub), "rmdir {sub}");
    Ok(())
}

/// One worker of [`concurrent_create`].
fn contest(sub: &str, worker: usize) -> Outcome {
    for round in 0..CONTEST_ROUNDS {
        for index in 0..CONTESTED_NAMES {
            let name = format!("c{index}");
            let path = format!("{sub}/{name}");
            if (index + round + worker).is_multiple_of(2) {
                let fd = must!(
                    fs::open(&path, O_WRONLY | O_CREAT, 0o644),
                    "worker {worker}: create {path}"
                );
                must!(
                    fs::write_all(fd, name.as_bytes()),
                    "worker {worker}: write {path}"
                );
                must!(fs::close(fd), "worker {worker}: close {path}");
            } else {
                match fs::unlink(&path) {
                    Ok(()) | Err(Errno::ENOENT) => {}
                    Err(error) => return Err(format!("worker {worker}: unlink {path}: {error}")),
                }
            }
        }
    }
    Ok(())
}

// ---- linkunlink ----------------------------------------------------------------------

/// The contents of the file everyone links to.
const SOURCE: &[u8] = b"the source file\n";
/// The contents of files created instead of linked.
const FRESH: &[u8] = b"fresh\n";
/// Names the link race uses.
const LINK_NAMES: u64 = 10;
/// Operations of each racing process.
const LINK_OPERATIONS: usize = 300;

/// One process links a source file under random names of [`LINK_NAMES`] (or creates a
/// fresh file there with `O_EXCL`), another unlinks random names, [`LINK_OPERATIONS`]
/// times each; only `EEXIST` and `ENOENT` may refuse them. Afterwards every survivor
/// either is the source (same inode, its contents) or a fresh file with one link, and the
/// source's link count is one plus the survivors that are it.
fn link_unlink(dir: &str) -> Outcome {
    let sub = format!("{dir}/links");
    must!(fs::mkdir(&sub, 0o755), "mkdir {sub}");
    let source = format!("{sub}/source");
    must!(fs::write_file(&source, SOURCE, 0o644), "create {source}");
    let mut racers = Vec::new();
    for linking in [true, false] {
        let (sub, source) = (sub.clone(), source.clone());
        racers.push(spawn(move || race_links(&sub, &source, linking))?);
    }
    for pid in racers {
        reap_ok(pid, "a racing process")?;
    }
    let source_ino = ino(&source)?;
    let mut links = 1;
    for name in names_in(&sub)? {
        if name == "." || name == ".." || name == "source" {
            continue;
        }
        let path = format!("{sub}/{name}");
        let stat = must!(fs::stat(&path), "stat {path}");
        let contents = must!(fs::read_file(&path), "read {path}");
        if stat.st_ino == source_ino {
            links += 1;
            ensure_eq!(contents, SOURCE, "the contents of the link {path}");
        } else {
            ensure_eq!(contents, FRESH, "the contents of the fresh file {path}");
            ensure_eq!(stat.st_nlink, 1, "the links of the fresh file {path}");
        }
    }
    let stat = must!(fs::stat(&source), "stat {source}");
    ensure_eq!(
        stat.st_nlink,
        links,
        "the links of {source} (itself and the surviving names)"
    );
    Ok(())
}

/// One racer of [`link_unlink`]: links (or creates) when `linking`, else unlinks.
fn race_links(sub: &str, source: &str, linking: bool) -> Outcome {
    let mut state = if linking { 1u64 } else { 2 };
    for _ in 0..LINK_OPERATIONS {
        // A linear congruential generator (Knuth's MMIX constants).
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let path = format!("{sub}/l{}", (state >> 33) % LINK_NAMES);
        let result = if !linking {
            fs::unlink(&path)
        } else if (state >> 20) % 3 == 0 {
            fs::open(&path, O_WRONLY | O_CREAT | O_EXCL, 0o644).and_then(|fd| {
                let written = fs::write_all(fd, FRESH);
                fs::close(fd)?;
                written
            })
        } else {
            fs::link(source, &path)
        };
        match result {
            Ok(()) | Err(Errno::EEXIST | Errno::ENOENT) => {}
            Err(error) => return Err(format!("{path}: {error}")),
        }
    }
    Ok(())
}

// ---- dirs ----------------------------------------------------------------------------

/// A new directory lists exactly `.` and `..`, naming itself and its parent. `rmdir` of a
/// non-empty directory is `ENOTEMPTY`, of `.` or a path ending in `.` `EINVAL`; `unlink` of a
/// directory is `EISDIR`; `mkdir` of an existing name `EEXIST`; a file used as a directory
/// `ENOTDIR` (open, mkdir, stat). A working directory that is removed stays the working
/// directory, but `getcwd` and creating in it are `ENOENT`.
fn directory_edges(dir: &str) -> Outcome {
    let d = format!("{dir}/d");
    must!(fs::mkdir(&d, 0o755), "mkdir {d}");
    ensure_eq!(names_in(&d)?, [".", ".."], "a new directory's entries");
    ensure_eq!(ino(&format!("{d}/."))?, ino(&d)?, "{d}/. is {d}");
    ensure_eq!(ino(&format!("{d}/.."))?, ino(dir)?, "{d}/.. is {dir}");

    let file = format!("{d}/f");
    must!(fs::write_file(&file, b"x", 0o644), "create {file}");
    ensure_eq!(
        fs::rmdir(&d),
        Err(Errno::ENOTEMPTY),
        "rmdir of a non-empty directory"
    );
    ensure_eq!(
        fs::rmdir(&format!("{d}/.")),
        Err(Errno::EINVAL),
        "rmdir {d}/."
    );
    ensure_eq!(fs::unlink(&d), Err(Errno::EISDIR), "unlink of a directory");
    ensure_eq!(
        fs::mkdir(&d, 0o755),
        Err(Errno::EEXIST),
        "mkdir of an existing directory"
    );
    ensure_eq!(
        fs::mkdir(&file, 0o755),
        Err(Errno::EEXIST),
        "mkdir over a file"
    );
    let through = format!("{file}/x");
    ensure_eq!(
        fs::open(&through, O_RDONLY, 0),
        Err(Errno::ENOTDIR),
        "open {through}"
    );
    ensure_eq!(
        fs::open(&through, O_WRONLY | O_CREAT, 0o644),
        Err(Errno::ENOTDIR),
        "create {through}"
    );
    ensure_eq!(
        fs::mkdir(&through, 0o755),
        Err(Errno::ENOTDIR),
        "mkdir {through}"
    );
    ensure_eq!(
        fs::stat(&through).map(|stat| stat.st_ino),
        Err(Errno::ENOTDIR),
        "stat {through}"
    );
    must!(fs::unlink(&file), "unlink {file}");
    must!(fs::rmdir(&d), "rmdir {d}");

    let gone = format!("{dir}/gone");
    must!(fs::mkdir(&gone, 0o755), "mkdir {gone}");
    must!(fs::chdir(&gone), "chdir {gone}");
    ensure_eq!(fs::rmdir("."), Err(Errno::EINVAL), "rmdir(\".\")");
    must!(fs::rmdir(&gone), "rmdir of the working directory");
    ensure_eq!(
        fs::getcwd(),
        Err(Errno::ENOENT),
        "getcwd in a removed directory"
    );
    ensure_eq!(
        fs::open("new", O_WRONLY | O_CREAT, 0o644),
        Err(Errno::ENOENT),
        "create in a removed directory"
    );
    ensure_eq!(
        fs::mkdir("sub", 0o755),
        Err(Errno::ENOENT),
        "mkdir in a removed directory"
    );
    must!(fs::chdir(dir), "chdir back to {dir}");
    ensure_eq!(
        names_in(dir)?,
        [".", ".."],
        "the working directory after all that"
    );
    Ok(())
}

// ---- stackguard ----------------------------------------------------------------------

/// Bytes of stack each level of the runaway recursion keeps live.
const FRAME_BYTES: usize = 1024;

/// A child that recurses without bound runs into the guard page below its stack and is
/// killed with SIGSEGV rather than running into other memory.
fn stack_guard(_dir: &str) -> Outcome {
    let child = spawn(|| {
        let depth = recurse(0);
        Err(format!("the runaway recursion returned at depth {depth}"))
    })?;
    reap_killed(child, SIGSEGV, "the recursing child")
}

/// Recurses until the stack runs out; returns only if `black_box` lies, which it does not.
fn recurse(depth: u64) -> u64 {
    let mut frame = [0u8; FRAME_BYTES];
    frame[depth as usize % FRAME_BYTES] = depth as u8;
    let frame = black_box(frame);
    let deeper = if black_box(true) {
        recurse(depth + 1)
    } else {
        depth
    };
    deeper + u64::from(frame[(deeper as usize) % FRAME_BYTES])
}

// ---- kernmem -------------------------------------------------------------------------

/// A load from the kernel's text, a store to it and a load from NULL each kill their
/// child with SIGSEGV.
fn kernel_memory(_dir: &str) -> Outcome {
    let cases: [(&str, fn()); 3] = [
        ("a load from kernel memory", || {
            black_box(hazard::read_volatile_at(KERNEL_ADDR));
        }),
        ("a store to kernel memory", || {
            hazard::write_volatile_at(KERNEL_ADDR, 0x5eed);
        }),
        ("a load from NULL", || {
            black_box(hazard::read_volatile_at(0));
        }),
    ];
    for (what, access) in cases {
        let child = spawn(|| {
            access();
            Err(format!("survived {what}"))
        })?;
        reap_killed(child, SIGSEGV, &format!("the child making {what}"))?;
    }
    Ok(())
}

// ---- cloexec -------------------------------------------------------------------------

/// The contents of the file `cloexec` opens.
const CLOEXEC_DATA: &[u8] = b"still open after exec\n";

/// Descriptors opened with `O_CLOEXEC`, marked `FD_CLOEXEC` with `fcntl`, or made by
/// `pipe2(O_CLOEXEC)` say so in `F_GETFD`; plain ones and a `dup` of a close-on-exec one do
/// not. A child executes this program, whose helper checks that exactly the first kind
/// is closed and that the others still read the file.
fn close_on_exec(dir: &str) -> Outcome {
    let path = format!("{dir}/data");
    must!(fs::write_file(&path, CLOEXEC_DATA, 0o644), "create {path}");
    let plain = must!(fs::open(&path, O_RDONLY, 0), "open {path}");
    let flagged = must!(
        fs::open(&path, O_RDONLY | O_CLOEXEC, 0),
        "open {path} O_CLOEXEC"
    );
    let marked = must!(fs::open(&path, O_RDONLY, 0), "open {path}");
    must!(
        fs::fcntl(marked, F_SETFD, FD_CLOEXEC as usize),
        "set FD_CLOEXEC"
    );
    let duplicate = must!(fs::dup(flagged), "dup of the O_CLOEXEC descriptor");
    let (pipe_reader, pipe_writer) = must!(fs::pipe2(O_CLOEXEC), "pipe2(O_CLOEXEC)");
    let closing = [flagged, marked, pipe_reader, pipe_writer];
    let staying = [plain, duplicate];
    for fd in closing {
        ensure_eq!(
            fs::fcntl(fd, F_GETFD, 0),
            Ok(FD_CLOEXEC as i32),
            "F_GETFD of descriptor {fd}"
        );
    }
    for fd in staying {
        ensure_eq!(
            fs::fcntl(fd, F_GETFD, 0),
            Ok(0),
            "F_GETFD of descriptor {fd}"
        );
    }

    let list = |fds: &[i32]| -> String {
        fds.iter()
            .map(|fd| format!("{fd}"))
            .collect::<Vec<_>>()
            .join(",")
    };
    let (closing, staying) = (list(&closing), list(&staying));
    let child = spawn(move || {
        let me = self_path();
        let error = ulib::execve(me, &[me, HELPER, "fds", &closing, &staying], &[]);
        if error == Errno::ENOEXEC && !ulib::on_lantern() {
            ulib::exit(CANNOT_EXEC);
        }
        Err(format!("execve({me}): {error}"))
    })?;
    let status = must!(ulib::waitpid(child), "wait for the child");
    if status == wait::exited(CANNOT_EXEC as u8) {
        note(
            "cloexec",
            "this system cannot execute riscv64 programs; exec unchecked",
        );
        return Ok(());
    }
    ensure!(
        status == wait::exited(0),
        "the re-executed program checking its descriptors {} (its complaint is on stderr)",
        describe(status)
    );
    Ok(())
}

// ---- the helper mode -----------------------------------------------------------------

/// `usertests --helper <what> ...`, run in a new image by `execargs` and `cloexec`:
/// - `args <arguments>...`: the arguments are [`big_arguments`] and the environment holds
///   [`HELPER_ENV`];
/// - `fds <closed> <open>`: the comma-separated descriptors of `<closed>` are closed, and
///   those of `<open>` are open and read [`CLOEXEC_DATA`] from offset 0.
///
/// Exits 0 if so; otherwise says why on stderr and exits 1 (2 for an unknown helper).
fn helper(args: &[&str]) -> i32 {
    let outcome = match args {
        ["args", rest @ ..] => check_arguments(rest),
        ["fds", closed, open] => check_descriptors(closed, open),
        _ => {
            ulib::eprintln!("usertests: no helper {args:?}");
            return 2;
        }
    };
    match outcome {
        Ok(()) => 0,
        Err(reason) => {
            ulib::eprintln!("usertests {HELPER}: {reason}");
            1
        }
    }
}

/// The `args` helper.
fn check_arguments(arguments: &[&str]) -> Outcome {
    let expected = big_arguments();
    ensure_eq!(arguments.len(), expected.len(), "the number of arguments");
    for (index, (got, sent)) in arguments.iter().zip(&expected).enumerate() {
        let differs = got.bytes().zip(sent.bytes()).position(|(a, b)| a != b);
        ensure!(
            differs.is_none() && got.len() == sent.len(),
            "argument {index} arrived as {} bytes, {} were sent; first difference at {differs:?}",
            got.len(),
            sent.len()
        );
    }
    let (name, value) = HELPER_ENV.split_once('=').unwrap_or((HELPER_ENV, ""));
    ensure_eq!(
        env::var(name),
        Some(value),
        "the environment variable {name}"
    );
    ensure_eq!(env::vars().count(), 1, "the number of environment strings");
    Ok(())
}

/// The `fds` helper.
fn check_descriptors(closed: &str, open: &str) -> Outcome {
    let parse = |list: &str| -> Result<Vec<i32>, String> {
        list.split(',')
            .map(|fd| fd.parse().map_err(|_| format!("not a descriptor: {fd:?}")))
            .collect()
    };
    for fd in parse(closed)? {
        ensure_eq!(
            fs::fcntl(fd, F_GETFD, 0),
            Err(Errno::EBADF),
            "close-on-exec descriptor {fd} after exec"
        );
    }
    for fd in parse(open)? {
        let mut buf = [0u8; 64];
        let got = must!(
            fs::pread(fd, &mut buf, 0),
            "read descriptor {fd} after exec"
        );
        ensure_eq!(
            &buf[..got],
            CLOEXEC_DATA,
            "what descriptor {fd} reads after exec"
        );
    }
    Ok(())
}
