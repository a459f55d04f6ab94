//! Test `t_fifo` (expects `exit=0`): named pipes (concept I2).
//!
//! - `mkfifo` makes a file that `stat` calls `S_IFIFO` with the permissions asked for; a
//!   second `mkfifo` of the name is `EEXIST`, one in a missing directory `ENOENT`.
//! - Non-blocking opens: `O_RDONLY | O_NONBLOCK` succeeds at once with no writer;
//!   `O_WRONLY | O_NONBLOCK` with no reader is `ENXIO` (before a reader opens and again
//!   after the last one closed); with both ends open bytes pass, an empty FIFO reads
//!   `EAGAIN`, and end of file comes only after the last writer closes.
//! - Blocking opens meet: a child opening for reading stays blocked until the parent opens
//!   for writing, and then reads what the parent writes, then end of file; a child opening
//!   for writing stays blocked until the parent opens for reading, then sends 200 KiB
//!   (more than a pipe holds) that arrive in order.
//! - Two unrelated processes (both forked by the test, which holds no descriptor of the
//!   FIFO, so neither inherits one) find each other through the path alone.
//! - With no reader left, a write kills the writer with `SIGPIPE`, or fails with `EPIPE`
//!   when `SIGPIPE` is ignored.
//! - Unlinking the name leaves the open ends working (and `fstat` still says `S_IFIFO`);
//!   the path is gone.
//! - `poll`: no events on an empty FIFO with a writer, `POLLIN` after a write, `POLLHUP`
//!   after the last writer closed; a poller asleep on the read end is woken by a write from
//!   a child that opened the FIFO by its path.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use ulib::abi::Errno;
use ulib::abi::fs::{O_NONBLOCK, O_RDONLY, O_WRONLY, POLLHUP, POLLIN, PollFd, S_IFIFO, S_IFMT};
use ulib::abi::signal::SIGPIPE;
use ulib::abi::wait::{self, WaitStatus};
use ulib::poll::poll;
use ulib::{Pid, check, check_eq, check_ok, fs, ipc, signal};

ulib::entry!(main);

/// How long to wait for something another process does before giving up.
const PATIENCE_MS: u64 = 10_000;

/// How long a process that should stay blocked is given to (wrongly) get through.
const SETTLE_MS: u64 = 200;

fn main() -> i32 {
    let dir = check_ok!(fs::scratch_dir("t_fifo"), "scratch directory");
    check_mkfifo(&dir);
    check_nonblocking_opens(&dir);
    check_reader_waits_for_writer(&dir);
    check_writer_waits_for_reader(&dir);
    check_unrelated_processes(&dir);
    check_no_reader(&dir);
    check_unlink_while_open(&dir);
    check_poll(&dir);
    check_ok!(fs::remove_tree(&dir), "remove {dir}");
    ulib::println!("t_fifo: ok");
    0
}

/// Makes the FIFO `<dir>/<name>` with mode 0600 and returns its path.
fn make_fifo(dir: &str, name: &str) -> String {
    let path = format!("{dir}/{name}");
    check_ok!(ipc::mkfifo(&path, 0o600), "mkfifo {path}");
    path
}

fn open(path: &str, flags: u32) -> i32 {
    check_ok!(
        fs::open(path, flags, 0),
        "open {path} with flags {flags:#o}"
    )
}

fn close(fd: i32) {
    check_ok!(fs::close(fd), "close({fd})");
}

fn write(fd: i32, data: &[u8]) {
    check_eq!(
        fs::write(fd, data),
        Ok(data.len()),
        "write of {} bytes to fd {fd}",
        data.len()
    );
}

fn spawn(child: impl FnOnce() -> i32) -> Pid {
    check_ok!(ulib::spawn(child), "fork")
}

fn expect_exit(pid: Pid, what: &str) {
    check_eq!(ulib::waitpid(pid), Ok(wait::exited(0)), "{what}");
}

fn byte_pattern(pos: usize) -> u8 {
    (pos as u8).wrapping_mul(13) ^ (pos >> 9) as u8
}

