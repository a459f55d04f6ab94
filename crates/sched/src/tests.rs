//! Tests every policy must pass through [`by_name`]: the shared per-hart machinery
//! (placement, affinity, stealing, removal, draining) behaves the same under each.

use super::*;
use alloc::string::String;

const ALL: u64 = u64::MAX;

fn ready(id: TaskId, last_hart: Option<usize>, affinity: u64) -> ReadyTask {
    ReadyTask {
        id,
        last_hart,
        affinity,
    }
}

fn each_policy(harts: usize) -> impl Iterator<Item = Box<dyn Scheduler>> {
    POLICY_NAMES
        .iter()
        .map(move |name| by_name(name, harts, &PolicyConfig::default()).unwrap())
}

#[test]
fn by_name_knows_every_listed_policy_and_nothing_else() {
    for name in POLICY_NAMES {
        let policy = by_name(name, 2, &PolicyConfig::default()).unwrap();
        assert_eq!(policy.name(), *name);
        assert!(policy.is_empty());
    }
    assert!(by_name("cfs", 1, &PolicyConfig::default()).is_none());
}

#[test]
fn every_policy_picks_what_was_queued_exactly_once() {
    for mut policy in each_policy(1) {
        for id in 1..=3 {
            policy.enqueue(ready(id, None, ALL), ReadyReason::New, 0);
        }
        assert_eq!(policy.len(), 3, "{}", policy.name());
        let mut picked: Vec<TaskId> = (0..4).filter_map(|_| policy.pick(0, 0)).collect();
        picked.sort_unstable();
        assert_eq!(picked, [1, 2, 3], "{}", policy.name());
        assert!(policy.is_empty());
    }
}

#[test]
fn every_policy_respects_affinity_when_queueing_and_stealing() {
    for mut policy in each_policy(2) {
        policy.enqueue(ready(1, None, 1 << 1), ReadyReason::New, 0);
        policy.enqueue(ready(2, Some(0), 1 << 1), ReadyReason::Woken, 0);
        assert_eq!(policy.queued_on(1), 2, "{}: hart 1 only", policy.name());
        assert_eq!(
            policy.pick(0, 0),
            None,
            "{}: hart 0 may not steal",
            policy.name()
        );
        assert!(policy.pick(1, 0).is_some());
    }
}

#[test]
fn every_policy_lets_an_idle_hart_steal_from_the_longest_queue() {
    for mut policy in each_policy(3) {
        for id in 1..=2 {
            policy.enqueue(ready(id, Some(0), ALL), ReadyReason::Woken, 0);
        }
        policy.enqueue(ready(3, Some(1), ALL), ReadyReason::Woken, 0);
        assert_eq!(
            (policy.queued_on(0), policy.queued_on(1)),
            (2, 1),
            "{}: each goes back to its last hart",
            policy.name()
        );
        let stolen = policy.pick(2, 0).unwrap();
        assert!(
            [1, 2].contains(&stolen),
            "{}: stolen from hart 0, the longest",
            policy.name()
        );
        assert_eq!(policy.queued_on(0), 1);
    }
}

#[test]
fn a_woken_task_whose_hart_is_no_longer_allowed_goes_elsewhere() {
    for mut policy in each_policy(2) {
        policy.enqueue(ready(1, Some(0), 1 << 1), ReadyReason::Woken, 0);
        assert_eq!(policy.queued_on(1), 1, "{}", policy.name());
    }
}

#[test]
fn remove_drain_and_exited_take_tasks_out() {
    for mut policy in each_policy(2) {
        for id in 1..=4 {
            policy.enqueue(ready(id, None, ALL), ReadyReason::New, 0);
        }
        assert!(policy.remove(2));
        assert!(!policy.remove(2));
        policy.exited(3);
        assert_eq!(policy.len(), 2, "{}", policy.name());
        let mut drained: Vec<TaskId> = policy.drain().iter().map(|t| t.id).collect();
        drained.sort_unstable();
        assert_eq!(drained, [1, 4]);
        assert!(policy.is_empty());
        assert_eq!(policy.pick(0, 0), None);
    }
}

