//! Reading the benchmark suite's lines, and the table and JSON of `cargo xtask bench`.
//!
//! The suite prints (format in `user/ulib/src/bench.rs`):
//! ```text
//! bench start clock_ns=<guest monotonic clock> smoke=<0|1>
//! bench <name> <key>=<value>...      a timing (n=, runs=, median_ns=, min_ns=, max_ns=,
//!                                    maybe mb_s=) or a figure (kb=, frames=, ratio=)
//! bench <name> skipped: <why>
//! bench <name> error: <why>
//! bench done harts=<H> failures=<F>
//! ```
//! Each result is compared with the target of the issue, if it has one; a missed target is
//! reported, never an error. The host adds the boot time (from QEMU's spawn to the suite's
//! first line) and the kernel image's size (its loadable ELF segments).

use std::fmt::Write as _;
use std::time::Duration;

use super::Stamped;

/// A `key=value` pair of a result line.
pub type Field = (String, String);

/// How one benchmark ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Its figures.
    Figures(Vec<Field>),
    /// It did not run, for this reason.
    Skipped(String),
    /// It failed, for this reason.
    Error(String),
}

/// One result line.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The benchmark's name.
    pub name: String,
    /// What it reported.
    pub outcome: Outcome,
}

impl Record {
    /// The value of `key`, if the record has figures and that one.
    pub fn field(&self, key: &str) -> Option<&str> {
        match &self.outcome {
            Outcome::Figures(fields) => fields
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str()),
            _ => None,
        }
    }

    /// The value of `key` as a number.
    pub fn number(&self, key: &str) -> Option<f64> {
        self.field(key)?
            .parse()
            .ok()
            .filter(|x: &f64| x.is_finite())
    }
}

/// Everything the suite printed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Results {
    /// The fields of `bench start`.
    pub start: Option<Vec<Field>>,
    /// The results, in the order printed.
    pub records: Vec<Record>,
    /// The fields of `bench done`.
    pub done: Option<Vec<Field>>,
}

/// Whether `line` is the suite's last line.
pub fn is_done_line(line: &str) -> bool {
    let line = line.trim();
    line == "bench done" || line.starts_with("bench done ")
}

/// The `key=value` words of `text`; other words are ignored.
fn fields(text: &str) -> Vec<Field> {
    text.split_whitespace()
        .filter_map(|word| word.split_once('='))
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect()
}

impl Results {
    /// Reads the result lines among `lines` (console output; other lines are skipped).
    pub fn parse<'a>(lines: impl IntoIterator<Item = &'a str>) -> Results {
        let mut results = Results::default();
        for line in lines {
            let Some(rest) = line.trim().strip_prefix("bench ") else {
                continue;
            };
            let (name, rest) = rest.split_once(' ').unwrap_or((rest, ""));
            let rest = rest.trim();
            match name {
                "start" => results.start = Some(fields(rest)),
                "done" => results.done = Some(fields(rest)),
                _ => {
                    let outcome = if let Some(why) = rest.strip_prefix("skipped:") {
                        Outcome::Skipped(why.trim().to_string())
                    } else if let Some(why) = rest.strip_prefix("error:") {
                        Outcome::Error(why.trim().to_string())
                    } else {
                        Outcome::Figures(fields(rest))
                    };
                    results.records.push(Record {
                        name: name.to_string(),
                        outcome,
                    });
                }
            }
        }
        results
    }

    /// The record of `name`, if there is one.
    fn find(&self, name: &str) -> Option<&Record> {
        self.records.iter().find(|record| record.name == name)
    }

    /// Adds the scaling benchmark of a second boot on a one-hart machine (`baseline`):
    /// `scale_smp1`, its `scale_1hart` time, and `scale_speedup_smp1`, that time over this
    /// run's `scale_all_harts` time. A one-hart machine has no idle hart competing for the
    /// run queue, so this baseline shows what pinning to one hart of several costs.
    pub fn add_smp1_baseline(&mut self, baseline: &Results) {
        let outcome = match baseline.find("scale_1hart").map(|record| &record.outcome) {
            Some(outcome) => outcome.clone(),
            None => Outcome::Error(match baseline.find("scale") {
                Some(Record {
                    outcome: Outcome::Error(why),
                    ..
                }) => why.clone(),
                _ => "the one-hart boot printed no scale_1hart line".to_string(),
            }),
        };
        let single = Record {
            name: "scale_smp1".to_string(),
            outcome,
        };
        let all = self
            .find("scale_all_harts")
            .and_then(|r| r.number("median_ns"));
        let speedup = match (single.number("median_ns"), all) {
            (Some(one), Some(all)) if all > 0.0 => Some(Record {
                name: "scale_speedup_smp1".to_string(),
                outcome: Outcome::Figures(vec![("ratio".to_string(), format!("{:.2}", one / all))]),
            }),
            _ => None,
        };
        self.records.push(single);
        self.records.extend(speedup);
    }

    /// Fails unless the suite says (`only=` in `bench start`) that it ran only `only`: it
    /// reads `--only` from `/etc/bench_args`, which a root file system without the initrd's
    /// files would lack.
    pub fn check_only(&self, only: &str) -> Result<(), String> {
        if let Some(Record {
            outcome: Outcome::Error(why),
            ..
        }) = self.find("suite")
        {
            return Err(format!("the benchmark suite refused its arguments: {why}"));
        }
        let said = self.start.as_ref().and_then(|fields| {
            fields
                .iter()
                .find(|(key, _)| key == "only")
                .map(|(_, value)| value.as_str())
        });
        if said == Some(only) {
            Ok(())
        } else {
            Err(format!(
                "the benchmark suite did not get `--only {only}` (no /etc/bench_args in its root file system?)"
            ))
        }
    }

    /// Fails with one sentence naming the benchmarks that reported an error, or if the
    /// suite's closing line is missing.
    pub fn check(&self) -> Result<(), String> {
        let failed: Vec<&str> = self
            .records
            .iter()
            .filter(|record| matches!(record.outcome, Outcome::Error(_)))
            .map(|record| record.name.as_str())
            .collect();
        if !failed.is_empty() {
            return Err(format!(
                "{} benchmark(s) failed: {}",
                failed.len(),
                failed.join(", ")
            ));
        }
        if self.done.is_none() {
            return Err("the benchmark suite ended without its `bench done` line".to_string());
        }
        Ok(())
    }
}

