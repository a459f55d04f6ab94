//! The contiguous-allocation simulator (concept M9): processes placed whole into memory, as
//! before paging (RISC-V has no segments, so this lives only here).
//!
//! - Fixed partitions: memory is cut in advance; a process takes a whole free partition at
//!   least its size and wastes the rest of it: internal fragmentation.
//! - Variable partitions: a process takes just its size out of a free hole, which shrinks;
//!   a freed region merges with free neighbours. Free memory ends up in holes too small to
//!   use: external fragmentation, measured as 1 - largest hole / free memory.
//!
//! Which free hole (partition) a request takes is the fit: first (lowest address), best
//! (smallest that fits), worst (largest), or next (first from where the last placement
//! ended, wrapping round). A request that fits nowhere waits (it is reported and not
//! retried).
//!
//! Invariants: blocks tile memory in address order with no gaps; with variable partitions no
//! two free blocks are adjacent.

use std::fmt::Write;

/// How requests pick a free hole.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fit {
    First,
    Best,
    Worst,
    Next,
}

impl Fit {
    pub const ALL: [Fit; 4] = [Fit::First, Fit::Best, Fit::Worst, Fit::Next];

    pub fn name(self) -> &'static str {
        match self {
            Fit::First => "first",
            Fit::Best => "best",
            Fit::Worst => "worst",
            Fit::Next => "next",
        }
    }

    pub fn from_name(name: &str) -> Option<Fit> {
        Fit::ALL.into_iter().find(|fit| fit.name() == name)
    }
}

/// Fixed or variable partitions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    Fixed,
    Variable,
}

/// What occupies a block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Owner {
    Free,
    /// In use by something the simulation does not free (the OS, other programs).
    Reserved,
    /// A process of `size` units (less than the block with fixed partitions).
    Process {
        name: String,
        size: u64,
    },
}

/// A run of memory: a partition (fixed) or a hole or allocation (variable).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    pub start: u64,
    pub size: u64,
    pub owner: Owner,
}

impl Block {
    fn end(&self) -> u64 {
        self.start + self.size
    }

    fn is_free(&self) -> bool {
        self.owner == Owner::Free
    }
}

/// One step of a request sequence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// `NAME=SIZE`: process NAME asks for SIZE units.
    Allocate { name: String, size: u64 },
    /// `-NAME`: process NAME leaves.
    Free { name: String },
}

/// Parses `A=212, B=417, -A, ...` (commas and/or spaces between steps).
pub fn parse_requests(spec: &str) -> Result<Vec<Request>, String> {
    let requests: Vec<Request> = spec
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|token| !token.is_empty())
        .map(|token| {
            if let Some(name) = token.strip_prefix('-') {
                return Ok(Request::Free {
                    name: checked_name(name, token)?,
                });
            }
            let (name, size) = token
                .split_once('=')
                .ok_or_else(|| format!("{token:?} is neither NAME=SIZE nor -NAME"))?;
            Ok(Request::Allocate {
                name: checked_name(name, token)?,
                size: positive(size)?,
            })
        })
        .collect::<Result<_, String>>()?;
    if requests.is_empty() {
        return Err("the request sequence is empty".into());
    }
    Ok(requests)
}

fn checked_name(name: &str, token: &str) -> Result<String, String> {
    match name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && !name.is_empty() {
        true => Ok(name.to_string()),
        false => Err(format!("{token:?}: a name is letters, digits and _")),
    }
}

fn positive(text: &str) -> Result<u64, String> {
    match text.parse() {
        Ok(0) | Err(_) => Err(format!("{text:?} is not a positive whole number")),
        Ok(size) => Ok(size),
    }
}

/// Parses a memory layout, in address order: `N` is a free hole (a free partition) of N
/// units, `*N` N units in use by something else; e.g. `100,*20,500`.
pub fn parse_layout(spec: &str) -> Result<Vec<Block>, String> {
    let mut blocks = Vec::new();
    let mut start = 0;
    for token in spec
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|token| !token.is_empty())
    {
        let (owner, size) = match token.strip_prefix('*') {
            Some(size) => (Owner::Reserved, positive(size)?),
            None => (Owner::Free, positive(token)?),
        };
        blocks.push(Block { start, size, owner });
        start += size;
    }
    if blocks.is_empty() {
        return Err("the layout is empty".into());
    }
    Ok(blocks)
}

