//! Stage 1: find the event logs among the paths the user gave.
//!
//! A file is an event log when its first eight bytes are the EVTX magic `ElfFile\0`, whatever its
//! name: `.evtx`, `.evt`, KAPE's renamed copies, no extension. Folders are walked recursively
//! without following symbolic links (so no loops); a link named on the command line is followed.
//! Everything else is counted as skipped, with the reason.

use std::io::Read;
use std::path::{Path, PathBuf};

/// The EVTX file magic.
pub const EVTX_MAGIC: &[u8; 8] = b"ElfFile\0";

/// A discovered event log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogFile {
    /// Its path.
    pub path: PathBuf,
    /// Its size in bytes.
    pub size: u64,
}

/// A path that was not scanned, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The path.
    pub path: PathBuf,
    /// Why it was not scanned.
    pub reason: String,
    /// Whether it could not be read at all (as opposed to being read and found not to be a
    /// log): such a file may be evidence, so it makes the scan partial.
    pub unreadable: bool,
}

/// The outcome of discovery.
#[derive(Debug, Default)]
pub struct Discovery {
    /// Event logs to scan, in a stable order (sorted by path).
    pub logs: Vec<LogFile>,
    /// Files that are not event logs or could not be opened.
    pub skipped: Vec<Skipped>,
    /// Command-line paths that do not exist.
    pub missing: Vec<PathBuf>,
}

impl Discovery {
    /// Total bytes of the logs found.
    pub fn total_bytes(&self) -> u64 {
        self.logs.iter().map(|l| l.size).sum()
    }
}

/// Whether the file at `path` starts with the EVTX magic.
pub fn has_evtx_magic(path: &Path) -> std::io::Result<bool> {
    probe(path).map(|size| size.is_some())
}

/// What the walk found at one place, in walk order: a file to look at, the file looked at
/// (its size when it is an event log), or a place already skipped.
enum Found {
    File(PathBuf),
    Probed(PathBuf, std::io::Result<Option<u64>>),
    Skipped(Skipped),
}

/// Whether the file starts with the EVTX magic, and its size when it does (one open for both).
fn probe(path: &Path) -> std::io::Result<Option<u64>> {
    let mut magic = [0u8; 8];
    let mut f = std::fs::File::open(path)?;
    let mut got = 0;
    while got < 8 {
        let n = f.read(&mut magic[got..])?;
        if n == 0 {
            return Ok(None);
        }
        got += n;
    }
    if &magic != EVTX_MAGIC {
        return Ok(None);
    }
    Ok(Some(f.metadata().map(|m| m.len()).unwrap_or(0)))
}

/// Walk the given paths and sort what is found into logs and skipped files. The walk is
/// sequential; the files it finds are opened in parallel (a triage collection holds thousands
/// of small files, and each costs an open, a read and a stat).
pub fn discover(paths: &[PathBuf]) -> Discovery {
    use rayon::prelude::*;
    let mut out = Discovery::default();
    let mut seen = std::collections::HashSet::new();
    let mut found: Vec<Found> = Vec::new();
    for root in paths {
        let root = clean_cli_path(root);
        if std::fs::metadata(&root).is_err() {
            out.missing.push(root);
            continue;
        }
        for entry in walkdir::WalkDir::new(&root)
            .follow_links(false)
            .follow_root_links(true)
        {
            let entry = match entry {
                Ok(e) => e,
                Err(err) => {
                    let path = err
                        .path()
                        .map(Path::to_path_buf)
                        .unwrap_or_else(|| root.clone());
                    found.push(Found::Skipped(Skipped {
                        path,
                        reason: format!("cannot read: {err}"),
                        unreadable: true,
                    }));
                    continue;
                }
            };
            if !entry.file_type().is_file() {
                if entry.file_type().is_symlink() {
                    found.push(Found::Skipped(Skipped {
                        path: entry.into_path(),
                        reason: "symbolic link inside a folder (not followed)".into(),
                        unreadable: false,
                    }));
                }
                continue;
            }
            let path = entry.into_path();
            if seen.insert(path.clone()) {
                found.push(Found::File(path));
            }
        }
    }
    let probed: Vec<Found> = found
        .into_par_iter()
        .map(|f| match f {
            Found::File(path) => {
                let result = probe(&path);
                Found::Probed(path, result)
            }
            other => other,
        })
        .collect();
    for f in probed {
        match f {
            Found::Skipped(s) => out.skipped.push(s),
            Found::Probed(path, Ok(Some(size))) => out.logs.push(LogFile { path, size }),
            Found::Probed(path, Err(e)) => out.skipped.push(Skipped {
                path,
                reason: format!("cannot open: {e}"),
                unreadable: true,
            }),
            Found::Probed(path, Ok(None)) | Found::File(path) => out.skipped.push(Skipped {
                path,
                reason: "not an EVTX file (no ElfFile magic)".into(),
                unreadable: false,
            }),
        }
    }
    out.logs.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// Undo a quoting accident of Windows shells: `"C:\dir with space\"` arrives as `C:\dir with space"`.
fn clean_cli_path(p: &Path) -> PathBuf {
    match p.to_str() {
        Some(s) if s.ends_with('"') && !Path::new(s).exists() => {
            PathBuf::from(s.trim_end_matches('"'))
        }
        _ => p.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_logs_by_magic_not_name() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir
            .path()
            .join("with space")
            .join("Microsoft-Windows-Sysmon%4Operational.evtx");
        std::fs::create_dir_all(sub.parent().unwrap()).unwrap();
        let mut body = EVTX_MAGIC.to_vec();
        body.extend_from_slice(&[0u8; 100]);
        std::fs::write(&sub, &body).unwrap();
        std::fs::write(dir.path().join("foo.dat"), &body).unwrap();
        std::fs::write(dir.path().join("notes.evtx"), b"hello").unwrap();
        std::fs::write(dir.path().join("empty"), b"").unwrap();
        let d = discover(&[dir.path().to_path_buf()]);
        let names: Vec<String> = d
            .logs
            .iter()
            .map(|l| l.path.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            vec!["foo.dat", "Microsoft-Windows-Sysmon%4Operational.evtx"]
        );
        assert_eq!(d.skipped.len(), 2);
        assert!(d.skipped.iter().all(|s| s.reason.contains("ElfFile")));
    }

    #[cfg(unix)]
    #[test]
    fn non_utf8_names_and_symlink_loops() {
        use std::os::unix::ffi::OsStrExt;
        let dir = tempfile::tempdir().unwrap();
        let name = std::ffi::OsStr::from_bytes(b"log\xff.bin");
        let mut body = EVTX_MAGIC.to_vec();
        body.extend_from_slice(&[1u8; 10]);
        std::fs::write(dir.path().join(name), &body).unwrap();
        std::os::unix::fs::symlink(dir.path(), dir.path().join("loop")).unwrap();
        let d = discover(&[dir.path().to_path_buf()]);
        assert_eq!(d.logs.len(), 1);
        assert_eq!(d.logs[0].path.file_name().unwrap(), name);
    }

    #[test]
    fn missing_paths_are_reported() {
        let d = discover(&[PathBuf::from("/definitely/not/here")]);
        assert_eq!(d.missing.len(), 1);
    }
}
