//! The spilling hit collection gives exactly what the in-memory timeline gives, on hits of real
//! generated logs (the bundled samples, two copies of them).

use super::hits::HitSet;
use super::SortedHits;
use crate::hit::Hit;
use crate::report::filter::HitFilter;
use crate::report::timeline::{prepare, Format};
use crate::rules::{Level, LoadOptions};
use crate::scan::{scan, Progress, ScanOptions};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Every hit as every timeline output writes it, one JSON line each.
fn render(hits: impl IntoIterator<Item = Hit>) -> Vec<String> {
    let mut out = Vec::new();
    crate::report::json::write_jsonl(&mut out, hits, false).unwrap();
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn scan_dir(dir: &Path) -> Vec<Hit> {
    let rules = crate::rules::load(&[], &LoadOptions::default()).rules;
    scan(
        &[dir.to_path_buf()],
        rules,
        &ScanOptions::default(),
        Arc::new(Progress::default()),
    )
    .hits
    .to_vec()
}

/// The hits of the samples scanned in `a` and in `b` (a copy), interleaved and out of order,
/// as rules hand them over when copies are read in any order.
fn hits_of_two_copies() -> (tempfile::TempDir, Vec<Hit>) {
    let dir = tempfile::tempdir().unwrap();
    let (a, b): (PathBuf, PathBuf) = (dir.path().join("a"), dir.path().join("b"));
    crate::evtxgen::samples::write_samples(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    for entry in std::fs::read_dir(&a).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, b.join(path.file_name().unwrap())).unwrap();
    }
    let from_a = scan_dir(&a);
    let mut from_b = scan_dir(&b);
    from_b.reverse();
    assert_eq!(from_a.len(), from_b.len());
    let mut all = Vec::new();
    for (x, y) in from_b.into_iter().zip(from_a) {
        all.push(x);
        all.push(y);
    }
    (dir, all)
}

#[test]
fn spilled_hits_merge_into_the_in_memory_timeline() {
    let (_dir, hits) = hits_of_two_copies();
    assert!(hits.len() >= 20, "the samples fire: {}", hits.len());
    assert!(
        hits.iter().any(|h| h.aggregate.is_some()),
        "with aggregates"
    );
    let expected = render(prepare(hits.clone(), &HitFilter::default()));
    assert_eq!(
        expected.len() * 2,
        hits.len(),
        "every hit folds with its copy"
    );
    assert!(expected.iter().all(|l| l.contains(r#""also_in":[""#)));

    let mut memory = HitSet::new();
    let mut spilling = HitSet::with_budget(1 << 10);
    for h in &hits {
        memory.insert(h.clone());
        spilling.insert(h.clone());
    }
    assert_eq!(memory.runs(), 0);
    assert!(spilling.runs() > 3, "runs: {}", spilling.runs());
    let (memory, spilling) = (memory.finish(), spilling.finish());
    assert_eq!(render(memory.iter()), expected);
    assert_eq!(render(spilling.iter()), expected);
    assert_eq!(spilling.len(), expected.len());
    assert!(!spilling.is_empty());
    // Every pass reads the runs again from the start, even two at once.
    let (mut one, mut two) = (spilling.iter(), spilling.iter());
    let first = one.next().unwrap();
    assert_eq!(render(two.by_ref().take(1)), render([first]));
    assert_eq!(render(one), render(two));
    assert_eq!(render(spilling.to_vec()), expected);
    // The other timeline formats read the stream the same way (the table in two passes).
    let prepared = prepare(hits.clone(), &HitFilter::default());
    for format in [Format::Table, Format::Csv, Format::Json] {
        let (mut streamed, mut batch) = (Vec::new(), Vec::new());
        crate::report::timeline::write(&mut streamed, format, &spilling, true).unwrap();
        crate::report::timeline::write(&mut batch, format, &prepared, true).unwrap();
        assert_eq!(String::from_utf8(streamed), String::from_utf8(batch));
    }
    assert_eq!(
        crate::report::navigator::layer(&spilling),
        crate::report::navigator::layer(&prepared)
    );
    assert!(!spilling.lost_hits());
    // Rules come back as the rules that fired.
    assert!(spilling
        .iter()
        .all(|h| hits.iter().any(|x| Arc::ptr_eq(&x.rule, &h.rule))));
}

#[test]
fn a_filter_applies_while_reading_spilled_runs() {
    let (_dir, hits) = hits_of_two_copies();
    let mut spilling = HitSet::with_budget(1 << 10);
    hits.iter().cloned().for_each(|h| spilling.insert(h));
    let mut sorted = spilling.finish();
    assert!(sorted.runs() > 0);
    let level = Level::High;
    let filter = HitFilter {
        min_level: Some(level),
        ..HitFilter::default()
    };
    let expected = render(prepare(hits, &filter));
    assert!(!expected.is_empty());
    sorted.set_filter(filter);
    assert_eq!(render(sorted.iter()), expected);
    assert_eq!(sorted.len(), expected.len());
    assert!(sorted.iter().all(|h| h.rule.level >= level));
}

#[test]
fn most_severe_keeps_the_highest_levels_then_the_earliest_in_timeline_order() {
    let (_dir, hits) = hits_of_two_copies();
    let all = prepare(hits.clone(), &HitFilter::default());
    let limit = 7;
    let mut ranked: Vec<(std::cmp::Reverse<Level>, usize)> = all
        .iter()
        .enumerate()
        .map(|(i, h)| (std::cmp::Reverse(h.rule.level), i))
        .collect();
    ranked.sort();
    let mut chosen: Vec<usize> = ranked.iter().take(limit).map(|r| r.1).collect();
    chosen.sort();
    let expected = render(chosen.iter().map(|&i| all[i].clone()));

    let mut spilling = HitSet::with_budget(1 << 10);
    hits.iter().cloned().for_each(|h| spilling.insert(h));
    let sorted = spilling.finish().with_most_severe_limit(limit);
    assert_eq!(render(sorted.most_severe().iter().cloned()), expected);
    // Under the limit, every hit.
    let whole = SortedHits::from(hits);
    assert_eq!(
        render(whole.most_severe().iter().cloned()),
        render(all.iter().cloned())
    );
}

#[test]
fn a_damaged_run_gives_what_it_can_and_says_hits_were_lost() {
    use std::io::{Seek, Write};
    let (_dir, hits) = hits_of_two_copies();
    let mut tables = super::hit_codec::Tables::default();
    let mut file = tempfile::tempfile().unwrap();
    let mut bytes = Vec::new();
    for h in hits.iter().take(2) {
        super::hit_codec::encode(&mut bytes, h, &mut tables).unwrap();
    }
    // The second hit is cut short.
    bytes.truncate(bytes.len() - 3);
    file.write_all(&bytes).unwrap();
    file.rewind().unwrap();
    let sorted = SortedHits::new(Vec::new(), vec![file], tables);
    let back: Vec<Hit> = sorted.iter().collect();
    assert_eq!(
        render(back),
        render(prepare(vec![hits[0].clone()], &HitFilter::default()))
    );
    assert!(sorted.lost_hits());
}
