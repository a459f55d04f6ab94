//! Property tests (concepts S1, S4, S5): the kernel's policies, driven by the simulator over
//! thousands of random workloads from a small deterministic generator (one seed per case, so
//! a failure names the seed that reproduces it). What must hold for every workload:
//!
//! - no starvation under rr, mlfq with boost and stride: a job that is ready gets a hart
//!   within a bound worked out from the policy's parameters and the number of jobs;
//! - work conservation under every policy: a hart never idles while a job it may run is
//!   queued (per-hart queues, stealing and affinity included);
//! - SJF (and STCF) give the least average turnaround of all orders when the jobs arrive
//!   together, checked against every permutation.
//!
//! The per-tick states are rebuilt from the run's dispatch trace: a job is running inside
//! one of its stints, blocked for its I/O time after a stint that ended blocked, done after
//! it finished, pending before it arrived, and ready (queued) otherwise.

use lantern_sim::engine::{Ended, Run, simulate};
use lantern_sim::workload::{Io, Job, job_name};
use sched::{MlfqConfig, PolicyConfig, TaskParams, Ticks, by_name};

/// Random workloads per property.
const CASES: u64 = 2_000;

/// splitmix64: a tiny, well-mixed deterministic generator (Steele, Lea and Flood).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `low..=high`.
    fn range(&mut self, low: u64, high: u64) -> u64 {
        low + self.next() % (high - low + 1)
    }

    /// True with probability 1 / `n`.
    fn one_in(&mut self, n: u64) -> bool {
        self.next().is_multiple_of(n)
    }
}

/// What a random workload may contain.
struct Shape {
    max_jobs: u64,
    max_harts: u64,
    /// Whether jobs may do I/O, arrive late and be pinned (otherwise: CPU only, all at 0,
    /// any hart).
    varied: bool,
}

/// A random workload and the number of harts to run it on.
fn workload(rng: &mut Rng, shape: &Shape) -> (Vec<Job>, usize) {
    let harts = rng.range(1, shape.max_harts) as usize;
    let all_harts = (1u64 << harts) - 1;
    let jobs = (0..rng.range(1, shape.max_jobs) as usize)
        .map(|index| {
            let run = rng.range(1, 60);
            let varied = shape.varied;
            Job {
                name: job_name(index),
                run,
                arrival: if varied { rng.range(0, 40) } else { 0 },
                io: (varied && rng.one_in(3)).then(|| Io {
                    every: rng.range(1, 5),
                    block: rng.range(1, 10),
                }),
                params: TaskParams {
                    nice: rng.range(0, 10) as i8 - 5,
                    tickets: [1, 25, 50, 100, 300][rng.range(0, 4) as usize],
                    expected: Some(run),
                },
                affinity: if varied && rng.one_in(4) {
                    rng.range(1, all_harts)
                } else {
                    u64::MAX
                },
            }
        })
        .collect();
    (jobs, harts)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Pending,
    Ready,
    Running(usize),
    Blocked,
    Done,
}

/// `states[job][tick]` over the whole run, rebuilt from its trace.
fn timeline(jobs: &[Job], run: &Run) -> Vec<Vec<State>> {
    let length = run.end as usize;
    jobs.iter()
        .enumerate()
        .map(|(index, job)| {
            let mut states = vec![State::Ready; length];
            for state in states.iter_mut().take(job.arrival as usize) {
                *state = State::Pending;
            }
            if let Some(done) = run.jobs[index].completion {
                for state in states.iter_mut().skip(done as usize) {
                    *state = State::Done;
                }
            }
            for segment in run.segments.iter().filter(|s| s.job == index) {
                for tick in segment.start..segment.end {
                    states[tick as usize] = State::Running(segment.hart);
                }
                if segment.ended == Ended::Blocked {
                    let block = job.io.expect("only a job with I/O blocks").block;
                    for tick in segment.end..(segment.end + block).min(run.end) {
                        states[tick as usize] = State::Blocked;
                    }
                }
            }
            states
        })
        .collect()
}

