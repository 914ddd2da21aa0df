//! Output files are written to a temporary name beside the target and renamed when complete,
//! so an interrupted run never leaves a half-written file that looks complete.

use std::io::{BufWriter, Write};
use std::path::Path;

/// Write `path` through `body`; the file appears only if `body` succeeds.
pub fn write_file(
    path: &Path,
    body: impl FnOnce(&mut (dyn Write + Send)) -> std::io::Result<()>,
) -> std::io::Result<()> {
    crate::evidence::check_output(path)?;
    // A device or pipe (`-o /dev/null`, `-o /dev/stdout`, a FIFO) is written in place: renaming
    // over it would replace the device with a regular file.
    if let Ok(meta) = std::fs::metadata(path) {
        if !meta.is_file() && !meta.is_dir() {
            let mut w = BufWriter::new(std::fs::OpenOptions::new().write(true).open(path)?);
            body(&mut w)?;
            return w.flush();
        }
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".partial")
        .tempfile_in(&dir)?;
    {
        let mut w = BufWriter::new(tmp.as_file());
        body(&mut w)?;
        w.flush()?;
    }
    // Temporary files are created private (0600); a finished report is an ordinary file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn failed_body_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.csv");
        let r = super::write_file(&target, |w| {
            w.write_all(b"partial")?;
            Err(std::io::Error::other("interrupted"))
        });
        assert!(r.is_err());
        assert!(!target.exists());
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "temporary file left behind"
        );
        super::write_file(&target, |w| w.write_all(b"done")).unwrap();
        // A device is written in place, never replaced by a regular file.
        #[cfg(unix)]
        {
            super::write_file(std::path::Path::new("/dev/null"), |w| w.write_all(b"x")).unwrap();
            let meta = std::fs::metadata("/dev/null").unwrap();
            assert!(!meta.is_file(), "/dev/null is still a device");
        }
        assert_eq!(std::fs::read(&target).unwrap(), b"done");
    }
}
