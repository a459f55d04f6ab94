//! The console: output to the UART, the kernel log and its ring buffer (`dmesg`), and the
//! receive buffer filled by the UART interrupt (concepts K6, K8).
//!
//! Output is written a line at a time under the `console-line` lock so lines from different
//! harts do not interleave. Every log record also goes into a fixed-size ring buffer that a
//! later `dmesg` reads. A panic writes straight to the UART without taking locks (the
//! panicking hart may hold one).

use crate::devicetree::BootInfo;
use crate::proc::sleep_lock::SleepLock;
use crate::proc::wait_queue::WaitQueue;
use crate::proc::{Pid, Process};
use crate::time;
use abi::errno::Errno;
use abi::tty::{ONLCR, OPOST, Termios, Winsize};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt::{self, Write};
use hal::mmio::Mmio;
use hal::sync::{Once, SpinLock};
use hal::uart::Uart;
use tty::{LineDiscipline, Read};

static UART: Once<Uart> = Once::new();
static LINE: SpinLock<()> = SpinLock::new("console-line", ());
static DMESG: SpinLock<Ring<DMESG_SIZE>> = SpinLock::new("dmesg", Ring::new());

pub const DMESG_SIZE: usize = 32 * 1024;
/// Where QEMU `virt` puts its UART, for messages before the device tree is read.
const FALLBACK_UART: usize = 0x1000_0000;

/// A byte ring that overwrites its oldest bytes when full.
pub struct Ring<const N: usize> {
    bytes: [u8; N],
    start: usize,
    len: usize,
}

impl<const N: usize> Ring<N> {
    pub const fn new() -> Self {
        Ring {
            bytes: [0; N],
            start: 0,
            len: 0,
        }
    }

    pub fn push(&mut self, byte: u8) {
        let end = (self.start + self.len) % N;
        self.bytes[end] = byte;
        if self.len == N {
            self.start = (self.start + 1) % N;
        } else {
            self.len += 1;
        }
    }

    pub fn contents(&self) -> Vec<u8> {
        (0..self.len)
            .map(|i| self.bytes[(self.start + i) % N])
            .collect()
    }
}

impl<const N: usize> Write for Ring<N> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        s.bytes().for_each(|b| self.push(b));
        Ok(())
    }
}

/// Writes to a UART, turning `\n` into `\r\n` for the terminal.
struct UartWriter(Uart);

impl Write for UartWriter {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for byte in s.bytes() {
            if byte == b'\n' {
                self.0.write_byte(b'\r');
            }
            self.0.write_byte(byte);
        }
        Ok(())
    }
}

fn uart() -> Uart {
    match UART.get() {
        Some(uart) => *uart,
        None => Uart::new(Mmio::new(FALLBACK_UART, 8).expect("fallback UART address is MMIO")),
    }
}

/// Starts the console on the device tree's UART and installs the kernel logger.
pub fn init(info: &BootInfo) {
    if let Some(regs) = info.uart.and_then(|(base, size)| Mmio::new(base, size)) {
        let _ = UART.set(Uart::new(regs));
    }
    log::set_logger(&LOGGER).expect("the logger is installed once");
    log::set_max_level(log::LevelFilter::Info);
}

/// Turns on the UART's receive interrupt (the PLIC line is enabled by `irq`).
pub fn enable_input_interrupt() {
    uart().enable_rx_interrupt();
}

const CTRL_P: u8 = 0x10;

/// The console as a terminal (concept U3): its line discipline, the session it controls
/// and that session's foreground process group, and its window size.
struct Terminal {
    ld: LineDiscipline,
    /// The session whose controlling terminal this is.
    session: Option<Pid>,
    /// The foreground process group: it may read, and gets ^C / ^Z / ^\ signals.
    foreground: Option<Pid>,
    size: Winsize,
}

static TERMINAL: SpinLock<Terminal> = SpinLock::new(
    "terminal",
    Terminal {
        ld: LineDiscipline::new(),
        session: None,
        foreground: None,
        size: Winsize {
            ws_row: 24,
            ws_col: 80,
            ws_xpixel: 0,
            ws_ypixel: 0,
        },
    },
);

