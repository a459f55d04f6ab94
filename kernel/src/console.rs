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
use crate::time;
use abi::errno::Errno;
use alloc::vec::Vec;
use core::fmt::{self, Write};
use hal::mmio::Mmio;
use hal::sync::{Once, SpinLock};
use hal::uart::Uart;

static UART: Once<Uart> = Once::new();
static LINE: SpinLock<()> = SpinLock::new("console-line", ());
static DMESG: SpinLock<Ring<DMESG_SIZE>> = SpinLock::new("dmesg", Ring::new());
static INPUT: SpinLock<Ring<INPUT_SIZE>> = SpinLock::new("console-input", Ring::new());

pub const DMESG_SIZE: usize = 32 * 1024;
const INPUT_SIZE: usize = 1024;
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

    pub fn pop(&mut self) -> Option<u8> {
        if self.len == 0 {
            return None;
        }
        let byte = self.bytes[self.start];
        self.start = (self.start + 1) % N;
        self.len -= 1;
        Some(byte)
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

/// Ctrl-P prints the process list (as in xv6) instead of reaching programs.
const CTRL_P: u8 = 0x10;

/// Drains received bytes into the input buffer (called from the UART interrupt).
pub fn receive_input() {
    let uart = uart();
    let mut show_processes = false;
    {
        let mut input = INPUT.lock();
        while let Some(byte) = uart.read_byte() {
            if byte == CTRL_P {
                show_processes = true;
            } else {
                input.push(byte);
            }
        }
    }
    INPUT_READY.wake_all();
    if show_processes {
        crate::proc::print_process_list();
    }
}

/// Wakes processes waiting in [`read_input`].
static INPUT_READY: WaitQueue = WaitQueue::new();

/// Moves received bytes into `buf`, sleeping until at least one byte has arrived (or
/// `EAGAIN` with `nonblock`); returns how many were moved. Bytes are passed on raw: the line
/// discipline (echo, editing, Ctrl-C) arrives with the shell.
pub fn read_input(buf: &mut [u8], nonblock: bool) -> Result<usize, Errno> {
    if buf.is_empty() {
        return Ok(0);
    }
    let me = crate::proc::sched::current().ok_or(Errno::EINVAL)?;
    loop {
        {
            let mut input = INPUT.lock();
            let mut count = 0;
            while count < buf.len() {
                let Some(byte) = input.pop() else { break };
                buf[count] = byte;
                count += 1;
            }
            if count > 0 {
                return Ok(count);
            }
        }
        if nonblock {
            return Err(Errno::EAGAIN);
        }
        INPUT_READY.wait_until(&me, 0, || INPUT.lock().len > 0)?;
    }
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

/// Writes raw bytes (from a user program) to the console.
pub fn write_bytes(bytes: &[u8]) {
    let _writer = USER_WRITES.lock();
    let uart = uart();
    for chunk in bytes.chunks(WRITE_CHUNK) {
        let _line = LINE.lock();
        for &byte in chunk {
            if byte == b'\n' {
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
