//! The fast path: records read into [`Event`]s straight from their BinXML, never rendered.
//!
//! Nearly every record is one template instance: a reference to a template definition in the
//! chunk plus an array of typed substitution values, one of which is usually itself an
//! instance (the EventData or UserData part). Definitions are parsed once per chunk
//! ([`template`]); per record only the values are read ([`values`]) and the templates evaluated
//! with them ([`build`]), producing the same [`Event`] the XML path
//! ([`crate::event::normalize_xml`] over the evtx crate's XML) produces. Before anything else is
//! converted, the record's channel and event id are looked at, and a record no rule can see is
//! only counted. A record the fast path does not fully understand is answered with
//! [`Outcome::Xml`]: the caller renders it with the evtx crate instead.

mod build;
mod cache;
mod template;
mod values;
mod walk;

pub(crate) use cache::release as release_thread_caches;
pub(crate) use walk::{string_table_readable, walk_records, RawRecord};

use crate::event::{Event, Source};
use build::{Builder, Instance, SharedText};
use jiff::Timestamp;
use std::rc::Rc;
use std::sync::Arc;
use template::Template;
use values::Value;

/// Decides from a record's channel and event id whether any rule can see it.
pub type EventFilter = dyn Fn(&str, u32) -> bool + Send + Sync;

/// How deep embedded instances are followed.
const MAX_NESTING: usize = 8;

/// What the fast path made of one record.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// The normalized event, pushed to the caller's list.
    Event,
    /// No rule wants it: only its identity, for the coverage counts.
    Skipped {
        /// `EventRecordID` (or the header's).
        record_id: u64,
        /// `TimeCreated` (or the header's).
        time: Timestamp,
    },
    /// The fast path cannot read it: render it with the evtx crate.
    Xml,
}

/// The record header values the event needs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Header {
    /// The header's record id.
    pub id: u64,
    /// The header's time.
    pub time: Timestamp,
    /// Carved from slack space.
    pub recovered: bool,
}

/// Reads the records of one chunk; keeps the chunk's parsed templates.
pub(crate) struct ChunkReader<'a> {
    data: &'a [u8],
    /// The chunk's templates met so far, by definition offset (a few dozen: a list is quicker
    /// than hashing).
    templates: Vec<(u32, Option<Rc<Template>>)>,
    values: Vec<Value<'a>>,
    instances: Vec<Instance>,
    scratch: String,
    shared: SharedText,
    /// The empty text, shared by the events' unset System strings.
    empty: Arc<str>,
}

