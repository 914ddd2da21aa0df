//! Filters after `stats` evaluated per event, so events that could only form groups the
//! pipeline drops are never kept.
//!
//! Many detections group every process event (`tstats ... by process_name process ...`) and
//! only then filter on the group-by values (`regex process="\x{202E}"`, `where len(process_name)
//! = 5`, a `lookup` followed by `search tool=*`). A group's by-values are the same for each of
//! its events, so a filter that reads only by-values (or fields computed from them) keeps or
//! drops a group exactly when it keeps or drops each of its events' one-event groups. Such a
//! filter can run in `check`, on the row the grouping would give the event alone.
//!
//! Which filters qualify is decided at compile time by following the fields that depend on
//! aggregates (`count`, `min(_time)`, `values(x)`...): every field the grouping outputs other
//! than the by-fields is "tainted", and taint flows through `eval`, `rename`, `rex`, `lookup`,
//! `convert`, `bin` and `addtotals`. A `search`, `where` or `regex` that reads no tainted field
//! is pushed; the others are skipped here (they still run in `finish`). The walk stops at the
//! first command that is not per-row (another grouping, `dedup`, `join`, `sort`, `head`...).
//!
//! The decision depends only on the by-values the pushed commands read (found by following
//! names back from the filters through `rename`), and those repeat: the same process names,
//! paths and command lines on every host. Decisions are remembered per detection, keyed by
//! those values, in a bounded memo.

use super::commands::{Command, RexMode};
use super::exec;
use super::field_map::FieldMap;
use super::row::{name_matches, renamed, Row};
use super::search::FieldRef;
use super::stats::{self, StatsCmd, StatsKind};
use super::view::Ctx;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Estimated bytes of decisions remembered per detection before the memo starts over.
const MEMO_BUDGET: usize = 1 << 20;
/// Keys longer than this are decided every time.
const MEMO_KEY: usize = 1024;

/// Remembered decisions and their estimated size.
#[derive(Debug, Default)]
struct Memo {
    decisions: HashMap<Box<str>, bool, foldhash::fast::RandomState>,
    bytes: usize,
}

/// The per-event part of the commands after a pipeline's first grouping.
#[derive(Debug, Clone)]
pub struct Pushdown {
    grouping: StatsCmd,
    /// The per-row commands to run on the one-event group, ending with the last pushed
    /// filter; filters that read tainted fields are left out.
    commands: Vec<Command>,
    /// The by-fields, resolved once in the pipeline's namespace.
    by_refs: Vec<FieldRef>,
    /// Indices of the by-fields the commands may read: a decision depends on nothing else.
    read: Vec<usize>,
    /// Decisions by the values of the `read` by-fields of each of the event's groups.
    memo: Arc<Mutex<Memo>>,
}

impl Pushdown {
    /// Plan the pushdown for the commands run in `finish`; `None` when no filter qualifies.
    pub fn plan(rest: &[Command], ctx: Ctx) -> Option<Pushdown> {
        let grouping = leading_grouping(rest)?;
        let mut taint = Taint::after(grouping);
        let mut commands = Vec::new();
        let mut kept_len = 0;
        for cmd in &rest[1..] {
            if !cmd.is_streaming() {
                break;
            }
            match taint.step(cmd) {
                Step::Filter => {
                    commands.push(cmd.clone());
                    kept_len = commands.len();
                }
                Step::SkipFilter => {}
                Step::Transform => commands.push(cmd.clone()),
                Step::Stop => break,
            }
        }
        if kept_len == 0 {
            return None;
        }
        commands.truncate(kept_len);
        let commands = live(commands, Vec::new());
        Some(Pushdown {
            by_refs: grouping.by.iter().map(|b| FieldRef::new(b, ctx)).collect(),
            read: read_by_fields(grouping, &commands),
            grouping: grouping.clone(),
            commands,
            memo: Arc::default(),
        })
    }

    /// Literals one of which an event must hold to pass the pushed filters (see
    /// super::pushdown_needles).
    pub(super) fn needles(&self) -> Option<Vec<super::needles::Lit>> {
        super::pushdown_needles::needles(&self.grouping, &self.by_refs, &self.commands)
    }

    /// Forget the remembered decisions: the scan is over and `keeps` is no longer asked.
    pub fn forget(&self) {
        if let Ok(mut memo) = self.memo.lock() {
            memo.decisions = HashMap::default();
            memo.bytes = 0;
        }
    }

