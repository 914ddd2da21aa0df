//! Engine tests: modifiers, conditions, log sources, the 4688 view, seed rules, correlations.

mod conditions;
mod correlations;
mod modifiers;
mod process_creation;
mod support;
