//! The pipeline, end to end: discover → read → normalize → dispatch → detect → collect.
//!
//! Files are read in parallel on the rayon pool (and the chunks of a file in parallel within it).
//! Each chunk's events go through dispatch to the rules that can match them; matches are
//! gathered per rule (one per record: copies of a log are folded, see [`crate::collect`]), and
//! when every file is done each rule's `finish` turns its matches into hits, folded across copies
//! as they are produced. A watchdog thread watches every file being read: a file that makes no progress for
//! `file_timeout` is cancelled, and if its thread does not come back the scan finishes without
//! it, reporting the file as timed out. A panic while reading one file (a parser bug on hostile
//! bytes) is caught and reported for that file; the others are still scanned.

use crate::discover::{discover, Discovery, LogFile};
use crate::dispatch::Dispatcher;
use crate::event::Event;
use crate::read::{read_log, FileControl, FileReport, ReadOptions};
use crate::rules::{EventMatch, Rule};
use jiff::Timestamp;
use rayon::prelude::*;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How to scan.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Reader options.
    pub read: ReadOptions,
    /// A file that makes no progress for this long is stopped and reported.
    pub file_timeout: Duration,
    /// Use the dispatch index and pre-filters (off only to test that they change nothing).
    pub indexed: bool,
    /// Measure time per file and per rule (`--stats`).
    pub timing: bool,
    /// Only events in this time window are offered to the rules (`--from/--to`), so that
    /// aggregations and correlations count only what is inside it.
    pub window: TimeWindow,
}

/// A time window `[from, to)` over event times (`TimeCreated`, UTC); an open end is unbounded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeWindow {
    /// Events at or after this time.
    pub from: Option<Timestamp>,
    /// Events strictly before this time.
    pub to: Option<Timestamp>,
}

impl TimeWindow {
    /// Whether `t` is inside the window.
    pub fn contains(&self, t: Timestamp) -> bool {
        self.from.is_none_or(|f| t >= f) && self.to.is_none_or(|to| t < to)
    }

    /// Whether the window is unbounded (lets everything through).
    pub fn is_open(&self) -> bool {
        self.from.is_none() && self.to.is_none()
    }
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            read: ReadOptions::default(),
            file_timeout: Duration::from_secs(120),
            indexed: true,
            timing: false,
            window: TimeWindow::default(),
        }
    }
}

/// Live counters for a progress display.
#[derive(Debug, Default)]
pub struct Progress {
    /// Files finished.
    pub files_done: AtomicU64,
    /// Bytes of finished files.
    pub bytes_done: AtomicU64,
    /// Records read.
    pub records: AtomicU64,
    /// Events that matched a rule.
    pub matches: AtomicU64,
    /// Bytes of every log discovered (set once discovery is done).
    pub total_bytes: AtomicU64,
    /// Logs discovered (set once discovery is done).
    pub total_files: AtomicU64,
}

/// Time spent per rule (`--stats`).
#[derive(Debug, Clone)]
pub struct RuleTiming {
    /// The rule's index in the rule list.
    pub rule: usize,
    /// Events checked.
    pub checked: u64,
    /// Time spent checking, in nanoseconds.
    pub nanos: u64,
}

/// Everything a scan found.
pub struct ScanResult {
    /// What discovery found and skipped.
    pub discovery: Discovery,
    /// Coverage per file, in discovery order.
    pub files: Vec<FileReport>,
    /// Every distinct hit (copies of a log folded into `also_in`), in the timeline order;
    /// spilled to disk past a memory budget and read back as a stream.
    pub hits: crate::collect::SortedHits,
    /// Time per file in milliseconds (with `timing`).
    pub file_millis: Vec<u64>,
    /// Time per rule (with `timing`).
    pub rule_timings: Vec<RuleTiming>,
    /// Wall time of the scan.
    pub elapsed: Duration,
    /// Runs of matches spilled to a temporary file that could not be read back (the matches
    /// after the failure are missing from the hits).
    pub lost_match_runs: usize,
}

impl ScanResult {
    /// Total records read.
    pub fn records(&self) -> u64 {
        self.files.iter().map(|f| f.records_read).sum()
    }

    /// Whether some input could not be read (a partial scan).
    pub fn is_partial(&self) -> bool {
        !self.discovery.missing.is_empty()
            || self.discovery.skipped.iter().any(|s| s.unreadable)
            || self.files.iter().any(FileReport::is_damaged)
    }
}

