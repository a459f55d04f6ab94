//! The address-translation simulator (concept M2): a multi-level page-table walk, step by
//! step, as the MMU does it (RISC-V privileged spec, "Virtual Address Translation Process").
//!
//! A virtual address splits into `levels` virtual page number fields of `index_bits` bits
//! and a `page_bits`-bit offset:
//!
//! ```text
//! Sv39:  | 63..39 copies of bit 38 | VPN[2] 38..30 | VPN[1] 29..21 | VPN[0] 20..12 | offset 11..0 |
//! ```
//!
//! The walk starts at the root table (`satp`); at level i the entry is at table +
//! `VPN[i]` x entry size. An entry that is not valid is a page fault; one with R, W or X set
//! is a leaf — a page, or at a level above 0 a superpage (2 MiB, 1 GiB in Sv39), whose
//! physical address must be aligned to its size — and any other points to the next table.
//! The leaf's permissions are checked against the access (read, write, execute; user or
//! supervisor), and the physical address is the page's address plus the offset (for a
//! superpage, plus the VPN fields below its level too).
//!
//! Schemes: Sv32 (2 x 10 bits, 4-byte entries), Sv39 (3 x 9), Sv48 (4 x 9), or any shape.
//! Page tables come from a small text format or a built-in demo ([`PageTables::demo`]).

use std::collections::BTreeMap;
use std::fmt::Write;

/// Parses an address or a size: decimal, or hex with `0x`; `_` may group digits.
pub fn parse_address(text: &str) -> Result<u64, String> {
    let digits = text.replace('_', "");
    let parsed = match digits.strip_prefix("0x").or(digits.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => digits.parse(),
    };
    parsed.map_err(|_| format!("{text:?} is not an address (decimal, or hex with 0x)"))
}

/// `16 bytes`, `4 KiB`, `2 MiB`, `1 GiB`.
pub fn byte_size(count: u64) -> String {
    const UNITS: [(u32, &str); 4] = [(40, "TiB"), (30, "GiB"), (20, "MiB"), (10, "KiB")];
    for (shift, unit) in UNITS {
        if count >= 1 << shift && count.is_multiple_of(1 << shift) {
            return format!("{} {unit}", count >> shift);
        }
    }
    match count {
        1 => "1 byte".to_string(),
        n => format!("{n} bytes"),
    }
}

/// The shape of a paging scheme.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scheme {
    pub name: String,
    pub levels: u32,
    /// Bits of each level's index (VPN field): tables have 2^index_bits entries.
    pub index_bits: u32,
    /// Bits of the page offset: pages are 2^page_bits bytes.
    pub page_bits: u32,
    /// Bytes per page-table entry.
    pub pte_bytes: u64,
    /// Whether the bits above the virtual address must copy its top bit (Sv39, Sv48); if
    /// not, they must be 0.
    pub sign_extended: bool,
}

impl Scheme {
    /// `sv32`, `sv39` or `sv48`.
    pub fn by_name(name: &str) -> Option<Scheme> {
        let (levels, index_bits, pte_bytes, sign_extended) = match name {
            "sv32" => (2, 10, 4, false),
            "sv39" => (3, 9, 8, true),
            "sv48" => (4, 9, 8, true),
            _ => return None,
        };
        Some(Scheme {
            name: format!("Sv{}", &name[2..]),
            levels,
            index_bits,
            page_bits: 12,
            pte_bytes,
            sign_extended,
        })
    }

    /// Another shape (not sign-extended): checks that it makes sense.
    pub fn custom(
        levels: u32,
        index_bits: u32,
        page_bits: u32,
        pte_bytes: u64,
    ) -> Result<Scheme, String> {
        if !(1..=6).contains(&levels) || !(1..=24).contains(&index_bits) {
            return Err("levels must be 1..=6 and index bits 1..=24".into());
        }
        if !(4..=30).contains(&page_bits) || !pte_bytes.is_power_of_two() || pte_bytes > 16 {
            return Err("page bits must be 4..=30 and entries 1, 2, 4, 8 or 16 bytes".into());
        }
        if levels * index_bits + page_bits > 63 {
            return Err("virtual addresses of more than 63 bits are not supported".into());
        }
        Ok(Scheme {
            name: format!("{levels}-level"),
            levels,
            index_bits,
            page_bits,
            pte_bytes,
            sign_extended: false,
        })
    }

