//! Inline SVG charts of the incident report, drawn here so the page needs no script to show
//! them: hits over time (bars stacked by level) and hits per host over time (one lane per host).
//! Every label from an event goes through [`for_html`].

use super::model::{last_time, LEVELS_DESC};
use crate::hit::Hit;
use crate::rules::Level;
use crate::util::sanitize::for_html;
use jiff::Timestamp;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The colour of a level (charts, badges).
pub fn level_color(level: Level) -> &'static str {
    match level {
        Level::Critical => "#8e24aa",
        Level::High => "#e53935",
        Level::Medium => "#fb8c00",
        Level::Low => "#1e88e5",
        Level::Informational => "#78909c",
    }
}

/// Candidate bucket widths in seconds.
const BUCKETS: [i64; 17] = [
    1,
    5,
    10,
    30,
    60,
    300,
    600,
    1800,
    3600,
    3 * 3600,
    6 * 3600,
    12 * 3600,
    86_400,
    7 * 86_400,
    30 * 86_400,
    365 * 86_400,
    10 * 365 * 86_400,
];
/// Most bars in the chart.
const MAX_BARS: i64 = 90;
const WIDTH: f64 = 960.0;
const LEFT: f64 = 48.0;
const RIGHT: f64 = 12.0;

/// The time axis: bucket width and first bucket start, in seconds.
#[derive(Debug, Clone, Copy)]
pub struct Axis {
    /// Start of the first bucket (Unix seconds).
    pub start: i64,
    /// Bucket width in seconds.
    pub step: i64,
    /// Number of buckets.
    pub buckets: i64,
}

impl Axis {
    /// The axis for hits between `first` and `last`.
    pub fn new(first: Timestamp, last: Timestamp) -> Axis {
        let (a, b) = (first.as_second(), last.as_second().max(first.as_second()));
        let step = BUCKETS
            .iter()
            .copied()
            .find(|s| (b.div_euclid(*s) - a.div_euclid(*s) + 1) <= MAX_BARS)
            .unwrap_or(BUCKETS[BUCKETS.len() - 1]);
        let start = a.div_euclid(step) * step;
        let buckets = (b.div_euclid(step) - a.div_euclid(step) + 1).max(1);
        Axis {
            start,
            step,
            buckets,
        }
    }

    /// The bucket of a time.
    pub fn bucket(&self, t: Timestamp) -> usize {
        ((t.as_second() - self.start).div_euclid(self.step)).clamp(0, self.buckets - 1) as usize
    }

    /// A time label suited to the bucket width.
    pub fn label(&self, seconds: i64) -> String {
        let t = Timestamp::from_second(seconds).unwrap_or(Timestamp::UNIX_EPOCH);
        let format = if self.step >= 86_400 {
            "%Y-%m-%d"
        } else if self.step >= 60 {
            "%m-%d %H:%M"
        } else {
            "%H:%M:%S"
        };
        t.strftime(format).to_string()
    }

    fn x(&self, plot: f64, bucket: f64) -> f64 {
        LEFT + plot * bucket / self.buckets as f64
    }
}

