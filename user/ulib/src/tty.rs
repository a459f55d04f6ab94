//! The terminal and job control (concepts U3, I5): terminal modes ([`tcgetattr`],
//! [`tcsetattr`], [`make_raw`]), the window size ([`window_size`]), the foreground process
//! group ([`tcgetpgrp`], [`tcsetpgrp`]), process groups and sessions ([`setpgid`],
//! [`getpgid`], [`setsid`], [`getsid`]), the controlling terminal ([`set_controlling`]),
//! and [`isatty`].
//!
//! Terminal calls go through `ioctl` with the kernel's `struct termios` (36 bytes,
//! [`abi::tty::Termios`]), not glibc's larger one.

use abi::Errno;
use abi::nr;
use abi::tty::{
    ECHO, ICANON, ICRNL, IEXTEN, ISIG, IXON, OPOST, TCGETS, TCSETS, TCSETSF, TCSETSW, TIOCGPGRP,
    TIOCGWINSZ, TIOCSCTTY, TIOCSPGRP, Termios, VMIN, VTIME, Winsize,
};

use crate::process::Pid;
use crate::syscall::{decode, syscall0, syscall1, syscall2, syscall3};

/// When [`tcsetattr`] applies the change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum When {
    /// At once (`TCSANOW`).
    Now,
    /// After pending output is written (`TCSADRAIN`).
    Drain,
    /// After pending output, discarding unread input (`TCSAFLUSH`).
    Flush,
}

/// `ioctl(fd, request, arg)` where `arg` points at a value of `T`.
fn ioctl_with<T>(fd: i32, request: u32, arg: *mut T) -> Result<usize, Errno> {
    // SAFETY: every caller passes a request whose argument is exactly a `T` (termios,
    // winsize or pid_t) at `arg`, which it borrows (exclusively when the kernel writes).
    decode(unsafe { syscall3(nr::IOCTL, fd as usize, request as usize, arg as usize) })
}

/// `TCGETS`: the terminal's modes. `ENOTTY` if `fd` is not a terminal.
pub fn tcgetattr(fd: i32) -> Result<Termios, Errno> {
    let mut modes = Termios::default();
    ioctl_with(fd, TCGETS, &mut modes)?;
    Ok(modes)
}

/// `TCSETS`/`TCSETSW`/`TCSETSF`: sets the terminal's modes.
pub fn tcsetattr(fd: i32, when: When, modes: &Termios) -> Result<(), Errno> {
    let request = match when {
        When::Now => TCSETS,
        When::Drain => TCSETSW,
        When::Flush => TCSETSF,
    };
    let mut copy = *modes;
    ioctl_with(fd, request, &mut copy).map(|_| ())
}

/// `modes` changed to raw mode as `cfmakeraw` does: no echo, no line editing, no signals
/// from keys, no output processing, reads return after one byte.
pub fn make_raw(mut modes: Termios) -> Termios {
    modes.c_iflag &= !(ICRNL | IXON);
    modes.c_oflag &= !OPOST;
    modes.c_lflag &= !(ECHO | ICANON | ISIG | IEXTEN);
    modes.c_cc[VMIN] = 1;
    modes.c_cc[VTIME] = 0;
    modes
}

/// Whether `fd` is a terminal.
pub fn isatty(fd: i32) -> bool {
    tcgetattr(fd).is_ok()
}

/// `TIOCGWINSZ`: the terminal's size in rows and columns.
pub fn window_size(fd: i32) -> Result<Winsize, Errno> {
    let mut size = Winsize::default();
    ioctl_with(fd, TIOCGWINSZ, &mut size)?;
    Ok(size)
}

/// `TIOCGPGRP`: the terminal's foreground process group.
pub fn tcgetpgrp(fd: i32) -> Result<Pid, Errno> {
    let mut pgrp: Pid = 0;
    ioctl_with(fd, TIOCGPGRP, &mut pgrp)?;
    Ok(pgrp)
}

/// `TIOCSPGRP`: makes `pgrp` (a group in the caller's session) the terminal's foreground
/// process group; a background caller gets `SIGTTOU` unless it ignores or blocks it.
pub fn tcsetpgrp(fd: i32, pgrp: Pid) -> Result<(), Errno> {
    let mut value = pgrp;
    ioctl_with(fd, TIOCSPGRP, &mut value).map(|_| ())
}

/// `setpgid(pid, pgid)`: moves process `pid` (0: the caller) into group `pgid` (0: a new
/// group named after `pid`).
pub fn setpgid(pid: Pid, pgid: Pid) -> Result<(), Errno> {
    // SAFETY: no pointers.
    decode(unsafe { syscall2(nr::SETPGID, pid as usize, pgid as usize) }).map(|_| ())
}

/// `getpgid(pid)`: the process group of `pid` (0: the caller).
pub fn getpgid(pid: Pid) -> Result<Pid, Errno> {
    // SAFETY: no pointers.
    decode(unsafe { syscall1(nr::GETPGID, pid as usize) }).map(|g| g as Pid)
}

/// `setsid()`: starts a new session (and group) led by the caller, without a controlling
/// terminal; returns its id. `EPERM` for a group leader.
pub fn setsid() -> Result<Pid, Errno> {
    // SAFETY: no pointers.
    decode(unsafe { syscall0(nr::SETSID) }).map(|s| s as Pid)
}

/// `getsid(pid)`: the session of `pid` (0: the caller).
pub fn getsid(pid: Pid) -> Result<Pid, Errno> {
    // SAFETY: no pointers.
    decode(unsafe { syscall1(nr::GETSID, pid as usize) }).map(|s| s as Pid)
}

/// `TIOCSCTTY`: makes the terminal `fd` the controlling terminal of the caller, which must
/// be a session leader without one (call [`setsid`] first); its group becomes the
/// terminal's foreground group. `EPERM` if the terminal belongs to another session.
pub fn set_controlling(fd: i32) -> Result<(), Errno> {
    // SAFETY: the argument of TIOCSCTTY is a number (0: do not take the terminal from
    // another session), not a pointer, so no memory is read or written.
    decode(unsafe { syscall3(nr::IOCTL, fd as usize, TIOCSCTTY as usize, 0) }).map(|_| ())
}

/// `TIOCSWINSZ`: records the terminal's size (the foreground group gets `SIGWINCH` when it
/// changes).
pub fn set_window_size(fd: i32, size: &Winsize) -> Result<(), Errno> {
    let mut copy = *size;
    ioctl_with(fd, abi::tty::TIOCSWINSZ, &mut copy).map(|_| ())
}
