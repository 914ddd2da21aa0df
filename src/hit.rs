//! The one hit model both engines produce and every output format writes.
//!
//! A [`Hit`] is a rule firing: on one event (Sigma, raw SPL searches without aggregation) or on a
//! group of events (SPL `stats` rows, Sigma correlations), in which case it carries the count,
//! first and last time, the `by` values and every contributing record. Its serialized form is the
//! contract documented in `docs/OUTPUT.md`.

use crate::event::Event;
use crate::rules::{EventMatch, RuleInfo};
use jiff::Timestamp;
use std::sync::Arc;

/// The output schema version (see `docs/OUTPUT.md`).
pub const SCHEMA_VERSION: &str = "1.1";

/// Identity of one record: where it was read and its System values.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EventRef {
    /// `TimeCreated`, UTC.
    pub time: Timestamp,
    /// `Computer`.
    pub computer: Arc<str>,
    /// `Channel`.
    pub channel: Arc<str>,
    /// `Provider/@Name`.
    pub provider: Arc<str>,
    /// `EventID`.
    pub event_id: u32,
    /// `EventRecordID`.
    pub record_id: u64,
    /// The evidence file.
    pub source: Arc<crate::event::Source>,
}

impl EventRef {
    /// The identity of an event.
    pub fn of(event: &Event) -> EventRef {
        EventRef {
            time: event.time,
            computer: Arc::from(&*event.computer),
            channel: Arc::from(&*event.channel),
            provider: Arc::from(&*event.provider),
            event_id: event.event_id,
            record_id: event.record_id,
            source: Arc::clone(&event.source),
        }
    }
}

/// Aggregate facts of a hit that stands for several events.
#[derive(Debug, Clone, Default)]
pub struct Aggregate {
    /// Number of events in the group (`count`).
    pub count: u64,
    /// Earliest event time.
    pub first_time: Option<Timestamp>,
    /// Latest event time.
    pub last_time: Option<Timestamp>,
    /// The group-by fields and their values.
    pub by: Vec<(String, String)>,
    /// The contributing records, in time order; at most
    /// [`MAX_RECORDS`](crate::collect::hits::MAX_RECORDS) once collected.
    pub records: Vec<EventRef>,
    /// Contributing records left out of `records` (counted in `count`, not listed).
    pub records_omitted: u64,
}

/// A rule firing.
#[derive(Debug, Clone)]
pub struct Hit {
    /// The rule that fired.
    pub rule: Arc<RuleInfo>,
    /// The event (for a group: its first event).
    pub event: EventRef,
    /// Key fields (for a group: the result row's fields).
    pub fields: Vec<(String, String)>,
    /// Set when the hit stands for a group of events.
    pub aggregate: Option<Aggregate>,
    /// Other files that hold the same record (duplicate copies; filled by deduplication).
    pub also_in: Vec<Arc<crate::event::Source>>,
}

impl Hit {
    /// A single-event hit.
    pub fn from_match(rule: &Arc<RuleInfo>, m: EventMatch) -> Hit {
        Hit {
            rule: Arc::clone(rule),
            event: m.event,
            fields: m.fields,
            aggregate: None,
            also_in: Vec::new(),
        }
    }

    /// The time the hit is sorted by: the event time (a group's first time).
    pub fn time(&self) -> Timestamp {
        self.aggregate
            .as_ref()
            .and_then(|a| a.first_time)
            .unwrap_or(self.event.time)
    }
}
