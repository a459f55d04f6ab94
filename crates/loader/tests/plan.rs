//! Load plans from hand-built ELF64 RISC-V files: what `plan` accepts, what it refuses,
//! and how `pages` cuts the segments into pages.

use abi::mm::PAGE_SIZE;
use abi::process::{
    AT_BASE, AT_CLKTCK, AT_EGID, AT_ENTRY, AT_EUID, AT_EXECFN, AT_FLAGS, AT_GID, AT_HWCAP, AT_NULL,
    AT_PAGESZ, AT_PHDR, AT_PHENT, AT_PHNUM, AT_RANDOM, AT_SECURE, AT_UID,
};
use loader::{ExecError, Fill, LoadPlan, PagePlan, Segment, auxv_for, plan};

const ET_REL: u16 = 1;
const ET_EXEC: u16 = 2;
const ET_DYN: u16 = 3;
const ET_CORE: u16 = 4;
const EM_X86_64: u16 = 62;
const EM_RISCV: u16 = 243;
const PT_LOAD: u32 = 1;
const PT_INTERP: u32 = 3;
const PT_PHDR: u32 = 6;
const PT_TLS: u32 = 7;
const PT_GNU_STACK: u32 = 0x6474_e551;
const R: u32 = 4;
const W: u32 = 2;
const X: u32 = 1;
const EHDR_SIZE: usize = 64;
const PHDR_SIZE: usize = 56;
const USER_TOP: usize = 0x40_0000_0000;

/// One program header.
#[derive(Clone, Copy)]
struct Ph {
    kind: u32,
    flags: u32,
    offset: u64,
    vaddr: u64,
    filesz: u64,
    memsz: u64,
    align: u64,
}

fn load(flags: u32, offset: u64, vaddr: u64, filesz: u64, memsz: u64) -> Ph {
    Ph {
        kind: PT_LOAD,
        flags,
        offset,
        vaddr,
        filesz,
        memsz,
        align: 0x1000,
    }
}

fn other(kind: u32, flags: u32, offset: u64, vaddr: u64, size: u64) -> Ph {
    Ph {
        kind,
        flags,
        offset,
        vaddr,
        filesz: size,
        memsz: size,
        align: 1,
    }
}

/// The byte at `offset` of every test file outside its headers: distinct enough that a
/// fill copied from the wrong offset shows.
fn pattern(offset: usize) -> u8 {
    (offset * 7 + offset / 251 + 3) as u8
}

/// An ELF64 little-endian RISC-V file of `len` bytes: header, program headers right after
/// it, and `pattern` bytes everywhere else.
fn elf(e_type: u16, entry: u64, phdrs: &[Ph], len: usize) -> Vec<u8> {
    let mut f: Vec<u8> = (0..len).map(pattern).collect();
    let table_end = EHDR_SIZE + PHDR_SIZE * phdrs.len();
    f.resize(len.max(table_end), 0);
    let mut h = Vec::new();
    h.extend_from_slice(b"\x7fELF");
    h.extend_from_slice(&[2, 1, 1, 0]); // ELFCLASS64, ELFDATA2LSB, EV_CURRENT, SYSV
    h.extend_from_slice(&[0; 8]);
    h.extend_from_slice(&e_type.to_le_bytes());
    h.extend_from_slice(&EM_RISCV.to_le_bytes());
    h.extend_from_slice(&1u32.to_le_bytes());
    h.extend_from_slice(&entry.to_le_bytes());
    h.extend_from_slice(&(EHDR_SIZE as u64).to_le_bytes()); // e_phoff
    h.extend_from_slice(&0u64.to_le_bytes()); // e_shoff
    h.extend_from_slice(&0u32.to_le_bytes()); // e_flags
    h.extend_from_slice(&(EHDR_SIZE as u16).to_le_bytes());
    h.extend_from_slice(&(PHDR_SIZE as u16).to_le_bytes());
    h.extend_from_slice(&(phdrs.len() as u16).to_le_bytes());
    h.extend_from_slice(&[0; 6]); // e_shentsize, e_shnum, e_shstrndx
    assert_eq!(h.len(), EHDR_SIZE);
    for ph in phdrs {
        h.extend_from_slice(&ph.kind.to_le_bytes());
        h.extend_from_slice(&ph.flags.to_le_bytes());
        for word in [ph.offset, ph.vaddr, ph.vaddr, ph.filesz, ph.memsz, ph.align] {
            h.extend_from_slice(&word.to_le_bytes());
        }
    }
    f[..h.len()].copy_from_slice(&h);
    f
}