/// A goal from the issue.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Target {
    /// The time per operation should be at most this many nanoseconds.
    AtMostNs(f64),
    /// The throughput should be at least this many MB/s.
    AtLeastMbS(f64),
}

impl Target {
    /// Whether `record` meets the target; `None` if it lacks the figure.
    pub fn met_by(self, record: &Record) -> Option<bool> {
        match self {
            Target::AtMostNs(bound) => record.number("median_ns").map(|ns| ns <= bound),
            Target::AtLeastMbS(bound) => record.number("mb_s").map(|rate| rate >= bound),
        }
    }

    /// `≤ 0.6 µs`, `≥ 150 MB/s`.
    pub fn label(self) -> String {
        match self {
            Target::AtMostNs(ns) => format!("≤ {}", time_label(ns)),
            Target::AtLeastMbS(rate) => format!("≥ {rate} MB/s"),
        }
    }
}

/// A round time: `0.6 µs`, `100 µs`, `2 ms`, `0.5 s`.
fn time_label(ns: f64) -> String {
    if ns >= 1e8 {
        format!("{} s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{} ms", ns / 1e6)
    } else {
        format!("{} µs", ns / 1e3)
    }
}

/// What a benchmark measures, and its target if the issue sets one.
struct Known {
    name: &'static str,
    what: &'static str,
    target: Option<Target>,
}

const fn known(name: &'static str, what: &'static str, target: Option<Target>) -> Known {
    Known { name, what, target }
}

/// Every result the suite prints, in its order.
const KNOWN: [Known; 29] = [
    known("mem_boot", "memory in use after boot (frames)", None),
    known(
        "null_syscall",
        "null syscall (getppid)",
        Some(Target::AtMostNs(600.0)),
    ),
    known("read_zero", "read 1 byte from /dev/zero", None),
    known("write_null", "write 1 byte to /dev/null", None),
    known("ctx_switch", "context switch (pipe token, one hart)", None),
    known("thread_switch", "thread switch (same, two threads)", None),
    known(
        "pipe_rtt",
        "pipe round trip, 1 byte each way",
        Some(Target::AtMostNs(100_000.0)),
    ),
    known(
        "pipe_bw",
        "pipe bandwidth, 64 KiB chunks",
        Some(Target::AtLeastMbS(150.0)),
    ),
    known(
        "fork_exit",
        "fork + exit + wait",
        Some(Target::AtMostNs(500_000.0)),
    ),
    known(
        "fork_exec",
        "fork + execve(bench_true) + wait",
        Some(Target::AtMostNs(2_000_000.0)),
    ),
    known(
        "fork_touch_16m",
        "fork + child touches 16 MiB + exit + wait",
        None,
    ),
    known(
        "fork_exit_16m",
        "fork + exit + wait, parent holds 16 MiB",
        None,
    ),
    known("page_fault", "first touch of a heap page", None),
    known("mmap_1m", "mmap + munmap of 1 MiB", None),
    known(
        "file_write_4k",
        "create + write 4 KiB + close + unlink",
        Some(Target::AtMostNs(2_000_000.0)),
    ),
    known("file_create", "create an empty file (of 1000)", None),
    known("file_delete", "unlink an empty file (of 1000)", None),
    known(
        "seq_write",
        "sequential write 64 MiB + fsync",
        Some(Target::AtLeastMbS(20.0)),
    ),
    known(
        "seq_read",
        "sequential read 64 MiB, cached",
        Some(Target::AtLeastMbS(80.0)),
    ),
    known(
        "seq_read_cold",
        "sequential read 64 MiB, caches dropped",
        Some(Target::AtLeastMbS(80.0)),
    ),
    known("scale_1hart", "4 CPU-bound workers on 1 hart", None),
    known("scale_all_harts", "4 CPU-bound workers on all harts", None),
    known("scale_speedup", "speedup, all harts over 1", None),
    known("scale_smp1", "4 CPU-bound workers, 1-hart machine", None),
    known(
        "scale_speedup_smp1",
        "speedup, all harts over 1-hart machine",
        None,
    ),
    known("mem_process", "memory of a minimal process (frames)", None),
    known("mem_end", "memory in use after the suite (frames)", None),
    known("mem_heap_peak", "kernel heap high-water mark", None),
    known("suite", "the benchmark suite itself", None),
];

