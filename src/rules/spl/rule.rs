//! A compiled SPL detection behind the [`Rule`] interface.
//!
//! `check` runs the base search and the streaming commands on one event and keeps, in the
//! match's state, only the fields the rest of the pipeline reads. `finish` rebuilds rows from
//! the states (newest event first, as Splunk returns events), runs the rest and turns each
//! result row into a [`Hit`] whose aggregate lists every contributing record.
//!
//! A detection with `join` has several pipelines (the main one and its subsearches). An event
//! is checked against each; its state holds one section per pipeline it matched, each field
//! name prefixed by the pipeline index and a unit separator. `finish` runs the subsearches
//! first and hands their rows to the joins.

use super::exec;
use super::pipeline::{Needed, Pipeline};
use super::row::{field_name, time_text, value_text, FieldName, Row};
use super::sink::SplSink;
use super::value::{format_num, Value};
use super::view::{self, EventView};
use crate::event::Event;
use crate::hit::{Aggregate, EventRef, Hit};
use crate::rules::{EventMatch, MatchSink, Needle, Rule, RuleInfo, Scope, SourceFilter};
use std::sync::Arc;

/// Separates a pipeline index from a field name in multi-pipeline states.
const SECTION: char = '\u{1f}';

/// A compiled Splunk detection.
pub struct SplRule {
    info: Arc<RuleInfo>,
    scope: Scope,
    branches: Vec<Pipeline>,
    aggregates: bool,
    needles: Option<Vec<Needle>>,
    /// Per branch, the names its matches' state entries take (shared by every match).
    state_names: Vec<StateNames>,
}

/// The state names of one branch: its section marker (empty for a single branch) and the
/// names of the fields it keeps, section-prefixed, in the order of `needed_refs`.
struct StateNames {
    section: Arc<str>,
    needed: Vec<Arc<str>>,
}

impl StateNames {
    fn of(p: &Pipeline, prefix: String) -> StateNames {
        StateNames {
            needed: p
                .needed_refs
                .iter()
                .map(|f| Arc::from(format!("{prefix}{}", f.name)))
                .collect(),
            section: Arc::from(prefix),
        }
    }
}

impl SplRule {
    /// Wrap compiled pipelines (index 0 is the main search).
    pub fn new(info: RuleInfo, branches: Vec<Pipeline>) -> SplRule {
        let aggregates = branches.len() > 1 || branches.iter().any(|b| !b.rest.is_empty());
        let mut any_of: Vec<SourceFilter> = Vec::new();
        let mut unbounded = false;
        let mut needles: Option<Vec<Needle>> = Some(Vec::new());
        for b in &branches {
            if b.scope.is_empty() {
                unbounded = true;
            }
            for f in &b.scope {
                if !any_of.contains(f) {
                    any_of.push(f.clone());
                }
            }
            needles = match (needles, super::needles::needles(b)) {
                (Some(mut all), Some(more)) => {
                    for n in more {
                        if !all.contains(&n) {
                            all.push(n);
                        }
                    }
                    Some(all)
                }
                _ => None,
            };
        }
        if unbounded {
            any_of.clear();
        }
        let single = branches.len() == 1;
        let state_names = branches
            .iter()
            .enumerate()
            .map(|(i, b)| StateNames::of(b, if single { String::new() } else { section(i) }))
            .collect();
        SplRule {
            info: Arc::new(info),
            scope: Scope { any_of },
            branches,
            aggregates,
            needles,
            state_names,
        }
    }

    /// The prefix of branch `i`'s state names (empty for a single branch).
    pub(super) fn section_prefix(&self, i: usize) -> &str {
        self.state_names.get(i).map_or("", |n| &*n.section)
    }

    /// The main pipeline.
    pub fn pipeline(&self) -> Option<&Pipeline> {
        self.branches.first()
    }

