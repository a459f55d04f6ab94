//! Lantern's `/proc` scheduling files as values (concepts S1, S3, S7), for `ps`, `sched`,
//! `schedbench` and their tests:
//!
//! - [`Fields`]: the `key: value` lines of `/proc/<pid>/status` (`Name:\tinit`) and
//!   `/proc/<pid>/sched` (`nice: 0`), and the `key value` lines of `/proc/schedstat`;
//! - [`ProcSched`] (`/proc/<pid>/sched`: nice, tickets, arrival, first run, finish, response,
//!   turnaround, CPU and waiting time, switches, what the policy knows) and [`SchedStat`]
//!   (`/proc/schedstat`: the system's averages);
//! - [`policy`] and [`set_policy`] (`/proc/sys/kernel/sched_policy`);
//! - [`deadlock_detection`] and [`set_deadlock_detection`]
//!   (`/proc/sys/kernel/deadlock_detect`: the semaphore deadlock detector, concept T4);
//! - [`read_trace`], [`TraceStint`] and [`clear_trace`] (`/proc/sched_trace`: one line per
//!   stint of a process on a hart);
//! - [`pids`]: the processes `/proc` lists.
//!
//! Times are nanoseconds of the monotonic clock; the kernel writes `-1` for a time that has
//! not happened yet (first run, finish), which reads as `None` here.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;
use core::str::FromStr;

use abi::Errno;
use abi::fs::{O_CLOEXEC, O_RDONLY, O_TRUNC, O_WRONLY};

use crate::fs;
use crate::process::Pid;

/// The system's scheduling policy: read it, or write a policy's name (root only).
pub const SCHED_POLICY: &str = "/proc/sys/kernel/sched_policy";
/// The semaphore deadlock detector: `0` (off, the default) or `1`; root may write it.
pub const DEADLOCK_DETECT: &str = "/proc/sys/kernel/deadlock_detect";
/// System-wide averages of finished processes.
pub const SCHEDSTAT: &str = "/proc/schedstat";
/// The last stints of processes on harts, oldest first; writing anything clears it.
pub const SCHED_TRACE: &str = "/proc/sched_trace";

/// Bytes read at once from `/proc/sched_trace`: its 4096 lines fit, so one `read` sees one
/// consistent snapshot (procfs builds a file's text anew for every `read`).
const TRACE_BUFFER: usize = 512 * 1024;

/// Why a `/proc` file could not be turned into a value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProcError {
    /// The file could not be read.
    Io(Errno),
    /// A field the value needs is missing.
    Missing(String),
    /// A field does not hold what it should (key, value).
    Malformed(String, String),
}

impl From<Errno> for ProcError {
    fn from(error: Errno) -> ProcError {
        ProcError::Io(error)
    }
}

impl fmt::Display for ProcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProcError::Io(error) => write!(f, "{error}"),
            ProcError::Missing(key) => write!(f, "no `{key}` line"),
            ProcError::Malformed(key, value) => write!(f, "`{key}` is not a number: {value:?}"),
        }
    }
}

/// The fields of a `/proc` file, one per line: the key runs up to the first `:` or space,
/// the value is the rest, trimmed. Lines without a value are skipped.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fields(Vec<(String, String)>);

impl Fields {
    /// The fields of `text`.
    pub fn parse(text: &str) -> Fields {
        Fields(
            text.lines()
                .filter_map(|line| {
                    let end = line.find([':', ' ', '\t'])?;
                    let key = line[..end].trim();
                    let value = line[end..].trim_start().trim_start_matches(':').trim();
                    (!key.is_empty()).then(|| (key.to_string(), value.to_string()))
                })
                .collect(),
        )
    }

    /// The fields of the file at `path`.
    pub fn read(path: &str) -> Result<Fields, Errno> {
        fs::read_to_string(path).map(|text| Fields::parse(&text))
    }

    /// The value of the first field called `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, value)| value.as_str())
    }

    /// The value of `key`, which must be there.
    pub fn text(&self, key: &str) -> Result<&str, ProcError> {
        self.get(key)
            .ok_or_else(|| ProcError::Missing(key.to_string()))
    }

    /// The value of `key` as a number (its first word, so `VmRSS: 12 kB` reads as 12).
    pub fn number<T: FromStr>(&self, key: &str) -> Result<T, ProcError> {
        let value = self.text(key)?;
        value
            .split_whitespace()
            .next()
            .and_then(|word| word.parse().ok())
            .ok_or_else(|| ProcError::Malformed(key.to_string(), value.to_string()))
    }

    /// A time that may not have happened yet: `-1` is `None`.
    pub fn instant(&self, key: &str) -> Result<Option<u64>, ProcError> {
        let value: i64 = self.number(key)?;
        match value {
            -1 => Ok(None),
            value => u64::try_from(value)
                .map(Some)
                .map_err(|_| ProcError::Malformed(key.to_string(), value.to_string())),
        }
    }
}