/// A file's coverage and the milliseconds it took.
type TimedReport = (FileReport, u64);

struct Shared {
    window: TimeWindow,
    matches: crate::collect::MatchStore,
    timing: Option<Vec<(AtomicU64, AtomicU64)>>,
}

/// Discover and scan `paths` with `rules`.
pub fn scan(
    paths: &[PathBuf],
    rules: Vec<Arc<dyn Rule>>,
    options: &ScanOptions,
    progress: Arc<Progress>,
) -> ScanResult {
    let started = Instant::now();
    scan_discovered(discover(paths), started, rules, options, progress)
}

/// Scan what discovery found (the command line discovers while the rules load); `started` is
/// when the work began, for the elapsed time.
pub fn scan_discovered(
    discovery: Discovery,
    started: Instant,
    rules: Vec<Arc<dyn Rule>>,
    options: &ScanOptions,
    progress: Arc<Progress>,
) -> ScanResult {
    progress
        .total_bytes
        .store(discovery.total_bytes(), Ordering::Relaxed);
    progress
        .total_files
        .store(discovery.logs.len() as u64, Ordering::Relaxed);
    let dispatcher = Arc::new(Dispatcher::new(rules, options.indexed));
    let n_rules = dispatcher.rules().len();
    let shared = Arc::new(Shared {
        window: options.window,
        matches: crate::collect::MatchStore::new(n_rules, crate::collect::DEFAULT_BUDGET)
            .with_state_only(dispatcher.rules().iter().map(|r| r.aggregates()).collect()),
        timing: options.timing.then(|| {
            (0..n_rules)
                .map(|_| (AtomicU64::new(0), AtomicU64::new(0)))
                .collect()
        }),
    });
    let mut read_opts = options.read.clone();
    // Records no rule can see are counted by the reader but never normalized.
    let wants = Arc::clone(&dispatcher);
    read_opts.filter = Some(Arc::new(move |c: &str, id: u32| wants.wants(c, id)));
    let sink: Arc<FileSink> = {
        let (dispatcher, shared, progress) = (
            Arc::clone(&dispatcher),
            Arc::clone(&shared),
            Arc::clone(&progress),
        );
        Arc::new(move |_file: usize, events: Vec<Event>| {
            detect_batch(&events, &dispatcher, &shared, &progress);
        })
    };
    let read = read_files(
        &discovery.logs,
        &read_opts,
        options.file_timeout,
        &progress,
        sink,
    );
    let files = read.reports;
    let file_millis = if options.timing {
        read.millis
    } else {
        vec![0; files.len()]
    };
    end_scan(&dispatcher);
    let hits = Mutex::new(crate::collect::hits::HitSet::new());
    let lost_match_runs = finish_rules(
        &shared.matches,
        dispatcher.rules(),
        &|hit| hits.lock().unwrap_or_else(|e| e.into_inner()).insert(hit),
        &|| hits.lock().unwrap_or_else(|e| e.into_inner()).make_room(),
    );
    let hits = hits
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .finish();
    let rule_timings = shared
        .timing
        .as_ref()
        .map(|t| {
            t.iter()
                .enumerate()
                .map(|(rule, (c, n))| RuleTiming {
                    rule,
                    checked: c.load(Ordering::Relaxed),
                    nanos: n.load(Ordering::Relaxed),
                })
                .collect()
        })
        .unwrap_or_default();
    ScanResult {
        discovery,
        files,
        hits,
        file_millis,
        rule_timings,
        elapsed: started.elapsed(),
        lost_match_runs,
    }
}

/// The receiver of [`read_files`]: the index of the file in the list and one chunk's events.
/// It is called from several threads, and may still be called by the reader of a file that was
/// abandoned after [`read_files`] returned, so it owns (or shares) what it uses.
pub type FileSink = dyn Fn(usize, Vec<Event>) + Send + Sync;

/// What [`read_files`] read: per file, in the order given.
#[derive(Debug, Clone)]
pub struct FilesRead {
    /// Coverage of each file.
    pub reports: Vec<FileReport>,
    /// Milliseconds each file took.
    pub millis: Vec<u64>,
}

