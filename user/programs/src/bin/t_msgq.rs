//! Test `t_msgq` (expects `exit=0`): System V message queues (concept I3).
//!
//! - `msgget`: `IPC_PRIVATE` makes a new queue each time; a key without `IPC_CREAT` and no
//!   queue is `ENOENT`; `IPC_CREAT | IPC_EXCL` makes one and is `EEXIST` the second time;
//!   the key then finds the same id with or without `IPC_CREAT`; `IPC_STAT` shows the key,
//!   the permissions, an empty queue and the default `msg_qbytes` (16384); after
//!   `IPC_RMID` the key is `ENOENT` again.
//! - Selecting by type: type 0 takes the oldest message, a positive type the oldest of that
//!   type, a negative type the oldest of the lowest type `<= |type|` (send 3, 1, 2, 1;
//!   receiving -2 gives the first 1, the second 1, then 2, then nothing); messages of one
//!   type come out in the order sent; `IPC_NOWAIT` with no message that fits is `ENOMSG`.
//! - Sizes: a message longer than the buffer is `E2BIG` and stays queued, `MSG_NOERROR`
//!   takes it truncated; an empty message works; `MSGMAX` (8192) bytes pass, one more is
//!   `EINVAL`, as are a type `<= 0` and negative sizes. `IPC_STAT` counts the messages
//!   (`msg_qnum`), their bytes (`msg_cbytes`) and names the last sender (`msg_lspid`) and,
//!   on Lantern, the last receiver (`msg_lrpid`; qemu-user puts it at the wrong offset).
//! - Bad ids (negative, never made, removed) are `EINVAL` for every call, as is an unknown
//!   `msgctl` command; bad message or result pointers (NULL, kernel half, unmapped) are
//!   `EFAULT`.
//! - Blocking: a receiver waiting for type 2 is not woken by a type-1 message but is by
//!   another process's type-2 `msgsnd`; removing the queue wakes a blocked receiver with
//!   `EIDRM`.
//! - The message-queue ping-pong: parent and child bounce a counter 1000 times over one
//!   queue, the parent sending type 1 and the child answering with type 2.
//! - `/proc/sysvipc/msg` lists a queue with its key, id, mode, bytes and messages.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::vec;
use alloc::vec::Vec;

use ulib::abi::Errno;
use ulib::abi::fs::{O_NONBLOCK, POLLIN, PollFd};
use ulib::abi::ipc::{
    IPC_CREAT, IPC_EXCL, IPC_NOWAIT, IPC_PRIVATE, IPC_STAT, MSG_NOERROR, MSG_TYPE_SIZE, MSGMAX,
    MSGMNB,
};
use ulib::abi::wait;
use ulib::hazard::BAD_POINTERS;
use ulib::ipc::{self, raw};
use ulib::poll::poll;
use ulib::syscall::decode;
use ulib::{Pid, check, check_eq, check_ok, fs};

ulib::entry!(main);

/// How long to wait for something another process does before giving up.
const PATIENCE_MS: u64 = 10_000;

/// How long a process that should stay blocked is given to (wrongly) get through.
const SETTLE_MS: u64 = 200;

/// Round trips of the ping-pong.
const ROUND_TRIPS: u64 = 1000;

/// Room for every message these tests receive, except where a test says otherwise.
const BUFFER: usize = 64;

fn main() -> i32 {
    check_get();
    check_types();
    check_sizes_and_stat();
    check_bad_ids();
    check_bad_pointers();
    check_blocking_receive();
    check_removal_wakes_receiver();
    check_ping_pong();
    check_proc_file();
    ulib::println!("t_msgq: ok");
    0
}

fn new_queue() -> i32 {
    let id = check_ok!(
        ipc::msgget(IPC_PRIVATE, IPC_CREAT | 0o600),
        "msgget(IPC_PRIVATE)"
    );
    check!(id >= 0, "msgget returned the id {id}");
    id
}

fn remove(id: i32) {
    check_ok!(ipc::msgctl_rmid(id), "msgctl({id}, IPC_RMID)");
}

