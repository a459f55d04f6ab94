//! `schedbench [--smoke] [--trace] [SCENARIO...]`: OSTEP's scheduling workloads run as real
//! processes under the kernel's policies (concept S4, with S1-S3), one table per run, with
//! the `lantern-sim` command that simulates the same workload (S6) so a user can compare
//! simulation and reality.
//!
//! Scenarios (all by default; `--smoke` makes each small and fast for `t_schedbench`):
//!
//! - `convoy`: one long CPU job A and three short ones B, C, D arrive together. Under fifo
//!   the short ones wait behind A (the convoy effect); sjf runs them first. Full mode adds
//!   stcf and rr.
//! - `late`: the short jobs arrive 50 ms after A started. sjf cannot take the CPU back from
//!   A, which finishes first; stcf preempts it, and the short ones finish first (S2:
//!   preemptive vs non-preemptive).
//! - `starvation`: a low-priority job A (nice 2; 5 in full mode) needs a little CPU while two
//!   nice-0 CPU hogs B, C run without end. Plain prio never runs A within the 2 s window (6 s
//!   in full mode): starvation. prio-aging raises A a level per 10 ticks it waits until it
//!   outranks the hogs, runs and finishes: the cure. Full mode adds mlfq.
//! - `io`: an I/O-bound job A (short CPU bursts, then 10 ms sleeps) against three CPU hogs.
//!   Its turnaround and how late it runs after each sleep show how a policy treats
//!   interactive work: rr queues it behind every hog after each sleep; mlfq means to keep it
//!   on a higher level than the hogs (the `policy says` column shows the level each job
//!   ended on). Full mode adds fifo, which runs each hog to its end meanwhile.
//! - `fair`: two CPU hogs for a fixed window, A with nice 0 and 300 tickets, B with nice 5
//!   and 100 tickets: their CPU shares under fair (weighted by nice, about 3 : 1), lottery
//!   and stride (3 : 1 by tickets), against the share due by the weight the policy reports
//!   for each (`weight=` or `tickets=` in `/proc/<pid>/sched`).
//!
//! How a run goes: schedbench pins itself to the hart it runs on (its children inherit the
//! pin, so every job shares one hart and the results are clean), makes itself important
//! (nice -10, a declared run time of one tick: it must be able to stop a run at its
//! deadline), switches the system to the policy through `/proc/sys/kernel/sched_policy`,
//! and forks the jobs one by one, declaring each one's nice, tickets and expected run time
//! with `sched_setattr`. Each job reports that it is ready and blocks on a shared start
//! pipe. Once all are blocked, schedbench reads the clock (the release time R) and writes
//! R to the pipe once per job, which wakes them all at once, in the order they were
//! forked. A job that arrives later sleeps until R + its arrival. A timer child ends the
//! run at its time limit. The previous policy is restored at the end.
//!
//! Each table row is a job: its letter (as `lantern-sim` names jobs), role, nice, tickets,
//! arrival (ms after the release) and work: `cpu N` (N ms of CPU), `Kx(B+Sz)` (K bursts of
//! B ms of CPU, each followed by S ms of sleep), `until N` (CPU until N ms after the
//! release) or `forever`. Then what it measured, by each job itself (clock_gettime) and sent
//! back through a pipe when it finishes — an approximation of the kernel's own accounting,
//! from user space, relative to the job's arrival (R + its arrival time) rather than its
//! fork:
//!
//! - response: when the job's first instruction after the release ran, minus its arrival;
//! - turnaround: when it finished its work, minus its arrival;
//! - wait: turnaround minus its CPU time and the time it slept (time ready but not running);
//! - cpu: its CPU time (CLOCK_PROCESS_CPUTIME_ID) from its first instruction to the end;
//! - late (io job): how much longer its sleeps took than asked, in all: time it was ready
//!   to run again but was not;
//! - vcsw / nvcsw: its voluntary / involuntary context switches over the run, and what the
//!   policy said of it at the end (`/proc/self/sched`).
//!
//! A job that had not finished when the run ended (killed then) shows the CPU time the
//! kernel charged it since the release. After each table a line `result <scenario>
//! <policy> key=value...` sums it up for programs (`t_schedbench` checks those; the convoy
//! scenarios' `finish_order=BCDA` lists the jobs in the order they finished).
//! `--trace` also prints the kernel's trace of the run (`/proc/sched_trace`, stints of
//! schedbench and its jobs since the release, each job named after its letter) between
//! `--- sched_trace <scenario>/<policy>` and `--- end sched_trace` lines: `lantern-sim
//! gantt` draws it. schedbench must run as root (it switches the policy). Exit status 0,
//! or 1 when a run failed (the policy is restored all the same), 2 for a usage mistake.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::hint::black_box;

