//! ATT&CK vocabulary shared by the rule engines (which tags are tactics) and the reports (in
//! which order tactics are listed).

/// The ATT&CK enterprise tactics as tag names (lower case, dashes), in kill-chain order.
/// `stealth` and `defense-impairment` are the two tactics that replace `defense-evasion` in
/// newer ATT&CK releases; all three are kept so rules of either vintage are understood.
pub const TACTICS: [&str; 16] = [
    "reconnaissance",
    "resource-development",
    "initial-access",
    "execution",
    "persistence",
    "privilege-escalation",
    "defense-evasion",
    "stealth",
    "defense-impairment",
    "credential-access",
    "discovery",
    "lateral-movement",
    "collection",
    "command-and-control",
    "exfiltration",
    "impact",
];

/// Where a tactic tag name stands in kill-chain order, if it is a known tactic.
pub fn tactic_rank(name: &str) -> Option<usize> {
    TACTICS.iter().position(|t| *t == name)
}
