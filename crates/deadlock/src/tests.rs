//! Host tests on textbook cases: Silberschatz's five processes and three resource types
//! (safety, requests, detection), the dining philosophers' wait-for cycle, and the seed
//! notes' definition of deadlock (lecture 32: two or more tasks each waiting for the other
//! to finish).

use super::*;
use alloc::vec;
use alloc::vec::Vec;

/// Silberschatz's example: types A, B, C with 10, 5 and 7 units; P0..P4.
fn textbook() -> Banker {
    Banker::new(
        vec![3, 3, 2],
        vec![
            vec![7, 5, 3],
            vec![3, 2, 2],
            vec![9, 0, 2],
            vec![2, 2, 2],
            vec![4, 3, 3],
        ],
        vec![
            vec![0, 1, 0],
            vec![2, 0, 0],
            vec![3, 0, 2],
            vec![2, 1, 1],
            vec![0, 0, 2],
        ],
    )
    .unwrap()
}

/// Checks that `order` is a safe sequence of `banker` by running it: each process's need
/// must fit in what is free when its turn comes, and then it returns its allocation.
fn runs_to_completion(banker: &Banker, order: &[usize], processes: usize) -> bool {
    let mut sorted = order.to_vec();
    sorted.sort_unstable();
    if sorted != (0..processes).collect::<Vec<_>>() {
        return false;
    }
    let mut work = banker.available().to_vec();
    for &process in order {
        let need = banker.need(process);
        if need.iter().zip(&work).any(|(n, w)| n > w) {
            return false;
        }
        for (free, held) in work.iter_mut().zip(banker.allocation(process)) {
            *free += held;
        }
    }
    true
}

#[test]
fn textbook_state_is_safe() {
    let banker = textbook();
    assert_eq!(banker.need(0), vec![7, 4, 3]);
    assert_eq!(banker.need(4), vec![4, 3, 1]);
    let order = banker.safe_sequence().expect("the textbook state is safe");
    assert!(runs_to_completion(&banker, &order, 5), "{order:?}");
    // The loop scans in index order, pass after pass (see the module comment).
    assert_eq!(order, vec![1, 3, 4, 0, 2]);
    // Silberschatz's own answer is another valid order.
    assert!(runs_to_completion(&banker, &[1, 3, 4, 2, 0], 5));
}

#[test]
fn textbook_requests() {
    let mut banker = textbook();
    // P1 asks for (1, 0, 2): available, and the state stays safe.
    assert_eq!(banker.request(1, &[1, 0, 2]), Ok(()));
    assert_eq!(banker.available(), &[2, 3, 0]);
    assert_eq!(banker.allocation(1), &[3, 0, 2]);
    let order = banker
        .safe_sequence()
        .expect("still safe after P1's request");
    assert!(runs_to_completion(&banker, &order, 5), "{order:?}");

    // Then P4's (3, 3, 0) is not available, and P0's (0, 2, 0) would leave an unsafe state.
    let before = banker.clone();
    assert_eq!(banker.request(4, &[3, 3, 0]), Err(Refusal::Unavailable));
    assert_eq!(banker.request(0, &[0, 2, 0]), Err(Refusal::Unsafe));
    assert_eq!(banker, before, "refused requests change nothing");

    // More than the declared claim is an error, whatever is free.
    assert_eq!(banker.request(3, &[0, 2, 0]), Err(Refusal::ExceedsClaim));
    assert_eq!(banker.request(3, &[0, 0]), Err(Refusal::ExceedsClaim));

    // Once P1 gives everything back, P0's request is safe again.
    banker.release(1, &[3, 0, 2]);
    assert_eq!(banker.available(), &[5, 3, 2]);
    assert_eq!(banker.request(0, &[0, 2, 0]), Ok(()));
    assert!(banker.is_safe());
}

#[test]
fn unsafe_is_not_deadlock_yet() {
    // Silberschatz's 12 tape drives: P0 (max 10, has 5), P1 (4, 2), P2 (9, 2), 3 free:
    // safe as <P1, P0, P2>. Giving P2 one more leaves an unsafe state.
    let mut banker = Banker::new(
        vec![3],
        vec![vec![10], vec![4], vec![9]],
        vec![vec![5], vec![2], vec![2]],
    )
    .unwrap();
    assert_eq!(banker.safe_sequence(), Some(vec![1, 0, 2]));
    assert_eq!(banker.request(2, &[1]), Err(Refusal::Unsafe));
    assert_eq!(banker.request(1, &[2]), Ok(()));
}

