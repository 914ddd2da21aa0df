//! A set of substrings searched together, its automaton built on first use.
//!
//! Most rules of a large rule set never run on a given collection (the pre-filter finds none of
//! their needles), yet building the Aho-Corasick automata of their `contains` values was the
//! largest part of loading them. The automaton is now built the first time a text is searched;
//! a rule that never runs never pays for it. Building cannot fail for string needles short of
//! exhausting the automaton's state ids; should it fail, the search falls back to comparing
//! each needle in turn, which gives the same answers.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use std::sync::OnceLock;

/// Needles, ASCII case-insensitive unless `cased`; a text matches when it contains any.
#[derive(Debug, Clone)]
pub struct Substrings {
    needles: Box<[Box<str>]>,
    cased: bool,
    automaton: OnceLock<Option<AhoCorasick>>,
}

impl Substrings {
    /// The set of `needles` (each spelling of a value already listed).
    pub fn new(needles: Vec<String>, cased: bool) -> Substrings {
        Substrings {
            needles: needles.into_iter().map(String::into_boxed_str).collect(),
            cased,
            automaton: OnceLock::new(),
        }
    }

    /// Whether `text` contains one of the needles.
    pub fn is_match(&self, text: &str) -> bool {
        match self.automaton.get_or_init(|| self.build()) {
            Some(ac) => ac.is_match(text),
            None => self.needles.iter().any(|n| self.contains(text, n)),
        }
    }

    fn build(&self) -> Option<AhoCorasick> {
        AhoCorasickBuilder::new()
            .ascii_case_insensitive(!self.cased)
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::ContiguousNFA))
            .build(self.needles.iter().map(|n| n.as_bytes()))
            .ok()
    }

    fn contains(&self, text: &str, needle: &str) -> bool {
        if self.cased {
            return text.contains(needle);
        }
        let n = needle.as_bytes();
        n.is_empty()
            || text
                .as_bytes()
                .windows(n.len())
                .any(|w| w.eq_ignore_ascii_case(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fallback_answers_as_the_automaton_does() {
        for cased in [false, true] {
            let set = Substrings::new(vec!["Enc".into(), "-w hid".into(), "ѕ".into()], cased);
            for text in [
                "powershell -enc AAA",
                "powershell -ENC",
                "x -W HID y",
                "x -w hid y",
                "ѕ",
                "S",
                "",
                "en",
            ] {
                let fallback = set.needles.iter().any(|n| set.contains(text, n));
                assert_eq!(set.is_match(text), fallback, "{text:?} cased={cased}");
            }
            assert!(set.is_match("-w hid"));
        }
        assert!(Substrings::new(vec!["Enc".into()], false).is_match("-eNC"));
        assert!(!Substrings::new(vec!["Enc".into()], true).is_match("-eNC"));
    }
}
