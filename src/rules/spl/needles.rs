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
use super::view::Key;
use crate::rules::Needle;

/// Shortest literal worth a needle.
pub(super) const MIN_LEN: usize = 3;

/// The raw EventData fields whose text a field's value is, or is a slice of (so a literal in
/// the value is in one of them); `None` when the value is not verbatim.
pub(super) fn source_fields(key: &Key) -> Option<Vec<String>> {
    match key {
        Key::Data {
            name,
            sys: None,
            alias,
        } => {
            let mut fields = vec![name.to_string()];
            if let Some(a) = alias {
                fields.extend(a.raw_sources()?.iter().map(|f| f.to_string()));
            }
            Some(fields)
        }
        Key::Alias(a) => Some(a.raw_sources()?.iter().map(|f| f.to_string()).collect()),
        _ => None,
    }
}

/// Whether a field's value appears verbatim in the event (so a literal in it is in the event).
pub(super) fn verbatim(key: &Key) -> bool {
    source_fields(key).is_some()
}

/// A literal an event must hold, and where: in one of these raw fields, or (`None`) in any
/// value of the event.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Lit {
    /// The literal, lower case.
    pub text: String,
    /// The fields it must be in; `None` for any value.
    pub within: Option<Vec<String>>,
}

impl Lit {
    /// A literal that may be in any value of the event.
    pub fn anywhere(text: String) -> Lit {
        Lit { text, within: None }
    }
}

impl AsRef<str> for Lit {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

fn literal(pattern: &super::wildcard::WildPattern) -> Option<String> {
    if !pattern.has_wildcard() && parse_num(pattern.source()).is_some() {
        return None;
    }
    let lit = pattern.longest_literal();
    // The pre-filter folds ASCII case only, and the matcher folds Unicode case beyond it
    // (`ÄBC.EXE` matches `äbc.exe`): a literal with other letters gives no needle.
    (lit.is_ascii() && lit.chars().count() >= MIN_LEN).then_some(lit)
}

/// Of two sets of literals (one of each must occur), the one whose shortest literal is longer:
/// it rules out more events. Ties keep `a`.
pub(super) fn stronger<T: AsRef<str>>(a: Option<Vec<T>>, b: Option<Vec<T>>) -> Option<Vec<T>> {
    let shortest = |v: &[T]| v.iter().map(|l| l.as_ref().len()).min().unwrap_or(0);
    match (a, b) {
        (Some(a), Some(b)) if shortest(&b) > shortest(&a) => Some(b),
        (Some(a), _) => Some(a),
        (None, b) => b,
    }
}

/// Literals one of which the event must hold for `s` to match, reading only the fields
/// `verbatim_field` gives sources for (`Some(None)`: any value of the event).
pub(super) fn needles_of(
    s: &Search,
    verbatim_field: &dyn Fn(&FieldRef) -> Option<Option<Vec<String>>>,
) -> Option<Vec<Lit>> {
    let lit = |field: &FieldRef, text: String| -> Option<Lit> {
        Some(Lit {
            text,
            within: verbatim_field(field)?,
        })
    };
    match s {
        Search::Cmp {
            field,
            op: Op::Eq,
            value,
        } => lit(field, literal(&value.pat)?).map(|l| vec![l]),
        Search::In { field, values } if !values.is_empty() => {
            values.iter().map(|v| lit(field, literal(v)?)).collect()
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
    let base = needles_of(&p.base, &|f: &FieldRef| source_fields(&f.key).map(Some));
    // Streaming commands before the grouping could change the by-values.
    let pushed = p
        .pushdown
        .as_ref()
        .filter(|_| p.streaming.is_empty())
        .and_then(|pd| pd.needles());
    let mut lits = stronger(base, pushed)?;
    lits.sort();
    lits.dedup();
    let mut out = Vec::new();
    for lit in lits {
        match lit.within {
            None => out.push(Needle {
                field: None,
                needle: lit.text,
            }),
            Some(fields) => out.extend(fields.into_iter().map(|f| Needle {
                field: Some(f),
                needle: lit.text.clone(),
            })),
        }
    }
    out.sort_by(|a, b| (&a.field, &a.needle).cmp(&(&b.field, &b.needle)));
    out.dedup();
    Some(out)
}
