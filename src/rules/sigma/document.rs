//! Sigma YAML documents: splitting files, telling rules from correlations and filters, and
//! reading the metadata every report shows (title, id, level, status, ATT&CK tags, ...).

use super::logsource::LogSource;
use crate::rules::{EngineKind, Level, RuleInfo};
use serde::Deserialize;
use serde_yaml_ng::{Mapping, Value as Yaml};
use std::path::{Path, PathBuf};

/// Most documents read from one file.
pub const MAX_DOCUMENTS: usize = 10_000;

/// What a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocKind {
    /// A detection rule (`detection:`).
    Rule,
    /// A correlation (`correlation:`).
    Correlation,
    /// A filter (`filter:`).
    Filter,
}

/// One YAML document of a Sigma file.
#[derive(Debug, Clone)]
pub struct Doc {
    /// The file.
    pub path: PathBuf,
    /// The document's top-level map.
    pub map: Mapping,
    /// Rule, correlation or filter.
    pub kind: DocKind,
}

impl Doc {
    /// A top-level text value.
    pub fn str(&self, key: &str) -> Option<&str> {
        self.map.get(key).and_then(Yaml::as_str)
    }

    /// The `id`, or empty.
    pub fn id(&self) -> String {
        self.str("id")
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    }

    /// The `title`, or empty.
    pub fn title(&self) -> String {
        self.str("title")
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    }

    /// The `name` (used by correlations to refer to rules).
    pub fn name(&self) -> Option<String> {
        self.str("name").map(|s| s.trim().to_string())
    }

    /// The log source block, lower-cased.
    pub fn logsource(&self) -> Option<LogSource> {
        let Yaml::Mapping(m) = self.map.get("logsource")? else {
            return None;
        };
        let get = |k: &str| {
            m.get(k)
                .and_then(Yaml::as_str)
                .map(|s| s.trim().to_ascii_lowercase())
        };
        Some(LogSource {
            category: get("category"),
            product: get("product"),
            service: get("service"),
        })
    }

    /// The report metadata of the document.
    pub fn info(&self) -> RuleInfo {
        let tags = strings(self.map.get("tags"));
        let (techniques, tactics) = attack(&tags);
        let title = self.title();
        let id = self.id();
        RuleInfo {
            id: if id.is_empty() { title.clone() } else { id },
            title,
            level: self.str("level").and_then(Level::parse).unwrap_or_default(),
            status: self
                .str("status")
                .map(|s| s.trim().to_ascii_lowercase())
                .unwrap_or_default(),
            engine: Some(EngineKind::Sigma),
            techniques,
            tactics,
            tags,
            description: self
                .str("description")
                .map(|s| s.trim().to_string())
                .unwrap_or_default(),
            author: self
                .str("author")
                .map(|s| s.trim().to_string())
                .unwrap_or_default(),
            falsepositives: strings(self.map.get("falsepositives")),
            path: self.path.clone(),
        }
    }
}

