//! The Sigma engine on the shared corpora (skipped when `../shared` is absent):
//! - SigmaHQ `rules/windows` loads (≥ 99%), with every rejection printed and explained;
//! - SigmaHQ's regression samples: each rule fires on its own sample (≥ 95%);
//! - the attack samples: every hit both Chainsaw and Hayabusa report is reported here too.

use evtxscan::rules::{self, LoadOptions, Rule, RuleStatus};
use evtxscan::scan::{scan, Progress, ScanOptions};
use serde_yaml_ng::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

fn shared() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    if p.join("corpus/sigma").is_dir() {
        Some(p)
    } else {
        println!("skipped: ../shared/corpus/sigma is not present");
        None
    }
}

struct Loaded {
    by_id: HashMap<String, Arc<dyn Rule>>,
}

/// `rules/windows` plus the other SigmaHQ sets the regression samples refer to.
fn load_all(shared: &Path) -> &'static Loaded {
    static LOADED: OnceLock<Loaded> = OnceLock::new();
    LOADED.get_or_init(|| {
        let sigma = shared.join("corpus/sigma");
        let report = rules::load(
            &[
                sigma.join("rules/windows"),
                sigma.join("rules-emerging-threats"),
                sigma.join("rules-threat-hunting/windows"),
            ],
            &LoadOptions::default(),
        );
        let by_id = report
            .rules
            .iter()
            .map(|r| (r.info().id.clone(), Arc::clone(r)))
            .collect();
        Loaded { by_id }
    })
}

#[test]
fn sigmahq_windows_rules_load() {
    let Some(shared) = shared() else { return };
    let dir = shared.join("corpus/sigma/rules/windows");
    let report = rules::load(&[dir], &LoadOptions::default());
    let total = report.verdicts.len();
    let rejected: Vec<_> = report
        .verdicts
        .iter()
        .filter(|v| v.status == RuleStatus::Rejected)
        .collect();
    let warned = report
        .verdicts
        .iter()
        .filter(|v| v.status == RuleStatus::Warning)
        .count();
    for v in &rejected {
        println!("rejected: {} ({}): {}", v.path.display(), v.title, v.reason);
    }
    let with_needles = report
        .rules
        .iter()
        .filter(|r| r.needles().is_some())
        .count();
    println!(
        "rules with pre-filter needles: {with_needles} of {}",
        report.rules.len()
    );
    let loaded = total - rejected.len();
    println!(
        "rules/windows: {loaded} of {total} loaded ({:.2}%), {warned} with a warning, {} rejected",
        100.0 * loaded as f64 / total as f64,
        rejected.len()
    );
    assert!(total > 2000, "only {total} verdicts");
    assert!(loaded * 100 >= total * 99, "fewer than 99% loaded");
}

/// Regression samples allowed not to fire, as `(rule id, why)`: each entry needs a reason. An
/// entry whose sample fires fails the test, so the list cannot go stale.
const MAY_NOT_FIRE: &[(&str, &str)] = &[];

