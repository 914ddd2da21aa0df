//! Sigma rules (placeholder until the engine lands).

use crate::rules::loader::{LoadOptions, RuleFile, RuleVerdict};
use crate::rules::Rule;
use std::sync::Arc;

/// Compile Sigma rule files (rules, correlations, filters) into rules.
pub fn compile_files(
    files: Vec<RuleFile>,
    _options: &LoadOptions,
) -> (Vec<Arc<dyn Rule>>, Vec<RuleVerdict>) {
    let verdicts = files
        .iter()
        .map(|f| RuleVerdict::file_error(&f.path, "Sigma engine not built yet"))
        .collect();
    (Vec::new(), verdicts)
}
