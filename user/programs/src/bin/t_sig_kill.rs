//! Test `t_sig_kill` (expects `exit=0`): who may signal whom, signals to threads, process
//! groups and sessions, and SIGPIPE (I5, U3).
//!
//! - `kill` errors: signal 65, 1000 or -1 is `EINVAL`; a pid (or group) nobody has is
//!   `ESRCH`; signal 0 only checks: the caller, a running child and a zombie exist (the
//!   child is a zombie once the SIGCHLD it sent, blocked, is pending), a reaped child does
//!   not.
//! - Permission (run as root): a child that drops to uid and gid 1000 (`setresgid`,
//!   `setresuid`; `getuid`/`geteuid` then say 1000, and `setuid(0)` is `EPERM`) gets `EPERM`
//!   for `kill(parent, SIGUSR1)` and `kill(parent, 0)`, nothing reaches the parent, but
//!   SIGCONT to the parent is allowed (same session, kill(2)). Root signals the
//!   unprivileged child (SIGTERM ends it).
//! - `tkill(gettid())` and `tgkill(getpid(), gettid())` run the handler with `si_code`
//!   `SI_TKILL` and `si_pid` the caller; signal 0 checks; a tid of 0 or -1 is `EINVAL`, a
//!   tid nobody has is `ESRCH`, as is `tgkill` with the wrong thread group; a bad signal is
//!   `EINVAL`.
//! - Process groups: two children put into a new group (named after the first) and one
//!   left in the caller's; `kill(-group, SIGUSR1)` reaches exactly the two (everyone blocks
//!   SIGUSR1 and checks `sigpending`), not the third nor the caller. In another new group a
//!   leader and its own child: the leader's `kill(0, SIGUSR2)` reaches both, not the test.
//!   `getpgid`/`getsid` (of 0, of the caller, of a child; `ESRCH` for nobody); `setpgid`
//!   errors: a negative group is `EINVAL`, a pid nobody has is `ESRCH`, a group that does
//!   not exist is `EPERM`.
//! - Sessions: `setsid` in a group leader is `EPERM`; in a fresh child it returns the
//!   child's pid, which becomes its group and session; the new session leader cannot
//!   `setpgid` (itself or into the old session's group: `EPERM`).
//! - SIGPIPE: writing a pipe whose read end is closed kills a child by default (`WTERMSIG`
//!   13); with SIGPIPE ignored the write fails with `EPIPE`; with a handler the handler runs
//!   and the write fails with `EPIPE`.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use core::sync::atomic::{AtomicI32, AtomicU32, Ordering::SeqCst};

use ulib::abi::Errno;
use ulib::abi::signal::{
    SI_TKILL, SIGCHLD, SIGCONT, SIGPIPE, SIGTERM, SIGUSR1, SIGUSR2, SigInfo, sigset_bit,
};
use ulib::abi::wait;
use ulib::process::{KEEP_ID, geteuid, gettid, getuid, setresgid, setresuid, setuid};
use ulib::signal::{self, UContext};
use ulib::tty::{getpgid, getsid, setpgid, setsid};
use ulib::{Pid, check, check_eq, check_ok, fs};

ulib::entry!(main);

/// A pid far above any Lantern or default Linux pid (`pid_max` is at most 4194304).
const NO_SUCH_PID: Pid = 0x7fff_0000;

/// The unprivileged user and group the permission check drops to.
const NOBODY: u32 = 1000;

/// Handler runs, and the last `si_code`/`si_pid` an `SA_SIGINFO` handler saw.
static RUNS: AtomicU32 = AtomicU32::new(0);
static INFO_CODE: AtomicI32 = AtomicI32::new(-1);
static INFO_PID: AtomicI32 = AtomicI32::new(-1);

fn main() -> i32 {
    check_ok!(signal::set_mask(0), "start with nothing blocked");
    check_kill_errors();
    check_permission();
    check_thread_signals();
    check_group_kill();
    check_kill_zero();
    check_group_and_session_ids();
    check_setsid();
    check_sigpipe();
    ulib::println!("t_sig_kill: ok");
    0
}

fn me() -> Pid {
    check_ok!(ulib::getpid(), "getpid")
}

fn pending() -> u64 {
    check_ok!(signal::sigpending(), "sigpending")
}

