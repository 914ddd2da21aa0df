//! Building events and rules by hand for the tests.

use crate::event::{Event, Field, Source};
use crate::rules::loader::{LoadOptions, RuleFile, RuleStatus, RuleVerdict};
use crate::rules::Rule;
use std::path::PathBuf;
use std::sync::Arc;

pub const SYSMON: &str = "Microsoft-Windows-Sysmon/Operational";

/// An event with the given System values and EventData.
pub fn event(channel: &str, provider: &str, event_id: u32, data: &[(&str, &str)]) -> Event {
    let t = "2024-05-01T10:00:00Z".parse().expect("valid time");
    Event {
        source: Arc::new(Source {
            path: PathBuf::from("test.evtx"),
        }),
        record_id: 1,
        time: t,
        header_time: t,
        provider: provider.into(),
        channel: channel.into(),
        event_id,
        computer: "WS01.corp.local".into(),
        user_id: "".into(),
        level: 4,
        recovered: false,
        data: data
            .iter()
            .map(|(n, v)| Field {
                name: (*n).into(),
                value: (*v).into(),
            })
            .collect(),
        system: Vec::new(),
    }
}

/// A Sysmon EID 1 event.
pub fn sysmon1(data: &[(&str, &str)]) -> Event {
    event(SYSMON, "Microsoft-Windows-Sysmon", 1, data)
}

/// A Sysmon event of another id.
pub fn sysmon(id: u32, data: &[(&str, &str)]) -> Event {
    event(SYSMON, "Microsoft-Windows-Sysmon", id, data)
}

/// A Security 4688 event.
pub fn security4688(data: &[(&str, &str)]) -> Event {
    event(
        "Security",
        "Microsoft-Windows-Security-Auditing",
        4688,
        data,
    )
}

/// Compile one YAML file (possibly several documents).
pub fn load_with(yaml: &str, options: &LoadOptions) -> (Vec<Arc<dyn Rule>>, Vec<RuleVerdict>) {
    super::super::compile_files(
        vec![RuleFile {
            path: PathBuf::from("test.yml"),
            text: yaml.to_string(),
        }],
        options,
    )
}

/// Compile one YAML file with default options.
pub fn load(yaml: &str) -> (Vec<Arc<dyn Rule>>, Vec<RuleVerdict>) {
    load_with(yaml, &LoadOptions::default())
}

/// Compile a single rule that must load.
pub fn rule(yaml: &str) -> Arc<dyn Rule> {
    let (rules, verdicts) = load(yaml);
    assert_eq!(rules.len(), 1, "verdicts: {verdicts:?}");
    assert!(
        verdicts.iter().all(|v| v.status == RuleStatus::Loaded),
        "{verdicts:?}"
    );
    rules.into_iter().next().expect("one rule")
}

/// The rejection reason of a rule that must not load.
pub fn rejection(yaml: &str) -> String {
    let (rules, verdicts) = load(yaml);
    assert!(rules.is_empty(), "the rule loaded");
    let v = verdicts
        .iter()
        .find(|v| v.status == RuleStatus::Rejected)
        .expect("a rejection");
    v.reason.clone()
}

/// A process_creation rule with the given detection block (indented by 4).
pub fn proc_rule(detection: &str) -> Arc<dyn Rule> {
    rule(&with_detection("category: process_creation", detection))
}

/// A rule text with a logsource line (`category: x` or `service: y`) and detection block.
pub fn with_detection(logsource: &str, detection: &str) -> String {
    format!(
        "title: Test rule\nid: 00000000-0000-0000-0000-000000000001\nlevel: high\nlogsource:\n    product: windows\n    {logsource}\ndetection:\n{detection}"
    )
}

/// Whether the rule fires on the event (scope included).
pub fn fires(rule: &Arc<dyn Rule>, event: &Event) -> bool {
    rule.scope().admits(event) && rule.check(event).is_some()
}
