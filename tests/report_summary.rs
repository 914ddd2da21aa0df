//! The summary on standard error: files scanned/damaged with chunk and record counts, rules,
//! hits per level, rule and computer, folded copies; no control character from an event.

mod report_common;

use evtxscan::report::summary;
use report_common::*;

#[test]
fn summary_counts_files_rules_and_hits() {
    let fx = incident();
    let ctx = report_context(&fx);
    let mut out = Vec::new();
    summary::write(&mut out, &ctx, false).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("files: 5 event logs scanned"), "{text}");
    assert!(text.contains("1 damaged"));
    assert!(text.contains("damaged: WKS02/damaged.evtx: chunks ok 1 damaged 1 unreadable 0 zeroed 0 truncated 0; records read 100 failed 7"), "{text}");
    assert!(text.contains("records: 500 read, 7 unreadable"));
    assert!(text.contains("rules: 4 loaded, 1 rejected"));
    assert!(
        text.contains(
            "hits: 4 (1 more copies of the same records in other files were folded into them)"
        ),
        "{text}"
    );
    for line in [
        "  critical      1",
        "  high          1",
        "  medium        1",
        "  low           1",
    ] {
        assert!(text.lines().any(|l| l == line), "{line:?} in {text}");
    }
    assert!(text.contains("      1  critical       Failed Logon Burst"));
    assert!(text.contains("      2  WKS01"));
    assert!(!text.contains('\u{1b}'));
    let mut colored = Vec::new();
    summary::write(&mut colored, &ctx, true).unwrap();
    let colored = String::from_utf8(colored).unwrap();
    let stripped = regex::Regex::new("\u{1b}\\[[0-9;]*m")
        .unwrap()
        .replace_all(&colored, "");
    assert_eq!(stripped, text);
}

#[test]
fn summary_neutralizes_event_text() {
    let r = rule(
        "x",
        "Rule \u{1b}[2J",
        evtxscan::rules::Level::High,
        &[],
        &[],
    );
    let ev = Ev::new(
        "a.evtx",
        "Security",
        4688,
        "HOST\u{1b}]0;owned\u{7}",
        1,
        "2024-01-01T00:00:00Z",
    );
    let hits = vec![hit(&r, &ev.event)];
    let result = scan_result(&["a.evtx"], &[]);
    let rules = rule_objects(&[&r]);
    let ctx = evtxscan::report::ReportContext {
        rules: &rules,
        result: &result,
        hits: &evtxscan::collect::SortedHits::from(hits),
        rules_rejected: 0,
        verdicts: &[],
    };
    let mut out = Vec::new();
    summary::write(&mut out, &ctx, false).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(
        !text.chars().any(|c| c.is_control() && c != '\n'),
        "{text:?}"
    );
    assert!(text.contains("HOST\\x1b]0;owned\\x07"));
}
