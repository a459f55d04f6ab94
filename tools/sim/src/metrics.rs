//! Scheduling metrics (concept S3), as OSTEP defines them:
//!
//! - turnaround = completion - arrival;
//! - response = first run - arrival;
//! - waiting = time spent ready in a queue (turnaround less CPU and I/O time);
//! - CPU utilisation = hart-ticks spent running jobs / (harts * length of the run);
//! - Jain's fairness index over the jobs' progress rates x_i = CPU time / turnaround (the
//!   share of its time in the system each job spent running):
//!   (sum x)^2 / (n * sum x^2), 1 when all are equal, 1/n when one job got everything.
//!
//! Averages and the index cover finished jobs only. Floating point is fine here: this is
//! the host.

use crate::engine::Run;
use crate::workload::Job;
use sched::Ticks;

/// One finished job's numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JobMetrics {
    pub response: Ticks,
    pub turnaround: Ticks,
    pub waiting: Ticks,
    pub cpu: Ticks,
}

/// A run's averages.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    /// Jobs that finished (the averages are over them).
    pub finished: usize,
    pub response: f64,
    pub turnaround: f64,
    pub waiting: f64,
    /// 0..=1.
    pub utilisation: f64,
    /// Jain's fairness index, 1/n..=1.
    pub fairness: f64,
}

/// The numbers of job `index` of `run`, if it finished.
pub fn job_metrics(jobs: &[Job], run: &Run, index: usize) -> Option<JobMetrics> {
    let record = &run.jobs[index];
    let arrival = jobs[index].arrival;
    Some(JobMetrics {
        response: record.first_run? - arrival,
        turnaround: record.completion? - arrival,
        waiting: record.waiting,
        cpu: record.cpu,
    })
}

/// Jain's fairness index of `values` (1 for none).
pub fn jain(values: &[f64]) -> f64 {
    let sum: f64 = values.iter().sum();
    let squares: f64 = values.iter().map(|x| x * x).sum();
    if squares == 0.0 {
        1.0
    } else {
        sum * sum / (values.len() as f64 * squares)
    }
}

/// The averages of `run`.
pub fn summarize(jobs: &[Job], run: &Run) -> Summary {
    let finished: Vec<JobMetrics> = (0..jobs.len())
        .filter_map(|index| job_metrics(jobs, run, index))
        .collect();
    let mean = |field: fn(&JobMetrics) -> Ticks| {
        if finished.is_empty() {
            0.0
        } else {
            finished.iter().map(|m| field(m) as f64).sum::<f64>() / finished.len() as f64
        }
    };
    let rates: Vec<f64> = finished
        .iter()
        .map(|m| m.cpu as f64 / m.turnaround.max(1) as f64)
        .collect();
    let capacity = run.harts as u64 * run.end;
    Summary {
        finished: finished.len(),
        response: mean(|m| m.response),
        turnaround: mean(|m| m.turnaround),
        waiting: mean(|m| m.waiting),
        utilisation: if capacity == 0 {
            0.0
        } else {
            run.busy as f64 / capacity as f64
        },
        fairness: jain(&rates),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jain_is_one_for_equals_and_one_over_n_for_a_monopoly() {
        assert_eq!(jain(&[0.5, 0.5, 0.5]), 1.0);
        assert_eq!(jain(&[1.0, 0.0, 0.0, 0.0]), 0.25);
        // (1 + 3)^2 / (2 * (1 + 9)) = 16 / 20.
        assert!((jain(&[1.0, 3.0]) - 0.8).abs() < 1e-12);
        assert_eq!(jain(&[]), 1.0);
    }
}
