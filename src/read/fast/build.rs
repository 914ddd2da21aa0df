//! Evaluate a template with one record's values into an [`Event`], the way
//! [`crate::event::normalize_xml`] reads the XML the evtx crate renders for it.
//!
//! The rendering rules mirrored (evtx 0.15): an element whose DependencyId names a NULL value is
//! left out; an optional substitution of an empty value disappears; an attribute whose pieces
//! are all empty is left out; an element closed as empty in the BinXML renders `<X/>`, any other
//! childless element `<X></X>`. The reading rules mirrored (`normalize_xml`): the element at
//! depth 2 names the section; System attributes become fields (`Provider/@Name`,
//! `TimeCreated/@SystemTime` and `Security/@UserID` typed); leaves (elements without child
//! elements) at depth 3 of System and at any depth of EventData/UserData become fields.

use super::template::{Elem, Item, Probe, Source, Template};
use super::values::{filetime_timestamp, write_value, Value};
use crate::event::{Event, Field};
use jiff::Timestamp;
use std::rc::Rc;
use std::sync::Arc;

/// The record needs the XML path (a value the fast path cannot write, an embedded fragment,
/// an array that repeats its element).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NeedsXml;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    Outside,
    System,
    EventData,
    UserData,
    Other,
}

/// A template instance of the record: the template and its values (a range of
/// [`Builder::values`]). The record's own instance comes first; values that are embedded
/// instances (`Value::Nested`) point at the others.
#[derive(Debug, Clone)]
pub(crate) struct Instance {
    pub template: Rc<Template>,
    pub values: std::ops::Range<usize>,
}

/// One instance's values as one element sees them: string arrays it repeats for are replaced
/// by the item of the current copy (`over`: value index, item number).
#[derive(Clone, Copy)]
struct Vals<'s, 'a> {
    vals: &'s [Value<'a>],
    over: &'s [(u16, usize)],
}

impl<'a> Vals<'_, 'a> {
    fn get(&self, index: u16) -> Option<Value<'a>> {
        let v = *self.vals.get(usize::from(index))?;
        if let Some(&(_, k)) = self.over.iter().find(|(i, _)| *i == index) {
            return Some(Value::Utf16(v.array_items().nth(k).unwrap_or(&[])));
        }
        Some(v)
    }
}

/// Per-record evaluation state.
pub(crate) struct Builder<'v, 'a> {
    pub instances: &'v [Instance],
    pub values: &'v [Value<'a>],
    /// Text of the elements being evaluated, one after the other (each truncates back).
    pub scratch: &'v mut String,
    /// Repeated System texts.
    pub shared: &'v mut SharedText,
    /// Some value is a string array of several items (elements may repeat).
    pub arrays: bool,
    /// Elements still allowed to be evaluated for this record (repeated elements multiply).
    pub budget: usize,
}

/// Most elements evaluated for one record; past it the record takes the XML path (whose own
/// limits then apply).
pub(crate) const ELEMENT_BUDGET: usize = 1 << 16;

