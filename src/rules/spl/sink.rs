//! What runs after the per-event part, fed one match at a time.
//!
//! A detection's matches reach [`SplSink`] as they stream out of the store. It keeps as little
//! of them as the pipeline allows:
//! - when the main pipeline starts with `stats`/`tstats` whose aggregates do not depend on the
//!   order of the rows, each match's row is added to its groups on arrival and dropped: only
//!   the groups and the event references stay (`Main::Grouped`). Groups come out sorted by key,
//!   so the commands after them see the same rows as if every match had been kept;
//! - otherwise the main pipeline's matches are kept and run in Splunk's order, newest first
//!   (`Main::Kept`);
//! - matches that hold a subsearch section are kept to run the subsearches at the end;
//! - with an inner join after the grouping ([`SemiJoin`]) and the store's rank order
//!   (subsearch matches first), a main match whose one-event group has no partner in the
//!   subsearch is dropped before it is kept or grouped.
//!
//! Result rows go through the last commands (from the last non-streaming one on) one at a
//! time, and each becomes a hit as it comes out, so neither a join's product nor the hits are
//! held here.

use super::exec;
use super::pipeline::Pipeline;
use super::pushdown::leading_grouping;
use super::row::Row;
use super::rule::{row_of_state, section, SplRule};
use super::semijoin::SemiJoin;
use super::stats::Grouper;
use crate::hit::{EventRef, Hit};
use crate::rules::{EventMatch, MatchSink};
use std::collections::HashSet;

/// The main pipeline's side of a sink.
enum Main<'r> {
    /// Rows added to the leading grouping's groups on arrival.
    Grouped(Grouper<'r>),
    /// Matches kept whole, with their index in `events`.
    Kept(Vec<(u32, EventMatch)>),
}

/// An SPL detection's matches on their way to hits.
pub(super) struct SplSink<'r> {
    rule: &'r SplRule,
    main: Main<'r>,
    /// Matches with a subsearch section, with their index in `events`.
    held: Vec<(u32, EventMatch)>,
    /// The join a main match must find a partner for, and the partners once known.
    semijoin: Option<(&'r SemiJoin, Option<HashSet<Vec<String>>>)>,
    /// The event of every match kept or grouped (the rows' provenance indices).
    events: Vec<EventRef>,
}

impl<'r> SplSink<'r> {
    /// A sink for `rule` whose main pipeline is `main`. `ranked`: matches will come in the
    /// store's order (rank, then record), so the join test may run.
    pub(super) fn new(rule: &'r SplRule, main: &'r Pipeline, ranked: bool) -> SplSink<'r> {
        let grouping =
            leading_grouping(&main.rest).filter(|g| g.aggs.iter().all(|a| a.func.order_free()));
        SplSink {
            rule,
            main: match grouping {
                Some(g) => Main::Grouped(Grouper::new(g)),
                None => Main::Kept(Vec::new()),
            },
            held: Vec::new(),
            semijoin: main.semijoin.as_ref().filter(|_| ranked).map(|s| (s, None)),
            events: Vec::new(),
        }
    }

    /// Whether a main match can take part in the join (always, without a join test).
    fn joins(&mut self, m: &EventMatch, row: &Row<'_>) -> bool {
        let Some((semi, partners)) = &mut self.semijoin else {
            return true;
        };
        if m.rank == 0 {
            return true;
        }
        let partners = partners.get_or_insert_with(|| {
            let subs = self.rule.run_branches(&self.held, 1);
            semi.partners(&subs)
        });
        semi.joins(row, partners)
    }
}

impl MatchSink for SplSink<'_> {
    fn push(&mut self, m: EventMatch) {
        let single = self.rule.branches().len() == 1;
        let main_row = if single {
            Some(row_of_state(&m, 0, ""))
        } else {
            let prefix = section(0);
            m.state
                .iter()
                .any(|(n, _)| *n == prefix)
                .then(|| row_of_state(&m, 0, &prefix))
        };
        let main_row = main_row.filter(|row| self.joins(&m, row));
        let subsearch = !single && m.rank == 0;
        if main_row.is_none() && !subsearch {
            return;
        }
        let index = self.events.len() as u32;
        self.events.push(m.event.clone());
        if subsearch {
            self.held.push((index, m.clone()));
        }
        if let Some(mut row) = main_row {
            match &mut self.main {
                Main::Grouped(grouper) => {
                    row.prov = vec![index];
                    grouper.add(index as usize, &row);
                }
                Main::Kept(kept) => kept.push((index, m)),
            }
        }
    }

    fn finish(self: Box<Self>, emit: &mut dyn FnMut(Hit)) {
        let SplSink {
            rule,
            main,
            held,
            events,
            ..
        } = *self;
        let subs = rule.run_branches(&held, 1);
        let Some(pipeline) = rule.branches().first() else {
            return;
        };
        let (rows, commands) = match main {
            Main::Grouped(grouper) => (grouper.rows(), pipeline.rest.get(1..).unwrap_or(&[])),
            Main::Kept(kept) => (rule.main_rows(&kept), pipeline.rest.as_slice()),
        };
        exec::run_all(commands, rows, &subs, &mut |row| {
            if let Some(hit) = rule.hit_of(row, |i| events.get(i)) {
                emit(hit);
            }
        });
    }
}
