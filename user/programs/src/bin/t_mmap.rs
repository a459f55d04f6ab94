//! Test `t_mmap` (expects `exit=0`): anonymous memory mappings (concepts M4, M5, M6).
//!
//! - A private anonymous mapping reads as zeros, keeps what is written, and is gone after
//!   `munmap` (touching it then is SIGSEGV, checked in a child).
//! - `mprotect` to read-only makes a write SIGSEGV while reads work; PROT_NONE makes reads
//!   SIGSEGV too.
//! - Across `fork`, a MAP_SHARED mapping is shared (the child's write is seen by the parent,
//!   also in a page nobody had touched before the fork)
//!   while a MAP_PRIVATE one is copied on write (it is not).
//! - `madvise(MADV_DONTNEED)` makes private pages read as zeros again.
//! - Bad requests fail as on Linux: zero length, unaligned offset or MAP_FIXED address,
//!   neither SHARED nor PRIVATE -> EINVAL; a bad descriptor -> EBADF; MAP_FIXED_NOREPLACE
//!   over a mapping -> EEXIST; mprotect of an unmapped range -> ENOMEM.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use ulib::abi::errno::Errno;
use ulib::abi::mm::{
    MADV_DONTNEED, MAP_ANONYMOUS, MAP_FIXED, MAP_FIXED_NOREPLACE, MAP_PRIVATE, PROT_NONE,
    PROT_READ, PROT_WRITE,
};
use ulib::abi::signal::SIGSEGV;
use ulib::abi::wait;
use ulib::hazard::{read_volatile_at, write_volatile_at};
use ulib::mm::{Mapping, madvise, mmap, mprotect, munmap};
use ulib::process::Fork;
use ulib::{check, check_eq};

ulib::entry!(main);

const PAGE: usize = 4096;

/// Runs `f` in a child and returns how the child ended.
fn in_child(f: impl FnOnce()) -> i32 {
    match ulib::fork() {
        Ok(Fork::Child) => {
            f();
            ulib::exit(0)
        }
        // Without the core-dump flag: whether it is set depends on the core-size limit.
        Ok(Fork::Parent(pid)) => ulib::waitpid(pid).map_or(-1, |status| status & !0x80),
        Err(e) => ulib::fail!("fork: {e}"),
    }
}

fn private_anonymous() {
    let mut map = Mapping::anonymous(16 * PAGE, false).unwrap_or_else(|e| ulib::fail!("mmap: {e}"));
    check!(
        map.bytes().iter().all(|&b| b == 0),
        "a new anonymous mapping reads as zeros"
    );
    for (i, byte) in map.bytes_mut().iter_mut().enumerate() {
        *byte = (i % 251) as u8;
    }
    check!(
        map.bytes()
            .iter()
            .enumerate()
            .all(|(i, &b)| b == (i % 251) as u8),
        "the mapping keeps what was written"
    );
    let addr = map.addr();
    drop(map);
    check_eq!(
        in_child(|| {
            read_volatile_at(addr);
        }),
        wait::signaled(SIGSEGV, false),
        "touching an unmapped mapping is SIGSEGV"
    );
}

fn protection() {
    let addr = mmap(
        0,
        2 * PAGE,
        PROT_READ | PROT_WRITE,
        MAP_PRIVATE | MAP_ANONYMOUS,
        -1,
        0,
    )
    .unwrap_or(0);
    check!(addr != 0, "mmap for the protection test");
    write_volatile_at(addr, 0x1234);
    check_eq!(
        mprotect(addr, PAGE, PROT_READ),
        Ok(()),
        "mprotect read-only"
    );
    check_eq!(
        read_volatile_at(addr),
        0x1234,
        "a read-only page still reads"
    );
    check_eq!(
        in_child(|| write_volatile_at(addr, 1)),
        wait::signaled(SIGSEGV, false),
        "a write to a read-only page is SIGSEGV"
    );
    write_volatile_at(addr + PAGE, 7);
    check_eq!(
        read_volatile_at(addr + PAGE),
        7,
        "the second page stayed writable"
    );
    check_eq!(
        mprotect(addr, PAGE, PROT_NONE),
        Ok(()),
        "mprotect PROT_NONE"
    );
    check_eq!(
        in_child(|| {
            read_volatile_at(addr);
        }),
        wait::signaled(SIGSEGV, false),
        "a read of a PROT_NONE page is SIGSEGV"
    );
    check_eq!(
        mprotect(addr, PAGE, PROT_READ | PROT_WRITE),
        Ok(()),
        "mprotect back to read-write"
    );
    check_eq!(
        read_volatile_at(addr),
        0x1234,
        "the data survived PROT_NONE"
    );
    check_eq!(munmap(addr, 2 * PAGE), Ok(()), "munmap");
    check_eq!(
        mprotect(addr, PAGE, PROT_READ),
        Err(Errno::ENOMEM),
        "mprotect of an unmapped range"
    );
}

