//! Event ids a detection requires, folded into the rule's scope.
//!
//! Many rules name their event ids in the detection, not the log source (`service: security`
//! with `EventID: 1102`). Left there, dispatch would offer such a rule every event of its
//! channel, and the check would reject all but a few. When every way to satisfy the condition
//! tests `EventID` against plain numbers, those numbers are a necessary part of any match, and
//! narrowing the scope to them changes no result: dispatch then indexes the rule by event id,
//! and the reader can skip records of ids no rule needs.

use super::detection::{Detection, Item, Target};
use super::item::ItemTest;
use super::requirement::{self, Requirement};
use crate::rules::{Scope, SourceFilter};
use std::collections::BTreeSet;

/// The field every view reads as the record's `System/EventID` number.
const EVENT_ID: &str = "EventID";

/// The event ids some match of the detection must have, or `None` when any id could match.
/// `names` are the detection's field names by slot.
pub fn required(det: &Detection, names: &[String]) -> Option<BTreeSet<u32>> {
    requirement::of_detection(det, &|it: &Item| of_item(it, names)).map(|ids| ids.0)
}

/// Narrow a scope to the event ids `ids` (from [`required`]). An alternative that already
/// lists ids keeps those in `ids`; one left with none cannot match, and is dropped. When every
/// alternative would be dropped the scope is left alone (the rule can never match; dispatch
/// does not need to know).
pub fn narrow(scope: &mut Scope, ids: &BTreeSet<u32>) {
    if ids.is_empty() {
        return;
    }
    if scope.any_of.is_empty() {
        scope.any_of.push(SourceFilter {
            event_ids: ids.iter().copied().collect(),
            ..SourceFilter::default()
        });
        return;
    }
    let narrowed: Vec<SourceFilter> = scope
        .any_of
        .iter()
        .filter_map(|f| {
            let event_ids: Vec<u32> = if f.event_ids.is_empty() {
                ids.iter().copied().collect()
            } else {
                f.event_ids
                    .iter()
                    .copied()
                    .filter(|i| ids.contains(i))
                    .collect()
            };
            (!event_ids.is_empty()).then(|| SourceFilter {
                event_ids,
                ..f.clone()
            })
        })
        .collect();
    if !narrowed.is_empty() {
        scope.any_of = narrowed;
    }
}

fn of_item(item: &Item, names: &[String]) -> Option<Ids> {
    let Target::Field(slot) = item.target else {
        return None;
    };
    if names.get(slot).map(String::as_str) != Some(EVENT_ID) {
        return None;
    }
    match &item.test {
        ItemTest::Strings(set) => Some(Ids(set.only_numbers()?.into_iter().collect())),
        _ => None,
    }
}

/// Event ids one of which a match has.
struct Ids(BTreeSet<u32>);

impl Requirement for Ids {
    /// Parts that must all hold: the ids every one of them allows.
    fn all(parts: Vec<Ids>) -> Option<Ids> {
        parts
            .into_iter()
            .reduce(|a, b| Ids(a.0.intersection(&b.0).copied().collect()))
    }

    /// Alternatives: the ids any of them allows.
    fn any(alternatives: Vec<Ids>) -> Option<Ids> {
        alternatives.into_iter().reduce(|mut a, b| {
            a.0.extend(b.0);
            a
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::sigma::detection;
    use crate::rules::sigma::rule::Compiler;

    fn ids(yaml: &str) -> Option<Vec<u32>> {
        let block: serde_yaml_ng::Value = serde_yaml_ng::from_str(yaml).unwrap();
        let mut c = Compiler::new(None);
        let det = detection::compile(&block, &mut c).unwrap();
        required(&det, &c.names).map(|s| s.into_iter().collect())
    }

    #[test]
    fn plain_ids_in_every_branch_are_required() {
        assert_eq!(ids("sel: {EventID: 16}\ncondition: sel"), Some(vec![16]));
        assert_eq!(
            ids("a: {EventID: 517, Provider_Name: Security}\nb: {EventID: '1102'}\ncondition: 1 of *"),
            Some(vec![517, 1102])
        );
        assert_eq!(
            ids("a: [{EventID: [4624, 4625]}, {EventID: 4648}]\nf: {User: x}\ncondition: a and not f"),
            Some(vec![4624, 4625, 4648])
        );
        assert_eq!(
            ids("a: {EventID: [1, 2, 3]}\nb: {EventID: [2, 3, 4]}\ncondition: a and b"),
            Some(vec![2, 3])
        );
        assert_eq!(
            ids("a: {EventID: 1}\nb: {EventID: 2}\ncondition: all of them"),
            Some(vec![])
        );
    }

    #[test]
    fn anything_that_could_match_another_id_is_unknown() {
        // A branch without EventID.
        assert_eq!(
            ids("a: {EventID: 1}\nb: {Image: x}\ncondition: a or b"),
            None
        );
        assert_eq!(ids("a: [{EventID: 1}, {Image: x}]\ncondition: a"), None);
        // Negation, wildcards, other spellings, modifiers, other names.
        assert_eq!(ids("a: {EventID: 1}\ncondition: not a"), None);
        assert_eq!(ids("a: {EventID: '4*'}\ncondition: a"), None);
        assert_eq!(ids("a: {EventID: '016'}\ncondition: a"), None);
        assert_eq!(ids("a: {EventID|contains: '16'}\ncondition: a"), None);
        assert_eq!(ids("a: {EventID|gt: 16}\ncondition: a"), None);
        assert_eq!(ids("a: {eventid: 16}\ncondition: a"), None);
        assert_eq!(ids("a: {EventID: -1}\ncondition: a"), None);
        assert_eq!(ids("a: {EventID: 1}\ncondition: 0 of a"), None);
    }

    #[test]
    fn narrowing_keeps_only_alternatives_that_can_match() {
        let set: BTreeSet<u32> = [1, 4688].into_iter().collect();
        let mut scope = Scope {
            any_of: vec![
                SourceFilter {
                    channels: vec!["Microsoft-Windows-Sysmon/Operational".into()],
                    event_ids: vec![1],
                    ..SourceFilter::default()
                },
                SourceFilter {
                    channels: vec!["Security".into()],
                    event_ids: vec![4689],
                    ..SourceFilter::default()
                },
                SourceFilter {
                    channels: vec!["System".into()],
                    ..SourceFilter::default()
                },
            ],
        };
        narrow(&mut scope, &set);
        assert_eq!(scope.any_of.len(), 2);
        assert_eq!(scope.any_of[0].event_ids, vec![1]);
        assert_eq!(scope.any_of[1].channels, vec!["System".to_string()]);
        assert_eq!(scope.any_of[1].event_ids, vec![1, 4688]);

        let mut everything = Scope::everything();
        narrow(&mut everything, &set);
        assert_eq!(everything.any_of[0].event_ids, vec![1, 4688]);

        // Nothing can match: the scope is left as it was.
        let sysmon_only = Scope {
            any_of: scope.any_of[..1].to_vec(),
        };
        let mut unchanged = sysmon_only.clone();
        narrow(&mut unchanged, &BTreeSet::from([7]));
        narrow(&mut unchanged, &BTreeSet::new());
        assert_eq!(unchanged, sysmon_only);
    }
}
