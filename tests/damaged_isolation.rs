//! A panic while one file is read (a parser or rule bug meeting hostile data) costs that file
//! only: the scan catches it, reports the file as unreadable with the reason, scans every other
//! file in full, and is partial.

#[path = "damaged_support/fixtures.rs"]
mod fixtures;
#[path = "damaged_support/sources.rs"]
mod sources;

use evtxscan::event::Event;
use evtxscan::rules::{EventMatch, Rule, RuleInfo, Scope};
use evtxscan::scan::{scan, Progress, ScanOptions};
use std::sync::Arc;
use std::time::Duration;

/// A rule that panics on the events of files whose name contains "boom".
struct Explodes {
    info: Arc<RuleInfo>,
    scope: Scope,
}

impl Rule for Explodes {
    fn info(&self) -> &Arc<RuleInfo> {
        &self.info
    }
    fn scope(&self) -> &Scope {
        &self.scope
    }
    fn check(&self, event: &Event) -> Option<EventMatch> {
        if event.source.path.to_string_lossy().contains("boom") {
            panic!("simulated bug on hostile data");
        }
        None
    }
}

#[test]
fn a_panic_on_one_file_costs_that_file_only() {
    let logs = fixtures::small_logs(3);
    if logs.len() < 3 {
        println!("skipped: needs 3 one-chunk EVTX logs in samples/ or ../shared/corpus/evtx");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for (i, log) in logs.iter().enumerate() {
        std::fs::copy(log, dir.path().join(format!("log{i}.evtx"))).unwrap();
    }
    let boom = dir.path().join("boom.evtx");
    std::fs::copy(&logs[0], &boom).unwrap();
    let rules: Vec<Arc<dyn Rule>> = vec![
        Arc::new(Explodes {
            info: Arc::new(RuleInfo {
                id: "explodes".into(),
                ..Default::default()
            }),
            scope: Scope::everything(),
        }),
        fixtures::every_event(),
    ];
    let root = dir.path().to_path_buf();
    let result = fixtures::bounded(Duration::from_secs(120), "a scan with a panic", move || {
        scan(
            &[root],
            rules,
            &ScanOptions::default(),
            Arc::new(Progress::default()),
        )
    });
    assert_eq!(result.files.len(), 4);
    for f in &result.files {
        if f.path == boom {
            let fatal = f.fatal.as_deref().unwrap_or_default();
            assert!(
                fatal.contains("internal error") && fatal.contains("simulated bug"),
                "{fatal}"
            );
            assert!(f.is_damaged());
        } else {
            assert!(f.fatal.is_none(), "{f:?}");
            assert_eq!(f.records_read, fixtures::records_in(&f.path));
            let hits = result
                .hits
                .iter()
                .filter(|h| h.event.source.path == f.path)
                .count() as u64;
            assert_eq!(hits, f.records_read, "{}", f.path.display());
        }
    }
    assert!(result.is_partial());
}
