//! The progress bar on standard error (indicatif): bytes against the total discovered, files,
//! records, matches, read rate and ETA. The caller starts it only when standard error is a
//! terminal and `--quiet` is off; it draws from the scan's shared counters on its own thread.

use crate::scan::Progress;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The bar's layout: elapsed, bar, bytes of total, read rate, ETA, then [`message`].
pub const TEMPLATE: &str = "{spinner} {elapsed_precise} [{bar:30}] {bytes}/{total_bytes} \
                            {binary_bytes_per_sec} ETA {eta}  {wide_msg}";

/// A running progress display; call [`ProgressDisplay::finish`] when the scan ends.
pub struct ProgressDisplay {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// A count for people: `950`, `12.3k`, `4.56M`.
pub fn human_count(n: u64) -> String {
    match n {
        0..=9_999 => n.to_string(),
        10_000..=999_999 => format!("{:.1}k", n as f64 / 1e3),
        _ => format!("{:.2}M", n as f64 / 1e6),
    }
}

/// The bar's message: files, records, matches and record rate.
pub fn message(p: &Progress, seconds: f64) -> String {
    let files = p.files_done.load(Ordering::Relaxed);
    let total_files = p.total_files.load(Ordering::Relaxed);
    let records = p.records.load(Ordering::Relaxed);
    let matches = p.matches.load(Ordering::Relaxed);
    let rate = if seconds > 0.5 {
        format!(", {}/s", human_count((records as f64 / seconds) as u64))
    } else {
        String::new()
    };
    format!(
        "files {files}/{total_files}, records {}{rate}, matches {}",
        human_count(records),
        human_count(matches)
    )
}

impl ProgressDisplay {
    /// Start drawing progress from the counters on standard error.
    pub fn start(progress: Arc<Progress>) -> ProgressDisplay {
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(TEMPLATE)
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            let started = std::time::Instant::now();
            while !stop2.load(Ordering::Relaxed) {
                bar.set_length(progress.total_bytes.load(Ordering::Relaxed));
                bar.set_position(progress.bytes_done.load(Ordering::Relaxed));
                bar.set_message(message(&progress, started.elapsed().as_secs_f64()));
                std::thread::sleep(Duration::from_millis(150));
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

impl Drop for ProgressDisplay {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn template_is_valid() {
        assert!(indicatif::ProgressStyle::with_template(TEMPLATE).is_ok());
    }

    #[test]
    fn message_shows_counts() {
        let p = Progress::default();
        p.total_files.store(10, Ordering::Relaxed);
        p.files_done.store(3, Ordering::Relaxed);
        p.records.store(12_345, Ordering::Relaxed);
        p.matches.store(7, Ordering::Relaxed);
        assert_eq!(message(&p, 0.1), "files 3/10, records 12.3k, matches 7");
        assert_eq!(
            message(&p, 2.0),
            "files 3/10, records 12.3k, 6172/s, matches 7"
        );
        assert_eq!(human_count(4_560_000), "4.56M");
    }
}
