//! Macro expansion: `` `name` `` and `` `name(arg, ...)` `` replaced by their definitions.
//!
//! Definitions come from security_content macro YAML files (`name`, `definition`, `arguments`)
//! and from a few built-ins written here: the Windows source macros become channel constraints,
//! `drop_dm_object_name(x)` becomes `rename x.* AS *`, `security_content_ctime(f)` formats a time,
//! `security_content_summariesonly` sets the tstats options (`fillnull_value=null`). A
//! `*_filter` macro that no file defines expands to nothing (the tuning hook is a no-op).
//! Expansion is textual and recursive with a depth and size limit; quoted strings and
//! ```` ``` ```` comments are not expanded.

use super::error::{SplError, SplResult};
use serde::Deserialize;
use std::collections::HashMap;

/// Deepest macro nesting accepted.
pub const MAX_DEPTH: usize = 24;
/// Largest expanded search accepted, in bytes.
pub const MAX_EXPANDED: usize = 1 << 20;
/// Most macro calls expanded for one search.
pub const MAX_CALLS: usize = 20_000;

/// One macro definition.
#[derive(Debug, Clone)]
pub struct MacroDef {
    /// Argument names, in order (`$name$` placeholders in the definition).
    pub args: Vec<String>,
    /// The SPL text.
    pub definition: String,
}

#[derive(Deserialize)]
struct MacroYaml {
    name: String,
    definition: String,
    #[serde(default)]
    arguments: Option<Vec<String>>,
}

/// Channel of the built-in source macros.
pub const SOURCE_MACROS: &[(&str, &str)] = &[
    ("sysmon", "Microsoft-Windows-Sysmon/Operational"),
    ("powershell", "Microsoft-Windows-PowerShell/Operational"),
    ("wineventlog_security", "Security"),
    ("wineventlog_system", "System"),
    ("wineventlog_application", "Application"),
];

/// Every macro known, by name and argument count.
#[derive(Debug, Default, Clone)]
pub struct MacroTable {
    defs: HashMap<(String, usize), MacroDef>,
}

impl MacroTable {
    /// Add a macro from a security_content YAML file.
    pub fn add_yaml(&mut self, text: &str) -> Result<String, String> {
        let y: MacroYaml = serde_yaml_ng::from_str(text).map_err(|e| e.to_string())?;
        let args = y.arguments.unwrap_or_default();
        let name = y
            .name
            .split('(')
            .next()
            .unwrap_or(&y.name)
            .trim()
            .to_string();
        self.defs.insert(
            (name.clone(), args.len()),
            MacroDef {
                args,
                definition: y.definition,
            },
        );
        Ok(name)
    }

    /// Add a macro directly.
    pub fn insert(&mut self, name: &str, args: &[&str], definition: &str) {
        self.defs.insert(
            (name.to_string(), args.len()),
            MacroDef {
                args: args.iter().map(|a| a.to_string()).collect(),
                definition: definition.to_string(),
            },
        );
    }

    /// Expand every macro call in `text`.
    pub fn expand(&self, text: &str) -> SplResult<String> {
        let mut out = String::with_capacity(text.len() * 2);
        let mut calls = 0;
        self.expand_into(text, 0, &mut out, &mut calls)?;
        Ok(out)
    }

    fn expand_into(
        &self,
        text: &str,
        depth: usize,
        out: &mut String,
        calls: &mut usize,
    ) -> SplResult<()> {
        if depth > MAX_DEPTH {
            return Err(SplError::Macro(format!(
                "macros nest deeper than {MAX_DEPTH} levels (recursive definition?)"
            )));
        }
        let b = text.as_bytes();
        let mut i = 0;
        let mut copied = 0;
        while i < b.len() {
            match b[i] {
                b'"' => {
                    let mut j = i + 1;
                    while j < b.len() && b[j] != b'"' {
                        j += if b[j] == b'\\' { 2 } else { 1 };
                    }
                    i = (j + 1).min(b.len());
                }
                b'`' if text[i..].starts_with("```") => {
                    out.push_str(&text[copied..i]);
                    let end = text[i + 3..].find("```").map(|p| i + 3 + p + 3);
                    i = end.unwrap_or(b.len());
                    copied = i;
                    out.push(' ');
                }
                b'`' => {
                    out.push_str(&text[copied..i]);
                    let close = text[i + 1..]
                        .find('`')
                        .ok_or_else(|| SplError::Macro("unbalanced backtick".into()))?;
                    let call = &text[i + 1..i + 1 + close];
                    *calls += 1;
                    if *calls > MAX_CALLS {
                        return Err(SplError::Macro(format!(
                            "more than {MAX_CALLS} macro calls"
                        )));
                    }
                    self.expand_call(call, depth, out, calls)?;
                    i = i + 1 + close + 1;
                    copied = i;
                }
                _ => i += 1,
            }
            if out.len() > MAX_EXPANDED {
                return Err(SplError::Macro(format!(
                    "expansion larger than {MAX_EXPANDED} bytes"
                )));
            }
        }
        out.push_str(&text[copied.min(b.len())..]);
        if out.len() > MAX_EXPANDED {
            return Err(SplError::Macro(format!(
                "expansion larger than {MAX_EXPANDED} bytes"
            )));
        }
        Ok(())
    }

