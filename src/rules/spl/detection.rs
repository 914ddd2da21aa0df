//! The security_content detection YAML: metadata into [`RuleInfo`], severity from the risk score.
//!
//! Level mapping (documented in docs/SPL.md): the risk score is `tags.risk_score` (older
//! format) or the highest `rba.risk_objects[].score` (newer format). `type: Hunting` is
//! informational whatever the score. Otherwise score < 25 low, < 50 medium, < 75 high, else
//! critical; without a score, TTP is medium, Anomaly and others low.

use super::error::{SplError, SplResult};
use crate::rules::{EngineKind, Level, RuleInfo};
use serde::Deserialize;
use serde_yaml_ng::Value as Yaml;
use std::path::Path;

#[derive(Deserialize)]
struct DetectionYaml {
    name: String,
    #[serde(default)]
    id: Option<Yaml>,
    search: String,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    author: Option<String>,
    #[serde(default)]
    how_to_implement: Option<String>,
    #[serde(default)]
    known_false_positives: Option<Yaml>,
    #[serde(default)]
    data_source: Option<Yaml>,
    #[serde(default)]
    tags: Option<Yaml>,
    #[serde(default)]
    rba: Option<Yaml>,
}

/// A detection file read: metadata and the SPL text.
#[derive(Debug, Clone)]
pub struct Detection {
    /// Report metadata.
    pub info: RuleInfo,
    /// The SPL search.
    pub search: String,
    /// `type` (TTP, Anomaly, Hunting, Correlation).
    pub kind: String,
    /// Data source names.
    pub data_sources: Vec<String>,
    /// How to implement (free text).
    pub how_to_implement: String,
    /// The risk message with `$field$` tokens, if any.
    pub message: String,
    /// Risk score used for the level.
    pub risk_score: Option<f64>,
}

fn strings(v: Option<&Yaml>) -> Vec<String> {
    match v {
        Some(Yaml::String(s)) => vec![s.clone()],
        Some(Yaml::Sequence(seq)) => seq.iter().filter_map(scalar).collect(),
        Some(other) => scalar(other).into_iter().collect(),
        None => Vec::new(),
    }
}

fn scalar(v: &Yaml) -> Option<String> {
    match v {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Number(n) => Some(n.to_string()),
        Yaml::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn number(v: Option<&Yaml>) -> Option<f64> {
    match v? {
        Yaml::Number(n) => n.as_f64(),
        Yaml::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The level for a detection type and risk score.
pub fn level_for(kind: &str, score: Option<f64>) -> Level {
    if kind.eq_ignore_ascii_case("hunting") {
        return Level::Informational;
    }
    match score {
        Some(s) if s < 25.0 => Level::Low,
        Some(s) if s < 50.0 => Level::Medium,
        Some(s) if s < 75.0 => Level::High,
        Some(_) => Level::Critical,
        None if kind.eq_ignore_ascii_case("ttp") => Level::Medium,
        None => Level::Low,
    }
}

/// Read a detection file.
pub fn parse_detection(path: &Path, text: &str) -> SplResult<Detection> {
    let y: DetectionYaml =
        serde_yaml_ng::from_str(text).map_err(|e| SplError::Detection(e.to_string()))?;
    let tags = y.tags.as_ref();
    let tag = |k: &str| tags.and_then(|t| t.get(k));
    let rba = y.rba.as_ref();
    let rba_score = rba
        .and_then(|r| r.get("risk_objects"))
        .and_then(Yaml::as_sequence)
        .map(|objs| {
            objs.iter()
                .filter_map(|o| number(o.get("score")))
                .fold(None, |m: Option<f64>, s| Some(m.map_or(s, |m| m.max(s))))
        })
        .unwrap_or(None);
    let risk_score = number(tag("risk_score")).or(rba_score);
    let kind = y.kind.clone().unwrap_or_default();
    let techniques: Vec<String> = strings(tag("mitre_attack_id"))
        .into_iter()
        .map(|t| t.trim().to_ascii_uppercase())
        .filter(|t| !t.is_empty())
        .collect();
    let mut all_tags: Vec<String> = techniques.clone();
    all_tags.extend(
        strings(tag("analytic_story"))
            .into_iter()
            .map(|s| format!("analytic_story:{s}")),
    );
    if !kind.is_empty() {
        all_tags.push(format!("type:{kind}"));
    }
    let message = rba
        .and_then(|r| r.get("message"))
        .and_then(scalar)
        .or_else(|| tag("message").and_then(scalar))
        .unwrap_or_default();
    let id =
        y.id.as_ref()
            .and_then(scalar)
            .unwrap_or_else(|| y.name.clone());
    let info = RuleInfo {
        id,
        title: y.name.clone(),
        level: level_for(&kind, risk_score),
        status: y.status.clone().unwrap_or_default().to_ascii_lowercase(),
        engine: Some(EngineKind::Splunk),
        techniques,
        tactics: Vec::new(),
        tags: all_tags,
        description: y.description.clone().unwrap_or_default().trim().to_string(),
        author: y.author.clone().unwrap_or_default(),
        falsepositives: strings(y.known_false_positives.as_ref()),
        path: path.to_path_buf(),
    };
    Ok(Detection {
        info,
        search: y.search,
        kind,
        data_sources: strings(y.data_source.as_ref()),
        how_to_implement: y.how_to_implement.unwrap_or_default(),
        message,
        risk_score,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_follow_scores_and_type() {
        assert_eq!(level_for("TTP", Some(64.0)), Level::High);
        assert_eq!(level_for("TTP", Some(81.0)), Level::Critical);
        assert_eq!(level_for("Anomaly", Some(20.0)), Level::Low);
        assert_eq!(level_for("Anomaly", Some(30.0)), Level::Medium);
        assert_eq!(level_for("Hunting", Some(90.0)), Level::Informational);
        assert_eq!(level_for("TTP", None), Level::Medium);
    }

    #[test]
    fn reads_old_and_new_risk_forms() {
        let old = "name: A\nid: x-1\nsearch: '`sysmon` EventCode=1'\ntype: TTP\nstatus: production\ntags:\n  mitre_attack_id: [t1059.001]\n  risk_score: 64\n  analytic_story: [S]\n";
        let d = parse_detection(Path::new("a.yml"), old).unwrap();
        assert_eq!(d.info.level, Level::High);
        assert_eq!(d.info.techniques, vec!["T1059.001"]);
        assert_eq!(d.info.engine, Some(EngineKind::Splunk));
        let new = "name: B\nid: y\nsearch: x\ntype: Anomaly\nrba:\n  message: m $dest$\n  risk_objects:\n  - field: dest\n    type: system\n    score: 20\n  - field: user\n    type: user\n    score: 56\n";
        let d = parse_detection(Path::new("b.yml"), new).unwrap();
        assert_eq!(d.risk_score, Some(56.0));
        assert_eq!(d.info.level, Level::High);
        assert_eq!(d.message, "m $dest$");
    }
}
