//! JSON forms of events (`dump`) and hits (JSON/JSONL timelines).

use super::utc as rfc3339;
use crate::event::Event;
use crate::hit::Hit;
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::{json, Map, Value};
use std::borrow::Borrow;
use std::borrow::Cow;
use std::io::Write;

/// A normalized event as JSON: System values, then `data` with every field.
pub fn event_json(ev: &Event) -> Value {
    let mut data = Map::new();
    for f in &ev.data {
        match data.get_mut(&*f.name) {
            Some(Value::Array(list)) => list.push(Value::String(f.value.to_string())),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, Value::String(f.value.to_string())]);
            }
            None => {
                data.insert(f.name.to_string(), Value::String(f.value.to_string()));
            }
        }
    }
    let system: Map<String, Value> = ev
        .system
        .iter()
        .map(|f| (f.name.to_string(), Value::String(f.value.to_string())))
        .collect();
    json!({
        "timestamp": rfc3339(ev.time),
        "record_header_time": rfc3339(ev.header_time),
        "record_id": ev.record_id,
        "provider": &*ev.provider,
        "channel": &*ev.channel,
        "event_id": ev.event_id,
        "computer": &*ev.computer,
        "user_id": &*ev.user_id,
        "level": ev.level,
        "recovered": ev.recovered,
        "source": ev.source.display(),
        "system": system,
        "data": data,
    })
}

/// A hit's key fields as a JSON object of strings; a name that occurs again is written
/// `Name#2`, `Name#3`, ... so no value is lost.
struct FieldsJson<'a>(&'a [(String, String)]);

impl Serialize for FieldsJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        let mut names: Vec<Cow<'_, str>> = Vec::with_capacity(self.0.len());
        for (k, v) in self.0 {
            let mut name = Cow::Borrowed(k.as_str());
            let mut n = 1;
            while names.contains(&name) {
                n += 1;
                name = Cow::Owned(format!("{k}#{n}"));
            }
            map.serialize_entry(&*name, v)?;
            names.push(name);
        }
        map.end()
    }
}

/// The events an aggregate lists.
struct RecordsJson<'a>(&'a [crate::hit::EventRef]);

impl Serialize for RecordsJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for r in self.0 {
            seq.serialize_element(&RecordJson(r))?;
        }
        seq.end()
    }
}

struct RecordJson<'a>(&'a crate::hit::EventRef);

impl Serialize for RecordJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = self.0;
        let mut map = s.serialize_map(Some(6))?;
        map.serialize_entry("timestamp", &rfc3339(r.time))?;
        map.serialize_entry("computer", &*r.computer)?;
        map.serialize_entry("channel", &*r.channel)?;
        map.serialize_entry("event_id", &r.event_id)?;
        map.serialize_entry("record_id", &r.record_id)?;
        map.serialize_entry("source", &r.source.path.to_string_lossy())?;
        map.end()
    }
}

/// A hit as JSON (the schema in `docs/OUTPUT.md`), written straight from the hit.
struct HitJson<'a> {
    hit: &'a Hit,
    timesketch: bool,
}

impl Serialize for HitJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let h = self.hit;
        let time = rfc3339(h.time());
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("schema", crate::hit::SCHEMA_VERSION)?;
        if self.timesketch {
            map.serialize_entry("timestamp", &super::columns::timesketch_timestamp(h))?;
        } else {
            map.serialize_entry("timestamp", &time)?;
        }
        let kind = if h.aggregate.is_some() {
            "aggregate"
        } else {
            "event"
        };
        map.serialize_entry("kind", kind)?;
        map.serialize_entry("engine", h.rule.engine.map(|e| e.as_str()).unwrap_or(""))?;
        map.serialize_entry("rule_id", &h.rule.id)?;
        map.serialize_entry("rule_title", &h.rule.title)?;
        map.serialize_entry("rule_file", &h.rule.path.to_string_lossy())?;
        map.serialize_entry("level", h.rule.level.as_str())?;
        map.serialize_entry("status", &h.rule.status)?;
        map.serialize_entry("techniques", &h.rule.techniques)?;
        map.serialize_entry("tactics", &h.rule.tactics)?;
        map.serialize_entry("computer", &*h.event.computer)?;
        map.serialize_entry("channel", &*h.event.channel)?;
        map.serialize_entry("provider", &*h.event.provider)?;
        map.serialize_entry("event_id", &h.event.event_id)?;
        map.serialize_entry("record_id", &h.event.record_id)?;
        map.serialize_entry("event_time", &rfc3339(h.event.time))?;
        map.serialize_entry("source", &h.event.source.path.to_string_lossy())?;
        let also_in: Vec<Cow<'_, str>> =
            h.also_in.iter().map(|x| x.path.to_string_lossy()).collect();
        map.serialize_entry("also_in", &also_in)?;
        map.serialize_entry("fields", &FieldsJson(&h.fields))?;
        if let Some(a) = &h.aggregate {
            map.serialize_entry("count", &a.count)?;
            map.serialize_entry("first_time", &a.first_time.map(rfc3339))?;
            map.serialize_entry("last_time", &a.last_time.map(rfc3339))?;
            map.serialize_entry("by", &FieldsJson(&a.by))?;
            map.serialize_entry("records_omitted", &a.records_omitted)?;
            map.serialize_entry("records", &RecordsJson(&a.records))?;
        }
        if self.timesketch {
            map.serialize_entry("message", &super::columns::timesketch_message(h))?;
            map.serialize_entry("datetime", &time)?;
            map.serialize_entry("timestamp_desc", "Event Time")?;
        }
        map.end()
    }
}

/// One JSON object per line, hit by hit as `hits` gives them.
pub fn write_jsonl<H: Borrow<Hit>>(
    w: &mut dyn Write,
    hits: impl IntoIterator<Item = H>,
    timesketch: bool,
) -> std::io::Result<()> {
    for h in hits {
        write_hit(w, h.borrow(), timesketch)?;
        w.write_all(b"\n")?;
    }
    Ok(())
}

/// One hit as a JSON object.
fn write_hit(w: &mut dyn Write, hit: &Hit, timesketch: bool) -> std::io::Result<()> {
    serde_json::to_writer(w, &HitJson { hit, timesketch })?;
    Ok(())
}

/// One JSON array of hit objects, written hit by hit (nothing holds the whole document).
pub fn write_array<H: Borrow<Hit>>(
    w: &mut dyn Write,
    hits: impl IntoIterator<Item = H>,
    timesketch: bool,
) -> std::io::Result<()> {
    w.write_all(b"[")?;
    let mut empty = true;
    for h in hits {
        w.write_all(if empty { b"\n  " } else { b",\n  " })?;
        empty = false;
        write_hit(w, h.borrow(), timesketch)?;
    }
    w.write_all(if empty { b"]\n" } else { b"\n]\n" })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::FieldsJson;

    #[test]
    fn repeated_field_names_are_numbered() {
        let fields: Vec<(String, String)> = [("a", "1"), ("b", "x"), ("a", "2"), ("a#2", "3")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(
            serde_json::to_string(&FieldsJson(&fields)).unwrap(),
            r##"{"a":"1","b":"x","a#2":"2","a#2#2":"3"}"##
        );
    }
}
