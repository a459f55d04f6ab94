//! The initial stack, read back the way a C runtime's `_start` reads it.

use abi::process::{AT_EXECFN, AT_NULL, AT_PAGESZ, AT_RANDOM};
use loader::{StackError, StackImage, build_stack};

const TOP: usize = 0x3f_ffff_f000;
const MAX: usize = 128 * 1024;
const RANDOM: [u8; 16] = *b"0123456789abcdef";

/// What `_start` finds, with every pointer followed.
#[derive(Debug, PartialEq)]
struct Seen {
    argv: Vec<Vec<u8>>,
    envp: Vec<Vec<u8>>,
    /// All auxv pairs before `AT_NULL`.
    auxv: Vec<(usize, usize)>,
}

/// A view of the stack memory `[sp, top)` by user address.
struct Memory<'a> {
    image: &'a StackImage,
    top: usize,
}

impl Memory<'_> {
    fn byte(&self, addr: usize) -> u8 {
        assert!(
            addr >= self.image.sp && addr < self.top,
            "{addr:#x} outside the stack"
        );
        self.image.bytes[addr - self.image.sp]
    }

    fn word(&self, addr: usize) -> usize {
        assert_eq!(addr % 8, 0, "misaligned word at {addr:#x}");
        let bytes: Vec<u8> = (addr..addr + 8).map(|a| self.byte(a)).collect();
        u64::from_le_bytes(bytes.try_into().unwrap()) as usize
    }

    fn string(&self, addr: usize) -> Vec<u8> {
        (addr..)
            .map(|a| self.byte(a))
            .take_while(|&b| b != 0)
            .collect()
    }

    /// The strings of a NULL-terminated pointer array at `addr`, and the address after it.
    fn strings(&self, mut addr: usize) -> (Vec<Vec<u8>>, usize) {
        let mut strings = Vec::new();
        loop {
            let pointer = self.word(addr);
            addr += 8;
            if pointer == 0 {
                return (strings, addr);
            }
            strings.push(self.string(pointer));
        }
    }
}

/// Reads the image as `_start` would, checking the layout invariants on the way.
fn read_back(image: &StackImage, top: usize) -> Seen {
    assert_eq!(image.sp % 16, 0);
    assert_eq!(image.sp + image.bytes.len(), top);
    let memory = Memory { image, top };
    let argc = memory.word(image.sp);
    assert_eq!(image.argv_addr, image.sp + 8);
    let (argv, after_argv) = memory.strings(image.argv_addr);
    assert_eq!(argv.len(), argc);
    assert_eq!(image.envp_addr, after_argv);
    let (envp, mut at) = memory.strings(image.envp_addr);
    let mut auxv = Vec::new();
    loop {
        let pair = (memory.word(at), memory.word(at + 8));
        at += 16;
        if pair.0 == AT_NULL as usize {
            assert_eq!(pair.1, 0);
            break;
        }
        auxv.push(pair);
    }
    Seen { argv, envp, auxv }
}

fn value_of(auxv: &[(usize, usize)], key: u64) -> Option<usize> {
    let mut found = auxv
        .iter()
        .filter(|(k, _)| *k == key as usize)
        .map(|&(_, v)| v);
    let value = found.next();
    assert_eq!(found.next(), None, "key {key} twice");
    value
}

/// `count` strings of various lengths, odd ones included, made of `letter`s.
fn strings(count: usize, letter: u8, lengths: usize) -> Vec<Vec<u8>> {
    (0..count)
        .map(|i| vec![letter + i as u8; (i * 3 + lengths) % 7])
        .collect()
}

#[test]
fn round_trip_for_many_shapes() {
    let caller_auxv = [(AT_PAGESZ as usize, 4096), (99, 12345)];
    for argc in 0..=5 {
        for envc in 0..=5 {
            for lengths in 0..7 {
                for execfn in [None, Some(&b"/bin/prog"[..]), Some(&b"/x"[..])] {
                    for top in [TOP, TOP - 1, TOP - 8, TOP + 3] {
                        let argv = strings(argc, b'a', lengths);
                        let envp = strings(envc, b'A', lengths + 1);
                        let argv_refs: Vec<&[u8]> = argv.iter().map(Vec::as_slice).collect();
                        let envp_refs: Vec<&[u8]> = envp.iter().map(Vec::as_slice).collect();
                        let image = build_stack(
                            top,
                            &argv_refs,
                            &envp_refs,
                            &caller_auxv,
                            RANDOM,
                            execfn,
                            MAX,
                        )
                        .unwrap();
                        let seen = read_back(&image, top);
                        assert_eq!(seen.argv, argv);
                        assert_eq!(seen.envp, envp);
                        check_auxv(&image, top, &seen.auxv, &caller_auxv, execfn);
                        check_strings_contiguous(&image, top, &argv, &envp, execfn);
                    }
                }
            }
        }
    }
}