/// The UART receive interrupt: each byte goes through the line discipline, which echoes
/// it and may turn it into a signal for the foreground group. Ctrl-P prints the process
/// list (as in xv6).
pub fn receive_input() {
    let uart = uart();
    let mut show_processes = false;
    let mut signals = Vec::new();
    {
        let mut terminal = TERMINAL.lock();
        while let Some(byte) = uart.read_byte() {
            if byte == CTRL_P {
                show_processes = true;
                continue;
            }
            let mut echo = |bytes: &[u8]| {
                let _line = LINE.lock();
                for &b in bytes {
                    if b == b'\n' {
                        uart.write_byte(b'\r');
                    }
                    uart.write_byte(b);
                }
            };
            if let Some(sig) = terminal.ld.input(byte, &mut echo)
                && let Some(group) = terminal.foreground
            {
                signals.push((group, sig));
            }
        }
    }
    INPUT_READY.wake_all();
    crate::fs::poll::notify();
    for (group, sig) in signals {
        let _ =
            crate::proc::signal::send_to_group(group, sig, crate::proc::signal::kernel_info(sig));
    }
    if show_processes {
        crate::proc::print_process_list();
    }
}

static INPUT_READY: WaitQueue = WaitQueue::new();

/// Whether `me` may use the terminal as a foreground process: `Ok` if it is in the
/// foreground group or not in the terminal's session at all; otherwise `sig` (SIGTTIN for
/// reads, SIGTTOU for changes) goes to its group and the call ends with `EINTR`, to be
/// restarted once the job is continued in the foreground — or `EIO` if the process ignores
/// or blocks `sig` (reads) / `Ok` (changes, which Linux then allows).
fn job_control_check(me: &Arc<Process>, sig: u32) -> Result<(), Errno> {
    let (pgid, sid) = me.job();
    let (session, foreground) = {
        let terminal = TERMINAL.lock();
        (terminal.session, terminal.foreground)
    };
    if session != Some(sid) || foreground == Some(pgid) {
        return Ok(());
    }
    let action = me.handlers.lock()[sig as usize - 1];
    let refused = action.handler == abi::signal::SIG_IGN
        || me.blocked_signals() & abi::signal::sigset_bit(sig) != 0;
    if refused {
        return if sig == abi::signal::SIGTTIN {
            Err(Errno::EIO)
        } else {
            Ok(())
        };
    }
    let _ = crate::proc::signal::send_to_group(pgid, sig, crate::proc::signal::kernel_info(sig));
    Err(Errno::EINTR)
}

/// Reads typed input: a line at a time in canonical mode (0 at end-of-file, ^D), whatever
/// is there in raw mode; waits for input unless `nonblock` (then `EAGAIN`).
pub fn read_input(buf: &mut [u8], nonblock: bool) -> Result<usize, Errno> {
    if buf.is_empty() {
        return Ok(0);
    }
    let me = crate::proc::sched::current().ok_or(Errno::EINVAL)?;
    loop {
        job_control_check(&me, abi::signal::SIGTTIN)?;
        match TERMINAL.lock().ld.read(buf) {
            Read::Data(count) => return Ok(count),
            Read::Eof => return Ok(0),
            Read::Empty => {}
        }
        if nonblock {
            return Err(Errno::EAGAIN);
        }
        INPUT_READY.wait_until(&me, 0, || TERMINAL.lock().ld.readable())?;
    }
}

/// Whether a read would not wait (for poll).
pub fn input_ready() -> bool {
    TERMINAL.lock().ld.readable()
}

/// A terminal request (`ioctl` on the console), after the syscall layer copied the
/// argument in.
pub enum TtyRequest {
    GetModes,
    SetModes { modes: Termios, flush: bool },
    GetSize,
    SetSize(Winsize),
    GetForeground,
    SetForeground(Pid),
    MakeControlling { steal: bool },
    GiveUpControlling,
    GetSession,
    Available,
    Flush(usize),
}