/// `/proc/<pid>/sched`: how the scheduler sees one process.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProcSched {
    /// The system's policy (`fifo`, `mlfq`...).
    pub policy: String,
    /// Nice value, -20..=19.
    pub nice: i32,
    /// Lottery and stride tickets.
    pub tickets: u32,
    /// When it was created.
    pub arrival_ns: u64,
    /// When it first ran.
    pub first_run_ns: Option<u64>,
    /// When it exited.
    pub finish_ns: Option<u64>,
    /// First run - arrival.
    pub response_ns: Option<u64>,
    /// Finish - arrival.
    pub turnaround_ns: Option<u64>,
    /// Time on a hart.
    pub cpu_ns: u64,
    /// Time in the system not on a hart (ready or blocked).
    pub wait_ns: u64,
    /// Times it gave up its hart itself (blocked or yielded).
    pub voluntary_switches: u64,
    /// Times it was preempted.
    pub involuntary_switches: u64,
    /// What the policy knows of it (`level=2 used=3`, `pass=...`).
    pub policy_state: String,
}

impl ProcSched {
    /// Parses the text of a `/proc/<pid>/sched` file.
    pub fn parse(text: &str) -> Result<ProcSched, ProcError> {
        let fields = Fields::parse(text);
        Ok(ProcSched {
            policy: fields.text("policy")?.to_string(),
            nice: fields.number("nice")?,
            tickets: fields.number("tickets")?,
            arrival_ns: fields.number("arrival_ns")?,
            first_run_ns: fields.instant("first_run_ns")?,
            finish_ns: fields.instant("finish_ns")?,
            response_ns: fields.instant("response_ns")?,
            turnaround_ns: fields.instant("turnaround_ns")?,
            cpu_ns: fields.number("cpu_ns")?,
            wait_ns: fields.number("wait_ns")?,
            voluntary_switches: fields.number("voluntary_switches")?,
            involuntary_switches: fields.number("involuntary_switches")?,
            policy_state: fields.get("policy_state").unwrap_or("").to_string(),
        })
    }

    /// Reads `/proc/<pid>/sched` (`pid` 0: the caller's, through `/proc/self`).
    pub fn read(pid: Pid) -> Result<ProcSched, ProcError> {
        let path = match pid {
            0 => String::from("/proc/self/sched"),
            pid => alloc::format!("/proc/{pid}/sched"),
        };
        ProcSched::parse(&fs::read_to_string(&path)?)
    }
}

/// `/proc/schedstat`: the system-wide averages over finished processes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SchedStat {
    /// The policy in force.
    pub policy: String,
    /// Processes that finished since boot.
    pub finished: u64,
    /// Average response time (first run - arrival).
    pub avg_response_ns: u64,
    /// Average turnaround time (finish - arrival).
    pub avg_turnaround_ns: u64,
    /// Average time in the system not on a hart.
    pub avg_wait_ns: u64,
    /// Stints on harts since boot.
    pub context_switches: u64,
}

impl SchedStat {
    /// Parses the text of `/proc/schedstat`.
    pub fn parse(text: &str) -> Result<SchedStat, ProcError> {
        let fields = Fields::parse(text);
        Ok(SchedStat {
            policy: fields.text("policy")?.to_string(),
            finished: fields.number("finished")?,
            avg_response_ns: fields.number("avg_response_ns")?,
            avg_turnaround_ns: fields.number("avg_turnaround_ns")?,
            avg_wait_ns: fields.number("avg_wait_ns")?,
            context_switches: fields.number("context_switches")?,
        })
    }

    /// Reads `/proc/schedstat`.
    pub fn read() -> Result<SchedStat, ProcError> {
        SchedStat::parse(&fs::read_to_string(SCHEDSTAT)?)
    }
}

/// The system's scheduling policy.
pub fn policy() -> Result<String, Errno> {
    Ok(fs::read_to_string(SCHED_POLICY)?.trim().to_string())
}