fn across_fork() {
    let mut shared =
        Mapping::anonymous(2 * PAGE, true).unwrap_or_else(|e| ulib::fail!("mmap shared: {e}"));
    let mut private =
        Mapping::anonymous(PAGE, false).unwrap_or_else(|e| ulib::fail!("mmap private: {e}"));
    shared.bytes_mut()[0] = 1;
    private.bytes_mut()[0] = 1;
    let (shared_addr, private_addr) = (shared.addr(), private.addr());
    // The second shared page is touched by nobody before the fork: it must still be one
    // page for both (the first touch, by the child, makes it for both).
    let status = in_child(|| {
        write_volatile_at(shared_addr, 42);
        write_volatile_at(private_addr, 42);
        write_volatile_at(shared_addr + PAGE, 43);
    });
    check_eq!(status, wait::exited(0), "the child wrote both mappings");
    check_eq!(
        shared.bytes()[0],
        42,
        "MAP_SHARED: the parent sees the child's write"
    );
    check_eq!(
        shared.bytes()[PAGE],
        43,
        "MAP_SHARED: a page first touched by the child after fork is the parent's too"
    );
    check_eq!(
        private.bytes()[0],
        1,
        "MAP_PRIVATE: the child's write stayed in the child"
    );
}

fn dontneed() {
    let mut map = Mapping::anonymous(4 * PAGE, false).unwrap_or_else(|e| ulib::fail!("mmap: {e}"));
    map.bytes_mut().fill(0xab);
    check_eq!(
        madvise(map.addr(), 4 * PAGE, MADV_DONTNEED),
        Ok(()),
        "madvise DONTNEED"
    );
    check!(
        map.bytes().iter().all(|&b| b == 0),
        "DONTNEED pages read as zeros again"
    );
}

fn bad_requests() {
    let anon = MAP_PRIVATE | MAP_ANONYMOUS;
    let rw = PROT_READ | PROT_WRITE;
    check_eq!(
        mmap(0, 0, rw, anon, -1, 0),
        Err(Errno::EINVAL),
        "zero length"
    );
    check_eq!(
        mmap(0, PAGE, rw, MAP_ANONYMOUS, -1, 0),
        Err(Errno::EINVAL),
        "neither shared nor private"
    );
    check_eq!(
        mmap(0, PAGE, rw, MAP_PRIVATE, 99, 0),
        Err(Errno::EBADF),
        "a bad descriptor"
    );
    check_eq!(
        mmap(0, PAGE, rw, anon, -1, 100),
        Err(Errno::EINVAL),
        "an unaligned offset"
    );
    check_eq!(
        mmap(0x1000_0001, PAGE, rw, anon | MAP_FIXED, -1, 0),
        Err(Errno::EINVAL),
        "an unaligned MAP_FIXED address"
    );
    check_eq!(
        mmap(0, PAGE, 0x80, anon, -1, 0),
        Err(Errno::EINVAL),
        "unknown protection bits"
    );
    check_eq!(
        munmap(0x1000_0001, PAGE),
        Err(Errno::EINVAL),
        "munmap of an unaligned address"
    );
    let addr = mmap(0, PAGE, rw, anon, -1, 0).unwrap_or(0);
    check_eq!(
        mmap(addr, PAGE, rw, anon | MAP_FIXED_NOREPLACE, -1, 0),
        Err(Errno::EEXIST),
        "MAP_FIXED_NOREPLACE over an existing mapping"
    );
    check_eq!(
        mmap(addr, PAGE, rw, anon | MAP_FIXED, -1, 0),
        Ok(addr),
        "MAP_FIXED replaces it"
    );
    check_eq!(munmap(addr, PAGE), Ok(()), "munmap");
}

fn main() -> i32 {
    private_anonymous();
    protection();
    across_fork();
    dontneed();
    bad_requests();
    ulib::println!("t_mmap: ok");
    0
}
