//! ATT&CK Navigator layer of the techniques that fired.

use crate::hit::Hit;
use std::collections::BTreeMap;
use std::io::Write;

/// Write a Navigator layer (JSON) scoring each technique by its number of hits.
pub fn write(w: &mut dyn Write, hits: &[Hit]) -> std::io::Result<()> {
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for h in hits {
        for t in &h.rule.techniques {
            *counts.entry(t.clone()).or_default() += 1;
        }
    }
    let max = counts.values().copied().max().unwrap_or(1);
    let techniques: Vec<_> = counts
        .iter()
        .map(|(t, c)| serde_json::json!({"techniqueID": t, "score": c, "comment": format!("{c} hits")}))
        .collect();
    let layer = serde_json::json!({
        "name": "evtxscan hits",
        "versions": {"layer": "4.5", "navigator": "4.9.1", "attack": "14"},
        "domain": "enterprise-attack",
        "description": "Techniques of the rules that fired in an evtxscan scan",
        "techniques": techniques,
        "gradient": {"colors": ["#ffe766", "#ff6666"], "minValue": 0, "maxValue": max},
    });
    serde_json::to_writer_pretty(&mut *w, &layer)?;
    w.write_all(b"\n")
}
