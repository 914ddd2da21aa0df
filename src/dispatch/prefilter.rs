//! The literal pre-filter: a rule that declares needles ([`Rule::needles`]: literals of which
//! at least one must occur for it to match) is only run on an event holding one of them.
//!
//! All needles of one field go into one Aho-Corasick automaton (ASCII case-insensitive), and
//! the needles of any field into another; an event's values are scanned once per automaton
//! that applies to them, and every rule owning a needle found is marked. Field names compare
//! case-insensitively (as [`Event::get`] falls back to), so a value is scanned whenever the
//! rule's lookup could reach it: the filter may let a rule run needlessly, never skip one
//! that could match.

use crate::event::{Event, SYSTEM_FIELDS};
use crate::rules::Rule;
use aho_corasick::AhoCorasick;
use std::collections::HashMap;
use std::sync::Arc;

/// One automaton and, per pattern, the rules that listed it.
struct Automaton {
    ac: AhoCorasick,
    rules_of: Vec<Vec<u32>>,
}

impl Automaton {
    fn build(needles: HashMap<String, Vec<u32>>) -> Option<Automaton> {
        let (patterns, rules_of): (Vec<String>, Vec<Vec<u32>>) = needles.into_iter().unzip();
        let ac = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(&patterns)
            .ok()?;
        Some(Automaton { ac, rules_of })
    }

    fn mark(&self, text: &str, hits: &mut Hits) {
        for m in self.ac.find_overlapping_iter(text) {
            if let Some(rules) = self.rules_of.get(m.pattern().as_usize()) {
                for &r in rules {
                    hits.set(r as usize);
                }
            }
        }
    }
}

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

/// The needles of every rule, by field.
pub struct Prefilter {
    /// Rules that declared needles: they run only when one is found.
    gated: Vec<bool>,
    /// Automata of field needles, by lower-case field name.
    fields: HashMap<Box<str>, Automaton>,
    /// The typed System fields (`EventID`, `Channel`, ...) that have needles.
    system: Vec<&'static str>,
    /// The automaton of needles that may occur in any value.
    any: Option<Automaton>,
}

impl Prefilter {
    /// Collect the rules' needles; `None` when no rule declares any.
    pub fn new(rules: &[Arc<dyn Rule>]) -> Option<Prefilter> {
        let mut gated = vec![false; rules.len()];
        let mut by_field: HashMap<Box<str>, HashMap<String, Vec<u32>>> = HashMap::new();
        let mut any: HashMap<String, Vec<u32>> = HashMap::new();
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
                let slot = match &n.field {
                    Some(f) => by_field
                        .entry(f.to_ascii_lowercase().into())
                        .or_default()
                        .entry(n.needle.to_ascii_lowercase())
                        .or_default(),
                    None => any.entry(n.needle.to_ascii_lowercase()).or_default(),
                };
                if slot.last() != Some(&(i as u32)) {
                    slot.push(i as u32);
                }
            }
        }
        if !gated.iter().any(|g| *g) {
            return None;
        }
        let mut fields = HashMap::new();
        for (name, needles) in by_field {
            match Automaton::build(needles) {
                Some(a) => {
                    fields.insert(name, a);
                }
                // Cannot happen with string needles; if it did, run those rules always.
                None => return None,
            }
        }
        let any = if any.is_empty() {
            None
        } else {
            Some(Automaton::build(any)?)
        };
        let system = SYSTEM_FIELDS
            .iter()
            .copied()
            .filter(|n| fields.contains_key(n.to_ascii_lowercase().as_str()))
            .collect();
        Some(Prefilter {
            gated,
            fields,
            system,
            any,
        })
    }

    fn field(&self, name: &str) -> Option<&Automaton> {
        self.fields.get(super::LowerName::of(name).as_str())
    }

    /// Whether rule `i` declared needles (runs only when one is found).
    pub fn is_gated(&self, i: usize) -> bool {
        self.gated.get(i).copied().unwrap_or(false)
    }

    /// Scan the event's values for every needle: the rules owning one that occurs.
    pub fn scan(&self, event: &Event) -> Hits {
        let mut hits = Hits {
            bits: vec![0; self.gated.len().div_ceil(64)],
        };
        for f in event.data.iter().chain(event.system.iter()) {
            if let Some(a) = self.field(&f.name) {
                a.mark(&f.value, &mut hits);
            } else if f.name.contains(' ') {
                // Defender writes `Source Name` where rules say `SourceName`; the Sigma engine
                // resolves one to the other, so the pre-filter must too.
                if let Some(a) = self.field(&f.name.replace(' ', "")) {
                    a.mark(&f.value, &mut hits);
                }
            }
        }
        for name in &self.system {
            if let Some(a) = self.field(name) {
                if let Some(v) = event.get(name) {
                    a.mark(&v.as_text(), &mut hits);
                }
            }
        }
        if let Some(a) = &self.any {
            for v in event.all_values() {
                a.mark(&v.as_text(), &mut hits);
            }
        }
        hits
    }
}
