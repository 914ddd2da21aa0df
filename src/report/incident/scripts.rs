//! PowerShell script blocks reassembled from their 4104 fragments.
//!
//! PowerShell logs a long script block as several 4104 events sharing a `ScriptBlockId`, each
//! with its `MessageNumber` of `MessageTotal`. A rule fires on one fragment; the report shows the
//! whole script: the fragments of that id on that computer in `MessageNumber` order (copies of a
//! fragment folded), and says which parts are missing.

use super::context::{is_script_block, IncidentContext};
use crate::hit::Hit;
use jiff::Timestamp;
use std::collections::BTreeMap;

/// Most characters of one script shown.
pub const MAX_SCRIPT_CHARS: usize = 1_000_000;

/// A script block as the report shows it.
#[derive(Debug, Clone)]
pub struct Script {
    /// The computer.
    pub computer: String,
    /// `ScriptBlockId`.
    pub script_id: String,
    /// `Path` of the script file, if any.
    pub path: String,
    /// Time of the first fragment found (else of the first hit).
    pub time: Timestamp,
    /// `MessageTotal` (the largest seen).
    pub total: u32,
    /// The part numbers found.
    pub parts: Vec<u32>,
    /// The part numbers missing (of 1..=total).
    pub missing: Vec<u32>,
    /// The text, parts in order; a missing part is marked in place.
    pub text: String,
    /// Characters left out by [`MAX_SCRIPT_CHARS`].
    pub cut_chars: usize,
    /// The hits on this script block (indexes into the report's hits).
    pub hits: Vec<usize>,
}

/// One script per (computer, ScriptBlockId) that fired, in time order; at most `max`.
pub fn build(hits: &[Hit], ctx: &IncidentContext, max: usize) -> (Vec<Script>, usize) {
    let mut fragments: BTreeMap<(&str, &str), Vec<&super::context::ScriptFragment>> =
        BTreeMap::new();
    for f in &ctx.fragments {
        fragments
            .entry((&*f.computer, &*f.script_id))
            .or_default()
            .push(f);
    }
    // Which script block each hit is on: its ScriptBlockId, else the fragment with its record.
    let mut by_record: BTreeMap<(&str, u64), &str> = BTreeMap::new();
    for f in &ctx.fragments {
        by_record.insert((&*f.computer, f.record_id), &*f.script_id);
    }
    let mut scripts: BTreeMap<(String, String), Script> = BTreeMap::new();
    let mut unresolved = 0usize;
    for (n, h) in hits.iter().enumerate() {
        let mut ids: Vec<(String, String)> = Vec::new();
        let here = h.event.computer.to_string();
        match &h.aggregate {
            None if is_script_block(&h.event.channel, h.event.event_id) => {
                match super::super::columns::field(h, "ScriptBlockId").filter(|v| !v.is_empty()) {
                    Some(id) => ids.push((here, id.to_string())),
                    None => ids.extend(
                        by_record
                            .get(&(&*h.event.computer, h.event.record_id))
                            .map(|s| (here, s.to_string())),
                    ),
                }
            }
            Some(a) => {
                for r in a
                    .records
                    .iter()
                    .filter(|r| is_script_block(&r.channel, r.event_id))
                {
                    ids.extend(
                        by_record
                            .get(&(&*r.computer, r.record_id))
                            .map(|s| (r.computer.to_string(), s.to_string())),
                    );
                }
            }
            None => continue,
        }
        if ids.is_empty() && h.aggregate.is_none() {
            unresolved += 1;
        }
        ids.sort();
        ids.dedup();
        for key in ids {
            if let Some(s) = scripts.get_mut(&key) {
                s.hits.push(n);
                continue;
            }
            if scripts.len() >= max {
                unresolved += 1;
                continue;
            }
            let parts = fragments
                .get(&(key.0.as_str(), key.1.as_str()))
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            let mut script = assemble(&key.0, &key.1, parts, h.event.time);
            script.hits.push(n);
            scripts.insert(key, script);
        }
    }
    let mut list: Vec<Script> = scripts.into_values().collect();
    list.sort_by(|a, b| (a.time, &a.computer).cmp(&(b.time, &b.computer)));
    (list, unresolved)
}

/// Put the fragments of one script block together.
pub fn assemble(
    computer: &str,
    script_id: &str,
    fragments: &[&super::context::ScriptFragment],
    fallback_time: Timestamp,
) -> Script {
    let mut by_number: BTreeMap<u32, &str> = BTreeMap::new();
    let mut total = 0u32;
    let mut path = String::new();
    let mut time: Option<Timestamp> = None;
    for f in fragments {
        by_number.entry(f.number).or_insert(&f.text);
        total = total.max(f.total);
        if path.is_empty() {
            path = f.path.to_string();
        }
        time = Some(time.map_or(f.time, |t: Timestamp| t.min(f.time)));
    }
    let last = by_number.keys().next_back().copied().unwrap_or(0);
    let total = total.max(last);
    let missing: Vec<u32> = (1..=total.min(100_000))
        .filter(|n| !by_number.contains_key(n))
        .collect();
    let mut text = String::new();
    let mut expected = 1u32;
    for (&n, part) in &by_number {
        if n > expected {
            text.push_str(&format!(
                "\n<# evtxscan: part(s) {expected}..{} of {total} missing #>\n",
                n - 1
            ));
        }
        text.push_str(part);
        expected = n.saturating_add(1);
    }
    if total >= expected && !by_number.is_empty() {
        text.push_str(&format!(
            "\n<# evtxscan: part(s) {expected}..{total} of {total} missing #>\n"
        ));
    }
    let chars = text.chars().count();
    let cut_chars = chars.saturating_sub(MAX_SCRIPT_CHARS);
    if cut_chars > 0 {
        text = text.chars().take(MAX_SCRIPT_CHARS).collect();
    }
    Script {
        computer: computer.to_string(),
        script_id: script_id.to_string(),
        path,
        time: time.unwrap_or(fallback_time),
        total,
        parts: by_number.keys().copied().collect(),
        missing,
        text,
        cut_chars,
        hits: Vec::new(),
    }
}
