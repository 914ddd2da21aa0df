//! Hostile rule files: each one tries to make the rule loader crash, hang or eat memory. Every
//! case names the words a clear rejection reason would use.

#![allow(dead_code)]

use evtxscan::rules::loader::RuleFile;
use std::path::PathBuf;

/// One hostile rule set (one or more files: a detection and the macros it uses).
pub struct Hostile {
    /// A short name for messages and file names.
    pub name: &'static str,
    /// The language the case attacks.
    pub sigma: bool,
    /// The files; the first is the rule that must be rejected.
    pub files: Vec<RuleFile>,
    /// Words of which a clear reason names at least one (case-insensitive).
    pub reason_words: &'static [&'static str],
}

fn file(name: &str, text: String) -> RuleFile {
    RuleFile {
        path: PathBuf::from(format!("hostile/{name}")),
        text,
    }
}

fn sigma_rule(title: &str, detection: &str) -> String {
    format!(
        "title: {title}\nid: 6f1d6c7e-0000-4000-8000-{:012x}\nstatus: test\nlogsource:\n    product: windows\n    category: process_creation\n{detection}\nlevel: high\n",
        title.len()
    )
}

fn spl_detection(name: &str, search: &str) -> String {
    format!(
        "name: {name}\nid: 0b7c3a52-0000-4000-8000-{:012x}\nversion: 1\ntype: TTP\nstatus: production\ndescription: hostile test detection\ndata_source:\n- Sysmon EventID 1\nsearch: '{}'\ntags:\n  mitre_attack_id:\n  - T1059\n",
        name.len(),
        search.replace('\'', "''")
    )
}

fn spl_macro(name: &str, arguments: &[&str], definition: &str) -> String {
    let mut text = String::new();
    if !arguments.is_empty() {
        text.push_str("arguments:\n");
        for a in arguments {
            text.push_str(&format!("  - {a}\n"));
        }
    }
    text.push_str(&format!(
        "definition: '{}'\ndescription: hostile test macro\nname: {name}\n",
        definition.replace('\'', "''")
    ));
    text
}

/// A YAML "billion laughs": nine levels of anchors, each nine aliases of the level below.
pub fn alias_bomb() -> Hostile {
    let mut anchors = String::from(
        "x0: &x0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for level in 1..10 {
        let below = vec![format!("*x{}", level - 1); 9].join(",");
        anchors.push_str(&format!("x{level}: &x{level} [{below}]\n"));
    }
    let detection =
        "detection:\n    selection:\n        CommandLine|contains: *x9\n    condition: selection";
    Hostile {
        name: "yaml-alias-bomb",
        sigma: true,
        files: vec![file(
            "alias_bomb.yml",
            format!("{anchors}{}", sigma_rule("Alias bomb", detection)),
        )],
        reason_words: &["alias", "repetition", "anchor", "yaml", "limit", "large"],
    }
}

/// 100,000 nested parentheses around the selection in the condition.
pub fn nested_parentheses() -> Hostile {
    let n = 100_000;
    let condition = format!("{}selection{}", "(".repeat(n), ")".repeat(n));
    let detection = format!(
        "detection:\n    selection:\n        Image|endswith: '\\evil.exe'\n    condition: '{condition}'"
    );
    Hostile {
        name: "nested-parentheses",
        sigma: true,
        files: vec![file(
            "nested_parentheses.yml",
            sigma_rule("Nested parentheses", &detection),
        )],
        reason_words: &[
            "nest",
            "deep",
            "depth",
            "condition",
            "limit",
            "parenthes",
            "long",
        ],
    }
}

/// 100,000 `not` before the selection.
pub fn nested_nots() -> Hostile {
    let condition = format!("{}selection", "not ".repeat(100_000));
    let detection = format!(
        "detection:\n    selection:\n        Image|endswith: '\\evil.exe'\n    condition: '{condition}'"
    );
    Hostile {
        name: "nested-nots",
        sigma: true,
        files: vec![file(
            "nested_nots.yml",
            sigma_rule("Nested nots", &detection),
        )],
        reason_words: &["nest", "deep", "depth", "condition", "limit", "long"],
    }
}

/// A detection value nested 100,000 YAML flow sequences deep.
pub fn nested_yaml() -> Hostile {
    let n = 100_000;
    let detection = format!(
        "detection:\n    selection:\n        CommandLine: {}x{}\n    condition: selection",
        "[".repeat(n),
        "]".repeat(n)
    );
    Hostile {
        name: "nested-yaml",
        sigma: true,
        files: vec![file(
            "nested_yaml.yml",
            sigma_rule("Nested YAML", &detection),
        )],
        reason_words: &["recursion", "nest", "deep", "depth", "yaml", "limit"],
    }
}

/// A regex whose compiled program is far over any sane size.
pub fn huge_regex() -> Hostile {
    let detection =
        "detection:\n    selection:\n        CommandLine|re: '(?:\\w{200}){200}'\n    condition: selection";
    Hostile {
        name: "huge-regex",
        sigma: true,
        files: vec![file("huge_regex.yml", sigma_rule("Huge regex", detection))],
        reason_words: &["regex", "regular expression", "too big", "size", "limit"],
    }
}

