//! A detection's matches can reach `finish` through its sink, one at a time as they stream
//! out of the store: a join against a subsearch drops the matches that cannot join
//! (src/rules/spl/semijoin.rs) and a leading grouping folds them into groups as they come
//! (src/rules/spl/grouped.rs). Either way the hits are those of `finish` given every match.

#[path = "spl_helpers.rs"]
mod helpers;

use evtxscan::event::Event;
use evtxscan::hit::Hit;
use evtxscan::rules::{EventMatch, Rule};
use helpers::*;
use std::sync::Arc;

fn process(record: u64, time: &str, guid: &str, image: &str) -> Event {
    event(
        SYSMON,
        1,
        record,
        time,
        &[
            ("ProcessGuid", guid),
            ("ProcessId", "100"),
            ("Image", image),
            ("CommandLine", image),
            ("User", "CORP\\bob"),
            ("ParentImage", "C:\\Windows\\explorer.exe"),
        ],
    )
}

fn matches_of(rule: &Arc<dyn Rule>, events: &[Event]) -> Vec<EventMatch> {
    events
        .iter()
        .filter(|e| rule.scope().admits(e))
        .filter_map(|e| rule.check(e))
        .collect()
}

/// Push the matches through the rule's sink in the store's order (rank, then record) or in
/// the order given.
fn through_sink(rule: &Arc<dyn Rule>, mut matches: Vec<EventMatch>, store_order: bool) -> Vec<Hit> {
    if store_order {
        matches.sort_by_key(|m| (m.rank, m.event.record_id));
    }
    let mut sink = rule.sink().expect("the rule streams its matches");
    for m in matches {
        sink.push(m);
    }
    let mut hits = Vec::new();
    sink.finish(&mut |h| hits.push(h));
    hits
}

/// Hits as comparable text: rule fields and the records each lists.
fn summary(hits: &[Hit]) -> Vec<String> {
    let mut out: Vec<String> = hits
        .iter()
        .map(|h| {
            let recs: Vec<u64> = h
                .aggregate
                .iter()
                .flat_map(|a| a.records.iter().map(|r| r.record_id))
                .collect();
            format!("{:?} {:?}", h.fields, recs)
        })
        .collect();
    out.sort();
    out
}

const JOIN: &str = "| tstats count min(_time) as firstTime from datamodel=Endpoint.Processes \
    by Processes.process_guid Processes.process_name \
    | rename Processes.* as * \
    | join process_guid [ | tstats count from datamodel=Endpoint.Registry \
      where Registry.registry_path=\"*mscfile\\\\shell\\\\open\\\\command*\" \
      by Registry.process_guid Registry.registry_value_data | rename Registry.* as * ] \
    | where isnotnull(registry_value_data)";

#[test]
fn a_join_keeps_only_the_matches_that_find_a_partner() {
    let rule = rule_of(JOIN, &[]);
    let g = |n: u32| format!("{{AAAAAAAA-0000-0000-0000-{n:012}}}");
    let events = vec![
        process(
            1,
            "2024-03-01T10:00:00Z",
            &g(1),
            "C:\\Windows\\System32\\eventvwr.exe",
        ),
        process(
            2,
            "2024-03-01T10:00:01Z",
            &g(2),
            "C:\\Windows\\System32\\notepad.exe",
        ),
        process(
            3,
            "2024-03-01T10:00:02Z",
            &g(3),
            "C:\\Windows\\System32\\calc.exe",
        ),
        reg13(
            4,
            "2024-03-01T10:00:03Z",
            &g(1),
            "HKU\\S-1-5-21\\Software\\Classes\\mscfile\\shell\\open\\command\\(Default)",
            "C:\\evil.exe",
        ),
    ];
    let matches = matches_of(&rule, &events);
    // Every process event passes the main search; the registry event is the subsearch's.
    let ranks: Vec<(u64, u8)> = matches
        .iter()
        .map(|m| (m.event.record_id, m.rank))
        .collect();
    assert_eq!(ranks, vec![(1, 1), (2, 1), (3, 1), (4, 0)]);
    let expected = rule.finish(matches.clone());
    assert_eq!(expected.len(), 1, "only eventvwr's group joins");
    assert_eq!(field(&expected[0], "process_name"), Some("eventvwr.exe"));
    assert_eq!(
        field(&expected[0], "registry_value_data"),
        Some("C:\\evil.exe")
    );
    assert_eq!(records(&expected), vec![1, 4]);
    let streamed = through_sink(&rule, matches, true);
    assert_eq!(summary(&streamed), summary(&expected));
}

