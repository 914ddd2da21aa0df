//! Deterministic damage to EVTX files: each mutation says which chunks it leaves untouched, so the
//! test can demand that their records are still read.
//!
//! Layout used (EVTX 3.x): a 4096-byte file header (`ElfFile\0`, chunk count u16 at 42, header
//! CRC at 124), then 64 KiB chunks: `ElfChnk\0`, record numbers and ids (8..40), free-space
//! offset (u32 at 0x30), records CRC (u32 at 0x34), header CRC (u32 at 0x7C), 64 common-string
//! offsets (u32 from 0x80), 32 template offsets (u32 from 0x180), records from 0x200. A record is
//! `**\0\0`, size u32, id u64, time u64, then BinXML (a fragment header `0f 01 01 00` and, for
//! most records, a template instance `0c 01 <id u32> <definition offset u32>`).

#![allow(dead_code)]

use std::ops::Range;

/// Size of the file header block.
pub const HEADER: usize = 4096;
/// Size of a chunk.
pub const CHUNK: usize = 65536;

/// A tiny deterministic PRNG (xorshift64*), so every run builds the same mutated files.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed (any value; zero is remapped).
    pub fn new(seed: u64) -> Rng {
        let mut r = Rng(seed ^ 0x9E37_79B9_7F4A_7C15);
        if r.0 == 0 {
            r.0 = 1;
        }
        r.next();
        r
    }
    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    /// A number in `range` (non-empty).
    pub fn within(&mut self, range: Range<usize>) -> usize {
        range.start + self.below(range.end - range.start)
    }
    /// One of the items.
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

/// Which records of the original must still be read from the mutated file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    /// Every record of every chunk.
    All,
    /// Every record except those of this chunk (the only one touched).
    AllBut(usize),
    /// The records of these chunks (the rest of the file was cut or replaced).
    Chunks(Range<usize>),
}

impl Expect {
    /// Whether the records of chunk `j` must still be read.
    pub fn keeps(&self, j: usize) -> bool {
        match self {
            Expect::All => true,
            Expect::AllBut(k) => j != *k,
            Expect::Chunks(r) => r.contains(&j),
        }
    }
}

/// The kinds of damage, applied in turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Cut the file at a random offset.
    Truncate,
    /// Flip bits in the file header (never the 8-byte magic, so the file is still discovered).
    FileHeaderBits,
    /// Flip bits in one chunk's header and string/template tables.
    ChunkHeaderBits,
    /// Flip bits in one chunk's record bytes.
    RecordBits,
    /// Zero a whole chunk.
    ZeroChunk,
    /// Corrupt a chunk's header and/or records CRC32.
    ChunkCrc,
    /// Overwrite one chunk with a copy of another.
    DuplicateChunk,
    /// Append a copy of a chunk (and sometimes a cut-off piece of one) at the end.
    AppendChunk,
    /// Set one record's size field to an absurd value.
    RecordSize,
    /// Set common-string / template table entries and the free-space offset to absurd values.
    TableOffsets,
    /// Point a record's template instance at an absurd definition offset.
    TemplateOffset,
    /// Append a second whole EVTX file.
    Concatenate,
}

/// Every kind, in the order the test cycles through them.
pub const KINDS: &[Kind] = &[
    Kind::Truncate,
    Kind::FileHeaderBits,
    Kind::ChunkHeaderBits,
    Kind::RecordBits,
    Kind::ZeroChunk,
    Kind::ChunkCrc,
    Kind::DuplicateChunk,
    Kind::AppendChunk,
    Kind::RecordSize,
    Kind::TableOffsets,
    Kind::TemplateOffset,
    Kind::Concatenate,
];

impl Kind {
    /// A short name for file names and reports.
    pub fn name(&self) -> &'static str {
        match self {
            Kind::Truncate => "truncate",
            Kind::FileHeaderBits => "file-header-bits",
            Kind::ChunkHeaderBits => "chunk-header-bits",
            Kind::RecordBits => "record-bits",
            Kind::ZeroChunk => "zero-chunk",
            Kind::ChunkCrc => "chunk-crc",
            Kind::DuplicateChunk => "duplicate-chunk",
            Kind::AppendChunk => "append-chunk",
            Kind::RecordSize => "record-size",
            Kind::TableOffsets => "table-offsets",
            Kind::TemplateOffset => "template-offset",
            Kind::Concatenate => "concatenate",
        }
    }
}