use ulib::abi::signal::SIGKILL;
use ulib::abi::time::CLOCK_PROCESS_CPUTIME_ID;
use ulib::abi::wait;
use ulib::bench::{Context, Failure, describe_status, now_ns};
use ulib::fs::{self, BufReader};
use ulib::procfs::{self, Fields, ProcSched, TraceStint};
use ulib::sched::{SchedAttr, getcpu, sched_getattr, sched_setaffinity, sched_setattr};
use ulib::{Fork, Pid, env, eprintln, println};

ulib::entry!(main);

const USAGE: &str = "\
usage: schedbench [--smoke] [--trace] [SCENARIO...]
  scenarios: convoy late starvation io fair (default: all)
  --smoke    small, fast workloads (t_schedbench)
  --trace    also print each run's kernel trace, framed for lantern-sim gantt";

const NS_PER_MS: u64 = 1_000_000;
/// The kernel's tick (100 Hz): the unit of `lantern-sim` workloads.
const TICK_MS: u64 = 10;
/// schedbench's own nice value: more important than every job.
const LEADER_NICE: i32 = -10;
/// Longest a forked job may take to block on the start pipe.
const READY_PATIENCE_MS: u64 = 3000;
/// Bytes of the release time in the start pipe.
const RELEASE_BYTES: usize = 8;
/// Iterations of the busy loop between two looks at the clock.
const SPIN: u32 = 2000;

/// What a job does once released.
#[derive(Clone, Copy, Debug)]
enum Work {
    /// Burns this many ms of CPU, then exits.
    Cpu(u64),
    /// `bursts` times: burns `burst` ms of CPU, then sleeps `sleep` ms.
    Io { bursts: u64, burst: u64, sleep: u64 },
    /// Burns CPU until this many ms after the release.
    Window(u64),
    /// Burns CPU until killed.
    Forever,
}

impl Work {
    /// What the job declares as its expected run time, in ms (0: unknown).
    fn expected_ms(self) -> u64 {
        match self {
            Work::Cpu(ms) | Work::Window(ms) => ms,
            Work::Io { bursts, burst, .. } => bursts * burst,
            Work::Forever => 0,
        }
    }

    fn describe(self) -> String {
        match self {
            Work::Cpu(ms) => format!("cpu {ms}"),
            Work::Io {
                bursts,
                burst,
                sleep,
            } => format!("{bursts}x({burst}+{sleep}z)"),
            Work::Window(ms) => format!("until {ms}"),
            Work::Forever => "forever".to_string(),
        }
    }
}

/// One job of a scenario.
#[derive(Clone, Copy, Debug)]
struct Job {
    /// What it stands for (`long`, `short`, `low`, `hog`...).
    role: &'static str,
    /// When it arrives, in ms after the release.
    arrival: u64,
    work: Work,
    nice: i32,
    tickets: u32,
}

impl Job {
    fn new(role: &'static str, work: Work) -> Job {
        Job {
            role,
            arrival: 0,
            work,
            nice: 0,
            tickets: 100,
        }
    }

    fn at(self, arrival: u64) -> Job {
        Job { arrival, ..self }
    }

    fn nice(self, nice: i32) -> Job {
        Job { nice, ..self }
    }

    fn tickets(self, tickets: u32) -> Job {
        Job { tickets, ..self }
    }

    /// Whether a run waits for it (a job that runs forever is killed when the others are
    /// done).
    fn essential(&self) -> bool {
        !matches!(self.work, Work::Forever)
    }

    /// The job as `lantern-sim` writes it, in ticks (`RUN[@ARRIVAL][/KEY=VALUE]...`).
    fn simulated(&self, limit_ms: u64) -> String {
        let ticks = |ms: u64| ms.div_ceil(TICK_MS).max(1);
        let mut spec = match self.work {
            Work::Cpu(ms) => ticks(ms).to_string(),
            Work::Io {
                bursts,
                burst,
                sleep,
            } => format!(
                "{}/io={}:{}",
                bursts * ticks(burst),
                ticks(burst),
                ticks(sleep)
            ),
            Work::Window(ms) => ticks(ms).to_string(),
            Work::Forever => ticks(limit_ms).to_string(),
        };
        if self.arrival > 0 {
            spec.push_str(&format!("@{}", self.arrival / TICK_MS));
        }
        if self.nice != 0 {
            spec.push_str(&format!("/nice={}", self.nice));
        }
        if self.tickets != 100 {
            spec.push_str(&format!("/tickets={}", self.tickets));
        }
        spec
    }
}

/// What a scenario sums up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Convoy,
    Starvation,
    Io,
    Fair,
}

