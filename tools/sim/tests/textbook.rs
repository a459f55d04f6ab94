//! The textbook cases (concept S6): OSTEP's workloads (chapters 7-9, as the seed notes give
//! them) run through the simulator on the kernel's own policies. Every expected number is
//! worked out by hand from the definitions (turnaround = completion - arrival, response =
//! first run - arrival) and the policy's rules, as the comment beside it shows.

use lantern_sim::engine::{Ended, Run, simulate};
use lantern_sim::metrics::{job_metrics, summarize};
use lantern_sim::workload::{Job, parse_jobs};
use sched::{MlfqConfig, PolicyConfig, Ticks, by_name};

struct Outcome {
    jobs: Vec<Job>,
    run: Run,
}

impl Outcome {
    fn turnarounds(&self) -> Vec<Ticks> {
        (0..self.jobs.len())
            .map(|j| job_metrics(&self.jobs, &self.run, j).unwrap().turnaround)
            .collect()
    }

    fn responses(&self) -> Vec<Ticks> {
        (0..self.jobs.len())
            .map(|j| job_metrics(&self.jobs, &self.run, j).unwrap().response)
            .collect()
    }

    fn average_turnaround(&self) -> f64 {
        summarize(&self.jobs, &self.run).turnaround
    }

    fn average_response(&self) -> f64 {
        summarize(&self.jobs, &self.run).response
    }

    /// `(start, end, how it ended, policy's note)` of each stint of `job`, in time order.
    fn stints(&self, job: usize) -> Vec<(Ticks, Ticks, Ended, String)> {
        let mut stints: Vec<_> = self
            .run
            .segments
            .iter()
            .filter(|s| s.job == job)
            .map(|s| (s.start, s.end, s.ended, s.note.clone()))
            .collect();
        stints.sort_by_key(|s| s.0);
        stints
    }

    /// `(start, end)` of each stint of `job`.
    fn spans(&self, job: usize) -> Vec<(Ticks, Ticks)> {
        self.stints(job).iter().map(|s| (s.0, s.1)).collect()
    }

    fn cpu(&self, job: usize) -> Ticks {
        self.run.jobs[job].cpu
    }

    fn completion(&self, job: usize) -> Ticks {
        self.run.jobs[job].completion.unwrap()
    }
}

fn simulate_with(policy: &str, spec: &str, harts: usize, config: &PolicyConfig) -> Outcome {
    simulate_for(policy, spec, harts, config, 1_000_000)
}

fn simulate_for(
    policy: &str,
    spec: &str,
    harts: usize,
    config: &PolicyConfig,
    ticks: Ticks,
) -> Outcome {
    let jobs = parse_jobs(spec).unwrap();
    let mut scheduler = by_name(policy, harts, config).unwrap();
    let run = simulate(&jobs, scheduler.as_mut(), harts, ticks);
    Outcome { jobs, run }
}

fn one_hart(policy: &str, spec: &str) -> Outcome {
    simulate_with(policy, spec, 1, &PolicyConfig::default())
}

fn assert_close(actual: f64, expected: f64) {
    assert!((actual - expected).abs() < 1e-9, "{actual} != {expected}");
}

// OSTEP 7.3: FIFO.

#[test]
fn fifo_equal_jobs_average_turnaround_20() {
    // A, B, C finish at 10, 20, 30.
    let fifo = one_hart("fifo", "10,10,10");
    assert_eq!(fifo.turnarounds(), [10, 20, 30]);
    assert_close(fifo.average_turnaround(), 20.0);
}

#[test]
fn fifo_convoy_average_turnaround_110() {
    // A finishes at 100, B at 110, C at 120.
    let fifo = one_hart("fifo", "100,10,10");
    assert_eq!(fifo.turnarounds(), [100, 110, 120]);
    assert_close(fifo.average_turnaround(), 110.0);
}

// OSTEP 7.4: SJF.

#[test]
fn sjf_all_at_once_average_turnaround_50() {
    // B finishes at 10, C at 20, A at 120: (120 + 10 + 20) / 3 = 50. (The seed notes list A
    // as 100 and average 43.3; A runs from 20 to 120, so its turnaround is 120.)
    let sjf = one_hart("sjf", "100,10,10");
    assert_eq!(sjf.turnarounds(), [120, 10, 20]);
    assert_close(sjf.average_turnaround(), 50.0);
}

#[test]
fn sjf_late_arrivals_convoy_average_turnaround_103_33() {
    // A alone at 0 runs to 100 (non-preemptive); B then C: 100 - 0, 110 - 10, 120 - 10.
    let sjf = one_hart("sjf", "100,10@10,10@10");
    assert_eq!(sjf.turnarounds(), [100, 100, 110]);
    assert_close(sjf.average_turnaround(), 310.0 / 3.0);
}

