//! Compile-time rewriting of search expressions for speed, without changing what they match.
//!
//! - Nested `AND`s and `OR`s are flattened.
//! - The `OR` alternatives that test one field by pattern (`f=a OR f=b OR f IN (c, d)`)
//!   become one `IN`, so the field is read once. Macros such as `process_powershell` expand to
//!   such chains.
//! - The conjuncts of an `AND` are ordered cheapest first: System fields before EventData,
//!   short fields (names, paths) before command lines and script blocks, exact values before
//!   substring searches. Every test is a pure predicate, so the order cannot change the
//!   result; it only decides how soon a non-match stops the evaluation.

use super::search::{FieldRef, Op, Search};
use super::view::{Alias, Key};
use super::wildcard::{WildPattern, WildSet};

/// Rewrite a search for faster evaluation.
pub fn optimize(s: Search) -> Search {
    match s {
        Search::And(items) => {
            let mut flat = Vec::with_capacity(items.len());
            for item in items.into_iter().map(optimize) {
                match item {
                    Search::And(inner) => flat.extend(inner),
                    Search::True => {}
                    other => flat.push(other),
                }
            }
            flat.sort_by_key(cost);
            match flat.len() {
                0 => Search::True,
                1 => flat.pop().unwrap_or(Search::True),
                _ => Search::And(flat),
            }
        }
        Search::Or(items) => {
            let mut flat: Vec<Search> = Vec::with_capacity(items.len());
            for item in items.into_iter().map(optimize) {
                match item {
                    Search::Or(inner) => flat.extend(inner),
                    other => flat.push(other),
                }
            }
            let merged = merge_same_field(flat);
            match merged.len() {
                1 => merged.into_iter().next().unwrap_or(Search::True),
                _ => Search::Or(merged),
            }
        }
        Search::Not(inner) => Search::Not(Box::new(optimize(*inner))),
        other => other,
    }
}

/// The patterns of a pure pattern test (`f=p` without numeric equality, or `f IN (...)`).
fn pattern_test(s: &Search) -> Option<(&FieldRef, Vec<WildPattern>)> {
    match s {
        Search::Cmp {
            field,
            op: Op::Eq,
            value,
        } if value.num.is_none() || value.pat.has_wildcard() => {
            Some((field, vec![value.pat.clone()]))
        }
        Search::In { field, values } => Some((field, values.to_vec())),
        _ => None,
    }
}

fn merge_same_field(items: Vec<Search>) -> Vec<Search> {
    let mut out: Vec<Search> = Vec::with_capacity(items.len());
    for item in items {
        if let Some((field, pats)) = pattern_test(&item) {
            let target = out.iter_mut().find(|o| match pattern_test(o) {
                Some((f, _)) => f.name == field.name && f.key == field.key,
                None => false,
            });
            if let Some(existing) = target {
                let (f, mut all) = match pattern_test(existing) {
                    Some((f, p)) => (f.clone(), p),
                    None => continue,
                };
                all.extend(pats);
                *existing = Search::In {
                    field: f,
                    values: WildSet::new(all),
                };
                continue;
            }
        }
        out.push(item);
    }
    out
}

fn field_cost(key: &Key) -> u32 {
    match key {
        Key::Sys(_) => 1,
        Key::Alias(a) | Key::Data { alias: Some(a), .. } => alias_cost(*a),
        Key::Data { name, .. } => match &**name {
            "CommandLine" | "ParentCommandLine" | "ScriptBlockText" | "Payload" | "ContextInfo" => {
                8
            }
            _ => 3,
        },
        Key::Missing => 0,
    }
}

fn alias_cost(a: Alias) -> u32 {
    match a {
        Alias::Process | Alias::ParentProcess => 8,
        Alias::User | Alias::IntegrityLevel | Alias::ProcessId | Alias::ParentProcessId => 5,
        _ => 3,
    }
}

fn pattern_cost(p: &WildPattern) -> u32 {
    if p.has_wildcard() {
        3
    } else {
        1
    }
}

/// A rough evaluation cost, to order conjuncts.
fn cost(s: &Search) -> u32 {
    match s {
        Search::True => 0,
        Search::Cmp { field, value, .. } => field_cost(&field.key) * pattern_cost(&value.pat),
        Search::In { field, values } => {
            let per: u32 = values.iter().map(pattern_cost).max().unwrap_or(1);
            field_cost(&field.key) * per + (values.len() as u32).min(50) / 4
        }
        Search::Term(_) => 200,
        Search::Not(inner) => cost(inner),
        Search::And(v) | Search::Or(v) => v.iter().map(cost).fold(0u32, u32::saturating_add),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::spl::lexer::lex;
    use crate::rules::spl::search::parse;
    use crate::rules::spl::view::Ctx;

    fn opt(text: &str) -> Search {
        optimize(parse(&lex(text).unwrap(), Ctx::Processes).unwrap())
    }

    #[test]
    fn or_chains_on_one_field_become_in() {
        let s = opt("(Processes.process_name=a.exe OR Processes.process_name=b.exe OR Processes.original_file_name=c OR Processes.process_name IN (d, e))");
        let Search::Or(v) = s else { panic!("{s:?}") };
        assert_eq!(v.len(), 2);
        match &v[0] {
            Search::In { field, values } => {
                assert_eq!(&*field.name, "Processes.process_name");
                assert_eq!(values.len(), 4);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn cheap_conjuncts_first() {
        let s = opt("Processes.process=*x* Processes.process_name=cmd.exe");
        let Search::And(v) = s else { panic!() };
        assert!(
            matches!(&v[0], Search::Cmp { field, .. } if &*field.name == "Processes.process_name")
        );
    }
}
