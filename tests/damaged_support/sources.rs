//! Where the tests find real EVTX files: the repository's `samples/` (written by evtxscan's own
//! writer) and, when it is there, the shared reference corpus `../shared/corpus/evtx`.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared/corpus/evtx`, when present.
pub fn shared_evtx() -> Option<PathBuf> {
    let p = repo().join("../shared/corpus/evtx");
    p.is_dir().then_some(p)
}

/// Every file with the EVTX magic under `root`, sorted by path.
pub fn evtx_under(root: &Path) -> Vec<PathBuf> {
    if !root.exists() {
        return Vec::new();
    }
    let mut found: Vec<PathBuf> = evtxscan::discover::discover(&[root.to_path_buf()])
        .logs
        .into_iter()
        .map(|l| l.path)
        .collect();
    found.sort();
    found
}

/// EVTX files from `samples/` then from the shared corpus (if present), sorted within each.
pub fn all_evtx() -> Vec<PathBuf> {
    let mut files = evtx_under(&repo().join("samples"));
    if let Some(shared) = shared_evtx() {
        files.extend(evtx_under(&shared));
    }
    files
}