/// The hits-over-time chart: bars stacked by level, one per time bucket, each with a tooltip.
pub fn timeline_svg(hits: &[Hit]) -> String {
    let (Some(first), Some(last)) = (
        hits.iter().map(Hit::time).min(),
        hits.iter().map(last_time).max(),
    ) else {
        return String::new();
    };
    let axis = Axis::new(first, last);
    let mut counts = vec![[0u64; 5]; axis.buckets as usize];
    for h in hits {
        if let Some(c) = counts.get_mut(axis.bucket(h.time())) {
            c[h.rule.level as usize] += 1;
        }
    }
    let max = counts
        .iter()
        .map(|c| c.iter().sum::<u64>())
        .max()
        .unwrap_or(1)
        .max(1);
    let (top, bottom, height) = (12.0, 46.0, 230.0);
    let plot_h = height - top - bottom;
    let plot_w = WIDTH - LEFT - RIGHT;
    let bar_w = (plot_w / axis.buckets as f64).max(1.0);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="Hits over time (UTC)" xmlns="http://www.w3.org/2000/svg">"#
    );
    let _ = write!(
        s,
        r##"<line x1="{LEFT}" y1="{y}" x2="{x2}" y2="{y}" stroke="#999"/><text x="{tx}" y="{ty}" class="axis" text-anchor="end">{max}</text><text x="{tx}" y="{y}" class="axis" text-anchor="end">0</text>"##,
        y = top + plot_h,
        x2 = WIDTH - RIGHT,
        tx = LEFT - 6.0,
        ty = top + 10.0,
    );
    for (i, c) in counts.iter().enumerate() {
        let total: u64 = c.iter().sum();
        if total == 0 {
            continue;
        }
        let x = axis.x(plot_w, i as f64);
        let from = axis.start + axis.step * i as i64;
        let tip = format!(
            "{} – {} UTC: {}",
            axis.label(from),
            axis.label(from + axis.step),
            LEVELS_DESC
                .iter()
                .filter(|l| c[**l as usize] > 0)
                .map(|l| format!("{} {}", c[*l as usize], l.as_str()))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut y = top + plot_h;
        let _ = write!(s, "<g><title>{}</title>", for_html(&tip));
        for level in LEVELS_DESC.iter().rev() {
            let n = c[*level as usize];
            if n == 0 {
                continue;
            }
            let h = plot_h * n as f64 / max as f64;
            y -= h;
            let _ = write!(
                s,
                r#"<rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" fill="{color}"/>"#,
                w = (bar_w - 1.0).max(0.8),
                color = level_color(*level)
            );
        }
        s.push_str("</g>");
    }
    let ticks = 5.min(axis.buckets);
    for k in 0..=ticks {
        let b = (axis.buckets * k) / ticks.max(1);
        let x = axis.x(plot_w, b as f64);
        let anchor = if k == 0 {
            "start"
        } else if k == ticks {
            "end"
        } else {
            "middle"
        };
        let _ = write!(
            s,
            r##"<line x1="{x:.1}" y1="{y0}" x2="{x:.1}" y2="{y1}" stroke="#999"/><text x="{x:.1}" y="{ty}" class="axis" text-anchor="{anchor}">{label}</text>"##,
            y0 = top + plot_h,
            y1 = top + plot_h + 4.0,
            ty = top + plot_h + 18.0,
            label = for_html(&axis.label(axis.start + axis.step * b)),
        );
    }
    let _ = write!(
        s,
        r#"<text x="{x}" y="{y}" class="axis" text-anchor="middle">{year} UTC; one bar = {step}</text></svg>"#,
        x = LEFT + plot_w / 2.0,
        y = height - 6.0,
        year = first.strftime("%Y"),
        step = human_step(axis.step)
    );
    s
}

