//! The panic handler: prints `panicked at <file>:<line>:<column>: <message>` to stderr and
//! exits with status 101 (the status Rust's `std` uses for a panicking `main`).
//!
//! Printing does not allocate, so allocation failures (which panic, see [`crate::heap`])
//! are reported too. A panic while printing the message exits at once.
//!
//! The exit is `exit_group`: a panic in any thread ends the whole process (there is no
//! unwinding, so the panic cannot be handed to the thread's joiner as `std` does). If two
//! threads panic at once, the second exits at once without printing.

use core::panic::PanicInfo;
use core::sync::atomic::{AtomicBool, Ordering};

/// Exit status of a program that panicked.
const PANIC_STATUS: i32 = 101;

/// Set by the first panic, so a panic inside its message's formatting cannot recurse.
static PANICKING: AtomicBool = AtomicBool::new(false);

#[panic_handler]
fn panic(info: &PanicInfo<'_>) -> ! {
    if PANICKING.swap(true, Ordering::Relaxed) {
        crate::process::exit(PANIC_STATUS);
    }
    match info.location() {
        Some(location) => crate::eprintln!("panicked at {location}: {}", info.message()),
        None => crate::eprintln!("panicked: {}", info.message()),
    }
    crate::process::exit(PANIC_STATUS)
}