    /// Bits of a virtual address that translation uses.
    pub fn va_bits(&self) -> u32 {
        self.levels * self.index_bits + self.page_bits
    }

    pub fn page_size(&self) -> u64 {
        1 << self.page_bits
    }

    fn entries(&self) -> u64 {
        1 << self.index_bits
    }

    /// Bytes of one table: entries x entry size, at least a page.
    fn table_bytes(&self) -> u64 {
        (self.entries() * self.pte_bytes).max(self.page_size())
    }

    /// Lowest bit of `VPN[level]`.
    fn low_bit(&self, level: u32) -> u32 {
        self.page_bits + level * self.index_bits
    }

    /// `VPN[level]` of `va`.
    pub fn vpn(&self, va: u64, level: u32) -> u64 {
        (va >> self.low_bit(level)) & (self.entries() - 1)
    }

    /// An index as the report prints it: decimal, or hex for tables of more than 1024
    /// entries.
    fn index_label(&self, index: u64) -> String {
        match self.index_bits {
            0..=10 => index.to_string(),
            _ => format!("{index:#x}"),
        }
    }

    /// Bytes mapped by a leaf at `level`: a page at 0, a superpage above.
    pub fn leaf_size(&self, level: u32) -> u64 {
        1 << self.low_bit(level)
    }

    /// `Sv39: 3 levels x 9 bits + 12-bit offset = 39-bit virtual addresses, 512 8-byte
    /// entries per table`.
    pub fn describe(&self) -> String {
        format!(
            "{}: {} level{} x {} bits + {}-bit offset = {}-bit virtual addresses, {} {}-byte entries per table",
            self.name,
            self.levels,
            if self.levels == 1 { "" } else { "s" },
            self.index_bits,
            self.page_bits,
            self.va_bits(),
            self.entries(),
            self.pte_bytes
        )
    }

    /// `va` with its top bits as the scheme wants them (copies of bit va_bits - 1, or 0).
    fn canonical(&self, va: u64) -> u64 {
        let low = va & ((1 << self.va_bits()) - 1);
        let top_bit = 1 << (self.va_bits() - 1);
        match self.sign_extended && low & top_bit != 0 {
            true => low | !((1 << self.va_bits()) - 1),
            false => low,
        }
    }
}

/// Entry flag bits, as RISC-V lays them out (bit 0 is V).
pub mod flags {
    pub const V: u8 = 1 << 0;
    pub const R: u8 = 1 << 1;
    pub const W: u8 = 1 << 2;
    pub const X: u8 = 1 << 3;
    pub const U: u8 = 1 << 4;
    pub const G: u8 = 1 << 5;
    pub const A: u8 = 1 << 6;
    pub const D: u8 = 1 << 7;
    /// Their letters, bit 0 first.
    pub const LETTERS: &str = "vrwxugad";
}

/// A valid page-table entry: where it points and its flags (V included).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pte {
    /// The next table, or the (super)page, as a physical address.
    pub target: u64,
    pub flags: u8,
}

impl Pte {
    /// R, W or X set: it maps memory rather than pointing to a table.
    pub fn is_leaf(&self) -> bool {
        self.flags & (flags::R | flags::W | flags::X) != 0
    }

    /// The entry as the hardware reads it: PPN (target / 4 KiB) from bit 10, flags below.
    pub fn raw(&self) -> u64 {
        (self.target >> 12) << 10 | u64::from(self.flags)
    }

    /// `vr-xu---`.
    pub fn flag_letters(&self) -> String {
        flags::LETTERS
            .chars()
            .enumerate()
            .map(|(bit, letter)| match self.flags & (1 << bit) {
                0 => '-',
                _ => letter,
            })
            .collect()
    }
}

/// Page tables: the root's physical address and every valid entry, by table and index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageTables {
    pub root: u64,
    pub entries: BTreeMap<(u64, u64), Pte>,
}

/// Where the demo puts its page tables, and its pages.
const DEMO_TABLES: u64 = 0x8100_0000;
const DEMO_PAGES: u64 = 0x8200_0000;
/// Where the demo kernel sits in physical memory (QEMU virt's RAM starts here).
const DEMO_KERNEL: u64 = 0x8000_0000;

