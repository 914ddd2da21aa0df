//! The watchdog: a file whose reader makes no progress for `file_timeout` is cancelled and
//! reported as timed out, every other file is still scanned in full, and the scan finishes with
//! a partial result (exit code 3).
//!
//! The stuck reader is simulated with the hidden test hook `EVTXSCAN_TEST_STALL=wait:TEXT`
//! (src/scan.rs): the reader of a file whose name contains TEXT stops in its chunk sink until it
//! is cancelled. Without the watchdog nothing cancels it and the scan never ends: the tests bound
//! it on their side (a thread they stop waiting for, a child process they kill) and fail.
//! The reader that never comes back at all is in `watchdog_hang.rs`.

#[path = "damaged_support/fixtures.rs"]
mod fixtures;
#[path = "damaged_support/sources.rs"]
mod sources;

use evtxscan::scan::{scan, Progress, ScanOptions};
use fixtures::{bounded, every_event, records_in, small_logs, EVERY_EVENT};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// How long the test waits for a scan that should take about a second.
const TEST_LIMIT: Duration = Duration::from_secs(120);

/// A folder with `n` small real logs plus one named `stall-wait.evtx` (a copy of the first).
fn stall_folder(n: usize) -> Option<(tempfile::TempDir, Vec<PathBuf>, PathBuf)> {
    let logs = small_logs(n);
    if logs.len() < n {
        println!("skipped: needs {n} one-chunk EVTX logs in samples/ or ../shared/corpus/evtx");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut copies = Vec::new();
    for (i, log) in logs.iter().enumerate() {
        let to = dir.path().join(format!("log{i}.evtx"));
        std::fs::copy(log, &to).unwrap();
        copies.push(to);
    }
    let stalled = dir.path().join("stall-wait.evtx");
    std::fs::copy(&logs[0], &stalled).unwrap();
    Some((dir, copies, stalled))
}

fn set_hook() {
    // Set once, before any scan of this process reads it; std serializes environment access.
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| std::env::set_var("EVTXSCAN_TEST_STALL", "wait:stall-wait"));
}

#[test]
fn stalled_file_is_cancelled_and_the_rest_is_scanned() {
    set_hook();
    let Some((dir, others, stalled)) = stall_folder(4) else {
        return;
    };
    let expected: HashMap<PathBuf, u64> =
        others.iter().map(|p| (p.clone(), records_in(p))).collect();
    let root = dir.path().to_path_buf();
    let options = ScanOptions {
        file_timeout: Duration::from_secs(1),
        ..Default::default()
    };
    let result = bounded(
        TEST_LIMIT,
        "a scan with a stalled file (is the watchdog there?)",
        move || {
            scan(
                &[root],
                vec![every_event()],
                &options,
                Arc::new(Progress::default()),
            )
        },
    );

    assert_eq!(
        result.files.len(),
        others.len() + 1,
        "every file is accounted for"
    );
    let mut hits: HashMap<std::path::PathBuf, u64> = HashMap::new();
    for h in result.hits.iter().filter(|h| h.rule.id == EVERY_EVENT) {
        *hits.entry(h.event.source.path.clone()).or_default() += 1;
    }
    for f in &result.files {
        if f.path == stalled {
            assert!(
                f.timed_out,
                "the stalled file is reported as timed out: {f:?}"
            );
            assert!(f.is_damaged());
            assert!(
                f.errors.iter().any(|e| e.contains("watchdog")),
                "the report says why: {:?}",
                f.errors
            );
        } else {
            let want = expected[&f.path];
            assert!(!f.timed_out, "{} was not stalled: {f:?}", f.path.display());
            assert_eq!(f.records_read, want, "{} read in full", f.path.display());
            assert_eq!(
                hits.get(f.path.as_path()).copied().unwrap_or(0),
                want,
                "every record of {} went through detection",
                f.path.display()
            );
        }
    }
    assert!(
        result.is_partial(),
        "a timed-out file makes the scan partial"
    );
}

#[test]
fn binary_reports_the_stalled_file_and_exits_partial() {
    let Some((dir, others, stalled)) = stall_folder(3) else {
        return;
    };
    let doc = fixtures::scan_with_stall(dir.path(), "jsonl", "wait:stall-wait", TEST_LIMIT);
    let files = doc["files"].as_array().expect("files in the coverage");
    assert_eq!(files.len(), others.len() + 1);
    for f in files {
        let path = PathBuf::from(f["path"].as_str().unwrap());
        if path == stalled {
            assert_eq!(f["timed_out"], true, "{f}");
        } else {
            assert_eq!(f["timed_out"], false, "{f}");
            assert_eq!(f["records_read"].as_u64(), Some(records_in(&path)), "{f}");
        }
    }
    assert_eq!(doc["partial"], true);
}
