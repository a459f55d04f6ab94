//! The terminal line discipline (concept U3): what happens to each typed byte between the
//! serial port and a program's `read`.
//!
//! In canonical mode (`ICANON`) input is collected into a line the user can edit — erase
//! (DEL or ^H), kill the line (^U), erase a word (^W) — and a `read` sees it only once it
//! is complete (Enter) or pushed with ^D; ^D on an empty line is end-of-file. With `ISIG`
//! the interrupt, quit and suspend keys (^C, ^\, ^Z) do not reach the program at all: they
//! become signals for the terminal's foreground process group, and pending input is
//! discarded. In raw mode (no `ICANON`) every byte is readable at once, as `top` or an
//! editor want. Echo (`ECHO`, `ECHOE`, `ECHOCTL`, ...) is computed here and written by the
//! caller, so this crate is pure and host-tested; the kernel console owns the device.
//!
//! Invariants:
//! - A canonical `read` returns bytes of at most one line, and a line is only readable once
//!   it ends with `\n`, EOL, or ^D; ^D itself is never returned.
//! - An empty completed line (from ^D at the start of a line) makes exactly one `read`
//!   return 0 (end-of-file), and later reads block again.
//! - The editing line never holds more than [`MAX_LINE`] bytes; extra bytes are dropped
//!   (with a bell when echoing), except the line terminators, which always fit.
//! - Switching from canonical to raw mode keeps pending input: it becomes raw bytes.

#![no_std]

extern crate alloc;

use abi::signal::{SIGINT, SIGQUIT, SIGTSTP};
use abi::tty::*;
use alloc::collections::VecDeque;
use alloc::vec::Vec;

/// Longest line canonical mode collects (Linux's `N_TTY_BUF_SIZE` is 4096).
pub const MAX_LINE: usize = 4095;
/// Most raw bytes kept unread; further input is dropped.
pub const MAX_RAW: usize = 4096;

/// What a [`LineDiscipline::read`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Read {
    /// This many bytes were copied.
    Data(usize),
    /// End-of-file: ^D on an empty line.
    Eof,
    /// Nothing readable yet.
    Empty,
}

/// The line discipline of one terminal: its settings and its input queues.
pub struct LineDiscipline {
    modes: Termios,
    /// The line being edited (canonical mode).
    editing: Vec<u8>,
    /// Completed lines not yet read; an empty line stands for end-of-file.
    lines: VecDeque<Vec<u8>>,
    /// Offset already consumed in the front line (a read may take part of a line).
    front_taken: usize,
    /// Raw-mode input.
    raw: VecDeque<u8>,
}

impl Default for LineDiscipline {
    fn default() -> Self {
        LineDiscipline::new()
    }
}

impl LineDiscipline {
    /// A terminal in Linux's default ("sane") mode.
    pub const fn new() -> LineDiscipline {
        LineDiscipline {
            modes: Termios::linux_default(),
            editing: Vec::new(),
            lines: VecDeque::new(),
            front_taken: 0,
            raw: VecDeque::new(),
        }
    }

    /// The current settings (`TCGETS`).
    pub fn modes(&self) -> Termios {
        self.modes
    }

    /// Changes the settings (`TCSETS`); `flush` discards unread input first (`TCSETSF`).
    pub fn set_modes(&mut self, modes: Termios, flush: bool) {
        if flush {
            self.flush_input();
        }
        let was_canonical = self.canonical();
        self.modes = modes;
        if was_canonical && !self.canonical() {
            // Pending lines and the partial line become raw input, in order.
            let mut bytes = Vec::new();
            while let Some(line) = self.lines.pop_front() {
                bytes.extend_from_slice(&line[self.front_taken.min(line.len())..]);
                self.front_taken = 0;
            }
            bytes.append(&mut self.editing);
            self.raw.extend(bytes);
        } else if !was_canonical && self.canonical() {
            let pending: Vec<u8> = self.raw.drain(..).collect();
            self.editing = pending;
            self.editing.truncate(MAX_LINE);
        }
    }

    /// Discards all unread input (`TCFLSH`, and what the signal keys do).
    pub fn flush_input(&mut self) {
        self.editing.clear();
        self.lines.clear();
        self.front_taken = 0;
        self.raw.clear();
    }

    fn canonical(&self) -> bool {
        self.modes.c_lflag & ICANON != 0
    }

    fn lflag(&self, bit: u32) -> bool {
        self.modes.c_lflag & bit != 0
    }

    fn is_char(&self, byte: u8, index: usize) -> bool {
        let key = self.modes.c_cc[index];
        key != 0 && key == byte
    }

    /// Whether a `read` would return at once (data or end-of-file).
    pub fn readable(&self) -> bool {
        if self.canonical() {
            !self.lines.is_empty()
        } else {
            !self.raw.is_empty()
        }
    }