#[test]
fn a_join_without_partners_gives_nothing_through_the_sink() {
    let rule = rule_of(JOIN, &[]);
    let events = vec![
        process(1, "2024-03-01T10:00:00Z", "{A-1}", "C:\\x\\a.exe"),
        process(2, "2024-03-01T10:00:01Z", "{A-2}", "C:\\x\\b.exe"),
    ];
    let matches = matches_of(&rule, &events);
    assert_eq!(matches.len(), 2);
    // Once the first main match shows there is no partner, the rest may be skipped unread.
    let mut sink = rule.sink().expect("the rule streams its matches");
    assert!(sink.wants_more(), "nothing is known before the first match");
    sink.push(matches[0].clone());
    assert!(
        !sink.wants_more(),
        "no subsearch match came first: nothing can join"
    );
    assert!(through_sink(&rule, matches, true).is_empty());
}

#[test]
fn a_join_with_partners_wants_every_match() {
    let rule = rule_of(JOIN, &[]);
    let events = vec![
        reg13(
            1,
            "2024-03-01T10:00:00Z",
            "{A-1}",
            "HKU\\S-1-5-21\\Software\\Classes\\mscfile\\shell\\open\\command\\(Default)",
            "C:\\evil.exe",
        ),
        process(2, "2024-03-01T10:00:01Z", "{A-2}", "C:\\x\\b.exe"),
    ];
    let mut matches = matches_of(&rule, &events);
    matches.sort_by_key(|m| (m.rank, m.event.record_id));
    let mut sink = rule.sink().expect("the rule streams its matches");
    for m in matches {
        sink.push(m);
        assert!(sink.wants_more());
    }
}

#[test]
fn a_leading_grouping_folds_matches_in_any_order() {
    let rule = rule_of(
        "| tstats count values(Processes.process) as cmds min(_time) as firstTime \
         from datamodel=Endpoint.Processes by Processes.process_name \
         | rename Processes.* as * | where count > 1",
        &[],
    );
    let events: Vec<Event> = (1..=6)
        .map(|i| {
            let image = if i % 3 == 0 {
                "C:\\x\\once.exe"
            } else {
                "C:\\x\\many.exe"
            };
            let image = if i == 6 { "C:\\x\\twice.exe" } else { image };
            let image = if i == 5 { "C:\\x\\twice.exe" } else { image };
            process(i, &format!("2024-03-01T10:00:0{i}Z"), "{G}", image)
        })
        .collect();
    let matches = matches_of(&rule, &events);
    let expected = rule.finish(matches.clone());
    assert_eq!(expected.len(), 2, "many.exe (1, 2, 4) and twice.exe (5, 6)");
    assert_eq!(records(&expected), vec![1, 2, 4, 5, 6]);
    let mut reversed = matches.clone();
    reversed.reverse();
    assert_eq!(
        summary(&through_sink(&rule, matches, false)),
        summary(&expected)
    );
    assert_eq!(
        summary(&through_sink(&rule, reversed, false)),
        summary(&expected)
    );
}

#[test]
fn order_dependent_aggregates_keep_splunk_order() {
    // first() depends on the order of the rows: the sink keeps the matches and runs them
    // newest first, whatever order they came in.
    let rule = rule_of(
        "| tstats first(Processes.process) as p from datamodel=Endpoint.Processes \
         by Processes.process_name | rename Processes.* as *",
        &[],
    );
    let events: Vec<Event> = (1..=3)
        .map(|i| {
            proc1(
                i,
                &format!("2024-03-01T10:00:0{i}Z"),
                "C:\\x\\same.exe",
                &format!("same.exe /{i}"),
                "C:\\Windows\\explorer.exe",
            )
        })
        .collect();
    for order in [false, true] {
        let mut matches = matches_of(&rule, &events);
        if order {
            matches.reverse();
        }
        let hits = through_sink(&rule, matches, false);
        assert_eq!(hits.len(), 1);
        assert_eq!(
            field(&hits[0], "p"),
            Some("same.exe /3"),
            "the newest event's"
        );
        assert_eq!(records(&hits), vec![1, 2, 3]);
    }
}
