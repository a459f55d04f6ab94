//! Running a user program (concepts K1, P3 in their first form).
//!
//! Until the process issue adds fork, a scheduler and wait queues, a process runs on the
//! hart that started it, from `exec` to exit: [`Process::run`] enters user mode, serves the
//! trap that brings it back (a syscall, an interrupt or a fault), and goes round again. A
//! fault ends the program with a signal status and a console line naming pid, cause, `sepc`
//! and `stval`; the kernel carries on.

use crate::mm::{AddressSpace, VmaKind};
use crate::{console, exec, irq, syscall};
use abi::errno::Errno;
use abi::signal::{SIGBUS, SIGILL, SIGSEGV, SIGTRAP, signal_name};
use abi::wait::{self, WaitStatus};
use alloc::format;
use alloc::string::String;
use core::sync::atomic::{AtomicUsize, Ordering};
use hal::trap::{Access, Trap, UserContext};

/// The environment the kernel gives the programs it starts itself.
pub const DEFAULT_ENV: &[&str] = &["PATH=/bin", "HOME=/"];

static NEXT_PID: AtomicUsize = AtomicUsize::new(1);

/// A running program: its id, memory and registers.
pub struct Process {
    pub pid: usize,
    pub name: String,
    pub space: AddressSpace,
    pub ctx: UserContext,
    /// Monotonic time when the process was created.
    pub started_ns: u64,
}

impl Process {
    /// Runs until the program exits or is killed; returns its wait status (Linux encoding).
    pub fn run(&mut self) -> i32 {
        loop {
            self.space.activate();
            let trap = self.ctx.run();
            match trap {
                Trap::Syscall => {
                    self.ctx.sepc += 4;
                    hal::cpu::enable_interrupts();
                    let (nr, args) = self.ctx.syscall_args();
                    match syscall::dispatch(self, nr, args) {
                        syscall::Outcome::Return(value) => {
                            self.ctx.regs[hal::trap::reg::A0] = value as usize
                        }
                        syscall::Outcome::Exit(status) => return status,
                    }
                }
                Trap::Interrupt(interrupt) => irq::handle(interrupt),
                fault => return self.kill_for_fault(fault),
            }
        }
    }

    fn kill_for_fault(&self, fault: Trap) -> i32 {
        let (signal, cause) = match fault {
            Trap::PageFault { addr, access } => {
                (SIGSEGV, self.describe_fault("page fault", addr, access))
            }
            Trap::AccessFault { addr, access } => {
                (SIGSEGV, self.describe_fault("access fault", addr, access))
            }
            Trap::Misaligned { addr, access } => (
                SIGBUS,
                self.describe_fault("misaligned access", addr, access),
            ),
            Trap::IllegalInstruction { bits } => {
                (SIGILL, format!("illegal instruction {bits:#010x}"))
            }
            Trap::Breakpoint => (SIGTRAP, String::from("breakpoint")),
            Trap::Other { scause, .. } => {
                (SIGSEGV, format!("unexpected trap (scause {scause:#x})"))
            }
            Trap::Syscall | Trap::Interrupt(_) => unreachable!("handled by run"),
        };
        let stval = match fault {
            Trap::PageFault { addr, .. }
            | Trap::AccessFault { addr, .. }
            | Trap::Misaligned { addr, .. } => addr,
            Trap::IllegalInstruction { bits } => bits,
            _ => 0,
        };
        console::println!(
            "[pid {} {}] killed by {}: {cause}; sepc={:#x} stval={stval:#x}",
            self.pid,
            self.name,
            signal_name(signal).unwrap_or("?"),
            self.ctx.sepc,
        );
        wait::signaled(signal, false)
    }

    fn describe_fault(&self, what: &str, addr: usize, access: Access) -> String {
        let access = match access {
            Access::Read => "read",
            Access::Write => "write",
            Access::Execute => "execute",
        };
        let region = match self.space.find_vma(addr) {
            Some(vma) if vma.kind == VmaKind::Guard => " (stack overflow into the guard page)",
            Some(_) => " (permission denied)",
            None if addr >= hal::USER_TOP => " (kernel address)",
            None => " (no mapping)",
        };
        format!("{what} on {access} of {addr:#x}{region}")
    }
}

/// Loads `path` from the initrd and runs it to the end; returns its wait status.
pub fn run_program(initrd: &[u8], path: &str, argv: &[&str], envp: &[&str]) -> Result<i32, Errno> {
    let file = initrd::Reader::new(initrd)
        .find(path)
        .ok_or(Errno::ENOENT)?;
    let pid = NEXT_PID.fetch_add(1, Ordering::Relaxed);
    let mut process = exec::load(pid, path, file.data, argv, envp)?;
    Ok(process.run())
}

/// "exited with status N" / "killed by SIGSEGV", for logs.
pub fn describe_status(status: i32) -> String {
    match WaitStatus::decode(status) {
        Some(WaitStatus::Exited(code)) => format!("exited with status {code}"),
        Some(WaitStatus::Signaled { sig, .. }) => {
            format!(
                "killed by {}",
                signal_name(sig).unwrap_or("an unknown signal")
            )
        }
        _ => format!("wait status {status:#x}"),
    }
}