const TEXT_SIZE: u64 = 0x1234;
const DATA_FILE: u64 = 0x100;
const DATA_MEM: u64 = 0x2000;
const FILE_LEN: usize = (TEXT_SIZE + DATA_FILE) as usize;

/// A typical static executable: text at 0x10000 (with the headers at its start), data at
/// 0x12234 with 0x1f00 bytes of bss, a TLS template inside the data, a non-executable stack.
fn typical_phdrs() -> Vec<Ph> {
    vec![
        other(PT_PHDR, R, 64, 0x10040, 5 * PHDR_SIZE as u64),
        load(R | X, 0, 0x10000, TEXT_SIZE, TEXT_SIZE),
        load(R | W, TEXT_SIZE, 0x11000 + TEXT_SIZE, DATA_FILE, DATA_MEM),
        other(PT_GNU_STACK, R | W, 0, 0, 0),
        Ph {
            memsz: 0x20,
            ..other(PT_TLS, R, TEXT_SIZE, 0x11000 + TEXT_SIZE, 0x10)
        },
    ]
}

fn typical() -> Vec<u8> {
    elf(ET_EXEC, 0x10078, &typical_phdrs(), FILE_LEN)
}

fn plan_of(phdrs: &[Ph], len: usize) -> Result<LoadPlan, ExecError> {
    plan(&elf(ET_EXEC, 0x10000, phdrs, len), USER_TOP, 0)
}

fn fill(offset_in_page: usize, file_offset: usize, len: usize) -> Fill {
    Fill {
        offset_in_page,
        file_offset,
        len,
    }
}

/// The page as the kernel would build it.
fn page_bytes(page: &PagePlan, file: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0xaa; PAGE_SIZE];
    page.write_to(file, &mut bytes);
    bytes
}

/// The module invariants of a plan and its pages, checked against `file`.
fn check_invariants(plan: &LoadPlan, file: &[u8], user_top: usize) {
    assert!(!plan.segments.is_empty());
    for s in &plan.segments {
        assert!(s.mem_size > 0 && s.file_size <= s.mem_size);
        assert!(s.file_offset + s.file_size <= file.len());
        assert!(s.end() <= user_top && s.end() <= plan.brk_start);
        assert_eq!(s.vaddr % PAGE_SIZE, s.file_offset % PAGE_SIZE);
    }
    for pair in plan.segments.windows(2) {
        assert!(pair[0].end() <= pair[1].vaddr);
    }
    assert_eq!(plan.brk_start % PAGE_SIZE, 0);
    let mut previous = None;
    // A corrupted file may well describe terabytes of bss: look at the first pages only.
    for page in plan.pages().take(64) {
        assert_eq!(page.page_vaddr % PAGE_SIZE, 0);
        assert!(previous.is_none_or(|p| p < page.page_vaddr));
        previous = Some(page.page_vaddr);
        let mut end_of_last = 0;
        for f in &page.fills {
            assert!(f.offset_in_page >= end_of_last && f.len > 0);
            end_of_last = f.offset_in_page + f.len;
            assert!(end_of_last <= PAGE_SIZE && f.file_offset + f.len <= file.len());
        }
        page_bytes(&page, file);
    }
}

#[test]
fn typical_executable() {
    let file = typical();
    let p = plan(&file, USER_TOP, 0).unwrap();
    assert_eq!(p.entry, 0x10078);
    let text = Segment {
        vaddr: 0x10000,
        mem_size: 0x1234,
        file_offset: 0,
        file_size: 0x1234,
        readable: true,
        writable: false,
        executable: true,
    };
    let data = Segment {
        vaddr: 0x12234,
        mem_size: 0x2000,
        file_offset: 0x1234,
        file_size: 0x100,
        readable: true,
        writable: true,
        executable: false,
    };
    assert_eq!(p.segments, [text, data]);
    assert_eq!(p.phdr_vaddr, Some(0x10040));
    assert_eq!((p.phent, p.phnum), (56, 5));
    assert_eq!(p.interp, None);
    assert_eq!(p.brk_start, 0x15000);
    assert!(!p.stack_executable);
    let tls = Segment {
        mem_size: 0x20,
        file_size: 0x10,
        writable: false,
        ..data
    };
    assert_eq!(p.tls, Some(tls));
    check_invariants(&p, &file, USER_TOP);
}