    /// Whether a row the grouping would put in some group survives the pushed filters in one
    /// of its groups (`false`: the event cannot contribute to any result row).
    pub fn keeps(&self, row: &Row<'_>) -> bool {
        let keys = stats::keys_from(&self.grouping, |i| row.get_ref(&self.by_refs[i]));
        let memo_key = self.memo_key(&keys);
        if let Some(k) = &memo_key {
            let known = self
                .memo
                .lock()
                .ok()
                .and_then(|m| m.decisions.get(k.as_str()).copied());
            if let Some(known) = known {
                return known;
            }
        }
        let keeps = keys.into_iter().any(|key| {
            let mut group = Row::plain(stats::group_fields(&self.grouping, key), Vec::new());
            self.commands.iter().all(|c| exec::apply(c, &mut group))
        });
        if let (Some(k), Ok(mut memo)) = (memo_key, self.memo.lock()) {
            let cost = k.len() + 48;
            if memo.bytes + cost > MEMO_BUDGET {
                memo.decisions.clear();
                memo.bytes = 0;
            }
            memo.bytes += cost;
            memo.decisions.insert(k.into_boxed_str(), keeps);
        }
        keeps
    }

    /// The memo key of an event's groups: the `read` values of each, separated by control
    /// characters; `None` when it would be too long to keep.
    fn memo_key(&self, keys: &[Vec<String>]) -> Option<String> {
        let mut k = String::new();
        for key in keys {
            for &i in &self.read {
                k.push_str(key.get(i).map(String::as_str).unwrap_or(""));
                k.push('\u{1f}');
            }
            k.push('\u{1e}');
            if k.len() > MEMO_KEY {
                return None;
            }
        }
        Some(k)
    }
}

/// The by-fields of `grouping` that `commands` may read, following names back through
/// `rename`; all of them when a command reads fields it does not name.
fn read_by_fields(grouping: &StatsCmd, commands: &[Command]) -> Vec<usize> {
    let all = || (0..grouping.by.len()).collect();
    let mut needed: Vec<String> = Vec::new();
    for cmd in commands.iter().rev() {
        if let Command::Rename(pairs) = cmd {
            let mut sources = Vec::new();
            for n in &needed {
                for (from, to) in pairs {
                    if let Some(src) = renamed(to, from, n) {
                        sources.push(src);
                    }
                }
            }
            needed.extend(sources);
            continue;
        }
        if cmd.reads(&mut needed) {
            return all();
        }
    }
    if needed.iter().any(|n| n.contains('*')) {
        return all();
    }
    (0..grouping.by.len())
        .filter(|&i| needed.iter().any(|n| *n == grouping.by[i]))
        .collect()
}

/// The `stats`/`tstats` that starts `rest`, when its groups are known by name (no wildcard
/// by-fields): what per-event reasoning about groups needs.
pub(super) fn leading_grouping(rest: &[Command]) -> Option<&StatsCmd> {
    match rest.first() {
        Some(Command::Stats(g))
            if matches!(g.kind, StatsKind::Stats | StatsKind::Tstats) && !g.has_wildcards() =>
        {
            Some(g)
        }
        _ => None,
    }
}

/// Drop the transforms whose outputs no later kept command reads (the `ctime` conversions of
/// `firstTime`, evals that only feed the report): they would only cost time per event.
/// `needed` names the fields read after the last command.
pub(super) fn live(commands: Vec<Command>, mut needed: Vec<String>) -> Vec<Command> {
    let mut any = false;
    let mut keep = vec![false; commands.len()];
    for (i, cmd) in commands.iter().enumerate().rev() {
        let is_filter = matches!(
            cmd,
            Command::Search(_) | Command::Where(_) | Command::Regex { .. }
        );
        let used = is_filter
            || any
            || match writes(cmd) {
                Some(out) => out.iter().any(|w| {
                    needed
                        .iter()
                        .any(|n| name_matches(w, n) || name_matches(n, w))
                }),
                None => true,
            };
        if used {
            keep[i] = true;
            any |= cmd.reads(&mut needed);
        }
    }
    commands
        .into_iter()
        .zip(keep)
        .filter_map(|(c, k)| k.then_some(c))
        .collect()
}

