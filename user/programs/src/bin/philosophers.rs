//! `philosophers [--detect | --ordered] [MEALS]`: the dining philosophers on System V
//! semaphores (concepts I7, T4).
//!
//! Five philosopher processes sit around a table with a fork between each two neighbours:
//! one semaphore per fork, 1 while it lies on the table. To eat, philosopher `i` needs
//! fork `i` (left) and fork `i + 1` (right). Each eats MEALS meals (3 if not given). So
//! that the unlucky timing happens every time, everyone first picks up one fork and then
//! waits (up to half a second) at a barrier until all five hold one.
//! - Without options, everyone takes the left fork first. All five hold one fork and wait
//!   for the next: the four Coffman conditions hold (mutual exclusion, hold and wait, no
//!   preemption, circular wait) and nobody eats again. A watchdog in the parent notices
//!   that no meal has been eaten for two seconds, says so, shows the forks (all taken,
//!   each with one waiter), and kills the philosophers.
//! - `--detect` turns on the kernel's deadlock detector (`/proc/sys/kernel/deadlock_detect`,
//!   root only) for the run: the philosopher whose wait would close the cycle gets
//!   `EDEADLK`, puts its fork down and starts again right fork first; everyone eats. The
//!   kernel log (`dmesg`) names the cycle. The detector is set back as it was.
//! - `--ordered` breaks the circular wait by resource ordering: everyone takes the
//!   lower-numbered of its two forks first, so the last philosopher reaches for fork 0
//!   before fork 4, and no cycle can form.
//!
//! Each event is printed as it happens (`philosopher 2 (pid 14): eats meal 1`). Exit
//! status 0, or 1 if a system call failed or a run that should finish got stuck.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::vec::Vec;

use ulib::abi::Errno;
use ulib::abi::signal::SIGKILL;
use ulib::abi::time::{CLOCK_MONOTONIC, Timespec};
use ulib::abi::wait;
use ulib::cli::{Arg, Args, Tool};
use ulib::ipc::{self, SemSet, sembuf};
use ulib::{Pid, procfs};

ulib::entry!(main);

const TOOL: Tool = Tool::new(
    "philosophers",
    "philosophers [--detect | --ordered] [MEALS]",
);

/// Philosophers, and forks.
const SEATS: u16 = 5;
/// Semaphore counting the meals eaten (the watchdog's sign of progress).
const MEALS_EATEN: u16 = SEATS;
/// Semaphore where everyone, holding its first fork, waits for the others.
const BARRIER: u16 = SEATS + 1;

/// Meals per philosopher when MEALS is not given.
const DEFAULT_MEALS: u32 = 3;
/// How long the watchdog lets the table go without a meal before calling it a deadlock.
const WATCHDOG_MS: u64 = 2000;
/// How often the watchdog looks.
const WATCH_EVERY_MS: u64 = 100;
/// Longest wait at the barrier (a philosopher stuck behind its first fork never arrives).
const BARRIER_MS: u64 = 500;
/// Thinking and eating times.
const THINK_MS: u64 = 20;
const EAT_MS: u64 = 30;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Left fork first: deadlocks.
    Naive,
    /// Left fork first, with the kernel's detector on.
    Detect,
    /// Lower-numbered fork first.
    Ordered,
}

fn main() -> i32 {
    let mut mode = Mode::Naive;
    let mut meals = None;
    for arg in Args::new() {
        match arg {
            Arg::Long("detect") if mode == Mode::Naive => mode = Mode::Detect,
            Arg::Long("ordered") if mode == Mode::Naive => mode = Mode::Ordered,
            Arg::Operand(text) if meals.is_none() => match text.parse::<u32>() {
                Ok(value) if value > 0 => meals = Some(value),
                _ => return TOOL.usage_error(format_args!("invalid number of meals '{text}'")),
            },
            other => return TOOL.unexpected(other),
        }
    }
    let meals = meals.unwrap_or(DEFAULT_MEALS);
    let detector_was = match mode {
        Mode::Detect => match switch_detector(true) {
            Ok(was) => Some(was),
            Err(error) => {
                TOOL.error(procfs::DEADLOCK_DETECT, error);
                return 1;
            }
        },
        _ => None,
    };
    let table = match set_table() {
        Ok(table) => table,
        Err(error) => {
            TOOL.error("semget", error);
            return 1;
        }
    };
    let status = dine(table, mode, meals);
    if let Err(error) = table.remove() {
        TOOL.error("semctl(IPC_RMID)", error);
    }
    if let Some(was) = detector_was
        && let Err(error) = procfs::set_deadlock_detection(was)
    {
        TOOL.error(procfs::DEADLOCK_DETECT, error);
    }
    status
}

/// Turns the deadlock detector on or off; whether it was on.
fn switch_detector(on: bool) -> Result<bool, Errno> {
    let was = procfs::deadlock_detection()?;
    procfs::set_deadlock_detection(on)?;
    Ok(was)
}

/// The semaphore set: five forks on the table, the meal counter, the barrier.
fn set_table() -> Result<SemSet, Errno> {
    let table = SemSet::private(i32::from(SEATS) + 2, 0o600)?;
    let mut values = alloc::vec![1u16; usize::from(SEATS)];
    values.extend([0, SEATS]);
    ipc::semctl_setall(table.id(), &values)?;
    Ok(table)
}

