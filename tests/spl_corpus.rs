//! The security_content corpus (../shared/corpus/splunk) compiles: at least 90% of the
//! detections load, and every rejection names its reason.

use evtxscan::rules::{load, EngineKind, LoadOptions, RuleStatus};
use std::collections::BTreeMap;
use std::path::Path;

#[test]
fn corpus_compiles_at_least_90_percent() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/splunk");
    if !root.exists() {
        println!("skipped: {} not found", root.display());
        return;
    }
    let report = load(&[root], &LoadOptions::default());
    let spl: Vec<_> = report
        .verdicts
        .iter()
        .filter(|v| {
            v.engine == Some(EngineKind::Splunk) && v.path.to_string_lossy().contains("detections")
        })
        .collect();
    let loaded = spl
        .iter()
        .filter(|v| v.status == RuleStatus::Loaded)
        .count();
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    for v in spl.iter().filter(|v| v.status == RuleStatus::Rejected) {
        assert!(
            !v.reason.is_empty(),
            "rejection without a reason: {}",
            v.path.display()
        );
        let key: String = v.reason.chars().take(90).collect();
        *reasons.entry(key).or_default() += 1;
    }
    let mut by_count: Vec<_> = reasons.into_iter().collect();
    by_count.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    println!("{loaded} of {} detections loaded", spl.len());
    for (reason, n) in &by_count {
        println!("{n:4}  {reason}");
    }
    let other_errors: Vec<_> = report
        .verdicts
        .iter()
        .filter(|v| {
            v.status == RuleStatus::Rejected && !v.path.to_string_lossy().contains("detections")
        })
        .map(|v| format!("{}: {}", v.path.display(), v.reason))
        .collect();
    assert!(
        other_errors.is_empty(),
        "support files rejected: {other_errors:#?}"
    );
    assert!(
        spl.len() >= 500,
        "expected the whole corpus, saw {}",
        spl.len()
    );
    assert!(
        loaded * 10 >= spl.len() * 9,
        "only {loaded} of {} detections compiled",
        spl.len()
    );
    assert_eq!(report.rules.len(), loaded);
}
