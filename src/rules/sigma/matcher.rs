//! Compiled string tests: the values of one detection item, searched together.
//!
//! Each value becomes the cheapest test that decides it: equality, prefix, suffix, substring,
//! or (for other wildcard shapes and non-ASCII letters) an anchored regex compiled once. All
//! substrings of an item go into one Aho-Corasick automaton with ASCII case folding (built on
//! first use, see [`super::substrings`]), so an item with fifty `contains` values scans the
//! field once and no field is ever lower-cased.

use super::anchored::{Anchor, AnchoredIndex};
use super::substrings::Substrings;
use super::value::{Piece, SigmaStr};
use regex::{Regex, RegexBuilder};

/// Largest compiled size of one regex.
pub const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// How one value is tested against a text.
#[derive(Debug, Clone)]
enum Test {
    /// Equal to the text.
    Exact(Box<str>),
    /// The text starts with it.
    Prefix(Box<str>),
    /// The text ends with it.
    Suffix(Box<str>),
    /// The text contains it: searched by the set's shared automaton when values are ORed, by
    /// its own automaton when they are ANDed.
    Contains(Option<Substrings>),
    /// Any text at all (`*`).
    Any,
    /// A number: equal as a number, or as text.
    Number(i64),
    /// Anything else, as a regex.
    Regex(Regex),
}

/// The compiled values of one detection item, ORed or (with `all`) ANDed.
#[derive(Debug, Clone)]
pub struct StrSet {
    tests: Vec<Test>,
    contains: Option<Substrings>,
    /// The exact, prefix and suffix values of a long ORed list, looked up by length; `rest`
    /// holds the positions of the tests it does not cover.
    anchored: Option<(AnchoredIndex, Vec<usize>)>,
    /// Tests in the order `all` checks them: longest literal first (likely the rarest).
    order: Vec<usize>,
    /// For each test, literals (lower case) one of which every match contains, if known.
    literals: Vec<Option<Vec<Box<str>>>>,
    cased: bool,
    all: bool,
}

/// One value before compilation: a Sigma string or a number.
#[derive(Debug, Clone)]
pub enum Value {
    /// A string with wildcards.
    Str(SigmaStr),
    /// A YAML number, matched as a number and as its text.
    Number(i64),
}

impl StrSet {
    /// Compile values; `cased` makes them case-sensitive, `all` ANDs them.
    pub fn new(values: Vec<Value>, cased: bool, all: bool) -> Result<StrSet, String> {
        let mut tests = Vec::with_capacity(values.len());
        let mut needles: Vec<String> = Vec::new();
        let mut literals: Vec<Option<Vec<Box<str>>>> = Vec::with_capacity(values.len());
        for v in values {
            literals.push(match &v {
                Value::Str(s) => s
                    .longest_literal()
                    .filter(|l| !l.is_empty())
                    .and_then(|l| spellings(l, cased)),
                Value::Number(_) => None,
            });
            let test = match v {
                Value::Number(n) => Test::Number(n),
                Value::Str(s) => match classify(&s, cased) {
                    Shape::Contains(n) if all => Test::Contains(Some(Substrings::new(n, cased))),
                    Shape::Contains(n) => {
                        needles.extend(n);
                        Test::Contains(None)
                    }
                    Shape::Exact(n) => Test::Exact(n.into()),
                    Shape::Prefix(n) => Test::Prefix(n.into()),
                    Shape::Suffix(n) => Test::Suffix(n.into()),
                    Shape::Any => Test::Any,
                    Shape::Regex => Test::Regex(glob_regex(&s, cased)?),
                },
            };
            tests.push(test);
        }
        let contains = if needles.is_empty() {
            None
        } else {
            Some(Substrings::new(needles, cased))
        };
        let mut order: Vec<usize> = (0..tests.len()).collect();
        order.sort_by_key(|&i| {
            std::cmp::Reverse(
                literals
                    .get(i)
                    .and_then(|l| l.as_ref())
                    .map_or(0, |l| shortest(l)),
            )
        });
        let anchored = if all {
            None
        } else {
            anchored_index(&tests, cased)
        };
        Ok(StrSet {
            tests,
            contains,
            anchored,
            order,
            literals,
            cased,
            all,
        })
    }

