//! `lantern-sim`: the host simulator's command line (concepts S3, S6, S7, M2, M7, M9, M10).
//! `sched` runs one policy (trace, per-job table, averages) or compares several on one
//! workload, with optional text and SVG Gantt charts; `gantt` draws the same charts from a
//! trace the kernel recorded (`/proc/sched_trace`, or `schedbench --trace` output).
//! `paging` runs page-replacement policies on a reference string, `cache` and `tlb` run
//! address streams through caches, `alloc` places processes in contiguous partitions, and
//! `translate` walks page tables.

use clap::builder::PossibleValuesParser;
use clap::{Args, Parser, Subcommand};
use lantern_sim::cache::{self, CacheConfig, CacheRun, Kind};
use lantern_sim::chart::{Chart, gantt_svg, gantt_text};
use lantern_sim::engine::{Run, simulate};
use lantern_sim::paging::{self, PagingRun, Setup};
use lantern_sim::partition::{self, Fit, Memory, Scheme};
use lantern_sim::report::{comparison, job_table, trace};
use lantern_sim::translate::{self, Access, PageTables};
use lantern_sim::workload::{Job, parse_jobs};
use replace::Policy;
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
    /// Run page-replacement policies on a reference string (faults, hit rate, Belady).
    Paging(PagingArgs),
    /// Run an address stream through a cache (direct-mapped, set- or fully associative).
    Cache(CacheArgs),
    /// Run an address stream through a TLB (a cache of page translations).
    Tlb(TlbArgs),
    /// Place processes in fixed or variable partitions (first, best, worst, next fit).
    Alloc(AllocArgs),
    /// Translate a virtual address by walking multi-level page tables, step by step.
    Translate(TranslateArgs),
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

/// Page-replacement policy names, and `all`.
fn replacement_names() -> Vec<&'static str> {
    Policy::ALL
        .iter()
        .map(|p| p.name())
        .chain(["all"])
        .collect()
}

/// The policies `names` stand for (`all`: every one), in the order given.
fn policies(names: &[String]) -> Vec<Policy> {
    let mut chosen: Vec<Policy> = Vec::new();
    for name in names {
        let named = match Policy::from_name(name) {
            Some(policy) => vec![policy],
            None => Policy::ALL.to_vec(),
        };
        for policy in named {
            if !chosen.contains(&policy) {
                chosen.push(policy);
            }
        }
    }
    chosen
}

const PAGING_HELP: &str = "\
PAGES: page numbers separated by commas or spaces; 3w is a write to page 3 (sets the
dirty bit, which nru reads and which costs a write-back on eviction).

