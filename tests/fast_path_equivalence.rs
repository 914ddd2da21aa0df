//! The fast configurations against the reference ones; both scans must give the same hits (rule
//! id, file, record id, time, fields, and for a group its key, count and records).
//!
//! - Every rule of the shared corpus (SigmaHQ Windows rules and Splunk detections) over
//!   `../shared/corpus/evtx/attack-samples`, dispatched through the index and pre-filters
//!   (`ScanOptions.indexed`) and without them (every rule offered every event of its scope).
//! - The whole fast configuration (fast path reader, records skipped by channel and event id,
//!   dispatch index, literal pre-filter) against the reference one (XML path, no index) over
//!   `../shared/corpus/evtx` and `samples/`, with the bundled rules, or any rule set named by
//!   `EVTXSCAN_EQUIV_RULES` (paths separated by `:`, as many `--rules`), e.g.
//!   `EVTXSCAN_EQUIV_RULES=../shared/corpus/sigma/rules/windows:../shared/corpus/splunk \
//!   cargo test --release --test fast_path_equivalence -- --nocapture`.
//!
//! Skipped (with a printed line) when `../shared` is absent.

use evtxscan::hit::Hit;
use evtxscan::read::ReadOptions;
use evtxscan::rules::{self, LoadOptions};
use evtxscan::scan::{scan, Progress, ScanOptions};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A hit as text that does not depend on scan order.
fn canonical(h: &Hit) -> String {
    let aggregate = h.aggregate.as_ref().map(|a| {
        let mut records: Vec<String> = a
            .records
            .iter()
            .map(|r| format!("{}#{}", r.source.path.display(), r.record_id))
            .collect();
        records.sort();
        format!(
            "count {} first {:?} last {:?} by {:?} records {records:?}",
            a.count, a.first_time, a.last_time, a.by
        )
    });
    format!(
        "{} | {}#{} | {} | {} {} | {:?} | {:?}",
        h.rule.id,
        h.event.source.path.display(),
        h.event.record_id,
        h.event.time,
        h.event.channel,
        h.event.event_id,
        as_xml_renders(&h.fields),
        aggregate
    )
}

/// Field values as the reference (XML) path can give them: the evtx crate's XML renderer writes
/// C0 control characters other than tab, CR and LF as `_`, which the fast path keeps.
fn as_xml_renders(fields: &[(String, String)]) -> Vec<(String, String)> {
    fields
        .iter()
        .map(|(k, v)| {
            let v = v
                .chars()
                .map(|c| {
                    if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') {
                        '_'
                    } else {
                        c
                    }
                })
                .collect();
            (k.clone(), v)
        })
        .collect()
}

/// The hits of a scan, canonical and sorted: with `fast`, the fast path reader and the dispatch
/// index; without, the XML path and no index.
fn hits(paths: &[PathBuf], rules: Vec<Arc<dyn rules::Rule>>, fast: bool) -> Vec<String> {
    let options = ScanOptions {
        read: ReadOptions {
            fast,
            ..Default::default()
        },
        indexed: fast,
        ..Default::default()
    };
    hits_with(paths, rules, &options)
}

fn hits_with(
    paths: &[PathBuf],
    rules: Vec<Arc<dyn rules::Rule>>,
    options: &ScanOptions,
) -> Vec<String> {
    let result = scan(paths, rules, options, Arc::new(Progress::default()));
    let mut v: Vec<String> = result.hits.iter().map(|h| canonical(&h)).collect();
    v.sort();
    v
}

/// What only `a` and only `b` hold, both sorted.
fn differences<'a>(a: &'a [String], b: &'a [String]) -> (Vec<&'a String>, Vec<&'a String>) {
    let (mut i, mut j) = (0, 0);
    let (mut only_a, mut only_b) = (Vec::new(), Vec::new());
    while i < a.len() || j < b.len() {
        match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if x == y => {
                i += 1;
                j += 1;
            }
            (Some(x), Some(y)) if x < y => {
                only_a.push(x);
                i += 1;
            }
            (Some(_), Some(y)) | (None, Some(y)) => {
                only_b.push(y);
                j += 1;
            }
            (Some(x), None) => {
                only_a.push(x);
                i += 1;
            }
            (None, None) => break,
        }
    }
    (only_a, only_b)
}