    /// Whether the values are ANDed.
    pub fn is_all(&self) -> bool {
        self.all
    }

    /// A rough cost of testing one text: 1 anchored comparisons only, 2 with a substring
    /// search, 3 with a regex.
    pub fn cost(&self) -> u8 {
        let regex = self.tests.iter().any(|t| matches!(t, Test::Regex(_)));
        let search = self.contains.is_some()
            || self
                .tests
                .iter()
                .any(|t| matches!(t, Test::Contains(Some(_))));
        if regex {
            3
        } else if search {
            2
        } else {
            1
        }
    }

    /// The value indices in the order `all` should test them (most selective first).
    pub fn order(&self) -> &[usize] {
        &self.order
    }

    /// Literals (lower case) of which at least one occurs in any text the set matches, or
    /// `None` when some value has no literal (`*`, numbers).
    pub fn required_literals(&self) -> Option<Vec<&str>> {
        if self.all {
            let best = self.literals.iter().flatten().max_by_key(|l| shortest(l))?;
            return Some(best.iter().map(|l| &**l).collect());
        }
        let mut out = Vec::new();
        for l in &self.literals {
            out.extend(l.as_ref()?.iter().map(|l| &**l));
        }
        Some(out)
    }

    /// The whole numbers (0 to `u32::MAX`) that are the only values of a numeric field this set
    /// can match, when every value is one: a number, or a text spelling one in plain decimal.
    /// `None` when some value could match anything else, or when the values are ANDed.
    pub fn only_numbers(&self) -> Option<Vec<u32>> {
        // An empty set decides nothing about ids (ANDed, it would hold for any value).
        if self.tests.is_empty() || (self.all && self.tests.len() > 1) {
            return None;
        }
        self.tests
            .iter()
            .map(|t| match t {
                Test::Number(n) => u32::try_from(*n).ok(),
                Test::Exact(s) => s.parse::<u32>().ok().filter(|n| n.to_string() == **s),
                _ => None,
            })
            .collect()
    }

    /// Whether any value matches `text` (`number` is the field's numeric value when it is one).
    pub fn any(&self, text: &str, number: Option<i64>) -> bool {
        if let Some(ac) = &self.contains {
            if ac.is_match(text) {
                return true;
            }
        }
        match &self.anchored {
            Some((index, rest)) => {
                index.matches(text)
                    || rest.iter().any(|&i| {
                        self.tests
                            .get(i)
                            .is_some_and(|t| self.test(t, text, number))
                    })
            }
            None => self.tests.iter().any(|t| self.test(t, text, number)),
        }
    }

    /// Whether value `i` matches `text` (for `all`).
    pub fn test_one(&self, i: usize, text: &str, number: Option<i64>) -> bool {
        self.tests
            .get(i)
            .is_some_and(|t| self.test(t, text, number))
    }

    fn test(&self, t: &Test, text: &str, number: Option<i64>) -> bool {
        match t {
            Test::Exact(n) => {
                self.eq(text, n) || (ends_blank(text, n) && self.eq(text.trim_end(), n))
            }
            Test::Prefix(n) => self.starts(text, n),
            Test::Suffix(n) => {
                self.ends(text, n) || (ends_blank(text, n) && self.ends(text.trim_end(), n))
            }
            Test::Contains(own) => own.as_ref().is_some_and(|ac| ac.is_match(text)),
            Test::Any => true,
            Test::Number(n) => number.or_else(|| crate::util::parse_int(text)) == Some(*n),
            Test::Regex(r) => r.is_match(text),
        }
    }

    fn eq(&self, text: &str, n: &str) -> bool {
        if self.cased {
            text == n
        } else {
            text.eq_ignore_ascii_case(n)
        }
    }