/// Seats the philosophers and watches them; the exit status.
fn dine(table: SemSet, mode: Mode, meals: u32) -> i32 {
    ulib::println!(
        "philosophers: {} philosophers, {meals} meals each, {}",
        SEATS,
        match mode {
            Mode::Naive => "everyone takes the left fork first",
            Mode::Detect => "left fork first, with the deadlock detector on",
            Mode::Ordered => "everyone takes the lower-numbered fork first",
        }
    );
    let start = now_ms();
    let mut seated = Vec::new();
    for seat in 0..SEATS {
        match ulib::spawn(move || philosopher(table, seat, mode, meals)) {
            Ok(pid) => seated.push(pid),
            Err(error) => {
                TOOL.error("fork", error);
                kill_all(&seated);
                return 1;
            }
        }
    }
    let all_meals = meals * u32::from(SEATS);
    if !watch(table, all_meals) {
        report_deadlock(table);
        kill_all(&seated);
        return if mode == Mode::Naive { 0 } else { 1 };
    }
    let mut status = 0;
    for (seat, pid) in seated.iter().enumerate() {
        match ulib::waitpid(*pid) {
            Ok(code) if code == wait::exited(0) => {}
            other => {
                TOOL.complain(format_args!("philosopher {seat} ended with {other:?}"));
                status = 1;
            }
        }
    }
    ulib::println!(
        "philosophers: all {SEATS} ate {meals} meals in {} ms",
        now_ms() - start
    );
    if mode == Mode::Detect {
        ulib::println!("philosophers: the kernel log names the cycle it refused: run dmesg");
    }
    if mode == Mode::Naive {
        // Lucky timing: the barrier gave up before everyone held a fork.
        ulib::println!("philosophers: no deadlock this time");
    }
    status
}

/// The watchdog: waits until `all_meals` meals are eaten (true) or none is eaten for
/// [`WATCHDOG_MS`] (false).
fn watch(table: SemSet, all_meals: u32) -> bool {
    let mut eaten = 0;
    let mut quiet_ms = 0;
    loop {
        let now = table.value(MEALS_EATEN).unwrap_or(0) as u32;
        if now >= all_meals {
            return true;
        }
        if now != eaten {
            eaten = now;
            quiet_ms = 0;
        } else if quiet_ms >= WATCHDOG_MS {
            ulib::println!(
                "watchdog: no meal for {} s ({eaten} of {all_meals} eaten): nothing progresses",
                WATCHDOG_MS / 1000
            );
            return false;
        }
        let _ = ulib::sleep_ms(WATCH_EVERY_MS);
        quiet_ms += WATCH_EVERY_MS;
    }
}

/// Shows the forks when the table is stuck.
fn report_deadlock(table: SemSet) {
    for fork in 0..SEATS {
        let value = table.value(fork).unwrap_or(-1);
        let waiting = ipc::semctl_getncnt(table.id(), i32::from(fork)).unwrap_or(0);
        ulib::println!(
            "watchdog: fork {fork}: {}, {waiting} philosopher(s) waiting for it",
            if value == 0 { "taken" } else { "on the table" }
        );
    }
    ulib::println!(
        "watchdog: each philosopher holds one fork and waits for the next: a circular wait, \
         a deadlock. Killing them (try --detect or --ordered)."
    );
}

fn kill_all(pids: &[Pid]) {
    for &pid in pids {
        let _ = ulib::kill(pid, SIGKILL);
    }
    for &pid in pids {
        let _ = ulib::waitpid(pid);
    }
}

/// One philosopher's life: `meals` times think, take two forks, eat, put them down. Exit
/// status 0, or 1 if a semaphore call failed.
fn philosopher(table: SemSet, seat: u16, mode: Mode, meals: u32) -> i32 {
    let pid = ulib::getpid().unwrap_or(0);
    let say = |what: core::fmt::Arguments<'_>| {
        ulib::println!("philosopher {seat} (pid {pid}): {what}");
    };
    let left = seat;
    let right = (seat + 1) % SEATS;
    let (first, second) = match mode {
        Mode::Ordered => (left.min(right), left.max(right)),
        Mode::Naive | Mode::Detect => (left, right),
    };
    for meal in 1..=meals {
        let _ = ulib::sleep_ms(THINK_MS);
        if table.wait(first).is_err() {
            return 1;
        }
        say(format_args!("picks up fork {first}"));
        if meal == 1 {
            // Arrive (-1) and wait for everyone (zero), at most BARRIER_MS.
            let _ = ipc::semop(table.id(), &[sembuf(BARRIER, -1, 0)]);
            let _ = ipc::semtimedop(table.id(), &[sembuf(BARRIER, 0, 0)], &millis(BARRIER_MS));
        }
        let (mut held, mut wanted) = (first, second);
        loop {
            say(format_args!("reaches for fork {wanted}"));
            match table.wait(wanted) {
                Ok(()) => break,
                Err(Errno::EDEADLK) => {
                    // Holding nothing while waiting, it cannot close a cycle: start again
                    // from the fork it was refused.
                    say(format_args!(
                        "EDEADLK: waiting for fork {wanted} would close a cycle; puts fork \
                         {held} down and starts again from fork {wanted}"
                    ));
                    if table.post(held).is_err() || table.wait(wanted).is_err() {
                        return 1;
                    }
                    say(format_args!("picks up fork {wanted}"));
                    (held, wanted) = (wanted, held);
                }
                Err(_) => return 1,
            }
        }
        say(format_args!("eats meal {meal}"));
        let _ = ulib::sleep_ms(EAT_MS);
        if table.post(second).is_err()
            || table.post(first).is_err()
            || table.post(MEALS_EATEN).is_err()
        {
            return 1;
        }
    }
    say(format_args!("is done"));
    0
}

fn millis(ms: u64) -> Timespec {
    Timespec::from_nanos(ms * 1_000_000)
}

fn now_ms() -> u64 {
    ulib::clock_gettime(CLOCK_MONOTONIC)
        .ok()
        .and_then(|time| time.to_nanos())
        .unwrap_or(0)
        / 1_000_000
}
