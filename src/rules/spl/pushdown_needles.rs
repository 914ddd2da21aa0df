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
use super::field_map::FieldMap;
use super::needles::{needles_of, stronger, verbatim, Lit, MIN_LEN};
use super::pushdown::writes;
use super::row::{field_name, FieldName, Row};
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
) -> Option<Vec<Lit>> {
    let mut fields: FieldMap<Origin> = FieldMap::default();
    for (name, r) in grouping.by.iter().zip(by_refs) {
        let origin = if name != "_time" && verbatim(&r.key) {
            Origin::Verbatim
        } else {
            Origin::Other
        };
        fields.set(name, origin);
    }
    for a in &grouping.aggs {
        fields.set(&a.out, Origin::Other);
    }
    let fill = grouping.fill_null.as_deref().unwrap_or("").to_lowercase();
    let mut best: Option<Vec<Lit>> = None;
    for (i, cmd) in commands.iter().enumerate() {
        let found = match cmd {
            // By-values are followed by name through renames, not to their raw fields: their
            // literals may be in any value.
            Command::Search(s) => needles_of(s, &|f: &FieldRef| {
                (origin(&fields, &f.name) == Origin::Verbatim).then_some(None)
            }),
            Command::Regex {
                field,
                regex,
                negate: false,
            } if origin(&fields, field) == Origin::Verbatim => {
                regex_literal(regex.as_str()).map(|l| vec![Lit::anywhere(l)])
            }
            _ => None,
        };
        let found = found.or_else(|| {
            lookup_filter(cmd, commands, &fields)
                .map(|lits| lits.into_iter().map(Lit::anywhere).collect())
        });
        let found = found.filter(|f| !f.iter().any(|n| fill.contains(n.text.as_str())));
        best = stronger(best, found);
        if !follow(&mut fields, i, cmd) {
            break;
        }
    }
    best
}

fn origin(fields: &FieldMap<Origin>, name: &str) -> Origin {
    fields.get(name).unwrap_or(Origin::Other)
}

/// Update the fields' origins past `cmd` (at index `i`); `false` when they can no longer be
/// followed.
fn follow(fields: &mut FieldMap<Origin>, i: usize, cmd: &Command) -> bool {
    match cmd {
        Command::Search(_) | Command::Where(_) | Command::Regex { .. } => {}
        Command::Rename(pairs) => {
            for (from, to) in pairs {
                fields.rename(from, to);
            }
        }
        Command::Table(names) => fields.select(names, false),
        Command::Fields { remove, names } => fields.select(names, *remove),
        Command::Lookup(l) => {
            let keyed = l
                .inputs
                .first()
                .is_some_and(|(_, f)| origin(fields, f) == Origin::Verbatim);
            for (_, out) in &l.outputs {
                // Only a field absent before holds exactly what the lookup set.
                let o = if keyed && fields.get(out).is_none() {
                    Origin::LookupOutput(i)
                } else {
                    Origin::Other
                };
                fields.set(out, o);
            }
        }
        // Whatever else a pushed command writes is no longer an event value.
        _ => match writes(cmd) {
            Some(written) => written.iter().for_each(|n| fields.set(n, Origin::Other)),
            None => return false,
        },
    }
    true
}

/// For a filter that reads only the outputs of one keyed lookup and fails when that lookup
/// found nothing: the literals of the lookup table's key column.
fn lookup_filter(
    cmd: &Command,
    commands: &[Command],
    fields: &FieldMap<Origin>,
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
fn no_match_outputs(l: &LookupCmd) -> Vec<(FieldName, Value)> {
    match &l.table.default_match {
        Some(d) if l.table.min_matches > 0 => l
            .outputs
            .iter()
            .map(|(_, f)| (field_name(f), Value::Str(d.clone())))
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