/// Read `logs` in parallel, passing every chunk's events to `sink`, each file isolated from the
/// others: a panic while reading one (a parser bug on hostile bytes, or in the sink) is caught
/// and reported in that file's [`FileReport::fatal`]; a file that makes no progress for
/// `file_timeout` is cancelled, and if its reader does not come back this returns without it,
/// reporting it as timed out. `progress` counts files, bytes and records as they are read.
pub fn read_files(
    logs: &[LogFile],
    options: &ReadOptions,
    file_timeout: Duration,
    progress: &Arc<Progress>,
    sink: Arc<FileSink>,
) -> FilesRead {
    let logs: Arc<Vec<LogFile>> = Arc::new(logs.to_vec());
    let controls: Arc<Vec<Arc<FileControl>>> = Arc::new(
        logs.iter()
            .map(|_| Arc::new(FileControl::default()))
            .collect(),
    );
    let reports: Arc<Mutex<Vec<Option<TimedReport>>>> =
        Arc::new(Mutex::new(vec![None; logs.len()]));
    let active: Arc<Mutex<Vec<bool>>> = Arc::new(Mutex::new(vec![false; logs.len()]));
    let file_started: Arc<Vec<AtomicBool>> =
        Arc::new(logs.iter().map(|_| AtomicBool::new(false)).collect());

    let (done_tx, done_rx) = crossbeam_channel::bounded::<()>(1);
    {
        let (logs, controls, reports, active, started, progress) = (
            Arc::clone(&logs),
            Arc::clone(&controls),
            Arc::clone(&reports),
            Arc::clone(&active),
            Arc::clone(&file_started),
            Arc::clone(progress),
        );
        let options = options.clone();
        let stall = TestStall::from_env();
        // A detached thread, so that a reader that never comes back cannot hold up the caller.
        std::thread::spawn(move || {
            logs.par_iter().enumerate().for_each(|(i, log)| {
                started[i].store(true, Ordering::Relaxed);
                active.lock().unwrap_or_else(|e| e.into_inner())[i] = true;
                let t0 = Instant::now();
                // Bytes are counted a chunk at a time, and the rest when the file is done.
                let counted = AtomicU64::new(0);
                let file_sink = |events: Vec<Event>| {
                    if let Some(stall) = &stall {
                        stall.apply(&log.path, &controls[i]);
                    }
                    progress
                        .records
                        .fetch_add(events.len() as u64, Ordering::Relaxed);
                    sink(i, events);
                    let chunk = crate::read::CHUNK_SIZE;
                    if counted.fetch_add(chunk, Ordering::Relaxed) + chunk <= log.size {
                        progress.bytes_done.fetch_add(chunk, Ordering::Relaxed);
                    } else {
                        counted.fetch_sub(chunk, Ordering::Relaxed);
                    }
                };
                // A panic while reading one file (a parser bug on hostile input) costs that file
                // only: it is reported as unreadable and the others go on.
                let report = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    read_log(log, &options, &controls[i], &file_sink)
                }))
                .unwrap_or_else(|panic| {
                    let mut r = FileReport::new(&log.path, log.size);
                    r.fatal = Some(format!(
                        "internal error while reading this file ({}); it was skipped",
                        panic_message(panic.as_ref())
                    ));
                    r
                });
                let counted = counted.load(Ordering::Relaxed);
                let ms = t0.elapsed().as_millis() as u64;
                progress.files_done.fetch_add(1, Ordering::Relaxed);
                progress
                    .bytes_done
                    .fetch_add(log.size.saturating_sub(counted), Ordering::Relaxed);
                reports.lock().unwrap_or_else(|e| e.into_inner())[i] = Some((report, ms));
                active.lock().unwrap_or_else(|e| e.into_inner())[i] = false;
            });
            let _ = done_tx.send(());
        });
    }
    watch(&done_rx, &controls, &active, file_timeout);

    let mut files = Vec::with_capacity(logs.len());
    let mut millis = Vec::with_capacity(logs.len());
    let mut reports = reports.lock().unwrap_or_else(|e| e.into_inner());
    for (i, slot) in reports.iter_mut().enumerate() {
        match slot.take() {
            Some((r, ms)) => {
                files.push(r);
                millis.push(ms);
            }
            None => {
                let log = &logs[i];
                let mut r = FileReport::new(&log.path, log.size);
                r.timed_out = true;
                r.fatal = Some(if file_started[i].load(Ordering::Relaxed) {
                    "the reader stopped responding on this file; it was abandoned".into()
                } else {
                    "not read: every reader thread was stuck on another file".into()
                });
                files.push(r);
                millis.push(0);
            }
        }
    }
    FilesRead {
        reports: files,
        millis,
    }
}

