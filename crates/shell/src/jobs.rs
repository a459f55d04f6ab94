//! The job table (concepts U3 and I5): a job is one pipeline (or background and-or list)
//! that the shell started, all its processes in one process group whose id is `pgid`.
//!
//! The shell reaps its children with `wait4` and hands every status to
//! [`JobTable::record`]; this module only keeps the books: the state of each process, the
//! state of each job that follows from them, which job is current (`+`) and previous (`-`),
//! which changes the user has not been told about yet, and the lines that `jobs`, `fg` and
//! the prompt print, in bash's format (`[1]+  Done                    sleep 1`).
//!
//! Invariants:
//! - job ids are unique and a new job gets one more than the highest in use (1 when the
//!   table is empty), as in bash;
//! - a job is in the table from its start until a report of its end has been produced
//!   ([`JobTable::report`]) or the shell removes it (a foreground job that ended);
//! - the current job is the most recently stopped job if any job is stopped, else the job
//!   most recently started or resumed; the previous job is the next in that order.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use abi::signal::{
    SIGABRT, SIGALRM, SIGBUS, SIGCHLD, SIGCONT, SIGFPE, SIGHUP, SIGILL, SIGINT, SIGIO, SIGKILL,
    SIGPIPE, SIGPROF, SIGPWR, SIGQUIT, SIGRTMAX, SIGRTMIN, SIGSEGV, SIGSTKFLT, SIGSTOP, SIGSYS,
    SIGTERM, SIGTRAP, SIGTSTP, SIGTTIN, SIGTTOU, SIGURG, SIGUSR1, SIGUSR2, SIGVTALRM, SIGWINCH,
    SIGXCPU, SIGXFSZ,
};
use abi::wait::WaitStatus;

/// A process id (`pid_t`).
pub type Pid = i32;

/// What is known about one process of a job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProcessState {
    /// Running (or not yet reported).
    Running,
    /// Stopped by this signal.
    Stopped(u32),
    /// Called `exit` with this status.
    Exited(u8),
    /// Killed by `sig`; `core` when it dumped core.
    Signaled {
        /// The signal.
        sig: u32,
        /// Whether a core was dumped.
        core: bool,
    },
}

impl ProcessState {
    /// The state a `wait4` status reports; `None` for a word no kernel produces.
    pub fn from_wait_status(status: i32) -> Option<ProcessState> {
        Some(match WaitStatus::decode(status)? {
            WaitStatus::Exited(code) => ProcessState::Exited(code),
            WaitStatus::Signaled { sig, core } => ProcessState::Signaled { sig, core },
            WaitStatus::Stopped(sig) => ProcessState::Stopped(sig),
            WaitStatus::Continued => ProcessState::Running,
        })
    }

    /// Whether the process has ended.
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            ProcessState::Exited(_) | ProcessState::Signaled { .. }
        )
    }

    /// The value of `$?` it gives: the exit status, or 128 plus the signal that killed or
    /// stopped it (0 while it runs).
    pub fn exit_status(self) -> i32 {
        match self {
            ProcessState::Running => 0,
            ProcessState::Exited(code) => i32::from(code),
            ProcessState::Signaled { sig, .. } | ProcessState::Stopped(sig) => 128 + sig as i32,
        }
    }
}

/// The state of a job as a whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobState {
    /// At least one process runs.
    Running,
    /// No process runs and at least one is stopped (by this signal).
    Stopped(u32),
    /// Every process has ended; the last one of the pipeline ended like this.
    Done(ProcessState),
}

/// One job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    /// The number shown as `[n]` and named by `%n`.
    pub id: usize,
    /// The process group of all its processes.
    pub pgid: Pid,
    /// The command line, as typed.
    pub text: String,
    /// Its processes in pipeline order, with their states.
    processes: Vec<(Pid, ProcessState)>,
    /// When it last became current; larger is more recent.
    recency: u64,
    /// Whether the user has been told about its current state.
    reported: bool,
}