/// Reads everything up to end of file.
fn read_to_end(fd: i32) -> Result<Vec<u8>, Errno> {
    let mut data = Vec::new();
    let mut buf = [0u8; 3000];
    loop {
        match fs::read(fd, &mut buf)? {
            0 => return Ok(data),
            count => data.extend_from_slice(&buf[..count]),
        }
    }
}

/// A non-blocking pipe a child reports its progress on, one byte per step.
fn status_pipe() -> (i32, i32) {
    check_ok!(fs::pipe2(O_NONBLOCK), "status pipe")
}

/// Reads one byte from the non-blocking `fd`, polling for up to [`PATIENCE_MS`].
fn await_byte(fd: i32, what: &str) -> u8 {
    let mut set = [PollFd {
        fd,
        events: POLLIN,
        revents: 0,
    }];
    check_eq!(
        poll(&mut set, Some(PATIENCE_MS)),
        Ok(1),
        "waiting for {what}"
    );
    let mut byte = [0u8];
    check_eq!(fs::read(fd, &mut byte), Ok(1), "reading {what}");
    byte[0]
}

/// Checks that the child reporting on `status` has not got past its current step.
fn expect_still_blocked(status: i32, what: &str) {
    let _ = ulib::sleep_ms(SETTLE_MS);
    let mut byte = [0u8];
    check_eq!(fs::read(status, &mut byte), Err(Errno::EAGAIN), "{what}");
}

fn check_mkfifo(dir: &str) {
    let path = make_fifo(dir, "basic");
    let stat = check_ok!(fs::stat(&path), "stat {path}");
    check_eq!(stat.st_mode & S_IFMT, S_IFIFO, "stat says a FIFO");
    check_eq!(stat.st_mode & 0o777, 0o600, "the FIFO's permissions");
    check_eq!(stat.st_size, 0, "a new FIFO's size");
    check_eq!(
        ipc::mkfifo(&path, 0o600),
        Err(Errno::EEXIST),
        "mkfifo of an existing name"
    );
    let regular = format!("{dir}/regular");
    check_ok!(fs::write_file(&regular, b"x", 0o644), "create {regular}");
    check_eq!(
        ipc::mkfifo(&regular, 0o600),
        Err(Errno::EEXIST),
        "mkfifo over a regular file"
    );
    check_eq!(
        ipc::mkfifo(&format!("{dir}/missing/fifo"), 0o600),
        Err(Errno::ENOENT),
        "mkfifo in a missing directory"
    );
    check_ok!(fs::unlink(&path), "unlink {path}");
    check_ok!(fs::unlink(&regular), "unlink {regular}");
}

fn check_nonblocking_opens(dir: &str) {
    let path = make_fifo(dir, "nonblocking");
    check_eq!(
        fs::open(&path, O_WRONLY | O_NONBLOCK, 0),
        Err(Errno::ENXIO),
        "a non-blocking open for writing with no reader"
    );
    let r = open(&path, O_RDONLY | O_NONBLOCK);
    let mut buf = [0u8; 16];
    check_eq!(
        fs::read(r, &mut buf),
        Ok(0),
        "a read with no writer ever is end of file"
    );
    let w = open(&path, O_WRONLY | O_NONBLOCK);
    check_eq!(
        fs::read(r, &mut buf),
        Err(Errno::EAGAIN),
        "an empty FIFO with a writer"
    );
    write(w, b"abc");
    check_eq!(fs::read(r, &mut buf), Ok(3), "the bytes written");
    check_eq!(&buf[..3], b"abc", "the bytes through the FIFO");

    let second = open(&path, O_WRONLY);
    write(second, b"de");
    close(w);
    check_eq!(fs::read(r, &mut buf), Ok(2), "bytes of the second writer");
    check_eq!(
        fs::read(r, &mut buf),
        Err(Errno::EAGAIN),
        "no end of file while a writer is left"
    );
    close(second);
    check_eq!(
        fs::read(r, &mut buf),
        Ok(0),
        "end of file after the last writer closed"
    );
    close(r);
    check_eq!(
        fs::open(&path, O_WRONLY | O_NONBLOCK, 0),
        Err(Errno::ENXIO),
        "a non-blocking open for writing after the last reader closed"
    );
    check_ok!(fs::unlink(&path), "unlink {path}");
}