impl<'v, 'a> Builder<'v, 'a> {
    fn values_of(&self, inst: usize) -> &'v [Value<'a>] {
        self.instances
            .get(inst)
            .and_then(|i| self.values.get(i.values.clone()))
            .unwrap_or(&[])
    }

    fn left_out(&self, vals: &[Value<'_>], e: &Elem) -> bool {
        e.dependency
            .and_then(|d| vals.get(usize::from(d)))
            .is_some_and(Value::is_null)
    }

    /// Append a piece's text to the scratch buffer.
    fn piece(&mut self, vals: Vals<'_, '_>, item: &Item) -> Result<(), NeedsXml> {
        match item {
            Item::Text(t) => self.scratch.push_str(t),
            Item::Sub { index, optional } => {
                let Some(v) = vals.get(*index) else {
                    return Ok(());
                };
                if *optional && v.is_empty() {
                    return Ok(());
                }
                if !write_value(self.scratch, &v) {
                    return Err(NeedsXml);
                }
            }
            Item::Elem(_) => return Err(NeedsXml),
        }
        Ok(())
    }

    /// Whether an attribute is rendered: some piece is non-empty.
    fn attr_rendered(&self, vals: Vals<'_, '_>, parts: &[Item]) -> Result<bool, NeedsXml> {
        let mut any = false;
        for p in parts {
            match p {
                Item::Text(t) => any |= !t.is_empty(),
                Item::Sub { index, .. } => match vals.get(*index) {
                    None => {}
                    Some(Value::BinXml { .. } | Value::Nested(_)) => return Err(NeedsXml),
                    Some(v) => any |= !v.is_empty(),
                },
                Item::Elem(_) => return Err(NeedsXml),
            }
        }
        Ok(any)
    }

    /// Evaluate the record (its first instance) into `ev`.
    pub fn build(&mut self, ev: &mut Event) -> Result<(), NeedsXml> {
        self.element(0, 0, 1, Section::Outside, ev, &[])
    }

    /// Evaluate an element: once, or once per item of each string array with more than one
    /// item among its own pieces (children first, then attributes), as the crate repeats it.
    fn element(
        &mut self,
        inst: usize,
        idx: usize,
        depth: usize,
        inherited: Section,
        ev: &mut Event,
        over: &[(u16, usize)],
    ) -> Result<(), NeedsXml> {
        self.budget = self.budget.checked_sub(1).ok_or(NeedsXml)?;
        let tpl: &'v Template = &self.instances.get(inst).ok_or(NeedsXml)?.template;
        let vals = Vals {
            vals: self.values_of(inst),
            over,
        };
        let e = tpl.elems.get(idx).ok_or(NeedsXml)?;
        let pieces = e
            .children
            .iter()
            .chain(e.attrs.iter().flat_map(|a| a.parts.iter()));
        let mut repeat = None;
        for p in pieces.clone().filter(|_| self.arrays) {
            if let Item::Sub { index, .. } = p {
                if let Some(v) = vals.get(*index) {
                    let n = v.array_len();
                    if n > 1 {
                        repeat = Some((*index, n));
                        break;
                    }
                }
            }
        }
        let Some((index, n)) = repeat else {
            return self.element_once(inst, idx, depth, inherited, ev, vals);
        };
        // An instance's root is never repeated; a value used twice in one element would be
        // replaced at one place only.
        let uses = pieces
            .filter(|p| matches!(p, Item::Sub { index: i, .. } if *i == index))
            .count();
        if idx == 0 || uses > 1 || over.len() >= 4 {
            return Err(NeedsXml);
        }
        let mut more = over.to_vec();
        more.push((index, 0));
        for k in 0..n {
            if let Some(last) = more.last_mut() {
                last.1 = k;
            }
            self.element(inst, idx, depth, inherited, ev, &more)?;
        }
        Ok(())
    }

    fn element_once(
        &mut self,
        inst: usize,
        idx: usize,
        depth: usize,
        inherited: Section,
        ev: &mut Event,
        vals: Vals<'_, 'v>,
    ) -> Result<(), NeedsXml> {
        let tpl: &'v Template = &self.instances.get(inst).ok_or(NeedsXml)?.template;
        let e = tpl.elems.get(idx).ok_or(NeedsXml)?;
        // `normalize_xml` names the section on a start tag at depth 2; an empty-element tag
        // there leaves it as it was (outside).
        let section = match (depth, e.self_closing) {
            (2, false) => match &*e.name {
                "System" => Section::System,
                "EventData" => Section::EventData,
                "UserData" => Section::UserData,
                _ => Section::Other,
            },
            (2, true) => Section::Outside,
            _ => inherited,
        };
        let mut data_name: Option<Arc<str>> = None;
        if matches!(
            section,
            Section::System | Section::EventData | Section::UserData
        ) {
            for a in &e.attrs {
                if a.xmlns || !self.attr_rendered(vals, &a.parts)? {
                    continue;
                }
                if section != Section::System && (&*a.name != "Name" || &*e.name != "Data") {
                    continue;
                }
                if let (Some(lit), Section::EventData | Section::UserData) = (&a.literal, section) {
                    data_name = Some(Arc::clone(lit));
                    continue;
                }
                if section == Section::System
                    && &*e.name == "TimeCreated"
                    && &*a.name == "SystemTime"
                {
                    // A FILETIME converts directly (what parsing its rendering gives).
                    if let [Item::Sub { index, .. }] = a.parts.as_slice() {
                        if let Some(Value::FileTime(ft)) = vals.get(*index) {
                            if let Some(t) = filetime_timestamp(ft) {
                                ev.time = t;
                                continue;
                            }
                        }
                    }
                }
                let start = self.scratch.len();
                for p in &a.parts {
                    self.piece(vals, p)?;
                }
                let value = &self.scratch[start..];
                match section {
                    Section::System => match (&*e.name, &*a.name) {
                        ("Provider", "Name") => ev.provider = self.shared.get(0, value),
                        ("TimeCreated", "SystemTime") => {
                            if let Ok(t) = value.parse::<Timestamp>() {
                                ev.time = t;
                            }
                        }
                        ("Security", "UserID") => ev.user_id = self.shared.get(1, value),
                        _ => ev.system.push(Field {
                            name: Arc::clone(&a.field_name),
                            value: value.into(),
                        }),
                    },
                    _ => data_name = Some(value.into()),
                }
                self.scratch.truncate(start);
            }
        } else {
            // Attributes outside the sections are not read, but must still render.
            for a in &e.attrs {
                self.attr_rendered(vals, &a.parts)?;
            }
        }
        let start = self.scratch.len();
        let mut has_child = false;
        for item in &e.children {
            match item {
                Item::Elem(k) => {
                    let k = *k as usize;
                    let child = tpl.elems.get(k).ok_or(NeedsXml)?;
                    if self.left_out(vals.vals, child) {
                        continue;
                    }
                    has_child = true;
                    // The child's text goes after ours and is truncated away again.
                    self.element(inst, k, depth + 1, section, ev, &[])?;
                }
                Item::Sub { index, .. } => match vals.get(*index) {
                    // An embedded instance: its root element is a child here.
                    Some(Value::Nested(n)) => {
                        let n = n as usize;
                        let nested = &self.instances.get(n).ok_or(NeedsXml)?.template;
                        for &root in &nested.roots {
                            has_child = true;
                            self.element(n, root as usize, depth + 1, section, ev, &[])?;
                        }
                    }
                    _ => self.piece(vals, item)?,
                },
                Item::Text(_) => self.piece(vals, item)?,
            }
        }
        let leaf = !has_child
            && if e.self_closing {
                depth >= 3
            } else {
                depth >= 2
            };
        if leaf {
            let text = &self.scratch[start..];
            match section {
                Section::System if depth == 3 => system_leaf(ev, &e.name, text, self.shared),
                Section::EventData | Section::UserData => {
                    let name = data_name.unwrap_or_else(|| Arc::clone(&e.name));
                    ev.data.push(Field {
                        name,
                        value: crate::event::windows_rendering_str(text),
                    });
                }
                _ => {}
            }
        }
        self.scratch.truncate(start);
        Ok(())
    }

    /// The text of a probed source, or `None` when its element is left out of this record.
    fn source_text(&mut self, s: &Source) -> Result<Option<std::ops::Range<usize>>, NeedsXml> {
        let vals = Vals {
            vals: self.values_of(0),
            over: &[],
        };
        if s.dependency
            .and_then(|d| vals.get(d))
            .is_some_and(|v| v.is_null())
        {
            return Ok(None);
        }
        let start = self.scratch.len();
        for p in &s.parts {
            self.piece(vals, p)?;
        }
        Ok(Some(start..self.scratch.len()))
    }

    /// The early look: channel, event id, record id and time, without building anything.
    pub fn probe(
        &mut self,
        probe: &Probe,
        header_id: u64,
        header_time: Timestamp,
    ) -> Result<Probed, NeedsXml> {
        let start = self.scratch.len();
        let mut out = Probed {
            event_id: 0,
            channel: 0..0,
            record_id: header_id,
            time: header_time,
        };
        if let Some(s) = &probe.event_id {
            if let Some(r) = self.source_text(s)? {
                out.event_id = self.scratch[r.clone()].trim().parse().unwrap_or(0);
                self.scratch.truncate(r.start);
            }
        }
        if let Some(s) = &probe.record_id {
            if let Some(r) = self.source_text(s)? {
                if let Ok(id) = self.scratch[r.clone()].trim().parse() {
                    out.record_id = id;
                }
                self.scratch.truncate(r.start);
            }
        }
        if let Some(s) = &probe.time {
            out.time = self.probe_time(s, header_time)?;
        }
        if let Some(s) = &probe.channel {
            if let Some(r) = self.source_text(s)? {
                out.channel = r;
            }
        }
        debug_assert!(out.channel.is_empty() || out.channel.start == start);
        Ok(out)
    }

    /// `TimeCreated/@SystemTime`: a FILETIME converts directly; anything else is written and
    /// parsed as the XML path does.
    fn probe_time(&mut self, s: &Source, header_time: Timestamp) -> Result<Timestamp, NeedsXml> {
        let vals = Vals {
            vals: self.values_of(0),
            over: &[],
        };
        if s.dependency
            .and_then(|d| vals.get(d))
            .is_some_and(|v| v.is_null())
            || !self.attr_rendered(vals, &s.parts)?
        {
            return Ok(header_time);
        }
        if let [Item::Sub { index, .. }] = s.parts.as_slice() {
            if let Some(Value::FileTime(ft)) = vals.get(*index) {
                if let Some(t) = filetime_timestamp(ft) {
                    return Ok(t);
                }
            }
        }
        let start = self.scratch.len();
        for p in &s.parts {
            self.piece(vals, p)?;
        }
        let t = self.scratch[start..]
            .parse::<Timestamp>()
            .unwrap_or(header_time);
        self.scratch.truncate(start);
        Ok(t)
    }
}