impl Job {
    /// The job's state, from its processes' states.
    pub fn state(&self) -> JobState {
        if let Some(&(_, last)) = self.processes.last()
            && self.processes.iter().all(|&(_, state)| state.is_finished())
        {
            return JobState::Done(last);
        }
        let running = self
            .processes
            .iter()
            .any(|&(_, state)| state == ProcessState::Running);
        let stopped_by = self.processes.iter().find_map(|&(_, state)| match state {
            ProcessState::Stopped(sig) => Some(sig),
            _ => None,
        });
        match stopped_by {
            Some(sig) if !running => JobState::Stopped(sig),
            _ => JobState::Running,
        }
    }

    /// The value of `$?` the job gives: that of its last process once done, 128 plus the
    /// signal once stopped.
    pub fn status(&self) -> i32 {
        match self.state() {
            JobState::Running => 0,
            JobState::Stopped(sig) => 128 + sig as i32,
            JobState::Done(last) => last.exit_status(),
        }
    }

    /// The process ids, in pipeline order.
    pub fn pids(&self) -> impl Iterator<Item = Pid> + '_ {
        self.processes.iter().map(|&(pid, _)| pid)
    }

    /// The final states of its processes that died of a signal, in pipeline order.
    pub fn signal_deaths(&self) -> impl Iterator<Item = ProcessState> + '_ {
        self.processes
            .iter()
            .map(|&(_, state)| state)
            .filter(|state| matches!(state, ProcessState::Signaled { .. }))
    }
}

/// Why a job spec (`%2`, `%vi`, ...) names no job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JobSpecError {
    /// No spec given and there are no jobs.
    NoCurrentJob,
    /// Nothing matches the spec.
    NoSuchJob(String),
    /// `%prefix` matches several jobs.
    Ambiguous(String),
}

impl fmt::Display for JobSpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JobSpecError::NoCurrentJob => write!(f, "current: no such job"),
            JobSpecError::NoSuchJob(spec) => write!(f, "{spec}: no such job"),
            JobSpecError::Ambiguous(spec) => write!(f, "{spec}: ambiguous job spec"),
        }
    }
}

/// The shell's jobs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JobTable {
    /// The jobs by increasing id.
    jobs: Vec<Job>,
    /// Ticks on every start, stop and resume, to order jobs by recency.
    clock: u64,
}

impl JobTable {
    /// An empty table.
    pub fn new() -> JobTable {
        JobTable::default()
    }

    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    /// Adds a running job of the processes `pids` (pipeline order) in group `pgid`; returns
    /// its id.
    pub fn add(&mut self, pgid: Pid, pids: &[Pid], text: &str) -> usize {
        let id = self.jobs.last().map_or(1, |job| job.id + 1);
        let recency = self.tick();
        self.jobs.push(Job {
            id,
            pgid,
            text: String::from(text),
            processes: pids
                .iter()
                .map(|&pid| (pid, ProcessState::Running))
                .collect(),
            recency,
            reported: true,
        });
        id
    }

    /// The job `id`.
    pub fn get(&self, id: usize) -> Option<&Job> {
        self.jobs.iter().find(|job| job.id == id)
    }

    fn get_mut(&mut self, id: usize) -> Option<&mut Job> {
        self.jobs.iter_mut().find(|job| job.id == id)
    }

    /// Removes the job `id` and returns it.
    pub fn remove(&mut self, id: usize) -> Option<Job> {
        let index = self.jobs.iter().position(|job| job.id == id)?;
        Some(self.jobs.remove(index))
    }

    /// Whether there are no jobs.
    pub fn is_empty(&self) -> bool {
        self.jobs.is_empty()
    }

    /// The ids of every job, increasing.
    pub fn ids(&self) -> Vec<usize> {
        self.jobs.iter().map(|job| job.id).collect()
    }

    /// Whether some job is stopped.
    pub fn any_stopped(&self) -> bool {
        self.jobs
            .iter()
            .any(|job| matches!(job.state(), JobState::Stopped(_)))
    }