#[test]
fn typical_pages() {
    let file = typical();
    let pages: Vec<PagePlan> = plan(&file, USER_TOP, 0).unwrap().pages().collect();
    let addresses: Vec<usize> = pages.iter().map(|p| p.page_vaddr).collect();
    assert_eq!(addresses, [0x10000, 0x11000, 0x12000, 0x13000, 0x14000]);
    let flags: Vec<_> = pages
        .iter()
        .map(|p| (p.readable, p.writable, p.executable))
        .collect();
    let rx = (true, false, true);
    let rw = (true, true, false);
    assert_eq!(flags, [rx, rx, rw, rw, rw]);
    assert_eq!(pages[0].fills, [fill(0, 0, 0x1000)]);
    assert_eq!(pages[1].fills, [fill(0, 0x1000, 0x234)]);
    assert_eq!(pages[2].fills, [fill(0x234, 0x1234, 0x100)]);
    assert!(pages[3].fills.is_empty() && pages[4].fills.is_empty());

    // The data page: zeros, the initialised data, then bss zeros.
    let bytes = page_bytes(&pages[2], &file);
    assert!(bytes[..0x234].iter().all(|&b| b == 0));
    assert_eq!(&bytes[0x234..0x334], &file[0x1234..0x1334]);
    assert!(bytes[0x334..].iter().all(|&b| b == 0));
    assert!(page_bytes(&pages[4], &file).iter().all(|&b| b == 0));
}

#[test]
fn text_and_data_sharing_a_page_merge_flags_and_fills() {
    let phdrs = [
        load(R | X, 0, 0x10000, 0x800, 0x800),
        load(R | W, 0x800, 0x10800, 0x100, 0x900),
    ];
    let file = elf(ET_EXEC, 0x10000, &phdrs, 0x900);
    let p = plan(&file, USER_TOP, 0).unwrap();
    check_invariants(&p, &file, USER_TOP);
    let pages: Vec<PagePlan> = p.pages().collect();
    assert_eq!(pages.len(), 2);
    assert_eq!(pages[0].page_vaddr, 0x10000);
    assert!(pages[0].readable && pages[0].writable && pages[0].executable);
    assert_eq!(
        pages[0].fills,
        [fill(0, 0, 0x800), fill(0x800, 0x800, 0x100)]
    );
    let bytes = page_bytes(&pages[0], &file);
    assert_eq!(&bytes[..0x900], &file[..0x900]);
    assert!(bytes[0x900..].iter().all(|&b| b == 0));
    // The data's bss runs into the next page, which is only writable data.
    assert_eq!(pages[1].page_vaddr, 0x11000);
    assert!(pages[1].readable && pages[1].writable && !pages[1].executable);
    assert!(pages[1].fills.is_empty());
}

#[test]
fn unaligned_segment_start_spans_two_pages() {
    let phdrs = [load(R, 0xff0, 0x10ff0, 0x20, 0x30)];
    let file = elf(ET_EXEC, 0x10ff0, &phdrs, 0x1010);
    let p = plan(&file, USER_TOP, 0).unwrap();
    check_invariants(&p, &file, USER_TOP);
    let pages: Vec<PagePlan> = p.pages().collect();
    assert_eq!(pages.len(), 2);
    assert_eq!(pages[0].page_vaddr, 0x10000);
    assert_eq!(pages[0].fills, [fill(0xff0, 0xff0, 0x10)]);
    assert_eq!(pages[1].page_vaddr, 0x11000);
    assert_eq!(pages[1].fills, [fill(0, 0x1000, 0x10)]);
    assert!(
        pages
            .iter()
            .all(|p| p.readable && !p.writable && !p.executable)
    );
    assert_eq!(p.brk_start, 0x12000);
    // No PT_PHDR, and the headers at offset 64 are not in the segment's file bytes.
    assert_eq!(p.phdr_vaddr, None);
}

#[test]
fn pages_skip_the_gap_between_distant_segments() {
    let phdrs = [
        load(R | X, 0, 0x10000, 0x100, 0x100),
        load(R | W, 0x100, 0x80100, 0x10, 0x10),
    ];
    let p = plan_of(&phdrs, 0x110).unwrap();
    let addresses: Vec<usize> = p.pages().map(|p| p.page_vaddr).collect();
    assert_eq!(addresses, [0x10000, 0x80000]);
}

