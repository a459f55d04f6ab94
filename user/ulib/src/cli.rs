//! What the command-line tools of concept U4 (`ls`, `cat`, `grep`, `cp`, ...) share: their
//! arguments ([`Args`]), their messages and exit statuses ([`Tool`]), buffered output of
//! bytes and text ([`Output`]), an operand or standard input as a source of bytes
//! ([`Input`]), and the formatting of modes ([`mode_string`]), device numbers
//! ([`device_numbers`]), times ([`DateTime`]) and owners ([`Accounts`]).
//!
//! The conventions are those of GNU and busybox coreutils:
//! - Options may be combined (`-la`, `-rf`) and may follow operands (`ls dir -l`), unless a
//!   tool asks for the POSIX order, where the first operand ends them
//!   ([`Args::stop_at_operand`], for `env`); `--` ends them; `-` alone is an operand, which
//!   [`Input::open`] reads as standard input. `-N` with a digit after the dash is one
//!   [`Arg::Number`] (`head -5`).
//! - Errors go to standard error as `tool: subject: strerror text`
//!   (`ls: /nope: No such file or directory`). A tool exits with 0 on success and 1 if
//!   something failed; after a usage mistake or a failed write to standard output, with
//!   its [`Tool::trouble_status`] (1 unless the tool says otherwise; 2 for `grep`).
//!   `--help` prints the synopsis and exits with 0.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use abi::Errno;
use abi::fs::{
    O_CLOEXEC, O_RDONLY, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK,
    S_ISGID, S_ISUID, S_ISVTX,
};

use crate::io::{STDIN, STDOUT, write_all};
use crate::{env, eprintln, fs, println};