    /// Records the wait status `status` that `wait4` reported for `pid`; returns the id of
    /// the job it belongs to (`None` if it is in no job, or the status is malformed).
    pub fn record(&mut self, pid: Pid, status: i32) -> Option<usize> {
        let new_state = ProcessState::from_wait_status(status)?;
        let now = self.clock + 1;
        let job = self
            .jobs
            .iter_mut()
            .find(|job| job.pids().any(|p| p == pid))?;
        let before = job.state();
        for (_, state) in job.processes.iter_mut().filter(|(p, _)| *p == pid) {
            *state = new_state;
        }
        let after = job.state();
        if after != before {
            job.reported = false;
            if matches!(after, JobState::Stopped(_)) {
                job.recency = now;
            }
        }
        let id = job.id;
        self.clock = now;
        Some(id)
    }

    /// Marks the stopped processes of job `id` running again (the shell has sent the group
    /// `SIGCONT`) and makes it the current job.
    pub fn resume(&mut self, id: usize) {
        let now = self.tick();
        if let Some(job) = self.get_mut(id) {
            for (_, state) in &mut job.processes {
                if let ProcessState::Stopped(_) = state {
                    *state = ProcessState::Running;
                }
            }
            job.recency = now;
            job.reported = true;
        }
    }

    /// Ids ordered from current to least recent: stopped jobs first, then by recency.
    fn by_recency(&self) -> Vec<usize> {
        let mut order: Vec<(bool, u64, usize)> = self
            .jobs
            .iter()
            .map(|job| {
                let stopped = matches!(job.state(), JobState::Stopped(_));
                (stopped, job.recency, job.id)
            })
            .collect();
        order.sort_unstable_by(|a, b| b.cmp(a));
        order.into_iter().map(|(_, _, id)| id).collect()
    }

    /// The current job (`%+`, what `fg` and `bg` take without an argument).
    pub fn current(&self) -> Option<usize> {
        self.by_recency().first().copied()
    }

    /// The previous job (`%-`).
    pub fn previous(&self) -> Option<usize> {
        self.by_recency().get(1).copied()
    }

    /// The mark after `[n]`: `+` for the current job, `-` for the previous one.
    fn mark(&self, id: usize) -> char {
        let order = self.by_recency();
        match order.iter().position(|&other| other == id) {
            Some(0) => '+',
            Some(1) => '-',
            _ => ' ',
        }
    }

    /// The job a spec names: none, `%`, `%%` or `%+` (current), `%-` (previous), `%n` or `n`
    /// (job n), `%text` (the one job whose command starts with `text`).
    pub fn resolve(&self, spec: Option<&str>) -> Result<usize, JobSpecError> {
        let not_found = || JobSpecError::NoSuchJob(String::from(spec.unwrap_or("")));
        let Some(text) = spec else {
            return self.current().ok_or(JobSpecError::NoCurrentJob);
        };
        let body = text.strip_prefix('%').unwrap_or(text);
        match body {
            "" | "%" | "+" => self.current().ok_or(JobSpecError::NoCurrentJob),
            "-" => self.previous().ok_or_else(not_found),
            _ if body.bytes().all(|b| b.is_ascii_digit()) => body
                .parse()
                .ok()
                .filter(|&id| self.get(id).is_some())
                .ok_or_else(not_found),
            _ if text.starts_with('%') => {
                let mut matches = self.jobs.iter().filter(|job| job.text.starts_with(body));
                match (matches.next(), matches.next()) {
                    (Some(job), None) => Ok(job.id),
                    (Some(_), Some(_)) => Err(JobSpecError::Ambiguous(String::from(text))),
                    (None, _) => Err(not_found()),
                }
            }
            _ => Err(not_found()),
        }
    }

    /// The line describing job `id`: `[1]+  Running                 sleep 100 &`.
    pub fn line(&self, id: usize) -> Option<String> {
        let job = self.get(id)?;
        let state = job.state();
        let suffix = if state == JobState::Running { " &" } else { "" };
        let described = describe_state(state);
        Some(format!(
            "[{id}]{}  {described:<23} {}{suffix}",
            self.mark(id),
            job.text
        ))
    }