/// What a step did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// Placed at `start` in a free block of `hole` units.
    Placed { start: u64, hole: u64 },
    /// Fits nowhere: it waits.
    Waits,
    /// Its memory, `start` and `size`, is free again.
    Freed { start: u64, size: u64 },
    /// Not done: the reason (an unknown name, a name already in memory).
    Refused(String),
}

/// Free memory at a moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fragmentation {
    /// Free units in all.
    pub free: u64,
    /// Free holes (free partitions).
    pub holes: usize,
    pub largest: u64,
    /// Units inside partitions that their processes do not use (fixed partitions).
    pub internal: u64,
}

impl Fragmentation {
    /// External fragmentation: the share of free memory outside the largest hole, in
    /// percent (0 with no free memory).
    pub fn external_percent(&self) -> f64 {
        match self.free {
            0 => 0.0,
            free => 100.0 * (free - self.largest) as f64 / free as f64,
        }
    }
}

/// Memory being handed out to processes.
#[derive(Clone, Debug)]
pub struct Memory {
    pub scheme: Scheme,
    pub fit: Fit,
    blocks: Vec<Block>,
    /// Next fit: where the last placement ended.
    cursor: u64,
}

impl Memory {
    /// Memory laid out as `layout` (from [`parse_layout`]).
    pub fn new(scheme: Scheme, fit: Fit, layout: Vec<Block>) -> Memory {
        Memory {
            scheme,
            fit,
            blocks: layout,
            cursor: 0,
        }
    }

    pub fn blocks(&self) -> &[Block] {
        &self.blocks
    }

    fn find(&self, name: &str) -> Option<usize> {
        self.blocks
            .iter()
            .position(|b| matches!(&b.owner, Owner::Process { name: n, .. } if n == name))
    }

    /// The free block `size` units go into, by the fit.
    fn choose(&self, size: u64) -> Option<usize> {
        let mut fitting = self
            .blocks
            .iter()
            .enumerate()
            .filter(|(_, b)| b.is_free() && b.size >= size);
        match self.fit {
            Fit::First => fitting.next(),
            Fit::Best => fitting.min_by_key(|(_, b)| b.size),
            Fit::Worst => fitting.min_by_key(|(_, b)| std::cmp::Reverse(b.size)),
            Fit::Next => {
                let fitting: Vec<_> = fitting.collect();
                let from_cursor = fitting.iter().find(|(_, b)| b.end() > self.cursor);
                from_cursor.or(fitting.first()).copied()
            }
        }
        .map(|(index, _)| index)
    }

    /// Carries out one request.
    pub fn apply(&mut self, request: &Request) -> Event {
        match request {
            Request::Allocate { name, size } => {
                if self.find(name).is_some() {
                    return Event::Refused(format!("{name} is already in memory"));
                }
                let Some(index) = self.choose(*size) else {
                    return Event::Waits;
                };
                let hole = self.blocks[index].size;
                let start = self.blocks[index].start;
                self.blocks[index].owner = Owner::Process {
                    name: name.clone(),
                    size: *size,
                };
                if self.scheme == Scheme::Variable && hole > *size {
                    self.blocks[index].size = *size;
                    self.blocks.insert(
                        index + 1,
                        Block {
                            start: start + size,
                            size: hole - size,
                            owner: Owner::Free,
                        },
                    );
                }
                self.cursor = self.blocks[index].end();
                Event::Placed { start, hole }
            }
            Request::Free { name } => {
                let Some(index) = self.find(name) else {
                    return Event::Refused(format!("no process {name} in memory"));
                };
                let (start, size) = (self.blocks[index].start, self.blocks[index].size);
                self.blocks[index].owner = Owner::Free;
                if self.scheme == Scheme::Variable {
                    self.merge(index);
                }
                Event::Freed { start, size }
            }
        }
    }

    /// Merges the free block at `index` with free neighbours.
    fn merge(&mut self, mut index: usize) {
        if index + 1 < self.blocks.len() && self.blocks[index + 1].is_free() {
            self.blocks[index].size += self.blocks.remove(index + 1).size;
        }
        if index > 0 && self.blocks[index - 1].is_free() {
            index -= 1;
            self.blocks[index].size += self.blocks.remove(index + 1).size;
        }
    }