#[test]
fn fast_and_reference_scans_give_the_same_hits() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let corpus = manifest.join("../shared/corpus/evtx");
    if !corpus.is_dir() {
        println!("skipped: ../shared/corpus/evtx not found");
        return;
    }
    let mut inputs = vec![corpus];
    if manifest.join("samples").is_dir() {
        inputs.push(manifest.join("samples"));
    }
    let rule_paths: Vec<PathBuf> = std::env::var("EVTXSCAN_EQUIV_RULES")
        .map(|v| v.split(':').map(|p| manifest.join(p)).collect())
        .unwrap_or_default();
    let loaded = rules::load(&rule_paths, &LoadOptions::default());
    println!(
        "{} rules loaded, {} rejected",
        loaded.rules.len(),
        loaded.rejected()
    );
    assert!(
        !loaded.rules.is_empty() && loaded.rejected() == 0,
        "the rules must load: {:?}",
        loaded.verdicts
    );
    let reference = hits(&inputs, loaded.rules.clone(), false);
    let fast = hits(&inputs, loaded.rules, true);
    println!(
        "{} hits (reference), {} hits (fast)",
        reference.len(),
        fast.len()
    );
    assert!(!reference.is_empty(), "the rules fire on the corpus");
    assert_same(&reference, &fast, "the fast scan");
}

/// Every rule of the shared corpus, dispatched with and without the index and pre-filters
/// (literal needles, SPL filters pushed before the grouping).
#[test]
fn indexed_and_unindexed_dispatch_agree_on_every_corpus_rule() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    let samples = shared.join("corpus/evtx/attack-samples");
    if !samples.is_dir() {
        println!("skipped: ../shared/corpus/evtx/attack-samples not found");
        return;
    }
    let rule_paths = [
        shared.join("corpus/sigma/rules/windows"),
        shared.join("corpus/splunk"),
    ];
    let loaded = rules::load(&rule_paths, &LoadOptions::default());
    // The reference: SPL filters after a grouping run only over the groups, never per event.
    let reference = rules::load(
        &rule_paths,
        &LoadOptions {
            no_pushdown: true,
            ..Default::default()
        },
    );
    let engines = |e: rules::EngineKind| {
        loaded
            .rules
            .iter()
            .filter(|r| r.info().engine == Some(e))
            .count()
    };
    let (sigma, spl) = (
        engines(rules::EngineKind::Sigma),
        engines(rules::EngineKind::Splunk),
    );
    println!("{sigma} Sigma and {spl} SPL rules loaded");
    assert!(sigma > 2000 && spl > 100, "{sigma} Sigma, {spl} SPL rules");
    // The SigmaHQ regression samples add channels attack-samples lacks (Defender, ...).
    let inputs = vec![samples, shared.join("corpus/sigma/regression/evtx")];
    let read = ReadOptions::default();
    let unindexed = hits_with(
        &inputs,
        reference.rules,
        &ScanOptions {
            read: read.clone(),
            indexed: false,
            ..Default::default()
        },
    );
    let indexed = hits_with(
        &inputs,
        loaded.rules,
        &ScanOptions {
            read,
            indexed: true,
            ..Default::default()
        },
    );
    println!(
        "{} hits (unindexed), {} hits (indexed)",
        unindexed.len(),
        indexed.len()
    );
    assert!(
        unindexed.len() > 100,
        "the corpus rules fire on attack-samples"
    );
    assert!(
        unindexed.iter().any(|h| h.contains("| Some(\"count ")),
        "some aggregated (SPL) hits are compared"
    );
    assert_same(&unindexed, &indexed, "the indexed scan");
}

