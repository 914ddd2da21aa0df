//! Literals an event needs to pass a detection's pushed-down filters (super::pushdown), for the
//! dispatcher's pre-filter.
//!
//! A pushed filter runs on the group an event would form alone, whose by-values are the
//! event's own field values. When a filter can only pass if a by-value that is a verbatim
//! event value holds some literal, the event must hold it too, and the pre-filter can skip the
//! detection on events without it:
//! - `search process="*x*"` / `process IN (...)` on such a by-field: the pattern's longest
//!   literal (as for the base search, super::needles);
//! - `regex process="\x{202E}"`: the regex's longest required literal, when it has one that
//!   case folding cannot change;
//! - a `lookup` keyed on such a by-field followed by a filter that fails whenever the lookup
//!   found nothing (`where ishandler="TRUE"`, `search description!=false`): the literals of the
//!   table's key column (any of them).
//!
//! Names are followed through `rename`; a field an `eval` or another command writes is no
//! longer verbatim. A literal the grouping's fill value (`fillnull_value=null`) holds gives no
//! needle, since an event without the field still has a group with that value.

use super::commands::{Command, LookupCmd};
use super::exec;
use super::needles::{needles_of, verbatim, MIN_LEN};
use super::row::{name_matches, renamed, Row};
use super::search::FieldRef;
use super::stats::StatsCmd;
use super::value::Value;
use regex_syntax::hir::{Hir, HirKind};

/// Most literals taken from one lookup table.
const MAX_TABLE_LITERALS: usize = 4096;

/// Where a field's value comes from.
#[derive(Clone, Copy, PartialEq)]
enum Origin {
    /// A by-value that is an event value verbatim.
    Verbatim,
    /// An output of the lookup at this command index, keyed on a verbatim field.
    LookupOutput(usize),
    /// Anything else.
    Other,
}

/// The best set of literals (one of which the event must hold) the pushed commands give.
pub(super) fn needles(
    grouping: &StatsCmd,
    by_refs: &[FieldRef],
    commands: &[Command],
) -> Option<Vec<String>> {
    let mut fields: Vec<(String, Origin)> = Vec::new();
    for (name, r) in grouping.by.iter().zip(by_refs) {
        let origin = if name != "_time" && verbatim(&r.key) {
            Origin::Verbatim
        } else {
            Origin::Other
        };
        fields.push((name.clone(), origin));
    }
    for a in &grouping.aggs {
        set(&mut fields, &a.out, Origin::Other);
    }
    let fill = grouping.fill_null.as_deref().unwrap_or("").to_lowercase();
    let mut best: Option<Vec<String>> = None;
    for (i, cmd) in commands.iter().enumerate() {
        let found = match cmd {
            Command::Search(s) => needles_of(s, &|f: &FieldRef| {
                origin(&fields, &f.name) == Origin::Verbatim
            }),
            Command::Regex {
                field,
                regex,
                negate: false,
            } if origin(&fields, field) == Origin::Verbatim => {
                regex_literal(regex.as_str()).map(|l| vec![l])
            }
            _ => None,
        };
        let found = found.or_else(|| lookup_filter(cmd, commands, &fields));
        if let Some(found) = found.filter(|f| !f.iter().any(|n| fill.contains(n.as_str()))) {
            best = Some(better(best, found));
        }
        if !follow(&mut fields, i, cmd) {
            break;
        }
    }
    best
}

/// Of two sets, the one whose shortest literal is longer.
fn better(a: Option<Vec<String>>, b: Vec<String>) -> Vec<String> {
    let shortest = |v: &[String]| v.iter().map(String::len).min().unwrap_or(0);
    match a {
        Some(a) if shortest(&a) >= shortest(&b) => a,
        _ => b,
    }
}

fn origin(fields: &[(String, Origin)], name: &str) -> Origin {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map_or(Origin::Other, |(_, o)| *o)
}

fn set(fields: &mut Vec<(String, Origin)>, name: &str, o: Origin) {
    match fields.iter_mut().find(|(n, _)| n == name) {
        Some((_, x)) => *x = o,
        None => fields.push((name.to_string(), o)),
    }
}

