//! Command-line glue: parse arguments (clap), run a command, map the outcome to an exit code.
//! Every flag is defined once, with its help, in [`args`].

pub mod args;
mod dump_cmd;
pub mod filters;
mod rules_cmd;
mod scan_cmd;

use clap::Parser;

/// Exit code: complete scan, nothing found.
pub const EXIT_CLEAN: i32 = 0;
/// Exit code: complete scan, at least one hit.
pub const EXIT_HITS: i32 = 1;
/// Exit code: usage error, no usable rules, or an output that could not be written.
pub const EXIT_ERROR: i32 = 2;
/// Exit code: partial scan: some input (an event log, a chunk, a record, a rule) could not be
/// read; everything readable was scanned and reported.
pub const EXIT_PARTIAL: i32 = 3;

/// Parse the command line, run, and return the exit code.
pub fn main() -> i32 {
    let cli = match args::Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                EXIT_ERROR
            } else {
                EXIT_CLEAN
            };
        }
    };
    if let Some(n) = cli.threads {
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global();
    }
    // Evidence is read-only: refuse outputs inside the scanned paths before any work.
    let outputs: Vec<&std::path::PathBuf> = match &cli.command {
        args::Command::Scan(a) => {
            crate::evidence::protect(&a.paths);
            a.output
                .iter()
                .chain(&a.report)
                .chain(&a.navigator)
                .chain(&a.coverage)
                .collect()
        }
        args::Command::Dump(a) => {
            crate::evidence::protect(&a.paths);
            a.output.iter().collect()
        }
        _ => Vec::new(),
    };
    for out in outputs {
        if let Err(e) = crate::evidence::check_output(out) {
            eprintln!(
                "evtxscan: error: {}",
                crate::util::sanitize::for_terminal(&e.to_string())
            );
            return EXIT_ERROR;
        }
    }
    let result = match cli.command {
        args::Command::Scan(a) => scan_cmd::run(*a),
        args::Command::Dump(a) => dump_cmd::run(a),
        args::Command::Rules(args::RulesCommand::Check(a)) => rules_cmd::check(a),
        args::Command::Samples(a) => crate::evtxgen::samples::run_cli(&a.out),
        args::Command::Gen(a) => gen(&a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!(
                "evtxscan: error: {}",
                crate::util::sanitize::for_terminal(&format!("{e:#}"))
            );
            EXIT_ERROR
        }
    }
}

/// `evtxscan gen`: write a synthetic log of about the requested size.
fn gen(a: &args::GenArgs) -> anyhow::Result<i32> {
    let size = a.size.trim();
    let (digits, unit) = size.split_at(
        size.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(size.len()),
    );
    let n: u64 = digits
        .parse()
        .map_err(|_| anyhow::anyhow!("--size `{size}`: use bytes or a K, M or G suffix"))?;
    let mult = match unit.to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "K" | "KB" | "KIB" => 1 << 10,
        "M" | "MB" | "MIB" => 1 << 20,
        "G" | "GB" | "GIB" => 1 << 30,
        _ => anyhow::bail!("--size `{size}`: use bytes or a K, M or G suffix"),
    };
    let summary = crate::evtxgen::corpus::generate(&a.output, n.saturating_mul(mult), a.seed)?;
    eprintln!("{}: {:?}", a.output.display(), summary);
    Ok(EXIT_CLEAN)
}
