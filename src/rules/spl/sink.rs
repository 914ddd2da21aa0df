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

use super::event_refs::EventRefs;
use super::exec;
use super::pipeline::Pipeline;
use super::pushdown::leading_grouping;
use super::row::Row;
use super::rule::{row_of_state, SplRule};
use super::semijoin::SemiJoin;
use super::stats::Grouper;
use crate::hit::Hit;
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
    /// The subsearches' result rows over `held`, once run (by the join test or `finish`).
    subs: Option<Vec<Vec<Row<'static>>>>,
    /// The join a main match must find a partner for, and the partners once known.
    semijoin: Option<(&'r SemiJoin, Option<HashSet<Vec<String>>>)>,
    /// The event of every match kept or grouped (the rows' provenance indices).
    events: EventRefs,
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
            subs: None,
            semijoin: main.semijoin.as_ref().filter(|_| ranked).map(|s| (s, None)),
            events: EventRefs::default(),
        }
    }

    /// The subsearches' result rows, run once over the held matches.
    fn subsearches(
        subs: &mut Option<Vec<Vec<Row<'static>>>>,
        rule: &SplRule,
        held: &[(u32, EventMatch)],
    ) -> Vec<Vec<Row<'static>>> {
        subs.take().unwrap_or_else(|| rule.run_branches(held, 1))
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
            let subs = Self::subsearches(&mut self.subs, self.rule, &self.held);
            let partners = semi.partners(&subs);
            self.subs = Some(subs);
            partners
        });
        semi.joins(row, partners)
    }
}

impl MatchSink for SplSink<'_> {
    fn push(&mut self, m: EventMatch) {
        let single = self.rule.branches().len() == 1;
        let prefix = self.rule.section_prefix(0);
        let has_main = single || m.state.iter().any(|(n, _)| &**n == prefix);
        // The row is built only when grouping or the join test reads it.
        let needs_row = matches!(self.main, Main::Grouped(_)) || self.semijoin.is_some();
        let mut row = None;
        let mut main = has_main;
        if has_main && needs_row {
            let r = row_of_state(&m, 0, prefix);
            main = self.joins(&m, &r);
            row = Some(r);
        }
        let subsearch = !single && m.rank == 0;
        if !main && !subsearch {
            return;
        }
        let index = self.events.len() as u32;
        self.events.push(&m.event);
        if subsearch {
            self.held.push((index, m.clone()));
            // Rank-0 matches come before any the join test reads; should one come later,
            // the subsearches run again over all of them.
            self.subs = None;
        }
        if !main {
            return;
        }
        match (&mut self.main, row) {
            (Main::Grouped(grouper), Some(mut row)) => {
                row.prov = vec![index];
                grouper.add(index as usize, &row);
            }
            (Main::Kept(kept), _) => kept.push((index, m)),
            (Main::Grouped(_), None) => {}
        }
    }

    fn wants_more(&self) -> bool {
        // Once the join's partners are known, matches without a subsearch section come (the
        // store's rank order) and each is dropped unless it joins: with no partner at all,
        // none will.
        !matches!(&self.semijoin, Some((_, Some(partners))) if partners.is_empty())
    }

    fn finish(self: Box<Self>, emit: &mut dyn FnMut(Hit)) {
        let SplSink {
            rule,
            main,
            held,
            mut subs,
            events,
            ..
        } = *self;
        let subs = Self::subsearches(&mut subs, rule, &held);
        let Some(pipeline) = rule.branches().first() else {
            return;
        };
        let mut to_hit = |row| {
            if let Some(hit) = rule.hit_of(row, |i| events.get(i)) {
                emit(hit);
            }
        };
        match main {
            // Groups become rows as the commands take them.
            Main::Grouped(grouper) => exec::run_all(
                pipeline.rest.get(1..).unwrap_or(&[]),
                grouper.into_rows(),
                &subs,
                &mut to_hit,
            ),
            Main::Kept(kept) => exec::run_all(
                pipeline.rest.as_slice(),
                rule.main_rows(&kept),
                &subs,
                &mut to_hit,
            ),
        }
    }
}