    /// Run one pipeline's per-event part: `None` when the event does not pass.
    fn check_branch<'e>(p: &Pipeline, view: EventView<'e>) -> Option<Option<Row<'e>>> {
        if !p.ctx.admits(view.kind) || !p.base.matches(&view) {
            return None;
        }
        if p.streaming.is_empty() {
            // The filters after the grouping that can run per event (super::pushdown).
            let keeps = p
                .pushdown
                .as_ref()
                .is_none_or(|pd| pd.keeps(&Row::over(view, p.ctx)));
            return keeps.then_some(None);
        }
        let mut r = Row::over(view, p.ctx);
        for cmd in &p.streaming {
            if !exec::apply(cmd, &mut r) {
                return None;
            }
        }
        p.pushdown
            .as_ref()
            .is_none_or(|pd| pd.keeps(&r))
            .then_some(Some(r))
    }

    fn state_of(
        p: &Pipeline,
        names: &StateNames,
        row: Option<Row<'_>>,
        view: EventView<'_>,
        state: &mut Vec<(Arc<str>, String)>,
    ) {
        match &p.needed {
            Needed::Some(_) => {
                let row = row.unwrap_or_else(|| Row::over(view, p.ctx));
                for (f, name) in p.needed_refs.iter().zip(&names.needed) {
                    if &*f.name == "_time" && !row.fields.iter().any(|(n, _)| &**n == "_time") {
                        continue;
                    }
                    match row.get_ref(f) {
                        Value::Num(n) => state.push((Arc::clone(name), format_num(n))),
                        Value::Str(s) => state.push((Arc::clone(name), s)),
                        v => {
                            for t in v.into_texts() {
                                state.push((Arc::clone(name), t));
                            }
                        }
                    }
                }
            }
            Needed::All => {
                let mut row = row.unwrap_or_else(|| Row::over(view, p.ctx));
                row.detach();
                for (name, v) in &row.fields {
                    if &**name == "_time" && v.num() == Some(view::epoch(view.ev.time)) {
                        continue;
                    }
                    // A single branch's state names are the row's own (shared) names.
                    let key = if names.section.is_empty() {
                        Arc::clone(name)
                    } else {
                        field_name(&format!("{}{name}", names.section))
                    };
                    for t in value_text(v) {
                        state.push((Arc::clone(&key), t));
                    }
                }
            }
        }
    }

    /// The hit of a result row; `event(i)` is the event of match `i` of its provenance.
    pub(super) fn hit_of(
        &self,
        row: Row<'_>,
        event: impl Fn(usize) -> Option<EventRef>,
    ) -> Option<Hit> {
        let mut refs: Vec<EventRef> = row.prov.iter().filter_map(|&i| event(i as usize)).collect();
        refs.sort_by(|a, b| {
            a.time
                .cmp(&b.time)
                .then_with(|| a.source.path.cmp(&b.source.path))
                .then_with(|| a.record_id.cmp(&b.record_id))
        });
        refs.dedup();
        let first = refs.first()?.clone();
        let by_names = self
            .branches
            .first()
            .map(|p| p.by_names.as_slice())
            .unwrap_or(&[]);
        let by = by_names
            .iter()
            .filter_map(|n| {
                let v = row.get(n);
                if v.is_null() {
                    return None;
                }
                let text = match (n.as_str(), v.num()) {
                    ("_time", Some(t)) => time_text(t),
                    _ => None,
                };
                Some((n.clone(), text.unwrap_or_else(|| value_text(&v).join("\n"))))
            })
            .collect();
        Some(Hit {
            rule: Arc::clone(&self.info),
            event: first.clone(),
            fields: row.hit_fields(),
            aggregate: Some(Aggregate {
                count: refs.len() as u64,
                first_time: Some(first.time),
                last_time: refs.last().map(|r| r.time),
                by,
                records: refs,
                records_omitted: 0,
            }),
            also_in: Vec::new(),
        })
    }
}

/// Rebuild a row from the state entries of one section (`prefix` stripped from names).
pub(super) fn row_of_state(m: &EventMatch, index: u32, prefix: &str) -> Row<'static> {
    let mut fields: Vec<(FieldName, Value)> = Vec::new();
    for (full, text) in &m.state {
        let Some(name) = full.strip_prefix(prefix) else {
            continue;
        };
        if name.is_empty() || (!prefix.is_empty() && name.contains(SECTION)) {
            continue;
        }
        match fields.iter_mut().find(|(n, _)| **n == *name) {
            Some((_, v)) => {
                let old = std::mem::take(v);
                let mut list = old.into_texts();
                list.push(text.clone());
                *v = Value::Multi(list);
            }
            None => fields.push((field_name(name), Value::Str(text.clone()))),
        }
    }
    match fields.iter_mut().find(|(n, _)| &**n == "_time") {
        Some((_, v)) => {
            if let Some(n) = v.num() {
                *v = Value::Num(n);
            }
        }
        None => fields.push((field_name("_time"), Value::Num(view::epoch(m.event.time)))),
    }
    Row::plain(fields, vec![index])
}

/// Splunk's order of events: newest first (ties by file, then record, newest first).
fn newest_first(a: &EventMatch, b: &EventMatch) -> std::cmp::Ordering {
    b.event
        .time
        .cmp(&a.event.time)
        .then_with(|| a.event.source.path.cmp(&b.event.source.path))
        .then_with(|| b.event.record_id.cmp(&a.event.record_id))
}

