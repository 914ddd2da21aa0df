//! JSON forms of events (`dump`) and hits (JSON/JSONL timelines).

use crate::event::Event;
use crate::hit::Hit;
use serde_json::{json, Map, Value};

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
        "timestamp": crate::util::time::rfc3339(ev.time),
        "record_header_time": crate::util::time::rfc3339(ev.header_time),
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

/// A hit as JSON (the schema in `docs/OUTPUT.md`).
pub fn hit_json(h: &Hit, timesketch: bool) -> Value {
    let fields: Map<String, Value> = h
        .fields
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    let mut v = json!({
        "schema": crate::hit::SCHEMA_VERSION,
        "timestamp": crate::util::time::rfc3339(h.time()),
        "engine": h.rule.engine.map(|e| e.as_str()).unwrap_or(""),
        "rule_id": &h.rule.id,
        "rule_title": &h.rule.title,
        "level": h.rule.level.as_str(),
        "status": &h.rule.status,
        "techniques": &h.rule.techniques,
        "tactics": &h.rule.tactics,
        "computer": &*h.event.computer,
        "channel": &*h.event.channel,
        "provider": &*h.event.provider,
        "event_id": h.event.event_id,
        "record_id": h.event.record_id,
        "source": h.event.source.display(),
        "also_in": h.also_in.iter().map(|s| s.display()).collect::<Vec<_>>(),
        "fields": fields,
    });
    if let Some(a) = &h.aggregate {
        v["count"] = json!(a.count);
        v["first_time"] = json!(a.first_time.map(crate::util::time::rfc3339));
        v["last_time"] = json!(a.last_time.map(crate::util::time::rfc3339));
        v["by"] = Value::Object(
            a.by.iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect(),
        );
        v["records"] = Value::Array(
            a.records
                .iter()
                .map(|r| json!({"source": r.source.display(), "record_id": r.record_id, "timestamp": crate::util::time::rfc3339(r.time)}))
                .collect(),
        );
    }
    if timesketch {
        v["datetime"] = json!(crate::util::time::rfc3339(h.time()));
        v["timestamp_desc"] = json!("Event Time");
        v["message"] = json!(format!(
            "[{}] {} on {}",
            h.rule.level.as_str(),
            h.rule.title,
            h.event.computer
        ));
    }
    v
}
