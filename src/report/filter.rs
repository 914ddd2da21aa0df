//! `--from/--to`, `--min-level`, `--rule`, `--exclude-rule`, `--status`.
//!
//! Rule filters (level, id or title, status) decide which rules run at all. The time window
//! `[from, to)` is applied to events, before detection ([`crate::scan::ScanOptions::window`]), so
//! aggregations and correlations count only events inside it; [`HitFilter::keeps_hit`] checks
//! it again on the hits (their time, an aggregate's first time, is then always inside: a no-op
//! for a scan's hits). The command line builds the filter from its flags.

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