fn send(id: i32, mtype: i64, data: &[u8]) {
    check_ok!(
        ipc::msgsnd(id, mtype, data, 0),
        "msgsnd of {} bytes of type {mtype}",
        data.len()
    );
}

/// Receives without waiting; the message's type and text.
fn receive(id: i32, mtype: i64) -> (i64, Vec<u8>) {
    let mut buf = [0u8; BUFFER];
    let (got, len) = check_ok!(
        ipc::msgrcv(id, &mut buf, mtype, IPC_NOWAIT),
        "msgrcv of type {mtype}"
    );
    (got, buf[..len].to_vec())
}

fn expect_empty(id: i32, mtype: i64, what: &str) {
    let mut buf = [0u8; BUFFER];
    check_eq!(
        ipc::msgrcv(id, &mut buf, mtype, IPC_NOWAIT),
        Err(Errno::ENOMSG),
        "{what}"
    );
}

fn stat(id: i32) -> ulib::abi::ipc::MsqidDs {
    check_ok!(ipc::msgctl_stat(id), "msgctl({id}, IPC_STAT)")
}

fn spawn(child: impl FnOnce() -> i32) -> Pid {
    check_ok!(ulib::spawn(child), "fork")
}

fn expect_exit(pid: Pid, what: &str) {
    check_eq!(ulib::waitpid(pid), Ok(wait::exited(0)), "{what}");
}

/// A non-blocking pipe a child reports its progress on, one byte per step.
fn status_pipe() -> (i32, i32) {
    check_ok!(fs::pipe2(O_NONBLOCK), "status pipe")
}

/// Waits up to [`PATIENCE_MS`] for the child reporting on `status` to start.
fn await_start(status: i32) {
    let mut set = [PollFd {
        fd: status,
        events: POLLIN,
        revents: 0,
    }];
    check_eq!(
        poll(&mut set, Some(PATIENCE_MS)),
        Ok(1),
        "waiting for the child's start"
    );
    let mut byte = [0u8];
    check_eq!(fs::read(status, &mut byte), Ok(1), "the child's start");
}

/// Checks that the child reporting on `status` has not got past its current step.
fn expect_still_blocked(status: i32, what: &str) {
    let _ = ulib::sleep_ms(SETTLE_MS);
    let mut byte = [0u8];
    check_eq!(fs::read(status, &mut byte), Err(Errno::EAGAIN), "{what}");
}

fn check_get() {
    let first = new_queue();
    let second = check_ok!(ipc::msgget(IPC_PRIVATE, 0o600), "msgget(IPC_PRIVATE)");
    check!(
        first != second,
        "IPC_PRIVATE makes a new queue each time ({first}, {second})"
    );
    remove(first);
    remove(second);

    let pid = check_ok!(ulib::getpid(), "getpid");
    let key = 0x4c4d_0000 | (pid & 0xffff);
    check_eq!(
        ipc::msgget(key, 0o600),
        Err(Errno::ENOENT),
        "a key with no queue, without IPC_CREAT"
    );
    let id = check_ok!(
        ipc::msgget(key, IPC_CREAT | IPC_EXCL | 0o600),
        "msgget(key, IPC_CREAT | IPC_EXCL)"
    );
    check_eq!(
        ipc::msgget(key, IPC_CREAT | IPC_EXCL | 0o600),
        Err(Errno::EEXIST),
        "IPC_CREAT | IPC_EXCL the second time"
    );
    check_eq!(ipc::msgget(key, 0), Ok(id), "the key finds its queue");
    check_eq!(
        ipc::msgget(key, IPC_CREAT | 0o600),
        Ok(id),
        "IPC_CREAT without IPC_EXCL finds the queue"
    );
    let state = stat(id);
    check_eq!(state.msg_perm.key, key, "IPC_STAT key");
    check_eq!(state.msg_perm.mode & 0o777, 0o600, "IPC_STAT permissions");
    check_eq!(
        (state.msg_qnum, state.msg_cbytes),
        (0, 0),
        "a new queue is empty"
    );
    check_eq!(state.msg_qbytes, MSGMNB as u64, "a new queue's msg_qbytes");
    remove(id);
    check_eq!(
        ipc::msgget(key, 0),
        Err(Errno::ENOENT),
        "the key after IPC_RMID"
    );
}