Policies (crates/replace, the kernel's own): fifo, lru (exact), aging (LRU from accessed
bits), clock (second chance), nru (enhanced clock: accessed and dirty bits), lfu, random,
opt (Belady's optimal, needs the future: simulator only).

Examples:
  lantern-sim paging --refs 0,1,2,0,1,3,0,3,1,2,1 --frames 3 --policy lru
  lantern-sim paging --refs 7,0,1,2,0,3,0,4,2,3,0,3,2,1,2,0,1,7,0,1 --compare all --no-table
  lantern-sim paging --refs 1,2,3,4,1,2,5,1,2,3,4,5 --compare fifo,lru,opt --belady --svg faults.svg
  lantern-sim paging --random 40 --pages 8 --writes 30 --compare clock,nru --frames 4";

#[derive(Args)]
#[command(after_help = PAGING_HELP)]
struct PagingArgs {
    /// The reference string (see PAGES below), e.g. 0,1,2,0,1,3.
    #[arg(short, long, value_name = "PAGES", required_unless_present = "random")]
    refs: Option<String>,

    /// Instead of --refs: LENGTH references drawn at random (--pages, --writes, --seed).
    #[arg(long, value_name = "LENGTH", conflicts_with = "refs")]
    random: Option<usize>,

    /// --random: the number of distinct pages to draw from.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..))]
    pages: u64,

    /// --random: the percentage of references that are writes.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=100))]
    writes: u64,

    /// Seed of --random and of the random policy.
    #[arg(long, default_value_t = 1)]
    seed: u64,

    /// Physical frames.
    #[arg(short, long, default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..))]
    frames: u16,

    /// The policy to run (`all`: compare every one).
    #[arg(short, long, default_value = "fifo", value_parser = PossibleValuesParser::new(replacement_names()))]
    policy: String,

    /// Run these policies (or all) on the same string and compare them.
    #[arg(short, long, value_delimiter = ',', value_name = "POLICIES",
          value_parser = PossibleValuesParser::new(replacement_names()))]
    compare: Vec<String>,

    /// Sample and clear the accessed bits every N references, as the kernel's scan does
    /// (aging and lfu learn of uses only then); 0 never.
    #[arg(long, value_name = "N", default_value_t = 1)]
    scan: usize,

    /// Faults for every number of frames from 1 to --max-frames, marking where more frames
    /// gave more faults (Belady's anomaly).
    #[arg(long)]
    belady: bool,

    /// --belady and --svg: the most frames to try (default: one per distinct page).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    max_frames: Option<u16>,

    /// Write an SVG plot of faults against frames, a line per policy, to FILE.
    #[arg(long, value_name = "FILE")]
    svg: Option<PathBuf>,

    /// Leave out the step-by-step tables.
    #[arg(long)]
    no_table: bool,

    /// Columns of a step table at most (longer strings wrap).
    #[arg(long, default_value_t = 100)]
    width: usize,
}

fn paging(args: &PagingArgs) -> Result<(), String> {
    let references = match (&args.refs, args.random) {
        (Some(spec), _) => paging::parse_references(spec)?,
        (None, Some(length)) => {
            let references = paging::random_references(length, args.pages, args.writes, args.seed);
            if references.is_empty() {
                return Err("--random needs at least one reference".into());
            }
            references
        }
        (None, None) => return Err("give --refs or --random".into()),
    };
    let chosen = match args.compare.is_empty() {
        true => policies(std::slice::from_ref(&args.policy)),
        false => policies(&args.compare),
    };
    let setup = Setup {
        scan: args.scan,
        seed: args.seed,
    };
    let frames = usize::from(args.frames);
    let distinct = paging::distinct_pages(&references);
    println!(
        "{} references to {distinct} pages, {frames} frames: {}\n",
        references.len(),
        paging::format_references(&references)
    );
    let runs: Vec<PagingRun> = chosen
        .iter()
        .map(|&policy| paging::simulate(policy, frames, &references, setup))
        .collect();
    for run in &runs {
        if !args.no_table {
            println!(
                "{}\n{}",
                run.policy.name(),
                paging::step_table(run, args.width)
            );
        }
        if runs.len() == 1 {
            println!("{}", paging::summary(run));
        }
    }
    if runs.len() > 1 {
        print!("{}", paging::comparison(&runs));
    }
    if args.belady || args.svg.is_some() {
        let max_frames = args.max_frames.map_or(distinct, usize::from);
        let curves: Vec<(Policy, Vec<usize>)> = chosen
            .iter()
            .map(|&p| (p, paging::fault_curve(p, &references, max_frames, setup)))
            .collect();
        if args.belady {
            println!("\nfaults by number of frames");
            print!("{}", paging::belady_table(&curves));
        }
        if let Some(path) = &args.svg {
            let title = format!(
                "page faults by frames: {} references to {distinct} pages",
                references.len()
            );
            std::fs::write(path, paging::faults_svg(&title, &curves))
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            println!("\nSVG plot written to {}", path.display());
        }
    }
    Ok(())
}

