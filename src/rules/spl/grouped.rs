//! `finish` for detections that group first, fed one match at a time.
//!
//! Most detections start what runs after the per-event part with `stats` or `tstats`. Given
//! all matches at once, `finish` would hold every match and a row for each until the grouping
//! is done: memory in proportion to the input. [`GroupSink`] instead turns each match into its
//! row and adds it to its groups as the matches stream out of the store, keeping only the
//! groups and each match's event reference. The groups come out sorted by key as before, so
//! the commands after the grouping see the same rows; only aggregates whose result does not
//! depend on the order of the rows qualify (`first`, `list`, `earliest`... do).

use super::commands::Command;
use super::exec;
use super::pipeline::Pipeline;
use super::row::Row;
use super::rule::{row_of_state, SplRule};
use super::stats::{Grouper, StatsKind};
use crate::hit::{EventRef, Hit};
use crate::rules::{EventMatch, MatchSink};

/// Groups a single-pipeline detection's matches as they arrive.
pub(super) struct GroupSink<'r> {
    rule: &'r SplRule,
    pipeline: &'r Pipeline,
    grouper: Grouper<'r>,
    /// The event of each match, by arrival (the rows' provenance indices).
    events: Vec<EventRef>,
}

impl<'r> GroupSink<'r> {
    /// A sink for `pipeline` (the rule's only one), or `None` when it does not start with a
    /// grouping whose aggregates are order-free.
    pub(super) fn new(rule: &'r SplRule, pipeline: &'r Pipeline) -> Option<GroupSink<'r>> {
        let Some(Command::Stats(grouping)) = pipeline.rest.first() else {
            return None;
        };
        let order_free = grouping.aggs.iter().all(|a| a.func.order_free());
        if !matches!(grouping.kind, StatsKind::Stats | StatsKind::Tstats) || !order_free {
            return None;
        }
        Some(GroupSink {
            rule,
            pipeline,
            grouper: Grouper::new(grouping),
            events: Vec::new(),
        })
    }
}

impl MatchSink for GroupSink<'_> {
    fn push(&mut self, m: EventMatch) {
        let i = self.events.len();
        let row: Row<'static> = row_of_state(&m, i as u32, "");
        self.grouper.add(i, &row);
        self.events.push(m.event);
    }

    fn finish(self: Box<Self>) -> Vec<Hit> {
        let GroupSink {
            rule,
            pipeline,
            grouper,
            events,
        } = *self;
        let mut rows: Vec<Row<'static>> = grouper.rows();
        let subsearches = vec![Vec::new()];
        for cmd in pipeline.rest.iter().skip(1) {
            rows = exec::run(cmd, rows, &subsearches);
        }
        rows.into_iter()
            .filter_map(|r| rule.hit_of(r, |i| events.get(i)))
            .collect()
    }
}
