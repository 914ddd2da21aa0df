//! The named columns every output pulls out of a hit's key fields: the image, command line,
//! parent, user, DNS query and script text, whatever the source called them (Sysmon, Security
//! 4688, PowerShell, or the Splunk CIM names an SPL rule produced).

use crate::hit::Hit;

/// A value every output may show in its own column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyColumn {
    /// The account: Sysmon `User`, 4688 `SubjectDomainName\SubjectUserName`, CIM `user`.
    User,
    /// The process image: Sysmon `Image`, 4688 `NewProcessName`, CIM `process_path`.
    Image,
    /// The command line: `CommandLine`, CIM `process`.
    CommandLine,
    /// The parent image: Sysmon `ParentImage`, 4688 `ParentProcessName`, CIM `parent_process_path`.
    ParentImage,
    /// The parent command line: `ParentCommandLine`, CIM `parent_process`.
    ParentCommandLine,
    /// The DNS name: Sysmon 22 `QueryName`, CIM `query`.
    QueryName,
    /// The PowerShell script block text (4104 `ScriptBlockText`).
    ScriptBlockText,
}

impl KeyColumn {
    /// Every key column, in output order.
    pub const ALL: [KeyColumn; 7] = [
        KeyColumn::User,
        KeyColumn::Image,
        KeyColumn::CommandLine,
        KeyColumn::ParentImage,
        KeyColumn::ParentCommandLine,
        KeyColumn::QueryName,
        KeyColumn::ScriptBlockText,
    ];

    /// The CSV column name.
    pub fn name(self) -> &'static str {
        match self {
            KeyColumn::User => "user",
            KeyColumn::Image => "image",
            KeyColumn::CommandLine => "command_line",
            KeyColumn::ParentImage => "parent_image",
            KeyColumn::ParentCommandLine => "parent_command_line",
            KeyColumn::QueryName => "query_name",
            KeyColumn::ScriptBlockText => "script_block_text",
        }
    }

    /// The field names this column is read from, first found wins.
    pub fn sources(self) -> &'static [&'static str] {
        match self {
            KeyColumn::User => &["User", "user", "TargetUserName"],
            KeyColumn::Image => &["Image", "NewProcessName", "process_path"],
            KeyColumn::CommandLine => &["CommandLine", "process"],
            KeyColumn::ParentImage => &["ParentImage", "ParentProcessName", "parent_process_path"],
            KeyColumn::ParentCommandLine => &["ParentCommandLine", "parent_process"],
            KeyColumn::QueryName => &["QueryName", "query"],
            KeyColumn::ScriptBlockText => &["ScriptBlockText"],
        }
    }

    /// The column's value for a hit; empty when the hit has none of its fields.
    pub fn value(self, hit: &Hit) -> String {
        if self == KeyColumn::User {
            if let Some(user) = field(hit, "SubjectUserName").filter(|u| !u.is_empty()) {
                if field(hit, "User").is_none() {
                    return match field(hit, "SubjectDomainName").filter(|d| !d.is_empty()) {
                        Some(domain) => format!("{domain}\\{user}"),
                        None => user.to_string(),
                    };
                }
            }
        }
        self.sources()
            .iter()
            .find_map(|n| field(hit, n))
            .unwrap_or_default()
            .to_string()
    }
}

/// A key field's value by name: exact name first, then ASCII case-insensitive; the `by` values
/// of an aggregate count too.
pub fn field<'a>(hit: &'a Hit, name: &str) -> Option<&'a str> {
    let by = hit
        .aggregate
        .as_ref()
        .map(|a| a.by.as_slice())
        .unwrap_or(&[]);
    let all = || hit.fields.iter().chain(by.iter());
    all()
        .find(|(k, _)| k == name)
        .or_else(|| all().find(|(k, _)| k.eq_ignore_ascii_case(name)))
        .map(|(_, v)| v.as_str())
}

/// The key fields as `key=value` pairs joined by ` ¦ ` (the CSV `fields` column).
pub fn flatten_fields(fields: &[(String, String)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in fields.iter().enumerate() {
        if i > 0 {
            out.push_str(" ¦ ");
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// A one-line summary of what happened, for tables and Timesketch `message`: the most telling
/// fields first (command line, image, query, script text), then the rest.
pub fn details(hit: &Hit) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut used: Vec<&str> = Vec::new();
    if let Some(a) = &hit.aggregate {
        parts.push(format!("count={}", a.count));
        for (k, v) in &a.by {
            parts.push(format!("{k}={v}"));
            used.push(k);
        }
    }
    let preferred = [
        KeyColumn::CommandLine,
        KeyColumn::Image,
        KeyColumn::QueryName,
        KeyColumn::ScriptBlockText,
        KeyColumn::ParentImage,
        KeyColumn::User,
    ];
    for col in preferred {
        if let Some((name, value)) = col
            .sources()
            .iter()
            .find_map(|n| field(hit, n).map(|v| (*n, v)))
        {
            if !value.is_empty() && !used.iter().any(|u| u.eq_ignore_ascii_case(name)) {
                parts.push(format!("{name}={value}"));
                used.push(name);
            }
        }
    }
    for (k, v) in &hit.fields {
        if !used.iter().any(|u| u.eq_ignore_ascii_case(k)) && !v.is_empty() {
            parts.push(format!("{k}={v}"));
        }
    }
    parts.join("  ")
}

/// The Timesketch `message`: `[level] rule title @ computer: details` (details cut at 400
/// characters).
pub fn timesketch_message(hit: &Hit) -> String {
    let details = details(hit);
    let details = crate::util::sanitize::truncate_chars(&details, 400);
    format!(
        "[{}] {} @ {}: {}",
        hit.rule.level.as_str(),
        hit.rule.title,
        hit.event.computer,
        details
    )
}

/// The Timesketch `timestamp`: the hit time in microseconds since the Unix epoch (UTC), the
/// integer Timesketch sorts and indexes by; the 100 ns digit of the time is dropped.
pub fn timesketch_timestamp(hit: &Hit) -> i64 {
    hit.time().as_microsecond()
}

/// The separator of list values in one CSV cell (techniques, tactics, `also_in`, records).
pub const LIST_SEPARATOR: &str = " | ";
