//! The literal pre-filter: a rule that declares needles ([`Rule::needles`]: literals of which
//! at least one must occur for it to match) is only run on an event holding one of them.
//!
//! All needles of one field go into one Aho-Corasick automaton (ASCII case-insensitive), and
//! the needles of any field into another; an event's values are scanned once per automaton
//! that applies to them, and every rule owning a needle found is marked. Field names compare
//! case-insensitively (as [`Event::get`] falls back to), so a value is scanned whenever the
//! rule's lookup could reach it: the filter may let a rule run needlessly, never skip one
//! that could match.
//!
//! The same values come back again and again (image paths, users, the command lines of
//! services and scheduled tasks, the same logs collected from many hosts), so each thread
//! remembers which patterns its recent values held ([`memo`]): a value seen before costs a
//! hash lookup instead of a scan.

mod memo;

use crate::event::{Event, SYSTEM_FIELDS};
use crate::rules::Rule;
use aho_corasick::AhoCorasick;
use rayon::prelude::*;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Needles (lower case) and the rules that listed each.
type Needles = HashMap<String, Vec<u32>>;

/// One automaton and, per pattern, the rules that listed it.
struct Automaton {
    /// Index among the pre-filter's automata (its slot in the memo).
    id: usize,
    ac: AhoCorasick,
    rules_of: Vec<Vec<u32>>,
}

impl Automaton {
    fn build(id: usize, needles: HashMap<String, Vec<u32>>) -> Option<Automaton> {
        let (patterns, rules_of): (Vec<String>, Vec<Vec<u32>>) = needles.into_iter().unzip();
        let ac = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(&patterns)
            .ok()?;
        Some(Automaton { id, ac, rules_of })
    }

    /// The patterns found in `text`.
    fn patterns(&self, text: &str) -> Vec<u32> {
        let mut found: Vec<u32> = self
            .ac
            .find_overlapping_iter(text)
            .map(|m| m.pattern().as_usize() as u32)
            .collect();
        found.sort_unstable();
        found.dedup();
        found
    }

    fn mark(&self, generation: u64, text: &str, hits: &mut Hits) {
        memo::patterns(
            generation,
            self.id,
            text,
            |t| self.patterns(t),
            |found| {
                for &p in found {
                    if let Some(rules) = self.rules_of.get(p as usize) {
                        for &r in rules {
                            hits.set(r as usize);
                        }
                    }
                }
            },
        );
    }
}

/// Tells pre-filters apart in the per-thread memo (tests build many in one process).
static GENERATION: AtomicU64 = AtomicU64::new(1);

/// The rules an event holds a needle of (a bit set over rule indices).
pub struct Hits {
    bits: Vec<u64>,
}

impl Hits {
    fn set(&mut self, i: usize) {
        if let Some(w) = self.bits.get_mut(i / 64) {
            *w |= 1 << (i % 64);
        }
    }

    /// The bits of rules `64 * w .. 64 * w + 64`.
    pub fn word(&self, w: usize) -> u64 {
        self.bits.get(w).copied().unwrap_or(0)
    }
}

/// A set of automata, by id: the ones worth running on the events of one (channel, event id).
#[derive(Debug, Clone, Default)]
pub struct AutomatonSet {
    bits: Vec<u64>,
}

impl AutomatonSet {
    /// An empty set for a pre-filter of `count` automata.
    pub fn with_capacity(count: usize) -> AutomatonSet {
        AutomatonSet {
            bits: vec![0; count.div_ceil(64)],
        }
    }

    /// Add automaton `id`.
    pub fn insert(&mut self, id: u32) {
        if let Some(w) = self.bits.get_mut(id as usize / 64) {
            *w |= 1 << (id % 64);
        }
    }

    /// Whether automaton `id` is in the set.
    pub fn contains(&self, id: usize) -> bool {
        self.bits
            .get(id / 64)
            .is_some_and(|w| w & (1 << (id % 64)) != 0)
    }
}

/// The needles of every rule, by field.
pub struct Prefilter {
    /// Rules that declared needles: they run only when one is found.
    gated: Vec<bool>,
    /// For each rule, the automata (by id) holding its needles.
    automata_of: Vec<Vec<u32>>,
    /// How many automata there are (ids are `0..count`; 0 is the one for any value).
    automaton_count: usize,
    /// Automata of field needles, by lower-case field name.
    fields: HashMap<Box<str>, Automaton, foldhash::fast::RandomState>,
    /// The typed System fields (`EventID`, `Channel`, ...) that have needles.
    system: Vec<&'static str>,
    /// The automaton of needles that may occur in any value.
    any: Option<Automaton>,
    /// This pre-filter's key in the per-thread memo.
    generation: u64,
}

/// Free the calling thread's memo of scanned values (the scan is over).
pub fn release_thread_memo() {
    memo::release();
}

