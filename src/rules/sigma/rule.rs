//! A compiled Sigma detection rule behind the [`Rule`] interface.

use super::condition::Expr;
use super::detection::{self, Detection};
use super::event_ids;
use super::fields::{View, ViewKind};
use super::item::{Context, Placeholders};
use super::logsource::Resolved;
use super::needles;
use crate::event::Event;
use crate::rules::{EventMatch, Needle, Rule, RuleInfo, Scope};
use serde_yaml_ng::Value as Yaml;
use std::sync::Arc;

/// Field slots and placeholders while one rule compiles.
pub struct Compiler<'p> {
    /// Field names by slot.
    pub names: Vec<String>,
    placeholders: Option<&'p Placeholders>,
}

impl<'p> Compiler<'p> {
    /// A compiler with no fields yet.
    pub fn new(placeholders: Option<&'p Placeholders>) -> Compiler<'p> {
        Compiler {
            names: Vec::new(),
            placeholders,
        }
    }
}

impl Context for Compiler<'_> {
    fn slot(&mut self, name: &str) -> usize {
        match self.names.iter().position(|n| n == name) {
            Some(i) => i,
            None => {
                self.names.push(name.to_string());
                self.names.len() - 1
            }
        }
    }

    fn placeholders(&self) -> Option<&Placeholders> {
        self.placeholders
    }
}

/// A compiled Sigma rule.
pub struct SigmaRule {
    info: Arc<RuleInfo>,
    scope: Scope,
    detection: Detection,
    direct: View,
    security_4688: Option<View>,
    needles: Option<Vec<Needle>>,
}

impl SigmaRule {
    /// Compile a rule's detection and the filters that apply to it (each ANDed as `not`).
    pub fn compile(
        info: RuleInfo,
        source: Resolved,
        detection: &Yaml,
        filters: &[&Yaml],
        placeholders: Option<&Placeholders>,
    ) -> Result<SigmaRule, String> {
        let mut c = Compiler::new(placeholders);
        let mut det = detection::compile(detection, &mut c)?;
        let mut parts = vec![det.condition.clone()];
        for f in filters {
            let fd = detection::compile(f, &mut c).map_err(|e| format!("filter: {e}"))?;
            let base = det.selections.len();
            det.selections.extend(fd.selections);
            parts.push(Expr::Not(Box::new(fd.condition.offset(base))));
        }
        if parts.len() > 1 {
            det.condition = Expr::And(parts);
        }
        let mut scope = source.scope;
        if let Some(ids) = event_ids::required(&det, &c.names) {
            event_ids::narrow(&mut scope, &ids);
        }
        let direct = View::direct(&c.names);
        let security_4688 = source.maps_4688.then(|| View::security_4688(&c.names));
        let needles = needles::of_rule(&det, &direct, security_4688.as_ref());
        Ok(SigmaRule {
            info: Arc::new(info),
            scope,
            detection: det,
            direct,
            security_4688,
            needles,
        })
    }

    /// The view that reads this event (the event is assumed to be in scope).
    fn view(&self, event: &Event) -> &View {
        match (
            ViewKind::for_event(event, self.security_4688.is_some()),
            &self.security_4688,
        ) {
            (ViewKind::Security4688AsSysmon, Some(v)) => v,
            _ => &self.direct,
        }
    }

    /// Whether the event is in scope and matches the detection.
    pub fn matches(&self, event: &Event) -> bool {
        self.scope.admits(event) && self.detection.matches(event, self.view(event))
    }

    /// Read a field of a matched event the way this rule reads it (4688 under Sysmon names).
    pub fn field_text(&self, event: &Event, name: &str) -> Option<String> {
        let kind = ViewKind::for_event(event, self.security_4688.is_some());
        let access = match kind {
            ViewKind::Security4688AsSysmon => super::fields::access_4688(name),
            ViewKind::Direct => super::fields::Access::named(name),
        };
        let mut out = None;
        super::fields::visit(event, &access, &mut |v| {
            out = Some(v.as_text().into_owned());
            true
        });
        out
    }
}

impl Rule for SigmaRule {
    fn info(&self) -> &Arc<RuleInfo> {
        &self.info
    }

    fn scope(&self) -> &Scope {
        &self.scope
    }

    fn needles(&self) -> Option<Vec<Needle>> {
        self.needles.clone()
    }

    fn hit_per_match(&self) -> bool {
        true
    }

    /// Dispatch offers only events the scope admits, so the scope is not tested again here.
    fn check(&self, event: &Event) -> Option<EventMatch> {
        debug_assert!(self.scope.admits(event));
        self.detection
            .matches(event, self.view(event))
            .then(|| EventMatch::of(event))
    }
}