#[test]
fn segment_ending_at_user_top_fits() {
    let top = 0x20000;
    let phdrs = [load(R | W, 0, 0x10000, 0x100, 0x10000)];
    let file = elf(ET_EXEC, 0x10000, &phdrs, 0x100);
    let p = plan(&file, top, 0).unwrap();
    assert_eq!(p.brk_start, top);
    assert_eq!(p.pages().count(), 16);
    check_invariants(&p, &file, top);
    assert_eq!(plan(&file, top - 1, 0), Err(ExecError::BadSegment));
}

#[test]
fn top_of_the_address_space() {
    // A segment ending at the very top leaves no page-aligned place for the heap.
    let top_page = (usize::MAX - (PAGE_SIZE - 1)) as u64;
    let phdrs = [load(R, 0, top_page, 0x10, 0xfff)];
    let file = elf(ET_EXEC, top_page, &phdrs, 0x100);
    assert_eq!(plan(&file, usize::MAX, 0), Err(ExecError::BadSegment));
    // A hand-made plan there still yields the top page once, and then stops.
    let segment = Segment {
        vaddr: top_page as usize + 0x10,
        mem_size: 0x20,
        file_offset: 0x10,
        file_size: 0x8,
        readable: true,
        writable: true,
        executable: false,
    };
    let p = LoadPlan {
        entry: 0,
        segments: vec![segment],
        phdr_vaddr: None,
        phent: 56,
        phnum: 1,
        interp: None,
        brk_start: 0,
        stack_executable: false,
        tls: None,
    };
    let pages: Vec<PagePlan> = p.pages().collect();
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0].page_vaddr, top_page as usize);
    assert_eq!(pages[0].fills, [fill(0x10, 0x10, 0x8)]);
}

#[test]
fn phdr_found_through_the_segment_that_holds_it() {
    let phdrs = [load(R | X, 0, 0x10000, 0x200, 0x200)];
    let p = plan_of(&phdrs, 0x200).unwrap();
    assert_eq!(p.phdr_vaddr, Some(0x10000 + 64));
    assert_eq!((p.phent, p.phnum), (56, 1));
}

#[test]
fn empty_load_segments_are_dropped() {
    let phdrs = [
        load(R, 0, 0x10000, 0, 0),
        load(R | X, 0, 0x20000, 0x100, 0x100),
    ];
    let p = plan_of(&phdrs, 0x100).unwrap();
    assert_eq!(p.segments.len(), 1);
    assert_eq!(p.segments[0].vaddr, 0x20000);
}

#[test]
fn segments_out_of_order_are_sorted() {
    let phdrs = [
        load(R | W, 0x1100, 0x21100, 0x10, 0x10),
        load(R | X, 0, 0x10000, 0x100, 0x100),
    ];
    let p = plan_of(&phdrs, 0x1110).unwrap();
    let addresses: Vec<usize> = p.segments.iter().map(|s| s.vaddr).collect();
    assert_eq!(addresses, [0x10000, 0x21100]);
}

#[test]
fn executable_stack_follows_pt_gnu_stack() {
    let mut phdrs = typical_phdrs();
    phdrs[3].flags = R | W | X;
    let file = elf(ET_EXEC, 0x10078, &phdrs, FILE_LEN);
    assert!(plan(&file, USER_TOP, 0).unwrap().stack_executable);
    let without: Vec<Ph> = phdrs
        .into_iter()
        .filter(|ph| ph.kind != PT_GNU_STACK)
        .collect();
    let file = elf(ET_EXEC, 0x10078, &without, FILE_LEN);
    assert!(!plan(&file, USER_TOP, 0).unwrap().stack_executable);
}