    /// Bytes a `read` could return now (`FIONREAD`).
    pub fn available(&self) -> usize {
        if self.canonical() {
            self.lines.iter().map(Vec::len).sum::<usize>() - self.front_taken
        } else {
            self.raw.len()
        }
    }

    /// Takes one typed byte. Echo goes to `echo`; the return value is the signal to send to
    /// the foreground process group, if the byte was a signal key.
    pub fn input(&mut self, byte: u8, echo: &mut impl FnMut(&[u8])) -> Option<u32> {
        let mut byte = byte;
        let iflag = self.modes.c_iflag;
        if iflag & ISTRIP != 0 {
            byte &= 0x7f;
        }
        if byte == b'\r' {
            if iflag & IGNCR != 0 {
                return None;
            }
            if iflag & ICRNL != 0 {
                byte = b'\n';
            }
        } else if byte == b'\n' && iflag & INLCR != 0 {
            byte = b'\r';
        }
        if self.lflag(ISIG) {
            let signal = if self.is_char(byte, VINTR) {
                Some(SIGINT)
            } else if self.is_char(byte, VQUIT) {
                Some(SIGQUIT)
            } else if self.is_char(byte, VSUSP) {
                Some(SIGTSTP)
            } else {
                None
            };
            if let Some(signal) = signal {
                if !self.lflag(NOFLSH) {
                    self.flush_input();
                }
                if self.lflag(ECHO) {
                    // "^C" with no newline, as Linux: the shell starts the next line.
                    self.echo_char(byte, echo);
                }
                return Some(signal);
            }
        }
        if !self.canonical() {
            if self.raw.len() < MAX_RAW {
                self.raw.push_back(byte);
                if self.lflag(ECHO) {
                    self.echo_char(byte, echo);
                }
            }
            return None;
        }
        self.canonical_input(byte, echo);
        None
    }

    fn canonical_input(&mut self, byte: u8, echo: &mut impl FnMut(&[u8])) {
        let echoing = self.lflag(ECHO);
        if self.is_char(byte, VERASE) || byte == 0x08 {
            if let Some(erased) = self.editing.pop()
                && echoing
            {
                self.echo_erase(erased, echo);
            }
        } else if self.is_char(byte, VKILL) {
            let erased = core::mem::take(&mut self.editing);
            if echoing {
                if self.lflag(ECHOKE) {
                    for &old in erased.iter().rev() {
                        self.echo_erase(old, echo);
                    }
                } else {
                    self.echo_char(byte, echo);
                    if self.lflag(ECHOK) {
                        echo(b"\n");
                    }
                }
            }
        } else if self.lflag(IEXTEN) && self.is_char(byte, VWERASE) {
            while self.editing.last().is_some_and(|b| b.is_ascii_whitespace()) {
                let erased = self.editing.pop().unwrap_or(b' ');
                if echoing {
                    self.echo_erase(erased, echo);
                }
            }
            while self
                .editing
                .last()
                .is_some_and(|b| !b.is_ascii_whitespace())
            {
                let erased = self.editing.pop().unwrap_or(b' ');
                if echoing {
                    self.echo_erase(erased, echo);
                }
            }
        } else if self.is_char(byte, VEOF) {
            // Push the line as it is; on an empty line this is end-of-file.
            let line = core::mem::take(&mut self.editing);
            self.lines.push_back(line);
        } else if byte == b'\n' || self.is_char(byte, VEOL) || self.is_char(byte, VEOL2) {
            let mut line = core::mem::take(&mut self.editing);
            line.push(byte);
            self.lines.push_back(line);
            if echoing || (byte == b'\n' && self.lflag(ECHONL)) {
                echo(&[byte]);
            }
        } else if self.editing.len() < MAX_LINE {
            self.editing.push(byte);
            if echoing {
                self.echo_char(byte, echo);
            }
        } else if echoing {
            echo(b"\x07");
        }
    }

    /// Echoes a byte; with ECHOCTL a control character shows as `^X`.
    fn echo_char(&self, byte: u8, echo: &mut impl FnMut(&[u8])) {
        if self.lflag(ECHOCTL) && is_control(byte) {
            echo(&[b'^', byte ^ 0x40]);
        } else {
            echo(&[byte]);
        }
    }

    /// Rubs out the echo of `erased` (two columns for a `^X` control echo).
    fn echo_erase(&self, erased: u8, echo: &mut impl FnMut(&[u8])) {
        if !self.lflag(ECHOE) {
            self.echo_char(self.modes.c_cc[VERASE], echo);
            return;
        }
        let columns = if self.lflag(ECHOCTL) && is_control(erased) {
            2
        } else {
            1
        };
        for _ in 0..columns {
            echo(b"\x08 \x08");
        }
    }

