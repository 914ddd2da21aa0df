//! JSON forms of events (`dump`) and hits (JSON/JSONL timelines).

use super::utc as rfc3339;
use crate::event::Event;
use crate::hit::Hit;
use serde_json::{json, Map, Value};
use std::borrow::Borrow;
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
pub fn fields_json(fields: &[(String, String)]) -> Map<String, Value> {
    let mut out = Map::new();
    for (k, v) in fields {
        let mut key = k.clone();
        let mut n = 1;
        while out.contains_key(&key) {
            n += 1;
            key = format!("{k}#{n}");
        }
        out.insert(key, Value::String(v.clone()));
    }
    out
}

/// A hit as JSON (the schema in `docs/OUTPUT.md`).
pub fn hit_json(h: &Hit, timesketch: bool) -> Value {
    let time = rfc3339(h.time());
    let mut v = json!({
        "schema": crate::hit::SCHEMA_VERSION,
        "timestamp": &time,
        "kind": if h.aggregate.is_some() { "aggregate" } else { "event" },
        "engine": h.rule.engine.map(|e| e.as_str()).unwrap_or(""),
        "rule_id": &h.rule.id,
        "rule_title": &h.rule.title,
        "rule_file": h.rule.path.to_string_lossy(),
        "level": h.rule.level.as_str(),
        "status": &h.rule.status,
        "techniques": &h.rule.techniques,
        "tactics": &h.rule.tactics,
        "computer": &*h.event.computer,
        "channel": &*h.event.channel,
        "provider": &*h.event.provider,
        "event_id": h.event.event_id,
        "record_id": h.event.record_id,
        "event_time": rfc3339(h.event.time),
        "source": h.event.source.display(),
        "also_in": h.also_in.iter().map(|s| s.display()).collect::<Vec<_>>(),
        "fields": fields_json(&h.fields),
    });
    if let Some(a) = &h.aggregate {
        v["count"] = json!(a.count);
        v["first_time"] = json!(a.first_time.map(rfc3339));
        v["last_time"] = json!(a.last_time.map(rfc3339));
        v["by"] = Value::Object(fields_json(&a.by));
        v["records_omitted"] = json!(a.records_omitted);
        v["records"] = Value::Array(
            a.records
                .iter()
                .map(|r| {
                    json!({
                        "timestamp": rfc3339(r.time),
                        "computer": &*r.computer,
                        "channel": &*r.channel,
                        "event_id": r.event_id,
                        "record_id": r.record_id,
                        "source": r.source.display(),
                    })
                })
                .collect(),
        );
    }
    if timesketch {
        v["timestamp"] = json!(super::columns::timesketch_timestamp(h));
        v["message"] = json!(super::columns::timesketch_message(h));
        v["datetime"] = json!(time);
        v["timestamp_desc"] = json!("Event Time");
    }
    v
}

/// One JSON object per line, hit by hit as `hits` gives them.
pub fn write_jsonl<H: Borrow<Hit>>(
    w: &mut dyn Write,
    hits: impl IntoIterator<Item = H>,
    timesketch: bool,
) -> std::io::Result<()> {
    for h in hits {
        serde_json::to_writer(&mut *w, &hit_json(h.borrow(), timesketch))?;
        w.write_all(b"\n")?;
    }
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
        serde_json::to_writer(&mut *w, &hit_json(h.borrow(), timesketch))?;
    }
    w.write_all(if empty { b"]\n" } else { b"\n]\n" })?;
    Ok(())
}
