//! Stage 4: offer each event only to the rules that can match it.
//!
//! Rules declare their [`Scope`](crate::rules::Scope) (channel, provider, event ids). The index
//! maps `(channel, event id)` to the rules whose scope names both, `channel` alone to those that
//! name no event id, `event id` alone to those that name no channel, and keeps rules of
//! unbounded scope in a list every event visits. The lists that apply to a (channel, event id)
//! are merged once, the first time such an event arrives, into two bit sets over rules (those
//! gated by needles and the others), so each event costs a few word operations, not a walk
//! over the thousand rules that may watch process creation. A rule listed by the index still
//! checks its full scope (providers too) before it runs. [`Dispatcher::wants`] answers, from a record's channel and event id alone,
//! whether any rule can see it, so the reader can skip the rest.
//!
//! The pre-filter ([`prefilter`]) then drops the rules whose literals ([`Rule::needles`]) occur
//! nowhere in the event. With `indexed = false` every rule sees every event of its scope: the
//! reference the index and pre-filter are tested against.

pub mod prefilter;

use crate::event::Event;
use crate::rules::Rule;
use prefilter::{AutomatonSet, Prefilter};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// Rule indices (into [`Dispatcher::rules`]), sorted.
type RuleList = Vec<u32>;

/// The rules of one channel.
#[derive(Default)]
struct ChannelRules {
    /// Rules naming the channel and no event id.
    any_id: RuleList,
    /// Rules naming the channel and these event ids.
    by_id: HashMap<u32, RuleList>,
}

/// Which rules each kind of event can reach.
pub struct Dispatcher {
    rules: Vec<Arc<dyn Rule>>,
    /// Keyed by lower-case channel.
    by_channel: HashMap<Box<str>, ChannelRules>,
    /// Rules naming event ids and no channel.
    by_id: HashMap<u32, RuleList>,
    /// Rules of unbounded scope.
    everywhere: RuleList,
    prefilter: Option<Prefilter>,
    /// When false, every rule is offered every event (the reference path tests compare with).
    indexed: bool,
    /// Candidates per (lower-case channel, event id), filled as events arrive.
    candidates: RwLock<CandidateCache>,
}

impl Dispatcher {
    /// Index the rules (and build the pre-filter when `indexed`).
    pub fn new(rules: Vec<Arc<dyn Rule>>, indexed: bool) -> Dispatcher {
        let mut d = Dispatcher {
            rules,
            by_channel: HashMap::new(),
            by_id: HashMap::new(),
            everywhere: Vec::new(),
            prefilter: None,
            indexed,
            candidates: RwLock::new(HashMap::new()),
        };
        let rules = d.rules.clone();
        for (i, rule) in rules.iter().enumerate() {
            let i = i as u32;
            let scope = rule.scope();
            if scope.any_of.is_empty() {
                d.everywhere.push(i);
                continue;
            }
            for alt in &scope.any_of {
                match (alt.channels.is_empty(), alt.event_ids.is_empty()) {
                    (true, true) => d.everywhere.push(i),
                    (false, true) => {
                        for c in &alt.channels {
                            d.channel_mut(c).any_id.push(i);
                        }
                    }
                    (true, false) => {
                        for id in &alt.event_ids {
                            d.by_id.entry(*id).or_default().push(i);
                        }
                    }
                    (false, false) => {
                        for c in &alt.channels {
                            let ch = d.channel_mut(c);
                            for id in &alt.event_ids {
                                ch.by_id.entry(*id).or_default().push(i);
                            }
                        }
                    }
                }
            }
        }
        let lists = d
            .by_channel
            .values_mut()
            .flat_map(|c| std::iter::once(&mut c.any_id).chain(c.by_id.values_mut()))
            .chain(d.by_id.values_mut())
            .chain(std::iter::once(&mut d.everywhere));
        for v in lists {
            v.sort_unstable();
            v.dedup();
        }
        if indexed {
            d.prefilter = Prefilter::new(&d.rules);
        }
        d
    }

    fn channel_mut(&mut self, channel: &str) -> &mut ChannelRules {
        self.by_channel
            .entry(channel.to_ascii_lowercase().into())
            .or_default()
    }

    /// All rules, by index.
    pub fn rules(&self) -> &[Arc<dyn Rule>] {
        &self.rules
    }

    /// The rules of a channel, found without allocating for the usual short channel names.
    fn channel(&self, channel: &str) -> Option<&ChannelRules> {
        self.by_channel.get(LowerName::of(channel).as_str())
    }

