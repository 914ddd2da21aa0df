//! Splunk wildcard patterns (`*` matches any run of characters), compared case-insensitively.
//!
//! A pattern is compiled once into an anchored prefix, an anchored suffix and the literal pieces
//! between them; matching walks the value without allocating. ASCII letters fold byte-wise; a
//! pattern with non-ASCII text compares lower-cased copies (the rare case).

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

/// A compiled wildcard pattern.
#[derive(Debug, Clone)]
pub struct WildPattern {
    /// The pattern as written (after unescaping).
    source: Box<str>,
    shape: Shape,
}

#[derive(Debug, Clone)]
enum Shape {
    /// `*`: any value.
    Any,
    /// No wildcard: the whole value equals the text.
    Exact(Box<str>),
    /// Pieces: `prefix*middle1*...*suffix`.
    Pieces {
        prefix: Box<str>,
        suffix: Box<str>,
        middle: Vec<Finder>,
        min_len: usize,
    },
    /// A non-ASCII pattern: lower-cased pieces, compared against a lower-cased value.
    Unicode { pieces: Vec<String> },
}

/// A case-insensitive substring finder for one literal.
#[derive(Debug, Clone)]
struct Finder {
    len: usize,
    searcher: AhoCorasick,
}

impl Finder {
    fn new(lit: &str) -> Option<Finder> {
        // One literal: the prefilter finds candidates and the automaton only confirms them, so
        // the compact NFA costs no measurable time and a fraction of a DFA's memory (rules hold
        // thousands of these).
        let searcher = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostFirst)
            .kind(Some(AhoCorasickKind::ContiguousNFA))
            .build([lit])
            .ok()?;
        Some(Finder {
            len: lit.len(),
            searcher,
        })
    }

    /// End offset of the first occurrence in `hay`.
    fn find_end(&self, hay: &[u8]) -> Option<usize> {
        self.searcher.find(hay).map(|m| m.start() + self.len)
    }
}

/// The longest literal piece of a wildcard pattern's text, lower case.
pub fn longest_literal(pattern: &str) -> String {
    pattern
        .split('*')
        .max_by_key(|p| p.len())
        .unwrap_or("")
        .to_lowercase()
}

fn starts_with_ci(v: &[u8], p: &[u8]) -> bool {
    v.len() >= p.len() && v[..p.len()].eq_ignore_ascii_case(p)
}

fn ends_with_ci(v: &[u8], p: &[u8]) -> bool {
    v.len() >= p.len() && v[v.len() - p.len()..].eq_ignore_ascii_case(p)
}

impl WildPattern {
    /// Compile a pattern: `*` is the wildcard, every other character is literal.
    pub fn new(pattern: &str) -> WildPattern {
        let source: Box<str> = pattern.into();
        if !pattern.contains('*') {
            return WildPattern {
                source,
                shape: Shape::Exact(pattern.into()),
            };
        }
        if pattern.chars().all(|c| c == '*') {
            return WildPattern {
                source,
                shape: Shape::Any,
            };
        }
        let pieces: Vec<&str> = pattern.split('*').collect();
        if !pattern.is_ascii() {
            return WildPattern {
                source,
                shape: Shape::Unicode {
                    pieces: pieces.iter().map(|p| p.to_lowercase()).collect(),
                },
            };
        }
        let n = pieces.len();
        let prefix = pieces[0];
        let suffix = pieces[n - 1];
        let mut middle = Vec::new();
        for p in &pieces[1..n - 1] {
            if !p.is_empty() {
                match Finder::new(p) {
                    Some(f) => middle.push(f),
                    None => {
                        // Cannot build a searcher: fall back to the lower-casing path.
                        return WildPattern {
                            source: source.clone(),
                            shape: Shape::Unicode {
                                pieces: pieces.iter().map(|p| p.to_lowercase()).collect(),
                            },
                        };
                    }
                }
            }
        }
        let min_len = pieces.iter().map(|p| p.len()).sum();
        WildPattern {
            source,
            shape: Shape::Pieces {
                prefix: prefix.into(),
                suffix: suffix.into(),
                middle,
                min_len,
            },
        }
    }

    /// The pattern as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Whether the pattern contains a wildcard.
    pub fn has_wildcard(&self) -> bool {
        !matches!(self.shape, Shape::Exact(_))
    }

    /// Whether the pattern is `*` (matches any present value).
    pub fn is_any(&self) -> bool {
        matches!(self.shape, Shape::Any)
    }

    /// The longest literal piece (for pre-filter needles), lower case.
    pub fn longest_literal(&self) -> String {
        longest_literal(&self.source)
    }

    /// Whether `value` matches, ignoring case.
    pub fn matches(&self, value: &str) -> bool {
        match &self.shape {
            Shape::Any => true,
            Shape::Exact(lit) => {
                if lit.is_ascii() {
                    value.len() == lit.len()
                        && value.as_bytes().eq_ignore_ascii_case(lit.as_bytes())
                } else {
                    value.to_lowercase() == lit.to_lowercase()
                }
            }
            Shape::Pieces {
                prefix,
                suffix,
                middle,
                min_len,
            } => {
                let v = value.as_bytes();
                if v.len() < *min_len
                    || !starts_with_ci(v, prefix.as_bytes())
                    || !ends_with_ci(v, suffix.as_bytes())
                {
                    return false;
                }
                let mut hay = &v[prefix.len()..v.len() - suffix.len()];
                for f in middle {
                    match f.find_end(hay) {
                        Some(end) => hay = &hay[end..],
                        None => return false,
                    }
                }
                true
            }
            Shape::Unicode { pieces } => unicode_match(&value.to_lowercase(), pieces),
        }
    }
}

