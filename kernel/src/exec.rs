//! Loading a program (concepts P3, P4): ELF file -> fresh address space -> initial stack.
//!
//! The pure part (which bytes go to which page, the argv/envp/auxv stack image) is
//! `crates/loader`, tested on the host; here we make the regions. Exec reads only the
//! file's headers: the program's pages come in from the file on first touch (demand paging,
//! [`ProgramImage`]), so a large program with a small working set costs little.
//!
//! User memory layout (Sv39 lower half):
//! ```text
//! 0x0000_0000_0001_0000   program image (text, rodata, data, bss) as the ELF says
//! brk start               heap: grows up with brk, pages on first touch
//!          ...
//!          ...             mmap regions, placed top-down below MMAP_TOP
//! MMAP_TOP                 (STACK_TOP - 8 MiB - 1 MiB)
//! STACK_TOP - 8 MiB - 4K  guard page (never mapped: overflow faults, SIGSEGV)
//! STACK_TOP - 8 MiB       user stack, grows down, pages on first touch
//! STACK_TOP = 0x3f_ffff_f000     the signal trampoline page (rt_sigreturn), read + execute
//! USER_TOP  = 0x40_0000_0000      kernel half starts above (not user accessible)
//! ```

use crate::fs::Inode;
use crate::mm::{AddressSpace, Perm, SharedSpace, Vma, VmaKind};
use crate::proc::UserState;
use crate::time;
use abi::errno::Errno;
use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;
use hal::trap::UserContext;
use hal::{PAGE_SIZE, USER_TOP};

/// Top of the user stack.
pub const STACK_TOP: usize = USER_TOP - PAGE_SIZE;
/// Size of the user stack region (Linux's default stack limit).
pub const STACK_SIZE: usize = 8 << 20;
/// `mmap` places mappings top-down below this address (a gap below the stack guard).
pub const MMAP_TOP: usize = STACK_TOP - STACK_SIZE - (1 << 20);
/// Most bytes argv and envp strings and pointers may take together (Linux allows a quarter
/// of the stack limit; Lantern keeps exec's copy of the arguments small).
pub const MAX_ARGS_SIZE: usize = 64 * 1024;
/// The heap may not grow beyond this many bytes.
pub const MAX_HEAP: usize = 1 << 30;
/// RISC-V ISA letters I, M, A, F, D, C as Linux reports them in AT_HWCAP.
const HWCAP_IMAFDC: usize = (1 << 8) | (1 << 12) | 1 | (1 << 5) | (1 << 3) | (1 << 2);

/// Bytes of a program file exec reads to plan it: the headers must lie within them.
const HEAD_SIZE: usize = PAGE_SIZE;

/// Where the pages of a loaded program come from: for each page of its image, the runs of
/// bytes copied from the file (the rest of the page is zero). Shared by the program's
/// regions; read by the fault handler on first touch.
pub struct ProgramImage {
    pub inode: Arc<dyn Inode>,
    fills: BTreeMap<usize, Vec<loader::Fill>>,
}

impl ProgramImage {
    /// The content of the image's page at `page_vaddr`.
    pub fn read_page(&self, page_vaddr: usize, page: &mut [u8; PAGE_SIZE]) -> Result<(), Errno> {
        page.fill(0);
        for fill in self.fills.get(&page_vaddr).into_iter().flatten() {
            let bytes = &mut page[fill.offset_in_page..][..fill.len];
            let mut done = 0;
            while done < bytes.len() {
                let count = self
                    .inode
                    .read_at((fill.file_offset + done) as u64, &mut bytes[done..])?;
                if count == 0 {
                    // The file shrank since exec: the rest reads as zeros.
                    break;
                }
                done += count;
            }
        }
        Ok(())
    }
}

/// Builds the user half of a process running the program in `inode` (`size` bytes) with
/// `argv` and `envp`: regions, the stack with argv/envp/auxv, and registers at the entry
/// point.
pub fn load(
    path: &str,
    inode: &Arc<dyn Inode>,
    size: usize,
    argv: &[&[u8]],
    envp: &[&[u8]],
) -> Result<UserState, Errno> {
    let stack_bottom = STACK_TOP - STACK_SIZE;
    let mut head = alloc::vec![0u8; HEAD_SIZE.min(size)];
    let mut done = 0;
    while done < head.len() {
        let count = inode.read_at(done as u64, &mut head[done..])?;
        if count == 0 {
            break;
        }
        done += count;
    }
    head.truncate(done);
    let plan = loader::plan_from_head(&head, size, stack_bottom - PAGE_SIZE, 0)
        .map_err(|_| Errno::ENOEXEC)?;
    if plan.interp.is_some() {
        // Dynamically linked programs need an interpreter (ld.so); not supported yet.
        return Err(Errno::ENOEXEC);
    }
    let args_size: usize = argv.iter().chain(envp).map(|s| s.len() + 1 + 8).sum();
    if args_size > MAX_ARGS_SIZE {
        return Err(Errno::E2BIG);
    }
    let mut space = AddressSpace::new()?;

    let pages: Vec<_> = plan.pages().collect();
    let image = Arc::new(ProgramImage {
        inode: inode.clone(),
        fills: pages
            .iter()
            .map(|page| (page.page_vaddr, page.fills.clone()))
            .collect(),
    });
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
        let mut vma = Vma::new(first.page_vaddr, end, perm, VmaKind::Program);
        vma.program = Some(image.clone());
        space.add_vma(vma)?;
    }

    let guard = Vma::new(
        stack_bottom - PAGE_SIZE,
        stack_bottom,
        Perm::NONE,
        VmaKind::Guard,
    );
    space.add_vma(guard)?;
    space.add_vma(Vma::new(stack_bottom, STACK_TOP, Perm::RW, VmaKind::Stack))?;
    map_trampoline(&mut space)?;

    let auxv = loader::auxv_for(&plan, PAGE_SIZE, 0, 0, HWCAP_IMAFDC, time::HZ as usize);
    let mut random = [0u8; 16];
    random[..8].copy_from_slice(&time::random_u64().to_le_bytes());
    random[8..].copy_from_slice(&time::random_u64().to_le_bytes());
    let stack = loader::build_stack(
        STACK_TOP,
        argv,
        envp,
        &auxv,
        random,
        Some(path.as_bytes()),
        MAX_ARGS_SIZE,
    )
    .map_err(|_| Errno::E2BIG)?;
    space.copy_out(stack.sp, &stack.bytes)?;

    space.heap_start = plan.brk_start;
    space.brk = plan.brk_start;
    Ok(UserState {
        space: SharedSpace::new(space),
        ctx: UserContext::new(plan.entry, stack.sp),
    })
}

/// Maps the signal trampoline page (read + execute) at `signal::TRAMPOLINE`, the last user
/// page: signal handlers return into it, and it calls `rt_sigreturn`.
fn map_trampoline(space: &mut crate::mm::AddressSpace) -> Result<(), Errno> {
    use crate::proc::signal::{TRAMPOLINE, TRAMPOLINE_CODE};
    let perm = Perm {
        read: true,
        write: false,
        exec: true,
    };
    space.add_vma(Vma::new(
        TRAMPOLINE,
        TRAMPOLINE + PAGE_SIZE,
        perm,
        VmaKind::Trampoline,
    ))?;
    let mut code = [0u8; 8];
    code[..4].copy_from_slice(&TRAMPOLINE_CODE[0].to_le_bytes());
    code[4..].copy_from_slice(&TRAMPOLINE_CODE[1].to_le_bytes());
    space.map_zeroed_page(TRAMPOLINE)?.write_bytes(0, &code);
    Ok(())
}
