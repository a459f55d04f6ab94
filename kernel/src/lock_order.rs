//! The kernel's lock order (concept K7), outermost first. A hart holding a lock may only
//! acquire locks that come *later* in this list; spinlocks keep interrupts off while held,
//! so interrupt handlers may take only leaf locks.
//!
//! 1. `console-line` (kernel/console.rs): one output line at a time; held while writing to the UART.
//! 2. `dmesg` (kernel/console.rs): the boot-log ring buffer.
//! 3. `heap` (hal/src/mem.rs): the kernel heap's free lists (allocation can happen under the
//!    locks above).
//! 4. `frames` (hal/src/mem.rs): the buddy allocator (the heap refills from it).
//! 5. `boot-reservations`, `console-input`: leaf locks.
//!
//! Interrupt handlers take `console-input` (UART receive) and nothing else.
