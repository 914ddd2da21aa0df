//! `evtxscan dump`: the normalized events as JSON lines.
//!
//! Files are read like the scan reads them ([`crate::scan::read_files`]): in parallel, each
//! isolated (a reader that panics or stops making progress costs that file only). Lines are
//! written by this thread as the readers hand them over; the first write error stops the dump
//! and fails it, so `-o FILE` never leaves a truncated file under its name.

use super::args::DumpArgs;
use super::{EXIT_CLEAN, EXIT_PARTIAL};
use crate::discover::{discover, LogFile};
use crate::event::Event;
use crate::read::{FileReport, ReadOptions};
use crate::scan::{read_files, FileSink, Progress};
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A file that makes no progress for this long is abandoned by `dump`.
const FILE_TIMEOUT: Duration = Duration::from_secs(120);

/// Dump every record of the given logs as one JSON object per line.
pub fn run(args: DumpArgs) -> anyhow::Result<i32> {
    let found = discover(&args.paths);
    let options = ReadOptions {
        recover: args.recover,
        ..Default::default()
    };
    let reports = match &args.output {
        Some(path) => {
            let mut reports = Vec::new();
            crate::report::atomic::write_file(path, |w| {
                reports = dump(&found.logs, &options, FILE_TIMEOUT, w)?;
                Ok(())
            })
            .map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))?;
            reports
        }
        None => {
            let mut out = std::io::BufWriter::new(std::io::stdout());
            dump(&found.logs, &options, FILE_TIMEOUT, &mut out)?
        }
    };
    let mut partial = !found.missing.is_empty();
    for report in reports.iter().filter(|r| r.is_damaged()) {
        partial = true;
        eprintln!(
            "evtxscan: {}: partly unreadable ({} records read, {} failed){}",
            crate::util::sanitize::for_terminal(&report.path.to_string_lossy()),
            report.records_read,
            report.records_failed,
            report
                .fatal
                .as_deref()
                .map(|m| format!(": {}", crate::util::sanitize::for_terminal(m)))
                .unwrap_or_default()
        );
    }
    Ok(if partial { EXIT_PARTIAL } else { EXIT_CLEAN })
}

/// Write the events of `logs` to `w`, one JSON object per line, and return each file's coverage.
/// The first write error is returned (after the readers are done; they stop serializing at once).
pub fn dump(
    logs: &[LogFile],
    options: &ReadOptions,
    file_timeout: Duration,
    w: &mut (dyn Write + Send),
) -> std::io::Result<Vec<FileReport>> {
    let (lines_tx, lines_rx) = crossbeam_channel::bounded::<Vec<u8>>(64);
    let failed = Arc::new(AtomicBool::new(false));
    let sink: Arc<FileSink> = {
        let failed = Arc::clone(&failed);
        Arc::new(move |_file: usize, events: Vec<Event>| {
            if failed.load(Ordering::Relaxed) {
                return;
            }
            let mut buf = Vec::with_capacity(events.len() * 512);
            for ev in &events {
                // Serializing a JSON value into memory cannot fail.
                let _ = serde_json::to_writer(&mut buf, &crate::report::json::event_json(ev));
                buf.push(b'\n');
            }
            // The writer is gone only when the dump is over (or failed): nothing to keep.
            let _ = lines_tx.send(buf);
        })
    };
    let (done_tx, done_rx) = crossbeam_channel::bounded::<Vec<FileReport>>(1);
    let mut first_error: Option<std::io::Error> = None;
    let mut write = |buf: &[u8], first_error: &mut Option<std::io::Error>| {
        if first_error.is_none() {
            if let Err(e) = w.write_all(buf) {
                failed.store(true, Ordering::Relaxed);
                *first_error = Some(e);
            }
        }
    };
    let reports = std::thread::scope(|scope| {
        scope.spawn(|| {
            let read = read_files(
                logs,
                options,
                file_timeout,
                &Arc::new(Progress::default()),
                sink,
            );
            let _ = done_tx.send(read.reports);
        });
        loop {
            crossbeam_channel::select! {
                recv(lines_rx) -> buf => {
                    if let Ok(buf) = buf {
                        write(&buf, &mut first_error);
                    }
                }
                recv(done_rx) -> reports => {
                    // Every reader that came back has handed over its lines: write what is queued.
                    while let Ok(buf) = lines_rx.try_recv() {
                        write(&buf, &mut first_error);
                    }
                    break reports.unwrap_or_default();
                }
            }
        }
    });
    // A reader abandoned by the watchdog that wakes up later finds nobody listening.
    drop(lines_rx);
    if let Some(e) = first_error {
        return Err(e);
    }
    w.flush()?;
    Ok(reports)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evtxgen::EventSpec;

    /// A writer that accepts `room` bytes, then fails like a full disk.
    struct FullDisk {
        room: usize,
        written: Vec<u8>,
    }

    impl Write for FullDisk {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self.written.len() + buf.len() > self.room {
                return Err(std::io::Error::other("no space left on device"));
            }
            self.written.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn log_with(dir: &std::path::Path, n: usize) -> LogFile {
        let t: jiff::Timestamp = "2024-01-01T00:00:00Z".parse().unwrap();
        let events: Vec<EventSpec> = (0..n)
            .map(|i| {
                EventSpec::new("Test", "Application", 1000, "WKS01", t)
                    .data("Index", &i.to_string())
            })
            .collect();
        let path = dir.join("app.evtx");
        crate::evtxgen::write_file(&path, &events).unwrap();
        LogFile {
            size: std::fs::metadata(&path).unwrap().len(),
            path,
        }
    }

    #[test]
    fn a_write_error_fails_the_dump_and_no_file_is_left() {
        let dir = tempfile::tempdir().unwrap();
        let log = log_with(dir.path(), 200);
        let options = ReadOptions::default();
        let mut roomy = FullDisk {
            room: usize::MAX,
            written: Vec::new(),
        };
        let reports = dump(
            std::slice::from_ref(&log),
            &options,
            FILE_TIMEOUT,
            &mut roomy,
        )
        .unwrap();
        assert_eq!(reports[0].records_read, 200);
        assert_eq!(roomy.written.iter().filter(|b| **b == b'\n').count(), 200);

        let mut full = FullDisk {
            room: 1000,
            written: Vec::new(),
        };
        let err = dump(
            std::slice::from_ref(&log),
            &options,
            FILE_TIMEOUT,
            &mut full,
        )
        .unwrap_err();
        assert!(err.to_string().contains("no space left"), "{err}");

        // Through `-o`: the error reaches the atomic writer, which keeps no file.
        let target = dir.path().join("out.jsonl");
        let r = crate::report::atomic::write_file(&target, |w| {
            let mut limited = FullDisk {
                room: 1000,
                written: Vec::new(),
            };
            dump(&[log], &options, FILE_TIMEOUT, &mut limited)?;
            w.write_all(&limited.written)
        });
        assert!(r.is_err());
        assert!(!target.exists());
    }
}
