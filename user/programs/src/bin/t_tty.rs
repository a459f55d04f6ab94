//! Test `t_tty` (expects `exit=0`): terminal `ioctl`s on the console (concept U3).
//!
//! - `TCGETS` reads the console's modes: canonical input with echo and signal keys
//!   (`ICANON | ECHO | ISIG`), ^C as the interrupt key and ^D as end-of-file; `TCSETS`
//!   changes them (echo off, raw mode) and they read back changed; the original modes are
//!   restored.
//! - `TIOCGWINSZ` gives a size with rows and columns; `TIOCSWINSZ` sets one that reads back.
//! - Without a controlling terminal `TIOCGPGRP` is `ENOTTY`; a child that starts a session
//!   (`setsid`) and takes the console (`TIOCSCTTY`) sees its own group as the foreground
//!   group, and can move the foreground to another group of its session (`TIOCSPGRP`),
//!   but not to a group outside it (`EPERM`) or to a negative one (`EINVAL`).
//! - Terminal requests on a pipe or a file are `ENOTTY`; `FIONBIO` works on any descriptor
//!   (an empty pipe then reads `EAGAIN`); bad pointers are `EFAULT`; unknown requests are
//!   `ENOTTY`; a closed descriptor is `EBADF`.
//!
//! The terminal checks run only where fd 0 is a terminal (always on Lantern, where it is
//! the console); elsewhere only the descriptor checks run.

#![no_std]
#![no_main]

use ulib::abi::tty::{ECHO, ICANON, ISIG, TCGETS, TIOCGPGRP, TIOCGWINSZ, VEOF, VINTR, Winsize};
use ulib::abi::{fs::O_NONBLOCK, nr};
use ulib::tty::{self, When};
use ulib::{Errno, check, check_eq, fs, hazard};

ulib::entry!(main);

fn raw_ioctl(fd: usize, request: u32, arg: usize) -> Result<usize, Errno> {
    ulib::raw::ioctl(fd, request as usize, arg)
}

