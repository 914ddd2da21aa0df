//! BinXML tokens as the records of a chunk use them (MS-EVEN6 §2.2.12): element starts with
//! dependency ids and sizes patched after the fact, attributes, literal strings, substitutions
//! and the typed substitution values of a template instance.

use super::chunk::{patch_u16, patch_u32, put_u16, put_u32, Chunk};

/// Value types (MS-EVEN6 §2.2.11).
pub(crate) mod ty {
    pub const NULL: u8 = 0x00;
    pub const STRING: u8 = 0x01;
    pub const UINT8: u8 = 0x04;
    pub const UINT16: u8 = 0x06;
    pub const UINT32: u8 = 0x08;
    pub const UINT64: u8 = 0x0a;
    pub const GUID: u8 = 0x0f;
    pub const FILETIME: u8 = 0x11;
    pub const SID: u8 = 0x13;
    pub const HEX_INT64: u8 = 0x15;
    pub const BINXML: u8 = 0x21;
}

/// An element without a dependency.
pub(crate) const NO_DEPENDENCY: u16 = 0xffff;

/// The fragment header that starts every BinXML stream (version 1.1).
pub(crate) fn fragment_header(c: &mut Chunk) {
    c.data.extend_from_slice(&[0x0f, 0x01, 0x01, 0x00]);
}

/// End of a BinXML stream.
pub(crate) fn eof(c: &mut Chunk) {
    c.data.push(0x00);
}

/// Start an element of a template definition; returns where its size is to be patched.
pub(crate) fn open_element(
    c: &mut Chunk,
    name: &str,
    dependency: u16,
    has_attributes: bool,
) -> usize {
    c.data.push(if has_attributes { 0x41 } else { 0x01 });
    put_u16(&mut c.data, dependency);
    let size_at = c.data.len();
    put_u32(&mut c.data, 0);
    c.name_ref(name);
    size_at
}

/// Start the attribute list; returns where its size is to be patched.
pub(crate) fn begin_attributes(c: &mut Chunk) -> usize {
    let at = c.data.len();
    put_u32(&mut c.data, 0);
    at
}

/// End the attribute list started at `at`.
pub(crate) fn end_attributes(c: &mut Chunk, at: usize) {
    let size = c.data.len() - (at + 4);
    patch_u32(&mut c.data, at, size as u32);
}

/// An attribute name; `more` when another attribute follows it.
pub(crate) fn attribute(c: &mut Chunk, name: &str, more: bool) {
    c.data.push(if more { 0x46 } else { 0x06 });
    c.name_ref(name);
}

/// Close the start tag: children follow.
pub(crate) fn close_start(c: &mut Chunk) {
    c.data.push(0x02);
}

/// Close an element without children, started at `size_at`.
pub(crate) fn close_empty(c: &mut Chunk, size_at: usize) {
    c.data.push(0x03);
    patch_size(c, size_at);
}

/// End an element with children, started at `size_at`.
pub(crate) fn end_element(c: &mut Chunk, size_at: usize) {
    c.data.push(0x04);
    patch_size(c, size_at);
}

fn patch_size(c: &mut Chunk, size_at: usize) {
    let size = c.data.len() - (size_at + 4);
    patch_u32(&mut c.data, size_at, size as u32);
}

/// A literal string value (length-prefixed UTF-16, no NUL). Callers keep it under 32768 units.
pub(crate) fn literal_string(c: &mut Chunk, s: &str) {
    c.data.push(0x05);
    c.data.push(ty::STRING);
    let len_at = c.data.len();
    put_u16(&mut c.data, 0);
    let units = put_utf16(&mut c.data, s);
    patch_u16(&mut c.data, len_at, units as u16);
}

/// A substitution placeholder: value `index` of the instance, of type `value_type`; an
/// optional one disappears when its value is empty.
pub(crate) fn substitution(c: &mut Chunk, index: u16, value_type: u8, optional: bool) {
    c.data.push(if optional { 0x0e } else { 0x0d });
    put_u16(&mut c.data, index);
    c.data.push(value_type);
}

/// Append `s` as UTF-16LE; returns the number of code units.
pub(crate) fn put_utf16(buf: &mut Vec<u8>, s: &str) -> usize {
    if s.is_ascii() {
        // Zero-fill, then set every other byte: a loop the compiler vectorizes.
        let start = buf.len();
        buf.resize(start + 2 * s.len(), 0);
        if let Some(dst) = buf.get_mut(start..) {
            for (pair, b) in dst.chunks_exact_mut(2).zip(s.bytes()) {
                pair[0] = b;
            }
        }
        return s.len();
    }
    let mut n = 0;
    for u in s.encode_utf16() {
        buf.extend_from_slice(&u.to_le_bytes());
        n += 1;
    }
    n
}

/// The substitution values of a template instance: a descriptor table (size, type) followed by
/// the values, each descriptor patched as its value is written.
pub(crate) struct Values {
    table_at: usize,
    next: usize,
}

impl Values {
    /// Write the count and reserve the descriptor table for `count` values.
    pub(crate) fn begin(c: &mut Chunk, count: usize) -> Values {
        put_u32(&mut c.data, count as u32);
        let table_at = c.data.len();
        c.data.resize(table_at + 4 * count, 0);
        Values { table_at, next: 0 }
    }

    /// Record the value written since `start` as the next one, of type `value_type`.
    fn describe(&mut self, c: &mut Chunk, start: usize, value_type: u8) {
        let size = (c.data.len() - start).min(usize::from(u16::MAX)) as u16;
        let at = self.table_at + 4 * self.next;
        patch_u16(&mut c.data, at, size);
        if let Some(slot) = c.data.get_mut(at + 2) {
            *slot = value_type;
        }
        self.next += 1;
    }

    /// A NULL value (an optional part left out).
    pub(crate) fn null(&mut self, c: &mut Chunk) {
        let start = c.data.len();
        self.describe(c, start, ty::NULL);
    }

    /// A fixed-size little-endian value of the given type.
    pub(crate) fn raw(&mut self, c: &mut Chunk, value_type: u8, bytes: &[u8]) {
        let start = c.data.len();
        c.data.extend_from_slice(bytes);
        self.describe(c, start, value_type);
    }

    /// A UTF-16 string value.
    pub(crate) fn string(&mut self, c: &mut Chunk, s: &str) {
        let start = c.data.len();
        put_utf16(&mut c.data, s);
        self.describe(c, start, ty::STRING);
    }

    /// Begin a nested BinXML value; finish it with [`Values::end_binxml`].
    pub(crate) fn begin_binxml(&self, c: &Chunk) -> usize {
        c.data.len()
    }

    /// End the nested BinXML value begun at `start`.
    pub(crate) fn end_binxml(&mut self, c: &mut Chunk, start: usize) {
        self.describe(c, start, ty::BINXML);
    }
}