fn strings(v: Option<&Yaml>) -> Vec<String> {
    match v {
        Some(Yaml::Sequence(items)) => items
            .iter()
            .filter_map(|x| match x {
                Yaml::String(s) => Some(s.clone()),
                Yaml::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect(),
        Some(Yaml::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// Technique ids (`T1059.001`) and tactic names (`command-and-control`) from `attack.*` tags.
pub fn attack(tags: &[String]) -> (Vec<String>, Vec<String>) {
    let mut techniques = Vec::new();
    let mut tactics = Vec::new();
    for tag in tags {
        let lower = tag.trim().to_ascii_lowercase();
        let Some(rest) = lower.strip_prefix("attack.") else {
            continue;
        };
        if is_technique(rest) {
            let t = rest.to_ascii_uppercase();
            if !techniques.contains(&t) {
                techniques.push(t);
            }
            continue;
        }
        let name = rest.replace('_', "-");
        if crate::rules::attack::tactic_rank(&name).is_some() && !tactics.contains(&name) {
            tactics.push(name);
        }
    }
    (techniques, tactics)
}

fn is_technique(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: &[u8]| r.iter().all(u8::is_ascii_digit);
    match b.len() {
        5 => b[0] == b't' && digits(&b[1..]),
        9 => b[0] == b't' && digits(&b[1..5]) && b[5] == b'.' && digits(&b[6..]),
        _ => false,
    }
}

/// Split a file into documents. Empty documents are skipped; an `action: global` document is
/// merged into the documents after it (the Sigma v1 collection form), `action: reset` drops it.
pub fn split(path: &Path, text: &str) -> Result<Vec<Doc>, String> {
    let mut docs = Vec::new();
    let mut global: Option<Mapping> = None;
    for (i, de) in serde_yaml_ng::Deserializer::from_str(text).enumerate() {
        if i >= MAX_DOCUMENTS {
            return Err(format!("more than {MAX_DOCUMENTS} YAML documents"));
        }
        let value = Yaml::deserialize(de).map_err(|e| format!("YAML error: {e}"))?;
        let map = match value {
            Yaml::Null => continue,
            Yaml::Mapping(m) => m,
            _ => return Err(format!("document {} is not a map", i + 1)),
        };
        match map.get("action").and_then(Yaml::as_str) {
            Some("global") => {
                let mut g = map;
                g.remove("action");
                global = Some(g);
                continue;
            }
            Some("reset") => {
                global = None;
                continue;
            }
            _ => {}
        }
        let map = match &global {
            Some(g) => merge(g.clone(), map),
            None => map,
        };
        let kind = if map.contains_key("correlation") {
            DocKind::Correlation
        } else if map.contains_key("filter") && !map.contains_key("detection") {
            DocKind::Filter
        } else {
            DocKind::Rule
        };
        docs.push(Doc {
            path: path.to_path_buf(),
            map,
            kind,
        });
    }
    Ok(docs)
}

/// Deep-merge `over` into `base` (maps merge, other values replace).
fn merge(mut base: Mapping, over: Mapping) -> Mapping {
    for (k, v) in over {
        let merged = match (base.remove(&k), v) {
            (Some(Yaml::Mapping(b)), Yaml::Mapping(o)) => Yaml::Mapping(merge(b, o)),
            (_, v) => v,
        };
        base.insert(k, merged);
    }
    base
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_become_techniques_and_tactics() {
        let tags: Vec<String> = [
            "attack.t1059.001",
            "attack.T1048",
            "attack.command_and_control",
            "attack.defense-evasion",
            "attack.g0016",
            "cve.2021-1675",
            "attack.execution",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let (tech, tac) = attack(&tags);
        assert_eq!(tech, vec!["T1059.001", "T1048"]);
        assert_eq!(
            tac,
            vec!["command-and-control", "defense-evasion", "execution"]
        );
    }

    #[test]
    fn multi_document_files_and_global_action() {
        let text = "action: global\ntitle: T\nlogsource:\n  product: windows\n---\nid: a\nlogsource:\n  category: process_creation\ndetection:\n  s: {Image: x}\n  condition: s\n---\n---\nid: c\ncorrelation:\n  type: event_count\n";
        let docs = split(Path::new("x.yml"), text).unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].kind, DocKind::Rule);
        assert_eq!(docs[0].title(), "T");
        let ls = docs[0].logsource().unwrap();
        assert_eq!(ls.product.as_deref(), Some("windows"));
        assert_eq!(ls.category.as_deref(), Some("process_creation"));
        assert_eq!(docs[1].kind, DocKind::Correlation);
        assert_eq!(docs[1].id(), "c");
    }

    #[test]
    fn yaml_errors_are_reported() {
        let e = split(Path::new("x.yml"), "title: [unclosed\n").unwrap_err();
        assert!(e.starts_with("YAML error"));
    }
}