struct Scenario {
    name: &'static str,
    kind: Kind,
    about: &'static str,
    policies: &'static [&'static str],
    jobs: Vec<Job>,
    /// When the timer ends a run, in ms after the release.
    limit_ms: u64,
}

fn scenarios(smoke: bool) -> Vec<Scenario> {
    let pick = |full: u64, small: u64| if smoke { small } else { full };
    let (long, short) = (pick(500, 200), pick(50, 20));
    let convoy_jobs = |arrival: u64| {
        let mut jobs = alloc::vec![Job::new("long", Work::Cpu(long))];
        jobs.extend((0..3).map(|_| Job::new("short", Work::Cpu(short)).at(arrival)));
        jobs
    };
    let hog = Job::new("hog", Work::Cpu(pick(400, 150)));
    let io = Job::new(
        "io",
        Work::Io {
            bursts: pick(20, 10),
            burst: 2,
            sleep: 10,
        },
    );
    let window = Work::Window(pick(2000, 500));
    alloc::vec![
        Scenario {
            name: "convoy",
            kind: Kind::Convoy,
            about: "one long job and three short ones arrive together: the convoy effect",
            policies: if smoke {
                &["fifo", "sjf"]
            } else {
                &["fifo", "sjf", "stcf", "rr"]
            },
            jobs: convoy_jobs(0),
            limit_ms: pick(20_000, 5_000),
        },
        Scenario {
            name: "late",
            kind: Kind::Convoy,
            about: "the short jobs arrive 50 ms after the long one: only a preemptive policy helps",
            policies: &["sjf", "stcf"],
            jobs: convoy_jobs(50),
            limit_ms: pick(20_000, 5_000),
        },
        Scenario {
            name: "starvation",
            kind: Kind::Starvation,
            about: "a low-priority job against two high-priority hogs that never stop",
            policies: if smoke {
                &["prio", "prio-aging"]
            } else {
                &["prio", "prio-aging", "mlfq"]
            },
            jobs: alloc::vec![
                Job::new("low", Work::Cpu(pick(20, 5))).nice(pick(5, 2) as i32),
                Job::new("high", Work::Forever),
                Job::new("high", Work::Forever),
            ],
            limit_ms: pick(6_000, 2_000),
        },
        Scenario {
            name: "io",
            kind: Kind::Io,
            about: "an I/O-bound job (2 ms of CPU, then a 10 ms sleep) against three CPU hogs",
            policies: if smoke {
                &["rr", "mlfq"]
            } else {
                &["fifo", "rr", "mlfq"]
            },
            jobs: alloc::vec![io, hog, hog, hog],
            limit_ms: pick(20_000, 5_000),
        },
        Scenario {
            name: "fair",
            kind: Kind::Fair,
            about: "two hogs share the CPU: nice 0 vs 5 (fair), 300 vs 100 tickets (lottery, stride)",
            policies: &["fair", "lottery", "stride"],
            jobs: alloc::vec![
                Job::new("share", window).tickets(300),
                Job::new("share", window).nice(5),
            ],
            limit_ms: pick(10_000, 3_000),
        },
    ]
}

/// The letter of job `index` (as `lantern-sim` names jobs).
fn letter(index: usize) -> char {
    char::from(b'A' + index as u8)
}

fn main() -> i32 {
    let mut smoke = false;
    let mut trace = false;
    let mut chosen: Vec<&str> = Vec::new();
    for arg in env::args().skip(1) {
        match arg {
            "--smoke" => smoke = true,
            "--trace" => trace = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return 0;
            }
            name if !name.starts_with('-') => chosen.push(name),
            other => {
                eprintln!("schedbench: unknown option {other:?}\n{USAGE}");
                return 2;
            }
        }
    }
    let mut all = scenarios(smoke);
    if !chosen.is_empty() {
        if let Some(unknown) = chosen
            .iter()
            .find(|name| !all.iter().any(|s| s.name == **name))
        {
            eprintln!("schedbench: no scenario called {unknown:?}\n{USAGE}");
            return 2;
        }
        all.retain(|s| chosen.contains(&s.name));
    }
    let previous = match procfs::policy() {
        Ok(policy) => policy,
        Err(error) => {
            eprintln!("schedbench: cannot read {}: {error}", procfs::SCHED_POLICY);
            return 1;
        }
    };
    let outcome = prepare().and_then(|()| {
        all.iter()
            .try_for_each(|scenario| run_scenario(scenario, trace))
    });
    let restored = procfs::set_policy(&previous);
    let mut status = 0;
    if let Err(failure) = outcome {
        eprintln!("schedbench: {failure}");
        status = 1;
    }
    match restored {
        Ok(()) => println!("schedbench: policy restored to {previous}"),
        Err(error) => {
            eprintln!("schedbench: cannot restore the policy {previous}: {error}");
            status = 1;
        }
    }
    status
}

