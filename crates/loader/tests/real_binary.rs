//! Load plans of real programs built by the riscv64 cross compiler, checked against what
//! `readelf` says about them. Skipped (with a note) where the cross toolchain is missing.

use abi::mm::PAGE_SIZE;
use loader::{LoadPlan, plan};
use std::path::{Path, PathBuf};
use std::process::Command;

const USER_TOP: usize = 0x40_0000_0000;

const HELLO: &str = r#"
#include <stdio.h>
__thread int counter = 5;
static char big[100000];
int main(int argc, char **argv) {
    big[argc] = 1;
    printf("%d %s %d\n", counter + argc, argv[0], big[1]);
    return 0;
}
"#;

const BARE: &str = r#"
static volatile char bss[10000];
volatile int data = 42;
void _start(void) {
    bss[5] = (char)data;
    register long a0 asm("a0") = bss[5];
    register long a7 asm("a7") = 93;
    asm volatile("ecall" :: "r"(a0), "r"(a7));
    for (;;) {}
}
"#;

fn tool(name: &str) -> Option<PathBuf> {
    let path = Path::new("/usr/bin").join(format!("riscv64-linux-gnu-{name}"));
    path.exists().then_some(path)
}

/// A compiled program in a scratch directory that goes away with it.
struct Built {
    file: Vec<u8>,
    exe: PathBuf,
    dir: PathBuf,
}

impl Drop for Built {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Compiles `source` with `flags`, or says why not and returns `None`.
fn compile(test: &str, source: &str, flags: &[&str]) -> Option<Built> {
    let Some(gcc) = tool("gcc") else {
        eprintln!("note: {test} skipped: no riscv64-linux-gnu-gcc");
        return None;
    };
    let dir = std::env::temp_dir().join(format!("loader-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (c, exe) = (dir.join("prog.c"), dir.join("prog"));
    std::fs::write(&c, source).unwrap();
    let out = Command::new(gcc)
        .args(flags)
        .arg("-o")
        .arg(&exe)
        .arg(&c)
        .output()
        .unwrap();
    if !out.status.success() {
        let why = String::from_utf8_lossy(&out.stderr);
        eprintln!("note: {test} skipped: the cross compiler failed: {why}");
        let _ = std::fs::remove_dir_all(&dir);
        return None;
    }
    let file = std::fs::read(&exe).unwrap();
    Some(Built { file, exe, dir })
}

/// `readelf -lW`'s program headers of one type: (offset, vaddr, filesz, memsz, flags).
fn readelf_segments(exe: &Path, kind: &str) -> Vec<(usize, usize, usize, usize, String)> {
    let out = Command::new(tool("readelf").unwrap())
        .arg("-lW")
        .arg(exe)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let hex = |s: &str| usize::from_str_radix(s.trim_start_matches("0x"), 16).unwrap();
    text.lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>())
        .filter(|fields| fields.first() == Some(&kind))
        .map(|f| {
            let flags = f[6..f.len() - 1].concat();
            (hex(f[1]), hex(f[2]), hex(f[4]), hex(f[5]), flags)
        })
        .collect()
}

fn readelf_entry(exe: &Path) -> usize {
    let out = Command::new(tool("readelf").unwrap())
        .arg("-hW")
        .arg(exe)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let line = text
        .lines()
        .find(|l| l.contains("Entry point address:"))
        .unwrap();
    let value = line.split_whitespace().last().unwrap();
    usize::from_str_radix(value.trim_start_matches("0x"), 16).unwrap()
}

/// The plan's segments agree with readelf's `LOAD` lines moved by `bias`.
fn check_against_readelf(p: &LoadPlan, exe: &Path, bias: usize) {
    let expected: Vec<_> = readelf_segments(exe, "LOAD")
        .into_iter()
        .map(|(offset, vaddr, filesz, memsz, flags)| (offset, vaddr + bias, filesz, memsz, flags))
        .collect();
    let flags = |s: &loader::Segment| {
        [(s.readable, 'R'), (s.writable, 'W'), (s.executable, 'E')]
            .iter()
            .filter_map(|&(on, c)| on.then_some(c))
            .collect::<String>()
    };
    let seen: Vec<_> = p
        .segments
        .iter()
        .map(|s| (s.file_offset, s.vaddr, s.file_size, s.mem_size, flags(s)))
        .collect();
    assert_eq!(seen, expected);
    assert_eq!(p.entry, readelf_entry(exe) + bias);
}

/// Building every page from its plan gives the program image, byte for byte.
fn check_pages_build_the_image(p: &LoadPlan, file: &[u8]) {
    let mut page_bytes = vec![0; PAGE_SIZE];
    let mut pages = 0;
    for page in p.pages() {
        page.write_to(file, &mut page_bytes);
        pages += 1;
        for (i, &byte) in page_bytes.iter().enumerate() {
            let addr = page.page_vaddr + i;
            let segment = p
                .segments
                .iter()
                .find(|s| s.vaddr <= addr && addr < s.end());
            let expected = match segment {
                Some(s) if addr - s.vaddr < s.file_size => file[s.file_offset + addr - s.vaddr],
                _ => 0,
            };
            assert_eq!(byte, expected, "byte at {addr:#x}");
        }
    }
    let span = p.brk_start - p.segments[0].vaddr / PAGE_SIZE * PAGE_SIZE;
    assert!(pages <= span / PAGE_SIZE);
}

#[test]
fn static_glibc_program() {
    let Some(Built { file, exe, .. }) = &compile("static", HELLO, &["-static", "-O1"]) else {
        return;
    };
    let p = plan(file, USER_TOP, 0).unwrap();
    check_against_readelf(&p, exe, 0);
    assert_eq!(p.interp, None);
    assert!(!p.stack_executable);
    // glibc's static executables have no PT_PHDR; the headers sit at the start of the text.
    assert_eq!(p.phdr_vaddr, Some(p.segments[0].vaddr + 64));
    let tls = p.tls.unwrap();
    let (offset, vaddr, filesz, memsz, _) = readelf_segments(exe, "TLS")[0].clone();
    assert_eq!(
        (tls.file_offset, tls.vaddr, tls.file_size, tls.mem_size),
        (offset, vaddr, filesz, memsz)
    );
    check_pages_build_the_image(&p, file);
}

#[test]
fn static_pie_without_interpreter() {
    let flags = [
        "-nostdlib",
        "-static-pie",
        "-fPIE",
        "-Wl,--no-dynamic-linker",
        "-O1",
    ];
    let Some(Built { file, exe, .. }) = &compile("static-pie", BARE, &flags) else {
        return;
    };
    let bias = 0x5555_5000;
    let p = plan(file, USER_TOP, bias).unwrap();
    check_against_readelf(&p, exe, bias);
    assert_eq!(p.interp, None);
    check_pages_build_the_image(&p, file);
}

#[test]
fn dynamically_linked_program_names_its_interpreter() {
    let Some(Built { file, exe, .. }) = &compile("dynamic", HELLO, &["-O1"]) else {
        return;
    };
    let p = plan(file, USER_TOP, 0x4000_0000).unwrap();
    let interp = p.interp.as_deref().unwrap();
    assert!(interp.starts_with("/lib/ld-linux-riscv64"), "{interp}");
    // The cross compiler may or may not build position-independent executables by default.
    let position_independent = file[16] == 3;
    check_against_readelf(&p, exe, if position_independent { 0x4000_0000 } else { 0 });
}
