//! The report and time filters from the `scan` flags: `--from/--to`, `--min-level`, `--rule`,
//! `--exclude-rule`, `--status`. Times are UTC; a bare date in `--to` means the end of that day,
//! so `--from 2024-01-02 --to 2024-01-02` is that whole day.

use super::args::ScanArgs;
use crate::report::filter::HitFilter;
use crate::rules::Level;
use jiff::Timestamp;

/// Build the filter from the scan flags; a bad level, time or an empty window is a usage error.
pub fn hit_filter(a: &ScanArgs) -> anyhow::Result<HitFilter> {
    let from = a
        .from
        .as_deref()
        .map(crate::util::time::parse_user_time)
        .transpose()
        .map_err(|e| anyhow::anyhow!("--from: {e}"))?;
    let to =
        a.to.as_deref()
            .map(parse_to)
            .transpose()
            .map_err(|e| anyhow::anyhow!("--to: {e}"))?;
    if let (Some(f), Some(t)) = (from, to) {
        if f >= t {
            anyhow::bail!("--from must be before --to");
        }
    }
    let min_level = match &a.min_level {
        Some(l) => Some(Level::parse(l).ok_or_else(|| {
            anyhow::anyhow!("--min-level `{l}`: use informational, low, medium, high or critical")
        })?),
        None => None,
    };
    Ok(HitFilter {
        from,
        to,
        min_level,
        only: a.only_rules.clone(),
        exclude: a.exclude_rules.clone(),
        status: a.status.iter().map(|s| s.to_ascii_lowercase()).collect(),
    })
}

/// The `--to` bound: a time as given, or for a bare date the start of the next day (UTC), so the
/// whole day is included.
pub fn parse_to(s: &str) -> Result<Timestamp, String> {
    if let Ok(d) = s.trim().parse::<jiff::civil::Date>() {
        if s.trim().len() <= 10 {
            return d
                .tomorrow()
                .and_then(|n| n.to_zoned(jiff::tz::TimeZone::UTC))
                .map(|z| z.timestamp())
                .map_err(|e| e.to_string());
        }
    }
    crate::util::time::parse_user_time(s)
}
