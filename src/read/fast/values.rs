//! Substitution values of a template instance: read from the record's bytes, and written as text
//! exactly as the XML path reads them back (the evtx crate's XML rendering, then XML unescaping).
//!
//! Only the shapes the fast path is sure about are decoded; anything else is
//! [`Value::Unsupported`], and a record that uses such a value goes to the XML path.

/// One substitution value, borrowing the chunk's bytes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Value<'a> {
    /// NullType (and an empty BinXML value, which the crate turns into one).
    Null,
    /// UTF-16LE text; it ends at its first NUL unit, if any (see [`write_utf16`]).
    Utf16(&'a [u8]),
    /// ANSI text of ASCII bytes only, NULs included (they are dropped when written).
    Ascii(&'a [u8]),
    /// A signed integer (Int8/16/32/64, and BoolType values other than 0 and 1).
    Int(i64),
    /// An unsigned integer (UInt8/16/32/64).
    UInt(u64),
    /// A BoolType of 0 or 1.
    Bool(bool),
    /// Binary bytes, written as upper-case hex.
    Binary(&'a [u8]),
    /// A GUID's 16 bytes, written `{lower-case}`.
    Guid(&'a [u8]),
    /// A hex integer (HexInt32/64, SizeT), written `0x` + lower-case hex.
    Hex(u64),
    /// A FILETIME.
    FileTime(u64),
    /// A SYSTEMTIME's 16 bytes.
    SysTime(&'a [u8]),
    /// A SID's bytes.
    Sid(&'a [u8]),
    /// An empty array (renders as nothing).
    EmptyArray,
    /// A UTF-16 string array: NUL-terminated strings back to back, the last one terminated
    /// too. More than one item repeats the element that holds it, once per item.
    StrArray(&'a [u8]),
    /// Embedded BinXML that is one template instance: the record's instance with this index
    /// (see `build::Instance`), an element when rendered.
    Nested(u32),
    /// Other embedded BinXML (an element when rendered), at `at` in the chunk, `len` bytes:
    /// the XML path handles it.
    BinXml { at: usize, len: usize },
    /// A value the fast path does not decode (floats, non-ASCII ANSI, arrays, handles...).
    Unsupported,
}

impl<'a> Value<'a> {
    /// The items of a string array (none for other values).
    pub(crate) fn array_items(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        let raw: &'a [u8] = match self {
            Value::StrArray(raw) => raw,
            _ => &[],
        };
        let mut rest = raw;
        std::iter::from_fn(move || {
            let n = rest.chunks_exact(2).position(|u| u == [0, 0])?;
            let item = &rest[..2 * n];
            rest = &rest[2 * n + 2..];
            Some(item)
        })
    }

    /// How many items a string array has (0 for other values).
    pub(crate) fn array_len(&self) -> usize {
        match self {
            Value::StrArray(raw) => raw.chunks_exact(2).filter(|u| *u == [0, 0]).count(),
            _ => 0,
        }
    }

    /// Empty in the evtx crate's sense (`is_optional_empty`): an optional substitution of such a
    /// value disappears, and an attribute made only of such values is left out.
    pub(crate) fn is_empty(&self) -> bool {
        match self {
            Value::Null | Value::EmptyArray => true,
            Value::Utf16(b) => matches!(b, [] | [_] | [0, 0, ..]),
            Value::Ascii(b) | Value::Binary(b) => b.is_empty(),
            _ => false,
        }
    }

    /// NULL in the crate's sense: an element whose DependencyId names it is left out.
    pub(crate) fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
}

/// Why a record's values could not be read by the fast path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Unreadable;

/// Read `count` substitution values (descriptor table, then values) from `bytes` at `pos`,
/// appending them to `out`. Returns the position after the last value.
pub(crate) fn read_values<'a>(
    bytes: &'a [u8],
    mut pos: usize,
    count: usize,
    out: &mut Vec<Value<'a>>,
) -> Result<usize, Unreadable> {
    let table_len = count.checked_mul(4).ok_or(Unreadable)?;
    let table = bytes.get(pos..pos + table_len).ok_or(Unreadable)?;
    pos += table_len;
    out.reserve(count);
    for d in table.chunks_exact(4) {
        let size = usize::from(u16::from_le_bytes([d[0], d[1]]));
        let ty = d[2];
        let raw = bytes.get(pos..pos + size).ok_or(Unreadable)?;
        let value = match decode(ty, raw)? {
            Value::BinXml { len, .. } => Value::BinXml { at: pos, len },
            other => other,
        };
        pos += size;
        out.push(value);
    }
    Ok(pos)
}

fn fixed<const N: usize>(raw: &[u8]) -> Result<[u8; N], Unreadable> {
    raw.try_into().map_err(|_| Unreadable)
}

/// Decode one value of type `ty` whose descriptor gave exactly `raw`. Sizes that do not match
/// the type are refused: the crate reads such values in ways the fast path does not mirror.
fn decode(ty: u8, raw: &[u8]) -> Result<Value<'_>, Unreadable> {
    Ok(match ty {
        0x00 => Value::Null,
        0x01 => {
            if !raw.len().is_multiple_of(2) {
                return Err(Unreadable);
            }
            Value::Utf16(raw)
        }
        0x02 if raw.is_ascii() => Value::Ascii(raw),
        0x03 => Value::Int(i64::from(i8::from_le_bytes(fixed(raw)?))),
        0x04 => Value::UInt(u64::from(u8::from_le_bytes(fixed(raw)?))),
        0x05 => Value::Int(i64::from(i16::from_le_bytes(fixed(raw)?))),
        0x06 => Value::UInt(u64::from(u16::from_le_bytes(fixed(raw)?))),
        0x07 => Value::Int(i64::from(i32::from_le_bytes(fixed(raw)?))),
        0x08 => Value::UInt(u64::from(u32::from_le_bytes(fixed(raw)?))),
        0x09 => Value::Int(i64::from_le_bytes(fixed(raw)?)),
        0x0a => Value::UInt(u64::from_le_bytes(fixed(raw)?)),
        0x0d => match i32::from_le_bytes(fixed(raw)?) {
            0 => Value::Bool(false),
            1 => Value::Bool(true),
            other => Value::Int(i64::from(other)),
        },
        0x0e => Value::Binary(raw),
        0x0f if raw.len() == 16 => Value::Guid(raw),
        0x10 | 0x14 if raw.len() == 4 => Value::Hex(u64::from(u32::from_le_bytes(fixed(raw)?))),
        0x10 | 0x15 if raw.len() == 8 => Value::Hex(u64::from_le_bytes(fixed(raw)?)),
        0x11 => Value::FileTime(u64::from_le_bytes(fixed(raw)?)),
        0x12 if raw.len() == 16 => Value::SysTime(raw),
        0x13 => {
            let subs = usize::from(*raw.get(1).ok_or(Unreadable)?);
            if raw.len() != 8 + 4 * subs {
                return Err(Unreadable);
            }
            Value::Sid(raw)
        }
        0x21 if raw.is_empty() => Value::Null,
        0x21 => Value::BinXml {
            at: 0,
            len: raw.len(),
        },
        0x81..=0x95 if raw.is_empty() => Value::EmptyArray,
        0x81 if raw.len().is_multiple_of(2) && raw.ends_with(&[0, 0]) => Value::StrArray(raw),
        // Known types the fast path leaves to the XML path.
        0x02 | 0x0b | 0x0c | 0x20 | 0x23 | 0x81..=0x95 => Value::Unsupported,
        _ => return Err(Unreadable),
    })
}

/// Append `value` as the XML path reads it. `false` when the value cannot be written as text
/// (BinXML, unsupported), so the record must take the XML path.
pub(crate) fn write_value(out: &mut String, value: &Value<'_>) -> bool {
    match *value {
        Value::Null | Value::EmptyArray => {}
        Value::StrArray(_) => {
            for (i, item) in value.array_items().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_utf16(out, item);
            }
        }
        Value::Utf16(b) => write_utf16(out, b),
        Value::Ascii(b) => {
            for &c in b {
                match c {
                    0 => {}
                    _ => out.push(c as char),
                }
            }
        }
        Value::Int(n) => {
            if n < 0 {
                out.push('-');
            }
            write_decimal(out, n.unsigned_abs());
        }
        Value::UInt(n) => write_decimal(out, n),
        Value::Bool(b) => out.push_str(if b { "true" } else { "false" }),
        Value::Binary(b) => {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            out.reserve(b.len() * 2);
            let mut buf = [0u8; 128];
            for part in b.chunks(buf.len() / 2) {
                for (i, &c) in part.iter().enumerate() {
                    buf[2 * i] = HEX[usize::from(c >> 4)];
                    buf[2 * i + 1] = HEX[usize::from(c & 15)];
                }
                push_ascii(out, &buf[..2 * part.len()]);
            }
        }
        Value::Guid(b) => write_guid(out, b),
        Value::Hex(n) => {
            out.push_str("0x");
            write_hex(out, n);
        }
        Value::FileTime(ft) => write_datetime(out, filetime_fields(ft)),
        Value::SysTime(b) => write_datetime(out, systime_fields(b)),
        Value::Sid(b) => write_sid(out, b),
        Value::Nested(_) | Value::BinXml { .. } | Value::Unsupported => return false,
    }
    true
}

/// A number in lower-case hex without leading zeros.
fn write_hex(out: &mut String, mut n: u64) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut buf = [0u8; 16];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = HEX[(n & 15) as usize];
        n >>= 4;
        if n == 0 {
            break;
        }
    }
    push_ascii(out, &buf[i..]);
}

