//! Traps: the trap vector and the user/kernel boundary (concepts K1, K2, K3).
//!
//! One vector (`stvec`, direct mode) serves both directions; `sscratch` tells them apart:
//! it is 0 while the hart runs kernel code and holds the address of the running
//! [`UserContext`] while it runs user code.
//!
//! - **Entering user mode** ([`UserContext::run`]): save the kernel's callee-saved
//!   registers on the kernel stack, remember that stack pointer in the context, point
//!   `sscratch` at the context, load every user register, `sret`.
//! - **Trap from user mode**: swap `sp` with `sscratch` (now `sp` = the context), store all 31
//!   user registers, `sepc`, `sstatus`, `scause`, `stval` into it, zero `sscratch`, switch to
//!   the saved kernel stack, restore the callee-saved registers and *return* from `run` —
//!   to the kernel a trap looks like a function returning a [`Trap`].
//! - **Trap from kernel mode** (interrupts while the kernel runs, or a kernel bug): push a
//!   [`KernelFrame`] of all registers on the current stack, call [`kernel_trap`], restore,
//!   `sret`. Interrupts go to the handler the kernel registered; an exception in kernel mode
//!   is a kernel bug and panics with the cause and registers.
//!
//! Floating point: user FP registers are saved only when the user dirtied them
//! (`sstatus.FS` = Dirty) and restored only when this hart's FP registers hold another
//! context's values. The kernel itself never uses FP registers.

use crate::sync::Once;
use crate::{MAX_HARTS, cpu};
use core::arch::{asm, global_asm};
use core::sync::atomic::{AtomicU64, Ordering};

const SSTATUS_SPP: usize = 1 << 8;
const SSTATUS_SPIE: usize = 1 << 5;
const SSTATUS_SIE: usize = 1 << 1;
const SSTATUS_FS_MASK: usize = 3 << 13;
const SSTATUS_FS_INITIAL: usize = 1 << 13;
const SSTATUS_FS_CLEAN: usize = 2 << 13;
const SSTATUS_FS_DIRTY: usize = 3 << 13;

/// The registers of a user thread, saved while it is not running in user mode.
#[repr(C)]
#[derive(Debug)]
pub struct UserContext {
    /// x0..x31 (x0 is always 0); index with the register number.
    pub regs: [usize; 32],
    /// The user pc: where `sret` resumes.
    pub sepc: usize,
    sstatus: usize,
    kernel_sp: usize,
    scause: usize,
    stval: usize,
    fregs: [u64; 32],
    fcsr: u64,
    fp_id: u64,
    fp_last_hart: usize,
}

// The asm below uses these offsets; the asserts keep them honest.
const OFF_SEPC: usize = 32 * 8;
const OFF_SSTATUS: usize = 33 * 8;
const OFF_KERNEL_SP: usize = 34 * 8;
const OFF_SCAUSE: usize = 35 * 8;
const OFF_STVAL: usize = 36 * 8;
const _: () = {
    assert!(core::mem::offset_of!(UserContext, sepc) == OFF_SEPC);
    assert!(core::mem::offset_of!(UserContext, sstatus) == OFF_SSTATUS);
    assert!(core::mem::offset_of!(UserContext, kernel_sp) == OFF_KERNEL_SP);
    assert!(core::mem::offset_of!(UserContext, scause) == OFF_SCAUSE);
    assert!(core::mem::offset_of!(UserContext, stval) == OFF_STVAL);
};

/// Register numbers of the RISC-V calling convention, for indexing `regs`.
pub mod reg {
    pub const RA: usize = 1;
    pub const SP: usize = 2;
    pub const TP: usize = 4;
    pub const A0: usize = 10;
    pub const A7: usize = 17;
}

static NEXT_FP_ID: AtomicU64 = AtomicU64::new(1);
static FP_OWNER: [AtomicU64; MAX_HARTS] = [const { AtomicU64::new(0) }; MAX_HARTS];

