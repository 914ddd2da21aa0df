//! Correlation rules and filters.

use super::support::*;
use crate::event::Event;
use crate::hit::Hit;
use crate::rules::loader::RuleStatus;
use crate::rules::{EventMatch, Rule};
use std::sync::Arc;

const FAILED: &str = "title: Failed logon
id: 11111111-0000-0000-0000-000000000001
name: failed_logon
logsource:
    product: windows
    service: security
detection:
    sel:
        EventID: 4625
    condition: sel
level: low
";

const SUCCESS: &str = "title: Successful logon
id: 11111111-0000-0000-0000-000000000002
name: successful_logon
logsource:
    product: windows
    service: security
detection:
    sel:
        EventID: 4624
    condition: sel
";

fn logon(id: u32, record: u64, secs: i64, user: &str, ip: &str) -> Event {
    let mut e = event(
        "Security",
        "Microsoft-Windows-Security-Auditing",
        id,
        &[("TargetUserName", user), ("IpAddress", ip)],
    );
    e.record_id = record;
    e.time = jiff::Timestamp::from_second(1_700_000_000 + secs).unwrap();
    e
}

/// Run events through every rule like the scanner does and collect the hits.
fn run(rules: &[Arc<dyn Rule>], events: &[Event]) -> Vec<Hit> {
    let mut hits = Vec::new();
    for r in rules {
        let matches: Vec<EventMatch> = events
            .iter()
            .filter(|e| r.scope().admits(e))
            .filter_map(|e| r.check(e))
            .collect();
        if !matches.is_empty() || r.aggregates() {
            hits.extend(r.finish(matches));
        }
    }
    hits
}

fn correlation(body: &str) -> String {
    format!("{FAILED}---\n{SUCCESS}---\n{body}")
}

#[test]
fn event_count_by_group_in_a_window() {
    let text = correlation(
        "title: Brute force
id: 22222222-0000-0000-0000-000000000001
level: high
correlation:
    type: event_count
    rules:
        - failed_logon
    group-by:
        - IpAddress
    timespan: 5m
    condition:
        gte: 3
",
    );
    let (rules, verdicts) = load(&text);
    assert!(
        verdicts.iter().all(|v| v.status != RuleStatus::Rejected),
        "{verdicts:?}"
    );
    // The failed-logon rule reports only through the correlation (generate: false).
    let failed = verdicts.iter().find(|v| v.title == "Failed logon").unwrap();
    assert_eq!(failed.status, RuleStatus::Warning);
    let events = vec![
        logon(4625, 1, 0, "a", "10.0.0.1"),
        logon(4625, 2, 60, "b", "10.0.0.1"),
        logon(4625, 3, 120, "c", "10.0.0.1"),
        logon(4625, 4, 130, "c", "10.0.0.2"),
        logon(4625, 5, 3600, "d", "10.0.0.1"),
        logon(4625, 6, 3700, "d", "10.0.0.1"),
    ];
    let hits = run(&rules, &events);
    let brute: Vec<&Hit> = hits
        .iter()
        .filter(|h| h.rule.title == "Brute force")
        .collect();
    assert_eq!(brute.len(), 1, "{hits:?}");
    let agg = brute[0].aggregate.as_ref().unwrap();
    assert_eq!(agg.count, 3);
    assert_eq!(
        agg.by,
        vec![("IpAddress".to_string(), "10.0.0.1".to_string())]
    );
    let ids: Vec<u64> = agg.records.iter().map(|r| r.record_id).collect();
    assert_eq!(ids, vec![1, 2, 3]);
    assert_eq!(agg.first_time, Some(events[0].time));
    assert_eq!(agg.last_time, Some(events[2].time));
    assert_eq!(brute[0].rule.level, crate::rules::Level::High);
    assert!(hits.iter().all(|h| h.rule.title != "Failed logon"));
}

#[test]
fn value_count_counts_distinct_values() {
    let text = correlation(
        "title: Password spray
correlation:
    type: value_count
    rules:
        - 11111111-0000-0000-0000-000000000001
    group-by:
        - IpAddress
    timespan: 10m
    condition:
        field: TargetUserName
        gte: 3
    generate: true
",
    );
    let (rules, _) = load(&text);
    let events = vec![
        logon(4625, 1, 0, "a", "10.0.0.1"),
        logon(4625, 2, 10, "a", "10.0.0.1"),
        logon(4625, 3, 20, "b", "10.0.0.1"),
        logon(4625, 4, 30, "a", "10.0.0.9"),
        logon(4625, 5, 40, "c", "10.0.0.1"),
    ];
    let hits = run(&rules, &events);
    let spray: Vec<&Hit> = hits
        .iter()
        .filter(|h| h.rule.title == "Password spray")
        .collect();
    assert_eq!(spray.len(), 1);
    assert_eq!(spray[0].aggregate.as_ref().unwrap().count, 4);
    // generate: true keeps the referenced rule's own hits; the level defaults to the highest.
    assert_eq!(
        hits.iter()
            .filter(|h| h.rule.title == "Failed logon")
            .count(),
        5
    );
    assert_eq!(spray[0].rule.level, crate::rules::Level::Low);
}

