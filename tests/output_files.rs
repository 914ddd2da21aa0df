//! Output files, through the binary: a scan of `samples/` writes each output under its final
//! name, as an ordinary file (mode 0644 on unix, not the 0600 of the temporary file it was
//! written to), and leaves no `.partial` temporary file behind.

use std::path::Path;
use std::process::Command;

#[test]
fn scan_outputs_are_complete_ordinary_files() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = tempfile::tempdir().unwrap();
    let outputs = [
        ("--output", "hits.csv"),
        ("--coverage", "coverage.json"),
        ("--navigator", "layer.json"),
        ("--report", "report.html"),
        ("--report", "report.md"),
    ];
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_evtxscan"));
    cmd.arg("scan")
        .arg(manifest.join("samples"))
        .args(["--quiet", "--format", "csv"]);
    for (flag, name) in outputs {
        cmd.arg(flag).arg(out.path().join(name));
    }
    let run = cmd.output().unwrap();
    assert_eq!(
        run.status.code(),
        Some(evtxscan::cli::EXIT_HITS),
        "the bundled rules fire on the samples: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let mut left: Vec<String> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    let mut want: Vec<String> = outputs.iter().map(|(_, n)| n.to_string()).collect();
    want.sort();
    assert_eq!(left, want, "exactly the outputs, no `.partial` file");
    assert!(!left.iter().any(|n| n.contains(".partial")));
    let csv = std::fs::read_to_string(out.path().join("hits.csv")).unwrap();
    assert!(
        csv.lines().count() > 1,
        "the timeline holds the hits: {csv}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for (_, name) in outputs {
            let mode = std::fs::metadata(out.path().join(name))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o644, "{name}: mode {:o}", mode & 0o777);
        }
    }
}
