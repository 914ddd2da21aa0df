//! A result row: fields over an optional backing event.
//!
//! While an event goes through the streaming commands, its row reads unchanged fields straight
//! from the event (nothing copied) and keeps what commands set in an overlay. After the first
//! aggregating command rows are plain field lists rebuilt from the kept state. Each row records
//! which matched events (by index) it stands for.

use std::cell::RefCell;
use std::collections::HashSet;
use std::sync::Arc;

use super::eval::Env;
use super::search::{FieldRef, FieldSource};
use super::value::{format_num, Value};
use super::view::{self, Ctx, EventView, Key};
use super::wildcard::WildPattern;

/// A field name in a row, shared: the rows a command makes hold one copy of each name, and a
/// slot is 16 bytes instead of a string's 24 plus its own allocation.
pub type FieldName = Arc<str>;

/// Names kept per thread at most; past it, names are allocated one by one (a rule that makes
/// names from data cannot grow the set without bound).
const MAX_SHARED_NAMES: usize = 4096;

/// Longest name kept in the shared set: EventData names come from the log, and a hostile one
/// may be long (4,096 names of 64 bytes at most: 256 KB per thread).
const MAX_SHARED_NAME_LEN: usize = 64;

thread_local! {
    static SHARED_NAMES: RefCell<HashSet<FieldName>> = RefCell::new(HashSet::new());
}

/// The shared copy of a field name.
pub fn field_name(name: &str) -> FieldName {
    SHARED_NAMES.with(|names| {
        let mut names = names.borrow_mut();
        if let Some(n) = names.get(name) {
            return Arc::clone(n);
        }
        let n: FieldName = Arc::from(name);
        if names.len() < MAX_SHARED_NAMES && name.len() <= MAX_SHARED_NAME_LEN {
            names.insert(Arc::clone(&n));
        }
        n
    })
}

/// One row of the pipeline.
#[derive(Clone)]
pub struct Row<'e> {
    /// The event behind the row (streaming phase only).
    pub view: Option<EventView<'e>>,
    /// How names resolve against the event.
    pub ctx: Ctx,
    /// Fields set by commands (a null value hides the event's field).
    pub fields: Vec<(FieldName, Value)>,
    /// Indices of the matched events this row stands for.
    pub prov: Vec<u32>,
}

impl<'e> Row<'e> {
    /// A row over an event.
    pub fn over(view: EventView<'e>, ctx: Ctx) -> Row<'e> {
        Row {
            view: Some(view),
            ctx,
            fields: Vec::new(),
            prov: Vec::new(),
        }
    }

    /// A plain row.
    pub fn plain(fields: Vec<(FieldName, Value)>, prov: Vec<u32>) -> Row<'e> {
        Row {
            view: None,
            ctx: Ctx::Raw,
            fields,
            prov,
        }
    }

    fn overlay(&self, name: &str) -> Option<&Value> {
        self.fields
            .iter()
            .find(|(n, _)| **n == *name)
            .map(|(_, v)| v)
    }

    fn view_value(&self, key: &Key) -> Value {
        let Some(view) = &self.view else {
            return Value::Null;
        };
        if *key == Key::Sys(view::Sys::Time) {
            return Value::Num(view::epoch(view.ev.time));
        }
        view.value(key)
    }

    /// A field by name.
    pub fn get(&self, name: &str) -> Value {
        if let Some(v) = self.overlay(name) {
            return v.clone();
        }
        if self.view.is_some() {
            return self.view_value(&view::resolve(name, self.ctx));
        }
        Value::Null
    }

    /// A field by compiled reference.
    pub fn get_ref(&self, f: &FieldRef) -> Value {
        if let Some(v) = self.overlay(&f.name) {
            return v.clone();
        }
        if self.view.is_some() {
            return self.view_value(&f.key);
        }
        Value::Null
    }

    /// Set a field (null removes it).
    pub fn set(&mut self, name: &str, value: Value) {
        match self.fields.iter_mut().find(|(n, _)| **n == *name) {
            Some((_, v)) => *v = value,
            None => {
                if !(value.is_null() && self.view.is_none()) {
                    self.fields.push((field_name(name), value));
                }
            }
        }
    }

    /// Rename a field, keeping its position among the row's fields; a field already named `to`
    /// is replaced. Nothing happens when `from` is absent.
    pub fn rename(&mut self, from: &str, to: &str) {
        if from == to {
            return;
        }
        let v = self.get(from);
        if v.is_null() {
            return;
        }
        if self.view.is_none() {
            self.fields.retain(|(n, _)| **n != *to);
            if let Some(slot) = self.fields.iter_mut().find(|(n, _)| **n == *from) {
                slot.0 = field_name(to);
                return;
            }
        }
        self.remove(from);
        self.set(to, v);
    }

