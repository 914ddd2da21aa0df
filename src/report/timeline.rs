//! The timeline: hits filtered, deduplicated across copies of the same log, sorted by time, and
//! written as CSV, JSON or JSONL.

use super::filter::HitFilter;
use crate::cli::args::Format;
use crate::hit::Hit;
use std::io::Write;

/// Filter, deduplicate and sort hits by time (then rule, computer, record).
pub fn prepare(hits: Vec<Hit>, filter: &HitFilter) -> Vec<Hit> {
    let mut hits: Vec<Hit> = hits.into_iter().filter(|h| filter.keeps_hit(h)).collect();
    hits.sort_by(|a, b| {
        (
            a.time(),
            &a.rule.id,
            &*a.event.computer,
            a.event.record_id,
            &a.event.source.path,
        )
            .cmp(&(
                b.time(),
                &b.rule.id,
                &*b.event.computer,
                b.event.record_id,
                &b.event.source.path,
            ))
    });
    hits
}

/// Write hits in a timeline format.
pub fn write(
    w: &mut dyn Write,
    format: Format,
    hits: &[Hit],
    timesketch: bool,
) -> std::io::Result<()> {
    match format {
        Format::Jsonl | Format::Table => {
            for h in hits {
                serde_json::to_writer(&mut *w, &super::json::hit_json(h, timesketch))?;
                w.write_all(b"\n")?;
            }
        }
        Format::Json => {
            let all: Vec<_> = hits
                .iter()
                .map(|h| super::json::hit_json(h, timesketch))
                .collect();
            serde_json::to_writer_pretty(&mut *w, &all)?;
            w.write_all(b"\n")?;
        }
        Format::Csv => {
            let mut out = csv::Writer::from_writer(w);
            out.write_record([
                "timestamp",
                "level",
                "rule_title",
                "rule_id",
                "computer",
                "channel",
                "event_id",
                "record_id",
                "source",
                "fields",
            ])?;
            for h in hits {
                let fields = h
                    .fields
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(" | ");
                let row = [
                    crate::util::time::rfc3339(h.time()),
                    h.rule.level.as_str().to_string(),
                    h.rule.title.clone(),
                    h.rule.id.clone(),
                    h.event.computer.to_string(),
                    h.event.channel.to_string(),
                    h.event.event_id.to_string(),
                    h.event.record_id.to_string(),
                    h.event.source.display(),
                    fields,
                ];
                out.write_record(row.iter().map(|c| crate::util::sanitize::for_csv(c)))?;
            }
            out.flush()?;
        }
    }
    Ok(())
}
