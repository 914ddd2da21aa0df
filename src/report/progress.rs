//! The progress bar on standard error (indicatif): files, bytes, records, hits, rate and ETA.

use crate::scan::Progress;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A running progress display; call [`ProgressDisplay::finish`] when the scan ends.
pub struct ProgressDisplay {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ProgressDisplay {
    /// Start drawing progress from the counters.
    pub fn start(progress: Arc<Progress>) -> ProgressDisplay {
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.set_style(
                indicatif::ProgressStyle::with_template("{spinner} {elapsed_precise} {msg}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            while !stop2.load(Ordering::Relaxed) {
                let files = progress.files_done.load(Ordering::Relaxed);
                let bytes = progress.bytes_done.load(Ordering::Relaxed);
                let records = progress.records.load(Ordering::Relaxed);
                let matches = progress.matches.load(Ordering::Relaxed);
                bar.set_message(format!(
                    "{files} files, {:.1} MB, {records} records, {matches} matches",
                    bytes as f64 / 1e6
                ));
                bar.tick();
                std::thread::sleep(std::time::Duration::from_millis(120));
            }
            bar.finish_and_clear();
        });
        ProgressDisplay {
            stop,
            thread: Some(thread),
        }
    }

    /// Stop and clear the display.
    pub fn finish(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