/// The longest time each job spent ready without running, in ticks.
fn longest_waits(jobs: &[Job], run: &Run) -> Vec<Ticks> {
    timeline(jobs, run)
        .iter()
        .map(|states| {
            let mut longest = 0;
            let mut current = 0;
            for state in states {
                current = if *state == State::Ready {
                    current + 1
                } else {
                    0
                };
                longest = longest.max(current);
            }
            longest
        })
        .collect()
}

fn run(policy: &str, jobs: &[Job], harts: usize, config: &PolicyConfig) -> Run {
    let mut scheduler = by_name(policy, harts, config).unwrap();
    simulate(jobs, scheduler.as_mut(), harts, 1_000_000)
}

/// Runs `CASES` random workloads under `policy` with a random configuration from
/// `configure`, and checks that every job finishes and that none waits longer at a time
/// than `bound(config, jobs, job)` says.
fn assert_no_starvation(
    policy: &str,
    configure: impl Fn(&mut Rng) -> PolicyConfig,
    bound: impl Fn(&PolicyConfig, &[Job], usize) -> Ticks,
) {
    let shape = Shape {
        max_jobs: 7,
        max_harts: 3,
        varied: true,
    };
    for seed in 0..CASES {
        let mut rng = Rng(seed);
        let config = configure(&mut rng);
        let (jobs, harts) = workload(&mut rng, &shape);
        let run = run(policy, &jobs, harts, &config);
        assert!(
            run.jobs.iter().all(|j| j.completion.is_some()),
            "{policy}, seed {seed}: every job finishes"
        );
        let waits = longest_waits(&jobs, &run);
        let limits: Vec<Ticks> = (0..jobs.len())
            .map(|job| bound(&config, &jobs, job))
            .collect();
        assert!(
            waits.iter().zip(&limits).all(|(wait, limit)| wait <= limit),
            "{policy}, seed {seed}: longest waits {waits:?} exceed {limits:?} on {harts} harts"
        );
    }
}

#[test]
fn round_robin_never_makes_a_ready_job_wait_more_than_a_quantum_per_other_job() {
    // A ready job is queued behind at most the other n - 1 jobs (a job that runs goes to
    // the back when preempted, blocks or is woken, so none passes it twice), and each runs at
    // most one quantum: the wait is at most (n - 1) q.
    assert_no_starvation(
        "rr",
        |rng| PolicyConfig {
            quantum: rng.range(1, 4),
            ..PolicyConfig::default()
        },
        |config, jobs, _| (jobs.len() as Ticks - 1) * config.quantum,
    );
}

#[test]
fn mlfq_with_boost_never_lets_a_ready_job_wait_past_the_next_boost_and_a_round() {
    // Whatever its level, a ready job is on top again at the next boost (at most S ticks
    // away); then it is behind at most the n - 1 other jobs, all on top too, and each of them
    // runs at most the top level's quantum before it is requeued behind it or moves down:
    // S + (n - 1) q0.
    assert_no_starvation(
        "mlfq",
        |rng| {
            let levels = rng.range(1, 4) as usize;
            PolicyConfig {
                mlfq: MlfqConfig {
                    quanta: (0..levels).map(|_| rng.range(1, 5)).collect(),
                    allotments: (0..levels).map(|_| rng.range(1, 10)).collect(),
                    boost_period: rng.range(5, 60),
                    keep_allotment: !rng.one_in(4),
                },
                ..PolicyConfig::default()
            }
        },
        |config, jobs, _| {
            let mlfq = &config.mlfq;
            mlfq.boost_period + (jobs.len() as Ticks - 1) * mlfq.quanta[0]
        },
    );
}