/// Switches the whole system to policy `name` (root only: `EACCES` otherwise; `EINVAL` for
/// a name the kernel does not know).
pub fn set_policy(name: &str) -> Result<(), Errno> {
    write_proc(SCHED_POLICY, name.as_bytes())
}

/// Whether the semaphore deadlock detector is on: then a `semop` whose wait would close a
/// cycle of processes waiting for each other's semaphores fails with `EDEADLK`.
pub fn deadlock_detection() -> Result<bool, Errno> {
    match fs::read_to_string(DEADLOCK_DETECT)?.trim() {
        "0" => Ok(false),
        "1" => Ok(true),
        _ => Err(Errno::EIO),
    }
}

/// Turns the semaphore deadlock detector on or off (root only: `EACCES` otherwise).
pub fn set_deadlock_detection(on: bool) -> Result<(), Errno> {
    write_proc(DEADLOCK_DETECT, if on { b"1\n" } else { b"0\n" })
}

/// Writes `data` to the `/proc` file at `path` in one `write`.
fn write_proc(path: &str, data: &[u8]) -> Result<(), Errno> {
    let fd = fs::open(path, O_WRONLY | O_TRUNC | O_CLOEXEC, 0)?;
    let written = fs::write(fd, data);
    fs::close(fd)?;
    match written? {
        count if count == data.len() => Ok(()),
        _ => Err(Errno::EIO),
    }
}

/// One line of `/proc/sched_trace`: `<start_ns> <end_ns> <hart> <pid> <name> <why>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceStint {
    /// When the process was put on the hart.
    pub start_ns: u64,
    /// When it left it.
    pub end_ns: u64,
    /// The hart.
    pub hart: usize,
    /// The process.
    pub pid: Pid,
    /// The process's name (it may hold spaces).
    pub name: String,
    /// `preempted`, `yielded`, `blocked` or `exited`.
    pub why: String,
}

/// The words that may end a trace line.
pub const TRACE_WHYS: [&str; 4] = ["preempted", "yielded", "blocked", "exited"];

impl TraceStint {
    /// Parses one trace line; `None` if it is not one.
    pub fn parse(line: &str) -> Option<TraceStint> {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.len() < 6 {
            return None;
        }
        let why = words[words.len() - 1];
        let stint = TraceStint {
            start_ns: words[0].parse().ok()?,
            end_ns: words[1].parse().ok()?,
            hart: words[2].parse().ok()?,
            pid: words[3].parse().ok()?,
            name: words[4..words.len() - 1].join(" "),
            why: TRACE_WHYS.contains(&why).then(|| why.to_string())?,
        };
        (stint.start_ns <= stint.end_ns).then_some(stint)
    }

    /// The line as the kernel writes it, with `name` in place of the process's name.
    pub fn line_named(&self, name: &str) -> String {
        alloc::format!(
            "{} {} {} {} {} {}",
            self.start_ns,
            self.end_ns,
            self.hart,
            self.pid,
            name,
            self.why
        )
    }
}

/// The text of `/proc/sched_trace`, read in one `read` so that it is one snapshot.
pub fn read_trace() -> Result<String, Errno> {
    let fd = fs::open(SCHED_TRACE, O_RDONLY | O_CLOEXEC, 0)?;
    let mut data = Vec::new();
    let read = data
        .try_reserve_exact(TRACE_BUFFER)
        .map_err(|_| Errno::ENOMEM)
        .and_then(|()| {
            data.resize(TRACE_BUFFER, 0);
            fs::read(fd, &mut data)
        });
    fs::close(fd)?;
    data.truncate(read?.min(TRACE_BUFFER));
    Ok(String::from_utf8_lossy(&data).into_owned())
}

/// Empties `/proc/sched_trace`.
pub fn clear_trace() -> Result<(), Errno> {
    write_proc(SCHED_TRACE, b"clear\n")
}

/// The pids `/proc` lists (one per process), in increasing order.
pub fn pids() -> Result<Vec<Pid>, Errno> {
    numbered_entries("/proc")
}

/// The thread ids of process `pid` (`/proc/<pid>/task`), in increasing order.
pub fn tids(pid: Pid) -> Result<Vec<Pid>, Errno> {
    numbered_entries(&alloc::format!("/proc/{pid}/task"))
}

fn numbered_entries(dir: &str) -> Result<Vec<Pid>, Errno> {
    let mut ids: Vec<Pid> = fs::read_dir(dir)?
        .iter()
        .filter_map(|entry| entry.name.parse().ok())
        .collect();
    ids.sort_unstable();
    Ok(ids)
}