/// Fail with the first differences when `other` does not hold exactly the hits of `reference`.
fn assert_same(reference: &[String], other: &[String], what: &str) {
    let (missing, extra) = differences(reference, other);
    assert!(
        missing.is_empty() && extra.is_empty() && reference.len() == other.len(),
        "hits differ\nonly in the reference ({}):\n{}\nonly in {what} ({}):\n{}",
        missing.len(),
        missing
            .iter()
            .take(20)
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        extra.len(),
        extra
            .iter()
            .take(20)
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// A stand-in rule while the engines are being written: matches when `field` (any value when
/// `None`) contains `needle`, case-insensitively, and declares that needle to the pre-filter.
struct ContainsRule {
    info: Arc<rules::RuleInfo>,
    scope: rules::Scope,
    field: Option<&'static str>,
    needle: &'static str,
}

impl rules::Rule for ContainsRule {
    fn info(&self) -> &Arc<rules::RuleInfo> {
        &self.info
    }
    fn scope(&self) -> &rules::Scope {
        &self.scope
    }
    fn needles(&self) -> Option<Vec<rules::Needle>> {
        Some(vec![rules::Needle {
            field: self.field.map(str::to_string),
            needle: self.needle.to_string(),
        }])
    }
    fn check(&self, event: &evtxscan::event::Event) -> Option<rules::EventMatch> {
        let hit = match self.field {
            Some(f) => event
                .get_str(f)
                .is_some_and(|v| v.to_ascii_lowercase().contains(self.needle)),
            None => event
                .all_values()
                .any(|v| v.as_text().to_ascii_lowercase().contains(self.needle)),
        };
        hit.then(|| rules::EventMatch::of(event))
    }
}

#[test]
fn stand_in_rules_give_the_same_hits_both_ways() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let corpus = manifest.join("../shared/corpus/evtx");
    if !corpus.is_dir() {
        println!("skipped: ../shared/corpus/evtx not found");
        return;
    }
    let scope = |channel: &str, ids: &[u32]| rules::Scope {
        any_of: vec![rules::SourceFilter {
            channels: vec![channel.to_string()],
            providers: Vec::new(),
            event_ids: ids.to_vec(),
        }],
    };
    let specs: Vec<(rules::Scope, Option<&'static str>, &'static str)> = vec![
        (
            scope("Security", &[4688]),
            Some("CommandLine"),
            "powershell",
        ),
        (
            scope("Microsoft-Windows-Sysmon/Operational", &[1]),
            Some("Image"),
            "\\cmd.exe",
        ),
        (
            scope("Microsoft-Windows-Sysmon/Operational", &[]),
            Some("image"),
            "rundll32",
        ),
        (
            scope("Microsoft-Windows-PowerShell/Operational", &[4104]),
            None,
            "invoke-",
        ),
        (scope("Security", &[4624]), Some("LogonType"), "3"),
        (rules::Scope::everything(), None, "mimikatz"),
        (
            rules::Scope::everything(),
            Some("SubcategoryGuid"),
            "{0cce9210",
        ),
    ];
    let stand_ins: Vec<Arc<dyn rules::Rule>> = specs
        .into_iter()
        .enumerate()
        .map(|(i, (scope, field, needle))| {
            Arc::new(ContainsRule {
                info: Arc::new(rules::RuleInfo {
                    id: format!("stand-in-{i}"),
                    title: format!("{field:?} contains {needle}"),
                    ..Default::default()
                }),
                scope,
                field,
                needle,
            }) as Arc<dyn rules::Rule>
        })
        .collect();
    let inputs = vec![corpus];
    let reference = hits(&inputs, stand_ins.clone(), false);
    let fast = hits(&inputs, stand_ins, true);
    let (missing, extra) = differences(&reference, &fast);
    println!(
        "{} hits (reference), {} hits (fast)",
        reference.len(),
        fast.len()
    );
    assert!(
        reference.len() > 100,
        "the stand-in rules should fire on the corpus"
    );
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{missing:?}\n{extra:?}"
    );
}