/// One command-line argument, as [`Args`] splits them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arg {
    /// A short option: `-x`, or one letter of a cluster such as `-xyz`.
    Flag(char),
    /// `-N` whose first character after the dash is a digit (`head -5`): the text after the
    /// dash.
    Number(&'static str),
    /// `--name` or `--name=value`: the text after the two dashes.
    Long(&'static str),
    /// An operand: anything else, `-` alone, and everything after `--`.
    Operand(&'static str),
}

/// The arguments of a tool, split into options and operands, in order.
pub struct Args {
    /// All the arguments, without the program name.
    list: Vec<&'static str>,
    /// Index of the next argument of `list`.
    next: usize,
    /// The letters of the current option cluster that are not yet returned.
    cluster: &'static str,
    /// Set by `--` (or, in POSIX order, by the first operand): the rest are operands.
    options_done: bool,
    /// Whether the first operand ends the options.
    posix_order: bool,
}

impl Args {
    /// The program's arguments after `argv[0]`.
    pub fn new() -> Args {
        Args {
            list: env::args().skip(1).collect(),
            next: 0,
            cluster: "",
            options_done: false,
            posix_order: false,
        }
    }

    /// Makes the first operand end the options, as POSIX says (for tools such as `env` that
    /// pass the arguments after it to a command).
    pub fn stop_at_operand(mut self) -> Args {
        self.posix_order = true;
        self
    }

    /// The value of the option just returned: the rest of its cluster (`-n5`), or else the
    /// next argument whatever it looks like (`-n 5`, `-e -x`); `None` if there is none.
    pub fn value(&mut self) -> Option<&'static str> {
        if !self.cluster.is_empty() {
            return Some(core::mem::take(&mut self.cluster));
        }
        let value = *self.list.get(self.next)?;
        self.next += 1;
        Some(value)
    }
}

impl Default for Args {
    fn default() -> Args {
        Args::new()
    }
}

impl Iterator for Args {
    type Item = Arg;

    fn next(&mut self) -> Option<Arg> {
        if let Some(letter) = self.cluster.chars().next() {
            self.cluster = &self.cluster[letter.len_utf8()..];
            return Some(Arg::Flag(letter));
        }
        let arg = *self.list.get(self.next)?;
        self.next += 1;
        if self.options_done || arg == "-" || !arg.starts_with('-') {
            self.options_done |= self.posix_order;
            return Some(Arg::Operand(arg));
        }
        if arg == "--" {
            self.options_done = true;
            return self.next();
        }
        if let Some(long) = arg.strip_prefix("--") {
            return Some(Arg::Long(long));
        }
        let body = &arg[1..];
        if body.starts_with(|c: char| c.is_ascii_digit()) {
            return Some(Arg::Number(body));
        }
        self.cluster = body;
        self.next()
    }
}

/// A tool's name and synopsis, for its messages.
pub struct Tool {
    /// The name messages start with (`ls`).
    pub name: &'static str,
    /// The synopsis, printed after `usage: ` (`ls [-1Aadil] [FILE]...`).
    pub usage: &'static str,
    /// The exit status after a usage mistake or a failed write of the output.
    pub trouble_status: i32,
}

impl Tool {
    /// The tool `name` with synopsis `usage`, whose trouble status is 1.
    pub const fn new(name: &'static str, usage: &'static str) -> Tool {
        Tool {
            name,
            usage,
            trouble_status: 1,
        }
    }

    /// The same tool with trouble status `status`.
    pub const fn with_trouble_status(self, status: i32) -> Tool {
        Tool {
            trouble_status: status,
            ..self
        }
    }

    /// Prints `name: subject: strerror text` to standard error.
    pub fn error(&self, subject: &str, error: Errno) {
        eprintln!("{}: {subject}: {}", self.name, error.description());
    }

    /// Prints `name: message` to standard error.
    pub fn complain(&self, message: fmt::Arguments<'_>) {
        eprintln!("{}: {message}", self.name);
    }

    /// Prints `name: message` and the synopsis to standard error; returns the trouble
    /// status.
    pub fn usage_error(&self, message: fmt::Arguments<'_>) -> i32 {
        eprintln!("{}: {message}\nusage: {}", self.name, self.usage);
        self.trouble_status
    }

    /// Answers an argument the tool does not take: for `--help`, prints the synopsis to
    /// standard output and returns 0; otherwise reports the mistake and returns the trouble
    /// status.
    pub fn unexpected(&self, arg: Arg) -> i32 {
        match arg {
            Arg::Long("help") => {
                println!("usage: {}", self.usage);
                0
            }
            Arg::Flag(letter) => self.usage_error(format_args!("invalid option -- '{letter}'")),
            Arg::Number(text) => self.usage_error(format_args!("invalid option -- '{text}'")),
            Arg::Long(name) => self.usage_error(format_args!("unrecognized option '--{name}'")),
            Arg::Operand(text) => self.usage_error(format_args!("extra operand '{text}'")),
        }
    }

    /// The value of option `-flag` ([`Args::value`]), or, if it has none, the trouble
    /// status after reporting that.
    pub fn value(&self, args: &mut Args, flag: char) -> Result<&'static str, i32> {
        args.value().ok_or_else(|| {
            self.usage_error(format_args!("option requires an argument -- '{flag}'"))
        })
    }

    /// Writes out what `out` still holds and returns `status`, or the trouble status after
    /// reporting a write error (a full disk, a closed pipe).
    pub fn finish(&self, out: &mut Output, status: i32) -> i32 {
        match out.flush() {
            Ok(()) => status,
            Err(error) => {
                self.error("write error", error);
                self.trouble_status
            }
        }
    }

    /// Where `tool SOURCE DEST` or `tool SOURCE... DIR` (`cp`, `mv`, `ln`) puts each source:
    /// `DEST` itself if there are two operands and `DEST` is not a directory, otherwise
    /// `DIR/<last component of SOURCE>`. A usage mistake (too few operands, several sources
    /// and no directory) is reported and its status returned.
    pub fn placements(
        &self,
        operands: &[&'static str],
    ) -> Result<Vec<(&'static str, String)>, i32> {
        let (sources, dest) = match operands {
            [] => return Err(self.usage_error(format_args!("missing file operand"))),
            [only] => {
                return Err(self.usage_error(format_args!(
                    "missing destination file operand after '{only}'"
                )));
            }
            [sources @ .., dest] => (sources, *dest),
        };
        if is_dir(dest) {
            return Ok(sources
                .iter()
                .map(|source| (*source, join(dest, base_name(source))))
                .collect());
        }
        match sources {
            [source] => Ok(alloc::vec![(*source, dest.to_string())]),
            _ => {
                self.complain(format_args!("target '{dest}' is not a directory"));
                Err(self.trouble_status)
            }
        }
    }
}

/// Bytes an [`Output`] gathers before it writes them.
pub const OUTPUT_BUFFER: usize = 16 * 1024;

/// Buffered output of bytes and text ([`fmt::Write`]) to a descriptor: one `write` per
/// [`OUTPUT_BUFFER`] bytes, or per [`flush`](Output::flush). After the first failed write it
/// drops everything and `flush` returns that error. Dropping it flushes what it holds.
/// (Unlike [`crate::io::BufferedFd`], the stack buffer of one `println!`, it takes bytes
/// that need not be text, holds a whole program's output and keeps the write error.)
pub struct Output {
    /// The descriptor written.
    fd: i32,
    /// Bytes gathered, not yet written.
    buf: Vec<u8>,
    /// The first write error.
    error: Option<Errno>,
}

impl Output {
    /// An empty buffer for `fd`.
    pub fn new(fd: i32) -> Output {
        Output {
            fd,
            buf: Vec::with_capacity(OUTPUT_BUFFER),
            error: None,
        }
    }

    /// An empty buffer for standard output.
    pub fn stdout() -> Output {
        Output::new(STDOUT)
    }

    /// Adds `data`; writes the buffer out first when `data` does not fit, and writes `data`
    /// straight through when it is at least a buffer long.
    pub fn bytes(&mut self, data: &[u8]) {
        if self.buf.len() + data.len() > OUTPUT_BUFFER {
            self.write_buffer();
        }
        if data.len() >= OUTPUT_BUFFER {
            self.write_through(data);
        } else {
            self.buf.extend_from_slice(data);
        }
    }

    /// Writes out everything gathered; the first write error so far, if any.
    pub fn flush(&mut self) -> Result<(), Errno> {
        self.write_buffer();
        self.error.map_or(Ok(()), Err)
    }

    /// Writes the buffer out and empties it.
    fn write_buffer(&mut self) {
        let pending = core::mem::take(&mut self.buf);
        self.write_through(&pending);
        self.buf = pending;
        self.buf.clear();
    }

    /// Writes `data` unless an earlier write failed.
    fn write_through(&mut self, data: &[u8]) {
        if self.error.is_none()
            && let Err(error) = write_all(self.fd, data)
        {
            self.error = Some(error);
        }
    }
}

impl fmt::Write for Output {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        self.bytes(text.as_bytes());
        Ok(())
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        // A tool that cares about the error called `Tool::finish` first.
        let _ = self.flush();
    }
}