/// What a terminal request answers.
pub enum TtyAnswer {
    Done,
    Modes(Termios),
    Size(Winsize),
    Id(Pid),
    Count(usize),
}

/// Serves a terminal request for process `me` (Linux's rules for each, `ENOTTY` where the
/// console is not `me`'s controlling terminal).
pub fn tty_request(me: &Arc<Process>, request: TtyRequest) -> Result<TtyAnswer, Errno> {
    let (pgid, sid) = me.job();
    let (pid, euid) = (me.tgid, me.inner().creds.euid);
    let controlling = TERMINAL.lock().session == Some(sid);
    match request {
        TtyRequest::GetModes => Ok(TtyAnswer::Modes(TERMINAL.lock().ld.modes())),
        TtyRequest::SetModes { modes, flush } => {
            job_control_check(me, abi::signal::SIGTTOU)?;
            TERMINAL.lock().ld.set_modes(modes, flush);
            Ok(TtyAnswer::Done)
        }
        TtyRequest::GetSize => Ok(TtyAnswer::Size(TERMINAL.lock().size)),
        TtyRequest::SetSize(size) => {
            let foreground = {
                let mut terminal = TERMINAL.lock();
                let changed = terminal.size != size;
                terminal.size = size;
                terminal.foreground.filter(|_| changed)
            };
            if let Some(group) = foreground {
                let sig = abi::signal::SIGWINCH;
                let _ = crate::proc::signal::send_to_group(
                    group,
                    sig,
                    crate::proc::signal::kernel_info(sig),
                );
            }
            Ok(TtyAnswer::Done)
        }
        TtyRequest::GetForeground => {
            if !controlling {
                return Err(Errno::ENOTTY);
            }
            Ok(TtyAnswer::Id(TERMINAL.lock().foreground.unwrap_or(0)))
        }
        TtyRequest::SetForeground(group) => {
            if !controlling {
                return Err(Errno::ENOTTY);
            }
            if (group as isize) < 0 {
                return Err(Errno::EINVAL);
            }
            let in_session = crate::proc::signal::group_members(group)
                .iter()
                .any(|p| p.inner().sid == sid);
            if !in_session {
                return Err(Errno::EPERM);
            }
            job_control_check(me, abi::signal::SIGTTOU)?;
            TERMINAL.lock().foreground = Some(group);
            Ok(TtyAnswer::Done)
        }
        TtyRequest::MakeControlling { steal } => {
            if controlling {
                return Ok(TtyAnswer::Done);
            }
            if sid != pid {
                return Err(Errno::EPERM);
            }
            let mut terminal = TERMINAL.lock();
            let taken = terminal.session.is_some_and(|owner| {
                crate::proc::all().iter().any(|p| {
                    let inner = p.inner();
                    p.is_leader() && inner.sid == owner && !inner.exited
                })
            });
            if taken && !(steal && euid == 0) {
                return Err(Errno::EPERM);
            }
            terminal.session = Some(sid);
            terminal.foreground = Some(pgid);
            Ok(TtyAnswer::Done)
        }
        TtyRequest::GiveUpControlling => {
            if !controlling {
                return Err(Errno::ENOTTY);
            }
            if sid == pid {
                release(sid);
            }
            Ok(TtyAnswer::Done)
        }
        TtyRequest::GetSession => {
            if !controlling {
                return Err(Errno::ENOTTY);
            }
            Ok(TtyAnswer::Id(sid))
        }
        TtyRequest::Available => Ok(TtyAnswer::Count(TERMINAL.lock().ld.available())),
        TtyRequest::Flush(queue) => match queue {
            0 | 2 => {
                TERMINAL.lock().ld.flush_input();
                Ok(TtyAnswer::Done)
            }
            1 => Ok(TtyAnswer::Done),
            _ => Err(Errno::EINVAL),
        },
    }
}

