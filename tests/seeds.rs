//! The seed detections on the generated samples: every seeded event fires its rule (on that
//! record), and no near miss does. Rules are the bundled ones; the SigmaHQ-only seeds are
//! checked with `../shared/corpus/sigma/rules/windows` when it exists.

use evtxscan::evtxgen::samples::{seeds, Expect};
use evtxscan::hit::Hit;
use evtxscan::rules::{load, LoadOptions};
use evtxscan::scan::{scan, Progress, ScanOptions};
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn samples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples")
}

/// (file name, record id) of every record a hit stands for.
fn records_of(hit: &Hit) -> Vec<(String, u64)> {
    let name = |p: &Path| p.file_name().unwrap().to_string_lossy().into_owned();
    match &hit.aggregate {
        Some(a) => a
            .records
            .iter()
            .map(|r| (name(&r.source.path), r.record_id))
            .collect(),
        None => vec![(name(&hit.event.source.path), hit.event.record_id)],
    }
}

fn run(rule_paths: &[PathBuf]) -> Vec<Hit> {
    let loaded = load(rule_paths, &LoadOptions::default());
    assert!(!loaded.rules.is_empty());
    let result = scan(
        &[samples_dir()],
        loaded.rules,
        &ScanOptions::default(),
        Arc::new(Progress::default()),
    );
    assert_eq!(result.files.len(), 4);
    assert!(!result.is_partial(), "the samples are intact");
    result.hits.to_vec()
}

fn check(hits: &[Hit], bundled_only: bool) -> usize {
    let bundled: Vec<String> = load(&[], &LoadOptions::default())
        .rules
        .iter()
        .map(|r| r.info().title.clone())
        .collect();
    let mut checked = 0;
    for seed in seeds() {
        if bundled_only != bundled.iter().any(|t| t == seed.rule) {
            continue;
        }
        let fired = hits
            .iter()
            .filter(|h| h.rule.title == seed.rule)
            .any(|h| records_of(h).contains(&(seed.file.to_string(), seed.record_id)));
        match seed.expect {
            Expect::Fires => assert!(
                fired,
                "{} must fire on {} #{} ({})",
                seed.rule, seed.file, seed.record_id, seed.note
            ),
            Expect::MustNotFire => assert!(
                !fired,
                "{} must not fire on {} #{} ({})",
                seed.rule, seed.file, seed.record_id, seed.note
            ),
        }
        checked += 1;
    }
    checked
}

#[test]
fn bundled_rules_fire_on_the_seeded_events_only() {
    let hits = run(&[]);
    let checked = check(&hits, true);
    assert!(checked >= 20, "seeds checked: {checked}");
    // Nothing fires on background records: every hit is a seeded event.
    let seeded: Vec<(String, u64)> = seeds()
        .iter()
        .filter(|s| s.expect == Expect::Fires)
        .map(|s| (s.file.to_string(), s.record_id))
        .collect();
    for h in &hits {
        for r in records_of(h) {
            assert!(
                seeded.contains(&r),
                "{} fired on unseeded record {:?}",
                h.rule.title,
                r
            );
        }
    }
    // Both process-creation sources fire the same Sigma rule (Sysmon 1 and Security 4688).
    let tunnel: Vec<&Hit> = hits
        .iter()
        .filter(|h| h.rule.title == "Exfiltration and Tunneling Tools Execution")
        .collect();
    assert!(tunnel.iter().any(|h| h.event.event_id == 1));
    assert!(tunnel.iter().any(|h| h.event.event_id == 4688));
    // The Splunk seed groups the two identical pastebin queries into one row with count 2.
    let dns: Vec<&Hit> = hits
        .iter()
        .filter(|h| h.rule.title.starts_with("Suspicious Process DNS Query"))
        .collect();
    assert_eq!(dns.len(), 3, "rows: pastebin x2, telegram, discord");
    let pastebin = dns
        .iter()
        .find(|h| {
            h.fields
                .iter()
                .any(|(k, v)| k == "QueryName" && v == "pastebin.com")
        })
        .expect("pastebin row");
    assert_eq!(pastebin.aggregate.as_ref().unwrap().count, 2);
}

#[test]
fn sigmahq_rules_fire_on_the_system_and_security_seeds() {
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/sigma/rules/windows");
    if !rules.is_dir() {
        eprintln!("skipped: ../shared/corpus/sigma/rules/windows not found");
        return;
    }
    let hits = run(&[rules]);
    assert!(check(&hits, false) >= 4);
}