/// Hits per host over time: one lane per host (the `max_hosts` with most hits), a dot per
/// group of hits of one level close in time, sized by count.
pub fn hosts_svg(hits: &[Hit], hosts: &[String]) -> String {
    let (Some(first), Some(last)) = (
        hits.iter().map(Hit::time).min(),
        hits.iter().map(last_time).max(),
    ) else {
        return String::new();
    };
    if hosts.is_empty() {
        return String::new();
    }
    let lane = 26.0;
    let label_w = 180.0;
    let (top, bottom) = (8.0, 26.0);
    let height = top + bottom + lane * hosts.len() as f64;
    let plot_w = WIDTH - label_w - RIGHT;
    let (a, b) = (
        first.as_second() as f64,
        last.as_second().max(first.as_second() + 1) as f64,
    );
    let cells = 200.0;
    let mut dots: BTreeMap<(usize, i64, usize), u64> = BTreeMap::new();
    for h in hits {
        let Some(row) = hosts.iter().position(|x| **x == *h.event.computer) else {
            continue;
        };
        let cell = (((h.time().as_second() as f64 - a) / (b - a)) * cells).floor() as i64;
        *dots.entry((row, cell, h.rule.level as usize)).or_default() += 1;
    }
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="Hits per host over time (UTC)" xmlns="http://www.w3.org/2000/svg">"#
    );
    for (row, name) in hosts.iter().enumerate() {
        let y = top + lane * row as f64 + lane / 2.0;
        let _ = write!(
            s,
            r##"<text x="{tx}" y="{ty:.1}" class="lane" text-anchor="end">{name}</text><line x1="{label_w}" y1="{y:.1}" x2="{x2}" y2="{y:.1}" stroke="#ddd"/>"##,
            tx = label_w - 8.0,
            ty = y + 4.0,
            name = for_html(&crate::util::sanitize::truncate_chars(name, 28)),
            x2 = WIDTH - RIGHT,
        );
    }
    for ((row, cell, level), n) in &dots {
        let x = label_w + plot_w * (*cell as f64 + 0.5) / cells;
        let y = top + lane * *row as f64 + lane / 2.0;
        let r = (2.5 + (*n as f64).log2() * 1.5).min(lane / 2.0 - 1.0);
        let when = Timestamp::from_second((a + (b - a) * *cell as f64 / cells) as i64)
            .unwrap_or(Timestamp::UNIX_EPOCH);
        let level = LEVELS_DESC
            .iter()
            .find(|l| **l as usize == *level)
            .copied()
            .unwrap_or_default();
        let _ = write!(
            s,
            r#"<circle cx="{x:.1}" cy="{y:.1}" r="{r:.1}" fill="{color}" fill-opacity="0.8"><title>{tip}</title></circle>"#,
            color = level_color(level),
            tip = for_html(&format!(
                "{}: {n} {} around {} UTC",
                hosts.get(*row).map(String::as_str).unwrap_or(""),
                level.as_str(),
                when.strftime("%Y-%m-%d %H:%M:%S")
            )),
        );
    }
    let _ = write!(
        s,
        r#"<text x="{label_w}" y="{y}" class="axis">{from}</text><text x="{x2}" y="{y}" class="axis" text-anchor="end">{to} UTC</text></svg>"#,
        y = height - 8.0,
        x2 = WIDTH - RIGHT,
        from = first.strftime("%Y-%m-%d %H:%M:%S"),
        to = last.strftime("%Y-%m-%d %H:%M:%S"),
    );
    s
}

/// A bucket width in words.
fn human_step(s: i64) -> String {
    match s {
        s if s % (365 * 86_400) == 0 => plural(s / (365 * 86_400), "year"),
        s if s % (7 * 86_400) == 0 && s < 30 * 86_400 => plural(s / (7 * 86_400), "week"),
        s if s % 86_400 == 0 => plural(s / 86_400, "day"),
        s if s % 3600 == 0 => plural(s / 3600, "hour"),
        s if s % 60 == 0 => plural(s / 60, "minute"),
        s => plural(s, "second"),
    }
}

/// `n unit` or `n units`.
pub fn plural(n: i64, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn axis_picks_a_bucket_that_fits() {
        let a: Timestamp = "2024-01-01T10:00:00Z".parse().unwrap();
        let b: Timestamp = "2024-01-01T12:30:00Z".parse().unwrap();
        let axis = Axis::new(a, b);
        assert_eq!(axis.step, 300);
        assert_eq!(axis.buckets, 31);
        assert_eq!(axis.bucket(a), 0);
        assert_eq!(axis.bucket(b), 30);
        assert_eq!(axis.label(axis.start), "01-01 10:00");
        let one = Axis::new(a, a);
        assert_eq!((one.step, one.buckets), (1, 1));
        assert_eq!(human_step(3 * 3600), "3 hours");
    }
}
