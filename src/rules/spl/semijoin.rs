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
//! first (rank 0), so the sink (super::sink) has every subsearch row before the first
//! main-only match.

use super::commands::Command;
use super::exec;
use super::pushdown::{leading_grouping, live, Step, Taint};
use super::row::Row;
use super::stats::{self, StatsCmd};
use super::value::Value;
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
    /// The join fields are plain by-fields (not `_time`) with no command between: a match's
    /// key can be read straight off its row.
    direct: bool,
}

impl SemiJoin {
    /// Plan the test for the commands run in `finish`: `None` unless the first join after the
    /// grouping is an inner join on fields that depend on by-values only.
    pub fn plan(rest: &[Command]) -> Option<SemiJoin> {
        let grouping = leading_grouping(rest)?;
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
                let commands = live(commands, fields.clone());
                let direct = commands.is_empty()
                    && fields
                        .iter()
                        .all(|f| f != "_time" && grouping.by.contains(f));
                return Some(SemiJoin {
                    grouping: grouping.clone(),
                    commands,
                    fields: fields.clone(),
                    branch: *branch,
                    direct,
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

    /// Whether `row`'s groups can join one of `partners`.
    pub(super) fn joins(&self, row: &Row<'_>, partners: &HashSet<Vec<String>>) -> bool {
        match self.direct_key(row) {
            Some(None) => false,
            Some(Some(key)) if !partners.contains(&key) => false,
            _ => self.keys_of(row).iter().any(|k| partners.contains(k)),
        }
    }

    /// The join key read straight off the row, when the join fields are plain single-valued
    /// by-fields: `Some(None)` when the row is in no group at all; `None` when the key needs
    /// the grouping (numbers, multivalues, `_time` bins, commands between).
    fn direct_key(&self, row: &Row<'_>) -> Option<Option<Vec<String>>> {
        if !self.direct {
            return None;
        }
        let mut key = Vec::with_capacity(self.fields.len());
        for f in &self.fields {
            match row.get(f) {
                Value::Str(s) => key.push(s),
                Value::Null => match &self.grouping.fill_null {
                    Some(fill) => key.push(fill.clone()),
                    None => return Some(None),
                },
                _ => return None,
            }
        }
        Some(Some(key))
    }

    /// The join keys of the groups `row` (a match's main-pipeline row) would be in.
    pub(super) fn keys_of(&self, row: &Row<'_>) -> Vec<Vec<String>> {
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

    /// The join keys of the subsearch's result rows (`subs`: result rows by pipeline index).
    pub(super) fn partners(&self, subs: &[Vec<Row<'_>>]) -> HashSet<Vec<String>> {
        subs.get(self.branch)
            .into_iter()
            .flatten()
            .filter_map(|r| exec::join_key(r, &self.fields))
            .collect()
    }
}