/// The caller's pairs in order, then `AT_RANDOM` and `AT_EXECFN` pointing at their bytes.
fn check_auxv(
    image: &StackImage,
    top: usize,
    auxv: &[(usize, usize)],
    caller: &[(usize, usize)],
    execfn: Option<&[u8]>,
) {
    let memory = Memory { image, top };
    assert_eq!(&auxv[..caller.len()], caller);
    let random = value_of(auxv, AT_RANDOM).expect("AT_RANDOM");
    let random_bytes: Vec<u8> = (random..random + 16).map(|a| memory.byte(a)).collect();
    assert_eq!(random_bytes, RANDOM);
    let execfn_seen = value_of(auxv, AT_EXECFN).map(|addr| memory.string(addr));
    assert_eq!(execfn_seen.as_deref(), execfn);
    assert_eq!(auxv.len(), caller.len() + 1 + usize::from(execfn.is_some()));
}

/// Argument strings, then environment strings, then execfn, end exactly at the top.
fn check_strings_contiguous(
    image: &StackImage,
    top: usize,
    argv: &[Vec<u8>],
    envp: &[Vec<u8>],
    execfn: Option<&[u8]>,
) {
    let mut expected = Vec::new();
    for s in argv.iter().chain(envp).map(Vec::as_slice).chain(execfn) {
        expected.extend_from_slice(s);
        expected.push(0);
    }
    assert_eq!(&image.bytes[image.bytes.len() - expected.len()..], expected);
    if !argv.is_empty() {
        let memory = Memory { image, top };
        assert_eq!(memory.word(image.argv_addr), top - expected.len());
    }
}

#[test]
fn empty_argv_and_envp() {
    let image = build_stack(TOP, &[], &[], &[], RANDOM, None, MAX).unwrap();
    let seen = read_back(&image, TOP);
    assert!(seen.argv.is_empty() && seen.envp.is_empty());
    assert_eq!(seen.auxv.len(), 1);
    // argc, argv NULL, envp NULL, AT_RANDOM, AT_NULL, the 16 bytes: 80 bytes exactly.
    assert_eq!(image.bytes.len(), 80);
    assert_eq!(image.envp_addr, image.sp + 16);
}

#[test]
fn exact_layout_of_a_small_stack() {
    let image = build_stack(
        0x1000,
        &[b"sh".as_slice()],
        &[b"A=1".as_slice()],
        &[(6, 4096)],
        RANDOM,
        None,
        MAX,
    )
    .unwrap();
    let mut expected = Vec::new();
    for word in [1, 0xff9, 0, 0xffc, 0, 6, 4096, 25, 0xfe9, 0, 0] {
        expected.extend_from_slice(&(word as u64).to_le_bytes());
    }
    expected.extend_from_slice(&RANDOM);
    expected.extend_from_slice(b"sh\0A=1\0");
    // 88 + 16 + 7 = 111 bytes, so sp = 0x1000 - 112 and one byte of padding.
    assert_eq!(image.sp, 0x1000 - 112);
    assert_eq!(image.bytes[0..88], expected[0..88]);
    assert_eq!(image.bytes[88], 0);
    assert_eq!(image.bytes[89..], expected[88..]);
}

#[test]
fn loader_owned_keys_from_the_caller_are_dropped() {
    let caller = [
        (AT_RANDOM as usize, 1),
        (AT_PAGESZ as usize, 4096),
        (AT_NULL as usize, 0),
        (AT_EXECFN as usize, 2),
    ];
    let image = build_stack(
        TOP,
        &[b"prog".as_slice()],
        &[],
        &caller,
        RANDOM,
        Some(b"/prog"),
        MAX,
    )
    .unwrap();
    let seen = read_back(&image, TOP);
    assert_eq!(seen.auxv.len(), 3);
    assert_eq!(seen.auxv[0], (AT_PAGESZ as usize, 4096));
    check_auxv(
        &image,
        TOP,
        &seen.auxv,
        &caller[1..2],
        Some(b"/prog".as_slice()),
    );
}

#[test]
fn too_big() {
    let long = vec![b'x'; 5000];
    let args: Vec<&[u8]> = vec![&long; 30];
    assert_eq!(
        build_stack(TOP, &args, &[], &[], RANDOM, None, MAX),
        Err(StackError::TooBig)
    );
    assert_eq!(
        build_stack(TOP, &[], &args, &[], RANDOM, None, MAX),
        Err(StackError::TooBig)
    );
    // The limit is inclusive: the exact size fits, one byte less does not.
    let image = build_stack(TOP, &args[..3], &[], &[], RANDOM, Some(&long), MAX).unwrap();
    let size = image.bytes.len();
    let fits = build_stack(TOP, &args[..3], &[], &[], RANDOM, Some(&long), size);
    assert_eq!(fits, Ok(image));
    assert_eq!(
        build_stack(TOP, &args[..3], &[], &[], RANDOM, Some(&long), size - 1),
        Err(StackError::TooBig)
    );
    // A stack that would reach below address 0.
    assert_eq!(
        build_stack(64, &[b"a".as_slice()], &[], &[], RANDOM, None, usize::MAX),
        Err(StackError::TooBig)
    );
    assert_eq!(
        build_stack(0, &[], &[], &[], RANDOM, None, usize::MAX),
        Err(StackError::TooBig)
    );
}
