//! The command line end to end (concepts S6, S7): the real binary, its output and its SVG.

use std::process::{Command, Output};

fn lantern_sim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lantern-sim"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn sched_prints_the_trace_the_table_and_the_gantt_chart() {
    let output = lantern_sim(&["sched", "--policy", "sjf", "--jobs", "100,10,10", "--gantt"]);
    assert!(output.status.success());
    let text = stdout(&output);
    assert!(text.starts_with("policy sjf on 1 hart, 3 jobs\n"), "{text}");
    assert!(
        text.contains("  [  0,  10)  hart 0  B   finished"),
        "{text}"
    );
    assert!(
        text.contains("average                 10.00       50.00    10.00"),
        "{text}"
    );
    assert!(
        text.contains("sjf: gantt (1 column = 2 ticks)\nhart 0 |BBBBBCCCCCAAAA"),
        "{text}"
    );
}

#[test]
fn compare_runs_each_policy_and_writes_one_svg() {
    let svg = format!("{}/compare.svg", env!("CARGO_TARGET_TMPDIR"));
    let output = lantern_sim(&[
        "sched",
        "--compare",
        "fifo,sjf,stcf,rr",
        "--jobs",
        "100,10@10,10@10",
        "--svg",
        &svg,
    ]);
    assert!(output.status.success());
    let text = stdout(&output);
    for row in [
        "fifo            63.33      103.33",
        "sjf             63.33      103.33",
        "stcf             3.33       50.00",
    ] {
        assert!(text.contains(row), "{row} in {text}");
    }
    let chart = std::fs::read_to_string(&svg).unwrap();
    assert_eq!(chart.matches("average turnaround").count(), 4);
}

#[test]
fn mistakes_are_reported_with_a_failing_status() {
    let output = lantern_sim(&["sched", "--jobs", "10/io=3"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("is not CPU:BLOCK"));
    let unknown = lantern_sim(&["sched", "--policy", "edf", "--jobs", "10"]);
    assert!(!unknown.status.success());
}

#[test]
fn gantt_draws_a_recorded_trace_as_text_and_svg() {
    let dir = env!("CARGO_TARGET_TMPDIR");
    let input = format!("{dir}/trace.txt");
    let svg = format!("{dir}/trace.svg");
    std::fs::write(
        &input,
        "console noise\n--- sched_trace convoy/fifo\n0 20000000 0 21 A exited\n20000000 30000000 0 22 B exited\n--- end sched_trace\n",
    )
    .unwrap();
    let output = lantern_sim(&["gantt", "--input", &input, "--svg", &svg, "--width", "30"]);
    assert!(output.status.success(), "{output:?}");
    let text = stdout(&output);
    assert!(
        text.starts_with("convoy/fifo — 2 processes, 2 stints, 30 ms\n"),
        "{text}"
    );
    assert!(
        text.contains("gantt (1 column = 1 ms)\nhart 0 |AAAAAAAAAAAAAAAAAAAABBBBBBBBBB|"),
        "{text}"
    );
    let chart = std::fs::read_to_string(&svg).unwrap();
    assert_eq!(chart.matches("<title>").count(), 2);
}

#[test]
fn gantt_reports_a_malformed_line_by_number() {
    let input = format!("{}/bad-trace.txt", env!("CARGO_TARGET_TMPDIR"));
    std::fs::write(&input, "0 10 0 7 A exited\n10 20 0 8 B sleeping\n").unwrap();
    let output = lantern_sim(&["gantt", "--input", &input]);
    assert!(!output.status.success());
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(
        message
            .contains("line 2: why `sleeping` is not one of preempted, yielded, blocked, exited"),
        "{message}"
    );
}