// OSTEP 7.5: STCF.

#[test]
fn stcf_late_arrivals_average_turnaround_50() {
    // B arrives at 10 with 10 left against A's 90: B runs 10-20, C 20-30, A to 120.
    let stcf = one_hart("stcf", "100,10@10,10@10");
    assert_eq!(stcf.spans(0), [(0, 10), (30, 120)]);
    assert_eq!(stcf.turnarounds(), [120, 10, 20]);
    assert_close(stcf.average_turnaround(), 50.0);
}

// OSTEP 7.6-7.7: response time and round robin.

#[test]
fn round_robin_quantum_1_response_1_against_sjf_5() {
    // RR: A, B, C first run at 0, 1, 2. SJF: at 0, 5, 10.
    let config = PolicyConfig {
        quantum: 1,
        ..PolicyConfig::default()
    };
    let rr = simulate_with("rr", "5,5,5", 1, &config);
    assert_eq!(rr.responses(), [0, 1, 2]);
    assert_close(rr.average_response(), 1.0);
    // ...but worse turnaround: the last turns are A at 12, B at 13, C at 14.
    assert_eq!(rr.turnarounds(), [13, 14, 15]);
    let sjf = one_hart("sjf", "5,5,5");
    assert_eq!(sjf.responses(), [0, 5, 10]);
    assert_close(sjf.average_response(), 5.0);
    assert_eq!(sjf.turnarounds(), [5, 10, 15]);
}

// Priority (the lecture notes' static and dynamic priority; S2 and S4).

#[test]
fn preemptive_priority_lets_an_important_arrival_in_at_once() {
    // B (nice 0) arrives at 5 while A (nice 5) runs. Preemptive: B runs 5-10, A finishes at
    // 25. Non-preemptive: A runs to 20, B 20-25.
    let spec = "20/nice=5,5@5/nice=0";
    let mut config = PolicyConfig {
        quantum: 100,
        ..PolicyConfig::default()
    };
    let preemptive = simulate_with("prio", spec, 1, &config);
    assert_eq!(preemptive.turnarounds(), [25, 5]);
    config.preemptive = false;
    let non_preemptive = simulate_with("prio", spec, 1, &config);
    assert_eq!(non_preemptive.turnarounds(), [20, 20]);
    assert_eq!(non_preemptive.run.policy, "prio-np");
    // The kernel's run-time switch: prio-np whatever the configuration says.
    let by_name = simulate_with("prio-np", spec, 1, &PolicyConfig::default());
    assert_eq!(by_name.turnarounds(), [20, 20]);
    let aging = simulate_with("prio-aging-np", spec, 1, &PolicyConfig::default());
    assert_eq!(aging.turnarounds(), [20, 20]);
}

#[test]
fn aging_cures_the_starvation_of_a_low_priority_job() {
    // A (nice 10, level 30) waits behind B (nice 0, level 20). Static: A runs only once B
    // is done, at 200. Aging by one level per 10 ticks: at 100 A has reached level 20, ties
    // with B (requeued at its quantum's end) and wins as the one queued first: A runs
    // 100-110.
    let spec = "10/nice=10,200/nice=0";
    let config = PolicyConfig {
        quantum: 10,
        aging_interval: 10,
        ..PolicyConfig::default()
    };
    let static_priority = simulate_with("prio", spec, 1, &config);
    assert_eq!(static_priority.responses(), [200, 0]);
    assert_eq!(static_priority.turnarounds(), [210, 200]);
    let aging = simulate_with("prio-aging", spec, 1, &config);
    assert_eq!(aging.responses(), [100, 0]);
    assert_eq!(aging.turnarounds(), [110, 210]);
}

// OSTEP chapter 8: MLFQ, three levels with 10-tick quanta and allotments.

fn ostep_mlfq(boost_period: Ticks, keep_allotment: bool) -> PolicyConfig {
    PolicyConfig {
        mlfq: MlfqConfig {
            quanta: vec![10, 10, 10],
            allotments: vec![10],
            boost_period,
            keep_allotment,
        },
        ..PolicyConfig::default()
    }
}

fn levels(stints: &[(Ticks, Ticks, Ended, String)]) -> Vec<&str> {
    stints
        .iter()
        .map(|s| s.3.split(' ').find(|f| f.starts_with("level=")).unwrap())
        .collect()
}

#[test]
fn mlfq_a_long_job_alone_descends_the_levels() {
    // Figure 8.2: 10 ticks on each level, then round robin at the bottom.
    let mlfq = simulate_with("mlfq", "200", 1, &ostep_mlfq(0, true));
    let stints = mlfq.stints(0);
    assert_eq!(stints.len(), 20);
    assert_eq!(
        levels(&stints[..4]),
        ["level=0", "level=1", "level=2", "level=2"]
    );
    assert_eq!(mlfq.spans(0)[..3], [(0, 10), (10, 20), (20, 30)]);
    assert_eq!(mlfq.completion(0), 200);
}