/// A rule file of 100 MB (a long list of values), given as text.
pub fn huge_file() -> Hostile {
    let mut detection = String::from("detection:\n    selection:\n        CommandLine|contains:\n");
    let line = "            - 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'\n";
    detection.reserve(100 * 1024 * 1024 + 200);
    while detection.len() < 100 * 1024 * 1024 {
        detection.push_str(line);
    }
    detection.push_str("    condition: selection");
    Hostile {
        name: "huge-file",
        sigma: true,
        files: vec![file("huge_file.yml", sigma_rule("Huge file", &detection))],
        reason_words: &["bytes", "size", "large", "limit"],
    }
}

/// A macro whose definition is itself.
pub fn macro_self() -> Hostile {
    Hostile {
        name: "macro-self-recursion",
        sigma: false,
        files: vec![
            file(
                "detections/macro_self.yml",
                spl_detection(
                    "Macro self recursion",
                    "`evil_loop` EventCode=1 | stats count by Computer",
                ),
            ),
            file(
                "macros/evil_loop.yml",
                spl_macro("evil_loop", &[], "`evil_loop`"),
            ),
        ],
        reason_words: &["macro", "recurs", "cycle", "loop", "expan", "deep", "limit"],
    }
}

/// Two macros that expand to each other.
pub fn macro_mutual() -> Hostile {
    Hostile {
        name: "macro-mutual-recursion",
        sigma: false,
        files: vec![
            file(
                "detections/macro_mutual.yml",
                spl_detection(
                    "Macro mutual recursion",
                    "`evil_ping` | stats count by Computer",
                ),
            ),
            file(
                "macros/evil_ping.yml",
                spl_macro("evil_ping", &[], "EventCode=1 `evil_pong`"),
            ),
            file(
                "macros/evil_pong.yml",
                spl_macro("evil_pong", &[], "(`evil_ping`)"),
            ),
        ],
        reason_words: &["macro", "recurs", "cycle", "loop", "expan", "deep", "limit"],
    }
}

/// A macro with an argument that calls itself with the argument doubled.
pub fn macro_growing_argument() -> Hostile {
    Hostile {
        name: "macro-growing-argument",
        sigma: false,
        files: vec![
            file(
                "detections/macro_args.yml",
                spl_detection(
                    "Macro growing argument",
                    "`evil_grow(x)` | stats count by Computer",
                ),
            ),
            file(
                "macros/evil_grow.yml",
                spl_macro("evil_grow(1)", &["a"], "`evil_grow($a$ $a$)`"),
            ),
        ],
        reason_words: &[
            "macro", "recurs", "cycle", "loop", "expan", "deep", "limit", "large", "long",
        ],
    }
}

/// Forty macros, each using the next twice: 2^40 copies of the last one if expanded blindly.
pub fn macro_exponential() -> Hostile {
    let mut files = vec![file(
        "detections/macro_exp.yml",
        spl_detection(
            "Macro exponential expansion",
            "`evil_m0` | stats count by Computer",
        ),
    )];
    for i in 0..40 {
        files.push(file(
            &format!("macros/evil_m{i}.yml"),
            spl_macro(
                &format!("evil_m{i}"),
                &[],
                &format!("(`evil_m{0}` OR `evil_m{0}`)", i + 1),
            ),
        ));
    }
    files.push(file(
        "macros/evil_m40.yml",
        spl_macro("evil_m40", &[], "EventCode=1"),
    ));
    Hostile {
        name: "macro-exponential",
        sigma: false,
        files,
        reason_words: &["macro", "expan", "large", "long", "limit", "size"],
    }
}

/// 100,000 nested parentheses in an SPL search.
pub fn spl_nested_parentheses() -> Hostile {
    let n = 100_000;
    let search = format!(
        "`sysmon` {}EventCode=1{} | stats count by Computer",
        "(".repeat(n),
        ")".repeat(n)
    );
    Hostile {
        name: "spl-nested-parentheses",
        sigma: false,
        files: vec![file(
            "detections/spl_nested.yml",
            spl_detection("SPL nested parentheses", &search),
        )],
        reason_words: &[
            "nest",
            "deep",
            "depth",
            "limit",
            "parenthes",
            "long",
            "search",
        ],
    }
}

/// An SPL `regex` command whose pattern compiles to an enormous program.
pub fn spl_huge_regex() -> Hostile {
    let search =
        "`sysmon` EventCode=1 | regex CommandLine=\"(?:\\w{200}){200}\" | stats count by Computer";
    Hostile {
        name: "spl-huge-regex",
        sigma: false,
        files: vec![file(
            "detections/spl_regex.yml",
            spl_detection("SPL huge regex", search),
        )],
        reason_words: &["regex", "regular expression", "too big", "size", "limit"],
    }
}

/// Every hostile case (the 100 MB one included).
pub fn all() -> Vec<Hostile> {
    vec![
        alias_bomb(),
        nested_parentheses(),
        nested_nots(),
        nested_yaml(),
        huge_regex(),
        huge_file(),
        macro_self(),
        macro_mutual(),
        macro_growing_argument(),
        macro_exponential(),
        spl_nested_parentheses(),
        spl_huge_regex(),
    ]
}
