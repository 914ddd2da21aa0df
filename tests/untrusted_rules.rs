//! Rule files are untrusted input. YAML alias bombs, 100,000-deep conditions and YAML, regexes
//! that compile to enormous programs, SPL macros that expand to themselves or exponentially, and
//! a 100 MB rule file must each end in a clear rejection of that rule (status Rejected, a reason
//! that names the problem) within bounded time and memory, and the good rules of the same load
//! must still load (status Loaded).

#[path = "damaged_support/fixtures.rs"]
mod fixtures;
#[path = "damaged_support/hostile_rules.rs"]
mod hostile_rules;
#[path = "damaged_support/sources.rs"]
mod sources;

use evtxscan::event::{Event, Field, Source};
use evtxscan::rules::loader::{load_files, LoadOptions, LoadReport, RuleFile};
use evtxscan::rules::{bundled, RuleStatus};
use fixtures::bounded;
use hostile_rules::Hostile;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// A load that has not finished by then is a hang (a bound, not a timing assertion).
const LOAD_LIMIT: Duration = Duration::from_secs(300);

fn load_bounded(files: Vec<RuleFile>, what: &str) -> LoadReport {
    bounded(LOAD_LIMIT, what, move || {
        load_files(files, &LoadOptions::default(), Vec::new())
    })
}

/// The hostile rule is rejected with a reason naming the problem, it gave no compiled rule, and
/// the good bundled rules of its language still load.
fn check_rejected(report: &LoadReport, case: &Hostile) {
    let hostile = &case.files[0].path;
    let verdicts: Vec<_> = report
        .verdicts
        .iter()
        .filter(|v| &v.path == hostile)
        .collect();
    assert!(
        !verdicts.is_empty(),
        "{}: no verdict for {}",
        case.name,
        hostile.display()
    );
    for v in &verdicts {
        assert_eq!(v.status, RuleStatus::Rejected, "{}: {v:?}", case.name);
        assert!(
            !v.reason.trim().is_empty(),
            "{}: rejected without a reason",
            case.name
        );
    }
    assert!(
        report.rules.iter().all(|r| &r.info().path != hostile),
        "{}: a hostile rule was compiled",
        case.name
    );
    for v in &verdicts {
        let reason = v.reason.to_lowercase();
        assert!(
            case.reason_words.iter().any(|w| reason.contains(w)),
            "{}: the reason should name the problem (one of {:?}): {}",
            case.name,
            case.reason_words,
            v.reason
        );
    }
    check_good_rules_loaded(report, case.sigma);
}

fn check_good_rules_loaded(report: &LoadReport, sigma: bool) {
    let dir = if sigma { "/sigma/" } else { "/splunk/" };
    let good: Vec<_> = report
        .verdicts
        .iter()
        .filter(|v| v.path.starts_with("bundled:rules") && v.path.to_string_lossy().contains(dir))
        .collect();
    assert!(!good.is_empty(), "no verdicts for the bundled {dir} rules");
    for v in good {
        assert_eq!(
            v.status,
            RuleStatus::Loaded,
            "a good rule beside the hostile one: {v:?}"
        );
    }
}

fn run_case(case: Hostile) {
    let mut files: Vec<RuleFile> = case
        .files
        .iter()
        .map(|f| RuleFile {
            path: f.path.clone(),
            text: f.text.clone(),
        })
        .collect();
    files.extend(bundled::files());
    let report = load_bounded(files, case.name);
    check_rejected(&report, &case);
}

macro_rules! hostile_test {
    ($($test:ident => $case:path),* $(,)?) => {
        $(
            #[test]
            fn $test() {
                run_case($case());
            }
        )*
    };
}

hostile_test! {
    yaml_alias_bomb_is_rejected => hostile_rules::alias_bomb,
    hundred_thousand_nested_parentheses_are_rejected => hostile_rules::nested_parentheses,
    hundred_thousand_nested_nots_are_rejected => hostile_rules::nested_nots,
    hundred_thousand_nested_yaml_sequences_are_rejected => hostile_rules::nested_yaml,
    regex_with_enormous_program_is_rejected => hostile_rules::huge_regex,
    hundred_megabyte_rule_text_is_rejected => hostile_rules::huge_file,
    macro_expanding_to_itself_is_rejected => hostile_rules::macro_self,
    mutually_recursive_macros_are_rejected => hostile_rules::macro_mutual,
    macro_with_growing_argument_is_rejected => hostile_rules::macro_growing_argument,
    exponential_macro_expansion_is_rejected => hostile_rules::macro_exponential,
    spl_hundred_thousand_nested_parentheses_are_rejected => hostile_rules::spl_nested_parentheses,
    spl_regex_with_enormous_program_is_rejected => hostile_rules::spl_huge_regex,
}

/// Every hostile case in one load: each is rejected on its own, the good rules still load.
#[test]
fn hostile_rules_together_do_not_take_down_the_load() {
    let cases: Vec<Hostile> = hostile_rules::all()
        .into_iter()
        .filter(|c| c.name != "huge-file")
        .collect();
    let mut files: Vec<RuleFile> = bundled::files();
    for c in &cases {
        for f in &c.files {
            files.push(RuleFile {
                path: f.path.clone(),
                text: f.text.clone(),
            });
        }
    }
    let report = load_bounded(files, "every hostile rule together");
    for c in &cases {
        check_rejected(&report, c);
    }
}

