//! The terminal table of hits: one line per hit, aligned columns, the level coloured only when
//! standard output is a terminal. Every value from an event goes through
//! [`for_terminal`], so no escape sequence from a log reaches the terminal.

use super::columns::details;
use crate::hit::Hit;
use crate::rules::Level;
use crate::util::sanitize::{for_terminal, truncate_chars};
use std::borrow::Borrow;
use std::io::Write;

/// Widest computer column.
const COMPUTER_MAX: usize = 24;
/// Widest rule title column.
const TITLE_MAX: usize = 50;
/// Widest details column.
const DETAILS_MAX: usize = 180;

/// One hit's cells, made safe and cut to size.
struct Line {
    time: String,
    level: Level,
    computer: String,
    event: String,
    title: String,
    details: String,
}

/// The level as shown in the table.
fn level_label(level: Level) -> &'static str {
    match level {
        Level::Critical => "critical",
        Level::High => "high",
        Level::Medium => "medium",
        Level::Low => "low",
        Level::Informational => "info",
    }
}

/// A value made safe for the terminal and cut to `max` characters.
fn cell(s: &str, max: usize) -> String {
    truncate_chars(&for_terminal(s), max).into_owned()
}

fn line(h: &Hit) -> Line {
    let event = match &h.aggregate {
        Some(a) => format!("{} ×{}", h.event.event_id, a.count),
        None => format!("{} #{}", h.event.event_id, h.event.record_id),
    };
    Line {
        time: super::utc(h.time()),
        level: h.rule.level,
        computer: cell(&h.event.computer, COMPUTER_MAX),
        event,
        title: cell(&h.rule.title, TITLE_MAX),
        details: cell(&details(h), DETAILS_MAX),
    }
}

/// Write a header and one line per hit; with `color`, the level is coloured (ANSI). Two passes
/// over `hits`: one for the column widths, one to write.
pub fn write<H: Borrow<Hit>, I: IntoIterator<Item = H> + Clone>(
    w: &mut dyn Write,
    hits: I,
    color: bool,
) -> std::io::Result<()> {
    let [mut wt, mut wc, mut we, mut wr] =
        ["TIME (UTC)", "COMPUTER", "EVENT", "RULE"].map(|header| header.chars().count());
    let mut any = false;
    for h in hits.clone() {
        let l = line(h.borrow());
        any = true;
        wt = wt.max(l.time.chars().count());
        wc = wc.max(l.computer.chars().count());
        we = we.max(l.event.chars().count());
        wr = wr.max(l.title.chars().count());
    }
    if !any {
        return Ok(());
    }
    writeln!(
        w,
        "{:<wt$}  {:<8}  {:<wc$}  {:<we$}  {:<wr$}  DETAILS",
        "TIME (UTC)", "LEVEL", "COMPUTER", "EVENT", "RULE"
    )?;
    for h in hits {
        let l = line(h.borrow());
        let label = format!("{:<8}", level_label(l.level));
        let level = if color { paint(l.level, &label) } else { label };
        writeln!(
            w,
            "{:<wt$}  {}  {:<wc$}  {:<we$}  {:<wr$}  {}",
            l.time,
            level,
            l.computer,
            l.event,
            l.title,
            l.details.trim_end()
        )?;
    }
    Ok(())
}

/// A level label in its ANSI colour (the table and the summary).
pub(super) fn paint(level: Level, text: &str) -> String {
    let code = match level {
        Level::Critical => "1;37;41",
        Level::High => "1;31",
        Level::Medium => "33",
        Level::Low => "36",
        Level::Informational => "2",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}