/// The names that select the scaling benchmark with `--only`.
pub const SCALE_NAMES: [&str; 4] = ["scale", "scale_1hart", "scale_all_harts", "scale_speedup"];

/// The boot time target of the issue, to the first line of user space.
const BOOT_TARGET_NS: f64 = 500_000_000.0;

fn lookup(name: &str) -> Option<&'static Known> {
    KNOWN.iter().find(|known| known.name == name)
}

/// Fields shown in their own columns (or not at all) rather than as notes.
const TIMING_KEYS: [&str; 6] = ["n", "runs", "median_ns", "min_ns", "max_ns", "mb_s"];

/// Times to the milestones of a boot, from QEMU's spawn (host clock).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Boot {
    /// The first console line (OpenSBI's banner).
    pub first_output: Option<Duration>,
    /// The kernel's first line (`Lantern booting ...`).
    pub kernel: Option<Duration>,
    /// The suite's first line: user space is up.
    pub user: Option<Duration>,
    /// The guest's monotonic clock at the suite's first line (time since QEMU reset).
    pub guest_clock_ns: Option<u64>,
}

impl Boot {
    /// Finds the milestones among the stamped console lines.
    pub fn from_lines(lines: &[Stamped], results: &Results) -> Boot {
        let first = |wanted: &dyn Fn(&str) -> bool| {
            lines
                .iter()
                .find(|(_, line)| wanted(line))
                .map(|&(at, _)| at)
        };
        let guest_clock_ns = results.start.as_ref().and_then(|fields| {
            fields
                .iter()
                .find(|(key, _)| key == "clock_ns")
                .and_then(|(_, value)| value.parse().ok())
        });
        Boot {
            first_output: lines.first().map(|&(at, _)| at),
            kernel: first(&|line| line.contains("Lantern booting")),
            user: first(&|line| line.trim().starts_with("bench start")),
            guest_clock_ns,
        }
    }
}

/// The kernel image's memory, from its ELF program headers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImageSize {
    /// Executable segments.
    pub text: u64,
    /// Read-only segments.
    pub rodata: u64,
    /// Writable segments, zero-filled parts (bss) included.
    pub data: u64,
}

impl ImageSize {
    /// Bytes the image occupies once loaded: the sum of `p_memsz` of every `PT_LOAD`.
    pub fn total(&self) -> u64 {
        self.text + self.rodata + self.data
    }

    /// Reads the loadable segments of a little-endian ELF64 file.
    pub fn from_elf(elf: &[u8]) -> Result<ImageSize, String> {
        const PT_LOAD: u32 = 1;
        const PF_X: u32 = 1;
        const PF_W: u32 = 2;
        let bad = |why: &str| format!("the kernel is not a valid ELF64 file: {why}");
        if elf.len() < 64 || &elf[..4] != b"\x7fELF" || elf[4] != 2 || elf[5] != 1 {
            return Err(bad("not little-endian ELF64"));
        }
        let u16_at = |at: usize| u16::from_le_bytes([elf[at], elf[at + 1]]);
        let u32_at = |at: usize| u32::from_le_bytes(elf[at..at + 4].try_into().expect("4 bytes"));
        let u64_at = |at: usize| u64::from_le_bytes(elf[at..at + 8].try_into().expect("8 bytes"));
        let phoff = usize::try_from(u64_at(32)).map_err(|_| bad("program headers out of reach"))?;
        let phentsize = usize::from(u16_at(54));
        let phnum = usize::from(u16_at(56));
        let end = phentsize
            .checked_mul(phnum)
            .and_then(|len| len.checked_add(phoff));
        if phentsize < 56 || end.is_none_or(|end| end > elf.len()) {
            return Err(bad("program headers out of the file"));
        }
        let mut size = ImageSize::default();
        for index in 0..phnum {
            let header = phoff + index * phentsize;
            if u32_at(header) != PT_LOAD {
                continue;
            }
            let flags = u32_at(header + 4);
            let memsz = u64_at(header + 40);
            if flags & PF_X != 0 {
                size.text += memsz;
            } else if flags & PF_W != 0 {
                size.data += memsz;
            } else {
                size.rodata += memsz;
            }
        }
        Ok(size)
    }
}