#[test]
fn mlfq_a_short_job_arriving_at_100_finishes_quickly() {
    // Figure 8.3: B enters on top at 100 and preempts A (at the bottom): 10 ticks on level
    // 0, 10 on level 1 (still above A), done at 120. A resumes at 120 and ends at 220.
    let mlfq = simulate_with("mlfq", "200,20@100", 1, &ostep_mlfq(0, true));
    assert_eq!(mlfq.spans(1), [(100, 110), (110, 120)]);
    assert_eq!(levels(&mlfq.stints(1)), ["level=0", "level=1"]);
    assert_eq!((mlfq.responses()[1], mlfq.turnarounds()[1]), (0, 20));
    assert_eq!(mlfq.completion(0), 220);
}

/// Figure 8.5's workload: A long, then from 110 two interactive jobs (1 tick of CPU, 1 of
/// I/O) that between them keep the CPU busy and, under rules 4a/4b, stay on top.
const STARVATION: &str = "200,100@110/io=1:1,100@110/io=1:1";

#[test]
fn mlfq_without_boost_interactive_jobs_starve_a_long_one() {
    // B runs at 110, 112, ...; C at 111, 113, ...; each has a job on level 0 ready at every
    // tick, so A (bottom) waits until C ends at 310, then needs its last 90 ticks.
    let mlfq = simulate_with("mlfq", STARVATION, 1, &ostep_mlfq(0, false));
    assert!(
        mlfq.spans(0)
            .iter()
            .all(|&(start, _)| !(110..310).contains(&start))
    );
    assert_eq!(
        [mlfq.completion(1), mlfq.completion(2), mlfq.completion(0)],
        [309, 310, 400]
    );
}

#[test]
fn mlfq_boost_gives_the_long_job_a_turn_every_period() {
    // With S = 50, every boost (150, 200, 250, 300) puts A back on top, and A, queued
    // since long before B and C's last wake-ups, runs one allotment (10 ticks) before it
    // moves down again. B and C lose 40 ticks: they end at 349 and 350.
    let mlfq = simulate_with("mlfq", STARVATION, 1, &ostep_mlfq(50, false));
    let during: Vec<(Ticks, Ticks)> = mlfq
        .spans(0)
        .into_iter()
        .filter(|&(start, _)| (110..350).contains(&start))
        .collect();
    assert_eq!(during, [(150, 160), (200, 210), (250, 260), (300, 310)]);
    assert_eq!(
        [mlfq.completion(1), mlfq.completion(2), mlfq.completion(0)],
        [349, 350, 400]
    );
}

/// Figure 8.4's gamer: B arrives at 50 and blocks for 1 tick after every 9 of CPU, just
/// before its 10-tick allotment would end; A is a long CPU-bound job.
const GAMING: &str = "200,90@50/io=9:1";

#[test]
fn mlfq_without_allotment_accounting_a_gaming_job_stays_on_top() {
    // Rules 4a/4b: each block resets B's allotment, so B stays on level 0 and takes 9 of
    // every 10 ticks: its bursts start at 50, 60, ..., 140 and it ends at 149.
    let mlfq = simulate_with("mlfq", GAMING, 1, &ostep_mlfq(0, false));
    let stints = mlfq.stints(1);
    assert_eq!(stints.len(), 10);
    assert!(levels(&stints).iter().all(|&l| l == "level=0"));
    assert_eq!(mlfq.turnarounds()[1], 99);
    assert_eq!(mlfq.cpu(0), 200);
}

#[test]
fn mlfq_with_allotment_accounting_the_gaming_job_is_demoted() {
    // Rule 4: B's 9 ticks (50-59) count; after 1 more (60-61) its 10 are used: level 1.
    // 8 more there (61-69: 9 since its I/O) and 2 after its next I/O (70-72) use level 1's
    // 10: level 2, where it shares round robin with A (72-82) and runs 82-89.
    let mlfq = simulate_with("mlfq", GAMING, 1, &ostep_mlfq(0, true));
    let stints = mlfq.stints(1);
    let summary: Vec<(Ticks, Ticks, Ended)> = stints[..5].iter().map(|s| (s.0, s.1, s.2)).collect();
    assert_eq!(
        summary,
        [
            (50, 59, Ended::Blocked),
            (60, 61, Ended::Preempted),
            (61, 69, Ended::Blocked),
            (70, 72, Ended::Preempted),
            (82, 89, Ended::Blocked),
        ]
    );
    assert_eq!(
        levels(&stints[..5]),
        ["level=0", "level=0", "level=1", "level=1", "level=2"]
    );
    assert!(mlfq.spans(0).contains(&(72, 82)));
}