impl PageTables {
    /// Parses the text format, one entry per line (`#` starts a comment):
    ///
    /// ```text
    /// root 0x81000000
    /// 0x81000000[0] -> 0x81001000           a pointer to the next table (no r, w or x)
    /// 0x81001000[16] -> 0x82000000 rxu      a leaf: flags from r w x u g a d
    /// ```
    pub fn parse(text: &str, scheme: &Scheme) -> Result<PageTables, String> {
        let mut root = None;
        let mut entries = BTreeMap::new();
        for (number, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or_default().trim();
            if line.is_empty() {
                continue;
            }
            let fail = |why: String| format!("line {}: {why}", number + 1);
            if let Some(address) = line.strip_prefix("root") {
                let address = parse_address(address.trim()).map_err(fail)?;
                check_aligned(address, scheme.table_bytes(), "a table").map_err(fail)?;
                root = Some(address);
                continue;
            }
            let (slot, entry) = line.split_once("->").ok_or_else(|| {
                fail(format!(
                    "{line:?} is neither `root ADDR` nor `TABLE[INDEX] -> ADDR FLAGS`"
                ))
            })?;
            let (table, index) = slot
                .trim()
                .strip_suffix(']')
                .and_then(|slot| slot.split_once('['))
                .ok_or_else(|| fail(format!("{:?} is not TABLE[INDEX]", slot.trim())))?;
            let table = parse_address(table).map_err(fail)?;
            check_aligned(table, scheme.table_bytes(), "a table").map_err(fail)?;
            let index = parse_address(index).map_err(fail)?;
            if index >= scheme.entries() {
                return Err(fail(format!(
                    "index {index} is past the table's {} entries",
                    scheme.entries()
                )));
            }
            let mut words = entry.split_whitespace();
            let target = parse_address(words.next().unwrap_or_default()).map_err(fail)?;
            check_aligned(target, scheme.page_size(), "a page or table").map_err(fail)?;
            let mut bits = flags::V;
            for letter in words.flat_map(str::chars).filter(|&c| c != '-') {
                let bit = flags::LETTERS[1..]
                    .find(letter.to_ascii_lowercase())
                    .ok_or_else(|| fail(format!("flag {letter:?} is not one of r w x u g a d")))?;
                bits |= 1 << (bit + 1);
            }
            entries.insert(
                (table, index),
                Pte {
                    target,
                    flags: bits,
                },
            );
        }
        let root = root.ok_or("no `root ADDR` line")?;
        Ok(PageTables { root, entries })
    }

    /// The tables in the text format [`PageTables::parse`] reads.
    pub fn to_text(&self) -> String {
        let mut text = format!("root {:#x}\n", self.root);
        for (&(table, index), pte) in &self.entries {
            let letters: String = pte
                .flag_letters()
                .chars()
                .skip(1)
                .filter(|&c| c != '-')
                .collect();
            let line = format!("{table:#x}[{index}] -> {:#x} {letters}", pte.target);
            let _ = writeln!(text, "{}", line.trim_end());
        }
        text
    }

    /// A small address space for `scheme`: user code at 0x10000 (r-x) and data at 0x11000
    /// (rw-); a stack page just below 2^(va bits - 1), with no page under it (a guard);
    /// and a kernel superpage (supervisor only, rwx, global) two superpages into the upper
    /// half, mapping physical 0x80000000 — in Sv39 the 1 GiB page at 0xffffffc080000000,
    /// where Lantern's kernel runs. Tables are at 0x81000000 on, pages at 0x82000000.
    pub fn demo(scheme: &Scheme) -> PageTables {
        let mut tables = PageTables {
            root: DEMO_TABLES,
            entries: BTreeMap::new(),
        };
        let mut next_table = DEMO_TABLES;
        let mut allocate = || {
            next_table += scheme.table_bytes();
            next_table
        };
        let page = scheme.page_size();
        let user_top = 1u64 << (scheme.va_bits() - 1);
        let user = flags::V | flags::U | flags::A;
        let mappings = [
            (0x1_0000, DEMO_PAGES, user | flags::R | flags::X),
            (
                0x1_1000,
                DEMO_PAGES + page,
                user | flags::R | flags::W | flags::D,
            ),
            (
                user_top - page,
                DEMO_PAGES + 2 * page,
                user | flags::R | flags::W | flags::D,
            ),
        ];
        for (va, pa, bits) in mappings {
            tables.map(scheme, va, pa, bits, 0, &mut allocate);
        }
        let mut level = scheme.levels.saturating_sub(1).min(2);
        while level > 0 && scheme.leaf_size(level) > DEMO_KERNEL {
            level -= 1;
        }
        let kernel_va = scheme.canonical(user_top) + 2 * scheme.leaf_size(level);
        let kernel = flags::V | flags::R | flags::W | flags::X | flags::G | flags::A | flags::D;
        tables.map(scheme, kernel_va, DEMO_KERNEL, kernel, level, &mut allocate);
        tables
    }