/// The terminal loses its session: its foreground group gets SIGHUP and SIGCONT (what
/// Linux does when the controlling process exits).
fn release(sid: Pid) {
    let foreground = {
        let mut terminal = TERMINAL.lock();
        if terminal.session != Some(sid) {
            return;
        }
        terminal.session = None;
        terminal.foreground.take()
    };
    if let Some(group) = foreground {
        for sig in [abi::signal::SIGHUP, abi::signal::SIGCONT] {
            let _ = crate::proc::signal::send_to_group(
                group,
                sig,
                crate::proc::signal::kernel_info(sig),
            );
        }
    }
}

/// Called when process `pid` exits: if it led the terminal's session, the terminal is
/// released.
pub fn process_exited(pid: Pid) {
    release(pid);
}

/// Prints formatted text to the console, a whole call at a time.
pub fn print(args: fmt::Arguments) {
    let _line = LINE.lock();
    let _ = UartWriter(uart()).write_fmt(args);
}

/// Serialises user writes: one program's `write` is not interleaved with another's.
static USER_WRITES: SleepLock<()> = SleepLock::new(());
/// Bytes written per `console-line` hold, so interrupts are never off for long.
const WRITE_CHUNK: usize = 64;

/// Writes bytes from a user program to the console, with the terminal's output processing
/// (`OPOST` + `ONLCR`: NL becomes CR NL).
pub fn write_bytes(bytes: &[u8]) {
    let _writer = USER_WRITES.lock();
    let oflag = TERMINAL.lock().ld.modes().c_oflag;
    let map_newline = oflag & (OPOST | ONLCR) == OPOST | ONLCR;
    let uart = uart();
    for chunk in bytes.chunks(WRITE_CHUNK) {
        let _line = LINE.lock();
        for &byte in chunk {
            if byte == b'\n' && map_newline {
                uart.write_byte(b'\r');
            }
            uart.write_byte(byte);
        }
    }
}

/// The kernel log so far (what `dmesg` shows, read through `syslog`).
pub fn dmesg() -> Vec<u8> {
    DMESG.lock().contents()
}

macro_rules! println {
    () => { $crate::console::print(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::console::print(format_args!("{}\n", format_args!($($arg)*))) };
}
pub(crate) use println;

struct Logger;
static LOGGER: Logger = Logger;

impl log::Log for Logger {
    fn enabled(&self, metadata: &log::Metadata) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &log::Record) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let micros = time::monotonic_ns() / 1000;
        let hart = hal::cpu::hart_id();
        let args = format_args!(
            "[{:5}.{:06}] {:5} hart{hart}: {}\n",
            micros / 1_000_000,
            micros % 1_000_000,
            record.level(),
            record.args()
        );
        let _line = LINE.lock();
        let _ = UartWriter(uart()).write_fmt(args);
        let _ = DMESG.lock().write_fmt(args);
    }

    fn flush(&self) {}
}

/// Reports a failure before the console is set up, then powers off.
pub fn early_panic(message: &str) -> ! {
    let _ = writeln!(UartWriter(uart()), "KERNEL PANIC (early boot): {message}");
    crate::power::power_off(false)
}

/// Prints a panic: message, hart, location and a backtrace of return addresses. Takes no
/// locks, since the panicking hart may hold any of them.
pub fn panic_message(info: &core::panic::PanicInfo) {
    let mut out = UartWriter(uart());
    let hart = hal::cpu::hart_id();
    let _ = writeln!(out, "\nKERNEL PANIC on hart {hart}: {}", info.message());
    if let Some(location) = info.location() {
        let _ = writeln!(
            out,
            "  at {}:{}:{}",
            location.file(),
            location.line(),
            location.column()
        );
    }
    let _ = writeln!(
        out,
        "  backtrace (return addresses; resolve with addr2line -e kernel):"
    );
    let mut depth = 0;
    hal::backtrace::walk(32, |ra| {
        let _ = writeln!(out, "    #{depth:<2} {ra:#018x}");
        depth += 1;
    });
}