// OSTEP chapter 9: proportional share.

#[test]
fn lottery_75_25_tickets_get_about_75_percent_of_the_cpu() {
    // 10,000 one-tick draws with p = 0.75: mean 7,500, standard deviation 43; the bound
    // below is over 4 standard deviations wide. Seed 1 fixes the schedule.
    let lottery = simulate_for(
        "lottery",
        "20000/tickets=75,20000/tickets=25",
        1,
        &PolicyConfig::default(),
        10_000,
    );
    let a = lottery.cpu(0);
    assert!((7_300..=7_700).contains(&a), "A got {a} of 10000 ticks");
    assert_eq!(a + lottery.cpu(1), 10_000);
}

#[test]
fn stride_shares_are_exact() {
    // Tickets 100, 50, 250: strides 100, 200, 40 (OSTEP's units). Every 8 ticks all passes
    // meet again (A 2 turns, B 1, C 5), so 800 ticks give exactly 200, 100, 500.
    let stride = simulate_for(
        "stride",
        "1000/tickets=100,1000/tickets=50,1000/tickets=250",
        1,
        &PolicyConfig::default(),
        800,
    );
    assert_eq!(
        [stride.cpu(0), stride.cpu(1), stride.cpu(2)],
        [200, 100, 500]
    );
}

fn within_one_tick(actual: Ticks, exact: f64) {
    assert!(
        (actual as f64 - exact).abs() <= 1.0,
        "{actual} ticks, share {exact}"
    );
}

#[test]
fn fair_equal_nice_gets_equal_cpu() {
    // Equal weights: 1000 ticks split 500 / 500 (the least-virtual-time rule keeps each
    // within one tick of its share).
    let fair = simulate_for("fair", "2000,2000", 1, &PolicyConfig::default(), 1_000);
    within_one_tick(fair.cpu(0), 500.0);
    within_one_tick(fair.cpu(1), 500.0);
}

#[test]
fn fair_nice_difference_gives_the_weight_ratio() {
    // Nice 0 weighs 1024, nice 5 weighs round(1024 * 0.8^5) = 336: over 1360 ticks, A
    // gets 1360 * 1024 / (1024 + 336) = 1024 and B 336.
    let fair = simulate_for(
        "fair",
        "2000/nice=0,2000/nice=5",
        1,
        &PolicyConfig::default(),
        1_360,
    );
    within_one_tick(fair.cpu(0), 1024.0);
    within_one_tick(fair.cpu(1), 336.0);
}

// Several harts (S5).

#[test]
fn fifo_on_two_harts_runs_two_at_a_time() {
    // A, C on hart 0 and B, D on hart 1: finish at 10, 10, 20, 20.
    let fifo = simulate_with("fifo", "10,10,10,10", 2, &PolicyConfig::default());
    assert_eq!(fifo.turnarounds(), [10, 10, 20, 20]);
    assert_close(fifo.average_turnaround(), 15.0);
    assert_close(summarize(&fifo.jobs, &fifo.run).utilisation, 1.0);
}

#[test]
fn an_idle_hart_steals_queued_work() {
    // A (30) and C on hart 0, B and D on hart 1. Hart 1 is done at 20 and steals C, which
    // would otherwise have waited for A until 30.
    let fifo = simulate_with("fifo", "30,10,10,10", 2, &PolicyConfig::default());
    let c = &fifo.run.segments.iter().find(|s| s.job == 2).unwrap();
    assert_eq!((c.hart, c.start, c.end), (1, 20, 30));
}

#[test]
fn affinity_keeps_jobs_on_their_hart() {
    // Both may run only on hart 1: one after the other; hart 0 idles (50% utilisation).
    let fifo = simulate_with("fifo", "10/aff=0x2,10/aff=0x2", 2, &PolicyConfig::default());
    assert!(fifo.run.segments.iter().all(|s| s.hart == 1));
    assert_eq!(fifo.turnarounds(), [10, 20]);
    assert_close(summarize(&fifo.jobs, &fifo.run).utilisation, 0.5);
}

#[test]
fn io_overlaps_with_another_jobs_cpu() {
    // OSTEP 7.8: A (4 ticks, I/O of 3 after every 2) runs first under STCF (4 left < 5).
    // While it waits, B runs; at 5 A is back with 2 left, as is B: not less, so B goes on
    // to 7 and A ends 7-9. The CPU never idles.
    let stcf = one_hart("stcf", "4/io=2:3,5");
    assert_eq!(stcf.spans(0), [(0, 2), (7, 9)]);
    assert_eq!(stcf.spans(1), [(2, 7)]);
    assert_close(summarize(&stcf.jobs, &stcf.run).utilisation, 1.0);
}