/// The address stream and how lines are replaced: what `cache` and `tlb` share.
#[derive(Args)]
struct StreamArgs {
    /// The addresses, decimal or 0x hex, separated by commas or spaces.
    #[arg(
        short,
        long,
        value_name = "ADDRESSES",
        required_unless_present = "sequence"
    )]
    addresses: Option<String>,

    /// Instead of --addresses: COUNT addresses from START, STEP bytes apart (an array walk).
    #[arg(long, value_name = "START:STEP:COUNT", conflicts_with = "addresses")]
    sequence: Option<String>,

    /// Run the stream this many times over (a loop: temporal locality).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    repeat: u32,

    /// The replacement policy within a set.
    #[arg(short, long, default_value = "lru",
          value_parser = PossibleValuesParser::new(Policy::ALL.map(|p| p.name())))]
    policy: String,

    /// Seed of the random policy.
    #[arg(long, default_value_t = 1)]
    seed: u64,

    /// Leave out the per-access tables.
    #[arg(long)]
    no_table: bool,
}

impl StreamArgs {
    fn addresses(&self) -> Result<Vec<u64>, String> {
        let once = match (&self.addresses, &self.sequence) {
            (Some(spec), _) => cache::parse_addresses(spec)?,
            (None, Some(spec)) => cache::parse_sequence(spec)?,
            (None, None) => return Err("give --addresses or --sequence".into()),
        };
        Ok(once.repeat(self.repeat as usize))
    }

    /// Runs the stream through a cache of each of `ways`, printing tables and totals.
    fn run(&self, kind: Kind, lines: usize, ways: &[usize], block: u64) -> Result<(), String> {
        let addresses = self.addresses()?;
        let policy = Policy::from_name(&self.policy).expect("clap checked the policy name");
        let mut runs: Vec<CacheRun> = Vec::new();
        for &ways in ways {
            let config = CacheConfig {
                kind,
                lines,
                ways,
                block,
                policy,
            };
            config.check()?;
            let run = cache::simulate(&config, &addresses, self.seed);
            if !runs.is_empty() {
                println!();
            }
            print!("{}", config.describe());
            if !self.no_table {
                println!();
                print!("{}", cache::access_table(&run));
            }
            println!("{}", cache::summary(&run));
            runs.push(run);
        }
        if runs.len() > 1 {
            println!();
            print!("{}", cache::comparison(&runs));
        }
        Ok(())
    }
}

const CACHE_HELP: &str = "\
An address splits into tag | set index | offset: offset = address mod block size, set =
(address / block) mod sets, tag = the rest. Misses are compulsory (first reference to the
block), capacity (a fully associative LRU cache of the same size misses too) or conflict.

Examples:
  lantern-sim cache --lines 8 --block 16 --ways 1,2,8 --addresses 0x0,0x80,0x4,0x84,0x8,0x88
  lantern-sim cache --lines 4 --block 16 --sequence 0:4:32 --no-table    (spatial locality)";

#[derive(Args)]
#[command(after_help = CACHE_HELP)]
struct CacheArgs {
    /// Lines in the cache.
    #[arg(long, default_value_t = 8)]
    lines: usize,

    /// Lines per set: 1 is direct-mapped, --lines fully associative; a list compares.
    #[arg(short, long, value_delimiter = ',', default_value = "1")]
    ways: Vec<usize>,

    /// Bytes per line (a power of two).
    #[arg(short, long, default_value_t = 16)]
    block: u64,

    #[command(flatten)]
    stream: StreamArgs,
}

const TLB_HELP: &str = "\
A TLB caches page translations: the tag and set come from the virtual page number (address
/ page size); a miss costs a page-table walk (see `lantern-sim translate`).

Example:
  lantern-sim tlb --entries 4 --addresses 0x1000,0x1004,0x2000,0x3000,0x4000,0x5000,0x1008";

#[derive(Args)]
#[command(after_help = TLB_HELP)]
struct TlbArgs {
    /// Entries in the TLB.
    #[arg(short, long, default_value_t = 4)]
    entries: usize,

