//! The simulation (concepts S3, S6): drives a `sched::Scheduler` exactly as the kernel does
//! — `enqueue` when a job arrives, wakes or is preempted, `pick` when a hart is free, `tick`
//! once per tick while a job runs, `blocked` and `exited` when it leaves the CPU — with
//! simulated time, and records every dispatch.
//!
//! Each tick `t` happens in this order:
//! 1. jobs arriving at `t` are enqueued (`New`), then jobs whose I/O ends at `t` (`Woken`),
//!    in job order;
//! 2. each running job is told of the tick (`tick`), and requeued if the policy preempts it
//!    — after the arrivals, so a preemptive policy sees a job that arrives at `t` at once
//!    (STCF switches to it at `t`), and a preempted job queues behind it (round robin);
//! 3. each idle hart, in hart order, picks;
//! 4. every running job runs for one tick; every queued job waits for one;
//! 5. at `t + 1`, a job that has had all its CPU finishes (`exited`); one that has had a
//!    full I/O interval of CPU blocks (`blocked`, told the stint's whole ticks in
//!    milliticks: simulated stints end on ticks) until `t + 1 + block`.
//!
//! A policy that picks a task that is not queued breaks the `Scheduler` contract: the
//! simulation stops with a panic naming the policy.

use crate::workload::Job;
use sched::{MILLITICKS_PER_TICK, ReadyReason, ReadyTask, Scheduler, TaskId, Ticks};

/// How a stint on a hart ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    /// The job had all its CPU.
    Finished,
    /// The job blocked for I/O.
    Blocked,
    /// The policy preempted it.
    Preempted,
    /// The simulation hit its tick limit.
    Cut,
}

/// One stint of one job on one hart: a line of the dispatch trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    pub hart: usize,
    /// Index into the workload.
    pub job: usize,
    pub start: Ticks,
    pub end: Ticks,
    pub ended: Ended,
    /// What the policy said of the job when it picked it (`describe`).
    pub note: String,
}

/// What happened to one job.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JobRecord {
    /// When it first ran.
    pub first_run: Option<Ticks>,
    /// When it finished.
    pub completion: Option<Ticks>,
    /// CPU ticks it got.
    pub cpu: Ticks,
    /// Ticks it spent queued, ready but not running.
    pub waiting: Ticks,
}

/// A finished simulation.
#[derive(Clone, Debug)]
pub struct Run {
    /// The policy's name.
    pub policy: &'static str,
    pub harts: usize,
    /// When the last job finished (or the tick limit).
    pub end: Ticks,
    /// Hart-ticks spent running jobs.
    pub busy: Ticks,
    /// The dispatch trace, in the order stints ended.
    pub segments: Vec<Segment>,
    /// One per job, in workload order.
    pub jobs: Vec<JobRecord>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Pending,
    Ready,
    Running,
    Blocked { until: Ticks },
    Done,
}

struct Stint {
    job: usize,
    start: Ticks,
    ran: Ticks,
    note: String,
}

struct Simulation<'a> {
    jobs: &'a [Job],
    scheduler: &'a mut dyn Scheduler,
    states: Vec<State>,
    /// CPU ticks each job still needs.
    left: Vec<Ticks>,
    /// CPU ticks since each job's last I/O.
    since_io: Vec<Ticks>,
    last_hart: Vec<Option<usize>>,
    harts: Vec<Option<Stint>>,
    records: Vec<JobRecord>,
    segments: Vec<Segment>,
    busy: Ticks,
}

/// The task id a job has: its index plus 1 (the kernel has no task 0 either).
pub fn task_id(job: usize) -> TaskId {
    job + 1
}