    /// Lines for the jobs `ids`; afterwards the users knows their states: finished jobs are
    /// removed, the others marked reported.
    fn report(&mut self, ids: &[usize]) -> Vec<String> {
        let lines = ids.iter().filter_map(|&id| self.line(id)).collect();
        for &id in ids {
            let done = match self.get_mut(id) {
                Some(job) => {
                    job.reported = true;
                    matches!(job.state(), JobState::Done(_))
                }
                None => false,
            };
            if done {
                self.remove(id);
            }
        }
        lines
    }

    /// Reports job `id` (after it stopped in the foreground, for instance).
    pub fn report_one(&mut self, id: usize) -> Option<String> {
        self.report(&[id]).pop()
    }

    /// Reports the jobs that stopped or ended since the user was last told about them (what
    /// the shell prints before a prompt).
    pub fn notifications(&mut self) -> Vec<String> {
        let changed: Vec<usize> = self
            .jobs
            .iter()
            .filter(|job| !job.reported && job.state() != JobState::Running)
            .map(|job| job.id)
            .collect();
        self.report(&changed)
    }

    /// Reports every job (the `jobs` builtin).
    pub fn listing(&mut self) -> Vec<String> {
        let ids = self.ids();
        self.report(&ids)
    }
}

/// The state column of a job line: `Running`, `Stopped`, `Done`, `Exit 3`, `Killed`, ...
fn describe_state(state: JobState) -> String {
    match state {
        JobState::Running => String::from("Running"),
        JobState::Stopped(sig) => String::from(signal_description(sig)),
        JobState::Done(ProcessState::Exited(0)) => String::from("Done"),
        JobState::Done(ProcessState::Exited(code)) => format!("Exit {code}"),
        JobState::Done(ended) => death_text(ended),
    }
}

/// `Killed`, or `Segmentation fault (core dumped)` for a process that died of a signal.
fn death_text(state: ProcessState) -> String {
    match state {
        ProcessState::Signaled { sig, core } => {
            let core = if core { " (core dumped)" } else { "" };
            format!("{}{core}", signal_description(sig))
        }
        _ => String::new(),
    }
}

/// What the shell prints when a foreground process died of a signal (`Killed`,
/// `Segmentation fault (core dumped)`); `None` for a normal exit and for the signals a user
/// expects and that need no comment: SIGINT (Ctrl-C) and SIGPIPE (the reader went away).
pub fn death_message(state: ProcessState) -> Option<String> {
    match state {
        ProcessState::Signaled { sig, .. } if sig != SIGINT && sig != SIGPIPE => {
            Some(death_text(state))
        }
        _ => None,
    }
}