fn check_types() {
    let id = new_queue();
    expect_empty(id, 0, "IPC_NOWAIT on an empty queue");
    // The textbook example: types 3, 1, 2, 1; -2 takes the lowest type <= 2, oldest first.
    send(id, 3, b"three");
    send(id, 1, b"one-a");
    send(id, 2, b"two");
    send(id, 1, b"one-b");
    check_eq!(receive(id, -2), (1, b"one-a".to_vec()), "first msgrcv(-2)");
    check_eq!(receive(id, -2), (1, b"one-b".to_vec()), "second msgrcv(-2)");
    check_eq!(receive(id, -2), (2, b"two".to_vec()), "third msgrcv(-2)");
    expect_empty(id, -2, "msgrcv(-2) with only type 3 left");
    expect_empty(id, 4, "msgrcv of a type not queued");
    check_eq!(receive(id, 0), (3, b"three".to_vec()), "msgrcv(0)");
    expect_empty(id, 0, "the queue after taking everything");

    send(id, 5, b"a");
    send(id, 4, b"b");
    send(id, 5, b"c");
    send(id, 4, b"d");
    check_eq!(receive(id, 4), (4, b"b".to_vec()), "the oldest of type 4");
    check_eq!(
        receive(id, 0),
        (5, b"a".to_vec()),
        "type 0 takes the oldest"
    );
    check_eq!(receive(id, 4), (4, b"d".to_vec()), "the next of type 4");
    check_eq!(receive(id, -9), (5, b"c".to_vec()), "msgrcv(-9)");

    for seq in 0..20u8 {
        send(id, 6 + i64::from(seq % 2), &[seq]);
    }
    for seq in (0..20u8).filter(|seq| seq % 2 == 1) {
        check_eq!(receive(id, 7), (7, vec![seq]), "type 7 in the order sent");
    }
    for seq in (0..20u8).filter(|seq| seq % 2 == 0) {
        check_eq!(receive(id, 0), (6, vec![seq]), "type 6 in the order sent");
    }
    expect_empty(id, 0, "the queue after the ordered messages");
    remove(id);
}

fn check_sizes_and_stat() {
    let id = new_queue();
    send(id, 1, b"0123456789");
    let mut small = [0u8; 4];
    check_eq!(
        ipc::msgrcv(id, &mut small, 0, IPC_NOWAIT),
        Err(Errno::E2BIG),
        "a message longer than the buffer"
    );
    check_eq!(stat(id).msg_qnum, 1, "the long message stays queued");
    check_eq!(
        ipc::msgrcv(id, &mut small, 0, IPC_NOWAIT | MSG_NOERROR),
        Ok((1, 4)),
        "MSG_NOERROR truncates"
    );
    check_eq!(&small, b"0123", "the truncated text");
    check_eq!(
        (stat(id).msg_qnum, stat(id).msg_cbytes),
        (0, 0),
        "the truncated rest is gone"
    );

    send(id, 2, b"");
    check_eq!(receive(id, 0), (2, Vec::new()), "an empty message");

    for mtype in [0, -1, i64::MIN] {
        check_eq!(
            ipc::msgsnd(id, mtype, b"x", 0),
            Err(Errno::EINVAL),
            "msgsnd of type {mtype}"
        );
    }
    let largest: Vec<u8> = (0..MSGMAX).map(|pos| pos as u8).collect();
    send(id, 3, &largest);
    let mut buf = vec![0u8; MSGMAX];
    check_eq!(
        ipc::msgrcv(id, &mut buf, 3, IPC_NOWAIT),
        Ok((3, MSGMAX)),
        "a message of MSGMAX bytes"
    );
    check!(buf == largest, "the MSGMAX bytes arrived intact");
    check_eq!(
        ipc::msgsnd(id, 3, &vec![0u8; MSGMAX + 1], 0),
        Err(Errno::EINVAL),
        "msgsnd of MSGMAX + 1 bytes"
    );
    let message = [1u8; MSG_TYPE_SIZE + 4];
    check_eq!(
        decode(raw::msgsnd(id, message.as_ptr() as usize, usize::MAX, 0)),
        Err(Errno::EINVAL),
        "msgsnd of a negative size"
    );
    let scratch = [0u8; BUFFER];
    check_eq!(
        decode(raw::msgrcv(
            id,
            scratch.as_ptr() as usize,
            usize::MAX,
            0,
            IPC_NOWAIT
        )),
        Err(Errno::EINVAL),
        "msgrcv of a negative size"
    );
    check_eq!(stat(id).msg_qnum, 0, "the refused messages were not queued");

    send(id, 1, b"hello");
    send(id, 2, b"message");
    send(id, 3, b"");
    let pid = check_ok!(ulib::getpid(), "getpid");
    let state = stat(id);
    check_eq!(state.msg_qnum, 3, "IPC_STAT msg_qnum");
    check_eq!(state.msg_cbytes, 12, "IPC_STAT msg_cbytes");
    check_eq!(state.msg_lspid, pid, "IPC_STAT msg_lspid");
    receive(id, 2);
    let state = stat(id);
    check_eq!(
        (state.msg_qnum, state.msg_cbytes),
        (2, 5),
        "IPC_STAT after a receive"
    );
    // qemu-user (this test's Linux reference) stores the two pids as 8-byte fields, so its
    // msg_lrpid lands at byte 104 instead of 100 and reads as 0 here.
    if ulib::on_lantern() {
        check_eq!(state.msg_lrpid, pid, "IPC_STAT msg_lrpid");
    }
    remove(id);
}

