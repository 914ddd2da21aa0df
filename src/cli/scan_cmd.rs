//! `evtxscan scan`: load rules, scan, write the timeline, reports and summary.

use super::args::ScanArgs;
use super::{EXIT_CLEAN, EXIT_ERROR, EXIT_HITS, EXIT_PARTIAL};
use crate::report::Format;
use crate::report::{self, ReportContext};
use crate::rules::{self, LoadOptions};
use crate::scan::{scan_discovered, Progress, ScanOptions};
use anyhow::Context;
use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

/// Run a scan; returns the exit code.
pub fn run(args: ScanArgs) -> anyhow::Result<i32> {
    let filter = super::filters::hit_filter(&args)?;
    let load_opts = LoadOptions {
        placeholders: args.placeholders.clone(),
        ..Default::default()
    };
    // The logs are found while the rules load: walking a collection of thousands of files is
    // mostly waiting on the file system.
    let started = std::time::Instant::now();
    let (loaded, discovery) = std::thread::scope(|s| {
        let walk = s.spawn(|| crate::discover::discover(&args.paths));
        let loaded = rules::load(&args.rules, &load_opts);
        let discovery = walk
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (loaded, discovery)
    });
    for v in loaded
        .verdicts
        .iter()
        .filter(|v| v.status == rules::RuleStatus::Rejected)
    {
        if !args.quiet {
            eprintln!(
                "evtxscan: rule not loaded: {}{}: {}",
                crate::util::sanitize::for_terminal(&v.path.to_string_lossy()),
                if v.title.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", crate::util::sanitize::for_terminal(&v.title))
                },
                crate::util::sanitize::for_terminal(&v.reason)
            );
        }
    }
    let rules_rejected = loaded.rejected();
    let rules: Vec<_> = loaded
        .rules
        .into_iter()
        .filter(|r| filter.keeps_rule(r.info()))
        .collect();
    if rules.is_empty() {
        eprintln!("evtxscan: error: no rules to run (none loaded, or all filtered out)");
        return Ok(EXIT_ERROR);
    }
    let options = ScanOptions {
        read: crate::read::ReadOptions {
            recover: args.recover,
            ..Default::default()
        },
        file_timeout: Duration::from_secs(args.file_timeout.max(1)),
        indexed: !args.no_index,
        timing: args.stats,
        // The time window applies to events, before detection: an aggregation or correlation
        // counts only the events inside it.
        window: crate::scan::TimeWindow {
            from: filter.from,
            to: filter.to,
        },
    };
    let progress = Arc::new(Progress::default());
    let show_progress = !args.quiet && std::io::stderr().is_terminal();
    let bar =
        show_progress.then(|| report::progress::ProgressDisplay::start(Arc::clone(&progress)));
    let mut result = scan_discovered(discovery, started, rules.clone(), &options, progress);
    if let Some(bar) = bar {
        bar.finish();
    }
    // The hits come in the timeline order, folded across copies; a stream when they are many.
    result.hits.set_filter(filter);
    let hits = &result.hits;
    let ctx = ReportContext {
        rules: &rules,
        result: &result,
        hits,
        rules_rejected,
        verdicts: &loaded.verdicts,
    };

    match args.format {
        Format::Table if args.output.is_none() => {
            let color = std::io::stdout().is_terminal();
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            report::table::write(&mut out, hits, color)?;
        }
        format => {
            // A table written to a file has no colours.
            let write = |w: &mut dyn std::io::Write| {
                report::timeline::write(w, format, hits, args.timesketch)
            };
            match &args.output {
                Some(path) => report::atomic::write_file(path, |w| write(w))
                    .with_context(|| format!("writing {}", path.display()))?,
                None => {
                    let stdout = std::io::stdout();
                    let mut out = stdout.lock();
                    write(&mut out)?;
                }
            }
        }
    }
    if let Some(path) = &args.navigator {
        report::atomic::write_file(path, |w| report::navigator::write(w, hits))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if !args.report.is_empty() {
        // One more pass over the logs for lineage, DNS and script context, shared by all forms.
        if show_progress {
            eprintln!("evtxscan: reading the logs again for the incident report's context…");
        }
        let context = report::incident::gather(&ctx);
        for path in &args.report {
            report::incident::write_with(path, &ctx, &context)
                .with_context(|| format!("writing {}", path.display()))?;
        }
    }
    if let Some(path) = &args.coverage {
        report::atomic::write_file(path, |w| report::summary::write_coverage_json(w, &result))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if !args.quiet {
        let stderr = std::io::stderr();
        let mut err = stderr.lock();
        report::summary::write(&mut err, &ctx, std::io::stderr().is_terminal())?;
        if args.stats {
            report::summary::write_stats(&mut err, &ctx)?;
        }
    }
    // Hits or matches spilled to a temporary file that could not be read back are missing
    // from the outputs.
    let lost = result.hits.lost_hits() || result.lost_match_runs > 0;
    if result.hits.lost_hits() {
        eprintln!(
            "evtxscan: error: some hits spilled to a temporary file could not be read back; the outputs are incomplete"
        );
    }
    if result.lost_match_runs > 0 {
        eprintln!(
            "evtxscan: error: {} run(s) of rule matches spilled to a temporary file could not be read back; the outputs are incomplete",
            result.lost_match_runs
        );
    }
    Ok(if result.is_partial() || rules_rejected > 0 || lost {
        EXIT_PARTIAL
    } else if hits.is_empty() {
        EXIT_CLEAN
    } else {
        EXIT_HITS
    })
}