extern "C" fn info_handler(_sig: i32, info: &SigInfo, _context: &UContext) {
    INFO_CODE.store(info.code, SeqCst);
    INFO_PID.store(info.pid, SeqCst);
    RUNS.fetch_add(1, SeqCst);
}

/// Forks a child that runs `body` and exits with what it returns.
fn spawn(body: impl FnOnce() -> i32) -> Pid {
    check_ok!(ulib::spawn(body), "fork")
}

/// Reads one byte from `fd`.
fn read_byte(fd: i32) -> Result<u8, Errno> {
    let mut byte = [0u8];
    match ulib::read(fd, &mut byte)? {
        1 => Ok(byte[0]),
        _ => Err(Errno::EIO),
    }
}

fn check_kill_errors() {
    for sig in [65, 1000, u32::MAX] {
        check_eq!(
            ulib::kill(me(), sig),
            Err(Errno::EINVAL),
            "kill(self, {sig})"
        );
    }
    check_eq!(
        ulib::kill(NO_SUCH_PID, SIGTERM),
        Err(Errno::ESRCH),
        "kill(nobody)"
    );
    check_eq!(
        ulib::kill(NO_SUCH_PID, 0),
        Err(Errno::ESRCH),
        "kill(nobody, 0)"
    );
    check_eq!(
        ulib::kill(-NO_SUCH_PID, SIGTERM),
        Err(Errno::ESRCH),
        "kill(-group nobody has)"
    );
    check_eq!(ulib::kill(me(), 0), Ok(()), "kill(self, 0)");
    let (go_read, go_write) = check_ok!(fs::pipe(), "pipe");
    let child = spawn(|| match read_byte(go_read) {
        Ok(_) => 0,
        Err(_) => 2,
    });
    check_eq!(ulib::kill(child, 0), Ok(()), "kill(running child, 0)");
    // Once the child has exited, its (blocked) SIGCHLD is pending and it is a zombie.
    check_ok!(signal::block(sigset_bit(SIGCHLD)), "block SIGCHLD");
    check_eq!(ulib::write(go_write, b"g"), Ok(1), "let the child end");
    let mut polls = 0;
    while pending() & sigset_bit(SIGCHLD) == 0 {
        check!(polls < 2000, "no SIGCHLD within 10 s of the child's end");
        let _ = ulib::sleep_ms(5);
        polls += 1;
    }
    check_eq!(ulib::kill(child, 0), Ok(()), "kill(zombie, 0)");
    check_eq!(ulib::waitpid(child), Ok(wait::exited(0)), "reap the child");
    check_ok!(signal::set_mask(0), "unblock SIGCHLD");
    check_eq!(
        ulib::kill(child, 0),
        Err(Errno::ESRCH),
        "kill(reaped child, 0)"
    );
    for fd in [go_read, go_write] {
        check_ok!(fs::close(fd), "close {fd}");
    }
}

