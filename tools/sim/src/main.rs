//! `lantern-sim`: the host simulator's command line (concepts S3, S6, S7). `sched` runs one
//! policy (trace, per-job table, averages) or compares several on one workload, with
//! optional text and SVG Gantt charts; `gantt` draws the same charts from a trace the
//! kernel recorded (`/proc/sched_trace`, or `schedbench --trace` output).

use clap::builder::PossibleValuesParser;
use clap::{Args, Parser, Subcommand};
use lantern_sim::chart::{Chart, gantt_svg, gantt_text};
use lantern_sim::engine::{Run, simulate};
use lantern_sim::report::{comparison, job_table, trace};
use lantern_sim::workload::{Job, parse_jobs};
use sched::{MlfqConfig, POLICY_NAMES, PolicyConfig, Ticks, by_name};
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

const JOB_SYNTAX: &str = "\
JOBS: comma-separated job specs, named A, B, C... in order:
  RUN[@ARRIVAL][/KEY=VALUE]...
    RUN              CPU ticks the job needs
    @ARRIVAL         when it arrives (default 0)
    /io=CPU:BLOCK    after every CPU ticks of running, block for BLOCK ticks of I/O
    /nice=N          -20..=19, lower is more important (prio, prio-aging, fair)
    /tickets=N       share for lottery and stride (default 100)
    /expect=N        declared expected run time for sjf/stcf (default RUN)
    /aff=MASK        harts it may run on, bit h = hart h (e.g. 0x1)

Examples:
  lantern-sim sched --policy sjf --jobs 100,10,10
  lantern-sim sched --policy stcf --jobs 100,10@10,10@10 --gantt
  lantern-sim sched --compare fifo,sjf,stcf,rr --jobs 100,10,10 --svg cmp.svg
  lantern-sim sched --policy mlfq --mlfq-quanta 10,10,10 --mlfq-allotments 10 \\
      --boost 0 --jobs 200,90@50/io=9:1 --no-allotment-accounting --gantt
  lantern-sim sched --policy lottery --jobs 1000/tickets=75,1000/tickets=25 --no-trace";

/// Lantern's host simulator: the kernel's own scheduling policies on simulated workloads.
#[derive(Parser)]
#[command(name = "lantern-sim", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scheduling policy (or compare several) on a workload.
    Sched(SchedArgs),
    /// Draw Gantt charts of a trace recorded by the kernel (/proc/sched_trace).
    Gantt(GanttArgs),
}

const TRACE_SYNTAX: &str = "\
TRACE: the text of Lantern's /proc/sched_trace, one stint per line:
  <start_ns> <end_ns> <hart> <pid> <name> <why>     why: preempted|yielded|blocked|exited
Blank lines and lines starting with # are skipped. In a console capture, frame each trace
with marker lines; only framed lines are read then, one chart per frame:
  --- sched_trace LABEL
  ...stints...
  --- end sched_trace
(`schedbench --trace` prints its traces framed this way.)

Examples:
  lantern-sim gantt --input trace.txt --svg trace.svg
  cargo xtask run | tee console.txt;  lantern-sim gantt --input console.txt --width 120";

#[derive(Args)]
#[command(after_help = TRACE_SYNTAX)]
struct GanttArgs {
    /// The trace to read; - is standard input.
    #[arg(short, long, value_name = "FILE", default_value = "-")]
    input: String,

    /// Columns of the text Gantt chart at most (longer traces are scaled).
    #[arg(long, default_value_t = 100)]
    width: usize,

    /// Also write an SVG Gantt chart (all traces on one time axis) to FILE.
    #[arg(long, value_name = "FILE")]
    svg: Option<PathBuf>,
}

#[derive(Args)]
#[command(after_help = JOB_SYNTAX)]
struct SchedArgs {
    /// The workload (see JOBS below), e.g. 100,10@10,10@10/io=2:1.
    #[arg(short, long)]
    jobs: String,

    /// The policy to run.
    #[arg(short, long, default_value = "fifo", value_parser = PossibleValuesParser::new(POLICY_NAMES))]
    policy: String,

