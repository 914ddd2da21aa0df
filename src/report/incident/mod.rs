//! The incident report: one self-contained HTML file ([`html`]) or a Markdown document for
//! tickets ([`markdown`]), chosen by the file's extension.
//!
//! It reads the scanned logs once more ([`context`]) for the events that explain the hits:
//! process creations to rebuild each process's lineage ([`lineage`]), the DNS queries of the
//! processes that fired, and the 4104 fragments of the script blocks that fired, reassembled
//! ([`scripts`]). [`model`] computes what is shown; [`chart`] draws the inline SVG charts.

pub mod assets;
pub mod chart;
pub mod context;
pub mod html;
mod html_evidence;
pub mod lineage;
pub mod markdown;
pub mod model;
pub mod records;
pub mod scripts;

pub use context::IncidentContext;

use super::ReportContext;
use std::path::Path;

/// The two report forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportKind {
    /// Self-contained HTML.
    Html,
    /// Markdown.
    Markdown,
}

impl ReportKind {
    /// The form a file name asks for: `.md`/`.markdown` is Markdown, anything else HTML.
    pub fn for_path(path: &Path) -> ReportKind {
        match path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .as_deref()
        {
            Some("md" | "markdown") => ReportKind::Markdown,
            _ => ReportKind::Html,
        }
    }
}

/// Gather the context events for the report from the scanned logs, leaving out the files the
/// scan's watchdog had to stop (they would only stall this pass too) and the files the scan
/// could not read at all (a reader that panicked, a file that could not be opened).
pub fn gather(ctx: &ReportContext<'_>) -> IncidentContext {
    let (mut stopped, mut failed) = (0usize, 0usize);
    let left_out: std::collections::HashSet<&Path> = ctx
        .result
        .files
        .iter()
        .filter(|f| {
            if f.timed_out {
                stopped += 1;
            } else if f.fatal.is_some() {
                failed += 1;
            }
            f.timed_out || f.fatal.is_some()
        })
        .map(|f| f.path.as_path())
        .collect();
    let logs: Vec<crate::discover::LogFile> = ctx
        .result
        .discovery
        .logs
        .iter()
        .filter(|l| !left_out.contains(l.path.as_path()))
        .cloned()
        .collect();
    let mut gathered = context::gather(&logs, ctx.hits.most_severe());
    if stopped > 0 {
        gathered.notes.push(format!(
            "{stopped} event logs the scan had to stop were not read for context"
        ));
    }
    if failed > 0 {
        gathered.notes.push(format!(
            "{failed} event logs the scan could not read were not read for context"
        ));
    }
    gathered
}

/// The report as text.
pub fn render(kind: ReportKind, ctx: &ReportContext<'_>, context: &IncidentContext) -> String {
    let report = model::build(ctx, context);
    match kind {
        ReportKind::Html => html::render(&report),
        ReportKind::Markdown => markdown::render(&report),
    }
}

/// Write the report to `path` (atomically), using an already gathered context.
pub fn write_with(
    path: &Path,
    ctx: &ReportContext<'_>,
    context: &IncidentContext,
) -> std::io::Result<()> {
    let text = render(ReportKind::for_path(path), ctx, context);
    super::atomic::write_file(path, |w| w.write_all(text.as_bytes()))
}

/// Gather the context and write the report; the extension picks HTML or Markdown.
pub fn write(path: &Path, ctx: &ReportContext<'_>) -> std::io::Result<()> {
    write_with(path, ctx, &gather(ctx))
}