/// A 100 MB file on disk is refused by size before it is read.
#[test]
fn hundred_megabyte_rule_file_on_disk_is_refused_unread() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("huge.yml");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(100 * 1024 * 1024).unwrap(); // sparse: costs no disk
    drop(f);
    let good = dir.path().join("sigma").join("good.yml");
    std::fs::create_dir_all(good.parent().unwrap()).unwrap();
    std::fs::write(&good, bundled::BUNDLED[0].1).unwrap();
    let paths = vec![dir.path().to_path_buf()];
    let report = bounded(
        LOAD_LIMIT,
        "loading a folder with a 100 MB file",
        move || evtxscan::rules::load(&paths, &LoadOptions::default()),
    );
    let v = report
        .verdicts
        .iter()
        .find(|v| v.path == big)
        .expect("a verdict for the 100 MB file");
    assert_eq!(v.status, RuleStatus::Rejected);
    assert!(v.reason.contains("limit"), "{}", v.reason);
    let g = report
        .verdicts
        .iter()
        .find(|v| v.path == good)
        .expect("good rule verdict");
    assert_eq!(g.status, RuleStatus::Loaded, "{g:?}");
}

fn process_event(command_line: &str) -> Event {
    let t = jiff::Timestamp::from_second(1_700_000_000).unwrap();
    Event {
        source: Arc::new(Source {
            path: PathBuf::from("hostile.evtx"),
        }),
        record_id: 1,
        time: t,
        header_time: t,
        provider: "Microsoft-Windows-Sysmon".into(),
        channel: "Microsoft-Windows-Sysmon/Operational".into(),
        event_id: 1,
        computer: "host".into(),
        user_id: "".into(),
        level: 4,
        recovered: false,
        data: vec![
            Field {
                name: "Image".into(),
                value: "C:\\Windows\\System32\\cmd.exe".into(),
            },
            Field {
                name: "CommandLine".into(),
                value: command_line.into(),
            },
        ],
        system: Vec::new(),
    }
}

/// `(a+)+$` backtracks exponentially in most regex engines; with the `regex` crate it is linear.
/// The rule loads, and checking a 100,000-character value that almost matches finishes.
#[test]
fn catastrophic_backtracking_regex_is_linear() {
    let text = "title: Backtracking\nid: 6f1d6c7e-0000-4000-8000-00000000000b\nstatus: test\nlogsource:\n    product: windows\n    category: process_creation\ndetection:\n    selection:\n        CommandLine|re: '(a+)+$'\n    condition: selection\nlevel: low\n";
    let path = Path::new("hostile/backtracking.yml").to_path_buf();
    let files = vec![RuleFile {
        path: path.clone(),
        text: text.to_string(),
    }];
    let report = load_bounded(files, "a backtracking regex rule");
    let v = report.verdicts.iter().find(|v| v.path == path);
    assert!(v.is_none_or(|v| v.status == RuleStatus::Loaded), "{v:?}");
    let rule = report
        .rules
        .iter()
        .find(|r| r.info().path == path)
        .cloned()
        .expect("the regex rule compiled");
    let (near_miss, hit) = bounded(LOAD_LIMIT, "evaluating (a+)+$", move || {
        let near_miss = rule.check(&process_event(&format!("{}!", "a".repeat(100_000))));
        let hit = rule.check(&process_event("xaaaa"));
        (near_miss.is_some(), hit.is_some())
    });
    assert!(!near_miss, "(a+)+$ does not match a value ending in '!'");
    assert!(hit, "(a+)+$ matches a value ending in a's");
}

/// The same hostile files through `evtxscan rules check` in a child process limited to 4 GiB of
/// address space: no crash (stack overflow, abort, out of memory), no hang, every hostile file
/// rejected, and the good rules beside them loaded.
#[cfg(unix)]
#[test]
fn rules_check_rejects_hostile_files_within_a_memory_limit() {
    let dir = tempfile::tempdir().unwrap();
    let mut hostile: Vec<(PathBuf, Hostile)> = Vec::new();
    for case in hostile_rules::all()
        .into_iter()
        .filter(|c| c.name != "huge-file")
    {
        for f in &case.files {
            let to = dir.path().join(&f.path);
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::write(&to, &f.text).unwrap();
        }
        hostile.push((dir.path().join(&case.files[0].path), case));
    }
    let big = dir.path().join("hostile/huge.yml");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(100 * 1024 * 1024)
        .unwrap();
    for (name, text) in bundled::BUNDLED {
        let to = dir.path().join("good").join(name);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::write(&to, text).unwrap();
    }
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c")
        .arg("ulimit -v 4194304 && exec \"$0\" \"$@\"")
        .arg(fixtures::binary())
        .args(["rules", "check", "--format", "json"])
        .arg(dir.path());
    let out = fixtures::run_command(cmd, LOAD_LIMIT);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(evtxscan::cli::EXIT_PARTIAL),
        "rules check must end normally with 'some rules rejected' ({:?}); stderr: {stderr}",
        out.status
    );
    let verdicts: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let status_of = |p: &Path| -> Vec<String> {
        verdicts
            .iter()
            .filter(|v| v["path"].as_str() == Some(&*p.to_string_lossy()))
            .map(|v| v["status"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    for (path, case) in &hostile {
        let s = status_of(path);
        assert!(
            !s.is_empty() && s.iter().all(|s| s == "rejected"),
            "{}: {s:?}",
            case.name
        );
    }
    assert_eq!(status_of(&big), vec!["rejected".to_string()]);
    for (name, _) in bundled::BUNDLED {
        let s = status_of(&dir.path().join("good").join(name));
        assert!(
            !s.is_empty() && s.iter().all(|s| s == "loaded"),
            "good rule {name}: {s:?}"
        );
    }
}
