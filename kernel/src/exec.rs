//! Loading a program (concepts P3, P4): ELF file -> fresh address space -> initial stack.
//!
//! The pure part (which bytes go to which page, the argv/envp/auxv stack image) is
//! `crates/loader`, tested on the host; here we allocate the frames and map them.
//!
//! User memory layout (Sv39 lower half):
//! ```text
//! 0x0000_0000_0001_0000   program image (text, rodata, data, bss) as the ELF says
//!          ...             (heap arrives with brk)
//! STACK_TOP - STACK_SIZE - 4 KiB   guard page (never mapped: overflow faults)
//! STACK_TOP - STACK_SIZE           user stack, grows down
//! STACK_TOP = 0x3f_ffff_f000
//! USER_TOP  = 0x40_0000_0000      kernel half starts above (not user accessible)
//! ```

use crate::mm::{AddressSpace, Perm, Vma, VmaKind};
use crate::process::Process;
use crate::time;
use abi::errno::Errno;
use alloc::string::String;
use alloc::vec::Vec;
use hal::trap::UserContext;
use hal::{PAGE_SIZE, USER_TOP};

/// Top of the user stack.
pub const STACK_TOP: usize = USER_TOP - PAGE_SIZE;
/// Size of the user stack.
pub const STACK_SIZE: usize = 256 * 1024;
/// Most bytes argv, envp and auxv may take on the stack (Linux allows a quarter of it).
const MAX_ARGS_SIZE: usize = STACK_SIZE / 4;
/// RISC-V ISA letters I, M, A, F, D, C as Linux reports them in AT_HWCAP.
const HWCAP_IMAFDC: usize = (1 << 8) | (1 << 12) | 1 | (1 << 5) | (1 << 3) | (1 << 2);

/// Builds a process running `file` with `argv` and `envp`.
pub fn load(
    pid: usize,
    path: &str,
    file: &[u8],
    argv: &[&str],
    envp: &[&str],
) -> Result<Process, Errno> {
    let plan =
        loader::plan(file, STACK_TOP - STACK_SIZE - PAGE_SIZE, 0).map_err(|_| Errno::ENOEXEC)?;
    if plan.interp.is_some() {
        // Dynamically linked programs need an interpreter (ld.so); not supported yet.
        return Err(Errno::ENOEXEC);
    }
    let mut space = AddressSpace::new()?;

    let pages: Vec<_> = plan.pages().collect();
    for run in pages.chunk_by(|a, b| {
        a.page_vaddr + PAGE_SIZE == b.page_vaddr
            && (a.readable, a.writable, a.executable) == (b.readable, b.writable, b.executable)
    }) {
        let first = &run[0];
        let perm = Perm {
            read: first.readable,
            write: first.writable,
            exec: first.executable,
        };
        let end = run[run.len() - 1].page_vaddr + PAGE_SIZE;
        space.add_vma(Vma {
            start: first.page_vaddr,
            end,
            perm,
            kind: VmaKind::Program,
        })?;
    }
    for page in &pages {
        let frame = space.map_zeroed_page(page.page_vaddr)?;
        page.write_to(file, frame.bytes_mut());
    }

    let stack_bottom = STACK_TOP - STACK_SIZE;
    space.add_vma(Vma {
        start: stack_bottom - PAGE_SIZE,
        end: stack_bottom,
        perm: Perm::NONE,
        kind: VmaKind::Guard,
    })?;
    space.add_vma(Vma {
        start: stack_bottom,
        end: STACK_TOP,
        perm: Perm::RW,
        kind: VmaKind::Stack,
    })?;
    for page in (stack_bottom..STACK_TOP).step_by(PAGE_SIZE) {
        space.map_zeroed_page(page)?;
    }

    let argv: Vec<&[u8]> = argv.iter().map(|s| s.as_bytes()).collect();
    let envp: Vec<&[u8]> = envp.iter().map(|s| s.as_bytes()).collect();
    let auxv = loader::auxv_for(&plan, PAGE_SIZE, 0, 0, HWCAP_IMAFDC, time::HZ as usize);
    let mut random = [0u8; 16];
    random[..8].copy_from_slice(&time::random_u64().to_le_bytes());
    random[8..].copy_from_slice(&time::random_u64().to_le_bytes());
    let stack = loader::build_stack(
        STACK_TOP,
        &argv,
        &envp,
        &auxv,
        random,
        Some(path.as_bytes()),
        MAX_ARGS_SIZE,
    )
    .map_err(|_| Errno::E2BIG)?;
    space.copy_out(stack.sp, &stack.bytes)?;

    Ok(Process {
        pid,
        name: String::from(path.rsplit('/').next().unwrap_or(path)),
        space,
        ctx: UserContext::new(plan.entry, stack.sp),
        started_ns: time::monotonic_ns(),
    })
}