#[test]
fn position_independent_file_is_moved_by_the_bias() {
    let phdrs = [
        other(PT_PHDR, R, 64, 64, 3 * PHDR_SIZE as u64),
        load(R | X, 0, 0, 0x800, 0x800),
        load(R | W, 0x800, 0x1800, 0x10, 0x20),
    ];
    let file = elf(ET_DYN, 0x100, &phdrs, 0x810);
    let bias = 0x4000_0000;
    let p = plan(&file, USER_TOP, bias).unwrap();
    assert_eq!(p.entry, bias + 0x100);
    assert_eq!(p.phdr_vaddr, Some(bias + 64));
    let addresses: Vec<usize> = p.segments.iter().map(|s| s.vaddr).collect();
    assert_eq!(addresses, [bias, bias + 0x1800]);
    assert_eq!(p.brk_start, bias + 0x2000);
    check_invariants(&p, &file, USER_TOP);
    // A bias that is not page-aligned breaks the address/offset congruence.
    assert_eq!(plan(&file, USER_TOP, bias + 8), Err(ExecError::BadSegment));
    // A bias that pushes the file past the top of the address space.
    assert_eq!(
        plan(&file, usize::MAX, usize::MAX - 0xfff),
        Err(ExecError::BadSegment)
    );
}

#[test]
fn fixed_executable_ignores_the_bias() {
    let file = typical();
    assert_eq!(plan(&file, USER_TOP, 0x4000_0000), plan(&file, USER_TOP, 0));
}

#[test]
fn interpreter_is_reported() {
    let path = b"/lib/ld-musl-riscv64.so.1\0";
    let mut phdrs = typical_phdrs();
    phdrs.push(other(PT_INTERP, R, 0x400, 0x10400, path.len() as u64));
    let mut file = elf(ET_EXEC, 0x10078, &phdrs, FILE_LEN);
    file[0x400..0x400 + path.len()].copy_from_slice(path);
    let p = plan(&file, USER_TOP, 0).unwrap();
    assert_eq!(p.interp.as_deref(), Some("/lib/ld-musl-riscv64.so.1"));
}

#[test]
fn malformed_interpreter_is_refused() {
    let path = b"/lib/ld.so\0";
    let with_interp = |interp: &[Ph], bytes: &[u8]| {
        let mut phdrs = typical_phdrs();
        phdrs.extend_from_slice(interp);
        let mut file = elf(ET_EXEC, 0x10078, &phdrs, FILE_LEN);
        file[0x400..0x400 + bytes.len()].copy_from_slice(bytes);
        plan(&file, USER_TOP, 0)
    };
    let good = other(PT_INTERP, R, 0x400, 0, path.len() as u64);
    assert!(with_interp(&[good], path).is_ok());
    let unterminated = b"/lib/ld.so!";
    assert_eq!(
        with_interp(&[good], unterminated),
        Err(ExecError::Interpreter)
    );
    let outside = other(PT_INTERP, R, FILE_LEN as u64 - 4, 0, 8);
    assert_eq!(with_interp(&[outside], path), Err(ExecError::Interpreter));
    assert_eq!(
        with_interp(&[good], b"/lib/\xff\0"),
        Err(ExecError::Interpreter)
    );
    assert_eq!(
        with_interp(&[good, good], path),
        Err(ExecError::Interpreter)
    );
}

#[test]
fn identification_errors() {
    let file = typical();
    assert_eq!(plan(&[], USER_TOP, 0), Err(ExecError::NotElf));
    assert_eq!(plan(b"\x7fEL", USER_TOP, 0), Err(ExecError::NotElf));
    assert_eq!(
        plan(b"#!/bin/sh\necho hi\n", USER_TOP, 0),
        Err(ExecError::NotElf)
    );
    let mut bad_magic = file.clone();
    bad_magic[1] = b'e';
    assert_eq!(plan(&bad_magic, USER_TOP, 0), Err(ExecError::NotElf));
    let mut elf32 = file.clone();
    elf32[4] = 1;
    assert_eq!(plan(&elf32, USER_TOP, 0), Err(ExecError::WrongClass));
    let mut big_endian = file.clone();
    big_endian[5] = 2;
    assert_eq!(plan(&big_endian, USER_TOP, 0), Err(ExecError::WrongClass));
    let mut bad_version = file.clone();
    bad_version[6] = 0;
    assert_eq!(plan(&bad_version, USER_TOP, 0), Err(ExecError::NotElf));
    let mut x86 = file.clone();
    x86[18..20].copy_from_slice(&EM_X86_64.to_le_bytes());
    assert_eq!(plan(&x86, USER_TOP, 0), Err(ExecError::WrongMachine));
    for e_type in [0, ET_REL, ET_CORE, 0xfe00] {
        let mut f = file.clone();
        f[16..18].copy_from_slice(&e_type.to_le_bytes());
        assert_eq!(plan(&f, USER_TOP, 0), Err(ExecError::NotExecutable));
    }
}

