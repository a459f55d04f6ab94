//! Lantern's host simulator (concepts S3, S6, S7): runs the scheduling policies of
//! `crates/sched` — the very trait objects the kernel uses, through `sched::by_name` — on
//! workloads described as in OSTEP (run length, arrival, I/O pattern), tick by simulated
//! tick on N harts, and reports what the textbook measures: response, turnaround and waiting
//! time per job, CPU utilisation, Jain's fairness index, and Gantt charts (text and SVG).
//!
//! - [`workload`]: jobs and their command-line syntax;
//! - [`engine`]: the simulation, which records the dispatch trace;
//! - [`metrics`]: per-job and average numbers;
//! - [`chart`]: Gantt charts, of simulated runs and of kernel traces alike;
//! - [`trace`]: traces recorded by the kernel (`/proc/sched_trace`), read back for charts;
//! - [`report`]: the text the command prints.

pub mod chart;
pub mod engine;
pub mod metrics;
pub mod report;
pub mod trace;
pub mod workload;