    pub fn fragmentation(&self) -> Fragmentation {
        let free = self.blocks.iter().filter(|b| b.is_free());
        Fragmentation {
            free: free.clone().map(|b| b.size).sum(),
            holes: free.clone().count(),
            largest: free.map(|b| b.size).max().unwrap_or(0),
            internal: self
                .blocks
                .iter()
                .map(|b| match b.owner {
                    Owner::Process { size, .. } => b.size - size,
                    _ => 0,
                })
                .sum(),
        }
    }

    /// A bar of about `width` characters, a character per `total / width` units, each
    /// block at least one: a process by its name's first character, `.` free, `#` in use
    /// by others; with fixed partitions `|` between partitions (a process's unused part
    /// as `_`).
    pub fn bar(&self, width: usize) -> String {
        let total: u64 = self.blocks.iter().map(|b| b.size).sum();
        let mut bar = String::from("|");
        for block in &self.blocks {
            let columns = |units: u64| ((units * width as u64 + total / 2) / total).max(1) as usize;
            match &block.owner {
                Owner::Free => bar.push_str(&".".repeat(columns(block.size))),
                Owner::Reserved => bar.push_str(&"#".repeat(columns(block.size))),
                Owner::Process { name, size } => {
                    let symbol = name.chars().next().unwrap_or('?').to_string();
                    bar.push_str(&symbol.repeat(columns(*size)));
                    if *size < block.size {
                        bar.push_str(&"_".repeat(columns(block.size - size)));
                    }
                }
            }
            if self.scheme == Scheme::Fixed {
                bar.push('|');
            }
        }
        if self.scheme == Scheme::Variable {
            bar.push('|');
        }
        bar
    }

    /// Each block: `[start, end) owner size`.
    pub fn map(&self) -> Vec<String> {
        self.blocks
            .iter()
            .map(|b| {
                let what = match &b.owner {
                    Owner::Free => format!("free {}", b.size),
                    Owner::Reserved => format!("in use {}", b.size),
                    Owner::Process { name, size } if *size < b.size => {
                        format!("{name} {size} of {} ({} unused)", b.size, b.size - size)
                    }
                    Owner::Process { name, size } => format!("{name} {size}"),
                };
                format!("[{}, {}) {what}", b.start, b.end())
            })
            .collect()
    }

    /// The bar (`width` columns) and the map, blocks separated by `|`, on lines of at most
    /// about 100 characters; each line indented by two spaces.
    pub fn picture(&self, width: usize) -> String {
        let mut text = format!("  {}\n", self.bar(width));
        let mut line = String::new();
        for block in self.map() {
            if !line.is_empty() && line.len() + block.len() + 3 > 98 {
                let _ = writeln!(text, "  {line} |");
                line.clear();
            }
            if !line.is_empty() {
                line.push_str(" | ");
            }
            line.push_str(&block);
        }
        let _ = writeln!(text, "  {line}");
        text
    }
}

/// One step of a run, with memory after it.
#[derive(Clone, Debug)]
pub struct Step {
    pub request: Request,
    pub event: Event,
    pub memory: Memory,
}

/// Runs `requests` on `memory`, step by step.
pub fn simulate(mut memory: Memory, requests: &[Request]) -> Vec<Step> {
    requests
        .iter()
        .map(|request| Step {
            request: request.clone(),
            event: memory.apply(request),
            memory: memory.clone(),
        })
        .collect()
}

fn fragmentation_line(memory: &Memory) -> String {
    let f = memory.fragmentation();
    let mut line = format!(
        "free {} in {} {}, largest {}: external fragmentation {:.1}%",
        f.free,
        f.holes,
        match (memory.scheme, f.holes) {
            (Scheme::Fixed, 1) => "partition",
            (Scheme::Fixed, _) => "partitions",
            (Scheme::Variable, 1) => "hole",
            (Scheme::Variable, _) => "holes",
        },
        f.largest,
        f.external_percent()
    );
    if memory.scheme == Scheme::Fixed {
        let _ = write!(line, "; internal fragmentation {}", f.internal);
    }
    line
}