    fn expand_call(
        &self,
        call: &str,
        depth: usize,
        out: &mut String,
        calls: &mut usize,
    ) -> SplResult<()> {
        let (name, args) = parse_call(call)?;
        if let Some(text) = builtin(&name, &args) {
            return self.expand_into(&text, depth + 1, out, calls);
        }
        match self.defs.get(&(name.clone(), args.len())) {
            Some(def) => {
                let mut body = def.definition.clone();
                for (param, value) in def.args.iter().zip(&args) {
                    body = body.replace(&format!("${param}$"), value);
                }
                out.push(' ');
                self.expand_into(&body, depth + 1, out, calls)?;
                out.push(' ');
                Ok(())
            }
            None if name.ends_with("_filter") && args.is_empty() => Ok(()),
            None => Err(SplError::Macro(format!(
                "undefined macro `{name}`{}",
                if args.is_empty() {
                    String::new()
                } else {
                    format!(" with {} argument(s)", args.len())
                }
            ))),
        }
    }
}

/// Split `name(a, b)` into the name and the argument texts (top-level commas).
fn parse_call(call: &str) -> SplResult<(String, Vec<String>)> {
    let call = call.trim();
    let Some(open) = call.find('(') else {
        return Ok((call.to_string(), Vec::new()));
    };
    let name = call[..open].trim().to_string();
    let inner = call[open + 1..]
        .strip_suffix(')')
        .ok_or_else(|| SplError::Macro(format!("malformed macro call `{call}`")))?;
    let mut args = Vec::new();
    let mut cur = String::new();
    let mut depth = 0i32;
    let mut in_quote = false;
    for c in inner.chars() {
        match c {
            '"' => in_quote = !in_quote,
            '(' if !in_quote => depth += 1,
            ')' if !in_quote => depth -= 1,
            ',' if !in_quote && depth == 0 => {
                args.push(cur.trim().to_string());
                cur.clear();
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    if !cur.trim().is_empty() || !args.is_empty() {
        args.push(cur.trim().to_string());
    }
    Ok((name, args))
}

fn unquote(s: &str) -> &str {
    s.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(s)
}

/// The built-in definitions (they take precedence over files of the same name).
fn builtin(name: &str, args: &[String]) -> Option<String> {
    match (name, args) {
        ("drop_dm_object_name", [obj]) => Some(format!(" rename \"{}.*\" AS \"*\" ", unquote(obj))),
        ("security_content_ctime", [field]) => Some(format!(
            " convert timeformat=\"%Y-%m-%dT%H:%M:%S\" ctime({}) ",
            unquote(field)
        )),
        ("security_content_summariesonly", []) => {
            Some(" summariesonly=false allow_old_summaries=true fillnull_value=null ".into())
        }
        (n, []) => SOURCE_MACROS
            .iter()
            .find(|(m, _)| *m == n)
            .map(|(_, channel)| format!(" Channel=\"{channel}\" ")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> MacroTable {
        let mut t = MacroTable::default();
        t.insert(
            "process_net",
            &[],
            "(Processes.process_name=\"net.exe\" OR `inner`)",
        );
        t.insert("inner", &[], "Processes.process_name=net1.exe");
        t.insert("twice", &["a", "b"], "$a$=$b$");
        t.insert("loop", &[], "`loop`");
        t
    }

    #[test]
    fn expands_nested_and_arguments() {
        let t = table();
        let e = t.expand("x `process_net` | `twice(f, \"v, w\")`").unwrap();
        assert!(
            e.contains("Processes.process_name=\"net.exe\" OR  Processes.process_name=net1.exe")
        );
        assert!(e.contains("f=\"v, w\""));
    }

    #[test]
    fn builtins_filters_and_errors() {
        let t = table();
        let e = t
            .expand("`sysmon` EventCode=1 | `drop_dm_object_name(\"Processes\")` | `x_filter`")
            .unwrap();
        assert!(e.contains("Channel=\"Microsoft-Windows-Sysmon/Operational\""));
        assert!(e.contains("rename \"Processes.*\" AS \"*\""));
        assert!(!e.contains("x_filter"));
        assert!(matches!(t.expand("`loop`"), Err(SplError::Macro(_))));
        assert!(matches!(t.expand("`nope`"), Err(SplError::Macro(m)) if m.contains("nope")));
        assert_eq!(
            t.expand("eval a=\"`\" ```c``` b").unwrap(),
            "eval a=\"`\"   b"
        );
    }
}