#[test]
fn program_header_table_errors() {
    let file = typical();
    let table_end = EHDR_SIZE + 5 * PHDR_SIZE;
    assert_eq!(
        plan(&file[..table_end - 1], USER_TOP, 0),
        Err(ExecError::NotElf)
    );
    let mut bad_entry_size = file.clone();
    bad_entry_size[54..56].copy_from_slice(&32u16.to_le_bytes());
    assert_eq!(plan(&bad_entry_size, USER_TOP, 0), Err(ExecError::NotElf));
    let mut far_table = file.clone();
    far_table[32..40].copy_from_slice(&u64::MAX.to_le_bytes());
    assert_eq!(plan(&far_table, USER_TOP, 0), Err(ExecError::NotElf));
    let mut no_headers = file;
    no_headers[56..58].copy_from_slice(&0u16.to_le_bytes());
    assert_eq!(
        plan(&no_headers, USER_TOP, 0),
        Err(ExecError::NoLoadableSegment)
    );
}

#[test]
fn no_loadable_segment() {
    let only_stack = [other(PT_GNU_STACK, R | W, 0, 0, 0)];
    assert_eq!(
        plan_of(&only_stack, 0x200),
        Err(ExecError::NoLoadableSegment)
    );
    let only_empty = [load(R, 0, 0x10000, 0, 0)];
    assert_eq!(
        plan_of(&only_empty, 0x200),
        Err(ExecError::NoLoadableSegment)
    );
}

#[test]
fn segment_errors() {
    let bad = |phdrs: &[Ph]| assert_eq!(plan_of(phdrs, 0x2000), Err(ExecError::BadSegment));
    // File range beyond the end of the file, or overflowing.
    bad(&[load(R, 0x1000, 0x11000, 0x1001, 0x1001)]);
    bad(&[load(R, u64::MAX - 0xfff, 0x10000, 0x2000, 0x2000)]);
    // Less memory than file bytes.
    bad(&[load(R, 0, 0x10000, 0x100, 0xff)]);
    // Overlapping segments, in either order.
    bad(&[
        load(R | X, 0, 0x10000, 0x800, 0x800),
        load(R | W, 0x7f0, 0x107f0, 0x10, 0x10),
    ]);
    bad(&[
        load(R | W, 0x7f0, 0x107f0, 0x10, 0x10),
        load(R | X, 0, 0x10000, 0x800, 0x800),
    ]);
    bad(&[
        load(R, 0, 0x10000, 0x10, 0x10),
        load(R, 0, 0x10000, 0x10, 0x10),
    ]);
    // At or above user_top.
    bad(&[load(R, 0, USER_TOP as u64, 0x10, 0x10)]);
    bad(&[load(R, 0, USER_TOP as u64 - 0x1000, 0x10, 0x1001)]);
    // Address overflow.
    bad(&[load(R, 0, u64::MAX - 0xfff, 0x10, 0x1000)]);
    // Address and offset disagree modulo the page size or p_align.
    bad(&[load(R, 0x10, 0x10000, 0x10, 0x10)]);
    bad(&[Ph {
        align: 0x10000,
        ..load(R, 0x1000, 0x12000, 0x10, 0x10)
    }]);
    bad(&[Ph {
        align: 0x3000,
        ..load(R, 0, 0x12000, 0x10, 0x10)
    }]);
    // A TLS template outside the file.
    bad(&[
        load(R, 0, 0x10000, 0x10, 0x10),
        other(PT_TLS, R, 0x1ff0, 0x11ff0, 0x20),
    ]);
    // And the counterpart that is fine: p_align 0, 1 or a power of two that agrees.
    for align in [0, 1, 0x10000] {
        assert!(
            plan_of(
                &[Ph {
                    align,
                    ..load(R, 0, 0x20000, 0x10, 0x10)
                }],
                0x100
            )
            .is_ok()
        );
    }
}

#[test]
fn no_panic_on_any_truncation() {
    let file = typical();
    for len in 0..file.len() {
        if let Ok(p) = plan(&file[..len], USER_TOP, 0) {
            check_invariants(&p, &file[..len], USER_TOP);
        }
    }
    // The data segment's file bytes end the file: every proper prefix cuts them off.
    assert_eq!(
        plan(&file[..file.len() - 1], USER_TOP, 0),
        Err(ExecError::BadSegment)
    );
    assert!(plan(&file, USER_TOP, 0).is_ok());
}

