//! Running a process in user mode (concepts K1, K4): enter user mode, serve the trap that
//! brings the hart back, repeat.
//!
//! A trap is a syscall, an interrupt or a fault. Demand-zero faults are served by the
//! address space; any other fault ends the program with a signal status and a console line
//! naming pid, cause, `sepc` and `stval`. Before each return to user mode the process acts
//! on pending signals and gives up its hart if its quantum is used up.

use super::{Process, UserState, sched};
use crate::mm::VmaKind;
use crate::{console, irq, syscall};
use abi::signal::{SIGBUS, SIGILL, SIGSEGV, SIGTRAP, signal_name};
use abi::wait;
use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use core::sync::atomic::Ordering;
use hal::trap::{Access, Trap};

/// Runs the process until it exits or is killed; returns its wait status.
pub fn run(me: &Arc<Process>, user: &mut UserState) -> i32 {
    let mut published = None;
    loop {
        let pending = me.pending_signals();
        if pending != 0 {
            return wait::signaled(pending.trailing_zeros(), false);
        }
        if me.need_resched.load(Ordering::Relaxed) {
            sched::yield_current(me, true);
            continue;
        }
        let layout = (user.space.layout_generation(), user.space.resident_pages());
        if published != Some(layout) {
            user.publish(me);
            published = Some(layout);
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
                        user.ctx.regs[hal::trap::reg::A0] = value as usize
                    }
                    syscall::Outcome::Exit(status) => return status,
                }
            }
            Trap::Interrupt(interrupt) => irq::handle(interrupt),
            Trap::PageFault { addr, access } if user.space.handle_fault(addr, access).is_ok() => {}
            fault => return kill_for_fault(me, user, fault),
        }
    }
}

fn kill_for_fault(me: &Process, user: &UserState, fault: Trap) -> i32 {
    let (signal, cause, stval) = match fault {
        Trap::PageFault { addr, access } => (
            SIGSEGV,
            describe_fault(user, "page fault", addr, access),
            addr,
        ),
        Trap::AccessFault { addr, access } => (
            SIGSEGV,
            describe_fault(user, "access fault", addr, access),
            addr,
        ),
        Trap::Misaligned { addr, access } => (
            SIGBUS,
            describe_fault(user, "misaligned access", addr, access),
            addr,
        ),
        Trap::IllegalInstruction { bits } => {
            (SIGILL, format!("illegal instruction {bits:#010x}"), bits)
        }
        Trap::Breakpoint => (SIGTRAP, String::from("breakpoint"), 0),
        Trap::Other { scause, stval } => (
            SIGSEGV,
            format!("unexpected trap (scause {scause:#x})"),
            stval,
        ),
        Trap::Syscall | Trap::Interrupt(_) => unreachable!("served by run"),
    };
    console::println!(
        "[pid {} {}] killed by {}: {cause}; sepc={:#x} stval={stval:#x}",
        me.pid,
        me.inner().name,
        signal_name(signal).unwrap_or("?"),
        user.ctx.sepc,
    );
    wait::signaled(signal, false)
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