fn check_reader_waits_for_writer(dir: &str) {
    let path = make_fifo(dir, "reader_first");
    let (status_r, status_w) = status_pipe();
    let child = spawn(|| {
        let _ = fs::write(status_w, b"a");
        let Ok(fd) = fs::open(&path, O_RDONLY, 0) else {
            return 2;
        };
        let _ = fs::write(status_w, b"b");
        match read_to_end(fd) {
            Ok(data) if data == b"hello through a FIFO" => 0,
            _ => 3,
        }
    });
    close(status_w);
    check_eq!(await_byte(status_r, "the reader's start"), b'a', "start");
    expect_still_blocked(status_r, "the reader waits in open until a writer opens");
    let w = open(&path, O_WRONLY);
    check_eq!(
        await_byte(status_r, "the reader's open"),
        b'b',
        "opening for writing let the reader's open return"
    );
    write(w, b"hello through a FIFO");
    close(w);
    expect_exit(
        child,
        "the reader got the bytes and then end of file (exit 2: open failed, 3: wrong data)",
    );
    close(status_r);
    check_ok!(fs::unlink(&path), "unlink {path}");
}

fn check_writer_waits_for_reader(dir: &str) {
    const TOTAL: usize = 200 * 1024;
    let path = make_fifo(dir, "writer_first");
    let (status_r, status_w) = status_pipe();
    let child = spawn(|| {
        let _ = fs::write(status_w, b"a");
        let Ok(fd) = fs::open(&path, O_WRONLY, 0) else {
            return 2;
        };
        let _ = fs::write(status_w, b"b");
        let data: Vec<u8> = (0..TOTAL).map(byte_pattern).collect();
        for piece in data.chunks(5000) {
            if fs::write(fd, piece) != Ok(piece.len()) {
                return 3;
            }
        }
        0
    });
    close(status_w);
    check_eq!(await_byte(status_r, "the writer's start"), b'a', "start");
    expect_still_blocked(status_r, "the writer waits in open until a reader opens");
    let r = open(&path, O_RDONLY);
    let data = check_ok!(read_to_end(r), "read what the writer sent");
    check_eq!(data.len(), TOTAL, "bytes from the writer");
    check!(
        data.iter()
            .enumerate()
            .all(|(pos, &b)| b == byte_pattern(pos)),
        "the 200 KiB arrived in order"
    );
    check_eq!(
        await_byte(status_r, "the writer's open"),
        b'b',
        "the writer's open returned"
    );
    expect_exit(child, "the writer (exit 2: open failed, 3: short write)");
    close(r);
    close(status_r);
    check_ok!(fs::unlink(&path), "unlink {path}");
}

fn check_unrelated_processes(dir: &str) {
    const LINES: usize = 50;
    let path = make_fifo(dir, "rendezvous");
    let expected: String = (0..LINES).map(|line| format!("line {line}\n")).collect();
    // Neither child inherits a descriptor of the FIFO: the test opens none.
    let reader = spawn(|| {
        let Ok(fd) = fs::open(&path, O_RDONLY, 0) else {
            return 2;
        };
        match read_to_end(fd) {
            Ok(data) if data == expected.as_bytes() => 0,
            _ => 3,
        }
    });
    let writer = spawn(|| {
        let Ok(fd) = fs::open(&path, O_WRONLY, 0) else {
            return 2;
        };
        for line in 0..LINES {
            if fs::write_all(fd, format!("line {line}\n").as_bytes()).is_err() {
                return 3;
            }
        }
        0
    });
    expect_exit(writer, "the writer (exit 2: open failed, 3: write failed)");
    expect_exit(
        reader,
        "the reader got every line, then end of file (exit 2: open failed, 3: wrong data)",
    );
    check_ok!(fs::unlink(&path), "unlink {path}");
}

