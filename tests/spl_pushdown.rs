//! Filters after `tstats`/`stats` that read only group-by values run per event in `check`
//! (src/rules/spl/pushdown.rs): events they drop are never kept, and the hits are the same as
//! when the filters run over the groups in `finish`.

#[path = "spl_helpers.rs"]
mod helpers;

use evtxscan::rules::Rule;
use helpers::*;
use std::sync::Arc;

const WIN: &str = "C:\\Windows\\System32\\cmd.exe";

/// Which events `check` keeps, by record id.
fn kept(rule: &Arc<dyn Rule>, events: &[evtxscan::event::Event]) -> Vec<u64> {
    events
        .iter()
        .filter(|e| rule.scope().admits(e))
        .filter_map(|e| rule.check(e))
        .map(|m| m.event.record_id)
        .collect()
}

#[test]
fn regex_on_a_group_by_value_drops_events_in_check() {
    let rule = rule_of(
        "| tstats count min(_time) as firstTime from datamodel=Endpoint.Processes \
         by Processes.dest Processes.process_name Processes.process \
         | rename Processes.* as * | convert ctime(firstTime) \
         | regex process=\"\\x{202E}\"",
        &[],
    );
    let events = [
        proc1(
            1,
            "2024-03-01T10:00:00Z",
            "C:\\x\\a.exe",
            "a.exe plain",
            WIN,
        ),
        proc1(
            2,
            "2024-03-01T10:00:01Z",
            "C:\\x\\b.exe",
            "b.exe \u{202E}fdp.exe",
            WIN,
        ),
        proc1(
            3,
            "2024-03-01T10:00:02Z",
            "C:\\x\\c.exe",
            "c.exe other",
            WIN,
        ),
    ];
    assert_eq!(kept(&rule, &events), vec![2], "only the RTLO event is kept");
    let hits = run(&rule, &events);
    assert_eq!(hits.len(), 1);
    assert_eq!(field(&hits[0], "process"), Some("b.exe \u{202E}fdp.exe"));
    assert_eq!(records(&hits), vec![2]);
}

#[test]
fn a_filter_on_an_aggregate_is_left_to_finish() {
    // `where count > 1` reads an aggregate, and `n` is computed from one: neither may drop
    // an event before its group is complete.
    let rule = rule_of(
        "| tstats count from datamodel=Endpoint.Processes by Processes.process_name \
         | rename Processes.process_name as name | eval n = count * 1 | where n > 1 \
         | where name != \"skip.exe\"",
        &[],
    );
    let events = [
        proc1(1, "2024-03-01T10:00:00Z", "C:\\x\\twice.exe", "twice", WIN),
        proc1(2, "2024-03-01T10:00:01Z", "C:\\x\\twice.exe", "twice", WIN),
        proc1(3, "2024-03-01T10:00:02Z", "C:\\x\\once.exe", "once", WIN),
        proc1(4, "2024-03-01T10:00:03Z", "C:\\x\\skip.exe", "skip", WIN),
        proc1(5, "2024-03-01T10:00:04Z", "C:\\x\\skip.exe", "skip", WIN),
    ];
    // The name filter is pushed (skip.exe is dropped), the count filter is not (once.exe stays
    // until finish).
    assert_eq!(kept(&rule, &events), vec![1, 2, 3]);
    let hits = run(&rule, &events);
    assert_eq!(hits.len(), 1);
    assert_eq!(field(&hits[0], "name"), Some("twice.exe"));
    assert_eq!(records(&hits), vec![1, 2]);
}

#[test]
fn eval_and_where_on_group_by_values_are_pushed() {
    // The shape of "Single Letter Process On Endpoint".
    let rule = rule_of(
        "| tstats count min(_time) as firstTime from datamodel=Endpoint.Processes \
         by Processes.dest Processes.process_name | rename Processes.* as * \
         | eval len = len(process_name), exe = if(substr(process_name, -4) == \".exe\", \"y\", \"n\") \
         | search len=5 AND exe=\"y\"",
        &[],
    );
    let events = [
        proc1(1, "2024-03-01T10:00:00Z", "C:\\x\\a.exe", "a", WIN),
        proc1(2, "2024-03-01T10:00:01Z", "C:\\x\\ab.exe", "ab", WIN),
        proc1(3, "2024-03-01T10:00:02Z", "C:\\x\\a.exe", "a again", WIN),
    ];
    assert_eq!(kept(&rule, &events), vec![1, 3]);
    let hits = run(&rule, &events);
    assert_eq!(hits.len(), 1);
    assert_eq!(field(&hits[0], "process_name"), Some("a.exe"));
    assert_eq!(records(&hits), vec![1, 3]);
}

#[test]
fn lookup_then_search_is_pushed() {
    // The shape of "Attacker Tools On Endpoint": a lookup on a group-by value, then a search
    // on its output.
    let rule = rule_of(
        "| tstats count from datamodel=Endpoint.Processes by Processes.process_name \
         | rename Processes.process_name as process_name \
         | lookup tools tool_name AS process_name OUTPUT danger \
         | search danger=*",
        &[("tools.csv", "tool_name,danger\nmimikatz.exe,high\n")],
    );
    let events = [
        proc1(1, "2024-03-01T10:00:00Z", "C:\\x\\mimikatz.exe", "m", WIN),
        proc1(2, "2024-03-01T10:00:01Z", "C:\\x\\notepad.exe", "n", WIN),
    ];
    assert_eq!(kept(&rule, &events), vec![1]);
    let hits = run(&rule, &events);
    assert_eq!(hits.len(), 1);
    assert_eq!(field(&hits[0], "danger"), Some("high"));
}

#[test]
fn without_a_pushable_filter_every_event_is_kept() {
    let rule = rule_of(
        "| tstats count from datamodel=Endpoint.Processes by Processes.process_name \
         | where count > 100",
        &[],
    );
    let events = [
        proc1(1, "2024-03-01T10:00:00Z", "C:\\x\\a.exe", "a", WIN),
        proc1(2, "2024-03-01T10:00:01Z", "C:\\x\\b.exe", "b", WIN),
    ];
    assert_eq!(kept(&rule, &events), vec![1, 2]);
    assert!(run(&rule, &events).is_empty());
}

#[test]
fn remembered_decisions_are_keyed_by_every_value_the_filter_reads() {
    // The pushed filter reads process_name (through an eval, after a wildcard rename): two
    // events with the same command line but different names must be decided apart, however
    // the first decision was remembered.
    let rule = rule_of(
        "| tstats count from datamodel=Endpoint.Processes \
         by Processes.process_name Processes.process \
         | rename Processes.* as * | eval n = len(process_name) | where n = 5",
        &[],
    );
    let events = [
        proc1(1, "2024-03-01T10:00:00Z", "C:\\x\\a.exe", "same", WIN),
        proc1(2, "2024-03-01T10:00:01Z", "C:\\x\\bb.exe", "same", WIN),
        proc1(3, "2024-03-01T10:00:02Z", "C:\\y\\a.exe", "other", WIN),
        proc1(4, "2024-03-01T10:00:03Z", "C:\\x\\bb.exe", "same", WIN),
    ];
    assert_eq!(kept(&rule, &events), vec![1, 3]);
    // Asked again, the remembered decisions give the same answers.
    assert_eq!(kept(&rule, &events), vec![1, 3]);
}