/// Run the rules on one chunk's events (those in the time window) and keep the matches.
fn detect_batch(events: &[Event], dispatcher: &Dispatcher, shared: &Shared, progress: &Progress) {
    let mut found: Vec<(usize, EventMatch)> = Vec::new();
    let rules = dispatcher.rules();
    let open = shared.window.is_open();
    for event in events {
        if !open && !shared.window.contains(event.time) {
            continue;
        }
        dispatcher.for_each_candidate(event, |i| {
            let result = match &shared.timing {
                Some(t) => {
                    let t0 = Instant::now();
                    let r = rules[i].check(event);
                    t[i].0.fetch_add(1, Ordering::Relaxed);
                    t[i].1
                        .fetch_add(t0.elapsed().as_nanos() as u64, Ordering::Relaxed);
                    r
                }
                None => rules[i].check(event),
            };
            if let Some(m) = result {
                found.push((i, m));
            }
        });
    }
    if found.is_empty() {
        return;
    }
    progress
        .matches
        .fetch_add(found.len() as u64, Ordering::Relaxed);
    shared.matches.add(found);
}

/// Wait for the readers, cancelling files that stop making progress. Returns when every file
/// is done, or when the only files left are ones that were cancelled and did not come back.
fn watch(
    done: &crossbeam_channel::Receiver<()>,
    controls: &[Arc<FileControl>],
    active: &Mutex<Vec<bool>>,
    timeout: Duration,
) {
    let tick = Duration::from_millis(200).min(timeout);
    let mut last: Vec<(u64, Instant)> = controls
        .iter()
        .map(|c| (c.progress.load(Ordering::Relaxed), Instant::now()))
        .collect();
    loop {
        match done.recv_timeout(tick) {
            Ok(()) | Err(crossbeam_channel::RecvTimeoutError::Disconnected) => return,
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => {}
        }
        let now = Instant::now();
        let active = active.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let mut any_active = false;
        let mut all_hung = true;
        for (i, is_active) in active.iter().enumerate() {
            let p = controls[i].progress.load(Ordering::Relaxed);
            if p != last[i].0 || !is_active {
                last[i] = (p, now);
            }
            if !is_active {
                continue;
            }
            any_active = true;
            let idle = now.duration_since(last[i].1);
            if idle >= timeout {
                controls[i].cancel.store(true, Ordering::Relaxed);
            }
            // A cancelled file that still has not returned after twice the limit is hung.
            if idle < timeout * 2 {
                all_hung = false;
            }
        }
        let stuck_only = all_hung;
        if any_active && stuck_only {
            return;
        }
    }
}

/// The text of a caught panic.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        format!("panic: {s}")
    } else if let Some(s) = panic.downcast_ref::<String>() {
        format!("panic: {s}")
    } else {
        "panic".to_string()
    }
}

/// A test hook that makes the reader of chosen files stop responding or panic, so that tests can
/// prove the watchdog and the per-file isolation work (`tests/watchdog.rs`,
/// `tests/isolation.rs`). Set by the hidden environment variable `EVTXSCAN_TEST_STALL`:
/// `wait:TEXT` makes every file whose name contains TEXT stall in its chunk sink until the
/// watchdog cancels it; `hang:TEXT` makes it never return at all; `panic:TEXT` makes it panic.
/// Several entries are separated by commas. Unset in normal use: nothing is checked per chunk
/// then.
struct TestStall {
    entries: Vec<(StallMode, String)>,
}

/// What [`TestStall`] does to a chosen file.
#[derive(Clone, Copy, PartialEq, Eq)]
enum StallMode {
    Wait,
    Hang,
    Panic,
}

impl TestStall {
    fn from_env() -> Option<TestStall> {
        let value = std::env::var("EVTXSCAN_TEST_STALL").ok()?;
        let entries: Vec<(StallMode, String)> = value
            .split(',')
            .filter_map(|e| {
                let (mode, text) = e.split_once(':')?;
                let mode = match mode {
                    "hang" => StallMode::Hang,
                    "wait" => StallMode::Wait,
                    "panic" => StallMode::Panic,
                    _ => return None,
                };
                (!text.is_empty()).then(|| (mode, text.to_string()))
            })
            .collect();
        (!entries.is_empty()).then_some(TestStall { entries })
    }

