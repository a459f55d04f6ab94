//! Threads (T1): [`spawn`] runs a closure in a new thread of the calling process;
//! [`JoinHandle::join`] waits for it to end and returns what the closure returned.
//!
//! A thread is what `clone` makes when the child shares everything a process is made of but
//! its registers and its stack. [`spawn`] passes
//! `CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM`: the
//! same address space (code, globals, heap: a write by one thread is seen by all), the same
//! working directory, the same descriptor table (a file opened or closed by one thread is
//! opened or closed for all), the same signal handlers, the same thread group (one pid,
//! [`getpid`](crate::getpid), for all; a tid, [`gettid`], each) and the same System V
//! semaphore undo list. Linux insists on the combination: `CLONE_THREAD` needs
//! `CLONE_SIGHAND`, which needs `CLONE_VM` (`EINVAL` otherwise).
//!
//! How a thread is born and dies here:
//! 1. [`spawn`] maps a stack (`mmap`, [`DEFAULT_STACK_SIZE`] plus a `PROT_NONE` guard page
//!    below it, so an overflow faults instead of running into other memory), boxes the
//!    closure, and calls `clone` with the new stack's top as the stack pointer.
//! 2. `clone` returns twice. The parent gets the new thread's id. The new thread returns 0
//!    on the new, empty stack: no Rust frame is there to return to, so the assembly right
//!    after the `ecall` (`clone_thread`) calls `thread_main`, which runs the closure and
//!    stores its result in a heap slot shared with the [`JoinHandle`], and then makes the
//!    `exit` system call (93: this thread only; `exit_group`, 94, would end the process)
//!    with [`THREAD_EXIT_STATUS`].
//! 3. `CLONE_PARENT_SETTID` has the kernel store the new thread's id in the handle's tid word
//!    before `clone` returns; `CLONE_CHILD_CLEARTID` has it store 0 there when the thread
//!    has exited and wake a futex waiter on the word. [`JoinHandle::join`] sleeps on the word
//!    ([`futex_wait_shared`]: the kernel's wake-up is a shared one) until it reads 0; only then
//!    is the stack free to unmap, since the thread ran on it up to its last instruction.
//!
//! A handle that is dropped without `join` joins anyway (waits for the thread and drops
//! its result), so stacks are always given back; `core::mem::forget` on a handle detaches
//! the thread for good and leaks its stack.
//!
//! A panic in any thread ends the whole process: ulib's panic handler prints the message and
//! calls `exit_group(101)` (there is no unwinding in ulib, so there is no way to hand a
//! panic over to `join` as Rust's `std` does). The `check!` macros likewise end the whole
//! process. A thread that ends itself with [`crate::exit_thread`] leaves no result:
//! [`JoinHandle::join`] panics then, [`JoinHandle::wait`] returns `None`.
//!
//! Threads do not set up `tp` (thread-local storage): nothing in ulib uses it.
//!
//! All threads share one heap, whose allocator is guarded by a [`crate::sync::Mutex`], and
//! print without interleaving inside a line ([`crate::io`]). `fork` in a process with
//! several threads copies only the calling thread; only a single-threaded program should
//! fork.

use alloc::boxed::Box;
use alloc::sync::Arc;
use core::arch::asm;
use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use abi::Errno;
use abi::mm::{MAP_ANONYMOUS, MAP_PRIVATE, MAP_STACK, PAGE_SIZE, PROT_NONE, PROT_READ, PROT_WRITE};
use abi::nr;
use abi::process::{
    CLONE_CHILD_CLEARTID, CLONE_FILES, CLONE_FS, CLONE_PARENT_SETTID, CLONE_SIGHAND, CLONE_SYSVSEM,
    CLONE_THREAD, CLONE_VM,
};

use crate::mm::{mmap, mprotect, munmap};
use crate::process::Pid;
pub use crate::process::{exit_thread, gettid};
pub use crate::sched::sched_yield as yield_now;
use crate::sync::futex::futex_wait_shared;
use crate::syscall::decode;

