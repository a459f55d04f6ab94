//! The terminal ABI of Linux riscv64: the tty `ioctl` requests, `struct winsize`, and the
//! kernel `struct termios` (asm-generic termbits) with its flag bits and `c_cc` indices.
//!
//! Invariants:
//! - [`Termios`] is the 36-byte kernel struct that `TCGETS`/`TCSETS*` copy: four `u32` flag
//!   words, the line discipline byte and [`NCCS`] (19) control characters, with no speed
//!   fields (those belong to `termios2`/`TCGETS2`).
//! - Flag bits are the asm-generic values.

use crate::wire::abi_struct;

/// Read the terminal attributes into a [`Termios`].
pub const TCGETS: u32 = 0x5401;
/// Set the terminal attributes now.
pub const TCSETS: u32 = 0x5402;
/// Set the attributes after pending output drains.
pub const TCSETSW: u32 = 0x5403;
/// Set the attributes after output drains, discarding pending input.
pub const TCSETSF: u32 = 0x5404;
/// Send a break (`tcsendbreak`) or drain output (`tcdrain`, argument 1).
pub const TCSBRK: u32 = 0x5409;
/// Suspend or resume input or output (`tcflow`).
pub const TCXONC: u32 = 0x540A;
/// Discard pending input and/or output (`tcflush`).
pub const TCFLSH: u32 = 0x540B;
/// Make the terminal the caller's controlling terminal.
pub const TIOCSCTTY: u32 = 0x540E;
/// Read the foreground process group.
pub const TIOCGPGRP: u32 = 0x540F;
/// Set the foreground process group.
pub const TIOCSPGRP: u32 = 0x5410;
/// Bytes waiting in the output queue.
pub const TIOCOUTQ: u32 = 0x5411;
/// Read the window size into a [`Winsize`].
pub const TIOCGWINSZ: u32 = 0x5413;
/// Set the window size (sends SIGWINCH to the foreground group).
pub const TIOCSWINSZ: u32 = 0x5414;
/// Bytes waiting in the input queue.
pub const FIONREAD: u32 = 0x541B;
/// Set or clear non-blocking mode.
pub const FIONBIO: u32 = 0x5421;
/// Give up the controlling terminal.
pub const TIOCNOTTY: u32 = 0x5422;
/// Read the session id of the terminal.
pub const TIOCGSID: u32 = 0x5429;

abi_struct! {
    /// `struct winsize` of `TIOCGWINSZ`/`TIOCSWINSZ`.
    pub struct Winsize {
        /// Rows of characters.
        pub ws_row: u16,
        /// Columns of characters.
        pub ws_col: u16,
        /// Width in pixels (unused by Linux).
        pub ws_xpixel: u16,
        /// Height in pixels (unused by Linux).
        pub ws_ypixel: u16,
    }
}

/// Number of control characters in [`Termios::c_cc`].
pub const NCCS: usize = 19;

abi_struct! {
    /// The kernel `struct termios` of `TCGETS` and `TCSETS*`.
    pub struct Termios {
        /// Input modes (`ICRNL`, `IXON`, ...).
        pub c_iflag: u32,
        /// Output modes (`OPOST`, `ONLCR`, ...).
        pub c_oflag: u32,
        /// Control modes (`CS8`, `CREAD`, baud rate, ...).
        pub c_cflag: u32,
        /// Local modes (`ICANON`, `ECHO`, `ISIG`, ...).
        pub c_lflag: u32,
        /// Line discipline (0 is N_TTY).
        pub c_line: u8,
        /// Control characters, indexed by `V*`.
        pub c_cc: [u8; NCCS],
    }
}

