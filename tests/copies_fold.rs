//! Scanning two identical copies of a log reports what one copy reports: every hit once, with
//! the other copy in `also_in`, and aggregate counts not doubled. Uses the bundled rules and the
//! generated sample logs, so it needs nothing from ../shared.

use evtxscan::hit::Hit;
use evtxscan::rules::{load, LoadOptions};
use evtxscan::scan::{scan, Progress, ScanOptions};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// (rule id, computer, record id, count, by, listed records) of every hit, sorted.
type View = Vec<(String, String, u64, Option<u64>, String, usize)>;

fn run(paths: &[PathBuf]) -> Vec<Hit> {
    let rules = load(&[], &LoadOptions::default()).rules;
    assert!(
        rules.iter().any(|r| r.aggregates()),
        "bundled rules aggregate"
    );
    scan(
        paths,
        rules,
        &ScanOptions::default(),
        Arc::new(Progress::default()),
    )
    .hits
    .to_vec()
}

fn view(hits: &[Hit]) -> View {
    let mut v: View = hits
        .iter()
        .map(|h| {
            (
                h.rule.id.clone(),
                h.event.computer.to_string(),
                h.event.record_id,
                h.aggregate.as_ref().map(|a| a.count),
                format!("{:?}", h.aggregate.as_ref().map(|a| &a.by)),
                h.aggregate.as_ref().map_or(0, |a| a.records.len()),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn two_copies_yield_one_copys_hits_with_also_in() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    evtxscan::evtxgen::samples::write_samples(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    for entry in std::fs::read_dir(&a).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, b.join(path.file_name().unwrap())).unwrap();
    }
    let one = run(std::slice::from_ref(&a));
    let two = run(&[b.clone(), a.clone()]);
    assert!(!one.is_empty());
    assert!(
        one.iter().any(|h| h.aggregate.is_some()),
        "an aggregate fired"
    );
    assert_eq!(view(&two), view(&one));
    for h in &two {
        let source = h.event.source.path.as_path();
        assert!(
            source.starts_with(&a),
            "kept from the first path: {source:?}"
        );
        let also: Vec<&Path> = h.also_in.iter().map(|s| s.path.as_path()).collect();
        assert_eq!(also.len(), 1, "{}: {also:?}", h.rule.id);
        assert!(also[0].starts_with(&b));
        if let Some(agg) = &h.aggregate {
            assert!(agg.records.iter().all(|r| r.source.path.starts_with(&a)));
            assert_eq!(agg.records_omitted, 0);
        }
    }
    assert!(one.iter().all(|h| h.also_in.is_empty()));
}