/// A damaged copy of a file.
#[derive(Debug, Clone)]
pub struct Mutation {
    /// The kind of damage and where (`record-bits@3`).
    pub label: String,
    /// The damaged bytes.
    pub bytes: Vec<u8>,
    /// Which records of the original must survive.
    pub expect: Expect,
}

/// Number of whole chunks in a file.
pub fn whole_chunks(len: usize) -> usize {
    len.saturating_sub(HEADER) / CHUNK
}

fn chunk_range(k: usize) -> Range<usize> {
    HEADER + k * CHUNK..HEADER + (k + 1) * CHUNK
}

fn put_u32(bytes: &mut [u8], at: usize, v: u32) {
    if let Some(dst) = bytes.get_mut(at..at + 4) {
        dst.copy_from_slice(&v.to_le_bytes());
    }
}

fn get_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at + 4)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn flip_bits(bytes: &mut [u8], range: Range<usize>, count: usize, rng: &mut Rng) {
    if range.is_empty() {
        return;
    }
    for _ in 0..count {
        let at = rng.within(range.clone());
        bytes[at] ^= 1 << rng.below(8);
    }
}

/// Offsets (in the file) of the records of chunk `k`, found by their magic.
fn record_offsets(bytes: &[u8], k: usize) -> Vec<usize> {
    let r = chunk_range(k);
    let chunk = &bytes[r.clone()];
    (0x200..CHUNK.saturating_sub(24))
        .step_by(8)
        .filter(|&o| chunk[o..o + 4] == [0x2a, 0x2a, 0, 0])
        .map(|o| r.start + o)
        .collect()
}

/// Absurd 32-bit sizes and offsets.
const ABSURD: &[u32] = &[
    0,
    1,
    4,
    24,
    0x7F,
    0x80,
    0x1FF,
    0x200,
    0xFFFC,
    0xFFFF,
    0x1_0000,
    0x7FFF_FFFF,
    0x8000_0000,
    0xFFFF_FFF0,
    0xFFFF_FFFF,
];

fn absurd(rng: &mut Rng) -> u32 {
    if rng.below(4) == 0 {
        rng.next() as u32
    } else {
        rng.pick(ABSURD)
    }
}