/// Pins schedbench (and so its jobs) to its hart and makes it more important than them.
fn prepare() -> Result<(), Failure> {
    let (hart, _) = getcpu().context("getcpu")?;
    sched_setaffinity(0, 1 << hart).context("sched_setaffinity")?;
    let own = SchedAttr {
        sched_nice: LEADER_NICE,
        sched_runtime: TICK_MS * NS_PER_MS,
        ..sched_getattr(0).context("sched_getattr")?
    };
    sched_setattr(0, &own, 0).context("sched_setattr (schedbench must run as root)")?;
    println!("schedbench: every job runs on hart {hart}; times in ms");
    Ok(())
}

fn run_scenario(scenario: &Scenario, trace: bool) -> Result<(), Failure> {
    println!();
    println!("== {}: {}", scenario.name, scenario.about);
    let specs: Vec<String> = scenario
        .jobs
        .iter()
        .map(|job| job.simulated(scenario.limit_ms))
        .collect();
    let bounded = scenario.jobs.iter().any(|job| !job.essential());
    println!(
        "   simulate: lantern-sim sched --compare {} --jobs {}{}",
        scenario.policies.join(","),
        specs.join(","),
        if bounded {
            format!(" --max-ticks {}", scenario.limit_ms / TICK_MS)
        } else {
            String::new()
        }
    );
    for policy in scenario.policies {
        procfs::set_policy(policy).context(&format!("switch to {policy}"))?;
        let run = run_jobs(scenario, trace)?;
        println!();
        println!("-- {} under {policy}", scenario.name);
        print_table(scenario, policy, &run);
        let results = summary(scenario, &run);
        println!("result {} {policy} {results}", scenario.name);
        if let Some(stints) = &run.trace {
            print_trace(scenario, policy, &run, stints);
        }
    }
    Ok(())
}

/// What a finished job reports about itself.
#[derive(Clone, Debug, Default)]
struct Report {
    start_ns: u64,
    end_ns: u64,
    cpu_ns: u64,
    slept_ns: u64,
    late_ns: u64,
    voluntary: u64,
    involuntary: u64,
    state: String,
}

/// One job of a run.
struct Outcome {
    pid: Pid,
    /// Its CPU time when it blocked on the start pipe.
    cpu_at_release_ns: u64,
    /// Its report, if it finished.
    report: Option<Report>,
    /// CPU time since the release: from its report, or from the kernel when it was killed.
    cpu_ns: u64,
}

struct Run {
    /// The release time.
    release_ns: u64,
    outcomes: Vec<Outcome>,
    /// Whether the timer ended the run.
    timed_out: bool,
    /// The trace since the release, if asked for.
    trace: Option<Vec<TraceStint>>,
    leader: Pid,
    timer: Pid,
}

/// A message from a child, one line on the result pipe.
enum Message {
    Ready(usize),
    Done(usize, Report),
    Timeout,
}

fn parse_message(line: &str) -> Option<Message> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let number = |at: usize| words.get(at).and_then(|w| w.parse::<u64>().ok());
    match *words.first()? {
        "ready" => Some(Message::Ready(number(1)? as usize)),
        "timeout" => Some(Message::Timeout),
        "done" => Some(Message::Done(
            number(1)? as usize,
            Report {
                start_ns: number(2)?,
                end_ns: number(3)?,
                cpu_ns: number(4)?,
                slept_ns: number(5)?,
                late_ns: number(6)?,
                voluntary: number(7)?,
                involuntary: number(8)?,
                state: words.get(9..).map_or(String::new(), |rest| rest.join(" ")),
            },
        )),
        _ => None,
    }
}

/// The pipes of a run: the start pipe the jobs block on, and the result pipe they report on.
struct Pipes {
    start_read: i32,
    start_write: i32,
    results_read: i32,
    results_write: i32,
}

/// Runs the jobs of `scenario` under the policy in force.
fn run_jobs(scenario: &Scenario, trace: bool) -> Result<Run, Failure> {
    let (start_read, start_write) = fs::pipe().context("pipe")?;
    let (results_read, results_write) = fs::pipe().context("pipe")?;
    let pipes = Pipes {
        start_read,
        start_write,
        results_read,
        results_write,
    };
    let mut reader = BufReader::new(results_read);
    let mut outcomes: Vec<Outcome> = Vec::new();
    let mut result = start_jobs(scenario, &pipes, &mut reader, &mut outcomes)
        .and_then(|timer| finish_run(scenario, &pipes, &mut reader, &mut outcomes, timer, trace));
    // Whatever happened, no job outlives its run.
    for outcome in &outcomes {
        let _ = ulib::kill(outcome.pid, SIGKILL);
    }
    for outcome in &outcomes {
        let problem = match ulib::waitpid(outcome.pid) {
            Err(error) => Some(format!("wait for child {}: {error}", outcome.pid)),
            // Killed (SIGKILL) or exited 0 are both fine; a job that failed said why.
            Ok(status) if wait::wifexited(status) && wait::wexitstatus(status) != 0 => {
                Some(format!("child {} {}", outcome.pid, describe_status(status)))
            }
            Ok(_) => None,
        };
        if let Some(problem) = problem {
            result = result.and(Err(Failure::new(problem)));
        }
    }
    for fd in [start_read, start_write, results_read, results_write] {
        let _ = fs::close(fd);
    }
    result.map(|mut run| {
        run.outcomes = outcomes;
        run
    })
}

