//! Test `t_thread` (expects `exit=0`): threads made by `clone` and joined through the
//! cleared tid word (concept T1).
//!
//! - Shared memory: a global written by a thread is seen by the main thread and the other
//!   way round; a heap value allocated in one thread is used and freed in another; a thread's
//!   result comes back through `join`.
//! - Shared descriptors: a pipe a thread opens after it was spawned is usable by the main
//!   thread; a close in the thread is a close for the whole process (the main thread's
//!   read sees end of file, its write `EBADF`). Shared working directory: a thread's
//!   `chdir` moves the main thread too.
//! - Own stacks: locals of different threads live at different addresses, and four threads
//!   recursing deeply at the same time (yielding inside) each find their frames as they
//!   left them.
//! - Ids: `getpid` is the same in every thread, `gettid` differs and is what `clone`
//!   returned (and the main thread's tid is the pid).
//! - Exit: the kernel stores the tid in the tid word before `clone` returns and clears it
//!   when the thread exits, waking a futex waiter on it; a thread that calls plain `exit`
//!   ends alone (no result to join; the others go on, even when the exiting thread is the
//!   main thread); `exit_group` from a thread ends every thread of the process (checked in
//!   a forked child, whose status says so).
//! - 100 threads started and joined one after the other (stacks and ids are recycled).
//! - Bad flags: `CLONE_THREAD` without `CLONE_SIGHAND`, and `CLONE_SIGHAND` without
//!   `CLONE_VM`, are `EINVAL`.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::boxed::Box;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::hint::black_box;
use core::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use core::time::Duration;

use ulib::abi::Errno;
use ulib::abi::process::{
    CLONE_FILES, CLONE_FS, CLONE_SIGHAND, CLONE_SYSVSEM, CLONE_THREAD, CLONE_VM,
};
use ulib::abi::wait::{WNOHANG, WaitStatus};
use ulib::sync::futex::futex_wait_shared;
use ulib::sync::{Barrier, Mutex, Semaphore};
use ulib::thread::{self, Builder, JoinHandle};
use ulib::{Pid, check, check_eq, check_ne, check_ok, fs};

ulib::entry!(main);

/// How long to wait for something another thread or process does before giving up.
const PATIENCE_MS: u64 = 10_000;

/// Threads of the recursion test.
const RECURSERS: usize = 4;

/// Depth of each recursion (frames of a little over 256 bytes: about 32 KiB of the 64 KiB
/// stack).
const DEPTH: usize = 120;

fn main() -> i32 {
    shared_memory();
    shared_descriptors();
    shared_directory();
    own_stacks();
    deep_recursion();
    ids();
    tid_word_cleared_at_exit();
    thread_exit_ends_one_thread();
    main_thread_exit_leaves_the_others();
    exit_group_ends_every_thread();
    many_threads();
    bad_flags();
    ulib::println!("t_thread: ok");
    0
}

fn spawn<T: Send + 'static>(main: impl FnOnce() -> T + Send + 'static) -> JoinHandle<T> {
    check_ok!(thread::spawn(main), "spawn a thread")
}

/// Written by threads, read by the main thread and the other way round.
static SHARED: AtomicU64 = AtomicU64::new(0);

fn shared_memory() {
    SHARED.store(1, Ordering::SeqCst);
    let worker = spawn(|| {
        let seen = SHARED.load(Ordering::SeqCst);
        SHARED.store(2, Ordering::SeqCst);
        seen
    });
    check_eq!(worker.join(), 1, "the thread sees the main thread's write");
    check_eq!(
        SHARED.load(Ordering::SeqCst),
        2,
        "the main thread sees the thread's write"
    );

    // A value the main thread writes after the spawn, handed over with a semaphore.
    let slot = Arc::new(Mutex::new(Vec::new()));
    let ready = Arc::new(Semaphore::new(0));
    let worker = {
        let (slot, ready) = (Arc::clone(&slot), Arc::clone(&ready));
        spawn(move || {
            ready.p();
            let numbers = core::mem::take(&mut *slot.lock());
            // Allocated here, freed by the main thread.
            Box::new(numbers.iter().sum::<u32>())
        })
    };
    slot.lock().extend([1, 2, 3, 4]);
    ready.v();
    check_eq!(
        *worker.join(),
        10,
        "the thread summed the main thread's vector"
    );
    check!(
        slot.lock().is_empty(),
        "the thread emptied the shared vector"
    );
}