    /// Run these policies on the same workload and compare them (instead of --policy).
    #[arg(short, long, value_delimiter = ',', value_name = "POLICIES",
          value_parser = PossibleValuesParser::new(POLICY_NAMES))]
    compare: Vec<String>,

    /// Number of harts (CPUs), each with its own run queue.
    #[arg(long, default_value_t = 1)]
    harts: usize,

    /// Time slice in ticks (rr, prio, prio-aging, lottery, stride, fair).
    #[arg(short, long, default_value_t = PolicyConfig::default().quantum)]
    quantum: Ticks,

    /// prio and prio-aging: run each task until it blocks or exits.
    #[arg(long)]
    non_preemptive: bool,

    /// prio-aging: ticks of waiting per priority level gained.
    #[arg(long, value_name = "TICKS", default_value_t = PolicyConfig::default().aging_interval)]
    aging: Ticks,

    /// mlfq: quantum of each level, top first (the count is the number of levels).
    #[arg(long, value_delimiter = ',', value_name = "TICKS,...",
          default_values_t = MlfqConfig::default().quanta)]
    mlfq_quanta: Vec<Ticks>,

    /// mlfq: allotment of each level, top first (missing levels repeat the last).
    #[arg(long, value_delimiter = ',', value_name = "TICKS,...",
          default_values_t = MlfqConfig::default().allotments)]
    mlfq_allotments: Vec<Ticks>,

    /// mlfq: priority boost period S in ticks (rule 5); 0 never boosts.
    #[arg(long, value_name = "TICKS", default_value_t = MlfqConfig::default().boost_period)]
    boost: Ticks,

    /// mlfq: forget the allotment used when a job blocks (OSTEP's rules 4a/4b, gameable).
    #[arg(long)]
    no_allotment_accounting: bool,

    /// lottery: seed of the draws.
    #[arg(long, default_value_t = PolicyConfig::default().seed)]
    seed: u64,

    /// Print a text Gantt chart.
    #[arg(long)]
    gantt: bool,

    /// Columns of the text Gantt chart at most (longer runs are scaled).
    #[arg(long, default_value_t = 100)]
    width: usize,

    /// Write an SVG Gantt chart to FILE.
    #[arg(long, value_name = "FILE")]
    svg: Option<PathBuf>,

    /// Leave out the dispatch trace.
    #[arg(long)]
    no_trace: bool,

    /// Stop after this many ticks even if jobs remain.
    #[arg(long, default_value_t = 100_000)]
    max_ticks: Ticks,
}

impl SchedArgs {
    fn config(&self) -> PolicyConfig {
        PolicyConfig {
            quantum: self.quantum,
            preemptive: !self.non_preemptive,
            aging_interval: self.aging,
            mlfq: MlfqConfig {
                quanta: self.mlfq_quanta.clone(),
                allotments: self.mlfq_allotments.clone(),
                boost_period: self.boost,
                keep_allotment: !self.no_allotment_accounting,
            },
            seed: self.seed,
        }
    }

    fn run(&self, policy: &str, jobs: &[Job]) -> Run {
        let mut scheduler =
            by_name(policy, self.harts, &self.config()).expect("clap checked the policy name");
        simulate(jobs, scheduler.as_mut(), self.harts, self.max_ticks)
    }
}

fn sched(args: &SchedArgs) -> Result<(), String> {
    let jobs = parse_jobs(&args.jobs)?;
    let harts = match args.harts {
        1 => "1 hart".to_string(),
        n => format!("{n} harts"),
    };
    let runs: Vec<Run> = if args.compare.is_empty() {
        let run = args.run(&args.policy, &jobs);
        println!("policy {} on {harts}, {} jobs\n", run.policy, jobs.len());
        if !args.no_trace {
            println!("{}", trace(&jobs, &run));
        }
        print!("{}", job_table(&jobs, &run));
        vec![run]
    } else {
        let runs: Vec<Run> = args.compare.iter().map(|p| args.run(p, &jobs)).collect();
        println!("{} policies on {harts}, {} jobs\n", runs.len(), jobs.len());
        print!("{}", comparison(&jobs, &runs));
        runs
    };
    let charts: Vec<Chart> = runs.iter().map(|run| Chart::from_run(&jobs, run)).collect();
    if args.gantt {
        for chart in &charts {
            print!("\n{}: {}", chart.title, gantt_text(chart, args.width));
        }
    }
    if let Some(path) = &args.svg {
        std::fs::write(path, gantt_svg(&charts))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        println!("\nSVG Gantt chart written to {}", path.display());
    }
    Ok(())
}

fn gantt(args: &GanttArgs) -> Result<(), String> {
    let text = if args.input == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        text
    } else {
        std::fs::read_to_string(&args.input)
            .map_err(|e| format!("cannot read {}: {e}", args.input))?
    };
    let input = if args.input == "-" {
        "standard input"
    } else {
        &args.input
    };
    let traces =
        lantern_sim::trace::parse(&text).map_err(|e| format!("{input}: {e} (see --help)"))?;
    let charts = lantern_sim::trace::charts(&traces);
    for (index, (trace, chart)) in traces.iter().zip(&charts).enumerate() {
        if index > 0 {
            println!();
        }
        println!("{}\n", chart.heading);
        println!("{}", trace.table());
        print!("{}", gantt_text(chart, args.width));
    }
    if let Some(path) = &args.svg {
        std::fs::write(path, gantt_svg(&charts))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        println!("\nSVG Gantt chart written to {}", path.display());
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Sched(args) => sched(args),
        Command::Gantt(args) => gantt(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("lantern-sim: {message}");
            ExitCode::FAILURE
        }
    }
}
