//! Fields known by name with one fact each, followed through per-row commands the way
//! [`super::exec`] applies them: what the pushdown's taint walk and its needle walk share.

use super::row::{name_matches, renamed};

/// Field names, each with a fact about its value.
#[derive(Debug, Clone)]
pub(super) struct FieldMap<T: Copy> {
    fields: Vec<(String, T)>,
}

impl<T: Copy> Default for FieldMap<T> {
    fn default() -> Self {
        FieldMap { fields: Vec::new() }
    }
}

impl<T: Copy> FieldMap<T> {
    /// The fact about field `name`; `None` when the field is absent.
    pub(super) fn get(&self, name: &str) -> Option<T> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, v)| *v)
    }

    /// Set the fact about field `name` (adding the field).
    pub(super) fn set(&mut self, name: &str, value: T) {
        match self.fields.iter_mut().find(|(n, _)| n == name) {
            Some((_, v)) => *v = value,
            None => self.fields.push((name.to_string(), value)),
        }
    }

    /// Every field's fact.
    pub(super) fn values(&self) -> impl Iterator<Item = T> + '_ {
        self.fields.iter().map(|(_, v)| *v)
    }

    /// `rename from AS to` (with `*` wildcards): the facts move with the fields.
    pub(super) fn rename(&mut self, from: &str, to: &str) {
        let mut moves: Vec<(String, String, T)> = Vec::new();
        for (n, v) in &self.fields {
            let target = if from.contains('*') {
                renamed(from, to, n)
            } else {
                (n == from).then(|| to.to_string())
            };
            if let Some(t) = target.filter(|t| t != n) {
                moves.push((n.clone(), t, *v));
            }
        }
        for (old, new, v) in moves {
            self.fields.retain(|(n, _)| *n != old && *n != new);
            self.fields.push((new, v));
        }
    }

    /// `table`/`fields` (`remove`: `fields -`): keep the fields the patterns name, or drop them.
    pub(super) fn select(&mut self, patterns: &[String], remove: bool) {
        self.fields
            .retain(|(n, _)| patterns.iter().any(|p| name_matches(p, n)) != remove);
    }
}
