//! Formatted output to file descriptors: [`print!`](crate::print),
//! [`println!`](crate::println) (fd 1) and [`eprint!`](crate::eprint),
//! [`eprintln!`](crate::eprintln) (fd 2).
//!
//! Each macro call formats into a stack buffer of [`LINE_BUFFER`] bytes and writes it with
//! one `write`, so a line shorter than that reaches the console whole even when several
//! programs print at once. Longer output is written in buffer-sized pieces. Output never
//! allocates, so it works inside the panic handler and the allocator's failure path.
//! Write errors are ignored, as there is nowhere to report them.

use core::fmt;

use crate::sys;

/// Standard input.
pub const STDIN: i32 = 0;
/// Standard output.
pub const STDOUT: i32 = 1;
/// Standard error.
pub const STDERR: i32 = 2;

/// Bytes one macro call gathers before writing.
pub const LINE_BUFFER: usize = 512;

/// Writes all of `bytes` to `fd`, retrying after short writes.
pub fn write_all(fd: i32, mut bytes: &[u8]) -> Result<(), abi::Errno> {
    while !bytes.is_empty() {
        match sys::write(fd, bytes)? {
            0 => return Err(abi::Errno::EIO),
            written => bytes = &bytes[written.min(bytes.len())..],
        }
    }
    Ok(())
}

/// A [`fmt::Write`] sink that gathers text and writes it to a descriptor in as few `write`
/// calls as its buffer allows; [`flush`](BufferedFd::flush) writes the rest.
pub struct BufferedFd {
    fd: i32,
    buf: [u8; LINE_BUFFER],
    len: usize,
}

impl BufferedFd {
    /// An empty buffer for `fd`.
    pub const fn new(fd: i32) -> BufferedFd {
        BufferedFd {
            fd,
            buf: [0; LINE_BUFFER],
            len: 0,
        }
    }

    /// Writes out everything gathered so far.
    pub fn flush(&mut self) {
        // Errors are dropped: see the module comment.
        let _ = write_all(self.fd, &self.buf[..self.len]);
        self.len = 0;
    }
}

impl fmt::Write for BufferedFd {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let mut bytes = text.as_bytes();
        while !bytes.is_empty() {
            if self.len == LINE_BUFFER {
                self.flush();
            }
            let take = bytes.len().min(LINE_BUFFER - self.len);
            self.buf[self.len..self.len + take].copy_from_slice(&bytes[..take]);
            self.len += take;
            bytes = &bytes[take..];
        }
        Ok(())
    }
}

/// Formats `args` and writes the text to `fd`; the macros of this module expand to this.
pub fn print_to(fd: i32, args: fmt::Arguments<'_>) {
    let mut out = BufferedFd::new(fd);
    // `BufferedFd` never fails; an error here can only come from a `Display` impl, and the
    // text formatted before it is still written.
    let _ = fmt::Write::write_fmt(&mut out, args);
    out.flush();
}

/// Prints to standard output.
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => {
        $crate::io::print_to($crate::io::STDOUT, format_args!($($arg)*))
    };
}

/// Prints to standard output, followed by a newline, in one `write`.
#[macro_export]
macro_rules! println {
    () => {
        $crate::io::print_to($crate::io::STDOUT, format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::io::print_to($crate::io::STDOUT, format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// Prints to standard error.
#[macro_export]
macro_rules! eprint {
    ($($arg:tt)*) => {
        $crate::io::print_to($crate::io::STDERR, format_args!($($arg)*))
    };
}

/// Prints to standard error, followed by a newline, in one `write`.
#[macro_export]
macro_rules! eprintln {
    () => {
        $crate::io::print_to($crate::io::STDERR, format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::io::print_to($crate::io::STDERR, format_args!("{}\n", format_args!($($arg)*)))
    };
}
