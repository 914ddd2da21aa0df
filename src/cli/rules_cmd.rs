//! `evtxscan rules check`: every rule's load verdict.

use super::args::RulesCheckArgs;
use super::{EXIT_CLEAN, EXIT_PARTIAL};
use crate::rules::{self, LoadOptions, RuleStatus};
use std::io::Write;

/// Load the rules and print each verdict; exit 3 when some rule was rejected.
pub fn check(args: RulesCheckArgs) -> anyhow::Result<i32> {
    let report = rules::load(
        &args.paths,
        &LoadOptions {
            placeholders: args.placeholders.clone(),
            ..Default::default()
        },
    );
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.needles {
        print_needles(&mut out, &report.rules)?;
    } else if args.format == "json" {
        serde_json::to_writer_pretty(&mut out, &report.verdicts)?;
        writeln!(out)?;
    } else {
        for v in &report.verdicts {
            if v.status == RuleStatus::Loaded {
                continue;
            }
            let status = if v.status == RuleStatus::Rejected {
                "rejected"
            } else {
                "warning"
            };
            writeln!(
                out,
                "{status}\t{}\t{}\t{}",
                crate::util::sanitize::for_terminal(&v.path.to_string_lossy()),
                crate::util::sanitize::for_terminal(&v.title),
                crate::util::sanitize::for_terminal(&v.reason)
            )?;
        }
        let count = |s: RuleStatus| report.verdicts.iter().filter(|v| v.status == s).count();
        writeln!(
            out,
            "{} loaded, {} loaded with warnings, {} rejected",
            count(RuleStatus::Loaded),
            count(RuleStatus::Warning),
            count(RuleStatus::Rejected)
        )?;
    }
    Ok(if report.rejected() > 0 {
        EXIT_PARTIAL
    } else {
        EXIT_CLEAN
    })
}

/// One line per loaded rule: its title and the literals that gate it, or `-` when it has none.
fn print_needles(
    out: &mut dyn Write,
    rules: &[std::sync::Arc<dyn rules::Rule>],
) -> std::io::Result<()> {
    let clean = crate::util::sanitize::for_terminal;
    for rule in rules {
        let needles = match rule.needles() {
            Some(n) if !n.is_empty() => n
                .iter()
                .map(|n| match &n.field {
                    Some(f) => format!("{f}:{}", n.needle),
                    None => n.needle.clone(),
                })
                .collect::<Vec<_>>()
                .join(" | "),
            _ => "-".to_string(),
        };
        writeln!(
            out,
            "{}\t{}\t{}",
            clean(&rule.info().path.to_string_lossy()),
            clean(&rule.info().title),
            clean(&needles)
        )?;
    }
    Ok(())
}
