//! Test `t_args` (expects `exit=0`): the kernel's Linux initial stack. The runner (init) starts
//! `/bin/t_args` with argv `["/bin/t_args"]` and envp `["PATH=/bin", "HOME=/"]`; the auxiliary
//! vector must describe this program (page size, entry point, program headers) and provide
//! 16 random bytes, and the initial stack pointer must be 16-byte aligned.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use ulib::abi::process::{AT_ENTRY, AT_PAGESZ, AT_PHDR, AT_PHENT, AT_PHNUM, AT_RANDOM};
use ulib::elf::{PF_R, PF_W, PF_X, PT_LOAD, PT_PHDR};
use ulib::{check, check_eq, check_ne, env};

ulib::entry!(main);

/// Where the linker script puts the image.
const IMAGE_BASE: u64 = 0x10000;

fn main() -> i32 {
    check_args();
    check_environment();
    check_auxv();
    check_program_headers();
    ulib::println!("t_args: ok");
    0
}

fn check_args() {
    let sp = env::initial_sp();
    check!(sp != 0, "the initial stack pointer was recorded");
    check_eq!(sp % 16, 0, "initial sp {sp:#x} is 16-byte aligned");
    check_eq!(env::args().len(), 1, "argc");
    check_eq!(env::args().next(), Some("/bin/t_args"), "argv[0]");
}

fn check_environment() {
    check_eq!(env::vars().count(), 2, "number of environment strings");
    check_eq!(env::var("PATH"), Some("/bin"), "PATH");
    check_eq!(env::var("HOME"), Some("/"), "HOME");
    check_eq!(env::var("NOT_SET"), None, "an unset variable");
    let mut vars = env::vars();
    check_eq!(vars.next(), Some(("PATH", "/bin")), "envp[0]");
    check_eq!(vars.next(), Some(("HOME", "/")), "envp[1]");
}

fn check_auxv() {
    check_eq!(env::auxv(AT_PAGESZ), Some(4096), "AT_PAGESZ");
    check_eq!(
        env::auxv(AT_ENTRY),
        Some(env::entry_point()),
        "AT_ENTRY is _start"
    );
    check_eq!(env::auxv(AT_PHENT), Some(56), "AT_PHENT");
    let phdr = env::auxv(AT_PHDR).unwrap_or(0);
    check_ne!(phdr, 0, "AT_PHDR is present and non-zero");
    let phnum = env::auxv(AT_PHNUM).unwrap_or(0);
    check!(phnum > 0, "AT_PHNUM is present and non-zero (got {phnum})");

    let random = env::random_bytes();
    check!(random.is_some(), "AT_RANDOM is present and non-NULL");
    if let Some(bytes) = random {
        check!(
            bytes.iter().any(|&b| b != 0),
            "AT_RANDOM bytes are not all zero: {bytes:x?}"
        );
        let addr = env::auxv(AT_RANDOM).unwrap_or(0);
        check!(
            addr > env::initial_sp(),
            "AT_RANDOM {addr:#x} lies on the initial stack above sp {:#x}",
            env::initial_sp()
        );
    }

    // The auxv ends with AT_NULL and has no duplicate keys.
    let count = env::auxv_entries().count();
    check!((4..64).contains(&count), "number of auxv entries: {count}");
    for (index, (key, _)) in env::auxv_entries().enumerate() {
        let repeats = env::auxv_entries()
            .skip(index + 1)
            .filter(|&(k, _)| k == key)
            .count();
        check_eq!(repeats, 0, "auxv key {key} appears once");
    }
}

fn check_program_headers() {
    let headers = env::program_headers();
    check!(
        headers.is_some(),
        "AT_PHDR/AT_PHENT/AT_PHNUM describe a program-header table"
    );
    let Some(headers) = headers else { return };
    let phdr = env::auxv(AT_PHDR).unwrap_or(0) as u64;

    // user.ld emits PT_PHDR first: it must say where the table is, which is where AT_PHDR
    // points (64 bytes into the image, right after the ELF header).
    let first = headers[0];
    check_eq!(first.p_type, PT_PHDR, "type of the first program header");
    check_eq!(first.p_vaddr, phdr, "PT_PHDR's address matches AT_PHDR");
    check_eq!(
        phdr,
        IMAGE_BASE + 64,
        "AT_PHDR is right after the ELF header"
    );
    check_eq!(
        first.p_memsz,
        (headers.len() * 56) as u64,
        "PT_PHDR's size is AT_PHNUM entries"
    );

    let entry = env::entry_point() as u64;
    let loads = || headers.iter().filter(|h| h.p_type == PT_LOAD);
    check!(loads().count() >= 3, "at least three PT_LOAD segments");
    for load in loads() {
        check_eq!(
            load.p_vaddr % 4096,
            0,
            "PT_LOAD at {:#x} is page aligned",
            load.p_vaddr
        );
        check!(
            load.p_filesz <= load.p_memsz,
            "PT_LOAD at {:#x}: filesz <= memsz",
            load.p_vaddr
        );
        check!(
            load.p_flags & PF_R != 0,
            "PT_LOAD at {:#x} is readable",
            load.p_vaddr
        );
        check!(
            load.p_flags & (PF_W | PF_X) != PF_W | PF_X,
            "PT_LOAD at {:#x} is not both writable and executable",
            load.p_vaddr
        );
    }
    let covering = |addr: u64| loads().find(|h| h.p_vaddr <= addr && addr - h.p_vaddr < h.p_memsz);
    match covering(entry) {
        Some(text) => check_eq!(
            text.p_flags,
            PF_R | PF_X,
            "flags of the segment holding _start"
        ),
        None => check!(false, "no PT_LOAD covers the entry point {entry:#x}"),
    }
    match covering(phdr) {
        Some(headers_segment) => {
            check_eq!(
                headers_segment.p_vaddr,
                IMAGE_BASE,
                "the headers' segment starts the image"
            );
            check_eq!(
                headers_segment.p_offset,
                0,
                "the headers' segment maps the file start"
            );
        }
        None => check!(false, "no PT_LOAD covers the program headers at {phdr:#x}"),
    }
    // The last segment is the data + bss one, ending in the image's last page.
    let last = loads().max_by_key(|h| h.p_vaddr + h.p_memsz);
    if let Some(data) = last {
        let end = (data.p_vaddr + data.p_memsz).next_multiple_of(4096);
        check_eq!(
            end,
            env::image_end() as u64,
            "the last PT_LOAD ends at the image end"
        );
        check_eq!(
            data.p_flags,
            PF_R | PF_W,
            "flags of the last PT_LOAD (data + bss)"
        );
    }
}
