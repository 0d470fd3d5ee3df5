//! The set-up scripts the README's two commands run: what they take for installed must really
//! be there, or a fresh machine fails later with a worse message.

use std::io::Write;
use std::process::{Command, Stdio};

/// Feeds `listing` (library names, as `ldconfig -p` prints them) to `lists_libclang`.
fn lists_libclang(listing: &str) -> bool {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/lib/prereqs.sh");
    let mut child =
        Command::new("bash").args(["-c", ". \"$0\" && lists_libclang", script]).stdin(Stdio::piped()).spawn().expect("bash runs");
    child.stdin.take().expect("stdin").write_all(listing.as_bytes()).expect("write listing");
    child.wait().expect("bash exits").success()
}

/// Debian images ship libclang-cpp (the C++ API) without libclang: pg_query's bindgen then
/// fails with "Unable to find libclang", so the set-up must install libclang-dev.
#[test]
fn only_libclang_cpp_present_means_libclang_is_missing() {
    let debian_image = "\t2 libs found in cache `/etc/ld.so.cache'\n\tlibclang-cpp.so.14 (libc6,x86-64) => /lib/x86_64-linux-gnu/libclang-cpp.so.14\n\tlibLLVM-14.so.1 (libc6,x86-64) => /lib/x86_64-linux-gnu/libLLVM-14.so.1\n";
    assert!(!lists_libclang(debian_image));
    assert!(!lists_libclang("libclangBasic.a\nlibclang-cpp.so\n"));
}

#[test]
fn each_name_clang_sys_loads_counts_as_libclang() {
    for name in [
        "\tlibclang-14.so.1 (libc6,x86-64) => /lib/x86_64-linux-gnu/libclang-14.so.1",
        "/usr/lib/llvm-14/lib/libclang.so",
        "libclang.so.1",
        "libclang-14.so",
        "libclang-14.0.6.so.14",
    ] {
        assert!(lists_libclang(&format!("libLLVM.so\n{name}\n")), "{name}");
    }
}

/// `scripts/test` installed libclang before this test ran, so the check the scripts use (under
/// `set -euo pipefail`, as they run) must see it: a check that fails there reinstalls every time,
/// and one that passes by accident proves nothing.
#[test]
fn the_installed_libclang_is_seen_under_pipefail() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/lib/prereqs.sh");
    let status = Command::new("bash").args(["-c", "set -euo pipefail; . \"$0\"; have_libclang", script]).status().expect("bash runs");
    assert!(status.success(), "have_libclang does not see the libclang pg_query was just built with");
}
