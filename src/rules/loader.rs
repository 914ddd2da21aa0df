//! Finds rule files, decides from each file's content which language reads it, and collects
//! every rule's verdict (loaded, loaded with a warning, rejected) with its reason.

use super::{sigma, spl, EngineKind, Rule};
use rayon::prelude::*;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Largest rule or macro file read; larger ones are rejected unread.
pub const MAX_RULE_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// Options that change how rules load.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// A YAML file of Sigma `expand` placeholder values (`name: [values]`).
    pub placeholders: Option<PathBuf>,
    /// Run SPL filters that follow a grouping only after it, never per event (the reference
    /// behaviour that tests compare the per-event shortcut against).
    pub no_pushdown: bool,
}

/// The outcome for one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleStatus {
    /// Compiled and will run.
    Loaded,
    /// Compiled and will run, with a caveat stated in the reason.
    Warning,
    /// Not loaded; the reason says why.
    Rejected,
}

/// One rule's (or one unreadable file's) load result.
#[derive(Debug, Clone, Serialize)]
pub struct RuleVerdict {
    /// The file.
    pub path: PathBuf,
    /// The rule id, if it could be read.
    pub id: String,
    /// The rule title, if it could be read.
    pub title: String,
    /// The language, if known.
    pub engine: Option<EngineKind>,
    /// Loaded, warning or rejected.
    pub status: RuleStatus,
    /// Why it was rejected or warned about; empty when loaded cleanly.
    pub reason: String,
}

impl RuleVerdict {
    /// A rejection of a whole file that no language could read.
    pub fn file_error(path: &Path, reason: impl Into<String>) -> RuleVerdict {
        RuleVerdict {
            path: path.to_path_buf(),
            id: String::new(),
            title: String::new(),
            engine: None,
            status: RuleStatus::Rejected,
            reason: reason.into(),
        }
    }
}

/// Every rule that loaded plus the verdict on every rule file seen.
#[derive(Default)]
pub struct LoadReport {
    /// The compiled rules.
    pub rules: Vec<Arc<dyn Rule>>,
    /// One verdict per rule (and per unreadable file).
    pub verdicts: Vec<RuleVerdict>,
}

impl LoadReport {
    /// Number of rejected rules.
    pub fn rejected(&self) -> usize {
        self.verdicts
            .iter()
            .filter(|v| v.status == RuleStatus::Rejected)
            .count()
    }
}

/// What a file holds, judged from its top-level YAML keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A Sigma rule, correlation or filter (`detection:`, `correlation:` or `filter:`).
    Sigma,
    /// A Splunk security_content detection (`search:`).
    SplunkDetection,
    /// A Splunk macro (`definition:`).
    SplunkMacro,
    /// A CSV lookup table, or a lookup definition YAML (`filename:` or `collection:`).
    Lookup,
    /// Something else.
    Unknown,
}

/// Classify a rule file by its content.
pub fn classify(path: &Path, text: &str) -> FileKind {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if ext == "csv" {
        return FileKind::Lookup;
    }
    let mut kind = FileKind::Unknown;
    for line in text.lines() {
        let key = line.split(':').next().unwrap_or("");
        if key.starts_with(' ') || key.starts_with('\t') || key.starts_with('#') {
            continue;
        }
        match key.trim_end() {
            "detection" | "correlation" | "filter" => return FileKind::Sigma,
            "search" => kind = FileKind::SplunkDetection,
            "definition" if kind == FileKind::Unknown => kind = FileKind::SplunkMacro,
            "filename" | "collection" if kind == FileKind::Unknown => kind = FileKind::Lookup,
            _ => {}
        }
    }
    kind
}

/// A rule file's path and text, read from disk or from the bundled set.
pub struct RuleFile {
    /// Where it came from.
    pub path: PathBuf,
    /// Its content.
    pub text: String,
}