fn check_bad_ids() {
    let removed = new_queue();
    remove(removed);
    let mut buf = [0u8; BUFFER];
    for id in [-1, i32::MAX, removed] {
        check_eq!(
            ipc::msgsnd(id, 1, b"x", IPC_NOWAIT),
            Err(Errno::EINVAL),
            "msgsnd to the id {id}"
        );
        check_eq!(
            ipc::msgrcv(id, &mut buf, 0, IPC_NOWAIT),
            Err(Errno::EINVAL),
            "msgrcv from the id {id}"
        );
        check_eq!(
            ipc::msgctl_stat(id).map(|_| ()),
            Err(Errno::EINVAL),
            "IPC_STAT of the id {id}"
        );
        check_eq!(
            ipc::msgctl_rmid(id),
            Err(Errno::EINVAL),
            "IPC_RMID of the id {id}"
        );
    }
    let id = new_queue();
    check_eq!(
        decode(raw::msgctl(id, 99, 0)),
        Err(Errno::EINVAL),
        "an unknown msgctl command"
    );
    remove(id);
}

fn check_bad_pointers() {
    let id = new_queue();
    for bad in BAD_POINTERS {
        check_eq!(
            decode(raw::msgsnd(id, bad, 4, IPC_NOWAIT)),
            Err(Errno::EFAULT),
            "msgsnd of a message at {bad:#x}"
        );
        check_eq!(
            decode(raw::msgctl(id, IPC_STAT, bad)),
            Err(Errno::EFAULT),
            "IPC_STAT into {bad:#x}"
        );
    }
    check_eq!(stat(id).msg_qnum, 0, "the faulting msgsnds queued nothing");
    for bad in BAD_POINTERS {
        // Linux drops a message it cannot store; qemu-user checks the buffer before taking
        // one. Either way the call is EFAULT, so the queue is emptied before each try.
        while ipc::msgrcv(id, &mut [0u8; BUFFER], 0, IPC_NOWAIT).is_ok() {}
        send(id, 1, b"data");
        check_eq!(
            decode(raw::msgrcv(id, bad, BUFFER, 0, IPC_NOWAIT)),
            Err(Errno::EFAULT),
            "msgrcv into {bad:#x}"
        );
    }
    remove(id);
}

