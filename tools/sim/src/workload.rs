//! Workloads (concept S6): jobs as OSTEP describes them — how much CPU each needs, when it
//! arrives, how it does I/O — plus what each declares to the scheduler (nice, tickets,
//! expected run time, affinity), and the compact syntax the command line takes:
//!
//! ```text
//! JOBS := JOB ( "," JOB )*
//! JOB  := RUN [ "@" ARRIVAL ] ( "/" KEY "=" VALUE )*
//! ```
//!
//! Keys: `io=CPU:BLOCK` (after every CPU ticks of running, block for BLOCK ticks),
//! `nice=N` (-20..=19), `tickets=N`, `expect=N` (declared expected run time, default RUN: an
//! honest oracle), `aff=MASK` (bit h: may run on hart h; decimal or 0x hex). Jobs are named
//! A, B, C... in the order given.

use sched::{TaskParams, Ticks};

/// Blocking for I/O at a fixed rhythm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Io {
    /// CPU ticks between two I/O requests.
    pub every: Ticks,
    /// Ticks each I/O blocks the job.
    pub block: Ticks,
}

/// One job of a workload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    /// A, B, C... (one character for the first 62 jobs, so Gantt charts stay one column per
    /// job tick).
    pub name: String,
    /// CPU ticks it needs in all.
    pub run: Ticks,
    /// When it enters the system.
    pub arrival: Ticks,
    /// Its I/O pattern, if it does I/O.
    pub io: Option<Io>,
    /// What it declares to the scheduler.
    pub params: TaskParams,
    /// Harts it may run on (bit h: hart h).
    pub affinity: u64,
}

/// The name of the job at `index`: A-Z, then a-z, then 0-9, then J62, J63...
pub fn job_name(index: usize) -> String {
    const SYMBOLS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    match SYMBOLS.get(index) {
        Some(&symbol) => char::from(symbol).to_string(),
        None => format!("J{index}"),
    }
}

/// Parses a workload (`100,10@10/io=2:1,...`; see the module comment).
pub fn parse_jobs(spec: &str) -> Result<Vec<Job>, String> {
    let jobs: Vec<Job> = spec
        .split(',')
        .enumerate()
        .map(|(index, text)| parse_job(index, text.trim()))
        .collect::<Result<_, _>>()?;
    Ok(jobs)
}

fn parse_job(index: usize, text: &str) -> Result<Job, String> {
    let name = job_name(index);
    let fail = |why: String| format!("job {name} ({text:?}): {why}");
    let mut fields = text.split('/');
    let timing = fields.next().unwrap_or_default();
    let (run, arrival) = match timing.split_once('@') {
        Some((run, arrival)) => (run, Some(arrival)),
        None => (timing, None),
    };
    let run = number(run).map_err(fail)?;
    if run == 0 {
        return Err(fail("the run length must be at least 1 tick".into()));
    }
    let mut job = Job {
        name: name.clone(),
        run,
        arrival: arrival.map_or(Ok(0), number).map_err(fail)?,
        io: None,
        params: TaskParams {
            expected: Some(run),
            ..TaskParams::default()
        },
        affinity: u64::MAX,
    };
    for field in fields {
        let (key, value) = field
            .split_once('=')
            .ok_or_else(|| fail(format!("{field:?} is not KEY=VALUE")))?;
        match key {
            "io" => job.io = Some(io(value).map_err(fail)?),
            "nice" => job.params.nice = nice(value).map_err(fail)?,
            "tickets" => {
                job.params.tickets = number(value)
                    .and_then(|n| u32::try_from(n).map_err(|_| format!("{n} tickets is too many")))
                    .map_err(fail)?
            }
            "expect" => job.params.expected = Some(number(value).map_err(fail)?),
            "aff" => job.affinity = mask(value).map_err(fail)?,
            _ => {
                return Err(fail(format!(
                    "unknown key {key:?} (io, nice, tickets, expect, aff)"
                )));
            }
        }
    }
    Ok(job)
}

fn number(text: &str) -> Result<Ticks, String> {
    text.parse()
        .map_err(|_| format!("{text:?} is not a non-negative whole number"))
}

fn nice(text: &str) -> Result<i8, String> {
    match text.parse::<i8>() {
        Ok(n) if (-20..=19).contains(&n) => Ok(n),
        _ => Err(format!("nice {text:?} is not in -20..=19")),
    }
}

fn io(text: &str) -> Result<Io, String> {
    let (every, block) = text
        .split_once(':')
        .ok_or_else(|| format!("io={text:?} is not CPU:BLOCK"))?;
    let every = number(every)?;
    if every == 0 {
        return Err("io needs at least 1 CPU tick between requests".into());
    }
    Ok(Io {
        every,
        block: number(block)?,
    })
}

fn mask(text: &str) -> Result<u64, String> {
    let parsed = match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => text.parse(),
    };
    match parsed {
        Ok(0) | Err(_) => Err(format!("aff={text:?} is not a non-zero hart mask")),
        Ok(mask) => Ok(mask),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_run_lengths_arrive_at_zero_and_declare_their_length() {
        let jobs = parse_jobs("100, 10,10").unwrap();
        let summary: Vec<_> = jobs
            .iter()
            .map(|j| (j.name.as_str(), j.run, j.arrival, j.params.expected))
            .collect();
        assert_eq!(
            summary,
            [
                ("A", 100, 0, Some(100)),
                ("B", 10, 0, Some(10)),
                ("C", 10, 0, Some(10))
            ]
        );
        assert!(
            jobs.iter()
                .all(|j| j.io.is_none() && j.affinity == u64::MAX)
        );
    }

    #[test]
    fn every_key_is_understood() {
        let jobs = parse_jobs("50@7/io=5:3/nice=-5/tickets=75/expect=40/aff=0x2").unwrap();
        let job = &jobs[0];
        assert_eq!((job.run, job.arrival), (50, 7));
        assert_eq!(job.io, Some(Io { every: 5, block: 3 }));
        assert_eq!(
            job.params,
            TaskParams {
                nice: -5,
                tickets: 75,
                expected: Some(40)
            }
        );
        assert_eq!(job.affinity, 2);
    }

    #[test]
    fn mistakes_are_explained() {
        for (spec, complaint) in [
            ("0", "at least 1 tick"),
            ("10@x", "not a non-negative whole number"),
            ("10/io=5", "CPU:BLOCK"),
            ("10/io=0:5", "at least 1 CPU tick"),
            ("10/nice=20", "-20..=19"),
            ("10/color=red", "unknown key"),
            ("10/aff=0", "non-zero hart mask"),
            ("10/tickets", "KEY=VALUE"),
        ] {
            let error = parse_jobs(spec).unwrap_err();
            assert!(error.contains(complaint), "{spec}: {error}");
        }
    }

    #[test]
    fn names_run_through_letters_then_digits_then_numbers() {
        assert_eq!(job_name(0), "A");
        assert_eq!(job_name(26), "a");
        assert_eq!(job_name(61), "9");
        assert_eq!(job_name(62), "J62");
    }
}
