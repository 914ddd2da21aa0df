//! The scan pipeline feeding the outputs, on a real Sysmon log from ../shared (skipped without
//! it): a test rule that fires on every Sysmon 1 event, two copies of the log, then the timeline
//! (deduplicated, TimeCreated in UTC), the progress counters and the incident report's lineage.

mod report_common;

use evtxscan::event::Event;
use evtxscan::report::{incident, ReportContext};
use evtxscan::rules::{EventMatch, Level, Rule, RuleInfo, Scope, SourceFilter};
use evtxscan::scan::{scan, Progress, ScanOptions};
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;

struct ProcessCreation {
    info: Arc<RuleInfo>,
    scope: Scope,
}

impl Rule for ProcessCreation {
    fn info(&self) -> &Arc<RuleInfo> {
        &self.info
    }
    fn scope(&self) -> &Scope {
        &self.scope
    }
    fn check(&self, event: &Event) -> Option<EventMatch> {
        (event.event_id == 1).then(|| EventMatch::of(event))
    }
}

#[test]
fn real_log_through_scan_timeline_and_report() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus/evtx/attack-samples/Execution/sysmon_1_11_rundll32_cpl_ostap.evtx");
    if !src.exists() {
        println!("skipped: {} not found", src.display());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for copy in ["live", "vss"] {
        std::fs::create_dir_all(dir.path().join(copy)).unwrap();
        std::fs::copy(&src, dir.path().join(copy).join("Sysmon.evtx")).unwrap();
    }
    let info = report_common::rule(
        "pc",
        "Process creation",
        Level::Low,
        &["T1059"],
        &["execution"],
    );
    let rule: Arc<dyn Rule> = Arc::new(ProcessCreation {
        info: Arc::clone(&info),
        scope: Scope {
            any_of: vec![SourceFilter {
                channels: vec![report_common::SYSMON.into()],
                providers: vec![],
                event_ids: vec![1],
            }],
        },
    });
    let progress = Arc::new(Progress::default());
    let result = scan(
        &[dir.path().to_path_buf()],
        vec![Arc::clone(&rule)],
        &ScanOptions::default(),
        Arc::clone(&progress),
    );
    assert_eq!(progress.total_files.load(Ordering::Relaxed), 2);
    let total = progress.total_bytes.load(Ordering::Relaxed);
    assert_eq!(total, 2 * std::fs::metadata(&src).unwrap().len());
    assert_eq!(progress.bytes_done.load(Ordering::Relaxed), total);
    assert_eq!(
        result.hits.len(),
        4,
        "4 Sysmon 1 events, folded across the copies"
    );
    let hits = result.hits.to_vec();
    assert_eq!(hits.len(), 4);
    for h in &hits {
        assert!(h.event.source.display().ends_with("live/Sysmon.evtx"));
        let also: Vec<String> = h.also_in.iter().map(|s| s.display()).collect();
        assert_eq!(also.len(), 1);
        assert!(also[0].ends_with("vss/Sysmon.evtx"));
    }
    assert!(hits.windows(2).all(|w| w[0].time() <= w[1].time()));

    let rules = vec![rule];
    let ctx = ReportContext {
        rules: &rules,
        result: &result,
        hits: &result.hits,
        rules_rejected: 0,
        verdicts: &[],
    };
    let context = incident::gather(&ctx);
    assert_eq!(context.processes.len(), 4, "copies of the creations folded");
    let (lineages, _) = incident::lineage::build(&hits, &context, 10);
    assert_eq!(lineages.len(), 4);
    let with_parent = lineages
        .iter()
        .filter(|l| l.ancestors.iter().any(|a| !a.origin.is_empty()))
        .count();
    assert!(
        with_parent >= 1,
        "some process has its parent's creation in the log"
    );
    let page = incident::render(incident::ReportKind::Html, &ctx, &context);
    assert!(page.contains(r#"<span id="hit-count">4</span>"#));
    assert!(page.contains("also in "));
}