fn check_permission() {
    check_eq!(getuid(), Ok(0), "this test runs as root");
    check_ok!(
        signal::set_info_handler(SIGCONT, info_handler, 0, 0),
        "install a SIGCONT handler"
    );
    check_ok!(
        signal::set_mask(sigset_bit(SIGUSR1) | sigset_bit(SIGCONT)),
        "block SIGUSR1 and SIGCONT"
    );
    let parent = me();
    let (report_read, report_write) = check_ok!(fs::pipe(), "pipe");
    let child = spawn(|| {
        check_ok!(setresgid(NOBODY, NOBODY, NOBODY), "setresgid({NOBODY})");
        check_ok!(setresuid(NOBODY, NOBODY, NOBODY), "setresuid({NOBODY})");
        check_eq!(getuid(), Ok(NOBODY), "the child's uid");
        check_eq!(geteuid(), Ok(NOBODY), "the child's euid");
        check_eq!(setuid(0), Err(Errno::EPERM), "setuid(0) without privilege");
        check_eq!(
            setresuid(KEEP_ID, 0, KEEP_ID),
            Err(Errno::EPERM),
            "setresuid(-1, 0, -1) without privilege"
        );
        check_eq!(
            ulib::kill(parent, SIGUSR1),
            Err(Errno::EPERM),
            "kill(root parent, SIGUSR1) as uid {NOBODY}"
        );
        check_eq!(
            ulib::kill(parent, 0),
            Err(Errno::EPERM),
            "kill(root parent, 0) as uid {NOBODY}"
        );
        check_eq!(
            ulib::kill(parent, SIGCONT),
            Ok(()),
            "kill(root parent, SIGCONT) in the same session"
        );
        check_eq!(ulib::kill(me(), 0), Ok(()), "kill(self, 0) as uid {NOBODY}");
        let _ = ulib::write(report_write, b"k");
        loop {
            let _ = ulib::sleep(1);
        }
    });
    check_ok!(fs::close(report_write), "close the write end");
    check_eq!(
        read_byte(report_read),
        Ok(b'k'),
        "the unprivileged child's checks (it exits 1 on a failure)"
    );
    check_ok!(fs::close(report_read), "close the read end");
    check_eq!(
        pending(),
        sigset_bit(SIGCONT),
        "only the SIGCONT reached the parent"
    );
    check_ok!(
        ulib::kill(child, SIGTERM),
        "root signals the uid {NOBODY} child"
    );
    check_eq!(
        ulib::waitpid(child),
        Ok(wait::signaled(SIGTERM, false)),
        "the unprivileged child, killed by root"
    );
    RUNS.store(0, SeqCst);
    check_ok!(signal::set_mask(0), "unblock");
    check_eq!(RUNS.load(SeqCst), 1, "the SIGCONT handler ran");
    check_eq!(
        INFO_PID.load(SeqCst),
        child,
        "si_pid of the child's SIGCONT"
    );
    check_ok!(signal::set_default(SIGCONT), "default SIGCONT");
}

fn check_thread_signals() {
    let pid = me();
    let tid = check_ok!(gettid(), "gettid");
    check_ok!(
        signal::set_info_handler(SIGUSR1, info_handler, 0, 0),
        "install the SIGUSR1 handler"
    );
    let tkill_self = || signal::tkill(tid, SIGUSR1);
    let tgkill_self = || signal::tgkill(pid, tid, SIGUSR1);
    for (what, send) in [
        ("tkill(self)", &tkill_self as &dyn Fn() -> Result<(), Errno>),
        ("tgkill(self, self)", &tgkill_self),
    ] {
        RUNS.store(0, SeqCst);
        check_eq!(send(), Ok(()), "{what}");
        check_eq!(
            RUNS.load(SeqCst),
            1,
            "{what}: the handler ran as the call returned"
        );
        check_eq!(INFO_CODE.load(SeqCst), SI_TKILL, "{what}: si_code");
        check_eq!(INFO_PID.load(SeqCst), pid, "{what}: si_pid");
    }
    check_eq!(signal::tkill(tid, 0), Ok(()), "tkill(self, 0)");
    check_eq!(signal::tgkill(pid, tid, 0), Ok(()), "tgkill(self, self, 0)");
    for bad_tid in [0, -1] {
        check_eq!(
            signal::tkill(bad_tid, SIGUSR1),
            Err(Errno::EINVAL),
            "tkill({bad_tid})"
        );
        check_eq!(
            signal::tgkill(pid, bad_tid, SIGUSR1),
            Err(Errno::EINVAL),
            "tgkill(self, {bad_tid})"
        );
    }
    check_eq!(
        signal::tkill(NO_SUCH_PID, SIGUSR1),
        Err(Errno::ESRCH),
        "tkill(no such thread)"
    );
    check_eq!(
        signal::tgkill(NO_SUCH_PID, tid, SIGUSR1),
        Err(Errno::ESRCH),
        "tgkill with another thread group"
    );
    check_eq!(
        signal::tkill(tid, 65),
        Err(Errno::EINVAL),
        "tkill(self, 65)"
    );
    check_eq!(
        signal::tgkill(pid, tid, 65),
        Err(Errno::EINVAL),
        "tgkill(self, self, 65)"
    );
}

/// A child that waits for one byte on `go`, then exits 0 if `sig` is pending exactly when
/// `expected`, 1 otherwise (after saying so). `sig` must be blocked (inherited mask).
fn spawn_pending_reporter(go: i32, sig: u32, expected: bool, who: &'static str) -> Pid {
    spawn(move || {
        let _ = read_byte(go);
        let pending = signal::sigpending().unwrap_or(0);
        if (pending & sigset_bit(sig) != 0) == expected {
            0
        } else {
            ulib::eprintln!("t_sig_kill: {who}: pending {pending:#x}, wanted {sig}: {expected}");
            1
        }
    })
}