/// Forks every job and the timer, each blocked on the start pipe; returns the timer's pid.
fn start_jobs(
    scenario: &Scenario,
    pipes: &Pipes,
    reader: &mut BufReader,
    outcomes: &mut Vec<Outcome>,
) -> Result<Pid, Failure> {
    for (index, job) in scenario.jobs.iter().enumerate() {
        let pid = match ulib::fork().context("fork")? {
            Fork::Child => ulib::exit(child(pipes, index, |release| work(index, job, release))),
            Fork::Parent(pid) => pid,
        };
        outcomes.push(Outcome {
            pid,
            cpu_at_release_ns: 0,
            report: None,
            cpu_ns: 0,
        });
        let attr = SchedAttr {
            sched_nice: job.nice,
            sched_priority: job.tickets,
            sched_runtime: job.work.expected_ms() * NS_PER_MS,
            ..sched_getattr(pid).context("sched_getattr")?
        };
        sched_setattr(pid, &attr, 0).context("sched_setattr")?;
        await_ready(reader, index, pid)?;
        outcomes[index].cpu_at_release_ns = ProcSched::read(pid).map_or(0, |s| s.cpu_ns);
    }
    let limit = scenario.limit_ms;
    let timer = match ulib::fork().context("fork")? {
        Fork::Child => ulib::exit(child(pipes, scenario.jobs.len(), |release| {
            sleep_until(release + limit * NS_PER_MS)?;
            Ok(String::from("timeout\n"))
        })),
        Fork::Parent(pid) => pid,
    };
    outcomes.push(Outcome {
        pid: timer,
        cpu_at_release_ns: 0,
        report: None,
        cpu_ns: 0,
    });
    await_ready(reader, scenario.jobs.len(), timer)?;
    Ok(timer)
}

/// Waits for child `index` to say it is ready and then to block on the start pipe.
fn await_ready(reader: &mut BufReader, index: usize, pid: Pid) -> Result<(), Failure> {
    match reader.read_line().context("read the result pipe")? {
        Some(line) if matches!(parse_message(&line), Some(Message::Ready(i)) if i == index) => {}
        other => {
            return Err(Failure::new(format!(
                "child {index} (pid {pid}) said {other:?} instead of ready"
            )));
        }
    }
    let deadline = now_ns()? + READY_PATIENCE_MS * NS_PER_MS;
    loop {
        let status = Fields::read(&format!("/proc/{pid}/status")).context("read status")?;
        if status.get("State").is_some_and(|s| s.starts_with('S')) {
            return Ok(());
        }
        if now_ns()? > deadline {
            return Err(Failure::new(format!(
                "child {index} (pid {pid}) did not block on the start pipe"
            )));
        }
        ulib::sleep_ms(1).context("sleep")?;
    }
}

/// Releases the jobs, collects their reports until the essential ones are done or the timer
/// fires, and reads the trace.
fn finish_run(
    scenario: &Scenario,
    pipes: &Pipes,
    reader: &mut BufReader,
    outcomes: &mut [Outcome],
    timer: Pid,
    trace: bool,
) -> Result<Run, Failure> {
    if trace {
        procfs::clear_trace().context("clear the trace")?;
    }
    let children = outcomes.len();
    let release_ns = now_ns()?;
    let release: Vec<u8> = (0..children)
        .flat_map(|_| release_ns.to_le_bytes())
        .collect();
    fs::write_all(pipes.start_write, &release).context("release the jobs")?;
    let mut waiting: Vec<usize> = (0..scenario.jobs.len())
        .filter(|&index| scenario.jobs[index].essential())
        .collect();
    let mut timed_out = false;
    while !waiting.is_empty() {
        let Some(line) = reader.read_line().context("read the result pipe")? else {
            return Err(Failure::new("every child closed the result pipe"));
        };
        match parse_message(&line) {
            Some(Message::Done(index, report)) if index < scenario.jobs.len() => {
                waiting.retain(|&i| i != index);
                outcomes[index].cpu_ns = report.cpu_ns;
                outcomes[index].report = Some(report);
            }
            Some(Message::Timeout) => {
                timed_out = true;
                break;
            }
            _ => return Err(Failure::new(format!("unexpected message {line:?}"))),
        }
    }
    for outcome in outcomes.iter_mut().filter(|o| o.report.is_none()) {
        if let Ok(view) = ProcSched::read(outcome.pid) {
            outcome.cpu_ns = view.cpu_ns.saturating_sub(outcome.cpu_at_release_ns);
        }
    }
    let trace = if trace {
        let text = procfs::read_trace().context("read the trace")?;
        Some(
            text.lines()
                .filter_map(TraceStint::parse)
                .filter(|s| s.end_ns >= release_ns)
                .collect(),
        )
    } else {
        None
    };
    Ok(Run {
        release_ns,
        outcomes: Vec::new(),
        timed_out,
        trace,
        leader: ulib::getpid().context("getpid")?,
        timer,
    })
}

