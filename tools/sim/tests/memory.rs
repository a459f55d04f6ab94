//! The memory simulators end to end (concepts M2, M7, M9, M10): the real binary on the
//! textbook cases, its output and its SVG.

use std::process::{Command, Output};

fn lantern_sim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lantern-sim"))
        .args(args)
        .output()
        .expect("the binary runs")
}

/// Standard output of a run that must succeed.
fn success(args: &[&str]) -> String {
    let output = lantern_sim(args);
    assert!(output.status.success(), "{args:?}: {output:?}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Standard error of a run that must fail.
fn failure(args: &[&str]) -> String {
    let output = lantern_sim(args);
    assert!(!output.status.success(), "{args:?} should fail");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

const OSTEP: &str = "0,1,2,0,1,3,0,3,1,2,1";
const BELADY: &str = "1,2,3,4,1,2,5,1,2,3,4,5";

#[test]
fn paging_prints_the_textbook_table_and_totals() {
    let text = success(&[
        "paging", "--refs", OSTEP, "--frames", "3", "--policy", "lru",
    ]);
    assert!(
        text.starts_with("11 references to 4 pages, 3 frames: 0,1,2,0,1,3,0,3,1,2,1\n"),
        "{text}"
    );
    assert!(
        text.contains("frame 2        2 2 2 3 3 3 3 3 3\nfault      F F F - - F - - - F -\n"),
        "{text}"
    );
    assert!(
        text.contains("lru: 5 faults, 6 hits in 11 references: hit rate 54.5%"),
        "{text}"
    );
}

#[test]
fn paging_compares_every_policy_on_silberschatzs_string() {
    let text = success(&[
        "paging",
        "--refs",
        "7 0 1 2 0 3 0 4 2 3 0 3 2 1 2 0 1 7 0 1",
        "--policy",
        "all",
        "--no-table",
    ]);
    for row in [
        "fifo        15     5     25.0%",
        "lru         12     8     40.0%",
        "opt          9    11     55.0%",
    ] {
        assert!(text.contains(row), "{row} in {text}");
    }
    assert_eq!(text.lines().filter(|l| l.contains('%')).count(), 8);
}

#[test]
fn paging_shows_beladys_anomaly_and_plots_it() {
    let svg = format!("{}/belady.svg", env!("CARGO_TARGET_TMPDIR"));
    let text = success(&[
        "paging",
        "--refs",
        BELADY,
        "--compare",
        "fifo,lru,opt",
        "--belady",
        "--svg",
        &svg,
        "--no-table",
    ]);
    assert!(text.contains("     3      9       10        7\n"), "{text}");
    assert!(text.contains("     4     10 ^      8        6\n"), "{text}");
    assert!(
        text.contains("^ fifo: 4 frames fault 10 times, 3 frames only 9"),
        "{text}"
    );
    let plot = std::fs::read_to_string(&svg).unwrap();
    assert_eq!(plot.matches("<polyline").count(), 3);
    assert!(plot.contains("fifo: 4 frames, 10 faults"));
}

#[test]
fn paging_random_strings_are_reproducible_and_scans_are_tunable() {
    let args = [
        "paging", "--random", "30", "--pages", "6", "--writes", "20", "--seed", "7", "--policy",
        "aging", "--scan", "4",
    ];
    let first = success(&args);
    assert_eq!(first, success(&args));
    assert!(
        first.starts_with("30 references to 6 pages, 3 frames: "),
        "{first}"
    );
    assert!(first.contains("aging: "), "{first}");
}

#[test]
fn cache_compares_direct_mapped_with_associative() {
    let text = success(&[
        "cache",
        "--lines",
        "8",
        "--block",
        "16",
        "--ways",
        "1,2,8",
        "--addresses",
        "0x0,0x80,0x4,0x84,0x8,0x88",
    ]);
    assert!(
        text.starts_with("direct-mapped cache: 8 lines of 16 bytes (128 bytes) in 8 sets of 1 way"),
        "{text}"
    );
    assert!(
        text.contains("   3   0x0004       0     0       0       4  miss (conflict)    1"),
        "{text}"
    );
    for row in [
        "direct-mapped                 0       6           2         0         4      0.0%",
        "2-way set-associative         4       2           2         0         0     66.7%",
        "fully associative             4       2           2         0         0     66.7%",
    ] {
        assert!(text.contains(row), "{row} in {text}");
    }
}

#[test]
fn cache_sequences_show_spatial_locality() {
    // 32 words of 4 bytes, 16-byte lines: one miss per line, then 3 hits: 8 misses.
    let text = success(&[
        "cache",
        "--lines",
        "4",
        "--sequence",
        "0:4:32",
        "--no-table",
    ]);
    assert!(
        text.contains("hits 24, misses 8 (compulsory 8, capacity 0, conflict 0) in 32 accesses"),
        "{text}"
    );
}

#[test]
fn tlb_counts_hits_and_walks() {
    let text = success(&[
        "tlb",
        "--entries",
        "4",
        "--addresses",
        "0x1000,0x1004,0x2000,0x3000,0x4000,0x5000,0x1008",
    ]);
    assert!(text.starts_with("fully associative TLB: 4 entries for 4 KiB pages (reach 16 KiB)"));
    assert!(
        text.contains("   7   0x1008       1     0       1       8  miss (capacity)    2"),
        "{text}"
    );
    assert!(
        text.contains("hits 1, misses 6 (compulsory 5, capacity 1, conflict 0)"),
        "{text}"
    );
}

#[test]
fn alloc_places_silberschatzs_requests_by_each_fit() {
    let text = success(&[
        "alloc",
        "--layout",
        "100,*10,500,*10,200,*10,300,*10,600",
        "--fit",
        "all",
        "--requests",
        "A=212,B=417,C=112,D=426",
    ]);
    for row in [
        "first       3        1   959      300         0     68.7%",
        "best        4        0   533      174         0     67.4%",
        "worst       3        1   959      300         0     68.7%",
        "next        3        1   959      300         0     68.7%",
    ] {
        assert!(text.contains(row), "{row} in {text}");
    }
    assert!(text.contains("C=112: first fit takes the hole of 288 at 322: C at [322, 434)"));
    assert!(text.contains("C=112: worst fit takes the hole of 388 at 1352"));
    let fixed = success(&[
        "alloc",
        "--partitions",
        "100,500,200,300,600",
        "--fit",
        "best",
        "--requests",
        "A=212,B=417,C=112,D=426",
    ]);
    assert!(
        fixed.contains("free 100 in 1 partition, largest 100: external fragmentation 0.0%; internal fragmentation 433"),
        "{fixed}"
    );
}

#[test]
fn translate_walks_sv39_step_by_step() {
    let text = success(&["translate", "0x11234"]);
    assert!(
        text.contains("level 0: entry at 0x81002000 + VPN[0] 17 x 8 = 0x81002088"),
        "{text}"
    );
    assert!(
        text.ends_with("physical address = 0x82001000 + 0x234 = 0x82001234\n"),
        "{text}"
    );
    let kernel = success(&[
        "translate",
        "0xffffffc080200000",
        "--supervisor",
        "--access",
        "exec",
    ]);
    assert!(
        kernel.contains("  value         258          1          0           0x0\n"),
        "{kernel}"
    );
    assert!(
        kernel.contains("leaf, 1 GiB superpage at 0x80000000"),
        "{kernel}"
    );
    let user = success(&["translate", "0xffffffc080200000"]);
    assert!(user.ends_with(
        "page fault: user mode may not touch a page without U -> load page fault (scause 13)\n"
    ));
}

#[test]
fn translate_reads_a_table_file_and_other_shapes() {
    let table = format!("{}/tables.txt", env!("CARGO_TARGET_TMPDIR"));
    std::fs::write(
        &table,
        "root 0x1000\n0x1000[1] -> 0x400000 rwu  # a 4 MiB Sv32 superpage\n",
    )
    .unwrap();
    let text = success(&[
        "translate",
        "--scheme",
        "sv32",
        "--table",
        &table,
        "0x00412345",
    ]);
    assert!(
        text.ends_with("physical address = 0x400000 + 0x12345 = 0x412345\n"),
        "{text}"
    );
    // The seed notes' 32-bit address, 4 KiB pages: a 20-bit page number, one level.
    let flat = success(&[
        "translate",
        "--levels",
        "1",
        "--index-bits",
        "20",
        "--page-bits",
        "12",
        "--pte-bytes",
        "4",
        "0x12345678",
    ]);
    assert!(
        flat.contains("  value                0x12345         0x678\n"),
        "{flat}"
    );
    std::fs::write(&table, "root 0x1000\n0x1000[2000] -> 0x2000\n").unwrap();
    let message = failure(&["translate", "--scheme", "sv32", "--table", &table, "0"]);
    assert!(
        message.contains("line 2: index 2000 is past the table's 1024 entries"),
        "{message}"
    );
}

#[test]
fn memory_mistakes_are_reported_with_a_failing_status() {
    assert!(failure(&["paging", "--refs", "1,x"]).contains("reference \"x\" is not a page number"));
    assert!(failure(&["paging", "--refs", "1", "--policy", "mru"]).contains("mru"));
    assert!(
        failure(&["cache", "--lines", "6", "--ways", "4", "--addresses", "0"])
            .contains("cannot be cut")
    );
    assert!(failure(&["alloc", "--requests", "A"]).contains("neither NAME=SIZE nor -NAME"));
    assert!(failure(&["translate", "0xzz"]).contains("is not an address"));
}