/// The description of a signal, as `strsignal` gives it.
pub fn signal_description(sig: u32) -> &'static str {
    match sig {
        SIGHUP => "Hangup",
        SIGINT => "Interrupt",
        SIGQUIT => "Quit",
        SIGILL => "Illegal instruction",
        SIGTRAP => "Trace/breakpoint trap",
        SIGABRT => "Aborted",
        SIGBUS => "Bus error",
        SIGFPE => "Floating point exception",
        SIGKILL => "Killed",
        SIGUSR1 => "User defined signal 1",
        SIGSEGV => "Segmentation fault",
        SIGUSR2 => "User defined signal 2",
        SIGPIPE => "Broken pipe",
        SIGALRM => "Alarm clock",
        SIGTERM => "Terminated",
        SIGSTKFLT => "Stack fault",
        SIGCHLD => "Child exited",
        SIGCONT => "Continued",
        SIGSTOP => "Stopped (signal)",
        SIGTSTP => "Stopped",
        SIGTTIN => "Stopped (tty input)",
        SIGTTOU => "Stopped (tty output)",
        SIGURG => "Urgent I/O condition",
        SIGXCPU => "CPU time limit exceeded",
        SIGXFSZ => "File size limit exceeded",
        SIGVTALRM => "Virtual timer expired",
        SIGPROF => "Profiling timer expired",
        SIGWINCH => "Window changed",
        SIGIO => "I/O possible",
        SIGPWR => "Power failure",
        SIGSYS => "Bad system call",
        SIGRTMIN..=SIGRTMAX => "Real-time signal",
        _ => "Unknown signal",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use abi::wait::{CONTINUED, exited, signaled, stopped};
    use alloc::string::ToString;
    use alloc::vec;

    #[test]
    fn states_from_wait_statuses() {
        assert_eq!(
            ProcessState::from_wait_status(exited(3)),
            Some(ProcessState::Exited(3))
        );
        assert_eq!(
            ProcessState::from_wait_status(signaled(SIGSEGV, true)),
            Some(ProcessState::Signaled {
                sig: SIGSEGV,
                core: true
            })
        );
        assert_eq!(
            ProcessState::from_wait_status(stopped(SIGTSTP)),
            Some(ProcessState::Stopped(SIGTSTP))
        );
        assert_eq!(
            ProcessState::from_wait_status(CONTINUED),
            Some(ProcessState::Running)
        );
        assert_eq!(ProcessState::from_wait_status(-1), None);
    }

    #[test]
    fn exit_statuses_follow_the_shell_convention() {
        assert_eq!(ProcessState::Exited(0).exit_status(), 0);
        assert_eq!(ProcessState::Exited(42).exit_status(), 42);
        let killed = ProcessState::Signaled {
            sig: SIGKILL,
            core: false,
        };
        assert_eq!(killed.exit_status(), 137);
        assert_eq!(ProcessState::Stopped(SIGTSTP).exit_status(), 148);
    }

    #[test]
    fn ids_count_up_from_one_and_restart_when_empty() {
        let mut table = JobTable::new();
        assert_eq!(table.add(10, &[10], "a"), 1);
        assert_eq!(table.add(11, &[11], "b"), 2);
        table.remove(1);
        assert_eq!(table.add(12, &[12], "c"), 3);
        table.remove(2);
        table.remove(3);
        assert!(table.is_empty());
        assert_eq!(table.add(13, &[13], "d"), 1);
    }

    #[test]
    fn a_pipeline_is_done_when_every_process_is() {
        let mut table = JobTable::new();
        let id = table.add(20, &[20, 21, 22], "a | b | c");
        assert_eq!(table.record(21, exited(0)), Some(id));
        assert_eq!(table.get(id).unwrap().state(), JobState::Running);
        table.record(20, signaled(SIGPIPE, false));
        table.record(22, exited(3));
        let job = table.get(id).unwrap();
        assert_eq!(job.state(), JobState::Done(ProcessState::Exited(3)));
        assert_eq!(job.status(), 3);
        assert_eq!(job.signal_deaths().count(), 1);
        assert_eq!(job.pids().collect::<Vec<_>>(), [20, 21, 22]);
        assert_eq!(table.record(99, exited(0)), None);
    }

    #[test]
    fn stop_and_resume() {
        let mut table = JobTable::new();
        let id = table.add(30, &[30, 31], "cat | wc");
        table.record(30, stopped(SIGTSTP));
        assert_eq!(table.get(id).unwrap().state(), JobState::Running);
        table.record(31, stopped(SIGTSTP));
        assert_eq!(table.get(id).unwrap().state(), JobState::Stopped(SIGTSTP));
        assert_eq!(table.get(id).unwrap().status(), 148);
        assert!(table.any_stopped());
        assert_eq!(
            table.report_one(id).unwrap(),
            "[1]+  Stopped                 cat | wc"
        );
        table.resume(id);
        assert_eq!(table.get(id).unwrap().state(), JobState::Running);
        assert!(!table.any_stopped());
        table.record(30, CONTINUED);
        assert_eq!(table.get(id).unwrap().state(), JobState::Running);
    }

    #[test]
    fn finished_background_jobs_are_reported_once() {
        let mut table = JobTable::new();
        let sleeper = table.add(40, &[40], "sleep 1");
        let other = table.add(41, &[41], "sleep 100");
        assert!(table.notifications().is_empty());
        table.record(40, exited(0));
        assert_eq!(
            table.notifications(),
            ["[1]-  Done                    sleep 1"]
        );
        assert!(table.get(sleeper).is_none());
        assert!(table.notifications().is_empty());
        assert!(table.get(other).is_some());
    }

    #[test]
    fn report_lines_describe_how_jobs_ended() {
        let mut table = JobTable::new();
        table.add(50, &[50], "false");
        table.add(51, &[51], "./crash");
        table.add(52, &[52], "sleep 100");
        table.record(50, exited(1));
        table.record(51, signaled(SIGSEGV, true));
        assert_eq!(
            table.listing(),
            [
                "[1]   Exit 1                  false",
                "[2]-  Segmentation fault (core dumped) ./crash",
                "[3]+  Running                 sleep 100 &",
            ]
        );
        assert_eq!(table.ids(), [3]);
    }

    #[test]
    fn current_prefers_stopped_then_recent() {
        let mut table = JobTable::new();
        let a = table.add(60, &[60], "a");
        let b = table.add(61, &[61], "b");
        assert_eq!((table.current(), table.previous()), (Some(b), Some(a)));
        table.record(60, stopped(SIGTSTP));
        assert_eq!((table.current(), table.previous()), (Some(a), Some(b)));
        table.resume(a);
        assert_eq!(table.current(), Some(a));
        let c = table.add(62, &[62], "c");
        assert_eq!((table.current(), table.previous()), (Some(c), Some(a)));
    }

    #[test]
    fn job_specs() {
        let mut table = JobTable::new();
        assert_eq!(table.resolve(None), Err(JobSpecError::NoCurrentJob));
        let vi = table.add(70, &[70], "vi notes");
        let sleep1 = table.add(71, &[71], "sleep 100");
        let sleep2 = table.add(72, &[72], "sleep 200");
        assert_eq!(table.resolve(None), Ok(sleep2));
        for spec in ["%", "%%", "%+"] {
            assert_eq!(table.resolve(Some(spec)), Ok(sleep2), "{spec}");
        }
        assert_eq!(table.resolve(Some("%-")), Ok(sleep1));
        assert_eq!(table.resolve(Some("%1")), Ok(vi));
        assert_eq!(table.resolve(Some("2")), Ok(sleep1));
        assert_eq!(table.resolve(Some("%vi")), Ok(vi));
        assert_eq!(
            table.resolve(Some("%sl")),
            Err(JobSpecError::Ambiguous("%sl".to_string()))
        );
        assert_eq!(
            table.resolve(Some("%9")),
            Err(JobSpecError::NoSuchJob("%9".to_string()))
        );
        assert_eq!(
            table.resolve(Some("%x")),
            Err(JobSpecError::NoSuchJob("%x".to_string()))
        );
        assert_eq!(
            table.resolve(Some("abc")),
            Err(JobSpecError::NoSuchJob("abc".to_string()))
        );
        assert_eq!(
            JobSpecError::NoSuchJob("%9".to_string()).to_string(),
            "%9: no such job"
        );
    }

    #[test]
    fn death_messages_like_bash() {
        let died = |sig, core| ProcessState::Signaled { sig, core };
        assert_eq!(
            death_message(died(SIGKILL, false)).as_deref(),
            Some("Killed")
        );
        assert_eq!(
            death_message(died(SIGSEGV, true)).as_deref(),
            Some("Segmentation fault (core dumped)")
        );
        assert_eq!(death_message(died(SIGINT, false)), None);
        assert_eq!(death_message(died(SIGPIPE, false)), None);
        assert_eq!(death_message(ProcessState::Exited(1)), None);
        assert_eq!(signal_description(SIGTERM), "Terminated");
        assert_eq!(signal_description(SIGRTMIN + 3), "Real-time signal");
        assert_eq!(signal_description(0), "Unknown signal");
    }

    #[test]
    fn stopped_descriptions_name_the_cause() {
        let mut table = JobTable::new();
        let reader = table.add(80, &[80], "cat");
        table.record(80, stopped(SIGTTIN));
        assert_eq!(
            table.notifications(),
            vec!["[1]+  Stopped (tty input)     cat".to_string()]
        );
        assert!(table.get(reader).is_some());
    }
}