fn shared_descriptors() {
    let pipe_fds = Arc::new(Mutex::new(None));
    let (opened, written) = (Arc::new(Semaphore::new(0)), Arc::new(Semaphore::new(0)));
    let worker = {
        let (pipe_fds, opened, written) = (
            Arc::clone(&pipe_fds),
            Arc::clone(&opened),
            Arc::clone(&written),
        );
        spawn(move || {
            let (r, w) = check_ok!(fs::pipe(), "pipe in the thread");
            *pipe_fds.lock() = Some((r, w));
            opened.v();
            written.p();
            let mut buf = [0u8; 16];
            let got = check_ok!(fs::read(r, &mut buf), "read in the thread");
            check_ok!(fs::close(w), "close of the write end in the thread");
            buf[..got].to_vec()
        })
    };
    opened.p();
    let fds = *pipe_fds.lock();
    let Some((r, w)) = fds else {
        ulib::fail!("the thread published no pipe");
    };
    check_eq!(
        fs::write(w, b"hello"),
        Ok(5),
        "the main thread writes to the thread's pipe"
    );
    written.v();
    check_eq!(
        worker.join(),
        b"hello",
        "the thread read the main thread's bytes"
    );
    let mut buf = [0u8; 4];
    check_eq!(
        fs::read(r, &mut buf),
        Ok(0),
        "end of file: the thread closed the only write end"
    );
    check_eq!(
        fs::write(w, b"x"),
        Err(Errno::EBADF),
        "the write end is closed for the main thread too"
    );
    check_ok!(fs::close(r), "close of the read end");
}

fn shared_directory() {
    let before = check_ok!(fs::getcwd(), "getcwd");
    let target = if before == "/" { "/bin" } else { "/" };
    let worker = spawn(move || {
        check_ok!(fs::chdir(target), "chdir {target} in the thread");
        check_ok!(fs::getcwd(), "getcwd in the thread")
    });
    let theirs: String = worker.join();
    check_eq!(
        check_ok!(fs::getcwd(), "getcwd"),
        theirs,
        "the thread's chdir moved the main thread"
    );
    check_ne!(theirs, before, "the directory changed");
    check_ok!(fs::chdir(&before), "chdir back to {before}");
}

fn own_stacks() {
    let local = 0u8;
    let mine = black_box(&local) as *const u8 as usize;
    let workers: Vec<_> = (0..4)
        .map(|_| {
            spawn(|| {
                let local = 0u8;
                black_box(&local) as *const u8 as usize
            })
        })
        .collect();
    let mut addresses: Vec<usize> = workers.into_iter().map(JoinHandle::join).collect();
    addresses.push(mine);
    for (i, a) in addresses.iter().enumerate() {
        for b in &addresses[i + 1..] {
            check!(
                a.abs_diff(*b) >= 4096,
                "locals of two threads are a page or more apart: {a:#x} and {b:#x}"
            );
        }
    }
}

/// Recurses `depth` levels, each frame holding 256 bytes that name the thread and the
/// level, yielding now and then so that the threads interleave; checks every frame on the
/// way back. Returns how many frames were intact.
fn recurse(id: u8, depth: usize) -> usize {
    let frame = [id ^ depth as u8; 256];
    let frame = black_box(frame);
    if depth.is_multiple_of(16) {
        let _ = thread::yield_now();
    }
    let below = if depth == 0 {
        0
    } else {
        recurse(id, depth - 1)
    };
    let intact = black_box(&frame)
        .iter()
        .all(|&byte| byte == id ^ depth as u8);
    below + usize::from(intact)
}

fn deep_recursion() {
    let start = Arc::new(Barrier::new(RECURSERS as u32));
    let workers: Vec<_> = (0..RECURSERS)
        .map(|id| {
            let start = Arc::clone(&start);
            spawn(move || {
                start.wait();
                recurse(id as u8 * 37 + 1, DEPTH)
            })
        })
        .collect();
    for (id, worker) in workers.into_iter().enumerate() {
        check_eq!(
            worker.join(),
            DEPTH + 1,
            "thread {id}: every frame of its recursion intact"
        );
    }
}

fn ids() {
    let pid = check_ok!(ulib::getpid(), "getpid");
    check_eq!(
        ulib::gettid(),
        Ok(pid),
        "the main thread's tid is the process id"
    );
    let workers: Vec<_> = (0..4)
        .map(|_| spawn(|| (ulib::getpid(), ulib::gettid())))
        .collect();
    let mut tids: Vec<Pid> = Vec::new();
    for worker in workers {
        let handle_tid = worker.tid();
        let (their_pid, their_tid) = worker.join();
        check_eq!(their_pid, Ok(pid), "getpid in a thread is the process's");
        let their_tid = check_ok!(their_tid, "gettid in a thread");
        check_eq!(their_tid, handle_tid, "gettid is what clone returned");
        check!(
            their_tid != pid && !tids.contains(&their_tid),
            "thread id {their_tid} is its own"
        );
        tids.push(their_tid);
    }
}