    /// Entries per set (default: all, fully associative); a list compares.
    #[arg(short, long, value_delimiter = ',')]
    ways: Vec<usize>,

    /// Page size in bytes (a power of two).
    #[arg(long, default_value_t = 4096)]
    page_size: u64,

    #[command(flatten)]
    stream: StreamArgs,
}

const ALLOC_HELP: &str = "\
REQUESTS: steps separated by commas or spaces: NAME=SIZE (a process arrives needing SIZE
units), -NAME (it leaves). A request that fits nowhere waits (reported, not retried).

Memory: --partitions 100,500,200 cuts it into fixed partitions; --layout 100,*20,500 lays
out variable partitions (N: a free hole, *N: in use by others); --size N is one hole.

Examples:
  lantern-sim alloc --partitions 100,500,200,300,600 --fit best --requests A=212,B=417,C=112,D=426
  lantern-sim alloc --layout 100,*10,500,*10,200,*10,300,*10,600 --fit all --requests A=212,B=417,C=112,D=426
  lantern-sim alloc --size 1000 --fit next --requests A=300,B=200,C=300,-B,D=100,E=250";

#[derive(Args)]
#[command(after_help = ALLOC_HELP)]
struct AllocArgs {
    /// The request sequence (see REQUESTS below).
    #[arg(short, long)]
    requests: String,

    /// Fixed partitions of these sizes, in address order (`*N`: in use by others).
    #[arg(long, value_name = "SIZES", conflicts_with_all = ["layout", "size"])]
    partitions: Option<String>,

    /// Variable partitions: the initial layout (`N` free, `*N` in use by others).
    #[arg(long, value_name = "LAYOUT", conflicts_with = "size")]
    layout: Option<String>,

    /// Variable partitions: memory of SIZE units, all free.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    size: u64,

    /// How to choose the hole (`all`: compare every fit).
    #[arg(short, long, default_value = "first",
          value_parser = PossibleValuesParser::new(["first", "best", "worst", "next", "all"]))]
    fit: String,

    /// Columns of the memory bar.
    #[arg(long, default_value_t = 64)]
    width: usize,
}

fn alloc(args: &AllocArgs) -> Result<(), String> {
    let requests = partition::parse_requests(&args.requests)?;
    let (scheme, layout) = match (&args.partitions, &args.layout) {
        (Some(spec), _) => (Scheme::Fixed, partition::parse_layout(spec)?),
        (None, Some(spec)) => (Scheme::Variable, partition::parse_layout(spec)?),
        (None, None) => (
            Scheme::Variable,
            partition::parse_layout(&args.size.to_string())?,
        ),
    };
    let fits = match Fit::from_name(&args.fit) {
        Some(fit) => vec![fit],
        None => Fit::ALL.to_vec(),
    };
    let mut runs = Vec::new();
    for fit in fits {
        let memory = Memory::new(scheme, fit, layout.clone());
        let kind = match scheme {
            Scheme::Fixed => "fixed partitions",
            Scheme::Variable => "variable partitions",
        };
        if !runs.is_empty() {
            println!();
        }
        println!("{} fit, {kind}", fit.name());
        print!("{}", memory.picture(args.width));
        let steps = partition::simulate(memory, &requests);
        print!("{}", partition::report(&steps, args.width));
        runs.push((fit, steps));
    }
    if runs.len() > 1 {
        println!();
        print!("{}", partition::comparison(&runs));
    }
    Ok(())
}

const TRANSLATE_HELP: &str = "\
Without --table the walk uses a demo address space (--show-table prints it): user code at
0x10000 (r-x), data at 0x11000 (rw-), a stack page just below 2^(bits-1) with an unmapped
guard page under it, and a supervisor-only kernel superpage two superpages into the upper
half (in Sv39 the 1 GiB page at 0xffffffc080000000, mapping 0x80000000, as in Lantern).