/// What made user code stop and come back to the kernel.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Trap {
    /// `ecall` from user mode; the pc still points at the `ecall`.
    Syscall,
    /// An interrupt arrived while user code ran.
    Interrupt(Interrupt),
    /// A page fault (no valid mapping, or a permission the mapping lacks).
    PageFault { addr: usize, access: Access },
    /// Access fault (physical memory protection or a bus error).
    AccessFault { addr: usize, access: Access },
    /// Misaligned access the hardware did not handle.
    Misaligned { addr: usize, access: Access },
    /// An illegal or privileged instruction (`bits` = the instruction, when known).
    IllegalInstruction { bits: usize },
    /// `ebreak`.
    Breakpoint,
    /// Anything else.
    Other { scause: usize, stval: usize },
}

/// The kind of memory access that trapped.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Access {
    Read,
    Write,
    Execute,
}

/// A supervisor interrupt source.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Interrupt {
    /// Software interrupt (an IPI from another hart).
    Software,
    /// The SBI timer fired.
    Timer,
    /// An external interrupt: claim it from the PLIC.
    External,
}

fn decode(scause: usize, stval: usize) -> Trap {
    const INTERRUPT: usize = 1 << 63;
    if scause & INTERRUPT != 0 {
        return match scause & !INTERRUPT {
            1 => Trap::Interrupt(Interrupt::Software),
            5 => Trap::Interrupt(Interrupt::Timer),
            9 => Trap::Interrupt(Interrupt::External),
            _ => Trap::Other { scause, stval },
        };
    }
    match scause {
        0 => Trap::Misaligned {
            addr: stval,
            access: Access::Execute,
        },
        1 => Trap::AccessFault {
            addr: stval,
            access: Access::Execute,
        },
        2 => Trap::IllegalInstruction { bits: stval },
        3 => Trap::Breakpoint,
        4 => Trap::Misaligned {
            addr: stval,
            access: Access::Read,
        },
        5 => Trap::AccessFault {
            addr: stval,
            access: Access::Read,
        },
        6 => Trap::Misaligned {
            addr: stval,
            access: Access::Write,
        },
        7 => Trap::AccessFault {
            addr: stval,
            access: Access::Write,
        },
        8 => Trap::Syscall,
        12 => Trap::PageFault {
            addr: stval,
            access: Access::Execute,
        },
        13 => Trap::PageFault {
            addr: stval,
            access: Access::Read,
        },
        15 => Trap::PageFault {
            addr: stval,
            access: Access::Write,
        },
        _ => Trap::Other { scause, stval },
    }
}

impl UserContext {
    /// A context that starts user code at `entry` with stack pointer `sp`, interrupts enabled
    /// in user mode, and fresh FP state.
    pub fn new(entry: usize, sp: usize) -> UserContext {
        let kernel_bits = cpu::read_sstatus() & !(SSTATUS_SPP | SSTATUS_SIE | SSTATUS_FS_MASK);
        let mut regs = [0; 32];
        regs[reg::SP] = sp;
        UserContext {
            regs,
            sepc: entry,
            sstatus: kernel_bits | SSTATUS_SPIE | SSTATUS_FS_INITIAL,
            kernel_sp: 0,
            scause: 0,
            stval: 0,
            fregs: [0; 32],
            fcsr: 0,
            fp_id: NEXT_FP_ID.fetch_add(1, Ordering::Relaxed),
            fp_last_hart: usize::MAX,
        }
    }

    /// A copy of this context for a new thread or process (fork): same registers and FP
    /// state, its own identity.
    pub fn duplicate(&self) -> UserContext {
        UserContext {
            regs: self.regs,
            sepc: self.sepc,
            sstatus: self.sstatus,
            kernel_sp: 0,
            scause: 0,
            stval: 0,
            fregs: self.fregs,
            fcsr: self.fcsr,
            fp_id: NEXT_FP_ID.fetch_add(1, Ordering::Relaxed),
            fp_last_hart: usize::MAX,
        }
    }