fn modes() {
    let original = tty::tcgetattr(0).unwrap_or_else(|e| ulib::fail!("TCGETS: {e}"));
    check!(
        original.c_lflag & (ICANON | ECHO | ISIG) == ICANON | ECHO | ISIG,
        "the console starts cooked, echoing, with signal keys"
    );
    check_eq!(original.c_cc[VINTR], 0x03, "^C interrupts");
    check_eq!(original.c_cc[VEOF], 0x04, "^D is end-of-file");
    let mut quiet = original;
    quiet.c_lflag &= !ECHO;
    check_eq!(tty::tcsetattr(0, When::Now, &quiet), Ok(()), "echo off");
    check_eq!(
        tty::tcgetattr(0).map(|m| m.c_lflag & ECHO),
        Ok(0),
        "echo reads back off"
    );
    let raw = tty::make_raw(original);
    check_eq!(tty::tcsetattr(0, When::Drain, &raw), Ok(()), "raw mode");
    check_eq!(
        tty::tcgetattr(0).map(|m| m.c_lflag & (ICANON | ISIG)),
        Ok(0),
        "raw mode reads back"
    );
    check_eq!(tty::tcsetattr(0, When::Now, &original), Ok(()), "restore");
    check_eq!(tty::tcgetattr(0), Ok(original), "restored exactly");

    let size = tty::window_size(0).unwrap_or_else(|e| ulib::fail!("TIOCGWINSZ: {e}"));
    // A fresh pseudo-terminal elsewhere may say 0x0; Lantern's console says 24x80.
    check!(
        !ulib::on_lantern() || (size.ws_row > 0 && size.ws_col > 0),
        "a window size"
    );
    if ulib::on_lantern() {
        let wanted = Winsize {
            ws_row: 50,
            ws_col: 132,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        check_eq!(tty::set_window_size(0, &wanted), Ok(()), "TIOCSWINSZ");
        check_eq!(tty::window_size(0), Ok(wanted), "the size reads back");
        check_eq!(tty::set_window_size(0, &size), Ok(()), "size restored");
    }
    for bad in hazard::BAD_POINTERS {
        check_eq!(
            raw_ioctl(0, TCGETS, bad),
            Err(Errno::EFAULT),
            "TCGETS to {bad:#x}"
        );
        check_eq!(
            raw_ioctl(0, TIOCGWINSZ, bad),
            Err(Errno::EFAULT),
            "TIOCGWINSZ to {bad:#x}"
        );
    }
    // qemu-user answers unknown ioctls with ENOSYS; Linux (and Lantern) say ENOTTY.
    if ulib::on_lantern() {
        check_eq!(
            raw_ioctl(0, 0x54ff, 0),
            Err(Errno::ENOTTY),
            "unknown request"
        );
    }
}

fn job_control() {
    // The test runner gives no controlling terminal: a fresh session takes the console.
    let child = ulib::spawn(|| {
        if tty::setsid().is_err() {
            return 1;
        }
        if tty::tcgetpgrp(0) != Err(Errno::ENOTTY) {
            return 2;
        }
        if tty::set_controlling(0).is_err() {
            return 3;
        }
        let me = ulib::getpid().unwrap_or(-1);
        if tty::tcgetpgrp(0) != Ok(me) {
            return 4;
        }
        // A second group in this session: a child in its own group.
        let (r, w) = match fs::pipe() {
            Ok(p) => p,
            Err(_) => return 5,
        };
        let member = match ulib::spawn(move || {
            let mut byte = [0u8; 1];
            let _ = fs::read(r, &mut byte);
            0
        }) {
            Ok(pid) => pid,
            Err(_) => return 6,
        };
        if tty::setpgid(member, member).is_err() {
            return 7;
        }
        if tty::tcsetpgrp(0, member) != Ok(()) || tty::tcgetpgrp(0) != Ok(member) {
            return 8;
        }
        // Back to our group: we are in the background now, so SIGTTOU must be ignored.
        let _ = ulib::signal::ignore(ulib::abi::signal::SIGTTOU);
        if tty::tcsetpgrp(0, me) != Ok(()) || tty::tcgetpgrp(0) != Ok(me) {
            return 9;
        }
        if tty::tcsetpgrp(0, 1) != Err(Errno::EPERM) {
            return 10;
        }
        if tty::tcsetpgrp(0, -5) != Err(Errno::EINVAL) {
            return 11;
        }
        let _ = fs::write(w, b"x");
        let _ = ulib::waitpid(member);
        0
    })
    .unwrap_or_else(|e| ulib::fail!("fork: {e}"));
    check_eq!(
        ulib::waitpid(child),
        Ok(0),
        "the session leader's checks (status is the failing step << 8)"
    );
    check_eq!(
        tty::tcgetpgrp(0),
        Err(Errno::ENOTTY),
        "the runner still has no controlling terminal"
    );
}

fn not_terminals() {
    let (r, w) = fs::pipe().unwrap_or_else(|e| ulib::fail!("pipe: {e}"));
    check_eq!(
        tty::tcgetattr(r).err(),
        Some(Errno::ENOTTY),
        "TCGETS on a pipe"
    );
    check_eq!(
        raw_ioctl(r as usize, TIOCGPGRP, 0),
        Err(Errno::ENOTTY),
        "TIOCGPGRP on a pipe"
    );
    check!(!tty::isatty(w), "a pipe is not a terminal");
    let on: i32 = 1;
    check_eq!(
        raw_ioctl(
            r as usize,
            ulib::abi::tty::FIONBIO,
            &on as *const i32 as usize
        ),
        Ok(0),
        "FIONBIO on a pipe"
    );
    check!(
        fs::fcntl(r, ulib::abi::fs::F_GETFL, 0).is_ok_and(|f| f as u32 & O_NONBLOCK != 0),
        "O_NONBLOCK set"
    );
    let mut byte = [0u8; 1];
    check_eq!(
        fs::read(r, &mut byte),
        Err(Errno::EAGAIN),
        "non-blocking read of an empty pipe"
    );
    check_eq!(fs::close(r), Ok(()), "close");
    check_eq!(
        tty::tcgetattr(r).err(),
        Some(Errno::EBADF),
        "a closed descriptor"
    );
    check_eq!(fs::close(w), Ok(()), "close");
    let _ = nr::IOCTL;
}

fn main() -> i32 {
    not_terminals();
    if tty::isatty(0) {
        modes();
        if ulib::on_lantern() {
            job_control();
        }
    } else {
        ulib::println!("t_tty: fd 0 is not a terminal here; terminal checks skipped");
    }
    ulib::println!("t_tty: ok");
    0
}
