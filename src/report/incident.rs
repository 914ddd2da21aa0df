//! The incident report (placeholder until it lands).

use super::ReportContext;
use std::path::Path;

/// Write the incident report; the extension picks HTML or Markdown.
pub fn write(path: &Path, ctx: &ReportContext<'_>) -> std::io::Result<()> {
    super::atomic::write_file(path, |w| writeln!(w, "{} hits", ctx.hits.len()))
}
