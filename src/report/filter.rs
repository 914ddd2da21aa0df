//! `--from/--to`, `--min-level`, `--rule`, `--exclude-rule`, `--status`.
//!
//! Rule filters (level, id or title, status) decide which rules run at all; time filters keep
//! the hits whose time (an aggregate's first time) is in `[from, to)`. Times are UTC; a bare
//! date in `--to` means the end of that day, so `--from 2024-01-02 --to 2024-01-02` is that day.

use crate::cli::args::ScanArgs;
use crate::hit::Hit;
use crate::rules::{Level, RuleInfo};
use jiff::Timestamp;

/// Which rules run and which hits are kept.
#[derive(Debug, Default, Clone)]
pub struct HitFilter {
    /// Keep hits at or after.
    pub from: Option<Timestamp>,
    /// Keep hits strictly before.
    pub to: Option<Timestamp>,
    /// Keep rules at or above.
    pub min_level: Option<Level>,
    /// Keep only these rules (id or title, case-insensitive).
    pub only: Vec<String>,
    /// Drop these rules (id or title, case-insensitive).
    pub exclude: Vec<String>,
    /// Keep only these statuses.
    pub status: Vec<String>,
}

impl HitFilter {
    /// Build from the scan flags.
    pub fn from_args(a: &ScanArgs) -> anyhow::Result<HitFilter> {
        let time = |s: &Option<String>| -> anyhow::Result<Option<Timestamp>> {
            s.as_deref()
                .map(crate::util::time::parse_user_time)
                .transpose()
                .map_err(anyhow::Error::msg)
        };
        let min_level = match &a.min_level {
            Some(l) => Some(Level::parse(l).ok_or_else(|| {
                anyhow::anyhow!(
                    "--min-level `{l}`: use informational, low, medium, high or critical"
                )
            })?),
            None => None,
        };
        let to = match a.to.as_deref() {
            Some(s) => Some(parse_to(s).map_err(anyhow::Error::msg)?),
            None => None,
        };
        if let (Some(f), Some(t)) = (time(&a.from)?, to) {
            if f >= t {
                anyhow::bail!("--from must be before --to");
            }
        }
        Ok(HitFilter {
            from: time(&a.from)?,
            to,
            min_level,
            only: a.only_rules.clone(),
            exclude: a.exclude_rules.clone(),
            status: a.status.iter().map(|s| s.to_ascii_lowercase()).collect(),
        })
    }

    /// Whether a rule runs at all.
    pub fn keeps_rule(&self, r: &RuleInfo) -> bool {
        let named = |list: &[String]| {
            list.iter()
                .any(|x| x.eq_ignore_ascii_case(&r.id) || x.eq_ignore_ascii_case(&r.title))
        };
        self.min_level.is_none_or(|l| r.level >= l)
            && (self.only.is_empty() || named(&self.only))
            && !named(&self.exclude)
            && (self.status.is_empty() || self.status.contains(&r.status))
    }

    /// Whether a hit is kept.
    pub fn keeps_hit(&self, h: &Hit) -> bool {
        let t = h.time();
        self.from.is_none_or(|f| t >= f)
            && self.to.is_none_or(|to| t < to)
            && self.keeps_rule(&h.rule)
    }
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
