//! Running a process in user mode (concepts K1, K4): enter user mode, serve the trap that
//! brings the hart back, repeat.
//!
//! A trap is a syscall, an interrupt or a fault. Demand-zero faults are served by the
//! address space; any other fault ends the program with a signal status and a console line
//! naming pid, cause, `sepc` and `stval`, and a fault that finds no memory left (RAM and
//! swap full) is the OOM killer's SIGKILL. Before each return to user mode the process acts
//! on pending signals, gives up its hart if its quantum is used up, and stays off user mode
//! while thrashing control keeps it suspended.

use super::{Process, UserState, sched, signal};
use crate::mm::{VmaKind, thrash, vmstat};
use crate::{console, irq, syscall};
use abi::errno::Errno;
use abi::signal::{
    BUS_ADRALN, ILL_ILLOPC, SEGV_ACCERR, SEGV_MAPERR, SI_KERNEL, SIG_IGN, SIGBUS, SIGILL, SIGKILL,
    SIGSEGV, SIGTRAP, SigInfo, TRAP_BRKPT, signal_name, sigset_bit,
};
use abi::wait;
use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use core::sync::atomic::Ordering;
use hal::trap::{Access, Trap};

/// Runs the process until it exits or is killed; returns its wait status.
pub fn run(me: &Arc<Process>, user: &mut UserState) -> i32 {
    let mut interrupted: Option<signal::Interrupted> = None;
    loop {
        if signal::interrupted(me) || interrupted.is_some() {
            match signal::deliver(me, user, interrupted.take()) {
                signal::Delivered::Resume => {}
                signal::Delivered::Exit(status) => return status,
            }
        }
        if me.need_resched.load(Ordering::Relaxed) {
            sched::yield_current(me, true);
            continue;
        }
        if thrash::is_suspended(me.tgid) {
            thrash::park(me);
            continue;
        }
        user.space.activate();
        // Raw timer ticks here: converting to nanoseconds costs a 128-bit division, and this
        // is the hottest path in the kernel.
        let entered = hal::cpu::read_time();
        let trap = user.ctx.run();
        me.user_ticks
            .fetch_add(hal::cpu::read_time() - entered, Ordering::Relaxed);
        match trap {
            Trap::Syscall => {
                user.ctx.sepc += 4;
                hal::cpu::enable_interrupts();
                let (number, args) = user.ctx.syscall_args();
                match syscall::dispatch(me, user, number, args) {
                    syscall::Outcome::Return(value) => {
                        user.ctx.regs[hal::trap::reg::A0] = value as usize;
                        if value == Errno::EINTR.as_return() {
                            interrupted = Some(signal::Interrupted {
                                rule: signal::restart_rule(number),
                                first_arg: args[0],
                            });
                        }
                    }
                    syscall::Outcome::Restored => {}
                    syscall::Outcome::Exit(status) => return status,
                }
            }
            Trap::Interrupt(interrupt) => irq::handle(interrupt),
            Trap::PageFault { addr, access } => {
                // Serving a fault may wait for the disk (swap, a mapped file): with
                // interrupts on, as for a system call, or the completion never arrives.
                hal::cpu::enable_interrupts();
                match user.space.handle_fault(addr, access) {
                    Ok(()) => {}
                    Err(Errno::ENOMEM) => return out_of_memory(me, addr),
                    Err(_) => {
                        let fault = Trap::PageFault { addr, access };
                        if let Some(status) = signal_for_fault(me, user, fault) {
                            return status;
                        }
                    }
                }
            }
            fault => {
                if let Some(status) = signal_for_fault(me, user, fault) {
                    return status;
                }
            }
        }
    }
}

/// A fault the address space could not serve becomes a signal: delivered to the program's
/// handler if it has one (not blocked), else fatal (`Some(wait status)`) with a console
/// line naming pid, cause, `sepc` and `stval`.
fn signal_for_fault(me: &Arc<Process>, user: &UserState, fault: Trap) -> Option<i32> {
    let (sig, code, cause, stval) = match fault {
        Trap::PageFault { addr, access } | Trap::AccessFault { addr, access } => {
            let code = match user.space.find_vma(addr) {
                Some(vma) if vma.kind != VmaKind::Guard => SEGV_ACCERR,
                _ => SEGV_MAPERR,
            };
            let what = if matches!(fault, Trap::PageFault { .. }) {
                "page fault"
            } else {
                "access fault"
            };
            (
                SIGSEGV,
                code,
                describe_fault(user, what, addr, access),
                addr,
            )
        }
        Trap::Misaligned { addr, access } => (
            SIGBUS,
            BUS_ADRALN,
            describe_fault(user, "misaligned access", addr, access),
            addr,
        ),
        Trap::IllegalInstruction { bits } => (
            SIGILL,
            ILL_ILLOPC,
            format!("illegal instruction {bits:#010x}"),
            user.ctx.sepc,
        ),
        Trap::Breakpoint => (
            SIGTRAP,
            TRAP_BRKPT,
            String::from("breakpoint"),
            user.ctx.sepc,
        ),
        Trap::Other { scause, stval } => (
            SIGSEGV,
            SI_KERNEL,
            format!("unexpected trap (scause {scause:#x})"),
            stval,
        ),
        Trap::Syscall | Trap::Interrupt(_) => unreachable!("served by run"),
    };
    let bit = sigset_bit(sig);
    let handled = {
        let action = me.handlers.lock()[sig as usize - 1];
        action.handler > SIG_IGN && me.blocked_signals() & bit == 0
    };
    if handled {
        signal::send(me, sig, SigInfo::fault(sig, code, stval));
        return None;
    }
    // A fatal fault ends the whole process, every thread.
    let status = signal::exit_group(me, wait::signaled(sig, true));
    console::println!(
        "[pid {} {}] killed by {}: {cause}; sepc={:#x} stval={stval:#x}",
        me.pid,
        me.inner().name,
        signal_name(sig).unwrap_or("?"),
        user.ctx.sepc,
    );
    Some(status)
}

/// A page fault that found no frame (memory and swap full, and this process the largest):
/// the OOM killer ends the whole process with SIGKILL.
fn out_of_memory(me: &Arc<Process>, addr: usize) -> i32 {
    vmstat::OOM_KILL.bump();
    let status = signal::exit_group(me, wait::signaled(SIGKILL, false));
    console::println!(
        "[pid {} {}] killed by SIGKILL: out of memory (RAM and swap full) at {addr:#x}",
        me.pid,
        me.inner().name
    );
    status
}

fn describe_fault(user: &UserState, what: &str, addr: usize, access: Access) -> String {
    let access = match access {
        Access::Read => "read",
        Access::Write => "write",
        Access::Execute => "execute",
    };
    let region = match user.space.find_vma(addr) {
        Some(vma) if vma.kind == VmaKind::Guard => " (stack overflow into the guard page)",
        Some(_) => " (permission denied)",
        None if addr >= hal::USER_TOP => " (kernel address)",
        None => " (no mapping)",
    };
    format!("{what} on {access} of {addr:#x}{region}")
}