impl<'a> ChunkReader<'a> {
    /// A reader over one chunk's 64 KiB.
    pub fn new(data: &'a [u8]) -> ChunkReader<'a> {
        ChunkReader {
            data,
            templates: Vec::new(),
            values: Vec::new(),
            instances: Vec::new(),
            scratch: String::with_capacity(256),
            shared: SharedText::default(),
            empty: Arc::from(""),
        }
    }

    /// Read the record whose BinXML is `binxml` (a range of the chunk); its event, if any, is
    /// pushed to `events`.
    pub fn record(
        &mut self,
        binxml: std::ops::Range<usize>,
        header: Header,
        source: &Arc<Source>,
        filter: Option<&EventFilter>,
        events: &mut Vec<Event>,
    ) -> Outcome {
        self.values.clear();
        self.instances.clear();
        self.scratch.clear();
        if self.read_instance(binxml, 0) != Some(0) {
            return Outcome::Xml;
        }
        let mut builder = Builder {
            instances: &self.instances,
            values: &self.values,
            scratch: &mut self.scratch,
            shared: &mut self.shared,
            arrays: self.values.iter().any(|v| v.array_len() > 1),
            budget: build::ELEMENT_BUDGET,
        };
        let probe = self.instances[0].template.probe.as_ref();
        if let (Some(filter), Some(probe)) = (filter, probe) {
            let Ok(p) = builder.probe(probe, header.id, header.time) else {
                return Outcome::Xml;
            };
            if !filter(&builder.scratch[p.channel.clone()], p.event_id) {
                return Outcome::Skipped {
                    record_id: p.record_id,
                    time: p.time,
                };
            }
            builder.scratch.clear();
        }
        let template = &self.instances[0].template;
        let (data_size, system_size) = template.sizes.get();
        let mut ev = Event {
            source: Arc::clone(source),
            record_id: header.id,
            time: header.time,
            header_time: header.time,
            provider: Arc::clone(&self.empty),
            channel: Arc::clone(&self.empty),
            event_id: 0,
            computer: Arc::clone(&self.empty),
            user_id: Arc::clone(&self.empty),
            level: 0,
            recovered: header.recovered,
            data: Vec::with_capacity(usize::from(data_size)),
            system: Vec::with_capacity(usize::from(system_size)),
        };
        if builder.build(&mut ev).is_err() {
            return Outcome::Xml;
        }
        template.sizes.set((
            ev.data.len().min(1024) as u16,
            ev.system.len().min(1024) as u16,
        ));
        if let Some(filter) = filter {
            if probe.is_none() && !filter(&ev.channel, ev.event_id) {
                return Outcome::Skipped {
                    record_id: ev.record_id,
                    time: ev.time,
                };
            }
        }
        events.push(ev);
        Outcome::Event
    }

    /// Read the template instance that makes up the BinXML stream `range` of the chunk, and
    /// the instances embedded in its values; returns its index in `instances`.
    fn read_instance(&mut self, range: std::ops::Range<usize>, depth: usize) -> Option<usize> {
        let data = self.data.get(..range.end)?;
        let bytes = data.get(range.clone())?;
        // One template instance, optionally after a fragment header.
        let mut pos = range.start
            + match bytes {
                [0x0f, _, _, _, 0x0c, _, ..] => 5,
                [0x0c, ..] => 1,
                _ => return None,
            };
        // Unknown byte (1), template id (4), definition offset (4).
        let def_offset = u32::from_le_bytes(data.get(pos + 5..pos + 9)?.try_into().ok()?);
        pos += 9;
        if def_offset as usize == pos {
            // The definition itself follows: next (4), GUID (16), size (4), body.
            let size = u32::from_le_bytes(data.get(pos + 20..pos + 24)?.try_into().ok()?);
            pos = pos.checked_add(24 + size as usize)?;
        }
        let count = u32::from_le_bytes(data.get(pos..pos + 4)?.try_into().ok()?) as usize;
        pos += 4;
        let first = self.values.len();
        let end = values::read_values(data, pos, count, &mut self.values).ok()?;
        // Nothing but an end-of-stream token may follow.
        if !matches!(data.get(end..), Some([] | [0x00, ..])) {
            return None;
        }
        let template = self.template(def_offset)?;
        let last = self.values.len();
        let index = self.instances.len();
        self.instances.push(Instance {
            template,
            values: first..last,
        });
        if depth < MAX_NESTING {
            for i in first..last {
                if let Value::BinXml { at, len } = self.values[i] {
                    let nested = self
                        .read_instance(at..at + len, depth + 1)
                        .or_else(|| self.read_fragment(at..at + len));
                    if let Some(k) = nested {
                        self.values[i] = Value::Nested(k as u32);
                    }
                }
            }
        }
        Some(index)
    }

    /// An embedded fragment of elements (no template): parsed for this record only.
    fn read_fragment(&mut self, range: std::ops::Range<usize>) -> Option<usize> {
        let template = template::parse_fragment(self.data, range).ok()?;
        let index = self.instances.len();
        let at = self.values.len();
        self.instances.push(Instance {
            template: Rc::new(template),
            values: at..at,
        });
        Some(index)
    }

    /// The parsed template at `offset`, parsing it on first use; `None` when refused.
    fn template(&mut self, offset: u32) -> Option<Rc<Template>> {
        if let Some((_, t)) = self.templates.iter().find(|(o, _)| *o == offset) {
            return t.clone();
        }
        let parsed = cache::template_at(self.data, offset as usize);
        self.templates.push((offset, parsed.clone()));
        parsed
    }
}