/// The fields a per-row command sets or moves; `None` when that is not known by name.
pub(super) fn writes(cmd: &Command) -> Option<Vec<String>> {
    Some(match cmd {
        Command::Eval(assigns) => assigns.iter().map(|(n, _)| n.clone()).collect(),
        // A rename also takes its source away.
        Command::Rename(pairs) => pairs
            .iter()
            .flat_map(|(from, to)| [from.clone(), to.clone()])
            .collect(),
        Command::Rex {
            mode: RexMode::Extract { names, .. },
            ..
        } => names.clone(),
        Command::Rex { field, .. } => vec![field.clone()],
        Command::Lookup(l) => l.outputs.iter().map(|(_, f)| f.clone()).collect(),
        Command::Convert { fields, .. } => fields.iter().map(|(_, d)| d.clone()).collect(),
        Command::Bin { out, .. } | Command::AddTotals { out, .. } => vec![out.clone()],
        Command::Fillnull { fields, .. } => fields.clone(),
        _ => return None,
    })
}

/// What a command does to the pushdown.
pub(super) enum Step {
    /// A filter on untainted fields: pushed.
    Filter,
    /// A filter that reads a tainted field: left to `finish`.
    SkipFilter,
    /// A per-row command whose outputs' taint is now known.
    Transform,
    /// A command the walk cannot follow.
    Stop,
}

/// The fields present after the grouping, each with whether it depends on an aggregate.
/// Absent fields are null in every group, so untainted.
#[derive(Default)]
pub(super) struct Taint {
    fields: FieldMap<bool>,
}

impl Taint {
    /// The fields right after `grouping`: its by-fields clean, its aggregates tainted.
    pub(super) fn after(grouping: &StatsCmd) -> Taint {
        let mut taint = Taint::default();
        for b in &grouping.by {
            taint.set(b, false);
        }
        for a in &grouping.aggs {
            taint.set(&a.out, true);
        }
        taint
    }

    /// Whether field `name` depends on an aggregate.
    pub(super) fn get(&self, name: &str) -> bool {
        self.fields.get(name) == Some(true)
    }

    fn set(&mut self, name: &str, tainted: bool) {
        self.fields.set(name, tainted);
    }

    fn any(&self) -> bool {
        self.fields.values().any(|t| t)
    }

    /// Whether what `cmd` reads depends on an aggregate.
    fn reads_tainted(&self, cmd: &Command) -> bool {
        let mut names = Vec::new();
        let wildcard = cmd.reads(&mut names);
        (wildcard && self.any()) || names.iter().any(|n| self.get(n))
    }

    /// Follow one command; what it is to the pushdown.
    pub(super) fn step(&mut self, cmd: &Command) -> Step {
        match cmd {
            Command::Search(_) | Command::Where(_) | Command::Regex { .. } => {
                if self.reads_tainted(cmd) {
                    Step::SkipFilter
                } else {
                    Step::Filter
                }
            }
            Command::Eval(assigns) => {
                for (name, e) in assigns {
                    let mut reads = Vec::new();
                    e.fields(&mut reads);
                    let t = reads.iter().any(|n| self.get(n));
                    self.set(name, t);
                }
                Step::Transform
            }
            Command::Rename(pairs) => {
                for (from, to) in pairs {
                    self.fields.rename(from, to);
                }
                Step::Transform
            }
            Command::Table(names) => {
                self.fields.select(names, false);
                Step::Transform
            }
            Command::Fields { remove, names } => {
                self.fields.select(names, *remove);
                Step::Transform
            }
            Command::Rex { field, mode, .. } => {
                let t = self.get(field);
                match mode {
                    RexMode::Extract { names, .. } => {
                        for n in names {
                            let t = t || self.get(n);
                            self.set(n, t);
                        }
                    }
                    RexMode::Sed { .. } => self.set(field, t),
                }
                Step::Transform
            }
            Command::Lookup(l) => {
                let t = l.inputs.iter().any(|(_, f)| self.get(f));
                for (_, f) in &l.outputs {
                    let t = t || self.get(f);
                    self.set(f, t);
                }
                Step::Transform
            }
            Command::Fillnull { fields, .. } if !fields.is_empty() => Step::Transform,
            Command::Convert { fields, .. } => {
                for (src, dst) in fields {
                    let t = self.get(src) || self.get(dst);
                    self.set(dst, t);
                }
                Step::Transform
            }
            Command::Bin { field, out, .. } => {
                let t = self.get(field) || self.get(out);
                self.set(out, t);
                Step::Transform
            }
            Command::AddTotals { out, .. } => {
                let t = self.reads_tainted(cmd) || self.get(out);
                self.set(out, t);
                Step::Transform
            }
            _ => Step::Stop,
        }
    }
}