fn tid_word_cleared_at_exit() {
    let go = Arc::new(Semaphore::new(0));
    let worker = {
        let go = Arc::clone(&go);
        spawn(move || go.p())
    };
    let tid = worker.tid() as u32;
    let word: &AtomicU32 = worker.tid_word();
    check_eq!(
        word.load(Ordering::SeqCst),
        tid,
        "CLONE_PARENT_SETTID stored the tid before clone returned"
    );
    check!(!worker.is_finished(), "the thread waits for the semaphore");
    go.v();
    // Sleep on the word the way join does, but with a limit: the kernel must clear it and
    // wake this waiter when the thread exits.
    while word.load(Ordering::SeqCst) == tid {
        match futex_wait_shared(word, tid, Some(Duration::from_millis(PATIENCE_MS))) {
            Ok(()) | Err(Errno::EAGAIN) | Err(Errno::EINTR) => {}
            Err(error) => ulib::fail!("waiting for the tid word to clear: {error}"),
        }
    }
    check_eq!(
        word.load(Ordering::SeqCst),
        0,
        "the tid word is cleared at exit"
    );
    check!(worker.is_finished(), "the handle sees the thread ended");
    worker.join();
}

fn thread_exit_ends_one_thread() {
    let alive = Arc::new(AtomicUsize::new(0));
    let quitter = spawn(|| thread::exit_thread(3));
    let survivor = {
        let alive = Arc::clone(&alive);
        spawn(move || {
            for _ in 0..10 {
                check_ok!(ulib::sleep_ms(10), "sleep");
                alive.fetch_add(1, Ordering::SeqCst);
            }
            5
        })
    };
    check!(
        quitter.wait().is_none(),
        "a thread that called exit returned nothing"
    );
    check_eq!(survivor.join(), 5, "the other thread ran to its end");
    check_eq!(
        alive.load(Ordering::SeqCst),
        10,
        "the other thread was not cut short"
    );
}

/// Waits (at most [`PATIENCE_MS`]) for the child `pid` to end; kills it and fails if it does
/// not.
fn wait_for_child(pid: Pid, what: &str) -> WaitStatus {
    for _ in 0..PATIENCE_MS / 10 {
        let (got, status) = check_ok!(ulib::wait4(pid, WNOHANG), "wait4 for {what}");
        if got == pid {
            return WaitStatus::decode(status)
                .unwrap_or_else(|| ulib::fail!("{what}: undecodable status {status:#x}"));
        }
        check_ok!(ulib::sleep_ms(10), "sleep");
    }
    let _ = ulib::kill(pid, ulib::abi::signal::SIGKILL);
    let _ = ulib::waitpid(pid);
    ulib::fail!("{what}: still running after {PATIENCE_MS} ms")
}

fn main_thread_exit_leaves_the_others() {
    let child = check_ok!(
        ulib::spawn(|| {
            let _worker = spawn(|| {
                check_ok!(ulib::sleep_ms(100), "sleep");
                ulib::exit(9)
            });
            // The main thread ends alone; the process lives on in the worker, which then
            // ends it with status 9.
            thread::exit_thread(1)
        }),
        "fork"
    );
    check_eq!(
        wait_for_child(child, "a child whose main thread exited"),
        WaitStatus::Exited(9),
        "the process outlived its main thread and ended with the worker's exit_group"
    );
}

fn exit_group_ends_every_thread() {
    let child = check_ok!(
        ulib::spawn(|| {
            let sleepers: Vec<_> = (0..3)
                .map(|_| {
                    // Longer than the parent waits for the child.
                    spawn(|| ulib::sleep_ms(2 * PATIENCE_MS))
                })
                .collect();
            let _ender = spawn(|| {
                check_ok!(ulib::sleep_ms(50), "sleep");
                ulib::exit(7)
            });
            // exit_group ends the sleepers, and this thread in its join.
            for sleeper in sleepers {
                let _ = sleeper.join();
            }
            0
        }),
        "fork"
    );
    check_eq!(
        wait_for_child(child, "a child with a thread calling exit_group"),
        WaitStatus::Exited(7),
        "exit_group from a thread ended the whole process with its status"
    );
}

fn many_threads() {
    let sum = Arc::new(AtomicU64::new(0));
    for i in 0..100u64 {
        let sum = Arc::clone(&sum);
        let worker = spawn(move || sum.fetch_add(i, Ordering::SeqCst));
        worker.join();
    }
    check_eq!(
        sum.load(Ordering::SeqCst),
        4950,
        "100 threads each added their number"
    );
}

fn bad_flags() {
    let cases = [
        (
            CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_THREAD | CLONE_SYSVSEM,
            "CLONE_THREAD without CLONE_SIGHAND",
        ),
        (
            CLONE_FS | CLONE_FILES | CLONE_SIGHAND,
            "CLONE_SIGHAND without CLONE_VM",
        ),
    ];
    for (flags, what) in cases {
        match Builder::new().flags(flags).spawn(|| ()) {
            Err(error) => check_eq!(error, Errno::EINVAL, "{what}"),
            Ok(handle) => {
                // Never joined: such a child may not share the tid word.
                core::mem::forget(handle);
                ulib::fail!("{what}: clone succeeded");
            }
        }
    }
}
