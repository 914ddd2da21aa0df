//! Sigma string values: wildcards, escapes and the value-transforming modifiers.
//!
//! A plain Sigma value is text where `*` matches any run of characters and `?` exactly one. A
//! backslash escapes `*`, `?` and itself; before any other character it is literal (so `C:\Temp`
//! and `C:\\Temp` are the same value). Transforming modifiers (`contains`, `windash`, `base64`,
//! `utf16le`, ...) work on the parsed form, [`SigmaStr`], and may turn one value into several.

use base64::Engine;

/// Most variants one rule value may expand to (windash, expand placeholders).
pub const MAX_EXPANSION: usize = 4096;

/// One piece of a parsed Sigma string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Literal text.
    Lit(String),
    /// `*`: any run of characters, possibly empty.
    Star,
    /// `?`: exactly one character.
    One,
}

/// A parsed Sigma string: literal text and wildcards, adjacent literals merged.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SigmaStr {
    /// The pieces, in order.
    pub pieces: Vec<Piece>,
}

impl SigmaStr {
    /// Parse a rule value with Sigma's wildcard and escape rules.
    pub fn parse(raw: &str) -> SigmaStr {
        let mut out = SigmaStr::default();
        let mut chars = raw.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.peek() {
                    Some(&n @ ('*' | '?' | '\\')) => {
                        chars.next();
                        out.push_char(n);
                    }
                    _ => out.push_char('\\'),
                },
                '*' => out.push(Piece::Star),
                '?' => out.push(Piece::One),
                _ => out.push_char(c),
            }
        }
        out
    }

    /// A value with no wildcards.
    pub fn literal(text: &str) -> SigmaStr {
        let mut out = SigmaStr::default();
        if !text.is_empty() {
            out.pieces.push(Piece::Lit(text.to_string()));
        }
        out
    }

    fn push_char(&mut self, c: char) {
        if let Some(Piece::Lit(s)) = self.pieces.last_mut() {
            s.push(c);
        } else {
            self.pieces.push(Piece::Lit(c.to_string()));
        }
    }

    fn push(&mut self, piece: Piece) {
        match (self.pieces.last_mut(), piece) {
            (Some(Piece::Lit(a)), Piece::Lit(b)) => a.push_str(&b),
            (Some(Piece::Star), Piece::Star) => {}
            (_, Piece::Lit(b)) if b.is_empty() => {}
            (_, p) => self.pieces.push(p),
        }
    }

    /// The text when the value has no wildcard.
    pub fn as_plain(&self) -> Option<String> {
        let mut s = String::new();
        for p in &self.pieces {
            match p {
                Piece::Lit(l) => s.push_str(l),
                _ => return None,
            }
        }
        Some(s)
    }

    /// `contains`: wildcards on both sides.
    pub fn contains(mut self) -> SigmaStr {
        if self.pieces.first() != Some(&Piece::Star) {
            self.pieces.insert(0, Piece::Star);
        }
        self.push(Piece::Star);
        self
    }

    /// `startswith`: a wildcard after the value.
    pub fn startswith(mut self) -> SigmaStr {
        self.push(Piece::Star);
        self
    }

    /// `endswith`: a wildcard before the value.
    pub fn endswith(mut self) -> SigmaStr {
        if self.pieces.first() != Some(&Piece::Star) {
            self.pieces.insert(0, Piece::Star);
        }
        self
    }

    /// The literal pieces, longest first (for pre-filter needles).
    pub fn longest_literal(&self) -> Option<&str> {
        self.pieces
            .iter()
            .filter_map(|p| match p {
                Piece::Lit(l) => Some(l.as_str()),
                _ => None,
            })
            .max_by_key(|l| l.chars().count())
    }

    /// `windash`: every `-` or `/` that starts a word (follows a non-word character or the start
    /// of a literal piece and precedes a word character) becomes each of `-`, `/`, `–`, `—`, `―`;
    /// several such positions vary independently.
    pub fn windash(&self) -> Result<Vec<SigmaStr>, String> {
        const DASHES: [char; 5] = ['-', '/', '\u{2013}', '\u{2014}', '\u{2015}'];
        let mut variants = vec![SigmaStr::default()];
        for piece in &self.pieces {
            let Piece::Lit(text) = piece else {
                for v in &mut variants {
                    v.push(piece.clone());
                }
                continue;
            };
            let chars: Vec<char> = text.chars().collect();
            for (i, &c) in chars.iter().enumerate() {
                let starts_flag = matches!(c, '-' | '/')
                    && (i == 0 || !is_word(chars[i - 1]))
                    && chars.get(i + 1).is_some_and(|&n| is_word(n));
                if !starts_flag {
                    for v in &mut variants {
                        v.push_char(c);
                    }
                    continue;
                }
                if variants.len() * DASHES.len() > MAX_EXPANSION {
                    return Err(format!(
                        "windash expands to more than {MAX_EXPANSION} variants"
                    ));
                }
                let mut next = Vec::with_capacity(variants.len() * DASHES.len());
                for v in &variants {
                    for d in DASHES {
                        let mut w = v.clone();
                        w.push_char(d);
                        next.push(w);
                    }
                }
                variants = next;
            }
        }
        Ok(variants)
    }
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Text encodings applied before base64.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Utf16 {
    /// `utf16le` / `wide`.
    Le,
    /// `utf16be`.
    Be,
    /// `utf16`: little-endian with a byte-order mark.
    Bom,
}

