//! System V IPC in the Linux riscv64 ABI (concepts I3 message queues, I7 semaphores): the
//! key and flag values of `msgget`, `msgsnd`, `msgrcv`, `semget` and `semop`, the `msgctl`
//! and `semctl` commands, the limits Linux starts with, and the 64-bit (asm-generic)
//! `struct ipc64_perm`, `struct msqid64_ds`, `struct semid64_ds` and `struct sembuf`.
//!
//! Invariants:
//! - Values are Linux's (`include/uapi/linux/ipc.h`, `msg.h`, `sem.h`). Flags travel in
//!   `int` arguments (or the `short sem_flg`) but are bit sets, so they are `u32`; commands
//!   are `i32`.
//! - [`Ipc64Perm`] is 48 bytes (`include/uapi/asm-generic/ipcbuf.h`: five 32-bit ids, a
//!   32-bit mode, a 16-bit sequence number and its pad, 4 bytes of alignment padding, two
//!   unused `unsigned long`s); [`MsqidDs`] is 120 bytes (`asm-generic/msgbuf.h` with
//!   64-bit `long`: the times are single `long`s and the pids 32-bit); [`SemidDs`] is 88
//!   bytes (`asm-generic/sembuf.h`: two `long` times, then `sem_nsems` and two unused
//!   `unsigned long`s); [`SemBuf`] is 6 bytes (three `short`s, no padding).
//! - A message on the wire (`struct msgbuf`) is a `long` type followed directly by the text:
//!   [`MSG_TYPE_SIZE`] bytes, then the bytes of the message.
//! - `semctl`'s fourth argument (`union semun`) travels by value in a register: an `int`
//!   for `SETVAL` (the low 32 bits), otherwise a pointer (to a [`SemidDs`] or to an array
//!   of `unsigned short` values, one per semaphore).

use crate::wire::abi_struct;

/// The key that always makes a new queue, reachable only through the id `msgget` returns.
pub const IPC_PRIVATE: i32 = 0;

/// `msgget`: create the queue if the key has none.
pub const IPC_CREAT: u32 = 0o1000;
/// `msgget` with [`IPC_CREAT`]: fail with `EEXIST` if the key already has a queue.
pub const IPC_EXCL: u32 = 0o2000;
/// `msgsnd` / `msgrcv`: fail with `EAGAIN` / `ENOMSG` instead of waiting.
pub const IPC_NOWAIT: u32 = 0o4000;

/// `msgctl`: remove the queue at once, waking every waiter with `EIDRM`.
pub const IPC_RMID: i32 = 0;
/// `msgctl`: set the owner, mode and `msg_qbytes` from a [`MsqidDs`].
pub const IPC_SET: i32 = 1;
/// `msgctl`: copy the queue's [`MsqidDs`] out.
pub const IPC_STAT: i32 = 2;

/// `msgrcv`: truncate a message longer than the buffer instead of failing with `E2BIG`.
pub const MSG_NOERROR: u32 = 0o10000;
/// `msgrcv` with a positive type: take the first message whose type differs from it.
pub const MSG_EXCEPT: u32 = 0o20000;

/// Longest message text, in bytes (`MSGMAX`, the default of `kernel.msgmax`).
pub const MSGMAX: usize = 8192;
/// Bytes of text one queue holds by default (`MSGMNB`, its initial `msg_qbytes`).
pub const MSGMNB: usize = 16384;

/// Bytes of the `long mtype` that starts every `struct msgbuf`.
pub const MSG_TYPE_SIZE: usize = 8;

/// `semop`: undo this operation when the process exits (its *adjustment* is kept by the
/// kernel per process and semaphore).
pub const SEM_UNDO: u32 = 0x1000;

