//! Test `t_eventfd` (expects `exit=0`): `eventfd2` counters (concepts I7, F6).
//!
//! - Writes add to the counter; a read returns the whole count and resets it; with
//!   `EFD_SEMAPHORE` each read returns 1 and decrements it.
//! - An empty counter reads `EAGAIN` with `O_NONBLOCK`; a counter that would pass
//!   `u64::MAX - 1` refuses a write with `EAGAIN`.
//! - A blocked reader is woken by another process's write; `ppoll` sees `POLLIN` only
//!   while the count is non-zero, and a poller is woken by a write.
//! - Bad arguments: a buffer under 8 bytes is `EINVAL`, writing `u64::MAX` is `EINVAL`,
//!   unknown flags are `EINVAL`.

#![no_std]
#![no_main]

use ulib::abi::fs::{O_NONBLOCK, POLLIN, POLLOUT, PollFd};
use ulib::poll::{EFD_SEMAPHORE, eventfd, poll};
use ulib::{Errno, check_eq, fs};

ulib::entry!(main);

fn read_count(fd: i32) -> Result<u64, Errno> {
    let mut buf = [0u8; 8];
    fs::read(fd, &mut buf).map(|_| u64::from_le_bytes(buf))
}

fn add(fd: i32, value: u64) -> Result<usize, Errno> {
    fs::write(fd, &value.to_le_bytes())
}

fn main() -> i32 {
    let fd = eventfd(3, O_NONBLOCK).unwrap_or_else(|e| ulib::fail!("eventfd: {e}"));
    check_eq!(add(fd, 4), Ok(8), "write adds");
    check_eq!(
        read_count(fd),
        Ok(7),
        "read returns the sum of the initial value and writes"
    );
    check_eq!(read_count(fd), Err(Errno::EAGAIN), "and resets it");
    check_eq!(add(fd, u64::MAX - 1), Ok(8), "up to the maximum");
    check_eq!(
        add(fd, 1),
        Err(Errno::EAGAIN),
        "a write that would overflow waits"
    );
    check_eq!(
        add(fd, u64::MAX),
        Err(Errno::EINVAL),
        "u64::MAX is not a value"
    );
    let mut short = [0u8; 4];
    check_eq!(fs::read(fd, &mut short), Err(Errno::EINVAL), "short buffer");
    check_eq!(fs::write(fd, &[1, 2, 3]), Err(Errno::EINVAL), "short write");
    check_eq!(read_count(fd), Ok(u64::MAX - 1), "the maximum reads back");
    check_eq!(fs::close(fd), Ok(()), "close");

    let sem =
        eventfd(2, EFD_SEMAPHORE | O_NONBLOCK).unwrap_or_else(|e| ulib::fail!("eventfd: {e}"));
    check_eq!(read_count(sem), Ok(1), "semaphore: one at a time");
    check_eq!(read_count(sem), Ok(1), "semaphore: second");
    check_eq!(read_count(sem), Err(Errno::EAGAIN), "semaphore: empty");
    check_eq!(fs::close(sem), Ok(()), "close");
    check_eq!(eventfd(0, 0x40), Err(Errno::EINVAL), "unknown flags");

    // Blocking: a reader sleeps until a child writes.
    let fd = eventfd(0, 0).unwrap_or_else(|e| ulib::fail!("eventfd: {e}"));
    let child = ulib::spawn(move || {
        let _ = ulib::sys::sleep_ms(30);
        match add(fd, 5) {
            Ok(8) => 0,
            _ => 1,
        }
    })
    .unwrap_or_else(|e| ulib::fail!("fork: {e}"));
    check_eq!(read_count(fd), Ok(5), "woken by the child's write");
    check_eq!(ulib::waitpid(child), Ok(0), "the writer");

    // Polling.
    let mut set = [PollFd {
        fd,
        events: POLLIN | POLLOUT,
        revents: 0,
    }];
    check_eq!(poll(&mut set, Some(0)), Ok(1), "writable only");
    check_eq!(set[0].revents, POLLOUT, "no POLLIN while the count is 0");
    set[0].events = POLLIN;
    let child = ulib::spawn(move || {
        let _ = ulib::sys::sleep_ms(30);
        match add(fd, 1) {
            Ok(8) => 0,
            _ => 1,
        }
    })
    .unwrap_or_else(|e| ulib::fail!("fork: {e}"));
    check_eq!(
        poll(&mut set, Some(10_000)),
        Ok(1),
        "a poller is woken by the write"
    );
    check_eq!(set[0].revents, POLLIN, "readable");
    check_eq!(ulib::waitpid(child), Ok(0), "the writer");
    check_eq!(fs::close(fd), Ok(()), "close");
    ulib::println!("t_eventfd: ok");
    0
}