/// Bytes of stack a thread gets from [`spawn`] (the guard page comes on top).
pub const DEFAULT_STACK_SIZE: usize = 64 * 1024;

/// The `clone` flags that make a thread: everything shared but registers and stack.
pub const THREAD_FLAGS: u64 =
    CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM;

/// The `exit` status of a thread whose closure returned. Linux never reports it: a process's
/// status is its main thread's or the one `exit_group` gave. It is not 0 so that a kernel
/// that wrongly ends the whole process when one thread exits shows as a failure, not as a
/// program that ended cleanly halfway.
pub const THREAD_EXIT_STATUS: i32 = 99;

/// Always added: the tid word holds the thread's id while it lives and 0 once it has ended.
const TID_FLAGS: u64 = CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;

/// What a thread and its [`JoinHandle`] share.
struct Packet<T> {
    /// The thread's id from before `clone` returns until the thread has exited, then 0
    /// (both written by the kernel: `CLONE_PARENT_SETTID`, `CLONE_CHILD_CLEARTID`).
    tid: AtomicU32,
    /// Set, with release ordering, by the thread once it stored `result`.
    returned: AtomicBool,
    /// The closure's result. Written only by the thread, before `returned` is set; read only
    /// by the handle, after the thread has exited.
    result: UnsafeCell<Option<T>>,
}

// SAFETY: the thread and the handle never touch `result` at the same time (see the field),
// and moving the result from one thread to the other needs `T: Send`.
unsafe impl<T: Send> Sync for Packet<T> {}

/// What the new thread starts with: its closure and its end of the packet.
struct Start<F, T> {
    main: F,
    packet: Arc<Packet<T>>,
}

/// A thread's stack: an anonymous mapping whose lowest page is a `PROT_NONE` guard.
struct ThreadStack {
    base: usize,
    len: usize,
}

impl ThreadStack {
    /// Maps `size` bytes (rounded up to pages) of stack above a guard page.
    fn map(size: usize) -> Result<ThreadStack, Errno> {
        let len = size
            .checked_next_multiple_of(PAGE_SIZE)
            .and_then(|size| size.checked_add(PAGE_SIZE))
            .ok_or(Errno::ENOMEM)?;
        let kind = MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK;
        let base = mmap(0, len, PROT_READ | PROT_WRITE, kind, -1, 0)?;
        let stack = ThreadStack { base, len };
        mprotect(base, PAGE_SIZE, PROT_NONE)?;
        Ok(stack)
    }

    /// The initial stack pointer: the end of the mapping (page aligned, so 16-byte aligned
    /// as the psABI wants).
    fn top(&self) -> usize {
        self.base + self.len
    }
}

impl Drop for ThreadStack {
    fn drop(&mut self) {
        // Only once the thread has exited (see `JoinHandle`'s drop), so nothing uses it.
        let _ = munmap(self.base, self.len);
    }
}

/// The owner of a running (or ended, not yet joined) thread: [`join`](JoinHandle::join)
/// waits for it and takes its result.
///
/// Invariant: the stack stays mapped until the thread's tid word reads 0, i.e. until the
/// kernel says the thread has exited.
pub struct JoinHandle<T> {
    tid: Pid,
    packet: Arc<Packet<T>>,
    /// Dropped after `drop` below has waited for the thread.
    _stack: ThreadStack,
}

impl<T> JoinHandle<T> {
    /// The thread's id, as [`gettid`] returns it in the thread.
    pub fn tid(&self) -> Pid {
        self.tid
    }

    /// The word the kernel clears when the thread exits: the thread's id while it runs, 0
    /// once it has ended. For tests and demos of `CLONE_CHILD_CLEARTID`.
    pub fn tid_word(&self) -> &AtomicU32 {
        &self.packet.tid
    }