    /// Runs user code until it traps; returns why. Interrupts are off on return.
    pub fn run(&mut self) -> Trap {
        cpu::disable_interrupts();
        let hart = cpu::hart_id();
        if self.fp_last_hart != hart || FP_OWNER[hart].load(Ordering::Relaxed) != self.fp_id {
            // SAFETY: FS is made non-Off first so the FP instructions are legal; `fp_load`
            // reads exactly the 33 words of `fregs` and `fcsr`.
            unsafe {
                asm!("csrs sstatus, {}", in(reg) SSTATUS_FS_CLEAN, options(nostack));
                fp_load(self.fregs.as_ptr());
            }
            FP_OWNER[hart].store(self.fp_id, Ordering::Relaxed);
            self.fp_last_hart = hart;
        }
        // SAFETY: interrupts are off, so nothing runs between `sscratch` being set and `sret`;
        // `self` stays borrowed (and so in place) until the trap path returns here; `sstatus`
        // always has SPP = user, so `sret` cannot enter supervisor code with user registers.
        unsafe { run_user(self) };
        if self.sstatus & SSTATUS_FS_MASK == SSTATUS_FS_DIRTY {
            // SAFETY: FS is Dirty (so on); `fp_store` writes exactly `fregs` and `fcsr`.
            unsafe { fp_store(self.fregs.as_mut_ptr()) };
            self.sstatus = (self.sstatus & !SSTATUS_FS_MASK) | SSTATUS_FS_CLEAN;
        }
        decode(self.scause, self.stval)
    }

    /// The user's floating-point registers and `fcsr`, as last saved (current after `run`
    /// returns: a dirty FP state is saved on every trap).
    pub fn fp_state(&self) -> ([u64; 32], u64) {
        (self.fregs, self.fcsr)
    }

    /// Replaces the floating-point registers and `fcsr` (signal return); they are loaded on
    /// the next entry to user mode.
    pub fn set_fp_state(&mut self, fregs: &[u64; 32], fcsr: u64) {
        self.fregs = *fregs;
        self.fcsr = fcsr & 0xff;
        self.fp_last_hart = usize::MAX;
    }

    /// The syscall number (a7) and arguments (a0..a5).
    pub fn syscall_args(&self) -> (usize, [usize; 6]) {
        let a = &self.regs[reg::A0..=reg::A0 + 5];
        (self.regs[reg::A7], [a[0], a[1], a[2], a[3], a[4], a[5]])
    }
}

unsafe extern "C" {
    fn run_user(ctx: *mut UserContext);
    fn fp_load(fregs: *const u64);
    fn fp_store(fregs: *mut u64);
    fn trap_vector();
}

macro_rules! fp_asm {
    ($op:literal, $csr:literal) => {
        concat!(
            $op,
            " f0, 0(a0)\n",
            $op,
            " f1, 8(a0)\n",
            $op,
            " f2, 16(a0)\n",
            $op,
            " f3, 24(a0)\n",
            $op,
            " f4, 32(a0)\n",
            $op,
            " f5, 40(a0)\n",
            $op,
            " f6, 48(a0)\n",
            $op,
            " f7, 56(a0)\n",
            $op,
            " f8, 64(a0)\n",
            $op,
            " f9, 72(a0)\n",
            $op,
            " f10, 80(a0)\n",
            $op,
            " f11, 88(a0)\n",
            $op,
            " f12, 96(a0)\n",
            $op,
            " f13, 104(a0)\n",
            $op,
            " f14, 112(a0)\n",
            $op,
            " f15, 120(a0)\n",
            $op,
            " f16, 128(a0)\n",
            $op,
            " f17, 136(a0)\n",
            $op,
            " f18, 144(a0)\n",
            $op,
            " f19, 152(a0)\n",
            $op,
            " f20, 160(a0)\n",
            $op,
            " f21, 168(a0)\n",
            $op,
            " f22, 176(a0)\n",
            $op,
            " f23, 184(a0)\n",
            $op,
            " f24, 192(a0)\n",
            $op,
            " f25, 200(a0)\n",
            $op,
            " f26, 208(a0)\n",
            $op,
            " f27, 216(a0)\n",
            $op,
            " f28, 224(a0)\n",
            $op,
            " f29, 232(a0)\n",
            $op,
            " f30, 240(a0)\n",
            $op,
            " f31, 248(a0)\n",
            $csr,
            "\n",
            "ret\n"
        )
    };
}

global_asm!(
    ".section .text",
    ".option push",
    ".option arch, +f, +d",
    ".globl fp_load",
    ".p2align 2",
    "fp_load:",
    "ld t0, 256(a0)",
    "fscsr t0",
    fp_asm!("fld", "nop"),
    ".globl fp_store",
    ".p2align 2",
    "fp_store:",
    fp_asm!("fsd", "frcsr t0\nsd t0, 256(a0)"),
    ".option pop",
);