/// Runs `jobs` under `scheduler` on `harts` harts until every job has finished or
/// `max_ticks` ticks have passed.
pub fn simulate(
    jobs: &[Job],
    scheduler: &mut dyn Scheduler,
    harts: usize,
    max_ticks: Ticks,
) -> Run {
    for (index, job) in jobs.iter().enumerate() {
        scheduler.set_params(task_id(index), job.params);
    }
    let mut sim = Simulation {
        jobs,
        scheduler,
        states: vec![State::Pending; jobs.len()],
        left: jobs.iter().map(|job| job.run).collect(),
        since_io: vec![0; jobs.len()],
        last_hart: vec![None; jobs.len()],
        harts: (0..harts.max(1)).map(|_| None).collect(),
        records: vec![JobRecord::default(); jobs.len()],
        segments: Vec::new(),
        busy: 0,
    };
    let mut now = 0;
    loop {
        sim.admit(now);
        sim.tick_running(now);
        sim.dispatch(now);
        if sim.states.iter().all(|&s| s == State::Done) || now >= max_ticks {
            break;
        }
        sim.run_one_tick();
        now += 1;
        sim.retire(now);
    }
    sim.cut(now);
    Run {
        policy: sim.scheduler.name(),
        harts: sim.harts.len(),
        end: now,
        busy: sim.busy,
        segments: sim.segments,
        jobs: sim.records,
    }
}

