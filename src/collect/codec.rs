//! The binary form of matches and hits in spill files: little-endian integers, strings as
//! length and UTF-8 bytes, evidence files as indices into the store's own list.

use crate::event::Source;
use crate::hit::EventRef;
use crate::rules::EventMatch;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::Arc;

type Io<T> = std::io::Result<T>;

fn bad() -> std::io::Error {
    std::io::ErrorKind::InvalidData.into()
}

/// Evidence files named in a spill, by index.
#[derive(Default)]
pub(super) struct Sources {
    pub list: Vec<Arc<Source>>,
    index: HashMap<PathBuf, u32>,
}

impl Sources {
    /// The index of a file, added on first use.
    pub fn index(&mut self, s: &Arc<Source>) -> u32 {
        if let Some(&i) = self.index.get(&s.path) {
            return i;
        }
        let i = self.list.len() as u32;
        self.list.push(Arc::clone(s));
        self.index.insert(s.path.clone(), i);
        i
    }

    /// The file of an index.
    pub fn source(&self, i: u32) -> Io<Arc<Source>> {
        self.list.get(i as usize).cloned().ok_or_else(bad)
    }
}

pub(super) fn put_u32(w: &mut impl Write, v: u32) -> Io<()> {
    w.write_all(&v.to_le_bytes())
}

pub(super) fn put_u64(w: &mut impl Write, v: u64) -> Io<()> {
    w.write_all(&v.to_le_bytes())
}

pub(super) fn put_str(w: &mut impl Write, s: &str) -> Io<()> {
    put_u32(w, s.len() as u32)?;
    w.write_all(s.as_bytes())
}

pub(super) fn put_pairs(w: &mut impl Write, v: &[(String, String)]) -> Io<()> {
    put_u32(w, v.len() as u32)?;
    for (a, b) in v {
        put_str(w, a)?;
        put_str(w, b)?;
    }
    Ok(())
}

pub(super) fn put_time(w: &mut impl Write, t: jiff::Timestamp) -> Io<()> {
    w.write_all(&t.as_second().to_le_bytes())?;
    w.write_all(&t.subsec_nanosecond().to_le_bytes())
}

pub(super) fn put_event(w: &mut impl Write, e: &EventRef, sources: &mut Sources) -> Io<()> {
    put_time(w, e.time)?;
    put_u32(w, e.event_id)?;
    put_u64(w, e.record_id)?;
    put_u32(w, sources.index(&e.source))?;
    put_str(w, &e.computer)?;
    put_str(w, &e.channel)?;
    put_str(w, &e.provider)
}

pub(super) fn get<const N: usize>(r: &mut impl Read) -> Io<[u8; N]> {
    let mut b = [0u8; N];
    r.read_exact(&mut b)?;
    Ok(b)
}

pub(super) fn get_u32(r: &mut impl Read) -> Io<u32> {
    Ok(u32::from_le_bytes(get(r)?))
}

pub(super) fn get_u64(r: &mut impl Read) -> Io<u64> {
    Ok(u64::from_le_bytes(get(r)?))
}

pub(super) fn get_str(r: &mut impl Read) -> Io<String> {
    let len = get_u32(r)? as usize;
    let mut b = Vec::new();
    r.take(len as u64).read_to_end(&mut b)?;
    if b.len() != len {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    String::from_utf8(b).map_err(|_| bad())
}

pub(super) fn get_pairs(r: &mut impl Read) -> Io<Vec<(String, String)>> {
    let n = get_u32(r)? as usize;
    let mut v = Vec::with_capacity(n.min(1024));
    for _ in 0..n {
        v.push((get_str(r)?, get_str(r)?));
    }
    Ok(v)
}

pub(super) fn get_time(r: &mut impl Read) -> Io<jiff::Timestamp> {
    let secs = i64::from_le_bytes(get(r)?);
    let nanos = i32::from_le_bytes(get(r)?);
    jiff::Timestamp::new(secs, nanos).map_err(|_| bad())
}

pub(super) fn get_event(r: &mut impl Read, sources: &Sources) -> Io<EventRef> {
    let time = get_time(r)?;
    let event_id = get_u32(r)?;
    let record_id = get_u64(r)?;
    let source = sources.source(get_u32(r)?)?;
    Ok(EventRef {
        time,
        event_id,
        record_id,
        source,
        computer: get_str(r)?.into(),
        channel: get_str(r)?.into(),
        provider: get_str(r)?.into(),
    })
}

/// Read a leading `u32`; `None` at the end of the stream.
pub(super) fn get_first_u32(r: &mut impl Read) -> Io<Option<u32>> {
    let mut first = [0u8; 4];
    let mut got = 0;
    while got < 4 {
        match r.read(&mut first[got..])? {
            0 if got == 0 => return Ok(None),
            0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            n => got += n,
        }
    }
    Ok(Some(u32::from_le_bytes(first)))
}

pub(super) fn encode_match(
    w: &mut impl Write,
    rule: u32,
    m: &EventMatch,
    sources: &mut Sources,
) -> Io<()> {
    put_u32(w, rule)?;
    put_event(w, &m.event, sources)?;
    put_pairs(w, &m.fields)?;
    put_pairs(w, &m.state)
}

/// The next match of a run; `None` at its end.
pub(super) fn decode_match(r: &mut impl Read, sources: &Sources) -> Io<Option<(u32, EventMatch)>> {
    let Some(rule) = get_first_u32(r)? else {
        return Ok(None);
    };
    let event = get_event(r, sources)?;
    let fields = get_pairs(r)?;
    let state = get_pairs(r)?;
    Ok(Some((
        rule,
        EventMatch {
            event,
            fields,
            state,
        },
    )))
}
