//! A compiled SPL detection behind the [`Rule`] interface.
//!
//! `check` runs the base search and the streaming commands on one event and keeps, in the
//! match's state, only the fields the rest of the pipeline reads. `finish` rebuilds rows from
//! the states (newest event first, as Splunk returns events), runs the rest and turns each
//! result row into a [`Hit`] whose aggregate lists every contributing record.

use super::exec;
use super::pipeline::{Needed, Pipeline};
use super::row::{value_text, Row};
use super::value::Value;
use super::view::{self, EventView};
use crate::event::Event;
use crate::hit::{Aggregate, EventRef, Hit};
use crate::rules::{EventMatch, Needle, Rule, RuleInfo, Scope};
use std::sync::Arc;

/// A compiled Splunk detection.
pub struct SplRule {
    info: Arc<RuleInfo>,
    scope: Scope,
    pipeline: Pipeline,
    aggregates: bool,
    needles: Option<Vec<Needle>>,
}

impl SplRule {
    /// Wrap a compiled pipeline.
    pub fn new(info: RuleInfo, pipeline: Pipeline) -> SplRule {
        let aggregates = !pipeline.rest.is_empty();
        let needles = super::needles::needles(&pipeline);
        SplRule {
            info: Arc::new(info),
            scope: Scope {
                any_of: pipeline.scope.clone(),
            },
            pipeline,
            aggregates,
            needles,
        }
    }

    /// The compiled pipeline.
    pub fn pipeline(&self) -> &Pipeline {
        &self.pipeline
    }

    fn state_of(&self, row: Option<Row<'_>>, view: EventView<'_>) -> Vec<(String, String)> {
        let ctx = self.pipeline.ctx;
        let mut state = Vec::new();
        match &self.pipeline.needed {
            Needed::Some(names) => {
                let row = row.unwrap_or_else(|| Row::over(view, ctx));
                for name in names {
                    let v = row.get(name);
                    if name == "_time" && !row.fields.iter().any(|(n, _)| n == "_time") {
                        continue;
                    }
                    for t in value_text(&v) {
                        state.push((name.clone(), t));
                    }
                }
            }
            Needed::All => {
                let mut row = row.unwrap_or_else(|| Row::over(view, ctx));
                row.detach();
                for (name, v) in &row.fields {
                    if name == "_time" {
                        continue;
                    }
                    for t in value_text(v) {
                        state.push((name.clone(), t));
                    }
                }
                if let Some((_, v)) = row.fields.iter().find(|(n, _)| n == "_time") {
                    if v.num() != Some(view::epoch(view.ev.time)) {
                        state.extend(value_text(v).into_iter().map(|t| ("_time".to_string(), t)));
                    }
                }
            }
        }
        state
    }

    fn hit_of(&self, row: Row<'_>, matches: &[EventMatch]) -> Option<Hit> {
        let mut refs: Vec<EventRef> = row
            .prov
            .iter()
            .filter_map(|&i| matches.get(i as usize).map(|m| m.event.clone()))
            .collect();
        refs.sort_by(|a, b| {
            a.time
                .cmp(&b.time)
                .then_with(|| a.source.path.cmp(&b.source.path))
                .then_with(|| a.record_id.cmp(&b.record_id))
        });
        refs.dedup();
        let first = refs.first()?.clone();
        let by = self
            .pipeline
            .by_names
            .iter()
            .filter_map(|n| {
                let v = row.get(n);
                if v.is_null() {
                    return None;
                }
                let text = match (n.as_str(), v.num()) {
                    ("_time", Some(t)) => super::row::time_text(t),
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
            }),
            also_in: Vec::new(),
        })
    }
}

/// Rebuild a row from a match's state.
fn row_of_state(m: &EventMatch, index: u32) -> Row<'static> {
    let mut fields: Vec<(String, Value)> = Vec::new();
    for (name, text) in &m.state {
        match fields.iter_mut().find(|(n, _)| n == name) {
            Some((_, v)) => {
                let old = std::mem::take(v);
                let mut list = old.into_texts();
                list.push(text.clone());
                *v = Value::Multi(list);
            }
            None => fields.push((name.clone(), Value::Str(text.clone()))),
        }
    }
    match fields.iter_mut().find(|(n, _)| n == "_time") {
        Some((_, v)) => {
            if let Some(n) = v.num() {
                *v = Value::Num(n);
            }
        }
        None => fields.push(("_time".into(), Value::Num(view::epoch(m.event.time)))),
    }
    Row::plain(fields, vec![index])
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
        let ctx = self.pipeline.ctx;
        if !ctx.admits(view.kind) {
            return None;
        }
        if !self.pipeline.base.matches(&view) {
            return None;
        }
        let mut row = None;
        if !self.pipeline.streaming.is_empty() {
            let mut r = Row::over(view, ctx);
            for cmd in &self.pipeline.streaming {
                if !exec::apply(cmd, &mut r) {
                    return None;
                }
            }
            row = Some(r);
        }
        if !self.aggregates {
            let fields = match &row {
                Some(r) => r.hit_fields(),
                None => event.key_fields(),
            };
            return Some(EventMatch {
                event: EventRef::of(event),
                fields,
                state: Vec::new(),
            });
        }
        Some(EventMatch {
            event: EventRef::of(event),
            fields: Vec::new(),
            state: self.state_of(row, view),
        })
    }

    fn aggregates(&self) -> bool {
        self.aggregates
    }

    fn finish(&self, mut matches: Vec<EventMatch>) -> Vec<Hit> {
        if !self.aggregates {
            return matches
                .into_iter()
                .map(|m| Hit::from_match(&self.info, m))
                .collect();
        }
        matches.sort_by(|a, b| {
            b.event
                .time
                .cmp(&a.event.time)
                .then_with(|| a.event.source.path.cmp(&b.event.source.path))
                .then_with(|| b.event.record_id.cmp(&a.event.record_id))
        });
        let mut rows: Vec<Row<'static>> = matches
            .iter()
            .enumerate()
            .map(|(i, m)| row_of_state(m, i as u32))
            .collect();
        for cmd in &self.pipeline.rest {
            rows = exec::run(cmd, rows);
        }
        rows.into_iter()
            .filter_map(|r| self.hit_of(r, &matches))
            .collect()
    }
}