#[test]
fn shapes_are_checked() {
    assert_eq!(
        Banker::new(vec![1, 1], vec![vec![1, 1]], vec![vec![1]]),
        Err(ShapeError::Dimensions)
    );
    assert_eq!(
        Banker::new(vec![1], vec![vec![1], vec![1]], vec![vec![0]]),
        Err(ShapeError::Dimensions)
    );
    assert_eq!(
        Banker::new(vec![1], vec![vec![1]], vec![vec![2]]),
        Err(ShapeError::AllocationExceedsMax)
    );
    let empty = Banker::new(Vec::new(), Vec::new(), Vec::new()).unwrap();
    assert_eq!(empty.safe_sequence(), Some(Vec::new()));
}

#[test]
fn textbook_detection() {
    // Silberschatz 8.7.2: A has 7 units, B 2, C 6, none free.
    let allocation = vec![
        vec![0, 1, 0],
        vec![2, 0, 0],
        vec![3, 0, 3],
        vec![2, 1, 1],
        vec![0, 0, 2],
    ];
    let mut request = vec![
        vec![0, 0, 0],
        vec![2, 0, 2],
        vec![0, 0, 0],
        vec![1, 0, 0],
        vec![0, 0, 2],
    ];
    assert_eq!(deadlocked(&[0, 0, 0], &allocation, &request), Vec::new());
    // P2 asks for one more C: P0 can still finish, but P1..P4 wait for each other.
    request[2] = vec![0, 0, 1];
    assert_eq!(
        deadlocked(&[0, 0, 0], &allocation, &request),
        vec![1, 2, 3, 4]
    );
    // A process that holds nothing is blocked but not part of the deadlock.
    let mut with_idle = allocation.clone();
    with_idle.push(vec![0, 0, 0]);
    request.push(vec![1, 1, 1]);
    assert_eq!(
        deadlocked(&[0, 0, 0], &with_idle, &request),
        vec![1, 2, 3, 4]
    );
}

#[test]
fn seed_two_tasks_waiting_for_each_other() {
    // Lecture 32 of the seed notes: two tasks, each waiting for the other to finish.
    let mut graph = WaitForGraph::new();
    graph.add_edge(1, 2);
    assert_eq!(graph.cycle_through(1), None);
    assert_eq!(graph.find_cycle(), None);
    graph.add_edge(2, 1);
    assert_eq!(graph.cycle_through(1), Some(vec![1, 2]));
    assert_eq!(graph.cycle_through(2), Some(vec![2, 1]));
    assert_eq!(graph.find_cycle(), Some(vec![1, 2]));
}

#[test]
fn philosophers_close_a_cycle_only_with_the_last_one() {
    // Philosopher i holds fork i and waits for fork i+1, held by philosopher i+1.
    let mut graph = WaitForGraph::new();
    for philosopher in 0..4u32 {
        graph.add_edge(philosopher, philosopher + 1);
        assert_eq!(graph.find_cycle(), None, "a chain is no deadlock");
    }
    assert_eq!(graph.cycle_through(4), None);
    graph.add_edge(4, 0);
    assert_eq!(graph.cycle_through(4), Some(vec![4, 0, 1, 2, 3]));
    assert_eq!(graph.find_cycle(), Some(vec![0, 1, 2, 3, 4]));
}

#[test]
fn shortest_cycle_through_the_waiter_is_reported() {
    let mut graph = WaitForGraph::new();
    // 1 waits for 2 and 5; 2 -> 3 -> 4 -> 1 is long, 5 -> 1 is short.
    for (waiter, holder) in [(1, 2), (2, 3), (3, 4), (4, 1), (1, 5), (5, 1)] {
        graph.add_edge(waiter, holder);
    }
    assert_eq!(graph.cycle_through(1), Some(vec![1, 5]));
    assert_eq!(graph.cycle_through(3), Some(vec![3, 4, 1, 2]));
    assert_eq!(graph.waits_for(1).collect::<Vec<_>>(), vec![2, 5]);
}

#[test]
fn cycles_elsewhere_do_not_involve_the_waiter() {
    let mut graph = WaitForGraph::new();
    graph.add_edge(7, 8);
    graph.add_edge(8, 7);
    graph.add_edge(1, 7);
    assert_eq!(
        graph.cycle_through(1),
        None,
        "1 is stuck behind a cycle, not on it"
    );
    assert_eq!(graph.find_cycle(), Some(vec![7, 8]));
}

#[test]
fn self_waits_are_ignored() {
    let mut graph = WaitForGraph::new();
    graph.add_edge(3, 3);
    assert_eq!(graph.cycle_through(3), None);
    assert_eq!(graph.waits_for(3).count(), 0);
}