/// `c_cc` index: interrupt character (sends SIGINT).
pub const VINTR: usize = 0;
/// `c_cc` index: quit character (sends SIGQUIT).
pub const VQUIT: usize = 1;
/// `c_cc` index: erase one character.
pub const VERASE: usize = 2;
/// `c_cc` index: erase the line.
pub const VKILL: usize = 3;
/// `c_cc` index: end of file.
pub const VEOF: usize = 4;
/// `c_cc` index: non-canonical read timeout, tenths of a second.
pub const VTIME: usize = 5;
/// `c_cc` index: non-canonical read minimum byte count.
pub const VMIN: usize = 6;
/// `c_cc` index: switch character (unused by Linux).
pub const VSWTC: usize = 7;
/// `c_cc` index: resume output.
pub const VSTART: usize = 8;
/// `c_cc` index: suspend output.
pub const VSTOP: usize = 9;
/// `c_cc` index: suspend character (sends SIGTSTP).
pub const VSUSP: usize = 10;
/// `c_cc` index: extra end-of-line character.
pub const VEOL: usize = 11;
/// `c_cc` index: reprint the line.
pub const VREPRINT: usize = 12;
/// `c_cc` index: toggle discarding output.
pub const VDISCARD: usize = 13;
/// `c_cc` index: erase a word.
pub const VWERASE: usize = 14;
/// `c_cc` index: take the next character literally.
pub const VLNEXT: usize = 15;
/// `c_cc` index: second extra end-of-line character.
pub const VEOL2: usize = 16;

/// `c_iflag`: ignore break conditions.
pub const IGNBRK: u32 = 0x001;
/// `c_iflag`: a break sends SIGINT.
pub const BRKINT: u32 = 0x002;
/// `c_iflag`: strip the eighth bit.
pub const ISTRIP: u32 = 0x020;
/// `c_iflag`: translate NL to CR on input.
pub const INLCR: u32 = 0x040;
/// `c_iflag`: ignore CR on input.
pub const IGNCR: u32 = 0x080;
/// `c_iflag`: translate CR to NL on input.
pub const ICRNL: u32 = 0x100;
/// `c_iflag`: XON/XOFF flow control on output.
pub const IXON: u32 = 0x400;
/// `c_iflag`: any character restarts stopped output.
pub const IXANY: u32 = 0x800;
/// `c_iflag`: XON/XOFF flow control on input.
pub const IXOFF: u32 = 0x1000;
/// `c_iflag`: ring the bell when the input queue is full.
pub const IMAXBEL: u32 = 0x2000;
/// `c_iflag`: input is UTF-8 (for character erase).
pub const IUTF8: u32 = 0x4000;

/// `c_oflag`: process output.
pub const OPOST: u32 = 0x01;
/// `c_oflag`: translate NL to CR-NL on output.
pub const ONLCR: u32 = 0x04;
/// `c_oflag`: translate CR to NL on output.
pub const OCRNL: u32 = 0x08;

/// `c_cflag`: baud-rate mask.
pub const CBAUD: u32 = 0x100f;
/// `c_cflag`: 38400 baud.
pub const B38400: u32 = 0x000f;
/// `c_cflag`: 115200 baud.
pub const B115200: u32 = 0x1002;
/// `c_cflag`: character-size mask.
pub const CSIZE: u32 = 0x30;
/// `c_cflag`: 8-bit characters.
pub const CS8: u32 = 0x30;
/// `c_cflag`: two stop bits.
pub const CSTOPB: u32 = 0x40;
/// `c_cflag`: enable the receiver.
pub const CREAD: u32 = 0x80;
/// `c_cflag`: generate and check parity.
pub const PARENB: u32 = 0x100;
/// `c_cflag`: hang up on last close.
pub const HUPCL: u32 = 0x400;
/// `c_cflag`: ignore modem control lines.
pub const CLOCAL: u32 = 0x800;