/// Bytes an [`Input`] asks for per `read`.
pub const READ_CHUNK: usize = 64 * 1024;

/// An operand read as a stream of bytes: a file opened for reading, or standard input for
/// `-`. Closes the file when dropped (standard input stays open).
pub struct Input {
    /// The descriptor read.
    fd: i32,
    /// Whether `fd` was opened here, and so is closed on drop.
    owned: bool,
}

impl Input {
    /// Opens `operand`, or takes standard input for `-`.
    pub fn open(operand: &str) -> Result<Input, Errno> {
        if operand == "-" {
            return Ok(Input {
                fd: STDIN,
                owned: false,
            });
        }
        let fd = fs::open(operand, O_RDONLY | O_CLOEXEC, 0)?;
        Ok(Input { fd, owned: true })
    }

    /// The descriptor read.
    pub fn fd(&self) -> i32 {
        self.fd
    }

    /// Calls `each` with every piece `read` returns (at most [`READ_CHUNK`] bytes), until
    /// the end of the input or until `each` returns `false`.
    pub fn for_each_chunk(&mut self, mut each: impl FnMut(&[u8]) -> bool) -> Result<(), Errno> {
        let mut buf = alloc::vec![0u8; READ_CHUNK];
        loop {
            match fs::read(self.fd, &mut buf)? {
                0 => return Ok(()),
                count => {
                    if !each(&buf[..count.min(buf.len())]) {
                        return Ok(());
                    }
                }
            }
        }
    }