/// A forked child: says it is ready, blocks until the release, runs `body` with the release
/// time and writes what it returns to the result pipe. Returns the exit status.
fn child(pipes: &Pipes, index: usize, body: impl FnOnce(u64) -> Result<String, Failure>) -> i32 {
    let _ = fs::close(pipes.start_write);
    let _ = fs::close(pipes.results_read);
    let result = fs::write_all(pipes.results_write, format!("ready {index}\n").as_bytes())
        .context("say ready")
        .and_then(|()| await_release(pipes.start_read))
        .and_then(body)
        .and_then(|message| {
            fs::write_all(pipes.results_write, message.as_bytes()).context("report")
        });
    match result {
        Ok(()) => 0,
        Err(failure) => {
            eprintln!("schedbench: job {index}: {failure}");
            1
        }
    }
}

/// Blocks until schedbench writes the release time to the start pipe; returns it.
fn await_release(fd: i32) -> Result<u64, Failure> {
    let mut bytes = [0u8; RELEASE_BYTES];
    let mut got = 0;
    while got < RELEASE_BYTES {
        match fs::read(fd, &mut bytes[got..]).context("read the start pipe")? {
            0 => return Err(Failure::new("the start pipe closed before the release")),
            count => got += count,
        }
    }
    Ok(u64::from_le_bytes(bytes))
}

/// CPU time of the calling process.
fn cpu_now() -> Result<u64, Failure> {
    ulib::clock_gettime(CLOCK_PROCESS_CPUTIME_ID)
        .context("clock_gettime")?
        .to_nanos()
        .ok_or_else(|| Failure::new("negative CPU time"))
}

/// Burns CPU until `done()` says so.
fn burn(mut done: impl FnMut() -> Result<bool, Failure>) -> Result<(), Failure> {
    let mut x = 0u64;
    while !done()? {
        for i in 0..SPIN {
            x = black_box(
                x.wrapping_mul(6364136223846793005)
                    .wrapping_add(u64::from(i)),
            );
        }
    }
    Ok(())
}

/// Burns `ms` ms of CPU.
fn burn_cpu(ms: u64) -> Result<(), Failure> {
    let start = cpu_now()?;
    burn(|| Ok(cpu_now()? - start >= ms * NS_PER_MS))
}

/// Sleeps until the monotonic clock reads `deadline`.
fn sleep_until(deadline: u64) -> Result<(), Failure> {
    let now = now_ns()?;
    if deadline > now {
        ulib::nanosleep(&ulib::abi::time::Timespec::from_nanos(deadline - now))
            .context("nanosleep")?;
    }
    Ok(())
}

/// A job's life after the release: arrive, work, report.
fn work(index: usize, job: &Job, release: u64) -> Result<String, Failure> {
    sleep_until(release + job.arrival * NS_PER_MS)?;
    let start = now_ns()?;
    let cpu_start = cpu_now()?;
    let before = ProcSched::read(0).unwrap_or_default();
    let (mut slept, mut late) = (0, 0);
    match job.work {
        Work::Cpu(ms) => burn_cpu(ms)?,
        Work::Io {
            bursts,
            burst,
            sleep,
        } => {
            for _ in 0..bursts {
                burn_cpu(burst)?;
                let asleep = now_ns()?;
                ulib::sleep_ms(sleep).context("sleep")?;
                let took = now_ns()? - asleep;
                slept += took;
                late += took.saturating_sub(sleep * NS_PER_MS);
            }
        }
        Work::Window(ms) => burn(|| Ok(now_ns()? >= release + ms * NS_PER_MS))?,
        Work::Forever => burn(|| Ok(false))?,
    }
    let end = now_ns()?;
    let cpu = cpu_now()? - cpu_start;
    let after = ProcSched::read(0).unwrap_or_default();
    Ok(format!(
        "done {index} {start} {end} {cpu} {slept} {late} {} {} {}\n",
        after
            .voluntary_switches
            .saturating_sub(before.voluntary_switches),
        after
            .involuntary_switches
            .saturating_sub(before.involuntary_switches),
        after.policy_state.trim()
    ))
}

