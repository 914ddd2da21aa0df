//! The on-disk form of spilled matches: one entry after another, little-endian, lengths before
//! strings. Evidence files are written as indexes into the store's source table, and the
//! strings every match repeats (computer, channel, provider) are shared again when read back.

use super::Entry;
use crate::event::Source;
use crate::hit::EventRef;
use crate::rules::EventMatch;
use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::Arc;

/// Write `items` to a new anonymous temporary file (a spilled run), each with `encode`.
pub(super) fn write_run<T, W>(items: &[T], mut encode: W) -> std::io::Result<std::fs::File>
where
    W: FnMut(&mut std::io::BufWriter<std::fs::File>, &T) -> std::io::Result<()>,
{
    let mut w = std::io::BufWriter::new(tempfile::tempfile()?);
    for item in items {
        encode(&mut w, item)?;
    }
    w.into_inner().map_err(|e| e.into_error())
}

pub(super) fn put_u32(w: &mut impl Write, v: u32) -> std::io::Result<()> {
    w.write_all(&v.to_le_bytes())
}

pub(super) fn put_str(w: &mut impl Write, s: &str) -> std::io::Result<()> {
    put_u32(w, s.len() as u32)?;
    w.write_all(s.as_bytes())
}

pub(super) fn put_pairs<N: AsRef<str>>(
    w: &mut impl Write,
    v: &[(N, String)],
) -> std::io::Result<()> {
    put_u32(w, v.len() as u32)?;
    for (a, b) in v {
        put_str(w, a.as_ref())?;
        put_str(w, b)?;
    }
    Ok(())
}

/// Write one entry.
pub(super) fn encode(w: &mut impl Write, entry: &Entry) -> std::io::Result<()> {
    let e = &entry.m.event;
    put_u32(w, entry.rule)?;
    w.write_all(&[entry.m.rank])?;
    w.write_all(&e.time.as_second().to_le_bytes())?;
    w.write_all(&e.time.subsec_nanosecond().to_le_bytes())?;
    put_u32(w, e.event_id)?;
    w.write_all(&e.record_id.to_le_bytes())?;
    put_u32(w, entry.primary)?;
    put_u32(w, entry.copies.len() as u32)?;
    for c in &entry.copies {
        put_u32(w, *c)?;
    }
    put_str(w, &e.computer)?;
    put_str(w, &e.channel)?;
    put_str(w, &e.provider)?;
    put_pairs(w, &entry.m.fields)?;
    put_pairs(w, &entry.m.state)
}

pub(super) fn get<const N: usize>(r: &mut impl Read) -> std::io::Result<[u8; N]> {
    let mut b = [0u8; N];
    r.read_exact(&mut b)?;
    Ok(b)
}

pub(super) fn get_u32(r: &mut impl Read) -> std::io::Result<u32> {
    Ok(u32::from_le_bytes(get(r)?))
}

/// Strings up to this length are read into an allocation of their exact size (spilled values
/// come back by the hundred thousand: no slack per string).
const EXACT_STRING: usize = 1 << 20;