/// A number in decimal, without going through `fmt`.
pub(crate) fn write_decimal(out: &mut String, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    push_ascii(out, &buf[i..]);
}

/// UTF-16LE to UTF-8 as the XML path yields it, up to the first NUL unit (the crate cuts
/// strings there): the C0 controls other than tab, LF and CR, lone surrogates, U+FFFE and U+FFFF
/// each become `_` (what the crate writes for them).
pub(crate) fn write_utf16(out: &mut String, bytes: &[u8]) {
    out.reserve(bytes.len() / 2);
    // Printable ASCII, by far the most common, is gathered and appended in runs.
    let mut ascii = [0u8; 256];
    let mut n = 0;
    let mut units = bytes
        .chunks_exact(2)
        .map(|u| u16::from_le_bytes([u[0], u[1]]))
        .peekable();
    while let Some(u) = units.next() {
        if (0x20..0x7f).contains(&u) {
            ascii[n] = u as u8;
            n += 1;
            if n == ascii.len() {
                push_ascii(out, &ascii);
                n = 0;
            }
            continue;
        }
        if n > 0 {
            push_ascii(out, &ascii[..n]);
            n = 0;
        }
        match u {
            0x00 => break,
            // Control characters are kept as logged (the evtx XML renderer writes `_`): they
            // are evidence, and every output escapes them for its medium.
            0x01..=0x1f => out.push(u as u8 as char),
            0x20..=0x7f => out.push(u as u8 as char),
            0xd800..=0xdbff => match units.peek() {
                Some(&lo) if (0xdc00..=0xdfff).contains(&lo) => {
                    units.next();
                    let c = 0x10000 + ((u32::from(u) - 0xd800) << 10) + (u32::from(lo) - 0xdc00);
                    out.push(char::from_u32(c).unwrap_or('_'));
                }
                _ => out.push('_'),
            },
            0xdc00..=0xdfff | 0xfffe | 0xffff => out.push('_'),
            _ => out.push(char::from_u32(u32::from(u)).unwrap_or('_')),
        }
    }
    if n > 0 {
        push_ascii(out, &ascii[..n]);
    }
}