    /// Copies readable input into `buf`: in canonical mode at most one line (the rest of it
    /// stays for the next read), in raw mode whatever is there.
    pub fn read(&mut self, buf: &mut [u8]) -> Read {
        if buf.is_empty() {
            return Read::Data(0);
        }
        if !self.canonical() {
            if self.raw.is_empty() {
                return Read::Empty;
            }
            let count = buf.len().min(self.raw.len());
            for (slot, byte) in buf.iter_mut().zip(self.raw.drain(..count)) {
                *slot = byte;
            }
            return Read::Data(count);
        }
        let Some(line) = self.lines.front() else {
            return Read::Empty;
        };
        if line.is_empty() {
            self.lines.pop_front();
            self.front_taken = 0;
            return Read::Eof;
        }
        let rest = &line[self.front_taken..];
        let count = buf.len().min(rest.len());
        buf[..count].copy_from_slice(&rest[..count]);
        self.front_taken += count;
        if self.front_taken == line.len() {
            self.lines.pop_front();
            self.front_taken = 0;
        }
        Read::Data(count)
    }

    /// Output processing: with `OPOST` and `ONLCR`, `\n` becomes `\r\n`. Calls `out` with
    /// runs of bytes to send.
    pub fn output(&self, bytes: &[u8], out: &mut impl FnMut(&[u8])) {
        let oflag = self.modes.c_oflag;
        if oflag & OPOST == 0 || oflag & ONLCR == 0 {
            out(bytes);
            return;
        }
        for piece in bytes.split_inclusive(|&b| b == b'\n') {
            match piece.split_last() {
                Some((b'\n', body)) => {
                    out(body);
                    out(b"\r\n");
                }
                _ => out(piece),
            }
        }
    }
}

