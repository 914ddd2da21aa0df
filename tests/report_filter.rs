//! `--from/--to`, `--min-level`, `--rule`, `--exclude-rule`, `--status`, parsed from a command
//! line and applied to hand-made hits.

mod report_common;

use clap::Parser;
use evtxscan::cli::args::{Cli, Command};
use evtxscan::cli::filters::hit_filter;
use evtxscan::report::filter::HitFilter;
use evtxscan::report::timeline;
use evtxscan::rules::Level;
use report_common::*;

fn filter(flags: &[&str]) -> anyhow::Result<HitFilter> {
    let mut argv = vec!["evtxscan", "scan", "logs"];
    argv.extend_from_slice(flags);
    let cli = Cli::try_parse_from(argv).map_err(|e| anyhow::anyhow!("{e}"))?;
    match cli.command {
        Command::Scan(a) => hit_filter(&a),
        _ => unreachable!("scan command"),
    }
}

fn hits() -> Vec<evtxscan::hit::Hit> {
    let high = rule("id-high", "High Rule", Level::High, &[], &[]);
    let mut low_info = (*rule("id-low", "Low Rule", Level::Low, &[], &[])).clone();
    low_info.status = "experimental".into();
    let low = std::sync::Arc::new(low_info);
    let at = |rec: u64, time: &str| Ev::new("a.evtx", "Security", 4688, "WKS01", rec, time).event;
    vec![
        hit(&high, &at(1, "2024-01-01T23:59:59Z")),
        hit(&high, &at(2, "2024-01-02T00:00:00Z")),
        hit(&low, &at(3, "2024-01-02T12:00:00Z")),
        hit(&high, &at(4, "2024-01-02T23:59:59.9999999Z")),
        hit(&high, &at(5, "2024-01-03T00:00:00Z")),
    ]
}

fn kept(flags: &[&str]) -> Vec<u64> {
    let f = filter(flags).unwrap();
    timeline::prepare(hits(), &f)
        .iter()
        .map(|h| h.event.record_id)
        .collect()
}

#[test]
fn no_filter_keeps_everything() {
    assert_eq!(kept(&[]), [1, 2, 3, 4, 5]);
}

#[test]
fn a_date_range_covers_whole_days_in_utc() {
    assert_eq!(
        kept(&["--from", "2024-01-02", "--to", "2024-01-02"]),
        [2, 3, 4]
    );
    assert_eq!(kept(&["--from", "2024-01-02T12:00:00Z"]), [3, 4, 5]);
    assert_eq!(kept(&["--to", "2024-01-02T12:00:00Z"]), [1, 2]);
    assert_eq!(
        kept(&["--from", "2024-01-02T13:00:00+01:00", "--to", "2024-01-03"]),
        [3, 4, 5]
    );
}

#[test]
fn rule_filters() {
    assert_eq!(kept(&["--min-level", "high"]), [1, 2, 4, 5]);
    assert_eq!(kept(&["--min-level", "low"]), [1, 2, 3, 4, 5]);
    assert_eq!(kept(&["--rule", "low rule"]), [3]);
    assert_eq!(kept(&["--rule", "ID-HIGH"]), [1, 2, 4, 5]);
    assert_eq!(
        kept(&["--rule", "id-high", "--rule", "Low Rule"]),
        [1, 2, 3, 4, 5]
    );
    assert_eq!(kept(&["--exclude-rule", "High Rule"]), [3]);
    assert_eq!(kept(&["--status", "Experimental"]), [3]);
    assert_eq!(
        kept(&["--status", "stable", "--min-level", "critical"]),
        Vec::<u64>::new()
    );
}

#[test]
fn bad_filters_are_usage_errors() {
    assert!(filter(&["--min-level", "severe"]).is_err());
    assert!(filter(&["--from", "yesterday"]).is_err());
    assert!(filter(&["--from", "2024-01-03", "--to", "2024-01-02"]).is_err());
}

#[test]
fn aggregates_are_filtered_by_their_first_time() {
    let r = rule("agg", "Agg", Level::Medium, &[], &[]);
    let a = Ev::new("a.evtx", "Security", 4625, "DC1", 1, "2024-01-01T23:50:00Z").event;
    let b = Ev::new("a.evtx", "Security", 4625, "DC1", 2, "2024-01-02T00:10:00Z").event;
    let h = aggregate(&r, &[&b, &a], &[("TargetUserName", "admin")]);
    let f = filter(&["--from", "2024-01-02"]).unwrap();
    assert!(!f.keeps_hit(&h));
    let f = filter(&["--to", "2024-01-01"]).unwrap();
    assert!(f.keeps_hit(&h));
}