    /// Everything left to read.
    pub fn read_to_end(&mut self) -> Result<Vec<u8>, Errno> {
        let mut data = Vec::new();
        self.for_each_chunk(|chunk| {
            data.extend_from_slice(chunk);
            true
        })?;
        Ok(data)
    }
}

impl Drop for Input {
    fn drop(&mut self) {
        if self.owned {
            // Nothing was written through it, so a failed close loses nothing.
            let _ = fs::close(self.fd);
        }
    }
}

/// The operands, or `-` (standard input) if there are none.
pub fn operands_or_stdin(operands: Vec<&'static str>) -> Vec<&'static str> {
    if operands.is_empty() {
        alloc::vec!["-"]
    } else {
        operands
    }
}

/// Writes the `==> name <==` line that `head` and `tail` put before each of several inputs,
/// with a blank line before all but the first.
pub fn write_file_header(out: &mut Output, name: &str, first: bool) {
    if !first {
        out.bytes(b"\n");
    }
    let shown = if name == "-" { "standard input" } else { name };
    out.bytes(alloc::format!("==> {shown} <==\n").as_bytes());
}

/// Whether `path` is a directory (following symbolic links).
pub fn is_dir(path: &str) -> bool {
    fs::stat(path).is_ok_and(|stat| stat.st_mode & S_IFMT == S_IFDIR)
}

/// The last component of `path`, trailing slashes ignored (`a/b/` is `b`, `/` is `/`).
pub fn base_name(path: &str) -> &str {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return if path.is_empty() { "" } else { "/" };
    }
    trimmed.rsplit('/').next().unwrap_or(trimmed)
}

/// `dir/name`, without doubling a slash that ends `dir`.
pub fn join(dir: &str, name: &str) -> String {
    if dir.ends_with('/') {
        alloc::format!("{dir}{name}")
    } else {
        alloc::format!("{dir}/{name}")
    }
}

/// The major and minor numbers of a device number (`st_dev`, `st_rdev`) in Linux's
/// encoding: the minor in bits 0..8 and 20..40, the major in bits 8..20 and 40..64.
pub fn device_numbers(dev: u64) -> (u64, u64) {
    let major = (dev >> 8) & 0xfff | (dev >> 32) & !0xfff;
    let minor = dev & 0xff | (dev >> 12) & !0xff;
    (major, minor)
}

/// The ten-character mode of `ls -l` and `stat`: the type letter (`-dlcbps`, `?` for an
/// unknown type), then `rwx` for owner, group and others, with `s`/`S` for set-user-id and
/// set-group-id and `t`/`T` for the sticky bit (upper case when the `x` under it is off).
pub fn mode_string(mode: u32) -> String {
    let kind = match mode & S_IFMT {
        S_IFDIR => 'd',
        S_IFLNK => 'l',
        S_IFCHR => 'c',
        S_IFBLK => 'b',
        S_IFIFO => 'p',
        S_IFSOCK => 's',
        S_IFREG => '-',
        _ => '?',
    };
    let mut text = String::with_capacity(10);
    text.push(kind);
    // (shift of the rwx triple, the special bit over its x, the letter for that bit)
    for (shift, special, letter) in [(6, S_ISUID, 's'), (3, S_ISGID, 's'), (0, S_ISVTX, 't')] {
        let bits = mode >> shift;
        text.push(if bits & 4 != 0 { 'r' } else { '-' });
        text.push(if bits & 2 != 0 { 'w' } else { '-' });
        text.push(match (bits & 1 != 0, mode & special != 0) {
            (true, true) => letter,
            (false, true) => letter.to_ascii_uppercase(),
            (true, false) => 'x',
            (false, false) => '-',
        });
    }
    text
}

