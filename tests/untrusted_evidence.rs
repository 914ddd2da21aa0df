//! Evidence is read, never changed: scanning and dumping a read-only evidence folder (folders
//! 0555, files 0444 and, where the file system allows it, immutable, so that even root cannot
//! open a file for writing) with the outputs elsewhere leaves the folder's listing, sizes,
//! modes, modification and change times and contents exactly as they were, and creates nothing
//! in it, not even when it is the working directory.

#![cfg(unix)]

#[path = "damaged_support/fixtures.rs"]
mod fixtures;
#[path = "damaged_support/sources.rs"]
mod sources;

use evtxscan::scan::{scan, Progress, ScanOptions};
use std::collections::BTreeMap;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(300);

/// What is checked of every entry: size, mode, mtime, ctime (seconds and nanoseconds), CRC32.
type Entry = (u64, u32, i64, i64, i64, i64, u32);

/// A read-only evidence folder; made writable again when dropped.
struct Evidence {
    dir: tempfile::TempDir,
    root: PathBuf,
    immutable: bool,
}

impl Drop for Evidence {
    fn drop(&mut self) {
        if self.immutable {
            let _ = Command::new("chattr")
                .arg("-R")
                .arg("-i")
                .arg(&self.root)
                .status();
        }
        for e in walkdir::WalkDir::new(&self.root).into_iter().flatten() {
            let _ = std::fs::set_permissions(e.path(), std::fs::Permissions::from_mode(0o755));
        }
        let _ = &self.dir;
    }
}

/// Copy a few real logs (one in a subfolder) and a non-log file, then lock everything.
fn evidence() -> Option<Evidence> {
    let logs = fixtures::small_logs(3);
    if logs.len() < 3 {
        println!("skipped: needs 3 one-chunk EVTX logs in samples/ or ../shared/corpus/evtx");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("evidence");
    let sub = root
        .join("C")
        .join("Windows")
        .join("System32")
        .join("winevt")
        .join("Logs");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::copy(&logs[0], root.join("Security.evtx")).unwrap();
    std::fs::copy(
        &logs[1],
        sub.join("Microsoft-Windows-Sysmon%4Operational.evtx"),
    )
    .unwrap();
    std::fs::copy(&logs[2], sub.join("renamed_copy.bin")).unwrap();
    std::fs::write(root.join("notes.txt"), "collected by the responder\n").unwrap();
    let mut entries: Vec<PathBuf> = walkdir::WalkDir::new(&root)
        .into_iter()
        .map(|e| e.unwrap().into_path())
        .collect();
    entries.reverse(); // children before their folder
    for p in &entries {
        let mode = if p.is_dir() { 0o555 } else { 0o444 };
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    let immutable = Command::new("chattr")
        .arg("-R")
        .arg("+i")
        .arg(&root)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !immutable {
        println!("note: chattr +i not available here; checking by snapshot only");
    }
    Some(Evidence {
        dir,
        root,
        immutable,
    })
}

fn snapshot(root: &Path) -> BTreeMap<PathBuf, Entry> {
    walkdir::WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .map(|e| {
            let e = e.unwrap();
            let m = std::fs::symlink_metadata(e.path()).unwrap();
            let crc = if m.is_file() {
                crc32fast::hash(&std::fs::read(e.path()).unwrap())
            } else {
                0
            };
            let entry = (
                m.len(),
                m.mode(),
                m.mtime(),
                m.mtime_nsec(),
                m.ctime(),
                m.ctime_nsec(),
                crc,
            );
            (e.path().strip_prefix(root).unwrap().to_path_buf(), entry)
        })
        .collect()
}

#[test]
fn library_scan_reads_evidence_without_changing_it() {
    let Some(ev) = evidence() else {
        return;
    };
    let before = snapshot(&ev.root);
    let root = ev.root.clone();
    let result = fixtures::bounded(LIMIT, "scanning read-only evidence", move || {
        scan(
            &[root],
            vec![fixtures::every_event()],
            &ScanOptions::default(),
            Arc::new(Progress::default()),
        )
    });
    assert_eq!(result.files.len(), 3, "the three logs are found by content");
    for f in &result.files {
        assert!(f.records_read > 0, "read despite the locks: {f:?}");
        assert!(!f.is_damaged(), "{f:?}");
        let hits = result
            .hits
            .iter()
            .filter(|h| h.event.source.path == f.path)
            .count();
        assert_eq!(hits as u64, f.records_read);
    }
    assert_eq!(snapshot(&ev.root), before, "the evidence folder changed");
}

#[test]
fn dump_from_inside_evidence_writes_only_its_output() {
    let Some(ev) = evidence() else {
        return;
    };
    let before = snapshot(&ev.root);
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("events.jsonl");
    let mut cmd = Command::new(fixtures::binary());
    cmd.current_dir(&ev.root)
        .arg("dump")
        .arg(".")
        .arg("--output")
        .arg(&out);
    let run = fixtures::run_command(cmd, LIMIT);
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let text = std::fs::read_to_string(&out).unwrap();
    let expected: u64 = walkdir::WalkDir::new(&ev.root)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file() && !e.path().ends_with("notes.txt"))
        .map(|e| fixtures::records_in(e.path()))
        .sum();
    assert_eq!(text.lines().count() as u64, expected, "one line per record");
    assert_eq!(snapshot(&ev.root), before, "the evidence folder changed");
}

#[test]
fn scan_with_every_output_elsewhere_leaves_evidence_unchanged() {
    let Some(ev) = evidence() else {
        return;
    };
    let before = snapshot(&ev.root);
    let out_dir = tempfile::tempdir().unwrap();
    let o = |name: &str| out_dir.path().join(name);
    let mut cmd = Command::new(fixtures::binary());
    cmd.current_dir(&ev.root)
        .args(["scan", ".", "--format", "csv", "--output"])
        .arg(o("hits.csv"))
        .arg("--coverage")
        .arg(o("coverage.json"))
        .arg("--navigator")
        .arg(o("layer.json"))
        .arg("--report")
        .arg(o("report.html"))
        .arg("--report")
        .arg(o("report.md"));
    let run = fixtures::run_command(cmd, LIMIT);
    fixtures::assert_rules_loaded(&run);
    let code = run.status.code();
    assert!(
        matches!(code, Some(0 | 1)),
        "a clean, complete scan: {code:?}: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(o("hits.csv").exists() && o("coverage.json").exists());
    assert_eq!(snapshot(&ev.root), before, "the evidence folder changed");
}