    fn starts(&self, text: &str, n: &str) -> bool {
        let (t, n) = (text.as_bytes(), n.as_bytes());
        t.len() >= n.len() && {
            let head = &t[..n.len()];
            if self.cased {
                head == n
            } else {
                head.eq_ignore_ascii_case(n)
            }
        }
    }

    fn ends(&self, text: &str, n: &str) -> bool {
        let (t, n) = (text.as_bytes(), n.as_bytes());
        t.len() >= n.len() && {
            let tail = &t[t.len() - n.len()..];
            if self.cased {
                tail == n
            } else {
                tail.eq_ignore_ascii_case(n)
            }
        }
    }
}

/// The index of a list's anchored values, with the positions of the tests it leaves out, when
/// the list has enough of them to be worth it.
fn anchored_index(tests: &[Test], cased: bool) -> Option<(AnchoredIndex, Vec<usize>)> {
    fn anchor(t: &Test) -> Option<(Anchor, &str)> {
        match t {
            Test::Exact(n) if AnchoredIndex::takes(n) => Some((Anchor::Exact, n)),
            Test::Prefix(n) if AnchoredIndex::takes(n) => Some((Anchor::Prefix, n)),
            Test::Suffix(n) if AnchoredIndex::takes(n) => Some((Anchor::Suffix, n)),
            _ => None,
        }
    }
    if tests.iter().filter_map(anchor).count() < super::anchored::MIN_VALUES {
        return None;
    }
    let mut index = AnchoredIndex::new(cased);
    let mut rest = Vec::new();
    for (i, t) in tests.iter().enumerate() {
        match anchor(t) {
            Some((a, n)) => index.insert(a, n),
            None => rest.push(i),
        }
    }
    Some((index, rest))
}

/// Length of the shortest of a value's literal spellings.
fn shortest(spellings: &[Box<str>]) -> usize {
    spellings.iter().map(|l| l.len()).min().unwrap_or(0)
}

/// The lower-case spellings of a literal under the value's case rule (one unless case-folded
/// letters beyond ASCII occur; `None` when there are too many).
fn spellings(lit: &str, cased: bool) -> Option<Vec<Box<str>>> {
    // Pure ASCII (and uncased) literals are folded by the automaton alone, as the matcher's
    // own substring tests do.
    let all = if cased || lit.chars().all(|c| c.is_ascii() || !has_case(c)) {
        vec![lit.to_string()]
    } else {
        super::casefold::variants(lit)?
    };
    Some(
        all.into_iter()
            .map(|l| l.to_ascii_lowercase().into())
            .collect(),
    )
}

/// One automaton over substrings, ASCII case folding unless `cased`.
/// Whether `text` has trailing blanks the needle lacks: Windows writes some values with a
/// trailing space (`LogonProcessName` is `NtLmSsp `), which equality and `endswith` ignore.
fn ends_blank(text: &str, needle: &str) -> bool {
    text.ends_with([' ', '\t']) && !needle.ends_with([' ', '\t'])
}

enum Shape {
    Exact(String),
    Prefix(String),
    Suffix(String),
    /// The spellings of the substring (several when it has letters beyond ASCII).
    Contains(Vec<String>),
    Any,
    Regex,
}

/// The cheapest test for a value. Case-insensitive literals with non-ASCII letters go to the
/// regex engine, whose case folding covers Unicode, or (substrings) are spelled out in every
/// case ([`super::casefold`]).
fn classify(s: &SigmaStr, cased: bool) -> Shape {
    let ascii_ok = |l: &str| cased || l.chars().all(|c| c.is_ascii() || !has_case(c));
    match s.pieces.as_slice() {
        [] => Shape::Exact(String::new()),
        [Piece::Star] => Shape::Any,
        [Piece::Lit(l)] if ascii_ok(l) => Shape::Exact(l.clone()),
        [Piece::Lit(l), Piece::Star] if ascii_ok(l) => Shape::Prefix(l.clone()),
        [Piece::Star, Piece::Lit(l)] if ascii_ok(l) => Shape::Suffix(l.clone()),
        [Piece::Star, Piece::Lit(l), Piece::Star] if ascii_ok(l) => {
            Shape::Contains(vec![l.clone()])
        }
        // Spelled out for the automaton: one pass instead of a Unicode regex per value.
        [Piece::Star, Piece::Lit(l), Piece::Star] => match super::casefold::variants(l) {
            Some(v) => Shape::Contains(v),
            None => Shape::Regex,
        },
        _ => Shape::Regex,
    }
}