// Every general register, by number, for the save/restore sequences.
macro_rules! for_user_regs {
    ($op:literal, $base:literal) => {
        concat!(
            $op,
            " x1, 1*8(",
            $base,
            ")\n",
            $op,
            " x3, 3*8(",
            $base,
            ")\n",
            $op,
            " x4, 4*8(",
            $base,
            ")\n",
            $op,
            " x5, 5*8(",
            $base,
            ")\n",
            $op,
            " x6, 6*8(",
            $base,
            ")\n",
            $op,
            " x7, 7*8(",
            $base,
            ")\n",
            $op,
            " x8, 8*8(",
            $base,
            ")\n",
            $op,
            " x9, 9*8(",
            $base,
            ")\n",
            $op,
            " x11, 11*8(",
            $base,
            ")\n",
            $op,
            " x12, 12*8(",
            $base,
            ")\n",
            $op,
            " x13, 13*8(",
            $base,
            ")\n",
            $op,
            " x14, 14*8(",
            $base,
            ")\n",
            $op,
            " x15, 15*8(",
            $base,
            ")\n",
            $op,
            " x16, 16*8(",
            $base,
            ")\n",
            $op,
            " x17, 17*8(",
            $base,
            ")\n",
            $op,
            " x18, 18*8(",
            $base,
            ")\n",
            $op,
            " x19, 19*8(",
            $base,
            ")\n",
            $op,
            " x20, 20*8(",
            $base,
            ")\n",
            $op,
            " x21, 21*8(",
            $base,
            ")\n",
            $op,
            " x22, 22*8(",
            $base,
            ")\n",
            $op,
            " x23, 23*8(",
            $base,
            ")\n",
            $op,
            " x24, 24*8(",
            $base,
            ")\n",
            $op,
            " x25, 25*8(",
            $base,
            ")\n",
            $op,
            " x26, 26*8(",
            $base,
            ")\n",
            $op,
            " x27, 27*8(",
            $base,
            ")\n",
            $op,
            " x28, 28*8(",
            $base,
            ")\n",
            $op,
            " x29, 29*8(",
            $base,
            ")\n",
            $op,
            " x30, 30*8(",
            $base,
            ")\n",
            $op,
            " x31, 31*8(",
            $base,
            ")\n",
        )
    };
}

// Kernel callee-saved registers kept across a stay in user mode: ra, s0-s11, tp.
macro_rules! kernel_callee_saved {
    ($op:literal) => {
        concat!(
            $op,
            " ra, 0*8(sp)\n",
            $op,
            " s0, 1*8(sp)\n",
            $op,
            " s1, 2*8(sp)\n",
            $op,
            " s2, 3*8(sp)\n",
            $op,
            " s3, 4*8(sp)\n",
            $op,
            " s4, 5*8(sp)\n",
            $op,
            " s5, 6*8(sp)\n",
            $op,
            " s6, 7*8(sp)\n",
            $op,
            " s7, 8*8(sp)\n",
            $op,
            " s8, 9*8(sp)\n",
            $op,
            " s9, 10*8(sp)\n",
            $op,
            " s10, 11*8(sp)\n",
            $op,
            " s11, 12*8(sp)\n",
            $op,
            " tp, 13*8(sp)\n",
        )
    };
}

