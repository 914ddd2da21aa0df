//! The terminal table of hits.

use crate::hit::Hit;
use crate::rules::Level;
use crate::util::sanitize::for_terminal;
use std::io::Write;

/// Write one line per hit; with `color`, the level is coloured.
pub fn write(w: &mut dyn Write, hits: &[Hit], color: bool) -> std::io::Result<()> {
    for h in hits {
        let level = h.rule.level.as_str();
        let level = if color {
            paint(h.rule.level, level)
        } else {
            level.to_string()
        };
        let fields: Vec<String> = h
            .fields
            .iter()
            .take(4)
            .map(|(k, v)| format!("{k}={}", for_terminal(&truncate(v, 120))))
            .collect();
        writeln!(
            w,
            "{}  {:<13} {}  [{} {} #{}]  {}",
            crate::util::time::rfc3339(h.time()),
            level,
            for_terminal(&h.rule.title),
            for_terminal(&h.event.computer),
            h.event.event_id,
            h.event.record_id,
            fields.join("  ")
        )?;
    }
    Ok(())
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n).collect();
        t.push('…');
        t
    }
}

fn paint(level: Level, text: &str) -> String {
    let code = match level {
        Level::Critical => "1;31",
        Level::High => "31",
        Level::Medium => "33",
        Level::Low => "36",
        Level::Informational => "2",
    };
    format!("\x1b[{code}m{text:<13}\x1b[0m")
}
