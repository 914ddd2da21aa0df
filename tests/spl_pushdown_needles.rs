//! Literals taken from filters after a grouping (src/rules/spl/pushdown_needles.rs) let the
//! pre-filter skip a detection on events that cannot pass them; they must never be taken
//! where an event without them could still pass.

#[path = "spl_helpers.rs"]
mod helpers;

use evtxscan::rules::Rule;
use helpers::*;
use std::sync::Arc;

const WIN: &str = "C:\\Windows\\System32\\cmd.exe";

fn needles(rule: &Arc<dyn Rule>) -> Option<Vec<String>> {
    rule.needles()
        .map(|v| v.into_iter().map(|n| n.needle).collect())
}

const HANDLERS_DEF: &str = "name: handlers\nfilename: handlers.csv\n\
    match_type: WILDCARD(handler)\ncase_sensitive_match: 'false'\n\
    default_match: 'false'\nmin_matches: 1\n";
const HANDLERS_CSV: &str = "handler,ishandler\n\"*ms-msdt:*\",TRUE\n\"*search-ms:*\",TRUE\n";

#[test]
fn a_regex_literal_on_a_by_value_is_a_needle() {
    let rule = rule_of(
        "| tstats count from datamodel=Endpoint.Processes \
         by Processes.dest Processes.process \
         | rename Processes.* as * | regex process=\"\\x{202E}\"",
        &[],
    );
    assert_eq!(needles(&rule), Some(vec!["\u{202e}".to_string()]));
}

#[test]
fn a_lookup_the_filter_needs_gives_its_key_literals() {
    let search = "| tstats count from datamodel=Endpoint.Processes \
         by Processes.dest Processes.process \
         | rename Processes.* as * \
         | lookup handlers handler AS process OUTPUT handler ishandler \
         | where ishandler=\"TRUE\"";
    let rule = rule_of(
        search,
        &[
            ("handlers.yml", HANDLERS_DEF),
            ("handlers.csv", HANDLERS_CSV),
        ],
    );
    assert_eq!(
        needles(&rule),
        Some(vec!["ms-msdt:".to_string(), "search-ms:".to_string()])
    );
    // Skipping is only a shortcut: the handler event still fires, the other does not.
    let events = [
        proc1(
            1,
            "2024-03-01T10:00:00Z",
            "C:\\x\\a.exe",
            "a.exe MS-MSDT:/id x",
            WIN,
        ),
        proc1(
            2,
            "2024-03-01T10:00:01Z",
            "C:\\x\\b.exe",
            "b.exe plain",
            WIN,
        ),
    ];
    assert_eq!(records(&run(&rule, &events)), vec![1]);
}

#[test]
fn no_needle_when_a_lookup_miss_can_pass() {
    // A default that satisfies the filter: events matching no row still pass.
    let def = HANDLERS_DEF.replace("default_match: 'false'", "default_match: 'TRUE'");
    let rule = rule_of(
        "| tstats count from datamodel=Endpoint.Processes by Processes.process \
         | rename Processes.* as * \
         | lookup handlers handler AS process OUTPUT ishandler | where ishandler=\"TRUE\"",
        &[("handlers.yml", &def), ("handlers.csv", HANDLERS_CSV)],
    );
    assert_eq!(needles(&rule), None);
}

#[test]
fn no_needle_from_a_field_a_command_rewrote() {
    let rule = rule_of(
        "| tstats count from datamodel=Endpoint.Processes by Processes.process \
         | rename Processes.* as * | eval process=lower(process) \
         | search process=\"*mimikatz*\"",
        &[],
    );
    assert_eq!(needles(&rule), None);
}

#[test]
fn no_needle_the_fill_value_holds() {
    // `fillnull_value=null`: an event without a parent command line is in the group whose
    // parent_process is "null", which this filter keeps.
    let rule = rule_of(
        "| tstats summariesonly=false fillnull_value=null count \
         from datamodel=Endpoint.Processes by Processes.parent_process \
         | rename Processes.* as * | search parent_process=\"*null*\"",
        &[],
    );
    assert_eq!(needles(&rule), None);
    let with_other = rule_of(
        "| tstats summariesonly=false fillnull_value=null count \
         from datamodel=Endpoint.Processes by Processes.parent_process \
         | rename Processes.* as * | search parent_process=\"*rundll32*\"",
        &[],
    );
    assert_eq!(needles(&with_other), Some(vec!["rundll32".to_string()]));
}
