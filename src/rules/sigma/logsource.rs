//! Sigma log sources to Windows event logs, from the bundled table `logsource.yml`.
//!
//! The table is data: each `category` or `service` of `product: windows` lists the channels,
//! providers and event ids it stands for. A rule's [`Scope`] is built from it, and the
//! alternative marked `view: security_4688` tells the compiler to read Security 4688 events
//! under Sysmon field names.

use crate::rules::{Scope, SourceFilter};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The bundled mapping, as YAML.
pub const TABLE_YAML: &str = include_str!("logsource.yml");

/// One alternative of a log source.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Alternative {
    /// The channel (`System/Channel`), if the source is bound to one.
    #[serde(default)]
    pub channel: Option<String>,
    /// The provider (`System/Provider/@Name`), if the source is bound to one.
    #[serde(default)]
    pub provider: Option<String>,
    /// Event ids; empty for any.
    #[serde(default)]
    pub event_ids: Vec<u32>,
    /// A field-name view for this alternative (`security_4688`).
    #[serde(default)]
    pub view: Option<String>,
}

/// The whole mapping table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Table {
    /// `logsource.category` → alternatives.
    pub categories: BTreeMap<String, Vec<Alternative>>,
    /// `logsource.service` → alternatives.
    pub services: BTreeMap<String, Vec<Alternative>>,
}

/// The parsed bundled table.
pub fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        // The table is compiled into the binary; a unit test proves it parses.
        serde_yaml_ng::from_str(TABLE_YAML).unwrap_or(Table {
            categories: BTreeMap::new(),
            services: BTreeMap::new(),
        })
    })
}

/// A rule's `logsource` block.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogSource {
    /// `category`, lower case.
    pub category: Option<String>,
    /// `product`, lower case.
    pub product: Option<String>,
    /// `service`, lower case.
    pub service: Option<String>,
}

/// Where a rule's events come from.
#[derive(Debug, Clone, Default)]
pub struct Resolved {
    /// The events the rule can see.
    pub scope: Scope,
    /// Whether Security 4688 is read under Sysmon process-creation names.
    pub maps_4688: bool,
}

/// Resolve a log source to a scope, or say why it has no Windows event log.
pub fn resolve(ls: &LogSource) -> Result<Resolved, String> {
    if let Some(p) = &ls.product {
        if p != "windows" {
            return Err(format!(
                "logsource product `{p}` is not a Windows event log source"
            ));
        }
    }
    let table = table();
    let alternatives =
        match (&ls.category, &ls.service) {
            (Some(c), _) => table.categories.get(c).ok_or_else(|| {
                format!("logsource category `{c}` has no Windows event log mapping")
            })?,
            (None, Some(s)) => table.services.get(s).ok_or_else(|| {
                format!("logsource service `{s}` has no Windows event log mapping")
            })?,
            (None, None) if ls.product.is_some() => {
                return Ok(Resolved {
                    scope: Scope::everything(),
                    maps_4688: false,
                })
            }
            (None, None) => return Err("logsource names no product, category or service".into()),
        };
    let any_of = alternatives
        .iter()
        .map(|a| SourceFilter {
            channels: a.channel.iter().cloned().collect(),
            providers: a.provider.iter().cloned().collect(),
            event_ids: a.event_ids.clone(),
        })
        .collect();
    Ok(Resolved {
        scope: Scope { any_of },
        maps_4688: alternatives
            .iter()
            .any(|a| a.view.as_deref() == Some("security_4688")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ls(category: Option<&str>, service: Option<&str>) -> LogSource {
        LogSource {
            category: category.map(String::from),
            product: Some("windows".into()),
            service: service.map(String::from),
        }
    }

    #[test]
    fn bundled_table_parses() {
        let t: Table = serde_yaml_ng::from_str(TABLE_YAML).unwrap();
        assert!(t.categories.len() > 30);
        assert!(t.services.len() > 30);
        for alts in t.categories.values().chain(t.services.values()) {
            for a in alts {
                assert!(a.channel.is_some() || a.provider.is_some());
            }
        }
    }

    #[test]
    fn process_creation_is_sysmon_1_and_security_4688() {
        let r = resolve(&ls(Some("process_creation"), None)).unwrap();
        assert!(r.maps_4688);
        assert_eq!(r.scope.any_of.len(), 2);
        assert_eq!(r.scope.any_of[0].event_ids, vec![1]);
        assert_eq!(r.scope.any_of[1].channels, vec!["Security".to_string()]);
        assert_eq!(r.scope.any_of[1].event_ids, vec![4688]);
    }

    #[test]
    fn ps_script_is_4104_on_both_channels() {
        let r = resolve(&ls(Some("ps_script"), None)).unwrap();
        assert!(!r.maps_4688);
        let chans: Vec<_> = r
            .scope
            .any_of
            .iter()
            .map(|f| f.channels[0].as_str())
            .collect();
        assert_eq!(
            chans,
            vec![
                "Microsoft-Windows-PowerShell/Operational",
                "PowerShellCore/Operational"
            ]
        );
        assert!(r.scope.any_of.iter().all(|f| f.event_ids == vec![4104]));
    }

    #[test]
    fn services_key_on_the_channel_only() {
        let r = resolve(&ls(None, Some("security"))).unwrap();
        assert_eq!(r.scope.any_of[0].channels, vec!["Security".to_string()]);
        assert!(r.scope.any_of[0].providers.is_empty());
        assert!(r.scope.any_of[0].event_ids.is_empty());
    }

    #[test]
    fn the_documentation_lists_every_source() {
        let doc = include_str!("../../../docs/SIGMA.md");
        let t = table();
        for name in t.categories.keys().chain(t.services.keys()) {
            assert!(
                doc.contains(&format!("| `{name}` |")),
                "{name} missing from docs/SIGMA.md"
            );
        }
    }

    #[test]
    fn unknown_sources_are_named() {
        let e = resolve(&ls(Some("nope"), None)).unwrap_err();
        assert!(e.contains("`nope`"));
        let mut linux = ls(Some("process_creation"), None);
        linux.product = Some("linux".into());
        assert!(resolve(&linux).unwrap_err().contains("linux"));
        assert!(resolve(&ls(None, None)).unwrap().scope.any_of.is_empty());
    }
}