fn check_blocking_receive() {
    let id = new_queue();
    let (status_r, status_w) = status_pipe();
    let child = spawn(|| {
        let _ = fs::write(status_w, b"a");
        let mut buf = [0u8; BUFFER];
        let result = ipc::msgrcv(id, &mut buf, 2, 0);
        let _ = fs::write(status_w, b"b");
        match result {
            Ok((2, 4)) if &buf[..4] == b"mine" => 0,
            _ => 1,
        }
    });
    check_ok!(fs::close(status_w), "close the status pipe's write end");
    await_start(status_r);
    expect_still_blocked(status_r, "the receiver waits on the empty queue");
    send(id, 1, b"other");
    expect_still_blocked(
        status_r,
        "a type-1 message does not satisfy a type-2 receiver",
    );
    send(id, 2, b"mine");
    expect_exit(child, "the blocked receiver got the type-2 message");
    check_eq!(
        receive(id, 0),
        (1, b"other".to_vec()),
        "the type-1 message is still queued"
    );
    check_ok!(fs::close(status_r), "close the status pipe");
    remove(id);
}

fn check_removal_wakes_receiver() {
    let id = new_queue();
    let (status_r, status_w) = status_pipe();
    let child = spawn(|| {
        let _ = fs::write(status_w, b"a");
        let mut buf = [0u8; BUFFER];
        match ipc::msgrcv(id, &mut buf, 0, 0) {
            Err(Errno::EIDRM) => 0,
            _ => 1,
        }
    });
    check_ok!(fs::close(status_w), "close the status pipe's write end");
    await_start(status_r);
    let _ = ulib::sleep_ms(SETTLE_MS);
    remove(id);
    expect_exit(child, "IPC_RMID woke the blocked receiver with EIDRM");
    check_ok!(fs::close(status_r), "close the status pipe");
}

fn check_ping_pong() {
    let id = new_queue();
    let child = spawn(|| {
        let mut buf = [0u8; 8];
        for round in 0..ROUND_TRIPS {
            match ipc::msgrcv(id, &mut buf, 1, 0) {
                Ok((1, 8)) if u64::from_le_bytes(buf) == round => {}
                _ => return 1,
            }
            if ipc::msgsnd(id, 2, &(round + 1).to_le_bytes(), 0).is_err() {
                return 2;
            }
        }
        0
    });
    let mut buf = [0u8; 8];
    for round in 0..ROUND_TRIPS {
        check_ok!(ipc::msgsnd(id, 1, &round.to_le_bytes(), 0), "ping {round}");
        check_eq!(ipc::msgrcv(id, &mut buf, 2, 0), Ok((2, 8)), "pong {round}");
        check_eq!(u64::from_le_bytes(buf), round + 1, "pong {round}'s counter");
    }
    expect_exit(
        child,
        "the ping-pong partner (exit 1: wrong ping, 2: msgsnd failed)",
    );
    check_eq!(stat(id).msg_qnum, 0, "nothing left after the ping-pong");
    remove(id);
}

fn check_proc_file() {
    let pid = check_ok!(ulib::getpid(), "getpid");
    let key = 0x4c50_0000 | (pid & 0xffff);
    let id = check_ok!(
        ipc::msgget(key, IPC_CREAT | IPC_EXCL | 0o640),
        "a queue to find in /proc"
    );
    send(id, 1, b"hello");
    let text = check_ok!(
        fs::read_to_string("/proc/sysvipc/msg"),
        "read /proc/sysvipc/msg"
    );
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split_whitespace().collect();
    check_eq!(
        header,
        vec![
            "key", "msqid", "perms", "cbytes", "qnum", "lspid", "lrpid", "uid", "gid", "cuid",
            "cgid", "stime", "rtime", "ctime"
        ],
        "the header"
    );
    let key_text = alloc::format!("{key}");
    let id_text = alloc::format!("{id}");
    let row = lines
        .map(|line| line.split_whitespace().collect::<Vec<&str>>())
        .find(|fields| fields.first() == Some(&key_text.as_str()));
    let row = check_ok!(row.ok_or(Errno::ENOENT), "the queue's line");
    check_eq!(
        row[1..5].to_vec(),
        vec![id_text.as_str(), "640", "5", "1"],
        "its id, mode, bytes and messages"
    );
    remove(id);
}