fn write_guid(out: &mut String, b: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    const ORDER: [usize; 16] = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];
    let mut buf = [b'-'; 38];
    buf[0] = b'{';
    buf[37] = b'}';
    let mut n = 1;
    for (i, &idx) in ORDER.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            n += 1;
        }
        let c = b.get(idx).copied().unwrap_or(0);
        buf[n] = HEX[usize::from(c >> 4)];
        buf[n + 1] = HEX[usize::from(c & 15)];
        n += 2;
    }
    push_ascii(out, &buf);
}

/// Append bytes known to be ASCII.
fn push_ascii(out: &mut String, ascii: &[u8]) {
    out.push_str(std::str::from_utf8(ascii).unwrap_or_default());
}

fn write_sid(out: &mut String, b: &[u8]) {
    let [revision, count, a0, a1, a2, a3, a4, a5, ref subs @ ..] = *b else {
        out.push_str("S-?");
        return;
    };
    let authority = u64::from_be_bytes([0, 0, a0, a1, a2, a3, a4, a5]);
    out.push_str("S-");
    write_decimal(out, u64::from(revision));
    out.push('-');
    write_decimal(out, authority);
    for s in subs.chunks_exact(4).take(usize::from(count)) {
        out.push('-');
        write_decimal(out, u64::from(u32::from_le_bytes([s[0], s[1], s[2], s[3]])));
    }
}