/// Sort matches (with their provenance index) in [`newest_first`] order.
fn sorted(matches: &[(u32, EventMatch)]) -> Vec<&(u32, EventMatch)> {
    let mut sorted: Vec<&(u32, EventMatch)> = matches.iter().collect();
    sorted.sort_by(|a, b| newest_first(&a.1, &b.1));
    sorted
}

impl SplRule {
    /// The compiled pipelines (index 0 is the main search).
    pub(super) fn branches(&self) -> &[Pipeline] {
        &self.branches
    }

    /// Run the pipelines from index `from` on (subsearches first: they have larger indices
    /// than the pipelines that join them) over the matches holding their sections, in
    /// [`newest_first`] order; the result rows by pipeline index (those below `from` empty).
    pub(super) fn run_branches(
        &self,
        matches: &[(u32, EventMatch)],
        from: usize,
    ) -> Vec<Vec<Row<'static>>> {
        let single = self.branches.len() == 1;
        let sorted = sorted(matches);
        let mut results: Vec<Vec<Row<'static>>> = vec![Vec::new(); self.branches.len()];
        for (bi, p) in self.branches.iter().enumerate().skip(from).rev() {
            let prefix = self.section_prefix(bi);
            let mut rows: Vec<Row<'static>> = sorted
                .iter()
                .filter(|(_, m)| single || m.state.iter().any(|(n, _)| &**n == prefix))
                .map(|(i, m)| row_of_state(m, *i, prefix))
                .collect();
            for cmd in &p.rest {
                rows = exec::run(cmd, rows, &results);
            }
            results[bi] = rows;
        }
        results
    }

    /// The main pipeline's rows of matches that hold its section, in [`newest_first`] order.
    pub(super) fn main_rows(&self, matches: &[(u32, EventMatch)]) -> Vec<Row<'static>> {
        let prefix = if self.branches.len() == 1 {
            String::new()
        } else {
            section(0)
        };
        sorted(matches)
            .into_iter()
            .map(|(i, m)| row_of_state(m, *i, &prefix))
            .collect()
    }
}

/// The prefix of pipeline `i`'s entries in a multi-pipeline state.
pub(super) fn section(i: usize) -> String {
    format!("{i}{SECTION}")
}

impl Rule for SplRule {
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
        let view = EventView::new(event);
        if let [p] = self.branches.as_slice() {
            let row = Self::check_branch(p, view)?;
            if !self.aggregates {
                let fields = match &row {
                    Some(r) => r.hit_fields(),
                    None => event.key_fields(),
                };
                return Some(EventMatch {
                    event: EventRef::of(event),
                    fields,
                    state: Vec::new(),
                    rank: 0,
                });
            }
            let mut state = Vec::new();
            if let Some(names) = self.state_names.first() {
                Self::state_of(p, names, row, view, &mut state);
            }
            return Some(EventMatch {
                event: EventRef::of(event),
                fields: Vec::new(),
                state,
                rank: 0,
            });
        }
        let mut state = Vec::new();
        let mut matched = false;
        // Matches a subsearch needs come first in `finish`'s stream (super::semijoin).
        let mut rank = 1;
        for (i, p) in self.branches.iter().enumerate() {
            if let Some(row) = Self::check_branch(p, view) {
                matched = true;
                if i > 0 {
                    rank = 0;
                }
                if let Some(names) = self.state_names.get(i) {
                    state.push((Arc::clone(&names.section), String::new()));
                    Self::state_of(p, names, row, view, &mut state);
                }
            }
        }
        matched.then(|| EventMatch {
            event: EventRef::of(event),
            fields: Vec::new(),
            state,
            rank,
        })
    }

    fn aggregates(&self) -> bool {
        self.aggregates
    }

    fn end_scan(&self) {
        for p in &self.branches {
            if let Some(pushdown) = &p.pushdown {
                pushdown.forget();
            }
        }
    }

    fn sink(&self) -> Option<Box<dyn MatchSink + '_>> {
        let main = self.branches.first().filter(|_| self.aggregates)?;
        Some(Box::new(SplSink::new(self, main, true)))
    }

    fn finish(&self, matches: Vec<EventMatch>) -> Vec<Hit> {
        let mut hits = Vec::new();
        let main = self.branches.first().filter(|_| self.aggregates);
        let Some(main) = main else {
            hits.extend(matches.into_iter().map(|m| Hit::from_match(&self.info, m)));
            return hits;
        };
        // Given in any order: no join test, which needs the subsearch's matches first.
        let mut sink = Box::new(SplSink::new(self, main, false));
        for m in matches {
            sink.push(m);
        }
        sink.finish(&mut |hit| hits.push(hit));
        hits
    }
}