    /// Maps `va` to `pa` with a leaf at `level`, making the tables on the way.
    fn map(
        &mut self,
        scheme: &Scheme,
        va: u64,
        pa: u64,
        bits: u8,
        level: u32,
        allocate: &mut dyn FnMut() -> u64,
    ) {
        let mut table = self.root;
        for upper in (level + 1..scheme.levels).rev() {
            let slot = (table, scheme.vpn(va, upper));
            table = match self.entries.get(&slot) {
                Some(pte) => pte.target,
                None => {
                    let next = allocate();
                    let pointer = Pte {
                        target: next,
                        flags: flags::V,
                    };
                    self.entries.insert(slot, pointer);
                    next
                }
            };
        }
        let leaf = Pte {
            target: pa,
            flags: bits,
        };
        self.entries.insert((table, scheme.vpn(va, level)), leaf);
    }
}

fn check_aligned(address: u64, alignment: u64, what: &str) -> Result<(), String> {
    match address.is_multiple_of(alignment) {
        true => Ok(()),
        false => Err(format!(
            "{address:#x} is not aligned to {} as {what} must be",
            byte_size(alignment)
        )),
    }
}

/// What the access does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
    Execute,
}

impl Access {
    pub fn from_name(name: &str) -> Option<Access> {
        match name {
            "read" | "r" => Some(Access::Read),
            "write" | "w" => Some(Access::Write),
            "exec" | "x" => Some(Access::Execute),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Write => "write",
            Access::Execute => "execute",
        }
    }

    /// The flag the leaf needs.
    fn flag(self) -> u8 {
        match self {
            Access::Read => flags::R,
            Access::Write => flags::W,
            Access::Execute => flags::X,
        }
    }

    /// The exception a failed translation raises, with its `scause` code.
    fn fault(self) -> &'static str {
        match self {
            Access::Read => "load page fault (scause 13)",
            Access::Write => "store/AMO page fault (scause 15)",
            Access::Execute => "instruction page fault (scause 12)",
        }
    }
}

/// One level of a walk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    pub level: u32,
    pub table: u64,
    pub index: u64,
    /// table + index x entry size.
    pub entry_address: u64,
    /// The entry, if valid.
    pub pte: Option<Pte>,
}

/// A whole walk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Walk {
    pub va: u64,
    pub access: Access,
    pub user: bool,
    pub steps: Vec<Step>,
    /// The physical address, or why the walk faulted.
    pub result: Result<u64, String>,
}

/// Translates `va` for `access` from user mode (`user`) or supervisor mode, as the MMU
/// would.
pub fn translate(
    scheme: &Scheme,
    tables: &PageTables,
    va: u64,
    access: Access,
    user: bool,
) -> Walk {
    let mut walk = Walk {
        va,
        access,
        user,
        steps: Vec::new(),
        result: Err(String::new()),
    };
    walk.result = walk_tables(scheme, tables, &mut walk);
    walk
}