fn check_group_kill() {
    check_ok!(signal::set_mask(sigset_bit(SIGUSR1)), "block SIGUSR1");
    let (go_read, go_write) = check_ok!(fs::pipe(), "pipe");
    let leader = spawn_pending_reporter(go_read, SIGUSR1, true, "the group leader");
    check_ok!(setpgid(leader, 0), "make the first child a group leader");
    let member = spawn_pending_reporter(go_read, SIGUSR1, true, "the group member");
    check_ok!(
        setpgid(member, leader),
        "move the second child into its group"
    );
    let outsider = spawn_pending_reporter(go_read, SIGUSR1, false, "the outsider");
    check_eq!(getpgid(leader), Ok(leader), "the leader's group");
    check_eq!(getpgid(member), Ok(leader), "the member's group");
    check_eq!(
        getpgid(outsider),
        getpgid(0),
        "the outsider stays in the caller's group"
    );
    check_ok!(ulib::kill(-leader, SIGUSR1), "kill(-group, SIGUSR1)");
    check_eq!(
        ulib::write(go_write, b"ggg"),
        Ok(3),
        "let the children look"
    );
    for (child, who) in [
        (leader, "the leader"),
        (member, "the member"),
        (outsider, "the outsider"),
    ] {
        check_eq!(
            ulib::waitpid(child),
            Ok(wait::exited(0)),
            "{who} saw SIGUSR1 pending if and only if it is in the group"
        );
    }
    check_eq!(pending(), 0, "the caller got nothing");
    for fd in [go_read, go_write] {
        check_ok!(fs::close(fd), "close {fd}");
    }
    check_ok!(signal::set_mask(0), "unblock");
}

fn check_kill_zero() {
    check_ok!(signal::set_mask(sigset_bit(SIGUSR2)), "block SIGUSR2");
    let (ready_read, ready_write) = check_ok!(fs::pipe(), "pipe");
    let leader = spawn(|| {
        let (go_read, go_write) = check_ok!(fs::pipe(), "pipe in the leader");
        check_ok!(read_byte(ready_read), "wait to be a group leader");
        // The leader's own child, forked once the leader is in its new group (a child
        // forked earlier would stay in the old one).
        let inner = spawn_pending_reporter(go_read, SIGUSR2, true, "the leader's child");
        check_ok!(ulib::kill(0, SIGUSR2), "kill(0, SIGUSR2) in the leader");
        check!(
            signal::sigpending().unwrap_or(0) & sigset_bit(SIGUSR2) != 0,
            "kill(0) reached the leader itself"
        );
        check_eq!(
            ulib::write(go_write, b"g"),
            Ok(1),
            "let the inner child look"
        );
        check_eq!(
            ulib::waitpid(inner),
            Ok(wait::exited(0)),
            "kill(0) reached the leader's child"
        );
        0
    });
    check_ok!(setpgid(leader, 0), "make the child a group leader");
    check_eq!(ulib::write(ready_write, b"r"), Ok(1), "tell it so");
    check_eq!(
        ulib::waitpid(leader),
        Ok(wait::exited(0)),
        "kill(0) reached the leader's group"
    );
    check_eq!(pending(), 0, "the caller, in another group, got nothing");
    for fd in [ready_read, ready_write] {
        check_ok!(fs::close(fd), "close {fd}");
    }
    check_ok!(signal::set_mask(0), "unblock");
}

