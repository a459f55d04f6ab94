//! The simulator's text output (concepts S3, S6): the dispatch trace, the per-job table
//! with response, turnaround and waiting time, the averages, and the side-by-side
//! comparison of several policies on one workload.

use crate::engine::{Ended, Run};
use crate::metrics::{job_metrics, summarize};
use crate::workload::Job;
use std::fmt::Write;

/// Every stint, in start order: `[start, end) hart H  JOB  how-it-ended  policy's view`.
pub fn trace(jobs: &[Job], run: &Run) -> String {
    let mut segments: Vec<_> = run.segments.iter().collect();
    segments.sort_by_key(|s| (s.start, s.hart));
    let width = run.end.to_string().len();
    let mut out = String::from("dispatch trace\n");
    for s in segments {
        let ended = match s.ended {
            Ended::Finished => "finished",
            Ended::Blocked => "blocked",
            Ended::Preempted => "preempted",
            Ended::Cut => "cut",
        };
        let _ = writeln!(
            out,
            "  [{:>width$}, {:>width$})  hart {}  {:<3} {:<9}  {}",
            s.start, s.end, s.hart, jobs[s.job].name, ended, s.note
        );
    }
    out
}

/// One line per job, then the averages, utilisation and fairness.
pub fn job_table(jobs: &[Job], run: &Run) -> String {
    let mut out = String::from("job  arrival    run  response  turnaround  waiting    cpu\n");
    for (index, job) in jobs.iter().enumerate() {
        let _ = write!(out, "{:<4} {:>7} {:>6}", job.name, job.arrival, job.run);
        match job_metrics(jobs, run, index) {
            Some(m) => {
                let _ = writeln!(
                    out,
                    "  {:>8}  {:>10}  {:>7} {:>6}",
                    m.response, m.turnaround, m.waiting, m.cpu
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "  unfinished after {} ticks ({} of CPU)",
                    run.end, run.jobs[index].cpu
                );
            }
        }
    }
    let summary = summarize(jobs, run);
    let _ = writeln!(
        out,
        "average              {:>8.2}  {:>10.2}  {:>7.2}",
        summary.response, summary.turnaround, summary.waiting
    );
    let _ = writeln!(
        out,
        "CPU utilisation {:.1}%, Jain's fairness index {:.3} (of CPU time / turnaround), {} of {} jobs finished",
        summary.utilisation * 100.0,
        summary.fairness,
        summary.finished,
        jobs.len()
    );
    out
}

/// Several policies on one workload: averages side by side, then each job's turnaround.
pub fn comparison(jobs: &[Job], runs: &[Run]) -> String {
    let mut out = String::from(
        "policy       response  turnaround  waiting  utilisation  fairness  finished\n",
    );
    for run in runs {
        let s = summarize(jobs, run);
        let _ = writeln!(
            out,
            "{:<12} {:>8.2}  {:>10.2}  {:>7.2}  {:>10.1}%  {:>8.3}  {:>4}/{}",
            run.policy,
            s.response,
            s.turnaround,
            s.waiting,
            s.utilisation * 100.0,
            s.fairness,
            s.finished,
            jobs.len()
        );
    }
    out.push_str("\nturnaround by job\npolicy      ");
    for job in jobs {
        let _ = write!(out, " {:>6}", job.name);
    }
    out.push('\n');
    for run in runs {
        let _ = write!(out, "{:<12}", run.policy);
        for index in 0..jobs.len() {
            match job_metrics(jobs, run, index) {
                Some(m) => {
                    let _ = write!(out, " {:>6}", m.turnaround);
                }
                None => out.push_str("      -"),
            }
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::simulate;
    use crate::workload::parse_jobs;
    use sched::{PolicyConfig, by_name};

    fn run(policy: &str, jobs: &[Job]) -> Run {
        let mut scheduler = by_name(policy, 1, &PolicyConfig::default()).unwrap();
        simulate(jobs, scheduler.as_mut(), 1, 10_000)
    }

    #[test]
    fn the_job_table_shows_each_job_and_the_averages() {
        let jobs = parse_jobs("100,10,10").unwrap();
        let table = job_table(&jobs, &run("sjf", &jobs));
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(
            lines[1],
            "A          0    100        20         120       20    100"
        );
        assert_eq!(
            lines[4],
            "average                 10.00       50.00    10.00"
        );
        assert!(lines[5].starts_with("CPU utilisation 100.0%"));
    }

    #[test]
    fn the_trace_lists_stints_in_start_order() {
        let jobs = parse_jobs("2,1").unwrap();
        let trace = trace(&jobs, &run("fifo", &jobs));
        assert_eq!(
            trace,
            "dispatch trace\n  [0, 2)  hart 0  A   finished   cpu=0\n  [2, 3)  hart 0  B   finished   cpu=0\n"
        );
    }

    #[test]
    fn the_comparison_has_a_row_per_policy() {
        let jobs = parse_jobs("100,10,10").unwrap();
        let runs = [run("fifo", &jobs), run("sjf", &jobs)];
        let text = comparison(&jobs, &runs);
        assert!(text.contains("fifo            70.00      110.00"), "{text}");
        assert!(text.contains("sjf             10.00       50.00"), "{text}");
        assert!(text.contains("sjf             120     10     20"), "{text}");
    }
}