/// `ns` as ms with one decimal.
fn ms(ns: u64) -> String {
    format!("{}.{}", ns / NS_PER_MS, ns % NS_PER_MS / 100_000)
}

/// A job's numbers, relative to its arrival.
struct Metrics {
    response: u64,
    turnaround: u64,
    wait: u64,
}

fn metrics(run: &Run, job: &Job, report: &Report) -> Metrics {
    let arrival = run.release_ns + job.arrival * NS_PER_MS;
    let turnaround = report.end_ns.saturating_sub(arrival);
    Metrics {
        response: report.start_ns.saturating_sub(arrival),
        turnaround,
        wait: turnaround.saturating_sub(report.cpu_ns + report.slept_ns),
    }
}

fn print_table(scenario: &Scenario, policy: &str, run: &Run) {
    println!(
        "job role  nice tickets arrive work           response turnaround     wait      cpu   late  vcsw nvcsw  policy says"
    );
    for (index, (job, outcome)) in scenario.jobs.iter().zip(&run.outcomes).enumerate() {
        let head = format!(
            "{}   {:<5} {:>4} {:>7} {:>6} {:<13}",
            letter(index),
            job.role,
            job.nice,
            job.tickets,
            job.arrival,
            job.work.describe()
        );
        match &outcome.report {
            Some(report) => {
                let m = metrics(run, job, report);
                println!(
                    "{head} {:>9} {:>10} {:>8} {:>8} {:>6} {:>5} {:>5}  {}",
                    ms(m.response),
                    ms(m.turnaround),
                    ms(m.wait),
                    ms(report.cpu_ns),
                    ms(report.late_ns),
                    report.voluntary,
                    report.involuntary,
                    report.state
                );
            }
            None => println!(
                "{head}  unfinished when the run ended ({} ms of CPU since the release)",
                ms(outcome.cpu_ns)
            ),
        }
    }
    if run.timed_out {
        println!(
            "(the run ended at its limit of {} ms under {policy})",
            scenario.limit_ms
        );
    }
}

/// Microseconds, for result lines.
fn us(ns: u64) -> u64 {
    ns / 1000
}

/// The mean of `values` (0 for none).
fn mean(values: &[u64]) -> u64 {
    match values.len() {
        0 => 0,
        n => values.iter().sum::<u64>() / n as u64,
    }
}

