//! The rules in the repository's `rules/` folder, embedded in the binary so that a scan without
//! `--rules` works from any directory.

use super::loader::RuleFile;
use std::path::PathBuf;

/// (path under `rules/`, content) of every bundled rule.
pub const BUNDLED: &[(&str, &str)] = &[
    (
        "sigma/powershell_dnscat2_execution.yml",
        include_str!("../../rules/sigma/powershell_dnscat2_execution.yml"),
    ),
    (
        "sigma/proc_creation_dns_tunnel_tools.yml",
        include_str!("../../rules/sigma/proc_creation_dns_tunnel_tools.yml"),
    ),
    (
        "sigma/proc_creation_tunneling_tools.yml",
        include_str!("../../rules/sigma/proc_creation_tunneling_tools.yml"),
    ),
    (
        "splunk/suspicious_process_dns_query_known_abuse_web_services.yml",
        include_str!(
            "../../rules/splunk/suspicious_process_dns_query_known_abuse_web_services.yml"
        ),
    ),
];

/// The bundled rules as rule files named `bundled:rules/...`.
pub fn files() -> Vec<RuleFile> {
    BUNDLED
        .iter()
        .map(|(name, text)| RuleFile {
            path: PathBuf::from(format!("bundled:rules/{name}")),
            text: (*text).to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_file_in_rules_is_bundled() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
        let mut on_disk = Vec::new();
        for e in walkdir::WalkDir::new(&root).into_iter().flatten() {
            if e.file_type().is_file() {
                let rel = e
                    .path()
                    .strip_prefix(&root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                if rel.ends_with(".yml") {
                    on_disk.push(rel);
                }
            }
        }
        on_disk.sort();
        let mut bundled: Vec<String> = super::BUNDLED.iter().map(|(n, _)| n.to_string()).collect();
        bundled.sort();
        assert_eq!(on_disk, bundled, "rules/ and the bundled list differ");
    }
}