    /// Remove a field.
    pub fn remove(&mut self, name: &str) {
        if self.view.is_some() {
            self.set(name, Value::Null);
        } else {
            self.fields.retain(|(n, _)| **n != *name);
        }
    }

    /// Copy every field of the backing event into the overlay and drop the event.
    pub fn detach(&mut self) {
        let Some(view) = self.view.take() else { return };
        let mut all: Vec<(FieldName, Value)> = Vec::new();
        for (name, vals) in view.all_fields(self.ctx) {
            if self.fields.iter().any(|(n, _)| **n == *name) {
                continue;
            }
            let v = if name == "_time" {
                Value::Num(view::epoch(view.ev.time))
            } else {
                Value::from_texts(vals)
            };
            all.push((field_name(&name), v));
        }
        let overlay = std::mem::take(&mut self.fields);
        all.extend(overlay.into_iter().filter(|(_, v)| !v.is_null()));
        self.fields = all;
    }

    /// Names of the fields present, in order (detaches an event-backed row).
    pub fn names(&mut self) -> Vec<String> {
        self.detach();
        self.fields
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(n, _)| n.to_string())
            .collect()
    }

    /// The fields as (name, text) pairs for a hit: multivalues joined by newlines, `_time` as
    /// RFC 3339, other `_` fields left out. An event-backed row gives the event's key fields
    /// first, then the fields commands set.
    pub fn hit_fields(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = match &self.view {
            Some(v) => v.ev.key_fields(),
            None => Vec::new(),
        };
        for (name, value) in &self.fields {
            if value.is_null() {
                out.retain(|(n, _)| *n != **name);
                continue;
            }
            if name.starts_with('_') && &**name != "_time" {
                continue;
            }
            let text = if &**name == "_time" {
                match value.num().and_then(time_text) {
                    Some(t) => t,
                    None => value.texts().join("\n"),
                }
            } else {
                value.texts().join("\n")
            };
            match out.iter_mut().find(|(n, _)| *n == **name) {
                Some((_, v)) => *v = text,
                None => out.push((name.to_string(), text)),
            }
        }
        out
    }
}

/// Epoch seconds as RFC 3339 UTC.
pub fn time_text(epoch: f64) -> Option<String> {
    let ts = jiff::Timestamp::from_nanosecond((epoch * 1e9).round() as i128).ok()?;
    Some(crate::util::time::rfc3339(ts))
}

/// Names among `names` that a wildcard pattern matches (case-sensitive, as field names are).
pub fn matching_names<'a>(pattern: &str, names: &'a [String]) -> Vec<&'a String> {
    names.iter().filter(|n| name_matches(pattern, n)).collect()
}

/// Whether a field name matches a name pattern (`*` wildcards, case-sensitive).
pub fn name_matches(pattern: &str, name: &str) -> bool {
    if !pattern.contains('*') {
        return pattern == name;
    }
    wildcard_capture(pattern, name).is_some()
}

/// The name `rename FROM AS TO` gives to field `name` (wildcards in `from` captured and put in
/// the `*`s of `to`), or `None` when `name` does not match `from`.
pub fn renamed(from: &str, to: &str, name: &str) -> Option<String> {
    if let (Some((head, tail)), false) = (from.split_once('*'), to.matches('*').nth(1).is_some()) {
        if !tail.contains('*') {
            // One `*` on each side (`rename Processes.* as *`, on every row): no captures list.
            let cap = name.strip_prefix(head)?.strip_suffix(tail)?;
            return Some(match to.split_once('*') {
                Some((before, after)) => [before, cap, after].concat(),
                None => to.to_string(),
            });
        }
    }
    renamed_by_captures(from, to, name)
}

/// [`renamed`] for any number of `*`s.
fn renamed_by_captures(from: &str, to: &str, name: &str) -> Option<String> {
    let caps = wildcard_capture(from, name)?;
    let mut target = String::new();
    let mut pieces = to.split('*');
    target.push_str(pieces.next().unwrap_or(""));
    for (cap, piece) in caps.iter().zip(pieces) {
        target.push_str(cap);
        target.push_str(piece);
    }
    Some(target)
}