/// The calendar fields of a rendered time.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DateTimeFields {
    pub year: u32,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    /// 100 ns ticks within the second.
    pub ticks: u32,
}

const TICKS_PER_SEC: u64 = 10_000_000;
const TICKS_PER_DAY: u64 = 86_400 * TICKS_PER_SEC;

/// The fields a FILETIME renders as: years past 9999 keep their last four digits, a value past
/// `i64::MAX` renders as all zeros.
pub(crate) fn filetime_fields(ft: u64) -> DateTimeFields {
    if ft > i64::MAX as u64 {
        return DateTimeFields::default();
    }
    let (days, ticks) = (ft / TICKS_PER_DAY, ft % TICKS_PER_DAY);
    // Days since 0000-03-01 (1601-01-01 is day 584,694), in 400-year eras of 146,097 days.
    let z = days + 584_694;
    let (era, doe) = (z / 146_097, z % 146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = era * 400 + yoe + u64::from(month <= 2);
    let secs = ticks / TICKS_PER_SEC;
    DateTimeFields {
        year: (year % 10_000) as u32,
        month: month as u32,
        day: day as u32,
        hour: (secs / 3_600) as u32,
        minute: (secs / 60 % 60) as u32,
        second: (secs % 60) as u32,
        ticks: (ticks % TICKS_PER_SEC) as u32,
    }
}

/// The fields a SYSTEMTIME renders as: one that Windows would not take renders as 1601-01-01.
pub(crate) fn systime_fields(b: &[u8]) -> DateTimeFields {
    let f = |i: usize| {
        u32::from(u16::from_le_bytes([
            b.get(2 * i).copied().unwrap_or(0),
            b.get(2 * i + 1).copied().unwrap_or(0),
        ]))
    };
    let (year, month, day) = (f(0), f(1), f(3));
    let (hour, minute, second, millis) = (f(4), f(5), f(6), f(7));
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    let valid = (1601..=30827).contains(&year)
        && (1..=12).contains(&month)
        && (1..=month_days).contains(&day)
        && hour < 24
        && minute < 60
        && second < 60
        && millis < 1000;
    if !valid {
        return DateTimeFields {
            year: 1601,
            month: 1,
            day: 1,
            ..DateTimeFields::default()
        };
    }
    DateTimeFields {
        year: year % 10_000,
        month,
        day,
        hour,
        minute,
        second,
        ticks: millis * 10_000,
    }
}

/// `YYYY-MM-DDTHH:MM:SS.fffffffZ`, seven fractional digits as Windows renders them.
pub(crate) fn write_datetime(out: &mut String, d: DateTimeFields) {
    let mut buf = *b"0000-00-00T00:00:00.0000000Z";
    let mut put = |range: std::ops::Range<usize>, mut v: u32| {
        for b in buf[range].iter_mut().rev() {
            *b = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0..4, d.year);
    put(5..7, d.month);
    put(8..10, d.day);
    put(11..13, d.hour);
    put(14..16, d.minute);
    put(17..19, d.second);
    put(20..27, d.ticks);
    out.push_str(std::str::from_utf8(&buf).unwrap_or_default());
}

/// The instant a FILETIME stands for, when it renders as itself (no year wrap-around).
pub(crate) fn filetime_timestamp(ft: u64) -> Option<jiff::Timestamp> {
    const WINDOWS_TO_UNIX_SECS: i64 = 11_644_473_600;
    let secs = i64::try_from(ft / TICKS_PER_SEC).ok()? - WINDOWS_TO_UNIX_SECS;
    let nanos = ((ft % TICKS_PER_SEC) * 100) as i32;
    jiff::Timestamp::new(secs, nanos).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(v: Value<'_>) -> String {
        let mut s = String::new();
        assert!(write_value(&mut s, &v));
        s
    }

    fn utf16(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    #[test]
    fn writes_typed_values_as_windows_renders_them() {
        let guid = [
            0x10, 0x92, 0xce, 0x0c, 0xae, 0x69, 0xd9, 0x11, 0xbe, 0xd3, 0x50, 0x50, 0x54, 0x50,
            0x30, 0x30,
        ];
        assert_eq!(
            text(Value::Guid(&guid)),
            "{0cce9210-69ae-11d9-bed3-505054503030}"
        );
        let sid = [1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 0x20, 2, 0, 0];
        assert_eq!(text(Value::Sid(&sid)), "S-1-5-32-544");
        assert_eq!(text(Value::Hex(0x8020000000000000)), "0x8020000000000000");
        assert_eq!(text(Value::Hex(0)), "0x0");
        assert_eq!(text(Value::Binary(&[0xab, 0x01])), "AB01");
        assert_eq!(
            text(Value::FileTime(132_000_000_000_000_123)),
            "2019-04-17T18:40:00.0000123Z"
        );
        assert_eq!(
            text(Value::FileTime(u64::MAX)),
            "0000-00-00T00:00:00.0000000Z"
        );
        let st = [
            0xe3, 0x07, 3, 0, 1, 0, 18, 0, 22, 0, 15, 0, 49, 0, 0x0c, 0x02,
        ];
        assert_eq!(text(Value::SysTime(&st)), "2019-03-18T22:15:49.5240000Z");
        assert_eq!(
            text(Value::SysTime(&[0; 16])),
            "1601-01-01T00:00:00.0000000Z"
        );
        assert_eq!(text(Value::Bool(true)), "true");
        assert_eq!(text(Value::Int(-5)), "-5");
        assert_eq!(text(Value::Int(i64::MIN)), "-9223372036854775808");
        assert_eq!(text(Value::UInt(0)), "0");
        assert_eq!(text(Value::UInt(u64::MAX)), "18446744073709551615");
    }

    #[test]
    fn utf16_keeps_controls_and_maps_broken_units_to_underscores() {
        let mut b = utf16("a\u{1}b\tc é 😀");
        b.extend_from_slice(&0xd800u16.to_le_bytes());
        b.extend_from_slice(&utf16("z\u{fffe}"));
        let mut s = String::new();
        write_utf16(&mut s, &b);
        assert_eq!(s, "a\u{1}b\tc é 😀_z_");
        let long = "C:\\Windows\\System32\\".repeat(9) + "é";
        let mut s = String::new();
        write_utf16(&mut s, &utf16(&long));
        assert_eq!(s, long);
    }

    #[test]
    fn reads_descriptors_and_cuts_strings_at_nul() {
        let mut bytes = Vec::new();
        let s = utf16("hi\0junk");
        bytes.extend_from_slice(&(s.len() as u16).to_le_bytes());
        bytes.extend_from_slice(&[0x01, 0]);
        bytes.extend_from_slice(&[2, 0, 0x06, 0]);
        bytes.extend_from_slice(&[3, 0, 0x00, 0]);
        bytes.extend_from_slice(&s);
        bytes.extend_from_slice(&4688u16.to_le_bytes());
        bytes.extend_from_slice(&[9, 9, 9]);
        let mut out = Vec::new();
        let end = read_values(&bytes, 0, 3, &mut out).unwrap();
        assert_eq!(end, bytes.len());
        assert_eq!(text(out[0]), "hi");
        assert!(!out[0].is_empty());
        assert!(Value::Utf16(&utf16("\0x")).is_empty());
        assert_eq!(out[1], Value::UInt(4688));
        assert_eq!(out[2], Value::Null);
        // A UInt32 whose descriptor says 2 bytes is refused.
        let bad = [2, 0, 0x08, 0, 1, 2];
        assert_eq!(read_values(&bad, 0, 1, &mut Vec::new()), Err(Unreadable));
    }

    #[test]
    fn string_arrays_split_at_nul() {
        let raw = utf16("a\0\0bc\0");
        let v = Value::StrArray(&raw);
        assert_eq!(v.array_len(), 3);
        let items: Vec<&[u8]> = v.array_items().collect();
        assert_eq!(items, vec![&utf16("a")[..], &[][..], &utf16("bc")[..]]);
        assert_eq!(text(v), "a,,bc");
        assert!(!v.is_empty());
    }
}
