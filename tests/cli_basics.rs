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

#[test]
fn outputs_inside_the_evidence_are_refused_before_scanning() {
    let dir = tempfile::tempdir().unwrap();
    let evidence = dir.path().join("evidence");
    std::fs::create_dir_all(&evidence).unwrap();
    let log = evidence.join("Security.evtx");
    let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/Security.evtx");
    std::fs::copy(&sample, &log).unwrap();
    let before = std::fs::read(&log).unwrap();
    for (flag, target) in [
        ("-o", log.clone()),
        ("--report", evidence.join("r.html")),
        ("--coverage", evidence.join("c.json")),
    ] {
        let out = evtxscan()
            .arg("scan")
            .arg(&evidence)
            .args(["--quiet", flag])
            .arg(&target)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(2),
            "{flag}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stderr).contains("never writes into evidence"));
    }
    assert_eq!(
        std::fs::read(&log).unwrap(),
        before,
        "the evidence file is untouched"
    );
    assert_eq!(
        std::fs::read_dir(&evidence).unwrap().count(),
        1,
        "nothing was written into the evidence folder"
    );
    let out = evtxscan()
        .arg("dump")
        .arg(&evidence)
        .arg("-o")
        .arg(evidence.join("e.jsonl"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[cfg(unix)]
#[test]
fn an_unreadable_file_makes_the_scan_partial() {
    use std::os::unix::fs::PermissionsExt;
    if unsafe_is_root() {
        eprintln!("skipped: root can read any file");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("locked.evtx");
    std::fs::write(&f, b"ElfFile\0").unwrap();
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o000)).unwrap();
    let out = evtxscan()
        .arg("scan")
        .arg(dir.path())
        .arg("--quiet")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
}

#[cfg(unix)]
fn unsafe_is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0"))
        .unwrap_or(true)
}

#[test]
fn rules_check_lists_the_needles_of_each_rule() {
    let out = evtxscan()
        .args(["rules", "check", "--needles"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    // One line per bundled rule: file, title, needles.
    let tunnel = text
        .lines()
        .find(|l| l.contains("proc_creation_tunneling_tools.yml"))
        .unwrap_or_else(|| panic!("{text}"));
    let needles = tunnel.split('\t').nth(2).unwrap_or("");
    // Image is NewProcessName on 4688: the literal gates both fields.
    assert!(needles.contains(r"Image:\plink.exe"), "{tunnel}");
    assert!(needles.contains(r"NewProcessName:\plink.exe"), "{tunnel}");
    assert_eq!(text.lines().count(), 4, "{text}");
}