impl Prefilter {
    /// Collect the rules' needles; `None` when no rule declares any.
    pub fn new(rules: &[Arc<dyn Rule>]) -> Option<Prefilter> {
        let mut gated = vec![false; rules.len()];
        // Automaton ids: 0 is the one for any value, fields number from 1 as first seen.
        let mut field_ids: HashMap<Box<str>, u32> = HashMap::new();
        let mut by_field: Vec<(Box<str>, Needles)> = Vec::new();
        let mut any: HashMap<String, Vec<u32>> = HashMap::new();
        let mut automata_of: Vec<Vec<u32>> = vec![Vec::new(); rules.len()];
        for (i, rule) in rules.iter().enumerate() {
            let Some(needles) = rule.needles() else {
                continue;
            };
            // A rule with an empty needle could match anything: not gated.
            if needles.is_empty() || needles.iter().any(|n| n.needle.is_empty()) {
                continue;
            }
            gated[i] = true;
            for n in needles {
                let id = match &n.field {
                    Some(f) => {
                        let name: Box<str> = f.to_ascii_lowercase().into();
                        *field_ids.entry(name.clone()).or_insert_with(|| {
                            by_field.push((name, Needles::new()));
                            by_field.len() as u32
                        })
                    }
                    None => 0,
                };
                if !automata_of[i].contains(&id) {
                    automata_of[i].push(id);
                }
                let needles = match id.checked_sub(1).and_then(|k| by_field.get_mut(k as usize)) {
                    Some((_, needles)) => needles,
                    None => &mut any,
                };
                let slot = needles.entry(n.needle.to_ascii_lowercase()).or_default();
                if slot.last() != Some(&(i as u32)) {
                    slot.push(i as u32);
                }
            }
        }
        if !gated.iter().any(|g| *g) {
            return None;
        }
        drop(field_ids);
        let automaton_count = by_field.len() + 1;
        // One automaton per field, built in parallel (the CommandLine one alone has thousands
        // of needles).
        let (fields, any) = rayon::join(
            || {
                by_field
                    .into_par_iter()
                    .enumerate()
                    .map(|(id, (name, needles))| Some((name, Automaton::build(id + 1, needles)?)))
                    .collect::<Option<Vec<_>>>()
            },
            || (!any.is_empty()).then(|| Automaton::build(0, any)),
        );
        // Building cannot fail with string needles; if it did, run those rules always.
        let fields: HashMap<Box<str>, Automaton, foldhash::fast::RandomState> =
            fields?.into_iter().collect();
        let any = match any {
            Some(built) => Some(built?),
            None => None,
        };
        let system = SYSTEM_FIELDS
            .iter()
            .copied()
            .filter(|n| fields.contains_key(n.to_ascii_lowercase().as_str()))
            .collect();
        Some(Prefilter {
            gated,
            automata_of,
            automaton_count,
            fields,
            system,
            any,
            generation: GENERATION.fetch_add(1, Ordering::Relaxed),
        })
    }

    fn field(&self, name: &str) -> Option<&Automaton> {
        self.fields.get(super::LowerName::of(name).as_str())
    }

    /// Whether rule `i` declared needles (runs only when one is found).
    pub fn is_gated(&self, i: usize) -> bool {
        self.gated.get(i).copied().unwrap_or(false)
    }

    /// How many automata the pre-filter has (the size of an [`AutomatonSet`]).
    pub fn automaton_count(&self) -> usize {
        self.automaton_count
    }

    /// The automata holding rule `i`'s needles.
    pub fn automata_of(&self, i: usize) -> &[u32] {
        self.automata_of.get(i).map_or(&[], Vec::as_slice)
    }

    /// Scan the event's values for the needles of the automata in `relevant` (those of the
    /// gated rules the event can reach): the rules owning one that occurs.
    pub fn scan(&self, event: &Event, relevant: &AutomatonSet) -> Hits {
        let mut hits = Hits {
            bits: vec![0; self.gated.len().div_ceil(64)],
        };
        let relevant = |a: &&Automaton| relevant.contains(a.id);
        for f in event.data.iter().chain(event.system.iter()) {
            if let Some(a) = self.field(&f.name).filter(relevant) {
                a.mark(self.generation, &f.value, &mut hits);
            }
            if f.name.contains(' ') {
                // Defender writes `Source Name` where rules say `SourceName`; the Sigma engine
                // resolves one to the other, so the pre-filter must too (and a rule may name
                // either spelling).
                if let Some(a) = self.field(&f.name.replace(' ', "")).filter(relevant) {
                    a.mark(self.generation, &f.value, &mut hits);
                }
            }
        }
        for name in &self.system {
            if let Some(a) = self.field(name).filter(relevant) {
                if let Some(v) = event.get(name) {
                    a.mark(self.generation, &v.as_text(), &mut hits);
                }
            }
        }
        if let Some(a) = self.any.as_ref().filter(relevant) {
            for v in event.all_values() {
                a.mark(self.generation, &v.as_text(), &mut hits);
            }
        }
        hits
    }
}