#[test]
fn temporal_ordered_and_chained_correlations() {
    let text = correlation(
        "title: Many failures
name: many_failures
correlation:
    type: event_count
    rules:
        - failed_logon
    group-by:
        - TargetUserName
    timespan: 10m
    condition:
        gte: 2
---
title: Failures then success
level: critical
correlation:
    type: temporal_ordered
    rules:
        - many_failures
        - successful_logon
    group-by:
        - TargetUserName
    timespan: 1h
",
    );
    let (rules, verdicts) = load(&text);
    assert!(
        verdicts.iter().all(|v| v.status != RuleStatus::Rejected),
        "{verdicts:?}"
    );
    let ordered = vec![
        logon(4625, 1, 0, "bob", "x"),
        logon(4625, 2, 30, "bob", "x"),
        logon(4624, 3, 90, "bob", "x"),
        logon(4624, 4, 10, "eve", "x"),
        logon(4625, 5, 20, "eve", "x"),
        logon(4625, 6, 40, "eve", "x"),
    ];
    let hits = run(&rules, &ordered);
    let fired: Vec<&Hit> = hits
        .iter()
        .filter(|h| h.rule.title == "Failures then success")
        .collect();
    assert_eq!(fired.len(), 1, "{hits:?}");
    let agg = fired[0].aggregate.as_ref().unwrap();
    assert_eq!(agg.by[0].1, "bob");
    assert_eq!(agg.records.len(), 3);
    assert!(hits.iter().all(|h| h.rule.title != "Many failures"));
}

#[test]
fn temporal_needs_every_rule_in_the_window() {
    let text = correlation(
        "title: Both
correlation:
    type: temporal
    rules:
        - failed_logon
        - successful_logon
    group-by:
        - TargetUserName
    timespan: 1m
",
    );
    let (rules, _) = load(&text);
    let hits = run(
        &rules,
        &[
            logon(4624, 1, 0, "a", "x"),
            logon(4625, 2, 30, "a", "x"),
            logon(4624, 3, 0, "b", "x"),
            logon(4625, 4, 300, "b", "x"),
        ],
    );
    let both: Vec<&Hit> = hits.iter().filter(|h| h.rule.title == "Both").collect();
    assert_eq!(both.len(), 1);
    assert_eq!(both[0].aggregate.as_ref().unwrap().by[0].1, "a");
}

#[test]
fn correlation_errors_are_reported() {
    let (_, verdicts) = load(&correlation(
        "title: Broken
correlation:
    type: event_count
    rules:
        - no_such_rule
    timespan: 5m
    condition:
        gte: 3
",
    ));
    let v = verdicts.iter().find(|v| v.title == "Broken").unwrap();
    assert_eq!(v.status, RuleStatus::Rejected);
    assert!(v.reason.contains("no_such_rule"));
    // The rule a broken correlation names keeps reporting on its own.
    let failed = verdicts.iter().find(|v| v.title == "Failed logon").unwrap();
    assert_eq!(failed.status, RuleStatus::Loaded);
    let (_, verdicts) = load(&correlation(
        "title: Odd
correlation:
    type: value_percentile
    rules: [failed_logon]
    timespan: 5m
",
    ));
    let v = verdicts.iter().find(|v| v.title == "Odd").unwrap();
    assert!(v.reason.contains("value_percentile"));
}

#[test]
fn filters_add_and_not_to_the_named_rules() {
    let text = format!(
        "{FAILED}---
title: Ignore the scanner
logsource:
    product: windows
    service: security
filter:
    rules:
        - failed_logon
    selection:
        IpAddress|startswith: '10.9.'
    condition: selection
"
    );
    let (rules, verdicts) = load(&text);
    assert_eq!(rules.len(), 1);
    assert!(
        verdicts.iter().all(|v| v.status == RuleStatus::Loaded),
        "{verdicts:?}"
    );
    assert!(fires(&rules[0], &logon(4625, 1, 0, "a", "10.0.0.1")));
    assert!(!fires(&rules[0], &logon(4625, 1, 0, "a", "10.9.0.1")));
    let (_, verdicts) = load(&format!(
        "{FAILED}---
title: Wrong source
logsource:
    product: windows
    category: process_creation
filter:
    rules: [failed_logon, nothing_like_it]
    selection:
        IpAddress: x
    condition: selection
"
    ));
    let v = verdicts.iter().find(|v| v.title == "Wrong source").unwrap();
    assert_eq!(v.status, RuleStatus::Warning);
    assert!(v.reason.contains("nothing_like_it") && v.reason.contains("another logsource"));
}