/// The host the guest ran on.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Host {
    /// Its CPUs.
    pub cpus: usize,
    /// Its 1-, 5- and 15-minute load averages before and after the run.
    pub load_before: Option<[f64; 3]>,
    pub load_after: Option<[f64; 3]>,
}

impl Host {
    /// The load averages of `/proc/loadavg` (`None` where there is no such file).
    pub fn load_average() -> Option<[f64; 3]> {
        parse_load_average(&std::fs::read_to_string("/proc/loadavg").ok()?)
    }
}

/// Reads the three load averages at the start of `/proc/loadavg`'s text.
fn parse_load_average(text: &str) -> Option<[f64; 3]> {
    let mut words = text.split_whitespace().map(|word| word.parse::<f64>().ok());
    Some([words.next()??, words.next()??, words.next()??])
}

/// `0.45 µs`, `99.1 µs`, `26.2 ms`: a time per operation for the table.
pub fn format_time(ns: f64) -> String {
    if ns < 10_000.0 {
        format!("{:.2} µs", ns / 1e3)
    } else if ns < 10_000_000.0 {
        format!("{:.1} µs", ns / 1e3)
    } else {
        format!("{:.1} ms", ns / 1e6)
    }
}

/// One row of the table.
struct Row {
    name: String,
    what: String,
    n: String,
    value: String,
    rate: String,
    target: String,
    verdict: String,
    notes: String,
}

impl Row {
    fn new(name: &str, what: &str) -> Row {
        Row {
            name: name.to_string(),
            what: what.to_string(),
            n: String::new(),
            value: String::new(),
            rate: String::new(),
            target: String::new(),
            verdict: String::new(),
            notes: String::new(),
        }
    }

    fn verdict(met: Option<bool>) -> String {
        match met {
            Some(true) => "meets".to_string(),
            Some(false) => "MISSES".to_string(),
            None => String::new(),
        }
    }
}

/// The row of one result.
fn row(record: &Record) -> Row {
    let known = lookup(&record.name);
    let mut row = Row::new(&record.name, known.map_or("", |known| known.what));
    let target = known.and_then(|known| known.target);
    match &record.outcome {
        Outcome::Skipped(why) => {
            row.value = "skipped".to_string();
            row.notes = why.clone();
        }
        Outcome::Error(why) => {
            row.value = "ERROR".to_string();
            row.notes = why.clone();
        }
        Outcome::Figures(fields) => {
            if let Some(ns) = record.number("median_ns") {
                row.n = record.field("n").unwrap_or("").to_string();
                row.value = format_time(ns);
            } else if let Some(kb) = record.number("kb") {
                row.value = match record.field("frames") {
                    Some(frames) => format!("{kb} KiB = {frames} frames"),
                    None => format!("{kb} KiB"),
                };
            } else if let Some(ratio) = record.field("ratio") {
                row.value = format!("{ratio}x");
            }
            if let Some(rate) = record.field("mb_s") {
                row.rate = format!("{rate} MB/s");
            }
            let shown = ["kb", "frames", "ratio"];
            row.notes = fields
                .iter()
                .filter(|(key, _)| {
                    !TIMING_KEYS.contains(&key.as_str()) && !shown.contains(&key.as_str())
                })
                .map(|(key, value)| format!("{key}={value}"))
                .collect::<Vec<_>>()
                .join(" ");
            if let Some(target) = target {
                row.verdict = Row::verdict(target.met_by(record));
            }
        }
    }
    if let Some(target) = target {
        row.target = target.label();
    }
    row
}

/// The host's measurements as rows: boot time and kernel image size.
fn host_rows(boot: &Boot, image: &ImageSize) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut boot_row = Row::new("boot", "QEMU spawn to first user line (host)");
    boot_row.target = format!("≤ {}", time_label(BOOT_TARGET_NS));
    if let Some(user) = boot.user {
        let ns = user.as_nanos() as f64;
        boot_row.value = format!("{:.1} ms", ns / 1e6);
        boot_row.verdict = Row::verdict(Some(ns <= BOOT_TARGET_NS));
        let mut notes = Vec::new();
        if let Some(kernel) = boot.kernel {
            notes.push(format!("kernel_at={:.1}ms", kernel.as_secs_f64() * 1e3));
        }
        if let Some(guest) = boot.guest_clock_ns {
            notes.push(format!("guest_clock={:.1}ms", guest as f64 / 1e6));
        }
        boot_row.notes = notes.join(" ");
    }
    rows.push(boot_row);
    let mut image_row = Row::new("kernel_image", "kernel image, loaded (ELF PT_LOAD)");
    image_row.value = format!("{} KiB", image.total().div_ceil(1024));
    image_row.notes = format!(
        "text={} rodata={} data+bss={}",
        image.text, image.rodata, image.data
    );
    rows.push(image_row);
    rows
}