fn has_case(c: char) -> bool {
    c.to_lowercase().ne(c.to_uppercase())
}

/// An anchored regex for a wildcard value (`*` → `.*`, `?` → `.`), dot matching newlines.
fn glob_regex(s: &SigmaStr, cased: bool) -> Result<Regex, String> {
    let mut re = String::from(r"\A");
    for p in &s.pieces {
        match p {
            Piece::Lit(l) => re.push_str(&regex::escape(l)),
            Piece::Star => re.push_str(".*"),
            Piece::One => re.push('.'),
        }
    }
    re.push_str(r"\z");
    build_regex(&re, !cased, false, true)
}

/// Rewrite the Perl classes `\w`, `\d`, `\s` (and negations) to their ASCII meaning, as PCRE
/// reads them by default; Unicode classes would also make bounded repeats such as
/// `\w{1,64}` compile to enormous automata.
pub fn ascii_classes(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(n) = chars.next() else {
                    out.push(c);
                    break;
                };
                let inside = match n {
                    'w' => Some("0-9A-Za-z_"),
                    'd' => Some("0-9"),
                    's' => Some("\\t\\n\\x0B\\x0C\\r "),
                    _ => None,
                };
                match (inside, in_class, n) {
                    (Some(set), true, _) => out.push_str(set),
                    (Some(set), false, _) => {
                        out.push('[');
                        out.push_str(set);
                        out.push(']');
                    }
                    (None, false, 'W' | 'D' | 'S') => {
                        let set = match n {
                            'W' => "0-9A-Za-z_",
                            'D' => "0-9",
                            _ => "\\t\\n\\x0B\\x0C\\r ",
                        };
                        out.push_str("[^");
                        out.push_str(set);
                        out.push(']');
                    }
                    _ => {
                        out.push('\\');
                        out.push(n);
                    }
                }
            }
            '[' if !in_class => {
                in_class = true;
                out.push(c);
                // A `]` right after `[` or `[^` is a literal member.
                let rest = chars.as_str();
                let skip = if rest.starts_with("^]") {
                    2
                } else if rest.starts_with(']') {
                    1
                } else {
                    0
                };
                out.push_str(&rest[..skip]);
                for _ in 0..skip {
                    chars.next();
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// Compile a regex with the size limit.
pub fn build_regex(
    pattern: &str,
    case_insensitive: bool,
    multi_line: bool,
    dot_all: bool,
) -> Result<Regex, String> {
    RegexBuilder::new(pattern)
        .case_insensitive(case_insensitive)
        .multi_line(multi_line)
        .dot_matches_new_line(dot_all)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| {
            let msg = e.to_string();
            let first = msg.lines().last().unwrap_or("").trim().to_string();
            format!("regex {pattern:?} does not compile: {first}")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(values: &[&str], cased: bool, all: bool) -> StrSet {
        let v = values
            .iter()
            .map(|s| Value::Str(SigmaStr::parse(s)))
            .collect();
        StrSet::new(v, cased, all).unwrap()
    }

    #[test]
    fn shapes_match_case_insensitively() {
        let s = set(
            &["*\\cmd.exe", "powershell*", "*-enc*", "exact"],
            false,
            false,
        );
        assert!(s.any(r"C:\Windows\System32\CMD.EXE", None));
        assert!(s.any("PowerShell.exe -x", None));
        assert!(s.any("foo -ENC bar", None));
        assert!(s.any("EXACT", None));
        assert!(!s.any("exactly", None));
        assert!(!s.any(r"C:\cmd.exe.bak", None));
    }

    #[test]
    fn a_long_list_is_indexed_and_answers_as_one_by_one() {
        let mut values: Vec<String> = (0..12).map(|i| format!("*\\lib{i}.dll")).collect();
        values.extend(["C:\\Temp\\sub*".into(), "exact".into(), "*-enc*".into()]);
        values.extend(["*\\a?c.dll".into(), "*trailing ".into()]);
        let values: Vec<&str> = values.iter().map(String::as_str).collect();
        let s = set(&values, false, false);
        let (_, rest) = s.anchored.as_ref().expect("12 suffixes make an index");
        // Left to the one-by-one tests: the substring, the `?` pattern and the value with a
        // trailing blank.
        assert_eq!(rest.len(), 3);
        for (text, expected) in [
            (r"C:\x\LIB7.DLL", true),
            (r"C:\x\lib12.dll", false),
            (r"c:\temp\sub\y", true),
            ("EXACT ", true),
            ("run -Enc x", true),
            (r"D:\abc.dll", true),
            ("has trailing ", true),
            ("has trailing", false),
            (r"C:\x\lib7.dll.bak", false),
        ] {
            assert_eq!(s.any(text, None), expected, "{text}");
            let one_by_one = s.tests.iter().any(|t| s.test(t, text, None))
                || s.contains.as_ref().is_some_and(|ac| ac.is_match(text));
            assert_eq!(one_by_one, expected, "{text}");
        }
    }

    #[test]
    fn cased_values_are_case_sensitive() {
        let s = set(&["*Enc*"], true, false);
        assert!(s.any("-Enc", None));
        assert!(!s.any("-enc", None));
    }

    #[test]
    fn general_wildcards_and_question_mark() {
        let s = set(&["a*b?c"], false, false);
        assert!(s.any("AxxxBzC", None));
        assert!(!s.any("abc", None));
        let one = set(&["?"], false, false);
        assert!(one.any("é", None));
        assert!(!one.any("", None));
    }

    #[test]
    fn non_ascii_letters_fold_through_regex() {
        let s = set(&["*ПРИВЕТ*"], false, false);
        assert!(s.any("say привет", None));
    }

    #[test]
    fn all_tests_each_value_longest_first() {
        let s = set(&["*a*", "*bcd*", "x*"], false, true);
        assert_eq!(s.order(), &[1, 0, 2]);
        assert!(s.test_one(0, "xBcDa", None));
        assert!(s.test_one(1, "xBcDa", None));
        assert!(s.test_one(2, "xBcDa", None));
        assert!(!s.test_one(1, "xbca", None));
    }

    #[test]
    fn trailing_blank_is_ignored_for_equality() {
        let s = set(&["NtLmSsp"], false, false);
        assert!(s.any("NtLmSsp ", None));
        assert!(!s.any("NtLmSsp x", None));
        let strict = set(&["NtLmSsp "], false, false);
        assert!(!strict.any("NtLmSsp", None));
    }

    #[test]
    fn perl_classes_are_ascii() {
        assert_eq!(
            ascii_classes(r"-k\s\w{1,64}"),
            r"-k[\t\n\x0B\x0C\r ][0-9A-Za-z_]{1,64}"
        );
        assert_eq!(ascii_classes(r"[\w.]+\\w\D"), r"[0-9A-Za-z_.]+\\w[^0-9]");
        assert_eq!(ascii_classes(r"[]\d]"), r"[]0-9]");
        let r = build_regex(&ascii_classes(r"^\w+$"), false, false, false).unwrap();
        assert!(r.is_match("abc_1"));
        assert!(!r.is_match("héllo"));
        assert!(build_regex(
            &ascii_classes(r"-k\s\w{1,64}(?:\s?(?:-p|-s))?"),
            true,
            false,
            false
        )
        .is_ok());
    }

    #[test]
    fn numbers_match_as_numbers_and_text() {
        let s = StrSet::new(vec![Value::Number(3)], false, false).unwrap();
        assert!(s.any("3", None));
        assert!(s.any("0x3", None));
        assert!(s.any("x", Some(3)));
        assert!(!s.any("4", None));
    }
}
