//! Literals a detection provably needs, for the dispatcher's pre-filter.
//!
//! Taken from one top-level conjunct of the base search: `field=value` or `field IN (...)`
//! (or an `OR` of them) over fields whose value appears verbatim in the event (raw EventData
//! fields and the aliases that are a slice of one: process name, path, command line...). Each
//! value gives its longest literal piece; the conjunct whose shortest piece is longest wins.
//! Numeric values and fields the add-ons transform (hex ids, integrity levels, composed user
//! names, constants) never give needles.

use super::pipeline::Pipeline;
use super::search::{FieldRef, Op, Search};
use super::value::parse_num;
use super::view::{Alias, Key};
use crate::rules::Needle;

/// Shortest literal worth a needle.
pub(super) const MIN_LEN: usize = 3;

/// Whether a field's value appears verbatim in the event (so a literal in it is in the event).
pub(super) fn verbatim(key: &Key) -> bool {
    let alias_ok = |a: &Alias| {
        matches!(
            a,
            Alias::ProcessName
                | Alias::ProcessPath
                | Alias::Process
                | Alias::ParentProcessName
                | Alias::ParentProcessPath
                | Alias::ParentProcess
                | Alias::OriginalFileName
                | Alias::ProcessGuid
                | Alias::ParentProcessGuid
                | Alias::ProcessHash
                | Alias::CurrentDirectory
                | Alias::Query
                | Alias::Answer
                | Alias::RegistryPath
                | Alias::RegistryKeyName
                | Alias::RegistryValueName
                | Alias::RegistryValueData
                | Alias::FilePath
                | Alias::FileName
        )
    };
    match key {
        Key::Data {
            sys: None, alias, ..
        } => alias.as_ref().is_none_or(alias_ok),
        Key::Alias(a) => alias_ok(a),
        _ => false,
    }
}

fn literal(pattern: &super::wildcard::WildPattern) -> Option<String> {
    if !pattern.has_wildcard() && parse_num(pattern.source()).is_some() {
        return None;
    }
    let lit = pattern.longest_literal();
    (lit.chars().count() >= MIN_LEN).then_some(lit)
}

/// Of two sets of literals (one of each must occur), the one whose shortest literal is longer:
/// it rules out more events. Ties keep `a`.
pub(super) fn stronger(a: Option<Vec<String>>, b: Option<Vec<String>>) -> Option<Vec<String>> {
    let shortest = |v: &[String]| v.iter().map(String::len).min().unwrap_or(0);
    match (a, b) {
        (Some(a), Some(b)) if shortest(&b) > shortest(&a) => Some(b),
        (Some(a), _) => Some(a),
        (None, b) => b,
    }
}

/// Literals one of which a value of the event must hold for `s` to match, reading only the
/// fields `verbatim_field` accepts.
pub(super) fn needles_of(
    s: &Search,
    verbatim_field: &dyn Fn(&FieldRef) -> bool,
) -> Option<Vec<String>> {
    match s {
        Search::Cmp {
            field,
            op: Op::Eq,
            value,
        } if verbatim_field(field) => literal(&value.pat).map(|l| vec![l]),
        Search::In { field, values } if verbatim_field(field) && !values.is_empty() => {
            values.iter().map(literal).collect()
        }
        Search::Or(v) => {
            let mut all = Vec::new();
            for x in v {
                all.extend(needles_of(x, verbatim_field)?);
            }
            Some(all)
        }
        Search::And(v) => v.iter().fold(None, |best, x| {
            stronger(needles_of(x, verbatim_field), best)
        }),
        _ => None,
    }
}

/// The needles of a pipeline: its base search's, or its pushed-down filters' when those are
/// longer (both must hold for an event to pass `check`).
pub fn needles(p: &Pipeline) -> Option<Vec<Needle>> {
    let base = needles_of(&p.base, &|f: &FieldRef| verbatim(&f.key));
    // Streaming commands before the grouping could change the by-values.
    let pushed = p
        .pushdown
        .as_ref()
        .filter(|_| p.streaming.is_empty())
        .and_then(|pd| pd.needles());
    let mut lits = stronger(base, pushed)?;
    lits.sort();
    lits.dedup();
    Some(
        lits.into_iter()
            .map(|needle| Needle {
                field: None,
                needle,
            })
            .collect(),
    )
}
