//! Lantern's host simulator (concepts S3, S6, S7; M2, M7, M9, M10): runs the scheduling
//! policies of `crates/sched` — the very trait objects the kernel uses, through
//! `sched::by_name` — on workloads described as in OSTEP (run length, arrival, I/O pattern),
//! tick by simulated tick on N harts, and reports what the textbook measures: response,
//! turnaround and waiting time per job, CPU utilisation, Jain's fairness index, and Gantt
//! charts (text and SVG).
//!
//! - [`workload`]: jobs and their command-line syntax;
//! - [`engine`]: the simulation, which records the dispatch trace;
//! - [`metrics`]: per-job and average numbers;
//! - [`chart`]: Gantt charts, of simulated runs and of kernel traces alike;
//! - [`trace`]: traces recorded by the kernel (`/proc/sched_trace`), read back for charts;
//! - [`report`]: the text the command prints.
//!
//! Memory, beside scheduling:
//! - [`paging`]: reference strings through `crates/replace`'s page-replacement policies
//!   (the kernel's own), step tables, Belady's anomaly, a faults-by-frames plot;
//! - [`cache`]: caches and TLBs, direct-mapped to fully associative, with the three Cs;
//! - [`partition`]: contiguous allocation in fixed or variable partitions, by fit;
//! - [`translate`]: multi-level page-table walks (Sv32, Sv39, Sv48 or any shape).

pub mod cache;
pub mod chart;
pub mod engine;
pub mod metrics;
pub mod paging;
pub mod partition;
pub mod report;
pub mod trace;
pub mod translate;
pub mod workload;
