//! Helpers shared by the robustness tests: a rule that matches every event, small real logs,
//! and running things (a closure, the built binary) with a test-side time bound.

#![allow(dead_code)]

use evtxscan::discover::LogFile;
use evtxscan::event::Event;
use evtxscan::read::{read_log, FileControl, ReadOptions};
use evtxscan::rules::{EventMatch, Rule, RuleInfo, Scope};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The id of [`every_event`]'s rule.
pub const EVERY_EVENT: &str = "every-event";

/// A rule that matches every event, so detection runs on every record read.
pub struct EveryEvent {
    info: Arc<RuleInfo>,
    scope: Scope,
}

impl Rule for EveryEvent {
    fn info(&self) -> &Arc<RuleInfo> {
        &self.info
    }
    fn scope(&self) -> &Scope {
        &self.scope
    }
    fn check(&self, event: &Event) -> Option<EventMatch> {
        Some(EventMatch::of(event))
    }
}

/// A rule matching every event, id [`EVERY_EVENT`].
pub fn every_event() -> Arc<dyn Rule> {
    Arc::new(EveryEvent {
        info: Arc::new(RuleInfo {
            id: EVERY_EVENT.into(),
            title: "Every event".into(),
            ..Default::default()
        }),
        scope: Scope::everything(),
    })
}

/// Records the reader gets from a file on its own (no scan, no watchdog, no test hook).
pub fn records_in(path: &Path) -> u64 {
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let log = LogFile {
        path: path.to_path_buf(),
        size,
    };
    read_log(
        &log,
        &ReadOptions::default(),
        &FileControl::default(),
        &|_| {},
    )
    .records_read
}

/// Up to `n` one-chunk logs with at least one record, from `samples/` and the shared corpus,
/// in a stable order.
pub fn small_logs(n: usize) -> Vec<PathBuf> {
    super::sources::all_evtx()
        .into_iter()
        .filter(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0) == 4096 + 65536)
        .filter(|p| records_in(p) > 0)
        .take(n)
        .collect()
}

/// Run `f` on another thread; fail the test if it does not finish within `limit`.
pub fn bounded<T: Send + 'static>(
    limit: Duration,
    what: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = crossbeam_channel::bounded(1);
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(limit) {
        Ok(v) => v,
        Err(_) => panic!("{what} did not finish within {limit:?}"),
    }
}

/// The built `evtxscan` binary.
pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_evtxscan")
}

/// Run the built `evtxscan` binary; kill it and fail the test if it runs longer than `limit`.
pub fn run_binary(args: &[&std::ffi::OsStr], env: &[(&str, &str)], limit: Duration) -> Output {
    let mut cmd = Command::new(binary());
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    run_command(cmd, limit)
}

/// Run a command with no input; kill it and fail the test if it runs longer than `limit`.
pub fn run_command(mut cmd: Command, limit: Duration) -> Output {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let args = format!("{cmd:?}");
    let mut child = cmd.spawn().expect("start the command");
    // Drain the pipes on threads so a chatty child cannot block on a full pipe.
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let out_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = std::io::Read::read_to_end(&mut out, &mut v);
        v
    });
    let err_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = std::io::Read::read_to_end(&mut err, &mut v);
        v
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the command") {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{args} did not finish within {limit:?}: killed");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Output {
        status,
        stdout: out_t.join().unwrap_or_default(),
        stderr: err_t.join().unwrap_or_default(),
    }
}

/// Fail the test if the binary refused to scan because no rule loaded: the bundled rules
/// must always load, so a rule-loading regression fails every scan test that calls this.
pub fn assert_rules_loaded(out: &Output) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !(out.status.code() == Some(2) && stderr.contains("no rules to run")),
        "the bundled rules did not load: {stderr}"
    );
}

/// Run `evtxscan scan DIR --file-timeout 1` through the stall hook (`EVTXSCAN_TEST_STALL=stall`),
/// writing a `format` timeline and the coverage to a temporary folder; check the rules loaded and
/// the scan exited partial, and return the coverage document.
pub fn scan_with_stall(
    dir: &Path,
    format: &str,
    stall: &str,
    limit: Duration,
) -> serde_json::Value {
    let out_dir = tempfile::tempdir().unwrap();
    let coverage = out_dir.path().join("coverage.json");
    let timeline = out_dir.path().join(format!("hits.{format}"));
    let args: Vec<&std::ffi::OsStr> = vec![
        "scan".as_ref(),
        dir.as_os_str(),
        "--file-timeout".as_ref(),
        "1".as_ref(),
        "--format".as_ref(),
        format.as_ref(),
        "--output".as_ref(),
        timeline.as_os_str(),
        "--coverage".as_ref(),
        coverage.as_os_str(),
    ];
    let out = run_binary(&args, &[("EVTXSCAN_TEST_STALL", stall)], limit);
    assert_rules_loaded(&out);
    assert_eq!(
        out.status.code(),
        Some(evtxscan::cli::EXIT_PARTIAL),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&std::fs::read(&coverage).unwrap()).unwrap()
}