    /// Whether the thread has ended (its tid word reads 0); `join` would not wait.
    pub fn is_finished(&self) -> bool {
        self.packet.tid.load(Ordering::Acquire) == 0
    }

    /// Waits until the thread has ended and returns what its closure returned, or `None` if
    /// it ended with [`exit_thread`] instead of returning.
    pub fn wait(self) -> Option<T> {
        self.wait_for_exit();
        if self.packet.returned.load(Ordering::Acquire) {
            // SAFETY: the thread has exited (its tid word is 0), so it no longer touches
            // `result`, and `self` is the only other owner of the packet.
            unsafe { (*self.packet.result.get()).take() }
        } else {
            None
        }
    }

    /// Waits until the thread has ended and returns what its closure returned.
    ///
    /// # Panics
    /// If the thread ended with [`exit_thread`] and so returned nothing (see
    /// [`wait`](JoinHandle::wait)).
    pub fn join(self) -> T {
        let tid = self.tid;
        match self.wait() {
            Some(value) => value,
            None => panic!("thread {tid} called exit_thread instead of returning"),
        }
    }

    /// Sleeps until the kernel has cleared the tid word.
    fn wait_for_exit(&self) {
        loop {
            let tid = self.packet.tid.load(Ordering::Acquire);
            if tid == 0 {
                return;
            }
            // Sleeps only while the word still holds the tid; a wake-up, EAGAIN (cleared
            // already) or EINTR all lead back to the check.
            let _ = futex_wait_shared(&self.packet.tid, tid, None);
        }
    }
}

impl<T> Drop for JoinHandle<T> {
    /// Joins the thread if `join` did not: its stack must stay mapped until it has exited.
    fn drop(&mut self) {
        self.wait_for_exit();
    }
}

/// How to make a thread: the stack size, and for tests the sharing flags.
#[derive(Clone, Copy, Debug)]
pub struct Builder {
    stack_size: usize,
    flags: u64,
}

impl Builder {
    /// The settings of [`spawn`]: [`DEFAULT_STACK_SIZE`] and [`THREAD_FLAGS`].
    pub const fn new() -> Builder {
        Builder {
            stack_size: DEFAULT_STACK_SIZE,
            flags: THREAD_FLAGS,
        }
    }

    /// A stack of `bytes` (rounded up to whole pages) instead of the default.
    pub const fn stack_size(self, bytes: usize) -> Builder {
        Builder {
            stack_size: bytes,
            ..self
        }
    }

    /// `clone` flags other than [`THREAD_FLAGS`] (`CLONE_PARENT_SETTID` and
    /// `CLONE_CHILD_CLEARTID` are always added). For tests of the kernel's checks: the
    /// handle of a child that does not share the address space can never be joined, as
    /// its tid word is cleared in its own copy of memory.
    pub const fn flags(self, flags: u64) -> Builder {
        Builder { flags, ..self }
    }

    /// Starts a thread that runs `main`: `ENOMEM` if its stack cannot be mapped, and
    /// `clone`'s errors (`EAGAIN` when the system has no room for another thread, `EINVAL`
    /// for flags Linux refuses).
    pub fn spawn<F, T>(self, main: F) -> Result<JoinHandle<T>, Errno>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let stack = ThreadStack::map(self.stack_size)?;
        let packet = Arc::new(Packet {
            tid: AtomicU32::new(0),
            returned: AtomicBool::new(false),
            result: UnsafeCell::new(None),
        });
        let start = Box::into_raw(Box::new(Start {
            main,
            packet: Arc::clone(&packet),
        }));
        let entry: extern "C" fn(*mut Start<F, T>) = thread_main::<F, T>;
        // The stack is a fresh mapping nothing else uses, freed only after the thread has
        // exited (JoinHandle's invariant); the tid word lives in the packet, which the handle
        // keeps until the kernel has cleared it.
        // SAFETY: as just said for stack and tid word; `entry` is `thread_main` for exactly
        // the type `start` points to, and on success only the new thread uses `start`.
        let ret = unsafe {
            clone_thread(
                self.flags | TID_FLAGS,
                stack.top(),
                packet.tid.as_ptr() as usize,
                entry as usize,
                start as usize,
            )
        };
        match decode(ret) {
            Ok(tid) => Ok(JoinHandle {
                tid: tid as Pid,
                packet,
                _stack: stack,
            }),
            Err(error) => {
                // SAFETY: no thread was made, so `start` still belongs to this function; it
                // came from `Box::into_raw` above and is reclaimed once.
                drop(unsafe { Box::from_raw(start) });
                Err(error)
            }
        }
    }
}