/// Each step: the request, where it went (or why not), the memory map as a bar and as a
/// list, and the fragmentation; `width` is the bar's width.
pub fn report(steps: &[Step], width: usize) -> String {
    let mut text = String::new();
    for step in steps {
        let after = &step.memory;
        let what = match (&step.request, &step.event) {
            (Request::Allocate { name, size }, Event::Placed { start, hole }) => format!(
                "{name}={size}: {} fit takes the {} of {hole} at {start}: {name} at [{start}, {})",
                after.fit.name(),
                match after.scheme {
                    Scheme::Fixed => "partition",
                    Scheme::Variable => "hole",
                },
                start + size
            ),
            (Request::Allocate { name, size }, Event::Waits) => {
                let f = after.fragmentation();
                let why = if f.free >= *size {
                    format!("{} free, but the largest is {}", f.free, f.largest)
                } else {
                    format!("only {} free", f.free)
                };
                format!("{name}={size}: nothing fits ({why}): {name} must wait")
            }
            (Request::Free { name }, Event::Freed { start, size }) => {
                format!("-{name}: frees [{start}, {})", start + size)
            }
            (Request::Allocate { name, size }, Event::Refused(why)) => {
                format!("{name}={size}: refused: {why}")
            }
            (Request::Free { name }, Event::Refused(why)) => format!("-{name}: refused: {why}"),
            (request, event) => format!("{request:?}: {event:?}"),
        };
        let _ = writeln!(text, "{what}");
        text.push_str(&after.picture(width));
        let _ = writeln!(text, "  {}", fragmentation_line(after));
    }
    text
}

