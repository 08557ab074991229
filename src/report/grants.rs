//! Wording for what an action set grants, shared by every finding that involves a
//! wildcard: small sets are listed, large ones summarised by access level.

use crate::catalogue::model::AccessLevel;
use crate::catalogue::{ActionSet, Catalogue};
use crate::resolve::Grantor;

/// At most this many action names go in a finding's machine-readable `actions`.
pub const ACTIONS_CAP: usize = 100;

/// Sets up to this size are listed in full.
const LIST_LIMIT: usize = 8;
/// Examples shown for larger sets.
const EXAMPLES: usize = 5;

/// `5 actions: s3:DeleteObject, s3:GetObject, ...` or
/// `194 actions (190 Read, 4 List), e.g. ec2:DescribeInstances, ...`; the examples are
/// the most sensitive actions (Permissions management first, then Write).
pub fn describe(set: &ActionSet, catalogue: &Catalogue) -> String {
    if set.is_everything(catalogue) {
        // Said from the header: counting levels would parse all 456 services.
        let totals = catalogue.header().totals;
        return format!("every action of every service ({} actions of {} services)", totals.actions, totals.services);
    }
    let total = set.len(catalogue);
    let noun = if total == 1 { "action" } else { "actions" };
    if total <= LIST_LIMIT {
        let names: Vec<String> = set.iter(catalogue).map(|id| catalogue.action_name(id)).collect();
        return format!("{total} {noun}: {}", names.join(", "));
    }
    let levels: Vec<String> =
        set.count_by_level(catalogue).iter().map(|(level, n)| format!("{n} {}", level.as_str())).collect();
    format!("{total} {noun} ({}), e.g. {}", levels.join(", "), examples(set, catalogue, EXAMPLES).join(", "))
}

/// What the wildcards (and NotAction) among `grantors` really grant, for a note.
pub fn grantors_note(grantors: &[Grantor], catalogue: &Catalogue) -> Option<String> {
    let mut set = ActionSet::new();
    for wildcard in grantors.iter().filter_map(|g| g.wildcard.as_ref()) {
        set.union_with(wildcard);
    }
    (!set.is_empty()).then(|| describe(&set, catalogue))
}

/// The most sensitive actions of a set, by access level then name.
pub fn examples(set: &ActionSet, catalogue: &Catalogue, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    for level in AccessLevel::ALL {
        for id in set.iter(catalogue) {
            if out.len() == n {
                return out;
            }
            if catalogue.action_access(id) == level {
                out.push(catalogue.action_name(id));
            }
        }
    }
    out
}

/// All actions of a set as `service:Action` strings, capped for machine output.
pub fn names(set: &ActionSet, catalogue: &Catalogue, cap: usize) -> Vec<String> {
    set.iter(catalogue).take(cap).map(|id| catalogue.action_name(id)).collect()
}
