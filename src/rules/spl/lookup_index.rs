//! An index over one input column of a lookup table, so a value is compared with the few rows
//! that can match it instead of every row.
//!
//! Tables such as `windows_protocol_handlers` hold hundreds of wildcard rows (`*bingmaps:*`)
//! checked against every command line, and command lines rarely repeat, so the lookup's answer
//! cache does not help. The index narrows the rows first:
//! - exact cells by their text (lower-cased when the table ignores case);
//! - wildcard cells by their longest ASCII literal piece, all found in one case-insensitive
//!   multi-pattern pass over the value;
//! - cells with no usable literal (`*`, non-ASCII pieces) are always candidates.
//!
//! A candidate is only a row that may match: the caller still compares every cell.

use super::wildcard::WildPattern;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use std::collections::HashMap;

/// How one indexed cell is found.
pub(super) enum IndexedCell<'a> {
    /// Equal text (`folded`: compared lower-cased).
    Exact { text: &'a str, folded: bool },
    /// A wildcard pattern.
    Wild(&'a WildPattern),
}

/// Candidate rows for a value of the indexed column.
#[derive(Debug, Clone, Default)]
pub(super) struct RowIndex {
    /// Rows (positions) that are candidates for every value.
    always: Vec<u32>,
    /// Rows by exact text.
    exact: HashMap<String, Vec<u32>>,
    /// Whether exact keys are lower-cased.
    folded: bool,
    /// One literal per wildcard row, found case-insensitively.
    literals: Option<AhoCorasick>,
    /// The rows of each literal, by pattern id.
    literal_rows: Vec<Vec<u32>>,
}

/// Shortest literal worth indexing: shorter ones make the row a candidate for every value.
const MIN_LITERAL: usize = 2;

impl RowIndex {
    /// Index the cells of one column, in row order.
    pub(super) fn build<'a>(cells: impl Iterator<Item = IndexedCell<'a>>) -> RowIndex {
        let mut index = RowIndex::default();
        let mut literal_ids: HashMap<String, usize> = HashMap::new();
        let mut literals: Vec<String> = Vec::new();
        for (pos, cell) in cells.enumerate() {
            let pos = pos as u32;
            match cell {
                IndexedCell::Exact { text, folded } => {
                    index.folded = folded;
                    let key = if folded {
                        text.to_lowercase()
                    } else {
                        text.to_string()
                    };
                    index.exact.entry(key).or_default().push(pos);
                }
                IndexedCell::Wild(p) => {
                    let lit = p.longest_literal();
                    if lit.len() < MIN_LITERAL || !lit.is_ascii() {
                        index.always.push(pos);
                        continue;
                    }
                    let id = *literal_ids.entry(lit.clone()).or_insert_with(|| {
                        literals.push(lit);
                        index.literal_rows.push(Vec::new());
                        literals.len() - 1
                    });
                    index.literal_rows[id].push(pos);
                }
            }
        }
        if !literals.is_empty() {
            index.literals = AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .build(&literals)
                .ok();
            if index.literals.is_none() {
                // Cannot search the literals: every wildcard row is a candidate.
                index.always.extend(index.literal_rows.drain(..).flatten());
                index.always.sort_unstable();
            }
        }
        index
    }

    /// Positions of the rows that may match `value`, ascending.
    pub(super) fn candidates(&self, value: &str) -> Vec<u32> {
        let mut out = self.always.clone();
        let hit = if self.folded {
            self.exact.get(&value.to_lowercase())
        } else {
            self.exact.get(value)
        };
        out.extend(hit.into_iter().flatten());
        if let Some(ac) = &self.literals {
            let mut seen = vec![false; self.literal_rows.len()];
            for m in ac.find_overlapping_iter(value) {
                let id = m.pattern().as_usize();
                if !std::mem::replace(&mut seen[id], true) {
                    out.extend(&self.literal_rows[id]);
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrows_to_rows_that_can_match() {
        let pats = [
            WildPattern::new("*bingmaps:*"),
            WildPattern::new("*"),
            WildPattern::new("*callto:*"),
            WildPattern::new("*é*"),
        ];
        let index = RowIndex::build(pats.iter().map(IndexedCell::Wild));
        assert_eq!(index.candidates("x CALLTO:y"), vec![1, 2, 3]);
        assert_eq!(index.candidates("BingMaps:callto:"), vec![0, 1, 2, 3]);
        assert_eq!(index.candidates("nothing"), vec![1, 3]);
    }

    #[test]
    fn exact_cells_by_text() {
        let cells = ["Psexec.exe", "nc.exe", "psexec.EXE"];
        let folded = RowIndex::build(cells.iter().map(|t| IndexedCell::Exact {
            text: t,
            folded: true,
        }));
        assert_eq!(folded.candidates("PSEXEC.exe"), vec![0, 2]);
        let exact = RowIndex::build(cells.iter().map(|t| IndexedCell::Exact {
            text: t,
            folded: false,
        }));
        assert_eq!(exact.candidates("PSEXEC.exe"), Vec::<u32>::new());
        assert_eq!(exact.candidates("nc.exe"), vec![1]);
    }
}
