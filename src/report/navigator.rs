//! An ATT&CK Navigator layer (layer format 4.5) of the techniques that fired: each technique is
//! scored by its number of hits, with the rules that fired listed in its metadata, and a parent
//! technique of a sub-technique that fired is shown expanded.

use crate::hit::Hit;
use serde_json::{json, Value};
use std::borrow::Borrow;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

/// The most rule titles listed in one technique's metadata.
const RULES_LISTED: usize = 20;

#[derive(Default)]
struct Technique {
    hits: u64,
    rules: BTreeSet<String>,
}

/// The layer as JSON.
pub fn layer<H: Borrow<Hit>>(hits: impl IntoIterator<Item = H>) -> Value {
    let mut by_technique: BTreeMap<String, Technique> = BTreeMap::new();
    let mut total = 0usize;
    for h in hits {
        let h = h.borrow();
        total += 1;
        for t in &h.rule.techniques {
            let id = t.trim().to_ascii_uppercase();
            if !is_technique_id(&id) {
                continue;
            }
            let entry = by_technique.entry(id).or_default();
            entry.hits += 1;
            entry.rules.insert(h.rule.title.clone());
        }
    }
    let parents_of_fired: BTreeSet<String> = by_technique
        .keys()
        .filter_map(|t| t.split_once('.').map(|(p, _)| p.to_string()))
        .collect();
    let max = by_technique.values().map(|t| t.hits).max().unwrap_or(1);
    let mut techniques: Vec<Value> = by_technique
        .iter()
        .map(|(id, t)| {
            let mut metadata: Vec<Value> = t
                .rules
                .iter()
                .take(RULES_LISTED)
                .map(|r| json!({"name": "rule", "value": r}))
                .collect();
            if t.rules.len() > RULES_LISTED {
                metadata.push(json!({
                    "name": "rules not listed",
                    "value": (t.rules.len() - RULES_LISTED).to_string()
                }));
            }
            json!({
                "techniqueID": id,
                "score": t.hits,
                "comment": format!("{} hits from {} rules", t.hits, t.rules.len()),
                "enabled": true,
                "metadata": metadata,
                "showSubtechniques": parents_of_fired.contains(id),
            })
        })
        .collect();
    for parent in parents_of_fired
        .iter()
        .filter(|p| !by_technique.contains_key(*p))
    {
        techniques.push(json!({
            "techniqueID": parent,
            "enabled": true,
            "showSubtechniques": true,
            "comment": "sub-techniques fired",
        }));
    }
    json!({
        "name": "evtxscan hits",
        "versions": {"attack": "16", "navigator": "5.1.0", "layer": "4.5"},
        "domain": "enterprise-attack",
        "description": format!(
            "Techniques of the rules that fired in an evtxscan scan ({} hits); score = hits",
            total
        ),
        "filters": {"platforms": ["Windows"]},
        "sorting": 3,
        "layout": {
            "layout": "side",
            "aggregateFunction": "max",
            "showID": true,
            "showName": true,
            "showAggregateScores": false,
            "countUnscored": false,
        },
        "hideDisabled": false,
        "techniques": techniques,
        "gradient": {"colors": ["#ffe766", "#ff6666"], "minValue": 0, "maxValue": max},
        "legendItems": [],
        "metadata": [{"name": "generator", "value": format!("evtxscan {}", env!("CARGO_PKG_VERSION"))}],
        "links": [],
        "showTacticRowBackground": false,
        "tacticRowBackground": "#dddddd",
        "selectTechniquesAcrossTactics": true,
        "selectSubtechniquesWithParent": false,
        "selectVisibleTechniques": false,
    })
}

/// Whether `s` looks like an ATT&CK technique id (`T1059`, `T1059.001`).
fn is_technique_id(s: &str) -> bool {
    let (main, sub) = match s.split_once('.') {
        Some((m, s)) => (m, Some(s)),
        None => (s, None),
    };
    let digits = |x: &str, n: usize| x.len() == n && x.bytes().all(|b| b.is_ascii_digit());
    main.strip_prefix('T').is_some_and(|d| digits(d, 4)) && sub.is_none_or(|s| digits(s, 3))
}

/// Write the layer (pretty JSON).
pub fn write<H: Borrow<Hit>>(
    w: &mut dyn Write,
    hits: impl IntoIterator<Item = H>,
) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, &layer(hits))?;
    w.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    #[test]
    fn technique_ids() {
        assert!(super::is_technique_id("T1059"));
        assert!(super::is_technique_id("T1059.001"));
        assert!(!super::is_technique_id("T105"));
        assert!(!super::is_technique_id("TA0002"));
        assert!(!super::is_technique_id("T1059.1"));
    }
}