TABLE file, one entry per line, # comments:
  root 0x81000000
  0x81000000[0] -> 0x81001000           a pointer to the next table (no r, w or x)
  0x81002000[16] -> 0x82000000 rxu      a leaf: flags r w x u g a d (v is implied)

Examples:
  lantern-sim translate 0x11234
  lantern-sim translate 0xffffffc080200000 --supervisor --access exec
  lantern-sim translate --scheme sv32 0x00011234 0x7fffe000
  lantern-sim translate --levels 1 --index-bits 20 --page-bits 12 --pte-bytes 4 0x12345678";

#[derive(Args)]
#[command(after_help = TRANSLATE_HELP)]
struct TranslateArgs {
    /// Virtual addresses to translate (decimal or 0x hex).
    #[arg(required = true, value_name = "ADDRESS")]
    addresses: Vec<String>,

    /// The paging scheme.
    #[arg(short, long, default_value = "sv39",
          value_parser = PossibleValuesParser::new(["sv32", "sv39", "sv48"]))]
    scheme: String,

    /// Levels of page tables (overrides the scheme's).
    #[arg(long)]
    levels: Option<u32>,

    /// Bits of each level's index (overrides the scheme's).
    #[arg(long)]
    index_bits: Option<u32>,

    /// Bits of the page offset (overrides the scheme's).
    #[arg(long)]
    page_bits: Option<u32>,

    /// Bytes per page-table entry (overrides the scheme's).
    #[arg(long)]
    pte_bytes: Option<u64>,

    /// Page tables to walk (see TABLE below); default: the demo.
    #[arg(short, long, value_name = "FILE")]
    table: Option<PathBuf>,

    /// Print the page tables first, in the TABLE format.
    #[arg(long)]
    show_table: bool,

    /// The access: read, write or exec.
    #[arg(long, default_value = "read",
          value_parser = PossibleValuesParser::new(["read", "write", "exec"]))]
    access: String,

    /// Translate for supervisor mode (default: user mode).
    #[arg(long)]
    supervisor: bool,
}

fn translate_addresses(args: &TranslateArgs) -> Result<(), String> {
    let named = translate::Scheme::by_name(&args.scheme).expect("clap checked the scheme");
    let custom = args.levels.is_some()
        || args.index_bits.is_some()
        || args.page_bits.is_some()
        || args.pte_bytes.is_some();
    let scheme = match custom {
        true => translate::Scheme::custom(
            args.levels.unwrap_or(named.levels),
            args.index_bits.unwrap_or(named.index_bits),
            args.page_bits.unwrap_or(named.page_bits),
            args.pte_bytes.unwrap_or(named.pte_bytes),
        )?,
        false => named,
    };
    let tables = match &args.table {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            PageTables::parse(&text, &scheme).map_err(|e| format!("{}: {e}", path.display()))?
        }
        None => PageTables::demo(&scheme),
    };
    if args.show_table {
        println!("{}", tables.to_text());
    }
    let access = Access::from_name(&args.access).expect("clap checked the access");
    for (index, text) in args.addresses.iter().enumerate() {
        let va = translate::parse_address(text)?;
        if index > 0 {
            println!();
        }
        let walk = translate::translate(&scheme, &tables, va, access, !args.supervisor);
        print!("{}", translate::report(&scheme, &walk));
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Sched(args) => sched(args),
        Command::Gantt(args) => gantt(args),
        Command::Paging(args) => paging(args),
        Command::Cache(args) => args
            .stream
            .run(Kind::Cache, args.lines, &args.ways, args.block),
        Command::Tlb(args) => {
            let ways = match args.ways.is_empty() {
                true => vec![args.entries],
                false => args.ways.clone(),
            };
            args.stream
                .run(Kind::Tlb, args.entries, &ways, args.page_size)
        }
        Command::Alloc(args) => alloc(args),
        Command::Translate(args) => translate_addresses(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("lantern-sim: {message}");
            ExitCode::FAILURE
        }
    }
}