/// `c_lflag`: INTR, QUIT and SUSP send signals.
pub const ISIG: u32 = 0x00001;
/// `c_lflag`: canonical (line-by-line) input.
pub const ICANON: u32 = 0x00002;
/// `c_lflag`: echo input characters.
pub const ECHO: u32 = 0x00008;
/// `c_lflag`: ERASE and WERASE erase visibly.
pub const ECHOE: u32 = 0x00010;
/// `c_lflag`: KILL erases the line visibly.
pub const ECHOK: u32 = 0x00020;
/// `c_lflag`: echo NL even without `ECHO`.
pub const ECHONL: u32 = 0x00040;
/// `c_lflag`: don't flush queues on INTR, QUIT or SUSP.
pub const NOFLSH: u32 = 0x00080;
/// `c_lflag`: background writes send SIGTTOU.
pub const TOSTOP: u32 = 0x00100;
/// `c_lflag`: echo control characters as `^X`.
pub const ECHOCTL: u32 = 0x00200;
/// `c_lflag`: KILL erases each character of the line.
pub const ECHOKE: u32 = 0x00800;
/// `c_lflag`: extended input processing (WERASE, LNEXT, ...).
pub const IEXTEN: u32 = 0x08000;

impl Termios {
    /// The settings of a freshly opened Linux terminal (what `stty sane` restores): cooked
    /// input with echo and signals, NL to CR-NL output, 8-bit characters at 38400 baud.
    pub const fn linux_default() -> Termios {
        let mut c_cc = [0u8; NCCS];
        c_cc[VINTR] = 0x03; // ^C
        c_cc[VQUIT] = 0x1c; // ^\
        c_cc[VERASE] = 0x7f; // DEL
        c_cc[VKILL] = 0x15; // ^U
        c_cc[VEOF] = 0x04; // ^D
        c_cc[VMIN] = 1;
        c_cc[VSTART] = 0x11; // ^Q
        c_cc[VSTOP] = 0x13; // ^S
        c_cc[VSUSP] = 0x1a; // ^Z
        c_cc[VREPRINT] = 0x12; // ^R
        c_cc[VDISCARD] = 0x0f; // ^O
        c_cc[VWERASE] = 0x17; // ^W
        c_cc[VLNEXT] = 0x16; // ^V
        Termios {
            c_iflag: ICRNL | IXON,
            c_oflag: OPOST | ONLCR,
            c_cflag: B38400 | CS8 | CREAD | HUPCL,
            c_lflag: ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN,
            c_line: 0,
            c_cc,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::{offset_of, size_of};

    #[test]
    fn termios_layout_matches_kernel() {
        assert_eq!((size_of::<Termios>(), Termios::SIZE), (36, 36));
        assert_eq!(offset_of!(Termios, c_oflag), 4);
        assert_eq!(offset_of!(Termios, c_cflag), 8);
        assert_eq!(offset_of!(Termios, c_lflag), 12);
        assert_eq!(offset_of!(Termios, c_line), 16);
        assert_eq!(offset_of!(Termios, c_cc), 17);
    }

    #[test]
    fn termios_round_trip() {
        let settings = Termios::linux_default();
        let image = settings.to_bytes();
        assert_eq!(image[0..4], 0x0500u32.to_le_bytes());
        assert_eq!(image[17 + VINTR], 0x03);
        assert_eq!(image[17 + VEOF], 0x04);
        assert_eq!(Termios::from_bytes(&image), settings);
    }

    #[test]
    fn linux_default_flag_words() {
        let settings = Termios::linux_default();
        assert_eq!(settings.c_oflag, 0o5);
        assert_eq!(settings.c_cflag, 0o2277);
        assert_eq!(settings.c_lflag, 0o105073);
    }

    #[test]
    fn winsize_layout_and_round_trip() {
        assert_eq!((size_of::<Winsize>(), Winsize::SIZE), (8, 8));
        assert_eq!(offset_of!(Winsize, ws_col), 2);
        assert_eq!(offset_of!(Winsize, ws_ypixel), 6);
        let size = Winsize {
            ws_row: 24,
            ws_col: 80,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        let image = size.to_bytes();
        assert_eq!(image, [24, 0, 80, 0, 0, 0, 0, 0]);
        assert_eq!(Winsize::from_bytes(&image), size);
    }
}