/// The results as a table: one row per result, then the host's own measurements.
pub fn table(results: &Results, boot: &Boot, image: &ImageSize, smp: u32, host: &Host) -> String {
    let mut rows: Vec<Row> = results.records.iter().map(row).collect();
    rows.extend(host_rows(boot, image));
    let header = Row {
        name: "benchmark".to_string(),
        what: "what".to_string(),
        n: "N".to_string(),
        value: "per op / value".to_string(),
        rate: "MB/s".to_string(),
        target: "target".to_string(),
        verdict: "result".to_string(),
        notes: "notes".to_string(),
    };
    let width = |get: fn(&Row) -> &String| {
        rows.iter()
            .chain([&header])
            .map(|row| get(row).chars().count())
            .max()
            .unwrap_or(0)
    };
    let widths = [
        width(|row| &row.name),
        width(|row| &row.what),
        width(|row| &row.n),
        width(|row| &row.value),
        width(|row| &row.rate),
        width(|row| &row.target),
        width(|row| &row.verdict),
    ];
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Lantern benchmarks: QEMU TCG, {smp} hart(s), {}; host: {} CPU(s), load average {} before, {} after",
        super::MEMORY,
        host.cpus,
        load_label(host.load_before),
        load_label(host.load_after)
    );
    for row in std::iter::once(&header).chain(&rows) {
        let pad = |text: &str, width: usize| {
            let fill = width.saturating_sub(text.chars().count());
            format!("{text}{}", " ".repeat(fill))
        };
        let pad_left = |text: &str, width: usize| {
            let fill = width.saturating_sub(text.chars().count());
            format!("{}{text}", " ".repeat(fill))
        };
        let line = format!(
            "{}  {}  {}  {}  {}  {}  {}  {}",
            pad(&row.name, widths[0]),
            pad(&row.what, widths[1]),
            pad_left(&row.n, widths[2]),
            pad_left(&row.value, widths[3]),
            pad_left(&row.rate, widths[4]),
            pad(&row.target, widths[5]),
            pad(&row.verdict, widths[6]),
            row.notes
        );
        let _ = writeln!(out, "{}", line.trim_end());
    }
    out
}

fn load_label(load: Option<[f64; 3]>) -> String {
    load.map_or("unknown".to_string(), |[one, ..]| format!("{one:.2}"))
}

/// A JSON value, written by [`Json::write`].
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    /// A finite number.
    Number(f64),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    fn string(text: &str) -> Json {
        Json::String(text.to_string())
    }

    /// A number, or the text if it is not a finite number.
    fn value(text: &str) -> Json {
        match text.parse::<f64>() {
            Ok(number) if number.is_finite() => Json::Number(number),
            _ => Json::string(text),
        }
    }

    fn optional(number: Option<f64>) -> Json {
        number.map_or(Json::Null, Json::Number)
    }

    /// Appends the JSON text, pretty-printed with two-space indents at depth `depth`.
    pub fn write(&self, out: &mut String, depth: usize) {
        let indent = |out: &mut String, depth: usize| out.push_str(&"  ".repeat(depth));
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(value) => out.push_str(if *value { "true" } else { "false" }),
            Json::Number(number) => {
                let _ = write!(out, "{number}");
            }
            Json::String(text) => write_json_string(out, text),
            Json::Array(items) if items.is_empty() => out.push_str("[]"),
            Json::Array(items) => {
                out.push_str("[\n");
                for (index, item) in items.iter().enumerate() {
                    indent(out, depth + 1);
                    item.write(out, depth + 1);
                    out.push_str(if index + 1 < items.len() { ",\n" } else { "\n" });
                }
                indent(out, depth);
                out.push(']');
            }
            Json::Object(members) if members.is_empty() => out.push_str("{}"),
            Json::Object(members) => {
                out.push_str("{\n");
                for (index, (key, value)) in members.iter().enumerate() {
                    indent(out, depth + 1);
                    write_json_string(out, key);
                    out.push_str(": ");
                    value.write(out, depth + 1);
                    out.push_str(if index + 1 < members.len() {
                        ",\n"
                    } else {
                        "\n"
                    });
                }
                indent(out, depth);
                out.push('}');
            }
        }
    }
}

/// Appends `text` as a JSON string literal.
fn write_json_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// How the run was made, for the JSON.
pub struct RunInfo {
    /// The QEMU command line.
    pub command: String,
    /// Harts.
    pub smp: u32,
    /// `--only`, if given.
    pub only: Option<String>,
    /// The kernel ELF file.
    pub kernel: String,
}

fn object(members: Vec<(&str, Json)>) -> Json {
    Json::Object(
        members
            .into_iter()
            .map(|(key, value)| (key.to_string(), value))
            .collect(),
    )
}

fn fields_json(fields: &[Field]) -> Json {
    Json::Object(
        fields
            .iter()
            .map(|(key, value)| (key.clone(), Json::value(value)))
            .collect(),
    )
}

