//! `ioctl` (concept U3): terminal requests on the console — modes (`TCGETS`/`TCSETS*`),
//! window size, foreground process group, controlling terminal — and `FIONBIO` on any
//! descriptor. Anything else is `ENOTTY`, as on Linux.

use crate::console::{self, TtyAnswer, TtyRequest};
use crate::mm::user::UserPtr;
use crate::proc::{Process, UserState};
use abi::errno::Errno;
use abi::fs::O_NONBLOCK;
use abi::tty::*;
use alloc::sync::Arc;

/// `ioctl(fd, request, arg)`.
pub fn ioctl(
    me: &Arc<Process>,
    user: &mut UserState,
    fd: usize,
    request: usize,
    arg: usize,
) -> Result<usize, Errno> {
    let file = me.files().lock().get(fd)?;
    let request = request as u32;
    if request == FIONBIO {
        let on = UserPtr::<i32>::new(arg).read(&mut user.space)? != 0;
        let flags = file.flags();
        file.set_flags(if on {
            flags | O_NONBLOCK
        } else {
            flags & !O_NONBLOCK
        });
        return Ok(0);
    }
    if !file.inode().is_some_and(|inode| inode.is_terminal()) {
        return Err(Errno::ENOTTY);
    }
    let space = &mut user.space;
    let call = match request {
        TCGETS => TtyRequest::GetModes,
        TCSETS | TCSETSW | TCSETSF => TtyRequest::SetModes {
            modes: UserPtr::<Termios>::new(arg).read(space)?,
            flush: request == TCSETSF,
        },
        TIOCGWINSZ => TtyRequest::GetSize,
        TIOCSWINSZ => TtyRequest::SetSize(UserPtr::<Winsize>::new(arg).read(space)?),
        TIOCGPGRP => TtyRequest::GetForeground,
        TIOCSPGRP => TtyRequest::SetForeground(UserPtr::<i32>::new(arg).read(space)? as usize),
        TIOCSCTTY => TtyRequest::MakeControlling { steal: arg == 1 },
        TIOCNOTTY => TtyRequest::GiveUpControlling,
        TIOCGSID => TtyRequest::GetSession,
        FIONREAD => TtyRequest::Available,
        TCFLSH => TtyRequest::Flush(arg),
        // Output is written synchronously: draining, breaks and flow control have nothing
        // to wait for.
        TCSBRK | TCXONC => return Ok(0),
        _ => return Err(Errno::ENOTTY),
    };
    // Check destinations before acting, so a bad pointer changes nothing.
    let out_size = match request {
        TCGETS => Termios::SIZE,
        TIOCGWINSZ => Winsize::SIZE,
        TIOCGPGRP | TIOCGSID | FIONREAD => 4,
        _ => 0,
    };
    if out_size > 0 {
        space.check_access(arg, out_size, hal::trap::Access::Write)?;
    }
    match console::tty_request(me, call)? {
        TtyAnswer::Done => {}
        TtyAnswer::Modes(modes) => UserPtr::<Termios>::new(arg).write(space, &modes)?,
        TtyAnswer::Size(size) => UserPtr::<Winsize>::new(arg).write(space, &size)?,
        TtyAnswer::Id(id) => UserPtr::<i32>::new(arg).write(space, &(id as i32))?,
        TtyAnswer::Count(count) => UserPtr::<i32>::new(arg).write(space, &(count as i32))?,
    }
    Ok(0)
}
