//! Splunk security_content detections (placeholder until the engine lands).

use crate::rules::loader::{RuleFile, RuleVerdict};
use crate::rules::Rule;
use std::sync::Arc;

/// Detections, macros and lookups gathered before compiling.
#[derive(Default)]
pub struct SplCollection {
    detections: Vec<RuleFile>,
}

impl SplCollection {
    /// Add a detection file.
    pub fn add_detection(&mut self, file: RuleFile) {
        self.detections.push(file);
    }
    /// Add a macro file.
    pub fn add_macro(&mut self, _file: RuleFile) {}
    /// Add a CSV lookup.
    pub fn add_lookup(&mut self, _file: RuleFile) {}
    /// Compile every detection with the macros and lookups gathered.
    pub fn compile(self) -> (Vec<Arc<dyn Rule>>, Vec<RuleVerdict>) {
        let verdicts = self
            .detections
            .iter()
            .map(|f| RuleVerdict::file_error(&f.path, "SPL engine not built yet"))
            .collect();
        (Vec::new(), verdicts)
    }
}