fn record_json(record: &Record) -> Json {
    let known = lookup(&record.name);
    let mut members = vec![
        ("name", Json::string(&record.name)),
        ("what", Json::string(known.map_or("", |known| known.what))),
    ];
    match &record.outcome {
        Outcome::Figures(fields) => {
            members.push(("status", Json::string("ok")));
            members.push(("fields", fields_json(fields)));
            if let Some(ns) = record.number("median_ns") {
                members.push(("per_op_us", Json::Number(ns / 1e3)));
            }
        }
        Outcome::Skipped(why) => {
            members.push(("status", Json::string("skipped")));
            members.push(("reason", Json::string(why)));
        }
        Outcome::Error(why) => {
            members.push(("status", Json::string("error")));
            members.push(("reason", Json::string(why)));
        }
    }
    if let Some(target) = known.and_then(|known| known.target) {
        members.push(("target", Json::string(&target.label())));
        members.push((
            "meets_target",
            target.met_by(record).map_or(Json::Null, Json::Bool),
        ));
    }
    object(members)
}

/// The whole run as JSON text.
pub fn json(
    results: &Results,
    boot: &Boot,
    image: &ImageSize,
    host: &Host,
    run: &RunInfo,
) -> String {
    let ms = |at: Option<Duration>| Json::optional(at.map(|at| at.as_secs_f64() * 1e3));
    let load = |load: Option<[f64; 3]>| {
        load.map_or(Json::Null, |values| {
            Json::Array(values.iter().map(|&value| Json::Number(value)).collect())
        })
    };
    let boot_ns = boot.user.map(|user| user.as_nanos() as f64);
    let document = object(vec![
        (
            "qemu",
            object(vec![
                ("command", Json::string(&run.command)),
                ("smp", Json::Number(f64::from(run.smp))),
                ("memory", Json::string(super::MEMORY)),
            ]),
        ),
        ("only", run.only.as_deref().map_or(Json::Null, Json::string)),
        (
            "host",
            object(vec![
                ("cpus", Json::Number(host.cpus as f64)),
                ("load_average_before", load(host.load_before)),
                ("load_average_after", load(host.load_after)),
            ]),
        ),
        (
            "kernel_image",
            object(vec![
                ("path", Json::string(&run.kernel)),
                ("loaded_bytes", Json::Number(image.total() as f64)),
                ("text_bytes", Json::Number(image.text as f64)),
                ("rodata_bytes", Json::Number(image.rodata as f64)),
                ("data_bss_bytes", Json::Number(image.data as f64)),
            ]),
        ),
        (
            "boot",
            object(vec![
                ("first_output_ms", ms(boot.first_output)),
                ("kernel_ms", ms(boot.kernel)),
                ("user_ms", ms(boot.user)),
                (
                    "guest_clock_ms",
                    Json::optional(boot.guest_clock_ns.map(|ns| ns as f64 / 1e6)),
                ),
                (
                    "target",
                    Json::string(&format!("≤ {}", time_label(BOOT_TARGET_NS))),
                ),
                (
                    "meets_target",
                    boot_ns.map_or(Json::Null, |ns| Json::Bool(ns <= BOOT_TARGET_NS)),
                ),
            ]),
        ),
        (
            "suite",
            object(vec![
                (
                    "start",
                    results.start.as_deref().map_or(Json::Null, fields_json),
                ),
                (
                    "done",
                    results.done.as_deref().map_or(Json::Null, fields_json),
                ),
            ]),
        ),
        (
            "results",
            Json::Array(results.records.iter().map(record_json).collect()),
        ),
    ]);
    let mut out = String::new();
    document.write(&mut out, 0);
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The record of benchmark `name`.
    fn get<'a>(results: &'a Results, name: &str) -> &'a Record {
        results
            .records
            .iter()
            .find(|record| record.name == name)
            .unwrap_or_else(|| panic!("no {name} record"))
    }

    const LOG: &str = "\
OpenSBI v1.1
[    0.077961] INFO  hart0: Lantern booting on hart 0
bench start clock_ns=199258700 smoke=0
bench mem_boot frames=4401 kb=17604 total_kb=247208 heap_kb=16416
bench null_syscall n=65536 runs=5 median_ns=1802 min_ns=1569 max_ns=1984
bench pipe_bw n=1 runs=3 median_ns=432925100 min_ns=423603400 max_ns=442697200 mb_s=147.8 chunk=65536
bench fork_exit n=256 runs=5 median_ns=468836 min_ns=427734 max_ns=699076
bench mmap_1m skipped: mmap is not supported yet (ENOSYS)
bench scale_speedup ratio=1.93 harts=2
bench done harts=2 failures=0
";

    #[test]
    fn lines_are_parsed_into_records() {
        let results = Results::parse(LOG.lines());
        assert_eq!(
            results.start,
            Some(vec![
                ("clock_ns".to_string(), "199258700".to_string()),
                ("smoke".to_string(), "0".to_string())
            ])
        );
        let names: Vec<&str> = results.records.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "mem_boot",
                "null_syscall",
                "pipe_bw",
                "fork_exit",
                "mmap_1m",
                "scale_speedup"
            ]
        );
        assert_eq!(
            get(&results, "mmap_1m").outcome,
            Outcome::Skipped("mmap is not supported yet (ENOSYS)".to_string())
        );
        assert_eq!(get(&results, "pipe_bw").number("mb_s"), Some(147.8));
        assert!(results.check().is_ok());
    }

    #[test]
    fn errors_and_a_missing_done_line_fail() {
        let results = Results::parse(
            "bench fork_exec error: child 7 killed by SIGSEGV\nbench seq_io error: ENOSPC\n"
                .lines(),
        );
        assert_eq!(
            results.check().unwrap_err(),
            "2 benchmark(s) failed: fork_exec, seq_io"
        );
        let results = Results::parse(["bench null_syscall n=1 median_ns=5"]);
        assert!(results.check().unwrap_err().contains("bench done"));
    }

    #[test]
    fn smp1_baseline_adds_its_time_and_speedup() {
        let mut results = Results::parse(
            "bench scale_all_harts n=1 runs=3 median_ns=200 workers=4 harts=2\n".lines(),
        );
        let baseline = Results::parse(
            "bench scale_1hart n=1 runs=3 median_ns=390 workers=4 harts=1\n".lines(),
        );
        results.add_smp1_baseline(&baseline);
        assert_eq!(get(&results, "scale_smp1").number("median_ns"), Some(390.0));
        assert_eq!(
            get(&results, "scale_speedup_smp1").field("ratio"),
            Some("1.95")
        );

        let mut results = Results::default();
        results.add_smp1_baseline(&Results::parse(["bench scale error: fork: EAGAIN"]));
        assert_eq!(
            get(&results, "scale_smp1").outcome,
            Outcome::Error("fork: EAGAIN".to_string())
        );
        assert!(results.check().is_err());
    }

    #[test]
    fn only_must_reach_the_suite() {
        let results = Results::parse(["bench start clock_ns=5 smoke=0 only=pipe_rtt"]);
        assert!(results.check_only("pipe_rtt").is_ok());
        assert!(results.check_only("fork_exit").is_err());
        let results = Results::parse(["bench start clock_ns=5 smoke=0"]);
        assert!(
            results
                .check_only("pipe_rtt")
                .unwrap_err()
                .contains("/etc/bench_args")
        );
        let results = Results::parse([
            "bench start clock_ns=5 smoke=0",
            "bench suite error: unknown benchmark \"x\"; benchmarks: a b",
        ]);
        assert_eq!(
            results.check_only("x").unwrap_err(),
            "the benchmark suite refused its arguments: unknown benchmark \"x\"; benchmarks: a b"
        );
    }

    #[test]
    fn done_line_is_recognised_exactly() {
        assert!(is_done_line("bench done"));
        assert!(is_done_line("bench done harts=2 failures=0\r"));
        assert!(!is_done_line("bench doner"));
        assert!(!is_done_line("test bench done"));
    }

    #[test]
    fn targets_are_judged_not_asserted() {
        let results = Results::parse(LOG.lines());
        let target = |name| lookup(name).unwrap().target.unwrap();
        assert_eq!(
            target("null_syscall").met_by(get(&results, "null_syscall")),
            Some(false)
        );
        assert_eq!(
            target("fork_exit").met_by(get(&results, "fork_exit")),
            Some(true)
        );
        assert_eq!(
            target("pipe_bw").met_by(get(&results, "pipe_bw")),
            Some(false)
        );
        assert_eq!(target("null_syscall").label(), "≤ 0.6 µs");
        assert_eq!(target("fork_exec").label(), "≤ 2 ms");
        assert_eq!(target("pipe_bw").label(), "≥ 150 MB/s");
        assert_eq!(format!("≤ {}", time_label(BOOT_TARGET_NS)), "≤ 0.5 s");
    }

    #[test]
    fn every_known_name_is_unique() {
        for (index, known) in KNOWN.iter().enumerate() {
            assert!(
                KNOWN[index + 1..]
                    .iter()
                    .all(|other| other.name != known.name),
                "{} twice",
                known.name
            );
        }
    }

    #[test]
    fn boot_milestones_come_from_stamped_lines() {
        let lines: Vec<Stamped> = LOG
            .lines()
            .enumerate()
            .map(|(index, line)| (Duration::from_millis(100 * index as u64), line.to_string()))
            .collect();
        let results = Results::parse(LOG.lines());
        let boot = Boot::from_lines(&lines, &results);
        assert_eq!(boot.first_output, Some(Duration::ZERO));
        assert_eq!(boot.kernel, Some(Duration::from_millis(100)));
        assert_eq!(boot.user, Some(Duration::from_millis(200)));
        assert_eq!(boot.guest_clock_ns, Some(199_258_700));
    }

    #[test]
    fn table_shows_times_rates_and_verdicts() {
        let results = Results::parse(LOG.lines());
        let boot = Boot {
            user: Some(Duration::from_millis(420)),
            ..Boot::default()
        };
        let image = ImageSize {
            text: 4096,
            rodata: 1024,
            data: 2048,
        };
        let table = table(&results, &boot, &image, 2, &Host::default());
        let line = |name: &str| {
            table
                .lines()
                .find(|line| line.starts_with(&format!("{name} ")))
                .unwrap_or_else(|| panic!("no {name} row in\n{table}"))
                .to_string()
        };
        assert!(line("null_syscall").contains("1.80 µs"), "{table}");
        assert!(line("null_syscall").contains("MISSES"), "{table}");
        assert!(line("pipe_bw").contains("147.8 MB/s"), "{table}");
        assert!(line("pipe_bw").contains("chunk=65536"), "{table}");
        assert!(line("fork_exit").contains("468.8 µs"), "{table}");
        assert!(line("fork_exit").contains("meets"), "{table}");
        assert!(
            line("mem_boot").contains("17604 KiB = 4401 frames"),
            "{table}"
        );
        assert!(line("mmap_1m").contains("skipped"), "{table}");
        assert!(
            line("mmap_1m").ends_with("mmap is not supported yet (ENOSYS)"),
            "{table}"
        );
        assert!(line("scale_speedup").contains("1.93x"), "{table}");
        assert!(line("boot").contains("420.0 ms"), "{table}");
        assert!(line("boot").contains("meets"), "{table}");
        assert!(line("kernel_image").contains("7 KiB"), "{table}");
    }

    #[test]
    fn times_are_formatted_for_their_size() {
        assert_eq!(format_time(450.0), "0.45 µs");
        assert_eq!(format_time(99_093.0), "99.1 µs");
        assert_eq!(format_time(26_215_280.0), "26.2 ms");
    }

    #[test]
    fn json_is_escaped_and_typed() {
        let mut out = String::new();
        object(vec![
            ("text", Json::string("a \"b\"\\\n\u{1}")),
            ("number", Json::value("147.8")),
            ("word", Json::value("ENOSPC")),
            ("none", Json::Null),
            ("list", Json::Array(vec![Json::Bool(true)])),
            ("empty", Json::Array(vec![])),
        ])
        .write(&mut out, 0);
        assert_eq!(
            out,
            "{\n  \"text\": \"a \\\"b\\\"\\\\\\n\\u0001\",\n  \"number\": 147.8,\n  \
             \"word\": \"ENOSPC\",\n  \"none\": null,\n  \"list\": [\n    true\n  ],\n  \
             \"empty\": []\n}"
        );
    }

    #[test]
    fn json_document_holds_every_result() {
        let results = Results::parse(LOG.lines());
        let text = json(
            &results,
            &Boot::default(),
            &ImageSize::default(),
            &Host::default(),
            &RunInfo {
                command: "qemu-system-riscv64 -smp 2".to_string(),
                smp: 2,
                only: None,
                kernel: "target/kernel".to_string(),
            },
        );
        assert!(text.contains("\"name\": \"null_syscall\""), "{text}");
        assert!(text.contains("\"median_ns\": 1802"), "{text}");
        assert!(text.contains("\"meets_target\": false"), "{text}");
        assert!(text.contains("\"status\": \"skipped\""), "{text}");
        assert!(text.contains("\"user_ms\": null"), "{text}");
    }

    /// A minimal ELF64 header followed by program headers of the given type, flags and
    /// memory size.
    fn elf(segments: &[(u32, u32, u64)]) -> Vec<u8> {
        let mut file = vec![0u8; 64];
        file[..6].copy_from_slice(b"\x7fELF\x02\x01");
        file[32..40].copy_from_slice(&64u64.to_le_bytes());
        file[54..56].copy_from_slice(&56u16.to_le_bytes());
        file[56..58].copy_from_slice(&(segments.len() as u16).to_le_bytes());
        for &(kind, flags, memsz) in segments {
            let mut header = [0u8; 56];
            header[..4].copy_from_slice(&kind.to_le_bytes());
            header[4..8].copy_from_slice(&flags.to_le_bytes());
            header[40..48].copy_from_slice(&memsz.to_le_bytes());
            file.extend_from_slice(&header);
        }
        file
    }

    #[test]
    fn image_size_sums_loadable_segments_by_permission() {
        let size = ImageSize::from_elf(&elf(&[
            (1, 4 | 1, 0x3000),
            (1, 4, 0x1000),
            (1, 4 | 2, 0x2500),
            (4, 4, 0x9999),
        ]))
        .unwrap();
        assert_eq!(
            size,
            ImageSize {
                text: 0x3000,
                rodata: 0x1000,
                data: 0x2500
            }
        );
        assert_eq!(size.total(), 0x6500);
    }

    #[test]
    fn bad_elf_files_are_refused() {
        assert!(ImageSize::from_elf(b"not an elf").is_err());
        let mut truncated = elf(&[(1, 5, 0x1000)]);
        truncated.truncate(80);
        assert!(ImageSize::from_elf(&truncated).is_err());
    }

    #[test]
    fn load_average_is_read_from_proc_text() {
        assert_eq!(
            parse_load_average("1.86 1.30 0.99 3/612 16771\n"),
            Some([1.86, 1.30, 0.99])
        );
        assert_eq!(parse_load_average("garbage"), None);
    }
}
