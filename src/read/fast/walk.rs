//! The record walk of an intact chunk: record headers one after the other, as the evtx crate
//! walks them when nothing is wrong. On anything unexpected it gives up (`None`) and the
//! caller lets the crate walk the chunk, with its resynchronisation and error accounting.

use jiff::Timestamp;

/// Size of a chunk header; the first record follows it.
const CHUNK_HEADER_SIZE: usize = 512;
/// Size of a record header (magic, size, id, time).
const RECORD_HEADER_SIZE: usize = 24;

/// One record found by the walk.
#[derive(Debug, Clone)]
pub(crate) struct RawRecord {
    /// The record's BinXML, a range of the chunk.
    pub binxml: std::ops::Range<usize>,
    /// The header's record id.
    pub id: u64,
    /// The header's time.
    pub time: Timestamp,
}

/// Walk the live records of a chunk from its header up to its free space or its last record
/// (`free_space_offset`, `last_record_id` from the chunk header). `None` when a record header
/// is not where and what it should be.
pub(crate) fn walk_records(
    data: &[u8],
    free_space_offset: u32,
    last_record_id: u64,
) -> Option<Vec<RawRecord>> {
    let live_end = (free_space_offset as usize).min(data.len());
    let mut out = Vec::with_capacity(64);
    let mut offset = CHUNK_HEADER_SIZE;
    while offset < live_end {
        let h = data.get(offset..offset + RECORD_HEADER_SIZE)?;
        if h[..4] != *b"**\0\0" {
            return None;
        }
        let size = u32::from_le_bytes([h[4], h[5], h[6], h[7]]) as usize;
        let id = u64::from_le_bytes(h[8..16].try_into().ok()?);
        let filetime = u64::from_le_bytes(h[16..24].try_into().ok()?);
        let time = super::values::filetime_timestamp(filetime)?;
        if size < RECORD_HEADER_SIZE + 4 {
            return None;
        }
        let start = offset + RECORD_HEADER_SIZE;
        let end = start + (size - RECORD_HEADER_SIZE - 4);
        if end > data.len() {
            return None;
        }
        out.push(RawRecord {
            binxml: start..end,
            id,
            time,
        });
        if id == last_record_id {
            break;
        }
        offset += size;
    }
    Some(out)
}

/// Whether the evtx crate can build the chunk's string cache (it refuses the whole chunk when
/// not): every chain of the string table (64 offsets at byte 128 of the header) must read as
/// names (link, hash, length, UTF-16 without unpaired surrogates up to its first NUL, NUL)
/// inside the chunk. Mirrors the crate's walk, which stops at a link to a name already read.
pub(crate) fn string_table_readable(data: &[u8]) -> bool {
    let Some(table) = data.get(128..384) else {
        return false;
    };
    // Names read so far, by offset (a bit per byte of the chunk).
    let mut seen = vec![0u64; data.len().div_ceil(64)];
    let is_seen =
        |seen: &[u64], at: usize| seen.get(at / 64).is_some_and(|w| w >> (at % 64) & 1 == 1);
    let mut names = 0usize;
    for entry in table.chunks_exact(4) {
        let mut pos = u32::from_le_bytes([entry[0], entry[1], entry[2], entry[3]]) as usize;
        if pos == 0 {
            continue;
        }
        if pos > data.len() {
            return false;
        }
        loop {
            let Some(head) = data.get(pos..pos + 8) else {
                return false;
            };
            let next = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
            let count = usize::from(u16::from_le_bytes([head[6], head[7]]));
            let Some(chars) = data.get(pos + 8..pos + 8 + 2 * count) else {
                return false;
            };
            if data.len() < pos + 8 + 2 * count + 2 {
                return false;
            }
            let units = chars
                .chunks_exact(2)
                .map(|u| u16::from_le_bytes([u[0], u[1]]))
                .take_while(|u| *u != 0);
            if char::decode_utf16(units).any(|c| c.is_err()) {
                return false;
            }
            if let Some(w) = seen.get_mut(pos / 64) {
                *w |= 1 << (pos % 64);
            }
            names += 1;
            if next == 0 || is_seen(&seen, next as usize) {
                break;
            }
            if next as usize > data.len() || names > 65_536 {
                return false;
            }
            pos = next as usize;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: u64, body: usize) -> Vec<u8> {
        let size = (RECORD_HEADER_SIZE + body + 4) as u32;
        let mut r = b"**\0\0".to_vec();
        r.extend_from_slice(&size.to_le_bytes());
        r.extend_from_slice(&id.to_le_bytes());
        r.extend_from_slice(&132_000_000_000_000_000u64.to_le_bytes());
        r.extend(std::iter::repeat_n(0xaa, body));
        r.extend_from_slice(&size.to_le_bytes());
        r
    }

    #[test]
    fn walks_to_the_last_record_or_free_space() {
        let mut chunk = vec![0u8; CHUNK_HEADER_SIZE];
        chunk.extend(record(7, 10));
        chunk.extend(record(8, 20));
        chunk.extend(record(9, 30));
        let free = chunk.len() as u32;
        chunk.resize(65536, 0);
        let all = walk_records(&chunk, free, 9).unwrap();
        assert_eq!(all.iter().map(|r| r.id).collect::<Vec<_>>(), vec![7, 8, 9]);
        assert_eq!(all[0].binxml, 536..546);
        let two = walk_records(&chunk, free, 8).unwrap();
        assert_eq!(two.len(), 2);
        // A broken magic is the crate's business.
        chunk[CHUNK_HEADER_SIZE + 38] = b'x';
        assert!(walk_records(&chunk, free, 9).is_none());
    }

    #[test]
    fn string_tables_must_read_as_the_crate_reads_them() {
        let mut chunk = vec![0u8; 65536];
        assert!(string_table_readable(&chunk));
        let entry = |chunk: &mut Vec<u8>, at: usize, next: u32, units: &[u16]| {
            chunk[at..at + 4].copy_from_slice(&next.to_le_bytes());
            chunk[at + 6..at + 8].copy_from_slice(&(units.len() as u16).to_le_bytes());
            for (i, u) in units.iter().enumerate() {
                chunk[at + 8 + 2 * i..at + 10 + 2 * i].copy_from_slice(&u.to_le_bytes());
            }
        };
        chunk[128..132].copy_from_slice(&1000u32.to_le_bytes());
        entry(&mut chunk, 1000, 2000, &[0x44, 0x61]);
        // The chain links back to its start: it ends there.
        entry(&mut chunk, 2000, 1000, &[0x45]);
        assert!(string_table_readable(&chunk));
        // An unpaired surrogate makes the crate refuse the chunk.
        entry(&mut chunk, 2000, 0, &[0xd800, 0x41]);
        assert!(!string_table_readable(&chunk));
        // ... unless it follows a NUL, where the name ends.
        entry(&mut chunk, 2000, 0, &[0x41, 0, 0xd800]);
        assert!(string_table_readable(&chunk));
        // A link out of the chunk.
        entry(&mut chunk, 2000, 70_000, &[0x41]);
        assert!(!string_table_readable(&chunk));
    }
}