/// Update the fields' origins past `cmd` (at index `i`); `false` when they can no longer be
/// followed.
fn follow(fields: &mut Vec<(String, Origin)>, i: usize, cmd: &Command) -> bool {
    match cmd {
        Command::Search(_) | Command::Where(_) | Command::Regex { .. } => {}
        Command::Rename(pairs) => {
            for (from, to) in pairs {
                let mut moves = Vec::new();
                for (n, o) in fields.iter() {
                    let target = if from.contains('*') {
                        renamed(from, to, n)
                    } else {
                        (n == from).then(|| to.to_string())
                    };
                    if let Some(t) = target.filter(|t| t != n) {
                        moves.push((n.clone(), t, *o));
                    }
                }
                for (old, new, o) in moves {
                    fields.retain(|(n, _)| *n != old && *n != new);
                    fields.push((new, o));
                }
            }
        }
        Command::Lookup(l) => {
            let keyed = l
                .inputs
                .first()
                .is_some_and(|(_, f)| origin(fields, f) == Origin::Verbatim);
            for (_, out) in &l.outputs {
                // Only a field absent before holds exactly what the lookup set.
                let absent = !fields.iter().any(|(n, _)| n == out);
                let o = if keyed && absent {
                    Origin::LookupOutput(i)
                } else {
                    Origin::Other
                };
                set(fields, out, o);
            }
        }
        Command::Table(names)
        | Command::Fields {
            remove: false,
            names,
        } => fields.retain(|(n, _)| names.iter().any(|p| name_matches(p, n))),
        Command::Fields {
            remove: true,
            names,
        } => fields.retain(|(n, _)| !names.iter().any(|p| name_matches(p, n))),
        Command::Eval(assigns) => {
            for (name, _) in assigns {
                set(fields, name, Origin::Other);
            }
        }
        Command::Rex { .. }
        | Command::Convert { .. }
        | Command::Bin { .. }
        | Command::AddTotals { .. }
        | Command::Fillnull { .. } => {
            let mut written = Vec::new();
            if !writes_named(cmd, &mut written) {
                return false;
            }
            for name in written {
                set(fields, &name, Origin::Other);
            }
        }
        _ => return false,
    }
    true
}

/// The fields `cmd` may write, by name; `false` when not known.
fn writes_named(cmd: &Command, out: &mut Vec<String>) -> bool {
    use super::commands::RexMode;
    match cmd {
        Command::Rex {
            mode: RexMode::Extract { names, .. },
            ..
        } => out.extend(names.iter().cloned()),
        Command::Rex { field, .. } => out.push(field.clone()),
        Command::Convert { fields, .. } => out.extend(fields.iter().map(|(_, d)| d.clone())),
        Command::Bin { out: o, .. } | Command::AddTotals { out: o, .. } => out.push(o.clone()),
        Command::Fillnull { fields, .. } if !fields.is_empty() => out.extend(fields.clone()),
        _ => return false,
    }
    true
}

/// For a filter that reads only the outputs of one keyed lookup and fails when that lookup
/// found nothing: the literals of the lookup table's key column.
fn lookup_filter(
    cmd: &Command,
    commands: &[Command],
    fields: &[(String, Origin)],
) -> Option<Vec<String>> {
    if !matches!(cmd, Command::Search(_) | Command::Where(_)) {
        return None;
    }
    let mut reads = Vec::new();
    if cmd.reads(&mut reads) || reads.is_empty() {
        return None;
    }
    let mut at = None;
    for name in &reads {
        match origin(fields, name) {
            Origin::LookupOutput(i) if at.is_none_or(|a| a == i) => at = Some(i),
            _ => return None,
        }
    }
    let Some(Command::Lookup(l)) = commands.get(at?) else {
        return None;
    };
    let mut row = Row::plain(no_match_outputs(l), Vec::new());
    if exec::apply(cmd, &mut row) {
        return None;
    }
    let (key_column, _) = l.inputs.first()?;
    l.table
        .key_literals(*key_column, MIN_LEN, MAX_TABLE_LITERALS)
}

/// The output fields a lookup that found nothing leaves (as `exec` applies it).
fn no_match_outputs(l: &LookupCmd) -> Vec<(String, Value)> {
    match &l.table.default_match {
        Some(d) if l.table.min_matches > 0 => l
            .outputs
            .iter()
            .map(|(_, f)| (f.clone(), Value::Str(d.clone())))
            .collect(),
        _ => Vec::new(),
    }
}

/// The longest literal every match of `pattern` contains, lower case, when case folding
/// cannot change it and it is long enough.
fn regex_literal(pattern: &str) -> Option<String> {
    let hir = regex_syntax::Parser::new().parse(pattern).ok()?;
    let lit = longest_required(&hir)?;
    let text = String::from_utf8(lit).ok()?;
    let caseless = |c: char| c.is_ascii() || (c.to_lowercase().eq([c]) && c.to_uppercase().eq([c]));
    let long_enough = text.len() >= MIN_LEN;
    (long_enough && text.chars().all(caseless)).then(|| text.to_ascii_lowercase())
}

/// The longest literal a match of `hir` must contain: the whole of a literal, or the longest
/// literal item of a concatenation (captures looked through).
fn longest_required(hir: &Hir) -> Option<Vec<u8>> {
    match hir.kind() {
        HirKind::Literal(l) => Some(l.0.to_vec()),
        HirKind::Capture(c) => longest_required(&c.sub),
        HirKind::Concat(items) => items
            .iter()
            .filter_map(longest_required)
            .max_by_key(Vec::len),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::regex_literal;

    #[test]
    fn regex_literals() {
        assert_eq!(regex_literal("\\x{202E}").as_deref(), Some("\u{202e}"));
        assert_eq!(
            regex_literal("a+Invoke-Mimi(katz)?").as_deref(),
            Some("invoke-mimi")
        );
        assert_eq!(regex_literal("(?i)invoke"), None);
        assert_eq!(regex_literal("foo|barbaz"), None);
        assert_eq!(regex_literal("\u{c9}cole"), None);
        assert_eq!(regex_literal("ab"), None);
    }
}
