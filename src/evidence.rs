//! Evidence is read-only: evtxscan never writes into the paths it scans.
//!
//! The command line registers the scanned paths ([`protect`]); every output file goes through
//! [`crate::report::atomic::write_file`], which asks [`check_output`] first. A folder given to
//! scan protects its whole tree; a file protects itself.

use std::path::{Path, PathBuf};
use std::sync::RwLock;

#[derive(Debug, Clone)]
enum Protected {
    Tree(PathBuf),
    File(PathBuf),
}

static PROTECTED: RwLock<Vec<Protected>> = RwLock::new(Vec::new());

/// Register the paths a command reads as evidence.
pub fn protect(inputs: &[PathBuf]) {
    let mut list = PROTECTED.write().unwrap_or_else(|e| e.into_inner());
    for p in inputs {
        let Ok(canon) = std::fs::canonicalize(p) else {
            continue;
        };
        if canon.is_dir() {
            list.push(Protected::Tree(canon));
        } else {
            list.push(Protected::File(canon));
        }
    }
}

/// Where `path` would be written, resolved like the protected paths (links followed).
fn resolve(path: &Path) -> std::io::Result<PathBuf> {
    if let Ok(p) = std::fs::canonicalize(path) {
        return Ok(p);
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path.file_name().ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "output path has no file name",
        )
    })?;
    Ok(std::fs::canonicalize(parent)?.join(name))
}

/// Fail when `path` lies inside a scanned folder or is a scanned file.
pub fn check_output(path: &Path) -> std::io::Result<()> {
    let list = PROTECTED.read().unwrap_or_else(|e| e.into_inner());
    if list.is_empty() {
        return Ok(());
    }
    let target = resolve(path)?;
    for p in list.iter() {
        let (hit, what) = match p {
            Protected::Tree(root) => (target.starts_with(root), root),
            Protected::File(file) => (&target == file, file),
        };
        if hit {
            return Err(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                format!(
                    "refusing to write {}: it is inside the evidence being scanned ({}); evtxscan never writes into evidence, choose an output elsewhere",
                    path.display(),
                    what.display()
                ),
            ));
        }
    }
    Ok(())
}

/// Forget every protected path (for tests that run several commands in one process).
pub fn clear() {
    PROTECTED.write().unwrap_or_else(|e| e.into_inner()).clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_inside_evidence_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let evidence = dir.path().join("evidence");
        std::fs::create_dir_all(evidence.join("sub")).unwrap();
        let log = dir.path().join("single.evtx");
        std::fs::write(&log, b"x").unwrap();
        protect(&[evidence.clone(), log.clone()]);
        assert!(check_output(&evidence.join("hits.csv")).is_err());
        assert!(check_output(&evidence.join("sub").join("r.html")).is_err());
        assert!(
            check_output(&log).is_err(),
            "a scanned file is never overwritten"
        );
        assert!(check_output(&dir.path().join("hits.csv")).is_ok());
        clear();
        assert!(check_output(&evidence.join("hits.csv")).is_ok());
    }
}