fn check_group_and_session_ids() {
    let pid = me();
    let group = check_ok!(getpgid(0), "getpgid(0)");
    let session = check_ok!(getsid(0), "getsid(0)");
    check_eq!(getpgid(pid), Ok(group), "getpgid(self)");
    check_eq!(getsid(pid), Ok(session), "getsid(self)");
    check!(group > 0 && session > 0, "group {group}, session {session}");
    check_eq!(getpgid(NO_SUCH_PID), Err(Errno::ESRCH), "getpgid(nobody)");
    check_eq!(getsid(NO_SUCH_PID), Err(Errno::ESRCH), "getsid(nobody)");

    let (go_read, go_write) = check_ok!(fs::pipe(), "pipe");
    let child = spawn(|| match read_byte(go_read) {
        Ok(_) => 0,
        Err(_) => 2,
    });
    check_eq!(
        getpgid(child),
        Ok(group),
        "a child starts in its parent's group"
    );
    check_eq!(getsid(child), Ok(session), "and session");
    check_eq!(setpgid(child, -1), Err(Errno::EINVAL), "setpgid(child, -1)");
    check_eq!(
        setpgid(NO_SUCH_PID, 0),
        Err(Errno::ESRCH),
        "setpgid(nobody, 0)"
    );
    check_eq!(
        setpgid(child, NO_SUCH_PID),
        Err(Errno::EPERM),
        "setpgid into a group that does not exist"
    );
    check_eq!(
        getpgid(child),
        Ok(group),
        "the failed calls left the child's group"
    );
    check_ok!(setpgid(child, 0), "move the child into a group of its own");
    check_eq!(getpgid(child), Ok(child), "the child's new group");
    check_eq!(getsid(child), Ok(session), "in the same session");
    check_eq!(ulib::write(go_write, b"g"), Ok(1), "let the child end");
    check_eq!(ulib::waitpid(child), Ok(wait::exited(0)), "reap the child");
    for fd in [go_read, go_write] {
        check_ok!(fs::close(fd), "close {fd}");
    }
}

fn check_setsid() {
    let leader = spawn(|| {
        check_ok!(setpgid(0, 0), "become a group leader");
        check_eq!(setsid(), Err(Errno::EPERM), "setsid in a group leader");
        0
    });
    check_eq!(
        ulib::waitpid(leader),
        Ok(wait::exited(0)),
        "the group leader's checks"
    );

    let old_group = check_ok!(getpgid(0), "getpgid(0)");
    let fresh = spawn(move || {
        let pid = me();
        check_eq!(setsid(), Ok(pid), "setsid in a fresh child");
        check_eq!(getpgid(0), Ok(pid), "the new group");
        check_eq!(getsid(0), Ok(pid), "the new session");
        check_eq!(
            setpgid(0, 0),
            Err(Errno::EPERM),
            "setpgid of a session leader"
        );
        check_eq!(
            setpgid(0, old_group),
            Err(Errno::EPERM),
            "setpgid into the old session's group"
        );
        check_eq!(setsid(), Err(Errno::EPERM), "a second setsid");
        0
    });
    check_eq!(
        ulib::waitpid(fresh),
        Ok(wait::exited(0)),
        "the fresh child's checks"
    );
}

/// A pipe whose read end is already closed; returns the write end.
fn broken_pipe() -> i32 {
    let (read_end, write_end) = check_ok!(fs::pipe(), "pipe");
    check_ok!(fs::close(read_end), "close the read end");
    write_end
}

extern "C" fn counting_handler(_sig: i32) {
    RUNS.fetch_add(1, SeqCst);
}

fn check_sigpipe() {
    let child = spawn(|| {
        let _ = signal::set_default(SIGPIPE);
        let fd = broken_pipe();
        let result = ulib::write(fd, b"x");
        ulib::eprintln!("t_sig_kill: survived writing a broken pipe: {result:?}");
        2
    });
    check_eq!(
        ulib::waitpid(child),
        Ok(wait::signaled(SIGPIPE, false)),
        "SIGPIPE's default action"
    );

    check_ok!(signal::ignore(SIGPIPE), "ignore SIGPIPE");
    let fd = broken_pipe();
    check_eq!(
        ulib::write(fd, b"x"),
        Err(Errno::EPIPE),
        "a write to a broken pipe with SIGPIPE ignored"
    );
    check_ok!(
        signal::set_handler(SIGPIPE, counting_handler, 0, 0),
        "install a SIGPIPE handler"
    );
    RUNS.store(0, SeqCst);
    check_eq!(
        ulib::write(fd, b"x"),
        Err(Errno::EPIPE),
        "a write to a broken pipe with a SIGPIPE handler"
    );
    check_eq!(RUNS.load(SeqCst), 1, "the SIGPIPE handler ran");
    check_ok!(fs::close(fd), "close the write end");
    check_ok!(signal::set_default(SIGPIPE), "default SIGPIPE");
}
