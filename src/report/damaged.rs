//! The values of one damaged file's row, shared by the summary, the HTML report and the Markdown
//! report so the three always say the same thing.

use crate::read::FileReport;

/// Messages listed per damaged file at most (the fatal reason, then the first errors).
pub const MAX_PROBLEMS: usize = 4;

/// The problem listed first for a file the scan's watchdog stopped.
pub const STOPPED: &str = "stopped by the watchdog";

/// The names of [`DamagedRow::counts`], in order.
pub const COUNT_COLUMNS: [&str; 7] = [
    "chunks ok",
    "damaged",
    "unreadable",
    "zeroed",
    "truncated",
    "records read",
    "records failed",
];

/// One damaged file: its path and counts, and what went wrong (raw text: each output escapes it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DamagedRow {
    /// The file.
    pub path: String,
    /// Chunks ok, damaged, unreadable, zeroed, truncated; records read, failed
    /// ([`COUNT_COLUMNS`]).
    pub counts: [u64; 7],
    /// What went wrong: that the watchdog stopped the file, why nothing could be read, then the
    /// first error messages.
    pub problems: Vec<String>,
}

/// The row of a damaged file.
pub fn damaged_row(f: &FileReport) -> DamagedRow {
    let c = f.chunk_counts();
    let stopped = f.timed_out.then(|| STOPPED.to_string());
    let problems = stopped
        .into_iter()
        .chain(
            f.fatal
                .iter()
                .chain(f.errors.iter())
                .take(MAX_PROBLEMS)
                .cloned(),
        )
        .collect();
    DamagedRow {
        path: f.path.to_string_lossy().into_owned(),
        counts: [
            c.ok as u64,
            c.damaged as u64,
            c.unreadable as u64,
            c.zeroed as u64,
            c.truncated as u64,
            f.records_read,
            f.records_failed,
        ],
        problems,
    }
}