#[test]
fn sigmahq_regression_samples_fire() {
    let Some(shared) = shared() else { return };
    let loaded = load_all(&shared);
    let regression = shared.join("corpus/sigma/regression");
    let mut infos: Vec<PathBuf> = walkdir::WalkDir::new(regression.join("meta"))
        .into_iter()
        .flatten()
        .filter(|e| e.file_name() == "info.yml")
        .map(|e| e.into_path())
        .collect();
    infos.sort();
    let (mut passed, mut failed, mut skipped) = (0usize, Vec::new(), 0usize);
    for info in &infos {
        let text = std::fs::read_to_string(info).unwrap();
        let v: Value = serde_yaml_ng::from_str(&text).unwrap();
        let id = v["rule_metadata"][0]["id"]
            .as_str()
            .unwrap_or("")
            .to_string();
        let title = v["rule_metadata"][0]["title"]
            .as_str()
            .unwrap_or("")
            .to_string();
        let Some(sample) = v["regression_tests_info"][0]["path"].as_str() else {
            continue;
        };
        let evtx = regression
            .join("evtx")
            .join(sample.trim_start_matches("regression_data/"));
        if !info.to_string_lossy().contains("windows")
            && !info.to_string_lossy().contains("emerging")
        {
            skipped += 1;
            continue;
        }
        let Some(rule) = loaded.by_id.get(&id) else {
            failed.push((id.clone(), format!("{title} ({id}): rule not loaded")));
            continue;
        };
        let result = scan(
            std::slice::from_ref(&evtx),
            vec![Arc::clone(rule)],
            &ScanOptions::default(),
            Arc::new(Progress::default()),
        );
        if result.hits.is_empty() {
            failed.push((
                id.clone(),
                format!("{title} ({id}): no hit on {}", evtx.display()),
            ));
        } else {
            passed += 1;
            assert!(
                !MAY_NOT_FIRE.iter().any(|(allowed, _)| *allowed == id),
                "{title} ({id}) fires now: remove it from MAY_NOT_FIRE"
            );
        }
    }
    for (_, f) in &failed {
        println!("regression failure: {f}");
    }
    let total = passed + failed.len();
    println!(
        "regression samples: {passed} of {total} fire ({:.1}%), {skipped} not Windows",
        100.0 * passed as f64 / total.max(1) as f64
    );
    assert!(total >= 100, "only {total} samples");
    let unexpected: Vec<&String> = failed
        .iter()
        .filter(|(id, _)| !MAY_NOT_FIRE.iter().any(|(allowed, _)| allowed == id))
        .map(|(_, f)| f)
        .collect();
    assert!(
        unexpected.is_empty(),
        "{} regression samples do not fire:\n{}",
        unexpected.len(),
        unexpected
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

type Key = (String, String, u64);

fn peer_hits(path: &Path) -> BTreeSet<Key> {
    let mut out = BTreeSet::new();
    let mut reader = csv::Reader::from_path(path).unwrap();
    for row in reader.records() {
        let row = row.unwrap();
        out.insert((
            row[1].to_string(),
            row[2].to_string(),
            row[3].parse().unwrap(),
        ));
    }
    out
}

#[test]
fn attack_samples_cover_what_both_peers_find() {
    let Some(shared) = shared() else { return };
    let evtx_root = shared.join("corpus/evtx");
    let report = rules::load(
        &[shared.join("corpus/sigma/rules/windows")],
        &LoadOptions::default(),
    );
    let titles: HashMap<String, String> = report
        .rules
        .iter()
        .map(|r| (r.info().id.clone(), r.info().title.clone()))
        .collect();
    let result = scan(
        &[evtx_root.join("attack-samples")],
        report.rules,
        &ScanOptions::default(),
        Arc::new(Progress::default()),
    );
    let root = evtx_root.canonicalize().unwrap();
    // Peers report a record once per file holding it; evtxscan once, other files in `also_in`.
    let ours: BTreeSet<Key> = result
        .hits
        .to_vec()
        .iter()
        .flat_map(|h| {
            std::iter::once(&h.event.source)
                .chain(&h.also_in)
                .map(move |s| (h, s))
        })
        .map(|(h, s)| {
            let p = s.path.canonicalize().unwrap_or_default();
            let rel = p
                .strip_prefix(&root)
                .unwrap_or(&p)
                .to_string_lossy()
                .into_owned();
            (h.rule.id.clone(), rel, h.event.record_id)
        })
        .collect();
    let peers = shared.join("corpus/peer-hits");
    let chainsaw = peer_hits(&peers.join("chainsaw.csv"));
    let hayabusa = peer_hits(&peers.join("hayabusa.csv"));
    let both: BTreeSet<Key> = chainsaw.intersection(&hayabusa).cloned().collect();
    let missed: Vec<&Key> = both.difference(&ours).collect();
    println!(
        "attack samples: {} hits by evtxscan, {} by Chainsaw, {} by Hayabusa, {} by both peers",
        ours.len(),
        chainsaw.len(),
        hayabusa.len(),
        both.len()
    );
    for (name, peer) in [("Chainsaw", &chainsaw), ("Hayabusa", &hayabusa)] {
        let only_peer: Vec<&Key> = peer.difference(&ours).collect();
        let only_ours: Vec<&Key> = ours.difference(peer).collect();
        println!(
            "vs {name}: {} hits only {name} reports, {} only evtxscan reports",
            only_peer.len(),
            only_ours.len()
        );
        let only_name = format!("only {name}");
        for (label, keys) in [
            (only_name.as_str(), &only_peer),
            ("only evtxscan", &only_ours),
        ] {
            let mut per_rule: BTreeMap<&str, usize> = BTreeMap::new();
            for k in keys.iter() {
                *per_rule.entry(k.0.as_str()).or_default() += 1;
            }
            let mut sorted: Vec<_> = per_rule.into_iter().collect();
            sorted.sort_by_key(|e| std::cmp::Reverse(e.1));
            for (id, n) in sorted.iter().take(25) {
                let title = titles.get(*id).map(String::as_str).unwrap_or("?");
                println!("  {label}: {n:4} {title} ({id})");
            }
        }
    }
    for k in &missed {
        println!("missed (both peers report it): {k:?}");
    }
    assert!(
        missed.is_empty(),
        "{} hits both peers report are missing",
        missed.len()
    );
}

/// A 4719 event as the evtx crate renders it: the GUID without braces.
fn audit_policy_change(record: u64, guid: &str) -> evtxscan::event::Event {
    let xml = format!(
        r#"<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="Microsoft-Windows-Security-Auditing"/><EventID>4719</EventID><TimeCreated SystemTime="2024-01-01T00:00:00Z"/><EventRecordID>{record}</EventRecordID><Channel>Security</Channel><Computer>DC01</Computer></System><EventData><Data Name="SubjectUserName">admin</Data><Data Name="CategoryId">%%8274</Data><Data Name="SubcategoryId">%%12544</Data><Data Name="SubcategoryGuid">{guid}</Data><Data Name="AuditPolicyChanges">%%8448, %%8450</Data></EventData></Event>"#
    );
    let source = Arc::new(evtxscan::event::Source {
        path: PathBuf::from("audit.evtx"),
    });
    let t = "2024-01-01T00:00:00Z".parse().unwrap();
    evtxscan::event::normalize_xml(&xml, &source, record, t, false).unwrap()
}

#[test]
fn audit_policy_rules_split_4719_by_subcategory() {
    let Some(shared) = shared() else { return };
    let dir = shared.join("corpus/sigma/rules/windows/builtin/security");
    let report = rules::load(
        &[
            dir.join("win_security_disable_event_auditing.yml"),
            dir.join("win_security_disable_event_auditing_critical.yml"),
        ],
        &LoadOptions::default(),
    );
    assert_eq!(report.rules.len(), 2);
    let fired = |guid: &str| -> Vec<String> {
        let e = audit_policy_change(1, guid);
        report
            .rules
            .iter()
            .filter(|r| r.scope().admits(&e) && r.check(&e).is_some())
            .map(|r| r.info().title.clone())
            .collect()
    };
    // Audit Logon: one of the important subcategories.
    assert_eq!(
        fired("0cce9215-69ae-11d9-bed3-505054503030"),
        vec!["Important Windows Event Auditing Disabled".to_string()]
    );
    // Audit File System: only the general rule.
    assert_eq!(
        fired("0cce921d-69ae-11d9-bed3-505054503030"),
        vec!["Windows Event Auditing Disabled".to_string()]
    );
}