/// Apply one kind of damage to `orig` (`other` is a second file, for concatenation).
pub fn mutate(kind: Kind, orig: &[u8], other: &[u8], rng: &mut Rng) -> Mutation {
    let n = whole_chunks(orig.len());
    let mut bytes = orig.to_vec();
    // Damage confined to one chunk needs a chunk; a file without one is cut instead.
    let kind = if n == 0 && !matches!(kind, Kind::FileHeaderBits | Kind::Concatenate) {
        Kind::Truncate
    } else {
        kind
    };
    let k = rng.below(n.max(1));
    let (label, expect) = match kind {
        Kind::Truncate => {
            let at = if rng.below(8) == 0 || orig.len() <= HEADER {
                rng.within(8..HEADER.min(orig.len()).max(9))
            } else {
                rng.within(HEADER..orig.len())
            };
            bytes.truncate(at);
            (
                format!("truncate@{at}"),
                Expect::Chunks(0..whole_chunks(at)),
            )
        }
        Kind::FileHeaderBits => {
            let end = HEADER.min(bytes.len());
            let flips = rng.within(1..17);
            flip_bits(&mut bytes, 8..end, flips, rng);
            if rng.below(3) == 0 && end >= 44 {
                let v = rng.pick(&[0u16, 1, 0xFFFF, 0x8000]);
                bytes[42..44].copy_from_slice(&v.to_le_bytes());
            }
            if rng.below(3) == 0 && end >= 42 {
                put_u32(&mut bytes, 32, absurd(rng));
                bytes[40..42].copy_from_slice(&(rng.next() as u16).to_le_bytes());
            }
            (format!("file-header-bits x{flips}"), Expect::All)
        }
        Kind::ChunkHeaderBits => {
            let r = chunk_range(k);
            let flips = rng.within(1..9);
            flip_bits(&mut bytes, r.start..r.start + 0x200, flips, rng);
            (format!("chunk-header-bits@{k} x{flips}"), Expect::AllBut(k))
        }
        Kind::RecordBits => {
            let r = chunk_range(k);
            let free = get_u32(&bytes, r.start + 0x30).unwrap_or(0) as usize;
            let end = if (0x201..=CHUNK).contains(&free) {
                free
            } else {
                CHUNK
            };
            let flips = rng.within(1..33);
            flip_bits(&mut bytes, r.start + 0x200..r.start + end, flips, rng);
            (format!("record-bits@{k} x{flips}"), Expect::AllBut(k))
        }
        Kind::ZeroChunk => {
            bytes[chunk_range(k)].fill(0);
            (format!("zero-chunk@{k}"), Expect::AllBut(k))
        }
        Kind::ChunkCrc => {
            let r = chunk_range(k);
            let which = rng.below(3);
            if which != 1 {
                let old = get_u32(&bytes, r.start + 0x7C).unwrap_or(0);
                put_u32(&mut bytes, r.start + 0x7C, old ^ (rng.next() as u32 | 1));
            }
            if which != 0 {
                let old = get_u32(&bytes, r.start + 0x34).unwrap_or(0);
                put_u32(&mut bytes, r.start + 0x34, old ^ (rng.next() as u32 | 1));
            }
            // Only a checksum changed: every record is still there to read.
            (format!("chunk-crc@{k} ({which})"), Expect::All)
        }
        Kind::DuplicateChunk if n >= 2 => {
            let mut a = rng.below(n);
            if a == k {
                a = (a + 1) % n;
            }
            let copy = orig[chunk_range(a)].to_vec();
            bytes[chunk_range(k)].copy_from_slice(&copy);
            (format!("duplicate-chunk {a}->{k}"), Expect::AllBut(k))
        }
        Kind::DuplicateChunk | Kind::AppendChunk => {
            let a = rng.below(n);
            bytes.extend_from_slice(&orig[chunk_range(a)]);
            let cut = if rng.below(2) == 0 {
                let piece = rng.within(1..CHUNK);
                bytes.extend_from_slice(&orig[chunk_range(a)][..piece]);
                format!(" + {piece} bytes")
            } else {
                String::new()
            };
            (format!("append-chunk {a}{cut}"), Expect::All)
        }
        Kind::RecordSize => {
            let records = record_offsets(&bytes, k);
            if records.is_empty() {
                let r = chunk_range(k);
                flip_bits(&mut bytes, r.start + 0x200..r.end, 8, rng);
                (
                    format!("record-size@{k} (no record: bits)"),
                    Expect::AllBut(k),
                )
            } else {
                let at = rng.pick(&records);
                let v = absurd(rng);
                put_u32(&mut bytes, at + 4, v);
                (
                    format!("record-size@{k}+{} = {v:#x}", at - chunk_range(k).start),
                    Expect::AllBut(k),
                )
            }
        }
        Kind::TableOffsets => {
            let r = chunk_range(k);
            let entries = rng.within(1..9);
            for _ in 0..entries {
                // 64 string offsets then 32 template offsets.
                let slot = rng.below(96);
                put_u32(&mut bytes, r.start + 0x80 + 4 * slot, absurd(rng));
            }
            if rng.below(3) == 0 {
                put_u32(&mut bytes, r.start + 0x30, absurd(rng));
            }
            if rng.below(3) == 0 {
                put_u32(&mut bytes, r.start + 0x2C, absurd(rng));
            }
            (format!("table-offsets@{k} x{entries}"), Expect::AllBut(k))
        }
        Kind::TemplateOffset => {
            let templated: Vec<usize> = record_offsets(&bytes, k)
                .into_iter()
                .filter(|&o| bytes.get(o + 24..o + 30) == Some(&[0x0f, 1, 1, 0, 0x0c, 1][..]))
                .collect();
            let hits = rng.within(1..4).min(templated.len());
            for _ in 0..hits {
                let at = rng.pick(&templated);
                put_u32(&mut bytes, at + 34, absurd(rng));
            }
            if hits == 0 {
                let slot = rng.below(32);
                put_u32(
                    &mut bytes,
                    chunk_range(k).start + 0x180 + 4 * slot,
                    absurd(rng),
                );
            }
            (format!("template-offset@{k} x{hits}"), Expect::AllBut(k))
        }
        Kind::Concatenate => {
            bytes.extend_from_slice(other);
            (
                format!("concatenate +{}", other.len()),
                Expect::Chunks(0..n),
            )
        }
    };
    Mutation {
        label,
        bytes,
        expect,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng_is_deterministic_and_spread() {
        let a: Vec<u64> = (0..4).map(|_| Rng::new(7).next()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        let mut r = Rng::new(7);
        let mut seen = [false; 10];
        for _ in 0..200 {
            seen[r.below(10)] = true;
        }
        assert!(seen.iter().all(|s| *s));
    }
}