/// A moment as a UTC calendar date and time of day (there are no time zones here).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateTime {
    /// The year (proleptic Gregorian).
    pub year: i64,
    /// 1..=12.
    pub month: u32,
    /// 1..=31.
    pub day: u32,
    /// 0..=23.
    pub hour: u32,
    /// 0..=59.
    pub minute: u32,
    /// 0..=59.
    pub second: u32,
}

impl DateTime {
    /// The UTC date and time `secs` seconds after the Unix epoch (negative: before it).
    pub fn from_unix(secs: i64) -> DateTime {
        let days = secs.div_euclid(86_400);
        let of_day = secs.rem_euclid(86_400) as u32;
        // Days since 0000-03-01, so that a year's leap day is its last day; 146097 days
        // make a 400-year cycle.
        let shifted = days + 719_468;
        let era = shifted.div_euclid(146_097);
        let day_of_era = shifted.rem_euclid(146_097);
        let year_of_era =
            (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        // Months counted from March, each (153 * m + 2) / 5 days after March 1.
        let march_month = (5 * day_of_year + 2) / 153;
        let day = (day_of_year - (153 * march_month + 2) / 5 + 1) as u32;
        let month = if march_month < 10 {
            march_month + 3
        } else {
            march_month - 9
        } as u32;
        let year = year_of_era + era * 400 + i64::from(month <= 2);
        DateTime {
            year,
            month,
            day,
            hour: of_day / 3600,
            minute: of_day / 60 % 60,
            second: of_day % 60,
        }
    }
}

impl fmt::Display for DateTime {
    /// `YYYY-MM-DD HH:MM:SS`.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

/// The names of users and groups, from `/etc/passwd` and `/etc/group` (`name:x:id:...`
/// lines). A system without those files has no names, and tools show the numbers.
pub struct Accounts {
    /// (uid, name) pairs, in file order.
    users: Vec<(u32, String)>,
    /// (gid, name) pairs, in file order.
    groups: Vec<(u32, String)>,
}

impl Accounts {
    /// Reads both files; a file that is missing or unreadable gives no names.
    pub fn load() -> Accounts {
        Accounts {
            users: read_id_names("/etc/passwd"),
            groups: read_id_names("/etc/group"),
        }
    }

    /// The name of user `uid`, if it has one.
    pub fn user(&self, uid: u32) -> Option<&str> {
        find_name(&self.users, uid)
    }

    /// The name of group `gid`, if it has one.
    pub fn group(&self, gid: u32) -> Option<&str> {
        find_name(&self.groups, gid)
    }

    /// The name of user `uid`, or the number.
    pub fn user_or_id(&self, uid: u32) -> String {
        self.user(uid).map_or_else(|| uid.to_string(), String::from)
    }

    /// The name of group `gid`, or the number.
    pub fn group_or_id(&self, gid: u32) -> String {
        self.group(gid)
            .map_or_else(|| gid.to_string(), String::from)
    }
}

/// The first name with id `id`.
fn find_name(names: &[(u32, String)], id: u32) -> Option<&str> {
    names
        .iter()
        .find(|(known, _)| *known == id)
        .map(|(_, name)| name.as_str())
}

/// The (id, name) pairs of a file of `name:password:id:...` lines; malformed lines are
/// skipped.
fn read_id_names(path: &str) -> Vec<(u32, String)> {
    let Ok(text) = fs::read_to_string(path) else {
        return Vec::new();
    };
    text.lines()
        .filter_map(|line| {
            let mut fields = line.split(':');
            let name = fields.next()?;
            let id = fields.nth(1)?.parse().ok()?;
            Some((id, name.to_string()))
        })
        .collect()
}
