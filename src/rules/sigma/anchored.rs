//! Many anchored values of one item, tested with a few hash look-ups instead of one by one.
//!
//! SigmaHQ rules often list dozens or hundreds of `endswith` values (DLL names, extensions) or
//! exact values for one field. Comparing a text with each costs one comparison per value; this
//! index groups the values by kind and length, so a text costs one look-up per distinct length:
//! its tail (or head, or whole text) of that length, ASCII-lower-cased unless the item is
//! case-sensitive, in a hash set.

use std::collections::HashSet;

/// Longest value the index takes (longer ones stay with the one-by-one tests).
pub const MAX_LEN: usize = 128;

/// Fewest anchored values worth an index.
pub const MIN_VALUES: usize = 8;

/// Where in the text a value must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    /// The whole text.
    Exact,
    /// The start of the text.
    Prefix,
    /// The end of the text.
    Suffix,
}

/// Values of one length (ASCII-lower-cased unless the item is case-sensitive).
type Values = HashSet<Box<[u8]>, foldhash::fast::RandomState>;

/// Values of one anchor, by length.
#[derive(Debug, Clone, Default)]
struct ByLength {
    /// (length, the values of that length), shortest first.
    sets: Vec<(usize, Values)>,
}

impl ByLength {
    fn insert(&mut self, key: Box<[u8]>) {
        let len = key.len();
        let at = match self.sets.binary_search_by_key(&len, |(l, _)| *l) {
            Ok(at) => at,
            Err(at) => {
                self.sets.insert(at, (len, HashSet::default()));
                at
            }
        };
        self.sets[at].1.insert(key);
    }

    /// Whether `piece` is one of the values.
    fn has(&self, piece: &[u8], cased: bool) -> bool {
        match self.sets.binary_search_by_key(&piece.len(), |(l, _)| *l) {
            Ok(at) => contains(&self.sets[at].1, piece, cased),
            Err(_) => false,
        }
    }

    /// Whether, for some length, the piece of `text` that `cut` takes is one of the values.
    fn has_piece(&self, text: &[u8], cased: bool, cut: fn(&[u8], usize) -> &[u8]) -> bool {
        self.sets
            .iter()
            .take_while(|(len, _)| *len <= text.len())
            .any(|(len, set)| contains(set, cut(text, *len), cased))
    }
}

/// The first `n` bytes of `t` (`n` is at most its length).
fn head(t: &[u8], n: usize) -> &[u8] {
    &t[..n]
}

/// The last `n` bytes of `t` (`n` is at most its length).
fn tail(t: &[u8], n: usize) -> &[u8] {
    &t[t.len() - n..]
}

/// Whether `piece` (ASCII-lower-cased first unless `cased`) is in `set`.
fn contains(
    set: &HashSet<Box<[u8]>, foldhash::fast::RandomState>,
    piece: &[u8],
    cased: bool,
) -> bool {
    if cased {
        return set.contains(piece);
    }
    let mut folded = [0u8; MAX_LEN];
    let Some(out) = folded.get_mut(..piece.len()) else {
        return false;
    };
    out.copy_from_slice(piece);
    out.make_ascii_lowercase();
    set.contains(&*out)
}

/// Exact, prefix and suffix values of one item.
#[derive(Debug, Clone, Default)]
pub struct AnchoredIndex {
    exact: ByLength,
    prefix: ByLength,
    suffix: ByLength,
    cased: bool,
}

impl AnchoredIndex {
    /// An empty index; `cased` compares bytes as they are, otherwise ASCII letters fold.
    pub fn new(cased: bool) -> AnchoredIndex {
        AnchoredIndex {
            cased,
            ..AnchoredIndex::default()
        }
    }

    /// Whether the index can take `value`: not longer than [`MAX_LEN`], and not ending in a
    /// blank (a text's trailing blanks are ignored only for values without them).
    pub fn takes(value: &str) -> bool {
        value.len() <= MAX_LEN && !value.ends_with([' ', '\t'])
    }

    /// Add a value (one [`AnchoredIndex::takes`]).
    pub fn insert(&mut self, anchor: Anchor, value: &str) {
        let mut key: Box<[u8]> = value.as_bytes().into();
        if !self.cased {
            key.make_ascii_lowercase();
        }
        match anchor {
            Anchor::Exact => self.exact.insert(key),
            Anchor::Prefix => self.prefix.insert(key),
            Anchor::Suffix => self.suffix.insert(key),
        }
    }

    /// Whether any value matches `text` as the one-by-one tests would: at its start, equal to
    /// it or at its end; when the text ends in a blank, equal to it or at its end with its
    /// trailing white space left out too.
    pub fn matches(&self, text: &str) -> bool {
        let cased = self.cased;
        let whole = text.as_bytes();
        let at_end = |t: &[u8]| self.exact.has(t, cased) || self.suffix.has_piece(t, cased, tail);
        self.prefix.has_piece(whole, cased, head)
            || at_end(whole)
            || (text.ends_with([' ', '\t']) && at_end(text.trim_end().as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::{Anchor, AnchoredIndex};

    fn index(cased: bool) -> AnchoredIndex {
        let mut index = AnchoredIndex::new(cased);
        index.insert(Anchor::Suffix, "\\Apphelp.dll");
        index.insert(Anchor::Suffix, ".exe");
        index.insert(Anchor::Prefix, "C:\\Windows\\");
        index.insert(Anchor::Exact, "NtLmSsp");
        index
    }

    #[test]
    fn folds_ascii_case_unless_cased() {
        let folded = index(false);
        assert!(folded.matches("C:\\Users\\x\\APPHELP.DLL"));
        assert!(folded.matches("c:\\windows\\system32\\x"));
        assert!(folded.matches("ntlmssp"));
        assert!(!folded.matches("ntlmssp2"));
        assert!(!folded.matches("apphelp.dll"));
        let cased = index(true);
        assert!(!cased.matches("C:\\Users\\x\\APPHELP.DLL"));
        assert!(cased.matches("C:\\Users\\x\\Apphelp.dll"));
        assert!(!cased.matches("ntlmssp"));
    }

    #[test]
    fn trailing_blanks_count_only_for_suffixes_and_equality() {
        let index = index(false);
        assert!(index.matches("NtLmSsp "));
        assert!(index.matches("x.exe \t"));
        assert!(index.matches("x.exe\n "));
        assert!(!index.matches("x.exe\n"));
        assert!(!index.matches(" C:\\Windows\\x"));
        assert!(!index.matches(""));
        assert!(!index.matches(".ex"));
    }
}