    /// Stall or panic if the file's name asks for it.
    fn apply(&self, path: &std::path::Path, control: &FileControl) {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        for (mode, text) in &self.entries {
            if !name.contains(text.as_str()) {
                continue;
            }
            if *mode == StallMode::Panic {
                panic!("test hook: reader of {name} panics");
            }
            loop {
                if *mode == StallMode::Wait && control.cancel.load(Ordering::Relaxed) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}

/// Free what reading and checking kept (per-thread memos and caches, the rules' check-time
/// memos) before `finish` needs memory. The threads free theirs when they are next idle: a
/// reader that never came back cannot hold the scan up.
fn end_scan(dispatcher: &Dispatcher) {
    // The rules' memos first: they were allocated on the reader threads, and what is freed
    // here must be back with them before they hand their freed pages back.
    dispatcher.rules().iter().for_each(|r| r.end_scan());
    rayon::spawn_broadcast(|_| {
        crate::read::release_thread_caches();
        crate::dispatch::prefilter::release_thread_memo();
        // The threads idle through `finish`: their freed pages would stay theirs.
        crate::util::memory::release_freed_memory();
    });
}

/// Rules with more matches than this are finished one at a time, on the draining thread, so
/// that two large ones are never in memory together.
const LARGE_FINISH: usize = 20_000;

/// Turn every rule's matches into hits: the store is drained rule by rule (one reader merging
/// the spilled runs) while worker threads, one per core, run the rules' `finish` (stats, joins,
/// the commands after them), handing each hit to `on_hit`. The hand-over has no buffer, so
/// only the rules being finished and the one being merged are in memory; a rule with very
/// many matches is finished by the draining thread itself, after `make_room` (the hits
/// buffered so far go to disk). Returns the number of spilled runs that could not be read
/// back.
fn finish_rules(
    store: &crate::collect::MatchStore,
    rules: &[Arc<dyn Rule>],
    on_hit: &(dyn Fn(crate::hit::Hit) + Sync),
    make_room: &(dyn Fn() + Sync),
) -> usize {
    use crate::collect::hits::Copies;
    use crate::rules::{CollectSink, MatchSink};
    let finish = |sink: Box<dyn MatchSink + '_>, copies: Copies| {
        sink.finish(&mut |mut hit| {
            copies.attach(&mut hit);
            on_hit(hit);
        });
    };
    let workers = rayon::current_num_threads().max(1);
    let (tx, rx) = crossbeam_channel::bounded::<(Box<dyn MatchSink + '_>, Copies)>(0);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let rx = rx.clone();
            scope.spawn(move || {
                for (sink, copies) in rx {
                    finish(sink, copies);
                }
            });
        }
        drop(rx);
        let lost = store.drain_each(|i, matches| {
            let Some(rule) = rules.get(i) else { return };
            if rule.hit_per_match() {
                // Each match is a hit of its own: none is held.
                for f in matches.by_ref() {
                    let mut hit = crate::hit::Hit::from_match(rule.info(), f.m);
                    Copies::of_one(&hit.event, f.also_in).attach(&mut hit);
                    on_hit(hit);
                }
                return;
            }
            // A rule's own sink may drop or fold matches as they stream past.
            let mut sink = rule
                .sink()
                .unwrap_or_else(|| Box::new(CollectSink::new(rule.as_ref())));
            let mut copies = Copies::default();
            let mut count = 0;
            for f in matches.by_ref() {
                copies.note(&f.m.event, f.also_in);
                sink.push(f.m);
                count += 1;
                if count == LARGE_FINISH + 1 {
                    // A large rule: the buffered hits go to disk and freed memory back to the
                    // system before its groups grow.
                    make_room();
                    crate::util::memory::release_freed_memory();
                }
                if !sink.wants_more() {
                    // The rest cannot change the hits: passed over unread (drain_each).
                    break;
                }
            }
            if count == 0 && !rule.aggregates() {
                return;
            }
            if count > LARGE_FINISH {
                // Pushing its matches freed what decoding them took: handed back first.
                crate::util::memory::release_freed_memory();
                finish(sink, copies);
            } else {
                // The workers only stop when this sender is dropped, so the send succeeds.
                let _ = tx.send((sink, copies));
            }
        });
        drop(tx);
        lost
    })
}
