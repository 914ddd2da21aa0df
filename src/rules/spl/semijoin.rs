//! The inner `join` after a grouping, tested per match before `finish` keeps the match.
//!
//! Detections such as "Eventvwr UAC Bypass" group every process event (`tstats ... by
//! process_guid ...`) and then keep only the groups an inner `join` finds in a selective
//! subsearch (registry writes under `mscfile\shell\open\command`). Kept whole, the main
//! search's matches grow with the input: one per process event. But when the join fields
//! depend only on by-values (as [`super::pushdown`] tracks them), a group joins exactly when
//! each of its events, grouped alone, would: so once the subsearch's rows are known, a match
//! whose one-event group has no partner can be dropped as it streams out of the store.
//!
//! The store hands a rule's matches over by rank: matches that hold a subsearch section come
//! first (rank 0), so the sieve has every subsearch row before the first main-only match.

use super::commands::Command;
use super::exec;
use super::pushdown::{live, Step, Taint};
use super::row::Row;
use super::rule::SplRule;
use super::stats::{self, StatsCmd, StatsKind};
use crate::hit::Hit;
use crate::rules::{EventMatch, MatchSink, Rule};
use std::collections::HashSet;

/// An inner join a pipeline's groups must pass, with how to compute a match's join key.
#[derive(Debug, Clone)]
pub struct SemiJoin {
    grouping: StatsCmd,
    /// The per-row commands between the grouping and the join that the join fields need.
    commands: Vec<Command>,
    /// The join fields.
    fields: Vec<String>,
    /// The subsearch's pipeline index.
    branch: usize,
}

impl SemiJoin {
    /// Plan the test for the commands run in `finish`: `None` unless the first join after the
    /// grouping is an inner join on fields that depend on by-values only.
    pub fn plan(rest: &[Command]) -> Option<SemiJoin> {
        let Some(Command::Stats(grouping)) = rest.first() else {
            return None;
        };
        if !matches!(grouping.kind, StatsKind::Stats | StatsKind::Tstats)
            || grouping.has_wildcards()
        {
            return None;
        }
        let mut taint = Taint::after(grouping);
        let mut commands = Vec::new();
        for cmd in &rest[1..] {
            if let Command::Join {
                fields,
                branch,
                keep_unmatched: false,
                ..
            } = cmd
            {
                if fields.is_empty() || fields.iter().any(|f| taint.get(f)) {
                    return None;
                }
                return Some(SemiJoin {
                    grouping: (**grouping).clone(),
                    commands: live(commands, fields.clone()),
                    fields: fields.clone(),
                    branch: *branch,
                });
            }
            if !cmd.is_streaming() {
                return None;
            }
            match taint.step(cmd) {
                // A filter only drops rows: leaving it out keeps more matches, never fewer.
                Step::Filter | Step::SkipFilter => {}
                Step::Transform => commands.push(cmd.clone()),
                Step::Stop => return None,
            }
        }
        None
    }

    /// The join keys of the groups `row` (a match's main-pipeline row) would be in.
    fn keys_of(&self, row: &Row<'_>) -> Vec<Vec<String>> {
        stats::keys_of(&self.grouping, row)
            .into_iter()
            .filter_map(|key| {
                let mut group = Row::plain(stats::group_fields(&self.grouping, key), Vec::new());
                for c in &self.commands {
                    exec::apply(c, &mut group);
                }
                exec::join_key(&group, &self.fields)
            })
            .collect()
    }
}

/// Keeps the matches whose main-pipeline groups can find a partner in the subsearch, and
/// gives them to the rule's `finish`.
pub(super) struct JoinSink<'r> {
    rule: &'r SplRule,
    semi: &'r SemiJoin,
    /// The matches `finish` gets; the first ones are those with a subsearch section.
    kept: Vec<EventMatch>,
    /// The subsearch's join keys, once the last rank-0 match went past.
    partners: Option<HashSet<Vec<String>>>,
}

impl<'r> JoinSink<'r> {
    pub(super) fn new(rule: &'r SplRule, semi: &'r SemiJoin) -> JoinSink<'r> {
        JoinSink {
            rule,
            semi,
            kept: Vec::new(),
            partners: None,
        }
    }

    fn joins(&mut self, m: &EventMatch) -> bool {
        let (rule, semi, kept) = (self.rule, self.semi, &self.kept);
        let partners = self.partners.get_or_insert_with(|| {
            rule.subsearch_rows(kept.clone(), semi.branch)
                .iter()
                .filter_map(|r| exec::join_key(r, &semi.fields))
                .collect()
        });
        rule.main_row(m)
            .is_some_and(|row| semi.keys_of(&row).iter().any(|k| partners.contains(k)))
    }
}

impl MatchSink for JoinSink<'_> {
    fn push(&mut self, m: EventMatch) {
        if m.rank == 0 || self.joins(&m) {
            self.kept.push(m);
        }
    }

    fn finish(self: Box<Self>) -> Vec<Hit> {
        self.rule.finish(self.kept)
    }
}
