//! System calls (concept K3): `ecall` with the number in a7 and arguments in a0..a5, Linux
//! riscv64 numbering; the result goes back in a0, errors as `-errno`. One file per family.
//! Any number not served here returns `-ENOSYS`.

mod io;
mod log;
mod process;
mod time;

use crate::process::Process;
use abi::errno::Errno;
use abi::nr;

/// What the process does after the call.
pub enum Outcome {
    /// Resume with this value in a0.
    Return(isize),
    /// The process ends with this wait status.
    Exit(i32),
}

/// Serves syscall `number` for `process`.
pub fn dispatch(process: &mut Process, number: usize, args: [usize; 6]) -> Outcome {
    let result = match number {
        nr::READ => io::read(process, args[0], args[1], args[2]),
        nr::WRITE => io::write(process, args[0], args[1], args[2]),
        nr::EXIT | nr::EXIT_GROUP => return Outcome::Exit(process::exit_status(args[0])),
        nr::GETPID => Ok(process.pid),
        nr::SCHED_YIELD => process::sched_yield(),
        nr::NANOSLEEP => time::nanosleep(process, args[0], args[1]),
        nr::CLOCK_GETTIME => time::clock_gettime(process, args[0], args[1]),
        nr::SYSLOG => log::syslog(process, args[0], args[1], args[2]),
        _ => {
            ::log::debug!("pid {}: unknown syscall {number}", process.pid);
            Err(Errno::ENOSYS)
        }
    };
    Outcome::Return(match result {
        Ok(value) => value as isize,
        Err(errno) => errno.as_return(),
    })
}
