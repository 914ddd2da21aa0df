//! Command-line behaviour that needs no corpus: help, usage errors, missing paths.

use std::process::Command;

fn evtxscan() -> Command {
    Command::new(env!("CARGO_BIN_EXE_evtxscan"))
}

#[test]
fn help_explains_every_scan_option_and_the_exit_codes() {
    let out = evtxscan().args(["scan", "--help"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--rules",
        "--format",
        "--output",
        "--threads",
        "--quiet",
        "--recover",
        "--report",
        "--from",
        "--min-level",
    ] {
        assert!(text.contains(flag), "scan --help lacks {flag}");
    }
    let top = evtxscan().arg("--help").output().unwrap();
    assert!(String::from_utf8_lossy(&top.stdout).contains("Exit codes"));
}

#[test]
fn usage_errors_exit_2() {
    let out = evtxscan()
        .args(["scan", "--format", "xml", "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_missing_path_makes_the_scan_partial() {
    let dir = tempfile::tempdir().unwrap();
    let out = evtxscan()
        .arg("scan")
        .arg(dir.path().join("nope"))
        .arg("--quiet")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