/// Match a name against a pattern with `*`s and return what each `*` matched.
pub fn wildcard_capture(pattern: &str, name: &str) -> Option<Vec<String>> {
    if !pattern.contains('*') {
        return (name == pattern).then(Vec::new);
    }
    let pieces: Vec<&str> = pattern.split('*').collect();
    let first = pieces.first()?;
    let last = pieces.last()?;
    if name.len() < first.len() + last.len() || !name.starts_with(first) || !name.ends_with(last) {
        return None;
    }
    let mut caps = Vec::new();
    let mut rest = &name[first.len()..name.len() - last.len()];
    let middle = &pieces[1..pieces.len() - 1];
    for p in middle {
        let i = rest.find(p)?;
        caps.push(rest[..i].to_string());
        rest = &rest[i + p.len()..];
    }
    caps.push(rest.to_string());
    Some(caps)
}

impl FieldSource for Row<'_> {
    fn any_value(&self, field: &FieldRef, f: &mut dyn FnMut(&str) -> bool) -> Option<bool> {
        let v = self.get_ref(field);
        if v.is_null() {
            return None;
        }
        Some(v.texts().iter().any(|t| f(t)))
    }

    fn any_field_matches(&self, pat: &WildPattern) -> bool {
        if let Some(view) = &self.view {
            if view.any_field_matches(pat) {
                return true;
            }
        }
        self.fields
            .iter()
            .any(|(_, v)| v.texts().iter().any(|t| pat.matches(t)))
    }
}

impl Env for Row<'_> {
    fn field(&self, f: &FieldRef) -> Value {
        self.get_ref(f)
    }
}

impl FieldSource for EventView<'_> {
    fn any_value(&self, field: &FieldRef, f: &mut dyn FnMut(&str) -> bool) -> Option<bool> {
        self.get(&field.key).map(|v| f(&v))
    }

    fn any_field_matches(&self, pat: &WildPattern) -> bool {
        self.ev.data.iter().any(|d| pat.matches(&d.value))
            || pat.matches(&self.ev.computer)
            || pat.matches(&self.ev.channel)
            || pat.matches(&self.ev.provider)
    }

    fn event_code(&self) -> Option<u32> {
        Some(self.ev.event_id)
    }
}

/// Format a value for state or output text.
pub fn value_text(v: &Value) -> Vec<String> {
    match v {
        Value::Num(n) => vec![format_num(*n)],
        other => other.texts().into_iter().map(|t| t.into_owned()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_wildcard_renames_as_the_general_rule_does() {
        let cases = [
            ("Processes.*", "*", "Processes.dest"),
            ("Processes.*", "*", "dest"),
            ("Processes.*", "p_*", "Processes."),
            ("*_name", "*", "process_name"),
            ("a*b", "x*y", "ab"),
            ("ab*b", "*", "abb"),
            ("ab*b", "*", "ab"),
            ("*", "fixed", "anything"),
            ("a*b*c", "*-*", "aXbYc"),
            ("a*", "*x*", "abc"),
        ];
        for (from, to, name) in cases {
            assert_eq!(
                renamed(from, to, name),
                renamed_by_captures(from, to, name),
                "{from} -> {to} on {name}"
            );
        }
        assert_eq!(
            renamed("Processes.*", "*", "Processes.dest").as_deref(),
            Some("dest")
        );
    }

    #[test]
    fn field_names_are_shared_up_to_the_cap() {
        let a = field_name("process_name");
        let b = field_name("process_name");
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(&*a, "process_name");
        // A long name (EventData names come from the log) is never kept.
        let long = "x".repeat(MAX_SHARED_NAME_LEN + 1);
        assert!(!Arc::ptr_eq(&field_name(&long), &field_name(&long)));
        // Past the cap, names are still right, only no longer shared.
        for i in 0..MAX_SHARED_NAMES {
            field_name(&format!("filler_{i}"));
        }
        let c = field_name("never_seen_before");
        let d = field_name("never_seen_before");
        assert_eq!(&*c, "never_seen_before");
        assert!(!Arc::ptr_eq(&c, &d));
        assert!(Arc::ptr_eq(&a, &field_name("process_name")));
    }

    #[test]
    fn name_patterns_capture() {
        assert_eq!(
            wildcard_capture("Processes.*", "Processes.dest"),
            Some(vec!["dest".to_string()])
        );
        assert!(wildcard_capture("Processes.*", "dest").is_none());
        assert_eq!(wildcard_capture("Computer", "Computer"), Some(vec![]));
        assert!(name_matches("RTLO*", "RTLO_command_1"));
        assert!(!name_matches("rtlo*", "RTLO_command_1"));
        assert_eq!(
            wildcard_capture("process*", "process_name"),
            Some(vec!["_name".to_string()])
        );
    }
}