    /// Whether any rule can see events of this channel and id (lets the reader skip the rest).
    pub fn wants(&self, channel: &str, event_id: u32) -> bool {
        if !self.indexed || !self.everywhere.is_empty() || self.by_id.contains_key(&event_id) {
            return true;
        }
        self.channel(channel)
            .is_some_and(|c| !c.any_id.is_empty() || c.by_id.contains_key(&event_id))
    }

    /// Call `f` with the index of every rule whose scope admits the event (and, when indexed,
    /// whose literals the event holds), in increasing order, each once.
    pub fn for_each_candidate(&self, event: &Event, mut f: impl FnMut(usize)) {
        if !self.indexed {
            for (i, r) in self.rules.iter().enumerate() {
                if r.scope().admits(event) {
                    f(i);
                }
            }
            return;
        }
        let Some(cands) = self.candidates(event) else {
            return;
        };
        let hits = match &self.prefilter {
            Some(p) if cands.any_gated => Some(p.scan(event, &cands.automata)),
            _ => None,
        };
        for (w, (&open, &gated)) in cands.ungated.iter().zip(&cands.gated).enumerate() {
            let found = hits.as_ref().map_or(0, |h| h.word(w));
            let mut bits = open | (gated & found);
            while bits != 0 {
                let i = w * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                let known = cands
                    .in_scope
                    .get(w)
                    .is_some_and(|x| x & (1 << (i % 64)) != 0);
                if known || self.rules[i].scope().admits(event) {
                    f(i);
                }
            }
        }
    }

    /// The candidate rules of the event's channel and event id, computed once per pair.
    fn candidates(&self, event: &Event) -> Option<Arc<Candidates>> {
        let lower = LowerName::of(&event.channel);
        if let Some(c) = self.candidates.read().ok().and_then(|m| {
            m.get(&event.event_id)
                .and_then(|by_channel| by_channel.get(lower.as_str()))
                .cloned()
        }) {
            return c;
        }
        let channel = self.by_channel.get(lower.as_str());
        let empty: &[u32] = &[];
        let lists = [
            channel
                .and_then(|c| c.by_id.get(&event.event_id))
                .map_or(empty, |v| v.as_slice()),
            channel.map_or(empty, |c| c.any_id.as_slice()),
            self.by_id
                .get(&event.event_id)
                .map_or(empty, |v| v.as_slice()),
            self.everywhere.as_slice(),
        ];
        let computed = if lists.iter().all(|l| l.is_empty()) {
            None
        } else {
            let words = self.rules.len().div_ceil(64);
            let mut c = Candidates {
                ungated: vec![0; words],
                gated: vec![0; words],
                in_scope: vec![0; words],
                any_gated: false,
                automata: AutomatonSet::with_capacity(
                    self.prefilter
                        .as_ref()
                        .map_or(0, Prefilter::automaton_count),
                ),
            };
            merge_sorted(lists, |i| {
                let i = i as usize;
                // A scope without providers is decided by the channel and event id alone.
                let scope = self
                    .rules
                    .get(i)
                    .map(|r| r.scope().admits_source(&event.channel, event.event_id));
                match scope {
                    Some(Some(false)) => return,
                    Some(Some(true)) => {
                        if let Some(w) = c.in_scope.get_mut(i / 64) {
                            *w |= 1 << (i % 64);
                        }
                    }
                    _ => {}
                }
                let gated = self.prefilter.as_ref().is_some_and(|p| p.is_gated(i));
                let set = if gated {
                    c.any_gated = true;
                    if let Some(p) = &self.prefilter {
                        p.automata_of(i).iter().for_each(|&a| c.automata.insert(a));
                    }
                    &mut c.gated
                } else {
                    &mut c.ungated
                };
                if let Some(w) = set.get_mut(i / 64) {
                    *w |= 1 << (i % 64);
                }
            });
            Some(Arc::new(c))
        };
        if let Ok(mut m) = self.candidates.write() {
            // Hostile logs may name endless channels: the cache stays bounded.
            let cached: usize = m.values().map(HashMap::len).sum();
            if cached < MAX_CACHED_SOURCES {
                m.entry(event.event_id)
                    .or_default()
                    .insert(lower.as_str().into(), computed.clone());
            }
        }
        computed
    }
}

