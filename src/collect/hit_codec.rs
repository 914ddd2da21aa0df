//! The on-disk form of spilled hits (see [`super::sorted`]): one hit after another in the style
//! of [`super::codec`]. Rules and evidence files are written as indexes into tables the
//! collection keeps in memory ([`Tables`]); the strings every record repeats (computer, channel,
//! provider) are shared again when read back.

use super::codec::{
    get, get_pairs, get_str, get_u32, put_pairs, put_str, put_u32, Interner, SourceTable,
};
use crate::event::Source;
use crate::hit::{Aggregate, EventRef, Hit};
use crate::rules::RuleInfo;
use jiff::Timestamp;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::sync::Arc;

type Io<T> = std::io::Result<T>;

fn bad() -> std::io::Error {
    std::io::ErrorKind::InvalidData.into()
}

/// The rules and evidence files named in spilled hits, by index.
#[derive(Default)]
pub(super) struct Tables {
    /// Rules, by index.
    pub rules: Vec<Arc<RuleInfo>>,
    /// Evidence files, by index.
    pub sources: SourceTable,
    /// Rule (by its shared allocation) → index.
    rule_index: HashMap<usize, u32>,
}

impl Tables {
    fn rule(&mut self, r: &Arc<RuleInfo>) -> u32 {
        // The table holds every rule it indexes, so an address is never reused for another.
        let key = Arc::as_ptr(r) as usize;
        if let Some(&i) = self.rule_index.get(&key) {
            return i;
        }
        let i = self.rules.len() as u32;
        self.rules.push(Arc::clone(r));
        self.rule_index.insert(key, i);
        i
    }

    fn source(&mut self, s: &Arc<Source>) -> u32 {
        self.sources.index_of(s)
    }

    /// Drop the lookup maps once nothing more is written (the tables stay readable).
    pub fn freeze(&mut self) {
        self.rule_index = HashMap::new();
        self.sources.freeze();
    }
}

fn put_u64(w: &mut impl Write, v: u64) -> Io<()> {
    w.write_all(&v.to_le_bytes())
}

fn get_u64(r: &mut impl Read) -> Io<u64> {
    Ok(u64::from_le_bytes(get(r)?))
}

fn put_time(w: &mut impl Write, t: Timestamp) -> Io<()> {
    w.write_all(&t.as_second().to_le_bytes())?;
    w.write_all(&t.subsec_nanosecond().to_le_bytes())
}

fn get_time(r: &mut impl Read) -> Io<Timestamp> {
    let secs = i64::from_le_bytes(get(r)?);
    let nanos = i32::from_le_bytes(get(r)?);
    Timestamp::new(secs, nanos).map_err(|_| bad())
}

fn put_opt_time(w: &mut impl Write, t: Option<Timestamp>) -> Io<()> {
    match t {
        Some(t) => {
            w.write_all(&[1])?;
            put_time(w, t)
        }
        None => w.write_all(&[0]),
    }
}

fn get_opt_time(r: &mut impl Read) -> Io<Option<Timestamp>> {
    match get::<1>(r)? {
        [0] => Ok(None),
        [1] => get_time(r).map(Some),
        _ => Err(bad()),
    }
}

fn put_event(w: &mut impl Write, e: &EventRef, tables: &mut Tables) -> Io<()> {
    put_time(w, e.time)?;
    put_u32(w, e.event_id)?;
    put_u64(w, e.record_id)?;
    put_u32(w, tables.source(&e.source))?;
    put_str(w, &e.computer)?;
    put_str(w, &e.channel)?;
    put_str(w, &e.provider)
}

fn get_event(r: &mut impl Read, tables: &Tables, strings: &mut Interner) -> Io<EventRef> {
    let time = get_time(r)?;
    let event_id = get_u32(r)?;
    let record_id = get_u64(r)?;
    let source = Arc::clone(
        tables
            .sources
            .list
            .get(get_u32(r)? as usize)
            .ok_or_else(bad)?,
    );
    Ok(EventRef {
        time,
        event_id,
        record_id,
        source,
        computer: strings.get(&get_str(r)?),
        channel: strings.get(&get_str(r)?),
        provider: strings.get(&get_str(r)?),
    })
}

/// Write one hit.
pub(super) fn encode(w: &mut impl Write, h: &Hit, tables: &mut Tables) -> Io<()> {
    put_u32(w, tables.rule(&h.rule))?;
    put_event(w, &h.event, tables)?;
    put_pairs(w, &h.fields)?;
    match &h.aggregate {
        None => w.write_all(&[0])?,
        Some(a) => {
            w.write_all(&[1])?;
            put_u64(w, a.count)?;
            put_opt_time(w, a.first_time)?;
            put_opt_time(w, a.last_time)?;
            put_pairs(w, &a.by)?;
            put_u32(w, a.records.len() as u32)?;
            for e in &a.records {
                put_event(w, e, tables)?;
            }
            put_u64(w, a.records_omitted)?;
        }
    }
    put_u32(w, h.also_in.len() as u32)?;
    for s in &h.also_in {
        put_u32(w, tables.source(s))?;
    }
    Ok(())
}

/// The next hit of a run; `None` at its end.
pub(super) fn decode(
    r: &mut impl Read,
    tables: &Tables,
    strings: &mut Interner,
) -> Io<Option<Hit>> {
    let mut first = [0u8; 4];
    let mut got = 0;
    while got < first.len() {
        match r.read(&mut first[got..])? {
            0 if got == 0 => return Ok(None),
            0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            n => got += n,
        }
    }
    let rule = u32::from_le_bytes(first) as usize;
    let rule = Arc::clone(tables.rules.get(rule).ok_or_else(bad)?);
    let event = get_event(r, tables, strings)?;
    let fields = get_pairs(r)?;
    let aggregate = match get::<1>(r)? {
        [0] => None,
        [1] => {
            let count = get_u64(r)?;
            let first_time = get_opt_time(r)?;
            let last_time = get_opt_time(r)?;
            let by = get_pairs(r)?;
            let n = get_u32(r)? as usize;
            let mut records = Vec::with_capacity(n.min(super::hits::MAX_RECORDS));
            for _ in 0..n {
                records.push(get_event(r, tables, strings)?);
            }
            let records_omitted = get_u64(r)?;
            Some(Aggregate {
                count,
                first_time,
                last_time,
                by,
                records,
                records_omitted,
            })
        }
        _ => return Err(bad()),
    };
    let n = get_u32(r)? as usize;
    if n > tables.sources.list.len() {
        return Err(bad());
    }
    let mut also_in = Vec::with_capacity(n);
    for _ in 0..n {
        let s = tables
            .sources
            .list
            .get(get_u32(r)? as usize)
            .ok_or_else(bad)?;
        also_in.push(Arc::clone(s));
    }
    Ok(Some(Hit {
        rule,
        event,
        fields,
        aggregate,
        also_in,
    }))
}
