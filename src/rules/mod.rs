//! Detection rules of every language behind one interface.
//!
//! A rule language is a submodule that turns rule files into [`Rule`]s: `sigma` (SigmaHQ YAML)
//! and `spl` (Splunk security_content detections). The loader ([`load`]) looks at each file's
//! content to decide which language reads it, so `--rules` takes any mix of files and folders.
//! The scanner only sees [`Rule`]: which events a rule wants ([`Scope`]), a per-event check
//! ([`Rule::check`]) and a final step ([`Rule::finish`]) that turns the matched events into
//! [`Hit`]s (one per event for Sigma; grouped rows for `stats` or correlations).

pub mod attack;
pub mod bundled;
pub mod limits;
pub mod loader;
pub mod sigma;
pub mod spl;

pub use loader::{load, LoadOptions, LoadReport, RuleStatus, RuleVerdict};

use crate::event::Event;
use crate::hit::Hit;
use serde::Serialize;
use std::path::PathBuf;

/// The rule language a rule was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum EngineKind {
    /// A Sigma rule.
    Sigma,
    /// A Splunk security_content detection (SPL).
    Splunk,
}

impl EngineKind {
    /// The lower-case name used in outputs.
    pub fn as_str(&self) -> &'static str {
        match self {
            EngineKind::Sigma => "sigma",
            EngineKind::Splunk => "splunk",
        }
    }
}

/// Severity, ordered from least to most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Informational.
    #[default]
    Informational,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

impl Level {
    /// Parse a level name (Sigma names; `info` is accepted).
    pub fn parse(s: &str) -> Option<Level> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "informational" | "info" => Level::Informational,
            "low" => Level::Low,
            "medium" => Level::Medium,
            "high" => Level::High,
            "critical" => Level::Critical,
            _ => return None,
        })
    }

    /// The lower-case name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Level::Informational => "informational",
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
            Level::Critical => "critical",
        }
    }
}

/// What a report says about a rule: identity, severity and ATT&CK tags.
#[derive(Debug, Clone, Serialize, Default)]
pub struct RuleInfo {
    /// The rule's id (Sigma `id`, Splunk `id`); the title when the rule has none.
    pub id: String,
    /// Title (Sigma `title`, Splunk `name`).
    pub title: String,
    /// Severity.
    pub level: Level,
    /// Status (`stable`, `test`, `experimental`, `production`, ...), lower case; empty if unset.
    pub status: String,
    /// The language the rule was written in.
    pub engine: Option<EngineKind>,
    /// ATT&CK technique ids, upper case (`T1059.001`).
    pub techniques: Vec<String>,
    /// ATT&CK tactic names, lower case with dashes (`command-and-control`).
    pub tactics: Vec<String>,
    /// All tags as written.
    pub tags: Vec<String>,
    /// Description.
    pub description: String,
    /// Author.
    pub author: String,
    /// Known false positives.
    pub falsepositives: Vec<String>,
    /// The file the rule came from (`bundled:NAME` for embedded rules).
    pub path: PathBuf,
}

/// Which events a rule can match. Dispatch offers a rule only the events of its scope.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scope {
    /// Alternatives (OR). An empty list means every event.
    pub any_of: Vec<SourceFilter>,
}

impl Scope {
    /// A scope that lets every event through.
    pub fn everything() -> Scope {
        Scope { any_of: Vec::new() }
    }

    /// Whether an event is in scope.
    pub fn admits(&self, event: &Event) -> bool {
        self.any_of.is_empty() || self.any_of.iter().any(|f| f.admits(event))
    }

    /// Whether every event of this channel and event id is in scope (`Some`), or none is;
    /// `None` when the answer also depends on the provider.
    pub fn admits_source(&self, channel: &str, event_id: u32) -> Option<bool> {
        if self.any_of.iter().any(|f| !f.providers.is_empty()) {
            return None;
        }
        Some(
            self.any_of.is_empty()
                || self
                    .any_of
                    .iter()
                    .any(|f| f.admits_source(channel, event_id)),
        )
    }
}

/// One log-source alternative: channel and/or provider and/or event ids. Unset parts match all.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SourceFilter {
    /// Channels (case-insensitive); empty means any.
    pub channels: Vec<String>,
    /// Providers (case-insensitive); empty means any.
    pub providers: Vec<String>,
    /// Event ids; empty means any.
    pub event_ids: Vec<u32>,
}

impl SourceFilter {
    /// Whether an event matches this alternative.
    pub fn admits(&self, event: &Event) -> bool {
        self.admits_source(&event.channel, event.event_id)
            && (self.providers.is_empty()
                || self
                    .providers
                    .iter()
                    .any(|p| p.eq_ignore_ascii_case(&event.provider)))
    }

    /// Whether the channel and event id parts admit an event (the providers aside).
    fn admits_source(&self, channel: &str, event_id: u32) -> bool {
        (self.channels.is_empty()
            || self
                .channels
                .iter()
                .any(|c| c.eq_ignore_ascii_case(channel)))
            && (self.event_ids.is_empty() || self.event_ids.contains(&event_id))
    }
}

/// A literal a rule needs: the rule can only match an event where `field` (or any field when
/// `None`) contains `needle`, compared case-insensitively. Used by dispatch to skip rules.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Needle {
    /// The field that must contain the needle; `None` for any value of the event.
    pub field: Option<String>,
    /// The literal, lower case.
    pub needle: String,
}