/// `semctl`: the pid of the last process that operated on the semaphore.
pub const GETPID: i32 = 11;
/// `semctl`: the semaphore's value.
pub const GETVAL: i32 = 12;
/// `semctl`: every value of the set, into an array of `unsigned short`.
pub const GETALL: i32 = 13;
/// `semctl`: how many processes wait for the semaphore's value to grow.
pub const GETNCNT: i32 = 14;
/// `semctl`: how many processes wait for the semaphore's value to become zero.
pub const GETZCNT: i32 = 15;
/// `semctl`: set the semaphore's value (clearing every process's adjustment of it).
pub const SETVAL: i32 = 16;
/// `semctl`: set every value of the set from an array of `unsigned short`.
pub const SETALL: i32 = 17;

/// Most semaphores in one set (`SEMMSL`, the default of `kernel.sem`'s first field).
pub const SEMMSL: usize = 32000;
/// Most operations in one `semop` call (`SEMOPM`).
pub const SEMOPM: usize = 500;
/// Largest value a semaphore may have (`SEMVMX`).
pub const SEMVMX: i32 = 32767;
/// Largest adjustment a process may accumulate on one semaphore, either way (`SEMAEM`).
pub const SEMAEM: i32 = SEMVMX;

abi_struct! {
    /// `struct ipc64_perm`: who owns an IPC object and who may use it.
    pub struct Ipc64Perm {
        /// The key the object was created with ([`IPC_PRIVATE`] for none).
        pub key: i32,
        /// Owner's user id.
        pub uid: u32,
        /// Owner's group id.
        pub gid: u32,
        /// Creator's user id.
        pub cuid: u32,
        /// Creator's group id.
        pub cgid: u32,
        /// Permission bits (the low 9 bits of the `msgget` flags).
        pub mode: u32,
        /// Slot-reuse sequence number.
        pub seq: u16,
        /// Unused; always zero.
        pub pad2: u16,
        /// Unused; always zero.
        pub unused1: u64,
        /// Unused; always zero.
        pub unused2: u64,
    }
}

abi_struct! {
    /// `struct msqid64_ds`: the state of a message queue, as `msgctl(IPC_STAT)` reports it.
    pub struct MsqidDs {
        /// Owner and permissions.
        pub msg_perm: Ipc64Perm,
        /// Time of the last `msgsnd`, seconds since the epoch (0: never).
        pub msg_stime: i64,
        /// Time of the last `msgrcv`, seconds since the epoch (0: never).
        pub msg_rtime: i64,
        /// Time of creation or of the last `IPC_SET`.
        pub msg_ctime: i64,
        /// Bytes of text now in the queue.
        pub msg_cbytes: u64,
        /// Messages now in the queue.
        pub msg_qnum: u64,
        /// Most bytes of text the queue may hold.
        pub msg_qbytes: u64,
        /// Pid of the last `msgsnd`.
        pub msg_lspid: i32,
        /// Pid of the last `msgrcv`.
        pub msg_lrpid: i32,
        /// Unused; always zero.
        pub unused4: u64,
        /// Unused; always zero.
        pub unused5: u64,
    }
}

abi_struct! {
    /// `struct semid64_ds`: the state of a semaphore set, as `semctl(IPC_STAT)` reports it.
    pub struct SemidDs {
        /// Owner and permissions.
        pub sem_perm: Ipc64Perm,
        /// Time of the last `semop`, seconds since the epoch (0: never).
        pub sem_otime: i64,
        /// Time of creation or of the last `IPC_SET`, `SETVAL` or `SETALL`.
        pub sem_ctime: i64,
        /// Semaphores in the set.
        pub sem_nsems: u64,
        /// Unused; always zero.
        pub unused3: u64,
        /// Unused; always zero.
        pub unused4: u64,
    }
}

abi_struct! {
    /// `struct sembuf`: one operation of a `semop` call.
    pub struct SemBuf {
        /// Which semaphore of the set.
        pub sem_num: u16,
        /// Positive: add it; negative: wait until it can be subtracted, then subtract it;
        /// zero: wait until the value is zero.
        pub sem_op: i16,
        /// [`IPC_NOWAIT`] and [`SEM_UNDO`].
        pub sem_flg: i16,
    }
}