impl Simulation<'_> {
    fn enqueue(&mut self, job: usize, reason: ReadyReason, now: Ticks) {
        self.states[job] = State::Ready;
        let task = ReadyTask {
            id: task_id(job),
            last_hart: self.last_hart[job],
            affinity: self.jobs[job].affinity,
        };
        self.scheduler.enqueue(task, reason, now);
    }

    /// Step 1: arrivals, then wake-ups.
    fn admit(&mut self, now: Ticks) {
        for job in 0..self.jobs.len() {
            if self.states[job] == State::Pending && self.jobs[job].arrival <= now {
                self.enqueue(job, ReadyReason::New, now);
            }
        }
        for job in 0..self.jobs.len() {
            if matches!(self.states[job], State::Blocked { until } if until <= now) {
                self.enqueue(job, ReadyReason::Woken, now);
            }
        }
    }

    /// Step 2: the timer tick on each busy hart.
    fn tick_running(&mut self, now: Ticks) {
        for hart in 0..self.harts.len() {
            let Some(stint) = &self.harts[hart] else {
                continue;
            };
            let (job, ran) = (stint.job, stint.ran);
            if self.scheduler.tick(hart, task_id(job), ran, now) {
                self.leave(hart, now, Ended::Preempted);
                self.enqueue(job, ReadyReason::Preempted, now);
            }
        }
    }

    /// Step 3: idle harts pick.
    fn dispatch(&mut self, now: Ticks) {
        for hart in 0..self.harts.len() {
            if self.harts[hart].is_some() {
                continue;
            }
            let Some(task) = self.scheduler.pick(hart, now) else {
                continue;
            };
            let job = task.wrapping_sub(1);
            assert!(
                self.states.get(job) == Some(&State::Ready),
                "policy {} picked task {task}, which is not queued",
                self.scheduler.name()
            );
            self.states[job] = State::Running;
            self.last_hart[job] = Some(hart);
            self.records[job].first_run.get_or_insert(now);
            let mut note = String::new();
            self.scheduler
                .describe(task, &mut note)
                .expect("writing to a String cannot fail");
            self.harts[hart] = Some(Stint {
                job,
                start: now,
                ran: 0,
                note,
            });
        }
    }

    /// Step 4: one tick of running and waiting.
    fn run_one_tick(&mut self) {
        for stint in self.harts.iter_mut().flatten() {
            stint.ran += 1;
            self.left[stint.job] -= 1;
            self.since_io[stint.job] += 1;
            self.records[stint.job].cpu += 1;
            self.busy += 1;
        }
        for (job, state) in self.states.iter().enumerate() {
            if *state == State::Ready {
                self.records[job].waiting += 1;
            }
        }
    }

    /// Step 5: jobs that finish or block at `now`.
    fn retire(&mut self, now: Ticks) {
        for hart in 0..self.harts.len() {
            let Some(stint) = &self.harts[hart] else {
                continue;
            };
            let (job, ran) = (stint.job, stint.ran);
            let io = self.jobs[job].io;
            if self.left[job] == 0 {
                self.leave(hart, now, Ended::Finished);
                self.states[job] = State::Done;
                self.records[job].completion = Some(now);
                self.scheduler.exited(task_id(job));
            } else if let Some(io) = io.filter(|io| self.since_io[job] >= io.every) {
                self.leave(hart, now, Ended::Blocked);
                self.since_io[job] = 0;
                self.states[job] = State::Blocked {
                    until: now + io.block,
                };
                self.scheduler
                    .blocked(task_id(job), ran * MILLITICKS_PER_TICK, now);
            }
        }
    }

    /// Closes the stint on `hart` into a trace segment.
    fn leave(&mut self, hart: usize, now: Ticks, ended: Ended) {
        if let Some(stint) = self.harts[hart].take() {
            self.segments.push(Segment {
                hart,
                job: stint.job,
                start: stint.start,
                end: now,
                ended,
                note: stint.note,
            });
        }
    }

    /// Closes what still runs when the simulation stops at the tick limit.
    fn cut(&mut self, now: Ticks) {
        for hart in 0..self.harts.len() {
            self.leave(hart, now, Ended::Cut);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::parse_jobs;
    use sched::{PolicyConfig, by_name};

    fn run(policy: &str, jobs: &str, harts: usize, max_ticks: Ticks) -> Run {
        let jobs = parse_jobs(jobs).unwrap();
        let mut scheduler = by_name(policy, harts, &PolicyConfig::default()).unwrap();
        simulate(&jobs, scheduler.as_mut(), harts, max_ticks)
    }

    fn stints(run: &Run) -> Vec<(usize, usize, Ticks, Ticks, Ended)> {
        run.segments
            .iter()
            .map(|s| (s.hart, s.job, s.start, s.end, s.ended))
            .collect()
    }

    #[test]
    fn a_lone_job_runs_from_arrival_to_completion() {
        let run = run("fifo", "5@3", 1, 1_000);
        assert_eq!(stints(&run), [(0, 0, 3, 8, Ended::Finished)]);
        assert_eq!((run.end, run.busy), (8, 5));
        let record = &run.jobs[0];
        assert_eq!(
            (
                record.first_run,
                record.completion,
                record.cpu,
                record.waiting
            ),
            (Some(3), Some(8), 5, 0)
        );
    }

    #[test]
    fn io_blocks_the_job_and_another_runs_meanwhile() {
        let run = run("fifo", "4/io=2:3,3", 1, 1_000);
        assert_eq!(
            stints(&run),
            [
                (0, 0, 0, 2, Ended::Blocked),
                (0, 1, 2, 5, Ended::Finished),
                (0, 0, 5, 7, Ended::Finished),
            ]
        );
        assert_eq!(run.jobs[0].waiting, 0, "woken at 5, picked at 5");
        assert_eq!(run.jobs[1].waiting, 2);
    }

    #[test]
    fn an_idle_gap_is_not_busy_time() {
        let run = run("fifo", "2/io=1:5", 1, 1_000);
        assert_eq!(
            stints(&run),
            [(0, 0, 0, 1, Ended::Blocked), (0, 0, 6, 7, Ended::Finished)]
        );
        assert_eq!((run.end, run.busy), (7, 2));
    }

    #[test]
    fn two_harts_run_two_jobs_at_once() {
        let run = run("fifo", "3,3", 2, 1_000);
        assert_eq!(
            stints(&run),
            [(0, 0, 0, 3, Ended::Finished), (1, 1, 0, 3, Ended::Finished)]
        );
    }

    #[test]
    fn the_tick_limit_cuts_the_run() {
        let run = run("rr", "100", 1, 10);
        assert_eq!(run.end, 10);
        assert_eq!(run.jobs[0].completion, None);
        assert_eq!(run.segments.last().map(|s| s.ended), Some(Ended::Cut));
    }

    #[test]
    fn the_trace_notes_what_the_policy_said_at_each_pick() {
        let run = run("sjf", "3", 1, 100);
        assert_eq!(run.segments[0].note, "cpu=0 expected=3 left=3");
    }
}
