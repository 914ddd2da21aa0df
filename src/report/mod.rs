//! Stage 6: what the analyst takes away. One file per output: the timeline formats
//! ([`timeline`] sorts and deduplicates; [`csv`] and [`json`] write), the terminal table
//! ([`table`]), the summary ([`summary`]), the ATT&CK Navigator layer ([`navigator`]), the
//! incident report ([`incident`]) and the progress bar ([`progress`]). Every file is written
//! through [`atomic`] (temporary name, then rename). The column contract is `docs/OUTPUT.md`.

pub mod atomic;
pub mod columns;
pub mod csv;
pub mod damaged;
pub mod filter;
pub mod incident;
pub mod json;
pub mod navigator;
pub mod progress;
pub mod summary;
pub mod table;
pub mod timeline;

pub use timeline::Format;

use crate::collect::SortedHits;
use crate::rules::{Rule, RuleVerdict};
use crate::scan::ScanResult;
use jiff::fmt::temporal::DateTimePrinter;
use jiff::Timestamp;
use std::sync::Arc;

/// Everything a report may draw on.
pub struct ReportContext<'a> {
    /// The rules that ran.
    pub rules: &'a [Arc<dyn Rule>],
    /// The scan's result (files, coverage, timings).
    pub result: &'a ScanResult,
    /// The hits, filtered, deduplicated and sorted by time, read as a stream (views that need
    /// them all at once take [`SortedHits::most_severe`]).
    pub hits: &'a SortedHits,
    /// How many rules were rejected at load.
    pub rules_rejected: usize,
    /// Every rule verdict.
    pub verdicts: &'a [RuleVerdict],
}

/// A time as every output writes it: RFC 3339 in UTC with `Z` and always seven fractional
/// digits (the 100 ns resolution of Windows FILETIME), so that text order is time order
/// (`2019-03-18T22:15:49.6458894Z`).
pub fn utc(t: Timestamp) -> String {
    static PRINTER: DateTimePrinter = DateTimePrinter::new().precision(Some(7));
    PRINTER.timestamp_to_string(&t)
}

#[cfg(test)]
mod tests {
    #[test]
    fn times_have_fixed_precision() {
        let t: jiff::Timestamp = "2019-03-18T22:15:49Z".parse().unwrap();
        assert_eq!(super::utc(t), "2019-03-18T22:15:49.0000000Z");
        let t: jiff::Timestamp = "2019-03-18T23:15:49.6458894+01:00".parse().unwrap();
        assert_eq!(super::utc(t), "2019-03-18T22:15:49.6458894Z");
    }
}