/// Collect rule files under the given paths (files or folders, recursively).
pub fn collect_files(paths: &[PathBuf], verdicts: &mut Vec<RuleVerdict>) -> Vec<RuleFile> {
    let mut found: Vec<PathBuf> = Vec::new();
    for root in paths {
        if root.is_file() {
            found.push(root.clone());
            continue;
        }
        if !root.exists() {
            verdicts.push(RuleVerdict::file_error(root, "no such file or directory"));
            continue;
        }
        for entry in walkdir::WalkDir::new(root)
            .follow_links(false)
            .sort_by_file_name()
        {
            match entry {
                Ok(e) if e.file_type().is_file() => {
                    let ext = e
                        .path()
                        .extension()
                        .map(|x| x.to_string_lossy().to_ascii_lowercase())
                        .unwrap_or_default();
                    if matches!(ext.as_str(), "yml" | "yaml" | "csv") {
                        found.push(e.into_path());
                    }
                }
                Ok(_) => {}
                Err(err) => {
                    let p = err
                        .path()
                        .map(Path::to_path_buf)
                        .unwrap_or_else(|| root.clone());
                    verdicts.push(RuleVerdict::file_error(&p, format!("cannot read: {err}")));
                }
            }
        }
    }
    let read: Vec<Result<RuleFile, RuleVerdict>> = found
        .par_iter()
        .map(|p| {
            let size = std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
            if size > MAX_RULE_FILE_BYTES {
                return Err(RuleVerdict::file_error(
                    p,
                    format!("file is {size} bytes, larger than the {MAX_RULE_FILE_BYTES}-byte limit for rule files"),
                ));
            }
            match std::fs::read(p) {
                Ok(bytes) => match String::from_utf8(bytes) {
                    Ok(text) => Ok(RuleFile { path: p.clone(), text }),
                    Err(_) => Err(RuleVerdict::file_error(p, "not UTF-8 text")),
                },
                Err(e) => Err(RuleVerdict::file_error(p, format!("cannot read: {e}"))),
            }
        })
        .collect();
    let mut files = Vec::with_capacity(read.len());
    for r in read {
        match r {
            Ok(f) => files.push(f),
            Err(v) => verdicts.push(v),
        }
    }
    files
}

/// Load every rule from files and folders (`paths`), or the bundled rules when `paths` is empty.
pub fn load(paths: &[PathBuf], options: &LoadOptions) -> LoadReport {
    let mut verdicts = Vec::new();
    let files = if paths.is_empty() {
        super::bundled::files()
    } else {
        collect_files(paths, &mut verdicts)
    };
    load_files(files, options, verdicts)
}

/// Load rules from files already read.
pub fn load_files(
    files: Vec<RuleFile>,
    options: &LoadOptions,
    mut verdicts: Vec<RuleVerdict>,
) -> LoadReport {
    let mut sigma_files = Vec::new();
    let mut spl = spl::SplCollection::default();
    for file in files {
        if let Err(reason) = super::limits::check_text(&file.text) {
            verdicts.push(RuleVerdict::file_error(&file.path, reason));
            continue;
        }
        match classify(&file.path, &file.text) {
            FileKind::Sigma => sigma_files.push(file),
            FileKind::SplunkDetection => spl.add_detection(file),
            FileKind::SplunkMacro => spl.add_macro(file),
            FileKind::Lookup => spl.add_lookup(file),
            FileKind::Unknown => {
                // Plain YAML that is neither a rule nor a macro (configs, data sources) is not an error.
                if !is_known_support_file(&file.path) {
                    verdicts.push(RuleVerdict::file_error(
                        &file.path,
                        "not a Sigma rule (no detection/correlation/filter) nor a Splunk detection (no search) nor a macro",
                    ));
                }
            }
        }
    }
    let mut report = LoadReport::default();
    // The languages compile side by side (SPL's compile is serial: it builds lookups as the
    // detections ask for them).
    let ((sigma_rules, sigma_verdicts), (spl_rules, spl_verdicts)) = rayon::join(
        || sigma::compile_files(sigma_files, options),
        || spl.compile(options),
    );
    report.rules.extend(sigma_rules);
    verdicts.extend(sigma_verdicts);
    report.rules.extend(spl_rules);
    verdicts.extend(spl_verdicts);
    report.verdicts = verdicts;
    report
}

/// Files that sit beside rules in the corpora and are not rules (data-source definitions,
/// stories, lookup descriptions): skipped without a verdict.
fn is_known_support_file(path: &Path) -> bool {
    path.components().any(|c| {
        matches!(
            c.as_os_str().to_str(),
            Some("data_sources" | "stories" | "lookups" | "deployments" | "baselines" | "config")
        )
    })
}