fn walk_tables(scheme: &Scheme, tables: &PageTables, walk: &mut Walk) -> Result<u64, String> {
    let va = walk.va;
    if scheme.canonical(va) != va {
        let top = scheme.va_bits() - 1;
        return Err(match scheme.sign_extended {
            true => format!("bits 63..{} must all equal bit {top}", top + 1),
            false => format!("bits 63..{} must be 0", top + 1),
        });
    }
    let mut table = tables.root;
    for level in (0..scheme.levels).rev() {
        let index = scheme.vpn(va, level);
        let pte = tables.entries.get(&(table, index)).copied();
        walk.steps.push(Step {
            level,
            table,
            index,
            entry_address: table + index * scheme.pte_bytes,
            pte,
        });
        let Some(pte) = pte else {
            return Err(format!("the level-{level} entry is not valid (V = 0)"));
        };
        if !pte.is_leaf() {
            if level == 0 {
                return Err("the last level's entry points to another table".into());
            }
            table = pte.target;
            continue;
        }
        let size = scheme.leaf_size(level);
        if pte.flags & (flags::R | flags::W) == flags::W {
            return Err("W without R is a reserved combination".into());
        }
        if !pte.target.is_multiple_of(size) {
            return Err(format!(
                "a {} superpage at {:#x} is misaligned",
                byte_size(size),
                pte.target
            ));
        }
        if pte.flags & walk.access.flag() == 0 {
            return Err(format!("the page does not allow {}", walk.access.name()));
        }
        let user_page = pte.flags & flags::U != 0;
        if walk.user && !user_page {
            return Err("user mode may not touch a page without U".into());
        }
        if !walk.user && user_page {
            return Err("supervisor mode may not touch a U page (unless sstatus.SUM)".into());
        }
        return Ok(pte.target + (va & (size - 1)));
    }
    Err("the scheme has no levels".into())
}