/// Encode text as UTF-16 bytes.
pub fn utf16_bytes(text: &str, kind: Utf16) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() * 2 + 2);
    if kind == Utf16::Bom {
        out.extend_from_slice(&[0xFF, 0xFE]);
    }
    for unit in text.encode_utf16() {
        let b = match kind {
            Utf16::Be => unit.to_be_bytes(),
            Utf16::Le | Utf16::Bom => unit.to_le_bytes(),
        };
        out.extend_from_slice(&b);
    }
    out
}

/// `base64`: the standard encoding with padding.
pub fn base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// `base64offset`: the three encodings of `bytes` as it may sit at byte offset 0, 1 or 2 of a
/// longer encoded text, cut to the characters that do not depend on the surrounding bytes.
///
/// With `k` unknown bytes before the value, the first `[0, 2, 3][k]` characters mix in those
/// bytes; at the end, a final group of one or two bytes leaves a character that mixes in the
/// next (unknown) byte, so `[0, 3, 2][(k + len) % 3]` characters (with their padding) go.
pub fn base64_offsets(bytes: &[u8]) -> Vec<String> {
    const DROP_START: [usize; 3] = [0, 2, 3];
    const DROP_END: [usize; 3] = [0, 3, 2];
    (0..3)
        .filter_map(|k| {
            let mut shifted = vec![0u8; k];
            shifted.extend_from_slice(bytes);
            let enc = base64(&shifted);
            let end = enc.len().checked_sub(DROP_END[shifted.len() % 3])?;
            let start = DROP_START[k];
            (start < end).then(|| enc[start..end].to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &str) -> Piece {
        Piece::Lit(s.to_string())
    }

    #[test]
    fn escapes_follow_the_specification() {
        assert_eq!(SigmaStr::parse(r"a\*b").pieces, vec![lit("a*b")]);
        assert_eq!(SigmaStr::parse(r"a\?b").pieces, vec![lit("a?b")]);
        assert_eq!(
            SigmaStr::parse(r"a\\*").pieces,
            vec![lit("a\\"), Piece::Star]
        );
        assert_eq!(SigmaStr::parse(r"a\\\*").pieces, vec![lit("a\\*")]);
        assert_eq!(
            SigmaStr::parse(r"C:\Temp\x").pieces,
            vec![lit(r"C:\Temp\x")]
        );
        assert_eq!(SigmaStr::parse(r"\\\\srv").pieces, vec![lit(r"\\srv")]);
        assert_eq!(
            SigmaStr::parse("a*b?c").pieces,
            vec![lit("a"), Piece::Star, lit("b"), Piece::One, lit("c")]
        );
    }

    #[test]
    fn windash_varies_flag_dashes_only() {
        let v = SigmaStr::parse("-param-1 -x").windash().unwrap();
        assert_eq!(v.len(), 25);
        let plain: Vec<String> = v.iter().map(|s| s.as_plain().unwrap()).collect();
        assert!(plain.contains(&"/param-1 \u{2015}x".to_string()));
        assert!(plain.iter().all(|p| p.contains("param-1")));
        let none = SigmaStr::parse("a-b").windash().unwrap();
        assert_eq!(none.len(), 1);
    }

    #[test]
    fn base64offset_gives_the_three_stable_cores() {
        let v = base64_offsets(b"http");
        // "http" at offsets 0, 1, 2 inside a longer base64 text.
        for (k, core) in v.iter().enumerate() {
            for prefix in [&b""[..], b"x", b"xy", b"xyz"] {
                for suffix in [&b""[..], b"!", b"!!", b"!!!"] {
                    let mut s = prefix.to_vec();
                    s.resize(prefix.len() + (3 - prefix.len() % 3) % 3 + k, b'q');
                    s.extend_from_slice(b"http");
                    s.extend_from_slice(suffix);
                    assert!(base64(&s).contains(core.as_str()), "offset {k} {core}");
                }
            }
        }
        assert_eq!(v, vec!["aHR0c", "h0dH", "odHRw"]);
    }

    #[test]
    fn utf16_encodings() {
        assert_eq!(utf16_bytes("cm", Utf16::Le), vec![0x63, 0, 0x6d, 0]);
        assert_eq!(utf16_bytes("cm", Utf16::Be), vec![0, 0x63, 0, 0x6d]);
        assert_eq!(utf16_bytes("c", Utf16::Bom), vec![0xFF, 0xFE, 0x63, 0]);
    }
}
