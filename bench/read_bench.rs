//! Measures the reading stage alone: `cargo run --release --example read_bench -- MODE PATH...`.
//!
//! MODE is `iter` (the evtx crate's record walk), `inst` (walk + template values), `xml`
//! (walk + XML rendering), `read` (evtxscan's reader: the fast path) or `readxml` (evtxscan's
//! reader through the XML path only).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use evtxscan::discover::discover;
use evtxscan::read::{read_log, FileControl, ReadOptions};
use rayon::prelude::*;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mode = args.first().cloned().unwrap_or_default();
    let paths: Vec<std::path::PathBuf> = args[1..].iter().map(Into::into).collect();
    let found = discover(&paths);
    let t0 = Instant::now();
    let count = AtomicU64::new(0);
    let failed = AtomicU64::new(0);
    found.logs.par_iter().for_each(|log| match mode.as_str() {
        "read" | "readxml" => {
            let control = FileControl::default();
            let sink = |evs: Vec<evtxscan::event::Event>| {
                count.fetch_add(evs.len() as u64, Ordering::Relaxed);
            };
            let options = ReadOptions {
                fast: mode == "read",
                ..Default::default()
            };
            let r = read_log(log, &options, &control, &sink);
            failed.fetch_add(r.records_failed, Ordering::Relaxed);
        }
        _ => {
            let data = std::fs::read(&log.path).unwrap();
            let settings = Arc::new(evtx::ParserSettings::new().num_threads(1));
            for chunk in data.get(4096..).unwrap_or(&[]).chunks_exact(65536) {
                let Ok(mut cd) = evtx::EvtxChunkData::new(chunk.to_vec(), false) else {
                    continue;
                };
                let Ok(mut c) = cd.parse(Arc::clone(&settings)) else {
                    continue;
                };
                for r in c.iter() {
                    let Ok(r) = r else {
                        failed.fetch_add(1, Ordering::Relaxed);
                        continue;
                    };
                    match mode.as_str() {
                        "inst" => {
                            std::hint::black_box(r.template_instances().ok());
                        }
                        "xml" => {
                            std::hint::black_box(r.into_xml().ok());
                        }
                        _ => {
                            std::hint::black_box(&r);
                        }
                    }
                    count.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    });
    let s = t0.elapsed().as_secs_f64();
    let n = count.load(Ordering::Relaxed);
    println!(
        "{mode}: {n} records, {} failed, {s:.3} s, {:.0} records/s",
        failed.load(Ordering::Relaxed),
        n as f64 / s
    );
}
