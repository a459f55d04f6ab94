//! System calls (concept K3): `ecall` with the number in a7 and arguments in a0..a5, Linux
//! riscv64 numbering; the result goes back in a0, errors as `-errno`. One file per family.
//! Any number not served here returns `-ENOSYS`.

mod fs;
mod ipc;
mod log;
mod mm;
mod process;
mod sem;
mod shm;
mod signal;
mod socket;
mod time;
mod tty;

use crate::proc::{Process, UserState};
use abi::errno::Errno;
use abi::nr;
use alloc::sync::Arc;

/// What the process does after the call.
pub enum Outcome {
    /// Resume with this value in a0.
    Return(isize),
    /// The process ends with this wait status.
    Exit(i32),
    /// Resume with the registers as the call left them (`rt_sigreturn` restored them all).
    Restored,
}

/// Serves syscall `number` for process `me`, whose user half is `user`.
pub fn dispatch(
    me: &Arc<Process>,
    user: &mut UserState,
    number: usize,
    args: [usize; 6],
) -> Outcome {
    let [a0, a1, a2, a3, a4, a5] = args;
    let fd = a0;
    let result = match number {
        nr::READ => fs::read(me, user, fd, a1, a2),
        nr::WRITE => fs::write(me, user, fd, a1, a2),
        nr::READV => fs::readv(me, user, fd, a1, a2),
        nr::WRITEV => fs::writev(me, user, fd, a1, a2),
        nr::PREAD64 => fs::pread(me, user, fd, a1, a2, a3),
        nr::PWRITE64 => fs::pwrite(me, user, fd, a1, a2, a3),
        nr::OPENAT => fs::openat(me, user, a0, a1, a2, a3),
        nr::CLOSE => fs::close(me, fd),
        nr::LSEEK => fs::lseek(me, fd, a1, a2),
        nr::DUP => fs::dup(me, fd),
        nr::DUP3 => fs::dup3(me, a0, a1, a2),
        nr::FCNTL => fs::fcntl(me, fd, a1, a2),
        nr::IOCTL => tty::ioctl(me, user, fd, a1, a2),
        nr::PIPE2 => fs::pipe2(me, user, a0, a1),
        nr::EVENTFD2 => fs::eventfd2(me, a0, a1),
        nr::FSTAT => fs::fstat(me, user, fd, a1),
        nr::NEWFSTATAT => fs::fstatat(me, user, a0, a1, a2, a3),
        nr::GETDENTS64 => fs::getdents64(me, user, fd, a1, a2),
        nr::MKDIRAT => fs::mkdirat(me, user, a0, a1, a2),
        nr::MKNODAT => fs::mknodat(me, user, a0, a1, a2),
        nr::UNLINKAT => fs::unlinkat(me, user, a0, a1, a2),
        nr::LINKAT => fs::linkat(me, user, a0, a1, a2, a3, a4),
        nr::RENAMEAT2 => fs::renameat2(me, user, a0, a1, a2, a3, a4),
        nr::SYMLINKAT => fs::symlinkat(me, user, a0, a1, a2),
        nr::READLINKAT => fs::readlinkat(me, user, a0, a1, a2, a3),
        nr::CHDIR => fs::chdir(me, user, a0),
        nr::FCHDIR => fs::fchdir(me, fd),
        nr::GETCWD => fs::getcwd(me, user, a0, a1),
        nr::FSYNC | nr::FDATASYNC => fs::fsync(me, fd),
        nr::SYNC => fs::sync(),
        nr::FTRUNCATE => fs::ftruncate(me, fd, a1),
        nr::FACCESSAT => fs::faccessat(me, user, a0, a1, a2, 0),
        nr::FACCESSAT2 => fs::faccessat(me, user, a0, a1, a2, a3),
        nr::UTIMENSAT => fs::utimensat(me, user, a0, a1, a2, a3),
        nr::UMASK => fs::umask(me, a0),
        nr::STATFS => fs::statfs(me, user, a0, a1),
        nr::FSTATFS => fs::fstatfs(me, user, fd, a1),
        nr::EXIT => return Outcome::Exit(process::exit_status(a0)),
        nr::EXIT_GROUP => {
            let status = crate::proc::signal::exit_group(me, process::exit_status(a0));
            return Outcome::Exit(status);
        }
        nr::FUTEX => process::futex(me, user, a0, a1, a2, a3, a4, a5),
        nr::CLONE => process::clone(me, user, a0, a1, a2, a3, a4),
        nr::EXECVE => process::execve(me, user, a0, a1, a2),
        nr::WAIT4 => process::wait4(me, user, a0, a1, a2, a3),
        nr::KILL => signal::kill(me, a0, a1),
        nr::TKILL => signal::tgkill(me, -1, a0, a1),
        nr::TGKILL => signal::tgkill(me, a0 as i32 as isize, a1, a2),
        nr::RT_SIGACTION => signal::rt_sigaction(me, user, a0, a1, a2, a3),
        nr::RT_SIGPROCMASK => signal::rt_sigprocmask(me, user, a0, a1, a2, a3),
        nr::RT_SIGPENDING => signal::rt_sigpending(me, user, a0, a1),
        nr::RT_SIGSUSPEND => signal::rt_sigsuspend(me, user, a0, a1),
        nr::SIGALTSTACK => signal::sigaltstack(me, user, a0, a1),
        nr::RT_SIGRETURN => {
            return match crate::proc::signal::sigreturn(me, user) {
                Ok(()) => Outcome::Restored,
                Err(_) => {
                    crate::console::println!(
                        "[pid {}] killed by SIGSEGV: rt_sigreturn found no signal frame at sp",
                        me.pid
                    );
                    Outcome::Exit(abi::wait::signaled(abi::signal::SIGSEGV, true))
                }
            };
        }
        nr::SETITIMER => signal::setitimer(me, user, a0, a1, a2),
        nr::MSGGET => ipc::msgget(me, a0, a1),
        nr::MSGSND => ipc::msgsnd(me, user, a0, a1, a2, a3),
        nr::MSGRCV => ipc::msgrcv(me, user, a0, a1, a2, a3, a4),
        nr::MSGCTL => ipc::msgctl(me, user, a0, a1, a2),
        nr::SEMGET => sem::semget(me, a0, a1, a2),
        nr::SEMOP => sem::semop(me, user, a0, a1, a2),
        nr::SEMTIMEDOP => sem::semtimedop(me, user, a0, a1, a2, a3),
        nr::SEMCTL => sem::semctl(me, user, a0, a1, a2, a3),
        nr::SHMGET => shm::shmget(me, a0, a1, a2),
        nr::SHMAT => shm::shmat(me, user, a0, a1, a2),
        nr::SHMDT => shm::shmdt(me, user, a0),
        nr::SHMCTL => shm::shmctl(me, user, a0, a1, a2),
        nr::SOCKET => socket::socket(me, a0, a1, a2),
        nr::SOCKETPAIR => socket::socketpair(me, user, a0, a1, a2, a3),
        nr::BIND => socket::bind(me, user, fd, a1, a2),
        nr::LISTEN => socket::listen(me, fd, a1),
        nr::ACCEPT => socket::accept4(me, user, fd, a1, a2, 0),
        nr::ACCEPT4 => socket::accept4(me, user, fd, a1, a2, a3),
        nr::CONNECT => socket::connect(me, user, fd, a1, a2),
        nr::GETSOCKNAME => socket::getsockname(me, user, fd, a1, a2, false),
        nr::GETPEERNAME => socket::getsockname(me, user, fd, a1, a2, true),
        nr::SENDTO => socket::sendto(me, user, fd, a1, a2, a3, a4, a5),
        nr::RECVFROM => socket::recvfrom(me, user, fd, a1, a2, a3, a4, a5),
        nr::SETSOCKOPT => socket::setsockopt(me, user, fd, a1, a2, a3, a4),
        nr::GETSOCKOPT => socket::getsockopt(me, user, fd, a1, a2, a3, a4),
        nr::SHUTDOWN => socket::shutdown(me, fd, a1),
        nr::SENDMSG => socket::sendmsg(me, user, fd, a1, a2),
        nr::RECVMSG => socket::recvmsg(me, user, fd, a1, a2),
        nr::PPOLL => signal::ppoll(me, user, a0, a1, a2, a3, a4),
        nr::PSELECT6 => signal::pselect6(me, user, a0, [a1, a2, a3], a4, a5),
        nr::GETITIMER => signal::getitimer(me, user, a0, a1),
        nr::SETPGID => signal::setpgid(me, a0, a1),
        nr::GETPGID => signal::getpgid(me, a0),
        nr::GETSID => signal::getsid(me, a0),
        nr::SETSID => signal::setsid(me),
        nr::SETUID => signal::setuid(me, a0),
        nr::SETGID => signal::setgid(me, a0),
        nr::SETRESUID => signal::setresuid(me, a0, a1, a2),
        nr::SETRESGID => signal::setresgid(me, a0, a1, a2),
        nr::GETRESUID => signal::getres(me, user, false, [a0, a1, a2]),
        nr::GETRESGID => signal::getres(me, user, true, [a0, a1, a2]),
        nr::GETPID => Ok(me.tgid),
        nr::GETTID => Ok(me.pid),
        nr::GETPPID => Ok(me.leader().inner().parent),
        nr::SET_TID_ADDRESS => process::set_tid_address(me, a0),
        nr::BRK => Ok(process::brk(user, a0)),
        nr::MMAP => mm::mmap(me, user, a0, a1, a2, a3, a4, a5),
        nr::MUNMAP => mm::munmap(user, a0, a1),
        nr::MPROTECT => mm::mprotect(user, a0, a1, a2),
        nr::MSYNC => mm::msync(user, a0, a1, a2),
        nr::MADVISE => mm::madvise(user, a0, a1, a2),
        nr::SCHED_YIELD => process::sched_yield(me),
        nr::SETPRIORITY => process::setpriority(me, a0, a1, a2),
        nr::GETPRIORITY => process::getpriority(me, a0, a1),
        nr::SCHED_SETATTR => process::sched_setattr(me, user, a0, a1, a2),
        nr::SCHED_GETATTR => process::sched_getattr(me, user, a0, a1, a2, a3),
        nr::UNAME => process::uname(user, a0),
        nr::GETUID => Ok(me.inner().creds.uid as usize),
        nr::GETEUID => Ok(me.inner().creds.euid as usize),
        nr::GETGID => Ok(me.inner().creds.gid as usize),
        nr::GETEGID => Ok(me.inner().creds.egid as usize),
        nr::GETCPU => process::getcpu(user, a0, a1),
        nr::SCHED_SETAFFINITY => process::sched_setaffinity(me, user, a0, a1, a2),
        nr::SCHED_GETAFFINITY => process::sched_getaffinity(me, user, a0, a1, a2),
        nr::GETRUSAGE => process::getrusage(me, user, a0, a1),
        nr::TIMES => process::times(me, user, a0),
        nr::NANOSLEEP => time::nanosleep(me, user, a0, a1),
        nr::CLOCK_GETTIME => time::clock_gettime(me, user, a0, a1),
        nr::SYSLOG => log::syslog(user, a0, a1, a2),
        _ => {
            ::log::debug!("pid {}: unknown syscall {number}", me.pid);
            Err(Errno::ENOSYS)
        }
    };
    Outcome::Return(match result {
        Ok(value) => value as isize,
        Err(errno) => errno.as_return(),
    })
}