global_asm!(
    ".section .text",
    ".globl run_user",
    ".p2align 2",
    "run_user:",
    "addi sp, sp, -14*8",
    kernel_callee_saved!("sd"),
    "sd sp, {kernel_sp}(a0)",
    "csrw sscratch, a0",
    "ld t0, {sepc}(a0)",
    "csrw sepc, t0",
    "ld t0, {sstatus}(a0)",
    "csrw sstatus, t0",
    "ld x2, 2*8(a0)",
    for_user_regs!("ld", "a0"),
    "ld a0, 10*8(a0)",
    "sret",
    "",
    ".globl trap_vector",
    ".p2align 2",
    "trap_vector:",
    "csrrw sp, sscratch, sp",
    "bnez sp, 1f",
    // From kernel mode: put sp back (sscratch = 0 again) and take the kernel path.
    "csrrw sp, sscratch, sp",
    "j {kernel_entry}",
    // From user mode: sp = the UserContext, sscratch = the user sp.
    "1:",
    "sd a0, 10*8(sp)",
    "mv a0, sp",
    for_user_regs!("sd", "a0"),
    "csrr t0, sscratch",
    "sd t0, 2*8(a0)",
    "csrw sscratch, zero",
    "csrr t0, sepc",
    "sd t0, {sepc}(a0)",
    "csrr t0, sstatus",
    "sd t0, {sstatus}(a0)",
    "csrr t0, scause",
    "sd t0, {scause}(a0)",
    "csrr t0, stval",
    "sd t0, {stval}(a0)",
    "ld sp, {kernel_sp}(a0)",
    kernel_callee_saved!("ld"),
    "addi sp, sp, 14*8",
    "ret",
    kernel_sp = const OFF_KERNEL_SP,
    sepc = const OFF_SEPC,
    sstatus = const OFF_SSTATUS,
    scause = const OFF_SCAUSE,
    stval = const OFF_STVAL,
    kernel_entry = sym kernel_trap_entry,
);

/// The registers of kernel code interrupted by a trap, as pushed on its stack.
#[repr(C)]
#[derive(Debug)]
pub struct KernelFrame {
    /// x0..x31 at the trap (x2 = sp after the frame was pushed).
    pub regs: [usize; 32],
    pub sepc: usize,
    pub sstatus: usize,
}

const KERNEL_FRAME_SIZE: usize = core::mem::size_of::<KernelFrame>();
const _: () = assert!(KERNEL_FRAME_SIZE.is_multiple_of(16));

#[unsafe(naked)]
unsafe extern "C" fn kernel_trap_entry() {
    core::arch::naked_asm!(
        "addi sp, sp, -{size}",
        "sd x2, 2*8(sp)",
        "sd x10, 10*8(sp)",
        for_user_regs!("sd", "sp"),
        "csrr t0, sepc",
        "sd t0, 32*8(sp)",
        "csrr t0, sstatus",
        "sd t0, 33*8(sp)",
        "mv a0, sp",
        "call {handler}",
        "ld t0, 32*8(sp)",
        "csrw sepc, t0",
        "ld t0, 33*8(sp)",
        "csrw sstatus, t0",
        "ld x10, 10*8(sp)",
        for_user_regs!("ld", "sp"),
        "addi sp, sp, {size}",
        "sret",
        size = const KERNEL_FRAME_SIZE,
        handler = sym kernel_trap,
    )
}

static INTERRUPT_HANDLER: Once<fn(Interrupt)> = Once::new();

/// Registers the kernel's handler for interrupts taken while kernel code runs. The kernel
/// calls the same handler itself for interrupts [`UserContext::run`] reports.
pub fn set_interrupt_handler(handler: fn(Interrupt)) {
    // A second registration keeps the first: there is only one kernel.
    let _ = INTERRUPT_HANDLER.set(handler);
}

extern "C" fn kernel_trap(frame: &mut KernelFrame) {
    let (scause, stval): (usize, usize);
    // SAFETY: reading the trap CSRs has no side effects.
    unsafe {
        asm!("csrr {}, scause", out(reg) scause, options(nomem, nostack));
        asm!("csrr {}, stval", out(reg) stval, options(nomem, nostack));
    }
    match decode(scause, stval) {
        Trap::Interrupt(interrupt) => match INTERRUPT_HANDLER.get() {
            Some(handler) => handler(interrupt),
            None => panic!("interrupt {interrupt:?} before a handler was registered"),
        },
        trap => panic!(
            "kernel trap {trap:?} on hart {} at sepc={:#x} stval={:#x} ra={:#x} sp={:#x}",
            cpu::hart_id(),
            frame.sepc,
            stval,
            frame.regs[reg::RA],
            frame.regs[reg::SP]
        ),
    }
}

/// Installs the trap vector on this hart (and marks it as running kernel code).
pub fn init_hart() {
    // SAFETY: `trap_vector` is 4-byte aligned code that handles every trap; sscratch = 0
    // marks "in kernel" for it.
    unsafe {
        asm!("csrw sscratch, zero", options(nostack));
        asm!("csrw stvec, {}", in(reg) trap_vector as *const () as usize, options(nostack));
    }
}
