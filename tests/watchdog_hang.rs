//! The watchdog and a reader that never comes back: with `EVTXSCAN_TEST_STALL=hang:TEXT` the
//! reader of a file whose name contains TEXT never returns, cancelled or not. The scan must
//! abandon that thread after twice the file timeout, report the file as timed out, still scan
//! every other file, and finish. (A separate test binary: the abandoned thread sleeps until the
//! process exits.)

#[path = "damaged_support/fixtures.rs"]
mod fixtures;
#[path = "damaged_support/sources.rs"]
mod sources;

use evtxscan::scan::{scan, Progress, ScanOptions};
use fixtures::{bounded, every_event, records_in, small_logs, EVERY_EVENT};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

const TEST_LIMIT: Duration = Duration::from_secs(120);

fn hang_folder(n: usize) -> Option<(tempfile::TempDir, Vec<PathBuf>, PathBuf)> {
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
    let hung = dir.path().join("stall-hang.evtx");
    std::fs::copy(&logs[0], &hung).unwrap();
    Some((dir, copies, hung))
}

#[test]
fn hung_reader_is_abandoned_and_the_scan_finishes() {
    std::env::set_var("EVTXSCAN_TEST_STALL", "hang:stall-hang");
    let Some((dir, others, hung)) = hang_folder(4) else {
        return;
    };
    let root = dir.path().to_path_buf();
    let options = ScanOptions {
        file_timeout: Duration::from_secs(1),
        ..Default::default()
    };
    let result = bounded(
        TEST_LIMIT,
        "a scan with a hung reader (is the watchdog there?)",
        move || {
            scan(
                &[root],
                vec![every_event()],
                &options,
                Arc::new(Progress::default()),
            )
        },
    );
    assert_eq!(result.files.len(), others.len() + 1);
    for f in &result.files {
        if f.path == hung {
            assert!(f.timed_out, "{f:?}");
            let fatal = f.fatal.as_deref().unwrap_or_default();
            assert!(
                fatal.contains("abandoned"),
                "the report says the reader was abandoned: {fatal}"
            );
        } else {
            let want = records_in(&f.path);
            assert!(!f.timed_out, "{f:?}");
            assert_eq!(f.records_read, want, "{} read in full", f.path.display());
            let hits = result
                .hits
                .iter()
                .filter(|h| h.rule.id == EVERY_EVENT && h.event.source.path == f.path)
                .count() as u64;
            assert_eq!(
                hits,
                want,
                "every record of {} went through detection",
                f.path.display()
            );
        }
    }
    assert!(result.is_partial());
}

#[test]
fn binary_abandons_a_hung_reader_and_exits_partial() {
    let Some((dir, others, hung)) = hang_folder(3) else {
        return;
    };
    let doc = fixtures::scan_with_stall(dir.path(), "json", "hang:stall-hang", TEST_LIMIT);
    let files = doc["files"].as_array().expect("files in the coverage");
    assert_eq!(files.len(), others.len() + 1);
    for f in files {
        let path = PathBuf::from(f["path"].as_str().unwrap());
        assert_eq!(f["timed_out"], path == hung, "{f}");
    }
}