#[test]
fn no_panic_on_corrupted_headers() {
    let file = typical();
    let table_end = EHDR_SIZE + 5 * PHDR_SIZE;
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut accepted = 0;
    for _ in 0..20_000 {
        let mut f = file.clone();
        for _ in 0..1 + next() % 4 {
            let at = (next() % table_end as u64) as usize;
            f[at] = match next() % 3 {
                0 => next() as u8,
                1 => 0xff,
                _ => 0,
            };
        }
        let top = [USER_TOP, usize::MAX][(next() % 2) as usize];
        if let Ok(p) = plan(&f, top, (next() % 4) as usize * 0x1000) {
            check_invariants(&p, &f, top);
            accepted += 1;
        }
    }
    assert!(
        accepted > 0,
        "some corruptions hit bytes that do not matter"
    );
}

#[test]
fn parses_at_an_odd_address() {
    // The kernel may hand over a file that sits at any alignment, e.g. inside a cpio image.
    let file = typical();
    let mut shifted = vec![0u8; 1];
    shifted.extend_from_slice(&file);
    assert_eq!(plan(&shifted[1..], USER_TOP, 0), plan(&file, USER_TOP, 0));
}

#[test]
fn auxiliary_vector_for_a_plan() {
    let p = plan(&typical(), USER_TOP, 0).unwrap();
    let auxv = auxv_for(&p, PAGE_SIZE, 1000, 100, 0x112d, 100);
    let get = |key: u64| {
        let found: Vec<usize> = auxv
            .iter()
            .filter(|(k, _)| *k == key as usize)
            .map(|&(_, v)| v)
            .collect();
        assert!(found.len() <= 1, "key {key} twice");
        found.first().copied()
    };
    assert_eq!(get(AT_PHDR), Some(0x10040));
    assert_eq!(get(AT_PHENT), Some(56));
    assert_eq!(get(AT_PHNUM), Some(5));
    assert_eq!(get(AT_PAGESZ), Some(4096));
    assert_eq!(get(AT_ENTRY), Some(0x10078));
    let rest = [
        (AT_BASE, 0),
        (AT_FLAGS, 0),
        (AT_UID, 1000),
        (AT_EUID, 1000),
        (AT_GID, 100),
        (AT_EGID, 100),
        (AT_HWCAP, 0x112d),
        (AT_CLKTCK, 100),
        (AT_SECURE, 0),
    ];
    for (key, value) in rest {
        assert_eq!(get(key), Some(value), "key {key}");
    }
    assert_eq!(auxv.len(), 14);
    let owned = [AT_NULL, AT_RANDOM, AT_EXECFN].map(|k| k as usize);
    assert!(auxv.iter().all(|(k, _)| !owned.contains(k)));

    // Without a known address of the program headers, none of the three is given.
    let phdrs = [load(R, 0xff0, 0x10ff0, 0x20, 0x30)];
    let p = plan_of(&phdrs, 0x1010).unwrap();
    let auxv = auxv_for(&p, PAGE_SIZE, 0, 0, 0, 100);
    let phdr_keys = [AT_PHDR, AT_PHENT, AT_PHNUM].map(|k| k as usize);
    assert!(auxv.iter().all(|(k, _)| !phdr_keys.contains(k)));
    assert_eq!(auxv.len(), 11);
}

#[test]
fn plan_from_the_head_of_a_file_matches_the_whole_file() {
    let file = typical();
    let whole = plan(&file, USER_TOP, 0).unwrap();
    // The headers are all in the first 4 KiB: that is all a demand-paging kernel reads.
    let head = &file[..4096.min(file.len())];
    let from_head = loader::plan_from_head(head, file.len(), USER_TOP, 0).unwrap();
    assert_eq!(from_head, whole);
    // Segments are checked against the real length, not the head's.
    assert_eq!(
        loader::plan_from_head(head, 4096, USER_TOP, 0),
        Err(ExecError::BadSegment)
    );
    // A head that stops inside the program header table is refused.
    assert_eq!(
        loader::plan_from_head(&file[..EHDR_SIZE + 10], file.len(), USER_TOP, 0),
        Err(ExecError::NotElf)
    );
}