/// Candidates by event id, then lower-case channel (looked up without allocating); `None` when
/// no rule can see the pair.
type CandidateCache = HashMap<u32, HashMap<Box<str>, Option<Arc<Candidates>>>>;

/// Most (channel, event id) pairs whose candidates are kept.
const MAX_CACHED_SOURCES: usize = 4096;

/// The rules one (channel, event id) can reach, as bit sets over rule indices: those that run
/// on every such event (scope permitting) and those that run only when the pre-filter finds
/// one of their needles.
struct Candidates {
    ungated: Vec<u64>,
    gated: Vec<u64>,
    /// Rules whose scope admits every event of the pair (no need to check it per event).
    in_scope: Vec<u64>,
    any_gated: bool,
    /// The pre-filter automata holding needles of the gated rules here: the others are not
    /// run on these events.
    automata: AutomatonSet,
}

/// A lower-case copy of a channel or field name, on the stack when it is short (names are
/// looked up per event; most are short).
pub(crate) struct LowerName {
    buf: [u8; 128],
    len: usize,
    long: Option<String>,
}

impl LowerName {
    /// The ASCII lower-case form of `name`.
    pub(crate) fn of(name: &str) -> LowerName {
        let mut buf = [0u8; 128];
        match buf.get_mut(..name.len()) {
            Some(lower) => {
                lower.copy_from_slice(name.as_bytes());
                lower.make_ascii_lowercase();
                LowerName {
                    buf,
                    len: name.len(),
                    long: None,
                }
            }
            None => LowerName {
                buf,
                len: 0,
                long: Some(name.to_ascii_lowercase()),
            },
        }
    }

    /// The lower-case name.
    pub(crate) fn as_str(&self) -> &str {
        match &self.long {
            Some(s) => s,
            None => std::str::from_utf8(&self.buf[..self.len]).unwrap_or(""),
        }
    }
}

