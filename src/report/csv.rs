//! The CSV timeline: fixed columns, one physical line per hit, safe to open in a spreadsheet.
//!
//! Every cell goes through [`crate::util::sanitize::for_csv`]: CR, LF and tab inside a value are
//! written as `\r`, `\n`, `\t`; other control characters as `\xNN`; a cell that would start a
//! formula gets a leading `'`. The column list is the contract in `docs/OUTPUT.md`.

use super::columns::{self, KeyColumn, LIST_SEPARATOR};
use super::utc as rfc3339;
use crate::hit::Hit;
use crate::util::sanitize::for_csv;
use std::borrow::Borrow;
use std::io::Write;

/// The columns before the key columns.
pub const LEAD_COLUMNS: [&str; 13] = [
    "timestamp",
    "level",
    "rule_title",
    "rule_id",
    "engine",
    "status",
    "techniques",
    "tactics",
    "computer",
    "channel",
    "provider",
    "event_id",
    "record_id",
];

/// The columns after the key columns.
pub const TAIL_COLUMNS: [&str; 9] = [
    "kind",
    "count",
    "first_time",
    "last_time",
    "by",
    "records",
    "source",
    "also_in",
    "fields",
];

/// The extra columns of `--timesketch`.
pub const TIMESKETCH_COLUMNS: [&str; 3] = ["message", "datetime", "timestamp_desc"];

/// Every column name, in order.
pub fn header(timesketch: bool) -> Vec<&'static str> {
    let mut h: Vec<&'static str> = LEAD_COLUMNS.to_vec();
    h.extend(KeyColumn::ALL.iter().map(|c| c.name()));
    h.extend(TAIL_COLUMNS);
    if timesketch {
        h.extend(TIMESKETCH_COLUMNS);
    }
    h
}

/// One hit's cells, unescaped, in [`header`] order.
pub fn row(h: &Hit, timesketch: bool) -> Vec<String> {
    let time = rfc3339(h.time());
    // Timesketch wants `timestamp` in epoch microseconds; `datetime` then carries the text.
    let timestamp = if timesketch {
        columns::timesketch_timestamp(h).to_string()
    } else {
        time.clone()
    };
    let mut r: Vec<String> = vec![
        timestamp,
        h.rule.level.as_str().to_string(),
        h.rule.title.clone(),
        h.rule.id.clone(),
        h.rule.engine.map(|e| e.as_str()).unwrap_or("").to_string(),
        h.rule.status.clone(),
        h.rule.techniques.join(LIST_SEPARATOR),
        h.rule.tactics.join(LIST_SEPARATOR),
        h.event.computer.to_string(),
        h.event.channel.to_string(),
        h.event.provider.to_string(),
        h.event.event_id.to_string(),
        h.event.record_id.to_string(),
    ];
    r.extend(KeyColumn::ALL.iter().map(|c| c.value(h)));
    let (kind, count, first, last, by, records) = match &h.aggregate {
        Some(a) => (
            "aggregate",
            a.count.to_string(),
            a.first_time.map(rfc3339).unwrap_or_default(),
            a.last_time.map(rfc3339).unwrap_or_default(),
            columns::flatten_fields(&a.by),
            a.records
                .iter()
                .map(|r| format!("{}#{}", r.source.display(), r.record_id))
                .collect::<Vec<_>>()
                .join(LIST_SEPARATOR),
        ),
        None => (
            "event",
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        ),
    };
    r.extend([
        kind.to_string(),
        count,
        first,
        last,
        by,
        records,
        h.event.source.display(),
        h.also_in
            .iter()
            .map(|s| s.display())
            .collect::<Vec<_>>()
            .join(LIST_SEPARATOR),
        columns::flatten_fields(&h.fields),
    ]);
    if timesketch {
        r.extend([
            columns::timesketch_message(h),
            time,
            "Event Time".to_string(),
        ]);
    }
    r
}

/// Write the header and one line per hit.
pub fn write<H: Borrow<Hit>>(
    w: &mut dyn Write,
    hits: impl IntoIterator<Item = H>,
    timesketch: bool,
) -> std::io::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record(header(timesketch))?;
    for h in hits {
        out.write_record(row(h.borrow(), timesketch).iter().map(|c| for_csv(c)))?;
    }
    out.flush()?;
    Ok(())
}
