//! `evtxscan dump`: the normalized events as JSON lines.

use super::args::DumpArgs;
use super::{EXIT_CLEAN, EXIT_PARTIAL};
use crate::discover::discover;
use crate::event::Event;
use crate::read::{read_log, FileControl, ReadOptions};
use std::io::Write;
use std::sync::Mutex;

/// Dump every record of the given logs as one JSON object per line.
pub fn run(args: DumpArgs) -> anyhow::Result<i32> {
    let found = discover(&args.paths);
    let options = ReadOptions {
        recover: args.recover,
        ..Default::default()
    };
    let mut partial = !found.missing.is_empty();
    let mut write_all = |w: &mut (dyn Write + Send)| -> std::io::Result<()> {
        let out = Mutex::new(w);
        let mut failed = Ok(());
        for log in &found.logs {
            let control = FileControl::default();
            let sink = |events: Vec<Event>| {
                let mut buf = Vec::with_capacity(events.len() * 512);
                for ev in &events {
                    let _ = serde_json::to_writer(&mut buf, &crate::report::json::event_json(ev));
                    buf.push(b'\n');
                }
                let mut w = out.lock().unwrap_or_else(|e| e.into_inner());
                let _ = w.write_all(&buf);
            };
            let report = read_log(log, &options, &control, &sink);
            if report.is_damaged() {
                partial = true;
                eprintln!(
                    "evtxscan: {}: partly unreadable ({} records read, {} failed)",
                    crate::util::sanitize::for_terminal(&log.path.to_string_lossy()),
                    report.records_read,
                    report.records_failed
                );
            }
        }
        if let Err(e) = out.lock().unwrap_or_else(|e| e.into_inner()).flush() {
            failed = Err(e);
        }
        failed
    };
    match &args.output {
        Some(path) => crate::report::atomic::write_file(path, &mut write_all)?,
        None => {
            let mut out = std::io::BufWriter::new(std::io::stdout());
            write_all(&mut out)?;
        }
    }
    Ok(if partial { EXIT_PARTIAL } else { EXIT_CLEAN })
}