/// Match lower-cased pieces (the first anchored at the start, the last at the end).
fn unicode_match(v: &str, pieces: &[String]) -> bool {
    let n = pieces.len();
    let (first, last) = (&pieces[0], &pieces[n - 1]);
    if v.len() < first.len() + last.len()
        || !v.starts_with(first.as_str())
        || !v.ends_with(last.as_str())
    {
        return false;
    }
    let mut rest = &v[first.len()..v.len() - last.len()];
    for p in &pieces[1..n - 1] {
        match rest.find(p.as_str()) {
            Some(i) => rest = &rest[i + p.len()..],
            None => return false,
        }
    }
    true
}

/// The values of an `IN (...)` list: any must match. The `*literal*` values among them are
/// found in one case-insensitive multi-pattern pass over the value instead of one pass each.
#[derive(Debug, Clone)]
pub struct WildSet {
    patterns: Vec<WildPattern>,
    /// The literals of the `*literal*` patterns (ASCII), when there are several.
    contains: Option<AhoCorasick>,
    /// The patterns not in `contains`, by index.
    rest: Vec<usize>,
}

/// The literal of a `*literal*` pattern (ASCII, no other wildcard).
fn contains_literal(p: &WildPattern) -> Option<&str> {
    let inner = p.source.strip_prefix('*')?.strip_suffix('*')?;
    let plain = !inner.is_empty() && !inner.contains('*') && inner.is_ascii();
    (plain && matches!(p.shape, Shape::Pieces { .. })).then_some(inner)
}

impl WildSet {
    /// Compile a list of patterns.
    pub fn new(patterns: Vec<WildPattern>) -> WildSet {
        let literals: Vec<&str> = patterns.iter().filter_map(contains_literal).collect();
        let contains = (literals.len() > 1)
            .then(|| {
                AhoCorasickBuilder::new()
                    .ascii_case_insensitive(true)
                    .build(&literals)
                    .ok()
            })
            .flatten();
        let rest = (0..patterns.len())
            .filter(|&i| contains.is_none() || contains_literal(&patterns[i]).is_none())
            .collect();
        WildSet {
            patterns,
            contains,
            rest,
        }
    }

    /// Whether some pattern matches `value` (ignoring case).
    pub fn matches_any(&self, value: &str) -> bool {
        self.contains.as_ref().is_some_and(|ac| ac.is_match(value))
            || self.rest.iter().any(|&i| self.patterns[i].matches(value))
    }
}

impl std::ops::Deref for WildSet {
    type Target = [WildPattern];

    fn deref(&self) -> &[WildPattern] {
        &self.patterns
    }
}

#[cfg(test)]
mod tests {
    use super::WildPattern;

    #[test]
    fn exact_and_wildcards_ignore_case() {
        assert!(WildPattern::new("cmd.exe").matches("CMD.EXE"));
        assert!(!WildPattern::new("cmd.exe").matches("xcmd.exe"));
        assert!(WildPattern::new("*pastebin*").matches("PasteBin.com"));
        assert!(WildPattern::new("*\\users\\public\\*").matches("C:\\Users\\Public\\updater.exe"));
        assert!(!WildPattern::new("*\\users\\public\\*").matches("C:\\Users\\bob\\x.exe"));
        assert!(WildPattern::new("a*b*c").matches("aXXbYYc"));
        assert!(!WildPattern::new("a*b*c").matches("acb"));
        assert!(!WildPattern::new("ab*ba").matches("aba"));
        assert!(WildPattern::new("*").matches(""));
        assert!(WildPattern::new("autoit*.exe").matches("AutoIt3.exe"));
    }

    #[test]
    fn unicode_patterns_fold_case() {
        assert!(WildPattern::new("*ÄBC*").matches("xxäbcxx"));
        assert!(WildPattern::new("Ä").matches("ä"));
        assert!(!WildPattern::new("*ÄBC").matches("äbcx"));
    }
}

#[cfg(test)]
mod set_tests {
    use super::{WildPattern, WildSet};

    #[test]
    fn a_set_matches_like_its_patterns() {
        let pats = [
            "*-enc*",
            "*IEX(*",
            "powershell.exe",
            "*bypass",
            "*hidden*",
            "*é*",
        ];
        let set = WildSet::new(pats.iter().map(|p| WildPattern::new(p)).collect());
        for v in [
            "powershell -ENC abc",
            "x iex(new-object",
            "POWERSHELL.EXE",
            "-ep Bypass",
            "-w HIDDEN",
            "café",
            "nothing here",
            "powershell.exe -nop",
        ] {
            let one_by_one = set.iter().any(|p| p.matches(v));
            assert_eq!(set.matches_any(v), one_by_one, "{v}");
        }
        assert!(!set.matches_any("nothing here"));
        assert!(set.matches_any("-w HIDDEN"));
    }
}
