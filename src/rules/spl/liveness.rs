//! Dead-field elimination for the commands `finish` runs: work whose result no later command
//! reads is dropped at compile time.
//!
//! Walking the commands from the last to the first, the set of *live* fields (those a later
//! command, or the hit, may read) is kept. At the end every field is live: result rows become
//! hits with all their fields. A grouping command (`stats`, `tstats`) resets the set to what it
//! reads, because its rows hold only its by-fields and aggregates. Then:
//! - an aggregate of `stats`/`tstats`/`eventstats` whose output is dead is not computed (an
//!   `eventstats` left with none is removed);
//! - an `eval` assignment or a `convert` whose destination is dead is removed.
//!
//! Splunk's `tstats count min(_time) as firstTime ... | stats max(len) by ...` builds and
//! formats `count` and `firstTime` for every group only to drop them: on a large log that is
//! most of the memory `finish` takes. The set only ever grows toward "every field" when a
//! command's reads are not known (wildcards, free-text search), so nothing read is removed.

use super::commands::Command;
use super::row::renamed;
use super::stats::StatsKind;
use std::collections::HashSet;

/// The live fields: `None` when every field may be read.
type Live = Option<HashSet<String>>;

/// Most live names followed; past it every field counts as live. A wildcard `rename` can
/// double the set (a name and the name it came from), so a hostile rule could otherwise make
/// it grow without bound.
const MAX_LIVE: usize = 4096;

/// Remove the aggregates, assignments and conversions of `commands` that nothing reads.
pub(super) fn prune(commands: &mut Vec<Command>) {
    let mut live: Live = None;
    let mut keep = vec![true; commands.len()];
    for (cmd, keep) in commands.iter_mut().zip(keep.iter_mut()).rev() {
        let (before, kept) = step(cmd, live);
        live = before;
        *keep = kept;
    }
    let mut keep = keep.into_iter();
    commands.retain(|_| keep.next().unwrap_or(true));
}

/// Prune one command given the fields live after it; returns the fields live before it and
/// whether the command stays.
fn step(cmd: &mut Command, live: Live) -> (Live, bool) {
    match cmd {
        Command::Stats(s) if !s.has_wildcards() => {
            if let Some(l) = &live {
                let by = &s.by;
                s.aggs.retain(|a| l.contains(&a.out) || by.contains(&a.out));
            }
            if s.kind == StatsKind::EventStats && s.aggs.is_empty() {
                return (live, false);
            }
            let grouping = s.kind != StatsKind::EventStats;
            (
                with_reads(cmd, if grouping { Some(HashSet::new()) } else { live }),
                true,
            )
        }
        Command::Eval(assigns) => {
            let Some(mut l) = live else {
                return (None, true);
            };
            let mut kept = Vec::with_capacity(assigns.len());
            for (name, expr) in std::mem::take(assigns).into_iter().rev() {
                if l.remove(&name) {
                    let mut reads = Vec::new();
                    expr.fields(&mut reads);
                    l.extend(reads);
                    kept.push((name, expr));
                }
            }
            kept.reverse();
            let stays = !kept.is_empty();
            *assigns = kept;
            (Some(l), stays)
        }
        Command::Convert { fields, .. } => {
            let Some(mut l) = live else {
                return (None, true);
            };
            // A conversion that fails leaves the destination as it was: it stays live.
            fields.retain(|(_, dst)| l.contains(dst));
            l.extend(fields.iter().map(|(src, _)| src.clone()));
            let stays = !fields.is_empty();
            (Some(l), stays)
        }
        Command::Rename(pairs) => (live.and_then(|l| before_renames(pairs, l)), true),
        Command::Table(names)
        | Command::Fields {
            remove: false,
            names,
        } => {
            let wild = names.iter().any(|n| n.contains('*'));
            ((!wild).then(|| names.iter().cloned().collect()), true)
        }
        _ => (with_reads(cmd, live), true),
    }
}

/// `live` plus what `cmd` reads (every field when its reads are not known).
fn with_reads(cmd: &Command, live: Live) -> Live {
    let mut reads = Vec::new();
    if cmd.reads(&mut reads) {
        return None;
    }
    live.map(|mut l| {
        l.extend(reads);
        l
    })
}

/// The fields live before `rename` pairs (applied in order): each live name keeps itself and
/// adds the name it was renamed from. `None` when a pattern's wildcards cannot be inverted.
fn before_renames(pairs: &[(String, String)], mut live: HashSet<String>) -> Live {
    for (from, to) in pairs.iter().rev() {
        let stars = from.matches('*').count();
        if stars > 1 || stars != to.matches('*').count() {
            return None;
        }
        let sources: Vec<String> = live.iter().filter_map(|n| renamed(to, from, n)).collect();
        live.extend(sources);
        if live.len() > MAX_LIVE {
            return None;
        }
    }
    Some(live)
}