fn check_no_reader(dir: &str) {
    let path = make_fifo(dir, "no_reader");
    let r = open(&path, O_RDONLY | O_NONBLOCK);
    let w = open(&path, O_WRONLY | O_NONBLOCK);
    close(r);
    let child = spawn(|| {
        let _ = fs::write(w, b"nobody reads this");
        1
    });
    check_eq!(
        ulib::waitpid(child).map(WaitStatus::decode),
        Ok(Some(WaitStatus::Signaled {
            sig: SIGPIPE,
            core: false
        })),
        "a write with no reader is killed by SIGPIPE"
    );
    check_ok!(signal::ignore(SIGPIPE), "ignore SIGPIPE");
    check_eq!(
        fs::write(w, b"nobody reads this"),
        Err(Errno::EPIPE),
        "a write with no reader and SIGPIPE ignored"
    );
    check_ok!(signal::set_default(SIGPIPE), "restore SIGPIPE");
    close(w);
    check_ok!(fs::unlink(&path), "unlink {path}");
}

fn check_unlink_while_open(dir: &str) {
    let path = make_fifo(dir, "unlinked");
    let r = open(&path, O_RDONLY | O_NONBLOCK);
    let w = open(&path, O_WRONLY);
    check_ok!(fs::unlink(&path), "unlink {path} while open");
    check_eq!(
        fs::stat(&path).map(|_| ()),
        Err(Errno::ENOENT),
        "the name is gone"
    );
    check_eq!(
        fs::open(&path, O_RDONLY | O_NONBLOCK, 0),
        Err(Errno::ENOENT),
        "opening the unlinked name"
    );
    let stat = check_ok!(fs::fstat(r), "fstat of the open read end");
    check_eq!(
        stat.st_mode & S_IFMT,
        S_IFIFO,
        "the open end is still a FIFO"
    );
    write(w, b"still here");
    let mut buf = [0u8; 16];
    check_eq!(fs::read(r, &mut buf), Ok(10), "read after unlink");
    check_eq!(&buf[..10], b"still here", "the bytes after unlink");
    close(w);
    check_eq!(fs::read(r, &mut buf), Ok(0), "end of file after unlink");
    close(r);
}

fn check_poll(dir: &str) {
    let path = make_fifo(dir, "polled");
    let r = open(&path, O_RDONLY | O_NONBLOCK);
    let w = open(&path, O_WRONLY);
    let mut set = [PollFd {
        fd: r,
        events: POLLIN,
        revents: 0,
    }];
    check_eq!(
        poll(&mut set, Some(0)),
        Ok(0),
        "an empty FIFO with a writer"
    );
    write(w, b"x");
    check_eq!(poll(&mut set, Some(0)), Ok(1), "a FIFO holding a byte");
    check_eq!(set[0].revents, POLLIN, "POLLIN after a write");
    let mut buf = [0u8; 8];
    check_eq!(fs::read(r, &mut buf), Ok(1), "read the byte");

    let child = spawn(|| {
        let Ok(fd) = fs::open(&path, O_WRONLY, 0) else {
            return 2;
        };
        let _ = ulib::sleep_ms(SETTLE_MS);
        match fs::write(fd, b"late") {
            Ok(4) => 0,
            _ => 3,
        }
    });
    check_eq!(
        poll(&mut set, Some(PATIENCE_MS)),
        Ok(1),
        "a poller woken by another process's write"
    );
    check_eq!(set[0].revents, POLLIN, "POLLIN from the child's write");
    expect_exit(
        child,
        "the child writer (exit 2: open failed, 3: write failed)",
    );
    check_eq!(fs::read(r, &mut buf), Ok(4), "the child's bytes");
    check_eq!(&buf[..4], b"late", "the child's bytes");
    close(w);
    check_eq!(poll(&mut set, Some(0)), Ok(1), "the last writer closed");
    check_eq!(set[0].revents, POLLHUP, "POLLHUP with no writer left");
    close(r);
    check_ok!(fs::unlink(&path), "unlink {path}");
}