pub(super) fn get_str(r: &mut impl Read) -> std::io::Result<String> {
    let len = get_u32(r)? as usize;
    let b = if len <= EXACT_STRING {
        let mut b = vec![0u8; len];
        r.read_exact(&mut b)?;
        b
    } else {
        // A length this large is read as it comes, so a damaged run cannot make us reserve it.
        let mut b = Vec::new();
        r.take(len as u64).read_to_end(&mut b)?;
        if b.len() != len {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        b
    };
    String::from_utf8(b).map_err(|_| std::io::ErrorKind::InvalidData.into())
}

/// (name, text) pairs, each name made by `name`.
fn get_pairs_with<N>(
    r: &mut impl Read,
    mut name: impl FnMut(String) -> N,
) -> std::io::Result<Vec<(N, String)>> {
    let n = get_u32(r)? as usize;
    let mut v = Vec::with_capacity(n.min(1024));
    for _ in 0..n {
        let k = name(get_str(r)?);
        v.push((k, get_str(r)?));
    }
    Ok(v)
}

pub(super) fn get_pairs(r: &mut impl Read) -> std::io::Result<Vec<(String, String)>> {
    get_pairs_with(r, |s| s)
}

/// Shares one allocation among equal strings (host and channel names repeat in every match).
#[derive(Default)]
pub(super) struct Interner {
    strings: HashSet<Arc<str>>,
}

impl Interner {
    /// The shared copy of `s`.
    pub(super) fn get(&mut self, s: &str) -> Arc<str> {
        if let Some(a) = self.strings.get(s) {
            return Arc::clone(a);
        }
        let a: Arc<str> = Arc::from(s);
        self.strings.insert(Arc::clone(&a));
        a
    }

    /// Replace the strings of an event identity with their shared copies.
    pub(super) fn share(&mut self, e: &mut EventRef) {
        e.computer = self.get(&e.computer);
        e.channel = self.get(&e.channel);
        e.provider = self.get(&e.provider);
    }
}

/// The rule of the next entry of a run; `None` at its end. The rest of the entry follows:
/// read it with [`decode_body`] or pass over it with [`skip_body`].
pub(super) fn decode_rule(r: &mut impl Read) -> std::io::Result<Option<u32>> {
    let mut first = [0u8; 4];
    match r.read(&mut first)? {
        0 => return Ok(None),
        4 => {}
        n => r.read_exact(&mut first[n..])?,
    }
    Ok(Some(u32::from_le_bytes(first)))
}

/// The next entry of a run; `None` at its end.
pub(super) fn decode(
    r: &mut impl Read,
    sources: &[Arc<Source>],
    strings: &mut Interner,
) -> std::io::Result<Option<Entry>> {
    match decode_rule(r)? {
        Some(rule) => decode_body(rule, r, sources, strings).map(Some),
        None => Ok(None),
    }
}

/// Read past `n` bytes.
fn skip_bytes(r: &mut impl Read, n: u64) -> std::io::Result<()> {
    if std::io::copy(&mut r.take(n), &mut std::io::sink())? == n {
        Ok(())
    } else {
        Err(std::io::ErrorKind::UnexpectedEof.into())
    }
}

/// Read past a string.
fn skip_str(r: &mut impl Read) -> std::io::Result<()> {
    let len = get_u32(r)?;
    skip_bytes(r, u64::from(len))
}

/// Pass over the rest of an entry whose rule was read, without building it.
pub(super) fn skip_body(r: &mut impl Read) -> std::io::Result<()> {
    // rank, seconds, nanoseconds, event id, record id, primary file.
    skip_bytes(r, 1 + 8 + 4 + 4 + 8 + 4)?;
    let copies = get_u32(r)?;
    skip_bytes(r, u64::from(copies) * 4)?;
    // computer, channel, provider.
    for _ in 0..3 {
        skip_str(r)?;
    }
    // fields and state.
    for _ in 0..2 {
        let pairs = get_u32(r)?;
        for _ in 0..u64::from(pairs) * 2 {
            skip_str(r)?;
        }
    }
    Ok(())
}

/// The rest of an entry of `rule`.
pub(super) fn decode_body(
    rule: u32,
    r: &mut impl Read,
    sources: &[Arc<Source>],
    strings: &mut Interner,
) -> std::io::Result<Entry> {
    let [rank] = get::<1>(r)?;
    let secs = i64::from_le_bytes(get(r)?);
    let nanos = i32::from_le_bytes(get(r)?);
    let event_id = get_u32(r)?;
    let record_id = u64::from_le_bytes(get(r)?);
    let bad = || std::io::Error::from(std::io::ErrorKind::InvalidData);
    let primary = get_u32(r)?;
    let n_copies = get_u32(r)? as usize;
    if n_copies > sources.len() {
        return Err(bad());
    }
    let mut copies = Vec::with_capacity(n_copies);
    for _ in 0..n_copies {
        copies.push(get_u32(r)?);
    }
    let time = jiff::Timestamp::new(secs, nanos).map_err(|_| bad())?;
    let source = Arc::clone(sources.get(primary as usize).ok_or_else(bad)?);
    if copies.iter().any(|&c| c as usize >= sources.len()) {
        return Err(bad());
    }
    let computer = strings.get(&get_str(r)?);
    let channel = strings.get(&get_str(r)?);
    let provider = strings.get(&get_str(r)?);
    let fields = get_pairs(r)?;
    // State names repeat in every match of a rule: shared.
    let state = get_pairs_with(r, |s| strings.get(&s))?;
    let event = EventRef {
        time,
        computer,
        channel,
        provider,
        event_id,
        record_id,
        source,
    };
    Ok(Entry {
        rule,
        m: EventMatch {
            event,
            fields,
            state,
            rank,
        },
        primary,
        copies,
    })
}

/// Evidence files by index, as spilled records name them.
#[derive(Default)]
pub(super) struct SourceTable {
    /// Files, by index.
    pub list: Vec<Arc<Source>>,
    /// Path → index; emptied by [`SourceTable::freeze`].
    index: HashMap<PathBuf, u32>,
    /// The index last looked up: a reader's matches come a chunk at a time, from one file.
    last: Option<u32>,
}

impl SourceTable {
    /// The index of `s`, added when new.
    pub fn index_of(&mut self, s: &Arc<Source>) -> u32 {
        // The same file (the very same shared value, which the list keeps alive) needs no
        // hashing of its path.
        if let Some(i) = self.last {
            if self.list.get(i as usize).is_some_and(|l| Arc::ptr_eq(l, s)) {
                return i;
            }
        }
        let i = match self.index.get(&s.path) {
            Some(&i) => i,
            None => {
                let i = self.list.len() as u32;
                self.list.push(Arc::clone(s));
                self.index.insert(s.path.clone(), i);
                i
            }
        };
        self.last = Some(i);
        i
    }

    /// Drop the lookup map once nothing more is added (the list stays readable).
    pub fn freeze(&mut self) {
        self.index = HashMap::new();
    }
}