#[test]
fn a_policy_switch_moves_the_queued_tasks_and_the_running_ones_follow() {
    let mut old = by_name("rr", 1, &PolicyConfig::default()).unwrap();
    for id in 1..=3 {
        old.enqueue(ready(id, None, ALL), ReadyReason::New, 0);
    }
    let running = old.pick(0, 0).unwrap();
    let mut new = by_name("stcf", 1, &PolicyConfig::default()).unwrap();
    for (id, expected) in [(1, 30), (2, 20), (3, 10)] {
        let params = TaskParams {
            expected: Some(expected),
            ..TaskParams::default()
        };
        new.set_params(id, params);
    }
    for task in old.drain() {
        new.enqueue(task, ReadyReason::New, 5);
    }
    assert!(
        new.tick(0, running, 5, 5),
        "task 1 (25 left) is preempted by task 3 (10 left)"
    );
    new.enqueue(ready(running, Some(0), ALL), ReadyReason::Preempted, 5);
    assert_eq!(new.pick(0, 5), Some(3));
}

#[test]
fn describe_reports_cpu_and_mean_burst() {
    let mut policy = by_name("rr", 1, &PolicyConfig::default()).unwrap();
    policy.enqueue(ready(1, None, ALL), ReadyReason::New, 0);
    assert_eq!(policy.pick(0, 0), Some(1));
    policy.blocked(1, 4 * MILLITICKS_PER_TICK, 4);
    policy.enqueue(ready(1, Some(0), ALL), ReadyReason::Woken, 10);
    assert_eq!(policy.pick(0, 10), Some(1));
    policy.blocked(1, 2 * MILLITICKS_PER_TICK, 12);
    let mut text = String::new();
    policy.describe(1, &mut text).unwrap();
    assert_eq!(text, "cpu=6 burst=3");
    let mut unknown = String::new();
    policy.describe(99, &mut unknown).unwrap();
    assert!(unknown.is_empty());
}

#[test]
fn tick_and_blocked_charge_each_tick_once() {
    let mut policy = RoundRobin::new(1, 100);
    policy.enqueue(ready(1, None, ALL), ReadyReason::New, 0);
    assert_eq!(policy.pick(0, 0), Some(1));
    for ran in 1..=3 {
        assert!(!policy.tick(0, 1, ran, ran));
    }
    policy.blocked(1, 3 * MILLITICKS_PER_TICK, 3);
    assert_eq!(policy.task(1).map(|t| (t.cpu, t.blocks)), Some((3, 1)));
}

/// Task 1 of `policy`, picked at `now`, runs `ticks` timer ticks and then blocks after
/// `ran` milliticks in all. Returns its CPU ticks charged so far.
fn stint(policy: &mut RunQueues<RoundRobin>, now: Ticks, ticks: Ticks, ran: Milliticks) -> Ticks {
    policy.enqueue(ready(1, Some(0), ALL), ReadyReason::Woken, now);
    assert_eq!(policy.pick(0, now), Some(1));
    for tick in 1..=ticks {
        policy.tick(0, 1, tick, now + tick);
    }
    policy.blocked(1, ran, now + ticks);
    policy.task(1).map_or(0, |t| t.cpu)
}

#[test]
fn blocked_charges_the_time_between_ticks_carrying_fractions() {
    let mut policy = RoundRobin::new(1, 100);
    // Bursts of 0.3 ticks with no tick inside: charged when they add up to a tick.
    let charged: Vec<Ticks> = (0..7).map(|n| stint(&mut policy, n, 0, 300)).collect();
    assert_eq!(
        charged,
        [0, 0, 0, 1, 1, 1, 2],
        "0.3, 0.6, 0.9, 1.2 ... 2.1 ticks"
    );
    // 2.5 ticks with two ticks inside: the ticks charge 2, the rest joins the carry (0.1 +
    // 0.5 = 0.6).
    assert_eq!(stint(&mut policy, 10, 2, 2500), 4);
    assert_eq!(stint(&mut policy, 20, 0, 400), 5, "0.6 + 0.4: one more");
}

#[test]
fn a_tick_that_charged_more_than_the_stint_ran_is_set_against_later_bursts() {
    let mut policy = RoundRobin::new(1, 100);
    // A tick fell inside a stint of 0.2 ticks: charged 1, 0.8 ahead.
    assert_eq!(stint(&mut policy, 0, 1, 200), 1);
    let charged: Vec<Ticks> = (1..=4).map(|n| stint(&mut policy, n * 2, 0, 200)).collect();
    assert_eq!(charged, [1, 1, 1, 1], "the next 0.8 ticks were paid for");
    let charged: Vec<Ticks> = (0..5).map(|n| stint(&mut policy, 20 + n, 0, 200)).collect();
    assert_eq!(
        charged,
        [1, 1, 1, 1, 2],
        "the second tick is charged once it is used"
    );
}
