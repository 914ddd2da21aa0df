//! Stage 6: what the analyst takes away. One file per output: the timeline formats
//! ([`timeline`], [`json`]), the terminal table ([`table`]), the summary ([`summary`]), the
//! ATT&CK Navigator layer ([`navigator`]), the incident report ([`incident`]) and the progress
//! bar ([`progress`]). Every file is written through [`atomic`] (temporary name, then rename).

pub mod atomic;
pub mod filter;
pub mod incident;
pub mod json;
pub mod navigator;
pub mod progress;
pub mod summary;
pub mod table;
pub mod timeline;

use crate::hit::Hit;
use crate::rules::{Rule, RuleVerdict};
use crate::scan::ScanResult;
use std::sync::Arc;

/// Everything a report may draw on.
pub struct ReportContext<'a> {
    /// The rules that ran.
    pub rules: &'a [Arc<dyn Rule>],
    /// The scan's result (files, coverage, timings).
    pub result: &'a ScanResult,
    /// The hits, filtered, deduplicated and sorted by time.
    pub hits: &'a [Hit],
    /// How many rules were rejected at load.
    pub rules_rejected: usize,
    /// Every rule verdict.
    pub verdicts: &'a [RuleVerdict],
}
