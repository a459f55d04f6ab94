//! Links every program with `user.ld`: a static, non-PIE image at 0x10000 with separate
//! page-aligned segments for headers + read-only data (R), code (R+X) and data + bss (R+W).

use std::env;
use std::path::PathBuf;

fn main() {
    let dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let script = dir.join("user.ld");
    println!("cargo:rerun-if-changed={}", script.display());
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rustc-link-arg-bins=-T{}", script.display());
    // Segments are page aligned in memory and in the file; lld would otherwise pad the file to
    // its 64 KiB default maximum page size.
    println!("cargo:rustc-link-arg-bins=-zmax-page-size=4096");
    println!("cargo:rustc-link-arg-bins=-zcommon-page-size=4096");
}