/// What one event contributed to a rule: the event's identity and the fields the rule kept.
#[derive(Debug, Clone)]
pub struct EventMatch {
    /// Provenance and System values of the matched event.
    pub event: crate::hit::EventRef,
    /// Key fields of the event for the report (see [`Event::key_fields`]).
    pub fields: Vec<(String, String)>,
    /// Values a stateful rule needs in `finish` (group-by values, `stats` inputs), by name;
    /// empty for stateless rules. Names are shared: a rule gives every match the same ones.
    pub state: Vec<(std::sync::Arc<str>, String)>,
    /// Where the match comes in the stream a rule's sink reads: a rule's matches arrive by
    /// rank, then by record (see [`Rule::sink`]); 0 unless the rule says otherwise.
    pub rank: u8,
}

/// Takes a rule's matches one at a time as they stream out of the store and turns them into
/// hits at the end (see [`Rule::sink`]).
pub trait MatchSink: Send {
    /// Take the next match: a rule's matches come by rank ([`EventMatch::rank`]), then record.
    fn push(&mut self, m: EventMatch);
    /// Whether a match still to come could change the hits; `false` lets the caller skip the
    /// rest of the rule's matches unread.
    fn wants_more(&self) -> bool {
        true
    }
    /// Hand the hits of everything pushed to `emit`, one at a time.
    fn finish(self: Box<Self>, emit: &mut dyn FnMut(Hit));
}

/// The sink of a rule without one of its own: every match is kept for `finish`.
pub struct CollectSink<'r> {
    rule: &'r dyn Rule,
    matches: Vec<EventMatch>,
}

impl<'r> CollectSink<'r> {
    /// An empty sink for `rule`.
    pub fn new(rule: &'r dyn Rule) -> CollectSink<'r> {
        CollectSink {
            rule,
            matches: Vec::new(),
        }
    }
}

impl MatchSink for CollectSink<'_> {
    fn push(&mut self, m: EventMatch) {
        self.matches.push(m);
    }

    fn finish(self: Box<Self>, emit: &mut dyn FnMut(Hit)) {
        self.rule.finish(self.matches).into_iter().for_each(emit);
    }
}

impl EventMatch {
    /// A match carrying the event's key fields and no extra state.
    pub fn of(event: &Event) -> EventMatch {
        EventMatch {
            event: crate::hit::EventRef::of(event),
            fields: event.key_fields(),
            state: Vec::new(),
            rank: 0,
        }
    }
}

/// A compiled rule of any language.
pub trait Rule: Send + Sync {
    /// The rule's identity and metadata.
    fn info(&self) -> &std::sync::Arc<RuleInfo>;
    /// The events the rule can match.
    fn scope(&self) -> &Scope;
    /// Literals of which at least one must occur for the rule to match (`None`: no such set).
    fn needles(&self) -> Option<Vec<Needle>> {
        None
    }
    /// Check one event; `Some` when it passes the rule's per-event part.
    fn check(&self, event: &Event) -> Option<EventMatch>;
    /// The scan is over (no more `check`): free what only `check` used, such as memos, before
    /// `finish` needs memory.
    fn end_scan(&self) {}
    /// Whether `finish` aggregates (so matches must be kept until the end of the scan).
    fn aggregates(&self) -> bool {
        false
    }
    /// Where the rule's matches go as they stream out of the store (by rank, then record),
    /// for a rule that can drop or fold them on the way instead of holding them all; `None`:
    /// they are collected and given to `finish`.
    fn sink(&self) -> Option<Box<dyn MatchSink + '_>> {
        None
    }
    /// Whether `finish` is the default one, one hit per match: the matches then become hits
    /// as they stream out of the store instead of being held until the rule's last one.
    fn hit_per_match(&self) -> bool {
        false
    }
    /// Turn the rule's matches (in any order) into hits.
    fn finish(&self, matches: Vec<EventMatch>) -> Vec<Hit> {
        matches
            .into_iter()
            .map(|m| Hit::from_match(self.info(), m))
            .collect()
    }
}

#[cfg(test)]
mod scope_tests {
    use super::{Scope, SourceFilter};

    fn filter(channels: &[&str], providers: &[&str], ids: &[u32]) -> SourceFilter {
        SourceFilter {
            channels: channels.iter().map(|s| s.to_string()).collect(),
            providers: providers.iter().map(|s| s.to_string()).collect(),
            event_ids: ids.to_vec(),
        }
    }

    #[test]
    fn channel_and_id_decide_a_scope_without_providers() {
        let sysmon = "Microsoft-Windows-Sysmon/Operational";
        let scope = Scope {
            any_of: vec![
                filter(&[sysmon], &[], &[1]),
                filter(&["Security"], &[], &[4688]),
            ],
        };
        assert_eq!(
            scope.admits_source("microsoft-windows-sysmon/operational", 1),
            Some(true)
        );
        assert_eq!(scope.admits_source(sysmon, 3), Some(false));
        assert_eq!(scope.admits_source("SECURITY", 4688), Some(true));
        assert_eq!(scope.admits_source("System", 1), Some(false));
        assert_eq!(Scope::everything().admits_source("Anything", 7), Some(true));
        let with_provider = Scope {
            any_of: vec![filter(&["System"], &["Service Control Manager"], &[7045])],
        };
        assert_eq!(with_provider.admits_source("System", 7045), None);
    }
}