fn is_control(byte: u8) -> bool {
    (byte < 0x20 && byte != b'\n' && byte != b'\t') || byte == 0x7f
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::string::String;
    use std::vec;

    fn feed(ld: &mut LineDiscipline, input: &[u8]) -> (String, Vec<u32>) {
        let mut echoed = Vec::new();
        let mut signals = Vec::new();
        for &byte in input {
            if let Some(sig) = ld.input(byte, &mut |bytes| echoed.extend_from_slice(bytes)) {
                signals.push(sig);
            }
        }
        (String::from_utf8_lossy(&echoed).into_owned(), signals)
    }

    fn read_all(ld: &mut LineDiscipline) -> Vec<Read> {
        let mut results = Vec::new();
        loop {
            let mut buf = [0u8; 64];
            let result = ld.read(&mut buf);
            if result == Read::Empty {
                return results;
            }
            results.push(result);
        }
    }

    fn read_string(ld: &mut LineDiscipline, size: usize) -> Option<String> {
        let mut buf = vec![0u8; size];
        match ld.read(&mut buf) {
            Read::Data(n) => Some(String::from_utf8_lossy(&buf[..n]).into_owned()),
            _ => None,
        }
    }

    #[test]
    fn a_line_is_readable_only_after_enter_and_is_echoed() {
        let mut ld = LineDiscipline::new();
        let (echo, _) = feed(&mut ld, b"ls -l");
        assert_eq!(echo, "ls -l");
        assert!(!ld.readable());
        let (echo, _) = feed(&mut ld, b"\r");
        assert_eq!(echo, "\n", "Enter (CR) is mapped to NL and echoed");
        assert_eq!(read_string(&mut ld, 64).as_deref(), Some("ls -l\n"));
        assert!(!ld.readable());
    }

    #[test]
    fn erase_and_kill_edit_the_line() {
        let mut ld = LineDiscipline::new();
        let (echo, _) = feed(&mut ld, b"ecgo\x7f\x7fho hi\n");
        assert_eq!(read_string(&mut ld, 64).as_deref(), Some("echo hi\n"));
        assert_eq!(echo, "ecgo\x08 \x08\x08 \x08ho hi\n");
        feed(&mut ld, b"garbage\x15pwd\n");
        assert_eq!(read_string(&mut ld, 64).as_deref(), Some("pwd\n"));
        feed(&mut ld, b"cat one two\x17three\n");
        assert_eq!(read_string(&mut ld, 64).as_deref(), Some("cat one three\n"));
        feed(&mut ld, b"\x7f\x7fx\n");
        assert_eq!(
            read_string(&mut ld, 64).as_deref(),
            Some("x\n"),
            "erase on empty line is harmless"
        );
    }

    #[test]
    fn ctrl_d_is_eof_on_an_empty_line_and_pushes_a_partial_one() {
        let mut ld = LineDiscipline::new();
        feed(&mut ld, b"abc\x04");
        assert_eq!(read_string(&mut ld, 64).as_deref(), Some("abc"));
        feed(&mut ld, b"\x04");
        assert_eq!(read_all(&mut ld), vec![Read::Eof]);
        assert!(!ld.readable(), "one EOF per ^D");
    }

    #[test]
    fn a_read_takes_at_most_one_line_and_partial_reads_continue() {
        let mut ld = LineDiscipline::new();
        feed(&mut ld, b"first\nsecond\n");
        assert_eq!(read_string(&mut ld, 3).as_deref(), Some("fir"));
        assert_eq!(read_string(&mut ld, 64).as_deref(), Some("st\n"));
        assert_eq!(ld.available(), 7);
        assert_eq!(read_string(&mut ld, 64).as_deref(), Some("second\n"));
    }

    #[test]
    fn signal_keys_send_signals_and_discard_input() {
        let mut ld = LineDiscipline::new();
        let (echo, signals) = feed(&mut ld, b"sleep 100\x03");
        assert_eq!(signals, vec![SIGINT]);
        assert!(echo.ends_with("^C"), "echoed as ^C: {echo:?}");
        assert!(!ld.readable());
        feed(&mut ld, b"\n");
        assert_eq!(
            read_string(&mut ld, 64).as_deref(),
            Some("\n"),
            "the typed text was discarded"
        );
        assert_eq!(feed(&mut ld, b"\x1a\x1c").1, vec![SIGTSTP, SIGQUIT]);
        let mut modes = ld.modes();
        modes.c_lflag &= !ISIG;
        ld.set_modes(modes, false);
        assert_eq!(
            feed(&mut ld, b"\x03\n").1,
            vec![],
            "without ISIG ^C is data"
        );
        assert_eq!(read_string(&mut ld, 64).as_deref(), Some("\x03\n"));
    }

    #[test]
    fn raw_mode_delivers_each_byte_without_echo_and_keeps_pending_input() {
        let mut ld = LineDiscipline::new();
        feed(&mut ld, b"ab\ncd");
        let raw = LineDiscipline::new().modes();
        let mut raw = raw;
        raw.c_lflag &= !(ICANON | ECHO | ISIG);
        raw.c_iflag &= !ICRNL;
        ld.set_modes(raw, false);
        assert_eq!(read_string(&mut ld, 64).as_deref(), Some("ab\ncd"));
        let (echo, signals) = feed(&mut ld, b"q\x03\r");
        assert_eq!((echo.as_str(), signals), ("", vec![]));
        assert_eq!(read_string(&mut ld, 1).as_deref(), Some("q"));
        assert_eq!(read_string(&mut ld, 64).as_deref(), Some("\x03\r"));
        ld.set_modes(raw, false);
        feed(&mut ld, b"zz");
        ld.set_modes(LineDiscipline::new().modes(), true);
        assert!(!ld.readable(), "TCSETSF discards input");
    }

    #[test]
    fn echo_off_hides_typing_but_lines_still_work() {
        let mut ld = LineDiscipline::new();
        let mut modes = ld.modes();
        modes.c_lflag &= !ECHO;
        ld.set_modes(modes, false);
        let (echo, _) = feed(&mut ld, b"secret\n");
        assert_eq!(echo, "");
        assert_eq!(read_string(&mut ld, 64).as_deref(), Some("secret\n"));
    }

    #[test]
    fn control_characters_echo_as_caret_and_erase_two_columns() {
        let mut ld = LineDiscipline::new();
        let (echo, _) = feed(&mut ld, b"a\x01\x7f");
        assert_eq!(echo, "a^A\x08 \x08\x08 \x08");
    }

    #[test]
    fn overlong_lines_are_cut_with_a_bell() {
        let mut ld = LineDiscipline::new();
        let long = vec![b'x'; MAX_LINE + 10];
        let (echo, _) = feed(&mut ld, &long);
        assert!(echo.ends_with('\x07'));
        feed(&mut ld, b"\n");
        let mut buf = vec![0u8; MAX_LINE + 100];
        assert_eq!(ld.read(&mut buf), Read::Data(MAX_LINE + 1));
    }

    #[test]
    fn output_maps_newlines_only_with_opost_onlcr() {
        let ld = LineDiscipline::new();
        let mut out = Vec::new();
        ld.output(b"a\nb\n\nc", &mut |bytes| out.extend_from_slice(bytes));
        assert_eq!(out, b"a\r\nb\r\n\r\nc");
        let mut raw = LineDiscipline::new();
        let mut modes = raw.modes();
        modes.c_oflag &= !OPOST;
        raw.set_modes(modes, false);
        let mut out = Vec::new();
        raw.output(b"a\nb", &mut |bytes| out.extend_from_slice(bytes));
        assert_eq!(out, b"a\nb");
    }
}