#[test]
fn stride_never_lets_a_ready_job_wait_longer_than_its_share_allows() {
    // Passes advance by the stride s = V / tickets per tick; s_max = V / t_min. On each hart
    // every pass is at most the floor F (the most any task there was charged to), and F is at
    // most q s_max above the least pass there: a task runs past the least queued one only to
    // finish its quantum. A job x queued with pass p <= F waits while others with passes up
    // to p run. Any job j, at most q s_max below p when x was queued, runs at most until its
    // pass exceeds p — q s_max / s_j = q t_j / t_min ticks — plus what is left of a quantum;
    // a job that joins or wakes meanwhile starts at F >= p, behind x. So x waits at most
    // q * sum over j != x of (t_j / t_min + 1) ticks.
    assert_no_starvation(
        "stride",
        |rng| PolicyConfig {
            quantum: rng.range(1, 3),
            ..PolicyConfig::default()
        },
        |config, jobs, waiting| {
            let least = jobs.iter().map(|j| j.params.tickets).min().unwrap_or(1);
            let others: Ticks = jobs
                .iter()
                .enumerate()
                .filter(|&(index, _)| index != waiting)
                .map(|(_, j)| Ticks::from(j.params.tickets.div_ceil(least)) + 1)
                .sum();
            config.quantum * others
        },
    );
}

#[test]
fn no_policy_idles_a_hart_while_a_job_it_may_run_is_queued() {
    let shape = Shape {
        max_jobs: 8,
        max_harts: 4,
        varied: true,
    };
    for policy in sched::POLICY_NAMES {
        for seed in 0..CASES / 4 {
            let mut rng = Rng(seed);
            let (jobs, harts) = workload(&mut rng, &shape);
            let config = PolicyConfig {
                quantum: rng.range(1, 4),
                preemptive: !rng.one_in(2),
                ..PolicyConfig::default()
            };
            // prio can starve a job for good (it is meant to): bound the run.
            let mut scheduler = by_name(policy, harts, &config).unwrap();
            let run = simulate(&jobs, scheduler.as_mut(), harts, 5_000);
            let states = timeline(&jobs, &run);
            for tick in 0..run.end as usize {
                for hart in 0..harts {
                    if states.iter().any(|s| s[tick] == State::Running(hart)) {
                        continue;
                    }
                    let waiting = (0..jobs.len()).find(|&j| {
                        states[j][tick] == State::Ready && jobs[j].affinity & (1 << hart) != 0
                    });
                    assert_eq!(
                        waiting, None,
                        "{policy}, seed {seed}: hart {hart} idles at tick {tick} while a job it may run is queued"
                    );
                }
            }
        }
    }
}

/// The average turnaround of jobs that arrive together and run back to back in `order`.
fn turnaround_in_order(runs: &[Ticks]) -> Ticks {
    let mut clock = 0;
    runs.iter()
        .map(|run| {
            clock += run;
            clock
        })
        .sum()
}

/// Every order of `items` (Heap's algorithm).
fn permutations(items: &mut Vec<Ticks>, k: usize, out: &mut Vec<Vec<Ticks>>) {
    if k <= 1 {
        out.push(items.clone());
        return;
    }
    for i in 0..k {
        permutations(items, k - 1, out);
        let swap = if k.is_multiple_of(2) { i } else { 0 };
        items.swap(swap, k - 1);
    }
}

#[test]
fn sjf_and_stcf_give_the_least_average_turnaround_when_jobs_arrive_together() {
    let shape = Shape {
        max_jobs: 6,
        max_harts: 1,
        varied: false,
    };
    for seed in 0..CASES / 4 {
        let mut rng = Rng(seed);
        let (jobs, harts) = workload(&mut rng, &shape);
        let mut runs: Vec<Ticks> = jobs.iter().map(|j| j.run).collect();
        let mut orders = Vec::new();
        let count = runs.len();
        permutations(&mut runs, count, &mut orders);
        let best = orders
            .iter()
            .map(|order| turnaround_in_order(order))
            .min()
            .unwrap();
        for policy in ["sjf", "stcf"] {
            let run = run(policy, &jobs, harts, &PolicyConfig::default());
            let total: Ticks = run.jobs.iter().map(|j| j.completion.unwrap()).sum();
            assert_eq!(
                total,
                best,
                "{policy}, seed {seed}: total turnaround of {:?} against the best order's",
                jobs.iter().map(|j| j.run).collect::<Vec<_>>()
            );
        }
        let fifo = run("fifo", &jobs, harts, &PolicyConfig::default());
        let fifo_total: Ticks = fifo.jobs.iter().map(|j| j.completion.unwrap()).sum();
        assert!(fifo_total >= best, "seed {seed}: nothing beats the optimum");
    }
}