/// Call `f` with every value of four sorted lists, in order, each once.
fn merge_sorted(mut lists: [&[u32]; 4], mut f: impl FnMut(u32)) {
    let mut last = None;
    loop {
        let mut min: Option<(usize, u32)> = None;
        for (k, l) in lists.iter().enumerate() {
            if let Some(&v) = l.first() {
                if min.is_none_or(|(_, m)| v < m) {
                    min = Some((k, v));
                }
            }
        }
        let Some((k, v)) = min else { return };
        lists[k] = &lists[k][1..];
        if last != Some(v) {
            f(v);
            last = Some(v);
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::rules::{EventMatch, Needle, RuleInfo, Scope, SourceFilter};

    struct TestRule {
        info: Arc<RuleInfo>,
        scope: Scope,
        needles: Option<Vec<Needle>>,
    }

    impl Rule for TestRule {
        fn info(&self) -> &Arc<RuleInfo> {
            &self.info
        }
        fn scope(&self) -> &Scope {
            &self.scope
        }
        fn needles(&self) -> Option<Vec<Needle>> {
            self.needles.clone()
        }
        fn check(&self, event: &Event) -> Option<EventMatch> {
            Some(EventMatch::of(event))
        }
    }

    fn rule(channels: &[&str], ids: &[u32], needles: Option<Vec<Needle>>) -> Arc<dyn Rule> {
        let scope = if channels.is_empty() && ids.is_empty() {
            Scope::everything()
        } else {
            Scope {
                any_of: vec![SourceFilter {
                    channels: channels.iter().map(|c| c.to_string()).collect(),
                    providers: Vec::new(),
                    event_ids: ids.to_vec(),
                }],
            }
        };
        Arc::new(TestRule {
            info: Arc::new(RuleInfo::default()),
            scope,
            needles,
        })
    }

    fn needle(field: Option<&str>, text: &str) -> Needle {
        Needle {
            field: field.map(str::to_string),
            needle: text.to_string(),
        }
    }

    pub(crate) fn event(channel: &str, id: u32, data: &[(&str, &str)]) -> Event {
        Event {
            source: Arc::new(crate::event::Source {
                path: "x.evtx".into(),
            }),
            record_id: 1,
            time: jiff::Timestamp::UNIX_EPOCH,
            header_time: jiff::Timestamp::UNIX_EPOCH,
            provider: "P".into(),
            channel: channel.into(),
            event_id: id,
            computer: "HOST".into(),
            user_id: "".into(),
            level: 4,
            recovered: false,
            data: data
                .iter()
                .map(|(n, v)| crate::event::Field {
                    name: (*n).into(),
                    value: (*v).into(),
                })
                .collect(),
            system: Vec::new(),
        }
    }

    fn candidates(d: &Dispatcher, e: &Event) -> Vec<usize> {
        let mut v = Vec::new();
        d.for_each_candidate(e, |i| v.push(i));
        v
    }

    #[test]
    fn index_and_reference_agree_on_scope() {
        let rules = vec![
            rule(&["Security"], &[4688], None),
            rule(&["security"], &[], None),
            rule(&[], &[4688, 1], None),
            rule(&["Microsoft-Windows-Sysmon/Operational"], &[1], None),
        ];
        let indexed = Dispatcher::new(rules.clone(), true);
        let reference = Dispatcher::new(rules, false);
        let e = event("SECURITY", 4688, &[]);
        assert_eq!(candidates(&indexed, &e), vec![0, 1, 2]);
        assert_eq!(candidates(&reference, &e), vec![0, 1, 2]);
        let s = event("Microsoft-Windows-Sysmon/Operational", 1, &[]);
        assert_eq!(candidates(&indexed, &s), vec![2, 3]);
        assert!(indexed.wants("Security", 1));
        assert!(indexed.wants("System", 1));
        assert!(!indexed.wants("System", 7045));
        assert!(indexed.wants("security", 4624));
        assert!(!indexed.wants("Application", 4624));
    }

    #[test]
    fn prefilter_drops_rules_whose_literals_are_absent() {
        let rules = vec![
            rule(
                &["Security"],
                &[4688],
                Some(vec![needle(Some("CommandLine"), "mimikatz")]),
            ),
            rule(
                &["Security"],
                &[4688],
                Some(vec![needle(Some("NewProcessName"), "\\whoami.exe")]),
            ),
            rule(&["Security"], &[4688], Some(vec![needle(None, "lsass")])),
            rule(&["Security"], &[4688], None),
            rule(
                &["Security"],
                &[4688],
                Some(vec![needle(Some("computer"), "host")]),
            ),
            rule(
                &["Security"],
                &[4688],
                Some(vec![needle(Some("Computer"), "dc01")]),
            ),
        ];
        let d = Dispatcher::new(rules.clone(), true);
        let e = event(
            "Security",
            4688,
            &[
                ("NewProcessName", "C:\\Windows\\System32\\WHOAMI.EXE"),
                ("CommandLine", "whoami /all"),
            ],
        );
        assert_eq!(candidates(&d, &e), vec![1, 3, 4]);
        let e = event(
            "Security",
            4688,
            &[("CommandLine", "procdump -ma LSASS.exe Mimikatz")],
        );
        assert_eq!(candidates(&d, &e), vec![0, 2, 3, 4]);
        // The reference offers them all.
        assert_eq!(
            candidates(&Dispatcher::new(rules, false), &e),
            vec![0, 1, 2, 3, 4, 5]
        );
    }

    #[test]
    fn spaced_names_reach_both_spellings_and_pairs_run_only_their_automata() {
        let defender = "Microsoft-Windows-Windows Defender/Operational";
        let rules = vec![
            rule(
                &[defender],
                &[1116],
                Some(vec![needle(Some("Source Name"), "foo")]),
            ),
            rule(
                &[defender],
                &[1116],
                Some(vec![needle(Some("SourceName"), "bar")]),
            ),
            // Another pair's rule: its automaton is not run on Defender events, nor is it
            // needed there.
            rule(
                &["Security"],
                &[4688],
                Some(vec![needle(Some("Source Name"), "xbar")]),
            ),
            rule(&["Security"], &[4688], Some(vec![needle(None, "bar")])),
        ];
        let d = Dispatcher::new(rules, true);
        let e = event(defender, 1116, &[("Source Name", "xbarx")]);
        assert_eq!(candidates(&d, &e), vec![1]);
        let e = event(defender, 1116, &[("Source Name", "foo bar")]);
        assert_eq!(candidates(&d, &e), vec![0, 1]);
        let e = event("Security", 4688, &[("Source Name", "xbarx")]);
        assert_eq!(candidates(&d, &e), vec![2, 3]);
    }

    #[test]
    fn everywhere_rules_make_every_record_wanted() {
        let d = Dispatcher::new(vec![rule(&[], &[], None)], true);
        assert!(d.wants("Anything", 0));
        assert_eq!(candidates(&d, &event("X", 5, &[])), vec![0]);
    }
}
