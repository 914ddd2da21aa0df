//! Splunk security_content detections (SPL), run offline over EVTX events.
//!
//! The loader hands over detection YAMLs, macro YAMLs and lookups (CSV files and their YAML
//! definitions); [`SplCollection::compile`] expands each detection's macros, parses its SPL and
//! either builds a [`Rule`] or rejects the detection naming what is unsupported. Nothing runs
//! half-way: a detection that needs an unsupported command or function is rejected whole.
//!
//! Modules: [`macros`] (expansion), [`lexer`], [`search`] (the search language), [`expr`] /
//! [`eval`] / [`functions`] (eval expressions), [`commands`] / [`exec`] (pipeline commands),
//! [`stats`] (aggregation), [`lookup`] (CSV lookups), [`view`] (events as the Splunk add-ons
//! present them, and the CIM `Endpoint.Processes` mapping), [`row`], [`pipeline`] (compiling a
//! whole search), [`rule`] (the [`Rule`] implementation), [`detection`] (YAML metadata).

pub mod cim;
pub mod command_parse;
pub mod commands;
pub mod detection;
pub mod error;
pub mod eval;
mod event_refs;
pub mod exec;
pub mod expr;
mod field_map;
pub mod function_helpers;
pub mod functions;
pub mod lexer;
mod liveness;
pub mod lookup;
mod lookup_index;
pub mod macros;
pub mod needles;
pub mod optimize;
pub mod pipeline;
pub mod pushdown;
mod pushdown_needles;
pub mod row;
pub mod rule;
pub mod search;
pub mod semijoin;
pub mod sink;
pub mod stats;
pub mod stats_parse;
pub mod timefmt;
pub mod value;
pub mod view;
pub mod wildcard;

use crate::rules::loader::{LoadOptions, RuleFile, RuleStatus, RuleVerdict};
use crate::rules::{EngineKind, Rule};
use std::sync::Arc;

pub use error::SplError;
pub use rule::SplRule;

/// Detections, macros and lookups gathered before compiling.
#[derive(Default)]
pub struct SplCollection {
    detections: Vec<RuleFile>,
    macros: Vec<RuleFile>,
    lookups: Vec<RuleFile>,
}

impl SplCollection {
    /// Add a detection file.
    pub fn add_detection(&mut self, file: RuleFile) {
        self.detections.push(file);
    }

    /// Add a macro file.
    pub fn add_macro(&mut self, file: RuleFile) {
        self.macros.push(file);
    }

    /// Add a lookup: a CSV file, or a YAML lookup definition (`filename`, `match_type`...).
    pub fn add_lookup(&mut self, file: RuleFile) {
        self.lookups.push(file);
    }

    /// Compile every detection with the macros and lookups gathered.
    pub fn compile(self, options: &LoadOptions) -> (Vec<Arc<dyn Rule>>, Vec<RuleVerdict>) {
        let mut verdicts = Vec::new();
        let mut table = macros::MacroTable::default();
        for m in &self.macros {
            if let Err(e) = table.add_yaml(&m.text) {
                let mut v = RuleVerdict::file_error(&m.path, format!("invalid macro file: {e}"));
                v.engine = Some(EngineKind::Splunk);
                verdicts.push(v);
            }
        }
        let mut lookups = lookup::LookupSet::default();
        for l in self.lookups {
            let is_csv = l
                .path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
            if is_csv {
                lookups.add_csv(&l.path, l.text);
            } else if let Err(e) = lookups.add_definition(&l.text) {
                let mut v =
                    RuleVerdict::file_error(&l.path, format!("invalid lookup definition: {e}"));
                v.engine = Some(EngineKind::Splunk);
                verdicts.push(v);
            }
        }
        let mut rules: Vec<Arc<dyn Rule>> = Vec::new();
        for d in &self.detections {
            let (rule, verdict) = compile_one(d, &table, &mut lookups, options);
            if let Some(r) = rule {
                rules.push(r);
            }
            verdicts.push(verdict);
        }
        (rules, verdicts)
    }
}

/// Compile one detection file into a rule and its verdict.
fn compile_one(
    file: &RuleFile,
    table: &macros::MacroTable,
    lookups: &mut lookup::LookupSet,
    options: &LoadOptions,
) -> (Option<Arc<dyn Rule>>, RuleVerdict) {
    let mut verdict = RuleVerdict {
        path: file.path.clone(),
        id: String::new(),
        title: String::new(),
        engine: Some(EngineKind::Splunk),
        status: RuleStatus::Rejected,
        reason: String::new(),
    };
    let det = match detection::parse_detection(&file.path, &file.text) {
        Ok(d) => d,
        Err(e) => {
            verdict.reason = e.to_string();
            return (None, verdict);
        }
    };
    verdict.id = det.info.id.clone();
    verdict.title = det.info.title.clone();
    match pipeline::compile(&det.search, table, lookups) {
        Ok(mut p) => {
            if options.no_pushdown {
                p.iter_mut().for_each(|b| b.pushdown = None);
            }
            verdict.status = RuleStatus::Loaded;
            (
                Some(Arc::new(SplRule::new(det.info, p)) as Arc<dyn Rule>),
                verdict,
            )
        }
        Err(e) => {
            verdict.reason = e.to_string();
            (None, verdict)
        }
    }
}