/// A row per fit: placed and waiting requests and the fragmentation at the end.
pub fn comparison(runs: &[(Fit, Vec<Step>)]) -> String {
    let mut text = "fit    placed  waiting  free  largest  internal  external\n".to_string();
    for (fit, steps) in runs {
        let count = |wanted: fn(&Event) -> bool| steps.iter().filter(|s| wanted(&s.event)).count();
        let placed = count(|e| matches!(e, Event::Placed { .. }));
        let waiting = count(|e| matches!(e, Event::Waits));
        let end = steps.last().map(|s| s.memory.fragmentation());
        let Some(f) = end else { continue };
        let _ = writeln!(
            text,
            "{:<6}{placed:>7}{waiting:>9}{:>6}{:>9}{:>10}{:>9.1}%",
            fit.name(),
            f.free,
            f.largest,
            f.internal,
            f.external_percent()
        );
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Silberschatz's exercise: holes of 100, 500, 200, 300 and 600 KB in this order; the
    /// processes need 212, 417, 112 and 426 KB.
    const HOLES: &str = "100,*10,500,*10,200,*10,300,*10,600";
    const REQUESTS: &str = "A=212,B=417,C=112,D=426";

    /// Where each process went: the size of the hole (partition) it took, or 0: waits.
    fn placements(scheme: Scheme, fit: Fit, layout: &str) -> Vec<u64> {
        let memory = Memory::new(scheme, fit, parse_layout(layout).unwrap());
        simulate(memory, &parse_requests(REQUESTS).unwrap())
            .iter()
            .map(|step| match step.event {
                Event::Placed { hole, .. } => hole,
                _ => 0,
            })
            .collect()
    }

    #[test]
    fn variable_partitions_place_the_textbook_requests() {
        // First fit: 212 in 500, 417 in 600, 112 in the 288 left of 500, 426 waits.
        // Best fit: 300, 500, 200, 600. Worst fit: 600, 500, then 112 in the 388 left of
        // 600, 426 waits. Next fit: 500, then on from there 600, then the 183 left of it.
        let place = |fit| placements(Scheme::Variable, fit, HOLES);
        assert_eq!(place(Fit::First), [500, 600, 288, 0]);
        assert_eq!(place(Fit::Best), [300, 500, 200, 600]);
        assert_eq!(place(Fit::Worst), [600, 500, 388, 0]);
        assert_eq!(place(Fit::Next), [500, 600, 183, 0]);
    }

    #[test]
    fn fixed_partitions_place_them_whole_and_waste_the_rest() {
        let place = |fit| placements(Scheme::Fixed, fit, "100,500,200,300,600");
        assert_eq!(place(Fit::First), [500, 600, 200, 0]);
        assert_eq!(place(Fit::Best), [300, 500, 200, 600]);
        assert_eq!(place(Fit::Worst), [600, 500, 300, 0]);
        assert_eq!(place(Fit::Next), [500, 600, 200, 0]);
        // The seed notes: fixed partitions waste space inside them (internal
        // fragmentation). Best fit: (300-212) + (500-417) + (200-112) + (600-426).
        let memory = Memory::new(
            Scheme::Fixed,
            Fit::Best,
            parse_layout("100,500,200,300,600").unwrap(),
        );
        let steps = simulate(memory, &parse_requests(REQUESTS).unwrap());
        let end = steps.last().unwrap().memory.fragmentation();
        assert_eq!((end.internal, end.free, end.holes), (433, 100, 1));
    }

    #[test]
    fn variable_partitions_leave_holes_too_small_to_use() {
        // The seed notes: variable partitions fragment free memory outside (external
        // fragmentation). Worst fit leaves 100 + 83 + 200 + 300 + 276 = 959 free, but 426
        // fits in no hole: the largest is 300.
        let memory = Memory::new(Scheme::Variable, Fit::Worst, parse_layout(HOLES).unwrap());
        let steps = simulate(memory, &parse_requests(REQUESTS).unwrap());
        let last = steps.last().unwrap();
        assert_eq!(last.event, Event::Waits);
        let f = last.memory.fragmentation();
        assert_eq!((f.free, f.holes, f.largest, f.internal), (959, 5, 300, 0));
        assert!((f.external_percent() - 68.7).abs() < 0.05);
        let text = report(&steps[3..], 40);
        assert!(
            text.starts_with(
                "D=426: nothing fits (959 free, but the largest is 300): D must wait\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn freed_memory_merges_with_free_neighbours() {
        let memory = Memory::new(Scheme::Variable, Fit::First, parse_layout("1000").unwrap());
        let requests = parse_requests("A=100 B=200 C=300 -B -A -C X=5 -Z").unwrap();
        let steps = simulate(memory, &requests);
        let maps: Vec<String> = steps.iter().map(|s| s.memory.map().join(" | ")).collect();
        assert_eq!(
            maps[2],
            "[0, 100) A 100 | [100, 300) B 200 | [300, 600) C 300 | [600, 1000) free 400"
        );
        assert_eq!(
            maps[3],
            "[0, 100) A 100 | [100, 300) free 200 | [300, 600) C 300 | [600, 1000) free 400"
        );
        assert_eq!(
            maps[4],
            "[0, 300) free 300 | [300, 600) C 300 | [600, 1000) free 400"
        );
        assert_eq!(maps[5], "[0, 1000) free 1000");
        assert_eq!(
            steps[7].event,
            Event::Refused("no process Z in memory".into())
        );
        assert_eq!(steps[2].memory.bar(10), "|ABBCCC....|");
    }

    #[test]
    fn fixed_partitions_show_unused_space() {
        let memory = Memory::new(
            Scheme::Fixed,
            Fit::First,
            parse_layout("*100,400,500").unwrap(),
        );
        let steps = simulate(memory, &parse_requests("A=300").unwrap());
        assert_eq!(
            steps[0].memory.map(),
            [
                "[0, 100) in use 100",
                "[100, 500) A 300 of 400 (100 unused)",
                "[500, 1000) free 500"
            ]
        );
        assert_eq!(steps[0].memory.bar(10), "|#|AAA_|.....|");
        let text = report(&steps, 10);
        assert!(
            text.contains("A=300: first fit takes the partition of 400 at 100: A at [100, 400)"),
            "{text}"
        );
        assert!(text.contains("internal fragmentation 100"), "{text}");
    }

    #[test]
    fn long_maps_wrap() {
        let memory = Memory::new(Scheme::Variable, Fit::First, parse_layout(HOLES).unwrap());
        let picture = memory.picture(20);
        let lines: Vec<&str> = picture.lines().collect();
        assert_eq!(lines[0], "  |.#......#..#...#.......|");
        assert_eq!(
            lines[1],
            "  [0, 100) free 100 | [100, 110) in use 10 | [110, 610) free 500 | [610, 620) in use 10 |"
        );
        assert!(lines.iter().all(|line| line.len() <= 102), "{picture}");
        assert_eq!(lines.len(), 4);
    }

    #[test]
    fn bad_specs_are_refused() {
        assert!(parse_requests("A=0").is_err());
        assert!(parse_requests("A:3").is_err());
        assert!(parse_requests("-").is_err());
        assert!(parse_layout("100,*x").is_err());
        assert_eq!(Fit::from_name("worst"), Some(Fit::Worst));
    }
}
