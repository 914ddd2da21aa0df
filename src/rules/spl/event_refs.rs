//! The events an SPL sink's rows stand for, kept compactly.
//!
//! A sink keeps one reference per match it groups or holds: on a large log that is hundreds of
//! thousands. An [`EventRef`] is ~88 bytes, most of it four shared pointers (computer,
//! channel, provider, file) that a whole log repeats. Here each distinct quadruple is kept
//! once and a reference is 32 bytes: time, record id, event id and the quadruple's number.

use crate::event::Source;
use crate::hit::EventRef;
use jiff::Timestamp;
use std::collections::HashMap;
use std::sync::Arc;

/// Where an event came from: the parts of [`EventRef`] that a log repeats.
type Origin = (Arc<str>, Arc<str>, Arc<str>, Arc<Source>);

/// One event: its own parts and its origin's number.
struct Slim {
    time: Timestamp,
    record_id: u64,
    event_id: u32,
    origin: u32,
}

/// Event references by index, as pushed.
#[derive(Default)]
pub(super) struct EventRefs {
    events: Vec<Slim>,
    origins: Vec<Origin>,
    /// Origin numbers by the addresses of its shared parts (the store shares equal strings, so
    /// equal origins have equal addresses; an unshared copy only costs one more origin).
    by_address: HashMap<[usize; 4], u32>,
}

impl EventRefs {
    /// Number of events.
    pub(super) fn len(&self) -> usize {
        self.events.len()
    }

    /// Add an event; its index is the number of events before it.
    pub(super) fn push(&mut self, e: &EventRef) {
        let address = [
            Arc::as_ptr(&e.computer) as *const u8 as usize,
            Arc::as_ptr(&e.channel) as *const u8 as usize,
            Arc::as_ptr(&e.provider) as *const u8 as usize,
            Arc::as_ptr(&e.source) as usize,
        ];
        let origins = &mut self.origins;
        let origin = *self.by_address.entry(address).or_insert_with(|| {
            origins.push((
                Arc::clone(&e.computer),
                Arc::clone(&e.channel),
                Arc::clone(&e.provider),
                Arc::clone(&e.source),
            ));
            (origins.len() - 1) as u32
        });
        self.events.push(Slim {
            time: e.time,
            record_id: e.record_id,
            event_id: e.event_id,
            origin,
        });
    }

    /// The event at `index`.
    pub(super) fn get(&self, index: usize) -> Option<EventRef> {
        let slim = self.events.get(index)?;
        let (computer, channel, provider, source) = self.origins.get(slim.origin as usize)?;
        Some(EventRef {
            time: slim.time,
            computer: Arc::clone(computer),
            channel: Arc::clone(channel),
            provider: Arc::clone(provider),
            event_id: slim.event_id,
            record_id: slim.record_id,
            source: Arc::clone(source),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(computer: &Arc<str>, record_id: u64, shared: &(Arc<str>, Arc<Source>)) -> EventRef {
        EventRef {
            time: Timestamp::from_second(1_700_000_000 + record_id as i64).unwrap_or_default(),
            computer: Arc::clone(computer),
            channel: Arc::clone(&shared.0),
            provider: Arc::from("Microsoft-Windows-Security-Auditing"),
            event_id: 4688,
            record_id,
            source: Arc::clone(&shared.1),
        }
    }

    #[test]
    fn events_come_back_whole_in_push_order() {
        let source = Arc::new(Source {
            path: "Security.evtx".into(),
        });
        let shared = (Arc::from("Security"), source);
        let (a, b): (Arc<str>, Arc<str>) = (Arc::from("HOST-A"), Arc::from("HOST-B"));
        let mut pushed = vec![event(&a, 7, &shared), event(&b, 8, &shared)];
        // The same origin with the same shared parts is kept once.
        let mut third = pushed[0].clone();
        third.record_id = 9;
        pushed.push(third);
        let mut refs = EventRefs::default();
        pushed.iter().for_each(|e| refs.push(e));
        assert_eq!(refs.len(), 3);
        assert_eq!(refs.origins.len(), 2);
        for (i, e) in pushed.iter().enumerate() {
            assert_eq!(refs.get(i).as_ref(), Some(e));
        }
        assert!(refs.get(3).is_none());
    }
}
