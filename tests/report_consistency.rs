//! What the summary, the HTML report and the Markdown report share: the same values for every
//! damaged file, and ATT&CK tactics in one kill-chain order (including the newer tactics).

mod report_common;

use evtxscan::read::{ChunkState, FileReport};
use evtxscan::report::incident::{self, model, IncidentContext, ReportKind};
use evtxscan::report::{summary, ReportContext};
use evtxscan::rules::Level;
use report_common::*;
use std::path::Path;

/// A file with every kind of damage: zeroed and truncated chunks, a fatal reason, errors, and a
/// watchdog stop.
fn badly_damaged() -> FileReport {
    let mut f = FileReport::new(Path::new("HOST/odd.evtx"), 200_000);
    f.chunks = vec![
        ChunkState::Ok,
        ChunkState::Ok,
        ChunkState::Damaged,
        ChunkState::Zeroed,
        ChunkState::Truncated,
    ];
    f.records_read = 321;
    f.records_failed = 9;
    f.timed_out = true;
    f.fatal = Some("reader gave up".into());
    f.note("chunk 2: header CRC mismatch".into());
    f
}

#[test]
fn a_damaged_file_reads_the_same_in_summary_html_and_markdown() {
    let mut result = scan_result(&["a.evtx"], &[]);
    result.files.push(badly_damaged());
    let r = rule("r", "Rule", Level::High, &[], &[]);
    let hits = vec![hit(
        &r,
        &Ev::new(
            "a.evtx",
            "Security",
            4688,
            "WKS01",
            1,
            "2024-01-01T00:00:00Z",
        )
        .event,
    )];
    let rules = rule_objects(&[&r]);
    let ctx = ReportContext {
        rules: &rules,
        result: &result,
        hits: &evtxscan::collect::SortedHits::from(hits),
        rules_rejected: 0,
        verdicts: &[],
    };
    let none = IncidentContext::default();
    let mut out = Vec::new();
    summary::write(&mut out, &ctx, false).unwrap();
    let summary = String::from_utf8(out).unwrap();
    assert!(summary.contains(
        "damaged: HOST/odd.evtx: chunks ok 2 damaged 1 unreadable 0 zeroed 1 truncated 1; records read 321 failed 9; stopped by the watchdog; reader gave up; chunk 2: header CRC mismatch"
    ), "{summary}");

    let html = incident::render(ReportKind::Html, &ctx, &none);
    let cells = "<td class=\"num\">2</td><td class=\"num\">1</td><td class=\"num\">0</td><td class=\"num\">1</td><td class=\"num\">1</td><td class=\"num\">321</td><td class=\"num\">9</td><td class=\"meta\">stopped by the watchdog; reader gave up; chunk 2: header CRC mismatch</td>";
    assert!(html.contains(cells), "{html}");

    let md = incident::render(ReportKind::Markdown, &ctx, &none);
    assert!(
        md.contains("| file | chunks ok | damaged | unreadable | zeroed | truncated | records read | records failed | problems |"),
        "{md}"
    );
    assert!(
        md.contains("| HOST/odd.evtx | 2 | 1 | 0 | 1 | 1 | 321 | 9 | stopped by the watchdog; reader gave up; chunk 2: header CRC mismatch |"),
        "{md}"
    );
}

#[test]
fn newer_attack_tactics_take_their_kill_chain_place() {
    let at = |rec: u64| {
        Ev::new(
            "a.evtx",
            "Security",
            4688,
            "WKS01",
            rec,
            "2024-01-01T00:00:00Z",
        )
    };
    let rules = [
        rule("c", "Creds", Level::High, &[], &["credential-access"]),
        rule("s", "Hide", Level::High, &[], &["stealth"]),
        rule("d", "Impair", Level::High, &[], &["defense-impairment"]),
        rule("e", "Run", Level::High, &[], &["execution"]),
        rule("x", "Odd", Level::High, &[], &["made-up-tactic"]),
    ];
    let hits: Vec<_> = rules
        .iter()
        .enumerate()
        .map(|(i, r)| hit(r, &at(i as u64 + 1).event))
        .collect();
    let result = scan_result(&["a.evtx"], &[]);
    let objects = rule_objects(&rules.iter().collect::<Vec<_>>());
    let ctx = ReportContext {
        rules: &objects,
        result: &result,
        hits: &evtxscan::collect::SortedHits::from(hits),
        rules_rejected: 0,
        verdicts: &[],
    };
    let report = model::build(&ctx, &IncidentContext::default());
    let order: Vec<&str> = report
        .overview
        .tactics
        .iter()
        .map(|(t, _)| t.as_str())
        .collect();
    assert_eq!(
        order,
        [
            "execution",
            "stealth",
            "defense-impairment",
            "credential-access",
            "made-up-tactic"
        ]
    );
}