#[cfg(test)]
mod tests {
    use super::super::commands::Command;
    use super::super::lookup::LookupSet;
    use super::super::macros::MacroTable;
    use super::super::pipeline::compile;

    /// The commands `finish` runs for `search`, each as its kind and the names it writes.
    fn rest(search: &str) -> Vec<String> {
        let pipelines = compile(search, &MacroTable::default(), &mut LookupSet::default())
            .unwrap_or_else(|e| panic!("{search}: {e}"));
        pipelines[0]
            .rest
            .iter()
            .map(|c| match c {
                Command::Stats(s) => {
                    let outs: Vec<&str> = s.aggs.iter().map(|a| a.out.as_str()).collect();
                    format!("stats {}", outs.join(","))
                }
                Command::Eval(a) => {
                    let outs: Vec<&str> = a.iter().map(|(n, _)| n.as_str()).collect();
                    format!("eval {}", outs.join(","))
                }
                Command::Convert { fields, .. } => {
                    let outs: Vec<&str> = fields.iter().map(|(_, d)| d.as_str()).collect();
                    format!("convert {}", outs.join(","))
                }
                other => format!("{other:?}")
                    .chars()
                    .take_while(|c| c.is_alphabetic())
                    .collect(),
            })
            .collect()
    }

    #[test]
    fn aggregates_and_assignments_nothing_reads_are_dropped() {
        // The shape of Splunk's "Unusually Long Command Line".
        let search = "| tstats count min(_time) as firstTime max(_time) as lastTime \
            from datamodel=Endpoint.Processes by Processes.user Processes.dest Processes.process \
            | rename Processes.* as * | convert ctime(firstTime) | convert ctime(lastTime) \
            | eval len=len(process), unused=1 | eventstats avg(len) as avg, max(len) as top by dest \
            | stats max(len) as maxlen, values(avg) as avg by dest, user, process \
            | where maxlen > avg";
        assert_eq!(
            rest(search),
            [
                "stats ",
                "Rename",
                "eval len",
                "stats avg",
                "stats maxlen,avg",
                "Where"
            ]
        );
    }

    #[test]
    fn what_the_result_or_a_later_command_reads_stays() {
        // Results keep every field: nothing after the last grouping is pruned.
        assert_eq!(
            rest("| tstats count from datamodel=Endpoint.Processes by Processes.dest | eval x=1"),
            ["stats count", "eval x"]
        );
        // Read by a filter, a sort, a join key or a later assignment.
        let search = "| tstats count min(_time) as first max(_time) as last \
            from datamodel=Endpoint.Processes by Processes.dest \
            | eval a=count, b=a | sort first | where b > 1 | stats count by dest, last";
        assert_eq!(
            rest(search),
            [
                "stats count,first,last",
                "eval a,b",
                "Sort",
                "Where",
                "stats count"
            ]
        );
        // `table` keeps what it names; a free-text search reads every field.
        assert_eq!(
            rest("| tstats count min(_time) as t from datamodel=Endpoint.Processes by Processes.dest | table count"),
            ["stats count", "Table"]
        );
        assert_eq!(
            rest("| tstats count min(_time) as t from datamodel=Endpoint.Processes by Processes.dest | search foo | table count"),
            ["stats count,t", "Search", "Table"]
        );
    }

    #[test]
    fn renames_are_followed_back() {
        let search = "| tstats count min(_time) as firstTime from datamodel=Endpoint.Processes \
            by Processes.dest | rename Processes.* as *, firstTime as first_seen \
            | table dest first_seen";
        assert_eq!(rest(search), ["stats firstTime", "Rename", "Table"]);
        // Two wildcards cannot be followed back: every field stays live.
        let search = "| tstats count from datamodel=Endpoint.Processes by Processes.dest \
            | rename *.* as *_* | table dest";
        assert_eq!(rest(search), ["stats count", "Rename", "Table"]);
        // Alternating `rename a* as *` and `rename b* as *` double the live names; past the cap
        // every field is live (a hostile rule cannot make the set grow without bound).
        let renames = " | rename a* as * | rename b* as *".repeat(8);
        let search = format!(
            "| tstats count from datamodel=Endpoint.Processes by Processes.dest{renames} | table dest"
        );
        assert_eq!(rest(&search)[0], "stats count");
        let renames = " | rename a* as * | rename b* as *".repeat(2);
        let search = format!(
            "| tstats count from datamodel=Endpoint.Processes by Processes.dest{renames} | table dest"
        );
        assert_eq!(rest(&search)[0], "stats ");
    }
}
