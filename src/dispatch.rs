//! Stage 4: offer each event only to the rules that can match it.
//!
//! Rules declare their [`Scope`](crate::rules::Scope) (channel, provider, event ids). The index
//! maps `(channel, event id)` to the rules whose scope names both, `channel` alone to those that
//! name no event id, and keeps rules of unbounded scope in a list every event visits. A rule
//! listed by the index still checks its full scope (providers too) before it runs.

use crate::event::Event;
use crate::rules::Rule;
use std::collections::HashMap;
use std::sync::Arc;

/// Which rules each kind of event can reach.
pub struct Dispatcher {
    rules: Vec<Arc<dyn Rule>>,
    by_channel_id: HashMap<(String, u32), Vec<usize>>,
    by_channel: HashMap<String, Vec<usize>>,
    by_id: HashMap<u32, Vec<usize>>,
    everywhere: Vec<usize>,
    /// When false, every rule is offered every event (the reference path tests compare with).
    indexed: bool,
}

impl Dispatcher {
    /// Index the rules.
    pub fn new(rules: Vec<Arc<dyn Rule>>, indexed: bool) -> Dispatcher {
        let mut d = Dispatcher {
            rules,
            by_channel_id: HashMap::new(),
            by_channel: HashMap::new(),
            by_id: HashMap::new(),
            everywhere: Vec::new(),
            indexed,
        };
        for (i, rule) in d.rules.iter().enumerate() {
            let scope = rule.scope();
            if scope.any_of.is_empty() {
                d.everywhere.push(i);
                continue;
            }
            for alt in &scope.any_of {
                match (alt.channels.is_empty(), alt.event_ids.is_empty()) {
                    (true, true) => d.everywhere.push(i),
                    (false, true) => {
                        for c in &alt.channels {
                            d.by_channel
                                .entry(c.to_ascii_lowercase())
                                .or_default()
                                .push(i);
                        }
                    }
                    (true, false) => {
                        for id in &alt.event_ids {
                            d.by_id.entry(*id).or_default().push(i);
                        }
                    }
                    (false, false) => {
                        for c in &alt.channels {
                            for id in &alt.event_ids {
                                d.by_channel_id
                                    .entry((c.to_ascii_lowercase(), *id))
                                    .or_default()
                                    .push(i);
                            }
                        }
                    }
                }
            }
        }
        for v in d
            .by_channel_id
            .values_mut()
            .chain(d.by_channel.values_mut())
            .chain(d.by_id.values_mut())
        {
            v.sort_unstable();
            v.dedup();
        }
        d.everywhere.sort_unstable();
        d.everywhere.dedup();
        d
    }

    /// All rules, by index.
    pub fn rules(&self) -> &[Arc<dyn Rule>] {
        &self.rules
    }

    /// Whether any rule can see events of this channel and id (lets the reader skip the rest).
    pub fn wants(&self, channel: &str, event_id: u32) -> bool {
        if !self.indexed || !self.everywhere.is_empty() {
            return true;
        }
        let c = channel.to_ascii_lowercase();
        self.by_channel.contains_key(&c)
            || self.by_id.contains_key(&event_id)
            || self.by_channel_id.contains_key(&(c, event_id))
    }

    /// Call `f` with the index of every rule whose scope admits the event.
    pub fn for_each_candidate(&self, event: &Event, mut f: impl FnMut(usize)) {
        if !self.indexed {
            for (i, r) in self.rules.iter().enumerate() {
                if r.scope().admits(event) {
                    f(i);
                }
            }
            return;
        }
        let channel = event.channel.to_ascii_lowercase();
        let mut seen: Vec<usize> = Vec::new();
        let lists = [
            self.by_channel_id.get(&(channel.clone(), event.event_id)),
            self.by_channel.get(&channel),
            self.by_id.get(&event.event_id),
            Some(&self.everywhere),
        ];
        let several = lists.iter().flatten().filter(|l| !l.is_empty()).count() > 1;
        for list in lists.into_iter().flatten() {
            for &i in list {
                if several {
                    if seen.contains(&i) {
                        continue;
                    }
                    seen.push(i);
                }
                if self.rules[i].scope().admits(event) {
                    f(i);
                }
            }
        }
    }
}
