//! Which patterns a value held, remembered per thread for the values seen last.
//!
//! Scanning a value costs a pass of an automaton with thousands of patterns; looking it up
//! costs one hash of it. The memo is keyed by the pre-filter (its generation), the automaton
//! and the value, holds values up to [`MAX_VALUE`] bytes, and starts over when it reaches
//! [`BUDGET`] bytes, so its memory is bounded per thread whatever the input.

use std::cell::RefCell;
use std::collections::HashMap;

/// Values longer than this are scanned every time: they rarely repeat and cost the most to keep.
const MAX_VALUE: usize = 1024;
/// Estimated bytes one thread's memo may hold before it is emptied.
const BUDGET: usize = 8 << 20;
/// Estimated bytes of one entry besides its value and patterns.
const ENTRY_OVERHEAD: usize = 64;

type Map = HashMap<Box<str>, Box<[u32]>, foldhash::fast::RandomState>;

#[derive(Default)]
struct Memo {
    /// The pre-filter the entries belong to.
    generation: u64,
    /// Entries by automaton index.
    maps: Vec<Map>,
    bytes: usize,
}

impl Memo {
    fn clear(&mut self) {
        self.maps.iter_mut().for_each(Map::clear);
        self.bytes = 0;
    }
}

thread_local! {
    static MEMO: RefCell<Memo> = RefCell::new(Memo::default());
}

/// Free this thread's memo (the scan is over).
pub(super) fn release() {
    MEMO.with(|memo| *memo.borrow_mut() = Memo::default());
}

/// Hand `found` the patterns of automaton `automaton` (of pre-filter `generation`) in `text`:
/// remembered, or computed by `scan` and remembered.
pub(super) fn patterns(
    generation: u64,
    automaton: usize,
    text: &str,
    scan: impl FnOnce(&str) -> Vec<u32>,
    found: impl FnOnce(&[u32]),
) {
    if text.len() > MAX_VALUE {
        found(&scan(text));
        return;
    }
    MEMO.with(|memo| {
        let mut memo = memo.borrow_mut();
        if memo.generation != generation {
            memo.clear();
            memo.generation = generation;
        }
        if memo.maps.len() <= automaton {
            memo.maps.resize_with(automaton + 1, Map::default);
        }
        if let Some(known) = memo.maps[automaton].get(text) {
            found(known);
            return;
        }
        let patterns = scan(text);
        found(&patterns);
        let cost = text.len() + 4 * patterns.len() + ENTRY_OVERHEAD;
        if memo.bytes + cost > BUDGET {
            memo.clear();
        }
        memo.bytes += cost;
        memo.maps[automaton].insert(text.into(), patterns.into_boxed_slice());
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(generation: u64, text: &str, scans: &mut usize) -> Vec<u32> {
        let mut out = Vec::new();
        patterns(
            generation,
            3,
            text,
            |t| {
                *scans += 1;
                vec![t.len() as u32]
            },
            |p| out = p.to_vec(),
        );
        out
    }

    #[test]
    fn a_value_is_scanned_once_per_prefilter() {
        let mut scans = 0;
        assert_eq!(lookup(7, "cmd.exe /c whoami", &mut scans), vec![17]);
        assert_eq!(lookup(7, "cmd.exe /c whoami", &mut scans), vec![17]);
        assert_eq!(scans, 1, "the second lookup is remembered");
        assert_eq!(lookup(8, "cmd.exe /c whoami", &mut scans), vec![17]);
        assert_eq!(scans, 2, "another pre-filter starts over");
        let long = "x".repeat(MAX_VALUE + 1);
        lookup(8, &long, &mut scans);
        lookup(8, &long, &mut scans);
        assert_eq!(scans, 4, "long values are scanned every time");
    }
}