/// `shmat`: attach read-only.
pub const SHM_RDONLY: u32 = 0o10000;
/// `shmat`: round an unaligned address down to a page (`SHMLBA`) boundary.
pub const SHM_RND: u32 = 0o20000;
/// `shmat`: replace whatever is mapped at the address.
pub const SHM_REMAP: u32 = 0o40000;
/// `shmat`: attach executable too.
pub const SHM_EXEC: u32 = 0o100000;
/// Smallest segment, in bytes (`SHMMIN`).
pub const SHMMIN: usize = 1;
/// Largest segment Lantern makes, in bytes (Linux's `SHMMAX` is nearly unlimited).
pub const SHMMAX: usize = 256 << 20;

abi_struct! {
    /// `struct shmid64_ds`: the state of a shared memory segment, as `shmctl(IPC_STAT)`
    /// reports it.
    pub struct ShmidDs {
        /// Owner and permissions.
        pub shm_perm: Ipc64Perm,
        /// Size in bytes.
        pub shm_segsz: u64,
        /// Time of the last `shmat`, seconds since the epoch (0: never).
        pub shm_atime: i64,
        /// Time of the last `shmdt` (0: never).
        pub shm_dtime: i64,
        /// Time of creation or of the last `IPC_SET`.
        pub shm_ctime: i64,
        /// Pid of the creator.
        pub shm_cpid: i32,
        /// Pid of the last `shmat` or `shmdt`.
        pub shm_lpid: i32,
        /// Attachments now.
        pub shm_nattch: u64,
        /// Unused; always zero.
        pub unused4: u64,
        /// Unused; always zero.
        pub unused5: u64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::WireFormat;
    use core::mem::{offset_of, size_of};

    #[test]
    fn ipc64_perm_layout_matches_linux() {
        assert_eq!((size_of::<Ipc64Perm>(), Ipc64Perm::SIZE), (48, 48));
        assert_eq!(offset_of!(Ipc64Perm, uid), 4);
        assert_eq!(offset_of!(Ipc64Perm, cgid), 16);
        assert_eq!(offset_of!(Ipc64Perm, mode), 20);
        assert_eq!(offset_of!(Ipc64Perm, seq), 24);
        assert_eq!(offset_of!(Ipc64Perm, pad2), 26);
        assert_eq!(offset_of!(Ipc64Perm, unused1), 32);
        assert_eq!(offset_of!(Ipc64Perm, unused2), 40);
    }

    #[test]
    fn shmid64_ds_layout_matches_linux() {
        assert_eq!((size_of::<ShmidDs>(), ShmidDs::SIZE), (112, 112));
        assert_eq!(offset_of!(ShmidDs, shm_segsz), 48);
        assert_eq!(offset_of!(ShmidDs, shm_atime), 56);
        assert_eq!(offset_of!(ShmidDs, shm_ctime), 72);
        assert_eq!(offset_of!(ShmidDs, shm_cpid), 80);
        assert_eq!(offset_of!(ShmidDs, shm_lpid), 84);
        assert_eq!(offset_of!(ShmidDs, shm_nattch), 88);
        assert_eq!(offset_of!(ShmidDs, unused5), 104);
    }

    #[test]
    fn msqid64_ds_layout_matches_linux() {
        assert_eq!((size_of::<MsqidDs>(), MsqidDs::SIZE), (120, 120));
        assert_eq!(offset_of!(MsqidDs, msg_stime), 48);
        assert_eq!(offset_of!(MsqidDs, msg_rtime), 56);
        assert_eq!(offset_of!(MsqidDs, msg_ctime), 64);
        assert_eq!(offset_of!(MsqidDs, msg_cbytes), 72);
        assert_eq!(offset_of!(MsqidDs, msg_qnum), 80);
        assert_eq!(offset_of!(MsqidDs, msg_qbytes), 88);
        assert_eq!(offset_of!(MsqidDs, msg_lspid), 96);
        assert_eq!(offset_of!(MsqidDs, msg_lrpid), 100);
        assert_eq!(offset_of!(MsqidDs, unused4), 104);
        assert_eq!(offset_of!(MsqidDs, unused5), 112);
    }

    #[test]
    fn msqid64_ds_round_trips_with_zero_padding() {
        let state = MsqidDs {
            msg_perm: Ipc64Perm {
                key: 0x1234,
                uid: 1000,
                mode: 0o600,
                seq: 7,
                ..Ipc64Perm::default()
            },
            msg_cbytes: 12,
            msg_qnum: 3,
            msg_qbytes: MSGMNB as u64,
            msg_lspid: 42,
            msg_lrpid: -1,
            ..MsqidDs::default()
        };
        let image = state.to_bytes();
        assert_eq!(image[0..4], 0x1234i32.to_le_bytes());
        assert_eq!(image[20..24], 0o600u32.to_le_bytes());
        assert_eq!(image[24..26], 7u16.to_le_bytes());
        assert_eq!(image[28..32], [0; 4], "alignment padding before unused1");
        assert_eq!(image[80..88], 3u64.to_le_bytes());
        assert_eq!(image[96..100], 42i32.to_le_bytes());
        assert_eq!(image[100..104], (-1i32).to_le_bytes());
        assert_eq!(MsqidDs::from_bytes(&image), state);
    }

    #[test]
    fn semid64_ds_layout_matches_linux() {
        assert_eq!((size_of::<SemidDs>(), SemidDs::SIZE), (88, 88));
        assert_eq!(offset_of!(SemidDs, sem_otime), 48);
        assert_eq!(offset_of!(SemidDs, sem_ctime), 56);
        assert_eq!(offset_of!(SemidDs, sem_nsems), 64);
        assert_eq!(offset_of!(SemidDs, unused3), 72);
        assert_eq!(offset_of!(SemidDs, unused4), 80);
    }

    #[test]
    fn sembuf_layout_matches_linux() {
        assert_eq!((size_of::<SemBuf>(), SemBuf::SIZE), (6, 6));
        assert_eq!(offset_of!(SemBuf, sem_op), 2);
        assert_eq!(offset_of!(SemBuf, sem_flg), 4);
        let op = SemBuf {
            sem_num: 3,
            sem_op: -2,
            sem_flg: (IPC_NOWAIT | SEM_UNDO) as i16,
        };
        assert_eq!(op.to_bytes(), [3, 0, 0xfe, 0xff, 0x00, 0x18]);
        assert_eq!(SemBuf::from_bytes(&op.to_bytes()), op);
        // An array of them is packed: the second starts at byte 6.
        let ops = [op, SemBuf::default()];
        let mut image = [0u8; 12];
        ops.write_le(&mut image);
        assert_eq!(image[6..], [0; 6]);
    }

    #[test]
    fn sem_commands_and_limits_are_linux_values() {
        assert_eq!(
            [GETPID, GETVAL, GETALL, GETNCNT, GETZCNT, SETVAL, SETALL],
            [11, 12, 13, 14, 15, 16, 17]
        );
        assert_eq!((SEMMSL, SEMOPM, SEMVMX, SEMAEM), (32000, 500, 32767, 32767));
        // `semop`'s two flags share the 16-bit `sem_flg` (`SEM_UNDO` is `MSG_NOERROR`'s
        // value, but the two never meet in one call).
        assert_eq!(SEM_UNDO & IPC_NOWAIT, 0);
        assert!(SEM_UNDO | IPC_NOWAIT <= i16::MAX as u32);
    }

    #[test]
    fn flags_are_distinct_bits() {
        let flags = [IPC_CREAT, IPC_EXCL, IPC_NOWAIT, MSG_NOERROR, MSG_EXCEPT];
        for (index, flag) in flags.iter().enumerate() {
            assert_eq!(flag.count_ones(), 1);
            assert!(flags[index + 1..].iter().all(|other| other & flag == 0));
            assert_eq!(flag & 0o777, 0, "flags stay clear of the permission bits");
        }
    }
}
