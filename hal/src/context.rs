//! Kernel threads and the context switch (concept K5).
//!
//! Every process has a kernel [`Thread`]: a kernel stack plus the callee-saved registers
//! (ra, sp, s0-s11) saved when it is not running. Each hart runs a scheduler loop on its
//! boot stack; switching always goes thread -> scheduler -> thread, as in xv6:
//! [`run`] switches from the hart's scheduler into a thread, and [`yield_now`], called by
//! the thread itself, switches back. Only callee-saved registers need saving: the switch is
//! an ordinary function call as far as the compiler knows. `tp` (the hart id) is not
//! switched, so a thread resumed on another hart sees that hart's id.
//!
//! Invariant (`on_cpu`, as in Linux): a thread's saved registers are written only by the
//! switch that leaves it and read only by [`run`] after the previous switch out of it has
//! completed. A hart about to run a thread that has just been woken elsewhere spins until
//! the other hart is off its stack.

use crate::mem::OutOfMemory;
use crate::stack::{GENERATION, KernelStack};
use crate::{MAX_HARTS, cpu};
use core::cell::UnsafeCell;
use core::ptr;
use core::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, Ordering};

#[repr(C)]
#[derive(Default, Debug)]
struct Registers {
    ra: usize,
    sp: usize,
    s: [usize; 12],
}

core::arch::global_asm!(
    ".section .text",
    ".globl switch_registers",
    ".p2align 2",
    // a0: where to save the current registers; a1: the registers to load.
    "switch_registers:",
    "sd ra, 0(a0)",
    "sd sp, 8(a0)",
    "sd s0, 16(a0)",
    "sd s1, 24(a0)",
    "sd s2, 32(a0)",
    "sd s3, 40(a0)",
    "sd s4, 48(a0)",
    "sd s5, 56(a0)",
    "sd s6, 64(a0)",
    "sd s7, 72(a0)",
    "sd s8, 80(a0)",
    "sd s9, 88(a0)",
    "sd s10, 96(a0)",
    "sd s11, 104(a0)",
    "ld ra, 0(a1)",
    "ld sp, 8(a1)",
    "ld s0, 16(a1)",
    "ld s1, 24(a1)",
    "ld s2, 32(a1)",
    "ld s3, 40(a1)",
    "ld s4, 48(a1)",
    "ld s5, 56(a1)",
    "ld s6, 64(a1)",
    "ld s7, 72(a1)",
    "ld s8, 80(a1)",
    "ld s9, 88(a1)",
    "ld s10, 96(a1)",
    "ld s11, 104(a1)",
    "ret",
    // A new thread starts here with s1 = its entry function and a null frame pointer.
    ".globl thread_start",
    ".p2align 2",
    "thread_start:",
    "li s0, 0",
    "jalr s1",
    "unimp",
);

unsafe extern "C" {
    fn switch_registers(save: *mut Registers, load: *const Registers);
    fn thread_start();
}

/// A kernel thread: a stack and the registers saved while it is switched out.
pub struct Thread {
    registers: UnsafeCell<Registers>,
    on_cpu: AtomicBool,
    stack: KernelStack,
}

// SAFETY: `registers` is accessed only by the switch into the thread (on the hart that won
// `on_cpu`) and the switch out of it (by the thread itself, on that same hart), which the
// `on_cpu` protocol orders; everything else is atomic or immutable.
unsafe impl Sync for Thread {}
// SAFETY: as above; a Thread holds no hart-local state.
unsafe impl Send for Thread {}

impl Thread {
    /// A thread that will start in `entry` (with interrupts off) the first time it is run.
    pub fn new(entry: fn() -> !) -> Result<Thread, OutOfMemory> {
        let stack = KernelStack::new()?;
        let mut registers = Registers {
            ra: thread_start as *const () as usize,
            sp: stack.top(),
            ..Registers::default()
        };
        registers.s[1] = entry as usize;
        Ok(Thread {
            registers: UnsafeCell::new(registers),
            on_cpu: AtomicBool::new(false),
            stack,
        })
    }
}

struct HartSlot {
    scheduler: UnsafeCell<Registers>,
    current: AtomicPtr<Thread>,
    fenced_generation: AtomicU64,
}

// SAFETY: a hart's slot is used only by that hart, with interrupts off during a switch.
unsafe impl Sync for HartSlot {}

static HARTS: [HartSlot; MAX_HARTS] = [const {
    HartSlot {
        scheduler: UnsafeCell::new(Registers {
            ra: 0,
            sp: 0,
            s: [0; 12],
        }),
        current: AtomicPtr::new(ptr::null_mut()),
        fenced_generation: AtomicU64::new(0),
    }
}; MAX_HARTS];

/// From this hart's scheduler loop: runs `thread` until it calls [`yield_now`].
/// Interrupts are off on return.
pub fn run(thread: &Thread) {
    cpu::disable_interrupts();
    assert_eq!(
        cpu::push_off_depth(),
        0,
        "context switch while holding a spinlock"
    );
    let slot = &HARTS[cpu::hart_id()];
    while thread
        .on_cpu
        .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
        .is_err()
    {
        core::hint::spin_loop();
    }
    if thread.stack.generation() > slot.fenced_generation.load(Ordering::Relaxed) {
        cpu::flush_tlb_all();
        slot.fenced_generation
            .store(GENERATION.load(Ordering::Acquire), Ordering::Relaxed);
    }
    slot.current
        .store(ptr::from_ref(thread).cast_mut(), Ordering::Relaxed);
    // SAFETY: this hart owns its scheduler slot; `thread.registers` is ours by `on_cpu`, and
    // holds either the initial registers from `Thread::new` or those saved by `yield_now`,
    // pointing into `thread.stack`, which `thread` (borrowed until we return) keeps alive.
    unsafe { switch_registers(slot.scheduler.get(), thread.registers.get()) };
    slot.current.store(ptr::null_mut(), Ordering::Relaxed);
    thread.on_cpu.store(false, Ordering::Release);
}

/// From a thread: saves its registers and returns to this hart's scheduler loop. Returns
/// when some hart runs the thread again. Must not be called with a spinlock held.
pub fn yield_now() {
    cpu::disable_interrupts();
    assert_eq!(cpu::push_off_depth(), 0, "yield while holding a spinlock");
    let slot = &HARTS[cpu::hart_id()];
    let current = slot.current.load(Ordering::Relaxed);
    assert!(!current.is_null(), "yield_now outside a kernel thread");
    // SAFETY: `current` is the thread `run` switched to on this hart, still borrowed by that
    // `run` call, and we are executing on its stack, so only we touch its registers now; the
    // scheduler registers belong to this hart.
    unsafe { switch_registers((*current).registers.get(), slot.scheduler.get()) };
}