impl Default for Builder {
    fn default() -> Builder {
        Builder::new()
    }
}

/// Starts a thread that runs `main`, with the default stack and the sharing of
/// [`THREAD_FLAGS`]; see [`Builder::spawn`] for the errors.
pub fn spawn<F, T>(main: F) -> Result<JoinHandle<T>, Errno>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    Builder::new().spawn(main)
}

/// The first Rust code of a new thread: runs the closure and publishes its result. When it
/// returns, `clone_thread`'s assembly ends the thread with `exit`.
extern "C" fn thread_main<F, T>(start: *mut Start<F, T>)
where
    F: FnOnce() -> T,
{
    // SAFETY: `Builder::spawn` passes the pointer of a boxed `Start<F, T>` to exactly one
    // thread, this one, and gives up its own claim to it when `clone` succeeds.
    let Start { main, packet } = *unsafe { Box::from_raw(start) };
    let value = main();
    // SAFETY: only this thread writes `result`, and the handle reads it only after this
    // thread has exited (see `Packet`).
    unsafe { *packet.result.get() = Some(value) };
    packet.returned.store(true, Ordering::Release);
}

/// `clone(flags, stack_top, tid_word, 0, tid_word)` whose child calls `entry(arg)` on the new
/// stack and then `exit(THREAD_EXIT_STATUS)`; returns the raw result in the parent (the child's tid or
/// `-errno`). Linux riscv64 takes the arguments in the order flags, stack, parent tid
/// pointer, TLS, child tid pointer.
///
/// # Safety
/// `stack_top` is the 16-byte aligned end of writable memory that nothing else uses while
/// the thread runs; `tid_word` points at a 32-bit word that stays valid until the kernel
/// clears it at the thread's exit; calling `entry(arg)` once on another thread is sound.
unsafe fn clone_thread(
    flags: u64,
    stack_top: usize,
    tid_word: usize,
    entry: usize,
    arg: usize,
) -> isize {
    let ret: isize;
    // The child never comes back to compiled code: it runs only the instructions between
    // `ecall` and label 2, on its own stack, with `t0`/`t1` still holding `entry`/`arg` (clone
    // gives the child the parent's registers, except `a0` = 0 and `sp` = the new stack).
    // SAFETY: in the parent a plain system call that changes only `a0` (and the tid word, an
    // atomic); the caller vouches for the stack, the word and `entry(arg)`; the child: above.
    unsafe {
        asm!(
            "ecall",
            "bnez a0, 2f",
            // The new thread. A zero frame pointer ends backtraces here.
            "li s0, 0",
            "mv a0, t1",
            "jalr t0",
            // `entry` returned: end this thread only. Should `exit` return, ask again.
            "1:",
            "li a0, {status}",
            "li a7, {exit}",
            "ecall",
            "j 1b",
            // The parent: `a0` holds the tid or -errno.
            "2:",
            exit = const nr::EXIT,
            status = const THREAD_EXIT_STATUS,
            inlateout("a0") flags as usize => ret,
            in("a1") stack_top,
            in("a2") tid_word,
            in("a3") 0usize,
            in("a4") tid_word,
            in("a7") nr::CLONE,
            in("t0") entry,
            in("t1") arg,
        );
    }
    ret
}