/// The scenario's conclusion: printed as a sentence, returned as `key=value` pairs.
fn summary(scenario: &Scenario, run: &Run) -> String {
    let finished = |index: usize| -> Option<Metrics> {
        let report = run.outcomes[index].report.as_ref()?;
        Some(metrics(run, &scenario.jobs[index], report))
    };
    match scenario.kind {
        Kind::Convoy => {
            let shorts: Vec<Metrics> = (1..scenario.jobs.len()).filter_map(finished).collect();
            let turnaround = mean(&shorts.iter().map(|m| m.turnaround).collect::<Vec<_>>());
            let response = mean(&shorts.iter().map(|m| m.response).collect::<Vec<_>>());
            let long = finished(0).map_or(0, |m| m.turnaround);
            let order = finish_order(run);
            println!(
                "short jobs ({} of {} finished): average turnaround {} ms, response {} ms; long job: turnaround {} ms; finished in the order {order}",
                shorts.len(),
                scenario.jobs.len() - 1,
                ms(turnaround),
                ms(response),
                ms(long)
            );
            format!(
                "short_finished={} short_turnaround_us={} short_response_us={} long_turnaround_us={} finish_order={order}",
                shorts.len(),
                us(turnaround),
                us(response),
                us(long)
            )
        }
        Kind::Starvation => {
            let low = finished(0);
            match &low {
                Some(m) => println!(
                    "the low-priority job finished: turnaround {} ms (response {} ms)",
                    ms(m.turnaround),
                    ms(m.response)
                ),
                None => println!(
                    "the low-priority job starved: {} ms of CPU in {} ms",
                    ms(run.outcomes[0].cpu_ns),
                    scenario.limit_ms
                ),
            }
            format!(
                "low_finished={} low_turnaround_us={} low_cpu_us={}",
                u8::from(low.is_some()),
                low.map_or(0, |m| us(m.turnaround)),
                us(run.outcomes[0].cpu_ns)
            )
        }
        Kind::Io => {
            let io = finished(0);
            let late = run.outcomes[0].report.as_ref().map_or(0, |r| r.late_ns);
            let hogs: Vec<u64> = (1..scenario.jobs.len())
                .filter_map(finished)
                .map(|m| m.turnaround)
                .collect();
            println!(
                "the I/O job: turnaround {} ms, late after its sleeps by {} ms in all; hogs: average turnaround {} ms",
                io.as_ref()
                    .map_or_else(|| "-".to_string(), |m| ms(m.turnaround)),
                ms(late),
                ms(mean(&hogs))
            );
            format!(
                "io_finished={} io_turnaround_us={} io_late_us={} hog_turnaround_us={}",
                u8::from(io.is_some()),
                io.map_or(0, |m| us(m.turnaround)),
                us(late),
                us(mean(&hogs))
            )
        }
        Kind::Fair => {
            let total: u64 = run.outcomes[..scenario.jobs.len()]
                .iter()
                .map(|o| o.cpu_ns)
                .sum();
            // The share each job is due, from what the policy says it weighs.
            let weights: Vec<u64> = run.outcomes[..scenario.jobs.len()]
                .iter()
                .map(|o| o.report.as_ref().map_or(0, |r| weight(&r.state)))
                .collect();
            let weight_sum: u64 = weights.iter().sum();
            let mut words = Vec::new();
            let mut pairs = Vec::new();
            for (index, weight) in weights.iter().enumerate() {
                let share = (run.outcomes[index].cpu_ns * 1000)
                    .checked_div(total)
                    .unwrap_or(0);
                let expected = (weight * 1000).checked_div(weight_sum).unwrap_or(0);
                words.push(format!(
                    "{} {}.{}% (due {}.{}% by its weight {weight})",
                    letter(index),
                    share / 10,
                    share % 10,
                    expected / 10,
                    expected % 10
                ));
                pairs.push(format!(
                    "share_{}_permille={share} expected_{}_permille={expected}",
                    letter(index),
                    letter(index)
                ));
            }
            println!("CPU shares: {}", words.join(", "));
            // The policies count whole ticks; on a busy host a tick's length varies, so the
            // shares of time can stray from the shares of ticks the policy charged.
            let ticks: Vec<u64> = run.outcomes[..scenario.jobs.len()]
                .iter()
                .map(|o| o.report.as_ref().map_or(0, |r| charged_ticks(&r.state)))
                .collect();
            let tick_sum: u64 = ticks.iter().sum();
            let tick_words: Vec<String> = ticks
                .iter()
                .enumerate()
                .map(|(index, t)| {
                    let share = (t * 1000).checked_div(tick_sum).unwrap_or(0);
                    format!("{} {}.{}%", letter(index), share / 10, share % 10)
                })
                .collect();
            println!(
                "shares of the ticks the policy charged: {}",
                tick_words.join(", ")
            );
            pairs.join(" ")
        }
    }
}

/// The letters of the jobs that finished, in the order they did (`BCDA`).
fn finish_order(run: &Run) -> String {
    let mut ends: Vec<(u64, usize)> = run
        .outcomes
        .iter()
        .enumerate()
        .filter_map(|(index, o)| Some((o.report.as_ref()?.end_ns, index)))
        .collect();
    ends.sort_unstable();
    ends.iter().map(|&(_, index)| letter(index)).collect()
}

/// A job's weight in the policy's eyes: `weight=N` (fair) or `tickets=N` (lottery, stride)
/// in what the policy says of it; 0 if neither is there.
fn weight(state: &str) -> u64 {
    ["weight=", "tickets="]
        .iter()
        .find_map(|key| {
            state
                .split_whitespace()
                .find_map(|word| word.strip_prefix(key)?.parse().ok())
        })
        .unwrap_or(0)
}

/// The CPU ticks the scheduler charged a job: `cpu=N` in what the policy says of it.
fn charged_ticks(state: &str) -> u64 {
    state
        .split_whitespace()
        .find_map(|word| word.strip_prefix("cpu=")?.parse().ok())
        .unwrap_or(0)
}

/// Prints the run's trace framed for `lantern-sim gantt`, keeping schedbench's own stints
/// and its children's, each job named after its letter.
fn print_trace(scenario: &Scenario, policy: &str, run: &Run, stints: &[TraceStint]) {
    println!("--- sched_trace {}/{policy}", scenario.name);
    for stint in stints {
        let name = if stint.pid == run.leader {
            "schedbench".to_string()
        } else if stint.pid == run.timer {
            "timer".to_string()
        } else if let Some(index) = run.outcomes.iter().position(|o| o.pid == stint.pid) {
            letter(index).to_string()
        } else {
            continue;
        };
        println!("{}", stint.line_named(&name));
    }
    println!("--- end sched_trace");
}
