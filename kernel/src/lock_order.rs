//! The kernel's lock order (concept K7), outermost first. A hart holding a lock may only
//! acquire locks that come *later* in this list. Spinlocks keep interrupts off while held,
//! so an interrupt handler can never spin on a lock its own hart holds; handlers take only
//! locks marked (irq) below, which are never held across anything that takes an earlier
//! lock. No spinlock is ever held across a context switch (`hal::context` asserts it).
//!
//! 0. Sleep locks (kernel/src/proc/sleep_lock.rs) come before every spinlock: a process
//!    may sleep for one, so it must hold no spinlock then. The console's `USER_WRITES`; an
//!    address space's (kernel/src/mm/shared.rs), held for one step — a fault, a copy to or
//!    from user memory, an mmap — and never across a blocking wait; a thread holds at most
//!    one that it waited for. The one exception is the pager (kernel/src/mm/pager.rs):
//!    reclaiming memory for a fault, it holds its own space's lock and *tries* the other
//!    spaces' locks, never waiting for one (so two threads reclaiming at once cannot wait
//!    for each other); the OOM killer's look at other spaces is lock-free.
//!
//!    `futex` (kernel/src/proc/futex.rs) comes next: a waiter takes it holding its address
//!    space's sleep lock (to read the futex word without faulting), releases that lock
//!    under it, and marks itself blocked (`proc`); wakers take `proc` and `run-queue` under
//!    it. (irq: the tick expires timeouts)
//!
//!    `pager` (kernel/src/mm/pager.rs: the replacement policy and its tickets) is taken
//!    under the address-space sleep locks above — the caller's own, and the ones reclaim
//!    has try-locked before taking it — and reads page tables under it; it is released
//!    before any eviction I/O and before those locks are dropped. Dropping a page's ticket
//!    takes it, so pages are never dropped under it. `spaces` (the pager's registry of
//!    live address spaces), `thrash` (the PFF controller, kernel/src/mm/thrash.rs) and
//!    `swap-slots` (kernel/src/mm/swap.rs) are each taken alone.
//! 1. `wait-queue` (kernel/src/proc/wait_queue.rs): held while a sleeper checks its
//!    condition and marks itself blocked; wakers take it to collect sleepers. (irq: the
//!    timer wakes `SLEEPERS`, the pollers and timed semaphore waiters)
//!    Conditions checked under it take, in this order: `fd-table` (ppoll), `fifos`,
//!    `msg-queues`, `sem-sets`, `terminal`, `pipe`, `eventfd`, `socket` — each only briefly.
//!
//!    `terminal` (kernel/src/console.rs: the line discipline, session and foreground group)
//!    is held while echoing (then `console-line`) and while `TIOCSCTTY` looks for live
//!    members of the old session (then `process-table`, `proc`). (irq: the UART)
//!
//!    `fifos` (kernel/src/fs/fifo.rs) comes before `pipe`. `msg-queues`, `sem-sets`
//!    (kernel/src/ipc/sem.rs; the deadlock detector runs under it), `eventfd`, `pipe`,
//!    `itimers` (irq: the tick), `sighand` and `signal` (kernel/src/proc/signal.rs) are
//!    otherwise taken alone: signal sending takes `sighand`, `signal` and `proc` one after
//!    the other, never nested.
//!
//!    `unix-flight` (kernel/src/net/unix/rights.rs: descriptors in flight) comes before
//!    `socket` (kernel/src/net/unix/mod.rs): the garbage collector reads queues under it.
//!    Code holds at most one `socket` lock at a time. `unix-names` and `unix-graveyard`
//!    are taken alone.
//! 2. `process-table` (kernel/src/proc/mod.rs): the pid -> process map.
//! 3. `proc` (kernel/src/proc/mod.rs): one PCB's state, family and accounting. Never two
//!    at once: code that needs two PCBs locks them one after the other. (irq: the tick)
//! 4. `thread-group` (kernel/src/proc/mod.rs): the live threads of a process, joined under
//!    `process-table` (creation) and left under the thread's own `proc` (exit).
//!    `proc-start`: a new process's user half, until its thread takes it; `sleep-lock`:
//!    a sleep lock's value while it is moved in or out; `fd-slot`, `mm-slot`: a thread's
//!    handles on its descriptor table and address space, each taken alone to copy or drop
//!    the handle.
//! 5. `run-queue` (kernel/src/proc/sched.rs) and `current` (per hart). (irq: the tick)
//! 6. `console-line` (kernel/src/console.rs): one output line at a time.
//! 7. `dmesg` (kernel/src/console.rs): the boot-log ring buffer.
//! 8. `kernel-stacks`, `kernel-map` (hal/src/stack.rs, hal/src/paging.rs).
//! 9. `heap` (hal/src/mem.rs): the kernel heap's free lists (allocation can happen under
//!    any lock above).
//! 10. `frames` (hal/src/mem.rs): the buddy allocator (the heap refills from it).
//! 11. `boot-reservations`: leaf, boot only.
