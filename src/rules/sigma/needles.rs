//! Pre-filter literals: a set of strings of which a rule provably needs at least one.
//!
//! Derived from the condition: a selection needs what one of its ANDed items needs (the most
//! selective), an OR needs the union of what its parts need, and `not` needs nothing provable.
//! An item yields literals only when every value it ORs has one. Fields read under another
//! name on Security 4688 give needles on any field; derived 4688 values (`User`, `ProcessId`,
//! `IntegrityLevel`, `LogonId`) and System values give none.

use super::detection::{Detection, Item, Target};
use super::fields::{Access, View};
use super::item::ItemTest;
use super::requirement::{self, Requirement};
use crate::rules::Needle;

/// Most needles a rule reports. The automaton takes thousands of patterns at no cost per
/// event; the bound only keeps hostile rules from building huge sets.
const MAX_NEEDLES: usize = 2048;

/// The needles of a compiled rule, or `None` when no literal is provably required.
pub fn of_rule(det: &Detection, direct: &View, alt: Option<&View>) -> Option<Vec<Needle>> {
    let set = requirement::of_detection(det, &|it: &Item| item(it, direct, alt))?.0;
    (!set.is_empty() && set.len() <= MAX_NEEDLES).then_some(set)
}

/// Needles one of which a match holds.
struct Set(Vec<Needle>);

impl Requirement for Set {
    /// Parts that must all hold: the most selective part's needles (longest shortest needle,
    /// then fewest needles).
    fn all(parts: Vec<Set>) -> Option<Set> {
        parts
            .into_iter()
            .filter(|s| !s.0.is_empty())
            .max_by_key(|s| {
                let shortest = s.0.iter().map(|n| n.needle.len()).min().unwrap_or(0);
                (shortest.min(8), usize::MAX - s.0.len())
            })
    }

    /// Alternatives: all their needles, when there are not too many.
    fn any(alternatives: Vec<Set>) -> Option<Set> {
        let mut out: Vec<Needle> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for n in alternatives.into_iter().flat_map(|s| s.0) {
            if seen.insert(n.clone()) {
                out.push(n);
                if out.len() > MAX_NEEDLES {
                    return None;
                }
            }
        }
        Some(Set(out))
    }
}

fn item(it: &Item, direct: &View, alt: Option<&View>) -> Option<Set> {
    let lits: Vec<&str> = match &it.test {
        ItemTest::Strings(set) => set.required_literals()?,
        ItemTest::Regex { literals, all, .. } => regex_needles(literals, *all)?,
        _ => return None,
    };
    // The fields the literal must be in (`None`: some value of the event).
    let fields: Vec<Option<String>> = match it.target {
        Target::Keywords => vec![None],
        Target::Field(slot) => {
            let Access::Named(name) = direct.access.get(slot)? else {
                return None;
            };
            match alt.and_then(|v| v.access.get(slot)) {
                // Unnamed `Data` elements repeat: say "some value" rather than one field.
                _ if &**name == "Data" => vec![None],
                None | Some(Access::Absent) => vec![Some(name.to_string())],
                Some(Access::Named(other)) if other == name => vec![Some(name.to_string())],
                // Read under another raw name on 4688 (`Image` as `NewProcessName`): the
                // literal is in one of the two fields.
                Some(Access::Named(other)) => vec![Some(name.to_string()), Some(other.to_string())],
                Some(_) => return None,
            }
        }
    };
    Some(Set(lits
        .into_iter()
        .flat_map(|l| {
            fields.iter().map(move |f| Needle {
                field: f.clone(),
                needle: l.to_string(),
            })
        })
        .collect()))
}

/// The literals of `re` values: one of each regex's set (ORed), or the best set (ANDed).
fn regex_needles(literals: &[Option<Vec<String>>], all: bool) -> Option<Vec<&str>> {
    fn as_strs(l: &[String]) -> Vec<&str> {
        l.iter().map(String::as_str).collect()
    }
    if all {
        return literals
            .iter()
            .flatten()
            .max_by_key(|l| l.iter().map(String::len).min().unwrap_or(0))
            .map(|l| as_strs(l));
    }
    let mut out = Vec::new();
    for l in literals {
        out.extend(as_strs(l.as_ref()?));
    }
    Some(out)
}