/// What the early look found. `channel` is a range of the builder's scratch text.
#[derive(Debug, Clone)]
pub(crate) struct Probed {
    pub event_id: u32,
    pub channel: std::ops::Range<usize>,
    pub record_id: u64,
    pub time: Timestamp,
}

/// A depth-3 System leaf, as `normalize_xml` stores it.
fn system_leaf(ev: &mut Event, name: &Arc<str>, text: &str, shared: &mut SharedText) {
    if !crate::event::store_system_leaf(ev, name, text, |slot, t| shared.get(slot, t)) {
        ev.system.push(Field {
            name: Arc::clone(name),
            value: text.into(),
        });
    }
}

/// The provider, user, channel and computer of the last events: consecutive records mostly
/// share them, and then share one allocation.
#[derive(Debug, Default)]
pub(crate) struct SharedText {
    last: [Option<Arc<str>>; 4],
}

impl SharedText {
    fn get(&mut self, slot: usize, text: &str) -> Arc<str> {
        let Some(last) = self.last.get_mut(slot) else {
            return Arc::from(text);
        };
        match last {
            Some(a) if &**a == text => Arc::clone(a),
            _ => {
                let a: Arc<str> = Arc::from(text);
                *last = Some(Arc::clone(&a));
                a
            }
        }
    }
}

#[cfg(test)]
mod tests;