/// The walk, step by step: the address's fields (bits, binary, values), each level's entry
/// address and content, and the physical address or the fault.
pub fn report(scheme: &Scheme, walk: &Walk) -> String {
    let mode = if walk.user { "user" } else { "supervisor" };
    let mut text = format!(
        "virtual address {:#x} ({mode} {}), {}\n",
        walk.va,
        walk.access.name(),
        scheme.describe()
    );
    // A column per field; rows: its bits, the bits' values, its name, its value.
    let mut fields: Vec<[String; 4]> = (0..scheme.levels)
        .rev()
        .map(|level| {
            let low = scheme.low_bit(level);
            let value = scheme.vpn(walk.va, level);
            [
                format!("{}..{}", low + scheme.index_bits - 1, low),
                format!("{:0width$b}", value, width = scheme.index_bits as usize),
                format!("VPN[{level}]"),
                scheme.index_label(value),
            ]
        })
        .collect();
    let offset = walk.va & (scheme.page_size() - 1);
    fields.push([
        format!("{}..0", scheme.page_bits - 1),
        format!("{:0width$b}", offset, width = scheme.page_bits as usize),
        "offset".to_string(),
        format!("{offset:#x}"),
    ]);
    let widths: Vec<usize> = fields
        .iter()
        .map(|field| field.iter().map(String::len).max().unwrap_or(0))
        .collect();
    for (row, label) in ["bits", "binary", "field", "value"].into_iter().enumerate() {
        let mut line = format!("  {label:<6}");
        for (field, width) in fields.iter().zip(&widths) {
            let _ = write!(line, "  {:>width$}", field[row]);
        }
        let _ = writeln!(text, "{line}");
    }
    if scheme.sign_extended {
        let _ = writeln!(
            text,
            "  (bits 63..{} copy bit {})",
            scheme.va_bits(),
            scheme.va_bits() - 1
        );
    }
    for step in &walk.steps {
        let table = match step.level + 1 == scheme.levels {
            true => format!("root {:#x}", step.table),
            false => format!("{:#x}", step.table),
        };
        let mut line = format!(
            "level {}: entry at {table} + VPN[{}] {} x {} = {:#x}: ",
            step.level,
            step.level,
            scheme.index_label(step.index),
            scheme.pte_bytes,
            step.entry_address
        );
        match step.pte {
            None => line.push_str("not valid"),
            Some(pte) if pte.is_leaf() => {
                let size = scheme.leaf_size(step.level);
                let kind = match step.level {
                    0 => "page".to_string(),
                    _ => format!("{} superpage", byte_size(size)),
                };
                let _ = write!(
                    line,
                    "pte {:#x} {}: leaf, {kind} at {:#x}",
                    pte.raw(),
                    pte.flag_letters(),
                    pte.target
                );
            }
            Some(pte) => {
                let _ = write!(
                    line,
                    "pte {:#x} {}: next table at {:#x}",
                    pte.raw(),
                    pte.flag_letters(),
                    pte.target
                );
            }
        }
        let _ = writeln!(text, "{line}");
    }
    match (&walk.result, walk.steps.last()) {
        (Ok(pa), Some(last)) => {
            let size = scheme.leaf_size(last.level);
            let within = walk.va & (size - 1);
            let target = last.pte.map_or(0, |p| p.target);
            let _ = writeln!(
                text,
                "physical address = {target:#x} + {within:#x} = {pa:#x}"
            );
        }
        (Ok(pa), None) => {
            let _ = writeln!(text, "physical address = {pa:#x}");
        }
        (Err(why), _) => {
            let _ = writeln!(text, "page fault: {why} -> {}", walk.access.fault());
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sv39() -> Scheme {
        Scheme::by_name("sv39").unwrap()
    }

    #[test]
    fn addresses_split_into_the_textbook_fields() {
        // Where Lantern's kernel is linked, 0xffffffc080200000: VPN[2] = 258, VPN[1] = 1,
        // VPN[0] = 0.
        let scheme = sv39();
        let va = 0xffff_ffc0_8020_0000;
        let vpns: Vec<u64> = (0..3).rev().map(|level| scheme.vpn(va, level)).collect();
        assert_eq!(vpns, [258, 1, 0]);
        // The seed notes: a 32-bit address with 4 KiB pages is a 20-bit page number and a
        // 12-bit offset: 2^20 pages of 4 KiB make 4 GiB. Two-level (Sv32): 10 + 10 bits.
        let flat = Scheme::custom(1, 20, 12, 4).unwrap();
        assert_eq!(
            (flat.vpn(0x1234_5678, 0), 0x1234_5678 & 0xfff),
            (0x12345, 0x678)
        );
        assert_eq!(flat.entries() * flat.page_size(), 4 << 30);
        let sv32 = Scheme::by_name("sv32").unwrap();
        assert_eq!(
            (sv32.vpn(0x1234_5678, 1), sv32.vpn(0x1234_5678, 0)),
            (0x48, 0x345)
        );
        assert_eq!(sv32.va_bits(), 32);
        assert_eq!(Scheme::by_name("sv48").unwrap().va_bits(), 48);
    }

    #[test]
    fn the_demo_translates_its_pages_and_faults_elsewhere() {
        let scheme = sv39();
        let tables = PageTables::demo(&scheme);
        let go = |va, access, user| translate(&scheme, &tables, va, access, user);
        let data = go(0x1_1234, Access::Write, true);
        assert_eq!(data.result, Ok(0x8200_1234));
        assert_eq!(
            data.steps
                .iter()
                .map(|s| (s.level, s.index))
                .collect::<Vec<_>>(),
            [(2, 0), (1, 0), (0, 17)]
        );
        assert_eq!(data.steps[2].entry_address, data.steps[2].table + 17 * 8);
        assert_eq!(go(0x1_0000, Access::Execute, true).result, Ok(0x8200_0000));
        assert_eq!(
            go(0x3f_ffff_fff8, Access::Write, true).result,
            Ok(0x8200_2ff8),
            "the stack page"
        );
        // The kernel's gigapage: supervisor only; the offset within 1 GiB carries over.
        let kernel = go(0xffff_ffc0_8020_0000, Access::Execute, false);
        assert_eq!(kernel.result, Ok(0x8020_0000));
        assert_eq!(kernel.steps.len(), 1, "a leaf at level 2");
        let faults = [
            (
                0x1_0000,
                Access::Write,
                true,
                "the page does not allow write",
            ),
            (
                0x3f_ffff_e000,
                Access::Read,
                true,
                "the level-0 entry is not valid (V = 0)",
            ),
            (
                0x2000_0000,
                Access::Read,
                true,
                "the level-1 entry is not valid (V = 0)",
            ),
            (
                0xffff_ffc0_8020_0000,
                Access::Read,
                true,
                "user mode may not touch a page without U",
            ),
            (
                0x1_1000,
                Access::Read,
                false,
                "supervisor mode may not touch a U page (unless sstatus.SUM)",
            ),
            (
                0x40_0000_0000,
                Access::Read,
                true,
                "bits 63..39 must all equal bit 38",
            ),
        ];
        for (va, access, user, why) in faults {
            assert_eq!(go(va, access, user).result, Err(why.to_string()), "{va:#x}");
        }
    }

    #[test]
    fn the_text_format_round_trips_and_misaligned_superpages_fault() {
        let scheme = sv39();
        let demo = PageTables::demo(&scheme);
        assert_eq!(PageTables::parse(&demo.to_text(), &scheme).unwrap(), demo);
        let text = "# a 2 MiB page at 0x200000, misaligned\nroot 0x1000\n0x1000[0] -> 0x2000\n0x2000[1] -> 0x80001000 rw\n";
        let tables = PageTables::parse(text, &scheme).unwrap();
        let walk = translate(&scheme, &tables, 0x20_0000, Access::Read, false);
        assert_eq!(
            walk.result,
            Err("a 2 MiB superpage at 0x80001000 is misaligned".into())
        );
        for (bad, message) in [
            ("0x1000[0] -> 0x2000\n", "no `root ADDR` line"),
            (
                "root 0x1001\n",
                "line 1: 0x1001 is not aligned to 4 KiB as a table must be",
            ),
            (
                "root 0x1000\n0x1000[512] -> 0x2000\n",
                "line 2: index 512 is past the table's 512 entries",
            ),
            (
                "root 0x1000\n0x1000[0] -> 0x2000 rq\n",
                "line 2: flag 'q' is not one of r w x u g a d",
            ),
            (
                "root 0x1000\n0x1000 -> 0x2000\n",
                "line 2: \"0x1000\" is not TABLE[INDEX]",
            ),
        ] {
            assert_eq!(PageTables::parse(bad, &scheme).unwrap_err(), message);
        }
    }

    #[test]
    fn the_report_shows_each_step() {
        let scheme = sv39();
        let tables = PageTables::demo(&scheme);
        let text = report(
            &scheme,
            &translate(&scheme, &tables, 0x1_1234, Access::Read, true),
        );
        assert_eq!(
            text,
            "\
virtual address 0x11234 (user read), Sv39: 3 levels x 9 bits + 12-bit offset = 39-bit virtual addresses, 512 8-byte entries per table
  bits       38..30     29..21     20..12         11..0
  binary  000000000  000000000  000010001  001000110100
  field      VPN[2]     VPN[1]     VPN[0]        offset
  value           0          0         17         0x234
  (bits 63..39 copy bit 38)
level 2: entry at root 0x81000000 + VPN[2] 0 x 8 = 0x81000000: pte 0x20400401 v-------: next table at 0x81001000
level 1: entry at 0x81001000 + VPN[1] 0 x 8 = 0x81001000: pte 0x20400801 v-------: next table at 0x81002000
level 0: entry at 0x81002000 + VPN[0] 17 x 8 = 0x81002088: pte 0x208004d7 vrw-u-ad: leaf, page at 0x82001000
physical address = 0x82001000 + 0x234 = 0x82001234
"
        );
        let fault = report(
            &scheme,
            &translate(&scheme, &tables, 0x1_0000, Access::Write, true),
        );
        assert!(fault.ends_with(
            "page fault: the page does not allow write -> store/AMO page fault (scause 15)\n"
        ));
    }

    #[test]
    fn other_shapes_walk_the_same_way() {
        let sv32 = Scheme::by_name("sv32").unwrap();
        let tables = PageTables::demo(&sv32);
        let walk = translate(&sv32, &tables, 0x1_1234, Access::Read, true);
        assert_eq!(walk.result, Ok(0x8200_1234));
        assert_eq!(walk.steps[1].entry_address, walk.steps[1].table + 17 * 4);
        // Sv32's kernel superpage is 4 MiB, two of them above 0x80000000.
        let kernel = translate(&sv32, &tables, 0x8080_0010, Access::Read, false);
        assert_eq!(kernel.result, Ok(0x8000_0010));
        let flat = Scheme::custom(1, 20, 12, 4).unwrap();
        let tables = PageTables::demo(&flat);
        let walk = translate(&flat, &tables, 0x1_1234, Access::Read, true);
        assert_eq!(
            (walk.steps.len(), walk.steps[0].index, walk.result),
            (1, 0x11, Ok(0x8200_1234))
        );
        assert!(Scheme::custom(5, 12, 12, 8).is_err(), "72 bits");
        assert!(Scheme::custom(0, 9, 12, 8).is_err());
    }

    #[test]
    fn sizes_and_addresses_read_and_print() {
        assert_eq!(
            parse_address("0xffff_ffc0_8020_0000"),
            Ok(0xffff_ffc0_8020_0000)
        );
        assert_eq!(parse_address("4096"), Ok(4096));
        assert!(parse_address("0xg").is_err());
        assert_eq!(byte_size(4096), "4 KiB");
        assert_eq!(byte_size(1 << 30), "1 GiB");
        assert_eq!(byte_size(48), "48 bytes");
    }
}
